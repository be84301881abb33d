// WebDriver end-to-end tests of whole customer visits on the AWS backend, in the real kiosk app (WebKitGTK under
// Xvfb): the widget's AWS mode runs Amplify's FaceLivenessDetector in the webview (BlazeFace on TF.js's WebAssembly
// backend, on a canvas camera showing a registry photo) against the protocol-level fake of Rekognition's streaming
// WebSocket (liveness-widget/test-browser/rekognition-stream-fake.mjs: TLS with a throw-away certificate the debug
// build accepts for 127.0.0.1 only, AWS event-stream framing, every SigV4 signature checked with the secret key
// moto's STS issued to the kiosk for its webview role). The Rust side talks to the fake Rekognition of
// infra/aws-local (sessions, results, DetectFaces, CompareFaces) and to moto (S3, DynamoDB, STS) through the SDK's
// default chain. When the video is over, the stream fake completes the session on the fake Rekognition with frames
// of the video the detector streamed, as the service would. No CLI runs once the kiosk is up: DynamoDB gets its
// items from the kiosk's own background sync.
//
// Finding: WebKitGTK's MediaRecorder gives no video on this platform (WebKitGTK 2.50 with Debian 12's GStreamer
// 1.22: the recording pipeline stops at once, "not-linked", no H.264 encoder in its profile, no fragmented-MP4 muxer;
// no chunk while recording and 0 bytes at stop), and Amplify records the video with MediaRecorder. So:
// 1. With a stand-in MediaRecorder (chunks of a WebM ffmpeg made from the same photo, at the real recorder's pace)
//    and everything else real, the visit reaches its result, which equals the DynamoDB item the kiosk synced; the
//    bucket holds exactly the guide's objects for the transaction (document, liveness reference image, audit
//    images, under `{key-prefix}{kioskId}/`).
// 2. With WebKitGTK's own MediaRecorder, Amplify stops with its runtime error; the test shows what the customer then
//    sees: the pt-BR "try again" screen, and after five failed tries the kiosk's "call staff" with no retry; the
//    cancelled visit's ABORTED item reaches DynamoDB and its document leaves the bucket. (Where the recorder works,
//    the same test expects the whole visit instead.)
//
// Needs the local AWS servers (infra/aws-local/servers.sh start: DAYFUSION_TEST_MOTO_URL,
// DAYFUSION_TEST_REKOGNITION_URL); without them the tests are skipped, except under CI where they fail. Timings and
// what the detector and the recorder did go to target/e2e-artifacts/aws-visit.json, screenshots to
// target/e2e-artifacts/screens/aws-*.png.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, until } from 'selenium-webdriver';

import { ARTIFACTS, launchKioskWithWebDriver, readLogEvents, screenshotDisplay, tempDataDir, waitFor } from './harness.mjs';
import { PHOTOS, composeCard } from './id-card.mjs';
import { byTestId, click, seedSettings, visible, visitSteps } from './visit-steps.mjs';
import { selfSignedCertificate, startStreamFake } from '../../liveness-widget/test-browser/rekognition-stream-fake.mjs';

const MOTO = process.env.DAYFUSION_TEST_MOTO_URL;
const REKOGNITION = process.env.DAYFUSION_TEST_REKOGNITION_URL;
const SERVERS_MISSING = !MOTO || !REKOGNITION;
const SCREENS = path.join(ARTIFACTS, 'screens');
const REGION = 'us-east-1';
const KIOSK_ID = 'agencia-0042';
const KEY_PREFIX = 'kiosks/';
const WEBVIEW_ROLE = 'arn:aws:iam::123456789012:role/dayfusion-webview';
/** data-outcome of the result screen for each status of the DynamoDB item. */
const OUTCOME_OF = { APPROVED: 'approved', REJECTED: 'rejected', REVIEW: 'review' };
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// --- moto and the fake Rekognition, over plain HTTP ---

/** An Authorization header of SigV4's shape: moto checks none of it, only that it names the service. */
const motoAuth = (service) =>
  `AWS4-HMAC-SHA256 Credential=testing/20261205/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`;

/** Scan filter that leaves out the kiosk's heartbeat item (`ItemType`), which shares the table. */
const TRANSACTIONS_ONLY = { FilterExpression: 'attribute_not_exists(ItemType)' };

async function dynamodb(target, body) {
  const res = await fetch(`${MOTO}/`, {
    method: 'POST',
    headers: {
      'X-Amz-Target': `DynamoDB_20120810.${target}`,
      'Content-Type': 'application/x-amz-json-1.0',
      Authorization: motoAuth('dynamodb'),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`dynamodb ${target}: ${res.status} ${text}`);
  return JSON.parse(text);
}

async function s3(method, key, query = '') {
  const res = await fetch(`${MOTO}/${key}${query}`, { method, headers: { Authorization: motoAuth('s3') } });
  const body = Buffer.from(await res.arrayBuffer());
  if (!res.ok) throw new Error(`s3 ${method} /${key}${query}: ${res.status} ${body.toString('utf8')}`);
  return body;
}

/** Every object key in `bucket` (ListObjectsV2, one page: the test writes few). */
async function objectKeys(bucket) {
  const xml = (await s3('GET', bucket, '?list-type=2&max-keys=1000')).toString('utf8');
  assert.doesNotMatch(xml, /<IsTruncated>true<\/IsTruncated>/);
  return [...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]).sort();
}

async function rekognitionFake(pathname, body) {
  const res = await fetch(`${REKOGNITION}${pathname}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`fake Rekognition ${pathname}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** The credentials moto's STS issued with access key `accessKeyId` (its state dump names them), or null. */
async function issuedCredentials(accessKeyId) {
  const data = await (await fetch(`${MOTO}/moto-api/data.json`)).json();
  const role = (data.sts?.AssumedRole ?? []).find((r) => r.access_key_id === accessKeyId);
  return role ? {
    accessKeyId, secretAccessKey: role.secret_access_key, sessionToken: role.session_token, roleArn: role.role_arn,
  } : null;
}

// --- the test's camera ---

/**
 * `getUserMedia` answers with a canvas stream of a registry photo, cropped to 640x480 with the face where the fake's
 * challenge puts its oval (the crop the Chromium test of the widget feeds its fake camera), with sensor noise so no
 * two frames are alike. WebKit's mock camera is opened first (and stopped) so the stream carries a real device's id,
 * as Amplify looks for a non-virtual camera among `enumerateDevices()`; a canvas track that reports no frame rate
 * or size gets those of the picture it paints (30 fps, 640x480).
 */
const AWS_CAMERA = `
  const [faceUrl] = arguments;
  if (window.__awsTestCamera) return true;
  const image = new Image();
  image.src = faceUrl;
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext('2d');
  const draw = () => {
    ctx.fillStyle = '#7a7f87'; ctx.fillRect(0, 0, 640, 480);
    if (image.complete && image.naturalWidth) {
      ctx.drawImage(image, -170 + (Math.random() - 0.5) * 2, -30 + (Math.random() - 0.5) * 2);
    }
    for (let i = 0; i < 300; i += 1) {
      const v = Math.floor(Math.random() * 255);
      ctx.fillStyle = 'rgb(' + v + ',' + v + ',' + v + ')';
      ctx.fillRect(Math.random() * 640, Math.random() * 480, 1, 1);
    }
  };
  setInterval(draw, 33);
  const original = MediaDevices.prototype.getUserMedia;
  window.__awsTestCameraCalls = [];
  MediaDevices.prototype.getUserMedia = async function (constraints) {
    let deviceId = '';
    try {
      const real = await original.call(this, { video: true, audio: false });
      deviceId = real.getVideoTracks()[0]?.getSettings().deviceId ?? '';
      real.getTracks().forEach((t) => t.stop());
    } catch (e) {
      window.__awsTestCameraCalls.push('mock camera: ' + e);
    }
    const stream = canvas.captureStream(30);
    for (const track of stream.getVideoTracks()) {
      const settings = track.getSettings.bind(track);
      track.getSettings = () => {
        const s = settings();
        return { ...s, width: s.width || 640, height: s.height || 480, frameRate: s.frameRate || 30, deviceId };
      };
    }
    window.__awsTestCameraCalls.push(JSON.stringify(constraints && constraints.video));
    return stream;
  };
  window.__awsTestCamera = true;
  return true;
`;

/** Collects the page's errors and console errors/warnings (Amplify reports its failures there). */
const PAGE_LOG = `
  if (window.__e2eLog) return true;
  window.__e2eLog = [];
  const keep = (kind, args) => {
    try { window.__e2eLog.push(kind + ': ' + args.map((a) => (a && a.stack) || (a && a.message) || String(a)).join(' ').slice(0, 600)); } catch {}
  };
  window.addEventListener('error', (e) => keep('error', [e.message, e.filename + ':' + e.lineno]));
  window.addEventListener('unhandledrejection', (e) => keep('unhandledrejection', [e.reason]));
  window.addEventListener('securitypolicyviolation', (e) => keep('csp', [e.violatedDirective, e.blockedURI]));
  for (const level of ['error', 'warn']) {
    const original = console[level].bind(console);
    console[level] = (...args) => { keep(level, args); original(...args); };
  }
  return true;
`;

/** The widget's state, its error, its banner and Amplify's own text in its shadow root. */
const WIDGET = `
  const root = document.querySelector('face-liveness-widget [data-state]');
  if (!root) return null;
  const shadow = document.querySelector('face-liveness-widget [data-part="aws-detector"]')?.shadowRoot;
  return {
    state: root.getAttribute('data-state'), error: root.getAttribute('data-error'), provider: root.getAttribute('data-provider'),
    attempt: root.getAttribute('data-attempt'), status: root.querySelector('[role="status"]')?.textContent ?? null,
    amplify: shadow ? (shadow.textContent ?? '').replace(/\\s+/g, ' ').trim().slice(0, 300) : null,
    amplifyCanvas: !!shadow?.querySelector('canvas'), amplifyVideo: !!shadow?.querySelector('video'),
  };
`;

/**
 * Traces the MediaRecorder the detector records its video with (construction, start, every chunk, errors), whichever
 * class `window.MediaRecorder` is when a recorder is made. For the test's report only.
 */
const TRACE_RECORDER = `
  if (window.__e2eTrace) return true;
  const trace = window.__e2eTrace = { recorder: [], amplifyErrors: [] };
  const t0 = performance.now();
  const log = (what) => trace.recorder.push(Math.round(performance.now() - t0) + ' ' + what);
  const wrap = (Base) => class extends Base {
    constructor(stream, options) {
      super(stream, options);
      log('new ' + Base.name + ' ' + JSON.stringify(options) + ' mimeType=' + this.mimeType + ' tracks=' + stream.getTracks().map((t) => t.kind + ':' + t.readyState).join(','));
      for (const type of ['start', 'stop', 'pause', 'resume', 'error']) {
        this.addEventListener(type, (e) => log(type + (e.error ? ' ' + e.error.name + ': ' + e.error.message : '')));
      }
      this.addEventListener('dataavailable', (e) => log('dataavailable ' + (e.data ? e.data.size + ' ' + e.data.type : 'no data')));
    }
    start(timeslice) {
      log('start(' + timeslice + ')');
      try { return super.start(timeslice); } catch (e) { log('start threw ' + e); throw e; }
    }
    stop() {
      log('stop() in state ' + this.state);
      return super.stop();
    }
  };
  window.__e2eWrapRecorder = wrap;
  window.__e2eNativeRecorder = window.MediaRecorder;
  if (window.MediaRecorder) window.MediaRecorder = wrap(window.MediaRecorder);
  return true;
`;

/** Amplify's own `onError` (state, name, message: what the widget reduces to its error code), traced once the AWS
 * bundle is loaded. For the test's report only. */
const TRACE_DETECTOR = `
  const api = window.DayFusionAwsLiveness;
  if (!api || api.__e2eTraced) return !!api;
  const trace = window.__e2eTrace;
  const mount = api.mount.bind(api);
  api.mount = (container, options) => mount(container, {
    ...options,
    onError: (error) => { trace.amplifyErrors.push({ at: Math.round(performance.now()), ...error }); options.onError(error); },
  });
  api.__e2eTraced = true;
  return true;
`;

/**
 * A stand-in for WebKitGTK's MediaRecorder, which gives no video here (see the file's comment): it hands out, at the
 * pace of the real recorder (a chunk per `timeslice`, the rest at stop), consecutive byte ranges of a WebM ffmpeg
 * made from the photo the camera shows, as `video/webm` Blobs. Its events and on* handlers are those Amplify uses.
 * Everything else of the visit stays real. `arguments[1]` false puts WebKitGTK's recorder back.
 */
const STAND_IN_RECORDER = `
  const [webmBase64, on] = arguments;
  const wrap = window.__e2eWrapRecorder;
  if (!on) {
    window.MediaRecorder = wrap(window.__e2eNativeRecorder);
    return 'native';
  }
  const bytes = Uint8Array.from(atob(webmBase64), (c) => c.charCodeAt(0));
  // The file's own pace: 20 s of video.
  const bytesPerMs = bytes.length / 20000;
  class StandInRecorder extends EventTarget {
    static isTypeSupported(type) { return /^video\\/webm/.test(type); }
    constructor(stream, options) {
      super();
      this.stream = stream; this.mimeType = 'video/webm'; this.state = 'inactive';
      this.videoBitsPerSecond = (options && options.bitsPerSecond) || 1000000;
      this.ondataavailable = null; this.onstart = null; this.onstop = null; this.onerror = null;
      this.offset = 0; this.timer = null; this.since = 0;
    }
    emit(type, init) {
      const event = type === 'dataavailable' ? Object.assign(new Event(type), { data: init }) : new Event(type);
      const handler = this['on' + type];
      if (typeof handler === 'function') handler.call(this, event);
      this.dispatchEvent(event);
    }
    take() {
      const now = performance.now();
      const end = Math.min(bytes.length, this.offset + Math.round((now - this.since) * bytesPerMs));
      this.since = now;
      const chunk = bytes.slice(this.offset, end);
      this.offset = end;
      return new Blob([chunk], { type: 'video/webm' });
    }
    start(timeslice) {
      if (this.state !== 'inactive') throw new DOMException('already recording', 'InvalidStateError');
      this.state = 'recording'; this.since = performance.now(); this.offset = 0;
      setTimeout(() => this.emit('start'), 20);
      this.timer = setInterval(() => this.emit('dataavailable', this.take()), timeslice || 1000);
    }
    stop() {
      if (this.state === 'inactive') return;
      clearInterval(this.timer);
      this.state = 'inactive';
      setTimeout(() => { this.emit('dataavailable', this.take()); this.emit('stop'); }, 20);
    }
    requestData() { this.emit('dataavailable', this.take()); }
    pause() {} resume() {}
  }
  window.MediaRecorder = wrap(StandInRecorder);
  return 'stand-in';
`;

/** The WebM the stand-in recorder hands out: the camera's picture (the photo, cropped as the canvas shows it), VP8 at
 * 1 Mbit/s, 30 fps, 20 s (longer than any capture). */
function standInWebm(dir) {
  const out = path.join(dir, 'stand-in.webm');
  const run = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-loop', '1', '-framerate', '30', '-i',
    path.join(PHOTOS, 'obama.jpg'), '-vf', 'crop=640:480:170:30,format=yuv420p', '-t', '20', '-c:v', 'libvpx',
    '-b:v', '1M', '-deadline', 'realtime', '-cpu-used', '8', '-g', '30', '-f', 'webm', out], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`ffmpeg (the stand-in recorder's WebM) failed: ${run.stderr}`);
  return readFileSync(out);
}

/**
 * What WebKitGTK's MediaRecorder makes of a canvas stream, the way Amplify records (no mimeType, 1 Mbit/s, a chunk
 * every 1000 ms): the chunks before stop() (Amplify needs the first within 5 s of starting) and at stop.
 */
const RECORDER_PROBE = `
  const done = arguments[arguments.length - 1];
  (async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 640; canvas.height = 480;
    const ctx = canvas.getContext('2d');
    const paint = setInterval(() => { ctx.fillStyle = 'rgb(' + Math.floor(Math.random() * 255) + ',90,90)'; ctx.fillRect(0, 0, 640, 480); }, 33);
    const stream = canvas.captureStream(30);
    const recorder = new MediaRecorder(stream, { bitsPerSecond: 1000000 });
    const chunks = [];
    const t0 = performance.now();
    let stopAt = null;
    recorder.ondataavailable = (e) => chunks.push({ at: Math.round(performance.now() - t0), bytes: e.data.size, afterStop: stopAt !== null });
    const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
    recorder.start(1000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    stopAt = Math.round(performance.now() - t0);
    recorder.stop();
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 6000))]);
    clearInterval(paint);
    stream.getTracks().forEach((t) => t.stop());
    return {
      mimeType: recorder.mimeType, stopAt, stoppedAfterMs: Math.round(performance.now() - t0) - stopAt, chunks,
      chunksBeforeStop: chunks.filter((c) => !c.afterStop && c.bytes > 0).length,
      bytes: chunks.reduce((n, c) => n + c.bytes, 0),
    };
  })().then(done, (e) => done({ error: String(e), chunksBeforeStop: 0 }));
`;

/** What the detector needs of the browser, as this WebKitGTK has it. */
const CAPABILITIES = `
  const recorderTypes = ['video/webm', 'video/webm;codecs=vp8', 'video/webm;codecs=vp9', 'video/mp4', 'video/mp4;codecs=avc1'];
  return {
    userAgent: navigator.userAgent,
    webAssembly: typeof WebAssembly === 'object',
    webAssemblySimd: typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array([0,97,115,109,1,0,0,0,1,5,1,96,0,1,123,3,2,1,0,10,10,1,8,0,65,0,253,15,253,98,11])),
    sharedArrayBuffer: typeof SharedArrayBuffer === 'function', crossOriginIsolated: !!window.crossOriginIsolated,
    webSocket: typeof WebSocket === 'function', mediaRecorder: typeof MediaRecorder === 'function',
    recorderTypes: typeof MediaRecorder === 'function' ? recorderTypes.filter((t) => MediaRecorder.isTypeSupported(t)) : [],
    webgl: !!document.createElement('canvas').getContext('webgl'), webgl2: !!document.createElement('canvas').getContext('webgl2'),
    captureStream: typeof HTMLCanvasElement.prototype.captureStream === 'function',
  };
`;

/** Video container by its first bytes. */
function containerOf(bytes) {
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  return `unknown (${bytes.subarray(0, 8).toString('hex')})`;
}

/**
 * Frames of the streamed video as JPEG files (ffmpeg): the reference image and the audit images the fake service
 * hands back, as Rekognition takes them from the video. Null when the video cannot be decoded.
 */
function framesOf(video, dir, count) {
  const input = path.join(dir, `streamed.${containerOf(video) === 'webm' ? 'webm' : 'mp4'}`);
  writeFileSync(input, video);
  const pattern = path.join(dir, 'frame-%02d.jpg');
  const out = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', input, '-vf', 'fps=2',
    '-frames:v', String(count), '-q:v', '3', pattern], { encoding: 'utf8' });
  if (out.status !== 0) return { error: out.stderr.trim().slice(0, 400) };
  const frames = [];
  for (let i = 1; i <= count; i += 1) {
    try {
      frames.push(readFileSync(path.join(dir, `frame-${String(i).padStart(2, '0')}.jpg`)));
    } catch {
      break;
    }
  }
  return frames.length ? { frames } : { error: 'no frame decoded' };
}

describe('whole visits on the AWS backend: Amplify\'s detector in WebKitGTK, moto and the fake Rekognition (WebDriver)', {
  skip: SERVERS_MISSING && !process.env.CI ? 'needs the local AWS servers (infra/aws-local/servers.sh start)' : false,
}, () => {
  let kiosk;
  let driver;
  let dataDir;
  let display;
  let inbox;
  let card;
  let streamFake;
  let work;
  const suffix = randomUUID().replaceAll('-', '').slice(0, 12);
  const bucket = `bank-evidence-${suffix}`;
  const table = `dayfusion_transactions_${suffix}`;
  /** What the stream fake handed the fake Rekognition for each session: `{ reference, audits, source }`. */
  const completed = new Map();
  const report = { bucket, table, kioskId: KIOSK_ID };
  /** The transactions the kiosk synced so far, and the evidence objects they keep in the bucket. */
  const syncedIds = [];
  const evidenceKeys = [];

  const shot = async (_driver, name) => {
    mkdirSync(SCREENS, { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    screenshotDisplay(display, path.join(SCREENS, `${name}.png`), '1024x768+0+0');
  };
  const { startVisit, documentToLiveness } = visitSteps({ shot });

  before(async () => {
    if (SERVERS_MISSING) {
      throw new Error('DAYFUSION_TEST_MOTO_URL / DAYFUSION_TEST_REKOGNITION_URL not set in CI (infra/aws-local/servers.sh)');
    }
    work = tempDataDir('aws-visit-files');
    card = composeCard(work, 'obama2.jpg');
    // The bank's side, provisioned before the kiosk starts: the bucket and the guide's table.
    await s3('PUT', bucket);
    await dynamodb('CreateTable', {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'TransactionId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'TransactionId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    await rekognitionFake('/_fake/compare', { similarity: 97.25, noFace: null });
    await rekognitionFake('/_fake/detect', { faces: 1 });

    const tls = selfSignedCertificate(work);
    streamFake = await startStreamFake({
      tls,
      // The session must be one the kiosk created on the fake Rekognition; the signature is checked with the
      // secret of the credentials moto's STS issued for that access key.
      expect: async (url) => {
        const sessionId = url.searchParams.get('session-id') ?? '';
        const accessKeyId = (url.searchParams.get('X-Amz-Credential') ?? '').split('/')[0];
        const { sessions } = await rekognitionFake('/_fake/sessions');
        const known = sessions.some((s) => s.sessionId === sessionId && s.status === 'CREATED');
        const credentials = await issuedCredentials(accessKeyId);
        return { scenario: 'session', region: REGION, sessionId: known ? sessionId : `(a CREATED session, not ${sessionId})`, credentials };
      },
      hooks: {
        opened: async (connection) => {
          await rekognitionFake(`/_fake/sessions/${connection.sessionId}/stream`, {});
        },
        // The service's analysis: the session SUCCEEDED, with frames of the streamed video as its images.
        ended: async (connection) => {
          const video = Buffer.concat(connection.video);
          const decoded = framesOf(video, work, 3);
          const fallback = readFileSync(path.join(PHOTOS, 'obama.jpg'));
          const frames = decoded.frames ?? [fallback, fallback, fallback];
          const images = { reference: frames[0], audits: frames.slice(1, 3), source: decoded.frames ? 'video' : `photo (${decoded.error})` };
          while (images.audits.length < 2) images.audits.push(frames[0]);
          completed.set(connection.sessionId, images);
          await rekognitionFake(`/_fake/sessions/${connection.sessionId}/complete`, {
            status: 'SUCCEEDED',
            confidence: 93.5,
            referenceImage: images.reference.toString('base64'),
            auditImages: images.audits.map((a) => a.toString('base64')),
          });
        },
      },
    });
    report.streamEndpoint = streamFake.endpoint;

    kiosk = await launchKioskWithWebDriver('aws-visit', ['--windowed', '--mock-camera'], {
      // The default chain's environment step, no profile files, no instance metadata; every service at moto but
      // Rekognition, which is the fake; the webview's stream at the stream fake (debug builds only).
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: REGION,
      AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ENDPOINT_URL: MOTO,
      AWS_ENDPOINT_URL_REKOGNITION: REKOGNITION,
      DAYFUSION_LIVENESS_ENDPOINT_INSECURE_TEST: streamFake.endpoint,
      DAYFUSION_LIVENESS_ENDPOINT_INSECURE_TEST_CERT: tls.cert,
    }, {
      prepare: (dir) => {
        inbox = seedSettings(dir, 'pt-BR', 'kiosk', { backend: 'aws', kioskId: KIOSK_ID, idleTimeoutSeconds: 60 });
        writeFileSync(path.join(dir, 'aws.toml'), [
          `region = "${REGION}"`,
          `bucket = "${bucket}"`,
          `key-prefix = "${KEY_PREFIX}"`,
          `table = "${table}"`,
          `webview-role-arn = "${WEBVIEW_ROLE}"`,
          'results-wait-s = 60',
          '',
        ].join('\n'));
      },
    });
    ({ driver, dataDir, display } = kiosk);
  }, { timeout: 180000 });

  after(async () => {
    await kiosk?.stop();
    await streamFake?.close();
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(path.join(ARTIFACTS, 'aws-visit.json'), `${JSON.stringify(report, null, 2)}\n`);
  });

  /** Presses the widget's start and waits until the visit settles: the result, or the kiosk's problem screen. */
  async function captureOnce(label) {
    await waitFor(async () => (await driver.executeScript(WIDGET))?.state === 'intro', { timeout: 30000, what: 'the widget intro' });
    const begin = await driver.wait(until.elementLocated(By.css('face-liveness-widget button[data-action="start"]')), 30000);
    const streamsBefore = streamFake.connections.length;
    const started = Date.now();
    await begin.click();
    const timeline = [];
    let last = '';
    let shotTaken = false;
    const settled = await waitFor(async () => {
      const w = await driver.executeScript(WIDGET);
      const key = JSON.stringify([w?.state, w?.error, w?.amplify?.slice(0, 80)]);
      if (w && key !== last) {
        last = key;
        timeline.push({ at: Date.now() - started, state: w.state, error: w.error, status: w.status, amplify: w.amplify });
        if (label && !shotTaken && w.state === 'capture' && /Gravando/.test(w.amplify ?? '')) {
          shotTaken = true;
          await shot(driver, `${label}-07-amplify-recording`);
        }
      }
      if ((await driver.findElements(byTestId('result'))).length) return 'result';
      if ((await driver.findElements(byTestId('liveness-problem'))).length) return 'problem';
      return null;
    }, { timeout: 170000, interval: 200, what: 'the result screen or the kiosk\'s liveness problem' });
    const attempt = {
      settled, ms: Date.now() - started, timeline,
      streams: streamFake.connections.slice(streamsBefore).map((c) => ({
        sessionId: c.sessionId, accessKeyId: c.accessKeyId, problems: c.problems, events: c.events, sent: c.sent,
        hookErrors: c.hookErrors, videoBytes: c.videoBytes, container: containerOf(Buffer.concat(c.video)),
        emptyVideoEvents: c.emptyVideoEvents, sessionInfo: c.sessionInfo.map((x) => x.type), closeCode: c.closeCode,
        openedMs: c.openedAt - started, videoEndedMs: c.endedAt && c.endedAt - started,
      })),
    };
    if (settled === 'problem') {
      attempt.problem = {
        title: await driver.findElement(By.css('[data-testid="liveness-problem"] h1')).getText(),
        message: await driver.findElement(byTestId('liveness-problem-message')).getText(),
        retry: (await driver.findElements(byTestId('liveness-retry'))).length > 0,
        cancel: (await driver.findElements(byTestId('liveness-cancel'))).length > 0,
      };
    }
    return attempt;
  }

  /** Every check of one stream the detector opened: TLS, the SigV4-signed upgrade, the session, the role's credentials. */
  async function assertStreamAccepted(stream) {
    assert.deepEqual(stream.problems, [], 'what the stream fake found wrong');
    assert.deepEqual(stream.hookErrors, []);
    const issued = await issuedCredentials(stream.accessKeyId);
    assert.equal(issued?.roleArn, WEBVIEW_ROLE, 'signed with credentials STS issued for the webview role');
    assert.equal(stream.sent[0], 'ServerSessionInformationEvent', 'the challenge reached the detector');
  }

  /** Once per kiosk page: the page log, what the webview offers, the real recorder measured, the camera, the trace. */
  async function preparePage() {
    if (report.webview) return;
    await visible(driver, 'attract', 60000);
    assert.equal(await driver.executeScript(PAGE_LOG), true);
    report.webview = await driver.executeScript(CAPABILITIES);
    await driver.manage().setTimeouts({ script: 60000 });
    report.recorderProbe = await driver.executeAsyncScript(RECORDER_PROBE);
    console.log(`WebKitGTK MediaRecorder: ${JSON.stringify(report.recorderProbe)}`);
    const face = `data:image/jpeg;base64,${readFileSync(path.join(PHOTOS, 'obama.jpg')).toString('base64')}`;
    assert.equal(await driver.executeScript(AWS_CAMERA, face), true);
    assert.equal(await driver.executeScript(TRACE_RECORDER), true);
  }

  /** From the attract screen to the widget's intro, the AWS bundle loaded (and traced). */
  async function toLivenessIntro(label) {
    await driver.executeScript('window.__e2eTrace.recorder.length = 0; window.__e2eTrace.amplifyErrors.length = 0;');
    try {
      await startVisit(driver, 'pt-BR', label);
      await documentToLiveness(driver, inbox, card, label);
    } catch (error) {
      // What the customer saw instead (an error message of the document step, say).
      await shot(driver, `${label}-05b-stuck`);
      const alerts = await driver.findElements(By.css('[role="alert"]'));
      const texts = await Promise.all(alerts.map((a) => a.getText()));
      throw new Error(`${error.message}; on screen: ${JSON.stringify(texts)}`, { cause: error });
    }
    await waitFor(async () => (await driver.executeScript(WIDGET))?.state === 'intro', { timeout: 30000, what: 'the widget intro' });
    await waitFor(() => driver.executeScript(TRACE_DETECTOR), { timeout: 30000, what: 'face-liveness-aws.js loaded' });
    await shot(driver, `${label}-06-liveness-intro`);
  }

  /** The first capture of a visit, reported and checked up to the stream. */
  async function firstCapture(run, label) {
    const first = await captureOnce(label);
    run.attempts = [first];
    await shot(driver, `${label}-08-${first.settled}`);
    run.trace = await driver.executeScript('return window.__e2eTrace');
    run.pageLog = await driver.executeScript('return window.__e2eLog.splice(0)');
    console.log(JSON.stringify({ first, trace: { recorder: run.trace.recorder, amplifyErrors: run.trace.amplifyErrors }, pageLog: run.pageLog }, null, 1));
    assert.equal(first.streams.length, 1, 'one stream to the fake endpoint');
    await assertStreamAccepted(first.streams[0]);
    return first;
  }

  it('with a stand-in for WebKitGTK\'s MediaRecorder, the visit reaches its result, which equals the DynamoDB item the kiosk synced; S3 holds the guide\'s objects', async () => {
    await preparePage();
    const webm = standInWebm(work);
    assert.equal(await driver.executeScript(STAND_IN_RECORDER, webm.toString('base64'), true), 'stand-in');
    const run = (report.standInRecorder = {});
    await toLivenessIntro('aws-pt-BR');
    const first = await firstCapture(run, 'aws-pt-BR');
    assert.equal(first.settled, 'result', `the visit ended on ${first.settled}: ${JSON.stringify(first.timeline.at(-1))}`);
    assert.equal(first.streams[0].container, 'webm');
    await assertWholeVisit(run, first);
  });

  it('with WebKitGTK\'s own MediaRecorder: the customer sees the pt-BR "try again", then "call staff"; the aborted visit reaches DynamoDB and its document leaves S3', async () => {
    await preparePage();
    assert.equal(await driver.executeScript(STAND_IN_RECORDER, '', false), 'native');
    const run = (report.webkitRecorder = {});
    await toLivenessIntro('aws-webkit-pt-BR');
    const first = await firstCapture(run, 'aws-webkit-pt-BR');
    if (report.recorderProbe.chunksBeforeStop > 0) {
      // This WebKitGTK records: the whole visit, as with the stand-in.
      assert.equal(first.settled, 'result', `the recorder works, yet the visit ended on ${first.settled}: ${JSON.stringify(first.timeline.at(-1))}`);
      await assertWholeVisit(run, first);
    } else {
      assert.equal(first.settled, 'problem', 'without a video the detector cannot finish');
      await assertCustomerSentToStaff(run, first);
    }
  });

  /** The capture succeeded: the result screen, the DynamoDB item the kiosk synced, the guide's objects in S3. */
  async function assertWholeVisit(run, first) {
    const [stream] = first.streams;
    assert.deepEqual(stream.sent, ['ServerSessionInformationEvent', 'DisconnectionEvent']);
    assert.deepEqual(stream.sessionInfo, ['start', 'colour', 'colour', 'colour', 'end'], 'the challenge played: start, each colour, end');
    assert.equal(stream.emptyVideoEvents, 1, 'the video ends with one empty chunk');
    assert.ok(stream.videoBytes > 10_000, `${stream.videoBytes} bytes of video`);
    const images = completed.get(stream.sessionId);
    assert.ok(images, 'the stream fake completed the session');
    run.referenceFrom = images.source;

    // The result screen: the decision, no score, and the transaction's reference.
    const result = await visible(driver, 'result');
    const outcome = await result.getAttribute('data-outcome');
    const text = await result.getText();
    assert.doesNotMatch(text, /\d+[.,]\d|%|score|pontua/i, `no score on the customer's screen: ${text}`);
    const shown = await driver.findElement(byTestId('result-reference')).getText();
    const reference = shown.match(/[0-9A-F]{8}/)?.[0];
    assert.ok(reference, shown);
    run.result = { outcome, reference, text, startToResultMs: first.ms };

    // The kiosk syncs by itself: the guide's item appears in DynamoDB.
    const item = await syncedItem(run, (i) => i.TransactionId.S.replaceAll('-', '').toUpperCase().endsWith(reference));
    const id = item.TransactionId.S;
    assert.equal(outcome, OUTCOME_OF[item.Status.S], `screen ${outcome}, DynamoDB ${item.Status.S}`);
    assert.equal(item.Status.S, 'APPROVED', JSON.stringify(run.item));
    assert.equal(item.SessionId.S, stream.sessionId);
    assert.equal(Number(item.Liveness.N), 93.5);
    assert.equal(Number(item.Similarity.N), 97.25);
    assert.equal(item.EvidenceDeletedAt, undefined);
    const folder = `${KEY_PREFIX}${KIOSK_ID}/`;
    assert.equal(item.DocumentKey.S, `${folder}documents/${id}/document.jpg`);
    assert.equal(item.ReferenceKey.S, `${folder}liveness/${stream.sessionId}/reference.jpg`);
    const auditKeys = item.AuditKeys.L.map((a) => a.S);
    assert.deepEqual(auditKeys, images.audits.map((_, i) => `${folder}liveness/${stream.sessionId}/audit_${i}.jpg`));
    await assertObjects(run, item, [item.DocumentKey.S, item.ReferenceKey.S, ...auditKeys]);
    const referenceBytes = await s3('GET', `${bucket}/${item.ReferenceKey.S}`);
    assert.equal(sha256(referenceBytes), item.ReferenceSha256.S);
    assert.ok(referenceBytes.equals(images.reference), 'the reference image is the one the service returned');
    for (const [i, key] of auditKeys.entries()) {
      assert.ok((await s3('GET', `${bucket}/${key}`)).equals(images.audits[i]), key);
    }
    await click(driver, 'result-done');
    await visible(driver, 'attract', 20000);
  }

  /**
   * WebKitGTK's MediaRecorder gives Amplify no video: the detector stops with its runtime error ("Client failed to
   * start recording.") and the customer sees the kiosk's problem screen with "try again". Each try costs a
   * Rekognition session; after five failed tries in three minutes the kiosk sends the customer to staff, with no
   * retry. Cancelling ends the visit: the transaction is ABORTED and reaches DynamoDB, its evidence deleted.
   */
  async function assertCustomerSentToStaff(run, first) {
    const [stream] = first.streams;
    assert.deepEqual(stream.events, {}, 'no video and no session information reached the stream');
    assert.equal(stream.videoBytes, 0);
    // The detector is unmounted: its WebSocket closes (Amplify's code for a runtime error is 4005).
    const connection = streamFake.connections.find((c) => c.sessionId === stream.sessionId);
    await waitFor(() => connection.closeCode !== null, { timeout: 15000, what: 'the stream to close' });
    run.firstStreamClose = { code: connection.closeCode, afterOpenMs: connection.closedAt - connection.openedAt };
    assert.equal(connection.closeCode, 4005);
    const amplifyError = run.trace.amplifyErrors[0];
    assert.deepEqual({ state: amplifyError?.state, message: amplifyError?.message },
      { state: 'RUNTIME_ERROR', message: 'Client failed to start recording.' });
    assert.ok(run.trace.recorder.some((line) => / start$/.test(line)), 'the recorder started');
    assert.ok(!run.trace.recorder.some((line) => /dataavailable [1-9]/.test(line)), 'and gave no byte of video');
    assert.deepEqual(first.problem, {
      title: 'A selfie não foi concluída',
      message: 'Não conseguimos concluir a captura do rosto. Quer tentar de novo?',
      retry: true,
      cancel: true,
    });

    // The customer tries again: the same end, until the kiosk's limit sends them to staff.
    for (let n = 2; n <= 7 && run.attempts.at(-1).problem.retry; n += 1) {
      await click(driver, 'liveness-retry');
      const attempt = await captureOnce(null);
      run.attempts.push(attempt);
      assert.equal(attempt.settled, 'problem', `try ${n}`);
    }
    run.summary = run.attempts.map((a) => ({ startToMessageMs: a.ms, streams: a.streams.length, message: a.problem.message }));
    console.log(JSON.stringify(run.summary, null, 1));
    const last = run.attempts.at(-1);
    await shot(driver, 'aws-webkit-pt-BR-10-too-many-attempts');
    assert.deepEqual(last.problem, {
      title: 'A selfie não foi concluída',
      message: 'Foram muitas tentativas seguidas. Por favor, chame um atendente.',
      retry: false,
      cancel: true,
    });
    // Five failed captures, each on its own session (one stream each); the sixth start opened none.
    assert.deepEqual(run.attempts.map((a) => a.streams.length), [1, 1, 1, 1, 1, 0]);
    assert.equal(new Set(run.attempts.flatMap((a) => a.streams.map((x) => x.sessionId))).size, 5);
    for (const attempt of run.attempts.slice(0, 5)) await assertStreamAccepted(attempt.streams[0]);

    // The customer cancels: the visit ends, the transaction is closed and synced by the kiosk.
    await click(driver, 'liveness-cancel');
    await visible(driver, 'attract', 30000);
    const item = await syncedItem(run, () => true);
    assert.equal(item.Status.S, 'ABORTED', JSON.stringify(run.item));
    assert.equal(item.AbortReason?.S, 'visit-cancelled');
    assert.equal(item.SessionId?.S, run.attempts[4].streams[0].sessionId, 'the last session the visit opened');
    assert.equal(item.ReferenceKey, undefined, 'no liveness result, no reference image');
    run.result = { outcome: 'aborted', abortReason: item.AbortReason.S };
    // An aborted visit keeps no evidence: the document the item names was deleted from the bucket, and the item
    // says when.
    assert.ok(item.EvidenceDeletedAt?.S, JSON.stringify(run.item));
    assert.equal(item.DocumentKey.S, `${KEY_PREFIX}${KIOSK_ID}/documents/${item.TransactionId.S}/document.jpg`);
    await assertObjects(run, item, []);
  }

  /** The item the kiosk's own sync wrote for the visit just ended (polled for a minute): one more in the table. */
  async function syncedItem(run, match) {
    const since = Date.now();
    const item = await waitFor(async () => {
      const { Items } = await dynamodb('Scan', { TableName: table, ConsistentRead: true, ...TRANSACTIONS_ONLY });
      return Items.find((i) => !syncedIds.includes(i.TransactionId.S) && match(i));
    }, { timeout: 60000, interval: 500, what: 'the transaction\'s item in DynamoDB' });
    run.itemAfterMs = Date.now() - since;
    run.item = Object.fromEntries(Object.entries(item).filter(([k]) => k !== 'Record'));
    syncedIds.push(item.TransactionId.S);
    assert.equal(item.Backend.S, 'aws');
    assert.equal(item.KioskId.S, KIOSK_ID);
    assert.equal(item.PolicyId.S, 'default');
    const { Count } = await dynamodb('Scan', { TableName: table, Select: 'COUNT', ...TRANSACTIONS_ONLY });
    assert.equal(Count, syncedIds.length, 'one item per visit');
    // The kiosk's heartbeat rides on the same sync: its own key, no customer data.
    const heartbeat = await waitFor(async () => {
      const { Item } = await dynamodb('GetItem', {
        TableName: table,
        Key: { TransactionId: { S: `HEARTBEAT#${KIOSK_ID}` } },
        ConsistentRead: true,
      });
      return Item;
    }, { timeout: 60000, interval: 500, what: 'the kiosk\'s heartbeat in DynamoDB' });
    assert.equal(heartbeat.ItemType.S, 'kiosk-heartbeat');
    assert.equal(heartbeat.KioskId.S, KIOSK_ID);
    assert.equal(heartbeat.Record, undefined);
    report.logEvents = [...new Set(readLogEvents(dataDir).map((e) => e.fields?.event).filter(Boolean))];
    return item;
  }

  /**
   * The bucket holds exactly the objects of the visits so far (`keys` of this one: the transaction's objects under
   * the kiosk's folder, as the item names them), besides the kiosk's audit-chain heads (the sync's own record, no
   * evidence); a document among them is what the item hashed.
   */
  async function assertObjects(run, item, keys) {
    const folder = `${KEY_PREFIX}${KIOSK_ID}/`;
    const all = await objectKeys(bucket);
    run.objects = all;
    for (const k of keys) assert.ok(k.startsWith(folder), k);
    evidenceKeys.push(...keys);
    assert.deepEqual(all.filter((k) => !k.startsWith(`${folder}audit-heads/`)), [...evidenceKeys].sort());
    for (const k of all.filter((key) => key.startsWith(`${folder}audit-heads/`))) {
      assert.match(k, new RegExp(`^${folder}audit-heads/${KIOSK_ID}/\\d{12}\\.json$`));
    }
    if (keys.includes(item.DocumentKey?.S)) {
      assert.equal(item.DocumentKey.S, `${folder}documents/${item.TransactionId.S}/document.jpg`);
      const documentBytes = await s3('GET', `${bucket}/${item.DocumentKey.S}`);
      assert.equal(sha256(documentBytes), item.DocumentSha256.S);
    }
  }
});
