//! The AWS backend (production): the flow's ports over Amazon Rekognition
//! (Face Liveness, CompareFaces), S3 (evidence) and DynamoDB (the central
//! transaction table), with the kiosk's IAM profile from the default
//! credential chain.
//!
//! - [`config`] — `aws.toml` and `DAYFUSION_AWS_*`.
//! - [`context`] — runtime, SDK configuration and clients.
//! - [`error`] — SDK failures as stable codes (the guide's troubleshooting list).
//! - [`regions`] — the Face Liveness regions (one list) and private streaming endpoints.
//! - [`rekognition`] — [`RekognitionLiveness`] and [`RekognitionMatcher`].
//! - [`s3`] — [`S3EvidenceStore`] and presigned review URLs.
//! - [`dynamo`] — the `dayfusion_transactions` table.
//! - [`erase`] — what a sync deletes in S3 after a purge or an abort.
//! - [`credentials`] — scoped, short-lived credentials for the webview.
//! - [`sync`] — the outbox pushed to S3 and DynamoDB.
//! - [`heartbeat`] — the kiosk's health and backlog, published after each sync pass.
//! - [`doctor`] — the diagnostics.

pub mod config;
pub mod context;
pub mod credentials;
pub mod doctor;
pub mod dynamo;
pub mod erase;
pub mod error;
pub mod heartbeat;
pub mod processors;
pub mod regions;
pub mod rekognition;
pub mod s3;
pub mod sync;

pub use config::AwsSettings;
pub use context::AwsContext;
pub use credentials::webview_credentials;
pub use dynamo::{DynamoTransactionTable, PutOutcome};
pub use error::{AwsError, AwsResult};
pub use heartbeat::{Heartbeat, publish_after_sync};
pub use rekognition::{RekognitionLiveness, RekognitionMatcher};
pub use s3::S3EvidenceStore;
pub use sync::{OutboxSync, SyncReport, mark_overdue, sync_status};

rust_i18n::i18n!("locales", fallback = "en");
