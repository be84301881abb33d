//! Where the kiosk keeps its data and logs.
//!
//! Resolution order: `DAYFUSION_DATA_DIR` / `DAYFUSION_LOG_DIR`, then the
//! platform's per-user data folder (`$XDG_DATA_HOME/br.com.dayfusion.kiosk` on
//! Linux). The CLI and the app resolve the same folders.

use std::path::{Path, PathBuf};

use crate::APP_IDENTIFIER;

/// Environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "DAYFUSION_DATA_DIR";
/// Environment variable that overrides the log directory.
pub const LOG_DIR_ENV: &str = "DAYFUSION_LOG_DIR";
/// File name of the persisted settings inside the data directory.
pub const SETTINGS_FILE: &str = "settings.json";
/// Environment variable that overrides the models folder (re-exported by
/// `dayfusion_models`, which resolves it for the engines).
pub const MODELS_DIR_ENV: &str = "DAYFUSION_MODELS_DIR";
/// The SQLite transaction log (with the audit chain and the outbox).
pub const LOG_FILE: &str = "transactions.db";
/// The encrypted local evidence store.
pub const EVIDENCE_DIR: &str = "evidence";
/// Policies added to (or overriding) the shipped ones.
pub const POLICY_FILE: &str = "policies.toml";
/// Where the Debian package installs the pinned model pack (read-only,
/// root-owned): the engines load from it when the data folder has no
/// `models` folder of its own.
pub const PACKAGED_MODELS_DIR: &str = "/usr/share/dayfusion-kiosk/models";
/// Name of the models folder inside the data folder (where `models fetch`
/// writes).
pub const MODELS_SUBDIR: &str = "models";
/// The manifest a complete models folder holds (written last by `models
/// fetch`, re-exported by `dayfusion_models`).
pub const MODELS_MANIFEST_FILE: &str = "manifest.json";

/// The models folder the engines load from: the override when set (and not
/// empty); else `<data>/models` when it holds a manifest (a completed
/// `models fetch`); else `packaged` when it does (the Debian package's
/// pack); else `<data>/models`, where `models fetch` will write. An empty
/// or half-fetched `<data>/models` (no manifest: it is written last) never
/// hides the package's pack.
pub fn models_dir_from(over: Option<PathBuf>, data_dir: &Path, packaged: &Path) -> PathBuf {
    if let Some(dir) = over.filter(|p| !p.as_os_str().is_empty()) {
        return dir;
    }
    let own = data_dir.join(MODELS_SUBDIR);
    let complete = |dir: &Path| dir.join(MODELS_MANIFEST_FILE).is_file();
    if !complete(&own) && complete(packaged) {
        return packaged.to_path_buf();
    }
    own
}

/// Errors while resolving the kiosk's folders.
#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    /// No home directory and no override: nowhere to keep data.
    #[error("no per-user data folder on this system; set {DATA_DIR_ENV}")]
    NoDataDir,
}

/// The folders the kiosk writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskPaths {
    /// Settings, evidence and the transaction log live here.
    pub data_dir: PathBuf,
    /// Rotating log files live here.
    pub log_dir: PathBuf,
}

impl KioskPaths {
    /// Resolves the folders from the environment and the platform defaults.
    pub fn resolve() -> Result<Self, PathsError> {
        Self::resolve_with(|name| std::env::var_os(name).map(PathBuf::from))
    }

    /// Resolves the folders with `lookup` standing in for the environment.
    pub fn resolve_with(lookup: impl Fn(&str) -> Option<PathBuf>) -> Result<Self, PathsError> {
        let data_dir = match lookup(DATA_DIR_ENV).filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => dir,
            None => directories::BaseDirs::new()
                .map(|base| base.data_dir().join(APP_IDENTIFIER))
                .ok_or(PathsError::NoDataDir)?,
        };
        let log_dir = lookup(LOG_DIR_ENV)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| data_dir.join("logs"));
        Ok(Self { data_dir, log_dir })
    }

    /// Builds paths rooted at `data_dir`, logs in its `logs` subfolder.
    pub fn under(data_dir: impl AsRef<Path>) -> Self {
        let data_dir = data_dir.as_ref().to_path_buf();
        Self {
            log_dir: data_dir.join("logs"),
            data_dir,
        }
    }

    /// The models folder the engines load from (as
    /// `dayfusion_models::default_dir` resolves it): see [`models_dir_from`].
    pub fn models_dir(&self) -> PathBuf {
        models_dir_from(
            std::env::var_os(MODELS_DIR_ENV).map(PathBuf::from),
            &self.data_dir,
            Path::new(PACKAGED_MODELS_DIR),
        )
    }

    /// Path of the settings store file.
    pub fn settings_file(&self) -> PathBuf {
        self.data_dir.join(SETTINGS_FILE)
    }

    /// Path of the SQLite transaction log.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join(LOG_FILE)
    }

    /// Path of the local evidence store.
    pub fn evidence_dir(&self) -> PathBuf {
        self.data_dir.join(EVIDENCE_DIR)
    }

    /// Path of the kiosk's own policy file.
    pub fn policy_file(&self) -> PathBuf {
        self.data_dir.join(POLICY_FILE)
    }

    /// Creates both folders (owner-only on Unix) if they are missing.
    pub fn ensure(&self) -> std::io::Result<()> {
        for dir in [&self.data_dir, &self.log_dir] {
            create_private_dir(dir)?;
        }
        Ok(())
    }
}

/// Creates `dir` and its missing parents, owner-only (0700) on Unix.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_and_logs_default_under_data() -> Result<(), PathsError> {
        let paths = KioskPaths::resolve_with(|name| {
            (name == DATA_DIR_ENV).then(|| PathBuf::from("/srv/kiosk"))
        })?;
        assert_eq!(paths.data_dir, PathBuf::from("/srv/kiosk"));
        assert_eq!(paths.log_dir, PathBuf::from("/srv/kiosk/logs"));
        assert_eq!(
            paths.settings_file(),
            PathBuf::from("/srv/kiosk/settings.json")
        );

        let both = KioskPaths::resolve_with(|name| match name {
            DATA_DIR_ENV => Some(PathBuf::from("/a")),
            LOG_DIR_ENV => Some(PathBuf::from("/var/log/kiosk")),
            _ => None,
        })?;
        assert_eq!(both.log_dir, PathBuf::from("/var/log/kiosk"));
        Ok(())
    }

    #[test]
    fn empty_override_falls_back_to_platform_folder() -> Result<(), PathsError> {
        let paths = KioskPaths::resolve_with(|_| Some(PathBuf::new()))?;
        assert!(paths.data_dir.ends_with(APP_IDENTIFIER), "{paths:?}");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn folders_are_created_private() -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path().join("kiosk"));
        paths.ensure()?;
        let mode = std::fs::metadata(&paths.data_dir)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert!(paths.log_dir.is_dir());
        Ok(())
    }
}
