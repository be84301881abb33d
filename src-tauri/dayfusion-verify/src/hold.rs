//! Legal hold: staff keep a transaction's evidence past the retention
//! period (a court order, an investigation). A hold is an audit event of
//! the transaction (`legal-hold.placed` / `legal-hold.released`, naming the
//! staff account and the reason); the latest of them says whether it is
//! held, so the audit chain is the only record and cannot disagree with
//! itself. The retention purge skips held transactions.

use std::collections::BTreeMap;

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

/// The holds in force, by transaction, according to `events` (any events
/// of any transactions, in chain order: those of a kind other than
/// [`HOLD_PLACED`] and [`HOLD_RELEASED`] are ignored).
pub fn in_force_by_transaction(events: &[StoredAuditEvent]) -> BTreeMap<Uuid, LegalHold> {
    let mut by_transaction: BTreeMap<Uuid, Vec<StoredAuditEvent>> = BTreeMap::new();
    for e in events {
        if let Some(id) = e.transaction_id
            && (e.kind == HOLD_PLACED || e.kind == HOLD_RELEASED)
        {
            by_transaction.entry(id).or_default().push(e.clone());
        }
    }
    by_transaction
        .into_iter()
        .filter_map(|(id, events)| in_force(&events).map(|hold| (id, hold)))
        .collect()
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
/// transaction does not exist (`not-found`), is not final
/// (`legal-hold-not-final`: an interrupted visit keeps no evidence) or is
/// already in that state (`legal-hold-unchanged`). The record itself does
/// not change.
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
    if hold && !transaction.stage.is_final() {
        return Err(refused(
            "legal-hold-not-final",
            format!("transaction {id} is {}", transaction.stage.as_str()),
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(seq: u64, id: Option<Uuid>, kind: &str, by: &str) -> StoredAuditEvent {
        StoredAuditEvent {
            seq,
            at: format!("2026-12-0{seq}T10:00:00Z"),
            transaction_id: id,
            kind: kind.to_owned(),
            data: serde_json::json!({ "by": by, "reason": "ordem judicial" }),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn the_latest_hold_event_of_each_transaction_decides() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let events = [
            stored(1, Some(a), HOLD_PLACED, "adm.bia"),
            stored(2, Some(b), HOLD_PLACED, "adm.bia"),
            stored(3, None, HOLD_PLACED, "adm.bia"),
            stored(4, Some(b), "evidence.purged", ""),
            stored(5, Some(b), HOLD_RELEASED, "rev.ana"),
            stored(6, Some(a), "sync.completed", ""),
        ];
        let held = in_force_by_transaction(&events);
        assert_eq!(held.len(), 1);
        let hold = held.get(&a).cloned();
        assert_eq!(hold.as_ref().map(|h| h.by.as_str()), Some("adm.bia"));
        assert_eq!(hold.map(|h| h.at), Some("2026-12-01T10:00:00Z".to_owned()));
        assert_eq!(in_force(&events[1..5]).map(|h| h.by), None);
    }
}
