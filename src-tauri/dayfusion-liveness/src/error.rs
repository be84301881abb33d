//! Errors of the liveness engine: an English message for logs and the CLI,
//! a stable code, and the message for the person in pt-BR or en.

use dayfusion_face::FaceError;

/// Everything a session call can refuse.
#[derive(Debug, thiserror::Error)]
pub enum LivenessError {
    /// The settings are out of range.
    #[error("invalid liveness settings: {0}")]
    InvalidSettings(String),
    /// No session has this id (never created, or created by another kiosk).
    #[error("unknown liveness session")]
    UnknownSession,
    /// The session was finished already; sessions are single-use.
    #[error("liveness session already used")]
    AlreadyUsed,
    /// The session is older than its time limit.
    #[error("liveness session expired")]
    Expired,
    /// `finish` before any frame was pushed.
    #[error("no frames were sent to this liveness session")]
    NoFrames,
    /// Too many sessions are open at once.
    #[error("too many open liveness sessions (at most {0})")]
    TooManySessions(usize),
    /// A frame with an impossible timestamp or size.
    #[error("invalid frame: {0}")]
    InvalidFrame(String),
    /// The session holds as many frames as it accepts.
    #[error("too many frames for one liveness session (at most {0})")]
    TooManyFrames(usize),
    /// A frame could not be decoded or analysed.
    #[error("frame rejected: {0}")]
    Frame(#[from] FaceError),
    /// A recording could not be decoded.
    #[error("video: {0}")]
    Video(String),
    /// The camera may not film a liveness check (`code`: why, e.g.
    /// `camera-virtual`).
    #[error("camera refused ({code}): {detail}")]
    CameraRefused {
        /// Why, as a stable code.
        code: &'static str,
        /// What was found, in English.
        detail: String,
    },
    /// The frames came from another camera than the session's first ones:
    /// the session has ended.
    #[error("the camera changed during the liveness session")]
    CameraChanged,
}

impl LivenessError {
    /// The stable code (`session-expired`).
    pub fn code(&self) -> &'static str {
        match self {
            LivenessError::InvalidSettings(_) => "invalid-settings",
            LivenessError::UnknownSession => "unknown-session",
            LivenessError::AlreadyUsed => "session-already-used",
            LivenessError::Expired => "session-expired",
            LivenessError::NoFrames => "no-frames",
            LivenessError::TooManyFrames(_) => "too-many-frames",
            LivenessError::TooManySessions(_) => "too-many-sessions",
            LivenessError::InvalidFrame(_) => "invalid-frame",
            LivenessError::Frame(e) => e.reason().as_str(),
            LivenessError::Video(_) => "video-unreadable",
            LivenessError::CameraRefused { .. } => "camera-refused",
            LivenessError::CameraChanged => "camera-changed",
        }
    }

    /// The message for the person at the kiosk, in `locale` (pt-BR or en).
    pub fn message(&self, locale: &str) -> String {
        let key = format!("error.{}", self.code());
        crate::i18n::translate(&key, locale)
    }
}
