//! The capture service and the cameras it trusts, on a fake sysfs laid
//! out as the kernel lays it out: a v4l2loopback device is refused (also
//! under a webcam's label), a pinned kiosk refuses another camera, staff
//! pin the camera the webview names and the running service follows, and a
//! session whose frames start coming from another camera ends as
//! `camera-changed`, with the first camera's identity recorded.

use std::sync::Arc;

use dayfusion_camera::CameraPin;
use dayfusion_capture::{CameraPolicy, CaptureError, CaptureService, FrameHeader};
use dayfusion_face::FaceEngine;
use dayfusion_ipc::{LivenessEnd, LivenessRefusal};
use dayfusion_liveness::{LivenessEngine, LivenessSettings};
use dayfusion_test_support::TestResult;
use dayfusion_test_support::sysfs::{add_loopback, add_webcam};
use dayfusion_verify::embedded::LiveSessions;

const WEBCAM: &str = "HD Pro Webcam C920";

fn service(test: &str, policy: CameraPolicy) -> Option<CaptureService> {
    let dir = dayfusion_models::default_dir().ok()?;
    let faces = match FaceEngine::load(&dir) {
        Ok(engine) => Arc::new(engine),
        Err(e) => {
            eprintln!("SKIP {test}: face models missing ({e}); run `dayfusion models fetch`");
            return None;
        }
    };
    let engine = Arc::new(LivenessEngine::new(faces));
    let sessions = Arc::new(LiveSessions::new(engine, LivenessSettings::default()));
    Some(CaptureService::new(sessions).with_cameras(policy))
}

fn header(session_id: &str, t: f64, camera: &str) -> FrameHeader {
    FrameHeader {
        session_id: session_id.to_owned(),
        capture_ms: t,
        shown: None,
        camera: camera.to_owned(),
    }
}

fn grey_jpeg() -> Result<Vec<u8>, image::ImageError> {
    let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
    let mut jpeg = Vec::new();
    grey.write_to(
        &mut std::io::Cursor::new(&mut jpeg),
        image::ImageFormat::Jpeg,
    )?;
    Ok(jpeg)
}

fn refusal(result: Result<impl std::fmt::Debug, CaptureError>) -> (LivenessRefusal, String) {
    match result {
        Err(e) => (e.refusal(), e.to_string()),
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

#[test]
fn virtual_cameras_are_refused_and_a_changed_camera_ends_the_session() -> TestResult {
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("K1")))?;
    add_loopback(root.path(), "video10", "OBS Virtual Camera")?;
    // Release rules: no camera a V4L2 device does not name.
    let policy = CameraPolicy::new(root.path().to_path_buf(), None, false);
    let Some(capture) = service("capture-cameras", policy) else {
        return Ok(());
    };
    let jpeg = grey_jpeg()?;

    let attempts = capture.attempts_left();
    let a = capture.start(LivenessSettings::default())?;
    let (code, detail) =
        refusal(capture.frame(&header(&a.session_id, 0.0, "OBS Virtual Camera"), &jpeg));
    assert_eq!(code, LivenessRefusal::CameraRefused);
    assert!(detail.contains("camera-virtual"), "{detail}");
    // The attempt is over: no other camera can take the session over, and
    // it counts against the kiosk's limit, once.
    let (code, _) = refusal(capture.frame(&header(&a.session_id, 66.0, WEBCAM), &jpeg));
    assert_eq!(code, LivenessRefusal::CameraRefused);
    assert_eq!(capture.attempts_left(), attempts - 1);
    for label in ["", "Canvas camera"] {
        let b = capture.start(LivenessSettings::default())?;
        let (code, detail) = refusal(capture.frame(&header(&b.session_id, 0.0, label), &jpeg));
        assert_eq!(code, LivenessRefusal::CameraRefused);
        assert!(detail.contains("camera-unknown"), "{detail}");
    }
    let a = capture.start(LivenessSettings::default())?;
    // Percent-encoded as the widget sends it.
    let encoded = FrameHeader::from_headers(|name| match name {
        "x-liveness-session" => Some(a.session_id.clone()),
        "x-capture-ms" => Some("0".into()),
        "x-camera" => Some("HD%20Pro%20Webcam%20C920".into()),
        _ => None,
    })?;
    assert_eq!(encoded.camera, WEBCAM);
    capture.frame(&encoded, &jpeg)?;
    capture.frame(&header(&a.session_id, 66.0, WEBCAM), &jpeg)?;

    // Another camera mid-session: refused, and the session is over.
    let (code, _) =
        refusal(capture.frame(&header(&a.session_id, 132.0, "Integrated Camera"), &jpeg));
    assert_eq!(code, LivenessRefusal::CameraChanged);
    let (code, _) = refusal(capture.frame(&header(&a.session_id, 198.0, WEBCAM), &jpeg));
    assert_eq!(
        code,
        LivenessRefusal::CameraChanged,
        "the first camera cannot come back"
    );
    let summary = capture.finish(&a.session_id, "pt-BR")?;
    assert_eq!(summary.status, LivenessEnd::Failed);
    assert_eq!(summary.failure.as_deref(), Some("camera-changed"));
    assert!(summary.message.is_some_and(|m| m.contains("câmera mudou")));
    let outcome = capture.outcome(&a.session_id)?;
    assert_eq!(
        outcome.camera.as_deref(),
        Some("usb 046d:082d serial K1 \"HD Pro Webcam C920\" (uvcvideo, video0)")
    );
    Ok(())
}

#[test]
fn a_pinned_kiosk_refuses_any_other_camera_and_debug_builds_let_test_cameras_through() -> TestResult
{
    let root = tempfile::tempdir()?;
    // A capture dongle where the kiosk's webcam should be.
    add_webcam(root.path(), "USB Video", ("534d", "2109", None))?;
    let pin = CameraPin {
        vendor: "046d".into(),
        product: "082d".into(),
        serial: Some("K1".into()),
    };
    let policy = CameraPolicy::new(root.path().to_path_buf(), Some(pin), true);
    let Some(capture) = service("capture-camera-pin", policy) else {
        return Ok(());
    };
    let jpeg = grey_jpeg()?;
    let a = capture.start(LivenessSettings::default())?;
    let (code, detail) = refusal(capture.frame(&header(&a.session_id, 0.0, "USB Video"), &jpeg));
    assert_eq!(code, LivenessRefusal::CameraRefused);
    assert!(detail.contains("camera-not-pinned"), "{detail}");
    // The test rules (debug builds): a camera no device names passes, as
    // the end-to-end tests' canvas and mock cameras do, and is recorded so.
    let a = capture.start(LivenessSettings::default())?;
    capture.frame(&header(&a.session_id, 0.0, "Canvas camera"), &jpeg)?;
    capture.finish(&a.session_id, "en")?;
    let outcome = capture.outcome(&a.session_id)?;
    assert_eq!(
        outcome.camera.as_deref(),
        Some("unidentified \"Canvas camera\" (debug build)")
    );
    Ok(())
}

#[test]
fn staff_pin_the_camera_the_webview_names_and_the_running_service_follows() -> TestResult {
    let root = tempfile::tempdir()?;
    add_webcam(root.path(), WEBCAM, ("046d", "082d", Some("K1")))?;
    add_loopback(root.path(), "video10", "OBS Virtual Camera")?;
    let policy = CameraPolicy::new(root.path().to_path_buf(), None, false);
    // Only a real, unambiguous USB camera can be pinned.
    assert_eq!(
        policy.pin_for("OBS Virtual Camera").map_err(|e| e.code()),
        Err("camera-virtual")
    );
    assert_eq!(
        policy.pin_for("Integrated Camera").map_err(|e| e.code()),
        Err("camera-unknown")
    );
    let pin = policy.pin_for(WEBCAM)?;
    assert_eq!(pin.to_string(), "046d:082d:K1");

    let Some(capture) = service("capture-camera-staff-pin", policy.clone()) else {
        return Ok(());
    };
    let jpeg = grey_jpeg()?;
    // Pinned to another camera (a dongle's ids): the webcam is refused...
    policy.set_pin(CameraPin::parse("534d:2109"));
    let a = capture.start(LivenessSettings::default())?;
    let (code, detail) = refusal(capture.frame(&header(&a.session_id, 0.0, WEBCAM), &jpeg));
    assert_eq!(code, LivenessRefusal::CameraRefused);
    assert!(detail.contains("camera-not-pinned"), "{detail}");
    // ... and once staff pin the webcam, the same service lets it film.
    policy.set_pin(Some(pin));
    let b = capture.start(LivenessSettings::default())?;
    capture.frame(&header(&b.session_id, 0.0, WEBCAM), &jpeg)?;
    Ok(())
}
