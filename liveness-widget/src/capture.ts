import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import type { LivenessFrameFeedback } from '../../ui/src/app/ipc/bindings/LivenessFrameFeedback';
import { systemClock, type Clock } from './clock';
import { failureOf, type LivenessFailure, type LivenessTransport } from './transport';

/** Widest frame sent to the engine; larger cameras are scaled down (aspect kept). */
export const MAX_FRAME_WIDTH = 960;
/** JPEG quality of the frames sent. */
export const JPEG_QUALITY = 0.9;
/** How long a grab waits for a camera frame it has not sent yet before giving up on this turn, ms. */
export const NEW_FRAME_WAIT_MS = 250;

/** One encoded camera frame. Biometric data: never logged, never kept after it is sent. */
export interface CapturedFrame {
  jpeg: ArrayBuffer;
  /** `performance.now()` when the frame was drawn. */
  captureMs: number;
  /** The flash colour on screen when the frame was drawn, or null. */
  shown: FlashColourName | null;
  /** The camera's label (the video track's), empty when the stream has none. */
  camera: string;
}

/** Takes the current camera picture; null when there is none yet (video not playing). */
export interface FrameGrabber {
  grab(): Promise<CapturedFrame | null>;
  /** Releases the canvas (and the last picture in it). */
  dispose(): void;
}

/** The size frames are sent at: the video's own size, at most {@link MAX_FRAME_WIDTH} wide, aspect kept. */
export function frameSizeFor(videoWidth: number, videoHeight: number): { width: number; height: number } {
  if (videoWidth <= MAX_FRAME_WIDTH) return { width: videoWidth, height: videoHeight };
  return { width: MAX_FRAME_WIDTH, height: Math.round((videoHeight * MAX_FRAME_WIDTH) / videoWidth) };
}

/**
 * Grabs frames from the `<video>` into a canvas (not mirrored: the engine works in camera coordinates) and encodes
 * them as JPEG. `shown` is read at the moment of drawing, with the capture time.
 */
export function videoFrameGrabber(
  video: HTMLVideoElement,
  shown: () => FlashColourName | null,
  clock: Clock = systemClock,
): FrameGrabber {
  let canvas: HTMLCanvasElement | null = document.createElement('canvas');
  // Camera frames presented so far: each grab takes a frame not sent before, because the engine counts repeated
  // frames against the capture's integrity. Two counters, either of which may move: requestVideoFrameCallback
  // calls, and the decoded-frame count of getVideoPlaybackQuality (WebKitGTK never calls requestVideoFrameCallback
  // for a MediaStream from a canvas, but counts its frames).
  const tracksFrames = typeof video.requestVideoFrameCallback === 'function';
  const decodedFrames = (): number | null =>
    typeof video.getVideoPlaybackQuality === 'function' ? video.getVideoPlaybackQuality().totalVideoFrames : null;
  const countsFrames = tracksFrames || decodedFrames() !== null;
  let presented = 0;
  let grabbedAt = -1;
  let decodedAtGrab: number | null = null;
  let callback: number | undefined;
  let waiters: (() => void)[] = [];
  const onFrame = () => {
    presented++;
    const woken = waiters;
    waiters = [];
    woken.forEach((wake) => wake());
    callback = video.requestVideoFrameCallback(onFrame);
  };
  if (tracksFrames) callback = video.requestVideoFrameCallback(onFrame);
  const isNew = () => {
    if (tracksFrames && presented !== grabbedAt) return true;
    const decoded = decodedFrames();
    return decoded !== null && decoded !== decodedAtGrab;
  };
  const nextFrame = () =>
    new Promise<void>((resolve) => {
      waiters.push(resolve);
      clock.setTimeout(resolve, NEW_FRAME_WAIT_MS);
    });
  return {
    async grab() {
      if (countsFrames && !isNew()) await nextFrame();
      if (countsFrames && !isNew()) return null;
      const { videoWidth, videoHeight } = video;
      if (!canvas || !videoWidth || !videoHeight || video.readyState < 2) return null;
      const { width, height } = frameSizeFor(videoWidth, videoHeight);
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      const context = canvas.getContext('2d');
      if (!context) return null;
      grabbedAt = presented;
      decodedAtGrab = decodedFrames();
      const captureMs = clock.now();
      const colour = shown();
      const stream = video.srcObject as MediaStream | null;
      const camera = typeof stream?.getVideoTracks === 'function' ? (stream.getVideoTracks()[0]?.label ?? '') : '';
      context.drawImage(video, 0, 0, width, height);
      const target = canvas;
      const blob = await new Promise<Blob | null>((resolve) => target.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
      if (!blob) return null;
      return { jpeg: await blob.arrayBuffer(), captureMs, shown: colour, camera };
    },
    dispose() {
      if (callback !== undefined) video.cancelVideoFrameCallback(callback);
      waiters.forEach((wake) => wake());
      waiters = [];
      if (canvas) canvas.width = canvas.height = 0;
      canvas = null;
    },
  };
}

export interface FramePumpOptions {
  sessionId: string;
  transport: Pick<LivenessTransport, 'frame'>;
  grabber: Pick<FrameGrabber, 'grab'>;
  /** Called with each answer, in capture order (an answer older than one already applied is dropped). */
  onFeedback(feedback: LivenessFrameFeedback): void;
  /** Called once when the engine refuses a frame (other than `bad-frame`) or cannot be reached; the pump has stopped. */
  onError(failure: LivenessFailure): void;
  clock?: Clock;
  /** Most frames grabbed but not yet answered (default 2). */
  maxInFlight?: number;
  /** Least time between two frames, ms (default 33, about 30 fps). */
  minIntervalMs?: number;
}

/**
 * Streams camera frames to the engine: at most `maxInFlight` frames on their way at once (one being analysed, the
 * next one drawn and encoded meanwhile; they are handed over strictly one after the other, in capture order), the next one taken as
 * soon as an answer frees a slot but never sooner than `minIntervalMs` after the previous one. Frames are never
 * queued: while every slot is busy the camera's frames are simply not taken (dropped). Stops on phase `complete`,
 * on a refusal other than `bad-frame` (which only skips that frame), and on {@link FramePump.stop}.
 */
export class FramePump {
  private readonly clock: Clock;
  private readonly maxInFlight: number;
  private readonly minIntervalMs: number;
  private running = false;
  private timer: number | undefined;
  private lastTakenAt = -Infinity;
  private latestApplied = -Infinity;
  private startedAt = 0;
  private lastAnswerAt = 0;
  /** Settles when the frame before has been answered (or dropped): the next one may go to the engine. */
  private turn: Promise<void> = Promise.resolve();
  /** Frames being grabbed, encoded or analysed. */
  inFlight = 0;
  /** Frames sent to the engine. */
  sent = 0;
  /** Frames the engine answered (including stale answers). */
  answered = 0;
  /** Answers that arrived after a newer frame's answer and were not applied. */
  stale = 0;
  /** Frames the engine refused with `bad-frame`, or that the camera could not give. */
  skipped = 0;

  constructor(private readonly options: FramePumpOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.minIntervalMs = options.minIntervalMs ?? 33;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Frames answered per second since the pump started (0 before the first answer). */
  get fps(): number {
    const seconds = (this.lastAnswerAt - this.startedAt) / 1000;
    return this.answered > 0 && seconds > 0 ? this.answered / seconds : 0;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.now();
    this.pump();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes a frame if a slot is free and the interval has passed, or waits for whichever comes first. */
  private pump = (): void => {
    this.timer = undefined;
    if (!this.running || this.inFlight >= this.maxInFlight) return;
    const wait = this.lastTakenAt + this.minIntervalMs - this.clock.now();
    if (wait > 0) {
      this.timer = this.clock.setTimeout(this.pump, wait);
      return;
    }
    this.lastTakenAt = this.clock.now();
    this.inFlight++;
    void this.send();
    this.pump();
  };

  /** Runs {@link pump} unless a wait is already scheduled. */
  private next(): void {
    if (this.timer === undefined) this.pump();
  }

  private async send(): Promise<void> {
    // Frames reach the engine one at a time and in capture order (it rejects time going backwards); the turn
    // is taken before grabbing, so the next frame is drawn and encoded while this one is being analysed.
    const turn = this.turn;
    let release = (): void => {};
    this.turn = new Promise<void>((resolve) => (release = resolve));
    try {
      await this.sendInTurn(turn);
    } finally {
      release();
    }
  }

  private async sendInTurn(turn: Promise<void>): Promise<void> {
    let frame: CapturedFrame | null = null;
    try {
      frame = await this.options.grabber.grab();
    } catch {
      frame = null;
    }
    if (frame) await turn;
    if (!this.running) return void this.inFlight--;
    if (!frame) {
      this.inFlight--;
      this.skipped++;
      return this.next();
    }
    const { captureMs } = frame;
    let feedback: LivenessFrameFeedback;
    try {
      this.sent++;
      feedback = await this.options.transport.frame(this.options.sessionId, captureMs, frame.shown, frame.jpeg, frame.camera);
    } catch (error) {
      this.inFlight--;
      if (!this.running) return;
      const failure = failureOf(error);
      if (failure.code === 'bad-frame') {
        this.skipped++;
        return this.next();
      }
      this.stop();
      return this.options.onError(failure);
    } finally {
      frame = null;
    }
    this.inFlight--;
    if (!this.running) return;
    this.answered++;
    this.lastAnswerAt = this.clock.now();
    // Not dead: a grab that comes back empty gives its turn back without waiting for the one before, so the
    // next frame can reach the engine while an older one is still being analysed and be answered first.
    if (captureMs < this.latestApplied) {
      this.stale++;
    } else {
      this.latestApplied = captureMs;
      if (feedback.phase === 'complete') this.stop();
      this.options.onFeedback(feedback);
    }
    this.next();
  }
}
