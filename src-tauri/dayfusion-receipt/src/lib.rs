//! The customer's paper receipt, where the kiosk has an ESC/POS thermal
//! printer (the common 58/80 mm USB printers under Linux's `usblp`:
//! `/dev/usb/lp0`).
//!
//! [`encode`] turns a [`Receipt`] (the screen's lines, already in the
//! customer's language, and the protocol) into ESC/POS bytes: Windows-1252
//! text (code page 16, which has every Portuguese letter), the first line
//! large, the protocol as text and as a QR code printed by the printer itself
//! (`GS ( k`, model 2, level M), then a feed and a partial cut.
//! [`ReceiptPrinter`] writes them to the printer's device, with a time
//! limit: an offline printer never holds the visit.
//!
//! The printer is named by [`PRINTER_ENV`] (the installer's environment).
//! Release builds accept only a character device under `/dev`; debug builds
//! also a regular file, the tests' stand-in for paper.

mod escpos;
mod printer;

pub use escpos::{MAX_LINE_CHARS, MAX_LINES, Receipt, encode};
pub use printer::{PRINT_TIMEOUT, PRINTER_ENV, ReceiptPrinter};

/// Why a receipt was not printed.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// A line or the protocol is empty, too long or has control characters,
    /// or there are too many lines.
    #[error("invalid receipt: {0}")]
    Invalid(&'static str),
    /// The configured printer is not a printer device (or, in debug builds,
    /// a stand-in file).
    #[error("{0} is not a printer device")]
    NotAPrinter(String),
    /// The printer could not be opened or written to (unplugged, no paper,
    /// no permission).
    #[error("printer {path}: {source}")]
    Io {
        /// The printer's device.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The printer did not take the receipt in time (offline, jammed).
    #[error("printer {0} did not answer in time")]
    Timeout(String),
}

impl ReceiptError {
    /// Stable code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            ReceiptError::Invalid(_) => "receipt-invalid",
            ReceiptError::NotAPrinter(_) => "printer-invalid",
            ReceiptError::Io { .. } => "printer-unavailable",
            ReceiptError::Timeout(_) => "printer-timeout",
        }
    }
}
