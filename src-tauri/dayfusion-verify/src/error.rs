//! Errors of the flow and its ports: an English message for logs and the
//! CLI, a stable code, and the message for people in pt-BR or en.

use crate::domain::Stage;

/// A failure of the evidence store or the transaction log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Nothing is stored under this key or id.
    #[error("not found: {0}")]
    NotFound(String),
    /// Evidence is write-once and this key exists.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The disk is full.
    #[error("storage full: {0}")]
    StorageFull(String),
    /// The data folder cannot be written (read-only, permissions).
    #[error("storage not writable: {0}")]
    NotWritable(String),
    /// Stored data failed its integrity check (tampered, wrong key, torn).
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// The encryption key cannot be read.
    #[error("evidence key unavailable: {0}")]
    KeyUnavailable(String),
    /// The object is larger than the store accepts.
    #[error("evidence too large: {0} bytes")]
    TooLarge(u64),
    /// A policy id and version already recorded with other thresholds.
    #[error("policy {id} v{version} was changed without a new version")]
    PolicyConflict {
        /// Policy id.
        id: String,
        /// Policy version.
        version: u32,
    },
    /// Another verification holds the data folder.
    #[error("another verification is running on this kiosk")]
    Busy,
    /// The change contradicts what is stored (a final transaction rewritten).
    #[error("transaction conflict: {0}")]
    Conflict(String),
    /// A remote store (S3, DynamoDB) failed.
    #[error("remote store: [{code}] {detail}")]
    Remote {
        /// Stable code (`aws-access-denied`, `aws-unreachable`).
        code: &'static str,
        /// The service's error code and message.
        detail: String,
        /// Whether trying again later can help (network, throttling).
        retryable: bool,
    },
    /// Any other storage failure.
    #[error("storage error: {0}")]
    Other(String),
}

impl StoreError {
    /// Maps an I/O error, keeping disk-full and read-only apart.
    pub fn from_io(error: &std::io::Error, context: &str) -> StoreError {
        use std::io::ErrorKind;
        let detail = format!("{context}: {error}");
        match error.kind() {
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge => {
                StoreError::StorageFull(detail)
            }
            ErrorKind::ReadOnlyFilesystem | ErrorKind::PermissionDenied => {
                StoreError::NotWritable(detail)
            }
            ErrorKind::NotFound => StoreError::NotFound(detail),
            _ => StoreError::Other(detail),
        }
    }

    /// The stable code (`storage-full`).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound(_) => "not-found",
            StoreError::AlreadyExists(_) => "already-exists",
            StoreError::StorageFull(_) => "storage-full",
            StoreError::NotWritable(_) => "storage-not-writable",
            StoreError::Corrupt(_) => "data-corrupt",
            StoreError::KeyUnavailable(_) => "evidence-key-unavailable",
            StoreError::TooLarge(_) => "evidence-too-large",
            StoreError::PolicyConflict { .. } => "policy-conflict",
            StoreError::Busy => "kiosk-busy",
            StoreError::Conflict(_) => "transaction-conflict",
            StoreError::Remote { code, .. } => code,
            StoreError::Other(_) => "storage-error",
        }
    }
}

/// A failure of a liveness provider or face matcher.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ProviderError {
    /// Stable code (`document-no-portrait`, `face-several-faces`,
    /// `liveness-session-expired`, `provider-unavailable`).
    pub code: String,
    /// Technical detail for logs (never personal data).
    pub detail: String,
    /// Whether trying again (a new photo, the network back) can help.
    pub retryable: bool,
}

impl ProviderError {
    /// A provider error.
    pub fn new(code: impl Into<String>, detail: impl Into<String>, retryable: bool) -> Self {
        ProviderError {
            code: code.into(),
            detail: detail.into(),
            retryable,
        }
    }
}

/// Why a flow step was refused.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The step does not follow from the transaction's stage.
    #[error("step {step} is not allowed at stage {}", stage.as_str())]
    OutOfOrder {
        /// The step asked for.
        step: &'static str,
        /// Where the transaction is.
        stage: Stage,
    },
    /// The input cannot be used; the step can be tried again with another.
    #[error("input refused: {0}")]
    Input(ProviderError),
    /// A provider failed.
    #[error("provider failed: {0}")]
    Provider(ProviderError),
    /// The store or log failed; nothing of this step was kept.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The policy file is wrong or names an unknown policy.
    #[error("policy: {0}")]
    Policy(String),
}

impl FlowError {
    /// The stable code.
    pub fn code(&self) -> String {
        match self {
            FlowError::OutOfOrder { .. } => "step-out-of-order".to_owned(),
            FlowError::Input(e) | FlowError::Provider(e) => e.code.clone(),
            FlowError::Store(e) => e.code().to_owned(),
            FlowError::Policy(_) => "policy-invalid".to_owned(),
        }
    }

    /// The message for people, in `locale` (pt-BR or en).
    pub fn message(&self, locale: &str) -> String {
        crate::i18n::message(&self.code(), locale)
    }
}
