//! Amazon Rekognition as the flow's liveness provider (Face Liveness) and
//! face matcher (DetectFaces, CompareFaces), as in the guide.
//!
//! Both adapters are synchronous: they block on the context's runtime.
//! Image bytes are never logged; liveness confidences and similarities only
//! at debug level.

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_rekognition::error::SdkError;
use aws_sdk_rekognition::operation::compare_faces::CompareFacesError;
use aws_sdk_rekognition::operation::detect_faces::DetectFacesError;
use aws_sdk_rekognition::operation::get_face_liveness_session_results::{
    GetFaceLivenessSessionResultsError, GetFaceLivenessSessionResultsOutput,
};
use aws_sdk_rekognition::primitives::Blob;
use aws_sdk_rekognition::types::{
    Attribute, AuditImage, ChallengePreference, ChallengeType,
    CreateFaceLivenessSessionRequestSettings, Image, LivenessOutputConfig, LivenessSessionStatus,
    QualityFilter, S3Object,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use dayfusion_verify::flow::MAX_DOCUMENT_BYTES;
use dayfusion_verify::policy::MOVEMENT_CHALLENGE;
use dayfusion_verify::{
    ChallengeKind, CheckRecord, EvidenceKey, FaceMatcher, LivenessOutcome, LivenessProvider,
    LivenessRequest, LivenessSessionStart, LivenessStatus, MatchResult, PixelBox, PortraitLocation,
    Provider, ProviderError,
};
use sha2::{Digest, Sha256};

use crate::context::AwsContext;
use crate::error::AwsError;
use crate::s3::S3EvidenceStore;

/// Largest image CompareFaces and DetectFaces accept as bytes (5 MB).
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Largest image CompareFaces accepts from S3 (15 MB).
pub const MAX_S3_IMAGE_BYTES: usize = 15 * 1024 * 1024;

/// Largest liveness image read back from S3 (`OutputConfig`); the real ones
/// are a few hundred kilobytes.
pub const MAX_LIVENESS_IMAGE_BYTES: u64 = 16 * 1024 * 1024;

/// Sub-folder of the kiosk's folder (`{key-prefix}{kiosk id}/`) where
/// Rekognition writes session images when `liveness-output-to-s3` is on.
pub const LIVENESS_OUTPUT_FOLDER: &str = "liveness-output/";

/// The rule recorded when the response names no challenge.
pub const LIVENESS_RULE: &str = "rekognition-face-liveness";

/// The model recorded with every CompareFaces similarity.
pub const COMPARE_MODEL: &str = "rekognition-compare-faces";

/// First wait between two polls of a session still running.
pub const DEFAULT_POLL_INITIAL: Duration = Duration::from_millis(500);

/// Longest wait between two polls.
pub const DEFAULT_POLL_CAP: Duration = Duration::from_secs(5);

/// Converts an SDK failure of `operation` with the shared classification.
fn sdk_error<E, R>(operation: &'static str, err: &SdkError<E, R>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    AwsError::from_sdk(operation, err).into()
}

/// `provider-invalid-result`: Rekognition answered something unusable.
fn invalid_result(operation: &'static str, detail: impl Into<String>) -> ProviderError {
    AwsError::Unexpected {
        operation,
        detail: detail.into(),
    }
    .into()
}

/// Checks a 0-100 score from the service.
fn checked_score(operation: &'static str, what: &str, value: f32) -> Result<f32, ProviderError> {
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(invalid_result(
            operation,
            format!("{what} {value} is not a number in 0-100"),
        ))
    }
}

/// JPEG or PNG, by magic bytes.
fn is_jpeg_or_png(bytes: &[u8]) -> bool {
    matches!(
        image::guess_format(bytes),
        Ok(image::ImageFormat::Jpeg | image::ImageFormat::Png)
    )
}

/// Bytes as a Rekognition image.
fn bytes_image(bytes: &[u8]) -> Image {
    Image::builder().bytes(Blob::new(bytes.to_vec())).build()
}

/// An S3 object (at `version` in a versioned bucket) as a Rekognition image.
fn s3_image(bucket: &str, name: &str, version: Option<String>) -> Image {
    Image::builder()
        .s3_object(
            S3Object::builder()
                .bucket(bucket)
                .name(name)
                .set_version(version)
                .build(),
        )
        .build()
}

/// Quality of the JPEG a too-large document is re-encoded as.
const REENCODE_QUALITY: u8 = 90;

/// `document` as a JPEG of at most `limit` bytes: the same pixels at JPEG
/// quality 90, scaled down by steps of 3/4 while that is still too large.
/// Rekognition's boxes are ratios of the image, so they hold for the
/// original too.
pub fn jpeg_within(document: &[u8], limit: usize) -> Result<Vec<u8>, ProviderError> {
    let unreadable =
        |e: image::ImageError| ProviderError::new("document-not-an-image", e.to_string(), true);
    let mut image = image::load_from_memory(document)
        .map_err(unreadable)?
        .to_rgb8();
    loop {
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, REENCODE_QUALITY)
            .encode_image(&image)
            .map_err(unreadable)?;
        if jpeg.len() <= limit {
            return Ok(jpeg);
        }
        let (w, h) = image.dimensions();
        if w.min(h) < 200 {
            return Err(ProviderError::new(
                "document-too-large",
                format!("{} bytes even re-encoded as JPEG", jpeg.len()),
                true,
            ));
        }
        image = image::imageops::resize(
            &image,
            w / 4 * 3,
            h / 4 * 3,
            image::imageops::FilterType::Triangle,
        );
    }
}

/// `document` as bytes Rekognition accepts (at most [`MAX_IMAGE_BYTES`]):
/// itself, or re-encoded ([`jpeg_within`]).
fn document_bytes(document: &[u8]) -> Result<Cow<'_, [u8]>, ProviderError> {
    if document.len() <= MAX_IMAGE_BYTES {
        return Ok(Cow::Borrowed(document));
    }
    let jpeg = jpeg_within(document, MAX_IMAGE_BYTES)?;
    tracing::debug!(
        original = document.len(),
        sent = jpeg.len(),
        "document re-encoded under Rekognition's 5 MB limit for bytes"
    );
    Ok(Cow::Owned(jpeg))
}

/// A client request token as Rekognition accepts it: 1-64 of `[A-Za-z0-9_-]`.
fn valid_token(token: &str) -> bool {
    (1..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

// ---------------------------------------------------------------------------
// Liveness
// ---------------------------------------------------------------------------

/// Rekognition Face Liveness as a [`LivenessProvider`]: the kiosk creates
/// the session, the capture UI (Amplify's `FaceLivenessDetector`) runs it,
/// and the flow reads the result and the images here.
///
/// A session still `CREATED` or `IN_PROGRESS` is polled with exponential
/// backoff (500 ms doubling up to 5 s) until `results-wait-s` has passed.
pub struct RekognitionLiveness {
    ctx: Arc<AwsContext>,
    poll_initial: Duration,
    poll_cap: Duration,
    wait: Duration,
    /// The sessions this provider asked the movement-only challenge for:
    /// their results say so whatever the answer reports.
    movement_only: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl std::fmt::Debug for RekognitionLiveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekognitionLiveness")
            .field("poll_initial", &self.poll_initial)
            .field("poll_cap", &self.poll_cap)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl RekognitionLiveness {
    /// A provider on `ctx`, waiting up to `results_wait_s` for unfinished
    /// sessions.
    pub fn new(ctx: Arc<AwsContext>) -> Self {
        let wait = Duration::from_secs(ctx.settings.results_wait_s);
        RekognitionLiveness {
            ctx,
            poll_initial: DEFAULT_POLL_INITIAL,
            poll_cap: DEFAULT_POLL_CAP,
            wait,
            movement_only: std::sync::Mutex::new(std::collections::HashSet::new()),
        }
    }

    /// Sets the polling backoff: first wait `initial` (at least 1 ms),
    /// doubling up to `cap`.
    #[must_use]
    pub fn with_poll(mut self, initial: Duration, cap: Duration) -> Self {
        self.poll_initial = initial.max(Duration::from_millis(1));
        self.poll_cap = cap.max(self.poll_initial);
        self
    }

    /// Sets the longest wait for an unfinished session (instead of
    /// `results-wait-s`).
    #[must_use]
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// Creates a session with `token` as its `ClientRequestToken` (a fresh
    /// UUID v4 when `None`). A caller retrying a creation whose answer was
    /// lost passes the same token and gets the same session back; the SDK's
    /// own retries resend the same request, token included.
    pub fn create_session_with_token(
        &self,
        token: Option<&str>,
    ) -> Result<LivenessSessionStart, ProviderError> {
        self.create_session_of(token, ChallengeKind::MovementAndLight)
    }

    /// [`Self::create_session_with_token`] asking `challenge`: Rekognition's
    /// `FaceMovementAndLightChallenge`, or `FaceMovementChallenge` (no
    /// flashing colours).
    pub fn create_session_of(
        &self,
        token: Option<&str>,
        challenge: ChallengeKind,
    ) -> Result<LivenessSessionStart, ProviderError> {
        const OP: &str = "rekognition:CreateFaceLivenessSession";
        let token = match token {
            Some(t) if valid_token(t) => t.to_owned(),
            Some(_) => {
                return Err(ProviderError::new(
                    "aws-request-invalid",
                    "client request token must be 1-64 letters, digits, - or _",
                    false,
                ));
            }
            None => uuid::Uuid::new_v4().to_string(),
        };
        let settings = &self.ctx.settings;
        let preference = ChallengePreference::builder()
            .r#type(match challenge {
                ChallengeKind::MovementAndLight => ChallengeType::FaceMovementAndLightChallenge,
                ChallengeKind::Movement => ChallengeType::FaceMovementChallenge,
            })
            .build()
            .map_err(|e| ProviderError::new("aws-request-invalid", e.to_string(), false))?;
        let mut session_settings = CreateFaceLivenessSessionRequestSettings::builder()
            .audit_images_limit(i32::from(settings.audit_images_limit))
            .challenge_preferences(preference);
        if settings.liveness_output_to_s3 {
            let bucket = settings.require_bucket().map_err(ProviderError::from)?;
            let kiosk_prefix = settings.kiosk_prefix().map_err(ProviderError::from)?;
            let output = LivenessOutputConfig::builder()
                .s3_bucket(bucket)
                .s3_key_prefix(format!("{kiosk_prefix}{LIVENESS_OUTPUT_FOLDER}"))
                .build()
                .map_err(|e| ProviderError::new("aws-request-invalid", e.to_string(), false))?;
            session_settings = session_settings.output_config(output);
        }
        let request = self
            .ctx
            .rekognition
            .create_face_liveness_session()
            .settings(session_settings.build())
            // The key encrypts the images Rekognition writes to the bucket;
            // without that output it has nothing to encrypt (and the kiosk
            // role may use the key only through S3).
            .set_kms_key_id(
                settings
                    .liveness_output_to_s3
                    .then(|| settings.kms_key_id.clone())
                    .flatten(),
            )
            .client_request_token(token);
        let output = self
            .ctx
            .block_on(request.send())
            .map_err(|e| sdk_error(OP, &e))?;
        let session_id = output.session_id();
        if uuid::Uuid::try_parse(session_id).is_err() {
            return Err(invalid_result(OP, "the session id is not a UUID"));
        }
        tracing::info!(session_id, "liveness session created");
        if challenge == ChallengeKind::Movement {
            self.movement_only
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(session_id.to_owned());
        }
        Ok(LivenessSessionStart {
            session_id: session_id.to_owned(),
            provider: Provider::Aws,
        })
    }

    /// Reads the session until it is finished or the wait is over.
    async fn finished_results(
        &self,
        session_id: &str,
    ) -> Result<GetFaceLivenessSessionResultsOutput, ProviderError> {
        const OP: &str = "rekognition:GetFaceLivenessSessionResults";
        let deadline = Instant::now() + self.wait;
        let mut delay = self.poll_initial;
        let mut polls = 0u32;
        loop {
            polls += 1;
            let output = self
                .ctx
                .rekognition
                .get_face_liveness_session_results()
                .session_id(session_id)
                .send()
                .await
                .map_err(|e| results_error(&e))?;
            match output.status() {
                LivenessSessionStatus::Created | LivenessSessionStatus::InProgress => {}
                _ => return Ok(output),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ProviderError::new(
                    "liveness-session-not-finished",
                    format!(
                        "{OP}: session still {} after {polls} polls ({} s)",
                        output.status().as_str(),
                        self.wait.as_secs_f32()
                    ),
                    true,
                ));
            }
            tracing::debug!(
                session_id,
                status = output.status().as_str(),
                "liveness session not finished, polling"
            );
            tokio::time::sleep(delay.min(deadline - now)).await;
            delay = (delay * 2).min(self.poll_cap);
        }
    }

    /// The bytes of a session image: inline, or read from S3 when
    /// Rekognition wrote it there (`OutputConfig`).
    async fn image_bytes(&self, image: &AuditImage, what: &str) -> Result<Vec<u8>, ProviderError> {
        const OP: &str = "rekognition:GetFaceLivenessSessionResults";
        let bytes = if let Some(blob) = image.bytes() {
            blob.as_ref().to_vec()
        } else if let Some(object) = image.s3_object() {
            let (Some(bucket), Some(name)) = (object.bucket(), object.name()) else {
                return Err(invalid_result(
                    OP,
                    format!("{what}: S3 object without bucket or name"),
                ));
            };
            if let Some(ours) = self.ctx.settings.bucket.as_deref()
                && ours != bucket
            {
                return Err(invalid_result(
                    OP,
                    format!("{what}: written to bucket {bucket}, not the configured one"),
                ));
            }
            self.s3_bytes(bucket, name, object.version()).await?
        } else {
            return Err(invalid_result(
                OP,
                format!("{what}: neither bytes nor S3 object"),
            ));
        };
        if !is_jpeg_or_png(&bytes) {
            return Err(invalid_result(
                OP,
                format!("{what}: not a JPEG or PNG image"),
            ));
        }
        Ok(bytes)
    }

    /// Reads one liveness image from S3.
    async fn s3_bytes(
        &self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Result<Vec<u8>, ProviderError> {
        const OP: &str = "s3:GetObject";
        let output = self
            .ctx
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
            .map_err(|e| sdk_error(OP, &e))?;
        let length = output.content_length().unwrap_or(0);
        if u64::try_from(length).unwrap_or(0) > MAX_LIVENESS_IMAGE_BYTES {
            return Err(invalid_result(OP, format!("{key}: {length} bytes")));
        }
        let data = output.body.collect().await.map_err(|e| {
            ProviderError::from(AwsError::Call {
                operation: OP,
                code: "aws-unreachable",
                detail: format!("{key}: {e}"),
                retryable: true,
            })
        })?;
        let bytes = data.into_bytes();
        if bytes.len() as u64 > MAX_LIVENESS_IMAGE_BYTES {
            return Err(invalid_result(OP, format!("{key}: {} bytes", bytes.len())));
        }
        Ok(bytes.to_vec())
    }

    async fn results(&self, session_id: &str) -> Result<LivenessOutcome, ProviderError> {
        const OP: &str = "rekognition:GetFaceLivenessSessionResults";
        let output = self.finished_results(session_id).await?;
        let answered = output.session_id();
        let outcome_id = if answered.is_empty() {
            session_id.to_owned()
        } else {
            answered.to_owned()
        };
        let confidence = output
            .confidence()
            .map(|c| checked_score(OP, "confidence", c))
            .transpose()?;
        let rule = match output.challenge() {
            Some(c) => format!("{LIVENESS_RULE}/{}/{}", c.r#type().as_str(), c.version()),
            None => LIVENESS_RULE.to_owned(),
        };
        let base = LivenessOutcome {
            provider: Provider::Aws,
            session_id: outcome_id,
            status: LivenessStatus::Failed,
            confidence: confidence.unwrap_or(0.0),
            // Only an answer that names the light challenge, for a session
            // not asked without it, has one: anything else (the movement-only
            // challenge, no challenge named, an unknown one) counts as
            // movement only, which the policy sends to a person.
            assurance: if matches!(
                output.challenge().map(|c| c.r#type()),
                Some(ChallengeType::FaceMovementAndLightChallenge)
            ) && !self
                .movement_only
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .contains(session_id)
            {
                "challenge"
            } else {
                MOVEMENT_CHALLENGE
            }
            .to_owned(),
            rule,
            failure: None,
            checks: Vec::new(),
            // The webview's camera; Rekognition does not say which.
            camera: None,
            reference_image: None,
            audit_images: Vec::new(),
        };
        match output.status() {
            LivenessSessionStatus::Succeeded => {
                let Some(confidence) = confidence else {
                    return Err(invalid_result(OP, "SUCCEEDED without a confidence"));
                };
                tracing::debug!(session_id, confidence, "liveness session succeeded");
                let reference_image = match output.reference_image() {
                    Some(image) => Some(self.image_bytes(image, "reference image").await?),
                    None => None,
                };
                let mut audit_images = Vec::with_capacity(output.audit_images().len());
                for (i, image) in output.audit_images().iter().enumerate() {
                    audit_images.push(self.image_bytes(image, &format!("audit image {i}")).await?);
                }
                tracing::info!(
                    session_id,
                    reference = reference_image.is_some(),
                    audit_images = audit_images.len(),
                    "liveness session results read"
                );
                Ok(LivenessOutcome {
                    status: LivenessStatus::Succeeded,
                    checks: vec![CheckRecord {
                        check: "rekognition".to_owned(),
                        outcome: if confidence >= 50.0 {
                            "passed"
                        } else {
                            "failed"
                        }
                        .to_owned(),
                        score: Some(confidence),
                        reason: "rekognition-confidence".to_owned(),
                    }],
                    reference_image,
                    audit_images,
                    ..base
                })
            }
            LivenessSessionStatus::Failed => {
                tracing::info!(session_id, "liveness session failed");
                Ok(LivenessOutcome {
                    status: LivenessStatus::Failed,
                    failure: Some("session-failed".to_owned()),
                    checks: vec![CheckRecord {
                        check: "rekognition".to_owned(),
                        outcome: "failed".to_owned(),
                        score: confidence,
                        reason: "rekognition-session-failed".to_owned(),
                    }],
                    ..base
                })
            }
            LivenessSessionStatus::Expired => {
                tracing::info!(session_id, "liveness session expired");
                Ok(LivenessOutcome {
                    status: LivenessStatus::Expired,
                    failure: Some("session-expired".to_owned()),
                    checks: vec![CheckRecord {
                        check: "rekognition".to_owned(),
                        outcome: "not-applicable".to_owned(),
                        score: None,
                        reason: "rekognition-session-expired".to_owned(),
                    }],
                    ..base
                })
            }
            other => Err(invalid_result(
                OP,
                format!("unknown session status {}", other.as_str()),
            )),
        }
    }
}

/// GetFaceLivenessSessionResults failures: an unknown session is the
/// caller's problem, the rest goes through the shared classification.
fn results_error<R: std::fmt::Debug>(
    err: &SdkError<GetFaceLivenessSessionResultsError, R>,
) -> ProviderError {
    const OP: &str = "rekognition:GetFaceLivenessSessionResults";
    match err.as_service_error() {
        Some(GetFaceLivenessSessionResultsError::SessionNotFoundException(e)) => {
            ProviderError::new(
                "liveness-session-invalid",
                format!(
                    "{OP}: SessionNotFoundException: {}",
                    e.message().unwrap_or_default()
                ),
                false,
            )
        }
        _ => sdk_error(OP, err),
    }
}

impl LivenessProvider for RekognitionLiveness {
    fn provider(&self) -> Provider {
        Provider::Aws
    }

    /// A new session with a fresh `ClientRequestToken`.
    fn create_session(&self) -> Result<LivenessSessionStart, ProviderError> {
        self.create_session_with_token(None)
    }

    fn supports(&self, _challenge: ChallengeKind) -> bool {
        true
    }

    fn forget(&self, session_id: &str) {
        self.movement_only
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(session_id);
    }

    /// Amplify's detector speaks the webview's language: `locale` is not
    /// Rekognition's.
    fn create_session_for(
        &self,
        request: &LivenessRequest,
    ) -> Result<LivenessSessionStart, ProviderError> {
        self.create_session_of(None, request.challenge)
    }

    /// The finished session: SUCCEEDED with its images, FAILED or EXPIRED
    /// without (no images are read for them).
    fn session_results(&self, session_id: &str) -> Result<LivenessOutcome, ProviderError> {
        if uuid::Uuid::try_parse(session_id).is_err() {
            return Err(ProviderError::new(
                "liveness-session-invalid",
                "a Rekognition session id is a UUID",
                false,
            ));
        }
        self.ctx.block_on(self.results(session_id))
    }
}

// ---------------------------------------------------------------------------
// Matcher
// ---------------------------------------------------------------------------

/// Rekognition as a [`FaceMatcher`]: DetectFaces finds the portrait on the
/// document, CompareFaces compares the live face (source) with the document
/// (target), as the guide does.
///
/// **Inputs.** With the S3 evidence store attached
/// ([`RekognitionMatcher::evidence_in`]), both read the stored objects from
/// the bucket (`S3Object`, at the version S3 gave them in a versioned
/// bucket): DetectFaces when the document it is given was stored by that
/// store, CompareFaces with `compare-input = s3-object`. Otherwise they get
/// bytes, at most 5 MB: a larger document (the flow accepts 25 MB scans) is
/// re-encoded as a JPEG under the limit ([`jpeg_within`]). CompareFaces
/// runs with the configured `QualityFilter`, NONE by default.
///
/// **Threshold.** CompareFaces leaves out of `FaceMatches` every face below
/// its `SimilarityThreshold`, so asking with the policy's pass line would
/// hide the similarities of the REVIEW band (up to 30 points below it).
/// The matcher therefore always asks with `SimilarityThreshold = 0`
/// ([`RekognitionMatcher::request_threshold`]): every face Rekognition
/// compares comes back with its similarity and the policy alone decides.
/// The policy's pass line is kept for the debug log only.
pub struct RekognitionMatcher {
    ctx: Arc<AwsContext>,
    similarity_threshold: f32,
    evidence: Option<S3EvidenceStore>,
}

impl std::fmt::Debug for RekognitionMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekognitionMatcher")
            .field("similarity_threshold", &self.similarity_threshold)
            .field(
                "evidence_in",
                &self.evidence.as_ref().map(S3EvidenceStore::kiosk_prefix),
            )
            .finish_non_exhaustive()
    }
}

/// Which of the two CompareFaces images a problem is about.
#[derive(Clone, Copy)]
enum Side {
    /// The live face (source).
    Face,
    /// The document (target).
    Document,
}

impl RekognitionMatcher {
    /// A matcher on `ctx` for a policy whose similarity pass line is
    /// `similarity_threshold` (0-100). Evidence is sent as bytes until
    /// [`RekognitionMatcher::evidence_in`] names the store it is in.
    pub fn new(ctx: Arc<AwsContext>, similarity_threshold: f32) -> Self {
        RekognitionMatcher {
            ctx,
            similarity_threshold,
            evidence: None,
        }
    }

    /// The evidence lives in `store` (the flow's S3 evidence store): with
    /// `compare-input = s3-object` [`FaceMatcher::compare_stored`] names its
    /// objects (the store's full keys, kiosk folder included) instead of
    /// sending their bytes, and DetectFaces reads a document the store
    /// wrote from the bucket.
    #[must_use]
    pub fn evidence_in(mut self, store: &S3EvidenceStore) -> Self {
        self.evidence = Some(store.clone());
        self
    }

    /// What DetectFaces reads for `document`: the object the evidence store
    /// wrote with these bytes (at its version), else the bytes, re-encoded
    /// when over 5 MB.
    fn detect_input(&self, document: &[u8]) -> Result<Image, ProviderError> {
        if let Some(store) = &self.evidence
            && document.len() <= MAX_S3_IMAGE_BYTES
        {
            let sha256 = hex::encode(Sha256::digest(document));
            if let Some(object) = store.written_with_sha256(&sha256) {
                tracing::debug!("DetectFaces reads the stored document from S3");
                return Ok(s3_image(
                    store.bucket(),
                    &object.object_key,
                    object.version_id,
                ));
            }
        }
        Ok(bytes_image(&document_bytes(document)?))
    }

    /// The policy's similarity pass line given at construction.
    pub fn similarity_threshold(&self) -> f32 {
        self.similarity_threshold
    }

    /// The `SimilarityThreshold` sent to CompareFaces: always 0 (see the
    /// type's documentation).
    pub fn request_threshold(&self) -> f32 {
        0.0
    }

    /// The configured `QualityFilter`.
    fn quality_filter(&self) -> Result<QualityFilter, ProviderError> {
        QualityFilter::try_parse(&self.ctx.settings.quality_filter).map_err(|_| {
            ProviderError::from(AwsError::Config(format!(
                "quality-filter {}: use NONE, AUTO, LOW, MEDIUM or HIGH",
                self.ctx.settings.quality_filter
            )))
        })
    }

    /// Refuses what CompareFaces would refuse: not JPEG/PNG, or too large.
    fn check_input(side: Side, bytes: &[u8], limit: usize) -> Result<(), ProviderError> {
        let (too_large, invalid) = match side {
            Side::Face => ("face-image-too-large", "face-image-invalid"),
            Side::Document => ("document-too-large", "document-not-an-image"),
        };
        if bytes.len() > limit {
            return Err(ProviderError::new(
                too_large,
                format!("{} bytes (at most {limit})", bytes.len()),
                true,
            ));
        }
        if !is_jpeg_or_png(bytes) {
            return Err(ProviderError::new(invalid, "not a JPEG or PNG image", true));
        }
        Ok(())
    }

    /// CompareFaces on two images (source: the live face, target: the
    /// document).
    fn compare_images(&self, face: Image, document: Image) -> Result<MatchResult, ProviderError> {
        const OP: &str = "rekognition:CompareFaces";
        let request = self
            .ctx
            .rekognition
            .compare_faces()
            .source_image(face)
            .target_image(document)
            .similarity_threshold(self.request_threshold())
            .quality_filter(self.quality_filter()?);
        let output = self
            .ctx
            .block_on(request.send())
            .map_err(|e| compare_error(&e))?;
        let mut best: Option<f32> = None;
        for m in output.face_matches() {
            let Some(s) = m.similarity() else {
                return Err(invalid_result(OP, "a face match without a similarity"));
            };
            let s = checked_score(OP, "similarity", s)?;
            best = Some(best.map_or(s, |b| b.max(s)));
        }
        let similarity = match best {
            Some(s) => s,
            None if !output.unmatched_faces().is_empty() => 0.0,
            None => {
                // A face in the source, none compared in the target.
                return Err(ProviderError::new(
                    "document-no-face",
                    format!("{OP}: no face in the target image"),
                    true,
                ));
            }
        };
        tracing::debug!(
            similarity,
            pass_line = self.similarity_threshold,
            matched = similarity >= self.similarity_threshold,
            faces = output.face_matches().len() + output.unmatched_faces().len(),
            "faces compared"
        );
        Ok(MatchResult {
            similarity,
            model: COMPARE_MODEL.to_owned(),
        })
    }
}

/// CompareFaces failures as `face-…`/`document-…` codes where the image is
/// the problem.
fn compare_error<R: std::fmt::Debug>(err: &SdkError<CompareFacesError, R>) -> ProviderError {
    const OP: &str = "rekognition:CompareFaces";
    match err.as_service_error() {
        Some(CompareFacesError::InvalidParameterException(e)) => {
            let message = e.message().unwrap_or_default();
            let lower = message.to_lowercase();
            let code = if lower.contains("target") {
                "document-no-face"
            } else {
                "face-no-face"
            };
            ProviderError::new(
                code,
                format!("{OP}: InvalidParameterException: {message}"),
                true,
            )
        }
        Some(CompareFacesError::ImageTooLargeException(e)) => ProviderError::new(
            "face-image-too-large",
            format!(
                "{OP}: ImageTooLargeException: {}",
                e.message().unwrap_or_default()
            ),
            true,
        ),
        Some(CompareFacesError::InvalidImageFormatException(e)) => ProviderError::new(
            "face-image-invalid",
            format!(
                "{OP}: InvalidImageFormatException: {}",
                e.message().unwrap_or_default()
            ),
            true,
        ),
        Some(CompareFacesError::InvalidS3ObjectException(e)) => ProviderError::new(
            "aws-not-found",
            format!(
                "{OP}: InvalidS3ObjectException: {}",
                e.message().unwrap_or_default()
            ),
            false,
        ),
        _ => sdk_error(OP, err),
    }
}

/// DetectFaces failures on the document photo.
fn detect_error<R: std::fmt::Debug>(err: &SdkError<DetectFacesError, R>) -> ProviderError {
    const OP: &str = "rekognition:DetectFaces";
    match err.as_service_error() {
        Some(DetectFacesError::InvalidImageFormatException(e)) => ProviderError::new(
            "document-not-an-image",
            format!(
                "{OP}: InvalidImageFormatException: {}",
                e.message().unwrap_or_default()
            ),
            true,
        ),
        Some(DetectFacesError::ImageTooLargeException(e)) => ProviderError::new(
            "document-too-large",
            format!(
                "{OP}: ImageTooLargeException: {}",
                e.message().unwrap_or_default()
            ),
            true,
        ),
        Some(DetectFacesError::InvalidParameterException(e)) => ProviderError::new(
            "document-no-portrait",
            format!(
                "{OP}: InvalidParameterException: {}",
                e.message().unwrap_or_default()
            ),
            true,
        ),
        _ => sdk_error(OP, err),
    }
}

/// A ratio box (0-1 of the image) in pixels, clipped to the image;
/// `None` when nothing of it is inside.
fn pixel_box(
    left: f32,
    top: f32,
    width: f32,
    height: f32,
    image_width: u32,
    image_height: u32,
) -> Option<PixelBox> {
    if ![left, top, width, height].iter().all(|v| v.is_finite()) || width <= 0.0 || height <= 0.0 {
        return None;
    }
    let (w, h) = (image_width as f32, image_height as f32);
    let x0 = (left * w).clamp(0.0, w);
    let y0 = (top * h).clamp(0.0, h);
    let x1 = ((left + width) * w).clamp(0.0, w);
    let y1 = ((top + height) * h).clamp(0.0, h);
    (x1 > x0 && y1 > y0).then_some(PixelBox {
        x: x0,
        y: y0,
        width: x1 - x0,
        height: y1 - y0,
    })
}

impl FaceMatcher for RekognitionMatcher {
    fn provider(&self) -> Provider {
        Provider::Aws
    }

    /// DetectFaces on the document; the largest face, in the document's
    /// pixels (boxes reaching past the edges are clipped), rotation 0.
    fn locate_portrait(&self, document: &[u8]) -> Result<PortraitLocation, ProviderError> {
        const OP: &str = "rekognition:DetectFaces";
        Self::check_input(Side::Document, document, MAX_DOCUMENT_BYTES)?;
        let (width, height) = image::ImageReader::new(Cursor::new(document))
            .with_guessed_format()
            .map_err(|e| ProviderError::new("document-not-an-image", e.to_string(), true))?
            .into_dimensions()
            .map_err(|e| ProviderError::new("document-not-an-image", e.to_string(), true))?;
        if width == 0 || height == 0 {
            return Err(ProviderError::new(
                "document-not-an-image",
                "empty image",
                true,
            ));
        }
        let request = self
            .ctx
            .rekognition
            .detect_faces()
            .image(self.detect_input(document)?)
            .attributes(Attribute::Default);
        let output = self
            .ctx
            .block_on(request.send())
            .map_err(|e| detect_error(&e))?;
        let largest = output
            .face_details()
            .iter()
            .filter_map(|face| {
                let b = face.bounding_box()?;
                pixel_box(b.left()?, b.top()?, b.width()?, b.height()?, width, height)
            })
            .max_by(|a, b| (a.width * a.height).total_cmp(&(b.width * b.height)));
        let Some(face_box) = largest else {
            return Err(ProviderError::new(
                "document-no-portrait",
                format!(
                    "{OP}: no face on the document ({} detections)",
                    output.face_details().len()
                ),
                true,
            ));
        };
        tracing::debug!(
            faces = output.face_details().len(),
            "document portrait located"
        );
        Ok(PortraitLocation {
            face_box,
            rotation_degrees: 0,
        })
    }

    /// CompareFaces with the bytes of both images (a document over 5 MB
    /// re-encoded under the limit).
    fn compare(&self, document: &[u8], face: &[u8]) -> Result<MatchResult, ProviderError> {
        Self::check_input(Side::Face, face, MAX_IMAGE_BYTES)?;
        Self::check_input(Side::Document, document, MAX_DOCUMENT_BYTES)?;
        let document = document_bytes(document)?;
        self.compare_images(bytes_image(face), bytes_image(&document))
    }

    /// With `compare-input = s3-object` and evidence in the S3 store, names
    /// both objects (the store's keys, `{key-prefix}{kiosk id}/…`, at the
    /// versions S3 gave them) as the guide does; otherwise, or for a
    /// document over S3's 15 MB, sends the bytes.
    fn compare_stored(
        &self,
        document: (&EvidenceKey, &[u8]),
        face: (&EvidenceKey, &[u8]),
    ) -> Result<MatchResult, ProviderError> {
        let settings = &self.ctx.settings;
        let Some(store) = self
            .evidence
            .as_ref()
            .filter(|_| settings.compare_input == crate::config::CompareInput::S3Object)
        else {
            return self.compare(document.1, face.1);
        };
        Self::check_input(Side::Face, face.1, MAX_S3_IMAGE_BYTES)?;
        Self::check_input(Side::Document, document.1, MAX_DOCUMENT_BYTES)?;
        if document.1.len() > MAX_S3_IMAGE_BYTES {
            return self.compare(document.1, face.1);
        }
        let object = |key: &EvidenceKey| {
            s3_image(
                store.bucket(),
                &store.object_key(key),
                store.written_version(key),
            )
        };
        self.compare_images(object(face.0), object(document.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_boxes_become_clipped_pixel_boxes() {
        let b = pixel_box(0.25, 0.5, 0.5, 0.25, 200, 100);
        assert_eq!(
            b,
            Some(PixelBox {
                x: 50.0,
                y: 50.0,
                width: 100.0,
                height: 25.0
            })
        );
        let clipped = pixel_box(-0.1, 0.9, 0.3, 0.3, 100, 100);
        let close = |b: Option<PixelBox>, e: [f32; 4]| {
            b.is_some_and(|b| {
                [b.x, b.y, b.width, b.height]
                    .iter()
                    .zip(e)
                    .all(|(a, e)| (a - e).abs() < 1e-3)
            })
        };
        assert!(close(clipped, [0.0, 90.0, 20.0, 10.0]), "{clipped:?}");
        assert_eq!(pixel_box(1.2, 0.0, 0.1, 0.1, 100, 100), None);
        assert_eq!(pixel_box(f32::NAN, 0.0, 0.1, 0.1, 100, 100), None);
        assert_eq!(pixel_box(0.1, 0.0, 0.0, 0.1, 100, 100), None);
    }

    #[test]
    fn tokens_follow_rekognitions_pattern() {
        assert!(valid_token("0f8fad5b-d9cb-469f-a165-70867728950e"));
        assert!(valid_token("retry_1"));
        assert!(!valid_token(""));
        assert!(!valid_token("has space"));
        assert!(!valid_token(&"a".repeat(65)));
    }

    #[test]
    fn scores_outside_0_100_are_refused() {
        assert!(checked_score("op", "x", 50.0).is_ok());
        for bad in [f32::NAN, f32::INFINITY, -0.1, 100.1] {
            let e = checked_score("op", "x", bad).err().map(|e| e.code);
            assert_eq!(e.as_deref(), Some("provider-invalid-result"));
        }
    }
}
