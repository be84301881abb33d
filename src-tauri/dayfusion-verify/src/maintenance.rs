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
}

/// Aborts every transaction left in progress (its process died: the caller
/// holds the flow lock, so no flow is running) and deletes evidence no kept
/// transaction refers to (written just before a crash).
pub fn recover(backend: &Backend<'_>) -> Result<RecoveryReport, FlowError> {
    let mut report = RecoveryReport::default();
    for transaction in backend.log.in_progress()? {
        abort_transaction(backend, &transaction, INTERRUPTED)?;
        report.aborted.push(transaction.transaction_id);
    }
    let in_use = backend.log.evidence_in_use()?;
    for key in backend.evidence.list()? {
        if !in_use.contains(&key) && backend.evidence.delete(&key)? {
            report.orphans_deleted += 1;
        }
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
    let cutoff = now - time::Duration::days(i64::from(older_than_days));
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
