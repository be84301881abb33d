import type { CameraReport } from '../ipc/bindings/CameraReport';
import type { CameraState } from '../ipc/bindings/CameraState';

/** States the liveness widget reports through its `camera-error` event. */
const ERROR_STATES: ReadonlySet<CameraState> = new Set([
  'denied',
  'notFound',
  'notReadable',
  'error',
]);

/** Report used before the preview has said anything. */
export const CAMERA_NOT_REPORTED: CameraReport = {
  state: 'unknown',
  deviceCount: 0,
  width: null,
  height: null,
  frameRate: null,
};

/**
 * Builds the report for a `camera-ready` event of `<face-liveness-widget>`
 * (detail `{state: 'live', deviceCount, width, height, frameRate}`).
 */
export function reportFromReady(event: Event): CameraReport {
  const detail = detailOf(event);
  return {
    state: 'live',
    deviceCount: count(detail['deviceCount']) ?? 0,
    width: count(detail['width']),
    height: count(detail['height']),
    frameRate: positive(detail['frameRate']),
  };
}

/**
 * Builds the report for a `camera-error` event of `<face-liveness-widget>`
 * (detail `{state, deviceCount, errorName}`); an unexpected state becomes `error`.
 */
export function reportFromError(event: Event): CameraReport {
  const detail = detailOf(event);
  const state = detail['state'];
  return {
    ...CAMERA_NOT_REPORTED,
    state: ERROR_STATES.has(state as CameraState) ? (state as CameraState) : 'error',
    deviceCount: count(detail['deviceCount']) ?? 0,
  };
}

function detailOf(event: Event): Record<string, unknown> {
  const detail: unknown = (event as CustomEvent<unknown>).detail;
  return typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : {};
}

/** A non-negative integer (the backend stores counts and sizes as `u32`), or `null`. */
function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.round(value)
    : null;
}

function positive(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;
}
