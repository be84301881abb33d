// WebDriver end-to-end test of the customer's document picker in the real app (WebKitGTK under
// Xvfb, embedded backend, real face models): removable media come from a temporary folder the app
// is told is a mounted USB stick (DAYFUSION_REMOVABLE_MEDIA, honoured by debug builds only). The
// stick holds an ID card image, a subfolder, a hidden file, a text file and links to the kiosk's
// data folder and to a file outside; only the image and the subfolder may show, the image must
// reach the portrait confirmation, and an idle timeout must close an open picker. Screenshots in
// pt-BR go to target/e2e-artifacts/screens/.

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, until } from 'selenium-webdriver';

import {
  ARTIFACTS, launchKioskWithWebDriver, modelsDir, readLogEvents, screenshotDisplay, tempDataDir, waitFor,
} from './harness.mjs';
import { composeCard } from './id-card.mjs';

const SCREENS = path.join(ARTIFACTS, 'screens');
const byTestId = (id) => By.css(`[data-testid="${id}"]`);

/** The display of the kiosk under test (screenshots come from the X server). */
let display;

async function shot(name) {
  mkdirSync(SCREENS, { recursive: true });
  // Let the screen settle (transitions, images) before the picture.
  await new Promise((resolve) => setTimeout(resolve, 400));
  screenshotDisplay(display, path.join(SCREENS, `${name}.png`), '1024x768+0+0');
}

async function visible(driver, id, timeout = 20000) {
  const element = await driver.wait(until.elementLocated(byTestId(id)), timeout);
  await driver.wait(until.elementIsVisible(element), timeout);
  return element;
}

async function click(driver, id, timeout = 20000) {
  const element = await visible(driver, id, timeout);
  await element.click();
  return element;
}

/** From the attract screen to the document sources, in pt-BR. */
async function toDocumentStep(driver) {
  await visible(driver, 'attract', 30000);
  await click(driver, 'start');
  await click(driver, 'lang-pt-BR');
  await click(driver, 'consent-accept');
  await visible(driver, 'visit-document');
}

/** The names of the entries the picker shows (read in one go: the list re-renders as it changes). */
function pickerNames(driver) {
  return driver.executeScript(
    "return [...document.querySelectorAll('[data-testid=\"picker-entry\"]')].map((e) => e.getAttribute('data-name'));",
  );
}

/**
 * The fake USB stick:
 *   PENDRIVE/RG frente.jpg     the ID card (listed, picked)
 *   PENDRIVE/Documentos/       a subfolder with another copy (listed)
 *   PENDRIVE/.oculto.jpg       hidden
 *   PENDRIVE/leia-me.txt       not a document
 *   PENDRIVE/dados -> <data>   link to the kiosk's data folder
 *   PENDRIVE/atalho.jpg -> ..  link to an image outside the stick
 */
function fakeStick(work, card) {
  const stick = path.join(work, 'PENDRIVE');
  mkdirSync(path.join(stick, 'Documentos'), { recursive: true });
  copyFileSync(card, path.join(stick, 'RG frente.jpg'));
  copyFileSync(card, path.join(stick, 'Documentos', 'rg-verso.jpg'));
  copyFileSync(card, path.join(stick, '.oculto.jpg'));
  writeFileSync(path.join(stick, 'leia-me.txt'), 'não é um documento\n');
  symlinkSync(card, path.join(stick, 'atalho.jpg'));
  return stick;
}

describe('customer document picker on a USB stick, pt-BR (WebDriver)', () => {
  let kiosk;
  let driver;
  let dataDir;
  let stick;

  before(async () => {
    const work = tempDataDir('picker-files');
    const card = composeCard(work, 'obama2.jpg');
    stick = fakeStick(work, card);
    kiosk = await launchKioskWithWebDriver('picker', ['--windowed', '--mock-camera'], {
      DAYFUSION_MODELS_DIR: modelsDir(),
      DAYFUSION_REMOVABLE_MEDIA: stick,
      DAYFUSION_EVIDENCE_KEY: 'file',
    }, {
      prepare: (dir) => {
        // The stick links to the kiosk's own data folder: it must never show.
        symlinkSync(dir, path.join(stick, 'dados'));
        writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({
          kiosk: {
            backend: 'embedded', language: 'pt-BR', cameraId: null, kioskId: 'kiosk-e2e-picker',
            policyId: 'default', retentionDays: 180, idleTimeoutSeconds: 30, documentInbox: null,
          },
        }));
      },
    });
    ({ driver, dataDir, display } = kiosk);
  }, { timeout: 180000 });

  after(() => kiosk?.stop());

  it('lists only the image and the folder of the stick, and the image reaches the portrait', async () => {
    await toDocumentStep(driver);
    const source = await visible(driver, 'doc-removableMedia');
    assert.match(await source.getText(), /Pendrive \/ cartão de memória/);
    await source.click();
    const medium = await visible(driver, 'picker-medium', 20000);
    assert.equal(await medium.getAttribute('data-label'), 'PENDRIVE');
    assert.equal((await driver.findElements(byTestId('picker-medium'))).length, 1);
    await shot('pt-BR-40-picker-media');

    await medium.click();
    await visible(driver, 'picker-entries');
    const names = await pickerNames(driver);
    assert.deepEqual(names, ['Documentos', 'RG frente.jpg'], `listed: ${names}`);
    for (const hidden of ['..', '.oculto.jpg', 'leia-me.txt', 'dados', 'atalho.jpg']) {
      assert.ok(!names.includes(hidden), `${hidden} must not be listed`);
    }
    const picker = await visible(driver, 'visit-picker');
    const text = await picker.getText();
    assert.doesNotMatch(text, /settings\.json|transactions\.db|evidence|dados|\.oculto/);
    assert.ok(!text.includes(stick) && !text.includes(dataDir), 'no system path on screen');
    // No path to type, no file dialog: the picker has no text field.
    assert.equal((await driver.findElements(By.css('[data-testid="visit-picker"] input'))).length, 0);
    await shot('pt-BR-41-picker-files');

    // Into the subfolder and back up: never above the stick's root.
    const folder = await driver.findElement(By.css('[data-testid="picker-entry"][data-name="Documentos"]'));
    await folder.click();
    await waitFor(async () => (await pickerNames(driver)).includes('rg-verso.jpg'), { what: 'the subfolder' });
    await click(driver, 'picker-back');
    await waitFor(async () => (await pickerNames(driver)).includes('RG frente.jpg'), { what: 'the stick root' });

    // The webview cannot reach outside the stick or another visit through the commands either.
    const refused = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('visit_media_list', { visitId: 'not-a-visit' })
        .then(() => done('accepted'), (e) => done(String(e && e.detail || e)));
    `);
    assert.match(refused, /^\[visit-expired\]/);

    const image = await driver.findElement(By.css('[data-testid="picker-entry"][data-name="RG frente.jpg"]'));
    await image.click();
    await visible(driver, 'portrait-image', 60000);
    await visible(driver, 'portrait-confirm');
    await shot('pt-BR-42-picker-portrait');
    assert.equal((await driver.findElements(byTestId('visit-picker'))).length, 0);

    const events = readLogEvents(dataDir);
    assert.ok(events.some((e) => e.fields?.event === 'visit_media_document_read'), 'the read is logged');
    assert.ok(events.some((e) => e.fields?.event === 'visit_document_taken'), 'the portrait was found');
    const logged = JSON.stringify(events);
    assert.ok(!logged.includes('RG frente') && !logged.includes(stick), 'no file name or path in the log');

    // Leave the visit: take another, then cancel.
    await click(driver, 'portrait-retake');
    await click(driver, 'visit-cancel');
    await visible(driver, 'attract', 20000);
  });

  it('closes an open picker when the visit times out, back to the attract screen', async () => {
    await toDocumentStep(driver);
    await click(driver, 'doc-removableMedia');
    await click(driver, 'picker-medium');
    await visible(driver, 'picker-entries');
    await visible(driver, 'idle-warning', 40000);
    await visible(driver, 'attract', 30000);
    assert.equal((await driver.findElements(byTestId('visit-picker'))).length, 0, 'the picker is gone');
    assert.equal((await driver.findElements(byTestId('picker-entry'))).length, 0);
    const ended = readLogEvents(dataDir).filter((e) => e.fields?.event === 'visit_ended').map((e) => e.fields.reason);
    assert.ok(ended.includes('visit-idle-timeout'), `visit_ended reasons: ${ended}`);

    // The next customer starts on the sources, not in the previous customer's picker.
    await toDocumentStep(driver);
    await visible(driver, 'doc-removableMedia');
    assert.equal((await driver.findElements(byTestId('visit-picker'))).length, 0);
    await click(driver, 'visit-cancel');
    await visible(driver, 'attract', 20000);
  });
});
