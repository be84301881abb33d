//! `dayfusion doctor`: checks the AWS backend from this kiosk, one step at
//! a time, and maps known failures to the guide's troubleshooting list with
//! a fix in pt-BR or en. Probes leave nothing behind (the S3 probe object is
//! deleted) and never touch customer data.
//!
//! The probes run in the kiosk's own folder (`{key-prefix}{kiosk id}/`), as
//! evidence does: a kiosk id that is not the kiosk tag of its identity
//! fails the bucket check with the hint to fix it. With `certificate` in
//! `aws.toml`, the kiosk's IAM Roles Anywhere certificate is read and a
//! warning given from [`CERTIFICATE_WARN_DAYS`] days before it expires.

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
/// The certificate check warns this many days before the kiosk's
/// certificate expires.
pub const CERTIFICATE_WARN_DAYS: i64 = 30;
/// Longest certificate file read (a PEM certificate, or a short chain, is
/// a few KiB).
pub const MAX_CERTIFICATE_BYTES: u64 = 64 * 1024;

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
    /// `config`, `certificate` (with one in aws.toml), `credentials`,
    /// `clock`, `bucket`, `table`, `rekognition`, `webview-role`.
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
    // Only kiosks with a certificate (IAM Roles Anywhere) get this check.
    if settings.certificate.is_some() {
        checks.push(certificate_check(
            settings,
            std::time::SystemTime::now(),
            lang,
        ));
    }

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
    let kiosk_prefix = match settings.kiosk_prefix() {
        Ok(p) => p,
        Err(e) => return failing("config", &e, lang),
    };
    ok(
        "config",
        format!(
            "region {}, bucket {}, kiosk folder {:?}, table {}, sse {:?}, profile {}",
            region.unwrap_or("?"),
            settings.bucket.as_deref().unwrap_or("?"),
            kiosk_prefix,
            settings.table,
            settings.sse,
            settings
                .profile
                .as_deref()
                .unwrap_or("(AWS_PROFILE or default)"),
        ),
        lang,
    )
}

/// The validity end and subject common name of the first certificate of
/// a PEM file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// `notAfter`, seconds since the Unix epoch.
    pub not_after_unix: u64,
    /// The subject's CN (what IAM Roles Anywhere maps to
    /// `aws:PrincipalTag/x509Subject/CN`), when there is one.
    pub subject_cn: Option<String>,
}

/// The elements of a DER SEQUENCE or SET.
fn der_children(any: der::asn1::AnyRef<'_>) -> der::Result<Vec<der::asn1::AnyRef<'_>>> {
    use der::{Decode as _, Reader as _};
    let mut reader = der::SliceReader::new(any.value())?;
    let mut children = Vec::new();
    while !reader.is_finished() {
        children.push(der::asn1::AnyRef::decode(&mut reader)?);
    }
    Ok(children)
}

/// Reads `notAfter` and the subject's CN of the first `CERTIFICATE` of
/// `pem` (an X.509 certificate; the signature is not checked).
pub fn certificate_info(pem: &str) -> Result<CertificateInfo, String> {
    use der::{Decode as _, Tag, Tagged as _};
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem
        .find(BEGIN)
        .ok_or("no -----BEGIN CERTIFICATE----- block")?;
    let end = pem[start..]
        .find(END)
        .map(|e| start + e + END.len())
        .ok_or("no -----END CERTIFICATE----- line")?;
    let (_, document) =
        der::Document::from_pem(&pem[start..end]).map_err(|e| format!("PEM: {e}"))?;
    let malformed = |e: der::Error| format!("not an X.509 certificate: {e}");
    let certificate = der::asn1::AnyRef::from_der(document.as_bytes()).map_err(malformed)?;
    let parts = der_children(certificate).map_err(malformed)?;
    let tbs = parts.first().copied().ok_or("empty certificate")?;
    let fields = der_children(tbs).map_err(malformed)?;
    // [0] version is optional (absent in v1 certificates).
    let skip = usize::from(
        fields
            .first()
            .is_some_and(|f| f.tag().is_context_specific()),
    );
    let (Some(validity), subject) = (fields.get(skip + 3), fields.get(skip + 4)) else {
        return Err("the certificate has no validity".into());
    };
    let times = der_children(*validity).map_err(malformed)?;
    let not_after = times.get(1).ok_or("the validity has no notAfter")?;
    let not_after_unix = match not_after.tag() {
        Tag::UtcTime => not_after
            .decode_as::<der::asn1::UtcTime>()
            .map_err(malformed)?
            .to_unix_duration(),
        Tag::GeneralizedTime => not_after
            .decode_as::<der::asn1::GeneralizedTime>()
            .map_err(malformed)?
            .to_unix_duration(),
        other => return Err(format!("notAfter is a {other}, not a time")),
    }
    .as_secs();
    // Name ::= SEQUENCE OF SET OF { type OID, value }; CN is 2.5.4.3.
    let mut subject_cn = None;
    if let Some(subject) = subject {
        for rdn in der_children(*subject).map_err(malformed)? {
            for attribute in der_children(rdn).map_err(malformed)? {
                let pair = der_children(attribute).map_err(malformed)?;
                if let [oid, value] = pair.as_slice()
                    && oid.tag() == Tag::ObjectIdentifier
                    && oid.value() == [0x55, 0x04, 0x03]
                {
                    subject_cn = Some(String::from_utf8_lossy(value.value()).into_owned());
                }
            }
        }
    }
    Ok(CertificateInfo {
        not_after_unix,
        subject_cn,
    })
}

/// The certificate file at `path`: a regular file of at most
/// [`MAX_CERTIFICATE_BYTES`], read no further than that.
fn read_certificate(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let too_large = || format!("larger than {MAX_CERTIFICATE_BYTES} bytes");
    if meta.len() > MAX_CERTIFICATE_BYTES {
        return Err(too_large());
    }
    let mut pem = String::new();
    std::fs::File::open(path)
        .and_then(|file| {
            file.take(MAX_CERTIFICATE_BYTES + 1)
                .read_to_string(&mut pem)
        })
        .map_err(|e| e.to_string())?;
    if pem.len() as u64 > MAX_CERTIFICATE_BYTES {
        return Err(too_large());
    }
    Ok(pem)
}

/// The kiosk's IAM Roles Anywhere certificate (`certificate` in aws.toml):
/// failing when unreadable or expired, a warning within
/// [`CERTIFICATE_WARN_DAYS`] days of its end, skipped when none is set.
pub fn certificate_check(
    settings: &AwsSettings,
    now: std::time::SystemTime,
    lang: &str,
) -> DoctorCheck {
    const ID: &str = "certificate";
    let Some(path) = settings.certificate.as_deref() else {
        return skipped(ID, "no certificate in aws.toml", lang);
    };
    let locale = locale(lang);
    let problem = |status: CheckStatus, code: &str, detail: String, message: String| DoctorCheck {
        id: ID,
        status,
        code: Some(code.to_owned()),
        detail,
        message,
        fix: fix(ID, code, lang),
    };
    let info = read_certificate(path).and_then(|pem| certificate_info(&pem));
    let info = match info {
        Ok(info) => info,
        Err(e) => {
            return problem(
                CheckStatus::Failing,
                "aws-certificate-invalid",
                format!("{}: {e}", path.display()),
                rust_i18n::t!("doctor.certificate.unreadable", locale = locale).into_owned(),
            );
        }
    };
    let now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let left_s = i64::try_from(info.not_after_unix)
        .unwrap_or(i64::MAX)
        .saturating_sub(i64::try_from(now).unwrap_or(i64::MAX));
    let not_after = DateTime::from_secs(i64::try_from(info.not_after_unix).unwrap_or(i64::MAX))
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| info.not_after_unix.to_string());
    let detail = format!(
        "{}: subject CN {}, valid until {not_after}",
        path.display(),
        info.subject_cn.as_deref().unwrap_or("(none)")
    );
    if left_s <= 0 {
        return problem(
            CheckStatus::Failing,
            "aws-certificate-expired",
            detail,
            rust_i18n::t!("doctor.certificate.expired", locale = locale).into_owned(),
        );
    }
    // IAM Roles Anywhere tags the session with the subject's CN, and the
    // kiosk policy binds {prefix}{that tag}/ to it: another kiosk id in the
    // settings means every S3 call is refused.
    if let (Some(kiosk), Some(cn)) = (settings.kiosk_id.as_deref(), info.subject_cn.as_deref())
        && kiosk != cn
    {
        return problem(
            CheckStatus::Failing,
            "aws-kiosk-id-mismatch",
            format!("{detail}; kiosk id {kiosk}"),
            rust_i18n::t!(
                "doctor.certificate.mismatch",
                locale = locale,
                kiosk = kiosk,
                cn = cn
            )
            .into_owned(),
        );
    }
    let days = left_s / 86_400;
    if days < CERTIFICATE_WARN_DAYS {
        return problem(
            CheckStatus::Warning,
            "aws-certificate-expiring",
            detail,
            rust_i18n::t!("doctor.certificate.expiring", locale = locale, days = days).into_owned(),
        );
    }
    ok(ID, detail, lang)
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

/// Put, read back and delete a probe object in the kiosk's folder,
/// encrypted as evidence is.
fn bucket_check(ctx: &AwsContext, lang: &str) -> DoctorCheck {
    let settings = &ctx.settings;
    let Some(bucket) = settings.bucket.as_deref() else {
        return skipped("bucket", "no bucket configured", lang);
    };
    let Ok(kiosk_prefix) = settings.kiosk_prefix() else {
        return skipped("bucket", "no kiosk id", lang);
    };
    let key = format!("{kiosk_prefix}doctor/probe-{}.txt", uuid::Uuid::new_v4());
    let body = format!("dayfusion doctor probe {}", uuid::Uuid::new_v4());
    let result: Result<(), AwsError> = ctx.block_on(async {
        let mut put = ctx
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("text/plain")
            // Write-once, as the bucket policy requires of every put.
            .if_none_match("*")
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
        let missing = format!("{kiosk_prefix}doctor/missing-{}", uuid::Uuid::new_v4());
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
            format!("s3://{bucket}/{kiosk_prefix}doctor/: write, read, delete"),
            lang,
        ),
        Err(e) if e.code() == "aws-access-denied" => failing(
            "bucket",
            &e.with_hint(&format!(
                "the kiosk may use only s3://{bucket}/{kiosk_prefix}*: is {:?} the kiosk tag \
                 of its identity?",
                settings.kiosk_id.as_deref().unwrap_or_default()
            )),
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

    /// Self-signed test certificates (their keys were thrown away): CN
    /// kiosk-001 until 2036-12-02T14:08:11Z (UTCTime), CN kiosk-002 until
    /// 2052-12-08T14:08:11Z (GeneralizedTime, after 2049).
    const KIOSK_001_PEM: &str = include_str!("../../dayfusion-test-support/fixtures/kiosk-001.pem");
    const KIOSK_001_NOT_AFTER: u64 = 2_111_839_691;
    const KIOSK_002_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIBfjCCASWgAwIBAgIUYjsvMz2s7PmNp2V0Jz9279BZHJAwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJa2lvc2stMDAyMCAXDTI2MTIwNTE0MDgxMVoYDzIwNTIxMjA4
MTQwODExWjAUMRIwEAYDVQQDDAlraW9zay0wMDIwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQvV19HrQVToAy1FL2aG0uRQM/3mHpvEu878wuMpMeWTCz6hp5hmRJ9
HkCMy0b4FUyknwwqUegTskgQHnE2Vuo6o1MwUTAdBgNVHQ4EFgQUFb3z4TDuKXnz
Aa4UVyqbxh8bZJEwHwYDVR0jBBgwFoAUFb3z4TDuKXnzAa4UVyqbxh8bZJEwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBBEMAgrXs+fk8HiRVt7pIt
ctGvN6qOAU85bwV1rMo8nAIgBlbBxrgVRJxNoQbcxaMabXmb5Dfnq25FqriVpUUq
gL4=
-----END CERTIFICATE-----
";

    #[test]
    fn the_certificates_end_and_subject_are_read() -> Result<(), String> {
        let info = certificate_info(&format!("# kiosk cert\n{KIOSK_001_PEM}"))?;
        assert_eq!(info.not_after_unix, KIOSK_001_NOT_AFTER);
        assert_eq!(info.subject_cn.as_deref(), Some("kiosk-001"));
        let info = certificate_info(KIOSK_002_PEM)?;
        assert_eq!(info.not_after_unix, 2_617_279_691);
        assert_eq!(info.subject_cn.as_deref(), Some("kiosk-002"));
        assert!(certificate_info("no certificate here").is_err());
        let damaged = KIOSK_001_PEM.replace("MIIBrzCC", "MIIBrzCD");
        assert!(certificate_info(&damaged).is_err());
        Ok(())
    }

    #[test]
    fn doctor_warns_30_days_before_the_kiosk_certificate_expires()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("kiosk.pem");
        std::fs::write(&path, KIOSK_001_PEM)?;
        let settings = AwsSettings {
            certificate: Some(path),
            ..AwsSettings::default()
        };
        let at = |days_before_end: i64| {
            let end = std::time::UNIX_EPOCH + std::time::Duration::from_secs(KIOSK_001_NOT_AFTER);
            let shift = std::time::Duration::from_secs(days_before_end.unsigned_abs() * 86_400);
            if days_before_end >= 0 {
                end - shift
            } else {
                end + shift
            }
        };
        let far = certificate_check(&settings, at(90), "pt-BR");
        assert_eq!(far.status, CheckStatus::Ok, "{far:?}");
        assert!(far.detail.contains("kiosk-001"), "{}", far.detail);
        let soon = certificate_check(&settings, at(12), "pt-BR");
        assert_eq!(soon.status, CheckStatus::Warning, "{soon:?}");
        assert_eq!(soon.code.as_deref(), Some("aws-certificate-expiring"));
        assert!(soon.message.contains("12 dia"), "{}", soon.message);
        assert!(
            soon.fix
                .as_deref()
                .is_some_and(|f| f.contains("certificado"))
        );
        let soon_en = certificate_check(&settings, at(29), "en");
        assert!(soon_en.message.contains("29 day"), "{}", soon_en.message);
        assert!(
            soon_en
                .fix
                .as_deref()
                .is_some_and(|f| f.contains("certificate"))
        );
        assert_eq!(
            certificate_check(&settings, at(31), "en").status,
            CheckStatus::Ok
        );
        let gone = certificate_check(&settings, at(-1), "en");
        assert_eq!(gone.status, CheckStatus::Failing);
        assert_eq!(gone.code.as_deref(), Some("aws-certificate-expired"));
        // A kiosk id that is not the certificate's CN (the IAM tag) fails.
        let other = AwsSettings {
            kiosk_id: Some("kiosk-002".into()),
            ..settings.clone()
        };
        let mismatch = certificate_check(&other, at(90), "pt-BR");
        assert_eq!(mismatch.status, CheckStatus::Failing, "{mismatch:?}");
        assert_eq!(mismatch.code.as_deref(), Some("aws-kiosk-id-mismatch"));
        assert!(
            mismatch.message.contains("kiosk-002") && mismatch.message.contains("kiosk-001"),
            "{}",
            mismatch.message
        );
        assert!(mismatch.fix.is_some());
        let same = AwsSettings {
            kiosk_id: Some("kiosk-001".into()),
            ..settings.clone()
        };
        assert_eq!(
            certificate_check(&same, at(90), "en").status,
            CheckStatus::Ok
        );
        // No certificate configured: not checked; unreadable: failing.
        let none = certificate_check(&AwsSettings::default(), at(1), "en");
        assert_eq!(none.status, CheckStatus::Skipped);
        let missing = AwsSettings {
            certificate: Some(dir.path().join("missing.pem")),
            ..AwsSettings::default()
        };
        let unreadable = certificate_check(&missing, at(90), "pt-BR");
        assert_eq!(unreadable.status, CheckStatus::Failing);
        assert_eq!(unreadable.code.as_deref(), Some("aws-certificate-invalid"));
        assert!(unreadable.fix.is_some());
        // A huge file (or a folder) is not read.
        let huge = dir.path().join("huge.pem");
        let padding = "x".repeat(usize::try_from(MAX_CERTIFICATE_BYTES)?);
        std::fs::write(&huge, format!("{KIOSK_001_PEM}{padding}"))?;
        for path in [huge, dir.path().to_path_buf()] {
            let settings = AwsSettings {
                certificate: Some(path),
                ..AwsSettings::default()
            };
            let refused = certificate_check(&settings, at(90), "en");
            assert_eq!(refused.status, CheckStatus::Failing, "{refused:?}");
            assert_eq!(refused.code.as_deref(), Some("aws-certificate-invalid"));
        }
        Ok(())
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
