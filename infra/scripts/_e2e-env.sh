# Shared by test-all.sh (`make test`) and soak.sh (`make soak`), sourced, not
# run: how the project's scripts build the workspace and reach the tools that
# `make setup-tools` and the tauri-driver target install into .tools.
# Expects $root (the checkout) to be set.
# shellcheck shell=bash

# One build of the whole workspace with the tests' feature set: the test
# targets, the CLI and the app binary the end-to-end tests drive. Every
# later cargo command selects the same packages and targets, so nothing is
# compiled twice (a per-package build would resolve other features and
# rebuild the AWS SDK and Tauri).
# shellcheck disable=SC2034 # read by the scripts that source this file
cargo_build_all=(cargo build --workspace --locked --bins --tests)

# Angular 22 runs on the Node 24 that `make setup` installs into .tools/node.
with_node24() { PATH="$root/.tools/node/node_modules/.bin:$PATH" "$@"; }
# tauri-driver is installed into .tools/cargo by `make setup`.
with_tauri_driver() { PATH="$root/.tools/cargo/bin:$PATH" "$@"; }
