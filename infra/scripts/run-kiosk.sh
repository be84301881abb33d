#!/usr/bin/env bash
# Starts the kiosk (embedded backend). With a display it opens on it; without
# one it starts a virtual display (Xvfb), takes a screenshot once the screen
# is up and prints where it is. Extra arguments go to the app (e.g. --windowed).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
app=${KIOSK_APP:-$root/target/debug/dayfusion-kiosk}
[[ -x "$app" ]] || { echo "run: $app is missing; build it with 'make build'" >&2; exit 1; }
args=("$@")

if [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]]; then
  exec "$app" "${args[@]}"
fi

# No display: run under Xvfb.
display_num=99
while [[ -e /tmp/.X11-unix/X$display_num || -e /tmp/.X$display_num-lock ]]; do
  display_num=$((display_num + 1))
done
export DISPLAY=:$display_num NO_AT_BRIDGE=1 GDK_BACKEND=x11 WEBKIT_DISABLE_COMPOSITING_MODE=1
Xvfb "$DISPLAY" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
cleanup() { kill "${app_pid:-}" "$xvfb_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM
for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$display_num ]] && break; sleep 0.1; done

# A headless machine has no camera: use WebKit's mock camera so the screen is complete.
if ! compgen -G "/dev/video*" >/dev/null && [[ " ${args[*]} " != *" --mock-camera "* ]]; then
  args+=(--mock-camera)
  echo "run: no camera found; using the mock camera (debug builds only)"
fi

"$app" "${args[@]}" &
app_pid=$!
shot=${KIOSK_SCREENSHOT:-$root/target/kiosk-screenshot.png}
mkdir -p "$(dirname "$shot")"
sleep "${KIOSK_SCREENSHOT_DELAY:-8}"
if kill -0 "$app_pid" 2>/dev/null; then
  import -display "$DISPLAY" -window root "$shot"
  echo "run: the kiosk is running headless on Xvfb display $DISPLAY"
  echo "run: screenshot of the screen: $shot"
  echo "run: refresh it with: DISPLAY=$DISPLAY import -window root $shot   (Ctrl+C stops the kiosk)"
fi
wait "$app_pid"
