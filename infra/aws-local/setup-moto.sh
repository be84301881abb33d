#!/usr/bin/env bash
# Sets up moto, the local AWS stand-in for the AWS backend's integration
# tests (S3 and DynamoDB): a Python venv at <repo>/.tools/moto-venv
# (git-ignored) holding moto[server] at a pinned version. Idempotent: a venv
# whose pin stamp matches and whose moto_server runs is kept as it is.
#
# Progress goes to stderr; the last (and only) line on stdout is the venv's
# python, for callers: py="$(infra/aws-local/setup-moto.sh)". The server is
# then "$(dirname "$py")/moto_server"; infra/aws-local/moto-server.sh starts
# and stops it.
#
# PYTHON picks the interpreter that creates the venv (default python3, 3.9 or
# newer; Debian 12's python3 + python3-venv works).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="$root/.tools/moto-venv"
python="${PYTHON:-python3}"

# moto's server is a Flask app on Werkzeug; both are pinned with it so a new
# Flask or Werkzeug release cannot change the server under the tests.
pins=(
  "moto[server]==5.2.5"
  "flask==3.1.3"
  "werkzeug==3.1.8"
)
stamp="$venv/.dayfusion-pins"
want_stamp="$(printf '%s\n' "${pins[@]}")"

log() { echo "setup-moto: $*" >&2; }

venv_ok() {
  [[ -x "$venv/bin/python" && -x "$venv/bin/moto_server" && -f "$stamp" ]] || return 1
  [[ "$(cat "$stamp")" == "$want_stamp" ]] || return 1
  "$venv/bin/python" -c 'import moto.server, flask, werkzeug' >/dev/null 2>&1
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
  log "installing ${pins[*]}"
  "${pip[@]}" install --quiet "${pins[@]}" >&2
  "$venv/bin/python" -c 'import moto.server, flask, werkzeug' >&2
  printf '%s\n' "$want_stamp" >"$stamp"
  log "venv ready in $((SECONDS - start)) s"
fi

echo "$venv/bin/python"
