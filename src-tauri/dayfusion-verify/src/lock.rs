//! One verification at a time per kiosk data folder.
//!
//! The lock is an OS file lock on `<data>/verification.lock`: the OS drops it
//! when the holder dies, so a transaction found in progress while holding
//! the lock was interrupted (see [`crate::maintenance::recover`]).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// File name of the lock in the data folder.
pub const LOCK_FILE: &str = "verification.lock";

/// Held while a verification (or maintenance) runs; released on drop.
#[derive(Debug)]
pub struct FlowLock {
    _file: File,
    path: PathBuf,
}

impl FlowLock {
    /// Takes the lock of `data_dir` without waiting: [`StoreError::Busy`]
    /// when another process holds it.
    pub fn try_acquire(data_dir: &Path) -> Result<FlowLock, StoreError> {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(data_dir)
            .map_err(|e| StoreError::from_io(&e, "cannot create the data folder"))?;
        let path = data_dir.join(LOCK_FILE);
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| StoreError::from_io(&e, "cannot open the verification lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(FlowLock { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(StoreError::Busy),
            Err(TryLockError::Error(e)) => {
                Err(StoreError::from_io(&e, "cannot take the verification lock"))
            }
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_until_the_first_lets_go() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let first = FlowLock::try_acquire(dir.path())?;
        assert!(matches!(
            FlowLock::try_acquire(dir.path()),
            Err(StoreError::Busy)
        ));
        drop(first);
        assert!(FlowLock::try_acquire(dir.path()).is_ok());
        Ok(())
    }
}
