//! Staff access to the kiosk.
//!
//! - [`PinVault`]: the staff PIN as an argon2id hash in `<data>/staff.json`
//!   (owner-only, written atomically), set by the first staff member on a
//!   new kiosk. Wrong PINs count; after [`MAX_FAILURES`] in a row sign-in is
//!   locked for [`FIRST_LOCKOUT`], doubling with each further lockout up to
//!   [`MAX_LOCKOUT`]. The count and the lock survive a restart.
//! - [`StaffSessions`]: bearer tokens in memory only, ended after
//!   [`SESSION_IDLE`] without use or on sign-out.
//!
//! Nothing here logs a PIN or a token.

mod pin;
mod sessions;

pub use pin::{FIRST_LOCKOUT, MAX_FAILURES, MAX_LOCKOUT, PinVault, SignIn, check_pin_strength};
pub use sessions::{SESSION_IDLE, StaffSessions};

/// Why a staff operation was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaffError {
    /// The PIN breaks the rules.
    #[error("the PIN must be 6-12 digits, not all the same digit and not a run like 123456")]
    PinTooWeak,
    /// A PIN exists already.
    #[error("a staff PIN is already set")]
    PinAlreadySet,
    /// No valid session.
    #[error("not signed in")]
    NotSignedIn,
    /// The PIN file could not be read or written.
    #[error("staff PIN file: {0}")]
    Storage(String),
}
