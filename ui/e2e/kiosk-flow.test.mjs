// WebDriver end-to-end tests of the kiosk flow in the real app (WebKitGTK under Xvfb, embedded
// backend, real face models): the customer screens from the attract screen to the result, with a
// document the test composes from a registry photo (dropped in the scan-to-folder inbox) and a
// camera fed by a canvas that shows that face where the challenge asks for it; the decision shown
// must be the one SQLite stored. Also: consent declined, idle timeout, a restart in the middle of
// a visit, no camera (at the start and mid-visit), assisted visits, staff mode with named accounts provisioned by the CLI (a kiosk without any is
// not provisioned; reviewer and admin homes; a REVIEW case approved with its audit event, and
// refused to the reviewer who operated it; diagnostics; wrong PINs locking one account), and field
// mode (a field agent signs in before a whole visit and is its operator in SQLite). Screenshots of
// every screen in pt-BR and en go to target/e2e-artifacts/screens/.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, until } from 'selenium-webdriver';

import {
  ARTIFACTS, STAFF, cli, launchKioskWithWebDriver, modelsDir, openStaffScreen, openStaffSignIn, readLogEvents,
  screenshotDisplay, signInAsStaff, storedStaff, submitStaffSignIn, tempDataDir, transactions, waitFor,
} from './harness.mjs';
import { PHOTOS, composeCard, ffmpeg } from './id-card.mjs';
import { byTestId, click, dropScan, installTestCamera, seedSettings, visible, visitSteps } from './visit-steps.mjs';

const SCREENS = path.join(ARTIFACTS, 'screens');

/** `{ account, pin }` of a provisioned test account, for the sign-in. */
const credentials = (account) => ({ account: account.id, pin: account.pin });

/** The display of the kiosk under test (screenshots come from the X server). */
let display;

async function shot(_driver, name) {
  mkdirSync(SCREENS, { recursive: true });
  // Let the screen settle (transitions, images) before the picture.
  await new Promise((resolve) => setTimeout(resolve, 400));
  screenshotDisplay(display, path.join(SCREENS, `${name}.png`), '1024x768+0+0');
}

const { startVisit, documentToLiveness, wholeVisit } = visitSteps({ shot });

describe('customer flow in pt-BR, embedded backend (WebDriver, canvas camera)', () => {
  let kiosk;
  let driver;
  let dataDir;
  let inbox;
  let card;

  let paper;

  before(async () => {
    const work = tempDataDir('flow-files');
    card = composeCard(work, 'obama2.jpg');
    // The kiosk's ESC/POS receipt printer: a file stands in for the device (debug builds only).
    paper = path.join(work, 'receipt-printer');
    writeFileSync(paper, '');
    kiosk = await launchKioskWithWebDriver('flow-pt', ['--windowed', '--mock-camera'], {
      DAYFUSION_MODELS_DIR: modelsDir(),
      DAYFUSION_RECEIPT_PRINTER: paper,
    }, { staff: [STAFF.admin, STAFF.reviewer], prepare: (dir) => { inbox = seedSettings(dir, 'pt-BR'); } });
    ({ driver, dataDir, display } = kiosk);
  }, { timeout: 180000 });

  after(() => kiosk?.stop());

  it('declining the consent ends the visit with nothing stored', async () => {
    await startVisit(driver, 'pt-BR', 'pt-BR');
    await click(driver, 'consent-decline');
    await visible(driver, 'declined');
    await shot(driver, 'pt-BR-03b-declined');
    await visible(driver, 'attract', 20000);
    const ended = await waitFor(() => readLogEvents(dataDir).find((e) => e.fields?.event === 'visit_ended'), {
      what: 'visit_ended in the kiosk log',
    });
    assert.equal(ended.fields.reason, 'visit-declined');
    assert.deepEqual(transactions(dataDir), []);
  });

  it('runs a whole visit to a result that matches the transaction in SQLite, with its receipt', async () => {
    // The test's camera replaces the mock one before the widget opens it.
    await visible(driver, 'attract', 30000);
    await installTestCamera(driver);
    const run = await wholeVisit(driver, dataDir, inbox, card, 'pt-BR', 'pt-BR', { paper });
    const decided = readLogEvents(dataDir).find((e) => e.fields?.event === 'visit_result');
    writeFileSync(path.join(ARTIFACTS, 'kiosk-flow-timing.json'), `${JSON.stringify({
      startToResultMs: run.elapsedMs, kioskElapsedMs: decided?.fields?.elapsed_ms, outcome: run.outcome,
      liveness: run.stored.liveness?.status, livenessConfidence: run.stored.liveness?.confidence,
      similarity: run.stored.comparison?.similarity, phasesSeen: run.phases,
    }, null, 2)}\n`);
    console.log(`start → result: ${run.elapsedMs} ms (kiosk: ${decided?.fields?.elapsed_ms} ms), ${run.outcome}`);
  });

  it('ends an idle visit after the timeout, warning first, and wipes it', async () => {
    await startVisit(driver, 'pt-BR');
    await visible(driver, 'idle-warning', 40000);
    await shot(driver, 'pt-BR-10-idle-warning');
    await visible(driver, 'attract', 30000);
    const ended = readLogEvents(dataDir).filter((e) => e.fields?.event === 'visit_ended').map((e) => e.fields.reason);
    assert.ok(ended.includes('visit-idle-timeout'), `visit_ended reasons: ${ended}`);
    assert.equal(transactions(dataDir).length, 1, 'the earlier decided transaction stays; nothing new');
  });

  it('shows the staff screens in pt-BR', async () => {
    await signInAsStaff(driver, credentials(STAFF.admin), {
      onPinScreen: () => shot(driver, 'pt-BR-19-staff-pin-sign-in'),
    });
    await shot(driver, 'pt-BR-20-staff-home');
    await openStaffScreen(driver, 'review');
    await visible(driver, 'review-queue');
    await shot(driver, 'pt-BR-21-review-queue');
    await openStaffScreen(driver, 'diagnostics');
    await visible(driver, 'diagnostics');
    await shot(driver, 'pt-BR-22-diagnostics');
    await openStaffScreen(driver, 'status');
    await visible(driver, 'app-version');
    await shot(driver, 'pt-BR-23-status-settings');
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract');
  });

  it('roles: a reviewer has no exit-kiosk and no settings saving; an admin has both', async () => {
    await signInAsStaff(driver, credentials(STAFF.reviewer));
    const reviewerHome = await visible(driver, 'staff-home');
    assert.equal(await reviewerHome.getAttribute('data-role'), 'reviewer');
    assert.match(await driver.findElement(byTestId('staff-greeting')).getText(), /Olá, Rui Lima \(revisão\)/);
    for (const tile of ['staff-review', 'staff-status', 'staff-liveness', 'staff-diagnostics']) {
      await visible(driver, tile);
    }
    assert.equal((await driver.findElements(byTestId('exit-kiosk'))).length, 0, 'no exit-kiosk for a reviewer');
    await visible(driver, 'exit-kiosk-admin-only');
    await shot(driver, 'pt-BR-31-staff-home-reviewer');
    await openStaffScreen(driver, 'status');
    await visible(driver, 'settings-readonly');
    assert.equal((await driver.findElements(byTestId('settings-save'))).length, 0, 'no settings saving');
    assert.equal((await driver.findElements(byTestId('aws-save'))).length, 0, 'no AWS connection saving');
    assert.equal(await driver.findElement(byTestId('settings-kiosk-id')).isEnabled(), false);
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract');

    await signInAsStaff(driver, credentials(STAFF.admin));
    assert.match(await driver.findElement(byTestId('staff-greeting')).getText(), /Olá, Ana Souza \(administração\)/);
    await visible(driver, 'exit-kiosk');
    await shot(driver, 'pt-BR-32-staff-home-admin');
    await openStaffScreen(driver, 'status');
    await visible(driver, 'settings-save');
    await visible(driver, 'aws-save');
    assert.equal((await driver.findElements(byTestId('settings-readonly'))).length, 0);
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract');
  });

  it('assisted visit: staff start it from their home, it names them and is recorded as theirs, and staff mode ends with it', async () => {
    await signInAsStaff(driver, credentials(STAFF.reviewer));
    await click(driver, 'staff-assist-visit');
    await visible(driver, 'visit-language');
    await click(driver, 'lang-pt-BR');
    await visible(driver, 'visit-consent');
    await shot(driver, 'pt-BR-35-assisted-consent');
    const banner = await visible(driver, 'assisted-by');
    assert.equal((await banner.getAttribute('textContent')).trim(), 'Atendimento assistido por Rui Lima');
    const known = new Set(transactions(dataDir).map((t) => t.transactionId));
    await documentToLiveness(driver, inbox, card);
    const started = transactions(dataDir).filter((t) => !known.has(t.transactionId));
    assert.equal(started.length, 1, 'the confirmed document started a transaction');
    assert.equal(started[0].operator, STAFF.reviewer.id, 'the assisting account is the operator');
    const cancel = await driver.wait(
      until.elementLocated(By.xpath("//face-liveness-widget//button[contains(., 'Cancelar')]")), 30000);
    await cancel.click();
    await click(driver, 'liveness-cancel');
    await visible(driver, 'attract', 30000);
    // The public screen does not go back to the staff session: staff mode asks for the PIN again
    // (and stays there: a session still held would be sent on to the staff home).
    await click(driver, 'staff-entry');
    await visible(driver, 'account-input');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.match(await driver.getCurrentUrl(), /\/staff$/);
    assert.equal((await driver.findElements(byTestId('staff-home'))).length, 0);
    await click(driver, 'staff-back');
    await visible(driver, 'attract');
    const aborted = await waitFor(
      () => transactions(dataDir).find((t) => t.transactionId === started[0].transactionId && t.status === 'ABORTED'),
      { what: 'the assisted transaction aborted' },
    );
    assert.equal(aborted.operator, STAFF.reviewer.id);
  });

  it('closes a visit interrupted by a restart without touching the stored transaction', async () => {
    const decided = transactions(dataDir).find((t) => t.stage === 'decided');
    await startVisit(driver, 'pt-BR');
    await documentToLiveness(driver, inbox, card);
    const inProgress = transactions(dataDir).filter((t) => t.stage !== 'decided' && t.stage !== 'aborted');
    assert.equal(inProgress.length, 1, 'the confirmed document started a transaction');
    await kiosk.stop();
    kiosk = await launchKioskWithWebDriver('flow-pt', ['--windowed', '--mock-camera'], {
      DAYFUSION_MODELS_DIR: modelsDir(),
    }, { dataDir });
    ({ driver, display } = kiosk);
    // The first visit after the restart opens the desk, which closes what the restart interrupted.
    await startVisit(driver, 'pt-BR');
    const after = await waitFor(() => {
      const all = transactions(dataDir);
      return all.find((t) => t.transactionId === inProgress[0].transactionId && t.stage === 'aborted') && all;
    }, { what: 'the interrupted transaction closed as ABORTED' });
    const again = after.find((t) => t.transactionId === decided.transactionId);
    assert.deepEqual(again, decided, 'the decided transaction is untouched');
    const aborted = after.find((t) => t.transactionId === inProgress[0].transactionId);
    assert.equal(aborted.status, 'ABORTED');
    assert.equal(aborted.abortReason, 'interrupted');
    cli(dataDir, ['audit', 'verify']);
  });
});

describe('customer flow in en, staff review and PIN lockout (WebDriver)', () => {
  let kiosk;
  let driver;
  let dataDir;
  let inbox;
  let card;
  let reviewId;
  let ownReviewId;

  before(async () => {
    const work = tempDataDir('review-files');
    card = composeCard(work, 'obama2.jpg');
    const video = path.join(work, 'selfie.avi');
    ffmpeg(['-loop', '1', '-i', path.join(PHOTOS, 'obama.jpg'), '-t', '2', '-r', '15', '-vf',
      'scale=640:-2,noise=alls=12:allf=t', '-c:v', 'mjpeg', '-q:v', '3', video]);
    kiosk = await launchKioskWithWebDriver('flow-en', ['--windowed', '--mock-camera'], {
      DAYFUSION_MODELS_DIR: modelsDir(),
    }, {
      staff: [STAFF.admin, STAFF.reviewer],
      prepare: (dir) => {
        inbox = seedSettings(dir, 'en');
        // A REVIEW case made with the CLI on the same data folder: a recorded video (no
        // challenge) under a policy that sends those to review.
        writeFileSync(path.join(dir, 'policies.toml'), [
          '[[policy]]', 'id = "review-passive"', 'version = 1',
          'description = "E2E: captures without a challenge go to review."',
          'liveness_min = 1.0', 'similarity_min = 80.0', 'review_band = 10.0', 'passive_liveness = "review"', '',
        ].join('\n'));
        const t = JSON.parse(cli(dir, ['verify', '--json', '--lang', 'en', '--policy', 'review-passive',
          '--kiosk-id', 'kiosk-e2e', '--document', card, '--selfie-video', video, '--models-dir', modelsDir()]));
        assert.equal(t.status, 'REVIEW', JSON.stringify(t.decision));
        reviewId = t.transactionId;
        // The same case operated by the reviewer: segregation of duties keeps it from them.
        const own = JSON.parse(cli(dir, ['verify', '--json', '--lang', 'en', '--policy', 'review-passive',
          '--kiosk-id', 'kiosk-e2e', '--operator', STAFF.reviewer.id, '--document', card, '--selfie-video', video,
          '--models-dir', modelsDir()]));
        assert.equal(own.status, 'REVIEW', JSON.stringify(own.decision));
        ownReviewId = own.transactionId;
      },
    });
    ({ driver, dataDir, display } = kiosk);
  }, { timeout: 240000 });

  after(() => kiosk?.stop());

  it('shows the customer screens in English up to the liveness check', async () => {
    await startVisit(driver, 'en', 'en');
    await documentToLiveness(driver, inbox, card, 'en');
    await shot(driver, 'en-06-liveness-intro');
    // The widget's own cancel, then the visit's.
    const cancel = await driver.wait(
      until.elementLocated(By.xpath("//face-liveness-widget//button[contains(., 'Cancel')]")), 30000);
    await cancel.click();
    await visible(driver, 'liveness-problem');
    await shot(driver, 'en-07-liveness-cancelled');
    await click(driver, 'liveness-cancel');
    await visible(driver, 'attract', 30000);
    const closed = transactions(dataDir).find((t) => t.transactionId !== reviewId && t.transactionId !== ownReviewId);
    assert.equal(closed?.status, 'ABORTED', 'a cancelled visit leaves no open transaction');
    await startVisit(driver, 'en');
    await click(driver, 'consent-decline');
    await visible(driver, 'declined');
    await shot(driver, 'en-03b-declined');
    await visible(driver, 'attract', 20000);
  });

  it('runs a whole visit in English', async () => {
    await installTestCamera(driver);
    const run = await wholeVisit(driver, dataDir, inbox, card, 'en');
    writeFileSync(path.join(ARTIFACTS, 'kiosk-flow-timing-en.json'), `${JSON.stringify({
      startToResultMs: run.elapsedMs, outcome: run.outcome, phasesSeen: run.phases,
    }, null, 2)}\n`);
  });

  it('approves a REVIEW case in staff mode with the reason as an audit event', async () => {
    await signInAsStaff(driver, credentials(STAFF.reviewer));
    await shot(driver, 'en-20-staff-home');
    await openStaffScreen(driver, 'review');
    const item = await driver.wait(
      until.elementLocated(By.css(`[data-testid="review-item"][data-transaction-id="${reviewId}"]`)), 30000);
    await shot(driver, 'en-21-review-queue');
    await item.findElement(By.css('a')).click();
    await visible(driver, 'review-detail', 30000);
    await visible(driver, 'review-portrait', 30000);
    await shot(driver, 'en-22-review-detail');
    const reason = 'Document checked in person against the customer.';
    await driver.findElement(byTestId('review-reason')).sendKeys(reason);
    await click(driver, 'review-approve');
    await visible(driver, 'review-resolved', 30000);
    await shot(driver, 'en-23-review-resolved');
    const t = JSON.parse(cli(dataDir, ['transactions', 'show', reviewId, '--json']));
    const record = t.transaction ?? t;
    assert.equal(record.status, 'APPROVED');
    assert.equal(record.review?.reason, reason);
    assert.equal(record.decision?.status, 'REVIEW', 'the policy decision is kept');
    const last = t.auditEvents?.at(-1);
    assert.equal(last?.kind, 'review.resolved', JSON.stringify(t.auditEvents?.map((e) => e.kind)));
    assert.equal(last?.data?.reason, reason);
    assert.equal(last?.data?.reviewer, STAFF.reviewer.id, 'the reviewer is the signed-in account');
    assert.equal(record.review?.reviewer, STAFF.reviewer.id);
    cli(dataDir, ['audit', 'verify']);
    await openStaffScreen(driver, 'diagnostics');
    await visible(driver, 'diagnostics');
    await shot(driver, 'en-24-diagnostics');
    await openStaffScreen(driver, 'status');
    await visible(driver, 'app-version');
    await shot(driver, 'en-25-status-settings');
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract');
  });

  it('segregation of duties: refuses the reviewer the REVIEW case they operated', async () => {
    await signInAsStaff(driver, credentials(STAFF.reviewer));
    await openStaffScreen(driver, 'review');
    // Their own case is not in their queue (the queue has loaded: empty or other cases).
    await driver.wait(async () =>
      (await driver.findElements(byTestId('review-empty'))).length > 0
      || (await driver.findElements(byTestId('review-item'))).length > 0, 30000);
    const own = await driver.findElements(
      By.css(`[data-testid="review-item"][data-transaction-id="${ownReviewId}"]`));
    assert.equal(own.length, 0, 'the operator does not see their own case');
    await shot(driver, 'en-26-review-own-transaction');
    // Asked directly, the back end refuses its evidence and a verdict.
    const answers = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const invoke = window.__TAURI_INTERNALS__.invoke;
      (async () => {
        const signed = await invoke('staff_sign_in', { account: arguments[0], pin: arguments[1] });
        const token = signed.session.token;
        const detail = await invoke('review_detail', { token, transactionId: arguments[2], lang: 'en' })
          .then(() => 'shown', (e) => e.detail);
        const resolve = await invoke('review_resolve', {
          token, transactionId: arguments[2], verdict: 'approve', reason: 'Checked in person.',
        }).then(() => 'resolved', (e) => e.detail);
        return { detail, resolve };
      })().then(done, (e) => done({ error: String(e) }));
    `, STAFF.reviewer.id, STAFF.reviewer.pin, ownReviewId);
    assert.match(answers.detail ?? '', /^\[own-transaction\]/, JSON.stringify(answers));
    assert.match(answers.resolve ?? '', /^\[own-transaction\]/, JSON.stringify(answers));
    const t = JSON.parse(cli(dataDir, ['transactions', 'show', ownReviewId, '--json']));
    const record = t.transaction ?? t;
    assert.equal(record.status, 'REVIEW', 'still waiting for another reviewer');
    assert.equal(record.operator, STAFF.reviewer.id);
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract');
  });

  it('locks one account after five wrong PINs, even for the right one, and not the others', async () => {
    const account = STAFF.reviewer;
    const wrongs = () => readLogEvents(dataDir).filter(
      (e) => e.fields?.event === 'staff_pin_wrong' && e.fields?.account === account.id).length;
    await openStaffSignIn(driver);
    await shot(driver, 'en-19-staff-pin');
    const before = wrongs();
    for (let i = 0; i < 4; i += 1) {
      await submitStaffSignIn(driver, { account: account.id, pin: '000001' });
      await waitFor(() => wrongs() === before + i + 1, { what: `wrong PIN ${i + 1} in the kiosk log` });
      const error = await visible(driver, 'pin-error');
      // The same answer as for an unknown account: no tries-left count.
      assert.equal(await error.getText(), 'Wrong staff number or PIN.');
    }
    await shot(driver, 'en-19b-pin-wrong');
    await submitStaffSignIn(driver, { account: account.id, pin: '000001' });
    const locked = await visible(driver, 'pin-locked');
    assert.match(await locked.getText(), new RegExp(account.id.replace('.', '\\.')));
    await shot(driver, 'en-19c-pin-locked');
    assert.equal(await driver.findElement(byTestId('pin-input')).isEnabled(), false);
    // The right PIN does not open a locked account.
    const refused = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('staff_sign_in', { account: arguments[0], pin: arguments[1] })
        .then(done, (e) => done({ error: e }));
    `, account.id, account.pin);
    assert.equal(refused.kind, 'locked', JSON.stringify(refused));
    // The store says locked, also to a new process reading the same folder; never a PIN.
    const stored = storedStaff(dataDir);
    const lock = stored.accounts?.[account.id]?.lock;
    assert.ok(lock && lock.since + lock.seconds > Date.now() / 1000 + 200, JSON.stringify(lock));
    assert.equal(stored.accounts?.[STAFF.admin.id]?.lock ?? null, null, 'the admin is not locked');
    for (const pin of [STAFF.admin.pin, STAFF.reviewer.pin]) assert.ok(!JSON.stringify(stored).includes(pin));
    const events = readLogEvents(dataDir).filter((e) => e.fields?.event === 'staff_pin_locked');
    assert.equal(events.length, 1);
    assert.equal(events[0].fields.account, account.id);
    // Another account still signs in.
    await submitStaffSignIn(driver, credentials(STAFF.admin));
    await visible(driver, 'staff-home', 30000);
    await click(driver, 'staff-sign-out');
    await visible(driver, 'attract');
  });
});

describe('no camera, and no staff accounts (WebDriver, no mock camera)', () => {
  let kiosk;
  let driver;
  let dataDir;
  let inbox;
  let card;

  before(async () => {
    card = composeCard(tempDataDir('nocam-files'), 'obama2.jpg');
    kiosk = await launchKioskWithWebDriver('nocam', ['--windowed'], { DAYFUSION_MODELS_DIR: modelsDir() }, {
      prepare: (dir) => { inbox = seedSettings(dir, 'pt-BR'); },
    });
    ({ driver, dataDir, display } = kiosk);
  }, { timeout: 180000 });

  after(() => kiosk?.stop());

  it('a camera that fails its probe stops a visit before the consent', async () => {
    await visible(driver, 'attract', 30000);
    const probes = () => readLogEvents(dataDir).filter((e) => e.fields?.event === 'camera_state').length;
    await waitFor(() => probes() >= 1, { what: "the attract screen's probe" });
    const before = probes();
    await click(driver, 'start');
    // "Start" probes again (the camera may be back) before it decides.
    await waitFor(() => probes() > before, { what: 'the probe on start' });
    const alert = await visible(driver, 'camera-down', 30000);
    assert.match(await alert.getText(), /A câmera deste terminal não está funcionando/);
    await shot(driver, 'pt-BR-11a-camera-down');
    assert.equal((await driver.findElements(byTestId('visit-language'))).length, 0, 'no visit began');
    assert.deepEqual(transactions(dataDir), []);
  });

  it('a camera lost during the visit: tells the customer to call staff and closes the visit', async () => {
    // A camera that answers the attract screen's probe once, then is gone (unplugged mid-visit).
    await driver.executeScript(`
      const canvas = document.createElement('canvas');
      canvas.width = 64; canvas.height = 48;
      canvas.getContext('2d').fillRect(0, 0, 64, 48);
      let calls = 0;
      MediaDevices.prototype.getUserMedia = async () => {
        calls += 1;
        if (calls === 1) return canvas.captureStream(5);
        throw Object.assign(new Error('unplugged'), { name: 'NotFoundError' });
      };
    `);
    await click(driver, 'start');
    await visible(driver, 'visit-language');
    await click(driver, 'lang-pt-BR');
    await click(driver, 'consent-accept');
    dropScan(inbox, card);
    await click(driver, 'doc-inbox');
    await click(driver, 'portrait-confirm', 60000);
    // The widget finds no camera (at once, or once "Começar" is touched).
    await waitFor(async () => {
      if ((await driver.findElements(byTestId('camera-missing'))).length) return true;
      const begin = await driver.findElements(By.xpath("//face-liveness-widget//button[contains(., 'Começar')]"));
      if (begin.length) await begin[0].click().catch(() => {});
      return false;
    }, { timeout: 60000, what: 'the camera-missing screen' });
    await shot(driver, 'pt-BR-11-camera-missing');
    await visible(driver, 'attract', 90000);
    const all = transactions(dataDir);
    assert.equal(all.length, 1);
    assert.equal(all[0].status, 'ABORTED');
    assert.equal(all[0].abortReason, 'visit-failed');
  });

  it('provisioning refusal: a kiosk without staff accounts is not provisioned, with no set-PIN form', async () => {
    await click(driver, 'staff-entry');
    const screen = await visible(driver, 'staff-not-provisioned');
    const text = await screen.getText();
    assert.match(text, /Quiosque não provisionado/);
    assert.match(text, /dayfusion staff add/);
    for (const id of ['pin-set-form', 'pin-new', 'pin-input', 'account-input', 'pin-submit', 'pin-key-1']) {
      assert.equal((await driver.findElements(byTestId(id))).length, 0, `no ${id}`);
    }
    assert.equal((await driver.findElements(By.css('[data-testid="staff-pin"] input'))).length, 0);
    await shot(driver, 'pt-BR-30-staff-not-provisioned');
    // Nothing was created behind the screen either.
    const status = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('staff_status').then(done, (e) => done({ error: e }));
    `);
    assert.deepEqual(status, { provisioned: false });
    await click(driver, 'staff-back');
    await visible(driver, 'attract');
  });
});

describe('field mode: a field agent operates the visits (WebDriver, canvas camera)', () => {
  let kiosk;
  let driver;
  let dataDir;
  let inbox;
  let card;

  before(async () => {
    card = composeCard(tempDataDir('field-files'), 'obama2.jpg');
    kiosk = await launchKioskWithWebDriver('field', ['--windowed', '--mock-camera'], {
      DAYFUSION_MODELS_DIR: modelsDir(),
    }, {
      staff: [STAFF.admin, STAFF.reviewer, STAFF.fieldAgent],
      prepare: (dir) => { inbox = seedSettings(dir, 'pt-BR', 'field'); },
    });
    ({ driver, dataDir, display } = kiosk);
  }, { timeout: 180000 });

  after(() => kiosk?.stop());

  it('field mode: the attract screen requires the agent, who then runs a whole visit as its operator', async () => {
    const attract = await visible(driver, 'attract', 30000);
    assert.equal(await attract.getAttribute('data-mode'), 'field');
    assert.match(await (await visible(driver, 'field-mode')).getText(), /modo campo/i);
    // No aws.toml on this laptop: the records stay here, and the badge says so.
    assert.match(await (await visible(driver, 'sync-badge')).getText(), /Só neste notebook \(sem AWS\)/);
    assert.equal((await driver.findElements(byTestId('start'))).length, 0, 'no visit without an agent');
    const signIn = await visible(driver, 'field-sign-in');
    assert.match(await signIn.getText(), /Entrar como agente de campo/);
    await shot(driver, 'pt-BR-33-field-attract');
    // Without an agent's session the backend refuses too.
    const refused = await driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      window.__TAURI_INTERNALS__.invoke('visit_begin', { lang: 'pt-BR' }).then(done, (e) => done({ error: e }));
    `);
    assert.match(refused?.error?.detail ?? '', /^\[operator-required\]/, JSON.stringify(refused));

    await signIn.click();
    await visible(driver, 'account-input');
    await submitStaffSignIn(driver, credentials(STAFF.fieldAgent));
    const agent = await visible(driver, 'field-agent', 30000);
    assert.match(await agent.getText(), /Agente: Fabi Rocha/);
    await visible(driver, 'field-sign-out');
    await visible(driver, 'start');
    await shot(driver, 'pt-BR-34-field-agent-signed-in');

    await installTestCamera(driver);
    const run = await wholeVisit(driver, dataDir, inbox, card, 'pt-BR', null);
    const t = JSON.parse(cli(dataDir, ['transactions', 'show', run.stored.transactionId, '--json']));
    const record = t.transaction ?? t;
    assert.equal(record.operator, STAFF.fieldAgent.id, 'SQLite records the field agent as operator');
    // Back on attract the agent is still signed in and the sync badge was read again: the
    // visit stays on the laptop (no AWS settings), so nothing is queued for AWS.
    await visible(driver, 'field-agent');
    await visible(driver, 'sync-local-only');
    assert.equal(record.sync, 'local', 'kept local: this laptop has no AWS settings');
    await click(driver, 'field-sign-out');
    await visible(driver, 'field-sign-in');
  });
});
