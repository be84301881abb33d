//! Live sessions by id: created with a random challenge, fed frame by
//! frame, finished once. Modelled on Rekognition Face Liveness: the id is
//! unguessable, a session is single-use and expires three minutes after it
//! was created. The challenge stays here: the UI is told the first oval,
//! and each later oval and colour in the answer to the frame on which it
//! is due.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use dayfusion_face::FaceEngine;
use image::RgbImage;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;

use crate::challenge::{Challenge, FlashColour, Oval};
use crate::error::LivenessError;
use crate::session::{FrameFeedback, LivenessResult, LivenessSettings, SESSION_TTL_MS, Session};

/// Most sessions open at once (a kiosk runs one; the rest are abandoned).
const MAX_OPEN_SESSIONS: usize = 8;

/// Milliseconds on a monotonic clock; injectable for tests.
pub trait Clock: Send + Sync {
    /// Now, milliseconds since an arbitrary start.
    fn now_ms(&self) -> f64;
}

/// The system's monotonic clock.
#[derive(Debug)]
pub struct MonotonicClock(Instant);

impl Default for MonotonicClock {
    fn default() -> Self {
        MonotonicClock(Instant::now())
    }
}

impl Clock for MonotonicClock {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
}

/// A clock moved by hand (tests, simulations): starts at 0 ms; clones
/// share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<std::sync::atomic::AtomicU64>);

impl ManualClock {
    /// Moves the time on by `ms` milliseconds.
    pub fn advance(&self, ms: u64) {
        self.0.fetch_add(ms, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> f64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst) as f64
    }
}

/// What `create_session` returns to the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStart {
    /// The session id (random UUID v4: 122 random bits).
    pub session_id: String,
    /// The oval to fill now (at the start, the small one); the rest of the
    /// challenge is revealed frame by frame.
    pub oval: Oval,
    /// Milliseconds until the session expires.
    pub expires_in_ms: f64,
}

struct Slot {
    /// Taken out when the session is finished.
    session: Mutex<Option<Session>>,
    created_ms: f64,
}

/// The local liveness service.
pub struct LivenessEngine {
    faces: Arc<FaceEngine>,
    clock: Box<dyn Clock>,
    open: Mutex<HashMap<String, Arc<Slot>>>,
    used: Mutex<HashSet<String>>,
    /// Where challenges are drawn from when they must repeat (evaluation);
    /// `None`: the system's CSPRNG, unpredictable (customers).
    repeatable_draws: Option<Mutex<StdRng>>,
}

impl std::fmt::Debug for LivenessEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessEngine")
            .field("open_sessions", &lock(&self.open).len())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LivenessEngine {
    /// A service on the face engine's models and the system clock.
    pub fn new(faces: Arc<FaceEngine>) -> Self {
        Self::with_clock(faces, Box::new(MonotonicClock::default()))
    }

    /// The same with another clock (tests).
    pub fn with_clock(faces: Arc<FaceEngine>, clock: Box<dyn Clock>) -> Self {
        LivenessEngine {
            faces,
            clock,
            open: Mutex::new(HashMap::new()),
            used: Mutex::new(HashSet::new()),
            repeatable_draws: None,
        }
    }

    /// A service whose challenges are drawn from `seed`, so that an
    /// evaluation run repeats. Never for customers: anyone who knows the
    /// seed knows the colours.
    pub fn repeatable(faces: Arc<FaceEngine>, clock: Box<dyn Clock>, seed: u64) -> Self {
        LivenessEngine {
            repeatable_draws: Some(Mutex::new(StdRng::seed_from_u64(seed))),
            ..Self::with_clock(faces, clock)
        }
    }

    /// Opens a session with a new random challenge of the kind `settings`
    /// ask (colours, or movement only).
    pub fn create_session(
        &self,
        settings: LivenessSettings,
    ) -> Result<SessionStart, LivenessError> {
        let challenge = match &self.repeatable_draws {
            Some(draws) => Challenge::random_from(settings.challenge, &mut *lock(draws)),
            None => Challenge::random_of(settings.challenge),
        };
        let oval = challenge.small_oval;
        let session = Session::live(challenge, settings)?;
        let now = self.clock.now_ms();
        let mut open = lock(&self.open);
        // Expired sessions go (and stay unusable); then make room.
        let expired: Vec<String> = open
            .iter()
            .filter(|(_, slot)| now - slot.created_ms > SESSION_TTL_MS)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            open.remove(&id);
            lock(&self.used).insert(id);
        }
        if open.len() >= MAX_OPEN_SESSIONS {
            return Err(LivenessError::TooManySessions(MAX_OPEN_SESSIONS));
        }
        let session_id = uuid::Uuid::new_v4().to_string();
        open.insert(
            session_id.clone(),
            Arc::new(Slot {
                session: Mutex::new(Some(session)),
                created_ms: now,
            }),
        );
        Ok(SessionStart {
            session_id,
            oval,
            expires_in_ms: SESSION_TTL_MS,
        })
    }

    /// The oval an open session asks for now and the milliseconds it has
    /// left (a capture UI given a session id made elsewhere, e.g. by the
    /// flow).
    pub fn describe(&self, session_id: &str) -> Result<SessionStart, LivenessError> {
        let slot = self.slot(session_id)?;
        let left = SESSION_TTL_MS - (self.clock.now_ms() - slot.created_ms);
        if left <= 0.0 {
            return Err(LivenessError::Expired);
        }
        let guard = lock(&slot.session);
        let session = guard.as_ref().ok_or(LivenessError::AlreadyUsed)?;
        let oval = session
            .current_oval()
            .ok_or(LivenessError::UnknownSession)?;
        Ok(SessionStart {
            session_id: session_id.to_owned(),
            oval,
            expires_in_ms: left,
        })
    }

    fn slot(&self, id: &str) -> Result<Arc<Slot>, LivenessError> {
        if let Some(slot) = lock(&self.open).get(id) {
            return Ok(Arc::clone(slot));
        }
        if lock(&self.used).contains(id) {
            Err(LivenessError::AlreadyUsed)
        } else {
            Err(LivenessError::UnknownSession)
        }
    }

    /// Removes the session for good and hands it over (`None` when
    /// another call took it first).
    fn close(&self, id: &str) -> Option<Session> {
        let slot = lock(&self.open).remove(id)?;
        lock(&self.used).insert(id.to_owned());
        lock(&slot.session).take()
    }

    /// Analyses one frame: `timestamp_ms` is the capture time on the
    /// client's clock (order, drift and the capture-time checks; never the
    /// light timing), `displayed` the colour the client says the screen
    /// showed (only checked against the reveals). The frame is stamped
    /// with this engine's clock when it is taken up; the answer may reveal
    /// the next oval or colour.
    pub fn push_frame(
        &self,
        session_id: &str,
        timestamp_ms: f64,
        image: &RgbImage,
        displayed: Option<FlashColour>,
    ) -> Result<FrameFeedback, LivenessError> {
        let slot = self.slot(session_id)?;
        let mut guard = lock(&slot.session);
        // Stamped once this call holds the session: concurrent pushes are
        // recorded in the order their arrival times say.
        let now = self.clock.now_ms();
        if now - slot.created_ms > SESSION_TTL_MS {
            // Kept so that `finish` reports it as EXPIRED.
            return Err(LivenessError::Expired);
        }
        guard.as_mut().ok_or(LivenessError::AlreadyUsed)?.push(
            &self.faces,
            image,
            timestamp_ms,
            displayed,
            Some(self.clock.as_ref()),
        )
    }

    /// Ties the session to its camera (see [`Session::bind_camera`]):
    /// called before each frame with the label the client gives.
    pub fn bind_camera(
        &self,
        session_id: &str,
        label: &str,
        identify: impl FnOnce(&str) -> Result<String, LivenessError>,
    ) -> Result<(), LivenessError> {
        let slot = self.slot(session_id)?;
        let mut guard = lock(&slot.session);
        guard
            .as_mut()
            .ok_or(LivenessError::AlreadyUsed)?
            .bind_camera(label, identify)
    }

    /// Ends the session: runs the checks and returns the result (status
    /// `EXPIRED` past the time limit). The session cannot be used again.
    pub fn finish(&self, session_id: &str) -> Result<LivenessResult, LivenessError> {
        let slot = self.slot(session_id)?;
        let now = self.clock.now_ms();
        let expired = now - slot.created_ms > SESSION_TTL_MS;
        let frames = lock(&slot.session).as_ref().map_or(0, Session::frames);
        if frames == 0 && !expired {
            return Err(LivenessError::NoFrames);
        }
        drop(slot);
        let session = self.close(session_id).ok_or(LivenessError::AlreadyUsed)?;
        let mut result = session.finish(&self.faces, expired);
        result.session_id = Some(session_id.to_owned());
        Ok(result)
    }
}
