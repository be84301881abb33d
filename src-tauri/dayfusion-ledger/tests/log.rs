//! The SQLite transaction log on real files: round trips, queries, outbox,
//! WAL, migrations, the audit chain and its tamper detection.

use std::error::Error;
use std::path::{Path, PathBuf};

use dayfusion_ledger::{
    KIOSK_VERSION, RECORD_SHA256, REMOTE_RECORD_SHA256, RemoteRecord, SCHEMA_VERSION,
    SYNC_COMPLETED, SYNC_DEQUEUED, SYNC_FAILED, SYNC_QUEUED, SqliteLog, SyncMark, SyncReceipt,
    event_hash, record_sha256,
};
use dayfusion_verify::{
    AuditEvent, DocumentRecord, EvidenceKey, ListQuery, PixelBox, PortraitLocation, Provider,
    Stage, Status, StoreError, SyncState, Transaction, TransactionLog,
};
use rusqlite::Connection;
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

mod support;

use support::{TestResult, base_time, event, policy, transaction};

fn db_path(dir: &TempDir) -> PathBuf {
    dir.path().join("data").join("ledger.sqlite")
}

/// A log with six audit events: 1 insert A, 2 insert B, 3 update A,
/// 4 update B, 5 free event, 6 update A.
fn six_events(path: &Path) -> Result<SqliteLog, Box<dyn Error>> {
    let log = SqliteLog::open(path)?;
    let t0 = base_time()?;
    let mut a = transaction(t0)?;
    let mut b = transaction(t0 + Duration::minutes(1))?;
    log.insert(&a, &event("transaction.started", 1))?;
    log.insert(&b, &event("transaction.started", 2))?;
    a.stage = Stage::DocumentCaptured;
    log.update(&a, &event("document.captured", 3))?;
    b.stage = Stage::Aborted;
    b.status = Status::Aborted;
    log.update(&b, &event("transaction.aborted", 4))?;
    log.append_event(None, &event("purge.run", 5))?;
    a.stage = Stage::Decided;
    a.status = Status::Approved;
    log.update(&a, &event("decision.made", 6))?;
    Ok(log)
}

/// A raw connection with the append-only triggers dropped, as an attacker
/// with the file would do.
fn tamper(path: &Path) -> Result<Connection, Box<dyn Error>> {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;",
    )?;
    Ok(conn)
}

/// The record text stored for `id`.
fn stored_record(path: &Path, id: &Uuid) -> Result<String, Box<dyn Error>> {
    let conn = Connection::open(path)?;
    Ok(conn.query_row(
        "SELECT record FROM transactions WHERE id = ?1",
        [id.to_string()],
        |r| r.get(0),
    )?)
}

/// The stored head row.
/// A transaction recorded as the flow does: started (event `n`), then
/// decided as `status` with `sync` (event `n + 1`).
fn decided(
    log: &SqliteLog,
    status: Status,
    sync: SyncState,
    n: u32,
) -> Result<Transaction, Box<dyn Error>> {
    let mut t = transaction(base_time()?)?;
    log.insert(&t, &event("transaction.started", n))?;
    t.stage = Stage::Decided;
    t.status = status;
    t.sync = sync;
    log.update(&t, &event("decision.made", n + 1))?;
    Ok(t)
}

/// What a sync that sent the stored record of `id` reports.
fn sent(path: &Path, id: &Uuid) -> Result<SyncReceipt, Box<dyn Error>> {
    Ok(SyncReceipt {
        record_sha256: record_sha256(&stored_record(path, id)?),
        s3_objects_uploaded: 2,
        s3_objects_deleted: 0,
    })
}

fn head(conn: &Connection) -> rusqlite::Result<(i64, String)> {
    conn.query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
}

fn first_bad(log: &SqliteLog) -> Result<(u64, String), Box<dyn Error>> {
    let report = log.verify_audit()?;
    let bad = report.first_bad.ok_or("the chain verified")?;
    Ok((bad.seq, bad.problem))
}

#[test]
fn insert_update_get_round_trip() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let mut t = transaction(OffsetDateTime::now_utc())?;
    log.insert(&t, &event("transaction.started", 1))?;
    assert_eq!(log.get(&t.transaction_id)?.as_ref(), Some(&t));
    let first_record = stored_record(&path, &t.transaction_id)?;

    t.stage = Stage::DocumentCaptured;
    t.updated_at = t.created_at + Duration::seconds(3);
    t.document = Some(DocumentRecord {
        document_key: EvidenceKey::document(&t.transaction_id, "document.jpg")?,
        sha256: "ab".repeat(32),
        size: 1234,
        content_type: "image/jpeg".to_owned(),
        portrait: PortraitLocation {
            face_box: PixelBox {
                x: 1.0,
                y: 2.0,
                width: 30.5,
                height: 40.25,
            },
            rotation_degrees: 90,
        },
    });
    log.update(&t, &event("document.captured", 2))?;
    assert_eq!(log.get(&t.transaction_id)?.as_ref(), Some(&t));
    assert_eq!(log.get(&Uuid::now_v7())?, None);

    let events = log.audit_events(&t.transaction_id)?;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["transaction.started", "document.captured"]);
    assert_eq!(events[0].seq, 1);
    assert_eq!(events[1].prev_hash, events[0].hash);
    // The caller's data, sealed with the hash of the record as stored.
    assert_eq!(
        events[0].data,
        serde_json::json!({ "n": 1, "code": "ok", RECORD_SHA256: record_sha256(&first_record) })
    );
    assert_eq!(
        events[1].data[RECORD_SHA256],
        record_sha256(&stored_record(&path, &t.transaction_id)?)
    );
    assert_eq!(events[0].transaction_id, Some(t.transaction_id));

    let keys = log.evidence_in_use()?;
    assert_eq!(keys.len(), 1);
    t.evidence_purged_at = Some(OffsetDateTime::now_utc());
    log.update(&t, &event("evidence.purged", 3))?;
    assert!(log.evidence_in_use()?.is_empty());
    Ok(())
}

#[test]
fn update_of_unknown_transaction_is_not_found() -> TestResult {
    let dir = TempDir::new()?;
    let log = SqliteLog::open(&db_path(&dir))?;
    let t = transaction(OffsetDateTime::now_utc())?;
    let result = log.update(&t, &event("document.captured", 1));
    assert!(matches!(result, Err(StoreError::NotFound(_))), "{result:?}");
    // Nothing was appended.
    assert_eq!(log.verify_audit()?.events, 0);
    Ok(())
}

#[test]
fn list_orders_limits_and_filters() -> TestResult {
    let dir = TempDir::new()?;
    let log = SqliteLog::open(&db_path(&dir))?;
    let t0 = base_time()?;
    let mut all = Vec::new();
    for i in 0..5 {
        let mut t = transaction(t0 + Duration::minutes(i))?;
        if i % 2 == 1 {
            t.stage = Stage::Decided;
            t.status = Status::Approved;
        }
        log.insert(&t, &event("transaction.started", 0))?;
        all.push(t);
    }
    let ids = |ts: &[Transaction]| ts.iter().map(|t| t.transaction_id).collect::<Vec<_>>();

    let newest_first: Vec<Uuid> = all.iter().rev().map(|t| t.transaction_id).collect();
    assert_eq!(ids(&log.list(&ListQuery::default())?), newest_first);
    let two = log.list(&ListQuery {
        limit: 2,
        ..ListQuery::default()
    })?;
    assert_eq!(ids(&two), newest_first[..2]);

    let approved = log.list(&ListQuery {
        status: Some(Status::Approved),
        ..ListQuery::default()
    })?;
    assert_eq!(
        ids(&approved),
        [all[3].transaction_id, all[1].transaction_id]
    );

    let before = log.list(&ListQuery {
        created_before: Some(t0 + Duration::minutes(2)),
        ..ListQuery::default()
    })?;
    assert_eq!(ids(&before), [all[1].transaction_id, all[0].transaction_id]);

    let open = log.in_progress()?;
    assert_eq!(
        ids(&open),
        [
            all[0].transaction_id,
            all[2].transaction_id,
            all[4].transaction_id
        ]
    );
    Ok(())
}

#[test]
fn outbox_only_for_pending_and_mark_synced_removes() -> TestResult {
    let dir = TempDir::new()?;
    let log = SqliteLog::open(&db_path(&dir))?;
    let mut t = transaction(OffsetDateTime::now_utc())?;
    log.insert(&t, &event("transaction.started", 1))?;
    t.stage = Stage::Compared;
    log.update(&t, &event("faces.compared", 2))?;
    assert!(log.outbox(0)?.is_empty());

    t.stage = Stage::Decided;
    t.status = Status::Rejected;
    t.sync = SyncState::Pending;
    log.update(&t, &event("decision.made", 3))?;
    // A second update while pending does not queue it twice.
    log.update(&t, &event("note", 4))?;
    let queued = log.outbox(10)?;
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].transaction_id, t.transaction_id);
    assert_eq!(queued[0].attempts, 0);

    log.record_sync_failure(&t.transaction_id, "aws-unreachable")?;
    log.record_sync_failure(&t.transaction_id, "aws-throttled")?;
    let queued = log.outbox(0)?;
    assert_eq!(queued[0].attempts, 2);
    assert_eq!(queued[0].last_error.as_deref(), Some("aws-throttled"));

    assert_eq!(
        log.last_event_at(SYNC_COMPLETED)?,
        None,
        "nothing synced yet"
    );
    let receipt = sent(&db_path(&dir), &t.transaction_id)?;
    assert_eq!(
        log.mark_synced(&t.transaction_id, &receipt)?,
        SyncMark::Synced
    );
    assert!(log.outbox(0)?.is_empty());
    // The staff home's "last success" is the sync's own audit event.
    let completed = log
        .audit_events(&t.transaction_id)?
        .into_iter()
        .rfind(|e| e.kind == SYNC_COMPLETED)
        .map(|e| e.at);
    assert!(completed.is_some());
    assert_eq!(log.last_event_at(SYNC_COMPLETED)?, completed);
    let events_before = log.verify_audit()?.events;
    assert_eq!(
        log.mark_synced(&t.transaction_id, &receipt)?,
        SyncMark::NotQueued
    );
    assert_eq!(log.verify_audit()?.events, events_before);
    let missing = log.record_sync_failure(&t.transaction_id, "x");
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    Ok(())
}

#[test]
fn database_is_in_wal_mode_and_private() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    log.insert(
        &transaction(OffsetDateTime::now_utc())?,
        &event("transaction.started", 1),
    )?;
    let conn = Connection::open(&path)?;
    let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
    assert_eq!(mode, "wal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    Ok(())
}

#[test]
fn chain_verifies_and_survives_reopen() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let report = log.verify_audit()?;
    assert_eq!(report.events, 6);
    assert_eq!(report.first_bad, None);
    let head = report.head_hash.ok_or("no head")?;
    assert_eq!(head.len(), 64);
    drop(log);

    let log = SqliteLog::open(&path)?;
    let again = log.verify_audit()?;
    assert_eq!(again.first_bad, None);
    assert_eq!(again.head_hash.as_deref(), Some(head.as_str()));
    let stored = log.append_event(None, &event("audit.verified", 7))?;
    assert_eq!(stored.seq, 7);
    assert_eq!(stored.prev_hash, head);
    assert_eq!(log.verify_audit()?.first_bad, None);

    let ro = SqliteLog::open_read_only(&path)?;
    assert_eq!(ro.verify_audit()?.events, 7);
    Ok(())
}

#[test]
fn empty_chain_verifies() -> TestResult {
    let dir = TempDir::new()?;
    let log = SqliteLog::open(&db_path(&dir))?;
    let report = log.verify_audit()?;
    assert_eq!(report.events, 0);
    assert_eq!(report.head_hash, None);
    assert_eq!(report.first_bad, None);
    Ok(())
}

#[test]
fn edited_event_is_a_hash_mismatch() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    tamper(&path)?.execute(
        "UPDATE audit_events SET data = '{\"n\":3,\"code\":\"forged\"}' WHERE seq = 3",
        [],
    )?;
    assert_eq!(first_bad(&log)?, (3, "hash-mismatch".to_owned()));
    Ok(())
}

#[test]
fn deleted_middle_event_is_a_sequence_gap() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    tamper(&path)?.execute("DELETE FROM audit_events WHERE seq = 4", [])?;
    assert_eq!(first_bad(&log)?, (4, "sequence-gap".to_owned()));
    Ok(())
}

#[test]
fn swapped_events_are_detected_at_the_first() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let conn = tamper(&path)?;
    let read = |seq: i64| {
        conn.query_row(
            "SELECT kind, data, transaction_id, at FROM audit_events WHERE seq = ?1",
            [seq],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
    };
    let (three, four) = (read(3)?, read(4)?);
    for (seq, row) in [(3, &four), (4, &three)] {
        conn.execute(
            "UPDATE audit_events SET kind = ?1, data = ?2, transaction_id = ?3, at = ?4
             WHERE seq = ?5",
            rusqlite::params![row.0, row.1, row.2, row.3, seq],
        )?;
    }
    assert_eq!(first_bad(&log)?, (3, "hash-mismatch".to_owned()));
    Ok(())
}

#[test]
fn renumbered_events_are_detected() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    tamper(&path)?.execute_batch(
        "UPDATE audit_events SET seq = 100 WHERE seq = 3;
         UPDATE audit_events SET seq = 3 WHERE seq = 4;
         UPDATE audit_events SET seq = 4 WHERE seq = 100;",
    )?;
    assert_eq!(first_bad(&log)?, (3, "previous-hash-mismatch".to_owned()));
    Ok(())
}

#[test]
fn deleted_last_event_is_a_head_mismatch() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    tamper(&path)?.execute("DELETE FROM audit_events WHERE seq = 6", [])?;
    assert_eq!(first_bad(&log)?, (6, "head-mismatch".to_owned()));
    Ok(())
}

#[test]
fn rehashed_edit_is_caught_at_the_next_event() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let conn = tamper(&path)?;
    let (at, tid, kind, prev): (String, Option<String>, String, String) = conn.query_row(
        "SELECT at, transaction_id, kind, prev_hash FROM audit_events WHERE seq = 3",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
    )?;
    let forged = "{\"code\":\"forged\",\"n\":3}";
    let hash = event_hash(3, &at, tid.as_deref(), &kind, forged, &prev);
    conn.execute(
        "UPDATE audit_events SET data = ?1, hash = ?2 WHERE seq = 3",
        rusqlite::params![forged, hash],
    )?;
    assert_eq!(first_bad(&log)?, (4, "previous-hash-mismatch".to_owned()));
    Ok(())
}

#[test]
fn triggers_refuse_update_and_delete() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let conn = Connection::open(&path)?;
    let update = conn.execute("UPDATE audit_events SET kind = 'x' WHERE seq = 1", []);
    assert!(
        update
            .as_ref()
            .is_err_and(|e| e.to_string().contains("append-only")),
        "{update:?}"
    );
    let delete = conn.execute("DELETE FROM audit_events WHERE seq = 6", []);
    assert!(delete.is_err(), "{delete:?}");
    assert_eq!(log.verify_audit()?.first_bad, None);
    Ok(())
}

#[test]
fn register_policy_once_and_refuse_changes() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let p = policy()?;
    log.register_policy(&p)?;
    log.register_policy(&p)?;
    let conn = Connection::open(&path)?;
    let rows: i64 = conn.query_row("SELECT COUNT(*) FROM policies", [], |r| r.get(0))?;
    assert_eq!(rows, 1);
    let events: i64 = conn.query_row(
        "SELECT COUNT(*) FROM audit_events WHERE kind = 'policy.registered'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(events, 1);
    assert_eq!(log.verify_audit()?.events, 1);

    let mut changed = p.clone();
    changed.similarity_min += 1.0;
    let result = log.register_policy(&changed);
    assert!(
        matches!(&result, Err(StoreError::PolicyConflict { id, version })
            if *id == p.id && *version == p.version),
        "{result:?}"
    );
    assert_eq!(log.verify_audit()?.events, 1);

    let mut next = changed;
    next.version += 1;
    log.register_policy(&next)?;
    assert_eq!(log.verify_audit()?.events, 2);
    Ok(())
}

#[test]
fn migrations_are_idempotent_and_newer_schemas_refused() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    log.insert(
        &transaction(OffsetDateTime::now_utc())?,
        &event("transaction.started", 1),
    )?;
    drop(log);
    let log = SqliteLog::open(&path)?;
    assert_eq!(log.schema_version()?, SCHEMA_VERSION);
    assert_eq!(log.list(&ListQuery::default())?.len(), 1);
    drop(log);

    let newer = dir.path().join("newer.sqlite");
    Connection::open(&newer)?.pragma_update(None, "user_version", 99)?;
    let result = SqliteLog::open(&newer);
    match result {
        Err(StoreError::Other(message)) => {
            // It says nothing about compatibility: refused.
            assert!(
                message.starts_with(&format!(
                    "database schema v99 is newer than this kiosk (DayFusion Kiosk {KIOSK_VERSION}, \
                     schema v{SCHEMA_VERSION}) and needs a kiosk with schema v99 or newer"
                )),
                "{message}"
            );
        }
        other => return Err(format!("expected a schema error, got {other:?}").into()),
    }
    assert!(matches!(
        SqliteLog::open_read_only(&newer),
        Err(StoreError::Other(_))
    ));
    Ok(())
}

#[test]
fn read_only_open() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    assert!(matches!(
        SqliteLog::open_read_only(&path),
        Err(StoreError::NotFound(_))
    ));
    let log = six_events(&path)?;
    drop(log);
    let ro = SqliteLog::open_read_only(&path)?;
    assert_eq!(ro.list(&ListQuery::default())?.len(), 2);
    let write = ro.append_event(None, &event("audit.verified", 1));
    assert!(
        matches!(write, Err(StoreError::NotWritable(_))),
        "{write:?}"
    );
    Ok(())
}

#[cfg(unix)]
#[test]
fn unwritable_folder_is_not_writable() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new()?;
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked)?;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500))?;
    let probe = locked.join("probe");
    if std::fs::write(&probe, b"x").is_ok() {
        println!("skipped: running with permissions that ignore the folder's mode");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700))?;
        return Ok(());
    }
    let result = SqliteLog::open(&locked.join("ledger.sqlite"));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700))?;
    assert!(
        matches!(result, Err(StoreError::NotWritable(_))),
        "{result:?}"
    );
    Ok(())
}

#[test]
fn log_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SqliteLog>();
}

#[test]
fn truncated_tail_with_a_matching_head_is_a_record_mismatch() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let conn = tamper(&path)?;
    conn.execute("DELETE FROM audit_events WHERE seq > 4", [])?;
    let (seq, hash): (i64, String) = conn.query_row(
        "SELECT seq, hash FROM audit_events WHERE seq = 4",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    conn.execute(
        "UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1",
        rusqlite::params![seq, hash],
    )?;
    assert_eq!(head(&conn)?, (4, hash.clone()));
    // The chain itself is intact; A's record is newer than its last event
    // left (seq 3, document captured; the record says decided).
    let report = log.verify_audit()?;
    assert_eq!(report.events, 4);
    assert_eq!(report.head_hash, Some(hash));
    assert_eq!(first_bad(&log)?, (3, "record-mismatch".to_owned()));
    Ok(())
}

#[test]
fn truncated_events_of_a_whole_transaction_are_a_record_without_event() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let a = transaction(base_time()?)?;
    log.insert(&a, &event("transaction.started", 1))?;
    log.append_event(None, &event("purge.run", 2))?;
    let b = transaction(base_time()? + Duration::minutes(1))?;
    log.insert(&b, &event("transaction.started", 3))?;
    let conn = tamper(&path)?;
    conn.execute("DELETE FROM audit_events WHERE seq = 3", [])?;
    conn.execute_batch(
        "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_events WHERE seq = 2)",
    )?;
    assert_eq!(first_bad(&log)?, (3, "record-without-event".to_owned()));
    Ok(())
}

#[test]
fn edited_record_is_a_record_mismatch() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let mut t = transaction(base_time()? + Duration::minutes(2))?;
    log.insert(&t, &event("transaction.started", 7))?;
    t.stage = Stage::Decided;
    t.status = Status::Rejected;
    log.update(&t, &event("decision.made", 8))?;
    log.append_event(None, &event("audit.verified", 9))?;
    assert_eq!(log.verify_audit()?.first_bad, None);
    assert!(stored_record(&path, &t.transaction_id)?.contains("\"REJECTED\""));

    let changed = tamper(&path)?.execute(
        "UPDATE transactions SET record = replace(record, '\"REJECTED\"', '\"APPROVED\"')
         WHERE id = ?1",
        [t.transaction_id.to_string()],
    )?;
    assert_eq!(changed, 1);
    assert_eq!(first_bad(&log)?, (8, "record-mismatch".to_owned()));
    Ok(())
}

#[test]
fn deleted_chain_with_transactions_left_is_a_record_without_event() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    tamper(&path)?.execute_batch("DELETE FROM audit_events; DELETE FROM audit_head;")?;
    let report = log.verify_audit()?;
    assert_eq!(report.events, 0);
    assert_eq!(report.head_hash, None);
    assert_eq!(first_bad(&log)?, (1, "record-without-event".to_owned()));
    Ok(())
}

#[test]
fn deleted_transaction_row_is_a_record_missing() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let b = log
        .list(&ListQuery::default())?
        .into_iter()
        .find(|t| t.stage == Stage::Aborted)
        .ok_or("no aborted transaction")?;
    tamper(&path)?.execute(
        "DELETE FROM transactions WHERE id = ?1",
        [b.transaction_id.to_string()],
    )?;
    // B's first event is seq 2.
    assert_eq!(first_bad(&log)?, (2, "record-missing".to_owned()));
    Ok(())
}

#[test]
fn events_of_a_transaction_carry_its_record_hash() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let t = transaction(OffsetDateTime::now_utc())?;
    log.insert(
        &t,
        &AuditEvent {
            kind: "transaction.started".to_owned(),
            data: serde_json::json!(["not", "an", "object"]),
        },
    )?;
    let record = stored_record(&path, &t.transaction_id)?;
    let stored = log.append_event(Some(t.transaction_id), &event("note", 2))?;
    assert_eq!(stored.data[RECORD_SHA256], record_sha256(&record));
    let events = log.audit_events(&t.transaction_id)?;
    assert_eq!(
        events[0].data,
        serde_json::json!({
            "data": ["not", "an", "object"],
            RECORD_SHA256: record_sha256(&record),
        })
    );
    assert_eq!(events[1], stored);
    assert_eq!(log.verify_audit()?.first_bad, None);

    let unknown = log.append_event(Some(Uuid::now_v7()), &event("note", 3));
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
    assert_eq!(log.verify_audit()?.events, 2);
    Ok(())
}

#[test]
fn decided_transactions_only_change_sync_and_purge_bookkeeping() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let t = decided(&log, Status::Rejected, SyncState::Pending, 1)?;
    let decided = t.clone();

    let mut forged = decided.clone();
    forged.status = Status::Approved;
    let result = log.update(&forged, &event("decision.made", 3));
    assert!(
        matches!(&result, Err(StoreError::Conflict(_))),
        "{result:?}"
    );
    assert_eq!(result.err().map(|e| e.code()), Some("transaction-conflict"));
    let mut reopened = decided.clone();
    reopened.stage = Stage::Compared;
    reopened.status = Status::InProgress;
    let result = log.update(&reopened, &event("faces.compared", 3));
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut other_kiosk = decided.clone();
    other_kiosk.kiosk_id = "kiosk-02".to_owned();
    let result = log.update(&other_kiosk, &event("note", 3));
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    // Nothing of the refused updates was kept.
    assert_eq!(log.get(&t.transaction_id)?.as_ref(), Some(&decided));
    assert_eq!(log.verify_audit()?.events, 2);

    // Purge and sync bookkeeping are allowed.
    let mut purged = decided.clone();
    purged.evidence_purged_at = Some(base_time()? + Duration::days(90));
    purged.updated_at = purged.created_at + Duration::days(90);
    log.update(&purged, &event("evidence.purged", 3))?;
    assert_eq!(log.get(&t.transaction_id)?.as_ref(), Some(&purged));
    let mut synced = purged.clone();
    synced.sync = SyncState::Synced;
    log.update(&synced, &event("note", 4))?;

    // The purge is never undone, whatever the stage.
    let mut unpurged = synced.clone();
    unpurged.evidence_purged_at = None;
    let result = log.update(&unpurged, &event("note", 5));
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut open = transaction(base_time()?)?;
    open.evidence_purged_at = Some(base_time()?);
    log.insert(&open, &event("transaction.started", 6))?;
    open.evidence_purged_at = None;
    let result = log.update(&open, &event("note", 7));
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");

    assert_eq!(log.verify_audit()?.first_bad, None);
    Ok(())
}

#[test]
fn sync_outcomes_are_recorded_in_the_record_and_the_chain() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let t = decided(&log, Status::Approved, SyncState::Pending, 1)?;

    log.record_sync_failure(&t.transaction_id, "aws-unreachable")?;
    let events = log.audit_events(&t.transaction_id)?;
    let failed = events.last().ok_or("no events")?;
    assert_eq!(failed.kind, SYNC_FAILED);
    assert_eq!(failed.data["code"], "aws-unreachable");
    assert_eq!(failed.data["attempts"], 1);
    assert_eq!(log.get(&t.transaction_id)?.as_ref(), Some(&t));
    assert_eq!(log.verify_audit()?.first_bad, None);

    let receipt = sent(&path, &t.transaction_id)?;
    assert_eq!(
        log.mark_synced(&t.transaction_id, &receipt)?,
        SyncMark::Synced
    );
    let synced = log.get(&t.transaction_id)?.ok_or("transaction gone")?;
    assert_eq!(synced.sync, SyncState::Synced);
    assert!(synced.updated_at > t.updated_at);
    let events = log.audit_events(&t.transaction_id)?;
    let completed = events.last().ok_or("no events")?;
    assert_eq!(completed.kind, SYNC_COMPLETED);
    assert_eq!(completed.data["attempts"], 1);
    assert_eq!(
        completed.data[RECORD_SHA256],
        record_sha256(&stored_record(&path, &t.transaction_id)?)
    );
    assert!(log.outbox(0)?.is_empty());
    let report = log.verify_audit()?;
    assert_eq!(report.first_bad, None);
    assert_eq!(report.events, 4);
    Ok(())
}

/// Makes a folder writable again when dropped (so `TempDir` can clean up).
#[cfg(unix)]
struct Unlock<'a>(&'a Path);

#[cfg(unix)]
impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(self.0, std::fs::Permissions::from_mode(0o700));
    }
}

#[cfg(unix)]
#[test]
fn read_only_open_works_in_a_read_only_folder() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = six_events(&path)?;
    let head = log.verify_audit()?.head_hash;
    drop(log);
    let folder = path.parent().ok_or("no folder")?;
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o500))?;
    let _unlock = Unlock(folder);
    if std::fs::write(folder.join("probe"), b"x").is_ok() {
        println!("skipped: root");
        return Ok(());
    }
    let ro = SqliteLog::open_read_only(&path)?;
    let report = ro.verify_audit()?;
    assert_eq!(report.first_bad, None);
    assert_eq!(report.events, 6);
    assert_eq!(report.head_hash, head);
    assert_eq!(ro.list(&ListQuery::default())?.len(), 2);
    let write = ro.append_event(None, &event("audit.verified", 7));
    assert!(
        matches!(write, Err(StoreError::NotWritable(_))),
        "{write:?}"
    );
    Ok(())
}

#[test]
fn a_record_changed_during_its_sync_stays_queued_with_the_hash_sent() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    let mut t = decided(&log, Status::Review, SyncState::Pending, 1)?;
    assert_eq!(log.remote_record(&t.transaction_id)?, RemoteRecord::Never);

    // The sync read and sent this record...
    let receipt = sent(&path, &t.transaction_id)?;
    // ...while a purge changed it.
    t.evidence_purged_at = Some(base_time()?);
    log.update(&t, &event("evidence.purged", 3))?;
    assert_eq!(
        log.mark_synced(&t.transaction_id, &receipt)?,
        SyncMark::ChangedMeanwhile
    );
    let queued = log.outbox(0)?;
    assert_eq!(queued.len(), 1, "the purge still has to reach AWS");
    assert_eq!(
        log.get(&t.transaction_id)?.ok_or("gone")?.sync,
        SyncState::Pending
    );
    assert_eq!(
        log.remote_record(&t.transaction_id)?,
        RemoteRecord::Known(receipt.record_sha256.clone())
    );
    let completed = log.audit_events(&t.transaction_id)?;
    let completed = completed.last().ok_or("no events")?;
    assert_eq!(completed.kind, SYNC_COMPLETED);
    assert_eq!(
        completed.data[REMOTE_RECORD_SHA256],
        receipt.record_sha256.as_str()
    );
    assert_eq!(completed.data["s3ObjectsUploaded"], 2);

    // The next run sends the purged record and it leaves the outbox.
    let next = sent(&path, &t.transaction_id)?;
    assert_eq!(log.mark_synced(&t.transaction_id, &next)?, SyncMark::Synced);
    assert!(log.outbox(0)?.is_empty());
    assert_eq!(
        log.remote_record(&t.transaction_id)?,
        RemoteRecord::Known(next.record_sha256)
    );
    assert_eq!(log.verify_audit()?.first_bad, None);
    Ok(())
}

#[test]
fn final_transactions_are_queued_only_while_the_kiosk_has_aws_settings() -> TestResult {
    let dir = TempDir::new()?;
    let path = db_path(&dir);
    let log = SqliteLog::open(&path)?;
    assert!(!log.queues_for_aws()?, "a new log has no AWS outbox");
    let local = decided(&log, Status::Approved, SyncState::Local, 1)?;
    assert!(log.outbox(0)?.is_empty());

    // AWS settings added: the local one joins the outbox.
    assert_eq!(log.set_aws_outbox(true)?, 1);
    assert!(log.queues_for_aws()?);
    assert_eq!(log.outbox(0)?.len(), 1);
    let queued = log.get(&local.transaction_id)?.ok_or("gone")?;
    assert_eq!(queued.sync, SyncState::Pending);
    let events = log.audit_events(&local.transaction_id)?;
    assert_eq!(events.last().ok_or("no events")?.kind, SYNC_QUEUED);
    assert_eq!(log.set_aws_outbox(true)?, 0, "idempotent");

    // A second one reaches AWS; then the settings go away: the one that
    // never reached AWS is local again, the synced one stays synced.
    let synced = decided(&log, Status::Rejected, SyncState::Pending, 3)?;
    let receipt = sent(&path, &synced.transaction_id)?;
    log.mark_synced(&synced.transaction_id, &receipt)?;
    // An AWS transaction not yet synced (its evidence is already in S3).
    let mut aws = transaction(base_time()?)?;
    aws.backend = Provider::Aws;
    log.insert(&aws, &event("transaction.started", 5))?;
    aws.stage = Stage::Aborted;
    aws.status = Status::Aborted;
    aws.sync = SyncState::Pending;
    log.update(&aws, &event("transaction.aborted", 6))?;
    assert_eq!(log.set_aws_outbox(false)?, 1);
    assert!(!log.queues_for_aws()?);
    let still: Vec<_> = log.outbox(0)?.iter().map(|e| e.transaction_id).collect();
    assert_eq!(
        still,
        vec![aws.transaction_id],
        "the AWS one stays queued for its record and its S3 erase"
    );
    let back = log.get(&local.transaction_id)?.ok_or("gone")?;
    assert_eq!(back.sync, SyncState::Local);
    let events = log.audit_events(&local.transaction_id)?;
    assert_eq!(events.last().ok_or("no events")?.kind, SYNC_DEQUEUED);
    assert_eq!(
        log.get(&synced.transaction_id)?.ok_or("gone")?.sync,
        SyncState::Synced
    );
    // Every connection agrees: the flag is in the file.
    let other = SqliteLog::open(&path)?;
    assert!(!other.queues_for_aws()?);
    assert_eq!(log.verify_audit()?.first_bad, None);
    Ok(())
}
