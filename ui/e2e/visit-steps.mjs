// The customer's steps of a kiosk visit under WebDriver, shared by the end-to-end tests of a whole visit
// (kiosk-flow.test.mjs on the embedded backend, aws-visit.test.mjs on the AWS backend): the settings a fresh kiosk
// starts with, a scan dropped in the scan-to-folder inbox, and the screens from the attract screen to the liveness
// check.

import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { By, until } from 'selenium-webdriver';

import { tempDataDir } from './harness.mjs';

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

  return { startVisit, documentToLiveness };
}
