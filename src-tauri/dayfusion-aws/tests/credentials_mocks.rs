//! The webview's credentials against a mocked STS: what AssumeRole is asked
//! for, how failures map to codes, and that secrets never print.

use std::sync::{Arc, Mutex};

use aws_sdk_sts::error::ErrorMetadata;
use aws_sdk_sts::operation::assume_role::{AssumeRoleError, AssumeRoleInput, AssumeRoleOutput};
use aws_sdk_sts::types::Credentials;
use aws_smithy_mocks::{Rule, mock, mock_client};
use aws_smithy_types::DateTime;
use dayfusion_aws::credentials::{
    WEBVIEW_ACTION, webview_credentials, webview_session_name, webview_session_policy,
};
use dayfusion_aws::{AwsContext, AwsError, AwsSettings};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/dayfusion-webview-liveness";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

fn settings(role: Option<&str>) -> AwsSettings {
    AwsSettings {
        region: Some("us-east-1".into()),
        bucket: Some("bank-evidence".into()),
        webview_role_arn: role.map(str::to_owned),
        ..AwsSettings::default()
    }
}

/// A context whose STS is mocked with `rules`; the other clients are inert.
fn context(settings: AwsSettings, rules: &[&Rule]) -> Result<AwsContext, AwsError> {
    let sts = mock_client!(aws_sdk_sts, rules.iter().copied());
    let rekognition = aws_sdk_rekognition::Client::from_conf(
        aws_sdk_rekognition::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_rekognition::config::Region::new("us-east-1"))
            .build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .build(),
    );
    let dynamodb = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_dynamodb::config::Region::new("us-east-1"))
            .build(),
    );
    AwsContext::from_clients(
        settings,
        aws_config::SdkConfig::builder().build(),
        rekognition,
        s3,
        dynamodb,
        sts,
    )
}

fn issued_credentials() -> AssumeRoleOutput {
    AssumeRoleOutput::builder()
        .credentials(
            Credentials::builder()
                .access_key_id("ASIAEXAMPLEWEBVIEW")
                .secret_access_key(SECRET)
                .session_token(TOKEN)
                .expiration(DateTime::from_secs(1_900_000_000))
                .build()
                .unwrap_or_else(|e| panic!("credentials: {e}")),
        )
        .build()
}

#[test]
fn assume_role_is_scoped_to_liveness_for_fifteen_minutes() -> TestResult {
    let seen: Arc<Mutex<Option<AssumeRoleInput>>> = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let rule = mock!(aws_sdk_sts::Client::assume_role).then_compute_output(move |input| {
        if let Ok(mut slot) = record.lock() {
            *slot = Some(input.clone());
        }
        issued_credentials()
    });
    let ctx = context(settings(Some(ROLE_ARN)), &[&rule])?;

    let creds = webview_credentials(&ctx, "agência 07/caixa 2")?;
    assert_eq!(rule.num_calls(), 1);

    let input = seen
        .lock()
        .map_err(|e| e.to_string())?
        .clone()
        .ok_or("AssumeRole was not called")?;
    assert_eq!(input.role_arn(), Some(ROLE_ARN));
    assert_eq!(input.duration_seconds(), Some(900));
    assert_eq!(
        input.role_session_name(),
        Some("dayfusion-webview-ag-ncia-07-caixa-2")
    );
    let policy: serde_json::Value =
        serde_json::from_str(input.policy().ok_or("no session policy")?)?;
    assert_eq!(policy, webview_session_policy());
    let statements = policy["Statement"].as_array().ok_or("no statements")?;
    assert_eq!(statements.len(), 1);
    assert_eq!(statements[0]["Effect"], "Allow");
    assert_eq!(
        statements[0]["Action"],
        serde_json::json!(["rekognition:StartFaceLivenessSession"])
    );
    assert_eq!(WEBVIEW_ACTION, "rekognition:StartFaceLivenessSession");
    assert!(input.policy_arns().is_empty());

    assert_eq!(creds.access_key_id, "ASIAEXAMPLEWEBVIEW");
    assert_eq!(creds.secret_access_key, SECRET);
    assert_eq!(creds.session_token, TOKEN);
    assert_eq!(creds.expiration, "2030-03-17T17:46:40Z");
    assert_eq!(creds.region, "us-east-1");
    Ok(())
}

#[test]
fn the_front_end_gets_camel_case_json() -> TestResult {
    let rule = mock!(aws_sdk_sts::Client::assume_role).then_output(issued_credentials);
    let ctx = context(settings(Some(ROLE_ARN)), &[&rule])?;
    let json = serde_json::to_value(webview_credentials(&ctx, "kiosk-01")?)?;
    for key in [
        "accessKeyId",
        "secretAccessKey",
        "sessionToken",
        "expiration",
        "region",
    ] {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    Ok(())
}

#[test]
fn access_denied_maps_to_a_stable_code() -> TestResult {
    let rule = mock!(aws_sdk_sts::Client::assume_role).then_error(|| {
        AssumeRoleError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("User is not authorized to perform: sts:AssumeRole")
                .build(),
        )
    });
    let ctx = context(settings(Some(ROLE_ARN)), &[&rule])?;
    let err = match webview_credentials(&ctx, "kiosk-01") {
        Ok(_) => return Err("AssumeRole should have failed".into()),
        Err(e) => e,
    };
    assert_eq!(err.code(), "aws-access-denied");
    assert!(!err.retryable());
    assert!(err.to_string().contains("sts:AssumeRole"), "{err}");
    Ok(())
}

#[test]
fn a_missing_role_is_a_config_error_naming_the_variable() -> TestResult {
    let rule = mock!(aws_sdk_sts::Client::assume_role).then_output(issued_credentials);
    for role in [None, Some("  ")] {
        let ctx = context(settings(role), &[&rule])?;
        match webview_credentials(&ctx, "kiosk-01") {
            Err(e @ AwsError::Config(_)) => {
                assert_eq!(e.code(), "aws-config");
                assert!(
                    e.to_string().contains("DAYFUSION_AWS_WEBVIEW_ROLE_ARN"),
                    "{e}"
                );
            }
            other => return Err(format!("expected a config error, got {other:?}").into()),
        }
    }
    assert_eq!(rule.num_calls(), 0, "STS must not be called without a role");
    Ok(())
}

#[test]
fn debug_output_never_shows_the_secret_or_the_token() -> TestResult {
    let rule = mock!(aws_sdk_sts::Client::assume_role).then_output(issued_credentials);
    let ctx = context(settings(Some(ROLE_ARN)), &[&rule])?;
    let creds = webview_credentials(&ctx, "kiosk-01")?;
    for text in [format!("{creds:?}"), format!("{creds:#?}")] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("redacted"), "{text}");
        assert!(text.contains("ASIAEXAMPLEWEBVIEW"), "{text}");
    }
    Ok(())
}

#[test]
fn session_names_fit_sts_rules() {
    for id in ["", "kiosk-01", "a b/c", &"z".repeat(300), "çãõ"] {
        let name = webview_session_name(id);
        assert!((2..=64).contains(&name.len()), "{name}");
        assert!(name.starts_with("dayfusion-webview-"), "{name}");
        assert!(
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)),
            "{name}"
        );
    }
}
