import { describe, expect, it } from 'vitest';
import type { ColourFlash } from '../../ui/src/app/ipc/bindings/ColourFlash';
import { FlashPainter } from '../src/flash';
import { FakeClock } from './fakes';

const red: ColourFlash = { colour: 'red', css: '#ff0000' };
const green: ColourFlash = { colour: 'green', css: '#00ff00' };

describe('FlashPainter', () => {
  it('paints what the engine asked for, and shown follows the screen, not the request', async () => {
    const clock = new FakeClock();
    const painted: (string | null)[] = [];
    const painter = new FlashPainter((flash) => painted.push(flash?.colour ?? null), clock);
    painter.show(red);
    expect(painted).toEqual(['red']);
    // Asked for, but not painted yet: a frame drawn now saw no colour.
    expect(painter.shown).toBeNull();
    await clock.advance(32);
    expect(painter.shown).toBe('red');
    // Every answer names the colour: the same one again changes nothing.
    painter.show(red);
    expect(painted).toEqual(['red']);
    painter.show(green);
    expect(painter.shown).toBe('red');
    await clock.advance(32);
    expect(painter.shown).toBe('green');
    painter.show(null);
    await clock.advance(32);
    expect(painted).toEqual(['red', 'green', null]);
    expect(painter.shown).toBeNull();
  });

  it('clears the colour when stopped, also while a paint is pending', async () => {
    const clock = new FakeClock();
    const painted: (string | null)[] = [];
    const painter = new FlashPainter((flash) => painted.push(flash?.colour ?? null), clock);
    painter.show(red);
    painter.stop();
    await clock.advance(100);
    expect(painted).toEqual(['red', null]);
    expect(painter.shown).toBeNull();
  });
});
