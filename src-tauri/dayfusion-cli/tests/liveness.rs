//! `dayfusion liveness analyze` on a video made here with ffmpeg from a
//! registry-shipped photo: every check reports, the challenge-bound ones as
//! not applicable; bad videos and challenge files get clear errors.

use std::path::PathBuf;
use std::process::Command;

mod common;
use common::{TestResult, has_ffmpeg, selfie_video};

fn dayfusion() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dayfusion"))
}

/// The models and the photo, or `None` after saying why not.
fn inputs(test: &str) -> Option<PathBuf> {
    let models_ok = dayfusion_models::default_dir()
        .ok()
        .and_then(|d| dayfusion_models::verify(&d).ok())
        .is_some();
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-images/face_recognition/obama.jpg");
    if !models_ok || !photo.is_file() || !has_ffmpeg() {
        eprintln!("SKIP {test}: needs the model pack, the test photos and ffmpeg (make setup)");
        return None;
    }
    Some(photo)
}

#[test]
fn analyze_reports_every_check_and_marks_the_challenge_checks_not_applicable() -> TestResult {
    let Some(photo) = inputs("analyze") else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let video = tmp.path().join("still.avi");
    selfie_video(&photo, &video, 2)?;
    let images = tmp.path().join("images");
    let out = dayfusion()
        .args([
            "liveness",
            "analyze",
            "--json",
            "--audit-images",
            "2",
            "--save-images",
        ])
        .arg(&images)
        .arg(&video)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(result["status"], "SUCCEEDED", "{result}");
    assert_eq!(result["assurance"], "passive-only");
    assert_eq!(result["frames"], 30);
    let checks = result["checks"].as_array().ok_or("no checks")?;
    assert_eq!(checks.len(), dayfusion_liveness::CheckKind::ALL.len());
    let outcome = |name: &str| {
        checks
            .iter()
            .find(|c| c["check"] == name)
            .map(|c| c["outcome"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(outcome("light").as_deref(), Some("not-applicable"));
    assert_eq!(outcome("movement").as_deref(), Some("not-applicable"));
    assert_eq!(outcome("depth").as_deref(), Some("not-applicable"));
    assert_eq!(outcome("identity").as_deref(), Some("passed"));
    // Scored either way: heavy sensor noise on a photo makes the mesh
    // jitter about as much as a very still person (0.52 against 0.46
    // degrees measured), which is why this check never vetoes alone.
    assert_ne!(outcome("natural-motion").as_deref(), Some("not-applicable"));
    assert!(images.join("reference.jpg").is_file());
    assert!(images.join("audit-1.jpg").is_file());
    // No image bytes in the JSON, only their hashes.
    assert!(
        result["referenceImage"]["sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
    assert!(result["referenceImage"].get("jpeg").is_none());
    Ok(())
}

#[test]
fn analyze_refuses_a_non_video_and_a_bad_challenge_file() -> TestResult {
    let Some(photo) = inputs("analyze-errors") else {
        return Ok(());
    };
    let tmp = tempfile::tempdir()?;
    let text = tmp.path().join("notes.webm");
    std::fs::write(&text, "not a video")?;
    let out = dayfusion()
        .args(["liveness", "analyze"])
        .arg(&text)
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("video"));

    let video = tmp.path().join("still.avi");
    selfie_video(&photo, &video, 2)?;
    let challenge = tmp.path().join("challenge.json");
    std::fs::write(
        &challenge,
        r#"{"challenge": {"smallOval": {"centerX": 0.5, "centerY": 0.5, "width": 0.25},
            "largeOval": {"centerX": 0.5, "centerY": 0.5, "width": 0.5},
            "flashes": [{"colour": "red", "durationMs": 300}]}, "flashesStartMs": 0}"#,
    )?;
    let out = dayfusion()
        .args(["liveness", "analyze", "--challenge"])
        .arg(&challenge)
        .arg(&video)
        .output()?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 flashes (6 to 16 expected)"), "{stderr}");
    Ok(())
}

#[test]
fn cameras_lists_each_device_with_whether_a_liveness_check_may_use_it() -> TestResult {
    use dayfusion_test_support::sysfs::{add_loopback, add_webcam};
    const WEBCAM: &str = "HD Pro Webcam C920";
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("K1")))?;
    add_loopback(root.path(), "video10", "OBS Virtual Camera")?;
    let data = tempfile::tempdir()?;
    let list = |root: &std::path::Path, pin: &str| {
        dayfusion()
            .args(["cameras", "--sysfs"])
            .arg(root)
            .env("DAYFUSION_DATA_DIR", data.path())
            .env("DAYFUSION_CAMERA_PIN", pin)
            .output()
    };
    let out = list(root.path(), "")?;
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout)?;
    for line in [
        "usb 046d:082d serial K1 \"HD Pro Webcam C920\" (uvcvideo, video0): usable",
        "(uvcvideo, video1): not a capture node",
        "virtual \"OBS Virtual Camera\" (no driver, video10): refused: camera-virtual",
        "no camera pinned",
    ] {
        assert!(text.contains(line), "{line} in {text}");
    }
    let text = String::from_utf8(list(root.path(), "046d:082d:OTHER")?.stdout)?;
    assert!(
        text.contains("(uvcvideo, video0): refused: camera-not-pinned"),
        "{text}"
    );
    assert!(
        text.contains("pinned: 046d:082d:OTHER (DAYFUSION_CAMERA_PIN)"),
        "{text}"
    );
    // The pin staff saved in the settings wins over the variable.
    let settings = dayfusion_ipc::KioskSettings {
        camera_pin: Some("046d:082d:K1".into()),
        ..dayfusion_core::settings::defaults()
    };
    std::fs::write(
        dayfusion_core::paths::KioskPaths::under(data.path()).settings_file(),
        serde_json::to_vec(
            &serde_json::json!({ dayfusion_core::settings::SETTINGS_STORE_KEY: settings }),
        )?,
    )?;
    let text = String::from_utf8(list(root.path(), "046d:082d:OTHER")?.stdout)?;
    assert!(text.contains("(uvcvideo, video0): usable"), "{text}");
    assert!(
        text.contains("pinned: 046d:082d:K1 (staff, in the settings)"),
        "{text}"
    );
    std::fs::remove_file(dayfusion_core::paths::KioskPaths::under(data.path()).settings_file())?;

    // A loopback device under the webcam's own name: the engine would
    // refuse the label, and the listing says so for both.
    let spoofed = tempfile::tempdir()?;
    add_webcam(spoofed.path(), WEBCAM, ("046d", "082d", None))?;
    add_loopback(spoofed.path(), "video10", WEBCAM)?;
    let text = String::from_utf8(list(spoofed.path(), "")?.stdout)?;
    assert!(
        text.contains("(uvcvideo, video0): refused: camera-virtual"),
        "{text}"
    );

    let empty = tempfile::tempdir()?;
    let out = dayfusion()
        .args(["cameras", "--json", "--sysfs"])
        .arg(empty.path())
        .env("DAYFUSION_DATA_DIR", data.path())
        .output()?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(json["cameras"], serde_json::json!([]));
    Ok(())
}
