#!/usr/bin/env bash
# Starts or stops a local moto server (S3, DynamoDB) for the AWS backend's
# integration tests (src-tauri/dayfusion-aws/tests/moto.rs).
#
#   infra/aws-local/moto-server.sh start   # prints: export DAYFUSION_TEST_MOTO_URL=http://127.0.0.1:PORT
#   infra/aws-local/moto-server.sh stop
#   infra/aws-local/moto-server.sh status  # prints the URL when it runs
#
# `start` sets up the venv first (infra/aws-local/setup-moto.sh), picks a free
# port on 127.0.0.1 (or MOTO_PORT), starts moto_server in the background,
# waits until it answers and writes its URL to <repo>/.tools/moto-run/url and
# its pid to .../pid; its log is .../server.log. A server already started by
# this script and still answering is reused. The last stdout line is the
# export line, for callers: eval "$(infra/aws-local/moto-server.sh start)".
# `stop` ends that process only (by its recorded pid).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="$root/.tools/moto-run"
pid_file="$run/pid"
url_file="$run/url"
log_file="$run/server.log"

log() { echo "moto-server: $*" >&2; }

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# Whether moto answers at $1 (its reset endpoint is cheap and always there).
answers() {
  "$py" - "$1" <<'PY' >/dev/null 2>&1
import sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/moto-api/data.json", timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  py="$("$root/infra/aws-local/setup-moto.sh")"
  mkdir -p "$run"
  if pid="$(running_pid)" && [[ -f "$url_file" ]] && answers "$(cat "$url_file")"; then
    log "already running (pid $pid)"
    echo "export DAYFUSION_TEST_MOTO_URL=$(cat "$url_file")"
    return 0
  fi
  stop_quiet
  local port="${MOTO_PORT:-$(free_port)}"
  local url="http://127.0.0.1:$port"
  log "starting moto_server on $url (log: $log_file)"
  nohup "$(dirname "$py")/moto_server" -H 127.0.0.1 -p "$port" >"$log_file" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$pid_file"
  for _ in $(seq 1 100); do
    if answers "$url"; then
      echo "$url" >"$url_file"
      log "ready (pid $pid)"
      echo "export DAYFUSION_TEST_MOTO_URL=$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "moto_server exited; its log:"
      cat "$log_file" >&2
      rm -f "$pid_file"
      return 1
    fi
    sleep 0.2
  done
  log "moto_server did not answer within 20 s"
  stop_quiet
  return 1
}

stop_quiet() {
  local pid
  if pid="$(running_pid)"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "stopped (pid $pid)"
  fi
  rm -f "$pid_file" "$url_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quiet ;;
  status)
    if running_pid >/dev/null && [[ -f "$url_file" ]]; then
      cat "$url_file"
    else
      log "not running"
      exit 1
    fi
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
