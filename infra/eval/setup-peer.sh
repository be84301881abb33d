#!/usr/bin/env bash
# Sets up the peer for the face-matching evaluation: a Python venv at
# <repo>/.tools/eval-venv (git-ignored) holding face_recognition 1.3.0 on a
# prebuilt dlib (the dlib-bin wheel, so nothing is compiled). Idempotent: a
# venv whose pin stamp matches and whose imports work is kept as it is.
#
# Progress goes to stderr; the last (and only) line on stdout is the venv's
# python, for callers: py="$(infra/eval/setup-peer.sh)".
#
# PYTHON picks the interpreter that creates the venv (default python3; it must
# be CPython 3.11 on x86_64 Linux, e.g. Debian 12's python3 + python3-venv,
# since dlib-bin is pinned to its cp311 manylinux_2_28 wheel).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.tools/eval-venv"
python="${PYTHON:-python3}"

# dlib-bin: prebuilt wheel of dlib 20.0.1 (module `dlib`), no compiler needed.
# face_recognition 1.3.0 declares `dlib>=19.7`, which would compile dlib from
# source, so it goes in with --no-deps and its other deps are pinned here.
# setuptools is pinned too: face_recognition_models imports pkg_resources,
# which current setuptools (84.x) no longer ships.
pins_deps=(
  "dlib-bin==20.0.1.post1"
  "face_recognition_models==0.3.0"
  "Click==8.5.1"
  "numpy==2.4.6"
  "Pillow==13.0.0"
  "setuptools==75.8.0"
)
pin_main="face_recognition==1.3.0"
stamp="$venv/.dayfusion-pins"
want_stamp="$(printf '%s\n' "${pins_deps[@]}" "$pin_main")"

log() { echo "setup-peer: $*" >&2; }

venv_ok() {
  [[ -x "$venv/bin/python" && -f "$stamp" ]] || return 1
  [[ "$(cat "$stamp")" == "$want_stamp" ]] || return 1
  "$venv/bin/python" -c 'import dlib, face_recognition, face_recognition_models' >/dev/null 2>&1
}

if venv_ok; then
  log "venv ok: $venv"
else
  start=$SECONDS
  log "creating $venv with $("$python" --version 2>&1)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
  log "installing ${pins_deps[*]}"
  # dlib-bin must come as a wheel; face_recognition_models is sdist-only
  # (about 100 MB of model files), so binaries are required only for dlib-bin,
  # and --use-pep517 builds that sdist the same way under any pip version.
  "${pip[@]}" install --quiet --use-pep517 --only-binary dlib-bin "${pins_deps[@]}" >&2
  log "installing $pin_main (--no-deps)"
  "${pip[@]}" install --quiet --no-deps "$pin_main" >&2
  "$venv/bin/python" -c 'import dlib, face_recognition, face_recognition_models' >&2
  printf '%s\n' "$want_stamp" >"$stamp"
  log "venv ready in $((SECONDS - start)) s"
fi

echo "$venv/bin/python"
