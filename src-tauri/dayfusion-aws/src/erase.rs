//! What the outbox sync deletes in S3 for a transaction whose evidence was
//! deleted on the kiosk (`evidencePurgedAt`: the retention purge, or an
//! abort), so that no biometric object outlives its record's word.
//!
//! - Every evidence key the record names (both backends: the embedded
//!   backend's evidence reached S3 through the sync).
//! - For an AWS transaction also everything under its own S3 folders,
//!   `documents/{id}/` and `liveness/{session}/` (objects a crash left before
//!   the step that names them was recorded), and Rekognition's own output
//!   under `liveness-output/{session}/` (with `liveness-output-to-s3`), for
//!   every liveness session the transaction bound (its audit events name
//!   those a retry replaced).
//! - Nothing for an aborted embedded transaction: its evidence never left
//!   the kiosk.
//!
//! Each pass that deletes something appends [`EVIDENCE_S3_DELETED`] to the
//! transaction's audit chain with the real counts, also when it stops at a
//! failure halfway (the next sync deletes the rest and records its own
//! counts), so the per-store counts of a purge are the `evidence.purged`
//! event (local) plus these (S3). Every step is idempotent.

use std::collections::BTreeSet;

use dayfusion_ledger::SqliteLog;
use dayfusion_verify::{
    AuditEvent, EvidenceKey, EvidenceStore, Provider, Stage, StoreError, StoredAuditEvent,
    Transaction, TransactionLog,
};
use serde::Serialize;

use crate::error::{AwsError, AwsResult};
use crate::rekognition::LIVENESS_OUTPUT_FOLDER;
use crate::s3::S3EvidenceStore;

/// Kind of the event recording what a sync deleted in S3.
pub const EVIDENCE_S3_DELETED: &str = "evidence.s3-deleted";

/// Kind of the flow's event that binds a liveness session.
const LIVENESS_STARTED: &str = "liveness.started";

/// What one pass deleted in S3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Erased {
    /// Evidence objects (documents, liveness reference and audit images).
    pub evidence: usize,
    /// Objects Rekognition wrote under `liveness-output/`.
    pub liveness_output: usize,
}

impl Erased {
    /// Every object deleted.
    pub fn total(&self) -> usize {
        self.evidence + self.liveness_output
    }
}

/// Whether the sync deletes `transaction`'s S3 objects instead of sending
/// them: its evidence was deleted on the kiosk, and it may have reached S3
/// (not an aborted embedded transaction).
pub fn must_erase(transaction: &Transaction) -> bool {
    transaction.evidence_purged_at.is_some()
        && !(transaction.stage == Stage::Aborted && transaction.backend == Provider::Embedded)
}

/// Every liveness session `transaction` bound, by its record and its
/// `liveness.started` events (`sessionId`, `replaces`); ids that cannot be
/// a key segment are left out.
pub fn liveness_sessions(transaction: &Transaction, events: &[StoredAuditEvent]) -> Vec<String> {
    let mut sessions = BTreeSet::new();
    sessions.extend(transaction.liveness_session_id.clone());
    sessions.extend(transaction.liveness.as_ref().map(|l| l.session_id.clone()));
    for e in events.iter().filter(|e| e.kind == LIVENESS_STARTED) {
        for field in ["sessionId", "replaces"] {
            if let Some(id) = e.data.get(field).and_then(serde_json::Value::as_str) {
                sessions.insert(id.to_owned());
            }
        }
    }
    sessions
        .into_iter()
        .filter(|s| EvidenceKey::liveness_reference(s).is_ok())
        .collect()
}

/// Deletes `transaction`'s objects in S3 (see the module docs) when
/// [`must_erase`], counting them in `erased`, and records the counts
/// ([`EVIDENCE_S3_DELETED`]) when anything was deleted, also before
/// returning an error that stopped it halfway.
pub fn erase_in_s3(
    log: &SqliteLog,
    s3: &S3EvidenceStore,
    transaction: &Transaction,
    erased: &mut Erased,
) -> Result<(), StoreError> {
    if !must_erase(transaction) {
        return Ok(());
    }
    let outcome = erase(log, s3, transaction, erased);
    if erased.total() > 0 {
        let cause = if transaction.stage == Stage::Aborted {
            "aborted"
        } else {
            "retention-purge"
        };
        log.append_event(
            Some(transaction.transaction_id),
            &AuditEvent {
                kind: EVIDENCE_S3_DELETED.to_owned(),
                data: serde_json::json!({
                    "s3ObjectsDeleted": erased.total(),
                    "evidenceObjects": erased.evidence,
                    "livenessOutputObjects": erased.liveness_output,
                    "cause": cause,
                    "complete": outcome.is_ok(),
                }),
            },
        )?;
    }
    outcome?;
    tracing::debug!(
        transaction = %transaction.transaction_id,
        evidence = erased.evidence,
        liveness_output = erased.liveness_output,
        "S3 objects of a purged or aborted transaction deleted"
    );
    Ok(())
}

fn erase(
    log: &SqliteLog,
    s3: &S3EvidenceStore,
    transaction: &Transaction,
    erased: &mut Erased,
) -> Result<(), StoreError> {
    // Its objects live in the folder of the kiosk id it was made with: after
    // a change of the kiosk id this store's folder is another one, and an
    // erase there would find nothing and still let `EvidenceDeletedAt` be
    // claimed. Fail visibly instead (staff see the entry failing).
    if transaction.kiosk_id != s3.kiosk() {
        return Err(StoreError::Remote {
            code: "kiosk-id-changed",
            detail: format!(
                "transaction {} was made as kiosk {:?}, this kiosk is now {:?}: its S3 objects \
                 are not in this kiosk's folder",
                transaction.transaction_id,
                transaction.kiosk_id,
                s3.kiosk()
            ),
            retryable: false,
        });
    }
    let mut keys: BTreeSet<EvidenceKey> = transaction.evidence_keys().into_iter().collect();
    let sessions = if transaction.backend == Provider::Aws {
        let events = log.audit_events(&transaction.transaction_id)?;
        let sessions = liveness_sessions(transaction, &events);
        keys.extend(s3.list_under(&format!("documents/{}/", transaction.transaction_id))?);
        for session in &sessions {
            keys.extend(s3.list_under(&format!("liveness/{session}/"))?);
        }
        sessions
    } else {
        Vec::new()
    };
    for key in &keys {
        if s3.delete(key)? {
            erased.evidence += 1;
        }
    }
    for session in &sessions {
        delete_liveness_output(s3, session, &mut erased.liveness_output)?;
    }
    Ok(())
}

/// Deletes every object Rekognition wrote for `session_id`
/// (`{kiosk folder}liveness-output/{session_id}/…`, every page of the
/// listing), counting them in `deleted`.
pub fn delete_liveness_output(
    s3: &S3EvidenceStore,
    session_id: &str,
    deleted: &mut usize,
) -> AwsResult<()> {
    if EvidenceKey::liveness_reference(session_id).is_err() {
        return Err(AwsError::Config(format!(
            "liveness session id {session_id:?} cannot name an S3 folder"
        )));
    }
    let ctx = s3.context();
    let prefix = format!("{}{LIVENESS_OUTPUT_FOLDER}{session_id}/", s3.kiosk_prefix());
    let mut token: Option<String> = None;
    loop {
        let request = ctx
            .s3
            .list_objects_v2()
            .bucket(s3.bucket())
            .prefix(&prefix)
            .set_continuation_token(token.take());
        let out = ctx
            .block_on(request.send())
            .map_err(|e| AwsError::from_sdk("s3:ListObjectsV2", &e))?;
        for key in out.contents().iter().filter_map(|o| o.key()) {
            let request = ctx.s3.delete_object().bucket(s3.bucket()).key(key);
            ctx.block_on(request.send())
                .map_err(|e| AwsError::from_sdk("s3:DeleteObject", &e))?;
            *deleted += 1;
        }
        match (
            out.is_truncated() == Some(true),
            out.next_continuation_token(),
        ) {
            (true, Some(next)) => token = Some(next.to_owned()),
            (true, None) => {
                return Err(AwsError::Call {
                    operation: "s3:ListObjectsV2",
                    code: "aws-service",
                    detail: "truncated listing without a continuation token".into(),
                    retryable: true,
                });
            }
            (false, _) => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(session: &str, replaces: Option<&str>) -> StoredAuditEvent {
        StoredAuditEvent {
            seq: 1,
            at: "2026-12-01T10:00:00Z".into(),
            transaction_id: None,
            kind: LIVENESS_STARTED.into(),
            data: serde_json::json!({ "sessionId": session, "replaces": replaces }),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn every_bound_session_is_found_and_odd_ids_are_left_out()
    -> Result<(), Box<dyn std::error::Error>> {
        let a = "2f6c7f0e-8f1e-4c59-9b1a-0d3b1b7a9c11";
        let b = "7d1f3c2a-0b9e-4e8f-a1d2-3c4b5a697887";
        let transaction: Transaction = serde_json::from_value(serde_json::json!({
            "transactionId": uuid::Uuid::now_v7(),
            "createdAt": "2026-12-01T10:00:00Z",
            "updatedAt": "2026-12-01T10:00:00Z",
            "kioskId": "k1",
            "operator": null,
            "product": "account-opening",
            "backend": "aws",
            "policy": { "id": "default", "version": 1 },
            "stage": "aborted",
            "status": "ABORTED",
            "document": null,
            "livenessSessionId": b,
            "liveness": null,
            "comparison": null,
            "decision": null,
            "abortReason": "interrupted",
            "sync": "pending",
            "evidencePurgedAt": "2026-12-01T10:01:00Z",
        }))?;
        let events = [started(a, None), started(b, Some(a)), started("../x", None)];
        assert_eq!(liveness_sessions(&transaction, &events), vec![a, b]);
        assert!(must_erase(&transaction));
        let mut embedded = transaction.clone();
        embedded.backend = Provider::Embedded;
        assert!(!must_erase(&embedded), "its evidence never left the kiosk");
        embedded.stage = Stage::Decided;
        assert!(must_erase(&embedded), "a purged one reached S3 by the sync");
        embedded.evidence_purged_at = None;
        assert!(!must_erase(&embedded));
        Ok(())
    }
}
