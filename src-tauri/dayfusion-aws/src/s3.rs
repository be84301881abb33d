//! Evidence in S3: [`S3EvidenceStore`] implements the flow's
//! [`EvidenceStore`] over the evidence bucket, with presigned GET URLs for
//! staff review.
//!
//! Objects live at `{key_prefix}{kiosk id}/{evidence key}`
//! (`dayfusion/kiosk-001/documents/…`): each kiosk has its own folder, which
//! the IAM policy binds to a tag of the kiosk's identity (its IAM Roles
//! Anywhere certificate or its own role), so one kiosk cannot read or
//! delete another's evidence. A kiosk id that is not its identity's tag
//! gets `aws-access-denied`, with a hint to run `dayfusion doctor`.
//! Listings return evidence keys without the kiosk folder.
//!
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

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
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

/// How many objects written by this process a store remembers (object key,
/// SHA-256, version) so Rekognition can be pointed at them.
const REMEMBERED_OBJECTS: usize = 64;

/// An object this store wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// The S3 object key (`dayfusion/kiosk-001/documents/…`).
    pub object_key: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
    /// The version S3 gave it (versioned buckets only).
    pub version_id: Option<String>,
}

/// The evidence store over the S3 bucket of the settings, in the kiosk's
/// folder.
#[derive(Debug, Clone)]
pub struct S3EvidenceStore {
    ctx: Arc<AwsContext>,
    bucket: String,
    /// `{key_prefix}{kiosk id}/`.
    prefix: String,
    kiosk: String,
    /// The latest objects written (shared by clones).
    written: Arc<Mutex<VecDeque<StoredObject>>>,
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
    /// The store over `ctx`'s bucket, in the folder of `ctx`'s kiosk
    /// ([`AwsSettings::kiosk_prefix`]); a configuration error when no bucket
    /// or no kiosk id is set.
    pub fn new(ctx: Arc<AwsContext>) -> AwsResult<S3EvidenceStore> {
        let bucket = ctx.settings.require_bucket()?.to_owned();
        let prefix = ctx.settings.kiosk_prefix()?;
        let kiosk = ctx.settings.kiosk_id.clone().unwrap_or_default();
        Ok(S3EvidenceStore {
            ctx,
            bucket,
            prefix,
            kiosk,
            written: Arc::new(Mutex::new(VecDeque::new())),
        })
    }

    /// The kiosk whose folder this store uses.
    pub fn kiosk(&self) -> &str {
        &self.kiosk
    }

    /// The kiosk's folder, `{key_prefix}{kiosk id}/`.
    pub fn kiosk_prefix(&self) -> &str {
        &self.prefix
    }

    /// An SDK failure of `operation` on `key`; a refusal names the kiosk's
    /// folder and what to check, since the usual cause is a kiosk id that
    /// is not the identity's kiosk tag.
    fn sdk_error<E, R>(&self, operation: &'static str, key: &str, err: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let error = AwsError::from_sdk(operation, err);
        if error.code() == "aws-access-denied" {
            tracing::warn!(
                operation,
                kiosk = %self.kiosk,
                "S3 refused the kiosk's folder: is the kiosk id its identity's tag?"
            );
            error.with_hint(&format!(
                "{key}: the kiosk may use only s3://{}/{}*; check that the kiosk id {:?} \
                 is the kiosk tag of its AWS identity (its certificate's CN with IAM Roles \
                 Anywhere), then run `dayfusion doctor`",
                self.bucket, self.prefix, self.kiosk
            ))
        } else {
            error
        }
    }

    /// Remembers an object written now.
    fn remember(&self, object: StoredObject) {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.retain(|o| o.object_key != object.object_key);
        if written.len() >= REMEMBERED_OBJECTS {
            written.pop_front();
        }
        written.push_back(object);
    }

    /// The latest object this store wrote (in this process, among the
    /// latest 64) that `matches`.
    fn remembered(&self, matches: impl Fn(&StoredObject) -> bool) -> Option<StoredObject> {
        let written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.iter().rev().find(|o| matches(o)).cloned()
    }

    /// The object this store wrote (in this process, among the latest 64)
    /// with these bytes, by their hex SHA-256.
    pub fn written_with_sha256(&self, sha256: &str) -> Option<StoredObject> {
        self.remembered(|o| o.sha256.eq_ignore_ascii_case(sha256))
    }

    /// The version S3 gave the object under `key` when this store wrote it
    /// (versioned buckets; `None` otherwise or when not remembered).
    pub fn written_version(&self, key: &EvidenceKey) -> Option<String> {
        let object_key = self.object_key(key);
        self.remembered(|o| o.object_key == object_key)
            .and_then(|o| o.version_id)
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The context it runs on.
    pub fn context(&self) -> &Arc<AwsContext> {
        &self.ctx
    }

    /// The S3 object key of an evidence key
    /// (`dayfusion/kiosk-001/documents/…`).
    pub fn object_key(&self, key: &EvidenceKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }

    /// The evidence key of an S3 object key of this kiosk's folder.
    pub fn evidence_key(&self, object_key: &str) -> Option<EvidenceKey> {
        object_key
            .strip_prefix(self.prefix.as_str())
            .and_then(|k| EvidenceKey::parse(k).ok())
    }

    /// Keeps the local audit chain's head outside the kiosk:
    /// `{key_prefix}{kiosk id}/audit-heads/{kiosk}/{events:012}.json` (the
    /// event count, the
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
                    .map_err(|e| StoreError::from(self.sdk_error("s3:GetObject", &key, &e)))?;
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
            Err(err) => Err(self.sdk_error("s3:PutObject", &key, &err).into()),
        }
    }

    /// The `sha256` metadata of the object under `key`: `None` when there is
    /// no object, `Some("")` when the object has no such metadata (not
    /// written by a kiosk).
    pub fn head(&self, key: &EvidenceKey) -> AwsResult<Option<String>> {
        let object_key = self.object_key(key);
        let request = self
            .ctx
            .s3
            .head_object()
            .bucket(&self.bucket)
            .key(&object_key);
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
            Err(err) => Err(self.sdk_error("s3:HeadObject", &object_key, &err)),
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
        let object_key = self.object_key(key);
        let mut request = self
            .ctx
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&object_key)
            .if_none_match("*")
            .content_type(content_type(key))
            .content_length(i64::try_from(size).map_err(|_| StoreError::TooLarge(size))?)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .checksum_sha256(checksum)
            .metadata(SHA256_METADATA, &sha256)
            .body(ByteStream::from(bytes.to_vec()));
        request = with_encryption(request, &self.ctx.settings);
        match self.ctx.block_on(request.send()) {
            Ok(out) => {
                tracing::debug!(key = %key, size, "evidence stored in S3");
                self.remember(StoredObject {
                    object_key,
                    sha256: sha256.clone(),
                    size,
                    version_id: out.version_id().map(str::to_owned),
                });
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
            Err(err) => Err(self.sdk_error("s3:PutObject", &object_key, &err).into()),
        }
    }

    fn get(&self, key: &EvidenceKey) -> Result<Vec<u8>, StoreError> {
        let object_key = self.object_key(key);
        let request = self
            .ctx
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(&object_key)
            .checksum_mode(ChecksumMode::Enabled);
        let out = match self.ctx.block_on(request.send()) {
            Ok(out) => out,
            Err(err)
                if err.as_service_error().is_some_and(|e| e.is_no_such_key())
                    || http_status(&err) == Some(404) =>
            {
                return Err(StoreError::NotFound(key.to_string()));
            }
            Err(err) => return Err(self.sdk_error("s3:GetObject", &object_key, &err).into()),
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
        let object_key = self.object_key(key);
        let request = self
            .ctx
            .s3
            .delete_object()
            .bucket(&self.bucket)
            .key(&object_key);
        self.ctx
            .block_on(request.send())
            .map_err(|e| self.sdk_error("s3:DeleteObject", &object_key, &e))?;
        tracing::debug!(key = %key, "evidence deleted from S3");
        Ok(true)
    }

    fn list(&self) -> Result<Vec<EvidenceKey>, StoreError> {
        self.list_under("")
    }

    /// One ListObjectsV2 prefix (`{key prefix}{kiosk id}/{prefix}`), every
    /// page; the keys come back without the kiosk's folder.
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
                .map_err(|e| self.sdk_error("s3:ListObjectsV2", &full_prefix, &e))?;
            for object in out.contents() {
                let parsed = object.key().and_then(|k| self.evidence_key(k));
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
