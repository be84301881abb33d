//! One connection to AWS: a small Tokio runtime the synchronous ports block
//! on, the shared SDK configuration from the default credential chain, and
//! the service clients.

use std::future::Future;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig};

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

impl AwsContext {
    /// Loads the default chain (environment, profile, instance metadata)
    /// with `settings` on top. Makes no network call: credentials are
    /// resolved on first use.
    pub fn connect(settings: AwsSettings) -> AwsResult<AwsContext> {
        settings.validate()?;
        let runtime = new_runtime()?;
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(timeouts())
            .retry_config(RetryConfig::standard().with_max_attempts(3));
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        let sdk = runtime.block_on(loader.load());
        if sdk.region().is_none() {
            return Err(AwsError::Call {
                operation: "config",
                code: "aws-region-missing",
                detail: "no region: set DAYFUSION_AWS_REGION, AWS_REGION or a profile region"
                    .into(),
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
