#!/usr/bin/env bash
# Runs the face and liveness evaluations on the development set beside the
# checkout (../shared/eval/dev; never copied into the repository) and writes
# the reports to target/eval/. Skips with a message when the set is absent.
#
#   infra/scripts/eval.sh [--no-peer] [DAYFUSION_BIN]
#
# --no-peer leaves out the Python face_recognition (dlib) peer, which
# infra/eval/setup-peer.sh installs into .tools/eval-venv on first use.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
peer=()
if [[ ${1:-} == --no-peer ]]; then
  peer=(--no-peer)
  shift
fi
bin="${1:-$root/target/release/dayfusion}"
dev="${DAYFUSION_EVAL_DIR:-$root/../shared/eval/dev}"

if [[ ! -d $dev/identities || ! -d $dev/documents ]]; then
  echo "SKIP eval: no evaluation set at $dev (it lives in ../shared/eval/dev beside a checkout)"
  exit 0
fi

# Face engine v1's MobileFaceNet is outside the default pack: the side-by-side
# report fetches it (pinned and hashed like the rest).
"$bin" models fetch --with mobilefacenet >/dev/null
echo "==> face matching: $dev/identities"
"$bin" eval faces "$dev/identities" --out target/eval/faces "${peer[@]}"
echo
echo "==> document portraits: $dev/documents"
"$bin" eval portraits "$dev/documents" --out target/eval/portraits
if [[ -d $dev/pad ]]; then
  echo
  echo "==> presentation attacks (liveness): $dev/pad and $dev/video"
  "$bin" eval pad "$dev" --out target/eval/pad
fi
