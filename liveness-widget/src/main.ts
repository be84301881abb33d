import r2wc from '@r2wc/react-to-web-component';
import { FaceLivenessWidget } from './FaceLivenessWidget';
import type { RequestSession } from './session';

/** Tag name of the custom element. */
const ELEMENT_NAME = 'face-liveness-widget';

/** r2wc's registered keys for an element's props, its connected flag and its render method. */
const PROPS: unique symbol = Symbol.for('r2wc.props');
const CONNECTED: unique symbol = Symbol.for('r2wc.connected');
const RENDER: unique symbol = Symbol.for('r2wc.render');

/** Observed attributes and the props they feed. */
const propOf: Record<string, string> = {
  'camera-id': 'cameraId',
  lang: 'lang',
  mode: 'mode',
  provider: 'provider',
  'session-id': 'sessionId',
  'audit-images': 'auditImages',
  'engine-url': 'engineUrl',
  'bridge-token': 'bridgeToken',
  'asset-base': 'assetBase',
  'aws-endpoint': 'awsEndpoint',
  'create-session-url': 'createSessionUrl',
  'no-flash': 'noFlash',
};

interface R2wcElement extends HTMLElement {
  attributeChangedCallback(name: string, oldValue: string | null, value: string | null): void;
  [PROPS]: Record<string, unknown>;
  [CONNECTED]: boolean;
  [RENDER](): void;
}

const R2wcWidget = r2wc(FaceLivenessWidget, {
  props: {
    cameraId: 'string',
    lang: 'string',
    mode: 'string',
    provider: 'string',
    sessionId: 'string',
    auditImages: 'string',
    engineUrl: 'string',
    bridgeToken: 'string',
    assetBase: 'string',
    awsEndpoint: 'string',
    createSessionUrl: 'string',
    noFlash: 'string',
  },
}) as new () => R2wcElement;

/**
 * The r2wc element with two fixes for r2wc 2.1: it does not render (and so open the camera) before it is
 * connected, and removing or emptying an attribute resets its prop (no `camera-id` = default camera).
 */
class FaceLivenessElement extends R2wcWidget {
  constructor() {
    super();
    this[CONNECTED] = false;
    // A `requestSession` set before this element was upgraded is an own property that hides the accessor.
    if (Object.hasOwn(this, 'requestSession')) {
      const hook = (this as { requestSession?: unknown }).requestSession;
      delete (this as { requestSession?: unknown }).requestSession;
      this.requestSession = hook as RequestSession | undefined;
    }
  }

  /**
   * The host's session hook: `(request) => Promise<{ sessionId, region?, credentials? }>`, asked for a new session
   * on every start and retry (see `src/session.ts`). A property only: functions cannot be attributes.
   */
  get requestSession(): RequestSession | undefined {
    return this[PROPS].requestSession as RequestSession | undefined;
  }

  set requestSession(hook: RequestSession | undefined) {
    this[PROPS].requestSession = typeof hook === 'function' ? hook : undefined;
    this[RENDER]();
  }

  attributeChangedCallback(name: string, oldValue: string | null, value: string | null): void {
    if (value) return super.attributeChangedCallback(name, oldValue, value);
    this[PROPS][propOf[name]] = undefined;
    this[RENDER]();
  }
}

if (!customElements.get(ELEMENT_NAME)) customElements.define(ELEMENT_NAME, FaceLivenessElement);
