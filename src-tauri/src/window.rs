//! The kiosk window: full screen, undecorated, always on top, with a webview
//! that may use the camera and nothing else.
//!
//! Its CSP is `tauri.conf.json`'s with the Face Liveness stream's origins
//! added to `connect-src` when each page is served: the public streaming
//! endpoint of every region in `face-liveness-regions.json` (the one list)
//! and the kiosk's private (VPC) endpoint from `aws.toml`, read when the
//! app starts, so a bank sets it without a rebuild (a restart applies it).

use dayfusion_aws::regions::{self, StreamingEndpoint};
use tauri::webview::{PermissionKind, PermissionResponse};
use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

use crate::{args::KioskArgs, hardening, state::KioskState};

/// Why the kiosk window was not built.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// Tauri could not build it.
    #[error(transparent)]
    Tauri(#[from] tauri::Error),
    /// The liveness streaming endpoint is refused (the test switch in a
    /// release build, or not a loopback origin).
    #[error(transparent)]
    Endpoint(#[from] hardening::StreamingEndpointError),
}

/// Where the webview's Face Liveness stream goes instead of the region's
/// public endpoint, fixed when the app starts (managed state): the CSP
/// allows exactly this origin and `liveness_credentials` hands it to the
/// widget, so the two never disagree.
#[derive(Debug, Clone, Default)]
pub struct LivenessStreaming {
    /// `None`: the region's public endpoint.
    pub endpoint: Option<StreamingEndpoint>,
}

/// The origins the webview's `connect-src` gains for the Face Liveness
/// stream: every listed region's public streaming endpoint, then `endpoint`.
pub fn liveness_connect_sources(endpoint: Option<&StreamingEndpoint>) -> Vec<String> {
    let mut sources: Vec<String> = regions::face_liveness_regions()
        .iter()
        .map(|r| regions::public_streaming_origin(&r.code))
        .collect();
    if let Some(endpoint) = endpoint {
        sources.push(endpoint.origin().to_owned());
    }
    sources
}

/// The policy `csp` with `sources` appended to its `connect-src` (a copy of
/// `default-src` when it has none); every other directive as it was, in
/// its order.
pub fn with_connect_sources(csp: &str, sources: &[String]) -> String {
    let mut directives: Vec<(String, Vec<String>)> = csp
        .split(';')
        .filter_map(|directive| {
            let mut tokens = directive.split_whitespace();
            let name = tokens.next()?.to_owned();
            Some((name, tokens.map(str::to_owned).collect()))
        })
        .collect();
    let named = |directives: &[(String, Vec<String>)], wanted: &str| {
        directives
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(wanted))
    };
    if named(&directives, "connect-src").is_none() {
        let default = named(&directives, "default-src")
            .and_then(|i| directives.get(i))
            .map(|(_, sources)| sources.clone())
            .unwrap_or_default();
        directives.push(("connect-src".to_owned(), default));
    }
    if let Some((_, connect)) =
        named(&directives, "connect-src").and_then(|i| directives.get_mut(i))
    {
        for source in sources {
            if !connect.contains(source) {
                connect.push(source.clone());
            }
        }
    }
    directives
        .iter()
        .map(|(name, sources)| {
            if sources.is_empty() {
                name.clone()
            } else {
                format!("{name} {}", sources.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads an environment variable (absent or not Unicode: `None`).
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The liveness streaming endpoint of this run: `aws.toml`'s
/// `liveness-streaming-endpoint` (an `aws.toml` that does not load leaves
/// the public endpoints, and the AWS backend reports the settings error),
/// or in a debug build the test switch; a release build with the switch is
/// refused.
fn resolve_streaming_endpoint<R: Runtime>(
    app: &AppHandle<R>,
) -> Result<Option<StreamingEndpoint>, hardening::StreamingEndpointError> {
    let configured = app.try_state::<KioskState>().and_then(|state| {
        match dayfusion_aws::AwsSettings::load(&state.paths.data_dir)
            .and_then(|settings| settings.liveness_endpoint())
        {
            Ok(endpoint) => endpoint,
            Err(e) => {
                tracing::warn!(event = "liveness_endpoint_unset", error = %e, "AWS settings do not load; the liveness stream may only use the public endpoints");
                None
            }
        }
    });
    let endpoint = hardening::liveness_streaming_endpoint(
        configured,
        env(hardening::TEST_ENDPOINT_VAR).as_deref(),
        env(hardening::TEST_CERT_VAR).as_deref(),
        cfg!(debug_assertions),
    )?;
    if let Some(endpoint) = &endpoint {
        tracing::info!(
            event = "liveness_endpoint",
            origin = endpoint.origin(),
            test = endpoint.region().is_none(),
            "liveness stream endpoint"
        );
    }
    Ok(endpoint)
}

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
pub fn build_main_window<R: Runtime>(
    app: &AppHandle<R>,
    args: &KioskArgs,
) -> Result<(), WindowError> {
    let hardened = args.hardened(cfg!(debug_assertions));
    let kiosk = !args.windowed;
    let endpoint = resolve_streaming_endpoint(app)?;
    let connect_sources = liveness_connect_sources(endpoint.as_ref());
    app.manage(LivenessStreaming {
        endpoint: endpoint.clone(),
    });
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
        .on_new_window(|_url, _features| tauri::webview::NewWindowResponse::Deny)
        // Tauri sets the CSP header on the pages it serves; only those
        // responses carry one.
        .on_web_resource_request(move |_request, response| {
            let header = tauri::http::header::CONTENT_SECURITY_POLICY;
            let Some(csp) = response.headers().get(&header).and_then(|v| v.to_str().ok()) else {
                return;
            };
            match tauri::http::HeaderValue::from_str(&with_connect_sources(csp, &connect_sources)) {
                Ok(value) => {
                    response.headers_mut().insert(header, value);
                }
                Err(e) => {
                    // The page keeps tauri.conf.json's CSP: no stream can start.
                    tracing::error!(event = "csp_not_extended", error = %e, "liveness origins not added to the CSP");
                }
            }
        });
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
        let test_certificate = test_certificate(endpoint.as_ref());
        window.with_webview(move |webview| {
            use webkit2gtk::{SettingsExt, WebViewExt};
            if let Some((host, path)) = &test_certificate {
                allow_test_certificate(&webview.inner(), host, path);
            }
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

/// Debug builds with the test switch: the host of the local fake and its
/// certificate file ([`hardening::TEST_CERT_VAR`]).
#[cfg(target_os = "linux")]
fn test_certificate(endpoint: Option<&StreamingEndpoint>) -> Option<(String, String)> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let endpoint = endpoint.filter(|e| e.region().is_none())?;
    let path = env(hardening::TEST_CERT_VAR).filter(|p| !p.trim().is_empty())?;
    let host_port = endpoint.origin().strip_prefix("wss://")?;
    let host = host_port
        .rsplit_once(':')
        .map_or(host_port, |(host, _)| host);
    Some((
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        path,
    ))
}

/// Lets the webview accept the test fake's certificate for its host only
/// (WebKitGTK's per-host exception; everything else is still verified).
#[cfg(target_os = "linux")]
fn allow_test_certificate(view: &webkit2gtk::WebView, host: &str, path: &str) {
    use webkit2gtk::{WebContextExt, WebViewExt};
    match webkit2gtk::gio::TlsCertificate::from_file(path) {
        Ok(certificate) => {
            if let Some(context) = view.context() {
                context.allow_tls_certificate_for_host(&certificate, host);
                tracing::warn!(
                    event = "liveness_test_certificate",
                    host,
                    "debug build: the liveness test fake's certificate is accepted"
                );
            }
        }
        Err(e) => {
            tracing::error!(event = "liveness_test_certificate_unreadable", error = %e, "the liveness test certificate cannot be read");
        }
    }
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

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// `tauri.conf.json`'s CSP as Tauri serves it (directives joined by `; `).
    fn configured_csp() -> Result<String, Box<dyn std::error::Error>> {
        let config: serde_json::Value = serde_json::from_str(include_str!("../tauri.conf.json"))?;
        let csp = config
            .pointer("/app/security/csp")
            .and_then(|v| v.as_object())
            .ok_or("no app.security.csp object")?;
        Ok(csp
            .iter()
            .map(|(name, sources)| format!("{name} {}", sources.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("; "))
    }

    fn connect_src(policy: &str) -> Vec<String> {
        policy
            .split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix("connect-src "))
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    #[test]
    fn the_csp_streams_only_to_the_listed_regions() -> TestResult {
        let base = configured_csp()?;
        // The regions are written once, in face-liveness-regions.json: the
        // configuration names no AWS host.
        assert_eq!(
            connect_src(&base),
            ["'self'", "ipc:", "http://ipc.localhost"]
        );
        assert!(!base.contains("amazonaws"), "{base}");

        let served = with_connect_sources(&base, &liveness_connect_sources(None));
        let mut expected: Vec<String> = ["'self'", "ipc:", "http://ipc.localhost"]
            .map(String::from)
            .to_vec();
        expected.extend(
            regions::face_liveness_regions()
                .iter()
                .map(|r| format!("wss://streaming-rekognition.{}.amazonaws.com", r.code)),
        );
        assert_eq!(connect_src(&served), expected);
        assert!(
            connect_src(&served)
                .contains(&"wss://streaming-rekognition.sa-east-1.amazonaws.com".to_owned())
        );
        // Every other directive is served as configured.
        let others = |p: &str| -> Vec<String> {
            p.split("; ")
                .filter(|d| !d.starts_with("connect-src"))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(others(&served), others(&base));
        assert!(served.contains("script-src 'self' 'wasm-unsafe-eval'"));
        Ok(())
    }

    #[test]
    fn the_private_endpoint_is_added_at_run_time() -> TestResult {
        let base = configured_csp()?;
        let vpc = StreamingEndpoint::parse_private(
            "wss://vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com",
        )?;
        let served = with_connect_sources(&base, &liveness_connect_sources(Some(&vpc)));
        let sources = connect_src(&served);
        assert_eq!(sources.last().map(String::as_str), Some(vpc.origin()));
        assert_eq!(
            sources.len(),
            3 + regions::face_liveness_regions().len() + 1
        );
        // Serving twice adds nothing twice.
        assert_eq!(
            with_connect_sources(&served, &liveness_connect_sources(Some(&vpc))),
            served
        );
        Ok(())
    }

    #[test]
    fn connect_src_starts_from_default_src_when_absent() {
        let sources = vec!["wss://x.example".to_owned()];
        assert_eq!(
            with_connect_sources("default-src 'self'; img-src data:", &sources),
            "default-src 'self'; img-src data:; connect-src 'self' wss://x.example"
        );
        assert_eq!(
            with_connect_sources("object-src 'none';", &sources),
            "object-src 'none'; connect-src wss://x.example"
        );
    }

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
