#!/usr/bin/env bash
# Starts or stops the local stand-ins for AWS used by the test command:
# moto (S3, DynamoDB, STS; infra/aws-local/moto-server.sh) and the fake
# Rekognition (infra/aws-local/fake_rekognition.py, Rekognition's JSON 1.1
# protocol: the one service we cannot run locally).
#
#   infra/aws-local/servers.sh start   # prints export lines:
#       export DAYFUSION_TEST_MOTO_URL=http://127.0.0.1:PORT
#       export DAYFUSION_TEST_MOTO_BIN=<venv>/bin/moto_server
#       export DAYFUSION_TEST_REKOGNITION_URL=http://127.0.0.1:PORT
#   infra/aws-local/servers.sh stop
#
# Use: eval "$(infra/aws-local/servers.sh start)". Both listen on 127.0.0.1
# only; progress and logs go to stderr and <repo>/.tools/aws-local/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run="$root/.tools/aws-local"
fake_pid="$run/fake-rekognition.pid"
fake_log="$run/fake-rekognition.log"

log() { echo "aws-local: $*" >&2; }

stop_fake() {
  if [[ -f "$fake_pid" ]]; then
    local pid
    pid="$(cat "$fake_pid")"
    if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      log "fake Rekognition stopped (pid $pid)"
    fi
    rm -f "$fake_pid"
  fi
}

start() {
  mkdir -p "$run"
  local moto_env
  moto_env="$("$root/infra/aws-local/moto-server.sh" start | tail -n 1)"
  echo "$moto_env"
  echo "export DAYFUSION_TEST_MOTO_BIN=$root/.tools/moto-venv/bin/moto_server"
  stop_fake
  local moto_url="${moto_env#export DAYFUSION_TEST_MOTO_URL=}"
  nohup python3 -u "$root/infra/aws-local/fake_rekognition.py" --host 127.0.0.1 --port 0 \
    --s3-endpoint "$moto_url" \
    >"$fake_log" 2>&1 </dev/null &
  echo "$!" >"$fake_pid"
  local url=""
  for _ in $(seq 1 100); do
    url="$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$fake_log" | head -n 1)"
    [[ -n "$url" ]] && break
    if ! kill -0 "$(cat "$fake_pid")" 2>/dev/null; then
      log "the fake Rekognition exited; its log:"
      cat "$fake_log" >&2
      return 1
    fi
    sleep 0.1
  done
  if [[ -z "$url" ]]; then
    log "the fake Rekognition did not start within 10 s"
    return 1
  fi
  log "fake Rekognition on $url (pid $(cat "$fake_pid"))"
  echo "export DAYFUSION_TEST_REKOGNITION_URL=$url"
}

case "${1:-}" in
  start) start ;;
  stop)
    stop_fake
    "$root/infra/aws-local/moto-server.sh" stop
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
