//! Flatbed and ID scanners through SANE's `scanimage` (package
//! sane-utils), when the kiosk has one.

use std::time::Duration;

use dayfusion_verify::flow::MAX_DOCUMENT_BYTES;

use crate::confined::{Job, RunError};
use crate::error::VisitError;

/// Longest a scan may take.
const SCAN_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest the device listing may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `scanimage -L` lists at least one device.
pub fn available() -> bool {
    Job::new("scanimage", LIST_TIMEOUT)
        .args(["-L"])
        .max_stdout(1024 * 1024)
        .run()
        .map(|out| String::from_utf8_lossy(&out.stdout).contains("device `"))
        .unwrap_or(false)
}

/// One colour scan at 300 dpi as PNG from the default device.
pub fn scan() -> Result<Vec<u8>, VisitError> {
    let png = Job::new("scanimage", SCAN_TIMEOUT)
        .args(["--format=png", "--mode", "Color", "--resolution", "300"])
        .max_stdout(MAX_DOCUMENT_BYTES as u64)
        .run()
        .map_err(|e| match e {
            RunError::OutputTooLarge { bytes, .. } => VisitError::DocumentTooLarge(bytes),
            other => VisitError::Scanner(other.to_string()),
        })?
        .stdout;
    if png.is_empty() {
        return Err(VisitError::Scanner("the scanner sent no image".into()));
    }
    Ok(png)
}
