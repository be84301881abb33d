//! Kiosk settings persisted with `tauri-plugin-store` in the data folder.
//!
//! The plugin silently starts empty when its file cannot be parsed; here a
//! corrupt file is moved aside first (never overwritten) and the health report
//! says so.

use std::{path::Path, sync::Arc, sync::Mutex};

use dayfusion_core::{paths::KioskPaths, settings};
use dayfusion_ipc::KioskSettings;
use tauri::{AppHandle, Runtime, Wry};
use tauri_plugin_store::{Store, StoreExt};

/// Key under which the settings object is stored.
const SETTINGS_KEY: &str = settings::SETTINGS_STORE_KEY;

/// Errors of the settings store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store file could not be opened.
    #[error("cannot open settings store: {0}")]
    Open(String),
    /// The settings could not be written.
    #[error("cannot save settings: {0}")]
    Save(String),
    /// The new value is invalid.
    #[error(transparent)]
    Invalid(#[from] settings::SettingsError),
}

/// Persisted settings and the state of their store.
pub struct SettingsStore<R: Runtime = Wry> {
    store: Arc<Store<R>>,
    /// The kiosk's folders, which the document inbox must stay clear of.
    paths: KioskPaths,
    current: Mutex<KioskSettings>,
    /// Outcome of the last load or save, for the health report.
    health: Mutex<Result<(), String>>,
}

impl<R: Runtime> SettingsStore<R> {
    /// Opens (or creates) the store in the data folder and loads the settings,
    /// writing defaults on first run.
    pub fn open(app: &AppHandle<R>, paths: &KioskPaths) -> Result<Self, StoreError> {
        let file = paths.settings_file();
        let mut health = Ok(());
        if let Some(moved) = quarantine_if_corrupt(&file) {
            tracing::warn!(event = "settings_quarantined", file = %moved.display(), "unreadable settings file moved aside");
            health = Err(format!(
                "unreadable settings file moved to {}",
                moved.display()
            ));
        }
        let store = app
            .store_builder(&file)
            .disable_auto_save()
            .build()
            .map_err(|e| StoreError::Open(e.to_string()))?;
        let loaded = store
            .get(SETTINGS_KEY)
            .and_then(|v| serde_json::from_value::<KioskSettings>(v).ok())
            .filter(|s| settings::validate(s).is_ok())
            .map(|s| without_dangerous_inbox(s, paths));
        let this = Self {
            current: Mutex::new(loaded.clone().unwrap_or_else(settings::defaults)),
            store,
            paths: paths.clone(),
            health: Mutex::new(health),
        };
        if loaded.is_none() {
            let defaults = this.get();
            this.persist(&defaults)?;
            tracing::info!(event = "settings_initialised", "default settings written");
        }
        Ok(this)
    }

    /// The current settings.
    pub fn get(&self) -> KioskSettings {
        lock(&self.current).clone()
    }

    /// Validates (the document inbox against the kiosk's folders, and what
    /// it holds when it changes), stores and returns the new settings.
    pub fn save(&self, new: KioskSettings) -> Result<KioskSettings, StoreError> {
        settings::validate_change(&self.get(), &new, &self.paths)?;
        self.persist(&new)?;
        let old = std::mem::replace(&mut *lock(&self.current), new.clone());
        tracing::info!(
            event = "settings_saved",
            backend_changed = old.backend != new.backend,
            language_changed = old.language != new.language,
            camera_changed = old.camera_id != new.camera_id,
            kiosk_id_changed = old.kiosk_id != new.kiosk_id,
            "settings saved"
        );
        Ok(new)
    }

    /// Outcome of the last load or save.
    pub fn health(&self) -> Result<(), String> {
        lock(&self.health).clone()
    }

    fn persist(&self, value: &KioskSettings) -> Result<(), StoreError> {
        let json = serde_json::to_value(value).map_err(|e| StoreError::Save(e.to_string()))?;
        self.store.set(SETTINGS_KEY, json);
        let result = self
            .store
            .save()
            .map_err(|e| StoreError::Save(e.to_string()));
        let mut health = lock(&self.health);
        match &result {
            // A successful save clears an earlier save error, not a quarantine notice.
            Ok(()) if health.as_ref().is_err_and(|e| e.starts_with("cannot save")) => {
                *health = Ok(())
            }
            Ok(()) => {}
            Err(e) => *health = Err(e.to_string()),
        }
        result
    }
}

/// `stored` without its document inbox when that is in a place the desk
/// must never clear (stored before the rule existed, or edited by hand).
fn without_dangerous_inbox(mut stored: KioskSettings, paths: &KioskPaths) -> KioskSettings {
    if let Some(inbox) = &stored.document_inbox
        && let Err(e) = settings::validate_inbox_location(inbox, paths)
    {
        tracing::warn!(event = "inbox_ignored", code = e.code(), error = %e, "the stored document inbox is ignored");
        stored.document_inbox = None;
    }
    stored
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Moves an unparsable settings file aside; returns where it went.
fn quarantine_if_corrupt(file: &Path) -> Option<std::path::PathBuf> {
    let bytes = std::fs::read(file).ok()?;
    if serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&bytes).is_ok() {
        return None;
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let target = file.with_extension(format!("json.corrupt-{stamp}"));
    std::fs::rename(file, &target).ok().map(|()| target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_settings_are_moved_aside_not_lost() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let file = tmp.path().join("settings.json");
        std::fs::write(&file, b"{\"kiosk\": {trunc")?;
        let moved = quarantine_if_corrupt(&file);
        let moved = moved.ok_or_else(|| std::io::Error::other("not moved"))?;
        assert!(!file.exists());
        assert_eq!(std::fs::read(&moved)?, b"{\"kiosk\": {trunc");

        std::fs::write(&file, b"{\"kiosk\": {}}")?;
        assert_eq!(quarantine_if_corrupt(&file), None, "valid JSON stays");
        Ok(())
    }

    #[test]
    fn a_stored_inbox_in_the_data_folder_is_ignored_on_load() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path());
        let with = |inbox: &std::path::Path| KioskSettings {
            document_inbox: Some(inbox.display().to_string()),
            ..settings::defaults()
        };
        let loaded = without_dangerous_inbox(with(&paths.data_dir), &paths);
        assert_eq!(loaded.document_inbox, None);
        let scans = tmp
            .path()
            .parent()
            .unwrap_or(tmp.path())
            .join("dayfusion-scans-test");
        let kept = without_dangerous_inbox(with(&scans), &paths);
        assert_eq!(kept.document_inbox, Some(scans.display().to_string()));
        Ok(())
    }
}
