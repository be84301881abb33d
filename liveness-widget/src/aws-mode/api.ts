import type { Lang } from '../i18n';

/**
 * The contract between the main bundle (`face-liveness-widget.js`) and the lazily loaded AWS bundle
 * (`face-liveness-aws.js`), which defines `window.DayFusionAwsLiveness` when it runs. Types only: the main bundle
 * never imports the AWS bundle's code.
 */

/** Temporary AWS credentials as Amplify's `credentialProvider` answers them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

/**
 * What the Amplify detector reported through `onError`, reduced to what the kiosk's error mapping reads. The AWS
 * bundle passes it to the main bundle, which keeps none of it: a message may quote a signed request, so it is
 * never logged, shown or put in an event.
 */
export interface AwsDetectorError {
  /** Amplify's `LivenessErrorState` (`CONNECTION_TIMEOUT`, `SERVER_ERROR`, …). */
  state: string;
  /** The error's `name` (`InvalidSignatureException`, `Error`, …), empty when it had none. */
  name: string;
  /** The error's message (`message` or the service's `Message`), empty when it had none. */
  message: string;
}

/** What the AWS bundle needs to show the detector for one session. */
export interface AwsMountOptions {
  /** The Rekognition Face Liveness session the host created (through Rust). */
  sessionId: string;
  /** The region of the session (from the credentials command). */
  region: string;
  lang: Lang;
  /** `MediaDeviceInfo.deviceId` of the kiosk camera; absent = Amplify's choice. */
  cameraId?: string;
  /**
   * The Rekognition streaming endpoint (`wss://host[:port]`, checked by the main bundle: see `endpoint.ts`), given
   * to Amplify as `config.endpointOverride`; absent = the region's public endpoint.
   */
  endpoint?: string;
  /** Absolute URL of the `liveness-assets/` folder, ending with `/`. */
  assetsUrl: string;
  credentialProvider(): Promise<AwsCredentials>;
  /** Amplify's `onAnalysisComplete`: the video reached the service; the host fetches the result through Rust. */
  onComplete(): void;
  onError(error: AwsDetectorError): void;
  /** Amplify's own cancel button. */
  onCancel(): void;
}

/** A mounted detector. */
export interface AwsDetectorHandle {
  /** New texts (the `lang` attribute changed); the session, region and camera stay as mounted. */
  update(options: AwsMountOptions): void;
  /** Unmounts the detector and stops its camera. */
  unmount(): void;
}

/** `window.DayFusionAwsLiveness`. */
export interface AwsLivenessApi {
  /** Version of the widget package the AWS bundle was built from. */
  version: string;
  /**
   * Fetches the runtime files the detector will load (the TF.js WebAssembly binary it picks, the face model and
   * its weights) from `assetsUrl` and checks each against its SHA-256 pin. Rejects naming the first bad file.
   * Once a folder passed, later calls answer at once.
   */
  checkAssets(assetsUrl: string): Promise<void>;
  /** Renders the Amplify detector into a shadow root of `container` (its styles stay inside). */
  mount(container: HTMLElement, options: AwsMountOptions): AwsDetectorHandle;
}

declare global {
  interface Window {
    DayFusionAwsLiveness?: AwsLivenessApi;
  }
}
