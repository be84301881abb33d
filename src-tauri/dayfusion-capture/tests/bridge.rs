//! The capture service over the loopback bridge, on the real face models:
//! sessions, frames as raw JPEG bodies with their headers, refusals with
//! their codes and statuses, the attempt limit, CORS for one origin, and
//! the gate in front of it all (the run's bearer token, loopback `Host`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dayfusion_capture::bridge::{Bridge, BridgeError, BridgeToken};
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

/// A bridge serving on its own thread: where, the token its requests must
/// carry, and how many sessions it has started.
struct Served {
    addr: SocketAddr,
    token: String,
    started: Arc<AtomicUsize>,
}

impl Served {
    /// `Authorization: Bearer <the run's token>`.
    fn bearer(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.token))
    }

    /// Sessions started so far.
    fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }
}

/// Counts the `liveness_session_started` events of the thread it is the
/// default subscriber of (the bridge's), so a test sees whether a refused
/// request started anything.
#[derive(Clone, Default)]
struct SessionsStarted(Arc<AtomicUsize>);

impl tracing::Subscriber for SessionsStarted {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Started(bool);
        impl tracing::field::Visit for Started {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                self.0 |= field.name() == "event" && value == "liveness_session_started";
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut started = Started(false);
        event.record(&mut started);
        if started.0 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A bridge on a free loopback port with a fresh token.
fn bridge(
    faces: Arc<FaceEngine>,
    max_failures: usize,
) -> Result<Served, Box<dyn std::error::Error>> {
    let engine = Arc::new(LivenessEngine::new(faces));
    let sessions = Arc::new(LiveSessions::new(engine, LivenessSettings::default()));
    let limiter = AttemptLimiter::new(max_failures, 180_000.0, Box::new(MonotonicClock::default()));
    let service = Arc::new(CaptureService::with_limiter(sessions, Arc::new(limiter)));
    let token = BridgeToken::generate()?;
    let secret = token.secret().to_owned();
    let bridge = Bridge::bind(
        "127.0.0.1:0".parse()?,
        service,
        Some(ORIGIN.to_owned()),
        token,
    )?;
    let addr = bridge.local_addr().ok_or("no address")?;
    let counter = SessionsStarted::default();
    let started = Arc::clone(&counter.0);
    std::thread::spawn(move || tracing::subscriber::with_default(counter, || bridge.serve()));
    Ok(Served {
        addr,
        token: secret,
        started,
    })
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

/// [`http`] with the run's token.
fn call(
    served: &Served,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<Answer, Box<dyn std::error::Error>> {
    let (name, value) = served.bearer();
    let mut with_token = vec![(name, value)];
    with_token.extend(headers.iter().cloned());
    http(served.addr, method, path, &with_token, body)
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
    let b = bridge(faces, 5)?;

    let start = call(
        &b,
        "POST",
        "/liveness/sessions",
        &[("content-type", "application/json".into())],
        br#"{"locale":"en","auditImagesLimit":1}"#,
    )?;
    assert_eq!(start.status, 200, "{}", start.body);
    let id = start.body["sessionId"].as_str().ok_or("no id")?.to_owned();
    // Only the first oval: the colours and the large oval are revealed
    // frame by frame, never at the start.
    let oval = &start.body["oval"];
    assert!(oval["width"].as_f64().is_some_and(|w| w > 0.2 && w < 0.35));
    assert!(start.body.get("challenge").is_none(), "{}", start.body);
    assert!(!start.body.to_string().contains("flash"), "{}", start.body);
    assert!(
        start
            .headers
            .contains(&format!("access-control-allow-origin: {ORIGIN}"))
    );

    // The same session described again (a host-made session).
    let described = call(&b, "GET", &format!("/liveness/sessions/{id}"), &[], b"")?;
    // An open session has no outcome yet (and asking does not end it).
    let early = call(
        &b,
        "GET",
        &format!("/liveness/sessions/{id}/outcome"),
        &[],
        b"",
    )?;
    assert_eq!(early.status, 404);
    assert_eq!(described.status, 200);
    assert_eq!(described.body["oval"], start.body["oval"]);

    // A grey frame: no face, said in the session's language.
    let grey = image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]));
    let answer = call(
        &b,
        "POST",
        "/liveness/frames",
        &frame_headers(&id, 10.0, "none"),
        &jpeg(&grey)?,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["guidance"], "no-face");
    assert_eq!(answer.body["phase"], "fit-small-oval");
    assert_eq!(answer.body["oval"], start.body["oval"]);
    assert!(answer.body["flash"].is_null());
    assert!(
        answer.body["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    // A real face: found, with its box.
    if let Some(photo) = test_photo("face_recognition/obama.jpg") {
        let answer = call(
            &b,
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
    let bad = call(
        &b,
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
    let colour = call(
        &b,
        "POST",
        "/liveness/frames",
        &frame_headers(&id, 160.0, "purple"),
        &jpeg(&grey)?,
    )?;
    assert_eq!(colour.status, 400);
    let no_session = call(
        &b,
        "POST",
        "/liveness/frames",
        &[("x-capture-ms", "1".into())],
        &jpeg(&grey)?,
    )?;
    assert_eq!(no_session.status, 400);

    // Finish: the challenge was not completed; no score in the summary.
    let finish = call(
        &b,
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
    let outcome = call(
        &b,
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
            .is_some_and(|c| c.len() == dayfusion_liveness::CheckKind::ALL.len())
    );
    assert!(outcome.body["confidence"].is_number());

    // Single use.
    let again = call(
        &b,
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
    let unknown = call(
        &b,
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
    let b = bridge(faces, 2)?;
    let grey = jpeg(&image::RgbImage::from_pixel(
        320,
        240,
        image::Rgb([90, 90, 90]),
    ))?;
    for left in [1, 0] {
        let start = call(&b, "POST", "/liveness/sessions", &[], b"")?;
        assert_eq!(start.status, 200);
        let id = start.body["sessionId"].as_str().ok_or("no id")?.to_owned();
        let f = call(
            &b,
            "POST",
            "/liveness/frames",
            &frame_headers(&id, 5.0, "none"),
            &grey,
        )?;
        assert_eq!(f.status, 200);
        let finish = call(
            &b,
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
    let refused = call(&b, "POST", "/liveness/sessions", &[], b"")?;
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
    let b = bridge(faces.clone(), 5)?;
    // A browser's preflight carries no credentials: answered without the
    // token, and it must allow the Authorization header.
    let preflight = http(
        b.addr,
        "OPTIONS",
        "/liveness/frames",
        &[
            ("origin", ORIGIN.into()),
            ("access-control-request-method", "POST".into()),
            (
                "access-control-request-headers",
                "authorization, x-liveness-session".into(),
            ),
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
    let allowed = preflight
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("access-control-allow-headers: "))
        .ok_or("no access-control-allow-headers")?;
    // Every header the widget sends with a frame, or the browser refuses
    // every frame.
    for header in ["authorization", "x-shown-colour", "x-camera"] {
        assert!(
            allowed.split(", ").any(|h| h == header),
            "{header}: {allowed}"
        );
    }

    let engine = Arc::new(LivenessEngine::new(faces));
    let service = Arc::new(CaptureService::new(Arc::new(LiveSessions::new(
        engine,
        LivenessSettings::default(),
    ))));
    let outside = Bridge::bind(
        "0.0.0.0:0".parse()?,
        service,
        None,
        BridgeToken::generate()?,
    );
    assert!(matches!(outside, Err(BridgeError::NotLoopback(_))));
    Ok(())
}

/// The refusal of the gate: its status, the `CommandError` JSON with the
/// stable code in brackets, and nothing of the service in it.
fn assert_refused(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["code"], "invalidInput", "{}", answer.body);
    assert!(
        answer.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("[{code}]"))),
        "{}",
        answer.body
    );
    assert!(answer.body.get("sessionId").is_none());
    assert!(answer.body.get("challenge").is_none());
}

// Issue 16 (security review): the development HTTP bridge had no token and
// no Host check, so any page the browser visited (a simple cross-origin POST
// needs no preflight) or any local process could drive it.
#[test]
fn bridge_refuses_a_missing_or_wrong_token_with_401_and_does_nothing() -> TestResult {
    let Some(faces) = faces("bridge_refuses_a_missing_or_wrong_token") else {
        return Ok(());
    };
    let b = bridge(faces, 5)?;
    let json = ("content-type", "application/json".to_owned());
    // The right length, one character off.
    let mut wrong = b.token.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong)?;
    let refused_headers: [Vec<(&str, String)>; 5] = [
        vec![json.clone()],
        vec![json.clone(), ("authorization", format!("Bearer {wrong}"))],
        vec![json.clone(), ("authorization", b.token.clone())],
        vec![
            json.clone(),
            ("authorization", format!("Basic {}", b.token)),
        ],
        vec![json.clone(), ("authorization", "Bearer ".to_owned())],
    ];
    for headers in &refused_headers {
        let start = http(b.addr, "POST", "/liveness/sessions", headers, b"{}")?;
        assert_refused(&start, 401, "bridge-unauthorized");
        assert!(start.headers.contains("www-authenticate: bearer"));
        // The allowed origin's page can still read why.
        assert!(
            start
                .headers
                .contains(&format!("access-control-allow-origin: {ORIGIN}"))
        );
    }
    assert_eq!(b.started(), 0, "a refused request started a session");

    // The same request with the token starts one (the count works).
    let start = call(&b, "POST", "/liveness/sessions", &[json], b"{}")?;
    assert_eq!(start.status, 200, "{}", start.body);
    assert_eq!(b.started(), 1);
    let id = start.body["sessionId"].as_str().ok_or("no id")?.to_owned();

    // Without the token nothing of that session can be read or changed.
    let grey = jpeg(&image::RgbImage::from_pixel(
        320,
        240,
        image::Rgb([90, 90, 90]),
    ))?;
    let no_token = [("authorization", format!("Bearer {wrong}"))];
    for (method, path) in [
        ("GET", format!("/liveness/sessions/{id}")),
        ("GET", format!("/liveness/sessions/{id}/outcome")),
        ("POST", format!("/liveness/sessions/{id}/finish")),
    ] {
        let answer = http(b.addr, method, &path, &no_token, b"")?;
        assert_refused(&answer, 401, "bridge-unauthorized");
    }
    let mut frame = frame_headers(&id, 5.0, "none");
    frame.extend(no_token.iter().cloned());
    let answer = http(b.addr, "POST", "/liveness/frames", &frame, &grey)?;
    assert_refused(&answer, 401, "bridge-unauthorized");

    // The refused finish did not end the session: with the token it ends
    // now, once (not 410 already-used), and the attempt counts once.
    let answer = call(
        &b,
        "POST",
        "/liveness/frames",
        &frame_headers(&id, 5.0, "none"),
        &grey,
    )?;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let finish = call(
        &b,
        "POST",
        &format!("/liveness/sessions/{id}/finish"),
        &[],
        b"",
    )?;
    assert_eq!(finish.status, 200, "{}", finish.body);
    assert_eq!(finish.body["attemptsLeft"], 4);
    assert_eq!(b.started(), 1);
    Ok(())
}

#[test]
fn bridge_refuses_a_foreign_host_even_with_the_right_token() -> TestResult {
    let Some(faces) = faces("bridge_refuses_a_foreign_host") else {
        return Ok(());
    };
    let b = bridge(faces, 5)?;
    let port = b.addr.port();
    let other_port = if port == 65535 { 1 } else { port + 1 };
    // DNS rebinding: a page of evil.example whose name now resolves to
    // 127.0.0.1 is same-origin with itself, sends no preflight, and names
    // its own host.
    for host in [
        format!("evil.example:{port}"),
        format!("127.0.0.1.evil.example:{port}"),
        format!("localhost.evil.example:{port}"),
        "evil.example".to_owned(),
        format!("localhost:{other_port}"),
        format!("127.0.0.1:{other_port}"),
        "127.0.0.1".to_owned(),
        String::new(),
    ] {
        let start = http(
            b.addr,
            "POST",
            "/liveness/sessions",
            &[b.bearer(), ("host", host.clone())],
            b"",
        )?;
        assert_refused(&start, 421, "bridge-host");
        let preflight = http(
            b.addr,
            "OPTIONS",
            "/liveness/sessions",
            &[
                ("host", host.clone()),
                ("origin", ORIGIN.into()),
                ("access-control-request-method", "POST".into()),
            ],
            b"",
        )?;
        assert_eq!(preflight.status, 421, "preflight for Host {host:?}");
    }
    assert_eq!(b.started(), 0, "a foreign Host started a session");

    // Each loopback name on the bridge's port, with the token, is answered.
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("[::1]:{port}"),
    ] {
        let start = call(
            &b,
            "POST",
            "/liveness/sessions",
            &[("host", host.clone())],
            b"",
        )?;
        assert_eq!(start.status, 200, "Host {host}: {}", start.body);
        assert!(start.body["sessionId"].is_string());
    }
    assert_eq!(b.started(), 4);
    Ok(())
}
