//! The `outbox`: final transactions whose current record still has to
//! reach AWS, and what a sync records about each (`sync.completed`,
//! `sync.failed`).

use dayfusion_verify::{AuditEvent, OutboxEntry, StoreError, SyncState};
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::append_for;
use crate::records::{RowFields, decode_record, parse_uuid, stored_record, write_row};
use crate::{SYNC_COMPLETED, SYNC_FAILED, SqliteLog, begin, db_err};

impl SqliteLog {
    /// Records that `id` reached AWS, in one SQL transaction: its record's
    /// `sync` becomes [`SyncState::Synced`] (and `updatedAt` now), its
    /// outbox entry is removed and a [`SYNC_COMPLETED`] event
    /// (`{"attempts": failed attempts before}`) is appended. `false`, with
    /// nothing changed, when it was not queued.
    pub fn mark_synced(&self, id: &Uuid) -> Result<bool, StoreError> {
        let id_text = id.to_string();
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        let attempts: Option<u32> = tx
            .query_row(
                "SELECT attempts FROM outbox WHERE transaction_id = ?1",
                params![id_text],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_err(e, "read outbox entry"))?;
        let Some(attempts) = attempts else {
            tracing::debug!(transaction = %id, "mark synced: not queued");
            return Ok(false);
        };
        let record = stored_record(&tx, &id_text)?
            .ok_or_else(|| StoreError::Corrupt(format!("outbox entry {id} has no transaction")))?;
        let mut transaction = decode_record(&id_text, &record)?;
        transaction.sync = SyncState::Synced;
        transaction.updated_at = OffsetDateTime::now_utc();
        let row = RowFields::of(&transaction)?;
        write_row(&tx, &row)?;
        tx.execute(
            "DELETE FROM outbox WHERE transaction_id = ?1",
            params![id_text],
        )
        .map_err(|e| db_err(e, "mark synced"))?;
        let event = AuditEvent {
            kind: SYNC_COMPLETED.to_owned(),
            data: serde_json::json!({ "attempts": attempts }),
        };
        let stored = append_for(&tx, *id, &row.record, &event)?;
        tx.commit().map_err(|e| db_err(e, "commit mark synced"))?;
        tracing::debug!(transaction = %id, seq = stored.seq, "outbox entry synced");
        Ok(true)
    }

    /// Records a failed sync attempt of `id` with its error `code` and
    /// appends a [`SYNC_FAILED`] event (`{"code", "attempts"}`), in one SQL
    /// transaction; `NotFound` when it is not queued.
    pub fn record_sync_failure(&self, id: &Uuid, code: &str) -> Result<(), StoreError> {
        let id_text = id.to_string();
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        let n = tx
            .execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?2
                 WHERE transaction_id = ?1",
                params![id_text, code],
            )
            .map_err(|e| db_err(e, "record sync failure"))?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("outbox entry {id}")));
        }
        let attempts: u32 = tx
            .query_row(
                "SELECT attempts FROM outbox WHERE transaction_id = ?1",
                params![id_text],
                |row| row.get(0),
            )
            .map_err(|e| db_err(e, "read outbox entry"))?;
        let record = stored_record(&tx, &id_text)?
            .ok_or_else(|| StoreError::Corrupt(format!("outbox entry {id} has no transaction")))?;
        let event = AuditEvent {
            kind: SYNC_FAILED.to_owned(),
            data: serde_json::json!({ "code": code, "attempts": attempts }),
        };
        let stored = append_for(&tx, *id, &record, &event)?;
        tx.commit().map_err(|e| db_err(e, "commit sync failure"))?;
        tracing::debug!(transaction = %id, code, seq = stored.seq, "sync attempt failed");
        Ok(())
    }

    pub(crate) fn outbox_entries(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit: i64 = if limit == 0 {
            -1
        } else {
            i64::try_from(limit).unwrap_or(i64::MAX)
        };
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT transaction_id, queued_at, attempts, last_error FROM outbox
                 ORDER BY queued_at, transaction_id LIMIT ?1",
            )
            .map_err(|e| db_err(e, "read outbox"))?;
        let rows = stmt
            .query_map(params![limit], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, u32>(2)?,
                    row.get::<_, Option<String>>(3)?,
                ))
            })
            .map_err(|e| db_err(e, "read outbox"))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, queued_at, attempts, last_error) =
                row.map_err(|e| db_err(e, "read outbox entry"))?;
            out.push(OutboxEntry {
                transaction_id: parse_uuid(&id)?,
                queued_at,
                attempts,
                last_error,
            });
        }
        Ok(out)
    }
}
