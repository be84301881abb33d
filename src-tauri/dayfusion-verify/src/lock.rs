//! The kiosk's two locks, OS file locks in the data folder that the OS
//! drops when the holder dies:
//!
//! - [`FlowLock`] (`verification.lock`): one verification at a time, so a
//!   transaction found in progress while holding it was interrupted (see
//!   [`crate::maintenance::recover`]);
//! - [`HousekeepingLock`] (`housekeeping.lock`): one outbox sync or
//!   retention purge at a time (the app's background service and the CLI).
//!   They touch only final transactions, never a running verification, so
//!   they never wait for, nor delay, a customer's visit.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::StoreError;

/// File name of the verification lock in the data folder.
pub const LOCK_FILE: &str = "verification.lock";

/// File name of the sync and purge lock in the data folder.
pub const HOUSEKEEPING_LOCK_FILE: &str = "housekeeping.lock";

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
        let (file, path) = try_lock_file(data_dir, LOCK_FILE)?;
        Ok(FlowLock { _file: file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Held while an outbox sync or a retention purge runs; released on drop.
#[derive(Debug)]
pub struct HousekeepingLock {
    _file: File,
}

impl HousekeepingLock {
    /// Takes the lock without waiting: [`StoreError::Busy`] when a sync or
    /// purge runs elsewhere.
    pub fn try_acquire(data_dir: &Path) -> Result<HousekeepingLock, StoreError> {
        let (file, _) = try_lock_file(data_dir, HOUSEKEEPING_LOCK_FILE)?;
        Ok(HousekeepingLock { _file: file })
    }

    /// Takes the lock, waiting up to `wait` for a running sync or purge to
    /// finish; [`StoreError::Busy`] after that.
    pub fn acquire(data_dir: &Path, wait: Duration) -> Result<HousekeepingLock, StoreError> {
        let deadline = Instant::now() + wait;
        loop {
            match HousekeepingLock::try_acquire(data_dir) {
                Err(StoreError::Busy) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                other => return other,
            }
        }
    }
}

/// Opens (creating the folder 0700 and the file 0600) and locks
/// `<data_dir>/<name>` without waiting.
fn try_lock_file(data_dir: &Path, name: &str) -> Result<(File, PathBuf), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(data_dir)
        .map_err(|e| StoreError::from_io(&e, "cannot create the data folder"))?;
    let path = data_dir.join(name);
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .map_err(|e| StoreError::from_io(&e, "cannot open a lock file"))?;
    match file.try_lock() {
        Ok(()) => Ok((file, path)),
        Err(TryLockError::WouldBlock) => Err(StoreError::Busy),
        Err(TryLockError::Error(e)) => Err(StoreError::from_io(&e, "cannot take a lock")),
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

    #[test]
    fn housekeeping_never_waits_for_a_verification() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let _visit = FlowLock::try_acquire(dir.path())?;
        let sync = HousekeepingLock::try_acquire(dir.path())?;
        assert!(matches!(
            HousekeepingLock::acquire(dir.path(), Duration::from_millis(200)),
            Err(StoreError::Busy)
        ));
        let waiter = {
            let path = dir.path().to_owned();
            std::thread::spawn(move || HousekeepingLock::acquire(&path, Duration::from_secs(10)))
        };
        std::thread::sleep(Duration::from_millis(150));
        drop(sync);
        assert!(waiter.join().map_err(|_| "waiter panicked")?.is_ok());
        Ok(())
    }
}
