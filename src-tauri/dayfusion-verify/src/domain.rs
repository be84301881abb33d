//! The transaction: one identity verification, from the document photo to
//! the decision, with every evidence key and hash.
//!
//! Field names follow the original guide where it has them (`status`,
//! `liveness`, `similarity`, `referenceKey`, `documentKey`); the AWS
//! backend maps the same record to the DynamoDB attributes (`TransactionId`,
//! `SessionId`, `DocumentKey`, `Liveness`, `Similarity`, `Status`,
//! `CreatedAt`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::evidence_key::EvidenceKey;

/// Which backend produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// The local models (offline).
    Embedded,
    /// Amazon Rekognition.
    Aws,
}

/// Where a transaction is in the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Begun; waiting for the document photo.
    Started,
    /// The document photo is stored and has a portrait.
    DocumentCaptured,
    /// The liveness result and its images are stored.
    LivenessDone,
    /// The live face was compared with the document portrait.
    Compared,
    /// Decided (final).
    Decided,
    /// Abandoned or interrupted before a decision (final).
    Aborted,
}

impl Stage {
    /// The stage's code (`document-captured`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Stage::Started => "started",
            Stage::DocumentCaptured => "document-captured",
            Stage::LivenessDone => "liveness-done",
            Stage::Compared => "compared",
            Stage::Decided => "decided",
            Stage::Aborted => "aborted",
        }
    }

    /// Whether nothing can follow.
    pub const fn is_final(self) -> bool {
        matches!(self, Stage::Decided | Stage::Aborted)
    }
}

/// The transaction's status, as the guide's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// Not decided yet.
    InProgress,
    /// Identity verified.
    Approved,
    /// Identity not verified.
    Rejected,
    /// A person must look at the evidence.
    Review,
    /// Ended without a decision (cancelled, interrupted, unusable input).
    Aborted,
}

impl Status {
    /// The status as stored (`APPROVED`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "IN_PROGRESS",
            Status::Approved => "APPROVED",
            Status::Rejected => "REJECTED",
            Status::Review => "REVIEW",
            Status::Aborted => "ABORTED",
        }
    }

    /// Parses [`Status::as_str`].
    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::InProgress,
            Status::Approved,
            Status::Rejected,
            Status::Review,
            Status::Aborted,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Whether the transaction still has to reach AWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncState {
    /// Not final yet: nothing to send.
    NotReady,
    /// Final and waiting in the outbox.
    Pending,
    /// Stored in AWS.
    Synced,
    /// Nothing to send (kept for records written before every final
    /// transaction went through the outbox).
    NotRequired,
    /// Final and kept on this kiosk only: it had no AWS settings when the
    /// transaction ended. Queued (becomes `Pending`) once they are added.
    Local,
}

impl SyncState {
    /// The state after a change of a final transaction (a review, a
    /// purge) that AWS must hear about: queued again when its record is,
    /// or is about to be, in AWS; unchanged otherwise.
    pub fn after_change(self) -> SyncState {
        match self {
            SyncState::Pending | SyncState::Synced => SyncState::Pending,
            other => other,
        }
    }

    /// Whether the transaction's record (and evidence) may already be in
    /// AWS, or will be: what a purge must also delete there.
    pub fn reaches_aws(self) -> bool {
        matches!(self, SyncState::Pending | SyncState::Synced)
    }
}

/// A stored evidence object: its key and the SHA-256 of its plaintext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceRef {
    /// Where it is stored (`liveness/{sessionId}/reference.jpg`).
    pub key: EvidenceKey,
    /// SHA-256 of the plaintext, hex.
    pub sha256: String,
    /// Plaintext size in bytes.
    pub size: u64,
}

/// An axis-aligned box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PixelBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

/// Where the holder's portrait is on the document.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortraitLocation {
    /// The face box in the document's pixels as captured.
    #[serde(rename = "box")]
    pub face_box: PixelBox,
    /// Clockwise degrees the document had to be turned to be upright.
    pub rotation_degrees: u16,
}

/// The document photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentRecord {
    /// `documents/{transactionId}/document.{ext}`.
    pub document_key: EvidenceKey,
    /// SHA-256 of the photo as captured.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// The holder's portrait.
    pub portrait: PortraitLocation,
}

/// How a liveness session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LivenessStatus {
    /// The capture completed; read the confidence.
    Succeeded,
    /// The capture could not be completed (no face, challenge not done).
    Failed,
    /// The session ran out of time.
    Expired,
}

/// One liveness check, as recorded (no images, no embeddings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckRecord {
    /// The check (`light`, `depth`).
    pub check: String,
    /// `passed`, `failed` or `not-applicable`.
    pub outcome: String,
    /// 0-100 where it applies (50 = pass).
    pub score: Option<f32>,
    /// Why, as a code.
    pub reason: String,
}

/// The liveness result of a transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LivenessRecord {
    /// Which backend ran the check.
    pub provider: Provider,
    /// The provider's session id.
    pub session_id: String,
    /// How the session ended.
    pub status: LivenessStatus,
    /// 0-100.
    pub confidence: f32,
    /// What the confidence rests on (`challenge`, `passive-only`).
    pub assurance: String,
    /// The provider's rule or model version.
    pub rule: String,
    /// Why the capture failed, as a code.
    pub failure: Option<String>,
    /// `liveness/{sessionId}/reference.jpg` when there is one.
    pub reference_key: Option<EvidenceKey>,
    /// SHA-256 of the reference image.
    pub reference_sha256: Option<String>,
    /// `liveness/{sessionId}/audit_{i}.jpg`.
    pub audit_images: Vec<EvidenceRef>,
    /// Every check.
    pub checks: Vec<CheckRecord>,
    /// The camera the frames came from (embedded provider), e.g.
    /// `usb 046d:082d serial A1B2 "HD Pro Webcam C920" (uvcvideo, video0)`;
    /// absent in records made before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub camera: Option<String>,
}

/// The face comparison of a transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonRecord {
    /// Which backend compared.
    pub provider: Provider,
    /// 0-100.
    pub similarity: f32,
    /// The matcher's model and calibration.
    pub model: String,
    /// Why no similarity could be measured (`face-no-face` on the reference
    /// image), as a code; the similarity is then 0.
    pub failure: Option<String>,
}

/// Which policy decided, and the thresholds it had then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRef {
    /// `default`, `high-risk`.
    pub id: String,
    /// Bumped on every change.
    pub version: u32,
}

/// The decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// APPROVED, REJECTED or REVIEW.
    pub status: Status,
    /// Why, as codes (`liveness-below-review-band`).
    pub reasons: Vec<String>,
    /// The policy and the thresholds applied (a snapshot: later policy
    /// versions never change this).
    pub policy: crate::policy::Policy,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
}

/// The customer's consent to the processing (LGPD), given on the kiosk
/// before anything was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentRecord {
    /// Version of the consent text shown.
    pub version: String,
    /// The language it was shown in (`pt-BR`).
    pub language: String,
    /// When the customer accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
    /// SHA-256 (hex) of the consent text exactly as the screen showed it
    /// (its words, spaces collapsed): with the version, what the customer
    /// read. Absent in records from before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_sha256: Option<String>,
}

/// A person's review of a transaction the policy sent to REVIEW.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewRecord {
    /// APPROVED or REJECTED.
    pub verdict: Status,
    /// Who reviewed (staff id).
    pub reviewer: String,
    /// Why, in the reviewer's words.
    pub reason: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub reviewed_at: OffsetDateTime,
}

/// One verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// UUID v7 (time-ordered).
    pub transaction_id: Uuid,
    /// When it began.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// The kiosk that ran it.
    pub kiosk_id: String,
    /// The staff member who assisted, when any.
    pub operator: Option<String>,
    /// The product the customer applies for (`account-opening`).
    pub product: String,
    /// The backend that runs it (embedded or AWS).
    pub backend: Provider,
    /// The policy that will decide.
    pub policy: PolicyRef,
    /// Where in the flow.
    pub stage: Stage,
    /// The guide's `status`.
    pub status: Status,
    /// The document photo.
    pub document: Option<DocumentRecord>,
    /// The liveness session started for it (bound: results of another
    /// session are refused).
    pub liveness_session_id: Option<String>,
    /// The liveness result.
    pub liveness: Option<LivenessRecord>,
    /// The comparison.
    pub comparison: Option<ComparisonRecord>,
    /// The decision.
    pub decision: Option<Decision>,
    /// Why it was aborted, as a code.
    pub abort_reason: Option<String>,
    /// Whether it still has to reach AWS.
    pub sync: SyncState,
    /// When its evidence was deleted: by the retention purge, or when it
    /// was aborted (an aborted transaction keeps none).
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub evidence_purged_at: Option<OffsetDateTime>,
    /// The consent the customer gave (kiosk visits; absent for CLI runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<ConsentRecord>,
    /// The staff review that settled a REVIEW decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewRecord>,
}

impl Transaction {
    /// The guide's `similarity`, when compared.
    pub fn similarity(&self) -> Option<f32> {
        self.comparison.as_ref().map(|c| c.similarity)
    }

    /// Every evidence key the transaction refers to.
    pub fn evidence_keys(&self) -> Vec<EvidenceKey> {
        let mut keys = Vec::new();
        if let Some(d) = &self.document {
            keys.push(d.document_key.clone());
        }
        if let Some(l) = &self.liveness {
            keys.extend(l.reference_key.iter().cloned());
            keys.extend(l.audit_images.iter().map(|a| a.key.clone()));
        }
        keys
    }
}
