//! Staff sessions: random bearer tokens in memory, idle expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::StaffError;

/// A session ends after this long without use.
pub const SESSION_IDLE: Duration = Duration::from_secs(5 * 60);

/// The signed-in staff sessions of this process.
#[derive(Debug, Default)]
pub struct StaffSessions {
    tokens: Mutex<HashMap<String, Instant>>,
}

impl StaffSessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session's token (256 random bits, hex).
    pub fn open(&self, now: Instant) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let mut tokens = self.lock();
        tokens.retain(|_, last| now.saturating_duration_since(*last) <= SESSION_IDLE);
        tokens.insert(token.clone(), now);
        token
    }

    /// Checks `token` and marks it used at `now`.
    pub fn check(&self, token: &str, now: Instant) -> Result<(), StaffError> {
        let mut tokens = self.lock();
        match tokens.get_mut(token) {
            Some(last) if now.saturating_duration_since(*last) <= SESSION_IDLE => {
                *last = now;
                Ok(())
            }
            Some(_) => {
                tokens.remove(token);
                Err(StaffError::NotSignedIn)
            }
            None => Err(StaffError::NotSignedIn),
        }
    }

    /// Ends the session of `token`.
    pub fn close(&self, token: &str) {
        self.lock().remove(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_when_idle_and_on_sign_out() {
        let sessions = StaffSessions::default();
        let t0 = Instant::now();
        let token = sessions.open(t0);
        assert_eq!(token.len(), 64);
        assert_ne!(token, sessions.open(t0));
        assert_eq!(sessions.check(&token, t0 + Duration::from_secs(60)), Ok(()));
        // Use keeps it alive; idleness ends it.
        assert_eq!(
            sessions.check(&token, t0 + Duration::from_secs(60) + SESSION_IDLE),
            Ok(())
        );
        assert_eq!(
            sessions.check(&token, t0 + Duration::from_secs(61) + SESSION_IDLE * 2),
            Err(StaffError::NotSignedIn)
        );
        let other = sessions.open(t0);
        sessions.close(&other);
        assert_eq!(sessions.check(&other, t0), Err(StaffError::NotSignedIn));
        assert_eq!(sessions.check("forged", t0), Err(StaffError::NotSignedIn));
    }
}
