//! Lockout after wrong PINs, per account, that a clock jump cannot abuse.
//!
//! A lock is stored as *when it began* (wall clock, Unix seconds) and *how
//! long it is*. The time left is read as follows:
//! - Inside a process, the first read of a lock turns it into a deadline on
//!   the monotonic clock; later reads count down from that deadline, so a
//!   wall-clock change in either direction neither shortens nor stretches
//!   the lock while the process runs.
//! - After a restart only the wall clock remains: the time left is
//!   `since + length - now`, capped at the lock's length (itself at most
//!   [`MAX_LOCKOUT`]). A clock set back, or set forward and corrected, can
//!   therefore never leave a lock longer than its length; a clock set
//!   forward across a restart can end it early, which an admin can do
//!   anyway with `dayfusion staff unlock`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::store::{StoredAccount, StoredLock};

/// Wrong PINs in a row before an account locks.
pub const MAX_FAILURES: u32 = 5;
/// The first lockout.
pub const FIRST_LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// The longest lockout.
pub const MAX_LOCKOUT: Duration = Duration::from_secs(60 * 60);

/// A point in time on both clocks (injectable for tests).
#[derive(Debug, Clone, Copy)]
pub struct Moment {
    /// Wall clock: stored in the file, survives restarts.
    pub wall: SystemTime,
    /// Monotonic clock: what this process counts with.
    pub mono: Instant,
}

impl Moment {
    /// Now, on both clocks.
    pub fn now() -> Self {
        Self {
            wall: SystemTime::now(),
            mono: Instant::now(),
        }
    }

    pub(crate) fn unix(&self) -> u64 {
        self.wall
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// The monotonic deadlines of the locks this process has read.
#[derive(Debug, Default)]
pub(crate) struct Served {
    deadlines: Mutex<HashMap<String, (StoredLock, Instant)>>,
}

impl Served {
    /// Time left on `lock` of `account` at `at`, never more than its length.
    pub fn remaining(&self, account: &str, lock: &StoredLock, at: Moment) -> Duration {
        let length = Duration::from_secs(lock.seconds).min(MAX_LOCKOUT);
        let mut deadlines = self
            .deadlines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let deadline = match deadlines.get(account) {
            Some((seen, deadline)) if seen == lock => *deadline,
            _ => {
                let wall_left = (lock.since.saturating_add(lock.seconds)).saturating_sub(at.unix());
                let left = Duration::from_secs(wall_left).min(length);
                let deadline = at.mono + left;
                deadlines.insert(account.to_owned(), (*lock, deadline));
                deadline
            }
        };
        deadline.saturating_duration_since(at.mono).min(length)
    }

    /// Forgets `account`'s lock (unlocked, removed).
    pub fn forget(&self, account: &str) {
        self.deadlines
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(account);
    }
}

/// Seconds as the screens show them (at least 1 while locked).
pub(crate) fn whole_seconds(left: Duration) -> u32 {
    u32::try_from(left.as_secs() + u64::from(left.subsec_nanos() > 0)).unwrap_or(u32::MAX)
}

/// A wrong PIN on `account`: counts it and locks on the fifth; returns the
/// new lock's length when it locked.
pub(crate) fn count_failure(account: &mut StoredAccount, at: Moment) -> Option<Duration> {
    account.failures += 1;
    if account.failures < MAX_FAILURES {
        return None;
    }
    let length = FIRST_LOCKOUT
        .saturating_mul(1 << account.lockouts.min(8))
        .min(MAX_LOCKOUT);
    account.failures = 0;
    account.lockouts += 1;
    account.lock = Some(StoredLock {
        since: at.unix(),
        seconds: length.as_secs(),
    });
    Some(length)
}

/// A right PIN: every count and lock cleared.
pub(crate) fn clear(account: &mut StoredAccount) {
    account.failures = 0;
    account.lockouts = 0;
    account.lock = None;
}

/// Most ids not in the directory whose failures are remembered.
const MAX_PHANTOMS: usize = 1024;

/// Failure counts and locks of ids that are not accounts, in memory only,
/// following the same rule as accounts (the first lockout each time).
#[derive(Debug, Default)]
pub(crate) struct Phantoms {
    ids: Mutex<HashMap<String, (u32, Option<Instant>)>>,
}

impl Phantoms {
    /// Seconds `id` stays locked, if it is.
    pub fn locked(&self, id: &str, at: Moment) -> Option<u32> {
        let ids = self
            .ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let deadline = ids.get(id)?.1?;
        let left = deadline.saturating_duration_since(at.mono);
        (!left.is_zero()).then(|| whole_seconds(left))
    }

    /// Counts a wrong PIN for `id`; the lock's seconds when it locks.
    pub fn count_failure(&self, id: &str, at: Moment) -> Option<u32> {
        let mut ids = self
            .ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if ids.len() >= MAX_PHANTOMS && !ids.contains_key(id) {
            ids.retain(|_, (_, lock)| lock.is_some_and(|d| d > at.mono));
            if ids.len() >= MAX_PHANTOMS {
                ids.clear();
            }
        }
        let entry = ids.entry(id.to_owned()).or_insert((0, None));
        entry.0 += 1;
        if entry.0 < MAX_FAILURES {
            return None;
        }
        *entry = (0, Some(at.mono + FIRST_LOCKOUT));
        Some(whole_seconds(FIRST_LOCKOUT))
    }
}
