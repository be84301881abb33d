//! The kiosk window: full screen, undecorated, always on top, with a webview
//! that may use the camera and nothing else.

use tauri::webview::{PermissionKind, PermissionResponse};
use tauri::{AppHandle, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::{args::KioskArgs, hardening};

/// Label of the one kiosk window (capabilities refer to it).
pub const MAIN_WINDOW: &str = "main";

/// Permission policy of the webview: the camera is allowed, everything else
/// (microphone, screen capture, location, notifications, ...) is denied.
/// A request for camera and microphone together is denied as a whole.
pub fn camera_only_permission(kind: PermissionKind) -> PermissionResponse {
    match kind {
        PermissionKind::Camera => PermissionResponse::Allow,
        _ => PermissionResponse::Deny,
    }
}

/// Creates the main window according to the launch switches.
pub fn build_main_window<R: Runtime>(app: &AppHandle<R>, args: &KioskArgs) -> tauri::Result<()> {
    let hardened = args.hardened(cfg!(debug_assertions));
    let kiosk = !args.windowed;
    let mut builder = WebviewWindowBuilder::new(app, MAIN_WINDOW, WebviewUrl::App("index.html".into()))
        .title(dayfusion_core::PRODUCT_NAME)
        .inner_size(1024.0, 768.0)
        .min_inner_size(800.0, 600.0)
        .fullscreen(kiosk)
        .decorations(!kiosk)
        .always_on_top(kiosk)
        .resizable(!kiosk)
        .on_permission_request(|_webview, kind| {
            let response = camera_only_permission(kind);
            tracing::info!(event = "webview_permission", kind = ?kind, allowed = matches!(response, PermissionResponse::Allow), "permission request");
            response
        })
        .on_navigation(|url| {
            let allowed = hardening::is_allowed_navigation(url);
            if !allowed {
                tracing::warn!(event = "navigation_blocked", scheme = url.scheme(), "navigation away from the app refused");
            }
            allowed
        })
        .on_new_window(|_url, _features| tauri::webview::NewWindowResponse::Deny);
    if hardened {
        builder = builder.initialization_script(hardening::HARDENING_SCRIPT);
    }
    let window = builder.build()?;
    if kiosk {
        cover_monitor(&window)?;
    }

    #[cfg(target_os = "linux")]
    {
        let mock_camera = args.mock_camera;
        window.with_webview(move |webview| {
            use webkit2gtk::{SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_enable_media_stream(true);
                settings.set_enable_mock_capture_devices(mock_camera);
                if hardened {
                    settings.set_enable_developer_extras(false);
                }
            }
            // A crashed web process leaves a blank window: reload the app
            // (the attract screen; a visit in progress ends by its idle
            // expiry, stored transactions stay as they are).
            webview.inner().connect_web_process_terminated(|view, reason| {
                tracing::error!(event = "webview_crashed", reason = ?reason, "web process ended; reloading the kiosk");
                view.reload();
            });
        })?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
    Ok(())
}

/// Sizes the window to its whole monitor. Full screen is a request to the
/// window manager; kiosks often run a bare X session without one, where only
/// an explicit position and size cover the screen.
fn cover_monitor<R: Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    let monitor = match window.current_monitor()? {
        Some(m) => Some(m),
        None => window.primary_monitor()?,
    };
    if let Some(monitor) = monitor {
        window.set_position(*monitor.position())?;
        window.set_size(*monitor.size())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_camera_is_granted() {
        assert!(matches!(
            camera_only_permission(PermissionKind::Camera),
            PermissionResponse::Allow
        ));
        for kind in [
            PermissionKind::Microphone,
            PermissionKind::DisplayCapture,
            PermissionKind::Geolocation,
            PermissionKind::Notifications,
            PermissionKind::ClipboardRead,
            PermissionKind::Other,
        ] {
            assert!(
                matches!(camera_only_permission(kind), PermissionResponse::Deny),
                "{kind:?}"
            );
        }
    }
}
