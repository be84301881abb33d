// Copies the liveness widget build (../liveness-widget/dist: the element's bundle, the AWS mode's
// bundle loaded on demand, and liveness-assets/ with the TF.js wasm files and the face model the
// AWS mode runs) into public/liveness/, so that the Angular build serves them from the app itself
// (never from a CDN): Angular only copies assets from inside its workspace.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(ui, '..', 'liveness-widget', 'dist');
const target = join(ui, 'public', 'liveness');

if (existsSync(join(source, 'face-liveness-widget.js'))) {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  cpSync(source, target, { recursive: true });
} else {
  console.warn(`warning: ${source} has no build; build liveness-widget first for a camera preview.`);
}
