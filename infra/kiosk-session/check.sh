#!/usr/bin/env bash
# Checks the kiosk session files: the launcher's logic with a fake cage, app
# and systemctl, then `systemd-analyze verify` on the units when available
# (the installed paths rewritten to this folder's launcher).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "check.sh: FAIL: $*" >&2; exit 1; }

sh -n "$here/kiosk-session"
if command -v shellcheck >/dev/null; then shellcheck "$here/kiosk-session" "$0"; fi

# The launcher, with stand-ins.
export RUNTIME_DIRECTORY="$work/run"
mkdir -p "$RUNTIME_DIRECTORY"
cat >"$work/cage" <<'SH'
#!/bin/sh
# Like cage 0.1.4: runs the application, exits 0 whatever its status.
while [ "$1" != -- ]; do shift; done
shift
"$@"
exit 0
SH
cat >"$work/app" <<'SH'
#!/bin/sh
exit "${FAKE_APP_STATUS:-0}"
SH
cat >"$work/systemctl" <<'SH'
#!/bin/sh
echo "$*" >"$RUNTIME_DIRECTORY/systemctl"
SH
chmod +x "$work/cage" "$work/app" "$work/systemctl"
export DAYFUSION_CAGE="$work/cage" DAYFUSION_KIOSK_BIN="$work/app" DAYFUSION_SYSTEMCTL="$work/systemctl"
session="$here/kiosk-session"

for status in 0 10 3; do
	rc=0
	FAKE_APP_STATUS=$status "$session" run || rc=$?
	[ "$rc" = "$status" ] || fail "app status $status came out as $rc"
done
rm -f "$RUNTIME_DIRECTORY/app-status"
DAYFUSION_KIOSK_BIN=/nonexistent "$session" run 2>/dev/null && fail "a missing app counts as success"

[ "$("$session" delay 0)" = 0 ] && [ "$("$session" delay 1)" = 0 ] && [ "$("$session" delay 2)" = 10 ] &&
	[ "$("$session" delay 9)" = 120 ] || fail "delay table"
"$session" backoff
for n in 1 2 3; do
	EXIT_CODE=killed EXIT_STATUS=ABRT "$session" stopped 2>/dev/null
	[ "$(cat "$RUNTIME_DIRECTORY/failures")" = "$n" ] || fail "failure $n not counted"
done
echo 0 >"$RUNTIME_DIRECTORY/started" # a long healthy run, then a crash
EXIT_CODE=exited EXIT_STATUS=1 "$session" stopped 2>/dev/null
[ "$(cat "$RUNTIME_DIRECTORY/failures")" = 1 ] || fail "a long run does not reset the count"
EXIT_CODE=exited EXIT_STATUS=10 "$session" stopped
[ "$(cat "$RUNTIME_DIRECTORY/failures")" = 0 ] || fail "exit 10 does not reset the count"

EXIT_CODE=exited EXIT_STATUS=0 "$session" maintenance
[ ! -e "$RUNTIME_DIRECTORY/systemctl" ] || fail "maintenance console after a clean stop"
EXIT_CODE=killed EXIT_STATUS=10 "$session" maintenance
[ ! -e "$RUNTIME_DIRECTORY/systemctl" ] || fail "maintenance console after signal 10"
EXIT_CODE=exited EXIT_STATUS=10 "$session" maintenance 2>/dev/null
[ "$(cat "$RUNTIME_DIRECTORY/systemctl")" = "--no-block start dayfusion-maintenance.service" ] ||
	fail "no maintenance console after exit status 10"
echo "check.sh: launcher OK"

if ! command -v systemd-analyze >/dev/null; then
	echo "check.sh: systemd-analyze not found; units not verified"
	exit 0
fi
mkdir -p "$work/units"
for unit in dayfusion-kiosk.service dayfusion-maintenance.service dayfusion-health.service; do
	# The launcher from this folder; the CLI (not built here) as any program.
	sed -e "s|/usr/lib/dayfusion-kiosk/kiosk-session|$session|g" \
		-e "s|/usr/lib/dayfusion-kiosk/dayfusion |/usr/bin/env |g" "$here/$unit" >"$work/units/$unit"
done
# Units referring to each other are found in the same folder.
out=$(cd "$work/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
	dayfusion-kiosk.service dayfusion-maintenance.service dayfusion-health.service 2>&1) || fail "systemd-analyze verify: $out"
# Warnings do not fail verify: any line about our units does.
if grep -E 'dayfusion-(kiosk|maintenance|health)\.service' <<<"$out"; then fail "systemd-analyze verify warned"; fi
echo "check.sh: units OK ($(systemd-analyze --version | head -1))"
