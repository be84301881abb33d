//! The staff PIN: argon2id hash, failure count and lockout on disk.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::StaffError;

/// Wrong PINs in a row before sign-in locks.
pub const MAX_FAILURES: u32 = 5;
/// The first lockout.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(60 * 60);

/// File name in the data folder.
const FILE: &str = "staff.json";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    /// PHC string (`$argon2id$v=19$…`).
    pin_hash: Option<String>,
    /// Wrong PINs since the last right one or lockout.
    failures: u32,
    /// Lockouts since the last right PIN (the next one is longer).
    lockouts: u32,
    /// Unix seconds until which sign-in is refused.
    locked_until: Option<u64>,
}

/// What a sign-in attempt gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Right PIN.
    Accepted,
    /// Wrong PIN; tries left before the lockout.
    Wrong {
        /// Tries left.
        attempts_left: u32,
    },
    /// Locked; seconds to wait.
    Locked {
        /// Seconds left.
        seconds: u32,
    },
    /// No PIN set yet.
    NoPin,
}

/// The staff PIN of one kiosk.
#[derive(Debug)]
pub struct PinVault {
    path: PathBuf,
    state: Mutex<Stored>,
}

/// Checks the PIN rules: 6-12 digits, not one repeated digit, not a run
/// going up or down by one (`123456`, `987654`).
pub fn check_pin_strength(pin: &str) -> Result<(), StaffError> {
    let digits: Vec<i16> = pin
        .chars()
        .map(|c| c.to_digit(10).map(|d| d as i16))
        .collect::<Option<_>>()
        .ok_or(StaffError::PinTooWeak)?;
    if !(6..=12).contains(&digits.len()) {
        return Err(StaffError::PinTooWeak);
    }
    let steps: Vec<i16> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    let same_step = |s: i16| steps.iter().all(|&d| d == s);
    if same_step(0) || same_step(1) || same_step(-1) {
        return Err(StaffError::PinTooWeak);
    }
    Ok(())
}

fn unix_now(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn storage(e: impl std::fmt::Display) -> StaffError {
    StaffError::Storage(e.to_string())
}

impl PinVault {
    /// Opens the vault of data folder `data_dir` (no file yet = no PIN).
    pub fn open(data_dir: &Path) -> Result<Self, StaffError> {
        let path = data_dir.join(FILE);
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(storage)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Stored::default(),
            Err(e) => return Err(storage(e)),
        };
        Ok(Self {
            path,
            state: Mutex::new(state),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Stored> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a PIN is set.
    pub fn is_set(&self) -> bool {
        self.lock().pin_hash.is_some()
    }

    /// Seconds sign-in stays locked, if it is.
    pub fn locked_seconds(&self, now: SystemTime) -> Option<u32> {
        let until = self.lock().locked_until?;
        let now = unix_now(now);
        (until > now).then(|| u32::try_from(until - now).unwrap_or(u32::MAX))
    }

    /// Sets the PIN. Refused when one is set, unless `replace` (the caller
    /// checked a signed-in session).
    pub fn set(&self, pin: &str, replace: bool) -> Result<(), StaffError> {
        check_pin_strength(pin)?;
        let mut state = self.lock();
        if state.pin_hash.is_some() && !replace {
            return Err(StaffError::PinAlreadySet);
        }
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default()
            .hash_password(pin.as_bytes(), &salt)
            .map_err(storage)?
            .to_string();
        let next = Stored {
            pin_hash: Some(hash),
            ..Stored::default()
        };
        self.write(&next)?;
        *state = next;
        tracing::info!(event = "staff_pin_set", replaced = replace, "staff PIN set");
        Ok(())
    }

    /// Checks `pin` at time `now`, counting failures and locking.
    pub fn sign_in(&self, pin: &str, now: SystemTime) -> Result<SignIn, StaffError> {
        let pin = Zeroizing::new(pin.to_owned());
        let mut state = self.lock();
        let Some(hash) = state.pin_hash.clone() else {
            return Ok(SignIn::NoPin);
        };
        let unix = unix_now(now);
        if let Some(until) = state.locked_until
            && until > unix
        {
            return Ok(SignIn::Locked {
                seconds: u32::try_from(until - unix).unwrap_or(u32::MAX),
            });
        }
        let parsed = PasswordHash::new(&hash).map_err(storage)?;
        let right = Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok();
        let mut next = state.clone();
        let outcome = if right {
            next.failures = 0;
            next.lockouts = 0;
            next.locked_until = None;
            SignIn::Accepted
        } else {
            next.failures += 1;
            if next.failures >= MAX_FAILURES {
                let lockout = FIRST_LOCKOUT
                    .saturating_mul(1 << next.lockouts.min(8))
                    .min(MAX_LOCKOUT);
                next.failures = 0;
                next.lockouts += 1;
                next.locked_until = Some(unix + lockout.as_secs());
                tracing::warn!(
                    event = "staff_pin_locked",
                    seconds = lockout.as_secs(),
                    "too many wrong staff PINs: sign-in locked"
                );
                SignIn::Locked {
                    seconds: u32::try_from(lockout.as_secs()).unwrap_or(u32::MAX),
                }
            } else {
                tracing::warn!(
                    event = "staff_pin_wrong",
                    failures = next.failures,
                    "wrong staff PIN"
                );
                SignIn::Wrong {
                    attempts_left: MAX_FAILURES - next.failures,
                }
            }
        };
        if *state != next {
            // Memory first: a file that cannot be written (full or
            // read-only disk) must not undo the count or the lock.
            *state = next.clone();
            self.write(&next)?;
        }
        if outcome == SignIn::Accepted {
            tracing::info!(event = "staff_signed_in", "staff signed in");
        }
        Ok(outcome)
    }

    /// Writes `state` atomically, owner-only.
    fn write(&self, state: &Stored) -> Result<(), StaffError> {
        let dir = self
            .path
            .parent()
            .ok_or_else(|| storage("no data folder"))?;
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(storage)?;
        serde_json::to_writer_pretty(file.as_file_mut(), state).map_err(storage)?;
        file.as_file().sync_all().map_err(storage)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600))
                .map_err(storage)?;
        }
        file.persist(&self.path).map_err(storage)?;
        Ok(())
    }
}

impl PartialEq for Stored {
    fn eq(&self, other: &Self) -> bool {
        self.pin_hash == other.pin_hash
            && self.failures == other.failures
            && self.lockouts == other.lockouts
            && self.locked_until == other.locked_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn weak_pins_are_refused() {
        for weak in [
            "12345",
            "111111",
            "123456",
            "987654",
            "12a456",
            "1234567890123",
        ] {
            assert_eq!(
                check_pin_strength(weak),
                Err(StaffError::PinTooWeak),
                "{weak}"
            );
        }
        assert_eq!(check_pin_strength("240817"), Ok(()));
    }

    #[test]
    fn the_pin_is_stored_as_an_argon2id_hash_only() -> TestResult {
        let dir = tempfile::tempdir()?;
        let vault = PinVault::open(dir.path())?;
        assert!(!vault.is_set());
        assert_eq!(vault.sign_in("240817", SystemTime::now())?, SignIn::NoPin);
        vault.set("240817", false)?;
        let text = std::fs::read_to_string(dir.path().join(FILE))?;
        assert!(text.contains("$argon2id$"), "{text}");
        assert!(!text.contains("240817"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(FILE))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(vault.set("135792", false), Err(StaffError::PinAlreadySet));
        assert_eq!(
            vault.sign_in("240817", SystemTime::now())?,
            SignIn::Accepted
        );
        // A new process reads the same PIN.
        let reopened = PinVault::open(dir.path())?;
        assert_eq!(
            reopened.sign_in("240817", SystemTime::now())?,
            SignIn::Accepted
        );
        Ok(())
    }

    #[test]
    fn wrong_pins_lock_sign_in_longer_each_time_and_across_restarts() -> TestResult {
        let dir = tempfile::tempdir()?;
        let vault = PinVault::open(dir.path())?;
        vault.set("240817", false)?;
        let t0 = SystemTime::now();
        for left in (1..MAX_FAILURES).rev() {
            assert_eq!(
                vault.sign_in("000001", t0)?,
                SignIn::Wrong {
                    attempts_left: left
                }
            );
        }
        let first = FIRST_LOCKOUT.as_secs() as u32;
        assert_eq!(
            vault.sign_in("000001", t0)?,
            SignIn::Locked { seconds: first }
        );
        // Even the right PIN waits, also after a restart.
        let reopened = PinVault::open(dir.path())?;
        let later = t0 + Duration::from_secs(60);
        assert_eq!(
            reopened.sign_in("240817", later)?,
            SignIn::Locked {
                seconds: first - 60
            }
        );
        assert_eq!(reopened.locked_seconds(later), Some(first - 60));
        // After the lock, five more wrong PINs lock twice as long.
        let after = t0 + FIRST_LOCKOUT + Duration::from_secs(1);
        for _ in 1..MAX_FAILURES {
            reopened.sign_in("000001", after)?;
        }
        assert_eq!(
            reopened.sign_in("000001", after)?,
            SignIn::Locked { seconds: first * 2 }
        );
        // The right PIN after the lock resets everything.
        let much_later = after + MAX_LOCKOUT;
        assert_eq!(reopened.sign_in("240817", much_later)?, SignIn::Accepted);
        assert_eq!(
            reopened.sign_in("000001", much_later)?,
            SignIn::Wrong {
                attempts_left: MAX_FAILURES - 1
            }
        );
        Ok(())
    }
}
