import type { CameraReport } from '../../ui/src/app/ipc/bindings/CameraReport';
import type { CameraState } from '../../ui/src/app/ipc/bindings/CameraState';
import type { StatusKey } from './i18n';

/** Detail of the `camera-ready` event: the generated `CameraReport`, with `state: 'live'`. */
export type CameraReadyDetail = CameraReport;

/** Detail of the `camera-error` event. `errorName` is the DOMException name, or `ended` when the track ended. */
export type CameraErrorDetail = Pick<CameraReport, 'state' | 'deviceCount'> & { errorName: string };

/** The states a failure can report. */
export type FailureState = Exclude<CameraState, 'unknown' | 'live'>;

/** What went wrong, for the event and for the status line. */
export interface CameraFailure {
  state: FailureState;
  errorName: string;
  status: StatusKey;
}

const stateByErrorName = new Map<string, FailureState>([
  ['NotAllowedError', 'denied'],
  ['SecurityError', 'denied'],
  ['NotFoundError', 'notFound'],
  ['OverconstrainedError', 'notFound'],
  ['NotReadableError', 'notReadable'],
  ['AbortError', 'notReadable'],
]);

/** Maps a getUserMedia error name to the camera state reported to the host. */
export function cameraStateOf(errorName: string): FailureState {
  return stateByErrorName.get(errorName) ?? 'error';
}

/** Describes a getUserMedia rejection (a DOMException, an OverconstrainedError or anything thrown). */
export function failureOf(error: unknown): CameraFailure {
  const name = (error as { name?: unknown } | null)?.name;
  const errorName = typeof name === 'string' ? name : 'Error';
  const state = cameraStateOf(errorName);
  const status: StatusKey = errorName === 'NotSupportedError' ? 'unsupported' : state;
  return { state, errorName, status };
}

/** Failure reported when the live track ends on its own (camera unplugged or taken away). */
export const trackEnded: CameraFailure = { state: 'notReadable', errorName: 'ended', status: 'ended' };

/** The constraints the kiosk asks for; an empty `cameraId` means the default camera. */
export function constraintsFor(cameraId: string | undefined): MediaStreamConstraints {
  return {
    audio: false,
    video: {
      deviceId: cameraId ? { exact: cameraId } : undefined,
      width: { ideal: 1280 },
      height: { ideal: 720 },
      frameRate: { ideal: 30, min: MIN_FRAME_RATE },
    },
  };
}

/** What the liveness capture needs from the camera. */
export const MIN_FRAME_RATE = 15;
export const MIN_WIDTH = 640;
export const MIN_HEIGHT = 480;

/**
 * Checks the live track against what the capture needs (15 fps, 640x480), using only what the track reports.
 * Returns null when it is good enough, else what it gives (`320x240, 10 fps`) for the error message.
 */
export function cameraShortfall(settings: MediaTrackSettings): string | null {
  const { width, height, frameRate } = settings;
  const weak =
    (frameRate !== undefined && frameRate < MIN_FRAME_RATE) ||
    (width !== undefined && width < MIN_WIDTH) ||
    (height !== undefined && height < MIN_HEIGHT);
  if (!weak) return null;
  const size = width !== undefined && height !== undefined ? `${width}x${height}` : null;
  const rate = frameRate !== undefined ? `${Math.round(frameRate * 10) / 10} fps` : null;
  return [size, rate].filter(Boolean).join(', ');
}

/** Whether getUserMedia refused because no mode reaches the minimum frame rate. */
export function isFrameRateShortfall(error: unknown): boolean {
  const { name, constraint } = (error ?? {}) as { name?: unknown; constraint?: unknown };
  return name === 'OverconstrainedError' && constraint === 'frameRate';
}

/** Opens the camera; rejects with a `NotSupportedError` when the page has no `navigator.mediaDevices`. */
export function openCamera(cameraId: string | undefined): Promise<MediaStream> {
  const devices = navigator.mediaDevices as MediaDevices | undefined;
  if (!devices?.getUserMedia) {
    return Promise.reject(new DOMException('navigator.mediaDevices is not available', 'NotSupportedError'));
  }
  return devices.getUserMedia(constraintsFor(cameraId));
}

/** Number of video inputs the page can see; 0 when it cannot enumerate devices. */
export async function countVideoInputs(): Promise<number> {
  try {
    const devices = await navigator.mediaDevices.enumerateDevices();
    return devices.filter((device) => device.kind === 'videoinput').length;
  } catch {
    return 0;
  }
}

/** The `camera-ready` detail for a live track. */
export function liveReport(track: MediaStreamTrack | undefined, deviceCount: number): CameraReadyDetail {
  const settings = track?.getSettings() ?? {};
  return {
    state: 'live',
    deviceCount,
    width: settings.width ?? null,
    height: settings.height ?? null,
    frameRate: settings.frameRate ?? null,
  };
}

/** Stops every track of a stream, which turns the camera off. */
export function stopStream(stream: MediaStream | undefined): void {
  stream?.getTracks().forEach((track) => track.stop());
}
