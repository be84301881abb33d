//! Staff access to the kiosk: named accounts provisioned out of band.
//!
//! - [`StaffDirectory`]: the accounts of one kiosk in `<data>/staff.json`
//!   (owner-only, written atomically with a folder fsync, under a file lock
//!   shared with the `dayfusion staff` CLI, re-read on every call so the
//!   running kiosk sees what the CLI changed). Each account has an id (the
//!   bank's staff number), a display name, a [`Role`] and an argon2id PIN
//!   hash. A kiosk without accounts is *not provisioned*: nobody can sign
//!   in, and nothing on the screen can create the first account.
//! - Lockout per account ([`lockout`]): after [`MAX_FAILURES`] wrong PINs in
//!   a row that account is locked for [`FIRST_LOCKOUT`], doubling with each
//!   further lockout up to [`MAX_LOCKOUT`]; other accounts are unaffected.
//!   The time left is capped at the lock's length on every read and runs on
//!   the monotonic clock inside a process, so a wall-clock jump can neither
//!   stretch nor (while the process runs) shorten it.
//! - [`StaffSessions`]: bearer tokens in memory only, naming the account and
//!   role, ended after [`SESSION_IDLE`] without use or on sign-out.
//!
//! Nothing here logs a PIN or a token.

mod directory;
pub mod lockout;
mod pin;
mod role;
mod sessions;
mod store;

pub use directory::{
    AccountInfo, SignIn, StaffDirectory, check_id as check_account_id,
    check_name as check_account_name,
};
pub use lockout::{FIRST_LOCKOUT, MAX_FAILURES, MAX_LOCKOUT, Moment};
pub use pin::check_pin_strength;
pub use role::{Permission, Role};
pub use sessions::{FIELD_SESSION_IDLE, SESSION_IDLE, SignedIn, StaffSessions, idle_limit};
pub use store::STAFF_FILE;

/// Why a staff operation was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaffError {
    /// The PIN breaks the rules.
    #[error("the PIN must be 6-12 digits, not all the same digit and not a run like 123456")]
    PinTooWeak,
    /// The new PIN equals the old one.
    #[error("the new PIN must differ from the old one")]
    PinUnchanged,
    /// No valid session.
    #[error("not signed in")]
    NotSignedIn,
    /// The session's role may not do this.
    #[error("the {role} role may not {action}")]
    Forbidden {
        /// The signed-in role.
        role: Role,
        /// What was refused.
        action: &'static str,
    },
    /// An account id must be 3-32 of `a-z 0-9 . _ -`, starting with a letter or digit.
    #[error(
        "account ids are 3-32 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"
    )]
    AccountIdInvalid,
    /// A display name must be 1-80 characters without control characters.
    #[error("the name must be 1-80 characters without control characters")]
    NameInvalid,
    /// The account exists already.
    #[error("account {0} already exists")]
    AccountExists(String),
    /// No such account.
    #[error("no account {0}")]
    NoSuchAccount(String),
    /// The staff file could not be read or written.
    #[error("staff accounts file: {0}")]
    Storage(String),
}

impl StaffError {
    /// Stable code for screens and scripts (`pin-too-weak`).
    pub fn code(&self) -> &'static str {
        match self {
            StaffError::PinTooWeak => "pin-too-weak",
            StaffError::PinUnchanged => "pin-unchanged",
            StaffError::NotSignedIn => "not-signed-in",
            StaffError::Forbidden { .. } => "forbidden",
            StaffError::AccountIdInvalid => "account-id-invalid",
            StaffError::NameInvalid => "name-invalid",
            StaffError::AccountExists(_) => "account-exists",
            StaffError::NoSuchAccount(_) => "no-such-account",
            StaffError::Storage(_) => "storage",
        }
    }
}
