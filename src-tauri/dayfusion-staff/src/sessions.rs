//! Staff sessions: random bearer tokens in memory, naming the account and
//! its role, with an idle expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;

use crate::{Permission, Role, StaffError};

/// A session ends after this long without use.
pub const SESSION_IDLE: Duration = Duration::from_secs(5 * 60);
/// A field agent's session (signed in for a day of visits on their own
/// laptop; its only command is starting a visit) ends after this long
/// without use. The screen still signs out after its own idle time.
pub const FIELD_SESSION_IDLE: Duration = Duration::from_secs(30 * 60);

/// How long a session of `role` lasts without use.
pub fn idle_limit(role: Role) -> Duration {
    if role == Role::FieldAgent {
        FIELD_SESSION_IDLE
    } else {
        SESSION_IDLE
    }
}

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The account id.
    pub account: String,
    /// Its role when it signed in.
    pub role: Role,
}

impl SignedIn {
    /// `Ok` when the role may do `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), StaffError> {
        if permission.allows(self.role) {
            Ok(())
        } else {
            Err(StaffError::Forbidden {
                role: self.role,
                action: permission.action(),
            })
        }
    }
}

#[derive(Debug)]
struct Entry {
    who: SignedIn,
    last: Instant,
}

/// The signed-in staff sessions of this process.
#[derive(Debug, Default)]
pub struct StaffSessions {
    tokens: Mutex<HashMap<String, Entry>>,
}

impl StaffSessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A new session's token (256 random bits, hex) for `who`.
    pub fn open(&self, who: SignedIn, now: Instant) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let mut tokens = self.lock();
        tokens.retain(|_, e| now.saturating_duration_since(e.last) <= idle_limit(e.who.role));
        tokens.insert(token.clone(), Entry { who, last: now });
        token
    }

    /// Checks `token`, marks it used at `now` and says whose it is.
    pub fn check(&self, token: &str, now: Instant) -> Result<SignedIn, StaffError> {
        let mut tokens = self.lock();
        match tokens.get_mut(token) {
            Some(entry)
                if now.saturating_duration_since(entry.last) <= idle_limit(entry.who.role) =>
            {
                entry.last = now;
                Ok(entry.who.clone())
            }
            Some(_) => {
                tokens.remove(token);
                Err(StaffError::NotSignedIn)
            }
            None => Err(StaffError::NotSignedIn),
        }
    }

    /// Whether a session whose role may do `permission` was used within
    /// the idle limit (a staff member is at the kiosk).
    pub fn any_active(&self, now: Instant, permission: Permission) -> bool {
        self.lock().values().any(|e| {
            now.saturating_duration_since(e.last) <= idle_limit(e.who.role)
                && permission.allows(e.who.role)
        })
    }

    /// Ends the session of `token`.
    pub fn close(&self, token: &str) {
        self.lock().remove(token);
    }

    /// Ends every session of `account` (removed, or its role changed).
    pub fn close_account(&self, account: &str) {
        self.lock().retain(|_, e| e.who.account != account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reviewer() -> SignedIn {
        SignedIn {
            account: "f1001".into(),
            role: Role::Reviewer,
        }
    }

    #[test]
    fn tokens_expire_when_idle_and_on_sign_out() {
        let sessions = StaffSessions::default();
        let t0 = Instant::now();
        let token = sessions.open(reviewer(), t0);
        assert_eq!(token.len(), 64);
        assert_ne!(token, sessions.open(reviewer(), t0));
        assert_eq!(
            sessions.check(&token, t0 + Duration::from_secs(60)),
            Ok(reviewer())
        );
        // Use keeps it alive; idleness ends it.
        assert!(
            sessions
                .check(&token, t0 + Duration::from_secs(60) + SESSION_IDLE)
                .is_ok()
        );
        assert_eq!(
            sessions.check(&token, t0 + Duration::from_secs(61) + SESSION_IDLE * 2),
            Err(StaffError::NotSignedIn)
        );
        let other = sessions.open(reviewer(), t0);
        sessions.close(&other);
        assert_eq!(sessions.check(&other, t0), Err(StaffError::NotSignedIn));
        assert_eq!(sessions.check("forged", t0), Err(StaffError::NotSignedIn));
        let third = sessions.open(reviewer(), t0);
        assert!(sessions.any_active(t0, Permission::Inspect));
        assert!(!sessions.any_active(t0, Permission::Administer));
        sessions.close_account("f1001");
        assert!(!sessions.any_active(t0, Permission::Inspect));
        assert_eq!(sessions.check(&third, t0), Err(StaffError::NotSignedIn));
    }

    #[test]
    fn roles_are_enforced_per_permission() {
        let who = reviewer();
        assert_eq!(who.require(Permission::Review), Ok(()));
        assert!(matches!(
            who.require(Permission::Administer),
            Err(StaffError::Forbidden { .. })
        ));
    }
}
