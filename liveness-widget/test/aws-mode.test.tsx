import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { LivenessCredentials } from '../../ui/src/app/ipc/bindings/LivenessCredentials';
import type { AwsDetectorHandle, AwsLivenessApi, AwsMountOptions } from '../src/aws-mode/api';
import { defaultEnvironment, environment } from '../src/environment';
import type { TauriInternals } from '../src/transport';
import '../src/main';
import type { LivenessSessionRequest, RequestSession } from '../src/session';
import { deferred, rejected } from './fakes';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const SESSION = '5f0c9b3e-8a41-4c7e-9d2a-1b6e3f7a9c01';
const BASE = 'http://127.0.0.1:4200/liveness/';
const credentials: LivenessCredentials = {
  accessKeyId: 'ASIAFAKEUNIT',
  secretAccessKey: 'unit-secret-must-not-leak',
  sessionToken: 'unit-token-must-not-leak',
  expiration: new Date(NOW + 15 * 60_000).toISOString(),
  region: 'sa-east-1',
};

/** A fake AWS bundle: records each mount and its handle. */
function fakeBundle() {
  const mounts: { container: HTMLElement; options: AwsMountOptions; update: Mock; unmount: Mock }[] = [];
  const checkAssets = vi.fn((assetsUrl: string) => {
    void assetsUrl;
    return Promise.resolve();
  });
  const mountDetector = vi.fn((container: HTMLElement, options: AwsMountOptions): AwsDetectorHandle => {
    const handle = { update: vi.fn(), unmount: vi.fn() };
    mounts.push({ container, options, ...handle });
    return handle;
  });
  const api: AwsLivenessApi = { version: 'test', checkAssets, mount: mountDetector };
  const load = vi.fn((base: string) => {
    void base;
    return Promise.resolve(api);
  });
  environment.awsBundle = load;
  return { mounts, load, checkAssets, mountDetector, last: () => mounts[mounts.length - 1] };
}

/** A fake Tauri IPC that records the commands and answers liveness_credentials with `answer()`. */
function fakeIpc(answer: () => Promise<LivenessCredentials> = () => Promise.resolve(credentials)) {
  const commands: string[] = [];
  const invoke = (cmd: string) => {
    commands.push(cmd);
    return cmd === 'liveness_credentials' ? answer() : rejected({ code: 'internal', detail: `no command ${cmd}` });
  };
  window.__TAURI_INTERNALS__ = { invoke } as unknown as TauriInternals;
  return commands;
}

function mount(attributes: Record<string, string>) {
  const element = document.createElement('face-liveness-widget');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  document.body.append(element);
  const events: { type: string; detail: unknown }[] = [];
  for (const type of ['liveness-complete', 'liveness-error', 'liveness-cancel', 'camera-ready', 'camera-error']) {
    element.addEventListener(type, (event) => events.push({ type, detail: (event as CustomEvent).detail }));
  }
  return { element, events };
}

const awsAttributes = { provider: 'aws', 'session-id': SESSION, 'asset-base': BASE };
const root = (element: Element) => element.querySelector<HTMLElement>('[data-provider="aws"]')!;
const stateOf = (element: Element) => root(element)?.getAttribute('data-state');
const banner = (element: Element) => element.querySelector('[role="status"]')?.textContent;
const action = (element: Element, name: string) => element.querySelector<HTMLButtonElement>(`button[data-action="${name}"]`);
const waitForState = (element: Element, state: string) => vi.waitFor(() => expect(stateOf(element)).toBe(state));

/** Mounts the AWS mode, presses start and waits for the detector. */
async function started(attributes: Record<string, string> = {}) {
  const widget = mount({ ...awsAttributes, ...attributes });
  await waitForState(widget.element, 'intro');
  action(widget.element, 'start')!.click();
  await waitForState(widget.element, 'capture');
  return widget;
}

const getUserMedia = vi.fn();

beforeEach(() => {
  environment.wallClock = () => NOW;
  Object.defineProperty(navigator, 'mediaDevices', { value: { getUserMedia }, configurable: true });
});

afterEach(() => {
  document.body.replaceChildren();
  Object.assign(environment, defaultEnvironment);
  delete window.__TAURI_INTERNALS__;
  getUserMedia.mockReset();
  Object.defineProperty(navigator, 'mediaDevices', { value: undefined, configurable: true });
});

describe('AWS mode', () => {
  it('shows the kiosk intro, preloads the bundle, and asks for nothing before start', async () => {
    const bundle = fakeBundle();
    const commands = fakeIpc();
    const { element, events } = mount({ ...awsAttributes, lang: 'en' });
    await waitForState(element, 'intro');
    await vi.waitFor(() => expect(bundle.load).toHaveBeenCalledWith(BASE));
    expect(root(element).getAttribute('lang')).toBe('en');
    expect(banner(element)).toBe('Press “Start” when you are ready.');
    expect(element.querySelector('[data-part="photosensitivity-warning"]')).not.toBeNull();
    expect(action(element, 'start')).not.toBeNull();
    expect(action(element, 'staff-instead')).not.toBeNull();
    expect(commands).toEqual([]);
    expect(bundle.mountDetector).not.toHaveBeenCalled();
    // The AWS detector opens the camera itself, only after start.
    expect(getUserMedia).not.toHaveBeenCalled();
    expect(events).toEqual([]);
  });

  it('mounts the detector with the session, the credentials\' region and the app\'s assets; credentials once', async () => {
    const bundle = fakeBundle();
    const commands = fakeIpc();
    const { element } = await started({ 'camera-id': 'cam-front' });
    expect(commands).toEqual(['liveness_credentials']);
    expect(bundle.checkAssets).toHaveBeenCalledWith(`${BASE}liveness-assets/`);
    const { container, options } = bundle.last();
    expect(container).toBe(element.querySelector('[data-part="aws-detector"]'));
    expect(options).toMatchObject({
      sessionId: SESSION,
      region: 'sa-east-1',
      lang: 'pt-BR',
      cameraId: 'cam-front',
      assetsUrl: `${BASE}liveness-assets/`,
    });
    expect(root(element).getAttribute('data-attempt')).toBe('1');
    expect(container.style.display).toBe('block');

    // Amplify's credential provider: the cached credentials, expiration as a Date, no new command.
    const first = await options.credentialProvider();
    await options.credentialProvider();
    expect(first).toEqual({
      accessKeyId: 'ASIAFAKEUNIT',
      secretAccessKey: 'unit-secret-must-not-leak',
      sessionToken: 'unit-token-must-not-leak',
      expiration: new Date(credentials.expiration),
    });
    expect(commands).toEqual(['liveness_credentials']);
  });

  it('shows its own error for an unreachable service, and retry remounts with the cached credentials', async () => {
    const bundle = fakeBundle();
    const commands = fakeIpc();
    const { element, events } = await started();
    const firstMount = bundle.last();
    firstMount.options.onError({ state: 'CONNECTION_TIMEOUT', name: 'Error', message: 'Websocket connection timeout' });
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('aws-unreachable');
    const message = 'Não foi possível conectar ao serviço de verificação. Tente novamente em instantes ou chame um funcionário.';
    expect(banner(element)).toBe(message);
    expect(events).toEqual([{ type: 'liveness-error', detail: { code: 'aws-unreachable', message } }]);
    expect(firstMount.unmount).toHaveBeenCalledTimes(1);
    expect(action(element, 'retry')).not.toBeNull();
    expect(action(element, 'call-staff')).not.toBeNull();

    action(element, 'retry')!.click();
    await waitForState(element, 'capture');
    expect(bundle.mounts).toHaveLength(2);
    expect(root(element).getAttribute('data-attempt')).toBe('2');
    expect(bundle.last().options.sessionId).toBe(SESSION);
    expect(commands).toEqual(['liveness_credentials']);

    // A callback of the first detector, arriving late, changes nothing.
    firstMount.options.onError({ state: 'SERVER_ERROR', name: 'Error', message: 'late' });
    expect(stateOf(element)).toBe('capture');
  });

  it('fetches credentials again for a retry when they expire within a minute', async () => {
    const bundle = fakeBundle();
    let now = NOW;
    environment.wallClock = () => now;
    const commands = fakeIpc(() => Promise.resolve({ ...credentials, expiration: new Date(now + 15 * 60_000).toISOString() }));
    const { element } = await started();
    bundle.last().options.onError({ state: 'TIMEOUT', name: 'TIMEOUT', message: 'Client timed out waiting for face to match oval.' });
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('aws-timeout');
    now = NOW + 14.5 * 60_000;
    action(element, 'retry')!.click();
    await waitForState(element, 'capture');
    expect(commands).toEqual(['liveness_credentials', 'liveness_credentials']);
  });

  it('reports the analysis as liveness-complete with the session, no scores, and forgets the credentials', async () => {
    const bundle = fakeBundle();
    const commands = fakeIpc();
    const { element, events } = await started();
    bundle.last().options.onComplete();
    await waitForState(element, 'processing');
    expect(events).toEqual([{ type: 'liveness-complete', detail: { provider: 'aws', sessionId: SESSION } }]);
    expect(bundle.last().unmount).toHaveBeenCalled();
    expect(element.querySelector('button')).toBeNull();
    // The credentials are gone: a provider call now would ask the command again.
    await bundle.last().options.credentialProvider();
    expect(commands).toEqual(['liveness_credentials', 'liveness_credentials']);
  });

  it('turns Amplify\'s cancel and the kiosk\'s cancel into liveness-cancel', async () => {
    const bundle = fakeBundle();
    fakeIpc();
    const first = await started();
    bundle.last().options.onCancel();
    await waitForState(first.element, 'cancelled');
    expect(first.events).toEqual([{ type: 'liveness-cancel', detail: { reason: 'user' } }]);

    const second = await started();
    action(second.element, 'cancel')!.click();
    await waitForState(second.element, 'cancelled');
    expect(bundle.last().unmount).toHaveBeenCalled();
    expect(second.events).toEqual([{ type: 'liveness-cancel', detail: { reason: 'user' } }]);

    const third = mount(awsAttributes);
    await waitForState(third.element, 'intro');
    action(third.element, 'staff-instead')!.click();
    expect(third.events).toEqual([{ type: 'liveness-cancel', detail: { reason: 'photosensitivity' } }]);
  });

  it('sends the customer to staff when the AWS bundle cannot be loaded', async () => {
    environment.awsBundle = vi.fn(() => Promise.reject(new Error(`could not load ${BASE}face-liveness-aws.js`)));
    const commands = fakeIpc();
    const { element, events } = mount(awsAttributes);
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('provider-unavailable');
    expect(banner(element)).toContain('“aws” não está disponível');
    expect(action(element, 'retry')).toBeNull();
    expect(action(element, 'call-staff')).not.toBeNull();
    expect(events.map((e) => (e.detail as { code: string }).code)).toEqual(['provider-unavailable']);
    void commands;
  });

  it('needs to know where the bundle is: without asset-base or a script URL it is unavailable', async () => {
    const bundle = fakeBundle();
    const commands = fakeIpc();
    const { element } = mount({ provider: 'aws', 'session-id': SESSION });
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('provider-unavailable');
    expect(bundle.load).not.toHaveBeenCalled();
    expect(commands).toEqual([]);
  });

  it('refuses to start the detector on a missing or altered asset', async () => {
    const bundle = fakeBundle();
    fakeIpc();
    bundle.checkAssets.mockRejectedValue(new Error('face-detection-short/facemesh-detection-short.bin: sha256 00…'));
    const { element } = mount(awsAttributes);
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('aws-assets');
    expect(banner(element)).toBe('Faltam arquivos da verificação de rosto neste quiosque. Chame um funcionário.');
    expect(action(element, 'retry')).toBeNull();
    expect(bundle.mountDetector).not.toHaveBeenCalled();
  });

  it('maps a failed credentials command, and tries it again on retry', async () => {
    const bundle = fakeBundle();
    let answer: () => Promise<LivenessCredentials> = () => rejected({ code: 'aws', detail: '[aws-unreachable] sts: dispatch failure' });
    const commands = fakeIpc(() => answer());
    const { element } = mount(awsAttributes);
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('aws-unreachable');
    expect(bundle.mountDetector).not.toHaveBeenCalled();

    answer = () => rejected({ code: 'invalidInput', detail: 'liveness credentials exist only on the AWS backend' });
    action(element, 'retry')!.click();
    await vi.waitFor(() => expect(root(element).getAttribute('data-error')).toBe('aws-credentials'));
    expect(commands).toEqual(['liveness_credentials', 'liveness_credentials']);
  });

  it('reports a failure of the detector\'s credential provider as that failure', async () => {
    const bundle = fakeBundle();
    let now = NOW;
    environment.wallClock = () => now;
    let fail = false;
    fakeIpc(() => (fail ? rejected({ code: 'aws', detail: '[aws-clock-skew] RequestExpired' }) : Promise.resolve(credentials)));
    const { element } = await started();
    fail = true;
    now = NOW + 14.5 * 60_000;
    const { options } = bundle.last();
    await expect(options.credentialProvider()).rejects.toBeTruthy();
    options.onError({ state: 'RUNTIME_ERROR', name: 'Error', message: 'credentials' });
    await waitForState(element, 'error');
    expect(root(element).getAttribute('data-error')).toBe('clock-skew');
    expect(action(element, 'retry')).toBeNull();
  });

  it('mounts a new detector for a new session-id, and only updates the texts for a new lang', async () => {
    const bundle = fakeBundle();
    const commands = fakeIpc();
    const { element } = await started();
    element.setAttribute('lang', 'en');
    await vi.waitFor(() => expect(bundle.last().update).toHaveBeenCalledWith(expect.objectContaining({ lang: 'en' })));
    expect(bundle.mounts).toHaveLength(1);

    element.setAttribute('session-id', 'second-session');
    await vi.waitFor(() => expect(bundle.mounts).toHaveLength(2));
    expect(bundle.mounts[0].unmount).toHaveBeenCalled();
    expect(bundle.last().options).toMatchObject({ sessionId: 'second-session', lang: 'en' });
    await waitForState(element, 'capture');
    expect(root(element).getAttribute('data-attempt')).toBe('2');
    expect(commands).toEqual(['liveness_credentials']);
  });

  it('prepares the detector for the latest session-id when it changes during opening', async () => {
    const bundle = fakeBundle();
    const answer = deferred<LivenessCredentials>();
    const commands = fakeIpc(() => answer.promise);
    const { element } = mount(awsAttributes);
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'opening');
    element.setAttribute('session-id', 'newer-session');
    await new Promise((resolve) => setTimeout(resolve, 10));
    answer.resolve(credentials);
    await waitForState(element, 'capture');
    expect(bundle.mounts.map((m) => m.options.sessionId)).toEqual(['newer-session']);
    expect(commands).toEqual(['liveness_credentials']);
  });

  it('gives the detector the aws-endpoint, normalised; without it, no endpoint (the region\'s public one)', async () => {
    const bundle = fakeBundle();
    fakeIpc();
    await started();
    expect(bundle.last().options).not.toHaveProperty('endpoint');

    const { element } = await started({ 'aws-endpoint': 'wss://Liveness.Bank.Example:8443/' });
    expect(bundle.last().options.endpoint).toBe('wss://liveness.bank.example:8443');

    // A new endpoint while the detector runs mounts a new one.
    element.setAttribute('aws-endpoint', 'wss://liveness-fips.bank.example');
    await vi.waitFor(() => expect(bundle.mounts).toHaveLength(3));
    expect(bundle.last().options.endpoint).toBe('wss://liveness-fips.bank.example');
  });

  it('refuses an aws-endpoint that is not a wss: origin, before asking for credentials', async () => {
    for (const value of ['https://streaming-rekognition.us-east-1.amazonaws.com', 'wss://host.example/start-face-liveness-session-websocket', 'not a url']) {
      document.body.replaceChildren();
      const bundle = fakeBundle();
      const commands = fakeIpc();
      const { element, events } = mount({ ...awsAttributes, 'aws-endpoint': value });
      await waitForState(element, 'intro');
      action(element, 'start')!.click();
      await waitForState(element, 'error');
      expect(root(element).getAttribute('data-error'), value).toBe('aws-endpoint-invalid');
      const message = 'O endereço do serviço de verificação configurado neste quiosque é inválido. Chame um funcionário.';
      expect(banner(element)).toBe(message);
      expect(events).toEqual([{ type: 'liveness-error', detail: { code: 'aws-endpoint-invalid', message } }]);
      expect(action(element, 'retry')).toBeNull();
      expect(action(element, 'call-staff')).not.toBeNull();
      expect(commands).toEqual([]);
      expect(bundle.mountDetector).not.toHaveBeenCalled();
    }
  });

  it('needs a session-id', async () => {
    const bundle = fakeBundle();
    fakeIpc();
    const { element, events } = mount({ provider: 'aws', 'asset-base': BASE });
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'error');
    expect(events.map((e) => (e.detail as { code: string }).code)).toEqual(['unknown-session']);
    expect(bundle.mountDetector).not.toHaveBeenCalled();
  });

  describe('with the requestSession hook', () => {
    /** Mounts the AWS mode without a session-id, with `hook` as the element's requestSession property. */
    function mountHooked(hook: RequestSession, attributes: Record<string, string> = {}) {
      const widget = mount({ provider: 'aws', 'asset-base': BASE, ...attributes });
      (widget.element as HTMLElement & { requestSession?: RequestSession }).requestSession = hook;
      return widget;
    }

    it('asks for a session on start, not before, and runs the detector on it', async () => {
      const bundle = fakeBundle();
      const commands = fakeIpc();
      const hook = vi.fn((request: LivenessSessionRequest) => {
        void request;
        return Promise.resolve({ sessionId: 'hook-1', region: 'us-east-1' });
      });
      const { element } = mountHooked(hook, { lang: 'en' });
      await waitForState(element, 'intro');
      expect(hook).not.toHaveBeenCalled();
      action(element, 'start')!.click();
      await waitForState(element, 'capture');
      expect(hook).toHaveBeenCalledTimes(1);
      expect(hook).toHaveBeenCalledWith({ provider: 'aws', attempt: 1, lang: 'en', challenge: 'movement-and-light' });
      // The session's own region wins over the credentials'.
      expect(bundle.last().options).toMatchObject({ sessionId: 'hook-1', region: 'us-east-1' });
      expect(commands).toEqual(['liveness_credentials']);
    });

    it('asks the host for a movement-only session when the customer checks without flashing colours', async () => {
      fakeBundle();
      fakeIpc();
      const hook = vi.fn((request: LivenessSessionRequest) => {
        void request;
        return Promise.resolve({ sessionId: 'hook-2', region: 'us-east-1' });
      });
      const { element } = mountHooked(hook, { lang: 'pt-BR' });
      await waitForState(element, 'intro');
      action(element, 'no-flash')!.click();
      await waitForState(element, 'capture');
      expect(hook).toHaveBeenCalledWith({ provider: 'aws', attempt: 1, lang: 'pt-BR', challenge: 'movement' });
    });

    it('asks for a new session for the retry after a streaming error: a new detector on a new id', async () => {
      const bundle = fakeBundle();
      fakeIpc();
      let n = 0;
      const hook = vi.fn(() => Promise.resolve({ sessionId: `hook-${++n}` }));
      const { element, events } = mountHooked(hook);
      await waitForState(element, 'intro');
      action(element, 'start')!.click();
      await waitForState(element, 'capture');
      const first = bundle.last();
      expect(first.options.sessionId).toBe('hook-1');
      // The stream broke (the service closed it): Rekognition refuses a second stream on hook-1.
      first.options.onError({ state: 'SERVER_ERROR', name: 'InternalServerException', message: 'stream closed' });
      await waitForState(element, 'error');
      expect(root(element).getAttribute('data-error')).toBe('aws-service');

      action(element, 'retry')!.click();
      await waitForState(element, 'capture');
      expect(hook).toHaveBeenCalledTimes(2);
      expect(hook.mock.calls[1]).toEqual([{ provider: 'aws', attempt: 2, lang: 'pt-BR', challenge: 'movement-and-light' }]);
      expect(bundle.mounts).toHaveLength(2);
      expect(bundle.last().options.sessionId).toBe('hook-2');
      expect(root(element).getAttribute('data-attempt')).toBe('2');

      bundle.last().options.onComplete();
      await waitForState(element, 'processing');
      expect(events.at(-1)).toEqual({ type: 'liveness-complete', detail: { provider: 'aws', sessionId: 'hook-2' } });
    });

    it('ends with the staff path when the kiosk refuses: too many failed attempts', async () => {
      const bundle = fakeBundle();
      fakeIpc();
      const hook = vi.fn(() => rejected<{ sessionId: string }>({ code: 'visit', detail: '[too-many-attempts] retry in 130000 ms' }));
      const { element, events } = mountHooked(hook);
      await waitForState(element, 'intro');
      action(element, 'start')!.click();
      await waitForState(element, 'error');
      expect(root(element).getAttribute('data-error')).toBe('too-many-attempts');
      const message = 'Foram muitas tentativas sem sucesso neste quiosque (5 em 3 minutos). Por favor, chame um atendente.';
      expect(banner(element)).toBe(message);
      expect(events).toEqual([{ type: 'liveness-error', detail: { code: 'too-many-attempts', message } }]);
      // No retry: the customer calls staff or cancels.
      expect(action(element, 'retry')).toBeNull();
      expect(action(element, 'call-staff')).not.toBeNull();
      expect(bundle.mountDetector).not.toHaveBeenCalled();
    });

    it('uses credentials that come with the session instead of asking the command', async () => {
      const bundle = fakeBundle();
      const commands = fakeIpc();
      const hook = () => Promise.resolve({ sessionId: 'web-1', credentials: { ...credentials, region: 'eu-west-1' } });
      const { element } = mountHooked(hook);
      await waitForState(element, 'intro');
      action(element, 'start')!.click();
      await waitForState(element, 'capture');
      expect(commands).toEqual([]);
      expect(bundle.last().options).toMatchObject({ sessionId: 'web-1', region: 'eu-west-1' });
      expect(await bundle.last().options.credentialProvider()).toMatchObject({ accessKeyId: 'ASIAFAKEUNIT' });
    });

    it('keeps its session when session-id changes: the hook gives the sessions', async () => {
      const bundle = fakeBundle();
      fakeIpc();
      const { element } = mountHooked(() => Promise.resolve({ sessionId: 'hook-1' }), { 'session-id': SESSION });
      await waitForState(element, 'intro');
      action(element, 'start')!.click();
      await waitForState(element, 'capture');
      expect(bundle.last().options.sessionId).toBe('hook-1');
      element.setAttribute('session-id', 'another');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(bundle.mounts).toHaveLength(1);
    });
  });

  it('stops the detector when the element is removed, and ignores answers that come after', async () => {
    const bundle = fakeBundle();
    const answer = deferred<LivenessCredentials>();
    fakeIpc(() => answer.promise);
    const { element, events } = mount(awsAttributes);
    await waitForState(element, 'intro');
    action(element, 'start')!.click();
    await waitForState(element, 'opening');
    expect(element.querySelector('[data-part="spinner"]')).not.toBeNull();
    element.remove();
    answer.resolve(credentials);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(bundle.mountDetector).not.toHaveBeenCalled();
    expect(events).toEqual([]);
  });

  it('never puts a credential in the DOM or an event', async () => {
    const bundle = fakeBundle();
    fakeIpc();
    const { element, events } = await started();
    await bundle.last().options.credentialProvider();
    bundle.last().options.onError({ state: 'SERVER_ERROR', name: 'InvalidSignatureException', message: 'X-Amz-Security-Token=unit-token-must-not-leak' });
    await waitForState(element, 'error');
    const everything = document.body.innerHTML + JSON.stringify(events);
    for (const secret of ['unit-secret-must-not-leak', 'unit-token-must-not-leak']) expect(everything).not.toContain(secret);
  });
});
