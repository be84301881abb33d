import type { ColourFlash } from '../../ui/src/app/ipc/bindings/ColourFlash';
import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import { afterPaint, systemClock, type Clock } from './clock';

/**
 * Plays the challenge's colour flashes in order, each for its duration, on a schedule fixed when it starts (so
 * timer lateness does not add up). `paint` asks for a colour (or none) to be rendered; {@link FlashPlayer.shown}
 * follows what is actually on screen: it changes only once the new colour has been painted (two animation frames
 * after it was asked for), so a frame drawn in between is labelled with the colour the camera really saw.
 */
export class FlashPlayer {
  private readonly clock: Clock;
  private timer: number | undefined;
  private cancelPaint: (() => void) | undefined;
  private started = false;
  private current: FlashColourName | null = null;
  /** Index of the flash asked for, or -1 (none yet) or `flashes.length` (all played). */
  index = -1;

  constructor(
    private readonly flashes: readonly ColourFlash[],
    private readonly paint: (flash: ColourFlash | null) => void,
    clock: Clock = systemClock,
    private readonly onDone?: () => void,
  ) {
    this.clock = clock;
  }

  /** The flash colour on screen now, or null. */
  get shown(): FlashColourName | null {
    return this.current;
  }

  /** Whether the sequence has been played to the end. */
  get done(): boolean {
    return this.index >= this.flashes.length;
  }

  /** Starts the sequence (once; later calls do nothing). */
  start(): void {
    if (this.started) return;
    this.started = true;
    const t0 = this.clock.now();
    let end = 0;
    const starts = this.flashes.map((flash) => {
      const at = end;
      end += flash.durationMs;
      return at;
    });
    const step = (index: number) => {
      this.timer = undefined;
      this.index = index;
      const flash = this.flashes[index] ?? null;
      this.show(flash);
      if (!flash) return this.onDone?.();
      const nextAt = t0 + (starts[index + 1] ?? end);
      this.timer = this.clock.setTimeout(() => step(index + 1), Math.max(0, nextAt - this.clock.now()));
    };
    step(0);
  }

  /** Stops the sequence and clears the colour. */
  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.cancelPaint?.();
    this.cancelPaint = undefined;
    if (this.started && !this.done) this.index = this.flashes.length;
    this.paint(null);
    this.current = null;
  }

  private show(flash: ColourFlash | null): void {
    this.cancelPaint?.();
    this.paint(flash);
    this.cancelPaint = afterPaint(this.clock, () => {
      this.cancelPaint = undefined;
      this.current = flash?.colour ?? null;
    });
  }
}
