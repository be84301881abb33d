import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LivenessFrameFeedback } from '../../ui/src/app/ipc/bindings/LivenessFrameFeedback';
import type { LivenessSummary } from '../../ui/src/app/ipc/bindings/LivenessSummary';
import type { LivenessCancelDetail, LivenessCompleteDetail, LivenessErrorDetail } from '../src/controller';
import { defaultEnvironment, environment } from '../src/environment';
import type { TauriInternals } from '../src/transport';
import '../src/main';
import type { LivenessSessionRequest, RequestSession } from '../src/session';
import { challenge, FakeClock, fakeGrabber, feedback, rejected, sessionInfo, summary } from './fakes';

/** A video track that records stop(), with the settings a camera reports. */
class FakeTrack extends EventTarget {
  readonly kind = 'video';
  stop = vi.fn();
  constructor(private readonly settings: MediaTrackSettings = { width: 1280, height: 720, frameRate: 30 }) {
    super();
  }
  getSettings = () => this.settings;
}

function fakeStream(track = new FakeTrack()) {
  return { getTracks: () => [track], getVideoTracks: () => [track] } as unknown as MediaStream;
}

const getUserMedia = vi.fn<(constraints: MediaStreamConstraints) => Promise<MediaStream>>();
const enumerateDevices = vi.fn(() => Promise.resolve([{ kind: 'videoinput' }] as MediaDeviceInfo[]));

interface FrameCall {
  at: number;
  body: Uint8Array;
  headers: Record<string, string>;
}

/**
 * A scripted engine behind a fake `__TAURI_INTERNALS__.invoke`, played like the real one: 3 frames to fit the
 * small oval, 3 to come closer (the answers then name the large oval), then flashing: each colour revealed in the
 * answer to the first frame that arrives once the one before has had its duration, on the engine's clock; after
 * the last, the usual shade for 100 ms (the real engine: 350 ms), then complete.
 */
function fakeEngine(clock: FakeClock, outcome: LivenessSummary = summary()) {
  const frames: FrameCall[] = [];
  const commands: [string, unknown][] = [];
  /** What the engine revealed, when (null: the end of the colours). */
  const reveals: { at: number; colour: string | null }[] = [];
  const engine = {
    frames,
    commands,
    reveals,
    start: vi.fn(() => Promise.resolve(sessionInfo)),
    finish: vi.fn(() => Promise.resolve(outcome)),
    frame(): Promise<LivenessFrameFeedback> {
      const n = frames.length;
      const large = { oval: challenge.largeOval };
      if (n < 3) return Promise.resolve(feedback({ guidance: n < 2 ? 'too-far' : 'hold-still', message: 'Encaixe o rosto no oval' }));
      if (n < 6) return Promise.resolve(feedback({ phase: 'move-closer', guidance: 'move-closer', message: 'Aproxime-se', progress: 0.3, ...large }));
      const now = clock.now();
      const shown = reveals.length;
      const last = reveals.at(-1);
      if (!last) {
        reveals.push({ at: now, colour: challenge.flashes[0].colour });
      } else if (last.colour === null) {
        if (now - last.at >= 100) {
          return Promise.resolve(feedback({ phase: 'complete', guidance: 'done', message: 'Pronto', progress: 1, ...large }));
        }
      } else if (now - last.at >= challenge.flashes[shown - 1].durationMs) {
        reveals.push({ at: now, colour: challenge.flashes[shown]?.colour ?? null });
      }
      const current = challenge.flashes.find((f) => f.colour === reveals.at(-1)?.colour);
      const flash = current ? { colour: current.colour, css: current.css } : null;
      return Promise.resolve(feedback({ phase: 'flashing', guidance: 'hold-still', message: 'Não se mexa', progress: 0.7, flash, ...large }));
    },
  };
  const invoke = (cmd: string, args?: unknown, options?: { headers: Record<string, string> }) => {
    commands.push([cmd, args]);
    switch (cmd) {
      case 'liveness_start':
        return engine.start();
      case 'liveness_session':
        return Promise.resolve(sessionInfo);
      case 'liveness_frame': {
        const headers = options?.headers ?? {};
        const answer = engine.frame();
        frames.push({ at: clock.now(), body: args as Uint8Array, headers });
        return answer;
      }
      case 'liveness_finish':
        return engine.finish();
      default:
        return rejected({ code: 'internal', detail: `no command ${cmd}` });
    }
  };
  window.__TAURI_INTERNALS__ = { invoke } as unknown as TauriInternals;
  return engine;
}

let clock: FakeClock;

function mount(attributes: Record<string, string> = {}) {
  const element = document.createElement('face-liveness-widget');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  document.body.append(element);
  return element;
}

/** Every event of these types dispatched on the element, in order. */
function record(element: Element) {
  const events: { type: string; detail: unknown }[] = [];
  for (const type of ['liveness-complete', 'liveness-error', 'liveness-cancel', 'camera-ready', 'camera-error']) {
    element.addEventListener(type, (event) => events.push({ type, detail: (event as CustomEvent).detail }));
  }
  return events;
}

const root = (element: Element) => element.querySelector<HTMLElement>('[data-state]')!;
const stateOf = (element: Element) => root(element)?.getAttribute('data-state');
const banner = (element: Element) => element.querySelector('[role="status"][aria-live="polite"]')?.textContent;
const action = (element: Element, name: string) => element.querySelector<HTMLButtonElement>(`button[data-action="${name}"]`);
const waitForState = (element: Element, state: string) => vi.waitFor(() => expect(stateOf(element)).toBe(state));

/** Mounts, waits for the live camera, presses start and waits for the countdown. */
async function startFlow(attributes: Record<string, string> = {}) {
  const element = mount(attributes);
  const events = record(element);
  await vi.waitFor(() => expect(events.some((e) => e.type === 'camera-ready')).toBe(true));
  await waitForState(element, 'intro');
  action(element, 'start')!.click();
  return { element, events };
}

beforeEach(() => {
  clock = new FakeClock();
  environment.clock = clock;
  environment.grabber = (_video, shown, c) => fakeGrabber(c, shown);
  getUserMedia.mockImplementation(() => Promise.resolve(fakeStream()));
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia, enumerateDevices }, configurable: true });
});

afterEach(() => {
  document.body.replaceChildren();
  Object.assign(environment, defaultEnvironment);
  getUserMedia.mockReset();
  delete window.__TAURI_INTERNALS__;
  vi.unstubAllGlobals();
  Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });
});

describe('local liveness capture', () => {
  it('walks intro → countdown → capture → flash → processing → result and dispatches liveness-complete', async () => {
    const engine = fakeEngine(clock);
    const { element, events } = await startFlow();

    await waitForState(element, 'countdown');
    expect(engine.start).toHaveBeenCalledTimes(1);
    expect(engine.commands[0]).toEqual(['liveness_start', { lang: 'pt-BR', auditImages: 2, challenge: 'movement-and-light' }]);
    expect(element.querySelector('[data-part="countdown"]')?.textContent).toBe('3');
    // The small oval, mirrored: centre x 0.4 in camera coordinates is 1 - 0.4 of the preview's width.
    const small = element.querySelector('ellipse[data-oval="small"]')!;
    expect(Number(small.getAttribute('cx'))).toBeCloseTo(0.6 * 1280);
    expect(Number(small.getAttribute('cy'))).toBeCloseTo(0.5 * 720);
    expect(Number(small.getAttribute('rx'))).toBeCloseTo((0.25 * 1280 * 1.1) / 2);
    expect(Number(small.getAttribute('ry'))).toBeCloseTo(((0.25 * 1280 * 1.1) / 2) * 1.3);
    await clock.advance(1000);
    await vi.waitFor(() => expect(element.querySelector('[data-part="countdown"]')?.textContent).toBe('2'));
    await clock.advance(1000);
    expect(engine.frames).toHaveLength(0);

    await clock.advance(1000);
    await waitForState(element, 'capture');
    await clock.advance(100);
    // Frames go as raw bytes with the session header.
    expect(engine.frames[0].body).toBeInstanceOf(Uint8Array);
    expect(engine.frames[0].headers['x-liveness-session']).toBe('session-1');
    expect(engine.frames[0].headers['x-camera']).toBe('Fake%20Camera');
    await vi.waitFor(() => expect(root(element).getAttribute('data-phase')).toBe('move-closer'));
    // The large oval as the engine's answer names it (the session start told only the small one).
    const large = element.querySelector('ellipse[data-oval="large"]')!;
    expect(Number(large.getAttribute('rx'))).toBeCloseTo((0.5 * 1280 * 1.1) / 2);
    expect(Number(large.getAttribute('cx'))).toBeCloseTo(0.6 * 1280);
    // The instruction shows once, in the status under the preview, never over the oval.
    expect(element.querySelector('[data-part="prompt"]')).toBeNull();
    expect(banner(element)).toBe('Aproxime-se');
    expect(root(element).getAttribute('data-guidance')).toBe('move-closer');
    expect(element.querySelector('[role="progressbar"]')?.getAttribute('aria-valuenow')).toBe('30');

    await clock.advance(100);
    await waitForState(element, 'flash');
    // The colour fills everything around the oval.
    await vi.waitFor(() => expect(root(element).getAttribute('data-flash')).toBe('red'));
    expect(element.querySelector('[data-part="surround"]')?.getAttribute('fill')).toBe('#ff0000');
    expect(root(element).style.background).toMatch(/#ff0000|rgb\(255, 0, 0\)/);
    expect(banner(element)).toBe('Não se mexa');

    await clock.advance(1500);
    await vi.waitFor(() => expect(events.some((e) => e.type === 'liveness-complete')).toBe(true));
    await waitForState(element, 'result');
    expect(banner(element)).toBe('Verificação concluída');
    expect(engine.finish).toHaveBeenCalledTimes(1);
    expect(engine.commands.at(-1)).toEqual(['liveness_finish', { sessionId: 'session-1', lang: 'pt-BR' }]);
    const detail = events.find((e) => e.type === 'liveness-complete')!.detail as LivenessCompleteDetail;
    expect(detail).toMatchObject({ ...summary(), fps: expect.any(Number) as number });
    expect(detail.fps).toBeGreaterThan(15);
    expect(root(element).getAttribute('data-fps')).toMatch(/^\d+\.\d$/);
    // No cancel button once there is a result; the camera is off.
    expect(action(element, 'cancel')).toBeNull();
    const frames = engine.frames.length;
    await clock.advance(1000);
    expect(engine.frames).toHaveLength(frames);
  });

  it('labels each frame with the colour on screen when it was captured', async () => {
    const engine = fakeEngine(clock);
    const { element } = await startFlow();
    await waitForState(element, 'countdown');
    await clock.advance(3000);
    await clock.advance(3000);
    await vi.waitFor(() => expect(stateOf(element)).toBe('result'));

    // Each colour is on screen two animation frames (32 ms) after the answer that revealed it.
    expect(engine.reveals.map((r) => r.colour)).toEqual(['red', 'green', 'blue', null]);
    const expected = (t: number): string => engine.reveals.filter((r) => t >= r.at + 32).at(-1)?.colour ?? 'none';
    const labelled = engine.frames.map((f) => [Number(f.headers['x-capture-ms']), f.headers['x-shown-colour']] as const);
    for (const [t, shown] of labelled) expect(shown, `frame at ${t}`).toBe(expected(t));
    const sequence = labelled.map(([, shown]) => shown).filter((s, i, all) => s !== all[i - 1]);
    expect(sequence).toEqual(['none', 'red', 'green', 'blue', 'none']);
    // Each colour stays until the engine names the next one: at least its duration, at most a frame more.
    for (const [i, flash] of challenge.flashes.entries()) {
      const onScreen = engine.reveals[i + 1].at - engine.reveals[i].at;
      expect(onScreen).toBeGreaterThanOrEqual(flash.durationMs);
      expect(onScreen).toBeLessThanOrEqual(flash.durationMs + 34);
      const count = labelled.filter(([, shown]) => shown === flash.colour).length;
      expect(Math.abs(count - onScreen / 33)).toBeLessThanOrEqual(1.5);
    }
  });

  it('shows the too-many-attempts message without a retry', async () => {
    const engine = fakeEngine(clock);
    engine.start.mockImplementation(() =>
      rejected({ code: 'liveness', detail: '[too-many-attempts] too many failed liveness attempts; retry in 60000 ms' }),
    );
    const { element, events } = await startFlow();
    await waitForState(element, 'error');
    expect(banner(element)).toBe('Foram muitas tentativas sem sucesso neste quiosque (5 em 3 minutos). Por favor, chame um atendente.');
    expect(root(element).getAttribute('data-error')).toBe('too-many-attempts');
    expect(events.find((e) => e.type === 'liveness-error')?.detail).toEqual({
      code: 'too-many-attempts',
      message: 'Foram muitas tentativas sem sucesso neste quiosque (5 em 3 minutos). Por favor, chame um atendente.',
    } satisfies LivenessErrorDetail);
    expect(action(element, 'retry')).toBeNull();
    expect(action(element, 'call-staff')?.textContent).toBe('Chamar um funcionário');
    expect(action(element, 'cancel')).not.toBeNull();
  });

  it('says it in English', async () => {
    const engine = fakeEngine(clock);
    engine.start.mockImplementation(() => rejected({ code: 'liveness', detail: '[too-many-attempts] x' }));
    const element = mount({ lang: 'en' });
    await waitForState(element, 'intro');
    expect(action(element, 'start')?.textContent).toBe('Start');
    expect(action(element, 'start')?.getAttribute('aria-label')).toBe('Start the face check');
    expect(action(element, 'staff-instead')?.textContent).toBe("I'd rather be helped by staff");
    expect(element.querySelector('[data-part="photosensitivity-warning"]')?.textContent).toMatch(/flash colours/);
    action(element, 'start')!.click();
    await waitForState(element, 'error');
    expect(banner(element)).toBe('There have been too many unsuccessful attempts on this kiosk (5 in 3 minutes). Please ask a member of staff.');
  });

  it('lets the customer ask for staff instead of the flashing screen', async () => {
    fakeEngine(clock);
    const track = new FakeTrack();
    getUserMedia.mockResolvedValue(fakeStream(track));
    const element = mount();
    const events = record(element);
    await waitForState(element, 'intro');
    expect(element.querySelector('[data-part="photosensitivity-warning"]')?.textContent).toContain('A tela vai piscar em cores');
    const staff = action(element, 'staff-instead')!;
    expect(staff.textContent).toBe('Prefiro ser atendido por um funcionário');
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalled());
    staff.click();
    await waitForState(element, 'cancelled');
    expect(events.filter((e) => e.type === 'liveness-cancel').map((e) => e.detail)).toEqual([
      { reason: 'photosensitivity' } satisfies LivenessCancelDetail,
    ]);
    await vi.waitFor(() => expect(track.stop).toHaveBeenCalled());
    expect(window.__TAURI_INTERNALS__).toBeDefined();
  });

  it('offers the check without flashing colours: a movement-only session, kept for the retry', async () => {
    const failed = summary({ status: 'FAILED', failure: 'movement-too-fast', message: 'Não deu certo.', attemptsLeft: 3 });
    const engine = fakeEngine(clock, failed);
    const element = mount();
    const instructions: { id: string; text: string }[] = [];
    element.addEventListener('liveness-instruction', (event) => instructions.push((event as CustomEvent<{ id: string; text: string }>).detail));
    await waitForState(element, 'intro');
    expect(element.querySelector('[data-part="photosensitivity-warning"]')?.textContent).toContain('sem cores piscando');
    const noFlash = action(element, 'no-flash')!;
    expect(noFlash.textContent).toBe('Verificar sem cores piscando');
    expect(action(element, 'start')!.dataset['keypad']).toBe('confirm');
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalled());
    noFlash.click();
    await waitForState(element, 'countdown');
    expect(engine.commands[0]).toEqual(['liveness_start', { lang: 'pt-BR', auditImages: 2, challenge: 'movement' }]);
    await clock.advance(6000);
    await waitForState(element, 'result');
    action(element, 'retry')!.click();
    await waitForState(element, 'countdown');
    expect(engine.commands.filter(([cmd]) => cmd === 'liveness_start').map(([, args]) => (args as { challenge: string }).challenge)).toEqual([
      'movement',
      'movement',
    ]);
    // Each new instruction on the banner went to the host for spoken guidance, never twice in a row.
    const ids = instructions.map((i) => i.id);
    expect(ids).toContain('capture.move-closer');
    expect(ids.every((id, n) => n === 0 || id !== ids[n - 1] || instructions[n].text !== instructions[n - 1].text)).toBe(true);
    expect(instructions.find((i) => i.id === 'capture.move-closer')?.text).toBe('Aproxime-se');
  });

  it('leaves out the check without flashing colours when the host says no-flash="off"', async () => {
    fakeEngine(clock);
    const element = mount({ 'no-flash': 'off' });
    await waitForState(element, 'intro');
    expect(action(element, 'start')).not.toBeNull();
    expect(action(element, 'no-flash')).toBeNull();
  });

  it('cancels during capture: liveness-cancel, camera off, no more frames', async () => {
    const engine = fakeEngine(clock);
    const track = new FakeTrack();
    getUserMedia.mockResolvedValue(fakeStream(track));
    const { element, events } = await startFlow();
    await waitForState(element, 'countdown');
    await clock.advance(3100);
    await waitForState(element, 'capture');
    action(element, 'cancel')!.click();
    await waitForState(element, 'cancelled');
    expect(events.find((e) => e.type === 'liveness-cancel')?.detail).toEqual({ reason: 'user' });
    expect(track.stop).toHaveBeenCalled();
    const sent = engine.frames.length;
    await clock.advance(2000);
    expect(engine.frames).toHaveLength(sent);
    expect(engine.finish).not.toHaveBeenCalled();
  });

  it('offers a retry after a failure while attempts remain, without an event, and starts a fresh session', async () => {
    const failed = summary({ status: 'FAILED', failure: 'movement-too-fast', message: 'Você se mexeu rápido demais.', attemptsLeft: 3 });
    const engine = fakeEngine(clock, failed);
    const { element, events } = await startFlow();
    await waitForState(element, 'countdown');
    await clock.advance(6000);
    await waitForState(element, 'result');
    expect(banner(element)).toBe('Você se mexeu rápido demais.');
    expect(element.querySelector('[data-part="result-detail"]')?.textContent).toBe('Restam 3 tentativas.');
    expect(root(element).getAttribute('data-result')).toBe('FAILED');
    expect(events.some((e) => e.type === 'liveness-complete')).toBe(false);
    action(element, 'retry')!.click();
    await waitForState(element, 'countdown');
    expect(engine.start).toHaveBeenCalledTimes(2);
  });

  it('makes a failure final when the customer calls staff instead of trying again', async () => {
    const failed = summary({ status: 'FAILED', failure: 'movement-too-fast', message: 'Você se mexeu rápido demais.', attemptsLeft: 2 });
    fakeEngine(clock, failed);
    const { element, events } = await startFlow();
    await waitForState(element, 'countdown');
    await clock.advance(6000);
    await waitForState(element, 'result');
    action(element, 'call-staff')!.click();
    await vi.waitFor(() => expect(events.some((e) => e.type === 'liveness-complete')).toBe(true));
    expect(events.find((e) => e.type === 'liveness-complete')?.detail).toMatchObject(failed);
    expect(events.some((e) => e.type === 'liveness-cancel')).toBe(false);
    await vi.waitFor(() => expect(action(element, 'retry')).toBeNull());
  });

  it('ends with liveness-complete when a failure leaves no attempts', async () => {
    const failed = summary({ status: 'EXPIRED', failure: 'expired', message: null, attemptsLeft: 0 });
    fakeEngine(clock, failed);
    const { element, events } = await startFlow();
    await waitForState(element, 'countdown');
    await clock.advance(6000);
    await waitForState(element, 'result');
    expect(events.find((e) => e.type === 'liveness-complete')?.detail).toMatchObject(failed);
    expect(banner(element)).toBe('Não foi possível concluir a verificação.');
    expect(element.querySelector('[data-part="result-detail"]')?.textContent).toBe('Não há mais tentativas agora. Chame um funcionário.');
    expect(action(element, 'retry')).toBeNull();
  });

  it('with a host session, plays its challenge and leaves the failure to the host', async () => {
    const failed = summary({ status: 'FAILED', failure: 'no-colour-response', message: 'Não deu certo.', attemptsLeft: 3 });
    const engine = fakeEngine(clock, failed);
    const { element, events } = await startFlow({ 'session-id': 'host-7' });
    await waitForState(element, 'countdown');
    expect(engine.commands[0]).toEqual(['liveness_session', { sessionId: 'host-7' }]);
    expect(engine.start).not.toHaveBeenCalled();
    await clock.advance(6000);
    await waitForState(element, 'result');
    expect(action(element, 'retry')).toBeNull();
    expect(events.find((e) => e.type === 'liveness-complete')?.detail).toMatchObject(failed);
  });

  describe('with the requestSession hook', () => {
    /** Mounts with `hook` as the element's requestSession property, waits for the camera, presses start. */
    async function startHooked(hook: RequestSession, attributes: Record<string, string> = {}) {
      const element = mount(attributes);
      (element as HTMLElement & { requestSession?: RequestSession }).requestSession = hook;
      const events = record(element);
      await vi.waitFor(() => expect(events.some((e) => e.type === 'camera-ready')).toBe(true));
      await waitForState(element, 'intro');
      action(element, 'start')!.click();
      return { element, events };
    }

    it('asks the host for a session on start and again for its own retry, each played as the host\'s', async () => {
      const failed = summary({ status: 'FAILED', failure: 'no-colour-response', message: 'Não deu certo.', attemptsLeft: 3 });
      const engine = fakeEngine(clock, failed);
      let n = 0;
      const hook = vi.fn((request: LivenessSessionRequest) => {
        void request;
        return Promise.resolve({ sessionId: `visit-session-${++n}`, provider: 'local', region: null });
      });
      // A static session-id is ignored while the hook is set.
      const { element, events } = await startHooked(hook, { 'session-id': 'host-7' });
      await waitForState(element, 'countdown');
      expect(hook).toHaveBeenCalledWith({ provider: 'local', attempt: 1, lang: 'pt-BR', challenge: 'movement-and-light' });
      expect(engine.commands[0]).toEqual(['liveness_session', { sessionId: 'visit-session-1' }]);
      expect(engine.start).not.toHaveBeenCalled();
      await clock.advance(6000);
      await waitForState(element, 'result');
      // Every attempt has its own session, so the widget offers the retry itself.
      expect(element.querySelector('[data-part="result-detail"]')?.textContent).toBe('Restam 3 tentativas.');
      expect(events.some((e) => e.type === 'liveness-complete')).toBe(false);
      action(element, 'retry')!.click();
      await waitForState(element, 'countdown');
      expect(hook).toHaveBeenCalledTimes(2);
      expect(hook.mock.calls[1]).toEqual([{ provider: 'local', attempt: 2, lang: 'pt-BR', challenge: 'movement-and-light' }]);
      expect(engine.commands.filter(([cmd]) => cmd === 'liveness_session')).toEqual([
        ['liveness_session', { sessionId: 'visit-session-1' }],
        ['liveness_session', { sessionId: 'visit-session-2' }],
      ]);
      expect(engine.start).not.toHaveBeenCalled();
    });

    it('shows the staff path when the host refuses with too-many-attempts', async () => {
      const engine = fakeEngine(clock);
      const hook = vi.fn(() =>
        rejected<{ sessionId: string }>({ code: 'visit', detail: '[too-many-attempts] too many failed liveness attempts' }),
      );
      const { element, events } = await startHooked(hook, { lang: 'en' });
      await waitForState(element, 'error');
      expect(root(element).getAttribute('data-error')).toBe('too-many-attempts');
      expect(banner(element)).toBe(
        'There have been too many unsuccessful attempts on this kiosk (5 in 3 minutes). Please ask a member of staff.',
      );
      expect(events.filter((e) => e.type === 'liveness-error').map((e) => (e.detail as LivenessErrorDetail).code)).toEqual([
        'too-many-attempts',
      ]);
      expect(action(element, 'retry')).toBeNull();
      expect(action(element, 'call-staff')).not.toBeNull();
      expect(engine.commands).toEqual([]);
    });

    it('retries on a new session after a session refusal that would end a fixed host session', async () => {
      const engine = fakeEngine(clock);
      // The engine no longer knows the first session (it expired before the customer started).
      const tauri = window.__TAURI_INTERNALS__!;
      let described = 0;
      window.__TAURI_INTERNALS__ = {
        invoke: <T,>(cmd: string, args?: Record<string, unknown>, options?: { headers: Record<string, string> }): Promise<T> =>
          cmd === 'liveness_session' && described++ === 0
            ? rejected<T>({ code: 'liveness', detail: '[expired] session expired' })
            : tauri.invoke<T>(cmd, args, options),
      };
      let n = 0;
      const hook = vi.fn(() => Promise.resolve({ sessionId: `s-${++n}` }));
      const { element } = await startHooked(hook);
      await waitForState(element, 'error');
      expect(root(element).getAttribute('data-error')).toBe('expired');
      action(element, 'retry')!.click();
      await waitForState(element, 'countdown');
      expect(hook).toHaveBeenCalledTimes(2);
      expect(engine.commands.at(-1)).toEqual(['liveness_session', { sessionId: 's-2' }]);
    });
  });

  it('finishes the session when it expires before the challenge is done', async () => {
    const expired = summary({ status: 'EXPIRED', failure: 'expired', message: 'O tempo acabou.', attemptsLeft: 0 });
    const engine = fakeEngine(clock, expired);
    engine.start.mockImplementation(() => Promise.resolve({ ...sessionInfo, expiresInMs: 2000 }));
    const { element, events } = await startFlow();
    await waitForState(element, 'countdown');
    await clock.advance(2000);
    await waitForState(element, 'result');
    expect(engine.finish).toHaveBeenCalledTimes(1);
    expect(engine.frames).toHaveLength(0);
    expect(banner(element)).toBe('O tempo acabou.');
    expect(events.find((e) => e.type === 'liveness-complete')?.detail).toMatchObject({ status: 'EXPIRED' });
  });

  it('talks to the HTTP bridge when engine-url is set, with bridge-token on every request', async () => {
    const fetcher = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>((url) => {
      const body = url.endsWith('/liveness/sessions') ? sessionInfo : feedback();
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200 }));
    });
    vi.stubGlobal('fetch', fetcher);
    const token = 'ab'.repeat(32);
    const { element } = await startFlow({ 'engine-url': 'http://127.0.0.1:7777/', 'bridge-token': token, 'audit-images': '9', lang: 'en' });
    await waitForState(element, 'countdown');
    await clock.advance(3100);
    await vi.waitFor(() => expect(fetcher.mock.calls.some(([url]) => url.endsWith('/liveness/frames'))).toBe(true));
    const [url, init] = fetcher.mock.calls[0];
    expect(url).toBe('http://127.0.0.1:7777/liveness/sessions');
    expect(init?.body).toBe('{"locale":"en","auditImagesLimit":4,"challenge":"movement-and-light"}');
    const frame = fetcher.mock.calls.find(([u]) => u.endsWith('/liveness/frames'))![1]!;
    expect((frame.headers as Record<string, string>)['content-type']).toBe('image/jpeg');
    expect(frame.body).toBeInstanceOf(ArrayBuffer);
    for (const [, sent] of fetcher.mock.calls) expect((sent?.headers as Record<string, string>).authorization).toBe(`Bearer ${token}`);
    // The token is not rendered.
    expect(element.outerHTML.replace(`bridge-token="${token}"`, '')).not.toContain(token);
  });

  it('shows engine-unavailable when the bridge refuses the token', async () => {
    const fetcher = vi.fn<(url: string, init?: RequestInit) => Promise<Response>>(() =>
      Promise.resolve(
        new Response(JSON.stringify({ code: 'invalidInput', detail: '[bridge-unauthorized] missing or wrong bearer token' }), { status: 401 }),
      ),
    );
    vi.stubGlobal('fetch', fetcher);
    const { element, events } = await startFlow({ 'engine-url': 'http://127.0.0.1:7777', 'bridge-token': 'wrong' });
    await waitForState(element, 'error');
    expect(events.find((e) => e.type === 'liveness-error')?.detail).toMatchObject({ code: 'engine-unavailable' });
    expect(action(element, 'retry')).toBeNull();
  });

  it('shows engine-unavailable without engine-url outside Tauri', async () => {
    const { element, events } = await startFlow();
    await waitForState(element, 'error');
    expect(events.find((e) => e.type === 'liveness-error')?.detail).toMatchObject({ code: 'engine-unavailable' });
    expect(banner(element)).toBe('O serviço de verificação não está disponível neste quiosque. Chame um funcionário.');
  });

  it('refuses a camera below 640x480 at 15 fps, saying what it gives', async () => {
    fakeEngine(clock);
    getUserMedia.mockResolvedValue(fakeStream(new FakeTrack({ width: 320, height: 240, frameRate: 10 })));
    const element = mount({ lang: 'en' });
    const events = record(element);
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('camera-too-weak');
    expect(banner(element)).toContain('640x480 at 15 frames per second');
    expect(banner(element)).toContain('320x240, 10 fps');
    expect(events.find((e) => e.type === 'liveness-error')?.detail).toMatchObject({ code: 'camera-too-weak' });
    expect(action(element, 'retry')).toBeNull();
  });

  it('asks for at least 15 fps', async () => {
    fakeEngine(clock);
    mount({ 'camera-id': 'cam-9' });
    await vi.waitFor(() => expect(getUserMedia).toHaveBeenCalled());
    expect(getUserMedia.mock.calls[0][0].video).toEqual({
      deviceId: { exact: 'cam-9' },
      width: { ideal: 1280 },
      height: { ideal: 720 },
      frameRate: { ideal: 30, min: 15 },
    });
  });

  it('skips a bad frame and ends on another refusal with the error state', async () => {
    const engine = fakeEngine(clock);
    let calls = 0;
    const frame = engine.frame.bind(engine);
    engine.frame = () => {
      calls++;
      if (calls === 1) return rejected({ code: 'liveness', detail: '[bad-frame] undecodable' });
      if (calls === 4) return rejected({ code: 'liveness', detail: '[expired] session expired' });
      return frame();
    };
    const { element, events } = await startFlow({ lang: 'en' });
    await waitForState(element, 'countdown');
    await clock.advance(3500);
    await waitForState(element, 'error');
    expect(events.filter((e) => e.type === 'liveness-error').map((e) => (e.detail as LivenessErrorDetail).code)).toEqual(['expired']);
    expect(banner(element)).toBe('The check ran out of time. Please try again.');
    expect(action(element, 'retry')).not.toBeNull();
  });

  it('does not offer providers it has no mode for', async () => {
    const errors: unknown[] = [];
    const listener = (event: Event) => errors.push((event as CustomEvent).detail);
    document.addEventListener('liveness-error', listener);
    const element = mount({ provider: 'azure' });
    await waitForState(element, 'error');
    document.removeEventListener('liveness-error', listener);
    expect(banner(element)).toContain('“azure” não está disponível nesta versão');
    expect(errors).toEqual([{ code: 'provider-unavailable', message: banner(element) }]);
    expect(getUserMedia).not.toHaveBeenCalled();
    expect(action(element, 'start')).toBeNull();
    expect(action(element, 'retry')).toBeNull();
    expect(action(element, 'cancel')).not.toBeNull();
  });
});
