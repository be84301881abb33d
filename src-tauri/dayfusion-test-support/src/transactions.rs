//! Decided test transactions with their evidence, recorded in a local log
//! as the verification flow does.

use std::path::{Path, PathBuf};

use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_ledger::{SYNC_COMPLETED, SqliteLog};
use dayfusion_verify::{
    AuditEvent, CheckRecord, ComparisonRecord, Decision, DocumentRecord, EvidenceKey,
    EvidenceStore, LivenessRecord, LivenessStatus, PixelBox, PolicySet, PortraitLocation, Provider,
    Stage, Status, SyncState, Transaction, TransactionLog,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::moto::KIOSK;
use crate::{BoxError, TestResult};

/// Bytes that look like a JPEG, different per seed.
pub fn jpeg(seed: u32, len: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    let mut x: u32 = 0x9E37_79B9 ^ seed.wrapping_mul(2_654_435_761);
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x >> 11) as u8);
    }
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// The SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A decided embedded transaction of kiosk [`KIOSK`] whose evidence
/// (document, reference, two audit images) is put into `evidence`;
/// `status` picks the outcome. Its sync state is
/// [`SyncState::Pending`] (queued for AWS when recorded).
pub fn decided_transaction(
    evidence: &dyn EvidenceStore,
    seed: u32,
    status: Status,
) -> Result<Transaction, BoxError> {
    let policy = PolicySet::shipped()?
        .get("default")
        .ok_or("no default policy")?
        .clone();
    let id = Uuid::now_v7();
    let session = Uuid::new_v4().to_string();
    let created_at = OffsetDateTime::now_utc();
    let document_bytes = jpeg(seed, 3000);
    let document_key = EvidenceKey::document(&id, "document.jpg")?;
    let document = evidence.put(&document_key, &document_bytes)?;
    let reference = evidence.put(
        &EvidenceKey::liveness_reference(&session)?,
        &jpeg(seed + 1000, 2000),
    )?;
    let audit = vec![
        evidence.put(
            &EvidenceKey::liveness_audit(&session, 0)?,
            &jpeg(seed + 2000, 1500),
        )?,
        evidence.put(
            &EvidenceKey::liveness_audit(&session, 1)?,
            &jpeg(seed + 3000, 1500),
        )?,
    ];
    Ok(Transaction {
        transaction_id: id,
        created_at,
        updated_at: created_at,
        kiosk_id: KIOSK.into(),
        operator: Some("op-42".into()),
        product: "account-opening".into(),
        backend: Provider::Embedded,
        policy: policy.reference(),
        stage: Stage::Decided,
        status,
        document: Some(DocumentRecord {
            document_key,
            sha256: document.sha256,
            size: document.size,
            content_type: "image/jpeg".into(),
            portrait: PortraitLocation {
                face_box: PixelBox {
                    x: 10.0,
                    y: 20.0,
                    width: 100.0,
                    height: 120.0,
                },
                rotation_degrees: 0,
            },
        }),
        liveness_session_id: Some(session.clone()),
        liveness: Some(LivenessRecord {
            provider: Provider::Embedded,
            session_id: session,
            status: LivenessStatus::Succeeded,
            confidence: 97.456,
            assurance: "challenge".into(),
            rule: "embedded-v1".into(),
            failure: None,
            reference_key: Some(reference.key.clone()),
            reference_sha256: Some(reference.sha256.clone()),
            audit_images: audit,
            checks: vec![CheckRecord {
                check: "light".into(),
                outcome: "passed".into(),
                score: Some(88.0),
                reason: "ok".into(),
            }],
            camera: Some("usb 046d:082d \"Test Camera\" (uvcvideo, video0)".into()),
        }),
        comparison: Some(ComparisonRecord {
            provider: Provider::Embedded,
            similarity: 93.1,
            model: "mobilefacenet/score-v1".into(),
            failure: None,
        }),
        decision: Some(Decision {
            status,
            reasons: if status == Status::Approved {
                Vec::new()
            } else {
                vec!["similarity-in-review-band".into()]
            },
            policy,
            decided_at: created_at + time::Duration::seconds(40),
        }),
        abort_reason: None,
        sync: SyncState::Pending,
        evidence_purged_at: None,
        consent: None,
        review: None,
    })
}

/// Records `transaction` in `log` as the flow does (started, then final),
/// with its own sync state: [`SyncState::Pending`] queues it in the
/// outbox.
pub fn record(log: &SqliteLog, transaction: &Transaction) -> TestResult {
    let mut started = transaction.clone();
    started.stage = Stage::Started;
    started.status = Status::InProgress;
    started.document = None;
    started.liveness = None;
    started.comparison = None;
    started.decision = None;
    started.sync = SyncState::NotReady;
    let event = |kind: &str| AuditEvent {
        kind: kind.into(),
        data: serde_json::json!({ "test": true }),
    };
    log.insert(&started, &event("transaction.started"))?;
    let kind = if transaction.stage == Stage::Aborted {
        "transaction.aborted"
    } else {
        "decision.made"
    };
    log.update(transaction, &event(kind))?;
    Ok(())
}

/// A log and a local evidence store (key file, never the keyring) in a
/// temp folder, removed on drop.
pub struct Local {
    dir: tempfile::TempDir,
    /// The log, `ledger.sqlite` in the folder.
    pub log: SqliteLog,
    /// The evidence store, `evidence/` in the folder.
    pub evidence: LocalEvidenceStore,
}

impl Local {
    /// The folder (also usable as the kiosk's data folder).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The log's file.
    pub fn log_file(&self) -> PathBuf {
        self.dir().join("ledger.sqlite")
    }

    /// The evidence store's folder.
    pub fn evidence_dir(&self) -> PathBuf {
        self.dir().join("evidence")
    }
}

/// A new [`Local`].
pub fn local() -> Result<Local, BoxError> {
    let dir = tempfile::tempdir()?;
    let log = SqliteLog::open(&dir.path().join("ledger.sqlite"))?;
    let evidence = LocalEvidenceStore::open(&dir.path().join("evidence"), KeySource::FileOnly)?;
    Ok(Local { dir, log, evidence })
}

/// `n` decided transactions (approved, review, approved, ...) recorded in
/// the log, evidence in the local store.
pub fn queue(local: &Local, n: u32, first_seed: u32) -> Result<Vec<Transaction>, BoxError> {
    let mut out = Vec::new();
    for i in 0..n {
        let status = if i % 2 == 0 {
            Status::Approved
        } else {
            Status::Review
        };
        let t = decided_transaction(&local.evidence, first_seed + i * 10, status)?;
        record(&local.log, &t)?;
        out.push(t);
    }
    Ok(out)
}

/// The evidence objects `transactions` name.
pub fn evidence_count(transactions: &[Transaction]) -> usize {
    transactions.iter().map(|t| t.evidence_keys().len()).sum()
}

/// The number of `sync.completed` events of transaction `t`.
pub fn completions(log: &SqliteLog, t: &Transaction) -> Result<usize, BoxError> {
    let events = log.audit_events(&t.transaction_id)?;
    Ok(events.iter().filter(|e| e.kind == SYNC_COMPLETED).count())
}
