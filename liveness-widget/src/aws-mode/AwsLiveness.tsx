import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { errorMessage } from '../controller';
import { environment } from '../environment';
import type { FaceLivenessWidgetProps } from '../FaceLivenessWidget';
import { resolveSessionHook } from '../session';
import { resolveLang, texts, type Texts } from '../i18n';
import { buttonStyles, styles } from '../styles';
import { AwsController, type AwsFlowConfig } from './controller';
import { bundleBase } from './loader';

/**
 * The AWS mode (`provider="aws"`): the kiosk's intro, then Amazon's detector (the Amplify
 * `FaceLivenessDetectorCore`, from the lazily loaded `face-liveness-aws.js`) for the host's session, then the
 * kiosk's own processing, error or cancelled view. The root carries `data-provider="aws"`, `data-state` and
 * `data-attempt` (detectors mounted so far).
 */
export function AwsLiveness(props: FaceLivenessWidgetProps) {
  const { container } = props;
  const language = resolveLang(props.lang);
  const t = texts[language];
  const config: AwsFlowConfig = {
    lang: language,
    sessionId: props.sessionId?.trim() || undefined,
    requestSession: resolveSessionHook(props.requestSession, props.createSessionUrl),
    cameraId: props.cameraId || undefined,
    engineUrl: props.engineUrl || undefined,
    endpoint: props.awsEndpoint?.trim() || undefined,
    base: bundleBase(props.assetBase),
  };
  const configRef = useRef(config);
  const containerRef = useRef(container);
  const spinnerRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    configRef.current = config;
    containerRef.current = container;
  });

  const [controller] = useState(
    () =>
      new AwsController({
        config: () => configRef.current,
        transport: (engineUrl) => environment.transport(engineUrl),
        loadBundle: (base) => environment.awsBundle(base),
        emit: (type, detail) => containerRef.current?.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true })),
        now: () => environment.wallClock(),
      }),
  );
  const view = useSyncExternalStore(controller.subscribe, controller.getView);
  const { state, error } = view;

  useEffect(() => () => controller.dispose(), [controller]);
  useEffect(() => controller.preload(), [controller, config.base]);
  useEffect(() => controller.configChanged(), [controller, config.sessionId, config.cameraId, config.endpoint, language]);

  const busy = state === 'opening' || state === 'processing';
  useEffect(() => {
    if (!busy) return;
    const animation = spinnerRef.current?.animate?.([{ transform: 'rotate(0deg)' }, { transform: 'rotate(360deg)' }], {
      duration: 1000,
      iterations: Infinity,
    });
    return () => animation?.cancel();
  }, [busy]);

  const button = (action: keyof Texts['buttons'], onClick: () => void, kind: keyof typeof buttonStyles) => (
    <button
      type="button"
      data-action={action.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}
      data-keypad={action === 'start' || action === 'retry' ? 'confirm' : action === 'cancel' ? 'cancel' : undefined}
      aria-label={t.aria[action]}
      onClick={onClick}
      style={{ ...styles.button, ...buttonStyles[kind] }}
    >
      {t.buttons[action]}
    </button>
  );
  const cancel = button('cancel', () => controller.cancel('user'), 'cancel');
  const hooked = Boolean(config.requestSession);

  let actions: ReactNode = null;
  let banner: string;
  switch (state) {
    case 'intro':
      banner = t.awsReady;
      actions = (
        <>
          {button('start', () => controller.begin(), 'primary')}
          {/* Rekognition's FaceMovementChallenge: the host must create the session, so only with its hook. */}
          {hooked && props.noFlash !== 'off' && button('noFlash', () => controller.begin('movement'), 'secondary')}
          {button('staffInstead', () => controller.cancel('photosensitivity'), 'secondary')}
          {cancel}
        </>
      );
      break;
    case 'capture':
      banner = t.awsFollow;
      actions = cancel;
      break;
    case 'processing':
      banner = t.processing;
      break;
    case 'error':
      banner = error ? errorMessage(language, error) : t.errors.internal;
      actions = (
        <>
          {error?.retry && button('retry', () => controller.retry(), 'primary')}
          {button('callStaff', () => controller.cancel('user'), 'secondary')}
          {cancel}
        </>
      );
      break;
    case 'cancelled':
      banner = t.cancelled;
      break;
    default:
      banner = t.preparing;
      actions = cancel;
  }

  return (
    <div
      lang={language}
      data-provider="aws"
      data-state={state}
      data-error={error?.code}
      data-attempt={view.attempt || undefined}
      style={styles.root}
    >
      <h2 style={styles.heading}>{state === 'error' ? t.errorTitle : t.title}</h2>

      <p role="status" aria-live="polite" style={{ ...styles.status, ...(state === 'error' ? styles.alert : null) }}>
        {banner}
      </p>

      {state === 'intro' && (
        <div style={styles.panel}>
          <p style={styles.text}>{t.intro.lead}</p>
          <ol style={styles.steps}>
            {t.intro.steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
          <div role="note" data-part="photosensitivity-warning" style={styles.warning}>
            <strong>{t.intro.warningTitle}.</strong> {t.intro.warning}
          </div>
        </div>
      )}

      {busy && <div ref={spinnerRef} data-part="spinner" aria-hidden="true" style={styles.spinner} />}

      {/* The AWS bundle renders the detector into a shadow root of this element; React leaves it empty. */}
      <div
        ref={controller.attach}
        data-part="aws-detector"
        style={{ ...styles.detector, display: state === 'capture' ? 'block' : 'none' }}
      />

      {actions && <div style={styles.actions}>{actions}</div>}
    </div>
  );
}
