//! Why a visit step was refused.

use dayfusion_ipc::VisitRefusal;
use dayfusion_verify::{FlowError, StoreError};

/// A refused visit step. `refusal()` is the code the screens map to a
/// message; the flow's own code and message stay available for staff.
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    /// No visit with that id.
    #[error("no such visit (ended, wiped after the idle timeout, or the app restarted)")]
    Expired,
    /// Steps out of order.
    #[error("step {0} is not allowed now")]
    OutOfOrder(&'static str),
    /// A malformed request (no screen sends one): refused as a step not
    /// allowed.
    #[error("invalid {0}")]
    InvalidInput(&'static str),
    /// The document cannot be read.
    #[error("document unreadable: {0}")]
    DocumentUnreadable(String),
    /// The document is too large.
    #[error("document too large: {0} bytes")]
    DocumentTooLarge(u64),
    /// No scanner or the scan failed.
    #[error("scanner: {0}")]
    Scanner(String),
    /// Inbox not set or empty.
    #[error("inbox: {0}")]
    InboxEmpty(String),
    /// The removable medium is gone, or the path is not a document or
    /// folder on it (outside it, hidden, a link, another kind of file).
    #[error("removable medium: {0}")]
    Medium(String),
    /// The flow refused or failed.
    #[error("{code}: {0}", code = .0.code())]
    Flow(#[from] FlowError),
    /// The flow failed after the liveness result; the transaction was closed.
    #[error("transaction closed after {code}: {0}", code = .0.code())]
    Closed(FlowError),
    /// The kiosk's liveness attempts are used up (five failures in three
    /// minutes): no new session now.
    #[error("too many failed liveness attempts; retry in {retry_after_ms} ms")]
    TooManyAttempts {
        /// Milliseconds until the oldest failure leaves the window.
        retry_after_ms: u64,
    },
}

impl From<StoreError> for VisitError {
    fn from(e: StoreError) -> Self {
        VisitError::Flow(FlowError::Store(e))
    }
}

impl VisitError {
    /// The refusal the screens show.
    pub fn refusal(&self) -> VisitRefusal {
        match self {
            VisitError::Expired => VisitRefusal::VisitExpired,
            VisitError::OutOfOrder(_) | VisitError::InvalidInput(_) => VisitRefusal::OutOfOrder,
            VisitError::DocumentUnreadable(_) => VisitRefusal::DocumentUnreadable,
            VisitError::DocumentTooLarge(_) => VisitRefusal::DocumentTooLarge,
            VisitError::Scanner(_) => VisitRefusal::ScannerUnavailable,
            VisitError::InboxEmpty(_) => VisitRefusal::InboxEmpty,
            VisitError::Medium(_) => VisitRefusal::MediumUnavailable,
            VisitError::Flow(e) => flow_refusal(e),
            VisitError::Closed(_) => VisitRefusal::VerificationFailed,
            VisitError::TooManyAttempts { .. } => VisitRefusal::TooManyAttempts,
        }
    }

    /// The refusal's code, as in `CommandError::detail`.
    pub fn refusal_code(&self) -> String {
        serde_json::to_value(self.refusal())
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned())
    }
}

fn flow_refusal(e: &FlowError) -> VisitRefusal {
    let code = e.code();
    match e {
        FlowError::OutOfOrder { .. } => VisitRefusal::OutOfOrder,
        FlowError::Store(StoreError::Busy) => VisitRefusal::Busy,
        FlowError::Store(_) => VisitRefusal::Storage,
        _ if code == "document-too-large" || code == "document-image-too-large" => {
            VisitRefusal::DocumentTooLarge
        }
        _ if code.contains("no-face")
            || code.contains("no-portrait")
            || code.contains("multiple-faces")
            || code.contains("too-small") =>
        {
            VisitRefusal::NoPortrait
        }
        _ if code.starts_with("document-") => VisitRefusal::DocumentUnreadable,
        _ if code.starts_with("model") || code == "inference-failed" => VisitRefusal::ModelsMissing,
        _ if code.starts_with("liveness-") => VisitRefusal::LivenessIncomplete,
        _ => VisitRefusal::VerificationFailed,
    }
}
