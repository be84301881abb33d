import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  useSyncExternalStore,
  type ReactNode,
} from 'react';
import { AwsLiveness } from './aws-mode/AwsLiveness';
import { cameraShortfall, isFrameRateShortfall } from './camera';
import { cameraCode, errorMessage, LivenessController, type FlowConfig, type View, type WidgetState } from './controller';
import { environment } from './environment';
import { resolveLang, texts, type StatusKey, type Texts } from './i18n';
import { resolveSessionHook, type RequestSession } from './session';
import { CameraPreview } from './CameraPreview';
import { Overlay } from './Overlay';
import { buttonStyles, styles } from './styles';
import { useCamera } from './useCamera';

export interface FaceLivenessWidgetProps {
  /** `MediaDeviceInfo.deviceId` of the camera; empty or absent means the default camera. */
  cameraId?: string;
  /** `pt-BR` (default) or `en`. */
  lang?: string;
  /** `liveness` (default): the capture; `preview`: only the camera preview and its events. */
  mode?: string;
  /**
   * `local` (default): the kiosk's offline engine; `aws`: Amazon Rekognition Face Liveness through the Amplify
   * detector, loaded on demand from `face-liveness-aws.js`. Other providers are not in this build.
   */
  provider?: string;
  /**
   * Local mode: a session the host opened; the widget then runs it and leaves retries to the host.
   * AWS mode (required): the Rekognition Face Liveness session the host created through Rust.
   */
  sessionId?: string;
  /** How many audit images the engine keeps, 0-4 (default 2). */
  auditImages?: string;
  /** Base URL of the engine's HTTP bridge; without it the widget uses Tauri IPC. */
  engineUrl?: string;
  /** The HTTP bridge's bearer token (printed by `dayfusion liveness serve`); sent with every bridge request. */
  bridgeToken?: string;
  /** `off`: no "check without flashing colours" (the host's policy refuses such checks). */
  noFlash?: string;
  /**
   * AWS mode: the folder holding `face-liveness-aws.js` and `liveness-assets/`; by default the folder of this
   * script (`document.currentScript` when it ran).
   */
  assetBase?: string;
  /**
   * AWS mode: the Rekognition streaming endpoint, `wss://host[:port]` (e.g. a private VPC interface or FIPS
   * endpoint), given to Amplify as `endpointOverride`; absent = the region's public endpoint. Anything else than a
   * `wss:` origin is the error `aws-endpoint-invalid`.
   */
  awsEndpoint?: string;
  /**
   * The host's session hook (the element's `requestSession` property, not an attribute): called when the customer
   * presses start and on every retry, it answers a new session for that attempt (`{ sessionId, region?,
   * credentials? }`). Set, it replaces `session-id` in both modes and the widget retries on its own.
   */
  requestSession?: RequestSession;
  /**
   * The same hook over HTTP, as the guide's element has it (`create-session-url="/api/liveness/session"`): the
   * widget POSTs `{ provider, attempt, lang }` there and reads `{ sessionId, region? }`. Ignored when
   * `requestSession` is set.
   */
  createSessionUrl?: string;
  /** The custom element itself (given by r2wc); the events are dispatched on it. */
  container?: HTMLElement;
}

/** The session hook these props give, if any. */
export function sessionHookOf(props: Pick<FaceLivenessWidgetProps, 'requestSession' | 'createSessionUrl'>): RequestSession | undefined {
  return resolveSessionHook(props.requestSession, props.createSessionUrl);
}

/** The `audit-images` attribute as a number from 0 to 4; 2 when absent or not a number. */
export function parseAuditImages(value: string | undefined): number {
  const count = Number.parseInt(value ?? '', 10);
  return Number.isFinite(count) ? Math.min(4, Math.max(0, count)) : 2;
}

/** States in which the camera is on (besides a failed result that offers to try again). */
const CAMERA_STATES: ReadonlySet<WidgetState> = new Set(['intro', 'opening', 'countdown', 'capture', 'flash', 'processing']);
/** States that show the preview. */
const STAGE_STATES: ReadonlySet<WidgetState> = new Set(['opening', 'countdown', 'capture', 'flash']);

/**
 * The element's component: the local liveness capture, the AWS one with `provider="aws"`, or the bare camera
 * preview with `mode="preview"`.
 */
export function FaceLivenessWidget(props: FaceLivenessWidgetProps) {
  if (props.mode?.trim().toLowerCase() === 'preview') {
    return <CameraPreview cameraId={props.cameraId} lang={props.lang} container={props.container} />;
  }
  return props.provider?.trim().toLowerCase() === 'aws' ? <AwsLiveness {...props} /> : <LivenessCapture {...props} />;
}

/** Local (offline) face liveness capture: instructions, mirrored preview with ovals, colour flashes, result. */
function LivenessCapture(props: FaceLivenessWidgetProps) {
  const { cameraId, lang, container } = props;
  const videoRef = useRef<HTMLVideoElement>(null);
  const spinnerRef = useRef<HTMLDivElement>(null);
  const [frameSize, setFrameSize] = useState({ width: 1280, height: 720 });
  const language = resolveLang(lang);
  const t = texts[language];
  const provider = props.provider?.trim().toLowerCase() || 'local';
  const config: FlowConfig = {
    lang: language,
    provider,
    hostSessionId: props.sessionId || undefined,
    requestSession: sessionHookOf(props),
    auditImages: parseAuditImages(props.auditImages),
    engineUrl: props.engineUrl || undefined,
    bridgeToken: props.bridgeToken || undefined,
  };
  const configRef = useRef(config);
  const containerRef = useRef(container);
  useLayoutEffect(() => {
    configRef.current = config;
    containerRef.current = container;
  });

  const [controller] = useState(
    () =>
      new LivenessController({
        clock: environment.clock,
        config: () => configRef.current,
        transport: (engineUrl, bridgeToken) => environment.transport(engineUrl, bridgeToken),
        grabber: (shown) => (videoRef.current ? environment.grabber(videoRef.current, shown, environment.clock) : null),
        emit: (type, detail) => containerRef.current?.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true })),
      }),
  );
  const view = useSyncExternalStore(controller.subscribe, controller.getView);
  const { state } = view;
  const cameraWanted = provider === 'local' && (CAMERA_STATES.has(state) || (state === 'result' && view.canRetry));

  useEffect(() => () => controller.dispose(), [controller]);
  useEffect(() => controller.setProvider(provider), [controller, provider]);

  const status = useCamera({
    videoRef,
    cameraId,
    container,
    enabled: cameraWanted,
    // A retry after a camera failure opens it again.
    openingKey: `${cameraId ?? ''}|${view.cameraAttempt}`,
    onReady: (report, track) => {
      if (report.width && report.height) setFrameSize({ width: report.width, height: report.height });
      controller.cameraReady(cameraShortfall(track?.getSettings() ?? {}));
    },
    onError: (failure, cause) => controller.cameraFailed(isFrameRateShortfall(cause) ? 'camera-too-weak' : cameraCode(failure.status)),
    onClose: () => controller.cameraClosed(),
  });

  // The picture's real size, for the oval overlay (the track's settings may differ from what plays).
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const update = () => {
      if (video.videoWidth && video.videoHeight) setFrameSize({ width: video.videoWidth, height: video.videoHeight });
    };
    video.addEventListener('loadedmetadata', update);
    video.addEventListener('resize', update);
    return () => {
      video.removeEventListener('loadedmetadata', update);
      video.removeEventListener('resize', update);
    };
  }, []);

  useEffect(() => {
    if (state !== 'processing') return;
    const animation = spinnerRef.current?.animate?.([{ transform: 'rotate(0deg)' }, { transform: 'rotate(360deg)' }], {
      duration: 1000,
      iterations: Infinity,
    });
    return () => animation?.cancel();
  }, [state]);

  const { feedback, summary, error } = view;

  // Each new instruction the banner shows, for the host's spoken guidance (`liveness-instruction`):
  // an id naming the state and the engine's guidance or error code, and the text shown.
  const banner = bannerText(view, t, status, language);
  const instructionId = `${state}.${
    state === 'capture' || state === 'flash'
      ? (feedback?.guidance ?? 'fit-oval')
      : state === 'error'
        ? (error?.code ?? 'internal')
        : state === 'result'
          ? (summary?.status?.toLowerCase() ?? 'unknown')
          : status
  }`;
  useEffect(() => {
    container?.dispatchEvent(
      new CustomEvent('liveness-instruction', { detail: { id: instructionId, text: banner }, bubbles: true, composed: true }),
    );
  }, [container, instructionId, banner]);
  const succeeded = summary?.status === 'SUCCEEDED';
  const phase = feedback?.phase;
  const large = state === 'flash' || (state === 'capture' && (phase === 'move-closer' || phase === 'flashing' || phase === 'holding'));
  const oval = state === 'countdown' || state === 'capture' || state === 'flash' ? view.oval : null;
  const heading = state === 'error' ? t.errorTitle : state === 'result' ? (succeeded ? t.success : t.failureTitle) : t.title;
  const guidanceOk = feedback?.guidance === 'hold-still' || feedback?.guidance === 'done' || (state === 'result' && succeeded);
  const alert = state === 'error' || (state === 'result' && !succeeded);

  const button = (action: keyof Texts['buttons'], onClick: () => void, kind: keyof typeof buttonStyles) => (
    <button
      type="button"
      data-action={kebab(action)}
      data-keypad={KEYPAD_ROLE[action]}
      aria-label={t.aria[action]}
      onClick={onClick}
      style={{ ...styles.button, ...buttonStyles[kind] }}
    >
      {t.buttons[action]}
    </button>
  );
  const cancel = button('cancel', () => controller.cancel('user'), 'cancel');
  const callStaff = button('callStaff', () => controller.cancel('user'), 'secondary');
  const retry = button('retry', () => controller.retry(), 'primary');

  // The check without flashing colours: the local engine has it; a session the host opened itself is fixed.
  const movementOffered =
    provider === 'local' && props.noFlash !== 'off' && (Boolean(config.requestSession) || !config.hostSessionId);
  let actions: ReactNode = null;
  if (state === 'intro') {
    actions = (
      <>
        {button('start', () => controller.begin(), 'primary')}
        {movementOffered && button('noFlash', () => controller.begin('movement'), 'secondary')}
        {button('staffInstead', () => controller.cancel('photosensitivity'), 'secondary')}
        {cancel}
      </>
    );
  } else if (state === 'result') {
    // A final result went to the host (liveness-complete), which decides what comes next.
    actions = view.canRetry ? (
      <>
        {retry}
        {button('callStaff', () => controller.giveUp(), 'secondary')}
      </>
    ) : null;
  } else if (state === 'error') {
    actions = (
      <>
        {error?.retry ? retry : callStaff}
        {cancel}
      </>
    );
  } else if (state !== 'cancelled' && state !== 'processing') {
    // No cancel while the result is being computed: it would not stop anything.
    actions = cancel;
  }

  return (
    <div
      lang={language}
      data-state={state}
      data-phase={phase}
      data-session-id={view.sessionId ?? undefined}
      data-guidance={feedback?.guidance}
      data-fps={view.fps === null ? undefined : view.fps.toFixed(1)}
      data-flash={view.flash?.colour}
      data-error={error?.code}
      data-result={summary?.status}
      style={{ ...styles.root, background: view.flash?.css ?? styles.root.background }}
    >
      {state !== 'flash' && <h2 style={styles.heading}>{heading}</h2>}

      <div
        data-part="stage"
        style={{
          ...styles.stage,
          aspectRatio: `${frameSize.width} / ${frameSize.height}`,
          // Room left for the heading, the status, the progress and the button, whatever the text size
          // (the intro shows no preview: its instructions and warning come first).
          maxHeight: 'calc(100vh - 19rem)',
          display: STAGE_STATES.has(state) ? 'block' : 'none',
        }}
      >
        <video ref={videoRef} aria-label={t.preview} autoPlay muted playsInline style={styles.video} />
        {(oval || view.flash) && (
          <Overlay
            width={frameSize.width}
            height={frameSize.height}
            oval={oval}
            size={large ? 'large' : 'small'}
            fit={guidanceOk}
            flash={view.flash?.css ?? null}
            maskId={`${controller.id}-mask`}
            label={t.aria.oval}
          />
        )}
        {state === 'countdown' && (
          <div aria-hidden="true" data-part="countdown" style={styles.countdown}>
            {view.countdown}
          </div>
        )}
      </div>

      {/* Before the start, the status shows only when the camera is not ready (the warning and choices come first). */}
      <p
        role="status"
        aria-live="polite"
        hidden={state === 'intro' && status === 'live'}
        style={{
          ...styles.status,
          ...(alert ? styles.alert : guidanceOk ? styles.good : null),
          // The camera's status before the start is a side note; the live instructions stay large.
          ...(state === 'intro' ? { fontSize: '1.3rem' } : null),
        }}
      >
        {banner}
      </p>

      {(state === 'capture' || state === 'flash') && (
        <div
          role="progressbar"
          aria-label={t.aria.progress}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round((feedback?.progress ?? 0) * 100)}
          style={styles.progressTrack}
        >
          <div style={{ ...styles.progressFill, width: `${Math.round((feedback?.progress ?? 0) * 100)}%` }} />
        </div>
      )}

      {state === 'intro' && (
        // The warning always in view; the steps scroll inside their panel when the screen is short (larger text).
        <div role="note" data-part="photosensitivity-warning" style={styles.warning}>
          <strong>{t.intro.warningTitle}.</strong> {t.intro.warning}
        </div>
      )}
      {state === 'intro' && (
        <div style={styles.panel} tabIndex={0} role="region" aria-label={t.title} data-part="intro">
          <p style={styles.text}>{t.intro.lead}</p>
          <ol style={styles.steps}>
            {t.intro.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </div>
      )}

      {state === 'processing' && <div ref={spinnerRef} data-part="spinner" aria-hidden="true" style={styles.spinner} />}

      {state === 'result' && (
        <p data-part="result-detail" style={styles.text}>
          {succeeded
            ? t.successDetail
            : config.hostSessionId && !config.requestSession
              ? null
              : summary?.attemptsLeft
                ? t.attemptsLeft(summary.attemptsLeft)
                : t.noAttemptsLeft}
        </p>
      )}

      {actions && <div style={{ ...styles.actions, ...(state === 'intro' ? styles.introActions : null) }}>{actions}</div>}
    </div>
  );
}

/** What the status banner says in each state. */
function bannerText(view: View, t: Texts, camera: StatusKey, lang: FlowConfig['lang']): string {
  switch (view.state) {
    case 'intro':
      return t.status[camera];
    case 'opening':
      return camera === 'live' ? t.preparing : t.status[camera];
    case 'countdown':
      return t.countdown;
    case 'capture':
    case 'flash':
      return view.feedback?.message || (view.state === 'flash' ? t.holdStill : t.fitOval);
    case 'processing':
      return t.processing;
    case 'result':
      return view.summary?.status === 'SUCCEEDED' ? t.success : view.summary?.message || t.failure;
    case 'error':
      return view.error ? errorMessage(lang, view.error) : t.errors.internal;
    case 'cancelled':
      return t.cancelled;
  }
}

/** The host keypad's role of each button (`data-keypad`: Enter confirms, Escape cancels). */
const KEYPAD_ROLE: Partial<Record<keyof Texts['buttons'], 'confirm' | 'cancel'>> = {
  start: 'confirm',
  retry: 'confirm',
  cancel: 'cancel',
};

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
