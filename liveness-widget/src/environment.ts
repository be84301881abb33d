import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import type { AwsLivenessApi } from './aws-mode/api';
import { loadAwsBundle } from './aws-mode/loader';
import { videoFrameGrabber, type FrameGrabber } from './capture';
import { systemClock, type Clock } from './clock';
import { resolveTransport, type LivenessTransport } from './transport';

/**
 * What the widget takes from the page: its clock, how it grabs frames from the preview, how it reaches the
 * engine and how it loads the AWS bundle. Unit tests replace these (jsdom has no camera, canvas or engine); the
 * bundle exports nothing, so pages cannot.
 */
export interface WidgetEnvironment {
  clock: Clock;
  grabber(video: HTMLVideoElement, shown: () => FlashColourName | null, clock: Clock): FrameGrabber;
  transport(engineUrl: string | undefined, bridgeToken?: string): LivenessTransport | null;
  /** Loads the AWS mode's bundle from a folder (a `<script src>`, once per page). */
  awsBundle(base: string): Promise<AwsLivenessApi>;
  /** Wall-clock milliseconds (`Date.now()`), for the AWS credentials' expiry. */
  wallClock(): number;
}

export const defaultEnvironment: Readonly<WidgetEnvironment> = {
  clock: systemClock,
  grabber: videoFrameGrabber,
  transport: resolveTransport,
  awsBundle: (base) => loadAwsBundle(base),
  wallClock: () => Date.now(),
};

/** The environment in use (mutable for tests only). */
export const environment: WidgetEnvironment = { ...defaultEnvironment };
