//! Staff mode: PIN sign-in, the review queue, exiting kiosk mode.
//! Scores and evidence images appear here, and only to signed-in staff.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether a staff PIN exists and whether sign-in is locked.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StaffStatus {
    /// A PIN has been set (on first run the first staff member sets it).
    pub pin_set: bool,
    /// Seconds until sign-in is allowed again after too many wrong PINs.
    pub locked_seconds: Option<u32>,
}

/// A signed-in staff session.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StaffSession {
    /// Bearer token for the staff commands (in memory only).
    pub token: String,
    /// Seconds of inactivity before it expires.
    pub idle_seconds: u32,
}

/// What a sign-in attempt gave.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SignInOutcome {
    /// The PIN was right.
    SignedIn {
        /// The session.
        session: StaffSession,
    },
    /// The PIN was wrong.
    WrongPin {
        /// Tries left before the lockout.
        #[serde(rename = "attemptsLeft")]
        attempts_left: u32,
    },
    /// Too many wrong PINs: wait.
    Locked {
        /// Seconds until the next try is allowed.
        seconds: u32,
    },
    /// No PIN has been set yet.
    NoPin,
}

/// One transaction waiting for a person's review.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReviewItem {
    /// The transaction.
    pub transaction_id: String,
    /// When it began, RFC 3339.
    pub created_at: String,
    /// The kiosk it ran on.
    pub kiosk_id: String,
    /// Liveness confidence, 0-100.
    pub liveness: Option<f32>,
    /// Face similarity, 0-100.
    pub similarity: Option<f32>,
    /// The policy's reasons for sending it to review.
    pub reasons: Vec<String>,
    /// The policy and its version (`default@3`).
    pub policy: String,
}

/// One liveness check's result, for staff.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReviewCheck {
    /// The check (`movement`).
    pub check: String,
    /// `pass`, `fail` or `not-applicable`.
    pub outcome: String,
    /// Score 0-100 (50 = pass).
    pub score: Option<f32>,
    /// The reason in the staff member's language.
    pub reason: String,
}

/// Everything staff need to decide a review.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReviewDetail {
    /// The summary line.
    pub item: ReviewItem,
    /// The portrait cut from the document (data URL).
    pub document_portrait: Option<String>,
    /// The liveness reference image (data URL).
    pub reference: Option<String>,
    /// The liveness audit images (data URLs).
    pub audit: Vec<String>,
    /// Every liveness check.
    pub checks: Vec<ReviewCheck>,
    /// The liveness failure code, when it failed.
    pub liveness_failure: Option<String>,
}

/// A reviewer's verdict.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewVerdict {
    /// The identity is confirmed.
    Approve,
    /// The identity is not confirmed.
    Reject,
}

/// What the staff commands refuse with, in `CommandError::detail`'s leading
/// `[code]` when `code` is `staff`.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StaffRefusal {
    /// Not signed in, or the session expired.
    NotSignedIn,
    /// The PIN does not meet the rules (6-12 digits, not all the same, not a run).
    PinTooWeak,
    /// A PIN is already set (changing it needs a signed-in session).
    PinAlreadySet,
    /// No such transaction in review.
    NotInReview,
    /// The reason is missing or too long.
    ReasonInvalid,
}

/// The AWS connection staff set on the kiosk (the rest of `aws.toml` is
/// left to the installer).
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AwsConnection {
    /// Region (`sa-east-1`); `None` = the machine's default.
    pub region: Option<String>,
    /// Evidence bucket.
    pub bucket: Option<String>,
    /// DynamoDB table.
    pub table: String,
    /// Role the webview's liveness credentials come from.
    pub webview_role_arn: Option<String>,
}

/// One step of the AWS diagnostics (`dayfusion doctor`).
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AwsDoctorCheck {
    /// `config`, `credentials`, `clock`, `bucket`, `table`, `rekognition`, `webview-role`.
    pub id: String,
    /// `ok`, `warning`, `failing` or `skipped`.
    pub status: String,
    /// Stable code when something is wrong (`aws-access-denied`).
    pub code: Option<String>,
    /// What was found, in the staff member's language.
    pub message: String,
    /// What to do about it.
    pub fix: Option<String>,
}

/// The AWS diagnostics.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AwsDoctorReport {
    /// Region in use.
    pub region: Option<String>,
    /// The checks, in order.
    pub checks: Vec<AwsDoctorCheck>,
}
