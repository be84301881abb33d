//! The `outbox`: final transactions whose current record still has to
//! reach AWS, and what a sync records about each (`sync.completed`,
//! `sync.failed`).

use dayfusion_verify::{AuditEvent, OutboxEntry, StoreError, SyncState};
use rusqlite::{OptionalExtension, params};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::audit::append_for;
use crate::records::{
    RowFields, decode_record, parse_uuid, record_sha256, stored_record, write_row,
};
use crate::{SYNC_COMPLETED, SYNC_FAILED, SqliteLog, begin, db_err, now};

/// Key, in the data of a [`SYNC_COMPLETED`] event, of the SHA-256 of the
/// record DynamoDB then held (`RecordSha256` of the item).
pub const REMOTE_RECORD_SHA256: &str = "remoteRecordSha256";

/// Kind of the event when a local transaction is queued for AWS.
pub const SYNC_QUEUED: &str = "sync.queued";

/// Kind of the event when a queued transaction that never reached AWS is
/// kept local (the kiosk lost its AWS settings).
pub const SYNC_DEQUEUED: &str = "sync.dequeued";

/// The `kiosk_state` key of [`SqliteLog::set_aws_outbox`].
const AWS_OUTBOX_KEY: &str = "aws-outbox";

/// What a sync sent for one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReceipt {
    /// SHA-256 of the record DynamoDB now holds.
    pub record_sha256: String,
    /// Evidence objects written to S3.
    pub s3_objects_uploaded: usize,
    /// Evidence objects deleted from S3 (a purged transaction).
    pub s3_objects_deleted: usize,
}

/// What [`SqliteLog::mark_synced`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMark {
    /// Synced and out of the outbox.
    Synced,
    /// Sent, but the record changed meanwhile: still queued.
    ChangedMeanwhile,
    /// It was not queued.
    NotQueued,
}

/// What DynamoDB holds for a transaction, as the log knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteRecord {
    /// Never synced: the item is to be put.
    Never,
    /// Synced; the item's `RecordSha256` is this.
    Known(String),
    /// Synced before record hashes were kept in the events.
    Unknown,
}

impl SqliteLog {
    /// Records that `id`'s record as described by `receipt` reached AWS, in
    /// one SQL transaction, with a [`SYNC_COMPLETED`] event
    /// (`{"attempts", "remoteRecordSha256", "s3ObjectsUploaded",
    /// "s3ObjectsDeleted"}`). When the stored record is still the one sent,
    /// its `sync` becomes [`SyncState::Synced`] (and `updatedAt` now) and
    /// the outbox entry is removed ([`SyncMark::Synced`]); when it changed
    /// meanwhile (a review or a purge while the sync ran), the entry stays
    /// for the next run, which updates the item from the hash recorded here
    /// ([`SyncMark::ChangedMeanwhile`]). [`SyncMark::NotQueued`], with
    /// nothing changed, when it was not queued.
    pub fn mark_synced(&self, id: &Uuid, receipt: &SyncReceipt) -> Result<SyncMark, StoreError> {
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
            return Ok(SyncMark::NotQueued);
        };
        let record = stored_record(&tx, &id_text)?
            .ok_or_else(|| StoreError::Corrupt(format!("outbox entry {id} has no transaction")))?;
        let event = AuditEvent {
            kind: SYNC_COMPLETED.to_owned(),
            data: serde_json::json!({
                "attempts": attempts,
                REMOTE_RECORD_SHA256: receipt.record_sha256,
                "s3ObjectsUploaded": receipt.s3_objects_uploaded,
                "s3ObjectsDeleted": receipt.s3_objects_deleted,
            }),
        };
        let (mark, sealed) = if record_sha256(&record) == receipt.record_sha256 {
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
            (SyncMark::Synced, row.record)
        } else {
            tx.execute(
                "UPDATE outbox SET attempts = 0, last_error = NULL WHERE transaction_id = ?1",
                params![id_text],
            )
            .map_err(|e| db_err(e, "mark synced"))?;
            (SyncMark::ChangedMeanwhile, record)
        };
        let stored = append_for(&tx, *id, &sealed, &event)?;
        tx.commit().map_err(|e| db_err(e, "commit mark synced"))?;
        tracing::debug!(transaction = %id, seq = stored.seq, ?mark, "outbox entry synced");
        Ok(mark)
    }

    /// What DynamoDB holds for transaction `id`, as far as this log knows:
    /// the `remoteRecordSha256` of its latest [`SYNC_COMPLETED`] event.
    pub fn remote_record(&self, id: &Uuid) -> Result<RemoteRecord, StoreError> {
        let events = self.transaction_events(id)?;
        let Some(latest) = events.iter().rev().find(|e| e.kind == SYNC_COMPLETED) else {
            return Ok(RemoteRecord::Never);
        };
        Ok(
            match latest
                .data
                .get(REMOTE_RECORD_SHA256)
                .and_then(serde_json::Value::as_str)
            {
                Some(sha) => RemoteRecord::Known(sha.to_owned()),
                None => RemoteRecord::Unknown,
            },
        )
    }

    /// Whether final transactions are queued for AWS (see
    /// [`SqliteLog::set_aws_outbox`]); off on a new log.
    pub fn aws_outbox(&self) -> Result<bool, StoreError> {
        let conn = self.lock();
        let value: Option<String> = conn
            .query_row(
                "SELECT value FROM kiosk_state WHERE key = ?1",
                params![AWS_OUTBOX_KEY],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_err(e, "read kiosk state"))?;
        Ok(value.as_deref() == Some("on"))
    }

    /// Says whether this kiosk has AWS settings, so whether final
    /// transactions go to the outbox. Turning it on queues every
    /// [`SyncState::Local`] final transaction (`sync.queued` event);
    /// turning it off takes back to `Local` the queued embedded ones that
    /// never reached AWS (`sync.dequeued` event), so an embedded-only
    /// kiosk's purge can delete them (an AWS transaction's evidence is in
    /// S3 already: it stays queued, for its record and its erase). Both in
    /// one SQL transaction; returns how many transactions moved. Records
    /// already in AWS stay queued for their updates.
    pub fn set_aws_outbox(&self, on: bool) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        tx.execute(
            "INSERT INTO kiosk_state (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![AWS_OUTBOX_KEY, if on { "on" } else { "off" }],
        )
        .map_err(|e| db_err(e, "write kiosk state"))?;
        let (from, sql) = if on {
            (
                "local",
                "SELECT id, record FROM transactions
                 WHERE json_extract(record, '$.sync') = 'local' ORDER BY created_at, id",
            )
        } else {
            (
                "pending",
                "SELECT t.id, t.record FROM transactions t JOIN outbox o ON o.transaction_id = t.id
                 WHERE NOT EXISTS (SELECT 1 FROM audit_events e
                                   WHERE e.transaction_id = t.id AND e.kind = 'sync.completed')
                   AND json_extract(t.record, '$.backend') <> 'aws'
                 ORDER BY t.created_at, t.id",
            )
        };
        let rows: Vec<(String, String)> = {
            let mut stmt = tx
                .prepare(sql)
                .map_err(|e| db_err(e, "read transactions"))?;
            let mapped = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .map_err(|e| db_err(e, "read transactions"))?;
            mapped
                .collect::<Result<_, _>>()
                .map_err(|e| db_err(e, "read transaction"))?
        };
        for (id_text, record) in &rows {
            let mut transaction = decode_record(id_text, record)?;
            if !transaction.stage.is_final() {
                continue;
            }
            transaction.sync = if on {
                SyncState::Pending
            } else {
                SyncState::Local
            };
            let row = RowFields::of(&transaction)?;
            write_row(&tx, &row)?;
            if on {
                tx.execute(
                    "INSERT OR IGNORE INTO outbox (transaction_id, queued_at) VALUES (?1, ?2)",
                    params![id_text, now()?],
                )
            } else {
                tx.execute(
                    "DELETE FROM outbox WHERE transaction_id = ?1",
                    params![id_text],
                )
            }
            .map_err(|e| db_err(e, "move outbox entry"))?;
            let event = AuditEvent {
                kind: if on { SYNC_QUEUED } else { SYNC_DEQUEUED }.to_owned(),
                data: serde_json::json!({ "from": from }),
            };
            append_for(&tx, transaction.transaction_id, &row.record, &event)?;
        }
        tx.commit().map_err(|e| db_err(e, "commit kiosk state"))?;
        if !rows.is_empty() {
            tracing::info!(on, moved = rows.len(), "AWS outbox switched");
        }
        Ok(rows.len())
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
