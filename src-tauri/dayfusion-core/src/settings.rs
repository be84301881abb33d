//! Rules for the kiosk settings: defaults and validation.
//!
//! Persistence belongs to the caller (the Tauri app uses `tauri-plugin-store`);
//! this module decides what a valid settings value is.

use dayfusion_ipc::{BackendMode, KioskSettings, Language};

/// Longest kiosk id accepted.
pub const MAX_KIOSK_ID_LEN: usize = 64;
/// Longest camera device id accepted (WebKit and Chromium use 64 hex chars).
pub const MAX_CAMERA_ID_LEN: usize = 256;

/// Why a settings value was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// Kiosk id empty, too long, or with characters outside `[A-Za-z0-9._-]`.
    #[error("kiosk id must be 1-{MAX_KIOSK_ID_LEN} characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    InvalidKioskId,
    /// Camera id too long or with control characters.
    #[error("camera id must be at most {MAX_CAMERA_ID_LEN} printable characters")]
    InvalidCameraId,
    /// Policy id empty, too long or with characters outside `[A-Za-z0-9._-]`.
    #[error("policy id must be 1-{MAX_KIOSK_ID_LEN} characters of A-Z, a-z, 0-9, '.', '_' or '-'")]
    InvalidPolicyId,
    /// Retention outside 1-3650 days.
    #[error("retention must be 1-3650 days")]
    InvalidRetention,
    /// Idle timeout outside 30-600 seconds.
    #[error("idle timeout must be 30-600 seconds")]
    InvalidIdleTimeout,
    /// Document inbox not an absolute path.
    #[error("the document inbox must be an absolute folder path")]
    InvalidDocumentInbox,
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
    if let Some(inbox) = &settings.document_inbox
        && (!std::path::Path::new(inbox).is_absolute() || inbox.chars().any(char::is_control))
    {
        return Err(SettingsError::InvalidDocumentInbox);
    }
    if let Some(camera) = &settings.camera_id
        && (camera.is_empty()
            || camera.len() > MAX_CAMERA_ID_LEN
            || camera.chars().any(char::is_control))
    {
        return Err(SettingsError::InvalidCameraId);
    }
    Ok(())
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
}
