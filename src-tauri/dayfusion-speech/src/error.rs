//! What can go wrong while speaking.

/// A phrase that could not be said. The messages name no phrase text.
#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// The phrase id is empty, too long or not `[a-z0-9.-]`.
    #[error("a phrase id is 1-96 characters of a-z, A-Z, 0-9, '.' and '-'")]
    InvalidPhraseId,
    /// The text is empty, too long, or holds control characters.
    #[error("{0}")]
    InvalidText(&'static str),
    /// The speech engine is not installed or could not start.
    #[error("cannot run {program}: {source}")]
    EngineMissing {
        /// The program tried.
        program: String,
        /// Why.
        source: std::io::Error,
    },
    /// The speech engine failed or ran past its time.
    #[error("{0}")]
    EngineFailed(String),
    /// The WAV it wrote cannot be read.
    #[error("{0}")]
    BadAudio(String),
    /// The cache or a temporary file could not be written.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Speaking was stopped, or a newer phrase was said, while the phrase
    /// was being made.
    #[error("stopped or overtaken before the phrase was said")]
    Stopped,
}

impl SpeechError {
    /// The stable code, e.g. `speech-engine-missing`.
    pub fn code(&self) -> &'static str {
        match self {
            SpeechError::InvalidPhraseId => "speech-invalid-phrase-id",
            SpeechError::InvalidText(_) => "speech-invalid-text",
            SpeechError::EngineMissing { .. } => "speech-engine-missing",
            SpeechError::EngineFailed(_) => "speech-engine-failed",
            SpeechError::BadAudio(_) => "speech-bad-audio",
            SpeechError::Io(_) => "speech-io",
            SpeechError::Stopped => "speech-stopped",
        }
    }
}
