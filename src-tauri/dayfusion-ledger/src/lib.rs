//! Local transaction log of the kiosk: one SQLite file, in WAL mode, that
//! implements [`dayfusion_verify::TransactionLog`] as [`SqliteLog`].
//!
//! # Tables (schema v1)
//!
//! - `transactions`: one row per verification. The whole
//!   [`Transaction`] is kept as JSON in `record`; `created_at`,
//!   `updated_at`, `status`, `stage`, `policy_id`, `policy_version` and
//!   `evidence_purged_at` are copies of its fields for queries.
//! - `audit_events`: the append-only, hash-chained audit trail (see below).
//!   Triggers refuse `UPDATE` and `DELETE` on it.
//! - `audit_head`: one row (`id = 1`) with the seq and hash of the last
//!   event, updated in the same SQL transaction as every append.
//! - `policies`: every policy version the kiosk has used, as canonical JSON
//!   with its SHA-256 (a policy changed without a new version is refused).
//! - `outbox`: the final transactions that still have to reach AWS.
//!
//! The schema is built by hand-written, ordered migrations, each applied in
//! one SQL transaction and tracked by `PRAGMA user_version`; a database newer
//! than this code is refused.
//!
//! # The audit chain
//!
//! Every event gets `seq` = previous + 1 (1 for the first), `at` (RFC 3339,
//! UTC), and `prev_hash` = the previous event's hash (64 `0`s for the first).
//! Its `hash` is the lowercase hex SHA-256 of the compact JSON array
//!
//! ```text
//! ["dayfusion-audit-v1", seq, at, transaction_id or "", kind, data, prev_hash]
//! ```
//!
//! serialised with `serde_json`, where `seq` is a JSON number and every other
//! element a JSON string; `data` is the event's data as compact JSON *text*
//! (a string inside the array), stored in the table exactly as hashed. JSON
//! string escaping makes the encoding unambiguous: no two different field
//! tuples give the same bytes. Verification re-hashes the stored text; it
//! never re-serialises the data.
//!
//! [`SqliteLog::verify_audit`] walks the events in `seq` order and detects:
//!
//! - an edited event (its hash no longer matches: `hash-mismatch`);
//! - an edited event whose hash was recomputed (the next event's
//!   `prev_hash` no longer matches: `previous-hash-mismatch`);
//! - a deleted event (`sequence-gap` at the missing seq) and deleted last
//!   events (the head row no longer matches the last event:
//!   `head-mismatch`);
//! - reordered events (swapped contents break their hashes, renumbered rows
//!   break the `prev_hash` links).
//!
//! It stops at the first bad event; the report's `events` then counts the
//! events read up to and including it, and `head_hash` is that event's
//! stored hash. On an intact chain `events` is the number of events and
//! `head_hash` the last event's hash.
//!
//! # The chain covers the records
//!
//! Every event appended for a transaction (by [`SqliteLog::insert`],
//! [`SqliteLog::update`], [`SqliteLog::mark_synced`],
//! [`SqliteLog::record_sync_failure`] and [`SqliteLog::append_event`] with an
//! id) carries in its data the key `"recordSha256"`: the lowercase hex
//! SHA-256 of the exact JSON text stored in `transactions.record` *after*
//! the event (see [`record_sha256`]). It is added to the caller's data
//! object before hashing (replacing a caller's own `recordSha256`); data
//! that is not an object is wrapped as `{"data": …, "recordSha256": …}`.
//! So the latest event of every transaction seals its current record.
//!
//! Once the chain itself is intact, verification checks every row of
//! `transactions` against the latest event (highest `seq`) of its id, and
//! every event's transaction against the table:
//!
//! - `record-mismatch`: the latest event's `recordSha256` is missing or
//!   differs from the SHA-256 of the stored record (an edited row, or a
//!   chain whose tail was cut off with a matching head update, leaving rows
//!   newer than their last event); `seq` is that event's.
//! - `record-without-event`: a transaction row with no event at all (an
//!   empty chain while `transactions` has rows, or the events of a
//!   transaction cut off); `seq` is the one expected next, head seq + 1
//!   (1 on an empty chain), as no event exists to name.
//! - `record-missing`: an event names a transaction that has no row (a
//!   deleted row); `seq` is the first such event's.
//!
//! When several rows are wrong, the problem with the lowest `seq` is
//! reported. These problems leave `events` and `head_hash` as for an
//! intact chain.
//!
//! Logs written before record hashes existed report `record-mismatch`.
//!
//! # Final transactions
//!
//! A transaction whose stored stage is final (decided, aborted) is only
//! rewritten for bookkeeping: [`SqliteLog::update`] accepts a record that
//! differs from the stored one in `updatedAt`, `evidencePurgedAt` and
//! `sync` only, and refuses anything else with [`StoreError::Conflict`].
//! `evidencePurgedAt` is never cleared once set, whatever the stage.
//!
//! Its limit: someone with write access to the file who rewrites the whole
//! chain from some event onwards, recomputing every later hash and the
//! record hashes in it, *and* the head row, produces a chain that verifies. That is only caught by
//! comparing the head hash with one exported earlier (synced to AWS, printed
//! in a report). The triggers only stop accidents and honest code: anyone
//! can drop them.
//!
//! # Durability
//!
//! The file is opened with `journal_mode=WAL` (readers do not block the
//! writer), `synchronous=FULL` (a committed transaction survives a power
//! cut), `foreign_keys=ON` and a 5 s busy timeout. Each change of a
//! transaction and its audit event are one SQL transaction. The files are
//! made readable by their owner only (0600) on unix.
//!
//! [`SqliteLog::open_read_only`] also works where the folder cannot be
//! written: when SQLite cannot create the WAL index (`-shm`) there, it opens
//! the file again as an immutable, read-only URI
//! (`file:…?mode=ro&immutable=1`). That ignores any `-wal` file, so it is
//! refused when a non-empty one exists (the log was not closed cleanly).
//!
//! # Privacy
//!
//! Logging (tracing) carries counts, ids and codes only, never the contents
//! of a transaction or an event.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use dayfusion_verify::{
    AuditEvent, AuditProblem, AuditReport, EvidenceKey, ListQuery, OutboxEntry, Policy, Stage,
    Status, StoreError, StoredAuditEvent, SyncState, Transaction, TransactionLog,
};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The first element of every hashed array: names the encoding.
pub const HASH_DOMAIN: &str = "dayfusion-audit-v1";

/// Kind of the event appended when a policy version is first recorded.
pub const POLICY_REGISTERED: &str = "policy.registered";

/// Kind of the event appended by [`SqliteLog::mark_synced`].
pub const SYNC_COMPLETED: &str = "sync.completed";

/// Kind of the event appended by [`SqliteLog::record_sync_failure`].
pub const SYNC_FAILED: &str = "sync.failed";

/// Key, in the data of every event of a transaction, of the SHA-256 of the
/// transaction's stored record after the event.
pub const RECORD_SHA256: &str = "recordSha256";

/// The migrations, in order: migration `i` (0-based) brings the schema to
/// version `i + 1`. Never edit a shipped one; append a new one.
const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE transactions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        status TEXT NOT NULL,
        stage TEXT NOT NULL,
        policy_id TEXT NOT NULL,
        policy_version INTEGER NOT NULL,
        evidence_purged_at TEXT,
        record TEXT NOT NULL
    );
    CREATE INDEX transactions_created_at ON transactions(created_at);
    CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        transaction_id TEXT,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_events_transaction ON audit_events(transaction_id);
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
    CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TABLE policies (
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        first_used_at TEXT NOT NULL,
        PRIMARY KEY (id, version)
    );
    CREATE TABLE outbox (
        transaction_id TEXT PRIMARY KEY REFERENCES transactions(id),
        queued_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    );",
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Timestamps in the tables: RFC 3339, UTC, always nine fraction digits, so
/// that text order is time order.
const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z"
);

/// The transaction log in one SQLite file. `Send + Sync`: the connection is
/// behind a mutex, so calls from several threads are serialised.
pub struct SqliteLog {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteLog")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteLog {
    /// Opens (creating it and its folder when missing) the log at `path`
    /// for reading and writing, and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteLog, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::from_io(&e, "cannot create the log folder"))?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_err(e, "cannot open the transaction log"))?;
        restrict_permissions(path)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| db_err(e, "busy_timeout"))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(|e| db_err(e, "journal_mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!(
                "the transaction log cannot use WAL (journal_mode is {mode})"
            )));
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(|e| db_err(e, "synchronous"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| db_err(e, "foreign_keys"))?;
        let mut conn = conn;
        migrate(&mut conn)?;
        restrict_permissions(path)?;
        tracing::debug!(schema = SCHEMA_VERSION, "transaction log open");
        Ok(SqliteLog {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// Opens an existing log for reading only (`transactions list`,
    /// `audit verify`); `NotFound` when there is no file. Writes through it
    /// fail with `NotWritable`. Works in a folder that cannot be written
    /// (see the crate docs on durability).
    pub fn open_read_only(path: &Path) -> Result<SqliteLog, StoreError> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!(
                "no transaction log at {}",
                path.display()
            )));
        }
        let conn = match open_read_only_conn(path) {
            Ok(conn) => conn,
            Err(e) if is_read_only_failure(&e) => {
                tracing::debug!(
                    "transaction log folder not writable; opening the log as immutable"
                );
                open_immutable(path)?
            }
            Err(e) => return Err(db_err(e, "cannot open the transaction log")),
        };
        let version = user_version(&conn)?;
        if version > SCHEMA_VERSION {
            return Err(too_new(version));
        }
        if version < SCHEMA_VERSION {
            return Err(StoreError::Other(format!(
                "database schema v{version} is older than this kiosk (v{SCHEMA_VERSION}); \
                 open it once for writing to migrate it"
            )));
        }
        Ok(SqliteLog {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// The file of the log.
    pub fn path(&self) -> &Path {
        &self.path
    }

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

    /// The events about the kiosk rather than a transaction (staff
    /// actions, purges, audit checks), in order.
    pub fn kiosk_events(&self) -> Result<Vec<StoredAuditEvent>, StoreError> {
        read_events(&self.lock(), "transaction_id IS NULL", params![])
    }

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

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        user_version(&self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no SQL transaction open
        // (rusqlite rolls back on drop), so the connection stays usable.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

impl TransactionLog for SqliteLog {
    fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.append_event(None, event).map(|_| ())
    }

    fn register_policy(&self, policy: &Policy) -> Result<(), StoreError> {
        let definition = serde_json::to_string(policy)
            .map_err(|e| StoreError::Other(format!("cannot encode policy: {e}")))?;
        let sha256 = hex::encode(Sha256::digest(definition.as_bytes()));
        let mut conn = self.lock();
        let tx = begin(&mut conn)?;
        let known: Option<String> = tx
            .query_row(
                "SELECT sha256 FROM policies WHERE id = ?1 AND version = ?2",
                params![policy.id, policy.version],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| db_err(e, "read policy"))?;
        match known {
            Some(known) if known == sha256 => return Ok(()),
            Some(_) => {
                tracing::warn!(policy = %policy.id, version = policy.version, "policy changed without a new version");
                return Err(StoreError::PolicyConflict {
                    id: policy.id.clone(),
                    version: policy.version,
                });
            }
            None => {}
        }
        tx.execute(
            "INSERT INTO policies (id, version, definition, sha256, first_used_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![policy.id, policy.version, definition, sha256, now()?],
        )
        .map_err(|e| db_err(e, "insert policy"))?;
        let event = AuditEvent {
            kind: POLICY_REGISTERED.to_owned(),
            data: serde_json::json!({
                "id": policy.id,
                "version": policy.version,
                "sha256": sha256,
            }),
        };
        append(&tx, None, &event)?;
        tx.commit().map_err(|e| db_err(e, "commit policy"))?;
        tracing::info!(policy = %policy.id, version = policy.version, "policy registered");
        Ok(())
    }

    fn insert(&self, transaction: &Transaction, event: &AuditEvent) -> Result<(), StoreError> {
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

    fn update(&self, transaction: &Transaction, event: &AuditEvent) -> Result<(), StoreError> {
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

    fn get(&self, id: &Uuid) -> Result<Option<Transaction>, StoreError> {
        let mut found = self.query_transactions(
            "SELECT id, record FROM transactions WHERE id = ?1",
            params![id.to_string()],
        )?;
        Ok(found.pop())
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<Transaction>, StoreError> {
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

    fn in_progress(&self) -> Result<Vec<Transaction>, StoreError> {
        self.query_transactions(
            "SELECT id, record FROM transactions WHERE status = ?1
             ORDER BY created_at, id",
            params![Status::InProgress.as_str()],
        )
    }

    fn evidence_in_use(&self) -> Result<BTreeSet<EvidenceKey>, StoreError> {
        let kept = self.query_transactions(
            "SELECT id, record FROM transactions
             WHERE stage != ?1 AND evidence_purged_at IS NULL",
            params![Stage::Aborted.as_str()],
        )?;
        Ok(kept.iter().flat_map(Transaction::evidence_keys).collect())
    }

    fn verify_audit(&self) -> Result<AuditReport, StoreError> {
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

    fn audit_events(&self, id: &Uuid) -> Result<Vec<StoredAuditEvent>, StoreError> {
        read_events(&self.lock(), "transaction_id = ?1", params![id.to_string()])
    }

    fn outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
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

/// The audit events matching `filter` (an SQL condition over
/// `audit_events`), in order.
fn read_events(
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

/// The columns of a transactions row.
struct RowFields {
    id: String,
    created_at: String,
    updated_at: String,
    status: &'static str,
    stage: &'static str,
    policy_id: String,
    policy_version: u32,
    evidence_purged_at: Option<String>,
    record: String,
}

impl RowFields {
    fn of(t: &Transaction) -> Result<RowFields, StoreError> {
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

fn decode_record(id: &str, record: &str) -> Result<Transaction, StoreError> {
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

fn parse_uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Corrupt("stored id is not a UUID".to_owned()))
}

/// Lowercase hex SHA-256 of a stored record text: the `recordSha256` of the
/// events of its transaction.
pub fn record_sha256(record: &str) -> String {
    hex::encode(Sha256::digest(record.as_bytes()))
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

/// The stored record text of transaction `id`.
fn stored_record(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<Option<String>, StoreError> {
    tx.query_row(
        "SELECT record FROM transactions WHERE id = ?1",
        params![id],
        |row| row.get(0),
    )
    .optional()
    .map_err(|e| db_err(e, "read transaction"))
}

/// Replaces the existing row of `row.id`.
fn write_row(tx: &rusqlite::Transaction<'_>, row: &RowFields) -> Result<(), StoreError> {
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

/// Appends `event` for transaction `id` with `recordSha256` of `record`
/// (the record text as stored after the event) added to its data.
fn append_for(
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
fn append(
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

/// A stored seq as the port's `u64` (negative values, only possible by
/// tampering, read as 0).
fn to_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

fn begin(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, StoreError> {
    conn.transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db_err(e, "begin transaction"))
}

/// Opens `path` read-only and reads from it once (which opens, or has to
/// create, the WAL index).
fn open_read_only_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })?;
    Ok(conn)
}

/// Whether a read-only open failed because the folder cannot be written.
fn is_read_only_failure(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(e.code, ErrorCode::ReadOnly | ErrorCode::CannotOpen)
    )
}

/// Opens `path` as an immutable, read-only URI (no `-shm`, no locks, the
/// `-wal` ignored); refused when a non-empty `-wal` exists.
fn open_immutable(path: &Path) -> Result<Connection, StoreError> {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(PathBuf::from(wal)).is_ok_and(|m| m.len() > 0) {
        return Err(StoreError::NotWritable(
            "the transaction log was not closed cleanly and its folder cannot be written; \
             open it once with write access"
                .to_owned(),
        ));
    }
    let uri = immutable_uri(path)?;
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| db_err(e, "cannot open the transaction log (immutable)"))?;
    conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_err(|e| db_err(e, "cannot read the transaction log (immutable)"))?;
    Ok(conn)
}

/// `file:<absolute path, percent-encoded>?mode=ro&immutable=1`.
fn immutable_uri(path: &Path) -> Result<String, StoreError> {
    use std::fmt::Write as _;
    let absolute = std::fs::canonicalize(path)
        .map_err(|e| StoreError::from_io(&e, "cannot resolve the transaction log's path"))?;
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        absolute.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = {
        let text = absolute.to_str().ok_or_else(|| {
            StoreError::Other("the transaction log's path is not valid Unicode".to_owned())
        })?;
        let text = text
            .strip_prefix(r"\\?\")
            .unwrap_or(text)
            .replace('\\', "/");
        let text = if text.starts_with('/') {
            text
        } else {
            format!("/{text}")
        };
        text.into_bytes()
    };
    let mut uri = String::from("file:");
    for byte in bytes {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            let _ = write!(uri, "%{byte:02X}");
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    Ok(uri)
}

fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| db_err(e, "read schema version"))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("invalid schema version {v}")))
}

fn too_new(version: u32) -> StoreError {
    StoreError::Other(format!(
        "database schema v{version} is newer than this kiosk (v{SCHEMA_VERSION})"
    ))
}

/// Applies the missing migrations, one SQL transaction each.
fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current = user_version(conn)?;
    if current > SCHEMA_VERSION {
        return Err(too_new(current));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate() {
        let target = index as u32 + 1;
        let tx = begin(conn)?;
        // Re-read inside the write lock: another process may have migrated.
        let now_at = user_version(&tx)?;
        if now_at > SCHEMA_VERSION {
            return Err(too_new(now_at));
        }
        if now_at >= target {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(|e| db_err(e, "apply migration"))?;
        tx.pragma_update(None, "user_version", target)
            .map_err(|e| db_err(e, "set schema version"))?;
        tx.commit().map_err(|e| db_err(e, "commit migration"))?;
        tracing::info!(schema = target, "transaction log migrated");
    }
    Ok(())
}

fn timestamp(at: OffsetDateTime) -> Result<String, StoreError> {
    at.to_offset(UtcOffset::UTC)
        .format(TIMESTAMP)
        .map_err(|e| StoreError::Other(format!("cannot format a timestamp: {e}")))
}

fn now() -> Result<String, StoreError> {
    timestamp(OffsetDateTime::now_utc())
}

/// Maps a SQLite error to the port's error, keeping disk-full, read-only
/// and corruption apart. `context` is a fixed phrase, never data.
fn db_err(error: rusqlite::Error, context: &str) -> StoreError {
    let detail = format!("{context}: {error}");
    match &error {
        rusqlite::Error::SqliteFailure(e, _) => match e.code {
            ErrorCode::DiskFull => StoreError::StorageFull(detail),
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                StoreError::NotWritable(detail)
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                StoreError::Other(format!("{detail} (the database is busy)"))
            }
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => StoreError::Corrupt(detail),
            _ => StoreError::Other(detail),
        },
        _ => StoreError::Other(detail),
    }
}

/// Makes the database and its WAL files readable by the owner only.
#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mut files = vec![path.to_owned()];
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    for (i, file) in files.iter().enumerate() {
        match std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)) {
            Ok(()) => {}
            // The WAL files may not exist yet.
            Err(e) if i > 0 && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(StoreError::from_io(
                    &e,
                    "cannot restrict the log's permissions",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}
