import type { CommandError } from '../../ui/src/app/ipc/bindings/CommandError';
import type { LivenessChallenge } from '../../ui/src/app/ipc/bindings/LivenessChallenge';
import type { LivenessCredentials } from '../../ui/src/app/ipc/bindings/LivenessCredentials';
import type { Lang } from './i18n';

/**
 * What the widget tells the host when it needs a liveness session: the customer pressed "start", or "try again".
 * Every request is for a new attempt and must get a new session (a Rekognition Face Liveness session serves one
 * check: a second stream on it fails).
 */
export interface LivenessSessionRequest {
  /** The mode asking: `local` (the kiosk's engine) or `aws` (Rekognition through Amplify). */
  provider: 'local' | 'aws';
  /** 1 for the first start in this element, then 2, 3… for each retry. */
  attempt: number;
  /** The widget's language. */
  lang: Lang;
  /** `movement`: the customer chose the check without flashing colours (the host may refuse it). */
  challenge: LivenessChallenge;
}

/**
 * The host's answer: the session for this attempt. The kiosk's `visit_liveness_session` command answers a
 * `VisitLiveness` (`{ sessionId, provider, region }`), which is one; the guide's HTTP API answers
 * `POST /api/liveness/session` with `{ sessionId }` (plus `region` where it knows it).
 */
export interface LivenessSessionGrant {
  /** The session the widget runs now (local: the engine's; AWS: Rekognition's). */
  sessionId: string;
  /** AWS: the region the session was created in; absent = the region of the credentials. */
  region?: string | null;
  /**
   * AWS, optional: temporary credentials for this session's stream (`rekognition:StartFaceLivenessSession`), for
   * hosts without the `liveness_credentials` command (a web page). Absent: the widget asks its transport, as before.
   */
  credentials?: LivenessCredentials | null;
}

/**
 * The hook, set as the element's `requestSession` property. It may reject with `{ code, detail }`, a Tauri
 * `CommandError` whose detail starts with `[code]`, or anything else (`session-unavailable`). The code
 * `too-many-attempts` (five failed checks in three minutes on this kiosk) ends the check with the staff path.
 */
export type RequestSession = (request: LivenessSessionRequest) => Promise<LivenessSessionGrant>;

/** Why the host could not give a session: a kiosk error code and technical detail (never shown). */
export class SessionRequestError extends Error {
  constructor(
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'SessionRequestError';
  }
}

const CODE = /^[a-z0-9][a-z0-9-]*$/;

function isCommandError(value: unknown): value is CommandError {
  const candidate = value as Partial<CommandError> | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.code === 'string' && typeof candidate.detail === 'string';
}

/**
 * The code of a hook's rejection: the bracketed code of a `CommandError` (`[too-many-attempts] …`, whatever the
 * command error's own code), a plain `{ code }`, else `session-unavailable`.
 */
export function sessionFailureOf(error: unknown): SessionRequestError {
  if (error instanceof SessionRequestError) return error;
  if (isCommandError(error)) {
    const bracketed = /^\s*\[([a-z0-9-]+)\]/.exec(error.detail);
    return new SessionRequestError(bracketed ? bracketed[1] : 'session-unavailable', error.detail);
  }
  const failure = error as { code?: unknown; detail?: unknown; message?: unknown } | null;
  if (typeof failure?.code === 'string' && CODE.test(failure.code)) {
    const detail = [failure.detail, failure.message].find((v): v is string => typeof v === 'string') ?? '';
    return new SessionRequestError(failure.code, detail);
  }
  return new SessionRequestError('session-unavailable', error instanceof Error ? error.message : String(error));
}

/** Asks `hook` for a session and checks the answer; rejects with a {@link SessionRequestError}. */
export async function requestGrant(hook: RequestSession, request: LivenessSessionRequest): Promise<LivenessSessionGrant> {
  let grant: LivenessSessionGrant;
  try {
    grant = await hook(request);
  } catch (error) {
    throw sessionFailureOf(error);
  }
  const sessionId = typeof grant?.sessionId === 'string' ? grant.sessionId.trim() : '';
  if (!sessionId || sessionId.length > 128) {
    throw new SessionRequestError('session-unavailable', 'requestSession answered without a session id');
  }
  return { ...grant, sessionId };
}

/** Options of {@link httpSessionHook}. */
export interface HttpSessionOptions {
  /** The `fetch` to use (tests). */
  fetcher?: typeof fetch;
}

/**
 * The hook over the guide's HTTP API: `POST <url>` with the request as JSON, same-origin cookies; a 200 answers
 * the grant (`{ sessionId, region?, credentials? }`). A 429, or an error body `{ code: "too-many-attempts" }`, is
 * `too-many-attempts`; another error body's `code` is kept; anything else is `session-unavailable`.
 */
export function httpSessionHook(url: string, options: HttpSessionOptions = {}): RequestSession {
  const fetcher = options.fetcher ?? ((input, init) => fetch(input, init));
  return async (request) => {
    let response: Response;
    try {
      response = await fetcher(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(request),
        cache: 'no-store',
        credentials: 'same-origin',
      });
    } catch (error) {
      throw new SessionRequestError('session-unavailable', error instanceof Error ? error.message : String(error));
    }
    const body: unknown = await response.json().catch(() => null);
    if (response.ok) return body as LivenessSessionGrant;
    if (response.status === 429) throw new SessionRequestError('too-many-attempts', `HTTP 429 from ${url}`);
    const code = (body as { code?: unknown } | null)?.code;
    throw new SessionRequestError(
      typeof code === 'string' && CODE.test(code) ? code : 'session-unavailable',
      `HTTP ${response.status} from ${url}`,
    );
  };
}

/** The element's hook: the `requestSession` property, else one over `create-session-url`, else none. */
export function resolveSessionHook(requestSession: unknown, createSessionUrl: string | undefined): RequestSession | undefined {
  if (typeof requestSession === 'function') return requestSession as RequestSession;
  const url = createSessionUrl?.trim();
  return url ? httpSessionHook(url) : undefined;
}
