//! One stream per Face Liveness session, against the protocol-level fake
//! `infra/aws-local/fake_rekognition.py` with the real SDK client: after a
//! streaming error the session cannot be streamed on (or completed) again,
//! and the retry, on a new session, has a new id and is decided on its own.
//! The visit desk's side (a new session bound to the transaction for every
//! attempt) is `dayfusion-visit/tests/liveness_sessions.rs`.
//!
//! Runs when `DAYFUSION_TEST_REKOGNITION_URL` points at a running fake (see
//! `rekognition_fake.rs`); without it the test passes doing nothing, except
//! under `CI`.

use std::error::Error;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use dayfusion_aws::config::CompareInput;
use dayfusion_aws::{AwsContext, AwsSettings, RekognitionLiveness};
use dayfusion_verify::{LivenessProvider, LivenessStatus};

type TestResult = Result<(), Box<dyn Error>>;

const URL_VAR: &str = "DAYFUSION_TEST_REKOGNITION_URL";

fn fake_url() -> Result<Option<String>, Box<dyn Error>> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(Some(url.trim().trim_end_matches('/').to_owned())),
        _ if std::env::var_os("CI").is_some() => {
            Err(format!("{URL_VAR} is not set under CI").into())
        }
        _ => {
            eprintln!("{URL_VAR} not set: skipping the Rekognition session test");
            Ok(None)
        }
    }
}

/// A control request to the fake; status and JSON body.
fn control(
    url: &str,
    method: &str,
    path: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), Box<dyn Error>> {
    let host = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{URL_VAR} must be http://HOST:PORT, got {url}"))?;
    let body = if method == "GET" {
        String::new()
    } else {
        body.to_string()
    };
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
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
    let text = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, serde_json::from_str(&text)?))
}

fn context(url: &str) -> Result<Arc<AwsContext>, Box<dyn Error>> {
    let region = aws_sdk_rekognition::config::Region::new("us-east-1");
    let credentials =
        aws_sdk_rekognition::config::Credentials::new("AKIDTEST", "secret", None, None, "fake");
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
    let settings = AwsSettings {
        region: Some("us-east-1".into()),
        audit_images_limit: 0,
        compare_input: CompareInput::Bytes,
        results_wait_s: 1,
        ..AwsSettings::default()
    };
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
fn a_retry_after_a_streaming_error_needs_and_gets_a_new_session() -> TestResult {
    let Some(url) = fake_url()? else {
        return Ok(());
    };
    let liveness = RekognitionLiveness::new(context(&url)?)
        .with_poll(Duration::from_millis(10), Duration::from_millis(40))
        .with_wait(Duration::from_millis(150));

    // The first attempt: the detector's stream breaks.
    let first = liveness.create_session()?;
    let (status, body) = control(
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
        let (status, body) = control(
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
    let (status, body) = control(
        &url,
        "POST",
        &format!("/_fake/sessions/{}/stream", second.session_id),
        &serde_json::json!({}),
    )?;
    assert_eq!(status, 200, "{body}");
    let (status, body) = control(
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
    let (status, _) = control(
        &url,
        "POST",
        &format!("/_fake/sessions/{}/stream", second.session_id),
        &serde_json::json!({}),
    )?;
    assert_eq!(status, 400);

    // The fake's listing: one stream each, the refusals counted.
    let (_, listing) = control(&url, "GET", "/_fake/sessions", &serde_json::json!({}))?;
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
