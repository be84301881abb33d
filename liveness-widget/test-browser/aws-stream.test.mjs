// The AWS mode against a protocol-level fake of the Rekognition Face Liveness streaming endpoint, in headless
// Chromium: the real bundles (main + face-liveness-aws.js with Amplify's FaceLivenessDetectorCore), the fake Tauri
// IPC of fixtures/aws-host.js for `liveness_credentials`, and `aws-endpoint="wss://127.0.0.1:PORT"` pointing the
// detector at a local WebSocket server (TLS with a throw-away self-signed certificate, Chromium told to ignore
// certificate errors; every other host name unresolvable). Rekognition is the one edge this project cannot reach,
// so it is faked at the protocol level only: AWS event-stream messages (prelude and message CRC32) over the
// WebSocket, as the service speaks them. The fake checks what the client sends: the upgrade request's path, session
// id and SigV4 query parameters (the signature itself, recomputed with the fake secret key), then each message's
// checksums and chunk signature (chained from the URL's signature) and the events inside.
//
// Scenarios: the whole capture with a real face on the fake camera up to `liveness-complete`; a signature refused
// as expired (the kiosk's `clock-skew`); an internal error of the service (`aws-service`).
// Needs `npm run build`, /usr/bin/chromium, ffmpeg, openssl and the registry test photo of
// src-tauri/dayfusion-face/tests/fetch-test-images.sh. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';

const root = join(import.meta.dirname, '..');
const repo = join(root, '..');
const dist = join(root, 'dist');
const results = join(root, 'test-results');
const chromiumPath = '/usr/bin/chromium';
const fetchImagesScript = 'src-tauri/dayfusion-face/tests/fetch-test-images.sh';
const testPhoto = join(process.env.DAYFUSION_TEST_IMAGES ?? join(repo, 'target', 'test-images'), 'face_recognition', 'obama.jpg');
const region = 'us-east-1';
const streamPath = '/start-face-liveness-session-websocket';
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

// --- AWS event-stream messages (application/vnd.amazon.eventstream) ---

/**
 * @typedef {{ type: 'string' | 'bytes' | 'timestamp' | 'other', value: string | Buffer | number | bigint | boolean, raw: Buffer }} HeaderValue
 * @typedef {{ headers: Record<string, HeaderValue>, payload: Buffer }} EventMessage
 */

/**
 * One message with string headers and a JSON payload, as the service sends them.
 * @param {Record<string, string>} headers
 * @param {unknown} body
 */
function encodeMessage(headers, body) {
  const payload = Buffer.from(JSON.stringify(body));
  const encoded = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const length = Buffer.alloc(2);
      length.writeUInt16BE(v.length);
      return Buffer.concat([Buffer.from([n.length]), n, Buffer.from([7]), length, v]);
    }),
  );
  const prelude = Buffer.alloc(8);
  prelude.writeUInt32BE(12 + encoded.length + payload.length + 4, 0);
  prelude.writeUInt32BE(encoded.length, 4);
  const preludeCrc = Buffer.alloc(4);
  preludeCrc.writeUInt32BE(crc32(prelude));
  const message = Buffer.concat([prelude, preludeCrc, encoded, payload]);
  const messageCrc = Buffer.alloc(4);
  messageCrc.writeUInt32BE(crc32(message));
  return Buffer.concat([message, messageCrc]);
}

/**
 * Decodes one message, checking its length and both CRC32 checksums.
 * @param {Buffer} data
 * @returns {EventMessage}
 */
function decodeMessage(data) {
  assert.ok(data.length >= 16, `a message of ${data.length} bytes`);
  const total = data.readUInt32BE(0);
  const headersLength = data.readUInt32BE(4);
  assert.equal(total, data.length, 'message length in the prelude');
  assert.equal(data.readUInt32BE(8), crc32(data.subarray(0, 8)), 'prelude CRC32');
  assert.equal(data.readUInt32BE(total - 4), crc32(data.subarray(0, total - 4)), 'message CRC32');
  /** @type {Record<string, HeaderValue>} */
  const headers = {};
  let at = 12;
  const end = 12 + headersLength;
  while (at < end) {
    const nameLength = data[at];
    const name = data.toString('utf8', at + 1, at + 1 + nameLength);
    const start = at + 1 + nameLength;
    const type = data[start];
    at = start + 1;
    /** @type {HeaderValue['type']} */ let kind = 'other';
    /** @type {HeaderValue['value']} */ let value;
    switch (type) {
      case 0: case 1: value = type === 0; break;
      case 2: value = data.readInt8(at); at += 1; break;
      case 3: value = data.readInt16BE(at); at += 2; break;
      case 4: value = data.readInt32BE(at); at += 4; break;
      case 5: value = data.readBigInt64BE(at); at += 8; break;
      case 6: case 7: {
        const length = data.readUInt16BE(at);
        const bytes = data.subarray(at + 2, at + 2 + length);
        at += 2 + length;
        kind = type === 6 ? 'bytes' : 'string';
        value = type === 6 ? Buffer.from(bytes) : bytes.toString('utf8');
        break;
      }
      case 8: kind = 'timestamp'; value = Number(data.readBigInt64BE(at)); at += 8; break;
      case 9: value = data.toString('hex', at, at + 16); at += 16; break;
      default: throw new Error(`header ${name}: unknown value type ${type}`);
    }
    headers[name] = { type: kind, value, raw: data.subarray(start - 1 - nameLength, at) };
  }
  assert.equal(at, end, 'header block length');
  return { headers, payload: data.subarray(end, total - 4) };
}

// --- SigV4, as the service checks it ---

const sha256 = (/** @type {string | Buffer} */ data) => createHash('sha256').update(data).digest('hex');
const hmac = (/** @type {string | Buffer} */ key, /** @type {string} */ data) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding as SigV4 wants it (what the SDK's escapeUri does). */
const escapeUri = (/** @type {string} */ text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** @param {string} shortDate */
const signingKey = (shortDate, service = 'rekognition') =>
  hmac(hmac(hmac(hmac(`AWS4${fake.secretAccessKey}`, shortDate), region), service), 'aws4_request');
const longDateOf = (/** @type {number} */ ms) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * The signature of a presigned GET (signed header: host; empty payload, as the SDK presigns the WebSocket URL).
 * @param {string} path
 * @param {URLSearchParams} query
 * @param {string} host
 */
function presignedSignature(path, query, host) {
  const canonicalQuery = [...query.entries()]
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [escapeUri(key), escapeUri(value)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const canonicalRequest = ['GET', path, canonicalQuery, `host:${host}`, '', 'host', sha256('')].join('\n');
  const longDate = query.get('X-Amz-Date') ?? '';
  const scope = (query.get('X-Amz-Credential') ?? '').split('/').slice(1).join('/');
  const stringToSign = ['AWS4-HMAC-SHA256', longDate, scope, sha256(canonicalRequest)].join('\n');
  return createHmac('sha256', signingKey(longDate.slice(0, 8))).update(stringToSign).digest('hex');
}

/**
 * The chunk signature of one signed event-stream message (SigV4 event signing: chained from the prior signature).
 * @param {EventMessage} message
 * @param {string} prior
 */
function chunkSignature(message, prior) {
  const date = /** @type {number} */ (message.headers[':date'].value);
  const longDate = longDateOf(date);
  const shortDate = longDate.slice(0, 8);
  const stringToSign = [
    'AWS4-HMAC-SHA256-PAYLOAD',
    longDate,
    `${shortDate}/${region}/rekognition/aws4_request`,
    prior,
    sha256(message.headers[':date'].raw),
    sha256(message.payload),
  ].join('\n');
  return createHmac('sha256', signingKey(shortDate)).update(stringToSign).digest('hex');
}

// --- the fake Rekognition streaming endpoint ---

/** What the fake does after the upgrade: the happy path, or an exception. */
/** @typedef {'session' | 'clock-skew' | 'server-error'} Scenario */

/**
 * @typedef {object} Connection
 * @property {Scenario} scenario what the fake plays on this connection
 * @property {string} path
 * @property {string[]} problems what the fake found wrong in the request or a message (empty when all is well)
 * @property {Record<string, number>} events client events by `:event-type`
 * @property {{ type: string, body: any }[]} sessionInfo the ClientSessionInformationEvents, in order
 * @property {number} videoBytes bytes of video received
 * @property {string} videoHead the first 4 bytes of the video, in hex
 * @property {number} emptyVideoEvents empty VideoEvents (the end of the video)
 * @property {string[]} sent what the fake sent, by event or exception type
 */

/** @type {Scenario} */ let scenario = 'session';
/** The session id of the scenario running (each has its own, as the host creates one per attempt). */
let currentSessionId = '';
/** @type {Connection[]} */ const connections = [];
/** The challenge the fake hands out: a face-fit oval and a colour sequence (`ChallengeConfig` tuned for a still photo). */
const challenge = {
  FaceMovementAndLightChallenge: {
    OvalParameters: { Width: 260, Height: 420, CenterX: 320, CenterY: 240 },
    LightChallengeType: 'SEQUENTIAL',
    ColorSequences: [
      { FreshnessColor: { RGB: [0, 0, 0] }, DownscrollDuration: 0, FlatDisplayDuration: 100 },
      { FreshnessColor: { RGB: [255, 0, 0] }, DownscrollDuration: 300, FlatDisplayDuration: 0 },
      { FreshnessColor: { RGB: [0, 255, 0] }, DownscrollDuration: 300, FlatDisplayDuration: 0 },
    ],
    ChallengeConfig: {
      BlazeFaceDetectionThreshold: 0.75,
      FaceDistanceThresholdMin: 0.4,
      FaceDistanceThreshold: 0.32,
      FaceDistanceThresholdMax: 0.1,
      OvalIouThreshold: 0.7,
      OvalHeightWidthRatio: 1.618,
      OvalIouWidthThreshold: 0.25,
      OvalIouHeightThreshold: 0.25,
      FaceIouWidthThreshold: 0.15,
      FaceIouHeightThreshold: 0.15,
      OvalFitTimeout: 7000,
    },
  },
};
const event = (/** @type {string} */ type, /** @type {unknown} */ body) =>
  encodeMessage({ ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' }, body);
const exception = (/** @type {string} */ type, /** @type {string} */ message) =>
  encodeMessage({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' }, { Message: message });

/**
 * What is wrong with the upgrade request (path, session id, SigV4 query parameters and signature).
 * @param {import('node:http').IncomingMessage} request
 * @param {string} expectedHost
 * @param {string} sessionId
 */
function checkUpgrade(request, expectedHost, sessionId) {
  /** @type {string[]} */
  const problems = [];
  const url = new URL(request.url ?? '/', `https://${expectedHost}`);
  const query = url.searchParams;
  const expect = (/** @type {boolean} */ ok, /** @type {string} */ what) => ok || problems.push(what);
  expect(url.pathname === streamPath, `path ${url.pathname}`);
  expect(request.headers.host === expectedHost, `Host ${request.headers.host}`);
  expect(query.get('session-id') === sessionId, `session-id ${query.get('session-id')}`);
  expect(/FaceMovementAndLightChallenge_/.test(query.get('challenge-versions') ?? ''), `challenge-versions ${query.get('challenge-versions')}`);
  expect(/^\d+$/.test(query.get('video-width') ?? '') && /^\d+$/.test(query.get('video-height') ?? ''), 'video-width/-height');
  expect(query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256', `X-Amz-Algorithm ${query.get('X-Amz-Algorithm')}`);
  const credential = query.get('X-Amz-Credential') ?? '';
  expect(
    new RegExp(`^${fake.accessKeyId}/\\d{8}/${region}/rekognition/aws4_request$`).test(credential),
    `X-Amz-Credential ${credential}`,
  );
  const date = query.get('X-Amz-Date') ?? '';
  const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
  expect(
    !!signedAt && Math.abs(Date.UTC(+signedAt[1], +signedAt[2] - 1, +signedAt[3], +signedAt[4], +signedAt[5], +signedAt[6]) - Date.now()) < 5 * 60_000,
    `X-Amz-Date ${date}`,
  );
  expect(credential.split('/')[1] === date.slice(0, 8), 'X-Amz-Credential date is not X-Amz-Date');
  expect(/^\d+$/.test(query.get('X-Amz-Expires') ?? ''), `X-Amz-Expires ${query.get('X-Amz-Expires')}`);
  expect(query.get('X-Amz-SignedHeaders') === 'host', `X-Amz-SignedHeaders ${query.get('X-Amz-SignedHeaders')}`);
  expect(query.get('X-Amz-Security-Token') === fake.sessionToken, 'X-Amz-Security-Token is not the session token');
  expect(!(request.url ?? '').includes(fake.secretAccessKey), 'the secret key is in the URL');
  // The SDK (@aws-sdk/middleware-websocket 3.1112) signs the host name without the port: its WebSocket middleware
  // fixes the `host` header before the host-header middleware would add the port. Harmless on the service's
  // port 443 (the browser's Host header has no port then); a SigV4 check behind another port would refuse it.
  expect(
    query.get('X-Amz-Signature') === presignedSignature(url.pathname, query, url.hostname),
    'X-Amz-Signature does not match the fake secret key',
  );
  return problems;
}

/**
 * Runs one connection: checks and counts what the client sends and answers as the scenario says.
 * @param {import('ws').WebSocket} socket
 * @param {Connection} connection
 * @param {string} seedSignature the URL's X-Amz-Signature (the first message's prior signature)
 */
function serve(socket, connection, seedSignature) {
  const send = (/** @type {string} */ name, /** @type {Buffer} */ message) => {
    connection.sent.push(name);
    socket.send(message);
  };
  let prior = seedSignature;
  let received = 0;
  socket.on('message', (/** @type {Buffer} */ data) => {
    received++;
    try {
      const outer = decodeMessage(data);
      const signature = outer.headers[':chunk-signature'];
      assert.ok(signature?.type === 'bytes' && outer.headers[':date']?.type === 'timestamp', 'an unsigned message');
      const expected = chunkSignature(outer, prior);
      assert.equal(/** @type {Buffer} */ (signature.value).toString('hex'), expected, 'chunk signature');
      prior = expected;
      const inner = decodeMessage(outer.payload);
      assert.equal(inner.headers[':message-type']?.value, 'event', 'message type');
      const type = String(inner.headers[':event-type']?.value);
      connection.events[type] = (connection.events[type] ?? 0) + 1;
      if (type === 'VideoEvent') {
        // JSON with the chunk in base64 (an empty chunk ends the video).
        const { VideoChunk, TimestampMillis } = JSON.parse(inner.payload.toString('utf8'));
        assert.equal(typeof TimestampMillis, 'number', 'VideoEvent TimestampMillis');
        const chunk = Buffer.from(VideoChunk, 'base64');
        if (connection.videoBytes === 0 && chunk.length) connection.videoHead = chunk.toString('hex', 0, 4);
        connection.videoBytes += chunk.length;
        if (chunk.length === 0) connection.emptyVideoEvents++;
      } else if (type === 'ClientSessionInformationEvent') {
        const body = JSON.parse(inner.payload.toString('utf8'));
        const client = body?.Challenge?.FaceMovementAndLightChallenge ?? {};
        const kind = client.TargetFace ? 'end' : client.ColorDisplayed ? 'colour' : client.InitialFace ? 'start' : 'other';
        connection.sessionInfo.push({ type: kind, body });
        // The video is over: the service analyses it and ends the stream.
        if (kind === 'end' && connection.scenario === 'session') {
          setTimeout(() => send('DisconnectionEvent', event('DisconnectionEvent', { TimestampMillis: Date.now() })), 200);
        }
      } else {
        connection.problems.push(`unexpected event ${type}`);
      }
    } catch (error) {
      connection.problems.push(`message ${received}: ${/** @type {Error} */ (error).message}`);
    }
  });
  if (connection.problems.length) {
    // As the service would: the request is refused (the test reports the problems).
    send('AccessDeniedException', exception('AccessDeniedException', `fake: ${connection.problems.join('; ')}`));
    return;
  }
  setTimeout(() => {
    if (connection.scenario === 'session') send('ServerSessionInformationEvent', event('ServerSessionInformationEvent', { SessionInformation: { Challenge: challenge } }));
    if (connection.scenario === 'clock-skew') {
      const now = new Date();
      const stamp = (/** @type {number} */ ms) => longDateOf(now.getTime() + ms);
      send(
        'InvalidSignatureException',
        exception('InvalidSignatureException', `Signature expired: ${stamp(-10 * 60_000)} is now earlier than ${stamp(-5 * 60_000)} (${stamp(0)} - 5 min.)`),
      );
    }
    if (connection.scenario === 'server-error') send('InternalServerException', exception('InternalServerException', 'Internal server error (fake)'));
  }, 300);
}

// --- the test ---

const workDir = mkdtempSync(join(tmpdir(), 'liveness-aws-stream-'));
/** @type {import('node:http').Server} */ let server;
/** @type {import('node:https').Server} */ let streaming;
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
  const key = join(workDir, 'key.pem');
  const cert = join(workDir, 'cert.pem');
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', key, '-out', cert],
    'install the Debian package "openssl" (it makes the fake endpoint\'s self-signed certificate)');

  // The fake camera: a registry photo of a real face, cropped to 640x480 with the face in the oval's place.
  const video = join(workDir, 'camera.y4m');
  run('ffmpeg', ['-v', 'error', '-y', '-loop', '1', '-framerate', '30', '-t', '1', '-i', testPhoto,
    '-vf', 'crop=640:480:170:30,format=yuv420p', '-t', '1', '-f', 'yuv4mpegpipe', video], 'install the Debian package "ffmpeg"');

  const wss = new WebSocketServer({ noServer: true });
  streaming = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_request, response) => {
    response.writeHead(404);
    response.end();
  });
  streaming.on('upgrade', (request, socket, head) => {
    const host = `127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (streaming.address()).port}`;
    const url = new URL(request.url ?? '/', `https://${host}`);
    /** @type {Connection} */
    const connection = {
      scenario,
      path: url.pathname,
      problems: checkUpgrade(request, host, currentSessionId),
      events: {},
      sessionInfo: [],
      videoBytes: 0,
      videoHead: '',
      emptyVideoEvents: 0,
      sent: [],
    };
    connections.push(connection);
    wss.handleUpgrade(request, socket, head, (ws) => serve(ws, connection, url.searchParams.get('X-Amz-Signature') ?? ''));
  });
  await new Promise((resolve) => streaming.listen(0, '127.0.0.1', () => resolve(undefined)));
  endpoint = `wss://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (streaming.address()).port}`;
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
  streaming?.close();
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
