//! The append-only, hash-chained `audit_events` table and its head:
//! appending (with the record hash of the transaction), reading and
//! verification (see the crate docs for the encoding and what is caught).

use dayfusion_verify::{AuditEvent, AuditProblem, AuditReport, StoreError, StoredAuditEvent};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::records::{parse_uuid, record_sha256, stored_record};
use crate::{GENESIS_HASH, HASH_DOMAIN, RECORD_SHA256, SqliteLog, begin, db_err, now, to_u64};

impl SqliteLog {
    /// Appends an event not tied to a change of a transaction row
    /// (`audit.verified`, `purge.run`), in its own SQL transaction. With a
    /// `transaction_id`, the event carries the SHA-256 of that transaction's
    /// record (see the crate docs), and `NotFound` is returned when there is
    /// no such transaction.
    pub fn append_event(
        &self,
        transaction_id: Option<Uuid>,
        event: &AuditEvent,
    ) -> Result<StoredAuditEvent, StoreError> {
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        let stored = match transaction_id {
            Some(id) => {
                let record = stored_record(&tx, &id.to_string())?
                    .ok_or_else(|| StoreError::NotFound(format!("transaction {id}")))?;
                append_for(&tx, id, &record, event)?
            }
            None => append(&tx, None, event)?,
        };
        tx.commit().map_err(|e| db_err(e, "commit audit event"))?;
        tracing::debug!(seq = stored.seq, kind = %stored.kind, "audit event appended");
        Ok(stored)
    }

    /// The events of transaction `id`, in order.
    pub(crate) fn transaction_events(
        &self,
        id: &Uuid,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        read_events(&self.lock(), "transaction_id = ?1", params![id.to_string()])
    }

    /// The events about the kiosk rather than a transaction (staff
    /// actions, purges, audit checks), in order.
    pub fn kiosk_events(&self) -> Result<Vec<StoredAuditEvent>, StoreError> {
        read_events(&self.lock(), "transaction_id IS NULL", params![])
    }

    /// The events of kind `first` or `second`, on any transaction or the
    /// kiosk, in order (the legal holds in force: `legal-hold.placed`,
    /// `legal-hold.released`).
    pub fn events_of_kinds(
        &self,
        first: &str,
        second: &str,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        read_events(&self.lock(), "kind IN (?1, ?2)", params![first, second])
    }

    /// When the latest event of `kind` was appended (RFC 3339), on any
    /// transaction or the kiosk; `None` when there is none (the last sync
    /// that brought a transaction to AWS, for the staff home).
    pub fn last_event_at(&self, kind: &str) -> Result<Option<String>, StoreError> {
        self.lock()
            .query_row(
                "SELECT at FROM audit_events WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
                params![kind],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_err(e, "read the latest event"))
    }

    pub(crate) fn verify_chain(&self) -> Result<AuditReport, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(
                "SELECT seq, at, transaction_id, kind, data, prev_hash, hash
                 FROM audit_events ORDER BY seq",
            )
            .map_err(|e| db_err(e, "read audit events"))?;
        let mut rows = stmt.query([]).map_err(|e| db_err(e, "read audit events"))?;
        let mut events: u64 = 0;
        let mut expected_seq: i64 = 1;
        let mut prev_hash = GENESIS_HASH.to_owned();
        let mut last: Option<(i64, String)> = None;
        let mut first_bad = None;
        while let Some(row) = rows.next().map_err(|e| db_err(e, "read audit event"))? {
            let raw = RawEvent::from_row(row).map_err(|e| db_err(e, "read audit event"))?;
            events += 1;
            let problem = if raw.seq != expected_seq {
                Some((to_u64(expected_seq), "sequence-gap"))
            } else if raw.prev_hash != prev_hash {
                Some((to_u64(raw.seq), "previous-hash-mismatch"))
            } else if raw.recompute_hash() != raw.hash {
                Some((to_u64(raw.seq), "hash-mismatch"))
            } else {
                None
            };
            if let Some((seq, problem)) = problem {
                first_bad = Some(AuditProblem {
                    seq,
                    problem: problem.to_owned(),
                });
                last = Some((raw.seq, raw.hash));
                break;
            }
            expected_seq += 1;
            prev_hash.clone_from(&raw.hash);
            last = Some((raw.seq, raw.hash));
        }
        drop(rows);
        drop(stmt);
        if first_bad.is_none() {
            let head: Option<(i64, String)> = conn
                .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .optional()
                .map_err(|e| db_err(e, "read audit head"))?;
            let matches = match (&head, &last) {
                (None, None) => true,
                (Some(h), Some(l)) => h == l,
                _ => false,
            };
            if !matches {
                first_bad = Some(AuditProblem {
                    seq: head.map_or(0, |h| to_u64(h.0)),
                    problem: "head-mismatch".to_owned(),
                });
            } else {
                first_bad = check_records(&conn, last.as_ref().map_or(0, |l| l.0))?;
            }
        }
        match &first_bad {
            Some(p) => {
                tracing::warn!(events, seq = p.seq, problem = %p.problem, "audit chain broken")
            }
            None => tracing::info!(events, "audit chain verified"),
        }
        Ok(AuditReport {
            events,
            head_hash: last.map(|l| l.1),
            first_bad,
        })
    }
}

/// The audit events matching `filter` (an SQL condition over
/// `audit_events`), in order.
pub(crate) fn read_events(
    conn: &Connection,
    filter: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT seq, at, transaction_id, kind, data, prev_hash, hash
             FROM audit_events WHERE {filter} ORDER BY seq"
        ))
        .map_err(|e| db_err(e, "read audit events"))?;
    let rows = stmt
        .query_map(args, RawEvent::from_row)
        .map_err(|e| db_err(e, "read audit events"))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(
            row.map_err(|e| db_err(e, "read audit event"))?
                .into_stored()?,
        );
    }
    Ok(out)
}

/// The hash of one event: hex SHA-256 of the compact JSON array
/// `["dayfusion-audit-v1", seq, at, transaction_id or "", kind, data, prev_hash]`
/// (see the crate documentation). `data` is the compact JSON text as stored.
pub fn event_hash(
    seq: u64,
    at: &str,
    transaction_id: Option<&str>,
    kind: &str,
    data: &str,
    prev_hash: &str,
) -> String {
    let encoded = serde_json::json!([
        HASH_DOMAIN,
        seq,
        at,
        transaction_id.unwrap_or(""),
        kind,
        data,
        prev_hash
    ])
    .to_string();
    hex::encode(Sha256::digest(encoded.as_bytes()))
}

/// An audit row as stored.
struct RawEvent {
    seq: i64,
    at: String,
    transaction_id: Option<String>,
    kind: String,
    data: String,
    prev_hash: String,
    hash: String,
}

impl RawEvent {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
        Ok(RawEvent {
            seq: row.get(0)?,
            at: row.get(1)?,
            transaction_id: row.get(2)?,
            kind: row.get(3)?,
            data: row.get(4)?,
            prev_hash: row.get(5)?,
            hash: row.get(6)?,
        })
    }

    fn recompute_hash(&self) -> String {
        event_hash(
            to_u64(self.seq),
            &self.at,
            self.transaction_id.as_deref(),
            &self.kind,
            &self.data,
            &self.prev_hash,
        )
    }

    fn into_stored(self) -> Result<StoredAuditEvent, StoreError> {
        let data = serde_json::from_str(&self.data).map_err(|_| {
            StoreError::Corrupt(format!("audit event {} has invalid data", self.seq))
        })?;
        let transaction_id = self.transaction_id.as_deref().map(parse_uuid).transpose()?;
        Ok(StoredAuditEvent {
            seq: to_u64(self.seq),
            at: self.at,
            transaction_id,
            kind: self.kind,
            data,
            prev_hash: self.prev_hash,
            hash: self.hash,
        })
    }
}

/// `data` with `"recordSha256": sha256` added (an object) or wrapped as
/// `{"data": data, "recordSha256": sha256}` (anything else).
fn with_record_hash(data: &serde_json::Value, sha256: String) -> serde_json::Value {
    match data {
        serde_json::Value::Object(map) => {
            let mut map = map.clone();
            map.insert(RECORD_SHA256.to_owned(), serde_json::Value::String(sha256));
            serde_json::Value::Object(map)
        }
        other => serde_json::json!({ "data": other, RECORD_SHA256: sha256 }),
    }
}

/// Appends `event` for transaction `id` with `recordSha256` of `record`
/// (the record text as stored after the event) added to its data.
pub(crate) fn append_for(
    tx: &rusqlite::Transaction<'_>,
    id: Uuid,
    record: &str,
    event: &AuditEvent,
) -> Result<StoredAuditEvent, StoreError> {
    let sealed = AuditEvent {
        kind: event.kind.clone(),
        data: with_record_hash(&event.data, record_sha256(record)),
    };
    append(tx, Some(id), &sealed)
}

/// Checks every transaction row against the latest event of its id, and
/// every event's transaction against the table (see the crate docs);
/// `head_seq` is the seq of the last event (0 without events). The problem
/// with the lowest seq, if any.
fn check_records(conn: &Connection, head_seq: i64) -> Result<Option<AuditProblem>, StoreError> {
    let mut worst: Option<(u64, &'static str)> = None;
    let mut consider = |seq: u64, problem: &'static str| {
        if worst.is_none_or(|(w, _)| seq < w) {
            worst = Some((seq, problem));
        }
    };
    let mut stmt = conn
        .prepare(
            "SELECT t.record, e.seq, e.data FROM transactions t
             LEFT JOIN audit_events e ON e.seq =
                 (SELECT MAX(seq) FROM audit_events WHERE transaction_id = t.id)
             ORDER BY t.created_at, t.id",
        )
        .map_err(|e| db_err(e, "read transactions"))?;
    let mut rows = stmt.query([]).map_err(|e| db_err(e, "read transactions"))?;
    while let Some(row) = rows.next().map_err(|e| db_err(e, "read transaction"))? {
        let record: String = row.get(0).map_err(|e| db_err(e, "read transaction"))?;
        let seq: Option<i64> = row.get(1).map_err(|e| db_err(e, "read transaction"))?;
        let data: Option<String> = row.get(2).map_err(|e| db_err(e, "read transaction"))?;
        let (Some(seq), Some(data)) = (seq, data) else {
            consider(to_u64(head_seq).saturating_add(1), "record-without-event");
            continue;
        };
        let sealed = serde_json::from_str::<serde_json::Value>(&data)
            .ok()
            .and_then(|v| v.get(RECORD_SHA256)?.as_str().map(str::to_owned));
        if sealed.as_deref() != Some(record_sha256(&record).as_str()) {
            consider(to_u64(seq), "record-mismatch");
        }
    }
    drop(rows);
    drop(stmt);
    let orphan: Option<i64> = conn
        .query_row(
            "SELECT MIN(seq) FROM audit_events e
             WHERE e.transaction_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = e.transaction_id)",
            [],
            |row| row.get(0),
        )
        .map_err(|e| db_err(e, "read audit events"))?;
    if let Some(seq) = orphan {
        consider(to_u64(seq), "record-missing");
    }
    Ok(worst.map(|(seq, problem)| AuditProblem {
        seq,
        problem: problem.to_owned(),
    }))
}

/// Appends `event` inside `tx`: next seq, chained hash, head updated.
pub(crate) fn append(
    tx: &rusqlite::Transaction<'_>,
    transaction_id: Option<Uuid>,
    event: &AuditEvent,
) -> Result<StoredAuditEvent, StoreError> {
    let head: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()
        .map_err(|e| db_err(e, "read audit head"))?;
    let (last_seq, prev_hash) = head.unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
    let seq = last_seq + 1;
    let at = now()?;
    let id_text = transaction_id.map(|id| id.to_string());
    let data = serde_json::to_string(&event.data)
        .map_err(|e| StoreError::Other(format!("cannot encode audit data: {e}")))?;
    let hash = event_hash(
        to_u64(seq),
        &at,
        id_text.as_deref(),
        &event.kind,
        &data,
        &prev_hash,
    );
    tx.execute(
        "INSERT INTO audit_events (seq, at, transaction_id, kind, data, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![seq, at, id_text, event.kind, data, prev_hash, hash],
    )
    .map_err(|e| db_err(e, "append audit event"))?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![seq, hash],
    )
    .map_err(|e| db_err(e, "update audit head"))?;
    Ok(StoredAuditEvent {
        seq: to_u64(seq),
        at,
        transaction_id,
        kind: event.kind.clone(),
        data: event.data.clone(),
        prev_hash,
        hash,
    })
}
