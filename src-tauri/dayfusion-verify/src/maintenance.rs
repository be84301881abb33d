//! Recovery after a crash (needs the flow lock) and the retention purge
//! (LGPD; needs only the housekeeping lock).

use serde::Serialize;
use time::OffsetDateTime;
use tracing::info;

use crate::domain::SyncState;
use crate::error::FlowError;
use crate::flow::{Backend, abort_transaction};
use crate::hold;
use crate::ports::{AuditEvent, EvidenceStore, ListQuery, SYNC_COMPLETED, TransactionLog};

/// Reason code of transactions found unfinished at start-up.
pub const INTERRUPTED: &str = "interrupted";

/// What [`recover`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryReport {
    /// Transactions that were in progress and are now aborted.
    pub aborted: Vec<uuid::Uuid>,
    /// Of those, the AWS ones: the next outbox sync deletes their S3
    /// objects (Rekognition's output included) and writes the ABORTED
    /// record with `EvidenceDeletedAt` to DynamoDB.
    pub queued_for_aws: usize,
    /// Evidence objects no kept transaction refers to, deleted.
    pub orphans_deleted: usize,
    /// Objects under a transaction or session the log does not know, kept
    /// (a lost or restored log must never make evidence look orphaned).
    pub unaccounted: usize,
}

/// The folder of `key` (`documents/{id}` or `liveness/{sessionId}`).
fn owner_prefix(key: &crate::EvidenceKey) -> String {
    key.segments().take(2).collect::<Vec<_>>().join("/")
}

/// Aborts every transaction left in progress (its process died: the caller
/// holds the flow lock, so no flow is running) and deletes evidence that no
/// kept transaction refers to but that belongs to a transaction or a
/// liveness session the log knows (written just before a crash). Objects
/// the log cannot account for are kept and counted: a missing or restored
/// log must not wipe evidence. An aborted AWS transaction's evidence is in
/// S3: the outbox sync deletes it, Rekognition's output included
/// ([`RecoveryReport::queued_for_aws`]), whatever store `backend` has.
pub fn recover(backend: &Backend<'_>) -> Result<RecoveryReport, FlowError> {
    let mut report = RecoveryReport::default();
    for transaction in backend.log.in_progress()? {
        let aborted = abort_transaction(backend, &transaction, INTERRUPTED)?;
        if aborted.backend == crate::Provider::Aws && aborted.sync.reaches_aws() {
            report.queued_for_aws += 1;
        }
        report.aborted.push(aborted.transaction_id);
    }
    let in_use = backend.log.evidence_in_use()?;
    let mut known = std::collections::BTreeSet::new();
    for t in backend.log.list(&ListQuery::default())? {
        known.insert(format!("documents/{}", t.transaction_id));
        for session in t
            .liveness_session_id
            .iter()
            .chain(t.liveness.as_ref().map(|l| &l.session_id))
        {
            known.insert(format!("liveness/{session}"));
        }
    }
    for key in backend.evidence.list()? {
        if in_use.contains(&key) {
            continue;
        }
        if !known.contains(&owner_prefix(&key)) {
            report.unaccounted += 1;
        } else if backend.evidence.delete(&key)? {
            report.orphans_deleted += 1;
        }
    }
    if report.unaccounted > 0 {
        tracing::warn!(
            objects = report.unaccounted,
            "evidence objects the transaction log does not know were kept"
        );
    }
    if !report.aborted.is_empty() || report.orphans_deleted > 0 {
        info!(
            aborted = report.aborted.len(),
            queued_for_aws = report.queued_for_aws,
            orphans = report.orphans_deleted,
            "recovered after an interruption"
        );
    }
    Ok(report)
}

/// Aborts every transaction left in progress, with the objects its
/// unrecorded steps wrote; no sweep of the whole store. What a verification
/// on a shared remote store (S3) runs before it starts, where listing every
/// kiosk's evidence each time would not scale.
pub fn abort_interrupted(backend: &Backend<'_>) -> Result<Vec<uuid::Uuid>, FlowError> {
    let mut aborted = Vec::new();
    for transaction in backend.log.in_progress()? {
        abort_transaction(backend, &transaction, INTERRUPTED)?;
        aborted.push(transaction.transaction_id);
    }
    Ok(aborted)
}

/// What [`purge`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurgeReport {
    /// Transactions whose evidence was deleted.
    pub transactions: usize,
    /// Evidence objects deleted from the local store.
    pub objects_deleted: usize,
    /// Of the purged transactions, those whose S3 objects (and DynamoDB
    /// item) are deleted by the next outbox sync: they were queued again.
    pub queued_for_aws: usize,
    /// Transactions old enough but still waiting to reach AWS (kept).
    pub kept_unsynced: usize,
    /// Transactions old enough but under a legal hold (kept).
    pub kept_on_hold: usize,
}

/// Kind of the event recorded for each purged transaction.
pub const EVIDENCE_PURGED: &str = "evidence.purged";

/// Deletes the evidence of final transactions created more than
/// `older_than_days` days before `now` from `evidence` (the local store).
/// The transaction records, their hashes and the audit chain stay (each
/// purge is an `evidence.purged` event with the local count; the sync that
/// deletes the S3 objects records theirs, see `dayfusion_aws::erase`). A
/// transaction whose evidence is, or is on its way to be, in AWS is queued
/// again: the outbox sync deletes its S3 objects (Rekognition's output
/// included) and records `EvidenceDeletedAt` in DynamoDB, retrying until
/// S3 answers. Transactions still waiting for their first sync keep their
/// evidence unless `force`; transactions under a legal hold
/// ([`crate::hold`]) always keep it.
///
/// Needs no flow lock: it touches only final transactions, never the one
/// a visit is running. Callers hold the [`crate::HousekeepingLock`].
pub fn purge(
    evidence: &dyn EvidenceStore,
    log: &dyn TransactionLog,
    older_than_days: u32,
    now: OffsetDateTime,
    force: bool,
) -> Result<PurgeReport, FlowError> {
    let cutoff = now
        .checked_sub(time::Duration::days(i64::from(older_than_days)))
        .ok_or_else(|| {
            FlowError::Input(crate::ProviderError::new(
                "request-invalid",
                format!("{older_than_days} days is out of range"),
                false,
            ))
        })?;
    let mut report = PurgeReport::default();
    let candidates = log.list(&ListQuery {
        limit: 0,
        status: None,
        created_before: Some(cutoff),
    })?;
    for transaction in candidates {
        if !transaction.stage.is_final() || transaction.evidence_purged_at.is_some() {
            continue;
        }
        let events = log.audit_events(&transaction.transaction_id)?;
        if hold::in_force(&events).is_some() {
            report.kept_on_hold += 1;
            continue;
        }
        let never_synced = transaction.sync == SyncState::Pending
            && !events.iter().any(|e| e.kind == SYNC_COMPLETED);
        if never_synced && !force {
            report.kept_unsynced += 1;
            continue;
        }
        let mut deleted = 0usize;
        for key in transaction.evidence_keys() {
            if evidence.delete(&key)? {
                deleted += 1;
            }
        }
        let mut next = transaction.clone();
        next.evidence_purged_at = Some(now);
        next.updated_at = now;
        next.sync = transaction.sync.after_change();
        let queued = transaction.sync.reaches_aws();
        log.update(
            &next,
            &AuditEvent {
                kind: EVIDENCE_PURGED.to_owned(),
                data: serde_json::json!({
                    "olderThanDays": older_than_days,
                    "localObjectsDeleted": deleted,
                    "s3": if queued { "queued" } else { "not-applicable" },
                    "unsynced": never_synced,
                }),
            },
        )?;
        report.transactions += 1;
        report.objects_deleted += deleted;
        if queued {
            report.queued_for_aws += 1;
        }
    }
    info!(
        transactions = report.transactions,
        objects = report.objects_deleted,
        queued = report.queued_for_aws,
        kept = report.kept_unsynced,
        held = report.kept_on_hold,
        "retention purge"
    );
    Ok(report)
}
