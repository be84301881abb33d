//! Webview lockdown for kiosk use: what the customer must not be able to do.

/// Injected before any page script in hardened launches: no context menu, no
/// reload, devtools, print, zoom, history or close shortcuts, no drag-and-drop
/// navigation. The Rust navigation guard below is the real barrier; this
/// script only removes the browser affordances.
pub const HARDENING_SCRIPT: &str = r#"
(() => {
  const block = (e) => { e.preventDefault(); e.stopImmediatePropagation(); };
  const blockedKey = (e) => {
    const k = (e.key || '').toLowerCase();
    const mod = e.ctrlKey || e.metaKey;
    if (['f1','f3','f5','f6','f7','f11','f12','browserback','browserforward','browserrefresh'].includes(k)) return true;
    if (e.altKey && ['arrowleft','arrowright','home','f4'].includes(k)) return true;
    if (mod && ['r','p','s','o','u','f','g','j','n','t','w','q','l','+','-','=','0'].includes(k)) return true;
    if (mod && e.shiftKey && ['i','j','c','k','delete'].includes(k)) return true;
    return false;
  };
  window.addEventListener('contextmenu', block, { capture: true });
  window.addEventListener('keydown', (e) => { if (blockedKey(e)) block(e); }, { capture: true });
  window.addEventListener('dragover', block, { capture: true });
  window.addEventListener('drop', block, { capture: true });
  window.addEventListener('wheel', (e) => { if (e.ctrlKey) block(e); }, { capture: true, passive: false });
  Object.defineProperty(window, '__DAYFUSION_HARDENED__', { value: true });
})();
"#;

/// The webview may only show the app's own pages: Tauri's asset origins.
/// Every other navigation (links, redirects, `window.location`) is refused.
pub fn is_allowed_navigation(url: &tauri::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

/// Debug builds only: the webview's Face Liveness stream goes to this local
/// TLS fake (`wss://127.0.0.1:<port>`) instead of AWS, for tests.
pub const TEST_ENDPOINT_VAR: &str = "DAYFUSION_LIVENESS_ENDPOINT_INSECURE_TEST";
/// Debug builds only, with [`TEST_ENDPOINT_VAR`]: the fake's certificate
/// (PEM), which the webview then accepts for that host only.
pub const TEST_CERT_VAR: &str = "DAYFUSION_LIVENESS_ENDPOINT_INSECURE_TEST_CERT";

/// Why the kiosk refuses to start with the streaming endpoint it was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamingEndpointError {
    /// The test switch in a release build.
    #[error(
        "{0} is set, but this is a release build: the liveness stream never goes to a test endpoint in production. Unset {0} (and {TEST_CERT_VAR})."
    )]
    TestSwitchInRelease(&'static str),
    /// The test switch holds something else than a loopback origin.
    #[error("{TEST_ENDPOINT_VAR}: {0}")]
    TestEndpoint(dayfusion_aws::regions::EndpointError),
}

/// The endpoint the webview's Face Liveness stream goes to instead of the
/// region's public one, and the one origin the CSP adds for it: in a debug
/// build the test switch's loopback origin when set, else the configured
/// private (VPC) endpoint (`liveness-streaming-endpoint`, already checked).
/// A release build (`debug` false) refuses to run with either test variable
/// set, so a production kiosk cannot be pointed at a fake.
pub fn liveness_streaming_endpoint(
    configured: Option<dayfusion_aws::regions::StreamingEndpoint>,
    test_endpoint: Option<&str>,
    test_certificate: Option<&str>,
    debug: bool,
) -> Result<Option<dayfusion_aws::regions::StreamingEndpoint>, StreamingEndpointError> {
    let test_endpoint = test_endpoint.filter(|v| !v.trim().is_empty());
    let test_certificate = test_certificate.filter(|v| !v.trim().is_empty());
    if !debug {
        if test_endpoint.is_some() {
            return Err(StreamingEndpointError::TestSwitchInRelease(
                TEST_ENDPOINT_VAR,
            ));
        }
        if test_certificate.is_some() {
            return Err(StreamingEndpointError::TestSwitchInRelease(TEST_CERT_VAR));
        }
        return Ok(configured);
    }
    match test_endpoint {
        Some(value) => dayfusion_aws::regions::StreamingEndpoint::parse_loopback(value)
            .map(Some)
            .map_err(StreamingEndpointError::TestEndpoint),
        None => Ok(configured),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dayfusion_aws::regions::{EndpointError, StreamingEndpoint};

    const VPC: &str =
        "wss://vpce-0a1b2c3d4e5f67890-abcd1234.streaming-rekognition.sa-east-1.vpce.amazonaws.com";

    #[test]
    fn release_builds_refuse_the_test_switch() -> Result<(), EndpointError> {
        let vpc = StreamingEndpoint::parse_private(VPC)?;
        for (endpoint, cert, var) in [
            (Some("wss://127.0.0.1:8443"), None, TEST_ENDPOINT_VAR),
            (
                Some("wss://127.0.0.1:8443"),
                Some("/tmp/fake.pem"),
                TEST_ENDPOINT_VAR,
            ),
            (None, Some("/tmp/fake.pem"), TEST_CERT_VAR),
        ] {
            let refused = liveness_streaming_endpoint(Some(vpc.clone()), endpoint, cert, false);
            assert_eq!(
                refused,
                Err(StreamingEndpointError::TestSwitchInRelease(var)),
                "{endpoint:?} {cert:?}"
            );
            let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.contains("release build") && message.contains(var),
                "{message}"
            );
        }
        // Without the switch a release build streams where aws.toml says.
        assert_eq!(
            liveness_streaming_endpoint(Some(vpc.clone()), None, Some(" "), false),
            Ok(Some(vpc.clone()))
        );
        assert_eq!(
            liveness_streaming_endpoint(None, Some(""), None, false),
            Ok(None)
        );
        Ok(())
    }

    #[test]
    fn debug_builds_take_a_loopback_test_endpoint_over_the_configured_one()
    -> Result<(), EndpointError> {
        let vpc = StreamingEndpoint::parse_private(VPC)?;
        let test = liveness_streaming_endpoint(
            Some(vpc.clone()),
            Some("wss://127.0.0.1:8443"),
            Some("/tmp/fake.pem"),
            true,
        );
        assert_eq!(
            test.ok()
                .flatten()
                .map(|e| e.origin().to_owned())
                .as_deref(),
            Some("wss://127.0.0.1:8443")
        );
        assert_eq!(
            liveness_streaming_endpoint(Some(vpc.clone()), None, None, true),
            Ok(Some(vpc))
        );
        // Only loopback: the switch cannot send the stream elsewhere.
        assert_eq!(
            liveness_streaming_endpoint(None, Some("wss://example.com:443"), None, true),
            Err(StreamingEndpointError::TestEndpoint(
                EndpointError::NotLoopback
            ))
        );
        Ok(())
    }

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn url(s: &str) -> Result<tauri::Url, Box<dyn std::error::Error>> {
        Ok(tauri::Url::parse(s)?)
    }

    #[test]
    fn only_app_origins_are_navigable() -> TestResult {
        assert!(is_allowed_navigation(&url("tauri://localhost/status")?));
        assert!(is_allowed_navigation(&url(
            "http://tauri.localhost/index.html"
        )?));
        for bad in [
            "https://example.com/",
            "http://localhost:4200/",
            "file:///etc/passwd",
            "http://tauri.localhost.evil.com/",
            "javascript:alert(1)",
            "data:text/html,hi",
        ] {
            assert!(!is_allowed_navigation(&url(bad)?), "{bad}");
        }
        Ok(())
    }
}
