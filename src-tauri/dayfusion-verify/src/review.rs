//! Staff review of transactions the policy sent to REVIEW: a person looks
//! at the evidence and settles the decision as APPROVED or REJECTED, once.
//! The record keeps the policy's decision as it was; the review is added
//! beside it with an audit event (`review.resolved`) in the same commit.

use time::OffsetDateTime;
use tracing::info;
use uuid::Uuid;

use crate::domain::{ReviewRecord, Stage, Status, Transaction};
use crate::error::{FlowError, ProviderError, StoreError};
use crate::flow::MAX_ID_LEN;
use crate::ports::{AuditEvent, ListQuery, TransactionLog};

/// Longest review reason accepted, characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Shortest review reason accepted, characters (after trimming).
pub const MIN_REASON_CHARS: usize = 3;

pub(crate) fn refused(code: &str, detail: impl Into<String>) -> FlowError {
    FlowError::Input(ProviderError::new(code, detail, false))
}

/// `id` as a staff account id (letters, digits, `.`, `_`, `-`, `@`; at
/// most [`MAX_ID_LEN`]), else refused with `code`.
pub(crate) fn check_staff_id(id: &str, code: &str) -> Result<(), FlowError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if ok {
        Ok(())
    } else {
        Err(refused(code, "staff account id"))
    }
}

/// `reason` trimmed, when it has 3-500 characters and no control
/// characters but line breaks; else refused with `code`.
pub(crate) fn check_reason<'r>(reason: &'r str, code: &str) -> Result<&'r str, FlowError> {
    let reason = reason.trim();
    let chars = reason.chars().count();
    if !(MIN_REASON_CHARS..=MAX_REASON_CHARS).contains(&chars)
        || reason.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(refused(
            code,
            format!("{MIN_REASON_CHARS}-{MAX_REASON_CHARS} characters, no control characters"),
        ));
    }
    Ok(reason)
}

/// Transactions waiting for a review, oldest first.
pub fn pending(log: &dyn TransactionLog) -> Result<Vec<Transaction>, StoreError> {
    let mut waiting = log.list(&ListQuery {
        limit: 0,
        status: Some(Status::Review),
        created_before: None,
    })?;
    waiting.retain(|t| t.review.is_none() && t.stage == Stage::Decided);
    waiting.sort_by_key(|t| t.created_at);
    Ok(waiting)
}

/// Settles REVIEW transaction `id` as `verdict` (APPROVED or REJECTED) by
/// `reviewer` (a staff account id), with `reason` (3-500 characters of the
/// reviewer's words). Refused when `reviewer` is the transaction's operator.
pub fn resolve(
    log: &dyn TransactionLog,
    id: &Uuid,
    verdict: Status,
    reviewer: &str,
    reason: &str,
) -> Result<Transaction, FlowError> {
    if !matches!(verdict, Status::Approved | Status::Rejected) {
        return Err(refused(
            "review-verdict-invalid",
            "a review approves or rejects",
        ));
    }
    check_staff_id(reviewer, "reviewer-invalid")?;
    let reason = check_reason(reason, "review-reason-invalid")?;
    let current = log
        .get(id)?
        .ok_or_else(|| refused("review-not-pending", format!("no transaction {id}")))?;
    if current.status != Status::Review || current.review.is_some() {
        return Err(refused(
            "review-not-pending",
            format!("transaction {id} is {}", current.status.as_str()),
        ));
    }
    // Segregation of duties: whoever operated the visit cannot settle it.
    if current.operator.as_deref() == Some(reviewer) {
        return Err(refused(
            "review-own-transaction",
            format!("{reviewer} operated transaction {id} and cannot review it"),
        ));
    }
    let now = OffsetDateTime::now_utc();
    let mut next = current.clone();
    next.status = verdict;
    next.updated_at = now;
    // A decision already in (or on its way to) DynamoDB gets the review
    // there too.
    next.sync = current.sync.after_change();
    next.review = Some(ReviewRecord {
        verdict,
        reviewer: reviewer.to_owned(),
        reason: reason.to_owned(),
        reviewed_at: now,
    });
    log.update(
        &next,
        &AuditEvent {
            kind: "review.resolved".to_owned(),
            data: serde_json::json!({
                "verdict": verdict,
                "reviewer": reviewer,
                "reason": reason,
                "policyDecision": current.status,
            }),
        },
    )?;
    info!(transaction = %id, verdict = verdict.as_str(), "review resolved");
    Ok(next)
}
