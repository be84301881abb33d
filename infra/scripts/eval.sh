#!/usr/bin/env bash
# Runs the face and liveness evaluations on the development set beside the
# checkout (../shared/eval/dev; never copied into the repository) and writes
# the reports to target/eval/. Skips with a message when the set is absent.
#
#   infra/scripts/eval.sh [--no-peer] [--quick] [DAYFUSION_BIN]
#
# --no-peer leaves out the Python face_recognition (dlib) peer, which
# infra/eval/setup-peer.sh installs into .tools/eval-venv on first use.
# --quick runs the attack evaluation's subset (one clip, one still, one
# session per species: what `make test` runs) instead of the whole of it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
peer=()
quick=()
while [[ ${1:-} == --* ]]; do
  case $1 in
    --no-peer) peer=(--no-peer) ;;
    --quick) quick=(--quick) ;;
    *) echo "eval.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
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
  echo
  echo "==> attack species through live sessions: $dev/video, $dev/pad/real, $dev/identities${quick:+ (subset)}"
  "$bin" eval attacks "$dev" --out target/eval/attacks "${quick[@]}"
fi
