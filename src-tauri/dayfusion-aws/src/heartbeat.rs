//! The kiosk's heartbeat in the central table: after each sync pass (the
//! app's housekeeping, `dayfusion sync`) one item per kiosk, overwritten
//! each time, says the kiosk is alive, its version, its health summary and
//! its outbox backlog, so a fleet dashboard reads them without reaching the
//! kiosk.
//!
//! The item lives in `dayfusion_transactions` under the key
//! `HEARTBEAT#<kiosk id>` ([`heartbeat_key`]): never a transaction id (those
//! are UUIDs), marked `ItemType = kiosk-heartbeat`, without `Record` or
//! `Status`. The kiosk role may write only its own heartbeat key
//! (`dynamodb:LeadingKeys` bound to its identity, see `infra/aws/`). The
//! put is conditional: it replaces a heartbeat, never anything else.
//!
//! It holds no secrets, no customer data and no transaction ids: check
//! names, counts, times and stable error codes only. Publishing never fails
//! the sync ([`publish_after_sync`]): a failure is logged and the next pass
//! tries again.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use dayfusion_ipc::{HealthReport, HealthStatus, SyncStatus};
use dayfusion_ledger::SqliteLog;
use dayfusion_verify::StoreError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::valid_kiosk_id;
use crate::dynamo::{DynamoTransactionTable, KEY_ATTRIBUTE};
use crate::error::{AwsError, AwsResult};

/// Prefix of a heartbeat's key (`HEARTBEAT#kiosk-001`); the IAM policy
/// binds the rest to the kiosk's identity.
pub const HEARTBEAT_KEY_PREFIX: &str = "HEARTBEAT#";
/// The attribute telling a heartbeat from a transaction item.
pub const ITEM_TYPE_ATTRIBUTE: &str = "ItemType";
/// `ItemType` of a heartbeat.
pub const HEARTBEAT_ITEM_TYPE: &str = "kiosk-heartbeat";
/// The kiosk's version (every crate shares the workspace version).
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The key of kiosk `kiosk_id`'s heartbeat.
pub fn heartbeat_key(kiosk_id: &str) -> String {
    format!("{HEARTBEAT_KEY_PREFIX}{kiosk_id}")
}

/// Whether `key` is a heartbeat's (not a transaction's).
pub fn is_heartbeat_key(key: &str) -> bool {
    key.starts_with(HEARTBEAT_KEY_PREFIX)
}

/// The health report in short: its overall status and the ids of the
/// checks that fail or warn (never their details).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthSummary {
    /// The worst status.
    pub status: HealthStatus,
    /// Ids of the failing checks (`backend`, `awsSync`).
    pub failing: Vec<String>,
    /// Ids of the checks that warn.
    pub warning: Vec<String>,
}

impl HealthSummary {
    /// The summary of `report`.
    pub fn of(report: &HealthReport) -> HealthSummary {
        let ids = |status: HealthStatus| {
            report
                .checks
                .iter()
                .filter(|c| c.status == status)
                .filter_map(|c| match serde_json::to_value(c.id) {
                    Ok(serde_json::Value::String(id)) => Some(id),
                    _ => None,
                })
                .collect()
        };
        HealthSummary {
            status: report.status,
            failing: ids(HealthStatus::Failing),
            warning: ids(HealthStatus::Warning),
        }
    }
}

/// The outbox in numbers (from [`crate::sync::sync_status`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Backlog {
    /// Transactions waiting to reach AWS (held ones not counted).
    pub queued: u32,
    /// Of those, the ones that failed at least once.
    pub failing: u32,
    /// Waiting for an S3 erase that a legal hold keeps.
    pub held: u32,
    /// When the oldest waiting one was queued (RFC 3339).
    pub oldest_queued_at: Option<String>,
    /// Its age in seconds at the heartbeat.
    pub oldest_queued_age_seconds: Option<i64>,
    /// The last time a transaction reached AWS (RFC 3339).
    pub last_success_at: Option<String>,
    /// The stable code of the latest failure (`aws-unreachable`).
    pub last_error: Option<String>,
}

impl Backlog {
    /// The backlog of `status` as of `now`.
    pub fn of(status: &SyncStatus, now: OffsetDateTime) -> Backlog {
        let age = status
            .oldest_queued_at
            .as_deref()
            .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
            .map(|at| (now - at).whole_seconds().max(0));
        Backlog {
            queued: status.pending,
            failing: status.failing,
            held: status.held,
            oldest_queued_at: status.oldest_queued_at.clone(),
            oldest_queued_age_seconds: age,
            last_success_at: status.last_success_at.clone(),
            last_error: status.last_error.clone(),
        }
    }
}

/// One heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// The kiosk's id (its identity's CN).
    pub kiosk_id: String,
    /// The kiosk's version.
    pub app_version: String,
    /// When it was made (RFC 3339, UTC).
    pub at: String,
    /// The health summary, when the caller has a report.
    pub health: Option<HealthSummary>,
    /// The outbox.
    pub backlog: Backlog,
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn list(values: &[String]) -> Option<AttributeValue> {
    (!values.is_empty()).then(|| AttributeValue::L(values.iter().map(s).collect()))
}

fn status_name(status: HealthStatus) -> &'static str {
    match status {
        HealthStatus::Ok => "ok",
        HealthStatus::Warning => "warning",
        HealthStatus::Failing => "failing",
    }
}

impl Heartbeat {
    /// The heartbeat of kiosk `kiosk_id` at `now`: the outbox of `log`
    /// and, when given, the summary of `health`.
    pub fn collect(
        log: &SqliteLog,
        kiosk_id: &str,
        health: Option<&HealthReport>,
        now: OffsetDateTime,
    ) -> Result<Heartbeat, StoreError> {
        let status = crate::sync::sync_status(log)?;
        let at = now
            .format(&Rfc3339)
            .map_err(|e| StoreError::Other(format!("cannot format a time: {e}")))?;
        Ok(Heartbeat {
            kiosk_id: kiosk_id.to_owned(),
            app_version: APP_VERSION.to_owned(),
            at,
            health: health.map(HealthSummary::of),
            backlog: Backlog::of(&status, now),
        })
    }

    /// The DynamoDB item (attributes without a value left out).
    pub fn item(&self) -> HashMap<String, AttributeValue> {
        let b = &self.backlog;
        let attributes = [
            (KEY_ATTRIBUTE, Some(s(heartbeat_key(&self.kiosk_id)))),
            (ITEM_TYPE_ATTRIBUTE, Some(s(HEARTBEAT_ITEM_TYPE))),
            ("KioskId", Some(s(self.kiosk_id.clone()))),
            ("AppVersion", Some(s(self.app_version.clone()))),
            ("HeartbeatAt", Some(s(self.at.clone()))),
            (
                "HealthStatus",
                self.health.as_ref().map(|h| s(status_name(h.status))),
            ),
            (
                "FailingChecks",
                self.health.as_ref().and_then(|h| list(&h.failing)),
            ),
            (
                "WarningChecks",
                self.health.as_ref().and_then(|h| list(&h.warning)),
            ),
            ("Queued", Some(n(b.queued))),
            ("Failing", Some(n(b.failing))),
            ("Held", Some(n(b.held))),
            ("OldestQueuedAt", b.oldest_queued_at.clone().map(s)),
            ("OldestQueuedAgeSeconds", b.oldest_queued_age_seconds.map(n)),
            ("LastSuccessAt", b.last_success_at.clone().map(s)),
            ("LastErrorCode", b.last_error.clone().map(s)),
        ];
        attributes
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
            .collect()
    }
}

impl DynamoTransactionTable {
    /// Writes `heartbeat` over the kiosk's previous one. Conditional: the
    /// key holds no item or a heartbeat; anything else is `sync-conflict`
    /// and stays untouched.
    pub fn put_heartbeat(&self, heartbeat: &Heartbeat) -> AwsResult<()> {
        if !valid_kiosk_id(&heartbeat.kiosk_id) {
            return Err(AwsError::Config(format!(
                "kiosk id {:?}: use 1-64 letters, digits, '.', '_' or '-'",
                heartbeat.kiosk_id
            )));
        }
        let request = self
            .context()
            .dynamodb
            .put_item()
            .table_name(self.name())
            .set_item(Some(heartbeat.item()))
            .condition_expression("attribute_not_exists(#key) OR #type = :heartbeat")
            .expression_attribute_names("#key", KEY_ATTRIBUTE)
            .expression_attribute_names("#type", ITEM_TYPE_ATTRIBUTE)
            .expression_attribute_values(":heartbeat", s(HEARTBEAT_ITEM_TYPE));
        match self.context().block_on(request.send()) {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(AwsError::Call {
                    operation: "dynamodb:PutItem",
                    code: crate::dynamo::SYNC_CONFLICT,
                    detail: format!(
                        "item {} is not a heartbeat",
                        heartbeat_key(&heartbeat.kiosk_id)
                    ),
                    retryable: false,
                })
            }
            Err(err) => Err(AwsError::from_sdk("dynamodb:PutItem", &err)),
        }
    }

    /// Kiosk `kiosk_id`'s heartbeat item as JSON; `None` when there is none.
    pub fn heartbeat(&self, kiosk_id: &str) -> AwsResult<Option<serde_json::Value>> {
        self.get_json(&heartbeat_key(kiosk_id))
    }
}

/// After a sync pass: the heartbeat of the table's kiosk (its settings'
/// kiosk id) with `health` and the outbox of `log`, published. Never
/// fails: a failure is logged as a warning (code and operation only) and
/// returned as its stable code; the next pass tries again.
pub fn publish_after_sync(
    table: &DynamoTransactionTable,
    log: &SqliteLog,
    health: Option<&HealthReport>,
    now: OffsetDateTime,
) -> Result<Heartbeat, String> {
    let result = (|| -> AwsResult<Heartbeat> {
        let kiosk = table
            .context()
            .settings
            .kiosk_id
            .clone()
            .ok_or_else(|| AwsError::Config("no kiosk id".into()))?;
        let heartbeat = Heartbeat::collect(log, &kiosk, health, now)?;
        table.put_heartbeat(&heartbeat)?;
        Ok(heartbeat)
    })();
    match result {
        Ok(heartbeat) => {
            tracing::debug!(
                queued = heartbeat.backlog.queued,
                failing = heartbeat.backlog.failing,
                "heartbeat published"
            );
            Ok(heartbeat)
        }
        Err(e) => {
            let operation = match &e {
                AwsError::Call { operation, .. } | AwsError::Unexpected { operation, .. } => {
                    *operation
                }
                _ => "heartbeat",
            };
            tracing::warn!(
                code = e.code(),
                operation,
                "heartbeat not published; the next sync pass tries again"
            );
            Err(e.code().to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dayfusion_ipc::{HealthCheck, HealthCheckId};

    #[test]
    fn the_item_is_keyed_apart_from_transactions_and_holds_only_the_summary() {
        let report = HealthReport {
            status: HealthStatus::Failing,
            checked_at: "2026-12-05T12:00:00Z".into(),
            checks: vec![
                HealthCheck {
                    id: HealthCheckId::DiskSpace,
                    status: HealthStatus::Warning,
                    detail: "/var/lib/dayfusion: 1 GiB free".into(),
                },
                HealthCheck {
                    id: HealthCheckId::AwsSync,
                    status: HealthStatus::Failing,
                    detail: "secret-ish detail".into(),
                },
                HealthCheck {
                    id: HealthCheckId::DataDir,
                    status: HealthStatus::Ok,
                    detail: String::new(),
                },
            ],
        };
        let status = SyncStatus {
            pending: 3,
            failing: 1,
            held: 2,
            oldest_queued_at: Some("2026-12-05T11:00:00Z".into()),
            last_success_at: Some("2026-12-05T10:00:00Z".into()),
            last_error: Some("aws-unreachable".into()),
            ..SyncStatus::default()
        };
        let Ok(now) = OffsetDateTime::parse("2026-12-05T12:00:00Z", &Rfc3339) else {
            panic!("bad test time");
        };
        let heartbeat = Heartbeat {
            kiosk_id: "kiosk-001".into(),
            app_version: APP_VERSION.into(),
            at: "2026-12-05T12:00:00Z".into(),
            health: Some(HealthSummary::of(&report)),
            backlog: Backlog::of(&status, now),
        };
        let item = heartbeat.item();
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).cloned();
        assert_eq!(text(KEY_ATTRIBUTE).as_deref(), Some("HEARTBEAT#kiosk-001"));
        assert!(uuid::Uuid::parse_str("HEARTBEAT#kiosk-001").is_err());
        assert_eq!(
            text(ITEM_TYPE_ATTRIBUTE).as_deref(),
            Some(HEARTBEAT_ITEM_TYPE)
        );
        assert_eq!(text("HealthStatus").as_deref(), Some("failing"));
        assert_eq!(
            item.get("FailingChecks"),
            Some(&AttributeValue::L(vec![s("awsSync")]))
        );
        assert_eq!(
            item.get("WarningChecks"),
            Some(&AttributeValue::L(vec![s("diskSpace")]))
        );
        assert_eq!(number("Queued").as_deref(), Some("3"));
        assert_eq!(number("Failing").as_deref(), Some("1"));
        assert_eq!(number("Held").as_deref(), Some("2"));
        assert_eq!(number("OldestQueuedAgeSeconds").as_deref(), Some("3600"));
        assert_eq!(text("LastErrorCode").as_deref(), Some("aws-unreachable"));
        // Never a transaction's attributes, never check details.
        for absent in ["Status", "Record", "RecordSha256"] {
            assert!(!item.contains_key(absent), "{absent}");
        }
        let all = format!("{item:?}");
        assert!(!all.contains("secret-ish") && !all.contains("GiB"), "{all}");
    }
}
