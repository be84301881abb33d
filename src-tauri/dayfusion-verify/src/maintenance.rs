//! Housekeeping that needs the kiosk's flow lock: recovery after a crash
//! and the retention purge (LGPD).

use serde::Serialize;
use time::OffsetDateTime;
use tracing::info;

use crate::domain::SyncState;
use crate::error::FlowError;
use crate::flow::{Backend, abort_transaction};
use crate::ports::{AuditEvent, ListQuery};

/// Reason code of transactions found unfinished at start-up.
pub const INTERRUPTED: &str = "interrupted";

/// What [`recover`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryReport {
    /// Transactions that were in progress and are now aborted.
    pub aborted: Vec<uuid::Uuid>,
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
/// log must not wipe evidence.
pub fn recover(backend: &Backend<'_>) -> Result<RecoveryReport, FlowError> {
    let mut report = RecoveryReport {
        aborted: abort_interrupted(backend)?,
        ..RecoveryReport::default()
    };
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
    /// Evidence objects deleted.
    pub objects_deleted: usize,
    /// Transactions old enough but still waiting to reach AWS (kept).
    pub kept_unsynced: usize,
}

/// Deletes the evidence of final transactions created more than
/// `older_than_days` days before `now`. The transaction records, their
/// hashes and the audit chain stay (each purge is itself an audit event).
/// Transactions still in the outbox keep their evidence unless `force`.
pub fn purge(
    backend: &Backend<'_>,
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
    let candidates = backend.log.list(&ListQuery {
        limit: 0,
        status: None,
        created_before: Some(cutoff),
    })?;
    for transaction in candidates {
        if !transaction.stage.is_final() || transaction.evidence_purged_at.is_some() {
            continue;
        }
        if transaction.sync == SyncState::Pending && !force {
            report.kept_unsynced += 1;
            continue;
        }
        let mut deleted = 0usize;
        for key in transaction.evidence_keys() {
            if backend.evidence.delete(&key)? {
                deleted += 1;
            }
        }
        let mut next = transaction.clone();
        next.evidence_purged_at = Some(now);
        next.updated_at = now;
        backend.log.update(
            &next,
            &AuditEvent {
                kind: "evidence.purged".to_owned(),
                data: serde_json::json!({
                    "olderThanDays": older_than_days,
                    "objectsDeleted": deleted,
                    "unsynced": transaction.sync == SyncState::Pending,
                }),
            },
        )?;
        report.transactions += 1;
        report.objects_deleted += deleted;
    }
    info!(
        transactions = report.transactions,
        objects = report.objects_deleted,
        kept = report.kept_unsynced,
        "retention purge"
    );
    Ok(report)
}
