//! Local transaction log of the kiosk: one SQLite file, in WAL mode, that
//! implements [`dayfusion_verify::TransactionLog`] as [`SqliteLog`].
//!
//! # Tables (schema v2)
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
//! - `outbox`: the final transactions whose current record still has to
//!   reach AWS (first put, or a later review or purge).
//! - `kiosk_state` (v2): facts every connection must agree on; today
//!   `aws-outbox` (`on` when the kiosk has AWS settings; see
//!   [`SqliteLog::set_aws_outbox`]) and the schema compatibility keys (see
//!   below).
//!
//! # How DynamoDB's item follows the local record
//!
//! The item's `RecordSha256` is always the `recordSha256` of some event of
//! the local chain: the record as it stood when a sync sent it. The
//! `sync.completed` event that follows names it (`remoteRecordSha256`).
//! A later change of the final transaction (review, purge) re-queues it;
//! the next sync sends an `UpdateItem` conditioned on that previous hash
//! and replacing it with the new record's, so the item's history is a
//! walk along the local chain and a diverging item is `sync-conflict`.
//!
//! The schema is built by hand-written, ordered migrations, each applied in
//! one SQL transaction and tracked by `PRAGMA user_version`.
//!
//! # Upgrades and rollback
//!
//! Every migration declares the oldest schema version whose code can still
//! read *and* write the database after it: an additive one (a new table, a
//! nullable column, an index) keeps the previous value, anything older code
//! would misread raises it to its own version. Each migration stores that
//! value in `kiosk_state` ([`OLDEST_COMPATIBLE_KEY`], with the kiosk version
//! that migrated in [`MIGRATED_BY_KEY`]). Opening a database:
//!
//! - older than this code, with data: a copy is first written next to it,
//!   `<file>.v<old schema>.<UTC time>.bak` (owner-only, a consistent
//!   snapshot by `VACUUM INTO`; the newest [`KEPT_BACKUPS`] are kept, see
//!   [`migration_backups`]); if the copy cannot be written (a full disk)
//!   the open fails and nothing is migrated. Then it is migrated;
//! - newer than this code: opened as it is, never migrated or marked, when
//!   its oldest compatible version is at most [`SCHEMA_VERSION`] (so a
//!   package rolled back to an older release keeps working on the same
//!   file); otherwise refused with an error naming the schema and kiosk
//!   version needed, leaving the file untouched. The read-only and
//!   immutable opens follow the same rule.
//!
//! Every released version ships a dump of a log as it writes it
//! (`tests/releases/<version>.sql`); `tests/releases.rs` opens each with
//! the current code, so a migration that breaks old data fails the tests.
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
//! `sync` only (or settles a REVIEW decision once), and refuses anything
//! else with [`StoreError::Conflict`].
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

mod audit;
mod backup;
mod migrate;
mod outbox;
mod policies;
mod records;
mod schema;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use dayfusion_verify::{
    AuditEvent, AuditReport, EvidenceKey, ListQuery, OutboxEntry, Policy, StoreError,
    StoredAuditEvent, Transaction, TransactionLog,
};
use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

pub use audit::event_hash;
pub use backup::{KEPT_BACKUPS, migration_backups};
pub use migrate::{KIOSK_VERSION, MIGRATED_BY_KEY, OLDEST_COMPATIBLE_KEY};
pub use outbox::{
    REMOTE_RECORD_SHA256, RemoteRecord, SYNC_DEQUEUED, SYNC_QUEUED, SyncMark, SyncReceipt,
};
pub use records::record_sha256;
pub use schema::{OLDEST_COMPATIBLE_SCHEMA, SCHEMA_VERSION};

/// `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The first element of every hashed array: names the encoding.
pub const HASH_DOMAIN: &str = "dayfusion-audit-v1";

/// Kind of the event appended when a policy version is first recorded.
pub const POLICY_REGISTERED: &str = "policy.registered";

/// Kinds of the events appended by [`SqliteLog::mark_synced`] and
/// [`SqliteLog::record_sync_failure`].
pub use dayfusion_verify::{SYNC_COMPLETED, SYNC_FAILED};

/// Key, in the data of every event of a transaction, of the SHA-256 of the
/// transaction's stored record after the event.
pub const RECORD_SHA256: &str = "recordSha256";

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
    /// The file of the log.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no SQL transaction open
        // (rusqlite rolls back on drop), so the connection stays usable.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl TransactionLog for SqliteLog {
    fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.append_event(None, event).map(|_| ())
    }

    fn register_policy(&self, policy: &Policy) -> Result<(), StoreError> {
        self.register_policy_version(policy)
    }

    fn insert(&self, transaction: &Transaction, event: &AuditEvent) -> Result<(), StoreError> {
        self.insert_row(transaction, event)
    }

    fn update(&self, transaction: &Transaction, event: &AuditEvent) -> Result<(), StoreError> {
        self.update_row(transaction, event)
    }

    fn get(&self, id: &Uuid) -> Result<Option<Transaction>, StoreError> {
        self.get_row(id)
    }

    fn list(&self, query: &ListQuery) -> Result<Vec<Transaction>, StoreError> {
        self.list_rows(query)
    }

    fn in_progress(&self) -> Result<Vec<Transaction>, StoreError> {
        self.rows_in_progress()
    }

    fn evidence_in_use(&self) -> Result<BTreeSet<EvidenceKey>, StoreError> {
        self.keys_in_use()
    }

    fn verify_audit(&self) -> Result<AuditReport, StoreError> {
        self.verify_chain()
    }

    fn audit_events(&self, id: &Uuid) -> Result<Vec<StoredAuditEvent>, StoreError> {
        self.transaction_events(id)
    }

    fn outbox(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.outbox_entries(limit)
    }

    fn queues_for_aws(&self) -> Result<bool, StoreError> {
        self.aws_outbox()
    }
}

/// A stored seq as the port's `u64` (negative values, only possible by
/// tampering, read as 0).
pub(crate) fn to_u64(seq: i64) -> u64 {
    u64::try_from(seq).unwrap_or(0)
}

/// Starts a write transaction (holding SQLite's write lock) after checking,
/// under that lock, that the file is still at a schema this code may write:
/// a newer kiosk's CLI may have migrated it while this process kept it open
/// (an upgrade does not restart a running kiosk).
pub(crate) fn begin(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db_err(e, "begin transaction"))?;
    let version = schema::user_version(&tx)?;
    if version > SCHEMA_VERSION {
        migrate::accept_newer(&tx, version)?;
    }
    Ok(tx)
}

pub(crate) fn timestamp(at: OffsetDateTime) -> Result<String, StoreError> {
    at.to_offset(UtcOffset::UTC)
        .format(TIMESTAMP)
        .map_err(|e| StoreError::Other(format!("cannot format a timestamp: {e}")))
}

pub(crate) fn now() -> Result<String, StoreError> {
    timestamp(OffsetDateTime::now_utc())
}

/// Maps a SQLite error to the port's error, keeping disk-full, read-only
/// and corruption apart. `context` is a fixed phrase, never data.
pub(crate) fn db_err(error: rusqlite::Error, context: &str) -> StoreError {
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
