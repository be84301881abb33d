#!/usr/bin/env bash
# The soak run (`make soak`, issue 21): one kiosk session under WebDriver,
# SOAK_VISITS (100) whole customer visits with the canvas camera, the app's
# and its WebKit processes' memory, open fds and threads after each, judged
# against the bound stated in ui/e2e/soak.mjs. Out: target/soak/ (soak.csv,
# soak.svg, summary.json). Prepares what the end-to-end step of `make test`
# needs, the same way (the same cargo build: nothing is compiled twice).
# Called by `make soak` after set-up and the UI build.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export CI=${CI:-true} NO_COLOR=1 FORCE_COLOR=0 CARGO_TERM_COLOR=never CARGO_INCREMENTAL=0
# shellcheck source=_e2e-env.sh
source "$root/infra/scripts/_e2e-env.sh"

"${cargo_build_all[@]}"
target/debug/dayfusion models fetch
bash src-tauri/dayfusion-face/tests/fetch-test-images.sh
with_tauri_driver node ui/e2e/soak.mjs
