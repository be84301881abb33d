//! Legal hold: staff keep a transaction's evidence past the retention
//! period (a court order, an investigation). A hold is an audit event of
//! the transaction (`legal-hold.placed` / `legal-hold.released`, naming the
//! staff account and the reason); the latest of them says whether it is
//! held, so the audit chain is the only record and cannot disagree with
//! itself. The retention purge skips held transactions.

use tracing::info;
use uuid::Uuid;

use crate::error::{FlowError, StoreError};
use crate::ports::{AuditEvent, StoredAuditEvent, TransactionLog};
use crate::review::{check_reason, check_staff_id, refused};

/// Kind of the event that places a hold.
pub const HOLD_PLACED: &str = "legal-hold.placed";
/// Kind of the event that releases it.
pub const HOLD_RELEASED: &str = "legal-hold.released";

/// A hold in force.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LegalHold {
    /// The staff account that placed it.
    pub by: String,
    /// Why.
    pub reason: String,
    /// When, RFC 3339 (the event's time).
    pub at: String,
}

/// The hold in force on transaction `id`, if any.
pub fn current(log: &dyn TransactionLog, id: &Uuid) -> Result<Option<LegalHold>, StoreError> {
    Ok(in_force(&log.audit_events(id)?))
}

/// The hold in force according to a transaction's audit `events`.
pub fn in_force(events: &[StoredAuditEvent]) -> Option<LegalHold> {
    let latest = events
        .iter()
        .rev()
        .find(|e| e.kind == HOLD_PLACED || e.kind == HOLD_RELEASED);
    latest.filter(|e| e.kind == HOLD_PLACED).map(|e| {
        let text = |key: &str| {
            e.data
                .get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        LegalHold {
            by: text("by"),
            reason: text("reason"),
            at: e.at.clone(),
        }
    })
}

/// Places (`hold = true`) or releases a hold on transaction `id`, by staff
/// account `by` for `reason` (3-500 characters). Refused when the
/// transaction does not exist (`not-found`) or is already in that state
/// (`legal-hold-unchanged`). The record itself does not change.
pub fn set(
    log: &dyn TransactionLog,
    id: &Uuid,
    hold: bool,
    by: &str,
    reason: &str,
) -> Result<(), FlowError> {
    check_staff_id(by, "staff-invalid")?;
    let reason = check_reason(reason, "legal-hold-reason-invalid")?;
    let transaction = log
        .get(id)?
        .ok_or_else(|| refused("not-found", format!("no transaction {id}")))?;
    if current(log, id)?.is_some() == hold {
        return Err(refused(
            "legal-hold-unchanged",
            format!(
                "transaction {id} is already {}",
                if hold { "held" } else { "not held" }
            ),
        ));
    }
    let kind = if hold { HOLD_PLACED } else { HOLD_RELEASED };
    log.update(
        &transaction,
        &AuditEvent {
            kind: kind.to_owned(),
            data: serde_json::json!({
                "by": by,
                "reason": reason,
                "evidencePurged": transaction.evidence_purged_at.is_some(),
            }),
        },
    )?;
    info!(transaction = %id, hold, "legal hold changed");
    Ok(())
}
