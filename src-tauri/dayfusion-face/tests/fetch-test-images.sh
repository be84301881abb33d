#!/usr/bin/env bash
# Fetches the real photos the face tests use. They ship inside a registry
# package (the scikit-image 0.25.2 wheel; per skimage/data/_fetchers.py,
# astronaut.png is public domain (NASA), camera.png and coffee.png are CC0)
# and are never committed. Downloads once into target/test-images-cache, extracts the
# photos into target/test-images and checks every SHA-256. Later runs are
# offline. Tests that need a photo skip with a message when it is absent.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cache="$root/target/test-images-cache"
out="$root/target/test-images"
wheel_version="0.25.2"
wheel="scikit_image-${wheel_version}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
wheel_sha256="24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"

# file name  sha256
images=(
  "astronaut.png 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
  "camera.png b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"
  "coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
)

all_present() {
  local entry name sum
  for entry in "${images[@]}"; do
    read -r name sum <<<"$entry"
    [[ -f "$out/$name" ]] || return 1
    echo "$sum  $out/$name" | sha256sum --check --status || return 1
  done
}

if all_present; then
  echo "test images ok: $out"
  exit 0
fi

mkdir -p "$cache" "$out"
if ! echo "$wheel_sha256  $cache/$wheel" | sha256sum --check --status 2>/dev/null; then
  rm -f "$cache/$wheel"
  # A pinned wheel for a pinned platform: the same bytes on any host.
  python3 -m pip download --quiet --no-deps --only-binary :all: \
    --python-version 3.11 --implementation cp --abi cp311 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --dest "$cache" "scikit-image==${wheel_version}"
  echo "$wheel_sha256  $cache/$wheel" | sha256sum --check --quiet
fi

python3 - "$cache/$wheel" "$out" "${images[@]}" <<'PY'
import hashlib
import sys
import zipfile
from pathlib import Path

wheel, out, entries = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for entry in entries:
        name, want = entry.split()
        data = z.read(f"skimage/data/{name}")
        got = hashlib.sha256(data).hexdigest()
        if got != want:
            sys.exit(f"{name}: sha256 {got}, expected {want}")
        tmp = out / f".{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(out / name)
PY

all_present
echo "test images ok: $out"
