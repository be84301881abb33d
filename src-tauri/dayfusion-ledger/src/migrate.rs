//! Bringing a file to this code's schema, and the rule for files written by
//! newer code: each migration records in `kiosk_state` the oldest schema
//! version whose code can still read and write the file, and older code
//! opens a newer file, unchanged, only when it is that version or newer.

use std::path::Path;

use dayfusion_verify::StoreError;
use rusqlite::{Connection, OptionalExtension, params};

use crate::backup::back_up_before_migration;
use crate::schema::{MIGRATIONS, SCHEMA_VERSION, oldest_compatible_at, user_version};
use crate::{begin, db_err};

/// `kiosk_state` key: the oldest schema version whose code can read and
/// write the file (decimal), written by every migration.
pub const OLDEST_COMPATIBLE_KEY: &str = "schema.oldest_compatible";

/// `kiosk_state` key: the kiosk version whose code last migrated the file.
pub const MIGRATED_BY_KEY: &str = "schema.migrated_by";

/// The version of this kiosk (the workspace's package version).
pub const KIOSK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Applies the missing migrations, one SQL transaction each, after copying
/// an older file that has data (see [`back_up_before_migration`]). A file
/// newer than this code is left unchanged: accepted when compatible,
/// refused otherwise.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let current = user_version(conn)?;
    if current > SCHEMA_VERSION {
        return accept_newer(conn, current);
    }
    if current > 0 && current < SCHEMA_VERSION {
        back_up_before_migration(conn, path, current)?;
    }
    for (index, migration) in MIGRATIONS.iter().enumerate() {
        let target = index as u32 + 1;
        let tx = begin(conn)?;
        // Re-read inside the write lock: another process may have migrated.
        let now_at = user_version(&tx)?;
        if now_at > SCHEMA_VERSION {
            // Dropping `tx` rolls back: nothing was written.
            return accept_newer(&tx, now_at);
        }
        if now_at >= target {
            continue;
        }
        tx.execute_batch(migration.sql)
            .map_err(|e| db_err(e, "apply migration"))?;
        tx.pragma_update(None, "user_version", target)
            .map_err(|e| db_err(e, "set schema version"))?;
        record_compatibility(&tx, target)?;
        tx.commit().map_err(|e| db_err(e, "commit migration"))?;
        tracing::info!(schema = target, "transaction log migrated");
    }
    Ok(())
}

/// Accepts a file at schema `version`, newer than this code, when the code
/// that wrote it declared this schema compatible; otherwise the error says
/// which kiosk can open it. Reads only.
pub(crate) fn accept_newer(conn: &Connection, version: u32) -> Result<(), StoreError> {
    let oldest = state_value(conn, OLDEST_COMPATIBLE_KEY)?.and_then(|v| v.parse::<u32>().ok());
    match oldest {
        Some(oldest) if oldest <= SCHEMA_VERSION => {
            tracing::info!(
                schema = version,
                oldest_compatible = oldest,
                "transaction log is newer than this kiosk and compatible with it"
            );
            Ok(())
        }
        _ => {
            let migrated_by = state_value(conn, MIGRATED_BY_KEY)?;
            Err(incompatible(version, oldest, migrated_by.as_deref()))
        }
    }
}

/// The refusal of a newer file, naming the kiosk that can open it.
fn incompatible(version: u32, oldest: Option<u32>, migrated_by: Option<&str>) -> StoreError {
    let needed = oldest.unwrap_or(version);
    let install = match migrated_by {
        Some(kiosk) => format!("install DayFusion Kiosk {kiosk} (which wrote it) or a later one"),
        None => "install the kiosk version that wrote it or a later one".to_owned(),
    };
    StoreError::Other(format!(
        "database schema v{version} is newer than this kiosk (DayFusion Kiosk {KIOSK_VERSION}, \
         schema v{SCHEMA_VERSION}) and needs a kiosk with schema v{needed} or newer: {install}; \
         the transaction log was left unchanged"
    ))
}

/// Records, inside a migration to `version`, which schema versions can
/// still use the file. Files before `kiosk_state` existed record nothing.
fn record_compatibility(tx: &rusqlite::Transaction<'_>, version: u32) -> Result<(), StoreError> {
    if !has_kiosk_state(tx)? {
        return Ok(());
    }
    for (key, value) in [
        (
            OLDEST_COMPATIBLE_KEY,
            oldest_compatible_at(version).to_string(),
        ),
        (MIGRATED_BY_KEY, KIOSK_VERSION.to_owned()),
    ] {
        tx.execute(
            "INSERT INTO kiosk_state (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )
        .map_err(|e| db_err(e, "record schema compatibility"))?;
    }
    Ok(())
}

fn has_kiosk_state(conn: &Connection) -> Result<bool, StoreError> {
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'kiosk_state'",
        [],
        |row| row.get::<_, i64>(0),
    )
    .map(|n| n > 0)
    .map_err(|e| db_err(e, "read schema"))
}

/// The `kiosk_state` value of `key`; `None` when unset or when the file has
/// no `kiosk_state` table.
fn state_value(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    if !has_kiosk_state(conn)? {
        return Ok(None);
    }
    conn.query_row(
        "SELECT value FROM kiosk_state WHERE key = ?1",
        params![key],
        |row| row.get(0),
    )
    .optional()
    .map_err(|e| db_err(e, "read kiosk state"))
}
