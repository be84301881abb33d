//! PIN rules and argon2id hashing.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::StaffError;

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

/// The argon2id PHC string (`$argon2id$v=19$…`) of `pin`, fresh salt.
pub(crate) fn hash_pin(pin: &str) -> Result<String, StaffError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Storage(e.to_string()))
}

/// Whether `pin` matches the PHC string `hash` (a damaged hash never matches).
pub(crate) fn verify_pin(pin: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Spends the time of one verification for an unknown account, so the
/// answer's timing does not tell which accounts exist.
pub(crate) fn verify_nothing(pin: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(hash) = DUMMY.get_or_init(|| hash_pin("000000000000").ok()) {
        let _ = verify_pin(pin, hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn hashes_verify_only_their_pin() -> Result<(), StaffError> {
        let hash = hash_pin("240817")?;
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_pin("240817", &hash));
        assert!(!verify_pin("240818", &hash));
        assert!(!verify_pin("240817", "not a hash"));
        Ok(())
    }
}
