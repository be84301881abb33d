// WebDriver end-to-end test of the local liveness capture inside the real kiosk app (WebKitGTK,
// WebKit's mock camera): the widget reaches the Rust engine over Tauri IPC with raw JPEG frames,
// shows the engine's guidance, reports the frame rate delivered to Rust, and cancels cleanly.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, until } from 'selenium-webdriver';

import {
  ARTIFACTS, STAFF, launchKioskWithWebDriver, modelsDir, openStaffScreen, readLogEvents, screenshotDisplay, signInAsStaff,
  waitFor,
} from './harness.mjs';

const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/** data-state, data-guidance and data-fps of the widget's root. */
const WIDGET_STATE = `
  const root = document.querySelector('face-liveness-widget [data-state]');
  return root && { state: root.getAttribute('data-state'), guidance: root.getAttribute('data-guidance'),
    fps: root.getAttribute('data-fps'), text: root.innerText };
`;

describe('local liveness check in the kiosk (WebDriver, mock camera)', () => {
  let kiosk;
  let driver;
  let dataDir;

  before(async () => {
    kiosk = await launchKioskWithWebDriver('liveness', ['--windowed', '--mock-camera'], {
      DAYFUSION_MODELS_DIR: modelsDir(),
    }, { staff: [STAFF.admin, STAFF.reviewer] });
    ({ driver, dataDir } = kiosk);
  }, { timeout: 120000 });

  after(() => kiosk?.stop());

  it('streams camera frames to the Rust engine over IPC and shows its guidance', async () => {
    // The liveness check is a staff screen, open to reviewers.
    await signInAsStaff(driver, { account: STAFF.reviewer.id, pin: STAFF.reviewer.pin });
    await openStaffScreen(driver, 'liveness');
    await waitFor(async () => (await driver.executeScript(WIDGET_STATE))?.state === 'intro', {
      what: 'the widget intro',
    });
    screenshotDisplay(kiosk.display, path.join(ARTIFACTS, 'liveness-intro-pt-BR.png'), '1024x768+0+0');
    const start = await driver.findElement(By.xpath("//face-liveness-widget//button[contains(., 'Começar')]"));
    await start.click();

    // The mock camera shows a test pattern: the engine answers every frame with "no face".
    const seen = await waitFor(async () => {
      const s = await driver.executeScript(WIDGET_STATE);
      return s?.state === 'capture' && s.guidance === 'no-face' && Number(s.fps) > 0 && s;
    }, { timeout: 60000, what: 'capture with the engine\'s no-face guidance' });
    assert.match(seen.text, /rosto/i, `the engine's Portuguese guidance is shown: ${seen.text}`);
    // Let the rate settle over a few seconds of streaming.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const settled = await driver.executeScript(WIDGET_STATE);
    screenshotDisplay(kiosk.display, path.join(ARTIFACTS, 'liveness-no-face-pt-BR.png'), '1024x768+0+0');
    const fps = Number(settled.fps);
    writeFileSync(path.join(ARTIFACTS, 'liveness-ipc-fps.json'), `${JSON.stringify({ fps, camera: 'WebKit mock 640x480' })}\n`);
    console.log(`frames per second delivered to Rust over IPC: ${fps}`);
    assert.ok(fps > 0, `fps ${settled.fps}`);

    // Rust saw the session (its log names the session, never a frame).
    const events = await waitFor(() => {
      const found = readLogEvents(dataDir).filter((e) => e.fields?.event === 'liveness_session_started');
      return found.length > 0 && found;
    }, { what: 'liveness_session_started in the kiosk log' });
    assert.equal(events.length, 1);

    const cancel = await driver.findElement(By.xpath("//face-liveness-widget//button[contains(., 'Cancelar')]"));
    await cancel.click();
    const outcome = await driver.wait(until.elementLocated(byTestId('liveness-outcome')), 15000);
    assert.equal(await outcome.getAttribute('data-kind'), 'cancel');
  });
});
