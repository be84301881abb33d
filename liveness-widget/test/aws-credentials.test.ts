import { describe, expect, it, vi } from 'vitest';
import type { LivenessCredentials } from '../../ui/src/app/ipc/bindings/LivenessCredentials';
import { CredentialCache, CredentialsError, parseCredentials, REFRESH_MARGIN_MS } from '../src/aws-mode/credentials';
import { IpcTransport, type TauriInternals } from '../src/transport';
import { deferred, rejected } from './fakes';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

/** Credentials as the Rust command answers them, expiring `inMs` after `now`. */
function issued(now: number, inMs = 15 * 60_000, n = 1): LivenessCredentials {
  return {
    accessKeyId: `ASIAFAKE${n}`,
    secretAccessKey: `secret-${n}`,
    sessionToken: `token-${n}`,
    expiration: new Date(now + inMs).toISOString(),
    region: 'us-east-1',
  };
}

/** A cache on a settable clock, over a fake command that answers fresh credentials each call. */
function setup(answer?: () => Promise<LivenessCredentials>) {
  const clock = { now: T0 };
  let calls = 0;
  const fetch = vi.fn(answer ?? (() => Promise.resolve(issued(clock.now, 15 * 60_000, ++calls))));
  const cache = new CredentialCache(fetch, () => clock.now);
  return { clock, fetch, cache };
}

describe('CredentialCache', () => {
  it('invokes the command once and answers from memory while the credentials are fresh', async () => {
    const { clock, fetch, cache } = setup();
    const first = await cache.get();
    expect(first.region).toBe('us-east-1');
    expect(first.credentials).toEqual({
      accessKeyId: 'ASIAFAKE1',
      secretAccessKey: 'secret-1',
      sessionToken: 'token-1',
      expiration: new Date(T0 + 15 * 60_000),
    });
    expect(first.credentials.expiration).toBeInstanceOf(Date);
    for (const minutes of [1, 5, 10, 13]) {
      clock.now = T0 + minutes * 60_000;
      expect(await cache.get()).toBe(first);
    }
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('fetches again only when the credentials expire within a minute', async () => {
    const { clock, fetch, cache } = setup();
    await cache.get();
    clock.now = T0 + 15 * 60_000 - REFRESH_MARGIN_MS - 1;
    expect((await cache.get()).credentials.accessKeyId).toBe('ASIAFAKE1');
    expect(fetch).toHaveBeenCalledTimes(1);
    clock.now = T0 + 15 * 60_000 - REFRESH_MARGIN_MS;
    expect((await cache.get()).credentials.accessKeyId).toBe('ASIAFAKE2');
    expect(fetch).toHaveBeenCalledTimes(2);
    expect((await cache.get()).credentials.accessKeyId).toBe('ASIAFAKE2');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('shares one command call between concurrent requests', async () => {
    const answer = deferred<LivenessCredentials>();
    const { fetch, cache } = setup(() => answer.promise);
    const all = Promise.all([cache.get(), cache.get(), cache.get()]);
    answer.resolve(issued(T0));
    const [a, b, c] = await all;
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('forgets the credentials on clear, even an answer still in flight', async () => {
    const answer = deferred<LivenessCredentials>();
    const { fetch, cache } = setup(() => (fetch.mock.calls.length === 1 ? answer.promise : Promise.resolve(issued(T0, 15 * 60_000, 9))));
    const inFlight = cache.get();
    cache.clear();
    answer.resolve(issued(T0));
    await inFlight;
    expect((await cache.get()).credentials.accessKeyId).toBe('ASIAFAKE9');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing after a refusal, so that the next request asks again', async () => {
    let fail = true;
    const { fetch, cache } = setup(() => (fail ? rejected({ code: 'aws', detail: '[aws-unreachable] sts' }) : Promise.resolve(issued(T0))));
    await expect(cache.get()).rejects.toEqual({ code: 'aws', detail: '[aws-unreachable] sts' });
    fail = false;
    expect((await cache.get()).region).toBe('us-east-1');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('calls fresh credentials that already look expired a clock skew', async () => {
    const { cache } = setup(() => Promise.resolve(issued(T0, -20 * 60_000)));
    const error: unknown = await cache.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as CredentialsError).code).toBe('clock-skew');
  });
});

describe('parseCredentials', () => {
  it('refuses an answer without a key, secret, token, region or valid expiration, without quoting it', () => {
    const good = issued(T0);
    for (const field of ['accessKeyId', 'secretAccessKey', 'sessionToken', 'region', 'expiration'] as const) {
      const error: unknown = (() => {
        try {
          return parseCredentials({ ...good, [field]: '' });
        } catch (e) {
          return e;
        }
      })();
      expect(error, field).toBeInstanceOf(CredentialsError);
      expect((error as CredentialsError).code).toBe('aws-credentials');
      expect((error as Error).message).not.toContain('secret-1');
    }
    expect(() => parseCredentials({ ...good, expiration: 'tomorrow' })).toThrow(CredentialsError);
  });
});

describe('IpcTransport.credentials', () => {
  it('invokes liveness_credentials without arguments', async () => {
    const invoke = vi.fn(() => Promise.resolve(issued(T0)));
    const answer = await new IpcTransport({ invoke } as unknown as TauriInternals).credentials();
    expect(answer.region).toBe('us-east-1');
    expect(invoke.mock.calls).toEqual([['liveness_credentials']]);
  });
});
