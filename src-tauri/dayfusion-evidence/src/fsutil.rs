//! File-system helpers: owner-only directories and files, atomic no-clobber
//! writes, directory fsync and walking.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Prefix of the temporary files written before an atomic link.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Creates `dir` and its missing ancestors one level at a time, each
/// owner-only (0700) on unix, and syncs every parent directory that gained
/// an entry, so that the new directories survive a power cut (not only the
/// files later written into the last one).
pub(crate) fn create_dir_private(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut current = dir;
    loop {
        match fs::metadata(current) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a directory", current.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                missing.push(current);
                match current.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => current = parent,
                    _ => break,
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    for level in missing.into_iter().rev() {
        match builder.create(level) {
            Ok(()) => {}
            // Created meanwhile by someone else, who may not have synced its
            // parent yet: sync it here too.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && level.is_dir() => {}
            Err(e) => return Err(e),
        }
        let parent = match level.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        sync_dir(parent)?;
    }
    Ok(())
}

/// Opens a new file for writing, failing if it exists; owner-only (0600) on
/// unix.
fn create_new_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Flushes a directory's entries to disk (a no-op where directories cannot
/// be opened, as on Windows).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Why an atomic write failed.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The target exists; nothing was changed.
    Exists,
    /// An I/O error, with what was being done.
    Io(io::Error, &'static str),
}

/// Writes `parts` to a new file `target` atomically and without clobbering:
/// a `.tmp-<uuid>` file in the same directory is written, synced, then
/// hard-linked to `target` (which fails if `target` exists) and removed; the
/// directory is synced last. On failure the temporary file is removed.
pub(crate) fn write_new_atomic(target: &Path, parts: &[&[u8]]) -> Result<(), WriteError> {
    let dir = target
        .parent()
        .ok_or_else(|| WriteError::Io(io::Error::other("target has no parent"), "resolving"))?;
    let tmp = dir.join(format!("{TEMP_PREFIX}{}", uuid::Uuid::new_v4()));
    let result = write_and_link(&tmp, target, parts);
    // Whatever happened, the temporary name must go (after a successful
    // link the data lives on under `target`).
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::warn!(error = %e, "could not remove an evidence temp file"),
    }
    result?;
    sync_dir(dir).map_err(|e| WriteError::Io(e, "syncing the directory"))
}

fn write_and_link(tmp: &Path, target: &Path, parts: &[&[u8]]) -> Result<(), WriteError> {
    let mut file = create_new_private(tmp).map_err(|e| WriteError::Io(e, "creating"))?;
    for part in parts {
        file.write_all(part)
            .map_err(|e| WriteError::Io(e, "writing"))?;
    }
    file.sync_all().map_err(|e| WriteError::Io(e, "syncing"))?;
    drop(file);
    match fs::hard_link(tmp, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(WriteError::Exists),
        Err(link_error) => {
            // File systems without hard links (FAT, some network mounts):
            // check, then rename. Not atomic against a concurrent writer of
            // the same key, which the kiosk's single-flow lock rules out.
            if fs::symlink_metadata(target).is_ok() {
                return Err(WriteError::Exists);
            }
            fs::rename(tmp, target).map_err(|rename_error| {
                tracing::debug!(error = %link_error, "hard link failed before rename");
                WriteError::Io(rename_error, "renaming")
            })
        }
    }
}

/// Every regular file under `dir`, recursively (symbolic links are not
/// followed and not returned). A missing `dir` gives nothing.
pub(crate) fn walk_files(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            walk_files(&entry.path(), out)?;
        } else if file_type.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

/// Whether a path's last component starts with `.` (temporary files).
pub(crate) fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'))
}

/// Removes empty directories from `dir` up to, not including, `stop`.
pub(crate) fn prune_empty_dirs(mut dir: &Path, stop: &Path) {
    while dir != stop && dir.starts_with(stop) {
        if fs::remove_dir(dir).is_err() {
            return;
        }
        let Some(parent) = dir.parent() else { return };
        if let Err(e) = sync_dir(parent) {
            tracing::debug!(error = %e, "could not sync an evidence directory");
        }
        dir = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_dir_private_makes_every_level_and_is_idempotent() -> io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let deep = tmp.path().join("a").join("b").join("c");
        create_dir_private(&deep)?;
        assert!(deep.is_dir());
        create_dir_private(&deep)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for dir in [tmp.path().join("a"), tmp.path().join("a/b"), deep.clone()] {
                assert_eq!(fs::metadata(&dir)?.permissions().mode() & 0o777, 0o700);
            }
        }
        fs::write(tmp.path().join("file"), b"x")?;
        assert!(create_dir_private(&tmp.path().join("file").join("sub")).is_err());
        Ok(())
    }
}
