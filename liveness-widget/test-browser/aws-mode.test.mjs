// The AWS mode end to end in headless Chromium: the main bundle loads face-liveness-aws.js on demand, the
// Amplify detector runs with the app's own assets under a kiosk-like CSP, the fake Tauri IPC answers the
// credentials command, and every host name but 127.0.0.1 fails DNS resolution, so the Rekognition stream cannot
// connect: the kiosk's own "unreachable" error must appear, and nothing may have been requested from anywhere
// else (no CDN, no telemetry). Screenshots and metrics go to test-results/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const results = join(root, 'test-results');
const chromiumPath = '/usr/bin/chromium';
const region = 'us-east-1';
const streamingHost = `streaming-rekognition.${region}.amazonaws.com`;
const sessionId = '5f0c9b3e-8a41-4c7e-9d2a-1b6e3f7a9c01';
const csp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  `connect-src 'self' wss://${streamingHost}`,
  "media-src 'self' blob: mediastream:",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
].join('; ');
const unreachablePtBr = 'Não foi possível conectar ao serviço de verificação. Tente novamente em instantes ou chame um funcionário.';
/** The fake credentials' secret parts (fixtures/aws-host.js): they must never reach the DOM, an event or the console. */
const secrets = ['fake-secret-kiosk-test-must-not-leak', 'fake-session-token-kiosk-test-must-not-leak'];
const assetFiles = [
  'tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm',
  'face-detection-short/facemesh-detection-short.json',
  'face-detection-short/facemesh-detection-short.bin',
];

for (const [path, how] of [
  [join(dist, 'face-liveness-widget.js'), 'run "npm run build"'],
  [join(dist, 'face-liveness-aws.js'), 'run "npm run build"'],
  [join(dist, 'liveness-assets', assetFiles[2]), 'run "npm run build"'],
  [chromiumPath, 'install the Debian package "chromium"'],
]) {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${how}.`);
}

const types = /** @type {Record<string, string>} */ ({
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
});

/**
 * The file the test server answers `path` with: the host page and its script, and dist/ under /liveness/ (as the
 * kiosk's Angular build lays it out).
 * @param {string} path
 */
function fileFor(path) {
  if (path === '/') return join(import.meta.dirname, 'fixtures', 'aws-host.html');
  if (path === '/aws-host.js') return join(import.meta.dirname, 'fixtures', 'aws-host.js');
  if (!path.startsWith('/liveness/')) return null;
  const file = normalize(join(dist, decodeURIComponent(path.slice('/liveness/'.length))));
  return file.startsWith(dist) ? file : null;
}

const workDir = mkdtempSync(join(tmpdir(), 'liveness-aws-'));
/** @type {import('node:http').Server} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('playwright-core').Page} */ let page;
/** @type {string} */ let origin;
/** Every request, WebSocket and failure the page attempted (URLs without their query: a signed URL carries a token). */
const seen = /** @type {{ requests: string[], failed: string[], websockets: string[], served: string[], console: string[] }} */ ({
  requests: [],
  failed: [],
  websockets: [],
  served: [],
  console: [],
});
const metrics = /** @type {Record<string, unknown>} */ ({});
const stripQuery = (/** @type {string} */ url) => url.split('?')[0];

before(async () => {
  const video = join(workDir, 'camera.y4m');
  try {
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '2',
      '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', video]);
  } catch (error) {
    throw new Error('ffmpeg could not make the fake camera video (install the Debian package "ffmpeg")', { cause: error });
  }

  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = fileFor(path);
    seen.served.push(path);
    if (!file || !existsSync(file)) {
      response.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Security-Policy': csp });
      return response.end('not found');
    }
    response.writeHead(200, {
      'Content-Type': types[extname(file)] ?? 'application/octet-stream',
      'Content-Security-Policy': csp,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    response.end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      // Nothing can leave the machine: every host name but 127.0.0.1 fails DNS resolution.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    ],
  });
  page = await browser.newPage({ viewport: { width: 800, height: 1000 } });
  page.on('request', (request) => seen.requests.push(stripQuery(request.url())));
  page.on('requestfailed', (request) => seen.failed.push(`${stripQuery(request.url())} ${request.failure()?.errorText}`));
  page.on('websocket', (socket) => seen.websockets.push(stripQuery(socket.url())));
  page.on('console', (message) => seen.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => seen.console.push(`pageerror: ${error.message}`));
  const response = await page.goto(`${origin}/`);
  assert.equal(response?.headers()['content-security-policy'], csp);
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

const widget = () => page.locator('face-liveness-widget');
const widgetRoot = () => page.locator('face-liveness-widget [data-provider="aws"]');
/** @param {string} state */
const waitForState = (state, timeout = 15_000) =>
  page.waitForFunction((s) => document.querySelector('face-liveness-widget [data-provider="aws"]')?.getAttribute('data-state') === s, state, {
    timeout,
  });
/** Text of the detector (in its open shadow root). */
const detectorText = () =>
  page.evaluate(() => document.querySelector('face-liveness-widget [data-part="aws-detector"]')?.shadowRoot?.textContent ?? '');

test('the main bundle holds no Amplify and loads the AWS bundle only for provider="aws"', async () => {
  const main = readFileSync(join(dist, 'face-liveness-widget.js'), 'utf8');
  assert.ok(main.length < 256 * 1024, `the main bundle is ${main.length} bytes`);
  assert.ok(!/FaceLivenessDetector|tfjs/.test(main), 'Amplify or TF.js in the main bundle');
  assert.equal(await page.evaluate(() => window.inlineScriptRan), undefined, 'the CSP must block inline scripts');
  assert.equal(await page.evaluate(() => typeof customElements.get('face-liveness-widget')), 'function');
  assert.ok(!seen.requests.some((url) => url.endsWith('/face-liveness-aws.js')), 'no AWS bundle before provider="aws"');

  await page.evaluate((id) => {
    const element = document.createElement('face-liveness-widget');
    element.setAttribute('provider', 'aws');
    element.setAttribute('session-id', id);
    element.setAttribute('lang', 'pt-BR');
    document.body.append(element);
  }, sessionId);
  await waitForState('intro');
  // Preloaded from the folder of the main bundle's own script, while the customer reads the intro.
  await page.waitForFunction(() => typeof window.DayFusionAwsLiveness?.mount === 'function', undefined, { timeout: 15_000 });
  assert.ok(seen.requests.includes(`${origin}/liveness/face-liveness-aws.js`), seen.requests.join('\n'));
  assert.deepEqual(await page.evaluate(() => window.invokes), [], 'no credentials before "start"');
  assert.equal(await widgetRoot().getAttribute('lang'), 'pt-BR');
  assert.equal(await widget().locator('[role="status"]').textContent(), 'Toque em “Começar” quando estiver pronto.');
  mkdirSync(results, { recursive: true });
  await page.screenshot({ path: join(results, 'aws-start.png') });
});

test('offline, the detector shows "Conectando…" and then the kiosk\'s own aws-unreachable error', async () => {
  const started = Date.now();
  await widget().locator('button[data-action="start"]').click();
  await waitForState('capture');
  const mountedAt = Date.now();
  await page.waitForFunction(
    () => document.querySelector('face-liveness-widget [data-part="aws-detector"]')?.shadowRoot?.textContent?.includes('Conectando…'),
    undefined,
    { timeout: 15_000 },
  );
  assert.equal(await widgetRoot().getAttribute('data-attempt'), '1');
  await page.screenshot({ path: join(results, 'aws-connecting.png') });

  await waitForState('error', 40_000);
  const failedAt = Date.now();
  assert.equal(await widgetRoot().getAttribute('data-error'), 'aws-unreachable');
  const banner = await widget().locator('[role="status"]').textContent();
  assert.equal(banner, unreachablePtBr);
  const events = await page.evaluate(() => window.livenessEvents);
  assert.deepEqual(
    events.map(({ type, detail }) => ({ type, detail })),
    [{ type: 'liveness-error', detail: { code: 'aws-unreachable', message: unreachablePtBr } }],
  );
  assert.ok(await widget().locator('button[data-action="retry"]').isVisible());
  assert.ok(await widget().locator('button[data-action="call-staff"]').isVisible());
  assert.equal(await detectorText(), '', 'the detector is unmounted on error');
  await page.screenshot({ path: join(results, 'aws-error.png') });

  assert.deepEqual(await page.evaluate(() => window.invokes), ['liveness_credentials']);
  metrics.startToDetectorMs = mountedAt - started;
  metrics.startToErrorMs = failedAt - started;
  metrics.startToErrorEventMs = /** @type {number} */ (events[0].at) - started;
});

test('the runtime files come from the app, and nothing but the Rekognition stream is asked of another host', async () => {
  for (const file of assetFiles) {
    assert.ok(seen.requests.includes(`${origin}/liveness/liveness-assets/${file}`), `${file} was not requested:\n${seen.requests.join('\n')}`);
    assert.ok(seen.served.includes(`/liveness/liveness-assets/${file}`), `${file} did not reach the test server`);
  }
  const foreign = seen.requests.filter((url) => new URL(url).hostname !== '127.0.0.1');
  assert.deepEqual(foreign, [], 'HTTP requests to other hosts');
  assert.ok(seen.websockets.length >= 1, 'the detector tried to stream');
  for (const url of seen.websockets) {
    const { protocol, hostname, pathname } = new URL(url);
    assert.deepEqual({ protocol, hostname, pathname }, { protocol: 'wss:', hostname: streamingHost, pathname: '/start-face-liveness-session-websocket' });
  }
  assert.deepEqual(seen.failed, [], 'failed requests');
  assert.deepEqual(await page.evaluate(() => window.cspViolations), ['script-src-elem inline']);
  assert.ok(!seen.served.some((path) => path.endsWith('-threaded-simd.wasm')), 'the threaded build is never loaded');
});

test('retry mounts a new detector with the cached credentials; no credential reaches the page', async () => {
  const retried = Date.now();
  await widget().locator('button[data-action="retry"]').click();
  await waitForState('capture');
  assert.equal(await widgetRoot().getAttribute('data-attempt'), '2');
  await page.waitForFunction(
    () => document.querySelector('face-liveness-widget [data-part="aws-detector"]')?.shadowRoot?.textContent?.includes('Conectando…'),
    undefined,
    { timeout: 15_000 },
  );
  const detectorHtml = await page.evaluate(
    () => document.querySelector('face-liveness-widget [data-part="aws-detector"]')?.shadowRoot?.innerHTML ?? '',
  );
  await waitForState('error', 40_000);
  metrics.retryToErrorMs = Date.now() - retried;
  assert.equal(await widgetRoot().getAttribute('data-error'), 'aws-unreachable');
  metrics.invokes = await page.evaluate(() => window.invokes);
  assert.deepEqual(metrics.invokes, ['liveness_credentials'], 'the retry reuses the credentials');
  assert.equal(seen.websockets.length, 2, seen.websockets.join('\n'));

  await widget().locator('button[data-action="call-staff"]').click();
  await waitForState('cancelled');
  const events = await page.evaluate(() => window.livenessEvents);
  assert.deepEqual(events.at(-1)?.detail, { reason: 'user' });

  // The page, the events and the console must not hold a credential. One exception, outside the widget's
  // control: Chromium itself logs a failed WebSocket with its URL, and the signed URL of the Rekognition stream
  // carries the session token (never the secret key). The kiosk must not forward the webview console to its logs.
  const dom = await page.evaluate(() => document.documentElement.outerHTML);
  const browserWebSocketReport = new RegExp(`^error: WebSocket connection to 'wss://${streamingHost.replaceAll('.', '\\.')}/`);
  const ours = seen.console.filter((line) => !browserWebSocketReport.test(line));
  metrics.browserLogsSignedWebSocketUrl = ours.length < seen.console.length;
  for (const [where, text] of [['DOM', dom], ['detector', detectorHtml], ['events', JSON.stringify(events)], ['console', ours.join('\n')]]) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `a credential reached the ${where}`);
  }
  assert.ok(!seen.console.join('\n').includes(secrets[0]), 'the secret key reached the console');
});

test('metrics', () => {
  const size = (/** @type {string} */ file) => {
    const bytes = readFileSync(join(dist, file));
    return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  };
  Object.assign(metrics, {
    mainBundle: size('face-liveness-widget.js'),
    awsBundle: size('face-liveness-aws.js'),
    assets: Object.fromEntries(assetFiles.map((file) => [file, size(join('liveness-assets', file)).raw])),
    requests: seen.requests.length,
    websockets: seen.websockets,
  });
  writeFileSync(join(results, 'aws-mode-metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(JSON.stringify(metrics, null, 2));
});
