//! Writing a receipt to the printer's device.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use tracing::{info, warn};

use crate::ReceiptError;

/// The environment variable naming the printer's device (`/dev/usb/lp0`).
pub const PRINTER_ENV: &str = "DAYFUSION_RECEIPT_PRINTER";
/// How long a receipt may take to reach the printer.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(10);

/// The kiosk's receipt printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptPrinter {
    path: PathBuf,
    /// A regular file stands in for the device (debug builds: the tests).
    file_allowed: bool,
}

impl ReceiptPrinter {
    /// The printer [`PRINTER_ENV`] names, if any. Release builds accept only
    /// a character device under `/dev`; debug builds also a regular file.
    /// A value that cannot be a printer is logged and ignored.
    pub fn from_env() -> Option<Self> {
        let value = std::env::var_os(PRINTER_ENV).filter(|v| !v.is_empty())?;
        match Self::at(Path::new(&value), cfg!(debug_assertions)) {
            Ok(printer) => Some(printer),
            Err(e) => {
                warn!(event = "receipt_printer_ignored", error = %e, "receipt printer setting ignored");
                None
            }
        }
    }

    /// The printer at `path`: an absolute path under `/dev` (or anywhere,
    /// when `file_allowed`). What it is is checked again when printing.
    pub fn at(path: &Path, file_allowed: bool) -> Result<Self, ReceiptError> {
        let shown = path.display().to_string();
        if !path.is_absolute() || (!file_allowed && !path.starts_with("/dev")) {
            return Err(ReceiptError::NotAPrinter(shown));
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

    /// Writes `bytes` to the printer: opened for writing only (never
    /// created or truncated), checked to be a character device (or the
    /// stand-in file) on the open descriptor, within [`PRINT_TIMEOUT`]. A
    /// write still blocked then is left to finish or fail on its own thread.
    pub fn print(&self, bytes: Vec<u8>) -> Result<(), ReceiptError> {
        let shown = self.path.display().to_string();
        let (done, result) = mpsc::channel();
        let printer = self.clone();
        std::thread::Builder::new()
            .name("receipt-printer".into())
            .spawn(move || {
                let _ = done.send(printer.write_all(&bytes));
            })
            .map_err(|source| ReceiptError::Io {
                path: shown.clone(),
                source,
            })?;
        let outcome = result
            .recv_timeout(PRINT_TIMEOUT)
            .unwrap_or_else(|_| Err(ReceiptError::Timeout(shown.clone())));
        match &outcome {
            Ok(()) => info!(event = "receipt_printed", "receipt printed"),
            Err(e) => {
                warn!(event = "receipt_failed", code = e.code(), error = %e, "receipt not printed")
            }
        }
        outcome
    }

    fn write_all(&self, bytes: &[u8]) -> Result<(), ReceiptError> {
        let shown = self.path.display().to_string();
        let io = |source| ReceiptError::Io {
            path: shown.clone(),
            source,
        };
        let mut device = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        let kind = device.metadata().map_err(io)?.file_type();
        if !(kind.is_char_device() || (self.file_allowed && kind.is_file())) {
            return Err(ReceiptError::NotAPrinter(shown));
        }
        device.write_all(bytes).map_err(io)?;
        device.flush().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_character_device_under_dev_is_a_printer_in_a_release_build()
    -> Result<(), ReceiptError> {
        assert!(ReceiptPrinter::at(Path::new("/etc/passwd"), false).is_err());
        assert!(ReceiptPrinter::at(Path::new("relative/lp0"), true).is_err());
        // /dev/null is a character device: printing to it works.
        ReceiptPrinter::at(Path::new("/dev/null"), false)?.print(b"receipt".to_vec())?;
        // A regular file under /dev is refused when printing.
        let shm = Path::new("/dev/shm");
        if shm.is_dir() {
            let file = tempfile::NamedTempFile::new_in(shm).map_err(|source| ReceiptError::Io {
                path: "/dev/shm".into(),
                source,
            })?;
            let printer = ReceiptPrinter::at(file.path(), false)?;
            assert!(matches!(
                printer.print(b"x".to_vec()),
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
        let dir = tempfile::tempdir().map_err(|source| ReceiptError::Io {
            path: "tmp".into(),
            source,
        })?;
        let paper = dir.path().join("paper");
        // Never created: a printer that is not there.
        let printer = ReceiptPrinter::at(&paper, true)?;
        assert_eq!(
            printer.print(b"x".to_vec()).err().map(|e| e.code()),
            Some("printer-unavailable")
        );
        assert!(!paper.exists());
        std::fs::write(&paper, b"").map_err(|source| ReceiptError::Io {
            path: "paper".into(),
            source,
        })?;
        printer.print(b"first ".to_vec())?;
        printer.print(b"second".to_vec())?;
        assert_eq!(
            std::fs::read(&paper).ok().as_deref(),
            Some(&b"first second"[..])
        );
        Ok(())
    }
}
