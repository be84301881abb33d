//! The `transactions` table: one row per verification, the whole record as
//! JSON plus indexed copies of its fields, and the rule that a final
//! transaction changes only by bookkeeping (or one review).

use std::collections::BTreeSet;

use dayfusion_verify::{
    AuditEvent, EvidenceKey, ListQuery, Stage, Status, StoreError, SyncState, Transaction,
};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::append_for;
use crate::{SqliteLog, begin, db_err, now, timestamp};

impl SqliteLog {
    pub(crate) fn insert_row(
        &self,
        transaction: &Transaction,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let row = RowFields::of(transaction)?;
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        tx.execute(
            "INSERT INTO transactions (id, created_at, updated_at, status, stage, policy_id,
                 policy_version, evidence_purged_at, record)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.id,
                row.created_at,
                row.updated_at,
                row.status,
                row.stage,
                row.policy_id,
                row.policy_version,
                row.evidence_purged_at,
                row.record
            ],
        )
        .map_err(|e| db_err(e, "insert transaction"))?;
        let stored = append_for(&tx, transaction.transaction_id, &row.record, event)?;
        tx.commit().map_err(|e| db_err(e, "commit insert"))?;
        tracing::debug!(transaction = %transaction.transaction_id, seq = stored.seq, kind = %stored.kind, "transaction inserted");
        Ok(())
    }

    pub(crate) fn update_row(
        &self,
        transaction: &Transaction,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        let row = RowFields::of(transaction)?;
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        let current = stored_record(&tx, &row.id)?
            .ok_or_else(|| StoreError::NotFound(format!("transaction {}", row.id)))?;
        check_rewrite(&decode_record(&row.id, &current)?, transaction)?;
        write_row(&tx, &row)?;
        let stored = append_for(&tx, transaction.transaction_id, &row.record, event)?;
        let queued = if transaction.sync == SyncState::Pending {
            tx.execute(
                "INSERT OR IGNORE INTO outbox (transaction_id, queued_at) VALUES (?1, ?2)",
                params![row.id, now()?],
            )
            .map_err(|e| db_err(e, "queue in outbox"))?
        } else {
            0
        };
        tx.commit().map_err(|e| db_err(e, "commit update"))?;
        tracing::debug!(
            transaction = %transaction.transaction_id,
            seq = stored.seq,
            kind = %stored.kind,
            queued,
            "transaction updated"
        );
        Ok(())
    }

    pub(crate) fn get_row(&self, id: &Uuid) -> Result<Option<Transaction>, StoreError> {
        let mut found = self.query_transactions(
            "SELECT id, record FROM transactions WHERE id = ?1",
            params![id.to_string()],
        )?;
        Ok(found.pop())
    }

    pub(crate) fn list_rows(&self, query: &ListQuery) -> Result<Vec<Transaction>, StoreError> {
        let limit: i64 = if query.limit == 0 {
            -1
        } else {
            i64::try_from(query.limit).unwrap_or(i64::MAX)
        };
        let before = query.created_before.map(timestamp).transpose()?;
        self.query_transactions(
            "SELECT id, record FROM transactions
             WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR created_at < ?2)
             ORDER BY created_at DESC, id DESC
             LIMIT ?3",
            params![query.status.map(Status::as_str), before, limit],
        )
    }

    pub(crate) fn rows_in_progress(&self) -> Result<Vec<Transaction>, StoreError> {
        self.query_transactions(
            "SELECT id, record FROM transactions WHERE status = ?1
             ORDER BY created_at, id",
            params![Status::InProgress.as_str()],
        )
    }

    pub(crate) fn keys_in_use(&self) -> Result<BTreeSet<EvidenceKey>, StoreError> {
        let kept = self.query_transactions(
            "SELECT id, record FROM transactions
             WHERE stage != ?1 AND evidence_purged_at IS NULL",
            params![Stage::Aborted.as_str()],
        )?;
        Ok(kept.iter().flat_map(Transaction::evidence_keys).collect())
    }

    fn query_transactions(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<Transaction>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(sql)
            .map_err(|e| db_err(e, "query transactions"))?;
        let rows = stmt
            .query_map(params, |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })
            .map_err(|e| db_err(e, "query transactions"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, record) = row.map_err(|e| db_err(e, "read transaction"))?;
            out.push(decode_record(&id, &record)?);
        }
        Ok(out)
    }
}

/// The columns of a transactions row.
pub(crate) struct RowFields {
    pub(crate) id: String,
    pub(crate) created_at: String,
    pub(crate) updated_at: String,
    pub(crate) status: &'static str,
    pub(crate) stage: &'static str,
    pub(crate) policy_id: String,
    pub(crate) policy_version: u32,
    pub(crate) evidence_purged_at: Option<String>,
    pub(crate) record: String,
}

impl RowFields {
    pub(crate) fn of(t: &Transaction) -> Result<RowFields, StoreError> {
        Ok(RowFields {
            id: t.transaction_id.to_string(),
            created_at: timestamp(t.created_at)?,
            updated_at: timestamp(t.updated_at)?,
            status: t.status.as_str(),
            stage: t.stage.as_str(),
            policy_id: t.policy.id.clone(),
            policy_version: t.policy.version,
            evidence_purged_at: t.evidence_purged_at.map(timestamp).transpose()?,
            record: serde_json::to_string(t).map_err(|e| {
                StoreError::Other(format!(
                    "cannot encode transaction {}: {}",
                    t.transaction_id,
                    e.classify_name()
                ))
            })?,
        })
    }
}

/// Short name of a serde_json error class (no content).
trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "io",
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Data => "data",
            serde_json::error::Category::Eof => "eof",
        }
    }
}

pub(crate) fn decode_record(id: &str, record: &str) -> Result<Transaction, StoreError> {
    let t: Transaction = serde_json::from_str(record).map_err(|e| {
        StoreError::Corrupt(format!(
            "transaction {id}: record does not decode ({} error at line {} column {})",
            e.classify_name(),
            e.line(),
            e.column()
        ))
    })?;
    if t.transaction_id.to_string() != id {
        return Err(StoreError::Corrupt(format!(
            "transaction {id}: record has another id"
        )));
    }
    Ok(t)
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt("stored id is not a UUID".to_owned()))
}

/// Lowercase hex SHA-256 of a stored record text: the `recordSha256` of the
/// events of its transaction.
pub fn record_sha256(record: &str) -> String {
    hex::encode(Sha256::digest(record.as_bytes()))
}

/// The stored record text of transaction `id`.
pub(crate) fn stored_record(
    tx: &rusqlite::Transaction<'_>,
    id: &str,
) -> Result<Option<String>, StoreError> {
    tx.query_row(
        "SELECT record FROM transactions WHERE id = ?1",
        params![id],
        |row| row.get(0),
    )
    .optional()
    .map_err(|e| db_err(e, "read transaction"))
}

/// Replaces the existing row of `row.id`.
pub(crate) fn write_row(tx: &rusqlite::Transaction<'_>, row: &RowFields) -> Result<(), StoreError> {
    let n = tx
        .execute(
            "UPDATE transactions SET created_at = ?2, updated_at = ?3, status = ?4,
                 stage = ?5, policy_id = ?6, policy_version = ?7,
                 evidence_purged_at = ?8, record = ?9
             WHERE id = ?1",
            params![
                row.id,
                row.created_at,
                row.updated_at,
                row.status,
                row.stage,
                row.policy_id,
                row.policy_version,
                row.evidence_purged_at,
                row.record
            ],
        )
        .map_err(|e| db_err(e, "update transaction"))?;
    if n == 0 {
        return Err(StoreError::NotFound(format!("transaction {}", row.id)));
    }
    Ok(())
}

/// Refuses to clear `evidence_purged_at`, and any change of a final
/// transaction other than `updated_at`, `evidence_purged_at` and `sync`.
fn check_rewrite(stored: &Transaction, next: &Transaction) -> Result<(), StoreError> {
    let id = stored.transaction_id;
    if stored.evidence_purged_at.is_some() && next.evidence_purged_at.is_none() {
        tracing::warn!(transaction = %id, "refused to clear evidence_purged_at");
        return Err(StoreError::Conflict(format!(
            "transaction {id}: its evidence was purged; evidencePurgedAt cannot be cleared"
        )));
    }
    if !stored.stage.is_final() {
        return Ok(());
    }
    let bookkeeping_only = |t: &Transaction| {
        let mut t = t.clone();
        t.updated_at = OffsetDateTime::UNIX_EPOCH;
        t.evidence_purged_at = None;
        t.sync = SyncState::NotRequired;
        t
    };
    // A review settles a REVIEW decision once: status and review change,
    // nothing else.
    let settles_review = stored.status == Status::Review
        && stored.review.is_none()
        && next
            .review
            .as_ref()
            .is_some_and(|r| r.verdict == next.status)
        && matches!(next.status, Status::Approved | Status::Rejected);
    let stored = if settles_review {
        let mut reviewed = stored.clone();
        reviewed.status = next.status;
        reviewed.review.clone_from(&next.review);
        reviewed
    } else {
        stored.clone()
    };
    let stored = &stored;
    if bookkeeping_only(stored) != bookkeeping_only(next) {
        tracing::warn!(transaction = %id, stage = stored.stage.as_str(), "refused to rewrite a final transaction");
        return Err(StoreError::Conflict(format!(
            "transaction {id} is {}; only its sync state and evidence purge can change",
            stored.stage.as_str()
        )));
    }
    Ok(())
}
