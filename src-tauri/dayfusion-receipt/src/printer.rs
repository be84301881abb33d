//! Writing a receipt to the printer's device.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant};

use tracing::{info, warn};

use crate::ReceiptError;

/// The environment variable naming the printer's device (`/dev/usb/lp0`).
pub const PRINTER_ENV: &str = "DAYFUSION_RECEIPT_PRINTER";
/// How long a receipt may take to reach the printer.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause between two tries of a write the printer cannot take yet.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// The kiosk's receipt printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPrinter {
    path: PathBuf,
    /// A regular file stands in for the device (debug builds: the tests).
    file_allowed: bool,
}

impl ReceiptPrinter {
    /// The printer [`PRINTER_ENV`] names, if any ([`ReceiptPrinter::at`]).
    /// A value that cannot be a printer is logged and ignored.
    pub fn from_env() -> Option<Self> {
        let value = std::env::var_os(PRINTER_ENV).filter(|v| !v.is_empty())?;
        match Self::at(Path::new(&value)) {
            Ok(printer) => Some(printer),
            Err(e) => {
                warn!(event = "receipt_printer_ignored", error = %e, "receipt printer setting ignored");
                None
            }
        }
    }

    /// The printer at `path`: an absolute path under `/dev` without `.` or
    /// `..` (debug builds also take a regular file anywhere, the tests'
    /// paper). What it is is checked again on every print.
    pub fn at(path: &Path) -> Result<Self, ReceiptError> {
        Self::with_rules(path, cfg!(debug_assertions))
    }

    pub(crate) fn with_rules(path: &Path, file_allowed: bool) -> Result<Self, ReceiptError> {
        let plain = path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        if !path.is_absolute() || !plain || (!file_allowed && !path.starts_with("/dev")) {
            return Err(ReceiptError::NotAPrinter(path.display().to_string()));
        }
        Ok(ReceiptPrinter {
            path: path.to_owned(),
            file_allowed,
        })
    }

    /// The device written to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to the printer within [`PRINT_TIMEOUT`]. The device is
    /// opened for writing only (never created or truncated), non-blocking
    /// and without becoming the controlling terminal, and checked to be a
    /// character device (or the stand-in file) on the open descriptor. A
    /// printer that takes nothing before the deadline (offline, no paper)
    /// is closed: what it had not taken is dropped, never printed later for
    /// the next customer.
    pub fn print(&self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let outcome = self.write_all(bytes, Instant::now() + PRINT_TIMEOUT);
        match &outcome {
            Ok(()) => info!(event = "receipt_printed", "receipt printed"),
            Err(e) => {
                warn!(event = "receipt_failed", code = e.code(), error = %e, "receipt not printed");
            }
        }
        outcome
    }

    fn write_all(&self, mut bytes: &[u8], deadline: Instant) -> Result<(), ReceiptError> {
        let shown = self.path.display().to_string();
        let io = |source| ReceiptError::Io {
            path: shown.clone(),
            source,
        };
        // A FIFO without a reader fails at once (ENXIO) instead of blocking.
        let mut device = OpenOptions::new()
            .append(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(&self.path)
            .map_err(io)?;
        let kind = device.metadata().map_err(io)?.file_type();
        if !(kind.is_char_device() || (self.file_allowed && kind.is_file())) {
            return Err(ReceiptError::NotAPrinter(shown));
        }
        while !bytes.is_empty() {
            match device.write(bytes) {
                Ok(0) => return Err(io(ErrorKind::WriteZero.into())),
                Ok(written) => bytes = &bytes[written..],
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                    if Instant::now() >= deadline {
                        return Err(ReceiptError::Timeout(shown));
                    }
                    std::thread::sleep(RETRY_PAUSE);
                }
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(source: std::io::Error) -> ReceiptError {
        ReceiptError::Io {
            path: "test".into(),
            source,
        }
    }

    #[test]
    fn only_a_character_device_under_dev_is_a_printer_in_a_release_build()
    -> Result<(), ReceiptError> {
        assert!(ReceiptPrinter::with_rules(Path::new("/etc/passwd"), false).is_err());
        assert!(ReceiptPrinter::with_rules(Path::new("/dev/../etc/passwd"), false).is_err());
        assert!(ReceiptPrinter::with_rules(Path::new("relative/lp0"), true).is_err());
        // /dev/null is a character device: printing to it works.
        ReceiptPrinter::with_rules(Path::new("/dev/null"), false)?.print(b"receipt")?;
        // A regular file under /dev is refused when printing, and left alone.
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            let file = tempfile::NamedTempFile::new_in(shm).map_err(io)?;
            let printer = ReceiptPrinter::with_rules(file.path(), false)?;
            assert!(matches!(
                printer.print(b"x"),
                Err(ReceiptError::NotAPrinter(_))
            ));
            assert_eq!(
                std::fs::metadata(file.path()).map(|m| m.len()).ok(),
                Some(0)
            );
        }
        Ok(())
    }

    #[test]
    fn a_stand_in_file_receives_the_bytes_and_a_missing_printer_says_so() -> Result<(), ReceiptError>
    {
        let dir = tempfile::tempdir().map_err(io)?;
        let paper = dir.path().join("paper");
        // Never created: a printer that is not there.
        let printer = ReceiptPrinter::with_rules(&paper, true)?;
        assert_eq!(
            printer.print(b"x").err().map(|e| e.code()),
            Some("printer-unavailable")
        );
        assert!(!paper.exists());
        std::fs::write(&paper, b"").map_err(io)?;
        printer.print(b"first ")?;
        printer.print(b"second")?;
        assert_eq!(
            std::fs::read(&paper).ok().as_deref(),
            Some(&b"first second"[..])
        );
        Ok(())
    }

    #[test]
    fn a_fifo_nobody_reads_fails_at_once_instead_of_holding_the_visit() -> Result<(), ReceiptError>
    {
        let dir = tempfile::tempdir().map_err(io)?;
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map_err(io)?;
        assert!(made.success());
        let started = Instant::now();
        let outcome = ReceiptPrinter::with_rules(&fifo, true)?.print(b"x");
        assert_eq!(outcome.err().map(|e| e.code()), Some("printer-unavailable"));
        assert!(started.elapsed() < PRINT_TIMEOUT);
        Ok(())
    }
}
