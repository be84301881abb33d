//! Upgrades and rollback on real files: a log written by a future,
//! compatible schema keeps working with this code (a package rolled back),
//! an incompatible one is refused untouched, and an older log is copied
//! next to itself before it is migrated.

mod support;

use std::path::{Path, PathBuf};

use dayfusion_ledger::{
    KEPT_BACKUPS, KIOSK_VERSION, MIGRATED_BY_KEY, OLDEST_COMPATIBLE_KEY, OLDEST_COMPATIBLE_SCHEMA,
    SCHEMA_VERSION, SqliteLog, migration_backups,
};
use dayfusion_verify::{ListQuery, Status, StoreError, SyncState, TransactionLog};
use rusqlite::{Connection, OptionalExtension, params};
use tempfile::TempDir;
use time::Duration;

use support::{
    AnyResult, TestResult, base_time, chain_length, columns, decided, rows, tables, user_version,
};

/// The schema of the simulated next release.
const FUTURE_SCHEMA: u32 = SCHEMA_VERSION + 1;

/// Env var naming the log the full-disk child opens.
const FULL_DISK_CHILD: &str = "DAYFUSION_LEDGER_FULL_DISK_CHILD";

fn log_path(dir: &TempDir) -> PathBuf {
    dir.path().join("transactions.db")
}

/// A current log with two decided transactions; returns its chain length.
fn current_log(path: &Path) -> AnyResult<u64> {
    let log = SqliteLog::open(path)?;
    decided(&log, base_time()?, Status::Approved, SyncState::Local)?;
    decided(
        &log,
        base_time()? + Duration::minutes(1),
        Status::Rejected,
        SyncState::Local,
    )?;
    chain_length(&log)
}

/// Makes `path` look written by the next release: an extra table, schema
/// [`FUTURE_SCHEMA`], and the given oldest compatible schema.
fn make_future(path: &Path, oldest_compatible: u32) -> TestResult {
    let conn = Connection::open(path)?;
    conn.execute_batch(
        "CREATE TABLE future_notes (id INTEGER PRIMARY KEY, note TEXT);
         INSERT INTO future_notes (note) VALUES ('synthetic');",
    )?;
    conn.pragma_update(None, "user_version", FUTURE_SCHEMA)?;
    for (key, value) in [
        (OLDEST_COMPATIBLE_KEY, oldest_compatible.to_string()),
        (MIGRATED_BY_KEY, "9.9.9".to_owned()),
    ] {
        conn.execute(
            "INSERT INTO kiosk_state (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
    }
    Ok(())
}

fn state(conn: &Connection, key: &str) -> AnyResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM kiosk_state WHERE key = ?1",
            [key],
            |row| row.get(0),
        )
        .optional()?)
}

/// The tables of schema v1.
const V1_TABLES: [&str; 5] = [
    "transactions",
    "audit_events",
    "audit_head",
    "policies",
    "outbox",
];

/// Makes a current log look written by schema v1: the tables added since
/// are dropped (a later migration that changes a v1 table must adapt this).
fn make_v1(path: &Path) -> TestResult {
    let conn = Connection::open(path)?;
    for table in tables(&conn)? {
        if !V1_TABLES.contains(&table.as_str()) {
            conn.execute_batch(&format!("DROP TABLE \"{table}\";"))?;
        }
    }
    conn.pragma_update(None, "user_version", 1)?;
    Ok(())
}

#[test]
fn migrations_record_which_schemas_can_open_the_log() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    drop(SqliteLog::open(&path)?);
    let conn = Connection::open(&path)?;
    assert_eq!(
        state(&conn, OLDEST_COMPATIBLE_KEY)?,
        Some(OLDEST_COMPATIBLE_SCHEMA.to_string())
    );
    assert_eq!(
        state(&conn, MIGRATED_BY_KEY)?,
        Some(KIOSK_VERSION.to_owned())
    );
    Ok(())
}

#[test]
fn a_compatible_newer_log_is_used_as_it_is() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    let events = current_log(&path)?;
    make_future(&path, SCHEMA_VERSION)?;

    let log = SqliteLog::open(&path)?;
    assert_eq!(log.schema_version()?, FUTURE_SCHEMA);
    assert_eq!(chain_length(&log)?, events);
    decided(
        &log,
        base_time()? + Duration::minutes(2),
        Status::Review,
        SyncState::Local,
    )?;
    assert_eq!(chain_length(&log)?, events + 2);
    assert_eq!(log.list(&ListQuery::default())?.len(), 3);
    drop(log);

    let conn = Connection::open(&path)?;
    assert_eq!(user_version(&conn)?, FUTURE_SCHEMA);
    let notes: i64 = conn.query_row("SELECT COUNT(*) FROM future_notes", [], |r| r.get(0))?;
    assert_eq!(notes, 1);
    assert_eq!(
        state(&conn, OLDEST_COMPATIBLE_KEY)?,
        Some(SCHEMA_VERSION.to_string())
    );
    assert_eq!(state(&conn, MIGRATED_BY_KEY)?.as_deref(), Some("9.9.9"));
    assert!(migration_backups(&path)?.is_empty());

    let read_only = SqliteLog::open_read_only(&path)?;
    assert_eq!(read_only.list(&ListQuery::default())?.len(), 3);
    assert_eq!(chain_length(&read_only)?, events + 2);
    Ok(())
}

#[test]
fn an_incompatible_newer_log_is_refused_untouched() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    current_log(&path)?;
    make_future(&path, FUTURE_SCHEMA)?;
    let before = std::fs::read(&path)?;

    let expected = format!(
        "database schema v{FUTURE_SCHEMA} is newer than this kiosk (DayFusion Kiosk \
         {KIOSK_VERSION}, schema v{SCHEMA_VERSION}) and needs a kiosk with schema \
         v{FUTURE_SCHEMA} or newer: install DayFusion Kiosk 9.9.9 (which wrote it) or a later \
         one; the transaction log was left unchanged"
    );
    for result in [SqliteLog::open(&path), SqliteLog::open_read_only(&path)] {
        match result {
            Err(StoreError::Other(message)) => assert_eq!(message, expected),
            other => return Err(format!("expected a refusal, got {other:?}").into()),
        }
    }
    assert_eq!(std::fs::read(&path)?, before, "the refused log changed");
    assert!(migration_backups(&path)?.is_empty());
    Ok(())
}

/// A kiosk left running through a package upgrade keeps its log open: when
/// the new version's CLI migrates the file to a schema this code cannot
/// write, the running kiosk's next write is refused and changes nothing.
#[test]
fn a_running_kiosk_stops_writing_once_the_log_was_migrated_past_it() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    current_log(&path)?;
    let running = SqliteLog::open(&path)?;
    let before = chain_length(&running)?;
    decided(&running, base_time()?, Status::Approved, SyncState::Local)?;
    let after_one = chain_length(&running)?;
    assert!(
        after_one > before,
        "the running kiosk could not write before"
    );

    make_future(&path, FUTURE_SCHEMA)?;
    let refused = decided(&running, base_time()?, Status::Rejected, SyncState::Local);
    match refused {
        Err(e) => assert!(
            e.to_string().contains("is newer than this kiosk"),
            "unexpected error: {e}"
        ),
        Ok(_) => return Err("a write went into a log migrated past this code".into()),
    }
    let conn = Connection::open(&path)?;
    let events: i64 = conn.query_row("SELECT COUNT(*) FROM audit_events", [], |r| r.get(0))?;
    assert_eq!(
        u64::try_from(events)?,
        after_one,
        "the refused write left events behind"
    );
    Ok(())
}

/// The immutable open (a folder that cannot be written) follows the rule.
#[cfg(unix)]
#[test]
fn the_immutable_open_follows_the_same_rule() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new()?;
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked)?;
    let compatible = locked.join("compatible.db");
    let incompatible = locked.join("incompatible.db");
    let events = current_log(&compatible)?;
    make_future(&compatible, SCHEMA_VERSION)?;
    current_log(&incompatible)?;
    make_future(&incompatible, FUTURE_SCHEMA)?;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500))?;
    if std::fs::write(locked.join("probe"), b"x").is_ok() {
        println!("skipped: running with permissions that ignore the folder's mode");
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700))?;
        return Ok(());
    }
    let opened = SqliteLog::open_read_only(&compatible).and_then(|log| {
        let length = log.verify_audit()?.events;
        Ok((log.schema_version()?, length))
    });
    let refused = SqliteLog::open_read_only(&incompatible);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700))?;
    assert_eq!(opened?, (FUTURE_SCHEMA, events));
    assert!(
        matches!(&refused, Err(StoreError::Other(m)) if m.contains("needs a kiosk with schema")),
        "{refused:?}"
    );
    Ok(())
}

#[test]
fn an_older_log_is_copied_before_it_is_migrated() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    let events = current_log(&path)?;
    make_v1(&path)?;
    let old = Connection::open(&path)?;
    let cols = columns(&old, "transactions")?;
    let old_rows = rows(&old, "transactions", &cols)?;
    drop(old);

    let log = SqliteLog::open(&path)?;
    assert_eq!(log.schema_version()?, SCHEMA_VERSION);
    assert_eq!(chain_length(&log)?, events);

    let backups = migration_backups(&path)?;
    assert_eq!(backups.len(), 1, "{backups:?}");
    let name = backups[0]
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or("backup name")?;
    assert!(
        name.starts_with("transactions.db.v1.") && name.ends_with(".bak"),
        "{name}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backups[0])?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let copy = Connection::open(&backups[0])?;
    assert_eq!(user_version(&copy)?, 1);
    assert_eq!(rows(&copy, "transactions", &cols)?, old_rows);
    let has_state: i64 = copy.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'kiosk_state'",
        [],
        |r| r.get(0),
    )?;
    assert_eq!(has_state, 0, "the copy is of the log before the migration");
    // No partial copy left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty());
    Ok(())
}

#[test]
fn new_and_current_logs_are_not_copied() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    current_log(&path)?;
    drop(SqliteLog::open(&path)?);
    assert!(migration_backups(&path)?.is_empty());
    Ok(())
}

#[test]
fn only_the_newest_copies_are_kept() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    current_log(&path)?;
    let mut made = Vec::new();
    for round in 1..=KEPT_BACKUPS + 2 {
        make_v1(&path)?;
        drop(SqliteLog::open(&path)?);
        let backups = migration_backups(&path)?;
        assert_eq!(backups.len(), round.min(KEPT_BACKUPS));
        let newest = backups.last().ok_or("no backup")?.clone();
        assert!(!made.contains(&newest));
        made.push(newest);
    }
    assert_eq!(migration_backups(&path)?, made[made.len() - KEPT_BACKUPS..]);
    Ok(())
}

/// A full disk (a file-size limit standing in for it) while copying stops
/// the migration: the log stays at v1, whole, with no copy left.
#[cfg(unix)]
#[test]
fn a_failed_copy_stops_the_migration() -> TestResult {
    let dir = TempDir::new()?;
    let path = log_path(&dir);
    current_log(&path)?;
    make_v1(&path)?;
    {
        // Larger than the limit below, so that no copy fits.
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "CREATE TABLE filler (b BLOB); INSERT INTO filler VALUES (zeroblob(400000));",
        )?;
    }
    let before = std::fs::read(&path)?;
    let child = std::process::Command::new("bash")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 200; exec \"$@\"")
        .arg("bash")
        .arg(std::env::current_exe()?)
        .args([
            "--exact",
            "full_disk_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(FULL_DISK_CHILD, &path)
        .output()?;
    let output = String::from_utf8_lossy(&child.stdout);
    println!("{output}");
    assert!(
        child.status.success(),
        "{output}\n{}",
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(output.contains("copy refused: "), "{output}");

    let conn = Connection::open(&path)?;
    assert_eq!(user_version(&conn)?, 1);
    drop(conn);
    assert_eq!(std::fs::read(&path)?, before);
    let files: Vec<String> = std::fs::read_dir(dir.path())?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".bak"))
        .collect();
    assert!(files.is_empty(), "{files:?}");
    Ok(())
}

/// Run by `a_failed_copy_stops_the_migration` under a file-size limit.
#[test]
#[ignore = "run by a_failed_copy_stops_the_migration"]
fn full_disk_child() -> TestResult {
    let Some(path) = std::env::var_os(FULL_DISK_CHILD) else {
        return Ok(());
    };
    // SQLite reports the file-size limit (EFBIG) as a write error, a full
    // disk (ENOSPC) as `StorageFull`: either must stop the migration.
    match SqliteLog::open(Path::new(&path)) {
        Err(error @ (StoreError::StorageFull(_) | StoreError::Other(_)))
            if error
                .to_string()
                .contains("before migrating it; it was not migrated") =>
        {
            println!("copy refused: {}", error.code());
            Ok(())
        }
        other => Err(format!("expected a failed copy, got {other:?}").into()),
    }
}
