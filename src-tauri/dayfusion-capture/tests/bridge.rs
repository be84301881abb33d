//! The capture service over the loopback bridge, on the real face models:
//! sessions, frames as raw JPEG bodies with their headers, refusals with
//! their codes and statuses, the attempt limit, CORS for one origin.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use dayfusion_capture::bridge::{Bridge, BridgeError};
use dayfusion_capture::{AttemptLimiter, CaptureService};
use dayfusion_face::FaceEngine;
use dayfusion_liveness::{LivenessEngine, LivenessSettings, MonotonicClock};
use dayfusion_verify::embedded::LiveSessions;
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ORIGIN: &str = "http://127.0.0.1:5999";

/// The face engine, or `None` (after saying why) without the model pack.
fn faces(test: &str) -> Option<Arc<FaceEngine>> {
    let dir = dayfusion_models::default_dir().ok()?;
    match FaceEngine::load(&dir) {
        Ok(engine) => Some(Arc::new(engine)),
        Err(e) => {
            eprintln!("SKIP {test}: face models missing ({e}); run `dayfusion models fetch`");
            None
        }
    }
}

/// A bridge on a free loopback port, serving on its own thread.
fn bridge(
    faces: Arc<FaceEngine>,
    max_failures: usize,
) -> Result<SocketAddr, Box<dyn std::error::Error>> {
    let engine = Arc::new(LivenessEngine::new(faces));
    let sessions = Arc::new(LiveSessions::new(engine, LivenessSettings::default()));
    let limiter = AttemptLimiter::new(max_failures, 180_000.0, Box::new(MonotonicClock::default()));
    let service = Arc::new(CaptureService::with_limiter(sessions, limiter));
    let bridge = Bridge::bind("127.0.0.1:0".parse()?, service, Some(ORIGIN.to_owned()))?;
    let addr = bridge.local_addr().ok_or("no address")?;
    std::thread::spawn(move || bridge.serve());
    Ok(addr)
}

struct Answer {
    status: u16,
    headers: String,
    body: Value,
}

/// One HTTP request through a plain client that leaves 4xx/5xx statuses
/// to the test; the answer's headers as `name: value` lines, lower case.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<Answer, Box<dyn std::error::Error>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .build()
        .into();
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    // Requests that carry no body are sent without one (no Content-Length).
    let mut response = if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        agent.run(request.body(())?)?
    } else {
        agent.run(request.body(body.to_vec())?)?
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| format!("{name}: {}\n", value.to_str().unwrap_or_default()))
        .collect::<String>()
        .to_ascii_lowercase();
    let text = response.body_mut().read_to_string()?;
    let body = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text)?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn jpeg(image: &image::RgbImage) -> Result<Vec<u8>, image::ImageError> {
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Jpeg)?;
    Ok(out.into_inner())
}

fn frame_headers(session: &str, t: f64, shown: &str) -> Vec<(&'static str, String)> {
    vec![
        ("x-liveness-session", session.to_owned()),
        ("x-capture-ms", format!("{t}")),
        ("x-shown-colour", shown.to_owned()),
        ("content-type", "image/jpeg".to_owned()),
    ]
}

fn test_photo(name: &str) -> Option<image::RgbImage> {
    let dir = std::env::var_os("DAYFUSION_TEST_IMAGES")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images")
        });
    match image::open(dir.join(name)) {
        Ok(image) => Some(image.to_rgb8()),
        Err(e) => {
            eprintln!(
                "SKIP: test photo {name} missing ({e}); run src-tauri/dayfusion-face/tests/fetch-test-images.sh"
            );
            None
        }
    }
}

#[test]
fn a_session_over_http_takes_jpeg_frames_and_answers_with_guidance() -> TestResult {
    let Some(faces) = faces("a_session_over_http") else {
        return Ok(());
    };
    let addr = bridge(faces, 5)?;

    let start = http(
        addr,
        "POST",
        "/liveness/sessions",
        &[("content-type", "application/json".into())],
        br#"{"locale":"en","auditImagesLimit":1}"#,
    )?;
    assert_eq!(start.status, 200, "{}", start.body);
    let id = start.body["sessionId"].as_str().ok_or("no id")?.to_owned();
    let flashes = start.body["challenge"]["flashes"]
        .as_array()
        .ok_or("no flashes")?;
    assert_eq!(flashes.len(), 8);
    assert!(
        flashes[0]["css"]
            .as_str()
            .is_some_and(|c| c.starts_with('#') && c.len() == 7)
    );
    assert!(
        start
            .headers
            .contains(&format!("access-control-allow-origin: {ORIGIN}"))
    );

    // The same session described again (a host-made session).
    let described = http(addr, "GET", &format!("/liveness/sessions/{id}"), &[], b"")?;
    // An open session has no outcome yet (and asking does not end it).
    let early = http(
        addr,
        "GET",
        &format!("/liveness/sessions/{id}/outcome"),
        &[],
        b"",
    )?;
    assert_eq!(early.status, 404);
    assert_eq!(described.status, 200);
    assert_eq!(described.body["challenge"], start.body["challenge"]);

    // A grey frame: no face, said in the session's language.
    let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
    let answer = http(
        addr,
        "POST",
        "/liveness/frames",
        &frame_headers(&id, 10.0, "none"),
        &jpeg(&grey)?,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["guidance"], "no-face");
    assert_eq!(answer.body["phase"], "fit-small-oval");
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    // A real face: found, with its box.
    if let Some(photo) = test_photo("face_recognition/obama.jpg") {
        let answer = http(
            addr,
            "POST",
            "/liveness/frames",
            &frame_headers(&id, 80.0, "none"),
            &jpeg(&photo)?,
        )?;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_ne!(answer.body["guidance"], "no-face");
        assert!(answer.body["face"].as_array().is_some_and(|b| b.len() == 4));
    }

    // Not an image; an unknown colour; no session header.
    let bad = http(
        addr,
        "POST",
        "/liveness/frames",
        &frame_headers(&id, 150.0, "none"),
        b"not a jpeg",
    )?;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.body["code"], "liveness");
    assert!(
        bad.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("[bad-frame]"))
    );
    let colour = http(
        addr,
        "POST",
        "/liveness/frames",
        &frame_headers(&id, 160.0, "purple"),
        &jpeg(&grey)?,
    )?;
    assert_eq!(colour.status, 400);
    let no_session = http(
        addr,
        "POST",
        "/liveness/frames",
        &[("x-capture-ms", "1".into())],
        &jpeg(&grey)?,
    )?;
    assert_eq!(no_session.status, 400);

    // Finish: the challenge was not completed; no score in the summary.
    let finish = http(
        addr,
        "POST",
        &format!("/liveness/sessions/{id}/finish?locale=en"),
        &[],
        b"",
    )?;
    assert_eq!(finish.status, 200, "{}", finish.body);
    assert_eq!(finish.body["status"], "FAILED");
    assert!(finish.body["failure"].is_string());
    assert!(finish.body["message"].is_string());
    assert_eq!(finish.body["attemptsLeft"], 4);
    assert!(finish.body.get("confidence").is_none());
    assert!(!finish.body.to_string().contains("score"));

    // Staff (not the widget) read the checks and the confidence.
    let outcome = http(
        addr,
        "GET",
        &format!("/liveness/sessions/{id}/outcome"),
        &[],
        b"",
    )?;
    assert_eq!(outcome.status, 200, "{}", outcome.body);
    assert_eq!(outcome.body["status"], "FAILED");
    assert!(
        outcome.body["checks"]
            .as_array()
            .is_some_and(|c| c.len() == 7)
    );
    assert!(outcome.body["confidence"].is_number());

    // Single use.
    let again = http(
        addr,
        "POST",
        &format!("/liveness/sessions/{id}/finish"),
        &[],
        b"",
    )?;
    assert_eq!(again.status, 410);
    assert!(
        again.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("[already-used]"))
    );
    let unknown = http(
        addr,
        "GET",
        "/liveness/sessions/4a3f1c9e-0000-4000-8000-000000000000",
        &[],
        b"",
    )?;
    assert_eq!(unknown.status, 404);
    Ok(())
}

#[test]
fn failed_attempts_past_the_limit_are_refused_with_429() -> TestResult {
    let Some(faces) = faces("failed_attempts_past_the_limit") else {
        return Ok(());
    };
    let addr = bridge(faces, 2)?;
    let grey = jpeg(&image::RgbImage::from_pixel(
        320,
        240,
        image::Rgb([90, 90, 90]),
    ))?;
    for left in [1, 0] {
        let start = http(addr, "POST", "/liveness/sessions", &[], b"")?;
        assert_eq!(start.status, 200);
        let id = start.body["sessionId"].as_str().ok_or("no id")?.to_owned();
        let f = http(
            addr,
            "POST",
            "/liveness/frames",
            &frame_headers(&id, 5.0, "none"),
            &grey,
        )?;
        assert_eq!(f.status, 200);
        let finish = http(
            addr,
            "POST",
            &format!("/liveness/sessions/{id}/finish"),
            &[],
            b"",
        )?;
        assert_eq!(finish.body["status"], "FAILED");
        assert_eq!(finish.body["attemptsLeft"], left);
        // pt-BR by default.
        assert!(finish.body["message"].as_str().is_some());
    }
    let refused = http(addr, "POST", "/liveness/sessions", &[], b"")?;
    assert_eq!(refused.status, 429);
    assert!(
        refused.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("[too-many-attempts]"))
    );
    Ok(())
}

#[test]
fn cors_preflight_names_only_the_allowed_origin_and_other_addresses_are_refused() -> TestResult {
    let Some(faces) = faces("cors_preflight") else {
        return Ok(());
    };
    let addr = bridge(faces.clone(), 5)?;
    let preflight = http(
        addr,
        "OPTIONS",
        "/liveness/frames",
        &[
            ("origin", ORIGIN.into()),
            ("access-control-request-method", "POST".into()),
        ],
        b"",
    )?;
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .headers
            .contains(&format!("access-control-allow-origin: {ORIGIN}"))
    );
    assert!(preflight.headers.contains("x-liveness-session"));

    let engine = Arc::new(LivenessEngine::new(faces));
    let service = Arc::new(CaptureService::new(Arc::new(LiveSessions::new(
        engine,
        LivenessSettings::default(),
    ))));
    let outside = Bridge::bind("0.0.0.0:0".parse()?, service, None);
    assert!(matches!(outside, Err(BridgeError::NotLoopback(_))));
    Ok(())
}
