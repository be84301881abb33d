//! Rules for the kiosk settings: defaults and validation.
//!
//! Persistence belongs to the caller (the Tauri app uses `tauri-plugin-store`);
//! this module decides what a valid settings value is. [`validate`] checks
//! the value alone; [`validate_change`] also checks the document inbox
//! against the kiosk's folders ([`validate_inbox`]): the desk deletes scans
//! from it, so it must never be the data, log or models folder, the home
//! folder or a system folder, and must hold nothing but scans when it is set.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use dayfusion_ipc::{BackendMode, KioskSettings, Language};

use crate::paths::KioskPaths;

/// Longest kiosk id accepted.
pub const MAX_KIOSK_ID_LEN: usize = 64;
/// Longest camera device id accepted (WebKit and Chromium use 64 hex chars).
pub const MAX_CAMERA_ID_LEN: usize = 256;
/// Longest camera pin accepted (`vvvv:pppp:` and a USB serial, which USB
/// limits to 126 characters).
pub const MAX_CAMERA_PIN_LEN: usize = 136;

/// Why a settings value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// Kiosk id empty, too long, or with characters outside `[A-Za-z0-9._-]`.
    #[error("kiosk id must be 1-{MAX_KIOSK_ID_LEN} characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    InvalidKioskId,
    /// Camera id too long or with control characters.
    #[error("camera id must be at most {MAX_CAMERA_ID_LEN} printable characters")]
    InvalidCameraId,
    /// Camera pin not `VENDOR:PRODUCT[:SERIAL]` (USB ids, four hex digits).
    #[error("the camera pin must be VENDOR:PRODUCT[:SERIAL], USB ids of four hex digits")]
    InvalidCameraPin,
    /// Policy id empty, too long or with characters outside `[A-Za-z0-9._-]`.
    #[error("policy id must be 1-{MAX_KIOSK_ID_LEN} characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    InvalidPolicyId,
    /// Retention outside 1-3650 days.
    #[error("retention must be 1-3650 days")]
    InvalidRetention,
    /// Idle timeout outside 30-600 seconds.
    #[error("idle timeout must be 30-600 seconds")]
    InvalidIdleTimeout,
    /// Sync alert outside 1-720 hours.
    #[error("the sync alert must be 1-720 hours")]
    InvalidSyncAlert,
    /// Document inbox not an absolute path (or with `..` or control characters).
    #[error("the document inbox must be an absolute folder path")]
    InvalidDocumentInbox,
    /// Document inbox in a folder the desk must never clear.
    #[error(transparent)]
    Inbox(#[from] InboxError),
}

impl SettingsError {
    /// Stable code of the refusal (the screens map `inbox-…` codes to texts).
    pub fn code(&self) -> &'static str {
        match self {
            SettingsError::InvalidKioskId => "invalid-kiosk-id",
            SettingsError::InvalidCameraId => "invalid-camera-id",
            SettingsError::InvalidCameraPin => "invalid-camera-pin",
            SettingsError::InvalidPolicyId => "invalid-policy-id",
            SettingsError::InvalidRetention => "invalid-retention",
            SettingsError::InvalidIdleTimeout => "invalid-idle-timeout",
            SettingsError::InvalidSyncAlert => "invalid-sync-alert",
            SettingsError::InvalidDocumentInbox => "inbox-not-absolute",
            SettingsError::Inbox(e) => e.code(),
        }
    }
}

/// One of the kiosk's own folders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KioskFolder {
    /// Settings, evidence, the transaction log, staff.
    Data,
    /// Log files.
    Logs,
    /// The face model pack.
    Models,
}

impl fmt::Display for KioskFolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KioskFolder::Data => "data",
            KioskFolder::Logs => "log",
            KioskFolder::Models => "models",
        })
    }
}

/// Why a document inbox folder was refused: the desk deletes the scans in
/// it after every visit.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InboxError {
    /// The kiosk's data, log or models folder, a folder inside it, or one
    /// that contains it.
    #[error(
        "the document inbox cannot be the kiosk's {folder} folder, be inside it or contain it ({path})"
    )]
    KioskFolder {
        /// Which folder.
        folder: KioskFolder,
        /// That folder (resolved).
        path: PathBuf,
    },
    /// The home folder of the user the kiosk runs as.
    #[error("the document inbox cannot be the home folder ({0})")]
    HomeFolder(PathBuf),
    /// `/`, a top-level system folder or anything under /usr, /etc and the like.
    #[error("the document inbox cannot be the system folder {0}")]
    SystemFolder(PathBuf),
    /// Exists but is not a folder.
    #[error("the document inbox {0} is not a folder")]
    NotAFolder(PathBuf),
    /// Exists but cannot be listed.
    #[error("the document inbox {0} cannot be read")]
    Unreadable(PathBuf),
    /// Holds something other than scans (the first one by name).
    #[error(
        "the document inbox holds {0:?}, which is not a scan; choose a folder with only .jpg, .jpeg, .png or .pdf files, or an empty one"
    )]
    HoldsOtherFiles(String),
}

impl InboxError {
    /// Stable code of the refusal.
    pub fn code(&self) -> &'static str {
        match self {
            InboxError::KioskFolder {
                folder: KioskFolder::Data,
                ..
            } => "inbox-data-folder",
            InboxError::KioskFolder {
                folder: KioskFolder::Logs,
                ..
            } => "inbox-log-folder",
            InboxError::KioskFolder {
                folder: KioskFolder::Models,
                ..
            } => "inbox-models-folder",
            InboxError::HomeFolder(_) => "inbox-home-folder",
            InboxError::SystemFolder(_) => "inbox-system-folder",
            InboxError::NotAFolder(_) => "inbox-not-a-folder",
            InboxError::Unreadable(_) => "inbox-unreadable",
            InboxError::HoldsOtherFiles(_) => "inbox-holds-other-files",
        }
    }
}

/// Folders refused as the inbox themselves (their subfolders are fine:
/// `/srv/scans`, `/var/spool/dayfusion-scans`).
const SYSTEM_FOLDERS: [&str; 30] = [
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/run/user",
    "/sbin",
    "/srv",
    "/sys",
    "/tmp",
    "/usr",
    "/usr/local",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/mail",
    "/var/spool",
    "/var/tmp",
];

/// Folders refused with everything under them.
const SYSTEM_TREES: [&str; 12] = [
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin",
    "/sys", "/usr",
];

/// Extensions of the files a scanner leaves in the inbox (lowercase); the
/// desk's `clear_inbox` deletes regular files with these and nothing else.
pub const SCAN_EXTENSIONS: [&str; 4] = ["jpg", "jpeg", "png", "pdf"];

/// The key under which the app's settings store (`tauri-plugin-store`,
/// `<data>/settings.json`) holds the [`KioskSettings`] object; the CLI and
/// provisioning read the same file.
pub const SETTINGS_STORE_KEY: &str = "kiosk";

/// The settings saved in the settings store `file`, read without the app
/// (CLI, provisioning); `None` when the file is missing, unreadable or
/// holds no valid settings.
pub fn read_stored(file: &std::path::Path) -> Option<KioskSettings> {
    let bytes = std::fs::read(file).ok()?;
    let store: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let settings: KioskSettings =
        serde_json::from_value(store.get(SETTINGS_STORE_KEY)?.clone()).ok()?;
    validate(&settings).ok().map(|()| settings)
}

/// Settings of a kiosk that has never been configured: embedded backend,
/// Brazilian Portuguese, default camera and a fresh random kiosk id.
pub fn defaults() -> KioskSettings {
    let id = uuid::Uuid::new_v4().simple().to_string();
    KioskSettings {
        backend: BackendMode::Embedded,
        language: Language::PtBr,
        camera_id: None,
        kiosk_id: format!("kiosk-{}", &id[..8]),
        policy_id: "default".into(),
        retention_days: dayfusion_ipc::DEFAULT_RETENTION_DAYS,
        idle_timeout_seconds: dayfusion_ipc::DEFAULT_IDLE_TIMEOUT_SECONDS,
        document_inbox: None,
        mode: dayfusion_ipc::KioskMode::Kiosk,
        sync_alert_hours: dayfusion_ipc::DEFAULT_SYNC_ALERT_HOURS,
        camera_pin: None,
        spoken_guidance: false,
    }
}

/// Checks a settings value before it is stored.
pub fn validate(settings: &KioskSettings) -> Result<(), SettingsError> {
    let id_ok = |id: &str| {
        !id.is_empty()
            && id.len() <= MAX_KIOSK_ID_LEN
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if !id_ok(&settings.kiosk_id) {
        return Err(SettingsError::InvalidKioskId);
    }
    if !id_ok(&settings.policy_id) {
        return Err(SettingsError::InvalidPolicyId);
    }
    if !(1..=3650).contains(&settings.retention_days) {
        return Err(SettingsError::InvalidRetention);
    }
    if !(30..=600).contains(&settings.idle_timeout_seconds) {
        return Err(SettingsError::InvalidIdleTimeout);
    }
    if !(1..=720).contains(&settings.sync_alert_hours) {
        return Err(SettingsError::InvalidSyncAlert);
    }
    if let Some(inbox) = &settings.document_inbox {
        inbox_path(inbox)?;
    }
    if let Some(camera) = &settings.camera_id
        && (camera.is_empty()
            || camera.len() > MAX_CAMERA_ID_LEN
            || camera.chars().any(char::is_control))
    {
        return Err(SettingsError::InvalidCameraId);
    }
    if let Some(pin) = &settings.camera_pin
        && (pin.len() > MAX_CAMERA_PIN_LEN
            || pin.chars().any(char::is_control)
            || dayfusion_camera::CameraPin::parse(pin).is_none())
    {
        return Err(SettingsError::InvalidCameraPin);
    }
    Ok(())
}

/// Checks `new` before it replaces `old`: [`validate`], then the inbox's
/// place ([`validate_inbox_location`]) and, when the inbox changed, what
/// it holds ([`validate_inbox`]).
pub fn validate_change(
    old: &KioskSettings,
    new: &KioskSettings,
    paths: &KioskPaths,
) -> Result<(), SettingsError> {
    validate(new)?;
    match &new.document_inbox {
        Some(inbox) if old.document_inbox.as_ref() != Some(inbox) => validate_inbox(inbox, paths),
        Some(inbox) => validate_inbox_location(inbox, paths).map(|_| ()),
        None => Ok(()),
    }
}

/// Checks an inbox folder before it is set: its place
/// ([`validate_inbox_location`]), and that it is a folder (or does not exist
/// yet) holding only scans: regular .jpg, .jpeg, .png or .pdf files, no
/// subfolders, no links.
pub fn validate_inbox(inbox: &str, paths: &KioskPaths) -> Result<(), SettingsError> {
    let resolved = validate_inbox_location(inbox, paths)?;
    Ok(holds_only_scans(Path::new(inbox), &resolved)?)
}

/// Checks where an inbox folder is, not what it holds: absolute, and
/// neither the kiosk's data, log or models folder (nor inside one, nor
/// around one), the home folder, `/` or a system folder. Paths are compared
/// resolved (symlinks followed as far as the path exists). Returns the
/// resolved inbox.
pub fn validate_inbox_location(inbox: &str, paths: &KioskPaths) -> Result<PathBuf, SettingsError> {
    let inbox = inbox_path(inbox)?;
    let folders = [
        (KioskFolder::Data, paths.data_dir.clone()),
        (KioskFolder::Logs, paths.log_dir.clone()),
        (KioskFolder::Models, paths.models_dir()),
    ];
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    Ok(check_inbox_location(inbox, &folders, home.as_deref())?)
}

/// The inbox as a path: absolute, no `..`, no control characters.
fn inbox_path(inbox: &str) -> Result<&Path, SettingsError> {
    let path = Path::new(inbox);
    if !path.is_absolute()
        || inbox.chars().any(char::is_control)
        || path.components().any(|c| c == Component::ParentDir)
    {
        return Err(SettingsError::InvalidDocumentInbox);
    }
    Ok(path)
}

fn check_inbox_location(
    inbox: &Path,
    folders: &[(KioskFolder, PathBuf)],
    home: Option<&Path>,
) -> Result<PathBuf, InboxError> {
    let resolved = resolve(inbox);
    // As written and as resolved: `/lib` may be a link to `/usr/lib`.
    for path in [inbox, resolved.as_path()] {
        let system = SYSTEM_FOLDERS.iter().any(|s| path == Path::new(s))
            || SYSTEM_TREES.iter().any(|s| path.starts_with(s));
        if system {
            return Err(InboxError::SystemFolder(path.to_path_buf()));
        }
    }
    for (folder, dir) in folders {
        let dir = resolve(dir);
        if resolved.starts_with(&dir) || dir.starts_with(&resolved) {
            return Err(InboxError::KioskFolder {
                folder: *folder,
                path: dir,
            });
        }
    }
    if let Some(home) = home
        && (inbox == home || resolved == resolve(home))
    {
        return Err(InboxError::HomeFolder(home.to_path_buf()));
    }
    Ok(resolved)
}

/// `path` with symlinks resolved as far as it exists, the rest as written.
fn resolve(path: &Path) -> PathBuf {
    for existing in path.ancestors() {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return match path.strip_prefix(existing) {
                Ok(rest) if !rest.as_os_str().is_empty() => real.join(rest),
                _ => real,
            };
        }
    }
    path.to_path_buf()
}

/// Whether `name` is a scan's file name (by its extension, any case).
pub fn is_scan_name(name: &Path) -> bool {
    name.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SCAN_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `Ok` when the inbox does not exist yet or holds only scans.
fn holds_only_scans(inbox: &Path, resolved: &Path) -> Result<(), InboxError> {
    let Ok(meta) = std::fs::symlink_metadata(inbox) else {
        return Ok(());
    };
    // A link to a folder is followed (its target was checked above).
    let is_dir = if meta.file_type().is_symlink() {
        std::fs::metadata(inbox).is_ok_and(|m| m.is_dir())
    } else {
        meta.is_dir()
    };
    if !is_dir {
        return Err(InboxError::NotAFolder(inbox.to_path_buf()));
    }
    let entries =
        std::fs::read_dir(resolved).map_err(|_| InboxError::Unreadable(inbox.to_path_buf()))?;
    let mut others: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let scan =
                is_scan_name(Path::new(&e.file_name())) && e.file_type().is_ok_and(|t| t.is_file());
            !scan
        })
        .map(|e| {
            e.file_name()
                .to_string_lossy()
                .chars()
                .filter(|c| !c.is_control())
                .take(64)
                .collect()
        })
        .collect();
    others.sort();
    match others.into_iter().next() {
        Some(first) => Err(InboxError::HoldsOtherFiles(first)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_embedded_portuguese() {
        let a = defaults();
        assert_eq!(a.backend, BackendMode::Embedded);
        assert_eq!(a.language, Language::PtBr);
        assert_eq!(a.camera_id, None);
        assert_eq!(validate(&a), Ok(()));
        assert_ne!(a.kiosk_id, defaults().kiosk_id, "kiosk ids must not repeat");
    }

    #[test]
    fn bad_kiosk_ids_are_refused() {
        for bad in ["", "kiosk 1", "../etc", "quiosque-ç", &"x".repeat(65)] {
            let s = KioskSettings {
                kiosk_id: bad.into(),
                ..defaults()
            };
            assert_eq!(validate(&s), Err(SettingsError::InvalidKioskId), "{bad:?}");
        }
        let ok = KioskSettings {
            kiosk_id: "ag-0001.t_2".into(),
            ..defaults()
        };
        assert_eq!(validate(&ok), Ok(()));
    }

    #[test]
    fn a_camera_pin_is_usb_ids_and_maybe_a_serial() {
        for bad in [
            "",
            "Integrated Camera",
            "46d:082d",
            "046d:082d:a\nb",
            &format!("046d:082d:{}", "s".repeat(127)),
        ] {
            let s = KioskSettings {
                camera_pin: Some(bad.into()),
                ..defaults()
            };
            assert_eq!(
                validate(&s),
                Err(SettingsError::InvalidCameraPin),
                "{bad:?}"
            );
            assert_eq!(SettingsError::InvalidCameraPin.code(), "invalid-camera-pin");
        }
        for ok in ["046d:082d", "046D:082d:K1"] {
            let s = KioskSettings {
                camera_pin: Some(ok.into()),
                ..defaults()
            };
            assert_eq!(validate(&s), Ok(()), "{ok}");
        }
    }

    #[test]
    fn bad_camera_ids_are_refused() {
        for bad in [String::new(), "a\nb".into(), "c".repeat(257)] {
            let s = KioskSettings {
                camera_id: Some(bad.clone()),
                ..defaults()
            };
            assert_eq!(validate(&s), Err(SettingsError::InvalidCameraId), "{bad:?}");
        }
    }

    #[test]
    fn stored_settings_are_read_from_the_app_store_file() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("settings.json");
        assert_eq!(read_stored(&file), None, "no file");
        let saved = KioskSettings {
            kiosk_id: "agencia-0042".into(),
            sync_alert_hours: 6,
            ..defaults()
        };
        let store = serde_json::json!({ SETTINGS_STORE_KEY: saved, "other": 1 });
        std::fs::write(&file, serde_json::to_vec(&store)?)?;
        assert_eq!(read_stored(&file), Some(saved.clone()));
        let invalid = serde_json::json!({ SETTINGS_STORE_KEY: KioskSettings {
            kiosk_id: "bad id".into(),
            ..saved
        }});
        std::fs::write(&file, serde_json::to_vec(&invalid)?)?;
        assert_eq!(read_stored(&file), None, "invalid settings are not used");
        std::fs::write(&file, b"{not json")?;
        assert_eq!(read_stored(&file), None);
        Ok(())
    }

    #[test]
    fn out_of_range_visit_settings_are_refused() {
        let with = |f: &dyn Fn(&mut KioskSettings)| {
            let mut s = defaults();
            f(&mut s);
            validate(&s)
        };
        assert_eq!(
            with(&|s| s.retention_days = 0),
            Err(SettingsError::InvalidRetention)
        );
        assert_eq!(
            with(&|s| s.idle_timeout_seconds = 5),
            Err(SettingsError::InvalidIdleTimeout)
        );
        assert_eq!(
            with(&|s| s.sync_alert_hours = 0),
            Err(SettingsError::InvalidSyncAlert)
        );
        assert_eq!(
            with(&|s| s.sync_alert_hours = 721),
            Err(SettingsError::InvalidSyncAlert)
        );
        assert_eq!(
            with(&|s| s.policy_id = "a b".into()),
            Err(SettingsError::InvalidPolicyId)
        );
        assert_eq!(
            with(&|s| s.document_inbox = Some("relative/inbox".into())),
            Err(SettingsError::InvalidDocumentInbox)
        );
        assert_eq!(
            with(&|s| s.document_inbox = Some("/srv/scans".into())),
            Ok(())
        );
    }

    fn code(result: Result<(), SettingsError>) -> Option<&'static str> {
        result.err().map(|e| e.code())
    }

    fn text(path: &Path) -> &str {
        path.to_str().unwrap_or_default()
    }

    #[test]
    fn inbox_refuses_the_data_folder_and_other_dangerous_folders() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let base = std::fs::canonicalize(tmp.path())?;
        let paths = KioskPaths {
            data_dir: base.join("data"),
            log_dir: base.join("var-log/dayfusion"),
        };
        paths.ensure()?;
        for file in ["transactions.db", "staff.json", "settings.json"] {
            std::fs::write(paths.data_dir.join(file), b"{}")?;
        }
        let check = |inbox: &Path| code(validate_inbox(text(inbox), &paths));

        // The data folder, inside it, around it; the log folder likewise.
        assert_eq!(check(&paths.data_dir), Some("inbox-data-folder"));
        assert_eq!(
            check(&paths.data_dir.join("inbox")),
            Some("inbox-data-folder")
        );
        assert_eq!(
            check(&paths.data_dir.join("evidence/x")),
            Some("inbox-data-folder")
        );
        assert_eq!(check(&base), Some("inbox-data-folder"));
        assert_eq!(check(&paths.log_dir), Some("inbox-log-folder"));
        assert_eq!(
            check(&paths.log_dir.join("scans")),
            Some("inbox-log-folder")
        );
        assert_eq!(check(&base.join("var-log")), Some("inbox-log-folder"));
        // Through a symlink, existing or not below it.
        #[cfg(unix)]
        {
            let link = base.join("scans-link");
            std::os::unix::fs::symlink(&paths.data_dir, &link)?;
            assert_eq!(check(&link), Some("inbox-data-folder"));
            assert_eq!(check(&link.join("new")), Some("inbox-data-folder"));
        }
        // Written with `..`: refused outright.
        let dotted = format!("{}/inbox/../data", base.display());
        assert_eq!(
            code(validate_inbox(&dotted, &paths)),
            Some("inbox-not-absolute")
        );

        // The models folder (DAYFUSION_MODELS_DIR may put it anywhere) and home.
        let models = base.join("opt-models");
        let home = base.join("home-kiosk");
        std::fs::create_dir_all(&home)?;
        let folders = [
            (KioskFolder::Data, paths.data_dir.clone()),
            (KioskFolder::Models, models.clone()),
        ];
        let at =
            |inbox: &Path| check_inbox_location(inbox, &folders, Some(&home)).map_err(|e| e.code());
        assert_eq!(at(&models), Err("inbox-models-folder"));
        assert_eq!(at(&models.join("face")), Err("inbox-models-folder"));
        assert_eq!(at(&home), Err("inbox-home-folder"));
        assert_eq!(
            at(&home.join("scans")),
            Ok(home.join("scans")),
            "a folder in home is fine"
        );

        // `/` and system folders.
        for system in [
            "/",
            "/bin",
            "/boot",
            "/dev",
            "/etc",
            "/lib",
            "/lib64",
            "/proc",
            "/root",
            "/run",
            "/sbin",
            "/sys",
            "/usr",
            "/var",
            "/tmp",
            "/home",
            "/etc/cups",
            "/usr/share/scans",
            "/proc/self",
            "/dev/shm",
            "/sys/kernel",
            "/boot/efi",
            "/lib/x",
        ] {
            assert_eq!(
                code(validate_inbox(system, &paths)),
                Some("inbox-system-folder"),
                "{system}"
            );
        }
        // Ordinary scan folders are fine, existing or not.
        for fine in [
            "/srv/scans",
            "/var/spool/dayfusion-scans",
            "/mnt/scanner/inbox",
        ] {
            assert_eq!(validate_inbox(fine, &paths), Ok(()), "{fine}");
        }
        let scans = base.join("scans");
        assert_eq!(check(&scans), None, "not created yet");
        std::fs::create_dir(&scans)?;
        std::fs::write(scans.join("a.jpg"), b"scan")?;
        std::fs::write(scans.join("B.PDF"), b"scan")?;
        assert_eq!(check(&scans), None, "only scans");

        // A folder holding anything but scans, at the time it is set.
        std::fs::write(scans.join("notes.txt"), b"x")?;
        assert_eq!(check(&scans), Some("inbox-holds-other-files"));
        std::fs::remove_file(scans.join("notes.txt"))?;
        std::fs::create_dir(scans.join("old.jpg"))?;
        assert_eq!(
            check(&scans),
            Some("inbox-holds-other-files"),
            "a subfolder"
        );
        std::fs::remove_dir(scans.join("old.jpg"))?;
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(paths.data_dir.join("staff.json"), scans.join("c.jpg"))?;
            assert_eq!(check(&scans), Some("inbox-holds-other-files"), "a link");
            std::fs::remove_file(scans.join("c.jpg"))?;
        }
        // A file is not a folder.
        assert_eq!(check(&scans.join("a.jpg")), Some("inbox-not-a-folder"));
        assert_eq!(check(&scans), None);

        // Every refusal names the finding for the screens.
        let refused = validate_inbox(text(&paths.data_dir), &paths);
        let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("data folder"), "{message}");
        Ok(())
    }

    #[test]
    fn saving_settings_checks_a_new_inbox_and_never_a_dangerous_one() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path().join("data"));
        paths.ensure()?;
        let scans = tmp.path().join("scans");
        std::fs::create_dir(&scans)?;
        let old = KioskSettings {
            document_inbox: Some(text(&scans).into()),
            ..defaults()
        };
        // Later, something that is not a scan lands in the inbox: saving
        // other settings still works.
        std::fs::write(scans.join("readme.txt"), b"x")?;
        let renamed = KioskSettings {
            kiosk_id: "ag-0002".into(),
            ..old.clone()
        };
        assert_eq!(validate_change(&old, &renamed, &paths), Ok(()));
        // Setting it anew checks what it holds.
        let fresh = KioskSettings {
            document_inbox: None,
            ..old.clone()
        };
        assert_eq!(
            code(validate_change(&fresh, &renamed, &paths)),
            Some("inbox-holds-other-files")
        );
        // The data folder is refused even when it was stored before.
        let dangerous = KioskSettings {
            document_inbox: Some(text(&paths.data_dir).into()),
            ..defaults()
        };
        assert_eq!(
            code(validate_change(&dangerous, &dangerous, &paths)),
            Some("inbox-data-folder")
        );
        assert_eq!(validate_change(&old, &fresh, &paths), Ok(()));
        Ok(())
    }
}
