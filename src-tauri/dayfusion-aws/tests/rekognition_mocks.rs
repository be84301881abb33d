//! Rekognition adapters against mocked SDK clients (`aws-smithy-mocks`):
//! every request shape and every answer path, with no network.

use std::error::Error;
use std::io::Cursor;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_rekognition::Client as Rekognition;
use aws_sdk_rekognition::config::retry::RetryConfig;
use aws_sdk_rekognition::operation::compare_faces::{CompareFacesError, CompareFacesOutput};
use aws_sdk_rekognition::operation::create_face_liveness_session::CreateFaceLivenessSessionOutput;
use aws_sdk_rekognition::operation::detect_faces::DetectFacesOutput;
use aws_sdk_rekognition::operation::get_face_liveness_session_results::{
    GetFaceLivenessSessionResultsError, GetFaceLivenessSessionResultsOutput,
};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::error::{
    ImageTooLargeException, InvalidImageFormatException, InvalidParameterException,
    SessionNotFoundException,
};
use aws_sdk_rekognition::types::{
    Attribute, AuditImage, BoundingBox, Challenge, ChallengeType, CompareFacesMatch, ComparedFace,
    FaceDetail, LivenessSessionStatus, QualityFilter, S3Object,
};
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use dayfusion_aws::config::CompareInput;
use dayfusion_aws::{
    AwsContext, AwsSettings, RekognitionLiveness, RekognitionMatcher, S3EvidenceStore,
};
use dayfusion_verify::{
    EvidenceKey, EvidenceStore, FaceMatcher, LivenessProvider, LivenessStatus, PixelBox, Provider,
    ProviderError,
};

type TestResult = Result<(), Box<dyn Error>>;

const SESSION: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn region() -> aws_sdk_s3::config::Region {
    aws_sdk_s3::config::Region::new("us-east-1")
}

/// An S3 client that is never called.
fn unused_s3() -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(region())
            .build(),
    )
}

fn unused_dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(region())
            .build(),
    )
}

fn unused_sts() -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version_latest()
            .region(region())
            .build(),
    )
}

fn context(
    settings: AwsSettings,
    rekognition: Rekognition,
    s3: aws_sdk_s3::Client,
) -> Result<Arc<AwsContext>, Box<dyn Error>> {
    Ok(Arc::new(AwsContext::from_clients(
        settings,
        SdkConfig::builder().build(),
        rekognition,
        s3,
        unused_dynamodb(),
        unused_sts(),
    )?))
}

/// A Rekognition client answering with `rules`, in order, without retries.
fn rekognition(rules: &[&Rule]) -> Rekognition {
    mock_client!(
        aws_sdk_rekognition,
        RuleMode::Sequential,
        rules.iter().copied(),
        |c| c.retry_config(RetryConfig::disabled())
    )
}

fn settings() -> AwsSettings {
    AwsSettings {
        bucket: Some("bank-evidence".into()),
        ..AwsSettings::default()
    }
}

fn encode(width: u32, height: u32, format: image::ImageFormat) -> Result<Vec<u8>, Box<dyn Error>> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, 128])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img).write_to(&mut Cursor::new(&mut out), format)?;
    Ok(out)
}

fn jpeg(width: u32, height: u32) -> Result<Vec<u8>, Box<dyn Error>> {
    encode(width, height, image::ImageFormat::Jpeg)
}

fn code_of<T: std::fmt::Debug>(
    result: Result<T, ProviderError>,
) -> Result<ProviderError, Box<dyn Error>> {
    match result {
        Ok(v) => Err(format!("expected an error, got {v:?}").into()),
        Err(e) => Ok(e),
    }
}

fn challenge() -> Result<Challenge, Box<dyn Error>> {
    Ok(Challenge::builder()
        .r#type(ChallengeType::FaceMovementAndLightChallenge)
        .version("2.0.0")
        .build()?)
}

fn results(
    status: LivenessSessionStatus,
    confidence: Option<f32>,
) -> aws_sdk_rekognition::operation::get_face_liveness_session_results::builders::GetFaceLivenessSessionResultsOutputBuilder
{
    GetFaceLivenessSessionResultsOutput::builder()
        .session_id(SESSION)
        .status(status)
        .set_confidence(confidence)
}

fn bytes_image(bytes: &[u8]) -> AuditImage {
    AuditImage::builder()
        .bytes(Blob::new(bytes.to_vec()))
        .build()
}

fn results_rule(output: GetFaceLivenessSessionResultsOutput) -> Rule {
    mock!(Rekognition::get_face_liveness_session_results)
        .match_requests(|r| r.session_id() == Some(SESSION))
        .then_output(move || output.clone())
}

/// A JSON 1.1 error answer, as the service sends it.
fn error_rule_body(type_name: &str, message: &str) -> String {
    format!(r#"{{"__type":"{type_name}","message":"{message}"}}"#)
}

fn liveness(rules: &[&Rule]) -> Result<RekognitionLiveness, Box<dyn Error>> {
    Ok(
        RekognitionLiveness::new(context(settings(), rekognition(rules), unused_s3())?)
            .with_poll(Duration::from_millis(1), Duration::from_millis(4)),
    )
}

// ---------------------------------------------------------------------------
// CreateFaceLivenessSession
// ---------------------------------------------------------------------------

#[test]
fn create_sends_audit_limit_challenge_and_a_fresh_token_per_call() -> TestResult {
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    let output = CreateFaceLivenessSessionOutput::builder()
        .session_id(SESSION)
        .build()?;
    let rule = mock!(Rekognition::create_face_liveness_session)
        .match_requests(|r| {
            let Some(s) = r.settings() else { return false };
            s.audit_images_limit() == Some(4)
                && s.challenge_preferences().len() == 1
                && s.challenge_preferences()[0].r#type()
                    == &ChallengeType::FaceMovementAndLightChallenge
                && s.output_config().is_none()
                && r.kms_key_id().is_none()
                && r.client_request_token()
                    .is_some_and(|t| uuid::Uuid::try_parse(t).is_ok())
        })
        .then_compute_output(move |r| {
            if let (Ok(mut t), Some(token)) = (seen.lock(), r.client_request_token()) {
                t.push(token.to_owned());
            }
            output.clone()
        });
    let client = mock_client!(aws_sdk_rekognition, RuleMode::MatchAny, [&rule], |c| c
        .retry_config(RetryConfig::disabled()));
    let provider = RekognitionLiveness::new(context(settings(), client, unused_s3())?);
    assert_eq!(provider.provider(), Provider::Aws);
    let start = provider.create_session()?;
    assert_eq!(start.session_id, SESSION);
    assert_eq!(start.provider, Provider::Aws);
    provider.create_session()?;
    assert_eq!(rule.num_calls(), 2);
    let tokens = tokens.lock().map_err(|_| "poisoned")?.clone();
    assert_eq!(tokens.len(), 2);
    assert_ne!(tokens[0], tokens[1], "a fresh token per session");
    Ok(())
}

#[test]
fn create_with_output_config_and_kms_key() -> TestResult {
    let output = CreateFaceLivenessSessionOutput::builder()
        .session_id(SESSION)
        .build()?;
    let rule = mock!(Rekognition::create_face_liveness_session)
        .match_requests(|r| {
            let Some(s) = r.settings() else { return false };
            let Some(out) = s.output_config() else {
                return false;
            };
            s.audit_images_limit() == Some(2)
                && out.s3_bucket() == "bank-evidence"
                && out.s3_key_prefix() == Some("kiosk/kiosk-001/liveness-output/")
                && r.kms_key_id() == Some("alias/dayfusion")
        })
        .then_output(move || output.clone());
    let settings = AwsSettings {
        bucket: Some("bank-evidence".into()),
        key_prefix: "kiosk/".into(),
        kms_key_id: Some("alias/dayfusion".into()),
        audit_images_limit: 2,
        liveness_output_to_s3: true,
        ..AwsSettings::default()
    };
    let provider = RekognitionLiveness::new(context(
        settings.clone().with_kiosk("kiosk-001"),
        rekognition(&[&rule]),
        unused_s3(),
    )?);
    assert_eq!(provider.create_session()?.session_id, SESSION);
    assert_eq!(rule.num_calls(), 1);
    // Rekognition writes in the kiosk's folder: without a kiosk id there is
    // none, and no session is created.
    let again = CreateFaceLivenessSessionOutput::builder()
        .session_id(SESSION)
        .build()?;
    let unused =
        mock!(Rekognition::create_face_liveness_session).then_output(move || again.clone());
    let provider =
        RekognitionLiveness::new(context(settings, rekognition(&[&unused]), unused_s3())?);
    assert_eq!(code_of(provider.create_session())?.code, "aws-config");
    assert_eq!(unused.num_calls(), 0);
    Ok(())
}

#[test]
fn create_with_token_sends_the_callers_token() -> TestResult {
    let output = CreateFaceLivenessSessionOutput::builder()
        .session_id(SESSION)
        .build()?;
    let rule = mock!(Rekognition::create_face_liveness_session)
        .match_requests(|r| r.client_request_token() == Some("txn-42_retry"))
        .then_output(move || output.clone());
    let provider = liveness(&[&rule])?;
    assert_eq!(
        provider
            .create_session_with_token(Some("txn-42_retry"))?
            .session_id,
        SESSION
    );
    let e = code_of(provider.create_session_with_token(Some("not a token!")))?;
    assert_eq!(e.code, "aws-request-invalid");
    assert_eq!(
        rule.num_calls(),
        1,
        "a bad token is refused before any call"
    );
    Ok(())
}

#[test]
fn create_with_output_to_s3_needs_a_bucket() -> TestResult {
    let settings = AwsSettings {
        liveness_output_to_s3: true,
        ..AwsSettings::default()
    };
    let provider = RekognitionLiveness::new(context(settings, rekognition(&[]), unused_s3())?);
    assert_eq!(code_of(provider.create_session())?.code, "aws-config");
    Ok(())
}

#[test]
fn create_refuses_a_session_id_that_is_not_a_uuid() -> TestResult {
    let output = CreateFaceLivenessSessionOutput::builder()
        .session_id("../../etc")
        .build()?;
    let rule = mock!(Rekognition::create_face_liveness_session).then_output(move || output.clone());
    let e = code_of(liveness(&[&rule])?.create_session())?;
    assert_eq!(e.code, "provider-invalid-result");
    Ok(())
}

#[test]
fn create_throttled_is_retryable() -> TestResult {
    let rule = mock!(Rekognition::create_face_liveness_session)
        .sequence()
        .http_status(
            400,
            Some(error_rule_body("ThrottlingException", "Rate exceeded")),
        )
        .build();
    let e = code_of(liveness(&[&rule])?.create_session())?;
    assert_eq!(e.code, "aws-throttled");
    assert!(e.retryable);
    Ok(())
}

// ---------------------------------------------------------------------------
// GetFaceLivenessSessionResults
// ---------------------------------------------------------------------------

#[test]
fn succeeded_with_bytes_returns_the_images_and_one_check() -> TestResult {
    let reference = jpeg(32, 24)?;
    let audit = [jpeg(16, 16)?, jpeg(20, 12)?];
    let output = results(LivenessSessionStatus::Succeeded, Some(99.28))
        .reference_image(bytes_image(&reference))
        .audit_images(bytes_image(&audit[0]))
        .audit_images(bytes_image(&audit[1]))
        .challenge(challenge()?)
        .build()?;
    let rule = results_rule(output);
    let outcome = liveness(&[&rule])?.session_results(SESSION)?;
    assert_eq!(outcome.provider, Provider::Aws);
    assert_eq!(outcome.session_id, SESSION);
    assert_eq!(outcome.status, LivenessStatus::Succeeded);
    assert_eq!(outcome.confidence, 99.28);
    assert_eq!(outcome.assurance, "challenge");
    assert_eq!(
        outcome.rule,
        "rekognition-face-liveness/FaceMovementAndLightChallenge/2.0.0"
    );
    assert_eq!(outcome.failure, None);
    assert_eq!(outcome.checks.len(), 1);
    assert_eq!(outcome.checks[0].check, "rekognition");
    assert_eq!(outcome.checks[0].outcome, "passed");
    assert_eq!(outcome.checks[0].score, Some(99.28));
    assert_eq!(outcome.checks[0].reason, "rekognition-confidence");
    assert_eq!(
        outcome.reference_image.as_deref(),
        Some(reference.as_slice())
    );
    assert_eq!(outcome.audit_images, audit.to_vec());
    Ok(())
}

#[test]
fn succeeded_below_50_is_a_failed_check_without_challenge_rule() -> TestResult {
    let reference = jpeg(8, 8)?;
    let output = results(LivenessSessionStatus::Succeeded, Some(12.0))
        .reference_image(bytes_image(&reference))
        .build()?;
    let rule = results_rule(output);
    let outcome = liveness(&[&rule])?.session_results(SESSION)?;
    assert_eq!(outcome.status, LivenessStatus::Succeeded);
    assert_eq!(outcome.rule, "rekognition-face-liveness");
    assert_eq!(outcome.checks[0].outcome, "failed");
    assert!(outcome.audit_images.is_empty());
    // No challenge named: never counted as the light challenge (fails closed).
    assert_eq!(outcome.assurance, "movement-challenge");
    Ok(())
}

#[test]
fn succeeded_with_s3_objects_reads_them_from_the_bucket() -> TestResult {
    let reference = jpeg(32, 24)?;
    let audit = jpeg(16, 16)?;
    let prefix = format!("dayfusion/liveness-output/{SESSION}");
    let object = |name: String| {
        AuditImage::builder()
            .s3_object(
                S3Object::builder()
                    .bucket("bank-evidence")
                    .name(name)
                    .build(),
            )
            .build()
    };
    let output = results(LivenessSessionStatus::Succeeded, Some(97.0))
        .reference_image(object(format!("{prefix}/reference.jpg")))
        .audit_images(object(format!("{prefix}/auditImages/0.jpg")))
        .build()?;
    let rek = results_rule(output);
    let (ref_key, audit_key) = (
        format!("{prefix}/reference.jpg"),
        format!("{prefix}/auditImages/0.jpg"),
    );
    let ref_bytes = reference.clone();
    let get_reference = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(move |r| r.bucket() == Some("bank-evidence") && r.key() == Some(&ref_key))
        .then_output(move || {
            GetObjectOutput::builder()
                .body(ByteStream::from(ref_bytes.clone()))
                .build()
        });
    let audit_bytes = audit.clone();
    let get_audit = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(move |r| r.bucket() == Some("bank-evidence") && r.key() == Some(&audit_key))
        .then_output(move || {
            GetObjectOutput::builder()
                .body(ByteStream::from(audit_bytes.clone()))
                .build()
        });
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&get_reference, &get_audit]);
    let settings = AwsSettings {
        liveness_output_to_s3: true,
        ..settings()
    };
    let provider = RekognitionLiveness::new(context(settings, rekognition(&[&rek]), s3)?);
    let outcome = provider.session_results(SESSION)?;
    assert_eq!(outcome.status, LivenessStatus::Succeeded);
    assert_eq!(outcome.reference_image, Some(reference));
    assert_eq!(outcome.audit_images, vec![audit]);
    assert_eq!(get_reference.num_calls(), 1);
    assert_eq!(get_audit.num_calls(), 1);
    Ok(())
}

#[test]
fn s3_objects_in_another_bucket_are_refused() -> TestResult {
    let output = results(LivenessSessionStatus::Succeeded, Some(97.0))
        .reference_image(
            AuditImage::builder()
                .s3_object(
                    S3Object::builder()
                        .bucket("someone-else")
                        .name("x.jpg")
                        .build(),
                )
                .build(),
        )
        .build()?;
    let rule = results_rule(output);
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "provider-invalid-result");
    Ok(())
}

#[test]
fn a_reference_image_that_is_not_an_image_is_refused() -> TestResult {
    let output = results(LivenessSessionStatus::Succeeded, Some(97.0))
        .reference_image(bytes_image(b"not a jpeg"))
        .build()?;
    let rule = results_rule(output);
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "provider-invalid-result");
    Ok(())
}

#[test]
fn in_progress_is_polled_until_succeeded() -> TestResult {
    let reference = jpeg(8, 8)?;
    let created = results(LivenessSessionStatus::Created, None).build()?;
    let running = results(LivenessSessionStatus::InProgress, None).build()?;
    let done = results(LivenessSessionStatus::Succeeded, Some(88.5))
        .reference_image(bytes_image(&reference))
        .build()?;
    let rule = mock!(Rekognition::get_face_liveness_session_results)
        .sequence()
        .output(move || created.clone())
        .output(move || running.clone())
        .times(2)
        .output(move || done.clone())
        .build();
    let outcome = liveness(&[&rule])?.session_results(SESSION)?;
    assert_eq!(outcome.status, LivenessStatus::Succeeded);
    assert_eq!(outcome.confidence, 88.5);
    assert_eq!(rule.num_calls(), 4);
    Ok(())
}

#[test]
fn still_in_progress_after_the_wait_is_not_finished_and_retryable() -> TestResult {
    let running = results(LivenessSessionStatus::InProgress, None).build()?;
    let rule = mock!(Rekognition::get_face_liveness_session_results)
        .sequence()
        .output(move || running.clone())
        .repeatedly()
        .build();
    let provider = liveness(&[&rule])?.with_wait(Duration::from_millis(40));
    let started = std::time::Instant::now();
    let e = code_of(provider.session_results(SESSION))?;
    assert_eq!(e.code, "liveness-session-not-finished");
    assert!(e.retryable);
    assert!(rule.num_calls() >= 3, "polled {} times", rule.num_calls());
    assert!(started.elapsed() < Duration::from_secs(5));
    Ok(())
}

#[test]
fn zero_wait_reads_once() -> TestResult {
    let running = results(LivenessSessionStatus::Created, None).build()?;
    let rule = mock!(Rekognition::get_face_liveness_session_results)
        .sequence()
        .output(move || running.clone())
        .repeatedly()
        .build();
    let settings = AwsSettings {
        results_wait_s: 0,
        ..settings()
    };
    let provider = RekognitionLiveness::new(context(settings, rekognition(&[&rule]), unused_s3())?);
    let e = code_of(provider.session_results(SESSION))?;
    assert_eq!(e.code, "liveness-session-not-finished");
    assert_eq!(rule.num_calls(), 1);
    Ok(())
}

#[test]
fn failed_session_has_a_failure_and_no_images() -> TestResult {
    let reference = jpeg(8, 8)?;
    let output = results(LivenessSessionStatus::Failed, Some(3.5))
        .reference_image(bytes_image(&reference))
        .build()?;
    let rule = results_rule(output);
    let outcome = liveness(&[&rule])?.session_results(SESSION)?;
    assert_eq!(outcome.status, LivenessStatus::Failed);
    assert_eq!(outcome.failure.as_deref(), Some("session-failed"));
    assert_eq!(outcome.confidence, 3.5);
    assert_eq!(outcome.reference_image, None);
    assert!(outcome.audit_images.is_empty());
    assert_eq!(outcome.checks[0].outcome, "failed");
    Ok(())
}

#[test]
fn failed_session_without_confidence_has_zero() -> TestResult {
    let rule = results_rule(results(LivenessSessionStatus::Failed, None).build()?);
    let outcome = liveness(&[&rule])?.session_results(SESSION)?;
    assert_eq!(outcome.status, LivenessStatus::Failed);
    assert_eq!(outcome.confidence, 0.0);
    Ok(())
}

#[test]
fn expired_session() -> TestResult {
    let rule = results_rule(results(LivenessSessionStatus::Expired, None).build()?);
    let outcome = liveness(&[&rule])?.session_results(SESSION)?;
    assert_eq!(outcome.status, LivenessStatus::Expired);
    assert_eq!(outcome.failure.as_deref(), Some("session-expired"));
    assert_eq!(outcome.confidence, 0.0);
    assert_eq!(outcome.reference_image, None);
    Ok(())
}

#[test]
fn unknown_session_is_invalid() -> TestResult {
    let rule = mock!(Rekognition::get_face_liveness_session_results).then_error(|| {
        GetFaceLivenessSessionResultsError::SessionNotFoundException(
            SessionNotFoundException::builder()
                .message("Session not found")
                .build(),
        )
    });
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "liveness-session-invalid");
    assert!(!e.retryable);
    Ok(())
}

#[test]
fn unknown_session_from_the_wire_is_invalid() -> TestResult {
    let rule = mock!(Rekognition::get_face_liveness_session_results)
        .sequence()
        .http_status(
            400,
            Some(error_rule_body(
                "SessionNotFoundException",
                "no such session",
            )),
        )
        .build();
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "liveness-session-invalid");
    Ok(())
}

#[test]
fn a_session_id_that_is_not_a_uuid_is_refused_without_a_call() -> TestResult {
    let rule = results_rule(results(LivenessSessionStatus::Expired, None).build()?);
    let e = code_of(liveness(&[&rule])?.session_results("../other"))?;
    assert_eq!(e.code, "liveness-session-invalid");
    assert_eq!(rule.num_calls(), 0);
    Ok(())
}

#[test]
fn access_denied_is_classified() -> TestResult {
    let rule = mock!(Rekognition::get_face_liveness_session_results)
        .sequence()
        .http_status(
            400,
            Some(error_rule_body(
                "AccessDeniedException",
                "User is not authorized to perform: rekognition:GetFaceLivenessSessionResults",
            )),
        )
        .build();
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "aws-access-denied");
    assert!(!e.retryable);
    Ok(())
}

#[test]
fn throttling_is_retryable() -> TestResult {
    let rule = mock!(Rekognition::get_face_liveness_session_results)
        .sequence()
        .http_status(
            400,
            Some(error_rule_body("ThrottlingException", "Slow down")),
        )
        .build();
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "aws-throttled");
    assert!(e.retryable);
    Ok(())
}

#[test]
fn confidence_out_of_range_is_an_invalid_result() -> TestResult {
    for bad in [100.5_f32, -1.0, f32::NAN] {
        let reference = jpeg(8, 8)?;
        let rule = results_rule(
            results(LivenessSessionStatus::Succeeded, Some(bad))
                .reference_image(bytes_image(&reference))
                .build()?,
        );
        let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
        assert_eq!(e.code, "provider-invalid-result", "confidence {bad}");
    }
    let rule = results_rule(results(LivenessSessionStatus::Succeeded, None).build()?);
    let e = code_of(liveness(&[&rule])?.session_results(SESSION))?;
    assert_eq!(e.code, "provider-invalid-result", "no confidence");
    Ok(())
}

// ---------------------------------------------------------------------------
// DetectFaces
// ---------------------------------------------------------------------------

fn face(left: f32, top: f32, width: f32, height: f32) -> FaceDetail {
    FaceDetail::builder()
        .bounding_box(
            BoundingBox::builder()
                .left(left)
                .top(top)
                .width(width)
                .height(height)
                .build(),
        )
        .confidence(99.9)
        .build()
}

fn matcher(settings: AwsSettings, rules: &[&Rule]) -> Result<RekognitionMatcher, Box<dyn Error>> {
    Ok(RekognitionMatcher::new(
        context(settings, rekognition(rules), unused_s3())?,
        80.0,
    ))
}

#[test]
fn locate_portrait_takes_the_largest_face_in_pixels() -> TestResult {
    let document = jpeg(200, 100)?;
    let expected = document.clone();
    let rule = mock!(Rekognition::detect_faces)
        .match_requests(move |r| {
            r.attributes() == [Attribute::Default]
                && r.image()
                    .and_then(|i| i.bytes())
                    .is_some_and(|b| b.as_ref() == expected.as_slice())
        })
        .then_output(|| {
            DetectFacesOutput::builder()
                .face_details(face(0.05, 0.1, 0.1, 0.1))
                .face_details(face(0.5, 0.2, 0.4, 0.6))
                .face_details(face(0.8, 0.8, 0.05, 0.05))
                .build()
        });
    let m = matcher(settings(), &[&rule])?;
    assert_eq!(m.provider(), Provider::Aws);
    let location = m.locate_portrait(&document)?;
    assert_eq!(location.rotation_degrees, 0);
    let b = location.face_box;
    let close = |a: f32, e: f32| (a - e).abs() < 1e-3;
    assert!(
        close(b.x, 100.0) && close(b.y, 20.0) && close(b.width, 80.0) && close(b.height, 60.0),
        "{b:?}"
    );
    assert_eq!(rule.num_calls(), 1);
    Ok(())
}

#[test]
fn locate_portrait_clips_a_png_box_to_the_image() -> TestResult {
    let document = encode(100, 50, image::ImageFormat::Png)?;
    let rule = mock!(Rekognition::detect_faces).then_output(|| {
        DetectFacesOutput::builder()
            .face_details(face(-0.1, 0.5, 0.5, 0.6))
            .build()
    });
    let location = matcher(settings(), &[&rule])?.locate_portrait(&document)?;
    assert_eq!(
        location.face_box,
        PixelBox {
            x: 0.0,
            y: 25.0,
            width: 40.0,
            height: 25.0
        }
    );
    Ok(())
}

#[test]
fn locate_portrait_without_a_face_is_no_portrait() -> TestResult {
    let document = jpeg(64, 64)?;
    let rule =
        mock!(Rekognition::detect_faces).then_output(|| DetectFacesOutput::builder().build());
    let e = code_of(matcher(settings(), &[&rule])?.locate_portrait(&document))?;
    assert_eq!(e.code, "document-no-portrait");
    assert!(e.retryable);
    Ok(())
}

#[test]
fn locate_portrait_refuses_non_images_and_large_files_before_calling() -> TestResult {
    let rule =
        mock!(Rekognition::detect_faces).then_output(|| DetectFacesOutput::builder().build());
    let m = matcher(settings(), &[&rule])?;
    assert_eq!(
        code_of(m.locate_portrait(b"%PDF-1.7 not an image"))?.code,
        "document-not-an-image"
    );
    assert_eq!(
        code_of(m.locate_portrait(&[]))?.code,
        "document-not-an-image"
    );
    // A JPEG header with nothing after it: the dimensions cannot be read.
    assert_eq!(
        code_of(m.locate_portrait(&[0xFF, 0xD8, 0xFF, 0xE0]))?.code,
        "document-not-an-image"
    );
    let mut huge = jpeg(8, 8)?;
    huge.resize(25 * 1024 * 1024 + 1, 0);
    assert_eq!(
        code_of(m.locate_portrait(&huge))?.code,
        "document-too-large"
    );
    assert_eq!(rule.num_calls(), 0);
    Ok(())
}

#[test]
fn detect_faces_image_format_error_is_not_an_image() -> TestResult {
    let document = jpeg(64, 64)?;
    let rule = mock!(Rekognition::detect_faces)
        .sequence()
        .http_status(
            400,
            Some(error_rule_body(
                "InvalidImageFormatException",
                "Request has invalid image format",
            )),
        )
        .build();
    let e = code_of(matcher(settings(), &[&rule])?.locate_portrait(&document))?;
    assert_eq!(e.code, "document-not-an-image");
    Ok(())
}

// ---------------------------------------------------------------------------
// CompareFaces
// ---------------------------------------------------------------------------

fn matched(similarity: f32) -> CompareFacesMatch {
    CompareFacesMatch::builder()
        .similarity(similarity)
        .face(ComparedFace::builder().confidence(99.0).build())
        .build()
}

#[test]
fn compare_sends_face_as_source_and_reports_the_best_similarity() -> TestResult {
    let document = jpeg(120, 80)?;
    let live = jpeg(64, 64)?;
    let (d, f) = (document.clone(), live.clone());
    let rule = mock!(Rekognition::compare_faces)
        .match_requests(move |r| {
            let bytes = |i: Option<&aws_sdk_rekognition::types::Image>| {
                i.and_then(|i| i.bytes()).map(|b| b.as_ref().to_vec())
            };
            bytes(r.source_image()).as_deref() == Some(f.as_slice())
                && bytes(r.target_image()).as_deref() == Some(d.as_slice())
                && r.similarity_threshold() == Some(0.0)
                // The API's and the guide's default: a faint document
                // portrait is compared, not filtered out.
                && r.quality_filter() == Some(&QualityFilter::None)
        })
        .then_output(|| {
            CompareFacesOutput::builder()
                .face_matches(matched(61.0))
                .face_matches(matched(97.5))
                .build()
        });
    let m = matcher(settings(), &[&rule])?;
    assert_eq!(m.similarity_threshold(), 80.0);
    assert_eq!(m.request_threshold(), 0.0);
    let result = m.compare(&document, &live)?;
    assert_eq!(result.similarity, 97.5);
    assert_eq!(result.model, "rekognition-compare-faces");
    assert_eq!(rule.num_calls(), 1);
    Ok(())
}

#[test]
fn compare_uses_the_configured_quality_filter() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let rule = mock!(Rekognition::compare_faces)
        .match_requests(|r| r.quality_filter() == Some(&QualityFilter::High))
        .then_output(|| {
            CompareFacesOutput::builder()
                .face_matches(matched(90.0))
                .build()
        });
    let settings = AwsSettings {
        quality_filter: "HIGH".into(),
        ..settings()
    };
    assert_eq!(
        matcher(settings, &[&rule])?
            .compare(&document, &live)?
            .similarity,
        90.0
    );
    let bad = AwsSettings {
        quality_filter: "BEST".into(),
        ..AwsSettings::default()
    };
    assert_eq!(
        code_of(matcher(bad, &[])?.compare(&document, &live))?.code,
        "aws-config"
    );
    Ok(())
}

#[test]
fn compare_without_a_match_is_similarity_zero() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let rule = mock!(Rekognition::compare_faces).then_output(|| {
        CompareFacesOutput::builder()
            .unmatched_faces(ComparedFace::builder().confidence(99.0).build())
            .build()
    });
    let result = matcher(settings(), &[&rule])?.compare(&document, &live)?;
    assert_eq!(result.similarity, 0.0);
    Ok(())
}

#[test]
fn compare_with_no_face_in_the_target_answer_is_document_no_face() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let rule =
        mock!(Rekognition::compare_faces).then_output(|| CompareFacesOutput::builder().build());
    let e = code_of(matcher(settings(), &[&rule])?.compare(&document, &live))?;
    assert_eq!(e.code, "document-no-face");
    Ok(())
}

#[test]
fn compare_no_face_in_source_or_target() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let cases = [
        ("There are no faces in the source image.", "face-no-face"),
        (
            "There are no faces in the target image.",
            "document-no-face",
        ),
        ("Request has invalid parameters", "face-no-face"),
    ];
    for (message, code) in cases {
        let rule = mock!(Rekognition::compare_faces).then_error(move || {
            CompareFacesError::InvalidParameterException(
                InvalidParameterException::builder()
                    .message(message)
                    .build(),
            )
        });
        let e = code_of(matcher(settings(), &[&rule])?.compare(&document, &live))?;
        assert_eq!(e.code, code, "{message}");
        assert!(e.retryable);
    }
    Ok(())
}

#[test]
fn compare_image_too_large_and_invalid_format() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let too_large = mock!(Rekognition::compare_faces).then_error(|| {
        CompareFacesError::ImageTooLargeException(
            ImageTooLargeException::builder()
                .message("Image size is too large")
                .build(),
        )
    });
    let e = code_of(matcher(settings(), &[&too_large])?.compare(&document, &live))?;
    assert_eq!(e.code, "face-image-too-large");
    let invalid = mock!(Rekognition::compare_faces).then_error(|| {
        CompareFacesError::InvalidImageFormatException(
            InvalidImageFormatException::builder()
                .message("bad")
                .build(),
        )
    });
    let e = code_of(matcher(settings(), &[&invalid])?.compare(&document, &live))?;
    assert_eq!(e.code, "face-image-invalid");
    Ok(())
}

#[test]
fn compare_refuses_bad_input_before_calling() -> TestResult {
    let rule = mock!(Rekognition::compare_faces).then_output(|| {
        CompareFacesOutput::builder()
            .face_matches(matched(90.0))
            .build()
    });
    let m = matcher(settings(), &[&rule])?;
    let good = jpeg(32, 32)?;
    let mut huge = good.clone();
    huge.resize(5 * 1024 * 1024 + 1, 0);
    assert_eq!(
        code_of(m.compare(&good, &huge))?.code,
        "face-image-too-large"
    );
    // A document may be a 25 MB scan (sent re-encoded); not larger.
    let mut too_large = good.clone();
    too_large.resize(25 * 1024 * 1024 + 1, 0);
    assert_eq!(
        code_of(m.compare(&too_large, &good))?.code,
        "document-too-large"
    );
    assert_eq!(
        code_of(m.compare(&good, b"GIF89a"))?.code,
        "face-image-invalid"
    );
    assert_eq!(
        code_of(m.compare(b"hello", &good))?.code,
        "document-not-an-image"
    );
    assert_eq!(rule.num_calls(), 0);
    Ok(())
}

#[test]
fn compare_similarity_out_of_range_is_an_invalid_result() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let rule = mock!(Rekognition::compare_faces).then_output(|| {
        CompareFacesOutput::builder()
            .face_matches(matched(180.0))
            .build()
    });
    let e = code_of(matcher(settings(), &[&rule])?.compare(&document, &live))?;
    assert_eq!(e.code, "provider-invalid-result");
    Ok(())
}

#[test]
fn compare_access_denied_is_classified() -> TestResult {
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let rule = mock!(Rekognition::compare_faces)
        .sequence()
        .http_status(
            400,
            Some(error_rule_body("AccessDeniedException", "denied")),
        )
        .build();
    let e = code_of(matcher(settings(), &[&rule])?.compare(&document, &live))?;
    assert_eq!(e.code, "aws-access-denied");
    Ok(())
}

fn keys() -> Result<(EvidenceKey, EvidenceKey), Box<dyn Error>> {
    let transaction = uuid::Uuid::parse_str("01890a5d-ac96-774b-bcce-b302099a8057")?;
    Ok((
        EvidenceKey::document(&transaction, "document.jpg")?,
        EvidenceKey::liveness_reference(SESSION)?,
    ))
}

/// A matcher whose evidence is in the S3 store of kiosk-001 (S3 answering
/// with `s3`).
fn matcher_in_s3(
    settings: AwsSettings,
    rules: &[&Rule],
    s3: aws_sdk_s3::Client,
) -> Result<(RekognitionMatcher, S3EvidenceStore), Box<dyn Error>> {
    let ctx = context(settings.with_kiosk("kiosk-001"), rekognition(rules), s3)?;
    let store = S3EvidenceStore::new(ctx.clone())?;
    Ok((
        RekognitionMatcher::new(ctx, 80.0).evidence_in(&store),
        store,
    ))
}

/// The S3 object a Rekognition image names: bucket, key, version.
type Named = (Option<String>, Option<String>, Option<String>);

fn named(image: Option<&aws_sdk_rekognition::types::Image>) -> Option<Named> {
    image
        .filter(|i| i.bytes().is_none())
        .and_then(|i| i.s3_object())
        .map(|o| {
            (
                o.bucket().map(str::to_owned),
                o.name().map(str::to_owned),
                o.version().map(str::to_owned),
            )
        })
}

#[test]
fn compare_stored_names_the_s3_objects_with_the_kiosk_folder() -> TestResult {
    let (document_key, face_key) = keys()?;
    let (document, live) = (jpeg(32, 32)?, jpeg(32, 32)?);
    let (doc_name, face_name) = (
        format!("dayfusion/kiosk-001/{document_key}"),
        format!("dayfusion/kiosk-001/{face_key}"),
    );
    let rule = mock!(Rekognition::compare_faces)
        .match_requests(move |r| {
            named(r.source_image())
                == Some((Some("bank-evidence".into()), Some(face_name.clone()), None))
                && named(r.target_image())
                    == Some((Some("bank-evidence".into()), Some(doc_name.clone()), None))
        })
        .then_output(|| {
            CompareFacesOutput::builder()
                .face_matches(matched(95.0))
                .build()
        });
    let settings = AwsSettings {
        compare_input: CompareInput::S3Object,
        ..settings()
    };
    let (m, _) = matcher_in_s3(settings, &[&rule], unused_s3())?;
    let result = m.compare_stored((&document_key, &document), (&face_key, &live))?;
    assert_eq!(result.similarity, 95.0);
    assert_eq!(rule.num_calls(), 1);
    Ok(())
}

#[test]
fn compare_stored_sends_bytes_unless_evidence_is_in_s3_and_configured() -> TestResult {
    let (document_key, face_key) = keys()?;
    let (document, live) = (jpeg(40, 30)?, jpeg(30, 30)?);
    for (in_s3, input) in [(false, CompareInput::S3Object), (true, CompareInput::Bytes)] {
        let (d, f) = (document.clone(), live.clone());
        let rule = mock!(Rekognition::compare_faces)
            .match_requests(move |r| {
                r.source_image().and_then(|i| i.bytes()).map(|b| b.as_ref()) == Some(f.as_slice())
                    && r.target_image().and_then(|i| i.bytes()).map(|b| b.as_ref())
                        == Some(d.as_slice())
            })
            .then_output(|| {
                CompareFacesOutput::builder()
                    .face_matches(matched(70.0))
                    .build()
            });
        let settings = AwsSettings {
            compare_input: input,
            ..settings()
        };
        let m = if in_s3 {
            matcher_in_s3(settings, &[&rule], unused_s3())?.0
        } else {
            matcher(settings, &[&rule])?
        };
        let result = m.compare_stored((&document_key, &document), (&face_key, &live))?;
        assert_eq!(result.similarity, 70.0);
        assert_eq!(rule.num_calls(), 1);
    }
    Ok(())
}

#[test]
fn the_s3_store_needs_a_bucket_and_a_kiosk_id() -> TestResult {
    let no_bucket = context(
        AwsSettings::default().with_kiosk("kiosk-001"),
        rekognition(&[]),
        unused_s3(),
    )?;
    let e = S3EvidenceStore::new(no_bucket)
        .err()
        .ok_or("a store without a bucket")?;
    assert_eq!(e.code(), "aws-config");
    let no_kiosk = context(settings(), rekognition(&[]), unused_s3())?;
    let e = S3EvidenceStore::new(no_kiosk)
        .err()
        .ok_or("a store without a kiosk")?;
    assert_eq!(e.code(), "aws-config");
    Ok(())
}

#[test]
fn an_s3_refusal_names_the_kiosk_folder_and_the_doctor() -> TestResult {
    let denied = mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(
            403,
            Some(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code>\
                 <Message>Access Denied</Message></Error>"
                    .into(),
            ),
        )
        .build();
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&denied], |c| c
        .retry_config(aws_sdk_s3::config::retry::RetryConfig::disabled()));
    let (_, store) = matcher_in_s3(settings(), &[], s3)?;
    let (document_key, _) = keys()?;
    let e = store
        .put(&document_key, &jpeg(16, 16)?)
        .err()
        .ok_or("S3 refused the put")?;
    assert_eq!(e.code(), "aws-access-denied");
    let text = e.to_string();
    assert!(
        text.contains("dayfusion/kiosk-001/")
            && text.contains("\"kiosk-001\"")
            && text.contains("doctor"),
        "{text}"
    );
    Ok(())
}

/// S3 answering PutObject with version `version` (a versioned bucket).
fn versioned_s3(version: &'static str) -> (aws_sdk_s3::Client, Rule) {
    let put = mock!(aws_sdk_s3::Client::put_object)
        .then_output(move || PutObjectOutput::builder().version_id(version).build());
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&put]);
    (client, put)
}

#[test]
fn detect_faces_and_compare_faces_read_the_stored_objects_by_version() -> TestResult {
    let (document_key, face_key) = keys()?;
    let (document, live) = (jpeg(200, 100)?, jpeg(48, 48)?);
    let doc_name = format!("dayfusion/kiosk-001/{document_key}");
    let face_name = format!("dayfusion/kiosk-001/{face_key}");
    let expected_doc = (
        Some("bank-evidence".to_owned()),
        Some(doc_name.clone()),
        Some("v-7".to_owned()),
    );
    let expected_target = expected_doc.clone();
    let detect = mock!(Rekognition::detect_faces)
        .match_requests(move |r| named(r.image()) == Some(expected_doc.clone()))
        .then_output(|| {
            DetectFacesOutput::builder()
                .face_details(face(0.5, 0.2, 0.4, 0.6))
                .build()
        });
    let compare = mock!(Rekognition::compare_faces)
        .match_requests(move |r| {
            named(r.target_image()) == Some(expected_target.clone())
                && named(r.source_image())
                    == Some((
                        Some("bank-evidence".into()),
                        Some(face_name.clone()),
                        Some("v-7".into()),
                    ))
        })
        .then_output(|| {
            CompareFacesOutput::builder()
                .face_matches(matched(91.0))
                .build()
        });
    let (s3, put) = versioned_s3("v-7");
    let (m, store) = matcher_in_s3(settings(), &[&detect, &compare], s3)?;
    store.put(&document_key, &document)?;
    store.put(&face_key, &live)?;
    assert_eq!(put.num_calls(), 2);
    let location = m.locate_portrait(&document)?;
    assert!((location.face_box.x - 100.0).abs() < 1e-3, "{location:?}");
    assert_eq!(detect.num_calls(), 1);
    let result = m.compare_stored((&document_key, &document), (&face_key, &live))?;
    assert_eq!(result.similarity, 91.0);
    assert_eq!(compare.num_calls(), 1);
    Ok(())
}

/// A PNG of noise (it does not compress) of `width` × `height`.
fn noise_png(width: u32, height: u32) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut state = 0x2545_f491_u32;
    let img = image::RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        };
        image::Rgb([next(), next(), next()])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)?;
    Ok(out)
}

#[test]
fn a_document_over_5_mb_is_sent_re_encoded_under_the_limit() -> TestResult {
    let document = noise_png(1700, 1300)?;
    assert!(document.len() > 5 * 1024 * 1024, "{} bytes", document.len());
    let sent = Arc::new(Mutex::new(0usize));
    let seen = sent.clone();
    let rule = mock!(Rekognition::detect_faces)
        .match_requests(move |r| {
            let Some(bytes) = r.image().and_then(|i| i.bytes()) else {
                return false;
            };
            if let Ok(mut n) = seen.lock() {
                *n = bytes.as_ref().len();
            }
            bytes.as_ref().len() <= 5 * 1024 * 1024
                && image::guess_format(bytes.as_ref()).ok() == Some(image::ImageFormat::Jpeg)
        })
        .then_output(|| {
            DetectFacesOutput::builder()
                .face_details(face(0.25, 0.5, 0.5, 0.25))
                .build()
        });
    let location = matcher(settings(), &[&rule])?.locate_portrait(&document)?;
    assert_eq!(rule.num_calls(), 1);
    let sent = *sent.lock().map_err(|_| "poisoned")?;
    assert!(sent > 0 && sent <= 5 * 1024 * 1024, "{sent} bytes sent");
    // The box is in the original's pixels.
    let b = location.face_box;
    let close = |a: f32, e: f32| (a - e).abs() < 1e-2;
    assert!(
        close(b.x, 425.0) && close(b.y, 650.0) && close(b.width, 850.0) && close(b.height, 325.0),
        "{b:?}"
    );
    Ok(())
}
