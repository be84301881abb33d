import type { CommandError } from '../../ui/src/app/ipc/bindings/CommandError';
import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import type { LivenessChallenge } from '../../ui/src/app/ipc/bindings/LivenessChallenge';
import type { LivenessCredentials } from '../../ui/src/app/ipc/bindings/LivenessCredentials';
import type { LivenessFrameFeedback } from '../../ui/src/app/ipc/bindings/LivenessFrameFeedback';
import type { LivenessSessionInfo } from '../../ui/src/app/ipc/bindings/LivenessSessionInfo';
import type { LivenessSummary } from '../../ui/src/app/ipc/bindings/LivenessSummary';
import type { Lang } from './i18n';

/**
 * The four operations of the local liveness engine, over Tauri IPC (kiosk) or the loopback HTTP bridge, and the
 * temporary AWS credentials of the AWS mode (Tauri IPC only).
 */
export interface LivenessTransport {
  /** Opens a session with a new random challenge (refused with `too-many-attempts` after 5 failures in 3 min). */
  /** Opens a session: with the colour sequence, or `movement` only (no flashing colours). */
  start(lang: Lang, auditImages: number, challenge?: LivenessChallenge): Promise<LivenessSessionInfo>;
  /** A session the host opened: the oval it asks for now (the rest is revealed frame by frame). */
  session(sessionId: string): Promise<LivenessSessionInfo>;
  /**
   * Sends one JPEG frame; `captureMs` is `performance.now()` at capture, `shown` the flash colour on screen, `camera`
   * the camera's label (the engine ties the session to it and refuses virtual cameras).
   */
  frame(sessionId: string, captureMs: number, shown: FlashColourName | null, jpeg: ArrayBuffer, camera?: string): Promise<LivenessFrameFeedback>;
  /** Ends the session and returns its summary (no scores). */
  finish(sessionId: string, lang: Lang): Promise<LivenessSummary>;
  /**
   * Temporary AWS credentials for the AWS mode's streaming (scoped to `rekognition:StartFaceLivenessSession`,
   * about 15 minutes), with the session's region. Never logged, never in an event or the DOM.
   */
  credentials(): Promise<LivenessCredentials>;
}

/** Why an operation failed: a `LivenessRefusal` code (`too-many-attempts`), a `CommandError` code, or a widget code. */
export interface LivenessFailure {
  code: string;
  /** Technical detail in English, for staff; never shown to the customer, never personal data. */
  detail: string;
}

/** A refusal of the HTTP bridge: the `CommandError` it answered with, as an Error. */
export class EngineError extends Error implements LivenessFailure {
  constructor(
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'EngineError';
  }
}

/** Headers that travel with a frame (IPC and HTTP alike); the camera label percent-encoded (labels are not ASCII). */
export function frameHeaders(sessionId: string, captureMs: number, shown: FlashColourName | null, camera = ''): Record<string, string> {
  return {
    'x-liveness-session': sessionId,
    'x-capture-ms': String(captureMs),
    'x-shown-colour': shown ?? 'none',
    'x-camera': encodeURIComponent(camera),
  };
}

function isCommandError(value: unknown): value is CommandError {
  const candidate = value as Partial<CommandError> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.code === 'string' && typeof candidate.detail === 'string';
}

/**
 * Describes what an operation rejected with. A `CommandError` with code `liveness` carries the refusal code in
 * brackets at the start of its detail (`[too-many-attempts] …`); other command errors keep their code; a failed
 * `fetch` (nothing listening) is `engine-unavailable`; anything else is `internal`.
 */
export function failureOf(error: unknown): LivenessFailure {
  if (isCommandError(error)) {
    const refusal = error.code === 'liveness' ? /^\s*\[([a-z0-9-]+)\]/.exec(error.detail) : null;
    return { code: refusal ? refusal[1] : String(error.code), detail: error.detail };
  }
  if (error instanceof TypeError) return { code: 'engine-unavailable', detail: error.message };
  const failure = error as Partial<LivenessFailure> | null;
  if (typeof failure?.code === 'string') return { code: failure.code, detail: String(failure.detail ?? '') };
  return { code: 'internal', detail: error instanceof Error ? error.message : String(error) };
}

/** Arguments and options of Tauri 2's `invoke`. */
type InvokeArgs = Record<string, unknown> | Uint8Array | ArrayBuffer | number[];
interface InvokeOptions {
  headers: Record<string, string>;
}

/** The part of `window.__TAURI_INTERNALS__` the widget uses (so that it needs no `@tauri-apps/api`). */
export interface TauriInternals {
  invoke<T>(cmd: string, args?: InvokeArgs, options?: InvokeOptions): Promise<T>;
}

declare global {
  interface Window {
    __TAURI_INTERNALS__?: TauriInternals;
  }
}

/** The engine inside the kiosk, over Tauri IPC. Frames go as the raw IPC body, not as JSON or base64. */
export class IpcTransport implements LivenessTransport {
  constructor(private readonly tauri: TauriInternals) {}

  start(lang: Lang, auditImages: number, challenge: LivenessChallenge = 'movement-and-light'): Promise<LivenessSessionInfo> {
    return this.tauri.invoke('liveness_start', { lang, auditImages, challenge });
  }

  session(sessionId: string): Promise<LivenessSessionInfo> {
    return this.tauri.invoke('liveness_session', { sessionId });
  }

  frame(sessionId: string, captureMs: number, shown: FlashColourName | null, jpeg: ArrayBuffer, camera = ''): Promise<LivenessFrameFeedback> {
    return this.tauri.invoke('liveness_frame', new Uint8Array(jpeg), { headers: frameHeaders(sessionId, captureMs, shown, camera) });
  }

  finish(sessionId: string, lang: Lang): Promise<LivenessSummary> {
    return this.tauri.invoke('liveness_finish', { sessionId, lang });
  }

  credentials(): Promise<LivenessCredentials> {
    return this.tauri.invoke('liveness_credentials');
  }
}

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** The bridge's bearer token (`bridge-token`), sent as `Authorization: Bearer …` with every request. */
  token?: string;
  /** The `fetch` to use (tests). */
  fetcher?: typeof fetch;
}

/** HTTP statuses of the bridge's gate: no valid token (401), a `Host` it does not answer (421). */
const GATE_STATUSES: ReadonlySet<number> = new Set([401, 421]);

/**
 * The engine behind the loopback HTTP bridge (`dayfusion liveness serve`), for a browser outside Tauri. Every
 * request carries the bridge's bearer token; the bridge refuses any without it.
 */
export class HttpTransport implements LivenessTransport {
  private readonly base: string;
  private readonly token: string | undefined;
  private readonly fetcher: typeof fetch;

  constructor(base: string, options: HttpTransportOptions = {}) {
    this.base = base.replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
  }

  start(lang: Lang, auditImages: number, challenge: LivenessChallenge = 'movement-and-light'): Promise<LivenessSessionInfo> {
    return this.request('/liveness/sessions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ locale: lang, auditImagesLimit: auditImages, challenge }),
    });
  }

  session(sessionId: string): Promise<LivenessSessionInfo> {
    return this.request(`/liveness/sessions/${encodeURIComponent(sessionId)}`, { method: 'GET' });
  }

  frame(sessionId: string, captureMs: number, shown: FlashColourName | null, jpeg: ArrayBuffer, camera = ''): Promise<LivenessFrameFeedback> {
    return this.request('/liveness/frames', {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg', ...frameHeaders(sessionId, captureMs, shown, camera) },
      body: jpeg,
    });
  }

  finish(sessionId: string, lang: Lang): Promise<LivenessSummary> {
    return this.request(`/liveness/sessions/${encodeURIComponent(sessionId)}/finish?locale=${encodeURIComponent(lang)}`, {
      method: 'POST',
    });
  }

  /** The bridge is for the local engine only: AWS credentials never leave the kiosk over HTTP. */
  credentials(): Promise<LivenessCredentials> {
    return Promise.reject(new EngineError('aws-credentials', 'the HTTP bridge does not issue AWS credentials'));
  }

  /**
   * Answers the JSON of a 200; rejects with the `CommandError` of any other status. A refusal of the bridge's gate
   * (missing or wrong token, wrong host) is `engine-unavailable`: the page is not set up to use this engine.
   */
  private async request<T>(path: string, init: RequestInit): Promise<T> {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await this.fetcher(`${this.base}${path}`, { ...init, headers, cache: 'no-store', credentials: 'omit' });
    const body: unknown = await response.json().catch(() => null);
    if (response.ok) return body as T;
    if (GATE_STATUSES.has(response.status)) {
      throw new EngineError('engine-unavailable', isCommandError(body) ? body.detail : `HTTP ${response.status}`);
    }
    throw isCommandError(body) ? new EngineError(body.code, body.detail) : new EngineError('internal', `HTTP ${response.status}`);
  }
}

/**
 * The transport for this page: the HTTP bridge when `engine-url` is set (with `bridge-token` as its bearer token),
 * Tauri IPC inside the kiosk, otherwise none (the widget then shows `engine-unavailable`).
 */
export function resolveTransport(engineUrl: string | undefined, bridgeToken?: string): LivenessTransport | null {
  if (engineUrl) return new HttpTransport(engineUrl, { token: bridgeToken });
  const tauri = typeof window === 'undefined' ? undefined : window.__TAURI_INTERNALS__;
  return tauri && typeof tauri.invoke === 'function' ? new IpcTransport(tauri) : null;
}
