//! The verification flow as a state machine:
//!
//! ```text
//! start ─► Started ─capture_document─► DocumentCaptured ─start_liveness─► (session bound)
//!          ─complete_liveness─► LivenessDone ─compare─► Compared ─decide─► Decided
//!                                    └──────── decide (liveness not succeeded) ──┘
//! any non-final stage ─abort─► Aborted
//! ```
//!
//! Each step first does its work (providers, evidence), then records the
//! new transaction state and one audit event in a single log transaction.
//! A step that fails leaves the transaction as it was (evidence it wrote is
//! removed again), so the kiosk can retry it; out-of-order steps are refused
//! with [`FlowError::OutOfOrder`].

use time::OffsetDateTime;
use tracing::info;
use uuid::Uuid;

use crate::domain::{
    ComparisonRecord, Decision, DocumentRecord, EvidenceRef, LivenessRecord, LivenessStatus,
    Provider, Stage, Status, SyncState, Transaction,
};
use crate::error::{FlowError, ProviderError, StoreError};
use crate::evidence_key::EvidenceKey;
use crate::policy::Policy;
use crate::ports::{
    AuditEvent, EvidenceStore, FaceMatcher, LivenessProvider, LivenessRequest,
    LivenessSessionStart, TransactionLog,
};

/// Largest document photo accepted, bytes.
pub const MAX_DOCUMENT_BYTES: usize = 25 * 1024 * 1024;

/// Longest kiosk, operator or product id accepted.
pub const MAX_ID_LEN: usize = 64;

/// The four ports of one backend.
#[derive(Clone, Copy)]
pub struct Backend<'a> {
    /// Embedded or AWS.
    pub kind: Provider,
    /// Liveness sessions.
    pub liveness: &'a dyn LivenessProvider,
    /// Portrait location and comparison.
    pub matcher: &'a dyn FaceMatcher,
    /// Evidence images.
    pub evidence: &'a dyn EvidenceStore,
    /// Transactions and the audit chain.
    pub log: &'a dyn TransactionLog,
}

/// What a new transaction needs.
#[derive(Debug, Clone)]
pub struct StartRequest {
    /// The kiosk running it.
    pub kiosk_id: String,
    /// The assisting staff member, when any.
    pub operator: Option<String>,
    /// The product applied for.
    pub product: String,
    /// The policy that will decide (its current version).
    pub policy: Policy,
    /// The customer's consent, when the kiosk asked for it.
    pub consent: Option<crate::domain::ConsentRecord>,
}

/// One transaction going through the flow.
#[derive(Debug, Clone)]
pub struct VerificationFlow {
    transaction: Transaction,
    policy: Policy,
}

fn valid_id(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= MAX_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'))
}

fn event(kind: &str, data: serde_json::Value) -> AuditEvent {
    AuditEvent {
        kind: kind.to_owned(),
        data,
    }
}

/// A provider's number that cannot be stored (not finite, out of 0-100).
fn check_score(name: &str, value: f32) -> Result<(), FlowError> {
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(())
    } else {
        Err(FlowError::Provider(ProviderError::new(
            "provider-invalid-result",
            format!("{name} is {value}"),
            false,
        )))
    }
}

fn key_error(e: crate::evidence_key::InvalidKey) -> FlowError {
    FlowError::Input(ProviderError::new(
        "liveness-session-invalid",
        e.to_string(),
        false,
    ))
}

impl VerificationFlow {
    /// Begins a transaction (UUID v7) and logs `transaction.started`.
    pub fn start(backend: &Backend<'_>, request: StartRequest) -> Result<Self, FlowError> {
        for (name, value) in [
            ("kiosk id", Some(&request.kiosk_id)),
            ("operator", request.operator.as_ref()),
            ("product", Some(&request.product)),
        ] {
            if let Some(value) = value
                && !valid_id(value)
            {
                return Err(FlowError::Input(ProviderError::new(
                    "request-invalid",
                    format!("{name} must be 1-{MAX_ID_LEN} letters, digits, . _ - @"),
                    false,
                )));
            }
        }
        request.policy.validate().map_err(FlowError::Policy)?;
        backend.log.register_policy(&request.policy)?;
        let now = OffsetDateTime::now_utc();
        let transaction = Transaction {
            transaction_id: Uuid::now_v7(),
            created_at: now,
            updated_at: now,
            kiosk_id: request.kiosk_id,
            operator: request.operator,
            product: request.product,
            backend: backend.kind,
            policy: request.policy.reference(),
            stage: Stage::Started,
            status: Status::InProgress,
            document: None,
            liveness_session_id: None,
            liveness: None,
            comparison: None,
            decision: None,
            abort_reason: None,
            sync: SyncState::NotReady,
            evidence_purged_at: None,
            consent: request.consent,
            review: None,
        };
        backend.log.insert(
            &transaction,
            &event(
                "transaction.started",
                serde_json::json!({
                    "kioskId": transaction.kiosk_id,
                    "product": transaction.product,
                    "assisted": transaction.operator.is_some(),
                    "backend": transaction.backend,
                    "policy": transaction.policy,
                    "consent": transaction.consent,
                }),
            ),
        )?;
        info!(transaction = %transaction.transaction_id, "transaction started");
        Ok(VerificationFlow {
            transaction,
            policy: request.policy,
        })
    }

    /// Continues a transaction read back from the log; `policy` must be the
    /// version it started with, with the same thresholds.
    pub fn resume(
        backend: &Backend<'_>,
        transaction: Transaction,
        policy: Policy,
    ) -> Result<Self, FlowError> {
        backend.log.register_policy(&policy)?;
        if policy.reference() != transaction.policy {
            return Err(FlowError::Policy(format!(
                "transaction uses policy {} v{}, not {} v{}",
                transaction.policy.id, transaction.policy.version, policy.id, policy.version
            )));
        }
        Ok(VerificationFlow {
            transaction,
            policy,
        })
    }

    /// The transaction as recorded.
    pub fn transaction(&self) -> &Transaction {
        &self.transaction
    }

    fn expect_stage(&self, step: &'static str, allowed: &[Stage]) -> Result<(), FlowError> {
        if allowed.contains(&self.transaction.stage) {
            Ok(())
        } else {
            Err(FlowError::OutOfOrder {
                step,
                stage: self.transaction.stage,
            })
        }
    }

    /// Writes `next` with `event`; on success it becomes the flow's state.
    fn commit(
        &mut self,
        backend: &Backend<'_>,
        mut next: Transaction,
        audit: AuditEvent,
    ) -> Result<(), StoreError> {
        next.updated_at = OffsetDateTime::now_utc();
        backend.log.update(&next, &audit)?;
        self.transaction = next;
        Ok(())
    }

    /// Stores the document photo after finding the holder's portrait on it.
    pub fn capture_document(
        &mut self,
        backend: &Backend<'_>,
        bytes: &[u8],
    ) -> Result<&Transaction, FlowError> {
        self.expect_stage("capture-document", &[Stage::Started])?;
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(FlowError::Input(ProviderError::new(
                "document-too-large",
                format!("{} bytes (at most {MAX_DOCUMENT_BYTES})", bytes.len()),
                true,
            )));
        }
        let (content_type, extension) = match image::guess_format(bytes) {
            Ok(image::ImageFormat::Jpeg) => ("image/jpeg", "jpg"),
            Ok(image::ImageFormat::Png) => ("image/png", "png"),
            _ => {
                return Err(FlowError::Input(ProviderError::new(
                    "document-not-an-image",
                    "not a JPEG or PNG file",
                    true,
                )));
            }
        };
        let portrait = backend
            .matcher
            .locate_portrait(bytes)
            .map_err(classify_provider_error)?;
        let b = portrait.face_box;
        if ![b.x, b.y, b.width, b.height].iter().all(|v| v.is_finite())
            || b.width <= 0.0
            || b.height <= 0.0
        {
            return Err(FlowError::Provider(ProviderError::new(
                "provider-invalid-result",
                "portrait box is not a finite, non-empty box",
                false,
            )));
        }
        let key = EvidenceKey::document(
            &self.transaction.transaction_id,
            &format!("document.{extension}"),
        )
        .map_err(|e| FlowError::Store(StoreError::Other(e.to_string())))?;
        let stored = backend.evidence.put(&key, bytes)?;
        let mut next = self.transaction.clone();
        next.stage = Stage::DocumentCaptured;
        next.document = Some(DocumentRecord {
            document_key: stored.key.clone(),
            sha256: stored.sha256.clone(),
            size: stored.size,
            content_type: content_type.to_owned(),
            portrait,
        });
        let audit = event(
            "document.captured",
            serde_json::json!({
                "documentKey": stored.key,
                "sha256": stored.sha256,
                "size": stored.size,
                "contentType": content_type,
                "rotationDegrees": portrait.rotation_degrees,
            }),
        );
        if let Err(e) = self.commit(backend, next, audit) {
            remove_quietly(backend, std::slice::from_ref(&stored.key));
            return Err(e.into());
        }
        Ok(&self.transaction)
    }

    /// Creates a liveness session for this transaction and binds it. Called
    /// again (a retry), it binds a new session in place of the old one, which
    /// is ended: a session serves one attempt only (Rekognition refuses a
    /// second stream on a session), so its leftovers held in memory are
    /// forgotten once the new binding is recorded. The binding and its
    /// `liveness.started` event (naming the session it `replaces`) are one
    /// log commit.
    pub fn start_liveness(
        &mut self,
        backend: &Backend<'_>,
    ) -> Result<LivenessSessionStart, FlowError> {
        self.start_liveness_for(backend, &LivenessRequest::default())
    }

    /// [`VerificationFlow::start_liveness`] with the challenge the customer
    /// asked for (movement only: no flashing colours) and the language of
    /// the guidance; the audit event records the challenge.
    pub fn start_liveness_for(
        &mut self,
        backend: &Backend<'_>,
        request: &LivenessRequest,
    ) -> Result<LivenessSessionStart, FlowError> {
        self.expect_stage("start-liveness", &[Stage::DocumentCaptured])?;
        let challenge = request.challenge;
        let session = backend
            .liveness
            .create_session_for(request)
            .map_err(classify_provider_error)?;
        EvidenceKey::liveness_reference(&session.session_id).map_err(key_error)?;
        let replaced = self.transaction.liveness_session_id.clone();
        let mut next = self.transaction.clone();
        next.liveness_session_id = Some(session.session_id.clone());
        let audit = event(
            "liveness.started",
            serde_json::json!({
                "provider": session.provider,
                "sessionId": session.session_id,
                "replaces": replaced,
                "challenge": challenge.as_str(),
            }),
        );
        if let Err(e) = self.commit(backend, next, audit) {
            // Not bound: the new session is never used.
            backend.liveness.forget(&session.session_id);
            return Err(e.into());
        }
        if let Some(old) = replaced.filter(|old| *old != session.session_id) {
            backend.liveness.forget(&old);
        }
        Ok(session)
    }

    /// Reads the bound session's result and stores its images.
    pub fn complete_liveness(&mut self, backend: &Backend<'_>) -> Result<&Transaction, FlowError> {
        self.expect_stage("complete-liveness", &[Stage::DocumentCaptured])?;
        let Some(session_id) = self.transaction.liveness_session_id.clone() else {
            return Err(FlowError::OutOfOrder {
                step: "complete-liveness",
                stage: self.transaction.stage,
            });
        };
        let outcome = backend
            .liveness
            .session_results(&session_id)
            .map_err(classify_provider_error)?;
        check_score("liveness confidence", outcome.confidence)?;
        for c in &outcome.checks {
            if let Some(score) = c.score {
                check_score("check score", score)?;
            }
        }
        if outcome.session_id != session_id {
            return Err(FlowError::Provider(ProviderError::new(
                "liveness-session-mismatch",
                "the provider answered for another session",
                false,
            )));
        }
        let mut written: Vec<EvidenceKey> = Vec::new();
        let stored = (|| -> Result<(Option<EvidenceRef>, Vec<EvidenceRef>), FlowError> {
            let reference = match &outcome.reference_image {
                Some(jpeg) => {
                    let key = EvidenceKey::liveness_reference(&session_id).map_err(key_error)?;
                    let r = backend.evidence.put(&key, jpeg)?;
                    written.push(r.key.clone());
                    Some(r)
                }
                None => None,
            };
            let mut audits = Vec::new();
            for (i, jpeg) in outcome.audit_images.iter().enumerate() {
                let key = EvidenceKey::liveness_audit(&session_id, i).map_err(key_error)?;
                let r = backend.evidence.put(&key, jpeg)?;
                written.push(r.key.clone());
                audits.push(r);
            }
            Ok((reference, audits))
        })();
        let (reference, audit_images) = match stored {
            Ok(v) => v,
            Err(e) => {
                remove_quietly(backend, &written);
                return Err(e);
            }
        };
        let record = LivenessRecord {
            provider: outcome.provider,
            session_id: session_id.clone(),
            status: outcome.status,
            confidence: outcome.confidence,
            assurance: outcome.assurance.clone(),
            rule: outcome.rule.clone(),
            failure: outcome.failure.clone(),
            reference_key: reference.as_ref().map(|r| r.key.clone()),
            reference_sha256: reference.as_ref().map(|r| r.sha256.clone()),
            audit_images,
            checks: outcome.checks.clone(),
            camera: outcome.camera.clone(),
        };
        let audit = event(
            "liveness.completed",
            serde_json::json!({
                "provider": record.provider,
                "sessionId": record.session_id,
                "status": record.status,
                "confidence": record.confidence,
                "assurance": record.assurance,
                "rule": record.rule,
                "failure": record.failure,
                "camera": record.camera,
                "referenceKey": record.reference_key,
                "referenceSha256": record.reference_sha256,
                "auditImages": record.audit_images,
            }),
        );
        let mut next = self.transaction.clone();
        next.stage = Stage::LivenessDone;
        next.liveness = Some(record);
        if let Err(e) = self.commit(backend, next, audit) {
            remove_quietly(backend, &written);
            return Err(e.into());
        }
        Ok(&self.transaction)
    }

    /// Compares the stored reference face with the stored document.
    pub fn compare(&mut self, backend: &Backend<'_>) -> Result<&Transaction, FlowError> {
        self.expect_stage("compare", &[Stage::LivenessDone])?;
        let (Some(document), Some(liveness)) =
            (&self.transaction.document, &self.transaction.liveness)
        else {
            return Err(FlowError::OutOfOrder {
                step: "compare",
                stage: self.transaction.stage,
            });
        };
        let (Some(reference_key), LivenessStatus::Succeeded) =
            (&liveness.reference_key, liveness.status)
        else {
            // Nothing to compare: the decision rejects on the liveness.
            return Err(FlowError::OutOfOrder {
                step: "compare",
                stage: self.transaction.stage,
            });
        };
        let document_bytes = read_verified(backend, &document.document_key, &document.sha256)?;
        let reference_bytes = read_verified(
            backend,
            reference_key,
            liveness.reference_sha256.as_deref().unwrap_or_default(),
        )?;
        let record = match backend.matcher.compare_stored(
            (&document.document_key, &document_bytes),
            (reference_key, &reference_bytes),
        ) {
            Ok(m) => {
                check_score("similarity", m.similarity)?;
                ComparisonRecord {
                    provider: backend.matcher.provider(),
                    similarity: m.similarity,
                    model: m.model,
                    failure: None,
                }
            }
            Err(e) if is_face_problem(&e) => ComparisonRecord {
                provider: backend.matcher.provider(),
                similarity: 0.0,
                model: String::new(),
                failure: Some(e.code),
            },
            Err(e) => return Err(FlowError::Provider(e)),
        };
        let audit = event(
            "comparison.completed",
            serde_json::json!({
                "provider": record.provider,
                "similarity": record.similarity,
                "model": record.model,
                "failure": record.failure,
            }),
        );
        let mut next = self.transaction.clone();
        next.stage = Stage::Compared;
        next.comparison = Some(record);
        self.commit(backend, next, audit)?;
        Ok(&self.transaction)
    }

    /// Applies the policy; the transaction is final afterwards.
    pub fn decide(&mut self, backend: &Backend<'_>) -> Result<&Transaction, FlowError> {
        let liveness_failed =
            self.transaction.liveness.as_ref().is_some_and(|l| {
                l.status != LivenessStatus::Succeeded || l.reference_key.is_none()
            });
        if !(self.transaction.stage == Stage::Compared
            || (self.transaction.stage == Stage::LivenessDone && liveness_failed))
        {
            return Err(FlowError::OutOfOrder {
                step: "decide",
                stage: self.transaction.stage,
            });
        }
        let Some(liveness) = &self.transaction.liveness else {
            return Err(FlowError::OutOfOrder {
                step: "decide",
                stage: self.transaction.stage,
            });
        };
        let (status, mut reasons) = self
            .policy
            .decide(liveness, self.transaction.comparison.as_ref());
        if liveness.status == LivenessStatus::Succeeded && liveness.reference_key.is_none() {
            reasons = vec!["liveness-no-reference-image".to_owned()];
        }
        let decision = Decision {
            status,
            reasons,
            policy: self.policy.clone(),
            decided_at: OffsetDateTime::now_utc(),
        };
        let audit = event(
            "decision.made",
            serde_json::json!({
                "status": decision.status,
                "reasons": decision.reasons,
                "policy": self.policy.reference(),
                "liveness": liveness.confidence,
                "similarity": self.transaction.similarity(),
            }),
        );
        let mut next = self.transaction.clone();
        next.stage = Stage::Decided;
        next.status = decision.status;
        next.decision = Some(decision);
        next.sync = final_sync_state(backend.log)?;
        self.commit(backend, next, audit)?;
        info!(
            transaction = %self.transaction.transaction_id,
            status = self.transaction.status.as_str(),
            "transaction decided"
        );
        Ok(&self.transaction)
    }

    /// Ends the transaction without a decision and deletes its evidence
    /// (biometric data without a purpose is not kept).
    pub fn abort(
        &mut self,
        backend: &Backend<'_>,
        reason: &str,
    ) -> Result<&Transaction, FlowError> {
        if self.transaction.stage.is_final() {
            return Err(FlowError::OutOfOrder {
                step: "abort",
                stage: self.transaction.stage,
            });
        }
        let next = abort_transaction(backend, &self.transaction, reason)?;
        self.transaction = next;
        Ok(&self.transaction)
    }
}

/// The sync state of a final transaction of `backend`. Both backends keep
/// the local log as their journal; on a kiosk with AWS settings a final
/// transaction then waits in the outbox for the central DynamoDB table
/// (and, from the embedded backend, for its evidence to reach S3); without
/// them it stays local until they are added.
fn final_sync_state(log: &dyn TransactionLog) -> Result<SyncState, StoreError> {
    Ok(if log.queues_for_aws()? {
        SyncState::Pending
    } else {
        SyncState::Local
    })
}

/// Aborts `transaction` (not final): deletes its evidence, records
/// `transaction.aborted` and marks the evidence deleted
/// (`evidencePurgedAt`, so the record, in DynamoDB too, says so). Shared by
/// [`VerificationFlow::abort`] and the recovery of interrupted
/// transactions.
///
/// On a store that cannot be reached (S3 offline: [`StoreError::Remote`])
/// the abort is still recorded when the transaction goes to the outbox:
/// the sync deletes the objects later. An AWS transaction's S3 objects
/// (Rekognition's output included) are always deleted again by the sync,
/// which knows the whole S3 folder; the event says `"s3": "queued"`.
pub(crate) fn abort_transaction(
    backend: &Backend<'_>,
    transaction: &Transaction,
    reason: &str,
) -> Result<Transaction, FlowError> {
    let sync = final_sync_state(backend.log)?;
    let mut deleted = 0usize;
    let deferred = match delete_evidence(backend, transaction, &mut deleted) {
        Ok(()) => None,
        Err(e @ StoreError::Remote { .. }) if sync == SyncState::Pending => {
            tracing::warn!(
                transaction = %transaction.transaction_id,
                code = e.code(),
                "evidence store unreachable: the outbox sync deletes the objects"
            );
            Some(e.code().to_owned())
        }
        Err(e) => return Err(e.into()),
    };
    let now = OffsetDateTime::now_utc();
    let mut next = transaction.clone();
    next.stage = Stage::Aborted;
    next.status = Status::Aborted;
    next.abort_reason = Some(reason.to_owned());
    next.sync = sync;
    next.evidence_purged_at = Some(now);
    next.updated_at = now;
    let s3 = if transaction.backend == Provider::Aws {
        "queued"
    } else {
        "not-applicable"
    };
    backend.log.update(
        &next,
        &event(
            "transaction.aborted",
            serde_json::json!({
                "reason": reason,
                "atStage": transaction.stage.as_str(),
                "evidenceDeleted": deleted,
                "s3": s3,
                "deferred": deferred,
            }),
        ),
    )?;
    info!(transaction = %next.transaction_id, reason, "transaction aborted");
    Ok(next)
}

/// Deletes the evidence of `transaction` from the backend's store: the
/// objects it names and those its unrecorded steps wrote before a crash.
/// `deleted` counts them, also when a later one fails.
fn delete_evidence(
    backend: &Backend<'_>,
    transaction: &Transaction,
    deleted: &mut usize,
) -> Result<(), StoreError> {
    let mut keys = transaction.evidence_keys();
    let mut unrecorded_owners = Vec::new();
    if transaction.document.is_none() {
        unrecorded_owners.push(format!("documents/{}/", transaction.transaction_id));
    }
    if let Some(session) = &transaction.liveness_session_id
        && transaction.liveness.is_none()
    {
        unrecorded_owners.push(format!("liveness/{session}/"));
    }
    for owner in &unrecorded_owners {
        keys.extend(backend.evidence.list_under(owner)?);
    }
    keys.sort();
    keys.dedup();
    for key in &keys {
        if backend.evidence.delete(key)? {
            *deleted += 1;
        }
    }
    Ok(())
}

/// Reads evidence back and checks it against its recorded hash.
fn read_verified(
    backend: &Backend<'_>,
    key: &EvidenceKey,
    sha256: &str,
) -> Result<Vec<u8>, FlowError> {
    Ok(backend.evidence.get_checked(key, sha256)?)
}

/// Deletes what a failed step wrote; a failure here leaves an orphan that
/// the next recovery sweeps.
fn remove_quietly(backend: &Backend<'_>, keys: &[EvidenceKey]) {
    for key in keys {
        if let Err(e) = backend.evidence.delete(key) {
            tracing::warn!(
                code = e.code(),
                "could not remove evidence of a failed step"
            );
        }
    }
}

/// Whether the matcher refused because of the faces in the images (a
/// decision matter) rather than a failure of its own.
fn is_face_problem(error: &ProviderError) -> bool {
    error.code.starts_with("face-") || error.code.starts_with("document-")
}

/// Input problems (a new photo may help) apart from provider failures.
fn classify_provider_error(error: ProviderError) -> FlowError {
    if is_face_problem(&error) || error.code.starts_with("liveness-session") {
        FlowError::Input(error)
    } else {
        FlowError::Provider(error)
    }
}
