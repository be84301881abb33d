//! Flatbed and ID scanners through SANE's `scanimage` (package
//! sane-utils), when the kiosk has one.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::VisitError;

/// Longest a scan may take.
const SCAN_TIMEOUT: Duration = Duration::from_secs(90);
/// Longest the device listing may take.
const LIST_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `command`, returning its stdout, killed after `timeout`.
pub(crate) fn run(mut command: Command, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).map(|_| out)
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "scanimage took longer than {} s",
                    timeout.as_secs()
                ));
            }
            Err(e) => return Err(e.to_string()),
        }
    };
    let out = reader
        .join()
        .map_err(|_| "output reader failed".to_owned())?
        .map_err(|e| format!("output: {e}"))?;
    if !status.success() {
        return Err(format!("exit {:?}", status.code()));
    }
    Ok(out)
}

/// Whether `scanimage -L` lists at least one device.
pub fn available() -> bool {
    let mut command = Command::new("scanimage");
    command.arg("-L");
    run(command, LIST_TIMEOUT)
        .map(|out| String::from_utf8_lossy(&out).contains("device `"))
        .unwrap_or(false)
}

/// One colour scan at 300 dpi as PNG from the default device.
pub fn scan() -> Result<Vec<u8>, VisitError> {
    let mut command = Command::new("scanimage");
    command.args(["--format=png", "--mode", "Color", "--resolution", "300"]);
    let png = run(command, SCAN_TIMEOUT).map_err(VisitError::Scanner)?;
    if png.is_empty() {
        return Err(VisitError::Scanner("the scanner sent no image".into()));
    }
    Ok(png)
}
