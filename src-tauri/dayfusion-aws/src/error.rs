//! Errors of the AWS backend and the mapping of SDK failures to stable codes
//! (the guide's troubleshooting list among them). Details keep the service's
//! error code and message, never credentials or image bytes.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use dayfusion_verify::{ProviderError, StoreError};

/// A failure of the AWS backend.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// Settings missing or invalid (`aws.toml`, `DAYFUSION_AWS_*`).
    #[error("AWS settings: {0}")]
    Config(String),
    /// A call to AWS failed.
    #[error("{operation}: [{code}] {detail}")]
    Call {
        /// The SDK operation (`s3:PutObject`).
        operation: &'static str,
        /// Stable code (`aws-access-denied`).
        code: &'static str,
        /// Service error code and message.
        detail: String,
        /// Whether trying again later can help.
        retryable: bool,
    },
    /// AWS answered something the backend cannot use.
    #[error("{operation}: unexpected answer: {detail}")]
    Unexpected {
        /// The SDK operation.
        operation: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The local side (log, evidence store) failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AwsError {
    /// Stable code for messages and logs.
    pub fn code(&self) -> &'static str {
        match self {
            AwsError::Config(_) => "aws-config",
            AwsError::Call { code, .. } => code,
            AwsError::Unexpected { .. } => "provider-invalid-result",
            AwsError::Store(e) => e.code(),
        }
    }

    /// Whether trying again later can help.
    pub fn retryable(&self) -> bool {
        match self {
            AwsError::Call { retryable, .. } => *retryable,
            AwsError::Store(e) => matches!(
                e,
                StoreError::Remote {
                    retryable: true,
                    ..
                }
            ),
            _ => false,
        }
    }

    /// The same failure with `hint` (what to check) added to its detail.
    #[must_use]
    pub fn with_hint(self, hint: &str) -> AwsError {
        match self {
            AwsError::Call {
                operation,
                code,
                detail,
                retryable,
            } => AwsError::Call {
                operation,
                code,
                detail: format!("{detail} ({hint})"),
                retryable,
            },
            other => other,
        }
    }

    /// The message for people, in `locale`.
    pub fn message(&self, locale: &str) -> String {
        dayfusion_verify::i18n::message(self.code(), locale)
    }

    /// Classifies an SDK error of `operation`.
    pub fn from_sdk<E, R>(operation: &'static str, err: &SdkError<E, R>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let (code, retryable) = classify(err);
        let detail = match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                format!(
                    "{}: {}",
                    e.code().unwrap_or("unknown"),
                    e.message().unwrap_or_default()
                )
            }
            other => DisplayErrorContext(other).to_string(),
        };
        AwsError::Call {
            operation,
            code,
            detail,
            retryable,
        }
    }
}

impl From<AwsError> for ProviderError {
    fn from(e: AwsError) -> ProviderError {
        let retryable = e.retryable();
        ProviderError::new(e.code(), e.to_string(), retryable)
    }
}

impl From<AwsError> for StoreError {
    fn from(e: AwsError) -> StoreError {
        match e {
            AwsError::Store(inner) => inner,
            AwsError::Call {
                code: "aws-not-found",
                detail,
                ..
            } => StoreError::NotFound(detail),
            other => StoreError::Remote {
                code: other.code(),
                retryable: other.retryable(),
                detail: other.to_string(),
            },
        }
    }
}

/// Stable code and retryability of an SDK error.
pub fn classify<E, R>(err: &SdkError<E, R>) -> (&'static str, bool)
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::TimeoutError(_) => ("aws-unreachable", true),
        SdkError::DispatchFailure(d) => {
            // No credentials anywhere in the chain surfaces here too; a
            // network failure while fetching them is still a network failure.
            let text = DisplayErrorContext(err).to_string().to_lowercase();
            let no_credentials = text.contains("credentialsnotloaded")
                || text.contains("no providers in chain provided credentials");
            if no_credentials && !d.is_timeout() && !d.is_io() {
                ("aws-credentials-missing", false)
            } else {
                ("aws-unreachable", true)
            }
        }
        SdkError::ConstructionFailure(_) => {
            let text = DisplayErrorContext(err).to_string().to_lowercase();
            if text.contains("credential") {
                ("aws-credentials-missing", false)
            } else if text.contains("region") {
                ("aws-region-missing", false)
            } else {
                ("aws-request-invalid", false)
            }
        }
        SdkError::ResponseError(_) => ("aws-unreachable", true),
        SdkError::ServiceError(service) => {
            let status = service.raw_status();
            classify_code(service.err().code().unwrap_or_default(), status)
        }
        _ => {
            let text = DisplayErrorContext(err).to_string().to_lowercase();
            if text.contains("credential") {
                ("aws-credentials-missing", false)
            } else {
                ("aws-service", true)
            }
        }
    }
}

/// Trait to read the HTTP status of a service error's raw response.
trait RawStatus {
    fn raw_status(&self) -> u16;
}

impl<E, R: std::fmt::Debug> RawStatus
    for aws_smithy_runtime_api::client::result::ServiceError<E, R>
{
    fn raw_status(&self) -> u16 {
        // The raw response type is generic; its Debug output carries the
        // status line. Only used to tell 4xx from 5xx when there is no code.
        let text = format!("{:?}", self.raw());
        text.split("StatusCode(")
            .nth(1)
            .and_then(|rest| rest.get(..3))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

/// Maps a service error code (and HTTP status) to a stable code.
pub fn classify_code(code: &str, status: u16) -> (&'static str, bool) {
    match code {
        "AccessDenied" | "AccessDeniedException" | "AllAccessDisabled" | "Forbidden" => {
            ("aws-access-denied", false)
        }
        "SignatureDoesNotMatch" => ("aws-signature-mismatch", false),
        "InvalidAccessKeyId"
        | "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredToken"
        | "ExpiredTokenException"
        | "TokenRefreshRequired" => ("aws-credentials-invalid", false),
        "RequestTimeTooSkewed" | "RequestExpired" => ("aws-clock-skew", false),
        "InvalidSignatureException" => ("aws-signature-mismatch", false),
        "ThrottlingException"
        | "Throttling"
        | "SlowDown"
        | "RequestLimitExceeded"
        | "ProvisionedThroughputExceededException"
        | "ProvisionedThroughputExceeded"
        | "LimitExceededException" => ("aws-throttled", true),
        "NoSuchBucket" => ("aws-bucket-missing", false),
        "NoSuchKey" | "NotFound" => ("aws-not-found", false),
        "ResourceNotFoundException" => ("aws-resource-missing", false),
        "SessionNotFoundException" => ("liveness-session-invalid", false),
        "InvalidImageFormatException" => ("face-image-invalid", false),
        "ImageTooLargeException" => ("face-image-too-large", false),
        "InvalidParameterException" | "ValidationException" | "InvalidArgument" => {
            ("aws-request-invalid", false)
        }
        "RequestTimeout" | "RequestTimeoutException" => ("aws-unreachable", true),
        "KMSKeyNotAccessibleFault" | "KMS.AccessDeniedException" | "KMS.DisabledException" => {
            ("aws-kms-denied", false)
        }
        "InternalServerError"
        | "InternalError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException" => ("aws-service", true),
        _ if status == 403 => ("aws-access-denied", false),
        _ if status >= 500 => ("aws-service", true),
        _ => ("aws-service", false),
    }
}

/// Shorthand for results of this crate.
pub type AwsResult<T> = Result<T, AwsError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_troubleshooting_codes_are_recognised() {
        assert_eq!(classify_code("AccessDenied", 403).0, "aws-access-denied");
        assert_eq!(
            classify_code("SignatureDoesNotMatch", 403).0,
            "aws-signature-mismatch"
        );
        assert_eq!(
            classify_code("AccessDeniedException", 400).0,
            "aws-access-denied"
        );
        assert_eq!(classify_code("", 403).0, "aws-access-denied");
        assert!(classify_code("ThrottlingException", 400).1);
        assert!(classify_code("", 503).1);
        assert!(!classify_code("InvalidParameterException", 400).1);
    }
}
