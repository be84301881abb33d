#!/usr/bin/env bash
# Adds packages to a signed apt repository (a plain folder: serve it over
# HTTPS, e.g. from an S3 bucket behind CloudFront, or copy it as is):
#
#   apt-repo.sh --key KEY_ID --repo DIR DEB...
#
# DIR/pool keeps every version ever added, so a kiosk can roll back with
# `apt-get install --allow-downgrades dayfusion-kiosk=VERSION`; DIR/dists
# is regenerated and signed with KEY_ID from GNUPGHOME (InRelease and
# Release.gpg); DIR/dayfusion-archive-keyring.gpg is the public key kiosks
# install as /usr/share/keyrings/dayfusion-archive-keyring.gpg and name in
#   deb [signed-by=/usr/share/keyrings/dayfusion-archive-keyring.gpg] URL bookworm main
# The signing key stays with the bank's release team (an HSM or an offline
# machine); only the repository folder is published.
set -euo pipefail
suite=bookworm
component=main
key=
repo=
while (($#)); do
	case $1 in
	--key) key=$2; shift 2 ;;
	--repo) repo=$2; shift 2 ;;
	--) shift; break ;;
	-*) echo "apt-repo.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[[ -n $key && -n $repo && $# -gt 0 ]] || { echo "usage: apt-repo.sh --key KEY_ID --repo DIR DEB..." >&2; exit 2; }
arch=$(dpkg --print-architecture)
pool=$repo/pool/$component/d/dayfusion-kiosk
dist=$repo/dists/$suite
mkdir -p "$pool" "$dist/$component/binary-$arch"
for deb in "$@"; do
	name=$(dpkg-deb -f "$deb" Package)_$(dpkg-deb -f "$deb" Version)_$(dpkg-deb -f "$deb" Architecture).deb
	# A published version never changes: the same name with other bytes is refused.
	if [[ -e $pool/$name ]] && ! cmp -s "$deb" "$pool/$name"; then
		echo "apt-repo.sh: $name is already published with other contents; publish a new version" >&2
		exit 1
	fi
	cp "$deb" "$pool/$name"
done
(cd "$repo" && apt-ftparchive packages "pool/$component") >"$dist/$component/binary-$arch/Packages"
gzip -9kf "$dist/$component/binary-$arch/Packages"
apt-ftparchive \
	-o APT::FTPArchive::Release::Origin=DayFusion \
	-o APT::FTPArchive::Release::Label="DayFusion Kiosk" \
	-o APT::FTPArchive::Release::Suite=$suite \
	-o APT::FTPArchive::Release::Codename=$suite \
	-o APT::FTPArchive::Release::Architectures="$arch" \
	-o APT::FTPArchive::Release::Components=$component \
	release "$dist" >"$dist/Release.new"
mv "$dist/Release.new" "$dist/Release"
rm -f "$dist/InRelease" "$dist/Release.gpg"
gpg --batch --yes --local-user "$key" --clearsign -o "$dist/InRelease" "$dist/Release"
gpg --batch --yes --local-user "$key" --detach-sign -o "$dist/Release.gpg" "$dist/Release"
gpg --batch --yes --export "$key" >"$repo/dayfusion-archive-keyring.gpg"
echo "apt-repo.sh: $repo signed by $key ($(find "$pool" -name '*.deb' | wc -l) packages in the pool)"
