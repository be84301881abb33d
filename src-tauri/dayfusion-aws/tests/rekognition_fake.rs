//! The Rekognition adapters with real SDK clients (signing, JSON 1.1
//! serialisation, error parsing) against the local fake
//! `infra/aws-local/fake_rekognition.py`.
//!
//! Runs when `DAYFUSION_TEST_REKOGNITION_URL` points at a running fake:
//!
//! ```sh
//! python3 infra/aws-local/fake_rekognition.py --port 0   # prints the URL
//! DAYFUSION_TEST_REKOGNITION_URL=http://127.0.0.1:PORT \
//!     cargo test -p dayfusion-aws --test rekognition_fake
//! ```
//!
//! Without it the test passes doing nothing, except under `CI`, where it
//! fails so a misconfigured pipeline cannot go green silently.

use std::error::Error;
use std::io::{Cursor, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use base64::Engine as _;
use dayfusion_aws::config::CompareInput;
use dayfusion_aws::{AwsContext, AwsSettings, RekognitionLiveness, RekognitionMatcher};
use dayfusion_verify::{
    ChallengeKind, EvidenceKey, FaceMatcher, LivenessProvider, LivenessRequest, LivenessStatus,
    PixelBox, Provider,
};

type TestResult = Result<(), Box<dyn Error>>;

const URL_VAR: &str = "DAYFUSION_TEST_REKOGNITION_URL";

/// The fake's URL; `None` to skip.
fn fake_url() -> Result<Option<String>, Box<dyn Error>> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(Some(url.trim().trim_end_matches('/').to_owned())),
        _ if std::env::var_os("CI").is_some() => Err(format!(
            "{URL_VAR} is not set under CI: start `python3 infra/aws-local/fake_rekognition.py \
             --port 0` and export {URL_VAR}=<the URL it prints>"
        )
        .into()),
        _ => {
            eprintln!("{URL_VAR} not set: skipping the Rekognition fake test");
            Ok(None)
        }
    }
}

/// One plain HTTP/1.1 request to a control endpoint; status and body.
fn control(
    url: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), Box<dyn Error>> {
    let host = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{URL_VAR} must be http://HOST:PORT, got {url}"))?;
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or("no HTTP status line")?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// [`control`] with a JSON body and a JSON answer.
fn control_json(
    url: &str,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), Box<dyn Error>> {
    let body = if method == "GET" {
        String::new()
    } else {
        body.to_string()
    };
    let (status, text) = control(url, method, path, &body)?;
    Ok((status, serde_json::from_str(&text)?))
}

/// The tests share one fake, which the first resets: one at a time.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn post(
    url: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, Box<dyn Error>> {
    let (status, text) = control(url, "POST", path, &body.to_string())?;
    if status != 200 {
        return Err(format!("POST {path}: HTTP {status}: {text}").into());
    }
    Ok(serde_json::from_str(&text)?)
}

fn jpeg(width: u32, height: u32, shade: u8) -> Result<Vec<u8>, Box<dyn Error>> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)?;
    Ok(out)
}

/// The settings of the tests against the fake.
fn fake_settings() -> AwsSettings {
    AwsSettings {
        region: Some("us-east-1".into()),
        audit_images_limit: 2,
        compare_input: CompareInput::Bytes,
        results_wait_s: 2,
        ..AwsSettings::default()
    }
}

/// A context with [`fake_settings`] whose Rekognition client talks to the
/// fake.
fn context(url: &str) -> Result<Arc<AwsContext>, Box<dyn Error>> {
    context_with(url, fake_settings())
}

/// A context with `settings` whose Rekognition client talks to the fake,
/// signed with static test credentials.
fn context_with(url: &str, settings: AwsSettings) -> Result<Arc<AwsContext>, Box<dyn Error>> {
    let region = aws_sdk_rekognition::config::Region::new("us-east-1");
    let credentials = aws_sdk_rekognition::config::Credentials::new(
        "AKIDTEST",
        "secret",
        None,
        None,
        "fake-test",
    );
    let rekognition = aws_sdk_rekognition::Client::from_conf(
        aws_sdk_rekognition::Config::builder()
            .behavior_version_latest()
            .region(region.clone())
            .endpoint_url(url)
            .credentials_provider(credentials)
            .timeout_config(dayfusion_aws::context::timeouts())
            .build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(region.clone())
            .build(),
    );
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(region.clone())
            .build(),
    );
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version_latest()
            .region(region)
            .build(),
    );
    Ok(Arc::new(AwsContext::from_clients(
        settings,
        SdkConfig::builder().build(),
        rekognition,
        s3,
        dynamodb,
        sts,
    )?))
}

#[test]
fn create_complete_results_and_compare_against_the_fake() -> TestResult {
    let _serial = serial();
    let Some(url) = fake_url()? else {
        return Ok(());
    };
    post(&url, "/_fake/reset", &serde_json::json!({}))?;
    let ctx = context(&url)?;
    let liveness = RekognitionLiveness::new(ctx.clone())
        .with_poll(Duration::from_millis(10), Duration::from_millis(40))
        .with_wait(Duration::from_millis(150));

    // Create: the same token gives the same session, no token a new one.
    let token = format!("fake-test-{}", uuid::Uuid::new_v4());
    let start = liveness.create_session_with_token(Some(&token))?;
    assert_eq!(start.provider, Provider::Aws);
    let again = liveness.create_session_with_token(Some(&token))?;
    assert_eq!(again.session_id, start.session_id);
    let other = liveness.create_session()?;
    assert_ne!(other.session_id, start.session_id);

    // The fake recorded the settings the adapter sent.
    let (status, listing) = control(&url, "GET", "/_fake/sessions", "")?;
    assert_eq!(status, 200, "{listing}");
    let listing: serde_json::Value = serde_json::from_str(&listing)?;
    let sessions = listing["sessions"].as_array().ok_or("no sessions array")?;
    assert_eq!(sessions.len(), 2);
    let ours = sessions
        .iter()
        .find(|s| s["sessionId"] == start.session_id.as_str())
        .ok_or("the created session is not listed")?;
    assert_eq!(ours["status"], "CREATED");
    assert_eq!(ours["clientRequestToken"], token.as_str());
    assert_eq!(ours["settings"]["AuditImagesLimit"], 2);
    assert_eq!(
        ours["settings"]["ChallengePreferences"][0]["Type"],
        "FaceMovementAndLightChallenge"
    );

    // Not finished yet: polled, then given up on.
    let e = liveness
        .session_results(&start.session_id)
        .err()
        .ok_or("an unfinished session gave a result")?;
    assert_eq!(e.code, "liveness-session-not-finished");
    assert!(e.retryable);

    // Completed by the "capture UI".
    let reference = jpeg(64, 48, 10)?;
    let audits = [jpeg(32, 32, 20)?, jpeg(32, 32, 30)?, jpeg(32, 32, 40)?];
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    post(
        &url,
        &format!("/_fake/sessions/{}/complete", start.session_id),
        &serde_json::json!({
            "status": "SUCCEEDED",
            "confidence": 93.1,
            "referenceImage": b64(&reference),
            "auditImages": audits.iter().map(|a| b64(a)).collect::<Vec<_>>(),
        }),
    )?;
    let outcome = liveness.session_results(&start.session_id)?;
    assert_eq!(outcome.status, LivenessStatus::Succeeded);
    assert_eq!(outcome.session_id, start.session_id);
    assert!((outcome.confidence - 93.1).abs() < 1e-3);
    assert_eq!(
        outcome.rule,
        "rekognition-face-liveness/FaceMovementAndLightChallenge/1.0.0"
    );
    assert_eq!(
        outcome.reference_image.as_deref(),
        Some(reference.as_slice())
    );
    assert_eq!(
        outcome.audit_images,
        audits[..2].to_vec(),
        "AuditImagesLimit 2"
    );

    assert_eq!(outcome.assurance, "challenge");

    // The check without flashing colours: Rekognition's movement-only
    // challenge, recorded as such (the policy sends it to a person).
    assert!(liveness.supports(ChallengeKind::Movement));
    let still = liveness.create_session_for(&LivenessRequest {
        challenge: ChallengeKind::Movement,
        locale: None,
    })?;
    let (_, listing) = control(&url, "GET", "/_fake/sessions", "")?;
    let listing: serde_json::Value = serde_json::from_str(&listing)?;
    let asked = listing["sessions"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|s| s["sessionId"] == still.session_id.as_str())
        })
        .ok_or("the movement-only session is not listed")?;
    assert_eq!(
        asked["settings"]["ChallengePreferences"][0]["Type"],
        "FaceMovementChallenge"
    );
    post(
        &url,
        &format!("/_fake/sessions/{}/complete", still.session_id),
        &serde_json::json!({
            "status": "SUCCEEDED",
            "confidence": 91.0,
            "referenceImage": b64(&reference),
        }),
    )?;
    let moved = liveness.session_results(&still.session_id)?;
    assert_eq!(moved.assurance, "movement-challenge");
    assert_eq!(
        moved.rule,
        "rekognition-face-liveness/FaceMovementChallenge/1.0.0"
    );

    // A failed capture.
    post(
        &url,
        &format!("/_fake/sessions/{}/complete", other.session_id),
        &serde_json::json!({"status": "FAILED", "confidence": 4.0}),
    )?;
    let failed = liveness.session_results(&other.session_id)?;
    assert_eq!(failed.status, LivenessStatus::Failed);
    assert_eq!(failed.failure.as_deref(), Some("session-failed"));

    // An unknown session.
    let e = liveness
        .session_results(&uuid::Uuid::new_v4().to_string())
        .err()
        .ok_or("an unknown session gave a result")?;
    assert_eq!(e.code, "liveness-session-invalid");

    // Portrait and comparison.
    let matcher = RekognitionMatcher::new(ctx, 80.0);
    let document = jpeg(300, 150, 200)?;
    let portrait = matcher.locate_portrait(&document)?;
    let b = portrait.face_box;
    let close = |a: f32, e: f32| (a - e).abs() < 0.01;
    assert!(
        close(b.x, 100.0) && close(b.y, 50.0) && close(b.width, 100.0) && close(b.height, 50.0),
        "{b:?}"
    );
    assert_ne!(
        b,
        PixelBox {
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 0.0
        }
    );

    post(
        &url,
        "/_fake/compare",
        &serde_json::json!({"similarity": 97.5}),
    )?;
    let result = matcher.compare(&document, &reference)?;
    assert!((result.similarity - 97.5).abs() < 1e-3);
    assert_eq!(result.model, "rekognition-compare-faces");
    let transaction = uuid::Uuid::new_v4();
    let stored = matcher.compare_stored(
        (
            &EvidenceKey::document(&transaction, "document.jpg")?,
            &document,
        ),
        (
            &EvidenceKey::liveness_reference(&start.session_id)?,
            &reference,
        ),
    )?;
    assert!((stored.similarity - 97.5).abs() < 1e-3);

    // Below the policy's pass line the similarity is still reported.
    post(
        &url,
        "/_fake/compare",
        &serde_json::json!({"similarity": 42.0}),
    )?;
    assert!((matcher.compare(&document, &reference)?.similarity - 42.0).abs() < 1e-3);

    post(
        &url,
        "/_fake/compare",
        &serde_json::json!({"noFace": "source"}),
    )?;
    let e = matcher
        .compare(&document, &reference)
        .err()
        .ok_or("no face in the source gave a result")?;
    assert_eq!(e.code, "face-no-face");
    post(
        &url,
        "/_fake/compare",
        &serde_json::json!({"noFace": "target"}),
    )?;
    let e = matcher
        .compare(&document, &reference)
        .err()
        .ok_or("no face in the target gave a result")?;
    assert_eq!(e.code, "document-no-face");

    post(&url, "/_fake/detect", &serde_json::json!({"faces": 0}))?;
    let e = matcher
        .locate_portrait(&document)
        .err()
        .ok_or("a document without a face gave a portrait")?;
    assert_eq!(e.code, "document-no-portrait");

    post(&url, "/_fake/reset", &serde_json::json!({}))?;
    Ok(())
}

/// One stream per Face Liveness session: after a streaming error the
/// session cannot be streamed on (or completed) again, and the retry, on a
/// new session, has a new id and is decided on its own. The visit desk's
/// side (a new session bound to the transaction for every attempt) is
/// `dayfusion-visit/tests/liveness_sessions.rs`.
#[test]
fn a_retry_after_a_streaming_error_needs_and_gets_a_new_session() -> TestResult {
    let _serial = serial();
    let Some(url) = fake_url()? else {
        return Ok(());
    };
    let liveness = RekognitionLiveness::new(context_with(
        &url,
        AwsSettings {
            audit_images_limit: 0,
            results_wait_s: 1,
            ..fake_settings()
        },
    )?)
    .with_poll(Duration::from_millis(10), Duration::from_millis(40))
    .with_wait(Duration::from_millis(150));

    // The first attempt: the detector's stream breaks.
    let first = liveness.create_session()?;
    let (status, body) = control_json(
        &url,
        "POST",
        &format!("/_fake/sessions/{}/stream", first.session_id),
        &serde_json::json!({"error": "InternalServerException"}),
    )?;
    assert_eq!(status, 200, "{body}");
    // Its results say nothing was decided.
    let e = liveness
        .session_results(&first.session_id)
        .err()
        .ok_or("a broken stream gave a result")?;
    assert!(e.retryable, "{e:?}");

    // Remounting the detector on the same session is refused, as the
    // service refuses it; so is ending that session's stream now.
    for path in ["stream", "complete"] {
        let (status, body) = control_json(
            &url,
            "POST",
            &format!("/_fake/sessions/{}/{path}", first.session_id),
            &serde_json::json!({"status": "SUCCEEDED", "confidence": 99.0}),
        )?;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["__type"], "ValidationException", "{path}: {body}");
    }

    // The retry: a new session, a new id, streamed once and decided.
    let second = liveness.create_session()?;
    assert_ne!(second.session_id, first.session_id);
    let (status, body) = control_json(
        &url,
        "POST",
        &format!("/_fake/sessions/{}/stream", second.session_id),
        &serde_json::json!({}),
    )?;
    assert_eq!(status, 200, "{body}");
    let (status, body) = control_json(
        &url,
        "POST",
        &format!("/_fake/sessions/{}/complete", second.session_id),
        &serde_json::json!({"status": "FAILED", "confidence": 20.0}),
    )?;
    assert_eq!(status, 200, "{body}");
    let outcome = liveness.session_results(&second.session_id)?;
    assert_eq!(outcome.session_id, second.session_id);
    assert_eq!(outcome.status, LivenessStatus::Failed);
    // Results can be read again while the session lives; a stream cannot.
    assert_eq!(
        liveness.session_results(&second.session_id)?.status,
        LivenessStatus::Failed
    );
    let (status, _) = control_json(
        &url,
        "POST",
        &format!("/_fake/sessions/{}/stream", second.session_id),
        &serde_json::json!({}),
    )?;
    assert_eq!(status, 400);

    // The fake's listing: one stream each, the refusals counted.
    let (_, listing) = control_json(&url, "GET", "/_fake/sessions", &serde_json::json!({}))?;
    let sessions = listing["sessions"].as_array().ok_or("no sessions")?;
    let find = |id: &str| sessions.iter().find(|s| s["sessionId"] == id).cloned();
    let one = find(&first.session_id).ok_or("first not listed")?;
    assert_eq!(one["stream"], "broken");
    assert_eq!(one["streamError"], "InternalServerException");
    assert_eq!(one["refusedStreams"], 1);
    let two = find(&second.session_id).ok_or("second not listed")?;
    assert_eq!(two["stream"], "ended");
    assert_eq!(two["status"], "FAILED");
    Ok(())
}
