// End-to-end test of dist/face-liveness-widget.js in headless Chromium with a fake camera, under a strict CSP.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const root = join(import.meta.dirname, '..');
const bundlePath = join(root, 'dist', 'face-liveness-widget.js');
const chromiumPath = '/usr/bin/chromium';
const screenshotPath = join(root, 'test-results', 'widget-preview.png');
const csp =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; media-src 'self' blob: mediastream:";

if (!existsSync(bundlePath)) throw new Error(`${bundlePath} is missing: run "npm run build" first.`);
if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: install the Debian package "chromium".`);

/** Files the test server answers with; everything else is a 404. */
const files = {
  '/': { type: 'text/html', body: readFileSync(join(import.meta.dirname, 'fixtures', 'host.html')) },
  '/host.js': { type: 'text/javascript', body: readFileSync(join(import.meta.dirname, 'fixtures', 'host.js')) },
  '/face-liveness-widget.js': { type: 'text/javascript', body: readFileSync(bundlePath) },
};

const workDir = mkdtempSync(join(tmpdir(), 'liveness-widget-'));
/** @type {import('node:http').Server} */
let server;
/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
/** @type {string} */
let origin;
/** @type {string[]} */
const requests = [];

before(async () => {
  const video = join(workDir, 'camera.y4m');
  try {
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-t', '2',
      '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', video]);
  } catch (error) {
    throw new Error('ffmpeg could not make the fake camera video (install the Debian package "ffmpeg")', { cause: error });
  }

  server = createServer((request, response) => {
    const file = files[/** @type {keyof typeof files} */ (request.url ?? '')];
    response.writeHead(file ? 200 : 404, { 'Content-Type': file?.type ?? 'text/plain', 'Content-Security-Policy': csp });
    response.end(file?.body ?? 'not found');
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
    ],
  });
  page = await browser.newPage({ viewport: { width: 800, height: 640 } });
  page.on('request', (request) => requests.push(request.url()));
  const response = await page.goto(`${origin}/`);
  assert.equal(response?.headers()['content-security-policy'], csp);
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/**
 * Adds a widget with these attributes and waits for its first camera event.
 * @param {Record<string, string>} attributes
 * @param {string} type `camera-ready` or `camera-error`
 */
async function addWidget(attributes, type) {
  const cameraId = attributes['camera-id'] ?? null;
  await page.evaluate((attrs) => {
    const widget = document.createElement('face-liveness-widget');
    for (const [name, value] of Object.entries(attrs)) widget.setAttribute(name, value);
    document.body.append(widget);
  }, attributes);
  await page.waitForFunction(([id]) => window.widgetEvents.some((event) => event.cameraId === id), [cameraId], {
    timeout: 10_000,
  });
  const events = await page.evaluate(() => window.widgetEvents);
  const event = events.find((candidate) => candidate.cameraId === cameraId);
  assert.equal(event?.type, type, `expected ${type} for camera-id ${cameraId}, got ${JSON.stringify(event)}`);
  return event.detail;
}

test('the bundle defines <face-liveness-widget> under a strict CSP', async () => {
  assert.equal(await page.evaluate(() => typeof customElements.get('face-liveness-widget')), 'function');
  assert.equal(await page.evaluate(() => window.inlineScriptRan), undefined, 'the CSP must block inline scripts');
  assert.deepEqual(await page.evaluate(() => window.cspViolations), ['script-src-elem inline']);
});

test('the default camera goes live at 640x480 with moving pixels', async () => {
  const detail = await addWidget({}, 'camera-ready');
  assert.equal(detail.state, 'live');
  assert.equal(detail.width, 640);
  assert.equal(detail.height, 480);
  assert.ok(Number(detail.deviceCount) >= 1, `deviceCount ${detail.deviceCount}`);

  const frames = await page.evaluate(async () => {
    const video = /** @type {HTMLVideoElement} */ (document.querySelector('face-liveness-widget:not([camera-id]) video'));
    // The intro shows no preview (its warning and choices come first): show the stage to look at the
    // frames (Chromium pauses a muted video nobody can see) and let it play again.
    const stage = /** @type {HTMLElement} */ (video.closest('[data-part="stage"]'));
    stage.style.display = 'block';
    await video.play();
    // Wait until the video element has presented frames, not only received metadata.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => video.requestVideoFrameCallback(resolve));
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    const grab = () => {
      context.drawImage(video, 0, 0);
      return context.getImageData(0, 0, canvas.width, canvas.height).data;
    };
    const first = grab();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = grab();
    const distinct = new Set();
    let changed = 0;
    for (let i = 0; i < first.length; i += 4) {
      distinct.add((first[i] << 16) | (first[i + 1] << 8) | first[i + 2]);
      if (first[i] !== second[i] || first[i + 1] !== second[i + 1] || first[i + 2] !== second[i + 2]) changed++;
    }
    return { width: canvas.width, height: canvas.height, colours: distinct.size, changed, playing: !video.paused };
  });
  mkdirSync(join(root, 'test-results'), { recursive: true });
  await page.screenshot({ path: screenshotPath });
  assert.equal(frames.width, 640);
  assert.equal(frames.height, 480);
  assert.ok(frames.playing, 'the video must be playing');
  assert.ok(frames.colours > 16, `a live frame has many colours, got ${frames.colours}`);
  assert.ok(frames.changed > 1000, `two frames 300 ms apart must differ, ${frames.changed} pixels changed`);

  const status = page.locator('face-liveness-widget:not([camera-id]) [aria-live="polite"]');
  assert.equal(await status.textContent(), 'Câmera pronta');
});

test('an unknown camera-id reports notFound', async () => {
  const detail = await addWidget({ 'camera-id': 'no-such-camera', lang: 'en' }, 'camera-error');
  assert.equal(detail.state, 'notFound', JSON.stringify(detail));
  const status = page.locator('face-liveness-widget[camera-id="no-such-camera"] [aria-live="polite"]');
  assert.equal(await status.textContent(), 'No camera found. Check that the camera is connected.');
});

test('removing the element stops the camera', async () => {
  const states = await page.evaluate(() => {
    const widget = /** @type {Element} */ (document.querySelector('face-liveness-widget:not([camera-id])'));
    const video = /** @type {HTMLVideoElement} */ (widget.querySelector('video'));
    const tracks = /** @type {MediaStream} */ (video.srcObject).getTracks();
    widget.remove();
    return tracks.map((track) => track.readyState);
  });
  assert.deepEqual(states, ['ended']);
});

test('nothing is requested from any host but 127.0.0.1', () => {
  assert.ok(requests.length >= 3, `requests seen: ${requests.join(', ')}`);
  const foreign = requests.filter((url) => new URL(url).hostname !== '127.0.0.1');
  assert.deepEqual(foreign, []);
});
