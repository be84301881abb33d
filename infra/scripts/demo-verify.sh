#!/usr/bin/env bash
# `make demo`: one verification on the embedded backend, end to end, from
# inputs made here. The ID card is drawn with ffmpeg around one
# registry-shipped photo (face_recognition's obama2.jpg); the selfie "video"
# is another photo of the same person held still in front of the camera
# with camera noise. Expect REJECTED: the face matches the document, but
# the liveness checks see a flat picture. Use your own files with
#
#   infra/scripts/demo-verify.sh [DOCUMENT VIDEO] [-- extra verify options]
#
# Data goes to target/demo/data (DAYFUSION_DATA_DIR overrides), never to the
# kiosk's own folder.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
out="$root/target/demo"
mkdir -p "$out"
export DAYFUSION_DATA_DIR="${DAYFUSION_DATA_DIR:-$out/data}"
# A throw-away demo folder: its key in a file beside it (chosen, not fallen
# into), so the demo needs no keyring and leaves no entry in yours.
export DAYFUSION_EVIDENCE_KEY="${DAYFUSION_EVIDENCE_KEY:-file}"

cargo build --locked -q -p dayfusion-cli
bin="$root/target/debug/dayfusion"
"$bin" models fetch >/dev/null

document="${1:-}"
video="${2:-}"
[[ $# -ge 2 ]] && shift 2
[[ ${1:-} == -- ]] && shift
if [[ -z $document ]]; then
  document="$out/document.jpg"
  video="$out/selfie.avi"
  infra/scripts/demo-inputs.sh "$out"
  echo "inputs: $document (generated ID card), $video (generated 3 s video)"
fi

echo "data folder: $DAYFUSION_DATA_DIR"
echo
"$bin" verify --document "$document" --selfie-video "$video" "$@"
echo
"$bin" audit verify
