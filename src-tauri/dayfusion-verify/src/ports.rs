//! The ports: what the flow needs from the outside, as traits. The embedded
//! backend implements them with the local models (`crate::embedded`), the
//! encrypted file store (`dayfusion-evidence`) and SQLite
//! (`dayfusion-ledger`); the AWS backend with Rekognition, S3 and DynamoDB.
//!
//! The ports are synchronous: the flow runs on a blocking thread (the CLI's
//! main thread, `spawn_blocking` in the app), and network adapters block on
//! their runtime there.

use std::collections::BTreeSet;

pub use dayfusion_liveness::challenge::ChallengeKind;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{
    CheckRecord, EvidenceRef, LivenessStatus, PortraitLocation, Provider, Transaction,
};
use crate::error::{ProviderError, StoreError};
use crate::evidence_key::EvidenceKey;
use crate::policy::Policy;

/// A liveness session just created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LivenessSessionStart {
    /// The provider's session id.
    pub session_id: String,
    /// Which provider.
    pub provider: Provider,
}

/// A finished liveness session, images included (JPEG bytes).
#[derive(Clone, PartialEq)]
pub struct LivenessOutcome {
    /// Which provider.
    pub provider: Provider,
    /// The session.
    pub session_id: String,
    /// How it ended.
    pub status: LivenessStatus,
    /// 0-100.
    pub confidence: f32,
    /// `challenge` or `passive-only`.
    pub assurance: String,
    /// The provider's rule or model version.
    pub rule: String,
    /// Why it failed, as a code.
    pub failure: Option<String>,
    /// Every check.
    pub checks: Vec<CheckRecord>,
    /// The camera the frames came from, as identified (embedded provider;
    /// `None` where the provider does not say).
    pub camera: Option<String>,
    /// The reference frame (JPEG).
    pub reference_image: Option<Vec<u8>>,
    /// Audit frames (JPEG).
    pub audit_images: Vec<Vec<u8>>,
}

impl std::fmt::Debug for LivenessOutcome {
    /// Never prints image bytes (biometric data).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessOutcome")
            .field("provider", &self.provider)
            .field("session_id", &self.session_id)
            .field("status", &self.status)
            .field("confidence", &self.confidence)
            .field("failure", &self.failure)
            .field("camera", &self.camera)
            .field("checks", &self.checks.len())
            .field("reference_image", &self.reference_image.is_some())
            .field("audit_images", &self.audit_images.len())
            .finish()
    }
}

/// What a new liveness session asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LivenessRequest {
    /// With the colour sequence, or movement only (no flashing colours).
    pub challenge: ChallengeKind,
    /// The language of the live guidance (`pt-BR`, `en`); the provider's
    /// own default without it.
    pub locale: Option<String>,
}

/// Creates liveness sessions and reads their results.
pub trait LivenessProvider: Send + Sync {
    /// Which provider this is.
    fn provider(&self) -> Provider;
    /// Starts a session the capture UI will run.
    fn create_session(&self) -> Result<LivenessSessionStart, ProviderError>;
    /// Whether [`LivenessProvider::create_session_for`] can ask `challenge`.
    fn supports(&self, challenge: ChallengeKind) -> bool {
        challenge == ChallengeKind::MovementAndLight
    }
    /// Starts a session as `request` asks; a provider without the
    /// movement-only challenge refuses it (`liveness-challenge-unsupported`).
    fn create_session_for(
        &self,
        request: &LivenessRequest,
    ) -> Result<LivenessSessionStart, ProviderError> {
        match request.challenge {
            ChallengeKind::MovementAndLight => self.create_session(),
            ChallengeKind::Movement => Err(ProviderError::new(
                "liveness-challenge-unsupported",
                "this provider has no movement-only challenge",
                false,
            )),
        }
    }
    /// The finished session's result and images.
    fn session_results(&self, session_id: &str) -> Result<LivenessOutcome, ProviderError>;
    /// Drops whatever is still held in memory for `session_id` (the
    /// reference and audit images) once its visit has ended.
    fn forget(&self, _session_id: &str) {}
}

/// The matcher's answer for a document and a face image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchResult {
    /// 0-100.
    pub similarity: f32,
    /// Model and calibration (`mobilefacenet/score-v1`).
    pub model: String,
}

/// Finds the holder's portrait and compares faces.
pub trait FaceMatcher: Send + Sync {
    /// Which provider this is.
    fn provider(&self) -> Provider;
    /// Where the holder's portrait is on the document photo.
    fn locate_portrait(&self, document: &[u8]) -> Result<PortraitLocation, ProviderError>;
    /// How alike the document's portrait and the face in `face` are.
    fn compare(&self, document: &[u8], face: &[u8]) -> Result<MatchResult, ProviderError>;
    /// Compares two stored evidence objects, given their keys and their
    /// bytes (already read and hash-checked by the flow). Matchers that read
    /// straight from the evidence store (Rekognition from S3) override it;
    /// the default compares the bytes.
    fn compare_stored(
        &self,
        document: (&EvidenceKey, &[u8]),
        face: (&EvidenceKey, &[u8]),
    ) -> Result<MatchResult, ProviderError> {
        self.compare(document.1, face.1)
    }
}

/// Where evidence images live. Objects are write-once.
pub trait EvidenceStore: Send + Sync {
    /// Stores `bytes` under `key`; refuses a key that exists.
    fn put(&self, key: &EvidenceKey, bytes: &[u8]) -> Result<EvidenceRef, StoreError>;
    /// The plaintext under `key`, integrity checked.
    fn get(&self, key: &EvidenceKey) -> Result<Vec<u8>, StoreError>;
    /// The plaintext under `key`, refused as `Corrupt` unless its SHA-256
    /// is the one the transaction recorded (a replaced S3 object, say).
    fn get_checked(&self, key: &EvidenceKey, sha256: &str) -> Result<Vec<u8>, StoreError> {
        use sha2::Digest;
        let bytes = self.get(key)?;
        if !hex::encode(sha2::Sha256::digest(&bytes)).eq_ignore_ascii_case(sha256) {
            return Err(StoreError::Corrupt(format!(
                "{key} does not match its recorded SHA-256"
            )));
        }
        Ok(bytes)
    }
    /// Deletes `key`; `false` when there was nothing.
    fn delete(&self, key: &EvidenceKey) -> Result<bool, StoreError>;
    /// Every stored key.
    fn list(&self) -> Result<Vec<EvidenceKey>, StoreError>;
    /// The stored keys starting with `prefix` (`documents/{id}/`). Stores
    /// where listing everything is costly (S3) list only that prefix.
    fn list_under(&self, prefix: &str) -> Result<Vec<EvidenceKey>, StoreError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|k| k.as_str().starts_with(prefix))
            .collect())
    }
}

/// One audit event to append with a transaction change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// What happened (`document.captured`).
    pub kind: String,
    /// Facts about it: codes, keys, hashes, scores; never images or names.
    pub data: serde_json::Value,
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredAuditEvent {
    /// 1, 2, 3… without gaps.
    pub seq: u64,
    /// RFC 3339.
    pub at: String,
    /// The transaction, when the event belongs to one.
    pub transaction_id: Option<Uuid>,
    /// What happened.
    pub kind: String,
    /// Facts about it.
    pub data: serde_json::Value,
    /// Hash of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// SHA-256 over this event's fields and `prev_hash`.
    pub hash: String,
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// Events checked.
    pub events: u64,
    /// The last event's hash.
    pub head_hash: Option<String>,
    /// The first event that does not verify.
    pub first_bad: Option<AuditProblem>,
}

/// The first broken link of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditProblem {
    /// The event's sequence number (or the one expected there).
    pub seq: u64,
    /// `hash-mismatch`, `previous-hash-mismatch`, `sequence-gap`,
    /// `head-mismatch`.
    pub problem: String,
}

/// Which transactions `list` returns (newest first).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    /// At most this many (0 = no limit).
    pub limit: usize,
    /// Only with this status.
    pub status: Option<crate::domain::Status>,
    /// Only created before this time.
    pub created_before: Option<time::OffsetDateTime>,
}

/// Kind of the event recorded when a transaction's record reached AWS.
pub const SYNC_COMPLETED: &str = "sync.completed";

/// Kind of the event recorded when an attempt to send it failed.
pub const SYNC_FAILED: &str = "sync.failed";

/// A transaction waiting to reach AWS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEntry {
    /// The transaction.
    pub transaction_id: Uuid,
    /// When it was queued, RFC 3339.
    pub queued_at: String,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The last failure, as a code.
    pub last_error: Option<String>,
}

/// The transaction log with its audit chain and outbox.
pub trait TransactionLog: Send + Sync {
    /// Records a policy version the first time it is used; refuses the same
    /// id and version with other thresholds.
    fn register_policy(&self, policy: &Policy) -> Result<(), StoreError>;
    /// Inserts a new transaction with its first audit event, atomically.
    fn insert(&self, transaction: &Transaction, event: &AuditEvent) -> Result<(), StoreError>;
    /// Replaces a transaction and appends the event, atomically; queues it in
    /// the outbox when its sync state is `Pending`.
    fn update(&self, transaction: &Transaction, event: &AuditEvent) -> Result<(), StoreError>;
    /// One transaction.
    fn get(&self, id: &Uuid) -> Result<Option<Transaction>, StoreError>;
    /// Transactions, newest first.
    fn list(&self, query: &ListQuery) -> Result<Vec<Transaction>, StoreError>;
    /// Transactions not final yet.
    fn in_progress(&self) -> Result<Vec<Transaction>, StoreError>;
    /// Evidence keys referenced by transactions whose evidence is kept.
    fn evidence_in_use(&self) -> Result<BTreeSet<EvidenceKey>, StoreError>;
    /// Walks the audit chain.
    fn verify_audit(&self) -> Result<AuditReport, StoreError>;
    /// The audit events of one transaction, in order.
    fn audit_events(&self, id: &Uuid) -> Result<Vec<StoredAuditEvent>, StoreError>;
    /// What still has to reach AWS, oldest first.
    fn outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError>;
    /// Appends an event about the kiosk rather than one transaction (a
    /// staff action such as `staff.account.added` or `settings.changed`),
    /// chained like every other event.
    fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// Whether final transactions are queued for AWS (the kiosk has AWS
    /// settings); when not, they end [`crate::SyncState::Local`].
    fn queues_for_aws(&self) -> Result<bool, StoreError> {
        Ok(true)
    }
}
