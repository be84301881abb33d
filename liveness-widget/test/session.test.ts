import { describe, expect, it, vi } from 'vitest';
import { rejected } from './fakes';
import { httpSessionHook, requestGrant, resolveSessionHook, SessionRequestError, sessionFailureOf } from '../src/session';

const request = { provider: 'aws', attempt: 2, lang: 'pt-BR', challenge: 'movement-and-light' } as const;

function response(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }));
}

describe('the requestSession hook', () => {
  it('reads the code of a refusal: a command error\'s bracketed code, a plain code, else session-unavailable', () => {
    expect(sessionFailureOf({ code: 'visit', detail: '[too-many-attempts] too many failed liveness attempts' }).code).toBe(
      'too-many-attempts',
    );
    expect(sessionFailureOf({ code: 'visit', detail: 'no bracket here' }).code).toBe('session-unavailable');
    expect(sessionFailureOf(new SessionRequestError('too-many-attempts', 'x')).code).toBe('too-many-attempts');
    expect(sessionFailureOf({ code: 'Not A Code' }).code).toBe('session-unavailable');
    expect(sessionFailureOf(new Error('boom'))).toMatchObject({ code: 'session-unavailable', detail: 'boom' });
  });

  it('passes the request to the hook and checks the answer has a session id', async () => {
    const hook = vi.fn(() => Promise.resolve({ sessionId: ' s-2 ', region: 'sa-east-1' }));
    await expect(requestGrant(hook, request)).resolves.toEqual({ sessionId: 's-2', region: 'sa-east-1' });
    expect(hook).toHaveBeenCalledWith(request);
    await expect(requestGrant(() => Promise.resolve({ sessionId: '' }), request)).rejects.toMatchObject({
      code: 'session-unavailable',
    });
    await expect(
      requestGrant(() => rejected({ code: 'visit', detail: '[too-many-attempts] wait 130000 ms' }), request),
    ).rejects.toMatchObject({ code: 'too-many-attempts' });
  });

  it('speaks the guide\'s HTTP API: POST the request, read { sessionId }', async () => {
    const fetcher = vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
      void input;
      void init;
      return response(200, { sessionId: 'http-1' });
    });
    const hook = httpSessionHook('/api/liveness/session', { fetcher });
    await expect(hook(request)).resolves.toEqual({ sessionId: 'http-1' });
    const [url, init] = fetcher.mock.calls[0];
    expect(url).toBe('/api/liveness/session');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(JSON.parse(init?.body as string)).toEqual(request);
  });

  it('maps the HTTP API\'s refusals: 429 is too-many-attempts, an error body keeps its code', async () => {
    const hook = (status: number, body: unknown) =>
      httpSessionHook('/s', { fetcher: (() => response(status, body)) as unknown as typeof fetch });
    await expect(hook(429, null)(request)).rejects.toMatchObject({ code: 'too-many-attempts' });
    await expect(hook(403, { code: 'too-many-attempts' })(request)).rejects.toMatchObject({ code: 'too-many-attempts' });
    await expect(hook(500, { message: 'x' })(request)).rejects.toMatchObject({ code: 'session-unavailable' });
    const offline = httpSessionHook('/s', { fetcher: () => Promise.reject(new TypeError('Failed to fetch')) });
    await expect(offline(request)).rejects.toMatchObject({ code: 'session-unavailable' });
  });

  it('prefers the property to the URL, and has none without either', () => {
    const hook = () => Promise.resolve({ sessionId: 'x' });
    expect(resolveSessionHook(hook, '/api/liveness/session')).toBe(hook);
    expect(resolveSessionHook(undefined, '/api/liveness/session')).toBeTypeOf('function');
    expect(resolveSessionHook('not a function', '  ')).toBeUndefined();
    expect(resolveSessionHook(undefined, undefined)).toBeUndefined();
  });
});
