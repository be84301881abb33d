import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import {
  countVideoInputs,
  failureOf,
  liveReport,
  openCamera,
  stopStream,
  trackEnded,
  type CameraErrorDetail,
  type CameraFailure,
  type CameraReadyDetail,
} from './camera';
import type { StatusKey } from './i18n';

export interface UseCameraOptions {
  /** The preview `<video>` the stream is shown in. */
  videoRef: RefObject<HTMLVideoElement | null>;
  /** `MediaDeviceInfo.deviceId` of the camera; empty or absent means the default camera. */
  cameraId: string | undefined;
  /** The custom element; `camera-ready` and `camera-error` are dispatched on it. */
  container: HTMLElement | undefined;
  /** Whether the camera is wanted now (default true); while false it is off and nothing is reported. */
  enabled?: boolean;
  /**
   * Names one opening of the camera (default: `cameraId`). A new key opens the camera again, and the status
   * starts again as "opening" until that opening has an outcome.
   */
  openingKey?: string;
  /** After `camera-ready` was dispatched: the live report and its track. */
  onReady?: (report: CameraReadyDetail, track: MediaStreamTrack | undefined) => void;
  /**
   * After `camera-error` was dispatched. `cause` is what getUserMedia rejected with; undefined when the live
   * track ended.
   */
  onError?: (failure: CameraFailure, cause: unknown) => void;
  /** The camera was turned off (unmount, key change, or no longer enabled), after its tracks were stopped. */
  onClose?: () => void;
}

/** The status line's text for the opening it belongs to. */
interface Outcome {
  key: string | undefined;
  status: StatusKey;
}

/**
 * Opens the chosen camera while `enabled`, shows it in the video, dispatches `camera-ready` / `camera-error` on
 * the container (also when the live track ends on its own) and stops the tracks when it is no longer wanted.
 * Returns the status line's key for the current opening (`opening` until it has an outcome).
 */
export function useCamera(options: UseCameraOptions): StatusKey {
  const { videoRef, cameraId, container, enabled = true, openingKey, onReady, onError, onClose } = options;
  const key = openingKey ?? cameraId;
  const [outcome, setOutcome] = useState<Outcome>();
  // The callbacks are read when the camera answers, so they need not reopen it when they change.
  const handlers = useRef({ onReady, onError, onClose });
  useLayoutEffect(() => {
    handlers.current = { onReady, onError, onClose };
  });

  useEffect(() => {
    if (!enabled) return;
    const video = videoRef.current;
    let active = true;
    let stream: MediaStream | undefined;
    const emit = (type: string, detail: CameraReadyDetail | CameraErrorDetail) =>
      container?.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
    const fail = async (failure: CameraFailure, cause?: unknown) => {
      const deviceCount = await countVideoInputs();
      if (!active) return;
      setOutcome({ key, status: failure.status });
      emit('camera-error', { state: failure.state, deviceCount, errorName: failure.errorName });
      handlers.current.onError?.(failure, cause);
    };

    void openCamera(cameraId).then(
      async (opened) => {
        if (!active) return stopStream(opened);
        stream = opened;
        if (video) video.srcObject = opened;
        const track = opened.getVideoTracks()[0];
        track?.addEventListener('ended', () => {
          if (active) void fail(trackEnded);
        });
        const report = liveReport(track, await countVideoInputs());
        if (!active) return;
        setOutcome({ key, status: 'live' });
        emit('camera-ready', report);
        handlers.current.onReady?.(report, track);
      },
      (error: unknown) => void fail(failureOf(error), error),
    );

    return () => {
      active = false;
      stopStream(stream);
      if (video) video.srcObject = null;
      handlers.current.onClose?.();
    };
  }, [cameraId, container, enabled, key, videoRef]);

  return outcome && outcome.key === key ? outcome.status : 'opening';
}
