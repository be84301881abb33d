// A protocol-level fake of the Rekognition Face Liveness streaming endpoint, shared by the Chromium test of the
// widget (aws-stream.test.mjs) and the kiosk's WebDriver test on the AWS backend (ui/e2e/aws-visit.test.mjs).
// Rekognition's stream is the one edge this project cannot reach, so it is faked at the protocol level only: a
// WebSocket over TLS (a throw-away self-signed certificate), AWS event-stream messages (prelude and message CRC32)
// as the service speaks them. The fake checks what the client sends: the upgrade request's path, session id and
// SigV4 query parameters (the signature itself, recomputed with the secret key of the credentials the caller names
// for the connection), then each message's checksums and chunk signature (chained from the URL's signature) and the
// events inside. What it plays after the upgrade is the connection's scenario: the service's session (challenge,
// then the end of the stream once the video is over), an expired signature, or an internal error.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:https';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { WebSocketServer } from 'ws';

/** The stream's path (the SDK appends it to the endpoint). */
export const STREAM_PATH = '/start-face-liveness-session-websocket';

/**
 * @typedef {{ type: 'string' | 'bytes' | 'timestamp' | 'other', value: string | Buffer | number | bigint | boolean, raw: Buffer }} HeaderValue
 * @typedef {{ headers: Record<string, HeaderValue>, payload: Buffer }} EventMessage
 * @typedef {{ accessKeyId: string, secretAccessKey: string, sessionToken: string }} StreamCredentials
 * @typedef {'session' | 'clock-skew' | 'server-error'} Scenario
 * @typedef {{ scenario: Scenario, region: string, sessionId: string, credentials: StreamCredentials | null }} Expectation
 *   what one connection must carry (`credentials` null: the access key is unknown, the request is refused)
 */

/**
 * @typedef {object} Connection
 * @property {Scenario} scenario what the fake plays on this connection
 * @property {string} path
 * @property {string | null} sessionId the `session-id` of the upgrade request
 * @property {string | null} accessKeyId the access key of `X-Amz-Credential`
 * @property {number} openedAt when the upgrade arrived (ms since the epoch)
 * @property {number | null} endedAt when the video ended (the empty chunk), or null
 * @property {number | null} closeCode the WebSocket close code once closed (Amplify's 4005: its runtime error), or null
 * @property {number | null} closedAt when the WebSocket closed (ms since the epoch), or null
 * @property {string[]} problems what the fake found wrong in the request or a message (empty when all is well)
 * @property {Record<string, number>} events client events by `:event-type`
 * @property {{ type: string, body: any }[]} sessionInfo the ClientSessionInformationEvents, in order
 * @property {number} videoBytes bytes of video received
 * @property {string} videoHead the first 4 bytes of the video, in hex
 * @property {Buffer[]} video the video chunks received, in order
 * @property {number} emptyVideoEvents empty VideoEvents (the end of the video)
 * @property {string[]} sent what the fake sent, by event or exception type
 * @property {string[]} hookErrors what the caller's hooks threw
 */

/** The challenge the fake hands out: a face-fit oval and a colour sequence (`ChallengeConfig` tuned for a still photo). */
export const STILL_PHOTO_CHALLENGE = {
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

// --- AWS event-stream messages (application/vnd.amazon.eventstream) ---

/**
 * One message with string headers and a JSON payload, as the service sends them.
 * @param {Record<string, string>} headers
 * @param {unknown} body
 */
export function encodeMessage(headers, body) {
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
export function decodeMessage(data) {
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

/** A service event. */
export const event = (/** @type {string} */ type, /** @type {unknown} */ body) =>
  encodeMessage({ ':message-type': 'event', ':event-type': type, ':content-type': 'application/json' }, body);
/** A service exception. */
export const exception = (/** @type {string} */ type, /** @type {string} */ message) =>
  encodeMessage({ ':message-type': 'exception', ':exception-type': type, ':content-type': 'application/json' }, { Message: message });

// --- SigV4, as the service checks it ---

const sha256 = (/** @type {string | Buffer} */ data) => createHash('sha256').update(data).digest('hex');
const hmac = (/** @type {string | Buffer} */ key, /** @type {string} */ data) => createHmac('sha256', key).update(data).digest();
/** RFC 3986 encoding as SigV4 wants it (what the SDK's escapeUri does). */
const escapeUri = (/** @type {string} */ text) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/**
 * @param {string} secretAccessKey
 * @param {string} shortDate
 * @param {string} region
 */
const signingKey = (secretAccessKey, shortDate, region) =>
  hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, shortDate), region), 'rekognition'), 'aws4_request');
const longDateOf = (/** @type {number} */ ms) => new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '');

/**
 * The signature of a presigned GET (signed header: host; empty payload, as the SDK presigns the WebSocket URL).
 * @param {string} path
 * @param {URLSearchParams} query
 * @param {string} host
 * @param {string} secretAccessKey
 * @param {string} region
 */
export function presignedSignature(path, query, host, secretAccessKey, region) {
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
  return createHmac('sha256', signingKey(secretAccessKey, longDate.slice(0, 8), region)).update(stringToSign).digest('hex');
}

/**
 * The chunk signature of one signed event-stream message (SigV4 event signing: chained from the prior signature).
 * @param {EventMessage} message
 * @param {string} prior
 * @param {string} secretAccessKey
 * @param {string} region
 */
export function chunkSignature(message, prior, secretAccessKey, region) {
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
  return createHmac('sha256', signingKey(secretAccessKey, shortDate, region)).update(stringToSign).digest('hex');
}

/**
 * What is wrong with the upgrade request (path, session id, SigV4 query parameters and signature).
 * @param {import('node:http').IncomingMessage} request
 * @param {string} expectedHost
 * @param {Expectation} expected
 */
export function checkUpgrade(request, expectedHost, expected) {
  /** @type {string[]} */
  const problems = [];
  const url = new URL(request.url ?? '/', `https://${expectedHost}`);
  const query = url.searchParams;
  const expect = (/** @type {boolean} */ ok, /** @type {string} */ what) => ok || problems.push(what);
  const { credentials, region, sessionId } = expected;
  expect(url.pathname === STREAM_PATH, `path ${url.pathname}`);
  expect(request.headers.host === expectedHost, `Host ${request.headers.host}`);
  expect(query.get('session-id') === sessionId, `session-id ${query.get('session-id')}`);
  expect(/FaceMovementAndLightChallenge_/.test(query.get('challenge-versions') ?? ''), `challenge-versions ${query.get('challenge-versions')}`);
  expect(/^\d+$/.test(query.get('video-width') ?? '') && /^\d+$/.test(query.get('video-height') ?? ''), 'video-width/-height');
  expect(query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256', `X-Amz-Algorithm ${query.get('X-Amz-Algorithm')}`);
  const credential = query.get('X-Amz-Credential') ?? '';
  if (!credentials) {
    problems.push(`X-Amz-Credential ${credential.split('/')[0]}: unknown access key`);
    return problems;
  }
  expect(
    new RegExp(`^${credentials.accessKeyId}/\\d{8}/${region}/rekognition/aws4_request$`).test(credential),
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
  expect(query.get('X-Amz-Security-Token') === credentials.sessionToken, 'X-Amz-Security-Token is not the session token');
  expect(!(request.url ?? '').includes(credentials.secretAccessKey), 'the secret key is in the URL');
  // The SDK (@aws-sdk/middleware-websocket 3.1112) signs the host name without the port: its WebSocket middleware
  // fixes the `host` header before the host-header middleware would add the port. Harmless on the service's
  // port 443 (the browser's Host header has no port then); a SigV4 check behind another port would refuse it.
  expect(
    query.get('X-Amz-Signature') === presignedSignature(url.pathname, query, url.hostname, credentials.secretAccessKey, region),
    'X-Amz-Signature does not match the secret key',
  );
  return problems;
}

/**
 * @typedef {object} StreamHooks
 * @property {(connection: Connection) => Promise<void> | void} [opened] the upgrade was accepted, before the
 *   service's first event (the kiosk's test tells the fake Rekognition API that the session is streaming)
 * @property {(connection: Connection) => Promise<void> | void} [ended] the video is over (the client's final
 *   session information), before the service ends the stream (the kiosk's test completes the session there)
 */

/**
 * Runs one connection: checks and counts what the client sends and answers as the scenario says.
 * @param {import('ws').WebSocket} socket
 * @param {Connection} connection
 * @param {Expectation} expected
 * @param {string} seedSignature the URL's X-Amz-Signature (the first message's prior signature)
 * @param {object} challenge the `SessionInformation.Challenge` the service hands out
 * @param {StreamHooks} hooks
 */
function serve(socket, connection, expected, seedSignature, challenge, hooks) {
  const send = (/** @type {string} */ name, /** @type {Buffer} */ message) => {
    connection.sent.push(name);
    socket.send(message);
  };
  const hook = async (/** @type {((c: Connection) => Promise<void> | void) | undefined} */ f) => {
    try {
      await f?.(connection);
    } catch (error) {
      connection.hookErrors.push(String(/** @type {Error} */ (error)?.message ?? error));
    }
  };
  socket.on('close', (/** @type {number} */ code) => {
    connection.closeCode = code;
    connection.closedAt = Date.now();
  });
  const secret = expected.credentials?.secretAccessKey ?? '';
  let prior = seedSignature;
  let received = 0;
  socket.on('message', (/** @type {Buffer} */ data) => {
    received++;
    try {
      const outer = decodeMessage(data);
      const signature = outer.headers[':chunk-signature'];
      assert.ok(signature?.type === 'bytes' && outer.headers[':date']?.type === 'timestamp', 'an unsigned message');
      const wanted = chunkSignature(outer, prior, secret, expected.region);
      assert.equal(/** @type {Buffer} */ (signature.value).toString('hex'), wanted, 'chunk signature');
      prior = wanted;
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
        if (chunk.length) connection.video.push(chunk);
        if (chunk.length === 0) {
          connection.emptyVideoEvents++;
          connection.endedAt = Date.now();
        }
      } else if (type === 'ClientSessionInformationEvent') {
        const body = JSON.parse(inner.payload.toString('utf8'));
        const client = body?.Challenge?.FaceMovementAndLightChallenge ?? {};
        const kind = client.TargetFace ? 'end' : client.ColorDisplayed ? 'colour' : client.InitialFace ? 'start' : 'other';
        connection.sessionInfo.push({ type: kind, body });
        // The video is over: the service analyses it and ends the stream.
        if (kind === 'end' && connection.scenario === 'session') {
          setTimeout(() => {
            void hook(hooks.ended).then(() => {
              send('DisconnectionEvent', event('DisconnectionEvent', { TimestampMillis: Date.now() }));
            });
          }, 200);
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
  void hook(hooks.opened);
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

/**
 * A throw-away self-signed certificate for 127.0.0.1 in `dir` (openssl); returns the PEM file paths.
 * @param {string} dir
 * @returns {{ key: string, cert: string }}
 */
export function selfSignedCertificate(dir) {
  const key = join(dir, 'stream-fake-key.pem');
  const cert = join(dir, 'stream-fake-cert.pem');
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const notFound = /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT';
    throw new Error(notFound
      ? 'openssl is missing: install the Debian package "openssl" (it makes the fake endpoint\'s self-signed certificate)'
      : `openssl failed: ${String(/** @type {{ stderr?: Buffer }} */ (error).stderr ?? error)}`, { cause: error });
  }
  return { key, cert };
}

/**
 * @typedef {object} StreamFake
 * @property {string} endpoint `wss://127.0.0.1:PORT`
 * @property {Connection[]} connections every connection, in order
 * @property {() => Promise<void>} close
 */

/**
 * Starts the fake on 127.0.0.1 (an ephemeral port) with the certificate `tls`. `expect` says, for each upgrade
 * request (its URL), what the connection must carry and which scenario it plays; it may look the credentials up.
 * @param {{ tls: { key: string, cert: string }, expect: (url: URL) => Expectation | Promise<Expectation>,
 *   challenge?: object, hooks?: StreamHooks }} options
 * @returns {Promise<StreamFake>}
 */
export async function startStreamFake({ tls, expect, challenge = STILL_PHOTO_CHALLENGE, hooks = {} }) {
  /** @type {Connection[]} */
  const connections = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createTlsServer({ key: readFileSync(tls.key), cert: readFileSync(tls.cert) }, (_request, response) => {
    response.writeHead(404);
    response.end();
  });
  server.on('upgrade', (request, socket, head) => {
    const host = `127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
    const url = new URL(request.url ?? '/', `https://${host}`);
    const openedAt = Date.now();
    void Promise.resolve()
      .then(() => expect(url))
      .then((expected) => {
        /** @type {Connection} */
        const connection = {
          scenario: expected.scenario,
          path: url.pathname,
          sessionId: url.searchParams.get('session-id'),
          accessKeyId: (url.searchParams.get('X-Amz-Credential') ?? '').split('/')[0] || null,
          openedAt,
          endedAt: null,
          closeCode: null,
          closedAt: null,
          problems: checkUpgrade(request, host, expected),
          events: {},
          sessionInfo: [],
          videoBytes: 0,
          videoHead: '',
          video: [],
          emptyVideoEvents: 0,
          sent: [],
          hookErrors: [],
        };
        connections.push(connection);
        wss.handleUpgrade(request, socket, head, (ws) =>
          serve(ws, connection, expected, url.searchParams.get('X-Amz-Signature') ?? '', challenge, hooks));
      })
      .catch(() => socket.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const endpoint = `wss://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return {
    endpoint,
    connections,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
    },
  };
}
