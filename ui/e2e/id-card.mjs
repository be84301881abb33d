// The ID card the end-to-end tests show the kiosk: a registry photo composed with ffmpeg onto a
// card, as kiosk-flow.test.mjs and the CLI tests make it (target/test-images from `make test`).

import { spawnSync } from 'node:child_process';
import path from 'node:path';

import { ROOT } from './harness.mjs';

/** The registry photos (fetched by src-tauri/dayfusion-face/tests/fetch-test-images.sh). */
export const PHOTOS = path.join(ROOT, 'target/test-images/face_recognition');

/** Runs ffmpeg quietly; throws with its stderr on failure. */
export function ffmpeg(args) {
  const out = spawnSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`ffmpeg failed: ${out.stderr}`);
}

/** A 1000×630 ID card JPEG in `dir` with the registry photo `name` as its portrait; returns its path. */
export function composeCard(dir, name) {
  const out = path.join(dir, `card-${name}`);
  ffmpeg([
    '-f', 'lavfi', '-i', 'color=c=0xd8e4ef:s=1000x630', '-i', path.join(PHOTOS, name), '-filter_complex',
    '[1]scale=300:-2[p];[0][p]overlay=60:120,drawbox=x=40:y=40:w=920:h=50:color=0x1d4f91@1:t=fill,' +
      'drawbox=x=420:y=160:w=500:h=24:color=0x555555@0.8:t=fill,drawbox=x=40:y=520:w=920:h=30:color=0x333333@0.7:t=fill',
    '-frames:v', '1', '-q:v', '3', out,
  ]);
  return out;
}
