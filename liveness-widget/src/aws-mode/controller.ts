import { errorMessage, type LivenessCancelDetail, type LivenessErrorDetail, type WidgetError, type WidgetState } from '../controller';
import type { LivenessChallenge } from '../../../ui/src/app/ipc/bindings/LivenessChallenge';
import type { Lang } from '../i18n';
import { requestGrant, type LivenessSessionGrant, type RequestSession } from '../session';
import type { LivenessTransport } from '../transport';
import type { AwsDetectorError, AwsDetectorHandle, AwsLivenessApi, AwsMountOptions } from './api';
import { CredentialCache } from './credentials';
import { EndpointError, parseAwsEndpoint } from './endpoint';
import { AWS_FINAL_CODES, credentialsErrorCode, detectorErrorCode } from './errors';
import { ASSETS_FOLDER } from './loader';

/** The element's settings the AWS flow reads when it needs them (the latest attribute values). */
export interface AwsFlowConfig {
  lang: Lang;
  /** The Rekognition Face Liveness session the host created (`session-id`). */
  sessionId?: string;
  /**
   * The host's session hook: asked for a new session on every start and retry (a Rekognition session accepts one
   * stream). Set, it replaces `sessionId`.
   */
  requestSession?: RequestSession;
  cameraId?: string;
  engineUrl?: string;
  /** The `aws-endpoint` attribute as given (checked on "start"); absent = the region's public endpoint. */
  endpoint?: string;
  /** Folder of `face-liveness-aws.js` and `liveness-assets/` (absolute, ending with `/`), or null when unknown. */
  base: string | null;
}

/** What the AWS mode renders. */
export interface AwsView {
  /** `intro`, `opening`, `capture` (the Amplify detector is shown), `processing`, `error` or `cancelled`. */
  state: WidgetState;
  error: WidgetError | null;
  /** How many times a detector was mounted (a retry or a new session mounts a new one). */
  attempt: number;
}

/** `liveness-complete` detail in the AWS mode: no scores, the host fetches the result through Rust. */
export interface AwsCompleteDetail {
  provider: 'aws';
  sessionId: string;
}

export interface AwsControllerDeps {
  config(): AwsFlowConfig;
  transport(engineUrl: string | undefined): LivenessTransport | null;
  /** Loads the AWS bundle from `base` (once per page). */
  loadBundle(base: string): Promise<AwsLivenessApi>;
  emit(type: 'liveness-complete' | 'liveness-error' | 'liveness-cancel', detail: unknown): void;
  /** Wall-clock milliseconds, for the credentials' expiry (a property, so that it can be passed on unbound). */
  now?: () => number;
}

/** A failure on the way to the detector, with its kiosk code; `detail` is for staff and never shown. */
class Failure extends Error {
  constructor(
    readonly code: string,
    detail: string,
    readonly arg?: string,
  ) {
    super(detail);
  }
}

/**
 * The AWS liveness flow, outside React: intro, then (on "start") the AWS bundle, the asset check and the
 * credentials, then the Amplify detector in the container the widget attached; its outcome becomes the kiosk's
 * own result, error or cancel. Credentials are fetched once and kept for retries while they are fresh.
 */
export class AwsController {
  private view: AwsView = { state: 'intro', error: null, attempt: 0 };
  private readonly listeners = new Set<() => void>();
  /** Bumped whenever a flow ends, so that late answers and callbacks of an older detector are ignored. */
  private generation = 0;
  private container: HTMLElement | null = null;
  private handle: AwsDetectorHandle | null = null;
  /** What the mounted detector was mounted with (a change of session, camera or endpoint mounts a new one). */
  private mounted: { sessionId: string; cameraId?: string; endpoint?: string; lang: Lang } | null = null;
  /** The options the mounted detector got (for `update`). */
  private options: AwsMountOptions | null = null;
  /** The session id the flow in `opening` is preparing. */
  private opening: string | undefined;
  /** Set when the detector's credential provider failed, so that its error is reported as that failure. */
  private credentialFailure: string | null = null;
  /** Sessions asked of the host's hook so far (the request's `attempt`). */
  private requested = 0;
  /** The challenge chosen at the start (`movement`: no flashing colours), kept for retries. */
  private challenge: LivenessChallenge = 'movement-and-light';
  private readonly credentials: CredentialCache;

  constructor(private readonly deps: AwsControllerDeps) {
    this.credentials = new CredentialCache(() => {
      const transport = deps.transport(deps.config().engineUrl);
      return transport ? transport.credentials() : Promise.reject(new Error('no engine-url and no Tauri IPC'));
    }, deps.now);
  }

  // --- store, for useSyncExternalStore ---

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): AwsView => this.view;

  private set(patch: Partial<AwsView>): void {
    this.view = { ...this.view, ...patch };
    this.listeners.forEach((listener) => listener());
  }

  // --- inputs ---

  /** The element the detector is rendered into (a ref callback); null when it goes away. */
  attach = (container: HTMLElement | null): void => {
    if (container === this.container) return;
    if (!container) this.unmountDetector();
    this.container = container;
  };

  /**
   * Starts loading the AWS bundle in the background, so that "start" does not wait for it. A failure is not
   * shown now: "start" tries again and shows it.
   */
  preload(): void {
    const { base } = this.deps.config();
    if (base) this.deps.loadBundle(base).catch(() => undefined);
  }

  /** The "start" button. */
  /** "Start", or (`movement`, with the host's hook) "check without flashing colours". */
  begin(challenge: LivenessChallenge = 'movement-and-light'): void {
    if (this.view.state !== 'intro') return;
    this.challenge = challenge;
    void this.open();
  }

  /** The "try again" button after a retryable error: a new detector (new key), with the cached credentials. */
  retry(): void {
    if (this.view.state === 'error' && this.view.error?.retry) void this.open();
  }

  /** The cancel and "call staff" buttons, "I'd rather be helped by staff", and Amplify's own cancel. */
  cancel(reason: LivenessCancelDetail['reason']): void {
    if (this.view.state === 'cancelled') return;
    this.reset();
    this.credentials.clear();
    this.set({ state: 'cancelled', error: null });
    this.deps.emit('liveness-cancel', { reason } satisfies LivenessCancelDetail);
  }

  /**
   * The element's attributes changed. While a detector is shown (or being prepared), a new `session-id`,
   * `camera-id` or `aws-endpoint` mounts a new one; a new `lang` only changes its texts.
   */
  configChanged(): void {
    const { state } = this.view;
    if (state !== 'opening' && state !== 'capture') return;
    const config = this.deps.config();
    const mounted = this.mounted;
    // With the hook the session is the one it gave, whatever `session-id` says.
    const hooked = Boolean(config.requestSession);
    if (
      state === 'capture' &&
      mounted &&
      (hooked || mounted.sessionId === config.sessionId) &&
      mounted.cameraId === config.cameraId &&
      mounted.endpoint === config.endpoint
    ) {
      if (mounted.lang !== config.lang && this.handle && this.options) {
        this.mounted = { ...mounted, lang: config.lang };
        this.handle.update({ ...this.options, lang: config.lang });
      }
      return;
    }
    if (state === 'capture' || (!hooked && mounted === null && config.sessionId !== this.opening)) void this.open();
  }

  /** Stops everything (the element was removed or switched to another provider). */
  dispose(): void {
    this.reset();
    this.credentials.clear();
    this.listeners.clear();
  }

  // --- the flow ---

  private async open(): Promise<void> {
    this.reset();
    const generation = this.generation;
    this.set({ state: 'opening', error: null });
    const config = this.deps.config();
    this.opening = config.sessionId;
    if (!config.sessionId && !config.requestSession) {
      return this.fail(new Failure('unknown-session', 'the AWS mode needs a session-id or a requestSession hook'));
    }
    let endpoint: string | undefined;
    try {
      endpoint = parseAwsEndpoint(config.endpoint);
    } catch (error) {
      if (!(error instanceof EndpointError)) throw error;
      return this.fail(new Failure('aws-endpoint-invalid', `aws-endpoint: ${error.message}`));
    }
    if (!config.base) {
      return this.fail(new Failure('provider-unavailable', 'no asset-base and no script URL to find face-liveness-aws.js', 'aws'));
    }
    if (!this.deps.transport(config.engineUrl) && !config.requestSession) {
      return this.fail(new Failure('engine-unavailable', 'no engine-url and no Tauri IPC'));
    }
    const assetsUrl = new URL(ASSETS_FOLDER, config.base).href;

    // A new session for this attempt, asked of the host once everything it needs is known to be there.
    let grant: LivenessSessionGrant | null = null;
    if (config.requestSession) {
      try {
        grant = await requestGrant(config.requestSession, {
          provider: 'aws',
          attempt: ++this.requested,
          lang: config.lang,
          challenge: this.challenge,
        });
      } catch (error) {
        if (generation !== this.generation) return;
        const { code, message } = error as { code: string; message: string };
        return this.fail(new Failure(code, message));
      }
      if (generation !== this.generation) return;
      if (grant.credentials) {
        try {
          this.credentials.offer(grant.credentials);
        } catch (error) {
          return this.fail(new Failure(credentialsErrorCode(error), 'the session came with unusable credentials'));
        }
      }
    }
    const sessionId = grant?.sessionId ?? config.sessionId ?? '';

    // The bundle (and its asset check) and the credentials in parallel; a missing bundle is the error to show.
    const [bundle, issued] = await Promise.allSettled([
      this.deps.loadBundle(config.base).then(
        (api) =>
          api.checkAssets(assetsUrl).then(
            () => api,
            (error: unknown) => Promise.reject(new Failure('aws-assets', String(error))),
          ),
        (error: unknown) => Promise.reject(new Failure('provider-unavailable', String(error), 'aws')),
      ),
      this.credentials.get(),
    ]);
    if (generation !== this.generation) return;
    if (bundle.status === 'rejected') return this.fail(bundle.reason as Failure);
    if (issued.status === 'rejected') return this.fail(new Failure(credentialsErrorCode(issued.reason), 'credentials refused'));
    if (!this.container) return this.fail(new Failure('aws-runtime', 'no container for the detector'));

    this.credentialFailure = null;
    const { lang, cameraId } = this.deps.config();
    const options: AwsMountOptions = {
      sessionId,
      region: grant?.region || issued.value.region,
      lang,
      cameraId,
      // The page's `aws-endpoint`, else the host's (its CSP allows it), else the region's public endpoint.
      ...((endpoint ?? issued.value.endpoint) ? { endpoint: endpoint ?? issued.value.endpoint } : {}),
      assetsUrl,
      credentialProvider: () =>
        this.credentials.get().then(
          ({ credentials }) => credentials,
          (error: unknown) => {
            if (generation === this.generation) this.credentialFailure = credentialsErrorCode(error);
            throw error;
          },
        ),
      onComplete: () => generation === this.generation && this.complete(sessionId),
      onError: (error) => generation === this.generation && this.detectorFailed(error),
      onCancel: () => generation === this.generation && this.cancel('user'),
    };
    this.set({ state: 'capture', attempt: this.view.attempt + 1 });
    this.mounted = { sessionId, cameraId, endpoint: config.endpoint, lang };
    this.options = options;
    try {
      this.handle = bundle.value.mount(this.container, options);
    } catch (error) {
      this.fail(new Failure('aws-runtime', String(error)));
    }
  }

  /** Amplify's `onAnalysisComplete`: the host now fetches the result through Rust. */
  private complete(sessionId: string): void {
    this.reset();
    this.credentials.clear();
    this.set({ state: 'processing', error: null });
    this.deps.emit('liveness-complete', { provider: 'aws', sessionId } satisfies AwsCompleteDetail);
  }

  private detectorFailed(error: AwsDetectorError): void {
    this.fail(new Failure(this.credentialFailure ?? detectorErrorCode(error), 'detector error'));
  }

  private fail(failure: Failure): void {
    this.reset();
    const { code, arg } = failure;
    const error: WidgetError = { code, arg, retry: !AWS_FINAL_CODES.has(code) };
    this.set({ state: 'error', error });
    this.deps.emit('liveness-error', { code, message: errorMessage(this.deps.config().lang, error) } satisfies LivenessErrorDetail);
  }

  // --- housekeeping ---

  private unmountDetector(): void {
    const handle = this.handle;
    this.handle = null;
    this.mounted = null;
    this.options = null;
    handle?.unmount();
  }

  /** Ends the current flow: the detector goes; late answers and callbacks of it are ignored from now on. */
  private reset(): void {
    this.generation++;
    this.opening = undefined;
    this.unmountDetector();
  }
}
