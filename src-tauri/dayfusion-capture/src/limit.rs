//! The failed-attempt limit of a kiosk.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};

use dayfusion_ipc::{HealthCheck, HealthCheckId, HealthStatus};
use dayfusion_liveness::{Clock, MonotonicClock};

use crate::CaptureError;

/// Failed attempts allowed in [`WINDOW_MS`].
pub const MAX_FAILED_ATTEMPTS: usize = 5;
/// The sliding window, milliseconds (three minutes).
pub const WINDOW_MS: f64 = 180_000.0;
/// How long the health check warns after the kiosk last refused
/// sessions, milliseconds (an hour: long enough for staff to see it).
pub const ALERT_MS: f64 = 3_600_000.0;

/// At most [`MAX_FAILED_ATTEMPTS`] failed liveness attempts in any
/// [`WINDOW_MS`]; a new session is refused until the oldest failure leaves
/// the window. Successes do not reset it (a presentation attack may
/// alternate).
///
/// One per kiosk, shared by every path that opens sessions: the staff
/// check's own sessions ([`crate::CaptureService::start`]) and the
/// customer's visit on either backend (the visit desk checks it before it
/// opens a session and counts the sessions that did not succeed). A failure
/// is counted once per session, whoever reports it.
pub struct AttemptLimiter {
    max: usize,
    window_ms: f64,
    clock: Box<dyn Clock>,
    failures: Mutex<VecDeque<Failure>>,
    /// When the limit was last reached.
    last_lockout_ms: Mutex<Option<f64>>,
}

/// One failed attempt: when, and of which session (if known).
struct Failure {
    at_ms: f64,
    session: Option<String>,
}

impl std::fmt::Debug for AttemptLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttemptLimiter")
            .field("max", &self.max)
            .field("window_ms", &self.window_ms)
            .finish_non_exhaustive()
    }
}

impl Default for AttemptLimiter {
    fn default() -> Self {
        Self::new(
            MAX_FAILED_ATTEMPTS,
            WINDOW_MS,
            Box::new(MonotonicClock::default()),
        )
    }
}

impl AttemptLimiter {
    /// A limiter of `max` failures per `window_ms` on `clock`.
    pub fn new(max: usize, window_ms: f64, clock: Box<dyn Clock>) -> Self {
        AttemptLimiter {
            max,
            window_ms,
            clock,
            failures: Mutex::new(VecDeque::new()),
            last_lockout_ms: Mutex::new(None),
        }
    }

    fn recent(&self) -> std::sync::MutexGuard<'_, VecDeque<Failure>> {
        let now = self.clock.now_ms();
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        while failures
            .front()
            .is_some_and(|f| now - f.at_ms >= self.window_ms)
        {
            failures.pop_front();
        }
        failures
    }

    /// Attempts left now, or the refusal with the wait.
    pub fn check(&self) -> Result<u32, CaptureError> {
        let failures = self.recent();
        if failures.len() < self.max {
            return Ok(u32::try_from(self.max - failures.len()).unwrap_or(u32::MAX));
        }
        let oldest = failures.front().map(|f| f.at_ms).unwrap_or_default();
        let wait = (oldest + self.window_ms - self.clock.now_ms()).max(0.0);
        Err(CaptureError::TooManyAttempts {
            retry_after_ms: wait.ceil() as u64,
        })
    }

    /// Counts one failed attempt of no particular session.
    pub fn record_failure(&self) {
        self.push(Failure {
            at_ms: self.clock.now_ms(),
            session: None,
        });
    }

    /// Adds a failure to the window; notes when it fills the window (from
    /// then on sessions are refused, and staff are alerted).
    fn push(&self, failure: Failure) {
        let at_ms = failure.at_ms;
        let mut failures = self.recent();
        failures.push_back(failure);
        if failures.len() >= self.max {
            *self
                .last_lockout_ms
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(at_ms);
            tracing::warn!(
                event = "liveness_attempts_exhausted",
                failures = failures.len(),
                window_ms = self.window_ms
            );
        }
    }

    /// Counts session `session_id` as one failed attempt, unless it is
    /// already counted (the capture service and the visit desk may both
    /// report the same session). Returns whether it was counted now.
    pub fn record_session_failure(&self, session_id: &str) -> bool {
        let now = self.clock.now_ms();
        if self
            .recent()
            .iter()
            .any(|f| f.session.as_deref() == Some(session_id))
        {
            return false;
        }
        self.push(Failure {
            at_ms: now,
            session: Some(session_id.to_owned()),
        });
        true
    }

    /// Attempts left in the window (0 when refused).
    pub fn remaining(&self) -> u32 {
        self.check().unwrap_or(0)
    }

    /// The staff alert: a warning from the moment the kiosk refused
    /// sessions until [`ALERT_MS`] later, with how many attempts failed in
    /// the window now and how long ago the limit was reached.
    pub fn health_check(&self) -> HealthCheck {
        let now = self.clock.now_ms();
        let recent = self.recent().len();
        let lockout = *self
            .last_lockout_ms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let window_min = self.window_ms / 60_000.0;
        let mut detail = format!(
            "{recent} of {} failed liveness attempts in the last {window_min:.0} min",
            self.max
        );
        let status = match lockout {
            Some(at) if now - at < ALERT_MS => {
                detail.push_str(&format!(
                    "; sessions refused {:.0} min ago after {} failures (an attack being tried, or the camera or light)",
                    (now - at) / 60_000.0,
                    self.max
                ));
                HealthStatus::Warning
            }
            _ => HealthStatus::Ok,
        };
        HealthCheck {
            id: HealthCheckId::LivenessAttempts,
            status,
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dayfusion_liveness::ManualClock;

    #[test]
    fn the_sixth_failure_in_three_minutes_is_refused_until_the_first_leaves() {
        let clock = ManualClock::default();
        let limiter = AttemptLimiter::new(5, 180_000.0, Box::new(clock.clone()));
        for left in (1..=5).rev() {
            assert_eq!(limiter.check().ok(), Some(left));
            limiter.record_failure();
            clock.advance(10_000);
        }
        // Failures at 0, 10, 20, 30, 40 s; now 50 s: 130 s to wait.
        match limiter.check() {
            Err(CaptureError::TooManyAttempts { retry_after_ms }) => {
                assert_eq!(retry_after_ms, 130_000);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(limiter.remaining(), 0);
        clock.advance(129_999);
        assert!(limiter.check().is_err());
        clock.advance(1);
        assert_eq!(limiter.check().ok(), Some(1));
    }

    #[test]
    fn a_session_counts_once_whoever_reports_it() {
        let clock = ManualClock::default();
        let limiter = AttemptLimiter::new(5, 180_000.0, Box::new(clock.clone()));
        assert!(limiter.record_session_failure("s-1"));
        // The desk reports the session the capture service already counted.
        assert!(!limiter.record_session_failure("s-1"));
        assert!(limiter.record_session_failure("s-2"));
        assert_eq!(limiter.remaining(), 3);
        // Once the first has left the window, it is a new failure again.
        clock.advance(180_000);
        assert_eq!(limiter.remaining(), 5);
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let clock = ManualClock::default();
        let limiter = AttemptLimiter::new(5, 180_000.0, Box::new(clock.clone()));
        for _ in 0..4 {
            limiter.record_failure();
        }
        clock.advance(180_000);
        limiter.record_failure();
        assert_eq!(limiter.check().ok(), Some(4));
    }

    #[test]
    fn reaching_the_limit_alerts_staff_for_an_hour() {
        let clock = ManualClock::default();
        let limiter = AttemptLimiter::new(5, 180_000.0, Box::new(clock.clone()));
        let check = limiter.health_check();
        assert_eq!(check.status, HealthStatus::Ok);
        assert_eq!(check.id, HealthCheckId::LivenessAttempts);
        for i in 0..4 {
            limiter.record_session_failure(&format!("s{i}"));
        }
        let check = limiter.health_check();
        assert_eq!(check.status, HealthStatus::Ok, "{check:?}");
        assert!(check.detail.starts_with("4 of 5 failed"), "{check:?}");
        limiter.record_failure();
        assert_eq!(limiter.health_check().status, HealthStatus::Warning);
        // The window empties after three minutes; the alert stays.
        clock.advance(20 * 60_000);
        let check = limiter.health_check();
        assert_eq!(check.status, HealthStatus::Warning);
        assert!(check.detail.contains("0 of 5 failed"), "{check:?}");
        assert!(check.detail.contains("refused 20 min ago"), "{check:?}");
        clock.advance(41 * 60_000);
        assert_eq!(limiter.health_check().status, HealthStatus::Ok);
    }
}
