//! Evidence in S3: [`S3EvidenceStore`] implements the flow's
//! [`EvidenceStore`] over the evidence bucket, with presigned GET URLs for
//! staff review.
//!
//! Objects live at `{key_prefix}{evidence key}` (`dayfusion/documents/…`).
//! Every object is written once, with
//!
//! - `If-None-Match: *`, so S3 refuses to replace an existing object
//!   (HTTP 412, [`StoreError::AlreadyExists`]);
//! - its SHA-256 as an S3 checksum (`ChecksumAlgorithm=SHA256` with the
//!   base64 digest: S3 refuses bytes damaged in transit) and as the user
//!   metadata `sha256` (hex), which reads compare against;
//! - server-side encryption, `AES256` or `aws:kms` (with the configured key);
//! - `Content-Type` `image/jpeg` or `image/png` from the key's extension.
//!
//! Logs name keys (transaction and session ids), never bytes or URLs.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode, ServerSideEncryption as S3Sse};
use aws_smithy_runtime_api::client::result::SdkError;
use base64::Engine as _;
use dayfusion_verify::{EvidenceKey, EvidenceRef, EvidenceStore, StoreError};
use sha2::{Digest, Sha256};

use crate::config::{AwsSettings, ServerSideEncryption};
use crate::context::AwsContext;
use crate::error::{AwsError, AwsResult};

/// User metadata key holding the hex SHA-256 of the object.
pub const SHA256_METADATA: &str = "sha256";

/// Longest lifetime of a presigned review URL.
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(3600);

/// The evidence store over the S3 bucket of the settings.
#[derive(Debug, Clone)]
pub struct S3EvidenceStore {
    ctx: Arc<AwsContext>,
    bucket: String,
    prefix: String,
}

/// Sets the bucket encryption the settings ask for on a PutObject: SSE-S3,
/// or SSE-KMS with the configured key (the bucket's default key without
/// one). Used for evidence and for the doctor's probe object alike.
pub fn with_encryption(
    request: PutObjectFluentBuilder,
    settings: &AwsSettings,
) -> PutObjectFluentBuilder {
    match settings.sse {
        ServerSideEncryption::SseS3 => request.server_side_encryption(S3Sse::Aes256),
        ServerSideEncryption::SseKms => {
            let request = request.server_side_encryption(S3Sse::AwsKms);
            match &settings.kms_key_id {
                Some(kms) => request.ssekms_key_id(kms),
                None => request,
            }
        }
    }
}
/// The content type of an evidence object, from its key's extension.
pub fn content_type(key: &EvidenceKey) -> &'static str {
    let lower = key.as_str().to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".jpg") || lower.ends_with(".jpeg") {
        "image/jpeg"
    } else {
        "application/octet-stream"
    }
}

/// The HTTP status of an SDK error's raw response, when there was one.
fn http_status<E>(err: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

impl S3EvidenceStore {
    /// The store over `ctx`'s bucket and key prefix; a configuration error
    /// when no bucket is set.
    pub fn new(ctx: Arc<AwsContext>) -> AwsResult<S3EvidenceStore> {
        let bucket = ctx.settings.require_bucket()?.to_owned();
        let prefix = ctx.settings.key_prefix.clone();
        Ok(S3EvidenceStore {
            ctx,
            bucket,
            prefix,
        })
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The context it runs on.
    pub fn context(&self) -> &Arc<AwsContext> {
        &self.ctx
    }

    /// The S3 object key of an evidence key (`dayfusion/documents/…`).
    pub fn object_key(&self, key: &EvidenceKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    /// Keeps the local audit chain's head outside the kiosk:
    /// `{prefix}audit-heads/{kiosk}/{events:012}.json` (the event count, the
    /// last event's hash), write-once. A head already stored for the same
    /// count with another hash means the local chain was rewritten from
    /// that point: `Conflict`. `true` when written now.
    pub fn put_audit_head(
        &self,
        kiosk_id: &str,
        events: u64,
        head_hash: &str,
    ) -> Result<bool, StoreError> {
        let kiosk: String = kiosk_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .take(64)
            .collect();
        let key = format!("{}audit-heads/{kiosk}/{events:012}.json", self.prefix);
        let body = serde_json::json!({
            "kioskId": kiosk,
            "events": events,
            "headHash": head_hash,
        })
        .to_string();
        let request = self
            .ctx
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(body.into_bytes()));
        let request = with_encryption(request, &self.ctx.settings);
        match self.ctx.block_on(request.send()) {
            Ok(_) => Ok(true),
            Err(err)
                if err.code() == Some("PreconditionFailed") || http_status(&err) == Some(412) =>
            {
                let stored = self
                    .ctx
                    .block_on(
                        self.ctx
                            .s3
                            .get_object()
                            .bucket(&self.bucket)
                            .key(&key)
                            .send(),
                    )
                    .map_err(|e| StoreError::from(AwsError::from_sdk("s3:GetObject", &e)))?;
                let bytes = self
                    .ctx
                    .block_on(stored.body.collect())
                    .map_err(|e| StoreError::Other(format!("reading {key}: {e}")))?
                    .into_bytes();
                let stored_hash = serde_json::from_slice::<serde_json::Value>(&bytes)
                    .ok()
                    .and_then(|v| v["headHash"].as_str().map(str::to_owned));
                if stored_hash.as_deref() == Some(head_hash) {
                    Ok(false)
                } else {
                    Err(StoreError::Conflict(format!(
                        "the audit chain's event {events} differs from the head kept in S3: \
                         the local chain was rewritten"
                    )))
                }
            }
            Err(err) => Err(AwsError::from_sdk("s3:PutObject", &err).into()),
        }
    }

    /// The `sha256` metadata of the object under `key`: `None` when there is
    /// no object, `Some("")` when the object has no such metadata (not
    /// written by a kiosk).
    pub fn head(&self, key: &EvidenceKey) -> AwsResult<Option<String>> {
        let request = self
            .ctx
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(self.object_key(key));
        match self.ctx.block_on(request.send()) {
            Ok(out) => Ok(Some(
                out.metadata()
                    .and_then(|m| m.get(SHA256_METADATA))
                    .cloned()
                    .unwrap_or_default(),
            )),
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_not_found())
                    || http_status(&err) == Some(404) =>
            {
                Ok(None)
            }
            Err(err) => Err(AwsError::from_sdk("s3:HeadObject", &err)),
        }
    }

    /// A presigned GET URL of the object under `key`, for staff review,
    /// valid for `ttl` (`None`: the settings' `presign-ttl-s`; at most one
    /// hour). `aws-not-found` when there is no such object. The URL is a
    /// bearer credential: show it, never log it.
    pub fn presigned_get(&self, key: &EvidenceKey, ttl: Option<Duration>) -> AwsResult<String> {
        let ttl = ttl
            .unwrap_or(Duration::from_secs(self.ctx.settings.presign_ttl_s))
            .min(MAX_PRESIGN_TTL);
        if ttl.is_zero() {
            return Err(AwsError::Config(
                "presigned URL lifetime must not be zero".into(),
            ));
        }
        if self.head(key)?.is_none() {
            return Err(AwsError::Call {
                operation: "s3:HeadObject",
                code: "aws-not-found",
                detail: format!("no evidence object {key}"),
                retryable: false,
            });
        }
        let config = PresigningConfig::expires_in(ttl).map_err(|e| AwsError::Call {
            operation: "s3:GetObject",
            code: "aws-request-invalid",
            detail: format!("presigning: {e}"),
            retryable: false,
        })?;
        let request = self
            .ctx
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.object_key(key));
        let presigned = self
            .ctx
            .block_on(request.presigned(config))
            .map_err(|e| AwsError::from_sdk("s3:GetObject", &e))?;
        tracing::debug!(key = %key, ttl_s = ttl.as_secs(), "presigned review URL issued");
        Ok(presigned.uri().to_owned())
    }
}

impl EvidenceStore for S3EvidenceStore {
    fn put(&self, key: &EvidenceKey, bytes: &[u8]) -> Result<EvidenceRef, StoreError> {
        let digest = Sha256::digest(bytes);
        let sha256 = hex::encode(digest);
        let checksum = base64::engine::general_purpose::STANDARD.encode(digest);
        let size = bytes.len() as u64;
        let mut request = self
            .ctx
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .if_none_match("*")
            .content_type(content_type(key))
            .content_length(i64::try_from(size).map_err(|_| StoreError::TooLarge(size))?)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(checksum)
            .metadata(SHA256_METADATA, &sha256)
            .body(ByteStream::from(bytes.to_vec()));
        request = with_encryption(request, &self.ctx.settings);
        match self.ctx.block_on(request.send()) {
            Ok(_) => {
                tracing::debug!(key = %key, size, "evidence stored in S3");
                Ok(EvidenceRef {
                    key: key.clone(),
                    sha256,
                    size,
                })
            }
            Err(err)
                if err.code() == Some("PreconditionFailed") || http_status(&err) == Some(412) =>
            {
                // The SDK retries a PutObject whose answer was lost; the
                // retry then meets the object its first try stored. The same
                // bytes count as stored; other bytes are refused.
                match self.head(key) {
                    Ok(Some(stored)) if stored.eq_ignore_ascii_case(&sha256) => {
                        tracing::debug!(key = %key, "evidence already in S3 with the same SHA-256");
                        Ok(EvidenceRef {
                            key: key.clone(),
                            sha256,
                            size,
                        })
                    }
                    _ => Err(StoreError::AlreadyExists(key.to_string())),
                }
            }
            // A concurrent conditional write on the same key: try again later.
            Err(err) if err.code() == Some("ConditionalRequestConflict") => {
                Err(StoreError::Remote {
                    code: "aws-service",
                    detail: format!("s3:PutObject {key}: concurrent write"),
                    retryable: true,
                })
            }
            Err(err) => Err(AwsError::from_sdk("s3:PutObject", &err).into()),
        }
    }

    fn get(&self, key: &EvidenceKey) -> Result<Vec<u8>, StoreError> {
        let request = self
            .ctx
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .checksum_mode(ChecksumMode::Enabled);
        let out = match self.ctx.block_on(request.send()) {
            Ok(out) => out,
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_no_such_key())
                    || http_status(&err) == Some(404) =>
            {
                return Err(StoreError::NotFound(key.to_string()));
            }
            Err(err) => return Err(AwsError::from_sdk("s3:GetObject", &err).into()),
        };
        let expected = out
            .metadata()
            .and_then(|m| m.get(SHA256_METADATA))
            .cloned()
            .unwrap_or_default();
        let body = self.ctx.block_on(out.body.collect()).map_err(|e| {
            let text = e.to_string().to_ascii_lowercase();
            if text.contains("checksum") {
                StoreError::Corrupt(format!("{key}: S3 checksum mismatch"))
            } else {
                StoreError::Remote {
                    code: "aws-unreachable",
                    detail: format!("s3:GetObject {key}: body: {e}"),
                    retryable: true,
                }
            }
        })?;
        let bytes = body.into_bytes().to_vec();
        if expected.is_empty() {
            return Err(StoreError::Corrupt(format!("{key}: no sha256 metadata")));
        }
        let actual = hex::encode(Sha256::digest(&bytes));
        if !actual.eq_ignore_ascii_case(&expected) {
            tracing::warn!(key = %key, "S3 evidence object fails its SHA-256 check");
            return Err(StoreError::Corrupt(format!(
                "{key}: SHA-256 differs from the stored one"
            )));
        }
        Ok(bytes)
    }

    fn delete(&self, key: &EvidenceKey) -> Result<bool, StoreError> {
        if self.head(key)?.is_none() {
            return Ok(false);
        }
        let request = self
            .ctx
            .s3
            .delete_object()
            .bucket(&self.bucket)
            .key(self.object_key(key));
        self.ctx
            .block_on(request.send())
            .map_err(|e| AwsError::from_sdk("s3:DeleteObject", &e))?;
        tracing::debug!(key = %key, "evidence deleted from S3");
        Ok(true)
    }

    fn list(&self) -> Result<Vec<EvidenceKey>, StoreError> {
        self.list_under("")
    }

    /// One ListObjectsV2 prefix (`{key prefix}{prefix}`), every page.
    fn list_under(&self, prefix: &str) -> Result<Vec<EvidenceKey>, StoreError> {
        let mut keys = Vec::new();
        let mut foreign = 0usize;
        let mut token: Option<String> = None;
        let full_prefix = format!("{}{prefix}", self.prefix);
        loop {
            let request = self
                .ctx
                .s3
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(&full_prefix)
                .set_continuation_token(token.take());
            let out = self
                .ctx
                .block_on(request.send())
                .map_err(|e| AwsError::from_sdk("s3:ListObjectsV2", &e))?;
            for object in out.contents() {
                let parsed = object
                    .key()
                    .and_then(|k| k.strip_prefix(self.prefix.as_str()))
                    .and_then(|k| EvidenceKey::parse(k).ok());
                match parsed {
                    Some(key) => keys.push(key),
                    None => foreign += 1,
                }
            }
            match (
                out.is_truncated() == Some(true),
                out.next_continuation_token(),
            ) {
                (true, Some(next)) => token = Some(next.to_owned()),
                (true, None) => {
                    return Err(StoreError::Remote {
                        code: "aws-service",
                        detail: "s3:ListObjectsV2: truncated listing without a continuation token"
                            .into(),
                        retryable: true,
                    });
                }
                (false, _) => break,
            }
        }
        if foreign > 0 {
            tracing::debug!(
                foreign,
                "objects under the prefix that are not evidence keys skipped"
            );
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_follow_the_extension() -> Result<(), Box<dyn std::error::Error>> {
        let id = uuid::Uuid::now_v7();
        assert_eq!(
            content_type(&EvidenceKey::document(&id, "document.jpg")?),
            "image/jpeg"
        );
        assert_eq!(
            content_type(&EvidenceKey::document(&id, "document.PNG")?),
            "image/png"
        );
        assert_eq!(
            content_type(&EvidenceKey::document(&id, "document.bin")?),
            "application/octet-stream"
        );
        Ok(())
    }
}
