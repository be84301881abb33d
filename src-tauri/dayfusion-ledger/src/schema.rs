//! The file and its schema: opening (WAL, `synchronous=FULL`, owner-only
//! permissions), the read-only and immutable opens, and the ordered
//! migrations tracked by `PRAGMA user_version`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use dayfusion_verify::StoreError;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::{SqliteLog, begin, db_err};

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
    // v2: facts about the kiosk every connection must agree on (whether
    // final transactions are queued for AWS).
    "CREATE TABLE kiosk_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
];

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

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

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        user_version(&self.lock())
    }
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
