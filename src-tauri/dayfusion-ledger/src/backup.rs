//! The copy of the log written next to it before a migration:
//! `<log file name>.v<old schema>.<UTC time>.bak`, owner-only, made with
//! `VACUUM INTO` (a consistent snapshot, WAL included), synced and then
//! renamed into place. Only the newest [`KEPT_BACKUPS`] are kept.

use std::fs::File;
use std::path::{Path, PathBuf};

use dayfusion_verify::StoreError;
use rusqlite::Connection;
use time::OffsetDateTime;

use crate::db_err;
use crate::schema::restrict_permissions;

/// How many copies made before migrations are kept next to the log.
pub const KEPT_BACKUPS: usize = 3;

/// The time in a backup's name: UTC, fixed width, so that text order is
/// time order.
const BACKUP_STAMP: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!(
    "[year][month][day]T[hour][minute][second].[subsecond digits:9]Z"
);

/// Ending of every backup's name.
const BACKUP_SUFFIX: &str = ".bak";

/// Ending of a backup being written (removed if the copy fails).
const PARTIAL_SUFFIX: &str = ".partial";

/// Copies the log at `path` (open as `conn`, at schema `version`) next to
/// it before a migration, then drops the oldest copies beyond
/// [`KEPT_BACKUPS`]. Any failure to write the copy is returned (and nothing
/// may then be migrated); a failure to drop an old copy is only logged.
pub(crate) fn back_up_before_migration(
    conn: &Connection,
    path: &Path,
    version: u32,
) -> Result<PathBuf, StoreError> {
    let (folder, name) = folder_and_name(path)?;
    let stamp = OffsetDateTime::now_utc()
        .format(BACKUP_STAMP)
        .map_err(|e| StoreError::Other(format!("cannot format a timestamp: {e}")))?;
    let backup = folder.join(format!("{name}.v{version}.{stamp}{BACKUP_SUFFIX}"));
    let mut partial = backup.as_os_str().to_owned();
    partial.push(PARTIAL_SUFFIX);
    let partial = PathBuf::from(partial);
    if let Err(error) = write_copy(conn, &partial, &backup, &folder) {
        let _ = std::fs::remove_file(&partial);
        tracing::error!(
            schema = version,
            "transaction log backup failed; not migrated"
        );
        return Err(not_migrated(error, version));
    }
    tracing::info!(
        schema = version,
        "transaction log backed up before migrating"
    );
    prune(path);
    Ok(backup)
}

/// The copies made before migrations of the log at `path`, oldest first.
pub fn migration_backups(path: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let (folder, name) = folder_and_name(path)?;
    let entries = match std::fs::read_dir(&folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::from_io(&e, "cannot list the log folder")),
    };
    let prefix = format!("{name}.v");
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::from_io(&e, "cannot list the log folder"))?;
        let file_name = entry.file_name();
        let Some(stamp) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(BACKUP_SUFFIX))
            .and_then(|n| n.split_once('.'))
            .filter(|(version, _)| {
                !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit())
            })
            .map(|(_, stamp)| stamp.to_owned())
        else {
            continue;
        };
        found.push((stamp, entry.path()));
    }
    found.sort();
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

/// The folder of the log and its file name.
fn folder_and_name(path: &Path) -> Result<(PathBuf, String), StoreError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            StoreError::Other("the transaction log's file name is not valid Unicode".to_owned())
        })?
        .to_owned();
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    Ok((folder, name))
}

/// Writes the snapshot to `partial` (created owner-only), syncs it, and
/// renames it to `backup`.
fn write_copy(
    conn: &Connection,
    partial: &Path,
    backup: &Path,
    folder: &Path,
) -> Result<(), StoreError> {
    if let Err(e) = std::fs::remove_file(partial)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(StoreError::from_io(
            &e,
            "cannot remove a stale partial copy",
        ));
    }
    create_owner_only(partial)?;
    let target = partial.to_str().ok_or_else(|| {
        StoreError::Other("the transaction log's path is not valid Unicode".to_owned())
    })?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(|e| db_err(e, "cannot copy the transaction log"))?;
    restrict_permissions(partial)?;
    File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::from_io(&e, "cannot sync the copy"))?;
    std::fs::rename(partial, backup)
        .map_err(|e| StoreError::from_io(&e, "cannot name the copy"))?;
    sync_folder(folder)
}

/// Creates an empty file readable by its owner only (`VACUUM INTO` writes
/// into an empty file and keeps its mode).
fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::from_io(&e, "cannot create the copy"))
}

#[cfg(unix)]
fn sync_folder(folder: &Path) -> Result<(), StoreError> {
    File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(|e| StoreError::from_io(&e, "cannot sync the log folder"))
}

#[cfg(not(unix))]
fn sync_folder(_folder: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// The error of a failed copy, saying that nothing was migrated; keeps a
/// full disk and an unwritable folder apart.
fn not_migrated(error: StoreError, version: u32) -> StoreError {
    let what = format!(
        "cannot back up the transaction log (schema v{version}) before migrating it; \
         it was not migrated"
    );
    match error {
        StoreError::StorageFull(detail) => StoreError::StorageFull(format!("{what}: {detail}")),
        StoreError::NotWritable(detail) => StoreError::NotWritable(format!("{what}: {detail}")),
        other => StoreError::Other(format!("{what}: {other}")),
    }
}

/// Drops the oldest copies beyond [`KEPT_BACKUPS`]; failures are logged.
fn prune(path: &Path) {
    let backups = match migration_backups(path) {
        Ok(backups) => backups,
        Err(error) => {
            tracing::warn!(%error, "cannot list the transaction log's backups");
            return;
        }
    };
    let excess = backups.len().saturating_sub(KEPT_BACKUPS);
    for old in &backups[..excess] {
        if let Err(error) = std::fs::remove_file(old) {
            tracing::warn!(%error, "cannot remove an old transaction log backup");
        }
    }
}
