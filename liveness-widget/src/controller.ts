import type { ColourFlash } from '../../ui/src/app/ipc/bindings/ColourFlash';
import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import type { LivenessChallenge } from '../../ui/src/app/ipc/bindings/LivenessChallenge';
import type { LivenessFrameFeedback } from '../../ui/src/app/ipc/bindings/LivenessFrameFeedback';
import type { LivenessSessionInfo } from '../../ui/src/app/ipc/bindings/LivenessSessionInfo';
import type { LivenessSummary } from '../../ui/src/app/ipc/bindings/LivenessSummary';
import type { OvalTarget } from '../../ui/src/app/ipc/bindings/OvalTarget';
import { FramePump, type FrameGrabber } from './capture';
import type { Clock } from './clock';
import { FlashPainter } from './flash';
import { texts, type ErrorTextKey, type Lang, type StatusKey } from './i18n';
import { requestGrant, type RequestSession } from './session';
import { failureOf, type LivenessFailure, type LivenessTransport } from './transport';

/** The widget's states, as its root's `data-state`. */
export type WidgetState =
  | 'intro'
  | 'opening'
  | 'countdown'
  | 'capture'
  | 'flash'
  | 'processing'
  | 'result'
  | 'error'
  | 'cancelled';

/** Seconds of the 3-2-1 countdown before frames flow. */
export const COUNTDOWN_SECONDS = 3;

/** An error the widget shows: its code (as in `liveness-error`), an argument for its text, and whether it can retry. */
export interface WidgetError {
  code: string;
  arg?: string;
  retry: boolean;
}

/** Everything the widget renders, besides the camera preview. */
export interface View {
  state: WidgetState;
  /** Seconds left in the countdown. */
  countdown: number;
  /** The oval to draw: the session's first, then whichever the engine's latest answer names. */
  oval: OvalTarget | null;
  /** The session of this attempt (shown as `data-session-id`), or null before one is open. */
  sessionId: string | null;
  /** The engine's last answer (applied in capture order). */
  feedback: LivenessFrameFeedback | null;
  /** The flash colour being painted now, or null. */
  flash: ColourFlash | null;
  summary: LivenessSummary | null;
  /** After a failed result: whether the widget offers "try again" (no host session, attempts left). */
  canRetry: boolean;
  error: WidgetError | null;
  /** Delivered frames per second (answered frames / seconds), rounded to 0.1; null before any answer. */
  fps: number | null;
  /** Bumped when the camera must be opened again (retry after a camera failure). */
  cameraAttempt: number;
}

/** The element's settings the flow reads when it needs them (the latest attribute values). */
export interface FlowConfig {
  lang: Lang;
  provider: string;
  /** A session the host opened (`session-id`); the widget then does not open its own nor retry. */
  hostSessionId?: string;
  /**
   * The host's session hook (`requestSession` property or `create-session-url`): asked for a new session on every
   * start and retry. It takes precedence over `hostSessionId`; the widget retries on its own with it.
   */
  requestSession?: RequestSession;
  auditImages: number;
  engineUrl?: string;
  /** The HTTP bridge's bearer token (`bridge-token`); never in an event or the DOM the widget renders. */
  bridgeToken?: string;
}

/** `liveness-complete` detail: the summary plus the delivered frame rate. */
export type LivenessCompleteDetail = LivenessSummary & { fps: number };
/** `liveness-error` detail. */
export interface LivenessErrorDetail {
  code: string;
  message: string;
}
/** `liveness-cancel` detail. */
export interface LivenessCancelDetail {
  reason: 'user' | 'photosensitivity';
}

export interface ControllerDeps {
  clock: Clock;
  config(): FlowConfig;
  transport(engineUrl: string | undefined, bridgeToken?: string): LivenessTransport | null;
  /** A grabber on the preview video; `shown` tells the colour on screen. Null when there is no video. */
  grabber(shown: () => FlashColourName | null): FrameGrabber | null;
  emit(type: 'liveness-complete' | 'liveness-error' | 'liveness-cancel', detail: unknown): void;
}

/** Codes after which trying again cannot help: the customer is sent to staff. */
export const FINAL_CODES: ReadonlySet<string> = new Set([
  'too-many-attempts',
  'models-missing',
  'engine-unavailable',
  'provider-unavailable',
  'camera-too-weak',
  'camera-unsupported',
  'camera-refused',
]);
/** Codes that end a host's session for good. */
const SESSION_CODES = new Set(['unknown-session', 'already-used', 'expired']);

/** The `liveness-error` code of a camera failure's status (`notFound` → `camera-not-found`). */
export function cameraCode(status: StatusKey): string {
  return `camera-${status.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The text of an error code in `lang`. */
export function errorMessage(lang: Lang, error: Pick<WidgetError, 'code' | 'arg'>): string {
  const t = texts[lang];
  const { code, arg = '' } = error;
  if (code === 'camera-too-weak') return t.cameraTooWeak(arg || t.belowMinimumRate);
  if (code === 'provider-unavailable') return t.providerUnavailable(arg);
  const status = (Object.keys(t.status) as StatusKey[]).find((key) => cameraCode(key) === code);
  if (status) return t.status[status];
  return t.errors[code as ErrorTextKey] ?? t.errors.internal;
}

/**
 * The view's starting values, also what each new flow starts from (all but its state and the camera attempt,
 * which a new flow keeps).
 */
const blank: Omit<View, 'state' | 'cameraAttempt'> = {
  countdown: COUNTDOWN_SECONDS,
  oval: null,
  sessionId: null,
  feedback: null,
  flash: null,
  summary: null,
  canRetry: false,
  error: null,
  fps: null,
};

let instances = 0;

const ACTIVE: ReadonlySet<WidgetState> = new Set(['opening', 'countdown', 'capture', 'flash']);

/**
 * The liveness capture flow, outside React: session, countdown, frame pump, flashes, finish, retry. The widget
 * renders {@link View} and feeds it the camera's state and the buttons.
 */
export class LivenessController {
  /** Unique in the page (for SVG ids): several widgets may share a document, each with its own React root. */
  readonly id = `face-liveness-${++instances}`;
  private view: View = { state: 'intro', ...blank, cameraAttempt: 0 };
  private readonly listeners = new Set<() => void>();
  /** Bumped whenever a flow ends, so that late answers of an older flow are ignored. */
  private generation = 0;
  private begun = false;
  /** The challenge the customer chose at the start (kept for every retry). */
  private challenge: LivenessChallenge = 'movement-and-light';
  private cameraLive = false;
  private session: LivenessSessionInfo | null = null;
  private sessionUsed = false;
  /** Sessions asked of the host's hook so far (the request's `attempt`). */
  private requested = 0;
  private transport: LivenessTransport | null = null;
  private pump: FramePump | null = null;
  private painter: FlashPainter | null = null;
  private grabber: FrameGrabber | null = null;
  private timers = new Set<number>();
  private expiryTimer: number | undefined;

  constructor(private readonly deps: ControllerDeps) {}

  // --- store, for useSyncExternalStore ---

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): View => this.view;

  private set(patch: Partial<View>): void {
    this.view = { ...this.view, ...patch };
    this.listeners.forEach((listener) => listener());
  }

  /** The flash colour on screen now (what a frame drawn now is labelled with). */
  get shown(): FlashColourName | null {
    return this.painter?.shown ?? null;
  }

  // --- inputs ---

  /** The `provider` attribute: anything but `local` is not available here (`aws` has its own component). */
  setProvider(provider: string): void {
    if (provider !== 'local') {
      if (this.view.error?.code !== 'provider-unavailable' || this.view.error.arg !== provider) {
        this.fail({ code: 'provider-unavailable', detail: provider }, provider);
      }
    } else if (this.view.error?.code === 'provider-unavailable') {
      this.reset();
      this.set({ state: 'intro', error: null });
    }
  }

  /** The camera is live; `shortfall` says what it gives when that is below the kiosk's minimum. */
  cameraReady(shortfall: string | null): void {
    this.cameraLive = true;
    if (this.view.state === 'error' || this.view.state === 'cancelled') return;
    if (shortfall !== null) return this.fail({ code: 'camera-too-weak', detail: shortfall }, shortfall);
    if (this.view.state === 'opening') this.maybeCountdown();
  }

  /** The widget stopped the camera (it is not wanted in this state). */
  cameraClosed(): void {
    this.cameraLive = false;
  }

  /** The camera could not be opened or stopped on its own. */
  cameraFailed(code: string, arg?: string): void {
    this.cameraLive = false;
    if (this.view.state === 'intro' || ACTIVE.has(this.view.state)) this.fail({ code, detail: code }, arg);
  }

  /** The "start" button, or (`movement`) "check without flashing colours": retries keep the choice. */
  begin(challenge: LivenessChallenge = 'movement-and-light'): void {
    if (this.view.state !== 'intro') return;
    this.begun = true;
    this.challenge = challenge;
    void this.open();
  }

  /** The "try again" button (after a failed result or a retryable error). */
  retry(): void {
    const { state, canRetry, error } = this.view;
    if (!((state === 'result' && canRetry) || (state === 'error' && error?.retry))) return;
    this.reset();
    const cameraAttempt = this.cameraLive ? this.view.cameraAttempt : this.view.cameraAttempt + 1;
    if (!this.begun) return this.set({ ...blank, state: 'intro', cameraAttempt });
    this.set({ cameraAttempt });
    void this.open();
  }

  /**
   * "Call staff" after a failed result that offered a retry: the customer does not try again, so the failure is
   * final and goes to the host as `liveness-complete`.
   */
  giveUp(): void {
    const { state, canRetry, summary, fps } = this.view;
    if (state !== 'result' || !canRetry || !summary) return;
    this.set({ canRetry: false });
    this.deps.emit('liveness-complete', { ...summary, fps: fps ?? 0 } satisfies LivenessCompleteDetail);
  }

  /** The cancel and "I'd rather be helped by staff" buttons, and "call staff" after an error. */
  cancel(reason: LivenessCancelDetail['reason']): void {
    if (this.view.state === 'cancelled') return;
    this.reset();
    this.set({ ...blank, state: 'cancelled' });
    this.deps.emit('liveness-cancel', { reason } satisfies LivenessCancelDetail);
  }

  /** Stops everything (the element was removed). */
  dispose(): void {
    this.reset();
    this.listeners.clear();
  }

  // --- the flow ---

  /** Opens (or, with a host session, describes) the session; the countdown starts once the camera is live too. */
  private async open(): Promise<void> {
    const generation = this.generation;
    this.set({ ...blank, state: 'opening' });
    const config = this.deps.config();
    this.transport = this.deps.transport(config.engineUrl, config.bridgeToken);
    if (!this.transport) return this.fail({ code: 'engine-unavailable', detail: 'no engine-url and no Tauri IPC' });
    const transport = this.transport;
    let info: LivenessSessionInfo;
    try {
      if (config.requestSession) {
        // A new session from the host for every attempt, the retry included.
        const grant = await requestGrant(config.requestSession, {
          provider: 'local',
          attempt: ++this.requested,
          lang: config.lang,
          challenge: this.challenge,
        });
        if (generation !== this.generation) return;
        info = await transport.session(grant.sessionId);
      } else {
        info = config.hostSessionId
          ? await transport.session(config.hostSessionId)
          : await transport.start(config.lang, config.auditImages, this.challenge);
      }
    } catch (error) {
      if (generation === this.generation) this.fail(failureOf(error));
      return;
    }
    if (generation !== this.generation) return;
    this.session = info;
    this.expiryTimer = this.deps.clock.setTimeout(() => this.expire(generation), Math.max(0, info.expiresInMs));
    this.set({ oval: info.oval, sessionId: info.sessionId });
    this.maybeCountdown();
  }

  private maybeCountdown(): void {
    if (this.view.state !== 'opening' || !this.session || !this.cameraLive) return;
    const generation = this.generation;
    const tick = (left: number) => {
      if (generation !== this.generation) return;
      if (left === 0) return this.capture();
      this.set({ state: 'countdown', countdown: left });
      this.later(() => tick(left - 1), 1000);
    };
    tick(COUNTDOWN_SECONDS);
  }

  private capture(): void {
    const session = this.session;
    const transport = this.transport;
    if (!session || !transport) return;
    this.grabber = this.deps.grabber(() => this.shown);
    if (!this.grabber) return this.fail({ code: 'internal', detail: 'no video element' });
    const generation = this.generation;
    this.sessionUsed = true;
    this.set({ state: 'capture' });
    this.pump = new FramePump({
      sessionId: session.sessionId,
      transport,
      grabber: this.grabber,
      clock: this.deps.clock,
      onFeedback: (feedback) => generation === this.generation && this.onFeedback(feedback),
      onError: (failure) => generation === this.generation && this.fail(failure),
    });
    this.pump.start();
  }

  private onFeedback(feedback: LivenessFrameFeedback): void {
    const fps = this.pump ? Math.round(this.pump.fps * 10) / 10 : null;
    const oval = feedback.oval ?? this.view.oval;
    if (feedback.phase === 'complete') {
      this.set({ feedback, fps, oval });
      return void this.finish();
    }
    if (feedback.phase === 'flashing') {
      // The engine reveals each colour in the answer to the frame on which it is due.
      this.painter ??= new FlashPainter((flash) => this.set({ flash }), this.deps.clock);
      this.set({ feedback, fps, oval, state: 'flash' });
      this.painter.show(feedback.flash);
      return;
    }
    this.set({ feedback, fps, oval });
  }

  private expire(generation: number): void {
    if (generation !== this.generation) return;
    this.expiryTimer = undefined;
    if (ACTIVE.has(this.view.state)) void this.finish();
  }

  /** Ends capture and asks the engine for the summary. */
  private async finish(): Promise<void> {
    const session = this.session;
    const transport = this.transport;
    if (!session || !transport) return;
    this.stopCapture();
    this.clearTimers();
    const generation = this.generation;
    this.set({ state: 'processing', flash: null });
    let summary: LivenessSummary;
    try {
      summary = await transport.finish(session.sessionId, this.deps.config().lang);
    } catch (error) {
      if (generation === this.generation) this.fail(failureOf(error));
      return;
    }
    if (generation !== this.generation) return;
    const fps = this.view.fps ?? 0;
    this.generation++;
    this.session = null;
    const host = this.fixedHostSession();
    const canRetry = summary.status !== 'SUCCEEDED' && !host && summary.attemptsLeft > 0;
    this.set({ state: 'result', summary, canRetry, fps });
    if (!canRetry) this.deps.emit('liveness-complete', { ...summary, fps } satisfies LivenessCompleteDetail);
  }

  private fail(failure: LivenessFailure, arg?: string): void {
    this.reset();
    const host = this.fixedHostSession();
    const { code } = failure;
    const retry = !FINAL_CODES.has(code) && !(host && (this.sessionUsed || SESSION_CODES.has(code)));
    const error: WidgetError = { code, arg, retry };
    this.set({ state: 'error', error, flash: null });
    this.deps.emit('liveness-error', { code, message: errorMessage(this.deps.config().lang, error) } satisfies LivenessErrorDetail);
  }

  // --- housekeeping ---

  private later(callback: () => void, ms: number): void {
    const id = this.deps.clock.setTimeout(() => {
      this.timers.delete(id);
      callback();
    }, ms);
    this.timers.add(id);
  }

  private stopCapture(): void {
    this.pump?.stop();
    this.pump = null;
    this.painter?.stop();
    this.painter = null;
    this.grabber?.dispose();
    this.grabber = null;
  }

  private clearTimers(): void {
    this.timers.forEach((id) => this.deps.clock.clearTimeout(id));
    this.timers.clear();
    if (this.expiryTimer !== undefined) this.deps.clock.clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  /** Ends the current flow: timers, pump, flashes; late answers of it are ignored from now on. */
  private reset(): void {
    this.generation++;
    this.stopCapture();
    this.clearTimers();
    this.session = null;
    if (!this.fixedHostSession()) this.sessionUsed = false;
  }

  /** Whether the host gave one session for good (`session-id` without a hook): no retries on it. */
  private fixedHostSession(): boolean {
    const config = this.deps.config();
    return Boolean(config.hostSessionId) && !config.requestSession;
  }
}
