// WebDriver end-to-end tests of the customer flow's accessibility in the real app (WebKitGTK under
// Xvfb, embedded backend, real face models, the canvas test camera): a whole visit by keyboard
// alone with spoken guidance on (the phrases the kiosk said, read back from its log in order, and
// its phrase cache); the check without flashing colours (the transaction records it and gets the
// default policy's outcome); and the customer screens at 1024x768 and 1280x800 in the normal,
// larger-text and high-contrast modes with nothing cut off. Screenshots and the phrase list go to
// target/e2e-artifacts/accessibility/.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, Key } from 'selenium-webdriver';

import { AXE_VERSION, axeScan, blocking } from './axe.mjs';
import {
  ARTIFACTS,
  STAFF,
  launchKioskWithWebDriver,
  modelsDir,
  openStaffScreen,
  readLogEvents,
  screenshotDisplay,
  signInAsStaff,
  tempDataDir,
  transactions,
  waitFor,
} from './harness.mjs';
import { composeCard } from './id-card.mjs';
import {
  byTestId,
  click,
  dropScan,
  installTestCamera,
  seedSettings,
  visible,
  visitSteps,
} from './visit-steps.mjs';

const OUT = path.join(ARTIFACTS, 'accessibility');

let display;
/** The window's size now, for the screenshots' crop. */
let size = { width: 1024, height: 768 };

async function shot(_driver, name) {
  mkdirSync(OUT, { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 400));
  screenshotDisplay(display, path.join(OUT, `${name}.png`), `${size.width}x${size.height}+0+0`);
}

const { wholeVisit } = visitSteps({ shot });

/** Presses `key` as a keyboard or keypad does (WebDriver key actions on the focused page). */
async function press(driver, key) {
  await driver.actions({ async: true }).sendKeys(key).perform();
  await new Promise((resolve) => setTimeout(resolve, 150));
}

/** The 1-based keypad number of the button `testId` on the screen (its place among the buttons). */
function keypadNumber(driver, testId) {
  return driver.executeScript(
    `const scope = document.querySelector('[role="alertdialog"]') || document.querySelector('main');
     const buttons = [...scope.querySelectorAll('button')].filter((b) => !b.disabled);
     return buttons.findIndex((b) => b.dataset.testid === arguments[0]) + 1;`,
    testId,
  );
}

/** Leaves whatever screen a failed step left for the attract screen (cancel, Escape). */
async function backToAttract(driver) {
  for (let i = 0; i < 5; i += 1) {
    if ((await driver.findElements(byTestId('attract'))).length) return;
    let pressed = false;
    for (const id of ['liveness-cancel', 'visit-cancel', 'declined-done', 'result-done', 'camera-missing-done']) {
      const found = await driver.findElements(byTestId(id));
      if (found.length) {
        await found[0].click().catch(() => undefined);
        pressed = true;
        break;
      }
    }
    if (!pressed) await press(driver, Key.ESCAPE);
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
  await visible(driver, 'attract', 20000);
}

/**
 * The customer screens from the attract screen to the face check's intro and its cancelled screen,
 * in `lang`, calling `onScreen(name)` on each (`language` after `onLanguage()`, which may choose a
 * display mode); back on the attract screen at the end. `cancelWith` cancels the widget's intro.
 */
async function walkCustomerScreens(driver, { lang, inbox, card, onScreen, onLanguage, cancelWith }) {
  await onScreen('attract');
  await click(driver, 'start');
  await visible(driver, 'visit-language');
  if (onLanguage) await onLanguage();
  await onScreen('language');
  await click(driver, `lang-${lang}`);
  await visible(driver, 'visit-consent');
  await onScreen('consent');
  await click(driver, 'consent-accept');
  await visible(driver, 'visit-document');
  await onScreen('document');
  dropScan(inbox, card);
  await click(driver, 'doc-inbox');
  await visible(driver, 'visit-portrait', 60000);
  await onScreen('portrait');
  await click(driver, 'portrait-confirm');
  await visible(driver, 'visit-liveness', 60000);
  await waitFor(
    () =>
      driver.executeScript(
        'return !!document.querySelector(\'face-liveness-widget [data-state="intro"]\')',
      ),
    { what: 'the liveness intro' },
  );
  await onScreen('liveness-intro');
  await cancelWith();
  await visible(driver, 'liveness-problem');
  await onScreen('liveness-cancelled');
  await click(driver, 'liveness-cancel');
  await visible(driver, 'attract', 20000);
}

/** The phrases the kiosk said, in order, from its log. */
function spokenPhrases(dataDir) {
  return readLogEvents(dataDir)
    .filter((e) => e.fields?.event === 'speech_phrase')
    .map((e) => ({
      phrase: e.fields.phrase,
      durationMs: e.fields.duration_ms,
      cached: e.fields.cached,
    }));
}

/** Whether the page fits the window: no scrollbar either way. */
function fits(driver) {
  return driver.executeScript(
    `const root = document.documentElement;
     return { fits: root.scrollHeight <= window.innerHeight + 1 && root.scrollWidth <= window.innerWidth + 1,
              scrollHeight: root.scrollHeight, innerHeight: window.innerHeight,
              scrollWidth: root.scrollWidth, innerWidth: window.innerWidth };`,
  );
}

describe('accessibility of the customer flow (WebDriver, canvas camera)', () => {
  let kiosk;
  let driver;
  let dataDir;
  let inbox;
  let card;

  before(
    async () => {
      card = composeCard(tempDataDir('a11y-files'), 'obama2.jpg');
      kiosk = await launchKioskWithWebDriver(
        'a11y',
        ['--windowed', '--mock-camera'],
        {
          DAYFUSION_MODELS_DIR: modelsDir(),
          // The phrases play on ALSA's null device (no sound card under Xvfb).
          DAYFUSION_SPEECH_DEVICE: 'null',
        },
        {
          staff: [STAFF.admin],
          prepare: (dir) => {
            inbox = seedSettings(dir, 'pt-BR', 'kiosk', { idleTimeoutSeconds: 120 });
          },
        },
      );
      ({ driver, dataDir, display } = kiosk);
      await visible(driver, 'attract', 30000);
      await installTestCamera(driver);
    },
    { timeout: 180000 },
  );

  after(() => kiosk?.stop());

  it('runs a whole visit by keyboard alone, each screen spoken in order', async () => {
    const known = new Set(transactions(dataDir).map((t) => t.transactionId));
    // 0 on the attract screen: a visit with spoken guidance.
    await press(driver, '0');
    await visible(driver, 'visit-language');
    assert.equal(
      await driver.findElement(byTestId('access-speech')).getAttribute('aria-pressed'),
      'true',
    );
    await press(driver, '1');
    await press(driver, Key.ENTER);
    await visible(driver, 'visit-consent');
    await press(driver, Key.ENTER);
    await visible(driver, 'visit-document');
    dropScan(inbox, card);
    await press(driver, String(await keypadNumber(driver, 'doc-inbox')));
    await press(driver, Key.ENTER);
    await visible(driver, 'visit-portrait', 60000);
    await press(driver, Key.ENTER);
    await visible(driver, 'visit-liveness', 60000);
    await waitFor(
      async () =>
        (await driver.findElements(byTestId('visit-liveness'))).length &&
        driver.executeScript(
          'return !!document.querySelector(\'face-liveness-widget button[data-keypad="confirm"]\')',
        ),
      { what: "the widget's start button" },
    );
    await press(driver, Key.ENTER);
    const result = await waitFor(async () => (await driver.findElements(byTestId('result')))[0], {
      timeout: 170000,
      interval: 250,
      what: 'the result screen',
    });
    const outcome = await result.getAttribute('data-outcome');
    await shot(driver, 'keyboard-result');
    await press(driver, Key.ENTER);
    await visible(driver, 'attract', 20000);
    const stored = transactions(dataDir).filter((t) => !known.has(t.transactionId));
    assert.equal(stored.length, 1);
    assert.equal(stored[0].stage, 'decided');

    const phrases = spokenPhrases(dataDir);
    const ids = phrases.map((p) => p.phrase);
    const order = [
      'screen.language',
      'screen.consent',
      'screen.document',
      'screen.portrait',
      'screen.liveness',
      `screen.result.${outcome}`,
    ];
    const at = order.map((id) => ids.indexOf(id));
    assert.ok(
      at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1])),
      `phrases in order: ${ids.join(', ')}`,
    );
    // The widget's live instructions were said between the intro and the result.
    const live = ids.slice(at[4] + 1, at[5]).filter((id) => id.startsWith('liveness.'));
    assert.ok(live.length > 0, `live instructions: ${ids.join(', ')}`);
    const consent = phrases.find((p) => p.phrase === 'screen.consent');
    assert.ok(consent.durationMs > 20000, `the whole consent is read: ${consent.durationMs} ms`);
    // Cached per phrase, except the result, which holds the protocol number.
    const cache = path.join(dataDir, 'speech-cache');
    const files = existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.wav')) : [];
    assert.ok(files.length >= 5, `phrase cache: ${files.length} files`);
    assert.equal(phrases.find((p) => p.phrase.startsWith('screen.result.'))?.cached, false);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(
      path.join(OUT, 'keyboard-visit-phrases.json'),
      `${JSON.stringify({ outcome, phrases }, null, 2)}\n`,
    );
  });

  it('takes the check without flashing colours: recorded, and the policy sends it to a person', async () => {
    const run = await wholeVisit(driver, dataDir, inbox, card, 'pt-BR', 'no-flash', {
      noFlash: true,
    });
    const { stored } = run;
    assert.equal(stored.liveness?.assurance, 'movement-challenge');
    assert.ok(!run.phases.includes('flashing'), `phases: ${run.phases}`);
    assert.equal(stored.policy.id, 'default');
    if (stored.status !== 'REJECTED') {
      assert.equal(stored.status, 'REVIEW');
      assert.ok(
        stored.decision.reasons.includes('liveness-no-light-challenge'),
        stored.decision.reasons.join(', '),
      );
    }
    const light = stored.liveness.checks.find((c) => c.check === 'light');
    assert.equal(light?.reason, 'light-movement-only');
    mkdirSync(OUT, { recursive: true });
    writeFileSync(
      path.join(OUT, 'no-flash-visit.json'),
      `${JSON.stringify(
        {
          outcome: run.outcome,
          status: stored.status,
          reasons: stored.decision.reasons,
          assurance: stored.liveness.assurance,
          confidence: stored.liveness.confidence,
          phases: run.phases,
        },
        null,
        2,
      )}\n`,
    );
  });

  it('has no serious or critical axe violation on any customer or staff screen, each in pt-BR and en', async () => {
    await driver.manage().window().setRect({ x: 0, y: 0, width: 1280, height: 800 });
    size = { width: 1280, height: 800 };
    const report = [];
    const scan = async (screen, lang) => {
      const { violations, incomplete } = await axeScan(driver);
      report.push({ screen, lang, violations, incomplete });
    };
    for (const lang of ['pt-BR', 'en']) {
      await backToAttract(driver);
      await walkCustomerScreens(driver, {
        lang,
        inbox,
        card,
        // The attract and language screens are the same in both languages.
        onScreen: (screen) =>
          lang === 'pt-BR' || !['attract', 'language'].includes(screen) ? scan(screen, lang) : undefined,
        // The widget's own cancel (the same on a kiosk without the keypad: the 'before' run).
        cancelWith: () =>
          driver.findElement(By.css('face-liveness-widget button[data-action="cancel"]')).click(),
      });
      // The result screen, after a whole visit (the test camera shows a photo: REJECTED).
      await wholeVisit(driver, dataDir, inbox, card, lang, null, {
        onResult: () => scan('result', lang),
      });
    }
    await signInAsStaff(driver, { account: STAFF.admin.id, pin: STAFF.admin.pin });
    const storedLanguage = () =>
      driver.executeAsyncScript(`
        const done = arguments[arguments.length - 1];
        window.__TAURI_INTERNALS__.invoke('get_settings').then((s) => done(s.language), () => done(null));
      `);
    const switchTo = async (lang) => {
      await openStaffScreen(driver, 'status');
      await click(driver, `lang-${lang}`);
      await driver.wait(async () => (await storedLanguage()) === lang, 10000);
    };
    try {
      for (const lang of ['pt-BR', 'en']) {
        // The kiosk's language, switched on the status screen (staff screens follow it).
        if (lang === 'en') await switchTo('en');
        await openStaffScreen(driver, 'home');
        await visible(driver, 'staff-home');
        await scan('staff-home', lang);
        for (const screen of ['review', 'status', 'liveness', 'diagnostics']) {
          await openStaffScreen(driver, screen);
          await new Promise((resolve) => setTimeout(resolve, 1500));
          await scan(`staff-${screen}`, lang);
        }
      }
    } finally {
      // Back to the kiosk's own language for the tests that follow.
      await switchTo('pt-BR');
    }
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract', 20000);
    mkdirSync(OUT, { recursive: true });
    writeFileSync(
      path.join(OUT, 'axe-report.json'),
      `${JSON.stringify({ axe: AXE_VERSION, report }, null, 2)}\n`,
    );
    const failing = report.flatMap(({ screen, lang, violations }) =>
      blocking(violations).map(
        (v) => `${screen} (${lang}): ${v.id} [${v.impact}] ${v.help} — ${v.targets.join(' | ')}`,
      ),
    );
    const count = (key) => report.reduce((n, r) => n + r[key].reduce((m, v) => m + v.nodes, 0), 0);
    console.log(
      `axe ${AXE_VERSION}: ${report.length} screens, ${count('violations')} violating elements (${failing.length} serious or critical), ${count('incomplete')} elements to check by hand`,
    );
    assert.deepEqual(failing, []);
  });

  for (const [width, height] of [
    [1024, 768],
    [1280, 800],
  ]) {
    for (const mode of ['normal', 'large-text', 'high-contrast']) {
      it(`fits every customer screen at ${width}x${height}, ${mode}`, async () => {
        await driver.manage().window().setRect({ x: 0, y: 0, width, height });
        size = { width, height };
        await backToAttract(driver);
        const check = async (screen) => {
          const fit = await fits(driver);
          await shot(driver, `${width}x${height}-${mode}-${screen}`);
          assert.ok(fit.fits, `${screen} at ${width}x${height} ${mode}: ${JSON.stringify(fit)}`);
        };
        await walkCustomerScreens(driver, {
          lang: 'pt-BR',
          inbox,
          card,
          onScreen: check,
          onLanguage: () => (mode === 'normal' ? undefined : click(driver, `access-${mode}`)),
          cancelWith: () => press(driver, Key.ESCAPE),
        });
      });
    }
  }
});
