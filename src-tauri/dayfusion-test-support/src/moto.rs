//! moto, a local AWS stand-in speaking the real protocols (signing,
//! headers, conditional writes, presigned URLs), shared by the tests.
//!
//! The tests run when `DAYFUSION_TEST_MOTO_URL` points at a running moto
//! server (`eval "$(infra/aws-local/moto-server.sh start)"`). Without it
//! they pass doing nothing, except under `CI`, where [`moto_url`] fails so
//! a misconfigured pipeline cannot go green silently.
//!
//! Every test of a binary that uses the server takes [`serial`] first and
//! resets moto ([`fresh`]). Cargo runs test binaries one after the other,
//! so binaries of different crates never share the server at once.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, Select,
};
use dayfusion_aws::heartbeat::{HEARTBEAT_KEY_PREFIX, is_heartbeat_key};
use dayfusion_aws::{AwsContext, AwsError, AwsSettings};

use crate::{BoxError, TestResult};

/// The variable naming the shared server's URL.
pub const URL_VAR: &str = "DAYFUSION_TEST_MOTO_URL";
/// The evidence bucket of the tests.
pub const BUCKET: &str = "dayfusion-evidence-test";
/// The transaction table (the guide's name, the settings' default).
pub const TABLE: &str = "dayfusion_transactions";
/// The region of the tests.
pub const REGION: &str = "us-east-1";
/// The kiosk of the test transactions, whose S3 folder the stores use.
pub const KIOSK: &str = "kiosk-test-01";

/// The tests share one moto server: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Held while a test uses the shared server.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The shared server's URL; `None` to skip (an error under `CI`).
pub fn moto_url() -> Result<Option<String>, BoxError> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(Some(url.trim().trim_end_matches('/').to_owned())),
        _ if std::env::var_os("CI").is_some() => Err(format!(
            "{URL_VAR} is not set under CI: run `eval \"$(infra/aws-local/moto-server.sh start)\"` \
             before the tests"
        )
        .into()),
        _ => {
            eprintln!("{URL_VAR} not set: skipping the moto tests");
            Ok(None)
        }
    }
}

/// One plain HTTP request; status and body (4xx/5xx are answers, not errors).
pub fn http(method: &str, url: &str, body: &[u8]) -> Result<(u16, Vec<u8>), BoxError> {
    http_with_headers(method, url, &[], body)
}

/// [`http`] with request headers (a fake's control requests, moto's
/// JSON protocols).
pub fn http_with_headers(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<(u16, Vec<u8>), BoxError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    // Requests that carry no body are sent without one (no Content-Length).
    let mut response = if matches!(method, "GET" | "HEAD" | "OPTIONS") {
        agent.run(request.body(())?)?
    } else {
        agent.run(request.body(body.to_vec())?)?
    };
    let status = response.status().as_u16();
    Ok((status, response.body_mut().read_to_vec()?))
}

/// Empties moto (every service, every region).
pub fn reset(url: &str) -> TestResult {
    let (status, _) = http("POST", &format!("{url}/moto-api/reset"), b"")?;
    if status != 200 {
        return Err(format!("moto reset: HTTP {status}").into());
    }
    Ok(())
}

/// The tests' settings on `url`: [`REGION`], [`BUCKET`], kiosk [`KIOSK`].
pub fn settings(url: &str) -> AwsSettings {
    AwsSettings {
        region: Some(REGION.into()),
        bucket: Some(BUCKET.into()),
        endpoint_url: Some(url.to_owned()),
        ..AwsSettings::default()
    }
    .with_kiosk(KIOSK)
}

/// The `aws.toml` of a kiosk whose AWS is at `url` (the [`settings`]).
pub fn aws_toml(url: &str) -> String {
    format!("region = \"{REGION}\"\nbucket = \"{BUCKET}\"\nendpoint-url = \"{url}\"\n")
}

/// A connection to the endpoint of `settings` with static test
/// credentials (no process environment is read for them or changed) and
/// two attempts per call; the shape of the housekeeper's connector.
pub fn connect_static(settings: AwsSettings) -> Result<AwsContext, AwsError> {
    let url = settings
        .endpoint_url
        .clone()
        .ok_or_else(|| AwsError::Config("the test context needs an endpoint".into()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| AwsError::Config(format!("test runtime: {e}")))?;
    let credentials =
        aws_sdk_s3::config::Credentials::new("testing", "testing", None, None, "test");
    let sdk = runtime.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(credentials)
            .endpoint_url(url)
            .timeout_config(dayfusion_aws::context::timeouts())
            .retry_config(RetryConfig::standard().with_max_attempts(2))
            .load(),
    );
    Ok(AwsContext::from_sdk_config(runtime, settings, sdk))
}

/// [`connect_static`], shared.
pub fn context(settings: AwsSettings) -> Result<Arc<AwsContext>, BoxError> {
    Ok(Arc::new(connect_static(settings)?))
}

/// Creates the bucket and the guide's table.
pub fn create_resources(ctx: &AwsContext) -> TestResult {
    ctx.block_on(ctx.s3.create_bucket().bucket(BUCKET).send())?;
    ctx.block_on(
        ctx.dynamodb
            .create_table()
            .table_name(TABLE)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("TransactionId")
                    .attribute_type(ScalarAttributeType::S)
                    .build()?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("TransactionId")
                    .key_type(KeyType::Hash)
                    .build()?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send(),
    )?;
    Ok(())
}

/// A reset shared server with the bucket and table, and a context on it;
/// `None` to skip.
pub fn fresh() -> Result<Option<Arc<AwsContext>>, BoxError> {
    let Some(url) = moto_url()? else {
        return Ok(None);
    };
    reset(&url)?;
    let ctx = context(settings(&url))?;
    create_resources(&ctx)?;
    Ok(Some(ctx))
}

/// Every transaction item's `TransactionId` in the table, sorted (the
/// kiosks' heartbeats left out).
pub fn table_ids(ctx: &AwsContext) -> Result<Vec<String>, BoxError> {
    let out = ctx.block_on(ctx.dynamodb.scan().table_name(TABLE).send())?;
    let mut ids: Vec<String> = out
        .items()
        .iter()
        .filter_map(|item| item.get("TransactionId"))
        .filter_map(|v| v.as_s().ok().cloned())
        .filter(|id| !is_heartbeat_key(id))
        .collect();
    ids.sort();
    Ok(ids)
}

/// The table's transaction item count (Scan, `COUNT`; the heartbeats
/// left out).
pub fn item_count(ctx: &AwsContext) -> Result<i32, BoxError> {
    let out = ctx.block_on(
        ctx.dynamodb
            .scan()
            .table_name(TABLE)
            .select(Select::Count)
            .filter_expression("NOT begins_with(#key, :heartbeat)")
            .expression_attribute_names("#key", "TransactionId")
            .expression_attribute_values(
                ":heartbeat",
                AttributeValue::S(HEARTBEAT_KEY_PREFIX.into()),
            )
            .send(),
    )?;
    Ok(out.count())
}

/// Every object key in the bucket, sorted.
pub fn all_bucket_keys(ctx: &AwsContext) -> Result<Vec<String>, BoxError> {
    let out = ctx.block_on(ctx.s3.list_objects_v2().bucket(BUCKET).send())?;
    let mut keys: Vec<String> = out
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    keys.sort();
    Ok(keys)
}

/// The evidence object keys in the bucket (not the kept audit heads).
pub fn bucket_keys(ctx: &AwsContext) -> Result<Vec<String>, BoxError> {
    let mut keys = all_bucket_keys(ctx)?;
    keys.retain(|k| !k.contains("audit-heads/"));
    Ok(keys)
}
