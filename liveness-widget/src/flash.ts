import type { ColourFlash } from '../../ui/src/app/ipc/bindings/ColourFlash';
import type { FlashColourName } from '../../ui/src/app/ipc/bindings/FlashColourName';
import { afterPaint, systemClock, type Clock } from './clock';

/**
 * Paints the colour the engine's latest answer asked for. The widget never knows a colour before the engine
 * reveals it: every answer of the flashing phase names the colour to show from then on (or none), and the engine
 * times the change on its own clock. {@link FlashPainter.shown} follows what is actually on screen: it changes only
 * once the new colour has been painted (two animation frames after it was asked for), so a frame drawn in between is
 * labelled with the colour the camera really saw.
 */
export class FlashPainter {
  private readonly clock: Clock;
  private cancelPaint: (() => void) | undefined;
  private asked: FlashColourName | null = null;
  private current: FlashColourName | null = null;

  constructor(
    private readonly paint: (flash: ColourFlash | null) => void,
    clock: Clock = systemClock,
  ) {
    this.clock = clock;
  }

  /** The flash colour on screen now, or null. */
  get shown(): FlashColourName | null {
    return this.current;
  }

  /** Shows `flash` (null: the usual shade) unless it is the colour already asked for. */
  show(flash: ColourFlash | null): void {
    const colour = flash?.colour ?? null;
    if (colour === this.asked) return;
    this.asked = colour;
    this.cancelPaint?.();
    this.paint(flash);
    this.cancelPaint = afterPaint(this.clock, () => {
      this.cancelPaint = undefined;
      this.current = colour;
    });
  }

  /** Clears the colour at once. */
  stop(): void {
    this.cancelPaint?.();
    this.cancelPaint = undefined;
    this.asked = null;
    this.current = null;
    this.paint(null);
  }
}
