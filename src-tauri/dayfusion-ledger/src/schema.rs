//! The file and its schema: opening (WAL, `synchronous=FULL`, owner-only
//! permissions), the read-only and immutable opens, and the ordered
//! migrations tracked by `PRAGMA user_version` (applied by the `migrate`
//! module).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use dayfusion_verify::StoreError;
use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::migrate::{accept_newer, migrate};
use crate::{SqliteLog, db_err};

/// One schema change.
pub(crate) struct Migration {
    /// The SQL, applied in one SQL transaction.
    pub(crate) sql: &'static str,
    /// The oldest schema version whose code can still read *and* write the
    /// database after this change. An additive change (a new table, a
    /// nullable column, an index) keeps the previous migration's value; a
    /// change older code would misread or break raises it to its own
    /// version. Never lower than the previous migration's.
    ///
    /// "Additive" is stricter than it looks: older code will go on writing
    /// rows without the new columns or rows (nothing backfills them after a
    /// rollback and re-upgrade, so newer code must accept them forever); a
    /// new trigger or CHECK must hold for every write older code makes; and
    /// nothing may join the audit hash's input. When in doubt, raise it.
    pub(crate) oldest_compatible: u32,
}

/// The migrations, in order: migration `i` (0-based) brings the schema to
/// version `i + 1`. Never edit a shipped one; append a new one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        oldest_compatible: 1,
        sql: V1,
    },
    // v1 code would ignore `kiosk_state` and queue (or not) final
    // transactions against the kiosk's AWS setting: it must not write v2.
    Migration {
        oldest_compatible: 2,
        sql: V2,
    },
];

/// v1: transactions, the audit chain and its head, policies, the outbox.
const V1: &str = "CREATE TABLE transactions (
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
    );";

/// v2: facts about the kiosk every connection must agree on (whether final
/// transactions are queued for AWS, which schema versions may open the file).
const V2: &str = "CREATE TABLE kiosk_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );";

/// The schema version this code writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The oldest schema version whose code can read and write a database
/// written by this code (see [`oldest_compatible_at`]).
pub const OLDEST_COMPATIBLE_SCHEMA: u32 = oldest_compatible_at(SCHEMA_VERSION);

// Checked when compiling: each declaration lies between 1 and its own
// version and never goes below the previous one.
const _: () = {
    let mut previous = 1;
    let mut index = 0;
    while index < MIGRATIONS.len() {
        let oldest = MIGRATIONS[index].oldest_compatible;
        assert!(oldest >= previous, "oldest_compatible went back");
        assert!(
            oldest as usize <= index + 1,
            "oldest_compatible above its version"
        );
        previous = oldest;
        index += 1;
    }
};

/// The oldest schema version whose code can read and write a database at
/// schema `version` (at most [`SCHEMA_VERSION`]): the highest
/// `oldest_compatible` of the migrations up to it.
pub(crate) const fn oldest_compatible_at(version: u32) -> u32 {
    let mut oldest = 0;
    let mut index = 0;
    while index < MIGRATIONS.len() && index < version as usize {
        if MIGRATIONS[index].oldest_compatible > oldest {
            oldest = MIGRATIONS[index].oldest_compatible;
        }
        index += 1;
    }
    oldest
}

impl SqliteLog {
    /// Opens (creating it and its folder when missing) the log at `path`
    /// for reading and writing, and brings its schema up to date, first
    /// copying an older file with data next to it (see the crate docs on
    /// upgrades). A newer file is opened unchanged when its code declared
    /// this schema compatible, and refused otherwise.
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
        migrate(&mut conn, path)?;
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
            accept_newer(&conn, version)?;
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

/// The schema version of the file (`PRAGMA user_version`).
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|e| db_err(e, "read schema version"))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("invalid schema version {v}")))
}

/// Makes the database and its WAL files readable by the owner only.
#[cfg(unix)]
pub(crate) fn restrict_permissions(path: &Path) -> Result<(), StoreError> {
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
pub(crate) fn restrict_permissions(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MIGRATIONS, OLDEST_COMPATIBLE_SCHEMA, oldest_compatible_at};

    #[test]
    fn compatibility_declarations_never_go_back() {
        let mut previous = 0;
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            let version = index as u32 + 1;
            assert!(migration.oldest_compatible >= 1);
            assert!(migration.oldest_compatible <= version, "v{version}");
            assert!(migration.oldest_compatible >= previous, "v{version}");
            assert_eq!(oldest_compatible_at(version), migration.oldest_compatible);
            previous = migration.oldest_compatible;
        }
        assert_eq!(OLDEST_COMPATIBLE_SCHEMA, previous);
    }
}
