//! Where the AWS backend points: region, bucket, key prefix, table, roles,
//! encryption. Read from `<data>/aws.toml` (provisioned by the bank's
//! installer) with `DAYFUSION_AWS_*` environment variables on top. The
//! standard AWS variables (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`,
//! `AWS_ENDPOINT_URL_S3`, ...) are honoured by the SDK's default chain.
//! Credentials are never read from here: they come from the kiosk's IAM
//! profile through the default credential chain (the profile named by
//! `profile` here, else `AWS_PROFILE`, else `default`).
//!
//! The kiosk's id is not an `aws.toml` setting: callers set it from the
//! kiosk settings with [`AwsSettings::with_kiosk`]. Every object of the
//! kiosk lives under `{key-prefix}{kiosk id}/` ([`AwsSettings::kiosk_prefix`]),
//! the folder the IAM policy binds to the kiosk's identity.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::AwsError;

/// The guide's table name.
pub const DEFAULT_TABLE: &str = "dayfusion_transactions";
/// Default key prefix for evidence objects in the bucket.
pub const DEFAULT_PREFIX: &str = "dayfusion/";

/// How S3 encrypts evidence at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ServerSideEncryption {
    /// SSE-S3 (`AES256`).
    #[default]
    SseS3,
    /// SSE-KMS with `kms_key_id` (or the account's `aws/s3` key).
    SseKms,
}

/// How CompareFaces receives the images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum CompareInput {
    /// By S3 object, as the guide does (images up to 15 MB).
    #[default]
    S3Object,
    /// By bytes (images up to 5 MB).
    Bytes,
}

/// The AWS backend's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default, deny_unknown_fields)]
pub struct AwsSettings {
    /// Region; `None` = the default chain's (`AWS_REGION`, profile).
    pub region: Option<String>,
    /// Evidence bucket.
    pub bucket: Option<String>,
    /// Key prefix in the bucket (`dayfusion/`), ending with `/` or empty.
    pub key_prefix: String,
    /// DynamoDB table.
    pub table: String,
    /// Role the webview's liveness credentials are issued from.
    pub webview_role_arn: Option<String>,
    /// KMS key for SSE-KMS and for Rekognition's liveness output.
    pub kms_key_id: Option<String>,
    /// S3 encryption of evidence.
    pub sse: ServerSideEncryption,
    /// Audit images Rekognition keeps per session (0-4).
    pub audit_images_limit: u8,
    /// Rekognition writes the session images straight to the bucket
    /// (`OutputConfig`) instead of returning them as bytes.
    pub liveness_output_to_s3: bool,
    /// CompareFaces `QualityFilter`: NONE (the default, as the API's and the
    /// guide's: a faint document portrait is still compared), AUTO, LOW,
    /// MEDIUM, HIGH.
    pub quality_filter: String,
    /// How CompareFaces receives the images.
    pub compare_input: CompareInput,
    /// Longest wait for a liveness session still CREATED/IN_PROGRESS, seconds.
    pub results_wait_s: u64,
    /// Endpoint override for every service (VPC endpoints, local servers);
    /// S3 is then addressed path-style.
    pub endpoint_url: Option<String>,
    /// The webview's Face Liveness stream goes to this private (VPC
    /// interface) endpoint of Rekognition streaming instead of the region's
    /// public one: `wss://vpce-….streaming-rekognition.<region>.vpce.amazonaws.com`
    /// (checked by [`crate::regions::StreamingEndpoint::parse_private`]).
    /// The app adds it to the webview's CSP when it starts.
    pub liveness_streaming_endpoint: Option<String>,
    /// Lifetime of presigned review URLs, seconds (60-3600).
    pub presign_ttl_s: u64,
    /// Named profile of the shared AWS config files the credentials (and,
    /// without `region`, the region) come from: a `credential_process` for
    /// IAM Roles Anywhere, SSO, a role to assume. `None`: `AWS_PROFILE`,
    /// else `default`.
    pub profile: Option<String>,
    /// The kiosk's IAM Roles Anywhere certificate (PEM), so `doctor` warns
    /// before it expires. Only read by `doctor`; the signing helper named in
    /// the profile's `credential_process` uses it to sign.
    pub certificate: Option<PathBuf>,
    /// The kiosk's id (from the kiosk settings, never from `aws.toml`): the
    /// folder after `key-prefix` its objects live in, which the IAM policy
    /// binds to the kiosk identity's tag. Set with [`AwsSettings::with_kiosk`].
    #[serde(skip)]
    pub kiosk_id: Option<String>,
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            region: None,
            bucket: None,
            key_prefix: DEFAULT_PREFIX.to_owned(),
            table: DEFAULT_TABLE.to_owned(),
            webview_role_arn: None,
            kms_key_id: None,
            sse: ServerSideEncryption::SseS3,
            audit_images_limit: 4,
            liveness_output_to_s3: false,
            quality_filter: "NONE".to_owned(),
            compare_input: CompareInput::S3Object,
            results_wait_s: 180,
            endpoint_url: None,
            liveness_streaming_endpoint: None,
            presign_ttl_s: 300,
            profile: None,
            certificate: None,
            kiosk_id: None,
        }
    }
}

/// A kiosk id as an S3 key segment: 1-64 of A-Z, a-z, 0-9, '.', '_', '-',
/// not `.` or `..` (the kiosk settings' own rule).
pub fn valid_kiosk_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
        && id != "."
        && id != ".."
}

/// An S3 bucket name: 3-63 of a-z, 0-9, '-', '.', not starting or ending
/// with '-' or '.'.
pub fn valid_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        && !name.starts_with(['-', '.'])
        && !name.ends_with(['-', '.'])
}

/// Reads an environment variable; empty counts as unset.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl AwsSettings {
    /// `<data>/aws.toml` when it exists, then `DAYFUSION_AWS_*` on top,
    /// then validation.
    pub fn load(data_dir: &Path) -> Result<AwsSettings, AwsError> {
        let path = data_dir.join("aws.toml");
        let mut settings = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| AwsError::Config(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AwsSettings::default(),
            Err(e) => return Err(AwsError::Config(format!("{}: {e}", path.display()))),
        };
        settings.apply_env()?;
        settings.validate()?;
        Ok(settings)
    }

    /// Changes the connection settings staff edit on the kiosk (region,
    /// bucket, table, webview role) in `<data>/aws.toml`, keeping every
    /// other setting of the file; checks them, writes the file atomically
    /// (owner-only) and returns the file's settings (without `DAYFUSION_AWS_*`).
    pub fn save_connection(
        data_dir: &Path,
        region: Option<String>,
        bucket: Option<String>,
        table: String,
        webview_role_arn: Option<String>,
    ) -> Result<AwsSettings, AwsError> {
        let blank = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let (region, bucket, webview_role_arn) =
            (blank(region), blank(bucket), blank(webview_role_arn));
        let table = table.trim().to_owned();
        let config = |what: &str| Err(AwsError::Config(what.to_owned()));
        if let Some(r) = &region
            && !(r.len() <= 32
                && r.split('-').count() >= 3
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return config("region must look like sa-east-1");
        }
        if bucket.as_deref().is_some_and(|b| !valid_bucket_name(b)) {
            return config("bucket must be an S3 bucket name (3-63 of a-z, 0-9, '-', '.')");
        }
        if !((3..=255).contains(&table.len())
            && table
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
        {
            return config(
                "table must be a DynamoDB table name (3-255 of A-Z, a-z, 0-9, '_', '-', '.')",
            );
        }
        if let Some(arn) = &webview_role_arn
            && !(arn.starts_with("arn:aws:iam::") && arn.contains(":role/") && arn.len() <= 2048)
        {
            return config("the webview role must be an IAM role ARN (arn:aws:iam::…:role/…)");
        }
        let path = data_dir.join("aws.toml");
        let mut settings = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text)
                .map_err(|e| AwsError::Config(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => AwsSettings::default(),
            Err(e) => return Err(AwsError::Config(format!("{}: {e}", path.display()))),
        };
        settings.region = region;
        settings.bucket = bucket;
        settings.table = table;
        settings.webview_role_arn = webview_role_arn;
        settings.validate()?;
        let text =
            toml::to_string(&settings).map_err(|e| AwsError::Config(format!("aws.toml: {e}")))?;
        let io = |e: std::io::Error| AwsError::Config(format!("{}: {e}", path.display()));
        let mut file = tempfile::NamedTempFile::new_in(data_dir).map_err(io)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(io)?;
        file.as_file().sync_all().map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        file.persist(&path).map_err(|e| io(e.error))?;
        tracing::info!(
            event = "aws_settings_saved",
            "AWS connection settings saved"
        );
        Ok(settings)
    }

    /// Applies `DAYFUSION_AWS_*` variables.
    pub fn apply_env(&mut self) -> Result<(), AwsError> {
        if let Some(v) = env("DAYFUSION_AWS_REGION") {
            self.region = Some(v);
        }
        if let Some(v) = env("DAYFUSION_AWS_BUCKET") {
            self.bucket = Some(v);
        }
        if let Ok(v) = std::env::var("DAYFUSION_AWS_PREFIX") {
            self.key_prefix = v;
        }
        if let Some(v) = env("DAYFUSION_AWS_TABLE") {
            self.table = v;
        }
        if let Some(v) = env("DAYFUSION_AWS_WEBVIEW_ROLE_ARN") {
            self.webview_role_arn = Some(v);
        }
        if let Some(v) = env("DAYFUSION_AWS_KMS_KEY_ID") {
            self.kms_key_id = Some(v);
        }
        if let Some(v) = env("DAYFUSION_AWS_SSE") {
            self.sse = match v.as_str() {
                "sse-s3" | "AES256" => ServerSideEncryption::SseS3,
                "sse-kms" | "aws:kms" => ServerSideEncryption::SseKms,
                other => {
                    return Err(AwsError::Config(format!(
                        "DAYFUSION_AWS_SSE={other}: use sse-s3 or sse-kms"
                    )));
                }
            };
        }
        if let Some(v) = env("DAYFUSION_AWS_AUDIT_IMAGES") {
            self.audit_images_limit = v
                .parse()
                .map_err(|_| AwsError::Config(format!("DAYFUSION_AWS_AUDIT_IMAGES={v}")))?;
        }
        if let Some(v) = env("DAYFUSION_AWS_LIVENESS_OUTPUT_TO_S3") {
            self.liveness_output_to_s3 = matches!(v.as_str(), "1" | "true" | "yes");
        }
        if let Some(v) = env("DAYFUSION_AWS_QUALITY_FILTER") {
            self.quality_filter = v;
        }
        if let Some(v) = env("DAYFUSION_AWS_COMPARE_INPUT") {
            self.compare_input = match v.as_str() {
                "s3-object" => CompareInput::S3Object,
                "bytes" => CompareInput::Bytes,
                other => {
                    return Err(AwsError::Config(format!(
                        "DAYFUSION_AWS_COMPARE_INPUT={other}: use s3-object or bytes"
                    )));
                }
            };
        }
        if let Some(v) = env("DAYFUSION_AWS_RESULTS_WAIT_S") {
            self.results_wait_s = v
                .parse()
                .map_err(|_| AwsError::Config(format!("DAYFUSION_AWS_RESULTS_WAIT_S={v}")))?;
        }
        if let Some(v) = env("DAYFUSION_AWS_ENDPOINT_URL") {
            self.endpoint_url = Some(v);
        }
        if let Some(v) = env("DAYFUSION_AWS_LIVENESS_STREAMING_ENDPOINT") {
            self.liveness_streaming_endpoint = Some(v);
        }
        if let Some(v) = env("DAYFUSION_AWS_PROFILE") {
            self.profile = Some(v);
        }
        if let Some(v) = env("DAYFUSION_AWS_CERTIFICATE") {
            self.certificate = Some(PathBuf::from(v));
        }
        Ok(())
    }

    /// Checks the values a typo would break.
    pub fn validate(&self) -> Result<(), AwsError> {
        if self.audit_images_limit > 4 {
            return Err(AwsError::Config("audit-images-limit must be 0-4".into()));
        }
        if !matches!(
            self.quality_filter.as_str(),
            "NONE" | "AUTO" | "LOW" | "MEDIUM" | "HIGH"
        ) {
            return Err(AwsError::Config(format!(
                "quality-filter {}: use NONE, AUTO, LOW, MEDIUM or HIGH",
                self.quality_filter
            )));
        }
        if !self.key_prefix.is_empty()
            && (!self.key_prefix.ends_with('/')
                || self.key_prefix.starts_with('/')
                || self.key_prefix.contains(".."))
        {
            return Err(AwsError::Config(format!(
                "key-prefix {:?} must be empty or like `dayfusion/`",
                self.key_prefix
            )));
        }
        if self.table.is_empty() {
            return Err(AwsError::Config("table must not be empty".into()));
        }
        if !(1..=900).contains(&self.results_wait_s) {
            return Err(AwsError::Config(
                "results-wait-s must be 1-900 (a session lives 180 s)".into(),
            ));
        }
        if !(60..=3600).contains(&self.presign_ttl_s) {
            return Err(AwsError::Config("presign-ttl-s must be 60-3600".into()));
        }
        if let Some(profile) = &self.profile
            && (profile.trim().is_empty()
                || profile.len() > 128
                || profile.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(AwsError::Config(format!(
                "profile {profile:?} must be the name of a profile in the AWS config files"
            )));
        }
        if let Some(kiosk) = &self.kiosk_id
            && !valid_kiosk_id(kiosk)
        {
            return Err(AwsError::Config(format!(
                "kiosk id {kiosk:?}: use 1-64 letters, digits, '.', '_' or '-'"
            )));
        }
        if let Some(region) = &self.region
            && !crate::regions::looks_like_region(region)
        {
            return Err(AwsError::Config(format!(
                "region {region:?} must look like sa-east-1"
            )));
        }
        self.liveness_endpoint()?;
        if self.sse == ServerSideEncryption::SseS3 && self.kms_key_id.is_some() {
            tracing::debug!("kms-key-id set with sse-s3: used for liveness output only");
        }
        Ok(())
    }

    /// These settings for the kiosk `kiosk_id` (its objects then live under
    /// [`AwsSettings::kiosk_prefix`]); checked by `validate`.
    #[must_use]
    pub fn with_kiosk(mut self, kiosk_id: impl Into<String>) -> AwsSettings {
        self.kiosk_id = Some(kiosk_id.into());
        self
    }

    /// The folder of this kiosk's objects, `{key-prefix}{kiosk id}/`
    /// (`dayfusion/kiosk-001/`); a configuration error without a valid kiosk id.
    pub fn kiosk_prefix(&self) -> Result<String, AwsError> {
        match self.kiosk_id.as_deref() {
            Some(id) if valid_kiosk_id(id) => Ok(format!("{}{id}/", self.key_prefix)),
            Some(id) => Err(AwsError::Config(format!(
                "kiosk id {id:?}: use 1-64 letters, digits, '.', '_' or '-'"
            ))),
            None => Err(AwsError::Config(
                "no kiosk id: the kiosk's objects live under {key-prefix}{kiosk id}/ \
                 (set the kiosk id in the kiosk settings)"
                    .into(),
            )),
        }
    }

    /// `liveness-streaming-endpoint` checked: a Rekognition streaming VPC
    /// interface endpoint in a Face Liveness region, the configured region
    /// when one is set (the detector signs for the credentials' region).
    pub fn liveness_endpoint(&self) -> Result<Option<crate::regions::StreamingEndpoint>, AwsError> {
        let Some(value) = &self.liveness_streaming_endpoint else {
            return Ok(None);
        };
        let endpoint = crate::regions::StreamingEndpoint::parse_private(value)
            .map_err(|e| AwsError::Config(format!("liveness-streaming-endpoint: {e}")))?;
        if let (Some(region), Some(ours)) = (&self.region, endpoint.region())
            && region != ours
        {
            return Err(AwsError::Config(format!(
                "liveness-streaming-endpoint is in {ours}, the region is {region}"
            )));
        }
        Ok(Some(endpoint))
    }

    /// The bucket, or a configuration error naming the setting.
    pub fn require_bucket(&self) -> Result<&str, AwsError> {
        self.bucket.as_deref().ok_or_else(|| {
            AwsError::Config("no bucket: set DAYFUSION_AWS_BUCKET or `bucket` in aws.toml".into())
        })
    }

    /// Whether this kiosk has AWS settings (a bucket in `aws.toml` or
    /// `DAYFUSION_AWS_BUCKET`): its final transactions then go to the
    /// outbox for AWS.
    pub fn is_configured(&self) -> bool {
        self.bucket.is_some()
    }
}

/// Whether the kiosk of `data_dir` has AWS settings; `None` when they
/// cannot be read (a broken `aws.toml` changes nothing).
pub fn configured(data_dir: &std::path::Path) -> Option<bool> {
    AwsSettings::load(data_dir)
        .ok()
        .map(|settings| settings.is_configured())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_edit_the_connection_and_keep_the_rest_of_aws_toml()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("aws.toml"), "quality-filter = \"HIGH\"\n")?;
        let saved = AwsSettings::save_connection(
            dir.path(),
            Some("sa-east-1".into()),
            Some("dayfusion-evidence-ag0001".into()),
            "dayfusion_transactions".into(),
            Some("arn:aws:iam::123456789012:role/dayfusion-webview".into()),
        )?;
        assert_eq!(saved.quality_filter, "HIGH", "other settings are kept");
        let text = std::fs::read_to_string(dir.path().join("aws.toml"))?;
        let back: AwsSettings = toml::from_str(&text)?;
        assert_eq!(back, saved);
        assert_eq!(back.region.as_deref(), Some("sa-east-1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("aws.toml"))?
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Blank means unset; bad values are refused and leave the file alone.
        let cleared =
            AwsSettings::save_connection(dir.path(), Some(" ".into()), None, "t_1".into(), None)?;
        assert_eq!(cleared.region, None);
        for (region, bucket, table, role) in [
            (Some("Brazil"), None, "t_1", None),
            (None, Some("Bad_Bucket"), "t_1", None),
            (None, None, "a b", None),
            (None, None, "t_1", Some("role/x")),
        ] {
            let refused = AwsSettings::save_connection(
                dir.path(),
                region.map(Into::into),
                bucket.map(Into::into),
                table.into(),
                role.map(Into::into),
            );
            assert!(refused.is_err(), "{region:?} {bucket:?} {table:?} {role:?}");
        }
        assert_eq!(
            toml::from_str::<AwsSettings>(&std::fs::read_to_string(dir.path().join("aws.toml"))?)?,
            cleared
        );
        Ok(())
    }

    #[test]
    fn defaults_follow_the_guide_and_validate() {
        let s = AwsSettings::default();
        assert_eq!(s.table, "dayfusion_transactions");
        assert_eq!(s.audit_images_limit, 4);
        assert!(s.validate().is_ok());
        assert!(s.require_bucket().is_err());
    }

    #[test]
    fn file_values_are_read_and_bad_ones_refused() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("aws.toml"),
            "bucket = \"bank-evidence\"\nsse = \"sse-kms\"\nkms-key-id = \"alias/dayfusion\"\n",
        )?;
        let s = AwsSettings::load(dir.path())?;
        assert_eq!(s.bucket.as_deref(), Some("bank-evidence"));
        assert_eq!(s.sse, ServerSideEncryption::SseKms);
        std::fs::write(dir.path().join("aws.toml"), "audit-images-limit = 9\n")?;
        assert!(AwsSettings::load(dir.path()).is_err());
        std::fs::write(dir.path().join("aws.toml"), "buckett = \"x\"\n")?;
        assert!(AwsSettings::load(dir.path()).is_err());
        // The kiosk id never comes from aws.toml.
        std::fs::write(dir.path().join("aws.toml"), "kiosk-id = \"kiosk-002\"\n")?;
        assert!(AwsSettings::load(dir.path()).is_err());
        Ok(())
    }

    #[test]
    fn compare_faces_quality_filter_defaults_to_none() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(AwsSettings::default().quality_filter, "NONE");
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("aws.toml"), "quality-filter = \"AUTO\"\n")?;
        assert_eq!(AwsSettings::load(dir.path())?.quality_filter, "AUTO");
        Ok(())
    }

    #[test]
    fn profile_and_certificate_are_read_from_aws_toml() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("aws.toml"),
            "profile = \"dayfusion-kiosk\"\ncertificate = \"/etc/dayfusion/kiosk.pem\"\n",
        )?;
        let s = AwsSettings::load(dir.path())?;
        assert_eq!(s.profile.as_deref(), Some("dayfusion-kiosk"));
        assert_eq!(
            s.certificate.as_deref(),
            Some(Path::new("/etc/dayfusion/kiosk.pem"))
        );
        std::fs::write(dir.path().join("aws.toml"), "profile = \"two words\"\n")?;
        assert!(AwsSettings::load(dir.path()).is_err());
        Ok(())
    }

    #[test]
    fn the_kiosk_prefix_follows_the_kiosk_id() {
        let s = AwsSettings::default();
        assert!(s.kiosk_prefix().is_err(), "no kiosk id, no prefix");
        let s = s.with_kiosk("kiosk-001");
        assert_eq!(
            s.kiosk_prefix().ok().as_deref(),
            Some("dayfusion/kiosk-001/")
        );
        assert!(s.validate().is_ok());
        let bare = AwsSettings {
            key_prefix: String::new(),
            ..AwsSettings::default().with_kiosk("k.1")
        };
        assert_eq!(bare.kiosk_prefix().ok().as_deref(), Some("k.1/"));
        for bad in ["", "..", "a/b", "kiosk 1", &"k".repeat(65)] {
            let s = AwsSettings::default().with_kiosk(bad);
            assert!(s.kiosk_prefix().is_err(), "{bad:?}");
            assert!(s.validate().is_err(), "{bad:?}");
        }
    }
}
