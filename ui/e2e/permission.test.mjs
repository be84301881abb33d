// Runs the real app WITHOUT WebDriver (which grants the camera by itself) to
// prove the kiosk's own permission handler lets the webview open the camera.
// The webview reports the camera state to Rust, which logs it; the test reads
// the app's JSON log.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  APP, ARTIFACTS, guiEnv, readLogEvents, requireApp, screenshotDisplay, startXvfb, stopProcess,
  tempDataDir, waitFor,
} from './harness.mjs';

/** What a camera_state log event may carry: counts and formats, never device ids or labels. */
const LOGGED_CAMERA_FIELDS = ['message', 'event', 'state', 'devices', 'width', 'height', 'fps'];

describe('camera permission handler (no WebDriver)', () => {
  const dataDir = tempDataDir('permission');
  let xvfb;
  let app;
  let output = '';

  before(async () => {
    requireApp();
    xvfb = await startXvfb();
    app = spawn(APP, ['--mock-camera'], {
      env: guiEnv(xvfb.display, { DAYFUSION_DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout.on('data', (d) => (output += d));
    app.stderr.on('data', (d) => (output += d));
  }, { timeout: 120000 });

  after(async () => {
    await stopProcess(app);
    await xvfb?.stop();
  });

  it('grants the camera to the webview and the preview goes live', async () => {
    const cameraEvent = await waitFor(
      () => readLogEvents(dataDir).find((e) => e.fields?.event === 'camera_state'),
      { timeout: 60000, what: `a camera_state log event (app output: ${output.slice(-2000)})` },
    );
    assert.equal(cameraEvent.fields.state, 'Live', `camera state: ${JSON.stringify(cameraEvent.fields)}`);
    const permission = readLogEvents(dataDir).find((e) => e.fields?.event === 'webview_permission');
    assert.equal(permission?.fields.kind, 'Camera');
    assert.equal(permission?.fields.allowed, true);
    // Give the preview a moment to paint, then keep a picture of the full-screen kiosk.
    await new Promise((r) => setTimeout(r, 1500));
    screenshotDisplay(xvfb.display, path.join(ARTIFACTS, 'kiosk-fullscreen-no-webdriver.png'));
  });

  it('logs the camera report with counts and formats only', () => {
    // Device ids and labels never reach the log.
    const cameraEvents = readLogEvents(dataDir).filter((e) => e.fields?.event === 'camera_state');
    assert.ok(cameraEvents.length > 0);
    for (const e of cameraEvents) {
      const unexpected = Object.keys(e.fields).filter((k) => !LOGGED_CAMERA_FIELDS.includes(k));
      assert.deepEqual(unexpected, [], `unexpected camera log fields: ${unexpected}`);
    }
  });
});
