//! Which cameras may film a liveness check on this kiosk.

use std::path::PathBuf;

use dayfusion_camera::{CameraPin, CameraRefusal, enumerate, resolve};
use dayfusion_liveness::LivenessError;

/// Environment variable pinning the kiosk's camera:
/// `VENDOR:PRODUCT[:SERIAL]` (USB ids, hex), e.g. `046d:082d:A1B2C3`.
pub const CAMERA_PIN_ENV: &str = "DAYFUSION_CAMERA_PIN";

/// The rules a frame's camera must meet: it must be a V4L2 device found
/// in sysfs, not a virtual one, and the pinned one when a pin is set.
/// Debug builds also let through a camera no V4L2 device names (the
/// WebKit mock camera, Chromium's fake camera and the canvas cameras the
/// end-to-end tests use); release builds never do.
#[derive(Debug, Clone)]
pub struct CameraPolicy {
    sysfs_root: PathBuf,
    pin: Option<CameraPin>,
    allow_unidentified: bool,
}

impl Default for CameraPolicy {
    /// `/sys`, the pin from [`CAMERA_PIN_ENV`] (an unreadable value is
    /// logged and ignored), test cameras in debug builds only.
    fn default() -> Self {
        let pin = std::env::var(CAMERA_PIN_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| {
                let pin = parse_pin(&v);
                if pin.is_none() {
                    tracing::warn!(
                        variable = CAMERA_PIN_ENV,
                        "not VENDOR:PRODUCT[:SERIAL]; no pin"
                    );
                }
                pin
            });
        CameraPolicy {
            sysfs_root: PathBuf::from("/sys"),
            pin,
            allow_unidentified: cfg!(debug_assertions),
        }
    }
}

/// `VENDOR:PRODUCT[:SERIAL]` with four hex digits each for the USB ids.
pub fn parse_pin(value: &str) -> Option<CameraPin> {
    let mut parts = value.trim().splitn(3, ':');
    let (vendor, product) = (parts.next()?, parts.next()?);
    let hex4 = |p: &str| p.len() == 4 && p.chars().all(|c| c.is_ascii_hexdigit());
    if !hex4(vendor) || !hex4(product) {
        return None;
    }
    Some(CameraPin {
        vendor: vendor.to_ascii_lowercase(),
        product: product.to_ascii_lowercase(),
        serial: parts.next().filter(|s| !s.is_empty()).map(str::to_owned),
    })
}

impl CameraPolicy {
    /// A policy on another sysfs tree (tests), with `pin`, and whether
    /// cameras no V4L2 device names are let through.
    pub fn new(sysfs_root: PathBuf, pin: Option<CameraPin>, allow_unidentified: bool) -> Self {
        CameraPolicy {
            sysfs_root,
            pin,
            allow_unidentified,
        }
    }

    /// The camera pinned, if any.
    pub fn pin(&self) -> Option<&CameraPin> {
        self.pin.as_ref()
    }

    /// The identity of the camera the webview names `label`, as recorded
    /// with the liveness result, or why it may not film.
    pub fn identify(&self, label: &str) -> Result<String, LivenessError> {
        match resolve(&enumerate(&self.sysfs_root), label, self.pin.as_ref()) {
            Ok(camera) => Ok(camera.summary()),
            Err(CameraRefusal::Unknown(_)) if self.allow_unidentified => {
                Ok(format!("unidentified {label:?} (debug build)"))
            }
            Err(refusal) => {
                tracing::warn!(event = "liveness_camera_refused", code = refusal.code(), detail = %refusal);
                Err(LivenessError::CameraRefused {
                    code: refusal.code(),
                    detail: refusal.to_string(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_two_usb_ids_and_maybe_a_serial() -> Result<(), String> {
        let pin = parse_pin("046D:082d:A1B2").ok_or("no pin")?;
        assert_eq!(
            (pin.vendor.as_str(), pin.product.as_str()),
            ("046d", "082d")
        );
        assert_eq!(pin.serial.as_deref(), Some("A1B2"));
        assert_eq!(parse_pin("046d:082d").and_then(|p| p.serial), None);
        for bad in ["", "046d", "46d:082d", "zzzz:082d", "Integrated Camera"] {
            assert!(parse_pin(bad).is_none(), "{bad}");
        }
        Ok(())
    }
}
