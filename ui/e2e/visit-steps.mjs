// The customer's steps of a kiosk visit under WebDriver, shared by the end-to-end tests of a whole visit
// (kiosk-flow.test.mjs on the embedded backend, aws-visit.test.mjs on the AWS backend) and the soak run (soak.mjs):
// the settings a fresh kiosk starts with, a scan dropped in the scan-to-folder inbox, the screens from the attract
// screen to the liveness check, the canvas camera of the embedded backend's tests and a whole visit with it to a
// decision checked against SQLite.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { By, until } from 'selenium-webdriver';

import { cli, tempDataDir, transactions, waitFor } from './harness.mjs';
import { PHOTOS } from './id-card.mjs';

/** A locator by `data-testid`. */
export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/** Waits until the element `id` shows and clicks it; returns it. */
export async function click(driver, id, timeout = 20000) {
  const element = await driver.wait(until.elementLocated(byTestId(id)), timeout);
  await driver.wait(until.elementIsVisible(element), timeout);
  await element.click();
  return element;
}

/** Waits until the element `id` shows; returns it. */
export async function visible(driver, id, timeout = 20000) {
  const element = await driver.wait(until.elementLocated(byTestId(id)), timeout);
  await driver.wait(until.elementIsVisible(element), timeout);
  return element;
}

/** Drops a scan into the inbox as a scanner would (settled: older than two seconds). */
export function dropScan(inbox, card) {
  mkdirSync(inbox, { recursive: true });
  const target = path.join(inbox, `scan-${Date.now()}.jpg`);
  writeFileSync(target, readFileSync(card));
  const past = new Date(Date.now() - 10_000);
  utimesSync(target, past, past);
  return target;
}

/**
 * Settings of a fresh kiosk with a scan-to-folder inbox, a short idle timeout, `language` and
 * `mode` (`kiosk`, or `field` for a field agent's laptop), written before the launch in the
 * settings store's format (`<data>/settings.json`, the settings under `kiosk`); `extra` replaces
 * any of them (e.g. `{ backend: 'aws', kioskId: '…' }`). Returns the inbox folder.
 */
export function seedSettings(dataDir, language, mode = 'kiosk', extra = {}) {
  // A folder of its own: the kiosk refuses an inbox inside its data folder (it deletes the scans).
  const inbox = tempDataDir('inbox');
  writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify({
    kiosk: {
      backend: 'embedded', language, cameraId: null, kioskId: 'kiosk-e2e', policyId: 'default',
      retentionDays: 180, idleTimeoutSeconds: 30, documentInbox: inbox, mode, ...extra,
    },
  }));
  return inbox;
}

/** The face box of a registry photo as fractions of the photo (from the CLI's detector). */
function faceBox(photo) {
  const found = JSON.parse(cli(tempDataDir('detect'), ['detect', '--json', photo]));
  const { x, y, width, height } = found.faces[0].bbox;
  return { x: x / found.width, y: y / found.height, w: width / found.width, h: height / found.height };
}

/**
 * The test's camera: `getUserMedia` answers with a canvas stream that shows the face photo where
 * the widget's oval asks for it (as a person follows the screen: the engine tells the large oval
 * only once the face filled the small one), tinted by the colour on screen during the flashes,
 * with sensor noise so no two frames are alike. The oval is read back from the ellipse the widget
 * draws (mirrored, 1.1 times the target face width).
 */
export const TEST_CAMERA = `
  const [faceUrl, box] = arguments;
  if (window.__testCamera) return true;
  const image = new Image();
  image.src = faceUrl;
  const canvas = document.createElement('canvas');
  canvas.width = 640; canvas.height = 480;
  const ctx = canvas.getContext('2d');
  let oval = null;
  const draw = () => {
    const host = document.querySelector('face-liveness-widget');
    const root = host && host.querySelector('[data-state]');
    const ellipse = root && root.querySelector('ellipse[data-oval]');
    const view = ellipse && ellipse.ownerSVGElement && ellipse.ownerSVGElement.viewBox.baseVal;
    if (view && view.width) {
      const at = (name) => Number(ellipse.getAttribute(name));
      oval = { centerX: 1 - at('cx') / view.width, centerY: at('cy') / view.height, width: (2 * at('rx')) / (view.width * 1.1) };
    }
    ctx.fillStyle = '#7a7f87'; ctx.fillRect(0, 0, 640, 480);
    if (image.complete && image.naturalWidth && oval) {
      const scale = (oval.width * 640) / (box.w * image.naturalWidth);
      const w = image.naturalWidth * scale, h = image.naturalHeight * scale;
      const fx = (box.x + box.w / 2) * w, fy = (box.y + box.h / 2) * h;
      const jitter = () => (Math.random() - 0.5) * 3;
      const x = oval.centerX * 640 - fx + jitter(), y = oval.centerY * 480 - fy + jitter();
      ctx.drawImage(image, x, y, w, h);
      const flash = root && root.getAttribute('data-flash');
      if (flash) {
        ctx.globalAlpha = 0.22; ctx.fillStyle = flash;
        ctx.fillRect(x + box.x * w - 20, y + box.y * h - 20, box.w * w + 40, box.h * h + 40);
        ctx.globalAlpha = 1;
      }
    }
    for (let i = 0; i < 400; i += 1) {
      const v = Math.floor(Math.random() * 255);
      ctx.fillStyle = 'rgb(' + v + ',' + v + ',' + v + ')';
      ctx.fillRect(Math.random() * 640, Math.random() * 480, 1, 1);
    }
  };
  setInterval(draw, 50);
  // On the prototype: WebKit hands out a fresh navigator.mediaDevices object along the way.
  MediaDevices.prototype.getUserMedia = async () => canvas.captureStream(20);
  window.__testCamera = true;
  return true;
`;

/** The registry photo the test camera shows, as a data URL, and its face box. */
let cameraFace;
function testCameraFace() {
  if (!cameraFace) {
    const photo = path.join(PHOTOS, 'obama.jpg');
    cameraFace = { url: `data:image/jpeg;base64,${readFileSync(photo).toString('base64')}`, box: faceBox(photo) };
  }
  return cameraFace;
}

/**
 * Puts the test camera in place of the mock one (before the widget opens it); the page keeps it
 * until it reloads. Returns when the page says it is in place.
 */
export async function installTestCamera(driver) {
  const { url, box } = testCameraFace();
  assert.equal(await driver.executeScript(TEST_CAMERA, url, box), true, 'the test camera is in place');
}

/** data-outcome of the result screen for each stored status. */
export const OUTCOME_OF = { APPROVED: 'approved', REJECTED: 'rejected', REVIEW: 'review' };

/**
 * The customer's steps with screenshots through `shot(driver, name)` (called only where a
 * `prefix` is given; the picture is named `${prefix}-NN-screen`).
 */
export function visitSteps({ shot }) {
  /** Customer path from the attract screen to the consent in `lang`. */
  async function startVisit(driver, lang, prefix) {
    await visible(driver, 'attract', 30000);
    if (prefix) await shot(driver, `${prefix}-01-attract`);
    await click(driver, 'start');
    await visible(driver, 'visit-language');
    if (prefix) await shot(driver, `${prefix}-02-language`);
    await click(driver, `lang-${lang}`);
    await visible(driver, 'visit-consent');
    if (prefix) await shot(driver, `${prefix}-03-consent`);
  }

  /** From the consent to the liveness screen with the inbox scan. */
  async function documentToLiveness(driver, inbox, card, prefix) {
    await click(driver, 'consent-accept');
    await visible(driver, 'visit-document');
    if (prefix) await shot(driver, `${prefix}-04-document`);
    dropScan(inbox, card);
    await click(driver, 'doc-inbox');
    await visible(driver, 'portrait-image', 60000);
    if (prefix) await shot(driver, `${prefix}-05-portrait`);
    await click(driver, 'portrait-confirm');
    await visible(driver, 'visit-liveness', 60000);
  }

  /**
   * From the attract screen (the test camera in place) through a whole visit in `lang` to the
   * result; checks the result against SQLite and returns `{ outcome, elapsedMs, phases, stored }`.
   * Screenshots are named after `prefix` (the language by default; `null` takes none). With
   * `noFlash` the customer takes the check without flashing colours; with `paper` (the file standing
   * in for the kiosk's receipt printer) the customer prints the receipt, checked on the paper;
   * `onResult` runs on the result screen before "done".
   */
  async function wholeVisit(driver, dataDir, inbox, card, lang, prefix = lang, { noFlash = false, paper, onResult } = {}) {
    const shotAs = (name) => (prefix ? shot(driver, `${prefix}-${name}`) : undefined);
    const known = new Set(transactions(dataDir).map((t) => t.transactionId));
    await startVisit(driver, lang);
    const started = Date.now();
    await documentToLiveness(driver, inbox, card, prefix);
    await shotAs('06-liveness-intro');
    const label = noFlash
      ? (lang === 'en' ? 'Check without flashing colours' : 'Verificar sem cores piscando')
      : (lang === 'en' ? 'Start' : 'Começar');
    const begin = await driver.wait(
      until.elementLocated(By.xpath(`//face-liveness-widget//button[contains(., '${label}')]`)), 30000);
    await begin.click();
    const phases = new Set();
    const result = await waitFor(async () => {
      const phase = await driver.executeScript(
        "const r = document.querySelector('face-liveness-widget [data-state]'); return r && r.getAttribute('data-state') === 'capture' && r.getAttribute('data-phase');");
      if (phase && !phases.has(phase)) {
        phases.add(phase);
        await shotAs(`08-liveness-${phase}`);
      }
      if ((await driver.findElements(byTestId('processing'))).length && !phases.has('processing')) {
        phases.add('processing');
        await shotAs('08b-processing');
      }
      const found = await driver.findElements(byTestId('result'));
      return found.length ? found[0] : null;
    }, { timeout: 170000, interval: 250, what: 'the result screen' });
    const elapsedMs = Date.now() - started;
    await shotAs('09-result');
    const outcome = await result.getAttribute('data-outcome');
    const text = await result.getText();
    assert.doesNotMatch(text, /\d+[.,]\d|%|score|pontua/i, `no score on the customer's screen: ${text}`);
    const stored = transactions(dataDir).filter((t) => !known.has(t.transactionId));
    assert.equal(stored.length, 1);
    assert.equal(stored[0].stage, 'decided');
    assert.equal(outcome, OUTCOME_OF[stored[0].status], `screen ${outcome}, SQLite ${stored[0].status}`);
    const shown = await driver.findElement(byTestId('result-reference')).getText();
    const reference = shown.match(/[0-9A-F]{8}/)?.[0];
    assert.ok(reference && stored[0].transactionId.replaceAll('-', '').toUpperCase().endsWith(reference), shown);
    // The same protocol as a QR code, encoded by the kiosk.
    const qr = await driver.wait(until.elementLocated(By.css('[data-testid="result-qr"] svg path')), 10000);
    assert.match(await qr.getAttribute('d'), /^M0 0h7v1h-7z/, 'a QR code starts with its finder pattern');
    assert.equal(
      await driver.findElement(By.css('[data-testid="result-qr"] svg')).getAttribute('data-text'),
      reference,
    );
    assert.equal(stored[0].consent?.language, lang);
    if (paper) {
      const before = readFileSync(paper).length;
      await click(driver, 'result-print');
      const status = await visible(driver, 'receipt-status');
      await driver.wait(async () => (await status.getAttribute('data-state')) !== 'printing', 20000);
      assert.equal(await status.getAttribute('data-state'), 'printed');
      await shotAs('09b-receipt');
      const printed = readFileSync(paper).subarray(before);
      // ESC/POS: reset, code page 16, the outcome, the protocol as text and stored for the QR code.
      assert.deepEqual([...printed.subarray(0, 5)], [0x1b, 0x40, 0x1b, 0x74, 16]);
      assert.ok(printed.includes(Buffer.from(`: ${reference}`)), 'the protocol as text');
      assert.ok(
        printed.includes(Buffer.from([0x1d, 0x28, 0x6b, reference.length + 3, 0, 49, 80, 48, ...Buffer.from(reference)])),
        'the protocol stored for the QR code',
      );
      assert.ok(printed.subarray(-4).equals(Buffer.from([0x1d, 0x56, 66, 0])), 'cut');
    }
    if (onResult) await onResult();
    await click(driver, 'result-done');
    await visible(driver, 'attract', 20000);
    return { outcome, elapsedMs, phases: [...phases], stored: stored[0] };
  }

  return { startVisit, documentToLiveness, wholeVisit };
}
