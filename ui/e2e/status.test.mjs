// WebDriver end-to-end test of the real kiosk app (tauri-driver + WebKitWebDriver
// under Xvfb): the status screen shows data computed by Rust, the mock camera
// gives a live preview, choices persist, a camera no V4L2 device names cannot
// be pinned, and the navigation guard holds.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, until } from 'selenium-webdriver';

import {
  ARTIFACTS, STAFF, launchKioskWithWebDriver, openStaffScreen, screenshotDisplay, signInAsStaff, storedSettings, waitFor,
  workspaceVersion,
} from './harness.mjs';

/** Samples the preview video twice; reports whether its pixels are live. */
const SAMPLE_PREVIEW = `
  const done = arguments[arguments.length - 1];
  const video = document.querySelector('[data-testid="camera-preview"] video');
  if (!video || video.videoWidth === 0) { done({ ok: false, reason: 'no playing video' }); return; }
  const canvas = document.createElement('canvas');
  canvas.width = 160; canvas.height = 120;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const grab = () => { ctx.drawImage(video, 0, 0, 160, 120); return ctx.getImageData(0, 0, 160, 120).data; };
  const a = grab();
  setTimeout(() => {
    const b = grab();
    let min = 255, max = 0, diff = 0;
    for (let i = 0; i < a.length; i += 4) {
      const y = (a[i] + a[i + 1] + a[i + 2]) / 3;
      min = Math.min(min, y); max = Math.max(max, y);
      diff += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
    }
    done({ ok: true, width: video.videoWidth, height: video.videoHeight, range: max - min, diff });
  }, 400);
`;

const byTestId = (id) => By.css(`[data-testid="${id}"]`);

describe('kiosk status screen (WebDriver, mock camera)', () => {
  let kiosk;
  let driver;
  let dataDir;

  before(async () => {
    // Staff accounts are provisioned out of band (the CLI) before the app starts.
    kiosk = await launchKioskWithWebDriver('status', ['--windowed', '--mock-camera'], {}, {
      staff: [STAFF.admin, STAFF.reviewer],
    });
    ({ driver, dataDir } = kiosk);
    // The status screen is a staff screen: sign in as the admin (who may change settings).
    await signInAsStaff(driver);
    await openStaffScreen(driver, 'status');
  }, { timeout: 120000 });

  after(() => kiosk?.stop());

  it('shows health data computed by the Rust core', async () => {
    const detail = await driver.wait(
      until.elementLocated(By.css('[data-testid="health-check-dataDir"] [data-testid="health-detail"]')),
      30000,
    );
    // The data folder only Rust knows (from DAYFUSION_DATA_DIR given to the app).
    await driver.wait(async () => (await detail.getText()).includes(dataDir), 15000);
    const disk = await driver.findElement(By.css('[data-testid="health-check-diskSpace"] [data-testid="health-detail"]'));
    assert.match(await disk.getText(), /GiB free/);
    const version = await driver.findElement(byTestId('app-version')).getText();
    assert.ok(version.includes(workspaceVersion()), `version shown: ${version}`);
    const kioskId = await driver.findElement(byTestId('kiosk-id')).getText();
    assert.equal(kioskId.trim(), storedSettings(dataDir).kioskId);
  });

  it('lists the mock cameras, shows a live preview and persists the choice', async () => {
    const select = await driver.wait(until.elementLocated(byTestId('camera-select')), 15000);
    const options = await waitFor(async () => {
      const found = await select.findElements(By.css('option[value]:not([value=""])'));
      return found.length >= 2 && found;
    }, { what: 'two mock cameras in the list' });
    const second = await options[1].getAttribute('value');
    await options[1].click();

    await waitFor(() => storedSettings(dataDir).cameraId === second, { what: 'camera choice saved' });
    const status = await driver.findElement(byTestId('camera-status'));
    await driver.wait(async () => (await status.getAttribute('data-state')) === 'live', 20000);

    const sample = await waitFor(async () => {
      const s = await driver.executeAsyncScript(SAMPLE_PREVIEW);
      return s.ok && s.diff > 0 && s;
    }, { what: 'live preview pixels' });
    assert.ok(sample.width >= 640 && sample.height >= 480, `preview ${sample.width}x${sample.height}`);
    assert.ok(sample.range > 50, `preview is not a flat image (range ${sample.range})`);
    assert.ok(sample.diff > 1000, `consecutive frames differ (diff ${sample.diff})`);

    // Health now includes the camera state reported to Rust.
    await driver.findElement(byTestId('health-refresh')).click();
    const camera = await driver.wait(until.elementLocated(byTestId('health-check-camera')), 10000);
    await driver.wait(async () => (await camera.getAttribute('data-status')) === 'ok', 10000);

    screenshotDisplay(kiosk.display, path.join(ARTIFACTS, 'status-pt-BR.png'), '1024x768+0+0');
  });

  it('refuses to pin the mock camera, which no V4L2 device names', async () => {
    // The real pin_camera command: Rust looks the label up in sysfs.
    const pin = await driver.findElement(byTestId('camera-pin-button'));
    await driver.wait(async () => pin.isEnabled(), 15000);
    await pin.click();
    const refused = await driver.wait(until.elementLocated(byTestId('camera-pin-refused')), 15000);
    assert.match(await refused.getText(), /não encontra esta câmera/);
    assert.equal(storedSettings(dataDir).cameraPin ?? null, null);
    assert.match(await driver.findElement(byTestId('camera-pin-state')).getText(), /Nenhuma câmera fixada/);
  });

  it('switches to English and remembers it', async () => {
    await driver.findElement(byTestId('lang-en')).click();
    await driver.wait(async () => (await driver.executeScript('return document.documentElement.lang')) === 'en', 10000);
    await waitFor(() => storedSettings(dataDir).language === 'en', { what: 'language saved' });
    screenshotDisplay(kiosk.display, path.join(ARTIFACTS, 'status-en.png'), '1024x768+0+0');
  });

  it('keeps the webview on the app when a page tries to navigate away', async () => {
    const before = await driver.getCurrentUrl();
    await driver.executeScript("window.location.href = 'https://example.com/';");
    await new Promise((r) => setTimeout(r, 1500));
    const nowUrl = await driver.getCurrentUrl();
    assert.equal(new URL(nowUrl).host, new URL(before).host, `navigated to ${nowUrl}`);
    assert.ok(await driver.findElement(byTestId('app-version')).isDisplayed());
  });
});

describe('kiosk lockdown (--harden, as in release builds)', () => {
  let kiosk;
  let driver;

  before(async () => {
    kiosk = await launchKioskWithWebDriver('harden', ['--harden']);
    ({ driver } = kiosk);
  }, { timeout: 120000 });

  after(() => kiosk?.stop());

  it('blocks the context menu and reload/devtools shortcuts', async () => {
    await driver.wait(until.elementLocated(byTestId('attract')), 30000);
    const result = await driver.executeScript(`
      const fire = (ev) => { document.body.dispatchEvent(ev); return ev.defaultPrevented; };
      const key = (init) => fire(new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init }));
      return {
        hardened: window.__DAYFUSION_HARDENED__ === true,
        contextmenu: fire(new MouseEvent('contextmenu', { bubbles: true, cancelable: true })),
        f5: key({ key: 'F5' }),
        ctrlR: key({ key: 'r', ctrlKey: true }),
        devtools: key({ key: 'I', ctrlKey: true, shiftKey: true }),
        plainLetter: key({ key: 'a' }),
      };
    `);
    assert.deepEqual(result, {
      hardened: true, contextmenu: true, f5: true, ctrlR: true, devtools: true, plainLetter: false,
    });
  });

  it('opens full screen without decorations', async () => {
    const rect = await driver.manage().window().getRect();
    assert.equal(rect.width, 1280);
    assert.equal(rect.height, 800);
  });
});
