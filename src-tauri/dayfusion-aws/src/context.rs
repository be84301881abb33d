//! One connection to AWS: a small Tokio runtime the synchronous ports block
//! on, the shared SDK configuration from the default credential chain, and
//! the service clients.
//!
//! The chain reads the named profile of `aws.toml`'s `profile` (else
//! `AWS_PROFILE`, else `default`) from the shared AWS config files: the
//! usual identity of an on-premises kiosk is IAM Roles Anywhere, a profile
//! whose `credential_process` runs `aws_signing_helper credential-process`
//! with the kiosk's certificate.

use std::future::Future;
use std::time::Duration;

use aws_config::{
    BehaviorVersion, ConfigLoader, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig,
};

use crate::config::AwsSettings;
use crate::error::{AwsError, AwsResult};

/// Clients and settings of the AWS backend.
pub struct AwsContext {
    runtime: tokio::runtime::Runtime,
    /// The settings it was built from.
    pub settings: AwsSettings,
    /// The SDK configuration (region, credentials provider).
    pub sdk: SdkConfig,
    /// Rekognition.
    pub rekognition: aws_sdk_rekognition::Client,
    /// S3 (path-style when an endpoint override is set).
    pub s3: aws_sdk_s3::Client,
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// STS (webview credentials, caller identity).
    pub sts: aws_sdk_sts::Client,
}

impl std::fmt::Debug for AwsContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsContext")
            .field("settings", &self.settings)
            .field("region", &self.sdk.region())
            .finish_non_exhaustive()
    }
}

/// A runtime for blocking on SDK calls from synchronous code.
fn new_runtime() -> AwsResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("dayfusion-aws")
        .enable_all()
        .build()
        .map_err(|e| AwsError::Config(format!("cannot start the AWS runtime: {e}")))
}

/// Timeouts that make a lost network show up in seconds, not minutes.
pub fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(45))
        .build()
}

/// Whether an endpoint override applies to S3 (then path-style addressing).
fn s3_endpoint_overridden(settings: &AwsSettings) -> bool {
    settings.endpoint_url.is_some()
        || std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
}

/// The default chain's loader with `settings` on top: region, endpoint and
/// the named profile (`profile`) the credentials come from.
pub fn loader(settings: &AwsSettings) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(timeouts())
        .retry_config(RetryConfig::standard().with_max_attempts(3));
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile.clone());
    }
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url.clone());
    }
    loader
}

impl AwsContext {
    /// Loads the default chain (environment, profile, instance metadata)
    /// with `settings` on top ([`loader`]). Makes no network call:
    /// credentials are resolved on first use.
    pub fn connect(settings: AwsSettings) -> AwsResult<AwsContext> {
        settings.validate()?;
        let runtime = new_runtime()?;
        let sdk = runtime.block_on(loader(&settings).load());
        if sdk.region().is_none() {
            return Err(AwsError::Call {
                operation: "config",
                code: "aws-region-missing",
                detail: match &settings.profile {
                    Some(p) => format!(
                        "no region: set DAYFUSION_AWS_REGION, AWS_REGION or a region in profile {p}"
                    ),
                    None => {
                        "no region: set DAYFUSION_AWS_REGION, AWS_REGION or a profile region".into()
                    }
                },
                retryable: false,
            });
        }
        Ok(Self::from_sdk_config(runtime, settings, sdk))
    }

    /// Builds the clients from an SDK configuration (tests pass their own).
    pub fn from_sdk_config(
        runtime: tokio::runtime::Runtime,
        settings: AwsSettings,
        sdk: SdkConfig,
    ) -> AwsContext {
        let s3_config = aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(s3_endpoint_overridden(&settings))
            .build();
        AwsContext {
            rekognition: aws_sdk_rekognition::Client::new(&sdk),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sts: aws_sdk_sts::Client::new(&sdk),
            runtime,
            settings,
            sdk,
        }
    }

    /// Builds a context around given clients (unit tests with mocked clients).
    pub fn from_clients(
        settings: AwsSettings,
        sdk: SdkConfig,
        rekognition: aws_sdk_rekognition::Client,
        s3: aws_sdk_s3::Client,
        dynamodb: aws_sdk_dynamodb::Client,
        sts: aws_sdk_sts::Client,
    ) -> AwsResult<AwsContext> {
        Ok(AwsContext {
            runtime: new_runtime()?,
            settings,
            sdk,
            rekognition,
            s3,
            dynamodb,
            sts,
        })
    }

    /// Runs `future` to completion from synchronous code.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// The region in use.
    pub fn region(&self) -> Option<&str> {
        self.sdk.region().map(|r| r.as_ref())
    }
}

#[cfg(test)]
// `ProfileFiles` is the name aws-config's loader takes (its new name lives
// in aws-runtime, not a dependency here).
#[allow(deprecated)]
mod tests {
    use super::*;
    use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
    use aws_sdk_s3::config::ProvideCredentials as _;

    /// `profile` of aws.toml picks the profile of the shared config files:
    /// its region and its `credential_process` (how IAM Roles Anywhere's
    /// signing helper is set up), not the `default` profile's.
    #[test]
    fn the_profile_of_aws_toml_gives_region_and_credentials()
    -> Result<(), Box<dyn std::error::Error>> {
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
            eprintln!("SKIP: AWS_ACCESS_KEY_ID is set and comes first in the chain");
            return Ok(());
        }
        let dir = tempfile::tempdir()?;
        let helper = dir.path().join("signing-helper.sh");
        std::fs::write(
            &helper,
            "#!/bin/sh\nprintf '%s' '{\"Version\":1,\"AccessKeyId\":\"AKIDROLESANYWHERE\",\
             \"SecretAccessKey\":\"secret\",\"SessionToken\":\"token\",\
             \"Expiration\":\"2099-01-01T00:00:00Z\"}'\n",
        )?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o700))?;
        }
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            format!(
                "[default]\nregion = us-west-2\n\n[profile dayfusion-kiosk]\nregion = sa-east-1\n\
                 credential_process = {}\n",
                helper.display()
            ),
        )?;
        let empty = dir.path().join("credentials");
        std::fs::write(&empty, "")?;
        let files = || {
            ProfileFiles::builder()
                .with_file(ProfileFileKind::Config, &config)
                .with_file(ProfileFileKind::Credentials, &empty)
                .build()
        };
        let runtime = new_runtime()?;
        let settings = AwsSettings {
            profile: Some("dayfusion-kiosk".into()),
            ..AwsSettings::default()
        };
        let sdk = runtime.block_on(loader(&settings).profile_files(files()).load());
        let region_from_env = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .any(|v| std::env::var_os(v).is_some());
        if !region_from_env {
            assert_eq!(sdk.region().map(|r| r.as_ref()), Some("sa-east-1"));
        }
        let provider = sdk
            .credentials_provider()
            .ok_or("no credentials provider")?;
        let credentials = runtime.block_on(provider.provide_credentials())?;
        assert_eq!(credentials.access_key_id(), "AKIDROLESANYWHERE");
        // Without `profile` the default profile is used.
        let sdk = runtime.block_on(
            loader(&AwsSettings::default())
                .profile_files(files())
                .load(),
        );
        if std::env::var_os("AWS_PROFILE").is_none() && !region_from_env {
            assert_eq!(sdk.region().map(|r| r.as_ref()), Some("us-west-2"));
        }
        Ok(())
    }
}
