//! The embedded (offline) liveness provider and face matcher, on the local
//! face and liveness engines.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use dayfusion_face::{FaceEngine, FaceError, ReasonCode, Rotation};
use dayfusion_liveness::video::Frames;
use dayfusion_liveness::{
    Assurance, LivenessEngine, LivenessError, LivenessResult, LivenessSettings, Outcome, Session,
};

use crate::domain::{CheckRecord, LivenessStatus, PixelBox, PortraitLocation, Provider};
use crate::error::ProviderError;
use crate::ports::{
    ChallengeKind, FaceMatcher, LivenessOutcome, LivenessProvider, LivenessRequest,
    LivenessSessionStart, MatchResult,
};

/// `document-…` / `face-…` codes for a face engine error about one image.
fn face_error(image: &str, error: &FaceError) -> ProviderError {
    let reason = error.reason();
    match reason {
        ReasonCode::ModelUnavailable
        | ReasonCode::ModelLoadFailed
        | ReasonCode::InferenceFailed => {
            ProviderError::new(reason.as_str(), error.to_string(), false)
        }
        _ => ProviderError::new(
            format!("{image}-{}", reason.as_str()),
            error.to_string(),
            true,
        ),
    }
}

/// The local face engine as a [`FaceMatcher`].
pub struct EmbeddedMatcher {
    faces: Arc<FaceEngine>,
}

impl EmbeddedMatcher {
    /// A matcher on loaded models.
    pub fn new(faces: Arc<FaceEngine>) -> Self {
        EmbeddedMatcher { faces }
    }
}

impl FaceMatcher for EmbeddedMatcher {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }

    fn locate_portrait(&self, document: &[u8]) -> Result<PortraitLocation, ProviderError> {
        let image =
            dayfusion_face::decode_image(document).map_err(|e| face_error("document", &e))?;
        let portrait = self
            .faces
            .find_portrait(&image)
            .map_err(|e| face_error("document", &e))?;
        let b = portrait.face_in_document;
        Ok(PortraitLocation {
            face_box: PixelBox {
                x: b.x,
                y: b.y,
                width: b.width,
                height: b.height,
            },
            rotation_degrees: match portrait.rotation {
                Rotation::None => 0,
                Rotation::Cw90 => 90,
                Rotation::Cw180 => 180,
                Rotation::Cw270 => 270,
            },
        })
    }

    fn compare(&self, document: &[u8], face: &[u8]) -> Result<MatchResult, ProviderError> {
        let document =
            dayfusion_face::decode_image(document).map_err(|e| face_error("document", &e))?;
        let face = dayfusion_face::decode_image(face).map_err(|e| face_error("face", &e))?;
        let comparison = self.faces.compare(&document, &face).map_err(|e| {
            let image = if e.reason() == ReasonCode::NoPortrait {
                "document"
            } else {
                "face"
            };
            face_error(image, &e)
        })?;
        Ok(MatchResult {
            similarity: comparison.score,
            model: comparison.calibration.to_owned(),
        })
    }
}

/// Finished results kept for re-reading (a retried step); older ones go,
/// so reference and audit images do not pile up in memory.
const KEEP_FINISHED: usize = 4;

/// Finished outcomes by session, oldest first.
#[derive(Default)]
struct Finished(std::collections::VecDeque<(String, LivenessOutcome)>);

impl Finished {
    fn get(&self, session_id: &str) -> Option<&LivenessOutcome> {
        self.0
            .iter()
            .find(|(id, _)| id == session_id)
            .map(|(_, o)| o)
    }

    fn remove(&mut self, session_id: &str) {
        self.0.retain(|(id, _)| id != session_id);
    }

    fn insert(&mut self, session_id: String, outcome: LivenessOutcome) {
        self.0.retain(|(id, _)| id != &session_id);
        self.0.push_back((session_id, outcome));
        while self.0.len() > KEEP_FINISHED {
            self.0.pop_front();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn liveness_error(error: &LivenessError) -> ProviderError {
    let retryable = !matches!(error, LivenessError::InvalidSettings(_));
    ProviderError::new(
        format!("liveness-{}", error.code()),
        error.to_string(),
        retryable,
    )
}

/// The provider-neutral outcome of a local result.
pub fn outcome_of(session_id: &str, result: &LivenessResult) -> LivenessOutcome {
    LivenessOutcome {
        provider: Provider::Embedded,
        session_id: session_id.to_owned(),
        status: match result.status {
            dayfusion_liveness::LivenessStatus::Succeeded => LivenessStatus::Succeeded,
            dayfusion_liveness::LivenessStatus::Failed => LivenessStatus::Failed,
            dayfusion_liveness::LivenessStatus::Expired => LivenessStatus::Expired,
        },
        confidence: result.confidence,
        assurance: match result.assurance {
            Assurance::Challenge => "challenge",
            Assurance::MovementChallenge => crate::policy::MOVEMENT_CHALLENGE,
            Assurance::PassiveOnly => "passive-only",
        }
        .to_owned(),
        rule: result.rule.to_owned(),
        failure: result.failure.map(str::to_owned),
        camera: result.camera.clone(),
        checks: result
            .checks
            .iter()
            .map(|c| CheckRecord {
                check: c.check.as_str().to_owned(),
                outcome: match c.outcome {
                    Outcome::Passed => "passed",
                    Outcome::Failed => "failed",
                    Outcome::NotApplicable => "not-applicable",
                }
                .to_owned(),
                score: c.score,
                reason: c.reason.to_owned(),
            })
            .collect(),
        reference_image: result.reference_image.as_ref().map(|i| i.jpeg.clone()),
        audit_images: result.audit_images.iter().map(|i| i.jpeg.clone()).collect(),
    }
}

/// Live sessions on the local liveness engine: the capture UI pushes the
/// camera frames to the engine, the flow reads the result here.
pub struct LiveSessions {
    engine: Arc<LivenessEngine>,
    settings: LivenessSettings,
    finished: Mutex<Finished>,
}

impl LiveSessions {
    /// Sessions on `engine` with `settings`.
    pub fn new(engine: Arc<LivenessEngine>, settings: LivenessSettings) -> Self {
        LiveSessions {
            engine,
            settings,
            finished: Mutex::new(Finished::default()),
        }
    }

    /// The engine (frames go straight to it).
    pub fn engine(&self) -> &Arc<LivenessEngine> {
        &self.engine
    }
}

impl LiveSessions {
    /// Finishes a session for the capture UI: the engine's full result
    /// (messages, frame count, duration), with the outcome kept for the
    /// flow's later [`LivenessProvider::session_results`].
    pub fn finish(&self, session_id: &str) -> Result<LivenessResult, LivenessError> {
        let result = self.engine.finish(session_id)?;
        lock(&self.finished).insert(session_id.to_owned(), outcome_of(session_id, &result));
        Ok(result)
    }
}

impl LiveSessions {
    /// The outcome of a session already finished (by [`LiveSessions::finish`]
    /// or the flow), without finishing an open one.
    pub fn finished_outcome(&self, session_id: &str) -> Option<LivenessOutcome> {
        lock(&self.finished).get(session_id).cloned()
    }
}

impl LivenessProvider for LiveSessions {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }

    fn create_session(&self) -> Result<LivenessSessionStart, ProviderError> {
        self.create_session_for(&LivenessRequest {
            challenge: self.settings.challenge,
            locale: None,
        })
    }

    fn supports(&self, _challenge: ChallengeKind) -> bool {
        true
    }

    fn create_session_for(
        &self,
        request: &LivenessRequest,
    ) -> Result<LivenessSessionStart, ProviderError> {
        let settings = LivenessSettings {
            challenge: request.challenge,
            locale: request
                .locale
                .clone()
                .unwrap_or_else(|| self.settings.locale.clone()),
            ..self.settings.clone()
        };
        let start = self
            .engine
            .create_session(settings)
            .map_err(|e| liveness_error(&e))?;
        Ok(LivenessSessionStart {
            session_id: start.session_id,
            provider: Provider::Embedded,
        })
    }

    fn session_results(&self, session_id: &str) -> Result<LivenessOutcome, ProviderError> {
        if let Some(outcome) = lock(&self.finished).get(session_id) {
            return Ok(outcome.clone());
        }
        let result = self
            .engine
            .finish(session_id)
            .map_err(|e| liveness_error(&e))?;
        let outcome = outcome_of(session_id, &result);
        lock(&self.finished).insert(session_id.to_owned(), outcome.clone());
        Ok(outcome)
    }

    fn forget(&self, session_id: &str) {
        lock(&self.finished).remove(session_id);
    }
}

/// A recorded video analysed as one liveness session (the CLI's
/// `verify --selfie-video`): passive checks only, no challenge.
pub struct RecordedVideo {
    faces: Arc<FaceEngine>,
    video: PathBuf,
    settings: LivenessSettings,
    finished: Mutex<Finished>,
}

impl RecordedVideo {
    /// A provider whose next session is `video`.
    pub fn new(faces: Arc<FaceEngine>, video: PathBuf, settings: LivenessSettings) -> Self {
        RecordedVideo {
            faces,
            video,
            settings,
            finished: Mutex::new(Finished::default()),
        }
    }

    fn analyse(&self) -> Result<LivenessResult, LivenessError> {
        let mut session = Session::recorded(None, self.settings.clone())?;
        let mut skipped = 0usize;
        for frame in Frames::open(&self.video)? {
            let (t, image) = frame?;
            match session.push(&self.faces, &image, t, None, None) {
                Ok(_) => {}
                Err(LivenessError::TooManyFrames(_)) => break,
                Err(LivenessError::Frame(_)) => skipped += 1,
                Err(e) => return Err(e),
            }
        }
        if skipped > 0 {
            tracing::warn!(skipped, "video frames skipped");
        }
        Ok(session.finish(&self.faces, false))
    }
}

impl LivenessProvider for RecordedVideo {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }

    /// Analyses the whole video; the session id is new (UUID v4).
    fn create_session(&self) -> Result<LivenessSessionStart, ProviderError> {
        let result = self.analyse().map_err(|e| liveness_error(&e))?;
        let session_id = uuid::Uuid::new_v4().to_string();
        lock(&self.finished).insert(session_id.clone(), outcome_of(&session_id, &result));
        Ok(LivenessSessionStart {
            session_id,
            provider: Provider::Embedded,
        })
    }

    fn session_results(&self, session_id: &str) -> Result<LivenessOutcome, ProviderError> {
        lock(&self.finished)
            .get(session_id)
            .cloned()
            .ok_or_else(|| {
                ProviderError::new(
                    "liveness-unknown-session",
                    "no such recorded session",
                    false,
                )
            })
    }
}
