#!/usr/bin/env bash
# Makes the demo's inputs in OUT_DIR: document.jpg, an ID card drawn with
# ffmpeg around one registry-shipped photo (face_recognition's obama2.jpg),
# and selfie.avi, another photo of the same person held still in front of
# the camera with camera noise (3 s, MJPEG). Used by `make demo` and the
# package's install test.
#
#   demo-inputs.sh OUT_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out=${1:?usage: demo-inputs.sh OUT_DIR}
mkdir -p "$out"
bash "$root/src-tauri/dayfusion-face/tests/fetch-test-images.sh" >/dev/null
photos="$root/target/test-images/face_recognition"
ffmpeg -v error -y -f lavfi -i "color=c=0xd8e4ef:s=1000x630" -i "$photos/obama2.jpg" \
  -filter_complex "[1]scale=300:-2[p];[0][p]overlay=60:120,drawbox=x=40:y=40:w=920:h=50:color=0x1d4f91@1:t=fill,drawbox=x=420:y=160:w=500:h=24:color=0x555555@0.8:t=fill,drawbox=x=420:y=220:w=420:h=24:color=0x555555@0.8:t=fill,drawbox=x=40:y=520:w=920:h=30:color=0x333333@0.7:t=fill,drawbox=x=40:y=565:w=920:h=30:color=0x333333@0.7:t=fill" \
  -frames:v 1 -q:v 3 "$out/document.jpg"
ffmpeg -v error -y -loop 1 -i "$photos/obama.jpg" -t 3 -r 15 \
  -vf "scale=640:-2,noise=alls=12:allf=t" -c:v mjpeg -q:v 3 "$out/selfie.avi"
