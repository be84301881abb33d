// Shared helpers for the end-to-end tests of the real kiosk app under Xvfb.
// Each test file starts its own virtual display (and tauri-driver where it
// uses WebDriver), so the tests need no display and leave nothing running.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Builder } from 'selenium-webdriver';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root. */
export const ROOT = path.resolve(here, '../..');
/** The kiosk binary under test (debug build unless KIOSK_APP says otherwise). */
export const APP = process.env.KIOSK_APP ?? path.join(ROOT, 'target/debug/dayfusion-kiosk');
/** The CLI binary (`dayfusion`), built with the app (KIOSK_CLI says otherwise, beside KIOSK_APP). */
export const CLI = process.env.KIOSK_CLI ?? path.join(ROOT, 'target/debug/dayfusion');
/** Where screenshots and other artifacts of the tests go. */
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? path.join(ROOT, 'target/e2e-artifacts');

/** Version declared in the workspace Cargo.toml. */
export function workspaceVersion() {
  const toml = readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const match = toml.match(/\[workspace\.package\][^[]*?version\s*=\s*"([^"]+)"/);
  if (!match) throw new Error('no [workspace.package] version in Cargo.toml');
  return match[1];
}

/** Fails early with a useful message when the app has not been built. */
export function requireApp() {
  if (!existsSync(APP)) {
    throw new Error(`kiosk binary not found at ${APP}: run \`make build\` first`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
}

/** A fresh private data folder for one app launch. */
export function tempDataDir(name) {
  return mkdtempSync(path.join(tmpdir(), `dayfusion-e2e-${name}-`));
}

/** Asks the OS for a free TCP port on loopback. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts Xvfb on a free display; returns `{ display, stop }`. */
export async function startXvfb() {
  for (let n = 90 + Math.floor(Math.random() * 100); n < 400; n += 1) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    const proc = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 50; i += 1) {
      if (existsSync(`/tmp/.X11-unix/X${n}`)) {
        return { display: `:${n}`, stop: () => stopProcess(proc) };
      }
      if (proc.exitCode !== null) break;
      await sleep(100);
    }
    stopProcess(proc);
  }
  throw new Error('could not start Xvfb (is the xvfb package installed?)');
}

/** Environment for GUI processes on the given display. The evidence key is chosen as a key file
 * (the test data folders are temporary and Xvfb has no keyring). */
export function guiEnv(display, extra = {}) {
  return {
    ...process.env,
    DISPLAY: display,
    NO_AT_BRIDGE: '1',
    GDK_BACKEND: 'x11',
    WEBKIT_DISABLE_COMPOSITING_MODE: '1',
    DAYFUSION_EVIDENCE_KEY: 'file',
    ...extra,
  };
}

/** Starts tauri-driver (which drives WebKitWebDriver); returns `{ url, stop, output }`. */
export async function startTauriDriver(display, env) {
  const port = await freePort();
  const nativePort = await freePort();
  const driver = process.env.TAURI_DRIVER ?? 'tauri-driver';
  let output = '';
  const proc = spawn(driver, ['--port', String(port), '--native-port', String(nativePort)], {
    env: guiEnv(display, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 100; i += 1) {
    if (proc.exitCode !== null) throw new Error(`tauri-driver exited: ${output}`);
    try {
      const res = await fetch(`${url}status`);
      if (res.ok) return { url, stop: () => stopProcess(proc), output: () => output };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  stopProcess(proc);
  throw new Error(`tauri-driver did not start: ${output}`);
}

/** Ends a child process, forcefully if it does not stop within two seconds. */
export async function stopProcess(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  for (let i = 0; i < 20 && proc.exitCode === null && proc.signalCode === null; i += 1) {
    await sleep(100);
  }
  if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
}

/**
 * Grabs the virtual screen into a PNG (ImageMagick `import`), or only `crop` (`WxH+X+Y`, e.g. the
 * windowed kiosk's 1024x768+0+0). WebKitWebDriver's own screenshot can hang on this machine kind,
 * so the tests take the picture from the X server.
 */
export function screenshotDisplay(display, file, crop) {
  const args = ['-display', display, '-window', 'root', ...(crop ? ['-crop', crop] : []), file];
  const result = spawnSync('import', args, {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`screenshot failed: ${result.stderr}`);
  return file;
}

/** All JSON log lines the app wrote into `<dataDir>/logs`. */
export function readLogEvents(dataDir) {
  const logDir = path.join(dataDir, 'logs');
  if (!existsSync(logDir)) return [];
  return readdirSync(logDir)
    .filter((f) => f.endsWith('.log'))
    .flatMap((f) => readFileSync(path.join(logDir, f), 'utf8').split('\n'))
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line));
}

/** Polls `probe` until it returns a truthy value or the timeout passes. */
export async function waitFor(probe, { timeout = 30000, interval = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await probe();
    if (last) return last;
    await sleep(interval);
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
}

/** The settings the app persisted in its data folder. */
export function storedSettings(dataDir) {
  return JSON.parse(readFileSync(path.join(dataDir, 'settings.json'), 'utf8')).kiosk;
}

/**
 * Launches the kiosk under WebDriver on its own Xvfb display with a fresh data
 * folder (and `env` on top); returns `{ driver, dataDir, stop }`. `prepare(dataDir)`
 * runs before the launch (settings, policies, seeded transactions); `dataDir` reuses a folder
 * (a restart); `staff` lists accounts to provision before the launch ({@link provisionStaff}).
 */
export async function launchKioskWithWebDriver(name, args, env = {}, { prepare, dataDir: reuse, staff } = {}) {
  requireApp();
  const dataDir = reuse ?? tempDataDir(name);
  if (staff) provisionStaff(dataDir, staff);
  if (prepare) await prepare(dataDir);
  const xvfb = await startXvfb();
  let tauriDriver;
  try {
    tauriDriver = await startTauriDriver(xvfb.display, { DAYFUSION_DATA_DIR: dataDir, ...env });
    const driver = await new Builder()
      .usingServer(tauriDriver.url)
      .withCapabilities({ browserName: 'wry', 'tauri:options': { application: APP, args } })
      .build();
    const stop = async () => {
      await driver.quit().catch(() => {});
      await tauriDriver.stop();
      await xvfb.stop();
    };
    return { driver, dataDir, stop, display: xvfb.display };
  } catch (error) {
    await tauriDriver?.stop();
    await xvfb.stop();
    throw error;
  }
}

/** The face models folder the CLI resolves on this machine (`dayfusion paths`), for a kiosk launched
 * with a fresh data folder. */
export function modelsDir() {
  const out = spawnSync(CLI, ['paths'], { encoding: 'utf8' });
  const line = out.stdout?.split('\n').find((l) => l.startsWith('models:'));
  if (!line) throw new Error(`no models folder from ${CLI} paths: ${out.stderr}`);
  return line.slice('models:'.length).trim();
}

let models;
/**
 * Runs the CLI on `dataDir` with this machine's model pack and the key-file evidence key; returns
 * stdout (throws with the exit status and stderr on failure).
 */
export function cli(dataDir, args) {
  models ??= modelsDir();
  const env = {
    ...process.env,
    DAYFUSION_DATA_DIR: dataDir,
    DAYFUSION_MODELS_DIR: models,
    DAYFUSION_EVIDENCE_KEY: 'file',
  };
  const out = spawnSync(CLI, args, { env, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`dayfusion ${args.join(' ')}: exit ${out.status}: ${out.stderr}`);
  return out.stdout;
}

/** Every transaction stored in `dataDir` (`dayfusion transactions list --json --limit 0`). */
export function transactions(dataDir) {
  return JSON.parse(cli(dataDir, ['transactions', 'list', '--json', '--limit', '0']));
}

/** Staff accounts of the end-to-end tests, one per role (provisioned with {@link provisionStaff}). */
export const STAFF = {
  admin: { id: 'ana.admin', name: 'Ana Souza', role: 'admin', pin: '240817' },
  reviewer: { id: 'rui.revisor', name: 'Rui Lima', role: 'reviewer', pin: '593014' },
  fieldAgent: { id: 'fabi.campo', name: 'Fabi Rocha', role: 'field-agent', pin: '716283' },
};

/** The admin's PIN (the account most tests sign in with). */
export const TEST_PIN = STAFF.admin.pin;

/**
 * Provisions staff accounts in `dataDir` out of band, as the bank's IT does: `dayfusion staff add
 * ID --name NAME --role ROLE` with the PIN on standard input. Run it before the app starts.
 */
export function provisionStaff(dataDir, accounts) {
  for (const { id, name, role, pin } of accounts) {
    const out = spawnSync(CLI, ['staff', 'add', id, '--name', name, '--role', role], {
      env: { ...process.env, DAYFUSION_DATA_DIR: dataDir },
      input: `${pin}\n`,
      encoding: 'utf8',
    });
    if (out.status !== 0) {
      throw new Error(`dayfusion staff add ${id}: exit ${out.status}: ${out.stderr}`);
    }
  }
  return accounts;
}

/** The accounts in `<dataDir>/staff.json` (hashes and locks; never a PIN). */
export function storedStaff(dataDir) {
  return JSON.parse(readFileSync(path.join(dataDir, 'staff.json'), 'utf8'));
}

const byTestIdCss = (id) => `[data-testid="${id}"]`;

/**
 * From the attract screen (its staff entry) to the sign-in screen: returns when the staff number
 * field shows.
 */
export async function openStaffSignIn(driver) {
  const { By, until } = await import('selenium-webdriver');
  const entry = await driver.wait(until.elementLocated(By.css(byTestIdCss('staff-entry'))), 30000);
  await entry.click();
  await driver.wait(until.elementLocated(By.css(byTestIdCss('staff-pin'))), 15000);
  return driver.wait(until.elementLocated(By.css(byTestIdCss('account-input'))), 15000);
}

/** Types the staff number and PIN on the sign-in screen and submits them. */
export async function submitStaffSignIn(driver, { account, pin }) {
  const { By } = await import('selenium-webdriver');
  const accountInput = await driver.findElement(By.css(byTestIdCss('account-input')));
  await accountInput.clear();
  await accountInput.sendKeys(account);
  const pinInput = await driver.findElement(By.css(byTestIdCss('pin-input')));
  await pinInput.clear();
  await pinInput.sendKeys(pin);
  await driver.findElement(By.css(byTestIdCss('pin-submit'))).click();
}

/**
 * From the attract screen into staff mode with a provisioned account (`{ account, pin }`, the
 * admin by default), then waits for the staff home (`onPinScreen()` runs on the sign-in screen).
 * Returns the driver for chaining.
 */
export async function signInAsStaff(
  driver,
  { account, pin } = { account: STAFF.admin.id, pin: STAFF.admin.pin },
  { onPinScreen } = {},
) {
  const { By, until } = await import('selenium-webdriver');
  await openStaffSignIn(driver);
  if (onPinScreen) await onPinScreen();
  await submitStaffSignIn(driver, { account, pin });
  await driver.wait(until.elementLocated(By.css(byTestIdCss('staff-home'))), 30000);
  return driver;
}

/** Opens a staff screen through the staff navigation (`home`, `review`, `status`, `liveness`, `diagnostics`). */
export async function openStaffScreen(driver, id) {
  const { By, until } = await import('selenium-webdriver');
  const link = await driver.wait(until.elementLocated(By.css(byTestIdCss(`nav-${id}`))), 15000);
  await link.click();
}
