import pins from '../../liveness-assets.json';

/** One pinned runtime file (see liveness-assets.json). */
export interface PinnedFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** What the check takes from the page (replaced in tests). */
export interface AssetCheckDeps {
  fetch(url: string): Promise<Response>;
  /** SHA-256 of the bytes in lower-case hex, or null where the page has no `crypto.subtle` (sizes are checked). */
  digest(bytes: ArrayBuffer): Promise<string | null>;
  /** Whether TF.js will pick the SIMD build of its WebAssembly backend (it never picks the threaded one here). */
  simd(): Promise<boolean>;
}

const pinned = (path: string): PinnedFile => {
  const file = pins.files.find((candidate) => candidate.path === path);
  if (!file) throw new Error(`${path} is not pinned in liveness-assets.json`);
  return file;
};

/** The files the detector loads at run time: one WebAssembly binary (the build TF.js picks), the model, its weights. */
export function runtimeFiles(simd: boolean): PinnedFile[] {
  return [
    pinned(simd ? 'tfjs-backend-wasm/tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm/tfjs-backend-wasm.wasm'),
    pinned('face-detection-short/facemesh-detection-short.json'),
    pinned('face-detection-short/facemesh-detection-short.bin'),
  ];
}

/** `crypto.subtle`'s SHA-256 in hex, or null without it (a page that is not a secure context). */
export async function sha256Hex(bytes: ArrayBuffer): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const hash = new Uint8Array(await subtle.digest('SHA-256', bytes));
  return Array.from(hash, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Folders whose files passed (or are being checked). A failed check is forgotten, so that a retry checks again. */
const checked = new Map<string, Promise<void>>();

/**
 * Fetches the runtime files from `assetsUrl` (the app's own `liveness-assets/`) and checks each against its
 * pin, before the detector starts: a missing or altered file is reported at once, instead of Amplify retrying
 * the model for ten seconds (or running a model nobody checked). The fetches also warm the cache the detector
 * then loads from.
 */
export function checkAssets(assetsUrl: string, deps: AssetCheckDeps): Promise<void> {
  let check = checked.get(assetsUrl);
  if (!check) {
    check = deps.simd().then(async (simd) => {
      await Promise.all(
        runtimeFiles(simd).map(async (file) => {
          const url = new URL(file.path, assetsUrl).href;
          const response = await deps.fetch(url);
          if (!response.ok) throw new Error(`${file.path}: HTTP ${response.status}`);
          const bytes = await response.arrayBuffer();
          if (bytes.byteLength !== file.bytes) throw new Error(`${file.path}: ${bytes.byteLength} bytes, pinned ${file.bytes}`);
          const hash = await deps.digest(bytes);
          if (hash !== null && hash !== file.sha256) throw new Error(`${file.path}: sha256 ${hash}, pinned ${file.sha256}`);
        }),
      );
    });
    checked.set(assetsUrl, check);
    check.catch(() => checked.delete(assetsUrl));
  }
  return check;
}
