// The AWS mode against a protocol-level fake of the Rekognition Face Liveness streaming endpoint, in headless
// Chromium: the real bundles (main + face-liveness-aws.js with Amplify's FaceLivenessDetectorCore), the fake Tauri
// IPC of fixtures/aws-host.js for `liveness_credentials`, and `aws-endpoint="wss://127.0.0.1:PORT"` pointing the
// detector at a local WebSocket server (TLS with a throw-away self-signed certificate, Chromium told to ignore
// certificate errors; every other host name unresolvable). Rekognition is the one edge this project cannot reach,
// so it is faked at the protocol level only (rekognition-stream-fake.mjs, shared with the kiosk's WebDriver test
// ui/e2e/aws-visit.test.mjs): AWS event-stream messages (prelude and message CRC32) over the WebSocket, as the
// service speaks them. The fake checks what the client sends: the upgrade request's path, session id and SigV4
// query parameters (the signature itself, recomputed with the fake secret key), then each message's checksums and
// chunk signature (chained from the URL's signature) and the events inside.
//
// Scenarios: the whole capture with a real face on the fake camera up to `liveness-complete`; a signature refused
// as expired (the kiosk's `clock-skew`); an internal error of the service (`aws-service`).
// Needs `npm run build`, /usr/bin/chromium, ffmpeg, openssl and the registry test photo of
// src-tauri/dayfusion-face/tests/fetch-test-images.sh. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

import { STILL_PHOTO_CHALLENGE as challenge, STREAM_PATH as streamPath, selfSignedCertificate, startStreamFake } from './rekognition-stream-fake.mjs';

const root = join(import.meta.dirname, '..');
const repo = join(root, '..');
const dist = join(root, 'dist');
const results = join(root, 'test-results');
const chromiumPath = '/usr/bin/chromium';
const fetchImagesScript = 'src-tauri/dayfusion-face/tests/fetch-test-images.sh';
const testPhoto = join(process.env.DAYFUSION_TEST_IMAGES ?? join(repo, 'target', 'test-images'), 'face_recognition', 'obama.jpg');
const region = 'us-east-1';
/** The fake credentials fixtures/aws-host.js answers `liveness_credentials` with. */
const fake = {
  accessKeyId: 'ASIAFAKEKIOSKTEST0001',
  secretAccessKey: 'fake-secret-kiosk-test-must-not-leak',
  sessionToken: 'fake-session-token-kiosk-test-must-not-leak',
};
const texts = {
  clockSkew: 'O relógio do quiosque está errado, por isso a verificação não pode continuar. Chame um funcionário.',
  service: 'O serviço de verificação teve um problema. Tente novamente ou chame um funcionário.',
};

for (const [path, how] of [
  [join(dist, 'face-liveness-widget.js'), 'run "npm run build"'],
  [join(dist, 'face-liveness-aws.js'), 'run "npm run build"'],
  [chromiumPath, 'install the Debian package "chromium"'],
  [testPhoto, `run ${fetchImagesScript} (from the repository root) to fetch the registry test photos`],
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


// --- the fake Rekognition streaming endpoint (rekognition-stream-fake.mjs) ---

/** @typedef {import('./rekognition-stream-fake.mjs').Scenario} Scenario */
/** @typedef {import('./rekognition-stream-fake.mjs').Connection} Connection */

/** What the fake plays on the next connection: the happy path, or an exception. */
/** @type {Scenario} */ let scenario = 'session';
/** The session id of the scenario running (each has its own, as the host creates one per attempt). */
let currentSessionId = '';
/** @type {Connection[]} */ let connections = [];

// --- the test ---

const workDir = mkdtempSync(join(tmpdir(), 'liveness-aws-stream-'));
/** @type {import('node:http').Server} */ let server;
/** @type {import('./rekognition-stream-fake.mjs').StreamFake} */ let streaming;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {string} */ let origin;
/** @type {string} */ let endpoint;
/** @type {string} */ let csp;

/**
 * The file the test server answers `path` with: the host page and its script, and dist/ under /liveness/.
 * @param {string} path
 */
function fileFor(path) {
  if (path === '/') return join(import.meta.dirname, 'fixtures', 'aws-host.html');
  if (path === '/aws-host.js') return join(import.meta.dirname, 'fixtures', 'aws-host.js');
  if (!path.startsWith('/liveness/')) return null;
  const file = normalize(join(dist, decodeURIComponent(path.slice('/liveness/'.length))));
  return file.startsWith(dist) ? file : null;
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {string} missing what to do when the command is not there
 */
function run(command, args, missing) {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const notFound = /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT';
    throw new Error(notFound ? `${command} is missing: ${missing}` : `${command} failed: ${String(/** @type {{ stderr?: Buffer }} */ (error).stderr ?? error)}`, {
      cause: error,
    });
  }
}

before(async () => {
  // A throw-away certificate for the fake endpoint (Chromium runs with --ignore-certificate-errors).
  const tls = selfSignedCertificate(workDir);

  // The fake camera: a registry photo of a real face, cropped to 640x480 with the face in the oval's place.
  const video = join(workDir, 'camera.y4m');
  run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '30', '-t', '1', '-i', testPhoto,
    '-vf', 'crop=640:480:170:30,format=yuv420p', '-t', '1', '-f', 'yuv4mpegpipe', video], 'install the Debian package "ffmpeg"');

  streaming = await startStreamFake({
    tls,
    challenge,
    expect: () => ({ scenario, region, sessionId: currentSessionId, credentials: fake }),
  });
  connections = streaming.connections;
  endpoint = streaming.endpoint;
  csp = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    `connect-src 'self' ${endpoint}`,
    "media-src 'self' blob: mediastream:",
    "img-src 'self' data: blob:",
    "worker-src 'self' blob:",
  ].join('; ');

  server = createServer((request, response) => {
    const file = fileFor(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
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
      // The fake endpoint's certificate is self-signed.
      '--ignore-certificate-errors',
      // Nothing can leave the machine: every host name but 127.0.0.1 fails DNS resolution.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    ],
  });
  mkdirSync(results, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  await streaming?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/**
 * A fresh page with the AWS widget pointed at the fake endpoint, "start" pressed; resolves when the fake has the
 * connection.
 * @param {Scenario} name
 * @param {string} sessionId
 */
async function startScenario(name, sessionId) {
  scenario = name;
  currentSessionId = sessionId;
  const page = await browser.newPage({ viewport: { width: 800, height: 1000 } });
  /** @type {{ requests: string[], websockets: string[], console: string[] }} */
  const seen = { requests: [], websockets: [], console: [] };
  page.on('request', (request) => seen.requests.push(request.url().split('?')[0]));
  page.on('websocket', (socket) => seen.websockets.push(socket.url().split('?')[0]));
  page.on('pageerror', (error) => seen.console.push(`pageerror: ${error.message}`));
  const response = await page.goto(`${origin}/`);
  assert.equal(response?.headers()['content-security-policy'], csp);
  await page.evaluate(
    ({ id, url }) => {
      const element = document.createElement('face-liveness-widget');
      element.setAttribute('provider', 'aws');
      element.setAttribute('session-id', id);
      element.setAttribute('aws-endpoint', url);
      element.setAttribute('lang', 'pt-BR');
      document.body.append(element);
    },
    { id: sessionId, url: endpoint },
  );
  await page.waitForFunction(() => typeof window.DayFusionAwsLiveness?.mount === 'function', undefined, { timeout: 20_000 });
  const before = connections.length;
  await page.locator('face-liveness-widget button[data-action="start"]').click();
  const deadline = Date.now() + 30_000;
  while (connections.length === before) {
    assert.ok(Date.now() < deadline, 'the detector did not connect to the fake endpoint within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { page, seen, connection: connections[connections.length - 1] };
}

/**
 * @param {import('playwright-core').Page} page
 * @param {string[]} states
 * @param {number} timeout
 */
const waitForStates = (page, states, timeout) =>
  page.waitForFunction(
    (wanted) => wanted.includes(document.querySelector('face-liveness-widget [data-provider="aws"]')?.getAttribute('data-state') ?? ''),
    states,
    { timeout },
  );
const rootAttribute = (/** @type {import('playwright-core').Page} */ page, /** @type {string} */ name) =>
  page.locator('face-liveness-widget [data-provider="aws"]').getAttribute(name);

/**
 * Nothing but 127.0.0.1 was asked for; the one WebSocket went to the fake endpoint's stream path.
 * @param {{ requests: string[], websockets: string[] }} seen
 */
function assertLoopbackOnly(seen) {
  assert.deepEqual(seen.requests.filter((url) => new URL(url).hostname !== '127.0.0.1'), [], 'HTTP requests to other hosts');
  assert.deepEqual(seen.websockets, [`${endpoint}${streamPath}`]);
}

test('happy path: Amplify\'s capture streams a real face to the fake endpoint, which ends it; liveness-complete', { timeout: 60_000 }, async () => {
  const sessionId = '0d6c7a51-4f3e-4b8a-9a3c-2e5f8b1d7c42';
  const { page, seen, connection } = await startScenario('session', sessionId);
  try {
    // Amplify's face-fit oval over the camera picture (drawn once the session information arrived).
    await page.waitForFunction(
      () => {
        const shadow = document.querySelector('face-liveness-widget [data-part="aws-detector"]')?.shadowRoot;
        const state = document.querySelector('face-liveness-widget [data-provider="aws"]')?.getAttribute('data-state');
        return state !== 'capture' || (!!shadow?.querySelector('canvas') && /Gravando/.test(shadow.textContent ?? ''));
      },
      undefined,
      { timeout: 30_000, polling: 50 },
    );
    await page.screenshot({ path: join(results, 'aws-stream-oval.png') });

    await waitForStates(page, ['processing', 'error', 'cancelled'], 45_000);
    assert.deepEqual(connection.problems, [], 'what the fake found wrong');
    assert.equal(await rootAttribute(page, 'data-error'), null);
    assert.equal(await rootAttribute(page, 'data-state'), 'processing');
    await page.screenshot({ path: join(results, 'aws-stream-complete.png') });

    const events = await page.evaluate(() => window.livenessEvents);
    assert.deepEqual(events.map(({ type, detail }) => ({ type, detail })), [
      { type: 'liveness-complete', detail: { provider: 'aws', sessionId } },
    ]);
    assert.deepEqual(await page.evaluate(() => window.invokes), ['liveness_credentials']);

    // What reached the fake: the session's start, one event per colour, its end; the video, ended by an empty chunk.
    assert.deepEqual(connection.sent, ['ServerSessionInformationEvent', 'DisconnectionEvent']);
    assert.deepEqual(
      connection.sessionInfo.map(({ type }) => type),
      ['start', ...challenge.FaceMovementAndLightChallenge.ColorSequences.map(() => 'colour'), 'end'],
    );
    const challengeIds = new Set(connection.sessionInfo.map(({ body }) => body.Challenge.FaceMovementAndLightChallenge.ChallengeId));
    assert.equal(challengeIds.size, 1, 'one ChallengeId');
    assert.ok(connection.events.VideoEvent >= 2, `video events: ${JSON.stringify(connection.events)}`);
    assert.ok(connection.videoBytes > 10_000, `${connection.videoBytes} bytes of video`);
    assert.equal(connection.videoHead, '1a45dfa3', 'the video is a WebM (EBML) stream');
    assert.equal(connection.emptyVideoEvents, 1, 'the video ends with one empty chunk');
    assertLoopbackOnly(seen);
    assert.deepEqual(await page.evaluate(() => window.cspViolations), ['script-src-elem inline']);
    assert.deepEqual(seen.console, []);
    console.log(JSON.stringify({ received: connection.events, videoBytes: connection.videoBytes }));
  } finally {
    await page.close();
  }
});

test('a signature refused as expired is the kiosk\'s clock-skew error, and no retry', { timeout: 60_000 }, async () => {
  const sessionId = '7b2e4c19-3a8d-4f61-b0e5-9c4d2a6f8e13';
  const { page, seen, connection } = await startScenario('clock-skew', sessionId);
  try {
    await waitForStates(page, ['error', 'processing', 'cancelled'], 30_000);
    assert.deepEqual(connection.problems, [], 'what the fake found wrong');
    assert.deepEqual(connection.sent, ['InvalidSignatureException']);
    assert.equal(await rootAttribute(page, 'data-error'), 'clock-skew');
    assert.equal(await page.locator('face-liveness-widget [role="status"]').textContent(), texts.clockSkew);
    const events = await page.evaluate(() => window.livenessEvents);
    assert.deepEqual(events.map(({ type, detail }) => ({ type, detail })), [
      { type: 'liveness-error', detail: { code: 'clock-skew', message: texts.clockSkew } },
    ]);
    assert.equal(await page.locator('face-liveness-widget button[data-action="retry"]').count(), 0);
    assert.ok(await page.locator('face-liveness-widget button[data-action="call-staff"]').isVisible());
    assert.deepEqual(await page.evaluate(() => window.invokes), ['liveness_credentials']);
    assertLoopbackOnly(seen);
  } finally {
    await page.close();
  }
});

test('an internal error of the service is the kiosk\'s aws-service error, with retry', { timeout: 60_000 }, async () => {
  const sessionId = 'c41f8e27-6d5b-4a90-8e3f-1a7b9d2c5e68';
  const { page, seen, connection } = await startScenario('server-error', sessionId);
  try {
    await waitForStates(page, ['error', 'processing', 'cancelled'], 30_000);
    assert.deepEqual(connection.problems, [], 'what the fake found wrong');
    assert.deepEqual(connection.sent, ['InternalServerException']);
    assert.equal(await rootAttribute(page, 'data-error'), 'aws-service');
    assert.equal(await page.locator('face-liveness-widget [role="status"]').textContent(), texts.service);
    const events = await page.evaluate(() => window.livenessEvents);
    assert.deepEqual(events.map(({ type, detail }) => ({ type, detail })), [
      { type: 'liveness-error', detail: { code: 'aws-service', message: texts.service } },
    ]);
    assert.ok(await page.locator('face-liveness-widget button[data-action="retry"]').isVisible());
    assertLoopbackOnly(seen);
  } finally {
    await page.close();
  }
});
