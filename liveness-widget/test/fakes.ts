import type { Clock } from '../src/clock';
import type { CapturedFrame, FrameGrabber } from '../src/capture';
import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import type { ColourFlash } from '../../ui/src/app/ipc/bindings/ColourFlash';
import type { LivenessFrameFeedback } from '../../ui/src/app/ipc/bindings/LivenessFrameFeedback';
import type { LivenessSessionInfo } from '../../ui/src/app/ipc/bindings/LivenessSessionInfo';
import type { LivenessSummary } from '../../ui/src/app/ipc/bindings/LivenessSummary';
import type { OvalTarget } from '../../ui/src/app/ipc/bindings/OvalTarget';

/** A manual clock: time moves only with {@link FakeClock.advance}; animation frames come every 16 ms. */
export class FakeClock implements Clock {
  time = 1000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now = () => this.time;

  setTimeout = (callback: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  };

  clearTimeout = (id: number) => {
    this.timers.delete(id);
  };

  requestFrame = (callback: () => void) => this.setTimeout(callback, 16);

  cancelFrame = (id: number) => this.clearTimeout(id);

  /** Number of pending timers. */
  get pending() {
    return this.timers.size;
  }

  /** Moves time on by `ms`, running every timer due on the way, in order, with promise jobs settled in between. */
  async advance(ms: number) {
    const end = this.time + ms;
    for (;;) {
      await settle();
      let due: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = Math.max(this.time, due[1].at);
      due[1].callback();
    }
    this.time = end;
    await settle();
  }
}

/** Lets pending promise jobs run (several rounds, for chains of awaits). */
export async function settle(rounds = 10) {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A promise with its resolve and reject at hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A grabber that makes tiny fake JPEGs stamped with the clock and the colour `shown()` reports. */
export function fakeGrabber(clock: Clock, shown: () => FlashColourName | null = () => null) {
  const grabbed: CapturedFrame[] = [];
  const grabber: FrameGrabber & { grabbed: CapturedFrame[]; disposed: boolean } = {
    grabbed,
    disposed: false,
    grab: () => {
      const frame = { jpeg: new Uint8Array([0xff, 0xd8, grabbed.length & 0xff, 0xff, 0xd9]).buffer, captureMs: clock.now(), shown: shown(), camera: 'Fake Camera' };
      grabbed.push(frame);
      return Promise.resolve(frame);
    },
    dispose() {
      grabber.disposed = true;
    },
  };
  return grabber;
}

/** The scripted engine's challenge: what a real engine keeps to itself and reveals one step at a time. */
export const challenge: { smallOval: OvalTarget; largeOval: OvalTarget; flashes: (ColourFlash & { durationMs: number })[] } = {
  smallOval: { centerX: 0.4, centerY: 0.5, width: 0.25 },
  largeOval: { centerX: 0.4, centerY: 0.5, width: 0.5 },
  flashes: [
    { colour: 'red', css: '#ff0000', durationMs: 300 },
    { colour: 'green', css: '#00ff00', durationMs: 200 },
    { colour: 'blue', css: '#0000ff', durationMs: 400 },
  ],
};

export const sessionInfo: LivenessSessionInfo = { sessionId: 'session-1', oval: challenge.smallOval, expiresInMs: 180_000 };

export function feedback(patch: Partial<LivenessFrameFeedback> = {}): LivenessFrameFeedback {
  return {
    phase: 'fit-small-oval',
    guidance: 'too-far',
    message: 'Aproxime o rosto do oval',
    progress: 0,
    face: [0.4, 0.3, 0.2, 0.3],
    oval: challenge.smallOval,
    flash: null,
    analysisMs: 12,
    ...patch,
  };
}

export function summary(patch: Partial<LivenessSummary> = {}): LivenessSummary {
  return {
    sessionId: 'session-1',
    status: 'SUCCEEDED',
    failure: null,
    message: null,
    frames: 42,
    durationMs: 4000,
    attemptsLeft: 5,
    ...patch,
  };
}

/** A promise rejected the way Tauri's invoke rejects: with the plain `CommandError` object, not an Error. */
export function rejected<T>(reason: unknown): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the IPC contract rejects with plain objects
  return Promise.reject(reason);
}
