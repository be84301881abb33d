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
    }
}

/// Checks a settings value before it is stored.
pub fn validate(settings: &KioskSettings) -> Result<(), SettingsError> {
    let id = &settings.kiosk_id;
    let id_ok = !id.is_empty()
        && id.len() <= MAX_KIOSK_ID_LEN
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !id_ok {
        return Err(SettingsError::InvalidKioskId);
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
}
