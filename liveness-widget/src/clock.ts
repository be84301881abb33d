/** Time and scheduling, injectable so that the frame pump, the flashes and the countdown run on a fake clock in tests. */
export interface Clock {
  /** Milliseconds on a monotonic clock (`performance.now()`). */
  now(): number;
  setTimeout(callback: () => void, ms: number): number;
  clearTimeout(id: number): void;
  /** Runs `callback` before the next repaint (`requestAnimationFrame`). */
  requestFrame(callback: () => void): number;
  cancelFrame(id: number): void;
}

/**
 * The page's own clock. Every call looks the global up when it is made (not when this module loads), so that
 * timers faked after loading still apply. Without `requestAnimationFrame` (a hidden or headless page) a frame is
 * approximated by a 16 ms timer.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => window.setTimeout(callback, ms),
  clearTimeout: (id) => window.clearTimeout(id),
  requestFrame: (callback) =>
    typeof window.requestAnimationFrame === 'function'
      ? window.requestAnimationFrame(() => callback())
      : -window.setTimeout(callback, 16),
  cancelFrame: (id) => {
    if (id < 0) window.clearTimeout(-id);
    else window.cancelAnimationFrame(id);
  },
};

/** Runs `callback` once what was rendered before this call has been painted (two animation frames later). */
export function afterPaint(clock: Clock, callback: () => void): () => void {
  let id = clock.requestFrame(() => {
    id = clock.requestFrame(callback);
  });
  return () => clock.cancelFrame(id);
}
