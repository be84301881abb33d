#!/usr/bin/env bash
# The package's install test, as a bank's IT would live it, in a clean
# Debian 12 root made with debootstrap from Debian's packages:
#   1. a signed apt repository holds the previous and the new package; a
#      repository signed by another key is refused;
#   2. the previous package is installed from it with its dependencies (the
#      only step with a network); everything after runs without one;
#   3. as installed: the dayfusion user and its 0700 folders, `dayfusion
#      health` ok, the packaged models verified, `dayfusion verify` on a
#      generated document and video decides, the audit chain verifies;
#   4. upgrade to the new package: every transaction kept, the chain
#      verifies; the root booted with systemd (systemd-nspawn): the kiosk
#      session starts (READY=1), shows the attract screen (screenshot), is
#      restarted when the app is killed and, by the watchdog, when its
#      webview hangs;
#   5. rollback to the previous package: nothing lost; remove keeps the
#      data, purge deletes it after saying so.
#
#   install-test.sh NEW_DEB [PREVIOUS_DEB]
#
# Without PREVIOUS_DEB (no release published yet), the new package repacked
# with the version NEW~previous stands in for it: the maintainer scripts,
# data and rollback are exercised; schema migrations from every released
# version are the ledger's release tests (dayfusion-ledger/tests/releases).
# Needs root, debootstrap, apt-ftparchive (apt-utils), gpg, unshare,
# systemd-nspawn (systemd-container).
# Output: target/package/install-test/ (log lines, attract.png).
# INSTALL_TEST_KEEP=1 keeps the root and the repository (for debugging).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
new=$(realpath "${1:?usage: install-test.sh NEW_DEB [PREVIOUS_DEB]}")
previous=${2:-}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
out=$root/target/package/install-test
mkdir -p "$out"
work=$(mktemp -d /var/tmp/dayfusion-install-test.XXXXXX)
R=$work/root
nspawn=
cleanup() {
	if [[ -n $nspawn ]]; then
		kill "$nspawn" 2>/dev/null || true
		wait "$nspawn" 2>/dev/null || true
	fi
	if [[ -n ${INSTALL_TEST_KEEP:-} ]]; then echo "install-test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
step() { echo; echo "== install-test: $*"; }
fail() { echo "install-test: FAIL: $*" >&2; exit 1; }

# in_root NET COMMAND...: runs COMMAND in the root with /proc, /sys, /dev
# and a fresh /tmp and /run, in its own mount and PID namespaces (nothing
# outlives it); NET=off also gives it a network namespace with no network.
in_root() {
	local net=$1
	shift
	local flags=(--mount --pid --fork)
	[[ $net == off ]] && flags+=(--net)
	unshare "${flags[@]}" -- bash -c '
		R=$1; shift
		mount -t proc proc "$R/proc"
		mount --rbind /sys "$R/sys"
		mount --rbind /dev "$R/dev"
		mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
		mount -t tmpfs -o mode=0755 tmpfs "$R/run"
		mkdir -p "$R/run/lock"
		exec chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"' _ "$R" "$@"
}

step "the package"
dpkg-deb --info "$new" | sed -n '/Package:/,/Description:/p'
version=$(dpkg-deb -f "$new" Version)
echo "size: $(du -h "$new" | cut -f1) ($(stat -c %s "$new") bytes), $(dpkg-deb -c "$new" | wc -l) entries"
if [[ -z $previous ]]; then
	previous=$work/previous.deb
	dpkg-deb -R "$new" "$work/repack"
	sed -i "s/^Version: .*/Version: ${version}~previous/" "$work/repack/DEBIAN/control"
	dpkg-deb --root-owner-group -Zgzip -z1 --build "$work/repack" "$previous" >/dev/null
	rm -rf "$work/repack"
fi
previous_version=$(dpkg-deb -f "$previous" Version)
dpkg --compare-versions "$previous_version" lt "$version" || fail "$previous_version is not older than $version"
echo "previous: $previous_version, new: $version"

step "signed repository"
export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "DayFusion Kiosk test archive <ti@dayfusion.invalid>" ed25519 sign 1d
key=$(gpg --batch --with-colons --list-keys 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
"$here/apt-repo.sh" --key "$key" --repo "$work/repo" "$previous" "$new"
# A copy signed by another key: apt must refuse it.
cp -R "$work/repo" "$work/forged"
gpg --batch --quiet --passphrase '' --quick-gen-key "Someone else <x@invalid>" ed25519 sign 1d
other=$(gpg --batch --with-colons --list-keys "x@invalid" 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --yes --local-user "$other" --clearsign -o "$work/forged/dists/bookworm/InRelease" "$work/forged/dists/bookworm/Release"
gpg --batch --yes --local-user "$other" --detach-sign -o "$work/forged/dists/bookworm/Release.gpg" "$work/forged/dists/bookworm/Release"

step "clean Debian 12 root (debootstrap, $mirror)"
started=$SECONDS
debootstrap --variant=minbase bookworm "$R" "$mirror" >"$out/debootstrap.log" 2>&1 || { tail -20 "$out/debootstrap.log"; fail "debootstrap"; }
echo "debootstrap: $((SECONDS - started)) s, $(du -sh "$R" | cut -f1)"
cp /etc/resolv.conf "$R/etc/resolv.conf"
mkdir -p "$R/srv/dayfusion-repo" "$R/srv/forged-repo" "$R/srv/inputs"
cp -R "$work/repo/." "$R/srv/dayfusion-repo/"
cp -R "$work/forged/." "$R/srv/forged-repo/"
install -D -m0644 "$work/repo/dayfusion-archive-keyring.gpg" "$R/usr/share/keyrings/dayfusion-archive-keyring.gpg"
echo "deb [signed-by=/usr/share/keyrings/dayfusion-archive-keyring.gpg] file:/srv/forged-repo bookworm main" >"$R/etc/apt/sources.list.d/forged.list"
# apt-get update exits 0 with a warning for a refused source, so the
# refusal is read from its output, and the index must not be there.
in_root on apt-get update -o Dir::Etc::sourcelist=sources.list.d/forged.list -o Dir::Etc::sourceparts=- >"$out/forged.log" 2>&1 || true
if ! grep -qE 'NO_PUBKEY|signatures were invalid|is not signed' "$out/forged.log" ||
	compgen -G "$R/var/lib/apt/lists/*forged-repo*Packages" >/dev/null; then
	cat "$out/forged.log"
	fail "apt did not refuse a repository signed by another key"
fi
echo "forged repository refused: $(grep -oiE 'NO_PUBKEY [0-9A-F]+|signatures were invalid[^.]*|is not signed' "$out/forged.log" | head -1)"
rm "$R/etc/apt/sources.list.d/forged.list"
echo "deb [signed-by=/usr/share/keyrings/dayfusion-archive-keyring.gpg] file:/srv/dayfusion-repo bookworm main" >"$R/etc/apt/sources.list.d/dayfusion.list"

step "install $previous_version from the signed repository (network on)"
started=$SECONDS
in_root on apt-get update -qq
# Tools of this test only (screen and screenshot), not of the package.
in_root on env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 \
	"dayfusion-kiosk=$previous_version" xvfb imagemagick dbus >"$out/apt-install.log" 2>&1 ||
	{ tail -30 "$out/apt-install.log"; fail "apt-get install"; }
echo "installed with its dependencies in $((SECONDS - started)) s; $(in_root on dpkg-query -W -f='${Package}\n' | wc -l) packages in the root"
grep -E "^dayfusion-kiosk:|purge|apagando" "$out/apt-install.log" || true

# installed_is VERSION: dayfusion-kiosk at VERSION and fully configured
# ("ii": a failed maintainer script leaves another state).
installed_is() {
	local got
	got=$(in_root off dpkg-query -W -f='${db:Status-Abbrev}${Version}' dayfusion-kiosk)
	[[ $got == "ii $1" ]] || { echo "dpkg says: $got" >&2; return 1; }
}
installed_is "$previous_version" || fail "install"

step "as installed (no network from here on)"
in_root off sh -c 'getent passwd dayfusion; stat -c "%n %a %U:%G" /var/lib/dayfusion /var/log/dayfusion'
[[ $(in_root off stat -c %a:%U /var/lib/dayfusion) == 700:dayfusion ]] || fail "data folder is not 0700 dayfusion"
[[ $(in_root off stat -c %a:%U /var/log/dayfusion) == 700:dayfusion ]] || fail "log folder is not 0700 dayfusion"
in_root off dayfusion models verify || fail "packaged models"
in_root off dayfusion paths
in_root off dayfusion health || fail "dayfusion health"
in_root off dayfusion health --json >"$out/health.json" || fail "dayfusion health --json"
python3 - "$out/health.json" <<'PY' || fail "the models check"
import json, sys
checks = {c["id"]: c for c in json.load(open(sys.argv[1]))["checks"]}
models = checks.get("models")
assert models and models["status"] == "ok", models
assert "/usr/share/dayfusion-kiosk/models" in models["detail"], models
print("health: models", models["status"], "-", models["detail"])
PY

"$root/infra/scripts/demo-inputs.sh" "$work/inputs" >/dev/null
cp "$work/inputs/document.jpg" "$work/inputs/selfie.avi" "$R/srv/inputs/"
chmod 0644 "$R/srv/inputs/"*
verify_once() {
	local rc=0
	in_root off dayfusion verify --document /srv/inputs/document.jpg --selfie-video /srv/inputs/selfie.avi || rc=$?
	[[ $rc == 0 ]] || fail "dayfusion verify exit $rc (no decision)"
}
transactions() { in_root off dayfusion transactions list --limit 0 --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
verify_once
audit() { in_root off dayfusion audit verify || fail "audit chain ($*)"; }
audit "as installed"
before=$(transactions)
echo "transactions: $before"

step "upgrade to $version (from the repository, no network)"
in_root off env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 \
	"dayfusion-kiosk=$version" >"$out/upgrade.log" 2>&1 || { tail -20 "$out/upgrade.log"; fail "upgrade: apt-get failed"; }
tail -5 "$out/upgrade.log"
installed_is "$version" || fail "upgrade"
[[ $(transactions) == "$before" ]] || fail "transactions lost in the upgrade"
audit "after the upgrade"
verify_once
after_upgrade=$(transactions)

step "the kiosk session under systemd (the root booted in a container, no network)"
# The package's unit with test-drop-in (Xvfb instead of cage on a seat, a
# 10 s watchdog instead of 30 s); everything else is the package's own.
install -D -m0755 "$here/test/xvfb-cage" "$R/usr/local/lib/dayfusion-test/xvfb-cage"
install -D -m0644 "$here/test/session-test.conf" "$R/etc/systemd/system/dayfusion-kiosk.service.d/test.conf"
systemd-nspawn -D "$R" --boot --register=no --keep-unit --private-network -q >"$out/boot.log" 2>&1 &
nspawn=$!
leader=
for _ in $(seq 60); do
	leader=$(pgrep -P "$nspawn" | head -1) && [[ -n $leader ]] && break
	sleep 1
done
[[ -n $leader ]] || { tail -20 "$out/boot.log"; fail "the root did not boot"; }
in_boot() { nsenter --target "$leader" --all --root --wd /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }
timeout 120 bash -c 'until nsenter --target '"$leader"' --all --root --wd systemctl is-system-running --wait >/dev/null 2>&1 || [[ $? == 1 ]]; do sleep 1; done' || true
echo "booted: systemd $(in_boot systemctl is-system-running || true)"
unit=dayfusion-kiosk.service
show() { in_boot systemctl show -p "$1" --value "$unit"; }
# wait_active RESTARTS: the unit active (READY=1 received) after RESTARTS restarts.
wait_active() {
	for _ in $(seq 150); do
		[[ $(show ActiveState) == active && $(show NRestarts) == "$1" && $(show SubState) == running ]] && return 0
		sleep 1
	done
	in_boot journalctl -u "$unit" --no-pager | tail -30
	fail "the kiosk is not running after $1 restarts ($(show ActiveState)/$(show SubState), NRestarts $(show NRestarts))"
}
started=$SECONDS
timeout 200 nsenter --target "$leader" --all --root --wd systemctl start "$unit" || fail "systemctl start (no READY=1)"
wait_active 0
echo "started: READY=1 after $((SECONDS - started)) s (Type=notify: the webview answered)"
sleep 5
in_boot runuser -u dayfusion -- env DISPLAY=:7 import -window root /var/tmp/attract.png || fail "screenshot"
cp "$R/var/tmp/attract.png" "$out/attract.png"
colours=$(identify -format '%k' "$out/attract.png")
echo "screenshot: $out/attract.png ($colours colours)"
((colours > 50)) || fail "the screenshot is blank ($colours colours)"

app=$(in_boot pgrep -u dayfusion -x dayfusion-kiosk || true)
[[ -n $app ]] || fail "no app process"
in_boot kill -KILL "$app"
started=$SECONDS
wait_active 1
echo "killed the app (pid $app): restarted, running again after $((SECONDS - started)) s (pid $(in_boot pgrep -u dayfusion -x dayfusion-kiosk))"

web=
for _ in $(seq 30); do
	web=$(in_boot pgrep -u dayfusion -f WebKitWebProcess | head -n 1 || true)
	[[ -n $web ]] && break
	sleep 1
done
[[ -n $web ]] || { in_boot ps -eo pid,user,args | cut -c1-160; fail "no web process"; }
in_boot kill -STOP "$web"
started=$SECONDS
wait_active 2
in_boot journalctl -u "$unit" --no-pager >"$out/session-journal.log"
grep -q "Watchdog timeout" "$out/session-journal.log" || fail "the restart was not the watchdog's"
echo "hung the webview (web process $web stopped): watchdog timeout, restarted, running again after $((SECONDS - started)) s"
grep -E "Watchdog timeout|quick failures|Main process exited|Scheduled restart" "$out/session-journal.log" | sed 's/^/  journal: /'
in_boot systemctl stop "$unit"
kill "$nspawn"
wait "$nspawn" 2>/dev/null || true

step "rollback to $previous_version (no network)"
in_root off env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 \
	--allow-downgrades "dayfusion-kiosk=$previous_version" >"$out/rollback.log" 2>&1 || { tail -20 "$out/rollback.log"; fail "rollback: apt-get failed"; }
tail -5 "$out/rollback.log"
installed_is "$previous_version" || fail "rollback"
[[ $(transactions) == "$after_upgrade" ]] || fail "transactions lost in the rollback"
audit "after the rollback"

step "remove keeps the data; purge deletes it after saying so"
in_root off apt-get remove -y -qq dayfusion-kiosk 2>&1 | grep -E "dayfusion-kiosk:" || fail "remove says nothing about the data"
[[ -s $R/var/lib/dayfusion/transactions.db ]] || fail "remove deleted the data"
in_root off apt-get install -y -qq "dayfusion-kiosk=$version" >/dev/null 2>&1 || fail "reinstall"
installed_is "$version" || fail "reinstall"
[[ $(transactions) == "$after_upgrade" ]] || fail "transactions lost in remove + install"
in_root off apt-get purge -y -qq dayfusion-kiosk 2>&1 | grep -E "purge" || fail "purge says nothing"
[[ ! -e $R/var/lib/dayfusion ]] || fail "purge kept the data"
echo
echo "install-test: OK ($before → $after_upgrade transactions kept through upgrade and rollback)"
