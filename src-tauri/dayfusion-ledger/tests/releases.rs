//! Every released transaction log migrates forward: each dump in
//! `tests/releases/` (one per release, written by that release's code) is
//! loaded into a fresh file and opened with the current code, which must
//! keep every record, event, policy and outbox entry and go on appending to
//! the same verified chain. `write_release_dump` writes the current
//! release's dump (see `tests/releases/README.md`).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use dayfusion_ledger::{KIOSK_VERSION, SCHEMA_VERSION, SqliteLog, SyncReceipt, record_sha256};
use dayfusion_verify::{
    AuditEvent, ReviewRecord, Stage, Status, SyncState, Transaction, TransactionLog,
};
use rusqlite::Connection;
use tempfile::TempDir;
use time::Duration;
use uuid::Uuid;

use support::{
    AnyResult, TestResult, base_time, chain_length, columns, decided, dump_sql, event, load_dump,
    policy, rows, tables, transaction, user_version,
};

/// The folder of the release dumps.
fn releases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("releases")
}

/// The release dumps, by file name.
fn release_dumps() -> AnyResult<Vec<PathBuf>> {
    let mut dumps: Vec<PathBuf> = std::fs::read_dir(releases_dir())?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    dumps.retain(|p| p.extension().is_some_and(|e| e == "sql"));
    dumps.sort();
    Ok(dumps)
}

/// The tables whose rows a migration must keep as they are (`kiosk_state`
/// is checked apart: migrations update its `schema.*` keys).
const KEPT_TABLES: [&str; 4] = ["transactions", "audit_events", "policies", "outbox"];

#[test]
fn every_released_log_migrates_and_keeps_its_transactions() -> TestResult {
    let dumps = release_dumps()?;
    assert!(!dumps.is_empty(), "no release dump in tests/releases");
    for dump in &dumps {
        check_release(dump).map_err(|e| format!("{}: {e}", dump.display()))?;
    }
    Ok(())
}

fn check_release(dump: &Path) -> TestResult {
    let sql = std::fs::read_to_string(dump)?;
    let reference = Connection::open_in_memory()?;
    reference.execute_batch(&sql)?;
    let released_schema = user_version(&reference)?;
    assert!(released_schema <= SCHEMA_VERSION);

    let dir = TempDir::new()?;
    let path = dir.path().join("transactions.db");
    load_dump(&path, &sql)?;
    let log = SqliteLog::open(&path)?;
    assert_eq!(log.schema_version()?, SCHEMA_VERSION);

    // Every row the release wrote is still there, unchanged.
    let migrated = Connection::open(&path)?;
    for table in KEPT_TABLES {
        let cols = columns(&reference, table)?;
        assert_eq!(
            rows(&migrated, table, &cols)?,
            rows(&reference, table, &cols)?,
            "table {table} changed"
        );
    }
    if tables(&reference)?.iter().any(|t| t == "kiosk_state") {
        let kept = |conn: &Connection| -> AnyResult<Vec<(String, String)>> {
            let mut stmt = conn.prepare(
                "SELECT key, value FROM kiosk_state WHERE key NOT LIKE 'schema.%' ORDER BY key",
            )?;
            let pairs = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok(pairs)
        };
        assert_eq!(kept(&migrated)?, kept(&reference)?, "kiosk_state changed");
    }

    // Every transaction reads back through the current code with the
    // values it was stored with.
    let stored: Vec<(String, String)> = {
        let mut stmt = reference.prepare("SELECT id, record FROM transactions ORDER BY id")?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    let mut statuses = BTreeSet::new();
    let mut purged = 0;
    for (id, record) in &stored {
        let id = Uuid::parse_str(id)?;
        let read = log.get(&id)?.ok_or("a released transaction is missing")?;
        assert_same_values(
            &serde_json::from_str(record)?,
            &serde_json::to_value(&read)?,
        )?;
        assert!(!log.audit_events(&id)?.is_empty());
        statuses.insert(read.status.as_str());
        purged += usize::from(read.evidence_purged_at.is_some());
    }
    // The dump covers what a release must show.
    for status in [
        Status::Approved,
        Status::Rejected,
        Status::Review,
        Status::Aborted,
    ] {
        assert!(
            statuses.contains(status.as_str()),
            "no {status:?} transaction"
        );
    }
    assert!(purged > 0, "no transaction with its evidence purged");
    assert!(!log.outbox(0)?.is_empty(), "no transaction in the outbox");

    // The chain verifies, and the current code extends it.
    let released_events = rows(&reference, "audit_events", &["seq".to_owned()])?.len();
    let released_head: String =
        reference.query_row("SELECT hash FROM audit_head WHERE id = 1", [], |r| r.get(0))?;
    assert_eq!(usize::try_from(chain_length(&log)?)?, released_events);
    let next = decided(
        &log,
        base_time()? + Duration::days(400),
        Status::Approved,
        SyncState::Local,
    )?;
    assert_eq!(usize::try_from(chain_length(&log)?)?, released_events + 2);
    let appended = log.audit_events(&next.transaction_id)?;
    assert_eq!(appended[0].prev_hash, released_head);
    Ok(())
}

/// Every value of the stored record is in the record as the current code
/// reads and writes it (new fields may be added, none lost or changed).
fn assert_same_values(stored: &serde_json::Value, read: &serde_json::Value) -> TestResult {
    let stored = stored
        .as_object()
        .ok_or("a stored record is not an object")?;
    for (key, value) in stored {
        if read.get(key) != Some(value) {
            return Err(
                format!("record field {key} changed: {value} -> {:?}", read.get(key)).into(),
            );
        }
    }
    Ok(())
}

/// Writes `tests/releases/<this version>.sql`: a log as this release
/// writes it, synthetic. Run once when releasing (see the README there);
/// never overwrites a shipped dump.
#[test]
#[ignore = "writes the release dump; run once per release"]
fn write_release_dump() -> TestResult {
    let target = releases_dir().join(format!("{KIOSK_VERSION}.sql"));
    if target.exists() {
        return Err(format!(
            "{} exists: a shipped dump is never rewritten",
            target.display()
        )
        .into());
    }
    let dir = TempDir::new()?;
    let path = dir.path().join("transactions.db");
    write_release_log(&path)?;
    let conn = Connection::open(&path)?;
    let header = format!(
        "Transaction log as DayFusion Kiosk {KIOSK_VERSION} writes it (schema v{SCHEMA_VERSION}).\n\
         Synthetic data only. Written by tests/releases.rs (write_release_dump); never edit."
    );
    std::fs::write(&target, dump_sql(&conn, &header)?)?;
    println!("wrote {}", target.display());
    Ok(())
}

/// A log with a transaction in every state a release must carry over.
fn write_release_log(path: &Path) -> TestResult {
    let log = SqliteLog::open(path)?;
    log.set_aws_outbox(true)?;
    log.register_policy(&policy()?)?;
    let t0 = base_time()?;
    let at = |minutes: i64| t0 + Duration::minutes(minutes);

    let approved = decided(&log, at(0), Status::Approved, SyncState::Pending)?;
    sync(&log, path, &approved)?;
    let rejected = decided(&log, at(1), Status::Rejected, SyncState::Pending)?;
    sync(&log, path, &rejected)?;

    // A REVIEW sent to AWS, then settled by a person: queued again.
    let mut reviewed = decided(&log, at(2), Status::Review, SyncState::Pending)?;
    sync(&log, path, &reviewed)?;
    reviewed.status = Status::Approved;
    reviewed.sync = SyncState::Pending;
    reviewed.updated_at = at(30);
    reviewed.review = Some(ReviewRecord {
        verdict: Status::Approved,
        reviewer: "staff-01".to_owned(),
        reason: "synthetic review".to_owned(),
        reviewed_at: at(30),
    });
    log.update(&reviewed, &event("review.recorded", 3))?;

    // A REVIEW still waiting for a person, whose sync failed once.
    let waiting = decided(&log, at(3), Status::Review, SyncState::Pending)?;
    log.record_sync_failure(&waiting.transaction_id, "aws-unreachable")?;

    // Aborted by the customer.
    let mut aborted = transaction(at(4))?;
    log.insert(&aborted, &event("transaction.started", 1))?;
    aborted.stage = Stage::Aborted;
    aborted.status = Status::Aborted;
    aborted.abort_reason = Some("customer-cancelled".to_owned());
    aborted.sync = SyncState::Pending;
    aborted.updated_at = at(5);
    log.update(&aborted, &event("transaction.aborted", 2))?;
    sync(&log, path, &aborted)?;

    // Approved, synced, its evidence purged by retention and synced again.
    let mut purged = decided(&log, at(6), Status::Approved, SyncState::Pending)?;
    sync(&log, path, &purged)?;
    purged.evidence_purged_at = Some(at(60 * 24 * 90));
    purged.sync = SyncState::Pending;
    purged.updated_at = at(60 * 24 * 90);
    log.update(&purged, &event("evidence.purged", 3))?;
    sync(&log, path, &purged)?;

    // Still in progress (the kiosk stopped during it).
    log.insert(&transaction(at(7))?, &event("transaction.started", 1))?;

    log.append_event(
        None,
        &AuditEvent {
            kind: "purge.run".to_owned(),
            data: serde_json::json!({ "purged": 1 }),
        },
    )?;
    log.append_event(
        Some(approved.transaction_id),
        &AuditEvent {
            kind: "transaction.viewed".to_owned(),
            data: serde_json::json!({ "staff": "staff-01" }),
        },
    )?;
    chain_length(&log)?;
    Ok(())
}

/// Marks the stored record of `t` as sent to AWS.
fn sync(log: &SqliteLog, path: &Path, t: &Transaction) -> TestResult {
    let conn = Connection::open(path)?;
    let record: String = conn.query_row(
        "SELECT record FROM transactions WHERE id = ?1",
        [t.transaction_id.to_string()],
        |row| row.get(0),
    )?;
    log.mark_synced(
        &t.transaction_id,
        &SyncReceipt {
            record_sha256: record_sha256(&record),
            s3_objects_uploaded: 0,
            s3_objects_deleted: 0,
        },
    )?;
    Ok(())
}
