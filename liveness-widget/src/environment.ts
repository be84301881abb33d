import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import { videoFrameGrabber, type FrameGrabber } from './capture';
import { systemClock, type Clock } from './clock';
import { resolveTransport, type LivenessTransport } from './transport';

/**
 * What the widget takes from the page: its clock, how it grabs frames from the preview and how it reaches the
 * engine. Unit tests replace these (jsdom has no camera, canvas or engine); the bundle exports nothing, so pages
 * cannot.
 */
export interface WidgetEnvironment {
  clock: Clock;
  grabber(video: HTMLVideoElement, shown: () => FlashColourName | null, clock: Clock): FrameGrabber;
  transport(engineUrl: string | undefined): LivenessTransport | null;
}

export const defaultEnvironment: Readonly<WidgetEnvironment> = {
  clock: systemClock,
  grabber: videoFrameGrabber,
  transport: resolveTransport,
};

/** The environment in use (mutable for tests only). */
export const environment: WidgetEnvironment = { ...defaultEnvironment };
