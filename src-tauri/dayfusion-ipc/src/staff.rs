//! Staff mode: named accounts with roles, sign-in, the review queue, exiting kiosk mode.
//! Scores and evidence images appear here, and only to signed-in staff.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Whether the kiosk has staff accounts. A kiosk without any is *not
/// provisioned*: staff mode offers nothing until accounts are added out of
/// band (`dayfusion staff add` or the installer).
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StaffStatus {
    /// At least one staff account exists.
    pub provisioned: bool,
}

/// A staff account's role.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum StaffRole {
    /// Works the review queue.
    Reviewer,
    /// Settings, the AWS connection, leaving kiosk mode; also reviews.
    Admin,
    /// Signs in at the start of a field session; the operator of that
    /// session's transactions.
    FieldAgent,
}

impl StaffRole {
    /// Every role.
    pub const ALL: [StaffRole; 3] = [StaffRole::Reviewer, StaffRole::Admin, StaffRole::FieldAgent];

    /// The role's name (`field-agent`).
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Reviewer => "reviewer",
            StaffRole::Admin => "admin",
            StaffRole::FieldAgent => "field-agent",
        }
    }
}

impl std::fmt::Display for StaffRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StaffRole {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StaffRole::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| format!("unknown role {s:?}: reviewer, admin or field-agent"))
    }
}

/// A signed-in staff session.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StaffSession {
    /// Bearer token for the staff commands (in memory only).
    pub token: String,
    /// Seconds of inactivity before it expires.
    pub idle_seconds: u32,
    /// The account id (staff number).
    pub account: String,
    /// The account's display name.
    pub name: String,
    /// The account's role.
    pub role: StaffRole,
}

/// What a sign-in attempt gave.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum SignInOutcome {
    /// Account and PIN were right.
    SignedIn {
        /// The session.
        session: StaffSession,
    },
    /// Unknown account or wrong PIN (the answer does not say which).
    WrongPin,
    /// Too many wrong PINs on this account: wait.
    Locked {
        /// Seconds until the next try is allowed.
        seconds: u32,
    },
    /// The kiosk has no staff accounts.
    NotProvisioned,
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
    /// The staff account that operated the visit (field mode), if any: it
    /// may not review it.
    pub operator: Option<String>,
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
    /// The kiosk has no staff accounts.
    NotProvisioned,
    /// The signed-in role may not do this.
    Forbidden,
    /// The PIN does not meet the rules (6-12 digits, not all the same, not a run).
    PinTooWeak,
    /// The new PIN equals the old one.
    PinUnchanged,
    /// The old PIN was wrong (a PIN change).
    WrongPin,
    /// This account is locked after wrong PINs.
    Locked,
    /// Segregation of duties: nobody reviews a transaction they operated.
    OwnTransaction,
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
