// The local liveness mode end to end in headless Chromium: the widget bundle, a fake camera playing a
// clip of a real face approaching, and the real engine behind `dayfusion liveness serve` (loopback HTTP; the
// widget gets the bridge's per-run bearer token, read from the JSON line the command prints, in `bridge-token`).
// The clip is a replay (a recording cannot answer the random colour flashes), so the session must run
// through every step and end refused with reasons. Screenshots of each state go to test-results/.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const root = join(import.meta.dirname, '..');
const repo = join(root, '..');
const bundlePath = join(root, 'dist', 'face-liveness-widget.js');
const cli = process.env.DAYFUSION_CLI ?? join(repo, 'target', 'debug', 'dayfusion');
const evalVideo = join(repo, '..', 'shared', 'eval', 'dev', 'video', 'real_apfol.webm');
const testPhoto = join(process.env.DAYFUSION_TEST_IMAGES ?? join(repo, 'target', 'test-images'), 'face_recognition', 'obama.jpg');
const results = join(root, 'test-results');
const chromiumPath = '/usr/bin/chromium';
/** A closed port on loopback: a request there fails at once. */
const deadEngineUrl = 'http://127.0.0.1:9';

for (const [path, how] of [
  [bundlePath, 'run "npm run build"'],
  [cli, 'build the workspace (cargo build --workspace --bins)'],
  [chromiumPath, 'install the Debian package "chromium"'],
]) {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${how}.`);
}

const workDir = mkdtempSync(join(tmpdir(), 'liveness-session-'));
/** @type {import('node:http').Server} */ let server;
/** @type {import('node:child_process').ChildProcess} */ let engine;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {import('playwright-core').Page} */ let page;
/** @type {string} */ let origin;
/** @type {string} */ let engineUrl;
/** The bridge's bearer token for this run (never printed by the tests). @type {string} */ let engineToken;
/** @type {string} */ let clipSource;
/** @type {string[]} */ const requests = [];

/** @typedef {{ t: number, cx: number, cy: number, w: number }} FaceSample */

/**
 * Width and height of an image or video.
 * @param {string} input
 */
function sizeOf(input) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'json', input], {
    encoding: 'utf8',
  });
  const { width, height } = JSON.parse(out).streams[0];
  return { iw: width, ih: height };
}

/**
 * The one face in an image (`dayfusion detect`): centre and width in pixels, or undefined.
 * @param {string} image
 * @returns {{ cx: number, cy: number, w: number } | undefined}
 */
function faceIn(image) {
  const out = JSON.parse(execFileSync(cli, ['detect', image, '--json'], { encoding: 'utf8' }));
  if (out.faces?.length !== 1) return undefined;
  const { x, y, width, height } = out.faces[0].bbox;
  return { cx: x + width / 2, cy: y + height / 2, w: width };
}

/**
 * The face of a still, or of a video once a second (16 samples), or undefined when one is missing.
 * @param {string} input
 * @param {boolean} still
 * @returns {FaceSample[] | undefined}
 */
function facePath(input, still) {
  if (still) {
    const face = faceIn(input);
    return face && [{ t: 0, ...face }];
  }
  const samples = [];
  for (let t = 0; t < 16; t++) {
    const frame = join(workDir, `sample-${t}.png`);
    // -stream_loop: the clip plays in a loop as the camera does.
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-stream_loop', '-1', '-ss', String(t), '-i', input, '-frames:v', '1', frame]);
    const face = faceIn(frame);
    if (!face) return undefined;
    samples.push({ t, ...face });
  }
  return samples;
}

/**
 * A piecewise-linear ffmpeg expression of the output frame number `on` (30 fps) through the samples.
 * @template {{ t: number }} S
 * @param {S[]} samples
 * @param {(sample: S) => number} value
 */
function piecewise(samples, value) {
  let expr = value(samples[samples.length - 1]).toFixed(3);
  for (let i = samples.length - 2; i >= 0; i--) {
    const [a, b] = [samples[i], samples[i + 1]];
    const [fa, fb] = [a.t * 30, b.t * 30];
    const [va, vb] = [value(a), value(b)];
    expr = `if(lt(on,${fb}),${va.toFixed(3)}+(${(vb - va).toFixed(3)})*(on-${fa})/${fb - fa},${expr})`;
  }
  return expr;
}

/**
 * A 640x480 30 fps y4m of `input` following its face: centred, 27% of the frame wide for 6 s (fits any
 * small oval), coming closer over 2 s to 55% (fits any large oval), then held for 8 s while the colours
 * play. The source is padded first so that the zoom never has to go below 1.
 * @param {string} input
 */
function composeClip(input) {
  const still = /\.(jpe?g|png)$/i.test(input);
  const samples = facePath(input, still);
  if (!samples) return undefined;
  const { iw, ih } = sizeOf(input);
  // Padding: the mean face centre becomes the canvas centre, and the widest face at most 22% of its
  // width (so the zoom starts at about 1.2 and the window can follow the face without hitting an edge).
  const mean = (/** @type {'cx' | 'cy'} */ key) => samples.reduce((sum, s) => sum + s[key], 0) / samples.length;
  const [mcx, mcy] = [mean('cx'), mean('cy')];
  const widest = Math.max(...samples.map((s) => s.w));
  const needW = Math.max(2 * Math.max(mcx, iw - mcx), (widest / 0.27) * 1.2, (2 * Math.max(mcy, ih - mcy) * 4) / 3);
  const padW = Math.ceil(needW / 2) * 2;
  const padH = Math.ceil((padW * 3) / 4 / 2) * 2;
  const [offX, offY] = [Math.round(padW / 2 - mcx), Math.round(padH / 2 - mcy)];
  // The wanted face width as a fraction of the output, by time.
  const target = (/** @type {number} */ t) => (t < 6 ? 0.27 : t < 8 ? 0.27 + ((0.55 - 0.27) * (t - 6)) / 2 : 0.55);
  // A still keeps its face: the corners of the schedule are enough. A video has a sample every second.
  const points = samples.length === 1 ? [0, 6, 8, 15].map((t) => ({ ...samples[0], t })) : samples;
  const path = points.map((s) => ({ ...s, zoom: (target(s.t) * padW) / s.w }));
  const z = piecewise(path, (s) => s.zoom);
  const cx = piecewise(path, (s) => s.cx + offX);
  const cy = piecewise(path, (s) => s.cy + offY);
  const video = join(workDir, 'camera.y4m');
  execFileSync('ffmpeg', [
    '-v', 'error', '-y',
    ...(still ? ['-loop', '1', '-framerate', '30'] : ['-stream_loop', '-1']),
    '-t', '16', '-i', input,
    '-vf', [
      'fps=30',
      `pad=${padW}:${padH}:${offX}:${offY}:color=0x606060`,
      `zoompan=z='${z}':x='(${cx})-iw/zoom/2':y='(${cy})-ih/zoom/2':d=1:s=640x480:fps=30`,
      'format=yuv420p',
    ].join(','),
    '-t', '16', '-f', 'yuv4mpegpipe', video,
  ]);
  return video;
}

/**
 * Starts `dayfusion liveness serve` and resolves with its URL and the bearer token it generated, from the one JSON
 * line it prints once listening (`{"url":"http://127.0.0.1:PORT","token":"<64 hex digits>"}`).
 * @param {string} allowOrigin
 * @returns {Promise<{ url: string, token: string }>}
 */
function startEngine(allowOrigin) {
  // The token is generated, not inherited: DAYFUSION_BRIDGE_TOKEN would be used instead (and not printed).
  const env = { ...process.env };
  delete env.DAYFUSION_BRIDGE_TOKEN;
  engine = spawn(cli, ['liveness', 'serve', '--listen', '127.0.0.1:0', '--allow-origin', allowOrigin], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  return new Promise((resolve, reject) => {
    let out = '';
    engine.stdout?.on('data', (chunk) => {
      out += chunk;
      // Complete lines only.
      const line = out.split('\n').slice(0, -1).find((l) => l.startsWith('{'));
      if (!line) return;
      const { url, token } = JSON.parse(line);
      if (typeof url !== 'string' || !/^[0-9a-f]{64}$/.test(token)) reject(new Error('liveness serve printed no url and token'));
      resolve({ url, token });
    });
    engine.on('exit', (code) => reject(new Error(`dayfusion liveness serve exited with ${code}`)));
  });
}

before(async () => {
  server = createServer((request, response) => {
    const files = {
      '/': { type: 'text/html', body: readFileSync(join(import.meta.dirname, 'fixtures', 'host.html')) },
      '/host.js': { type: 'text/javascript', body: readFileSync(join(import.meta.dirname, 'fixtures', 'host.js')) },
      '/face-liveness-widget.js': { type: 'text/javascript', body: readFileSync(bundlePath) },
    };
    const file = files[/** @type {keyof typeof files} */ (request.url ?? '')];
    // The page may talk to its own origin and to the engine, nothing else.
    const csp = `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; media-src 'self' blob: mediastream:; connect-src 'self' ${engineUrl} ${deadEngineUrl}`;
    response.writeHead(file ? 200 : 404, { 'Content-Type': file?.type ?? 'text/plain', 'Content-Security-Policy': csp });
    response.end(file?.body ?? 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  origin = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  ({ url: engineUrl, token: engineToken } = await startEngine(origin));

  // A real face video when the evaluation set is beside the checkout, else a registry photo.
  let video = existsSync(evalVideo) ? composeClip(evalVideo) : undefined;
  clipSource = 'eval video real_apfol.webm';
  if (!video) {
    video = composeClip(testPhoto);
    clipSource = 'registry photo face_recognition/obama.jpg';
  }
  assert.ok(video, `one face in ${testPhoto}`);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`, '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--disable-quic', '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 800, height: 760 } });
  page.on('request', (request) => requests.push(request.url()));
  await page.goto(`${origin}/`);
  await page.evaluate(() => {
    window.livenessEvents = [];
    for (const type of ['liveness-complete', 'liveness-error', 'liveness-cancel']) {
      document.addEventListener(type, (event) => {
        window.livenessEvents.push({ type, detail: /** @type {CustomEvent} */ (event).detail });
      });
    }
  });
  mkdirSync(results, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
  engine?.kill();
  rmSync(workDir, { recursive: true, force: true });
});

/**
 * The widget root's data-state, data-guidance, data-fps and data-result.
 * @param {string} selector
 */
async function stateOf(selector) {
  return page.evaluate((sel) => {
    const rootEl = document.querySelector(`${sel} [data-state]`);
    return {
      state: rootEl?.getAttribute('data-state'),
      guidance: rootEl?.getAttribute('data-guidance'),
      fps: rootEl?.getAttribute('data-fps'),
      result: rootEl?.getAttribute('data-result'),
    };
  }, selector);
}

test('a replayed face clip runs the whole local session against the real engine and is refused with reasons', async () => {
  await page.evaluate(
    ({ url, token }) => {
      const widget = document.createElement('face-liveness-widget');
      widget.id = 'local';
      widget.setAttribute('engine-url', url);
      widget.setAttribute('bridge-token', token);
      widget.setAttribute('lang', 'en');
      document.body.append(widget);
    },
    { url: engineUrl, token: engineToken },
  );

  await page.locator('#local [data-state="intro"]').waitFor({ timeout: 10_000 });
  await page.screenshot({ path: join(results, 'local-intro-en.png') });
  await page.locator('#local button[data-action="start"]').click();

  // Poll the states, one screenshot at the first sight of each.
  const seen = new Map();
  /** @type {Record<string, string>} */
  const shots = {
    countdown: 'local-countdown-oval',
    'capture:move-closer': 'local-move-closer',
    'capture:hold-still': 'local-guidance-hold-still',
    flash: 'local-colour-flash',
    processing: 'local-processing',
    result: 'local-result',
  };
  const deadline = Date.now() + 120_000;
  let current = await stateOf('#local');
  while (current.state !== 'result' && current.state !== 'error' && Date.now() < deadline) {
    for (const key of [current.state, `${current.state}:${current.guidance}`]) {
      if (key && shots[key] && !seen.has(key)) {
        seen.set(key, Date.now());
        await page.screenshot({ path: join(results, `${shots[key]}.png`) });
      }
    }
    await page.waitForTimeout(100);
    current = await stateOf('#local');
  }
  await page.screenshot({ path: join(results, `${shots.result}.png`) });
  assert.equal(current.state, 'result', `ended in ${JSON.stringify(current)}`);
  assert.ok(seen.has('flash'), `the colours were played (states seen: ${[...seen.keys()].join(', ')})`);
  assert.ok(seen.has('capture:move-closer'), 'the person was asked to come closer');
  const shown = await page.locator('#local').innerText();
  assert.doesNotMatch(shown, /\b(confidence|confiança|score)\b/i, 'the person never sees a score');

  // A failed capture offers a retry; staff taking over hands the summary to the host. A completed one
  // goes to the host at once.
  if (current.result === 'FAILED') await page.locator('#local button[data-action="call-staff"]').click();
  await page.waitForFunction(() => window.livenessEvents.some((e) => e.type === 'liveness-complete'), null, { timeout: 10_000 });
  const events = await page.evaluate(() => window.livenessEvents);
  const summary = /** @type {Record<string, unknown>} */ (events.find((e) => e.type === 'liveness-complete')?.detail);
  assert.equal(summary.status, current.result, JSON.stringify(summary));
  assert.equal(summary.confidence, undefined, 'never a score in the widget');
  assert.ok(Number(summary.frames) >= 30, `frames analysed: ${summary.frames}`);

  // What the flow and staff see: the replay is refused, with the failing checks and their reasons.
  const outcomeUrl = `${engineUrl}/liveness/sessions/${summary.sessionId}/outcome`;
  // Without the token the bridge says nothing (401), with it the outcome.
  const refused = await fetch(outcomeUrl);
  assert.equal(refused.status, 401);
  assert.match((await refused.json()).detail, /^\[bridge-unauthorized\]/);
  const response = await fetch(outcomeUrl, { headers: { authorization: `Bearer ${engineToken}` } });
  assert.equal(response.status, 200);
  const outcome = /** @type {{ confidence: number, checks: { check: string, outcome: string, reason: string, score: number | null }[] }} */ (
    await response.json()
  );
  const failed = outcome.checks.filter((c) => c.outcome === 'failed');
  assert.ok(outcome.confidence < 50, `a replay stays under the pass line: ${JSON.stringify(outcome)}`);
  // The checks a replay cannot pass: the recorded face is flat and does not answer this session's colours.
  assert.ok(
    failed.some((c) => c.check === 'depth' || c.check === 'light'),
    `refused by depth or light: ${JSON.stringify(outcome.checks)}`,
  );

  const metrics = {
    clip: clipSource,
    fps: summary.fps,
    frames: summary.frames,
    durationMs: summary.durationMs,
    status: summary.status,
    confidence: outcome.confidence,
    failedChecks: failed.map((c) => `${c.check}: ${c.reason}`),
  };
  writeFileSync(join(results, 'local-session-metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`local session: ${JSON.stringify(metrics)}`);
  assert.ok(Number(summary.fps) > 0, 'frames per second delivered to the engine are measured');
});

test('a widget without the bridge token is refused by the bridge and ends in the error state', async () => {
  const before = requests.length;
  await page.evaluate((url) => {
    document.querySelector('#local')?.remove();
    const widget = document.createElement('face-liveness-widget');
    widget.id = 'no-token';
    widget.setAttribute('engine-url', url);
    widget.setAttribute('bridge-token', '0'.repeat(64));
    widget.setAttribute('lang', 'en');
    document.body.append(widget);
  }, engineUrl);
  await page.locator('#no-token [data-state="intro"]').waitFor({ timeout: 10_000 });
  await page.locator('#no-token button[data-action="start"]').click();
  await page.locator('#no-token [data-state="error"]').waitFor({ timeout: 20_000 });
  const code = await page.locator('#no-token [data-state]').getAttribute('data-error');
  assert.equal(code, 'engine-unavailable');
  assert.ok(
    requests.slice(before).some((url) => url === `${engineUrl}/liveness/sessions`),
    'the widget did ask the bridge (and was refused)',
  );
  await page.evaluate(() => document.querySelector('#no-token')?.remove());
});

test('an unreachable engine ends in the error state with the kiosk message', async () => {
  await page.evaluate((url) => {
    document.querySelector('#local')?.remove();
    const widget = document.createElement('face-liveness-widget');
    widget.id = 'dead';
    widget.setAttribute('engine-url', url);
    document.body.append(widget);
  }, deadEngineUrl);
  await page.locator('#dead [data-state="intro"]').waitFor({ timeout: 10_000 });
  await page.locator('#dead button[data-action="start"]').click();
  await page.locator('#dead [data-state="error"]').waitFor({ timeout: 20_000 });
  await page.screenshot({ path: join(results, 'local-error-pt-BR.png') });
  const text = await page.locator('#dead').innerText();
  assert.match(text, /motor|serviço|indisponível/i);
});

test('nothing is requested from any host but 127.0.0.1', () => {
  const foreign = requests.filter((url) => new URL(url).hostname !== '127.0.0.1');
  assert.deepEqual(foreign, []);
});
