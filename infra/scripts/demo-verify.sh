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
  bash src-tauri/dayfusion-face/tests/fetch-test-images.sh >/dev/null
  photos="$root/target/test-images/face_recognition"
  document="$out/document.jpg"
  video="$out/selfie.avi"
  ffmpeg -v error -y -f lavfi -i "color=c=0xd8e4ef:s=1000x630" -i "$photos/obama2.jpg" \
    -filter_complex "[1]scale=300:-2[p];[0][p]overlay=60:120,drawbox=x=40:y=40:w=920:h=50:color=0x1d4f91@1:t=fill,drawbox=x=420:y=160:w=500:h=24:color=0x555555@0.8:t=fill,drawbox=x=420:y=220:w=420:h=24:color=0x555555@0.8:t=fill,drawbox=x=40:y=520:w=920:h=30:color=0x333333@0.7:t=fill,drawbox=x=40:y=565:w=920:h=30:color=0x333333@0.7:t=fill" \
    -frames:v 1 -q:v 3 "$document"
  ffmpeg -v error -y -loop 1 -i "$photos/obama.jpg" -t 3 -r 15 \
    -vf "scale=640:-2,noise=alls=12:allf=t" -c:v mjpeg -q:v 3 "$video"
  echo "inputs: $document (generated ID card), $video (generated 3 s video)"
fi

echo "data folder: $DAYFUSION_DATA_DIR"
echo
"$bin" verify --document "$document" --selfie-video "$video" "$@"
echo
"$bin" audit verify
