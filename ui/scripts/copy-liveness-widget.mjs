// Copies the liveness widget bundle (built in ../liveness-widget) into public/liveness/ so that
// the Angular build serves it as liveness/face-liveness-widget.js: Angular only copies assets
// from inside its workspace.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(ui, '..', 'liveness-widget', 'dist', 'face-liveness-widget.js');
const target = join(ui, 'public', 'liveness', 'face-liveness-widget.js');

if (existsSync(source)) {
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(source, target);
} else {
  console.warn(`warning: ${source} is missing; build liveness-widget first for a camera preview.`);
}
