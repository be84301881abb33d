//! `dayfusion cameras`: the V4L2 cameras and whether a liveness check
//! may film with them.

use std::path::Path;
use std::process::ExitCode;

/// `dayfusion cameras`: every V4L2 device, and whether a liveness check
/// may film with it (exit 0 even when none may: a listing, not a check).
pub fn cameras(sysfs: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let policy = dayfusion_capture::CameraPolicy::default();
    let devices = dayfusion_camera::enumerate(sysfs);
    // The engine's own rule for a label naming this device's name (so a
    // webcam whose name a virtual device copies shows as refused).
    let rows: Vec<serde_json::Value> = devices
        .iter()
        .map(|device| {
            let verdict = if device.index != 0 {
                "not a capture node".to_owned()
            } else {
                match dayfusion_camera::resolve(&devices, &device.name, policy.pin()) {
                    Ok(camera) if camera.node == device.node => "usable".to_owned(),
                    Ok(_) => "refused: another device has this name".to_owned(),
                    Err(refusal) => format!("refused: {}", refusal.code()),
                }
            };
            serde_json::json!({ "device": device, "verdict": verdict })
        })
        .collect();
    if json {
        let pin = policy.pin();
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
    match policy.pin() {
        Some(pin) => println!(
            "pinned: {}:{}{}",
            pin.vendor,
            pin.product,
            pin.serial
                .as_deref()
                .map(|s| format!(" serial {s}"))
                .unwrap_or_default()
        ),
        None => println!(
            "no camera pinned ({})",
            dayfusion_capture::camera::CAMERA_PIN_ENV
        ),
    }
    Ok(ExitCode::SUCCESS)
}
