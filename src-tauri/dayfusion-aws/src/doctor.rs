//! `dayfusion doctor`: checks the AWS backend from this kiosk, one step at
//! a time, and maps known failures to the guide's troubleshooting list with
//! a fix in pt-BR or en. Probes leave nothing behind (the S3 probe object is
//! deleted) and never touch customer data.

use std::sync::{Arc, Mutex};

use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};
use serde::Serialize;

use crate::config::AwsSettings;
use crate::context::AwsContext;
use crate::error::AwsError;

/// Clock skew above which AWS refuses signed requests (5 minutes); the
/// doctor warns from one minute.
pub const SKEW_FAIL_S: i64 = 300;
/// Clock skew worth a warning.
pub const SKEW_WARN_S: i64 = 60;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Works.
    Ok,
    /// Works, with something to look at.
    Warning,
    /// Does not work.
    Failing,
    /// Not run (an earlier check failed or it is not configured).
    Skipped,
}

/// One diagnostic step.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorCheck {
    /// `config`, `credentials`, `clock`, `bucket`, `table`, `rekognition`, `webview-role`.
    pub id: &'static str,
    /// Outcome.
    pub status: CheckStatus,
    /// Stable code (`aws-access-denied`), when something is wrong.
    pub code: Option<String>,
    /// What was found (technical, no secrets).
    pub detail: String,
    /// The message for people, in the requested language.
    pub message: String,
    /// What to do about it, in the requested language.
    pub fix: Option<String>,
}

/// Every check, in order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorReport {
    /// Region in use.
    pub region: Option<String>,
    /// The checks.
    pub checks: Vec<DoctorCheck>,
}

impl DoctorReport {
    /// Whether every check passed (warnings allowed).
    pub fn healthy(&self) -> bool {
        self.checks
            .iter()
            .all(|c| matches!(c.status, CheckStatus::Ok | CheckStatus::Warning))
    }
}

fn locale(lang: &str) -> &'static str {
    if lang.to_ascii_lowercase().starts_with("pt") {
        "pt-BR"
    } else {
        "en"
    }
}

/// The fix for `code` found by check `id`, in `lang`.
pub fn fix(id: &str, code: &str, lang: &str) -> Option<String> {
    let locale = locale(lang);
    for key in [format!("fix.{id}.{code}"), format!("fix.{code}")] {
        let text = rust_i18n::t!(&key, locale = locale).into_owned();
        if text != key {
            return Some(text);
        }
    }
    None
}

fn ok(id: &'static str, detail: String, lang: &str) -> DoctorCheck {
    let key = format!("doctor.{id}.ok");
    DoctorCheck {
        id,
        status: CheckStatus::Ok,
        code: None,
        message: rust_i18n::t!(&key, locale = locale(lang)).into_owned(),
        detail,
        fix: None,
    }
}

fn failing(id: &'static str, error: &AwsError, lang: &str) -> DoctorCheck {
    let code = error.code();
    DoctorCheck {
        id,
        status: CheckStatus::Failing,
        code: Some(code.to_owned()),
        detail: error.to_string(),
        message: error.message(lang),
        fix: fix(id, code, lang),
    }
}

fn skipped(id: &'static str, why: &str, lang: &str) -> DoctorCheck {
    DoctorCheck {
        id,
        status: CheckStatus::Skipped,
        code: None,
        detail: why.to_owned(),
        message: rust_i18n::t!("doctor.skipped", locale = locale(lang)).into_owned(),
        fix: None,
    }
}

/// Remembers the `Date` header of the last response (for the clock check).
#[derive(Debug, Default, Clone)]
struct ServerDate(Arc<Mutex<Option<String>>>);

impl Intercept for ServerDate {
    fn name(&self) -> &'static str {
        "ServerDate"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(date) = context.response().headers().get("date")
            && let Ok(mut slot) = self.0.lock()
        {
            *slot = Some(date.to_owned());
        }
        Ok(())
    }
}

/// Seconds the local clock is ahead of the server's `Date` header.
pub fn skew_seconds(server_date: &str, local: std::time::SystemTime) -> Option<i64> {
    let server = DateTime::from_str(server_date, Format::HttpDate).ok()?;
    let local = DateTime::from(local);
    Some(local.secs() - server.secs())
}

/// Runs every check against the context's AWS account.
pub fn run(ctx: &AwsContext, lang: &str) -> DoctorReport {
    let settings = &ctx.settings;
    let mut checks = Vec::new();
    checks.push(config_check(settings, ctx.region(), lang));

    // Credentials (and the clock, from the same response's Date header).
    let date = ServerDate::default();
    let identity = ctx.block_on(
        ctx.sts
            .get_caller_identity()
            .customize()
            .config_override(aws_sdk_sts::config::Config::builder().interceptor(date.clone()))
            .send(),
    );
    let credentials_ok = match identity {
        Ok(out) => {
            checks.push(ok(
                "credentials",
                format!(
                    "account {}, identity {}",
                    out.account().unwrap_or("?"),
                    out.arn().unwrap_or("?")
                ),
                lang,
            ));
            true
        }
        Err(e) => {
            checks.push(failing(
                "credentials",
                &AwsError::from_sdk("sts:GetCallerIdentity", &e),
                lang,
            ));
            false
        }
    };
    checks.push(clock_check(&date, lang));
    if !credentials_ok {
        for id in ["bucket", "table", "rekognition", "webview-role"] {
            checks.push(skipped(id, "no working credentials", lang));
        }
        return DoctorReport {
            region: ctx.region().map(str::to_owned),
            checks,
        };
    }
    checks.push(bucket_check(ctx, lang));
    checks.push(table_check(ctx, lang));
    checks.push(rekognition_check(ctx, lang));
    checks.push(webview_role_check(ctx, lang));
    DoctorReport {
        region: ctx.region().map(str::to_owned),
        checks,
    }
}

fn config_check(settings: &AwsSettings, region: Option<&str>, lang: &str) -> DoctorCheck {
    if let Err(e) = settings.require_bucket() {
        return failing("config", &e, lang);
    }
    ok(
        "config",
        format!(
            "region {}, bucket {}, prefix {:?}, table {}, sse {:?}",
            region.unwrap_or("?"),
            settings.bucket.as_deref().unwrap_or("?"),
            settings.key_prefix,
            settings.table,
            settings.sse
        ),
        lang,
    )
}

fn clock_check(date: &ServerDate, lang: &str) -> DoctorCheck {
    let seen = date.0.lock().ok().and_then(|d| d.clone());
    let Some(seen) = seen else {
        return skipped("clock", "no Date header from AWS", lang);
    };
    let Some(skew) = skew_seconds(&seen, std::time::SystemTime::now()) else {
        return skipped("clock", "unreadable Date header", lang);
    };
    let detail = format!("local clock {skew:+} s from AWS");
    if skew.abs() >= SKEW_FAIL_S {
        let error = AwsError::Call {
            operation: "clock",
            code: "aws-clock-skew",
            detail,
            retryable: false,
        };
        return failing("clock", &error, lang);
    }
    let mut check = ok("clock", detail, lang);
    if skew.abs() >= SKEW_WARN_S {
        check.status = CheckStatus::Warning;
        check.code = Some("aws-clock-skew".to_owned());
        check.fix = fix("clock", "aws-clock-skew", lang);
    }
    check
}

/// Put, read back and delete a probe object under the prefix, encrypted as
/// evidence is.
fn bucket_check(ctx: &AwsContext, lang: &str) -> DoctorCheck {
    let settings = &ctx.settings;
    let Some(bucket) = settings.bucket.as_deref() else {
        return skipped("bucket", "no bucket configured", lang);
    };
    let key = format!(
        "{}doctor/probe-{}.txt",
        settings.key_prefix,
        uuid::Uuid::new_v4()
    );
    let body = format!("dayfusion doctor probe {}", uuid::Uuid::new_v4());
    let result: Result<(), AwsError> = ctx.block_on(async {
        let mut put = ctx
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("text/plain")
            .body(ByteStream::from(body.clone().into_bytes()));
        put = crate::s3::with_encryption(put, settings);
        put.send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:PutObject", &e))?;
        // Read back, then delete whatever the read gave.
        let read = async {
            let got = ctx
                .s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("s3:GetObject", &e))?;
            got.body
                .collect()
                .await
                .map(|b| b.into_bytes())
                .map_err(|e| AwsError::Unexpected {
                    operation: "s3:GetObject",
                    detail: e.to_string(),
                })
        }
        .await;
        let deleted = ctx
            .s3
            .delete_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:DeleteObject", &e));
        let bytes = read?;
        deleted?;
        if bytes.as_ref() != body.as_bytes() {
            return Err(AwsError::Unexpected {
                operation: "s3:GetObject",
                detail: "the probe object came back different".into(),
            });
        }
        // A key that does not exist must read as "not found" (404), which
        // S3 answers only with s3:ListBucket; a 403 here breaks the sync's
        // and the purge's existence checks.
        let missing = format!(
            "{}doctor/missing-{}",
            settings.key_prefix,
            uuid::Uuid::new_v4()
        );
        match ctx
            .s3
            .head_object()
            .bucket(bucket)
            .key(&missing)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(()),
            Err(e) => {
                let error = AwsError::from_sdk("s3:HeadObject", &e);
                if error.code() == "aws-access-denied" {
                    Err(AwsError::Call {
                        operation: "s3:HeadObject",
                        code: "aws-list-denied",
                        detail: "a missing key answers 403 instead of 404 (no s3:ListBucket)"
                            .into(),
                        retryable: false,
                    })
                } else {
                    Err(error)
                }
            }
        }
    });
    match result {
        Ok(()) => ok(
            "bucket",
            format!(
                "s3://{bucket}/{}doctor/: write, read, delete",
                settings.key_prefix
            ),
            lang,
        ),
        Err(e) => failing("bucket", &e, lang),
    }
}

fn table_check(ctx: &AwsContext, lang: &str) -> DoctorCheck {
    let table = &ctx.settings.table;
    let result = ctx.block_on(ctx.dynamodb.describe_table().table_name(table).send());
    match result {
        Ok(out) => {
            let Some(description) = out.table() else {
                return failing(
                    "table",
                    &AwsError::Unexpected {
                        operation: "dynamodb:DescribeTable",
                        detail: "no table description".into(),
                    },
                    lang,
                );
            };
            let key_ok = description.key_schema().iter().any(|k| {
                k.attribute_name() == "TransactionId"
                    && *k.key_type() == aws_sdk_dynamodb::types::KeyType::Hash
            });
            let status = description
                .table_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default();
            if !key_ok {
                let error = AwsError::Call {
                    operation: "dynamodb:DescribeTable",
                    code: "aws-resource-missing",
                    detail: format!("table {table} has no TransactionId hash key"),
                    retryable: false,
                };
                return failing("table", &error, lang);
            }
            let mut check = ok(
                "table",
                format!("{table}: {status}, key TransactionId"),
                lang,
            );
            if status != "ACTIVE" {
                check.status = CheckStatus::Warning;
            }
            check
        }
        Err(e) => failing(
            "table",
            &AwsError::from_sdk("dynamodb:DescribeTable", &e),
            lang,
        ),
    }
}

/// Asks for the results of a session that cannot exist: "not found" proves
/// the endpoint answers and the kiosk may call it, without creating anything.
fn rekognition_check(ctx: &AwsContext, lang: &str) -> DoctorCheck {
    let probe = uuid::Uuid::new_v4().to_string();
    let result = ctx.block_on(
        ctx.rekognition
            .get_face_liveness_session_results()
            .session_id(&probe)
            .send(),
    );
    match result {
        Ok(_) => ok("rekognition", "reachable".into(), lang),
        Err(e) => {
            let error = AwsError::from_sdk("rekognition:GetFaceLivenessSessionResults", &e);
            if error.code() == "liveness-session-invalid" {
                ok(
                    "rekognition",
                    "reachable and allowed (probe session not found, as expected)".into(),
                    lang,
                )
            } else {
                failing("rekognition", &error, lang)
            }
        }
    }
}

fn webview_role_check(ctx: &AwsContext, lang: &str) -> DoctorCheck {
    if ctx.settings.webview_role_arn.is_none() {
        let mut check = skipped(
            "webview-role",
            "DAYFUSION_AWS_WEBVIEW_ROLE_ARN not set",
            lang,
        );
        check.status = CheckStatus::Warning;
        check.code = Some("aws-config".to_owned());
        check.fix = fix("webview-role", "aws-config", lang);
        return check;
    }
    match crate::credentials::webview_credentials(ctx, "doctor") {
        Ok(c) => ok(
            "webview-role",
            format!("liveness credentials until {}", c.expiration),
            lang,
        ),
        Err(e) => failing("webview-role", &e, lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_is_read_from_an_http_date() {
        let local = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_764_000_000 + 400);
        let server = DateTime::from_secs(1_764_000_000)
            .fmt(Format::HttpDate)
            .unwrap_or_default();
        assert_eq!(skew_seconds(&server, local), Some(400));
        assert_eq!(skew_seconds("yesterday", local), None);
    }

    #[test]
    fn the_guides_troubleshooting_list_has_fixes_in_both_languages() {
        for (id, code) in [
            ("bucket", "aws-access-denied"),
            ("bucket", "aws-signature-mismatch"),
            ("credentials", "aws-credentials-missing"),
            ("table", "aws-access-denied"),
            ("clock", "aws-clock-skew"),
        ] {
            for lang in ["pt-BR", "en"] {
                assert!(fix(id, code, lang).is_some(), "{id} {code} {lang}");
            }
        }
        assert_ne!(
            fix("table", "aws-access-denied", "pt-BR"),
            fix("table", "aws-access-denied", "en")
        );
        assert!(fix("x", "liveness-low", "pt-BR").is_some_and(|f| f.contains("ilumine")));
    }
}
