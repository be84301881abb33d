//! What the capture service refuses with.

use dayfusion_ipc::{CommandError, ErrorCode, LivenessRefusal};
use dayfusion_liveness::LivenessError;

/// A refusal of the capture service, as a [`LivenessRefusal`] code with
/// English detail (the widget shows its own pt-BR/en text for each code).
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// Too many failed attempts in the window.
    #[error("too many failed liveness attempts; retry in {retry_after_ms} ms")]
    TooManyAttempts {
        /// Milliseconds until the oldest failure leaves the window.
        retry_after_ms: u64,
    },
    /// The frame's header fields are missing or malformed.
    #[error("bad frame header: {0}")]
    BadHeader(String),
    /// The frame is larger than [`crate::service::MAX_FRAME_BYTES`].
    #[error("frame of {0} bytes is too large")]
    FrameTooLarge(usize),
    /// The engine refused.
    #[error(transparent)]
    Engine(#[from] LivenessError),
}

impl CaptureError {
    /// The stable code the UI keys its message on.
    pub fn refusal(&self) -> LivenessRefusal {
        match self {
            CaptureError::TooManyAttempts { .. } => LivenessRefusal::TooManyAttempts,
            CaptureError::BadHeader(_) | CaptureError::FrameTooLarge(_) => {
                LivenessRefusal::BadFrame
            }
            CaptureError::Engine(e) => match e {
                LivenessError::UnknownSession => LivenessRefusal::UnknownSession,
                LivenessError::AlreadyUsed => LivenessRefusal::AlreadyUsed,
                LivenessError::Expired => LivenessRefusal::Expired,
                LivenessError::NoFrames => LivenessRefusal::NoFrames,
                LivenessError::InvalidFrame(_)
                | LivenessError::Frame(_)
                | LivenessError::TooManyFrames(_) => LivenessRefusal::BadFrame,
                LivenessError::CameraRefused { .. } => LivenessRefusal::CameraRefused,
                LivenessError::CameraChanged => LivenessRefusal::CameraChanged,
                LivenessError::InvalidSettings(_)
                | LivenessError::TooManySessions(_)
                | LivenessError::Video(_) => LivenessRefusal::UnknownSession,
            },
        }
    }

    /// The refusal's kebab-case code (`too-many-attempts`).
    pub fn code(&self) -> String {
        serde_json::to_value(self.refusal())
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned())
    }

    /// The error as the kiosk's commands return it: `liveness`, detail
    /// starting with `[code]`.
    pub fn to_command_error(&self) -> CommandError {
        CommandError {
            code: ErrorCode::Liveness,
            detail: format!("[{}] {self}", self.code()),
        }
    }
}
