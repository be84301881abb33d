// The installed Amplify's English texts, as source (the package's exports do not reach this file).
import amplifyTexts from '../node_modules/@aws-amplify/ui-react-liveness/dist/esm/components/FaceLivenessDetector/displayText.mjs?raw';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AwsMountOptions } from '../src/aws-mode/api';
import pins from '../liveness-assets.json';

/** Props the fake FaceLivenessDetectorCore was rendered with, latest last. */
const rendered = vi.hoisted(() => [] as Record<string, unknown>[]);

// The AWS bundle's code without Amplify itself (TF.js, WebAssembly and a camera are out of reach in jsdom).
vi.mock('@aws-amplify/ui-react-liveness', () => ({
  FaceLivenessDetectorCore: (props: Record<string, unknown>) => {
    rendered.push(props);
    return <div data-testid="amplify" />;
  },
}));

const { createAwsLivenessApi } = await import('../src/aws-bundle/api');
const { detectorError, faceModelUrl, wasmFolder } = await import('../src/aws-bundle/AwsDetector');
const { checkAssets, runtimeFiles } = await import('../src/aws-bundle/assets');
const { ptBRDisplayText } = await import('../src/aws-bundle/displayText');
const { shadowCss } = await import('../src/aws-bundle/styles');

const ASSETS = 'http://127.0.0.1:4200/liveness/liveness-assets/';

/** Mount options whose callbacks are mocks, kept apart (`calls`) so that they are not read off the object. */
function options(patch: Partial<AwsMountOptions> = {}) {
  const calls = {
    credentialProvider: vi.fn(() =>
      Promise.resolve({ accessKeyId: 'a', secretAccessKey: 's', sessionToken: 't', expiration: new Date(Date.now() + 900_000) }),
    ),
    onComplete: vi.fn(),
    onError: vi.fn(),
    onCancel: vi.fn(),
  };
  const value: AwsMountOptions = {
    sessionId: 'session-1',
    region: 'us-east-1',
    lang: 'pt-BR',
    assetsUrl: ASSETS,
    ...calls,
    ...patch,
  };
  return { value, calls };
}

const last = () => rendered[rendered.length - 1];
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

afterEach(() => {
  rendered.length = 0;
  document.body.replaceChildren();
});

describe('the AWS bundle\'s detector', () => {
  it('gives Amplify the app\'s own assets, the kiosk camera and credentials, and no start screen', async () => {
    const api = createAwsLivenessApi('test', ':root { --x: 1 }', { fetch: vi.fn(), digest: vi.fn(), simd: vi.fn() });
    const container = document.body.appendChild(document.createElement('div'));
    const { value: opts, calls } = options({ cameraId: 'cam-front' });
    const handle = api.mount(container, opts);
    await vi.waitFor(() => expect(rendered.length).toBeGreaterThan(0));
    const props = last();
    expect(props).toMatchObject({ sessionId: 'session-1', region: 'us-east-1', disableStartScreen: true });
    const config = props.config as { binaryPath: string; faceModelUrl: string; deviceId: string; credentialProvider: () => Promise<unknown> };
    expect(config.binaryPath).toBe(`${ASSETS}tfjs-backend-wasm/`);
    expect(config.binaryPath).toBe(wasmFolder(ASSETS));
    expect(config.faceModelUrl).toBe(`${ASSETS}face-detection-short/facemesh-detection-short.json`);
    expect(config.faceModelUrl).toBe(faceModelUrl(ASSETS));
    expect(config.deviceId).toBe('cam-front');
    expect(config).not.toHaveProperty('endpointOverride');
    await config.credentialProvider();
    expect(calls.credentialProvider).toHaveBeenCalledTimes(1);
    expect(props.displayText).toBe(ptBRDisplayText);

    // Inside a shadow root of the container, with Amplify's styles there (not on the page).
    expect(container.shadowRoot?.querySelector('[data-testid="amplify"]')).not.toBeNull();
    expect(document.querySelector('[data-testid="amplify"]')).toBeNull();

    handle.update({ ...opts, lang: 'en' });
    await vi.waitFor(() => expect(last().displayText).toBeUndefined());
    handle.unmount();
    await flush();
    expect(container.shadowRoot?.querySelector('[data-testid="amplify"]')).toBeNull();
  });

  it('gives Amplify the aws-endpoint as its endpointOverride', async () => {
    const api = createAwsLivenessApi('test', '', { fetch: vi.fn(), digest: vi.fn(), simd: vi.fn() });
    const { value: opts } = options({ endpoint: 'wss://vpce-0abc.streaming-rekognition.us-east-1.vpce.amazonaws.com' });
    api.mount(document.body.appendChild(document.createElement('div')), opts);
    await vi.waitFor(() => expect(rendered.length).toBeGreaterThan(0));
    expect((last().config as { endpointOverride?: string }).endpointOverride).toBe(
      'wss://vpce-0abc.streaming-rekognition.us-east-1.vpce.amazonaws.com',
    );
  });

  it('passes Amplify\'s callbacks on, its errors reduced to state, name and message', async () => {
    const api = createAwsLivenessApi('test', '', { fetch: vi.fn(), digest: vi.fn(), simd: vi.fn() });
    const { value: opts, calls } = options();
    api.mount(document.body.appendChild(document.createElement('div')), opts);
    await vi.waitFor(() => expect(rendered.length).toBeGreaterThan(0));
    const props = last() as {
      onError: (e: unknown) => void;
      onAnalysisComplete: () => Promise<void>;
      onUserCancel: () => void;
    };
    const error = Object.assign(new Error('Websocket connection timeout'), { extra: 'X-Amz-Security-Token=t' });
    props.onError({ state: 'CONNECTION_TIMEOUT', error });
    expect(calls.onError).toHaveBeenCalledWith({ state: 'CONNECTION_TIMEOUT', name: 'Error', message: 'Websocket connection timeout' });
    await props.onAnalysisComplete();
    expect(calls.onComplete).toHaveBeenCalledTimes(1);
    props.onUserCancel();
    expect(calls.onCancel).toHaveBeenCalledTimes(1);
  });

  it('reads the message of errors, service exceptions and strings', () => {
    expect(detectorError({ state: 'SERVER_ERROR', error: { Message: 'mock internal error' } as unknown as Error })).toEqual({
      state: 'SERVER_ERROR',
      name: '',
      message: 'mock internal error',
    });
    const signature = Object.assign(new Error('Signature expired'), { name: 'InvalidSignatureException' });
    expect(detectorError({ state: 'SERVER_ERROR', error: signature })).toEqual({
      state: 'SERVER_ERROR',
      name: 'InvalidSignatureException',
      message: 'Signature expired',
    });
    expect(detectorError({ state: 'RUNTIME_ERROR', error: 'boom' as unknown as Error }).message).toBe('boom');
    expect(detectorError({ state: 'RUNTIME_ERROR', error: undefined as unknown as Error })).toEqual({ state: 'RUNTIME_ERROR', name: '', message: '' });
  });

  it('stops the camera of its video when unmounted', () => {
    const api = createAwsLivenessApi('test', '', { fetch: vi.fn(), digest: vi.fn(), simd: vi.fn() });
    const container = document.body.appendChild(document.createElement('div'));
    const handle = api.mount(container, options().value);
    const video = document.createElement('video');
    const track = { stop: vi.fn() };
    Object.defineProperty(video, 'srcObject', { value: { getTracks: () => [track] }, writable: true });
    container.shadowRoot!.querySelector('[data-part="amplify-detector"]')!.append(video);
    handle.unmount();
    expect(track.stop).toHaveBeenCalledTimes(1);
    handle.unmount();
    expect(track.stop).toHaveBeenCalledTimes(1);
  });
});

describe('Amplify\'s styles in the shadow root', () => {
  it('declares the theme on :host instead of :root', () => {
    const css = shadowCss(':root, [data-amplify-theme] { --amplify-colors-red: red; }\nhtml { font-size: 1px }');
    expect(css).toContain(':host, [data-amplify-theme] { --amplify-colors-red: red; }');
    expect(css).not.toContain(':root');
  });

  it('puts the stylesheet in the shadow root only, once', async () => {
    const api = createAwsLivenessApi('test', ':root { --amplify-test: 1 }', { fetch: vi.fn(), digest: vi.fn(), simd: vi.fn() });
    const container = document.body.appendChild(document.createElement('div'));
    api.mount(container, options().value).unmount();
    api.mount(container, options().value);
    await flush();
    const shadow = container.shadowRoot!;
    const sheets = (shadow.adoptedStyleSheets ?? []).length + shadow.querySelectorAll('style').length;
    expect(sheets).toBe(1);
    expect(document.head.querySelectorAll('style')).toHaveLength(0);
  });
});

describe('the pt-BR texts of Amplify', () => {
  it('translate every text of the installed Amplify version', () => {
    const english: Record<string, string> = Object.fromEntries(
      [...amplifyTexts.matchAll(/^ {4}(\w+): ['"](.*)['"],$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(Object.keys(english).length).toBeGreaterThan(50);
    expect(Object.keys(ptBRDisplayText).sort()).toEqual(Object.keys(english).sort());
    for (const [key, text] of Object.entries(ptBRDisplayText)) {
      expect(text.trim().length, key).toBeGreaterThan(0);
      expect(text, key).not.toBe(english[key]);
    }
    expect(ptBRDisplayText.hintConnectingText).toBe('Conectando…');
    expect(ptBRDisplayText.hintTooFarText).toBe('Aproxime-se');
  });
});

describe('checkAssets', () => {
  const files = Object.fromEntries(
    pins.files.map((file) => [file.path, { bytes: file.bytes, sha256: file.sha256 }]),
  );
  /** A server of the pinned files (zeros of the pinned size), and a digest that answers each one's pin. */
  function fakeServer(patch: Record<string, { status?: number; bytes?: number; sha256?: string }> = {}, base = ASSETS) {
    const fetch = vi.fn((url: string) => {
      const path = url.slice(base.length);
      const file = { ...files[path], ...patch[path] };
      if (!files[path] || (patch[path]?.status ?? 200) !== 200) return Promise.resolve(new Response('', { status: patch[path]?.status ?? 404 }));
      const body = new Uint8Array(file.bytes);
      body[0] = path.length;
      return Promise.resolve(new Response(body));
    });
    const digest = vi.fn((bytes: ArrayBuffer) => {
      const path = Object.keys(files).find((p) => p.length === new Uint8Array(bytes)[0] && files[p].bytes === bytes.byteLength);
      return Promise.resolve(path ? (patch[path]?.sha256 ?? files[path].sha256) : 'unknown');
    });
    return { fetch, digest };
  }

  it('fetches the WebAssembly build TF.js will pick, the model and its weights, and checks each pin', async () => {
    const server = fakeServer();
    await checkAssets(`${ASSETS}`, { ...server, simd: () => Promise.resolve(true) });
    expect(server.fetch.mock.calls.map(([url]) => url).sort()).toEqual([
      `${ASSETS}face-detection-short/facemesh-detection-short.bin`,
      `${ASSETS}face-detection-short/facemesh-detection-short.json`,
      `${ASSETS}tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm`,
    ]);
    expect(server.digest).toHaveBeenCalledTimes(3);
    // Passed once: later checks of the folder answer at once.
    await checkAssets(`${ASSETS}`, { ...server, simd: () => Promise.resolve(true) });
    expect(server.fetch).toHaveBeenCalledTimes(3);
    expect(runtimeFiles(false)[0].path).toBe('tfjs-backend-wasm/tfjs-backend-wasm.wasm');
  });

  it('names the first missing, truncated or altered file, and checks again next time', async () => {
    const simd = () => Promise.resolve(false);
    const base = 'http://127.0.0.1:4200/broken/liveness-assets/';
    const missing = fakeServer({ 'face-detection-short/facemesh-detection-short.json': { status: 404 } }, base);
    await expect(checkAssets(base, { ...missing, simd })).rejects.toThrow('face-detection-short/facemesh-detection-short.json: HTTP 404');
    const truncated = fakeServer({ 'tfjs-backend-wasm/tfjs-backend-wasm.wasm': { bytes: 10 } }, base);
    await expect(checkAssets(base, { ...truncated, simd })).rejects.toThrow('tfjs-backend-wasm/tfjs-backend-wasm.wasm: 10 bytes');
    const altered = fakeServer({ 'face-detection-short/facemesh-detection-short.bin': { sha256: 'f'.repeat(64) } }, base);
    await expect(checkAssets(base, { ...altered, simd })).rejects.toThrow('facemesh-detection-short.bin: sha256 ffff');
    const fixed = fakeServer({}, base);
    await checkAssets(base, { ...fixed, simd });
    expect(fixed.fetch).toHaveBeenCalledTimes(3);
  });
});
