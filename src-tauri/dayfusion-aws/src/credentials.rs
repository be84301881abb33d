//! Scoped, short-lived credentials for the webview.
//!
//! The Amplify `FaceLivenessDetector` in the webview streams video straight
//! to Rekognition, so the browser side needs AWS credentials of its own. The
//! kiosk never hands it its own profile: it assumes the webview role
//! (`DAYFUSION_AWS_WEBVIEW_ROLE_ARN`) for the shortest lifetime STS allows
//! (15 minutes) with an inline session policy that allows exactly
//! `rekognition:StartFaceLivenessSession`, so even a leaked set of these
//! credentials can do nothing but stream to a liveness session the kiosk
//! created. The secret key and session token are never logged and never
//! appear in `Debug` output.

use dayfusion_ipc::LivenessCredentials;
use serde_json::json;

use crate::context::AwsContext;
use crate::error::{AwsError, AwsResult};

/// Lifetime of the webview's credentials: 900 s, the STS minimum.
pub const WEBVIEW_CREDENTIALS_SECONDS: i32 = 900;

/// Prefix of the STS role session name (the webview role's trust policy
/// only admits session names starting with it).
pub const WEBVIEW_SESSION_PREFIX: &str = "dayfusion-webview-";

/// The only action the webview's credentials allow.
pub const WEBVIEW_ACTION: &str = "rekognition:StartFaceLivenessSession";

/// The longest role session name STS accepts.
const MAX_SESSION_NAME: usize = 64;

/// The inline session policy of the webview's credentials: only
/// `rekognition:StartFaceLivenessSession`. The same document is kept in
/// `infra/aws/iam/webview-session-policy.json` (a test checks they agree).
pub fn webview_session_policy() -> serde_json::Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FaceLivenessStreamingOnly",
                "Effect": "Allow",
                "Action": [WEBVIEW_ACTION],
                // StartFaceLivenessSession supports no resource-level
                // permissions (the session id is not an ARN), so `*` is the
                // only resource IAM accepts; the action list is what scopes it.
                "Resource": "*"
            }
        ]
    })
}

/// The STS role session name for `kiosk_id`: `dayfusion-webview-{id}` with
/// every character outside `[A-Za-z0-9_+=,.@-]` replaced by `-`, cut to the
/// 64 characters STS accepts. An empty id becomes `unknown`.
pub fn webview_session_name(kiosk_id: &str) -> String {
    let id: String = kiosk_id
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(MAX_SESSION_NAME - WEBVIEW_SESSION_PREFIX.len())
        .collect();
    let id = if id.is_empty() {
        "unknown".to_owned()
    } else {
        id
    };
    format!("{WEBVIEW_SESSION_PREFIX}{id}")
}

/// The region the webview must talk to: Rekognition's client, then the SDK
/// configuration, then the settings.
fn webview_region(ctx: &AwsContext) -> AwsResult<String> {
    ctx.rekognition
        .config()
        .region()
        .map(|r| r.as_ref().to_owned())
        .or_else(|| ctx.region().map(str::to_owned))
        .or_else(|| ctx.settings.region.clone())
        .ok_or_else(|| {
            AwsError::Config(
                "no region for the webview: set DAYFUSION_AWS_REGION or AWS_REGION".into(),
            )
        })
}

/// Assumes the webview role for 15 minutes with [`webview_session_policy`]
/// and returns the credentials for the liveness detector of kiosk
/// `kiosk_id`, as the IPC type the webview receives (its `Debug` redacts
/// the secret and the token). Without `webview_role_arn` it is a configuration error
/// naming `DAYFUSION_AWS_WEBVIEW_ROLE_ARN`.
pub fn webview_credentials(ctx: &AwsContext, kiosk_id: &str) -> AwsResult<LivenessCredentials> {
    const OPERATION: &str = "sts:AssumeRole";
    let role_arn = ctx
        .settings
        .webview_role_arn
        .as_deref()
        .filter(|arn| !arn.trim().is_empty())
        .ok_or_else(|| {
            AwsError::Config(
                "no webview role: set DAYFUSION_AWS_WEBVIEW_ROLE_ARN or `webview-role-arn` in aws.toml"
                    .into(),
            )
        })?;
    let region = webview_region(ctx)?;
    // The detector streams to this region (or to the private endpoint in
    // it): a region without Face Liveness would fail only after the
    // customer started.
    crate::regions::require_face_liveness_region(&region)?;
    let endpoint = ctx.settings.liveness_endpoint()?;
    if let Some(theirs) = endpoint.as_ref().and_then(|e| e.region())
        && theirs != region
    {
        return Err(AwsError::Config(format!(
            "liveness-streaming-endpoint is in {theirs}, the webview's region is {region}"
        )));
    }
    let session_name = webview_session_name(kiosk_id);
    let policy = webview_session_policy().to_string();

    let output = ctx
        .block_on(
            ctx.sts
                .assume_role()
                .role_arn(role_arn)
                .role_session_name(&session_name)
                // The webview role trusts only a session whose source
                // identity is the kiosk's id (carried from a Roles Anywhere
                // certificate, where it must be equal, or set here).
                .source_identity(kiosk_id)
                .duration_seconds(WEBVIEW_CREDENTIALS_SECONDS)
                .policy(policy)
                .send(),
        )
        .map_err(|e| AwsError::from_sdk(OPERATION, &e))?;

    let credentials = output.credentials.ok_or_else(|| AwsError::Unexpected {
        operation: OPERATION,
        detail: "no credentials in the answer".into(),
    })?;
    let expiration = credentials
        .expiration
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .map_err(|e| AwsError::Unexpected {
            operation: OPERATION,
            detail: format!("expiration: {e}"),
        })?;
    tracing::info!(
        session = %session_name,
        access_key_id = %credentials.access_key_id,
        %expiration,
        "webview liveness credentials issued"
    );
    Ok(LivenessCredentials {
        access_key_id: credentials.access_key_id,
        secret_access_key: credentials.secret_access_key,
        session_token: credentials.session_token,
        expiration,
        region,
        endpoint: endpoint.map(|e| e.origin().to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_sanitised_and_bounded() {
        assert_eq!(
            webview_session_name("kiosk-01@agencia.sp"),
            "dayfusion-webview-kiosk-01@agencia.sp"
        );
        assert_eq!(
            webview_session_name("agência 7/caixa#2"),
            "dayfusion-webview-ag-ncia-7-caixa-2"
        );
        assert_eq!(webview_session_name("  "), "dayfusion-webview-unknown");
        let long = webview_session_name(&"x".repeat(200));
        assert_eq!(long.len(), 64);
        assert!(long.starts_with(WEBVIEW_SESSION_PREFIX));
    }

    #[test]
    fn debug_redacts_the_secret_and_the_token() {
        let c = LivenessCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: "s3cr3t-key".into(),
            session_token: "t0ken".into(),
            expiration: "2030-01-01T00:00:00Z".into(),
            region: "us-east-1".into(),
            endpoint: None,
        };
        let text = format!("{c:?} {c:#?}");
        assert!(!text.contains("s3cr3t-key"));
        assert!(!text.contains("t0ken"));
        assert!(text.contains("ASIAEXAMPLE"));
    }
}
