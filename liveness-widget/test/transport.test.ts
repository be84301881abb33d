import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineError, failureOf, HttpTransport, IpcTransport, resolveTransport, type TauriInternals } from '../src/transport';
import { feedback, rejected, sessionInfo, summary } from './fakes';

type Fetcher = (url: string, init?: RequestInit) => Promise<Response>;
const asFetch = (fetcher: Fetcher) => fetcher as unknown as typeof fetch;

const jpeg = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]).buffer;

function fakeTauri(answer: unknown = {}) {
  const invoke = vi.fn<(cmd: string, args?: unknown, options?: unknown) => Promise<unknown>>(() => Promise.resolve(answer));
  return { invoke: invoke as unknown as TauriInternals['invoke'], calls: invoke.mock.calls };
}

function jsonResponse(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

afterEach(() => {
  delete window.__TAURI_INTERNALS__;
});

describe('IpcTransport', () => {
  it('sends a frame as the raw JPEG bytes with the session, capture time, colour and camera in headers', async () => {
    const tauri = fakeTauri(feedback());
    await new IpcTransport(tauri).frame('s-1', 1234.5, 'red', jpeg, 'Câmera HD (046d:082d)');
    const [cmd, args, options] = tauri.calls[0];
    expect(cmd).toBe('liveness_frame');
    expect(args).toBeInstanceOf(Uint8Array);
    expect([...(args as Uint8Array)]).toEqual([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    expect(options).toEqual({
      headers: {
        'x-liveness-session': 's-1',
        'x-capture-ms': '1234.5',
        'x-shown-colour': 'red',
        // Labels are not ASCII: percent-encoded, as the engine decodes them.
        'x-camera': 'C%C3%A2mera%20HD%20(046d%3A082d)',
      },
    });
  });

  it('says none when no colour is shown', async () => {
    const tauri = fakeTauri(feedback());
    await new IpcTransport(tauri).frame('s-1', 10, null, jpeg);
    expect((tauri.calls[0][2] as { headers: Record<string, string> }).headers['x-shown-colour']).toBe('none');
  });

  it('calls the session commands with camelCase arguments', async () => {
    const tauri = fakeTauri(sessionInfo);
    const transport = new IpcTransport(tauri);
    expect(await transport.start('en', 3)).toEqual(sessionInfo);
    await transport.session('s-2');
    await transport.finish('s-2', 'pt-BR');
    expect(tauri.calls.map(([cmd, args]) => [cmd, args])).toEqual([
      ['liveness_start', { lang: 'en', auditImages: 3, challenge: 'movement-and-light' }],
      ['liveness_session', { sessionId: 's-2' }],
      ['liveness_finish', { sessionId: 's-2', lang: 'pt-BR' }],
    ]);
  });

  it('passes the CommandError rejection through, and its bracketed refusal code parses', async () => {
    const refusal = { code: 'liveness', detail: '[too-many-attempts] too many failed liveness attempts; retry in 1000 ms' };
    const tauri = { invoke: vi.fn(() => rejected(refusal)) } as unknown as TauriInternals;
    const error: unknown = await new IpcTransport(tauri).start('pt-BR', 2).catch((e: unknown) => e);
    expect(error).toBe(refusal);
    expect(failureOf(error)).toEqual({ code: 'too-many-attempts', detail: refusal.detail });
  });
});

describe('HttpTransport', () => {
  it('posts a frame as image/jpeg bytes with the frame headers', async () => {
    const fetcher = vi.fn<Fetcher>(() => Promise.resolve(jsonResponse(feedback())));
    const answer = await new HttpTransport('http://127.0.0.1:7000/', { fetcher: asFetch(fetcher) }).frame('s-1', 99.25, 'magenta', jpeg);
    expect(answer).toEqual(feedback());
    const [url, init] = fetcher.mock.calls[0];
    expect(url).toBe('http://127.0.0.1:7000/liveness/frames');
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe(jpeg);
    expect(init?.headers).toEqual({
      'content-type': 'image/jpeg',
      'x-liveness-session': 's-1',
      'x-capture-ms': '99.25',
      'x-shown-colour': 'magenta',
      'x-camera': '',
    });
  });

  it('opens, describes and finishes sessions on the bridge routes', async () => {
    const fetcher = vi.fn<Fetcher>((url) => Promise.resolve(jsonResponse(url.endsWith('finish?locale=en') ? summary() : sessionInfo)));
    const transport = new HttpTransport('http://127.0.0.1:7000', { fetcher: asFetch(fetcher) });
    await transport.start('en', 4);
    await transport.session('a b');
    expect(await transport.finish('s-1', 'en')).toEqual(summary());
    const calls = fetcher.mock.calls.map(([url, init]) => [url, init?.method, init?.body]);
    expect(calls).toEqual([
      ['http://127.0.0.1:7000/liveness/sessions', 'POST', '{"locale":"en","auditImagesLimit":4,"challenge":"movement-and-light"}'],
      ['http://127.0.0.1:7000/liveness/sessions/a%20b', 'GET', undefined],
      ['http://127.0.0.1:7000/liveness/sessions/s-1/finish?locale=en', 'POST', undefined],
    ]);
  });

  it('rejects with the CommandError of a non-200 answer', async () => {
    const body = { code: 'liveness', detail: '[bad-frame] bad frame header: x-capture-ms missing or not a time' };
    const fetcher = vi.fn<Fetcher>(() => Promise.resolve(jsonResponse(body, 400)));
    const error: unknown = await new HttpTransport('http://e', { fetcher: asFetch(fetcher) }).frame('s', 1, null, jpeg).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(failureOf(error)).toEqual({ code: 'bad-frame', detail: body.detail });
  });

  it('sends the bridge token as a bearer Authorization header on every route', async () => {
    const fetcher = vi.fn<Fetcher>((url) => Promise.resolve(jsonResponse(url.includes('finish') ? summary() : sessionInfo)));
    const transport = new HttpTransport('http://127.0.0.1:7000', { token: 'f00d'.repeat(16), fetcher: asFetch(fetcher) });
    await transport.start('en', 2);
    await transport.session('s-1');
    await transport.frame('s-1', 5, null, jpeg);
    await transport.finish('s-1', 'en');
    expect(fetcher).toHaveBeenCalledTimes(4);
    for (const [, init] of fetcher.mock.calls) {
      expect((init?.headers as Record<string, string>).authorization).toBe(`Bearer ${'f00d'.repeat(16)}`);
      expect(init?.credentials).toBe('omit');
    }
    // The other headers stay as they were.
    expect(fetcher.mock.calls[2][1]?.headers).toMatchObject({ 'content-type': 'image/jpeg', 'x-liveness-session': 's-1' });
  });

  it('sends no Authorization header without a token', async () => {
    const fetcher = vi.fn<Fetcher>(() => Promise.resolve(jsonResponse(sessionInfo)));
    await new HttpTransport('http://e', { token: '', fetcher: asFetch(fetcher) }).start('en', 2);
    expect(fetcher.mock.calls[0][1]?.headers).not.toHaveProperty('authorization');
  });

  it.each([
    [401, '[bridge-unauthorized] missing or wrong bearer token'],
    [421, '[bridge-host] this bridge answers only requests to 127.0.0.1, localhost or [::1] on its own port'],
  ])('reports the bridge gate refusing with %i as engine-unavailable, keeping its detail', async (status, detail) => {
    const fetcher = vi.fn<Fetcher>(() => Promise.resolve(jsonResponse({ code: 'invalidInput', detail }, status)));
    const error: unknown = await new HttpTransport('http://e', { token: 'wrong', fetcher: asFetch(fetcher) })
      .start('en', 2)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(failureOf(error)).toEqual({ code: 'engine-unavailable', detail });
  });

  it('reports an unreachable engine as engine-unavailable', async () => {
    const fetcher = vi.fn<Fetcher>(() => Promise.reject(new TypeError('Failed to fetch')));
    const error: unknown = await new HttpTransport('http://e', { fetcher: asFetch(fetcher) }).start('en', 2).catch((e: unknown) => e);
    expect(failureOf(error).code).toBe('engine-unavailable');
  });
});

describe('failureOf', () => {
  it('keeps the code of other command errors and of unknown failures', () => {
    expect(failureOf({ code: 'internal', detail: 'boom' })).toEqual({ code: 'internal', detail: 'boom' });
    expect(failureOf({ code: 'liveness', detail: 'no bracket' }).code).toBe('liveness');
    expect(failureOf(new Error('x')).code).toBe('internal');
  });
});

describe('resolveTransport', () => {
  it('prefers engine-url, then Tauri IPC, else none', () => {
    expect(resolveTransport(undefined)).toBeNull();
    window.__TAURI_INTERNALS__ = fakeTauri();
    expect(resolveTransport(undefined)).toBeInstanceOf(IpcTransport);
    expect(resolveTransport('http://127.0.0.1:1')).toBeInstanceOf(HttpTransport);
  });

  it('hands bridge-token to the HTTP transport', async () => {
    const fetcher = vi.fn<Fetcher>(() => Promise.resolve(jsonResponse(sessionInfo)));
    vi.stubGlobal('fetch', fetcher);
    try {
      await resolveTransport('http://127.0.0.1:1', 'secret-token')?.session('s-1');
    } finally {
      vi.unstubAllGlobals();
    }
    expect((fetcher.mock.calls[0][1]?.headers as Record<string, string>).authorization).toBe('Bearer secret-token');
  });
});
