import { describe, expect, it } from 'vitest';
import type { ColourFlash } from '../../ui/src/app/ipc/bindings/ColourFlash';
import { FlashPlayer } from '../src/flash';
import { challenge, FakeClock } from './fakes';

describe('FlashPlayer', () => {
  it('plays each colour for its duration, and shown follows the screen, not the request', async () => {
    const clock = new FakeClock();
    const painted: { at: number; flash: ColourFlash | null }[] = [];
    let done = false;
    const player = new FlashPlayer(challenge.flashes, (flash) => painted.push({ at: clock.now(), flash }), clock, () => (done = true));
    const t0 = clock.now();
    player.start();
    expect(painted.map((p) => p.flash?.colour)).toEqual(['red']);
    // Asked for, but not painted yet: a frame drawn now saw no colour.
    expect(player.shown).toBeNull();
    await clock.advance(32);
    expect(player.shown).toBe('red');
    await clock.advance(300 - 32);
    expect(painted.map((p) => p.flash?.colour ?? null)).toEqual(['red', 'green']);
    expect(player.shown).toBe('red');
    await clock.advance(32);
    expect(player.shown).toBe('green');
    await clock.advance(1000);
    expect(painted.map((p) => [p.at - t0, p.flash?.colour ?? null])).toEqual([
      [0, 'red'],
      [300, 'green'],
      [500, 'blue'],
      [900, null],
    ]);
    expect(player.shown).toBeNull();
    expect(done).toBe(true);
  });

  it('starts once and clears the colour when stopped', async () => {
    const clock = new FakeClock();
    const painted: (string | null)[] = [];
    const player = new FlashPlayer(challenge.flashes, (flash) => painted.push(flash?.colour ?? null), clock);
    player.start();
    player.start();
    await clock.advance(100);
    player.stop();
    await clock.advance(2000);
    expect(painted).toEqual(['red', null]);
    expect(player.shown).toBeNull();
  });
});
