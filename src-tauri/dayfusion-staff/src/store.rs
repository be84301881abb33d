//! `staff.json`: the accounts on disk, read and written under a file lock
//! shared by every process of the kiosk (the app and the CLI).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{Role, StaffError};

/// The accounts file in the data folder.
pub const STAFF_FILE: &str = "staff.json";
/// The lock file beside it (its content is never read).
const LOCK_FILE: &str = "staff.lock";
/// The format written now.
const FORMAT: u32 = 2;

/// A lockout as stored: when it began (Unix seconds, wall clock) and how
/// long it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredLock {
    pub since: u64,
    pub seconds: u64,
}

/// One account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredAccount {
    pub name: String,
    pub role: Role,
    /// PHC string (`$argon2id$v=19$…`).
    pub pin_hash: String,
    /// Wrong PINs since the last right one or lockout.
    #[serde(default)]
    pub failures: u32,
    /// Lockouts since the last right PIN (the next one is longer).
    #[serde(default)]
    pub lockouts: u32,
    #[serde(default)]
    pub lock: Option<StoredLock>,
}

/// The whole file. A file of the retired shared-PIN format (version 1,
/// `pinHash` at the top) reads as no accounts: that PIN opens nothing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StaffFile {
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub accounts: BTreeMap<String, StoredAccount>,
}

fn storage(e: impl std::fmt::Display) -> StaffError {
    StaffError::Storage(e.to_string())
}

/// The file and its lock in one data folder.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    dir: PathBuf,
}

/// An exclusive hold on the accounts (released when dropped).
pub(crate) struct Held {
    _lock: Option<File>,
}

impl Store {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.to_owned(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(STAFF_FILE)
    }

    /// Waits for the exclusive lock shared with other processes.
    pub fn hold(&self) -> Result<Held, StaffError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(LOCK_FILE))
            .map_err(storage)?;
        file.lock().map_err(storage)?;
        Ok(Held { _lock: Some(file) })
    }

    /// The lock for reading only: waited for when the lock file exists,
    /// never created (without one, no process has written the accounts
    /// under it, and a read needs no hold: writes are atomic renames).
    pub fn hold_existing(&self) -> Result<Held, StaffError> {
        match std::fs::OpenOptions::new()
            .read(true)
            .open(self.dir.join(LOCK_FILE))
        {
            Ok(file) => {
                file.lock().map_err(storage)?;
                Ok(Held { _lock: Some(file) })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Held { _lock: None }),
            Err(e) => Err(storage(e)),
        }
    }

    /// Reads the file (none yet = no accounts). Needs the hold.
    pub fn read(&self, _held: &Held) -> Result<StaffFile, StaffError> {
        match std::fs::read(self.path()) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(storage),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StaffFile::default()),
            Err(e) => Err(storage(e)),
        }
    }

    /// Writes `file` atomically and owner-only, then syncs the folder so
    /// the rename itself survives a power cut. Needs the hold.
    pub fn write(&self, _held: &Held, file: &StaffFile) -> Result<(), StaffError> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir).map_err(storage)?;
        let current = StaffFile {
            version: FORMAT,
            accounts: file.accounts.clone(),
        };
        serde_json::to_writer_pretty(tmp.as_file_mut(), &current).map_err(storage)?;
        tmp.as_file().sync_all().map_err(storage)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600))
                .map_err(storage)?;
        }
        tmp.persist(self.path()).map_err(storage)?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(storage)?;
        Ok(())
    }
}
