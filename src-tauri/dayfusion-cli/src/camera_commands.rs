//! `dayfusion cameras`: the V4L2 cameras and whether a liveness check
//! may film with them.

use std::path::Path;
use std::process::ExitCode;

use dayfusion_camera::CameraPin;
use dayfusion_capture::camera::{CAMERA_PIN_ENV, effective_pin};
use dayfusion_core::paths::KioskPaths;

/// The kiosk's pin in force: the one staff saved in the settings (when the
/// kiosk's folders and settings can be read), else [`CAMERA_PIN_ENV`]'s;
/// and whether it came from the settings.
pub fn pin_in_force() -> (Option<CameraPin>, bool) {
    let setting = KioskPaths::resolve()
        .ok()
        .and_then(|paths| dayfusion_core::settings::read_stored(&paths.settings_file()))
        .and_then(|s| s.camera_pin);
    (
        effective_pin(setting.as_deref(), dayfusion_capture::camera::env_pin()),
        setting.is_some(),
    )
}

/// `dayfusion cameras`: every V4L2 device, and whether a liveness check
/// may film with it under the kiosk's pin ([`pin_in_force`]); exit 0 even
/// when none may: a listing, not a check.
pub fn cameras(sysfs: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let (pin, from_settings) = pin_in_force();
    let devices = dayfusion_camera::enumerate(sysfs);
    // The engine's own rule for a label naming this device's name (so a
    // webcam whose name a virtual device copies shows as refused).
    let rows: Vec<serde_json::Value> = devices
        .iter()
        .map(|device| {
            let verdict = if device.index != 0 {
                "not a capture node".to_owned()
            } else {
                match dayfusion_camera::resolve(&devices, &device.name, pin.as_ref()) {
                    Ok(camera) if camera.node == device.node => "usable".to_owned(),
                    Ok(_) => "refused: another device has this name".to_owned(),
                    Err(refusal) => format!("refused: {}", refusal.code()),
                }
            };
            serde_json::json!({ "device": device, "verdict": verdict })
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "pin": pin, "cameras": rows }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if devices.is_empty() {
        println!(
            "no V4L2 camera (nothing under {})",
            sysfs.join(dayfusion_camera::sysfs::CLASS_DIR).display()
        );
    }
    for (device, row) in devices.iter().zip(&rows) {
        let identity = dayfusion_camera::CameraIdentity::from(device).summary();
        println!("{identity}: {}", row["verdict"].as_str().unwrap_or("-"));
    }
    match (&pin, from_settings) {
        (Some(pin), true) => println!("pinned: {pin} (staff, in the settings)"),
        (Some(pin), false) => println!("pinned: {pin} ({CAMERA_PIN_ENV})"),
        (None, _) => println!(
            "no camera pinned (staff pin one on the status screen, or set {CAMERA_PIN_ENV})"
        ),
    }
    Ok(ExitCode::SUCCESS)
}
