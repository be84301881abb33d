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

#[cfg(test)]
mod tests {
    use super::*;

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
