//! Which cameras may film a liveness check on this kiosk.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

pub use dayfusion_camera::CameraPin;
use dayfusion_camera::{CameraRefusal, enumerate, resolve};
use dayfusion_liveness::LivenessError;

/// Environment variable pinning the kiosk's camera:
/// `VENDOR:PRODUCT[:SERIAL]` (USB ids, hex), e.g. `046d:082d:A1B2C3`.
pub const CAMERA_PIN_ENV: &str = "DAYFUSION_CAMERA_PIN";

/// The rules a frame's camera must meet: it must be a V4L2 device found
/// in sysfs, not a virtual one, and the pinned one when a pin is set.
/// Debug builds also let through a camera no V4L2 device names (the
/// WebKit mock camera, Chromium's fake camera and the canvas cameras the
/// end-to-end tests use); release builds never do.
///
/// Clones share the pin: staff changing it ([`CameraPolicy::set_pin`])
/// applies at once to the capture service holding a clone.
#[derive(Debug, Clone)]
pub struct CameraPolicy {
    sysfs_root: PathBuf,
    pin: Arc<RwLock<Option<CameraPin>>>,
    allow_unidentified: bool,
}

impl Default for CameraPolicy {
    /// [`CameraPolicy::with_pin`] the pin from [`CAMERA_PIN_ENV`] (see
    /// [`env_pin`]).
    fn default() -> Self {
        CameraPolicy::with_pin(env_pin())
    }
}

/// The pin [`CAMERA_PIN_ENV`] sets (an unreadable value is logged and
/// ignored).
pub fn env_pin() -> Option<CameraPin> {
    let value = std::env::var(CAMERA_PIN_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())?;
    let pin = CameraPin::parse(&value);
    if pin.is_none() {
        tracing::warn!(
            variable = CAMERA_PIN_ENV,
            "not VENDOR:PRODUCT[:SERIAL]; no pin"
        );
    }
    pin
}

/// The pin in force: the one staff saved in the settings
/// (`KioskSettings::camera_pin`), else `environment` ([`env_pin`]).
pub fn effective_pin(setting: Option<&str>, environment: Option<CameraPin>) -> Option<CameraPin> {
    setting.and_then(CameraPin::parse).or(environment)
}

impl CameraPolicy {
    /// The kiosk's policy: `/sys`, `pin`, test cameras in debug builds only.
    pub fn with_pin(pin: Option<CameraPin>) -> Self {
        CameraPolicy::new(PathBuf::from("/sys"), pin, cfg!(debug_assertions))
    }

    /// A policy on another sysfs tree (tests), with `pin`, and whether
    /// cameras no V4L2 device names are let through.
    pub fn new(sysfs_root: PathBuf, pin: Option<CameraPin>, allow_unidentified: bool) -> Self {
        CameraPolicy {
            sysfs_root,
            pin: Arc::new(RwLock::new(pin)),
            allow_unidentified,
        }
    }

    /// The camera pinned, if any.
    pub fn pin(&self) -> Option<CameraPin> {
        self.pin
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Pins `pin` (or lifts the pin) for every clone of this policy.
    pub fn set_pin(&self, pin: Option<CameraPin>) {
        *self
            .pin
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = pin;
    }

    /// The pin naming the camera the webview calls `label`: the same
    /// matching as a liveness frame's (virtual, unknown and ambiguous
    /// cameras refused; any current pin ignored, so staff can move it),
    /// and a USB camera only.
    pub fn pin_for(&self, label: &str) -> Result<CameraPin, CameraRefusal> {
        let camera = resolve(&enumerate(&self.sysfs_root), label, None)?;
        CameraPin::of(&camera).ok_or_else(|| CameraRefusal::NotUsb(label.to_owned()))
    }

    /// The identity of the camera the webview names `label`, as recorded
    /// with the liveness result, or why it may not film.
    pub fn identify(&self, label: &str) -> Result<String, LivenessError> {
        match resolve(&enumerate(&self.sysfs_root), label, self.pin().as_ref()) {
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
