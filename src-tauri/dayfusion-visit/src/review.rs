//! The staff side of REVIEW transactions: the queue, and each one's
//! evidence (decrypted for the screen only) with its scores and reasons.
//! The decision itself is [`dayfusion_verify::review::resolve`].

use dayfusion_ipc::{ReviewCheck, ReviewDetail, ReviewItem};
use dayfusion_verify::{Transaction, TransactionLog};
use uuid::Uuid;

use crate::desk::DeskPorts;
use crate::document::{jpeg_data_url, portrait_crop};
use crate::error::VisitError;

/// Most audit images shown.
const MAX_AUDIT_SHOWN: usize = 4;

fn item(t: &Transaction) -> ReviewItem {
    ReviewItem {
        transaction_id: t.transaction_id.to_string(),
        created_at: t
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        kiosk_id: t.kiosk_id.clone(),
        operator: t.operator.clone(),
        liveness: t.liveness.as_ref().map(|l| l.confidence),
        similarity: t.similarity(),
        reasons: t
            .decision
            .as_ref()
            .map(|d| d.reasons.clone())
            .unwrap_or_default(),
        policy: format!("{}@{}", t.policy.id, t.policy.version),
    }
}

/// Transactions waiting for `reviewer`'s review, oldest first: those
/// `reviewer` operated are left out (segregation of duties).
pub fn queue(log: &dyn TransactionLog, reviewer: &str) -> Result<Vec<ReviewItem>, VisitError> {
    Ok(dayfusion_verify::review::pending(log)?
        .iter()
        .filter(|t| t.operator.as_deref() != Some(reviewer))
        .map(item)
        .collect())
}

/// One REVIEW transaction with its evidence as data URLs for `reviewer`
/// (refused when they operated it); `lang` for the checks' reasons.
pub fn detail(
    ports: &DeskPorts,
    id: &Uuid,
    lang: &str,
    reviewer: &str,
) -> Result<ReviewDetail, VisitError> {
    let not_pending = || {
        VisitError::Flow(dayfusion_verify::FlowError::Input(
            dayfusion_verify::ProviderError::new(
                "review-not-pending",
                format!("no transaction {id} in review"),
                false,
            ),
        ))
    };
    let t = ports.log.get(id)?.ok_or_else(not_pending)?;
    if t.status != dayfusion_verify::Status::Review || t.review.is_some() {
        return Err(not_pending());
    }
    if t.operator.as_deref() == Some(reviewer) {
        return Err(VisitError::Flow(dayfusion_verify::FlowError::Input(
            dayfusion_verify::ProviderError::new(
                "review-own-transaction",
                format!("{reviewer} operated transaction {id}"),
                false,
            ),
        )));
    }
    // Every image is checked against the SHA-256 the transaction recorded:
    // an object replaced in S3 is refused, not shown.
    let image_url =
        |key: &dayfusion_verify::EvidenceKey, sha256: &str| -> Result<String, VisitError> {
            let bytes = ports.evidence.get_checked(key, sha256)?;
            let image = dayfusion_face::decode_image(&bytes)
                .map_err(|e| VisitError::DocumentUnreadable(e.to_string()))?;
            jpeg_data_url(&image)
        };
    let document_portrait = match &t.document {
        Some(d) => {
            let bytes = ports.evidence.get_checked(&d.document_key, &d.sha256)?;
            let image = dayfusion_face::decode_image(&bytes)
                .map_err(|e| VisitError::DocumentUnreadable(e.to_string()))?;
            Some(jpeg_data_url(&portrait_crop(&image, &d.portrait))?)
        }
        None => None,
    };
    let liveness = t.liveness.as_ref();
    let reference = liveness
        .and_then(|l| l.reference_key.as_ref().zip(l.reference_sha256.as_deref()))
        .map(|(key, sha256)| image_url(key, sha256))
        .transpose()?;
    let audit = liveness
        .map(|l| {
            l.audit_images
                .iter()
                .take(MAX_AUDIT_SHOWN)
                .map(|a| image_url(&a.key, &a.sha256))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let checks = liveness
        .map(|l| {
            l.checks
                .iter()
                .map(|c| ReviewCheck {
                    check: c.check.clone(),
                    outcome: c.outcome.clone(),
                    score: c.score,
                    reason: dayfusion_liveness::i18n::translate(
                        &format!("check.{}", c.reason),
                        lang,
                    ),
                })
                .collect()
        })
        .unwrap_or_default();
    tracing::info!(event = "review_opened", transaction = %id, "review evidence shown to staff");
    Ok(ReviewDetail {
        item: item(&t),
        document_portrait,
        reference,
        audit,
        checks,
        liveness_failure: liveness.and_then(|l| l.failure.clone()),
    })
}
