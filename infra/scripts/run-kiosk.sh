#!/usr/bin/env bash
# Starts the kiosk (embedded backend). With a display it opens on it; without
# one it starts a virtual display (Xvfb), takes a screenshot once the screen
# is up and prints where it is. Extra arguments go to the app (e.g. --windowed).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
app=${KIOSK_APP:-$root/target/debug/dayfusion-kiosk}
[[ -x "$app" ]] || { echo "run: $app is missing; build it with 'make build'" >&2; exit 1; }
args=("$@")

# The evidence key goes to the OS keyring unless a key file is chosen. A
# developer's bare X session often has no Secret Service: choose the file
# here, out loud, rather than let the kiosk refuse to store evidence.
secret_service_reachable() {
  local ping=(org.freedesktop.secrets /org/freedesktop/secrets org.freedesktop.DBus.Peer.Ping)
  if command -v dbus-send >/dev/null; then
    dbus-send --session --print-reply --reply-timeout=3000 --dest="${ping[0]}" "${ping[1]}" "${ping[2]}" >/dev/null 2>&1
  elif command -v gdbus >/dev/null; then
    timeout 5 gdbus call --session --dest "${ping[0]}" --object-path "${ping[1]}" --method "${ping[2]}" >/dev/null 2>&1
  else
    return 0 # cannot tell: the kiosk itself says what to do if the keyring is missing
  fi
}
if [[ -z "${DAYFUSION_EVIDENCE_KEY:-}" ]] && ! secret_service_reachable; then
  export DAYFUSION_EVIDENCE_KEY=file
  echo "run: no Secret Service (OS keyring) reachable; using DAYFUSION_EVIDENCE_KEY=file (a key file beside the evidence, no protection against disk theft)"
fi

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
