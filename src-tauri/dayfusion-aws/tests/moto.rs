//! S3 evidence, the DynamoDB table and the outbox sync against moto, a local
//! AWS stand-in speaking the real protocols (signing, headers, conditional
//! writes, presigned URLs).
//!
//! Runs when `DAYFUSION_TEST_MOTO_URL` points at a running moto server:
//!
//! ```sh
//! eval "$(infra/aws-local/moto-server.sh start)"
//! cargo test -p dayfusion-aws --test moto
//! infra/aws-local/moto-server.sh stop
//! ```
//!
//! The outage test starts a second, private server from
//! `DAYFUSION_TEST_MOTO_BIN` (default `.tools/moto-venv/bin/moto_server`,
//! made by `infra/aws-local/setup-moto.sh`) so it can stop and restart it.
//!
//! Without the URL the tests pass doing nothing, except under `CI`, where
//! they fail so a misconfigured pipeline cannot go green silently. The tests
//! share the server: they run one at a time (a static lock) and each resets
//! moto first. The set-up (server, contexts, test transactions, the TCP
//! proxy that loses the network) is `dayfusion-test-support`'s.

use std::error::Error;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumMode, ServerSideEncryption as S3Sse};
use base64::Engine as _;
use dayfusion_aws::config::ServerSideEncryption;
use dayfusion_aws::dynamo::record_json;
use dayfusion_aws::publish_after_sync;
use dayfusion_aws::sync::{next_attempt_at, sync_status};
use dayfusion_aws::{
    AwsContext, AwsSettings, DynamoTransactionTable, OutboxSync, PutOutcome, S3EvidenceStore,
};
use dayfusion_ipc::{HealthCheck, HealthCheckId, HealthReport, HealthStatus};
use dayfusion_ledger::{RECORD_SHA256, SYNC_COMPLETED, SYNC_FAILED, SqliteLog};
use dayfusion_verify::{
    AuditEvent, EvidenceKey, EvidenceStore, PortraitLocation, Provider, Stage, Status, StoreError,
    SyncState, Transaction, TransactionLog,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use dayfusion_test_support::TestResult;
use dayfusion_test_support::moto::{
    BUCKET, KIOSK, TABLE, all_bucket_keys, bucket_keys, context, create_resources, fresh, http,
    item_count, moto_url, serial, settings, table_ids,
};
use dayfusion_test_support::net::FlakyProxy;
use dayfusion_test_support::transactions::{
    Local, completions, decided_transaction, evidence_count, jpeg, local, queue, record, sha256_hex,
};

/// The moto binary of the outage test's private server.
const BIN_VAR: &str = "DAYFUSION_TEST_MOTO_BIN";

fn store_code(result: Result<impl std::fmt::Debug, StoreError>) -> Result<String, Box<dyn Error>> {
    match result {
        Ok(v) => Err(format!("expected an error, got {v:?}").into()),
        Err(e) => Ok(e.code().to_owned()),
    }
}

/// What the outbox tests start from: a reset moto with the bucket and
/// table, a local log that queues for AWS and its evidence store, and the
/// test kiosk's S3 and DynamoDB stores.
struct OutboxKiosk {
    ctx: Arc<AwsContext>,
    local: Local,
    s3: S3EvidenceStore,
    table: DynamoTransactionTable,
}

/// An [`OutboxKiosk`]; `None` to skip (no moto).
fn outbox_kiosk() -> Result<Option<OutboxKiosk>, Box<dyn Error>> {
    let Some(ctx) = fresh()? else {
        return Ok(None);
    };
    let local = local()?;
    local.log.set_aws_outbox(true)?;
    let s3 = S3EvidenceStore::new(ctx.clone())?;
    let table = DynamoTransactionTable::new(ctx.clone());
    Ok(Some(OutboxKiosk {
        ctx,
        local,
        s3,
        table,
    }))
}

#[test]
fn s3_round_trip_with_encryption_checksum_and_metadata() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let store = S3EvidenceStore::new(ctx.clone())?;
    let id = Uuid::now_v7();
    let key = EvidenceKey::document(&id, "document.jpg")?;
    let bytes = jpeg(1, 5000);

    let stored = store.put(&key, &bytes)?;
    assert_eq!(stored.sha256, sha256_hex(&bytes));
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(store.get(&key)?, bytes);
    assert_eq!(store.head(&key)?, Some(stored.sha256.clone()));

    // What S3 (moto) recorded, seen with the raw client.
    let head = ctx.block_on(
        ctx.s3
            .head_object()
            .bucket(BUCKET)
            .key(format!("dayfusion/{KIOSK}/{key}"))
            .checksum_mode(ChecksumMode::Enabled)
            .send(),
    )?;
    assert_eq!(head.server_side_encryption(), Some(&S3Sse::Aes256));
    assert_eq!(head.content_type(), Some("image/jpeg"));
    assert_eq!(
        head.metadata().and_then(|m| m.get("sha256")),
        Some(&stored.sha256)
    );
    assert_eq!(
        head.checksum_sha256(),
        Some(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&bytes))).as_deref()
    );

    // SSE-KMS with a key id, under another prefix; a PNG.
    let kms_store = S3EvidenceStore::new(context(AwsSettings {
        sse: ServerSideEncryption::SseKms,
        kms_key_id: Some("alias/dayfusion-test".into()),
        key_prefix: "kms/".into(),
        ..ctx.settings.clone()
    })?)?;
    let png_key = EvidenceKey::document(&id, "document.png")?;
    kms_store.put(&png_key, &bytes)?;
    let head = ctx.block_on(
        ctx.s3
            .head_object()
            .bucket(BUCKET)
            .key(format!("kms/{KIOSK}/{png_key}"))
            .send(),
    )?;
    assert_eq!(head.server_side_encryption(), Some(&S3Sse::AwsKms));
    assert_eq!(head.ssekms_key_id(), Some("alias/dayfusion-test"));
    assert_eq!(head.content_type(), Some("image/png"));

    // List: only evidence keys in the kiosk's folder, without it (another
    // kiosk's evidence and foreign objects skipped).
    let session = Uuid::new_v4().to_string();
    let reference = EvidenceKey::liveness_reference(&session)?;
    store.put(&reference, &jpeg(2, 700))?;
    let other_kiosk = format!(
        "dayfusion/kiosk-test-02/{}",
        EvidenceKey::document(&id, "document.jpg")?
    );
    let shared_layout = format!("dayfusion/{}", EvidenceKey::document(&id, "document.jpg")?);
    for foreign in [
        "dayfusion/other/x.jpg",
        "dayfusion/readme.txt",
        &format!("dayfusion/{KIOSK}/readme.txt"),
        "elsewhere/documents/a/b.jpg",
        &other_kiosk,
        &shared_layout,
    ] {
        ctx.block_on(
            ctx.s3
                .put_object()
                .bucket(BUCKET)
                .key(foreign)
                .body(ByteStream::from_static(b"x"))
                .send(),
        )?;
    }
    let mut want = vec![key.clone(), reference.clone()];
    want.sort();
    assert_eq!(store.list()?, want);
    assert_eq!(kms_store.list()?, vec![png_key]);

    // Delete: true once, then false; get is NotFound.
    assert!(store.delete(&key)?);
    assert!(!store.delete(&key)?);
    assert_eq!(store.head(&key)?, None);
    assert_eq!(store_code(store.get(&key))?, "not-found");
    assert_eq!(store.list()?, vec![reference]);
    Ok(())
}

#[test]
fn each_kiosk_reads_writes_and_lists_only_its_own_folder() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let a = S3EvidenceStore::new(ctx.clone())?;
    let b = S3EvidenceStore::new(context(ctx.settings.clone().with_kiosk("kiosk-test-02"))?)?;
    assert_eq!(a.kiosk_prefix(), format!("dayfusion/{KIOSK}/"));
    let key = EvidenceKey::document(&Uuid::now_v7(), "document.jpg")?;
    a.put(&key, &jpeg(30, 900))?;
    b.put(&key, &jpeg(31, 900))?;
    assert_eq!(
        bucket_keys(&ctx)?,
        vec![
            format!("dayfusion/{KIOSK}/{key}"),
            format!("dayfusion/kiosk-test-02/{key}"),
        ]
    );
    // Same evidence key, two objects: each kiosk gets its own bytes back.
    assert_eq!(a.get(&key)?, jpeg(30, 900));
    assert_eq!(b.get(&key)?, jpeg(31, 900));
    assert_eq!(a.list()?, vec![key.clone()]);
    assert!(b.delete(&key)?);
    assert_eq!(b.list()?, Vec::<EvidenceKey>::new());
    assert_eq!(a.list()?, vec![key]);
    // Without a kiosk id there is no folder, and no store.
    let mut no_kiosk = ctx.settings.clone();
    no_kiosk.kiosk_id = None;
    assert!(S3EvidenceStore::new(context(no_kiosk)?).is_err());
    Ok(())
}

#[test]
fn s3_objects_are_write_once() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let store = S3EvidenceStore::new(ctx)?;
    let key = EvidenceKey::liveness_audit(&Uuid::new_v4().to_string(), 0)?;
    let first = jpeg(3, 1000);
    store.put(&key, &first)?;
    let again = store.put(&key, &jpeg(4, 1000));
    assert!(
        matches!(again, Err(StoreError::AlreadyExists(_))),
        "{again:?}"
    );
    // The same bytes again (an SDK retry whose first answer was lost) count
    // as stored; nothing is rewritten.
    let retried = store.put(&key, &first)?;
    assert_eq!(retried.sha256, hex::encode(Sha256::digest(&first)));
    assert_eq!(store.get(&key)?, first);
    Ok(())
}

#[test]
fn s3_get_detects_an_object_changed_behind_the_stores_back() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let store = S3EvidenceStore::new(ctx.clone())?;
    let key = EvidenceKey::document(&Uuid::now_v7(), "document.jpg")?;
    let original = store.put(&key, &jpeg(5, 2000))?;

    // Other bytes under the original's metadata (a tampered object).
    let mut tampered = jpeg(5, 2000);
    tampered[100] ^= 0x01;
    ctx.block_on(
        ctx.s3
            .put_object()
            .bucket(BUCKET)
            .key(format!("dayfusion/{KIOSK}/{key}"))
            .metadata("sha256", &original.sha256)
            .body(ByteStream::from(tampered))
            .send(),
    )?;
    assert_eq!(store_code(store.get(&key))?, "data-corrupt");

    // An object without the metadata (not written by a kiosk).
    ctx.block_on(
        ctx.s3
            .put_object()
            .bucket(BUCKET)
            .key(format!("dayfusion/{KIOSK}/{key}"))
            .body(ByteStream::from(jpeg(5, 2000)))
            .send(),
    )?;
    assert_eq!(store_code(store.get(&key))?, "data-corrupt");
    assert_eq!(store.head(&key)?, Some(String::new()));
    Ok(())
}

#[test]
fn s3_presigned_url_is_fetchable_with_plain_http() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let store = S3EvidenceStore::new(ctx)?;
    let key = EvidenceKey::liveness_reference(&Uuid::new_v4().to_string())?;
    let bytes = jpeg(6, 4000);
    store.put(&key, &bytes)?;

    let url = store.presigned_get(&key, None)?;
    assert!(url.contains("X-Amz-Expires=300"), "settings' TTL: {url}");
    let (status, body) = http("GET", &url, b"")?;
    assert_eq!(status, 200);
    assert_eq!(body, bytes);

    let long = store.presigned_get(&key, Some(Duration::from_secs(86_400)))?;
    assert!(
        long.contains("X-Amz-Expires=3600"),
        "capped at one hour: {long}"
    );

    let missing = EvidenceKey::liveness_reference(&Uuid::new_v4().to_string())?;
    match store.presigned_get(&missing, None) {
        Err(e) => assert_eq!(e.code(), "aws-not-found"),
        Ok(_) => return Err("a URL for a missing object".into()),
    }
    Ok(())
}

#[test]
fn dynamodb_put_final_writes_once_and_refuses_a_different_record() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let local = local()?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let t = decided_transaction(&local.evidence, 7, Status::Approved)?;
    let (_, sha) = record_json(&t)?;

    assert_eq!(table.put_final(&t, &sha)?, PutOutcome::Written);
    assert_eq!(table.put_final(&t, &sha)?, PutOutcome::AlreadyThere);
    assert_eq!(table_ids(&ctx)?, vec![t.transaction_id.to_string()]);

    // Bookkeeping only (synced, purged later): the same verification.
    let mut bookkeeping = t.clone();
    bookkeeping.sync = SyncState::Synced;
    bookkeeping.updated_at += time::Duration::hours(1);
    bookkeeping.evidence_purged_at = Some(bookkeeping.updated_at);
    let (_, other_sha) = record_json(&bookkeeping)?;
    assert_eq!(
        table.put_final(&bookkeeping, &other_sha)?,
        PutOutcome::AlreadyThere
    );

    // Another verification under the same id: a conflict, nothing changed.
    let mut changed = t.clone();
    if let Some(c) = changed.comparison.as_mut() {
        c.similarity = 12.0;
    }
    changed.status = Status::Rejected;
    let (_, changed_sha) = record_json(&changed)?;
    match table.put_final(&changed, &changed_sha) {
        Err(e) => {
            assert_eq!(e.code(), "sync-conflict");
            assert!(!e.retryable());
        }
        Ok(outcome) => return Err(format!("changed record accepted: {outcome:?}").into()),
    }
    assert_eq!(table.get_record(&t.transaction_id)?.as_ref(), Some(&t));
    assert_eq!(table_ids(&ctx)?.len(), 1);

    // Not final: refused before any call.
    let mut open = t.clone();
    open.transaction_id = Uuid::now_v7();
    open.stage = Stage::Compared;
    assert!(table.put_final(&open, &sha).is_err());
    assert_eq!(table_ids(&ctx)?.len(), 1);
    Ok(())
}

#[test]
fn dynamodb_item_has_the_guides_attributes() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let local = local()?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let info = table.describe()?;
    assert_eq!(info.name, TABLE);
    assert_eq!(info.status, "ACTIVE");

    let mut t = decided_transaction(&local.evidence, 8, Status::Review)?;
    t.operator = None;
    let (record, sha) = record_json(&t)?;
    assert_eq!(table.put_final(&t, &sha)?, PutOutcome::Written);
    let item = table.get(&t.transaction_id)?.ok_or("no item")?;
    let liveness = t.liveness.as_ref().ok_or("no liveness")?;
    let document = t.document.as_ref().ok_or("no document")?;
    let decision = t.decision.as_ref().ok_or("no decision")?;
    assert_eq!(item["TransactionId"], t.transaction_id.to_string());
    assert_eq!(item["SessionId"], liveness.session_id);
    // The keys are the real S3 object keys; the record keeps its own.
    assert_eq!(
        item["DocumentKey"],
        format!("dayfusion/{KIOSK}/{}", document.document_key)
    );
    let reference = liveness.reference_key.as_ref().ok_or("no reference key")?;
    assert_eq!(
        item["ReferenceKey"],
        format!("dayfusion/{KIOSK}/{reference}")
    );
    let audit_keys: Vec<String> = liveness
        .audit_images
        .iter()
        .map(|a| format!("dayfusion/{KIOSK}/{}", a.key))
        .collect();
    assert!(!audit_keys.is_empty());
    assert_eq!(item["AuditKeys"], serde_json::json!(audit_keys));
    assert_eq!(item["DocumentSha256"], document.sha256);
    assert_eq!(item["Status"], "REVIEW");
    assert_eq!(item["Liveness"].as_f64(), Some(97.46));
    assert_eq!(item["Similarity"].as_f64(), Some(93.1));
    let created = item["CreatedAt"].as_str().ok_or("no CreatedAt")?;
    assert_eq!(
        OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)?,
        t.created_at
    );
    assert_eq!(item["PolicyId"], t.policy.id);
    assert_eq!(
        item["PolicyVersion"].as_u64(),
        Some(u64::from(t.policy.version))
    );
    assert_eq!(item["KioskId"], "kiosk-test-01");
    assert!(item.get("Operator").is_none(), "no operator: no attribute");
    assert!(item.get("AbortReason").is_none());
    assert_eq!(item["Backend"], "embedded");
    assert_eq!(
        item["ReferenceSha256"],
        liveness
            .reference_sha256
            .clone()
            .ok_or("no reference hash")?
    );
    assert_eq!(item["Reasons"], serde_json::json!(decision.reasons));
    assert!(item["DecidedAt"].is_string());
    assert_eq!(item["RecordSha256"], sha);
    // The record keeps the guide-relative evidence keys (it is what the
    // local audit chain hashed).
    assert_eq!(item["Record"], record);
    assert!(record.contains(&format!("\"{}\"", document.document_key)));
    assert!(!record.contains(&format!("{KIOSK}/documents/")));
    assert_eq!(sha256_hex(record.as_bytes()), sha);

    // The raw attribute types: numbers as N with two decimals (the guide's F2).
    let raw = ctx.block_on(
        ctx.dynamodb
            .get_item()
            .table_name(TABLE)
            .key(
                "TransactionId",
                aws_sdk_dynamodb::types::AttributeValue::S(t.transaction_id.to_string()),
            )
            .send(),
    )?;
    let raw = raw.item().ok_or("no raw item")?;
    assert_eq!(
        raw.get("Liveness")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("97.46")
    );
    assert_eq!(
        raw.get("Similarity")
            .and_then(|v| v.as_n().ok())
            .map(String::as_str),
        Some("93.10")
    );
    assert!(raw.get("AuditKeys").is_some_and(|v| v.is_l()));
    // No images: the record is ids, keys, hashes and scores.
    assert!(record.len() < 20_000);
    Ok(())
}

#[test]
fn outbox_sync_end_to_end() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let local = local()?;
    let s3 = S3EvidenceStore::new(ctx.clone())?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let mut transactions = queue(&local, 3, 100)?;

    // An aborted transaction: its evidence was deleted, only the record goes.
    let mut aborted = decided_transaction(&local.evidence, 900, Status::Aborted)?;
    for key in aborted.evidence_keys() {
        local.evidence.delete(&key)?;
    }
    aborted.stage = Stage::Aborted;
    aborted.decision = None;
    aborted.comparison = None;
    aborted.abort_reason = Some("cancelled".into());
    record(&local.log, &aborted)?;

    let status = sync_status(&local.log)?;
    assert_eq!(status.pending, 4);
    assert_eq!(status.failing, 0);
    assert!(status.oldest_queued_at.is_some());

    // The record hash the local chain sealed before the sync.
    let sealed: Vec<String> = transactions
        .iter()
        .map(|t| -> Result<String, Box<dyn Error>> {
            let events = local.log.audit_events(&t.transaction_id)?;
            let last = events.last().ok_or("no events")?;
            Ok(last.data[RECORD_SHA256]
                .as_str()
                .ok_or("no hash")?
                .to_owned())
        })
        .collect::<Result<_, _>>()?;

    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(report.synced, 4, "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    assert!(!report.stopped_early);
    assert_eq!(report.remaining, 0);
    assert_eq!(report.objects_uploaded, evidence_count(&transactions));

    // Evidence byte-identical in S3.
    for t in &transactions {
        for key in t.evidence_keys() {
            assert_eq!(s3.get(&key)?, local.evidence.get(&key)?, "{key}");
        }
    }
    assert_eq!(bucket_keys(&ctx)?.len(), evidence_count(&transactions));

    // Records in DynamoDB, hashed as the local chain sealed them.
    transactions.push(aborted.clone());
    let mut want: Vec<String> = transactions
        .iter()
        .map(|t| t.transaction_id.to_string())
        .collect();
    want.sort();
    assert_eq!(table_ids(&ctx)?, want);
    for (t, sealed) in transactions.iter().zip(&sealed) {
        let item = table.get(&t.transaction_id)?.ok_or("no item")?;
        assert_eq!(&item["RecordSha256"], sealed);
        assert_eq!(table.get_record(&t.transaction_id)?.as_ref(), Some(t));
    }
    let aborted_item = table.get(&aborted.transaction_id)?.ok_or("no item")?;
    assert_eq!(aborted_item["Status"], "ABORTED");
    assert_eq!(aborted_item["AbortReason"], "cancelled");

    // Outbox empty, records synced, `sync.completed` in the chain.
    assert!(local.log.outbox(0)?.is_empty());
    for t in &transactions {
        let stored = local.log.get(&t.transaction_id)?.ok_or("no record")?;
        assert_eq!(stored.sync, SyncState::Synced);
        let events = local.log.audit_events(&t.transaction_id)?;
        assert_eq!(events.last().map(|e| e.kind.as_str()), Some(SYNC_COMPLETED));
    }
    let audit = local.log.verify_audit()?;
    assert!(audit.first_bad.is_none());
    assert_eq!(sync_status(&local.log)?.pending, 0);

    // The chain's head is kept in S3, write-once: a local chain rewritten
    // to another head at that point is detected.
    assert_eq!(report.audit_head_events, Some(audit.events));
    assert_eq!(report.audit_head_error, None);
    let heads: Vec<String> = all_bucket_keys(&ctx)?
        .into_iter()
        .filter(|k| k.contains("audit-heads/"))
        .collect();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert_eq!(
        heads[0],
        format!(
            "dayfusion/{KIOSK}/audit-heads/{KIOSK}/{:012}.json",
            audit.events
        )
    );
    let kiosk = &transactions[0].kiosk_id;
    let head = audit.head_hash.as_deref().ok_or("no head")?;
    assert!(!s3.put_audit_head(kiosk, audit.events, head)?);
    assert!(matches!(
        s3.put_audit_head(kiosk, audit.events, &"0".repeat(64)),
        Err(StoreError::Conflict(_))
    ));

    // Again: nothing to do.
    let again = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(again, dayfusion_aws::SyncReport::default());
    Ok(())
}

#[test]
fn outbox_sync_finishes_a_run_interrupted_after_the_remote_writes() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let local = local()?;
    let s3 = S3EvidenceStore::new(ctx.clone())?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let transactions = queue(&local, 3, 200)?;

    // A crash after the first transaction reached S3 and DynamoDB but before
    // the log recorded it, and after half the second one's evidence.
    let first = &transactions[0];
    for key in first.evidence_keys() {
        s3.put(&key, &local.evidence.get(&key)?)?;
    }
    let (_, sha) = record_json(first)?;
    table.put_final(first, &sha)?;
    let second_keys = transactions[1].evidence_keys();
    for key in &second_keys[..2] {
        s3.put(key, &local.evidence.get(key)?)?;
    }

    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(report.synced, 3, "{report:?}");
    assert!(report.failed.is_empty());
    let already = first.evidence_keys().len() + 2;
    assert_eq!(
        report.objects_uploaded,
        evidence_count(&transactions) - already
    );
    assert_eq!(table_ids(&ctx)?.len(), 3);
    assert_eq!(bucket_keys(&ctx)?.len(), evidence_count(&transactions));
    assert!(local.log.outbox(0)?.is_empty());
    Ok(())
}

#[test]
fn outbox_sync_goes_on_past_a_transaction_that_cannot_sync() -> TestResult {
    let _serial = serial();
    let Some(ctx) = fresh()? else { return Ok(()) };
    let local = local()?;
    let s3 = S3EvidenceStore::new(ctx.clone())?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let transactions = queue(&local, 3, 300)?;
    // The middle one's document vanished locally.
    let broken = &transactions[1];
    let document = broken
        .document
        .as_ref()
        .ok_or("no document")?
        .document_key
        .clone();
    local.evidence.delete(&document)?;

    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    let now = OffsetDateTime::now_utc();
    let report = sync.run(now, 0)?;
    assert_eq!(report.synced, 2, "{report:?}");
    assert_eq!(
        report.failed,
        vec![(broken.transaction_id, "not-found".to_owned())]
    );
    assert!(!report.stopped_early);
    assert_eq!(report.remaining, 1);
    let status = sync_status(&local.log)?;
    assert_eq!((status.pending, status.failing), (1, 1));
    assert_eq!(status.last_error.as_deref(), Some("not-found"));
    let entry = &local.log.outbox(0)?[0];
    assert_eq!(entry.attempts, 1);
    let events = local.log.audit_events(&broken.transaction_id)?;
    assert_eq!(events.last().map(|e| e.kind.as_str()), Some(SYNC_FAILED));

    // In backoff: 30 s after the failure.
    let due = next_attempt_at(&local.log, entry)?.ok_or("no backoff")?;
    assert!(due > now && due <= OffsetDateTime::now_utc() + time::Duration::seconds(30));
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!((report.skipped_backoff, report.synced), (1, 0));
    // Past it: tried again, fails again, backoff doubles.
    let report = sync.run(due + time::Duration::seconds(1), 0)?;
    assert_eq!(report.failed.len(), 1);
    let entry = &local.log.outbox(0)?[0];
    assert_eq!(entry.attempts, 2);
    assert_eq!(table_ids(&ctx)?.len(), 2);
    Ok(())
}

/// A private moto server this test can stop and restart.
struct PrivateMoto {
    bin: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl PrivateMoto {
    fn binary() -> Result<Option<PathBuf>, Box<dyn Error>> {
        let bin = match std::env::var_os(BIN_VAR) {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.tools/moto-venv/bin/moto_server")
            }
        };
        if bin.is_file() {
            Ok(Some(bin))
        } else if std::env::var_os("CI").is_some() {
            Err(format!(
                "no moto_server at {} under CI: run infra/aws-local/setup-moto.sh or set {BIN_VAR}",
                bin.display()
            )
            .into())
        } else {
            eprintln!(
                "no moto_server at {}: skipping the outage test",
                bin.display()
            );
            Ok(None)
        }
    }

    fn start(bin: PathBuf) -> Result<PrivateMoto, Box<dyn Error>> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut moto = PrivateMoto {
            bin,
            port,
            child: None,
        };
        moto.restart()?;
        Ok(moto)
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn restart(&mut self) -> TestResult {
        let child = Command::new(&self.bin)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok((200, _)) = http("GET", &format!("{}/moto-api/data.json", self.url()), b"") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("private moto_server did not answer in 30 s".into())
    }

    fn stop(&mut self) -> TestResult {
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

#[test]
fn outbox_sync_survives_an_outage_and_delivers_exactly_once() -> TestResult {
    let _serial = serial();
    // Runs with the shared server's tests (same switch), on its own server.
    if moto_url()?.is_none() {
        return Ok(());
    }
    let Some(bin) = PrivateMoto::binary()? else {
        return Ok(());
    };
    let mut moto = PrivateMoto::start(bin)?;
    let ctx = context(settings(&moto.url()))?;
    create_resources(&ctx)?;
    let local = local()?;
    let s3 = S3EvidenceStore::new(ctx.clone())?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let transactions = queue(&local, 4, 400)?;
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);

    // Outage: the first entry fails as retryable and the run stops there.
    moto.stop()?;
    let t0 = OffsetDateTime::now_utc();
    let report = sync.run(t0, 0)?;
    assert_eq!(report.synced, 0, "{report:?}");
    assert_eq!(
        report.failed,
        vec![(transactions[0].transaction_id, "aws-unreachable".to_owned())]
    );
    assert!(report.stopped_early);
    assert_eq!(report.remaining, 4);
    let outbox = local.log.outbox(0)?;
    assert_eq!(
        outbox.iter().map(|e| e.attempts).collect::<Vec<_>>(),
        vec![1, 0, 0, 0],
        "attempts recorded on the entry tried only"
    );
    assert_eq!(
        sync_status(&local.log)?.last_error.as_deref(),
        Some("aws-unreachable")
    );
    for t in &transactions {
        for key in t.evidence_keys() {
            local.evidence.get(&key)?; // nothing lost locally
        }
    }

    // Back (moto keeps nothing across a restart: recreate the resources).
    moto.restart()?;
    create_resources(&ctx)?;
    // The first entry is still in backoff; the others go.
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(
        (report.synced, report.skipped_backoff),
        (3, 1),
        "{report:?}"
    );
    // Past the backoff, the first one arrives too.
    let report = sync.run(t0 + time::Duration::minutes(2), 0)?;
    assert_eq!(report.synced, 1, "{report:?}");
    assert_eq!(report.remaining, 0);

    // Exactly once: one item per transaction, one object per key.
    let mut want_ids: Vec<String> = transactions
        .iter()
        .map(|t| t.transaction_id.to_string())
        .collect();
    want_ids.sort();
    assert_eq!(table_ids(&ctx)?, want_ids);
    let mut want_keys: Vec<String> = transactions
        .iter()
        .flat_map(Transaction::evidence_keys)
        .map(|k| format!("dayfusion/{KIOSK}/{k}"))
        .collect();
    want_keys.sort();
    assert_eq!(bucket_keys(&ctx)?, want_keys);
    for t in &transactions {
        let events = local.log.audit_events(&t.transaction_id)?;
        let completed = events.iter().filter(|e| e.kind == SYNC_COMPLETED).count();
        assert_eq!(completed, 1);
    }
    let first_events = local.log.audit_events(&transactions[0].transaction_id)?;
    let completed = first_events
        .iter()
        .find(|e| e.kind == SYNC_COMPLETED)
        .ok_or("no sync.completed")?;
    assert_eq!(completed.data["attempts"], 1);

    // A third run: nothing to do.
    let report = sync.run(t0 + time::Duration::hours(2), 0)?;
    assert_eq!(report, dayfusion_aws::SyncReport::default());
    assert!(local.log.verify_audit()?.first_bad.is_none());
    Ok(())
}

#[test]
fn outbox_sync_cut_off_mid_run_delivers_every_record_exactly_once() -> TestResult {
    const N: usize = 12;
    let _serial = serial();
    let Some(direct) = fresh()? else {
        return Ok(());
    };
    let started = Instant::now();
    let moto = direct.settings.endpoint_url.clone().ok_or("no endpoint")?;
    let proxy = FlakyProxy::start(&moto)?;
    let ctx = context(settings(&proxy.url()))?;
    let s3 = S3EvidenceStore::new(ctx.clone())?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let direct_s3 = S3EvidenceStore::new(direct.clone())?;
    let direct_table = DynamoTransactionTable::new(direct.clone());
    let local = local()?;
    let n = u32::try_from(N)?;
    let transactions = queue(&local, n, 500)?;
    // The record hash the local chain sealed for each, before any sync.
    let sealed: Vec<String> = transactions
        .iter()
        .map(|t| -> Result<String, Box<dyn Error>> {
            let events = local.log.audit_events(&t.transaction_id)?;
            let last = events.last().ok_or("no events")?;
            Ok(last.data[RECORD_SHA256]
                .as_str()
                .ok_or("no hash")?
                .to_owned())
        })
        .collect::<Result<_, _>>()?;
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);

    // 1. The network goes once moto holds 3 records (polled directly, not
    //    through the proxy), wherever the run is then.
    let t0 = OffsetDateTime::now_utc();
    let (first, seen_at_cut, cut_at) = std::thread::scope(|scope| {
        let runner = scope.spawn(|| sync.run(t0, 0));
        let deadline = Instant::now() + Duration::from_secs(30);
        let polled = loop {
            match item_count(&direct) {
                Ok(count) if count >= 3 => break Ok(count),
                Err(e) => break Err(e),
                Ok(_) if runner.is_finished() => {
                    break Err("the run ended before 3 records reached moto".into());
                }
                Ok(_) if Instant::now() > deadline => {
                    break Err("3 records did not reach moto in 30 s".into());
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        proxy.cut();
        let cut_at = Instant::now();
        let report = runner.join().map_err(|_| "the sync thread panicked")?;
        Ok::<_, Box<dyn Error>>((report?, polled?, cut_at))
    })?;
    let first_run_after_cut = cut_at.elapsed();
    let synced = first.synced;
    eprintln!(
        "cut at {seen_at_cut} items ({:?} in); first run {first:?}, ended {first_run_after_cut:?} after the cut",
        cut_at - started
    );
    // Every record moto held at the cut was synced, except perhaps the last
    // one seen: written, but its answer lost to the cut (then it is the one
    // in flight, and `landed` below says so).
    let seen_at_cut = usize::try_from(seen_at_cut)?;
    assert!(synced + 1 >= seen_at_cut, "{first:?}");
    assert!(synced < N, "{first:?}");
    assert!(first.stopped_early, "{first:?}");
    let in_flight = &transactions[synced];
    assert_eq!(
        first.failed,
        vec![(in_flight.transaction_id, "aws-unreachable".to_owned())]
    );
    assert_eq!(first.remaining, N - synced);
    assert!(first_run_after_cut < Duration::from_secs(10));

    // Nothing lost locally: the rest still queued, in order, their evidence
    // still there; only the entry tried failed.
    let outbox = local.log.outbox(0)?;
    assert_eq!(outbox.len() + synced, N);
    assert_eq!(
        outbox.iter().map(|e| e.transaction_id).collect::<Vec<_>>(),
        transactions[synced..]
            .iter()
            .map(|t| t.transaction_id)
            .collect::<Vec<_>>()
    );
    assert_eq!(outbox[0].attempts, 1);
    assert!(outbox[1..].iter().all(|e| e.attempts == 0));
    for t in &transactions {
        for key in t.evidence_keys() {
            local.evidence.get(&key)?;
        }
    }
    // moto holds the synced ones, and perhaps the one cut off in flight.
    let ids = table_ids(&direct)?;
    let in_flight_id = in_flight.transaction_id.to_string();
    let landed = ids.contains(&in_flight_id);
    assert_eq!(ids.len(), synced + usize::from(landed), "{ids:?}");
    for (i, t) in transactions.iter().enumerate() {
        let want = usize::from(i < synced);
        assert_eq!(completions(&local.log, t)?, want, "transaction {i}");
        if i < synced {
            assert!(ids.contains(&t.transaction_id.to_string()));
        }
    }
    eprintln!("the record cut off in flight reached moto: {landed}");

    // 2. The in-flight edge, for sure: up again, past the backoff; the
    //    network goes the moment moto has written the next record and
    //    before its answer gets back.
    proxy.restore();
    proxy.arm_put_trap();
    let second = sync.run(t0 + time::Duration::hours(1), 0)?;
    eprintln!("second run {second:?}");
    assert!(proxy.trap_fired(), "{second:?}");
    assert_eq!(second.synced, 0, "{second:?}");
    assert_eq!(
        second.failed,
        vec![(in_flight.transaction_id, "aws-unreachable".to_owned())]
    );
    assert!(second.stopped_early);
    assert_eq!(second.remaining, N - synced);
    let item = direct_table
        .get(&in_flight.transaction_id)?
        .ok_or("the trapped record did not reach moto")?;
    assert_eq!(item["RecordSha256"], sealed[synced]);
    assert_eq!(local.log.outbox(0)?[0].attempts, 2);
    assert_eq!(completions(&local.log, in_flight)?, 0);
    assert_eq!(table_ids(&direct)?.len(), synced + 1);

    // 3. Up again: everything left arrives; the record already in the
    //    table counts as there (same hash), not as a conflict.
    proxy.restore();
    let third = sync.run(t0 + time::Duration::hours(2), 0)?;
    eprintln!("third run {third:?}");
    assert_eq!(third.synced, N - synced, "{third:?}");
    assert!(third.failed.is_empty(), "{third:?}");
    assert!(!third.stopped_early);
    assert_eq!(third.remaining, 0);
    let uploaded = first.objects_uploaded + second.objects_uploaded + third.objects_uploaded;
    // An object whose answer was cut off is found in S3 later, not counted.
    let expected_objects = evidence_count(&transactions);
    assert!(
        uploaded <= expected_objects && uploaded + 1 >= expected_objects,
        "{uploaded} of {expected_objects}"
    );

    // Exactly once: one item per transaction with the sealed hash, one
    // byte-identical object per evidence key and no other, one
    // `sync.completed` per transaction.
    assert_eq!(usize::try_from(item_count(&direct)?)?, N);
    let mut want_ids: Vec<String> = transactions
        .iter()
        .map(|t| t.transaction_id.to_string())
        .collect();
    want_ids.sort();
    assert_eq!(table_ids(&direct)?, want_ids);
    for (t, sealed) in transactions.iter().zip(&sealed) {
        let item = direct_table.get(&t.transaction_id)?.ok_or("no item")?;
        assert_eq!(&item["RecordSha256"], sealed);
        assert_eq!(
            direct_table.get_record(&t.transaction_id)?.as_ref(),
            Some(t)
        );
    }
    let mut want_keys: Vec<String> = transactions
        .iter()
        .flat_map(Transaction::evidence_keys)
        .map(|k| format!("dayfusion/{KIOSK}/{k}"))
        .collect();
    want_keys.sort();
    assert_eq!(want_keys.len(), expected_objects);
    assert_eq!(bucket_keys(&direct)?, want_keys);
    for t in &transactions {
        for key in t.evidence_keys() {
            assert_eq!(direct_s3.get(&key)?, local.evidence.get(&key)?, "{key}");
        }
    }
    assert!(local.log.outbox(0)?.is_empty());
    assert_eq!(sync_status(&local.log)?.pending, 0);
    for t in &transactions {
        assert_eq!(completions(&local.log, t)?, 1);
        let stored = local.log.get(&t.transaction_id)?.ok_or("no record")?;
        assert_eq!(stored.sync, SyncState::Synced);
    }
    let events = local.log.audit_events(&in_flight.transaction_id)?;
    let completed = events
        .iter()
        .find(|e| e.kind == SYNC_COMPLETED)
        .ok_or("no sync.completed")?;
    assert_eq!(completed.data["attempts"], 2);
    assert!(local.log.verify_audit()?.first_bad.is_none());
    // What the third run met for the record written in flight.
    assert_eq!(
        direct_table.put_final(in_flight, &sealed[synced])?,
        PutOutcome::AlreadyThere
    );
    assert_eq!(usize::try_from(item_count(&direct)?)?, N);

    // 4. Nothing left to do.
    let fourth = sync.run(t0 + time::Duration::hours(3), 0)?;
    assert_eq!(fourth, dayfusion_aws::SyncReport::default());
    let took = started.elapsed();
    eprintln!("took {took:?}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    Ok(())
}

/// A string attribute of an item as JSON, or "" when absent.
fn attr(item: &serde_json::Value, name: &str) -> String {
    item[name].as_str().unwrap_or_default().to_owned()
}

#[test]
fn reviews_purges_and_legal_holds_after_sync_reach_dynamodb_and_s3_exactly_once() -> TestResult {
    use dayfusion_verify::{hold, maintenance, review};
    let _serial = serial();
    let Some(OutboxKiosk {
        ctx,
        local,
        s3,
        table,
    }) = outbox_kiosk()?
    else {
        return Ok(());
    };
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    // Two REVIEW cases and an APPROVED one, synced.
    let reviewed = decided_transaction(&local.evidence, 300, Status::Review)?;
    let held = decided_transaction(&local.evidence, 310, Status::Review)?;
    let approved = decided_transaction(&local.evidence, 320, Status::Approved)?;
    for t in [&reviewed, &held, &approved] {
        record(&local.log, t)?;
    }
    let first = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(first.synced, 3, "{first:?}");
    let before = table
        .get(&reviewed.transaction_id)?
        .ok_or("no item after the first sync")?;
    assert_eq!(attr(&before, "Status"), "REVIEW");
    assert_eq!(attr(&before, "ReviewStatus"), "");

    // A staff review after the sync: one UpdateItem, the decision's own
    // attributes untouched.
    review::resolve(
        &local.log,
        &reviewed.transaction_id,
        Status::Approved,
        "rev.ana",
        "documento conferido",
    )?;
    assert_eq!(sync_status(&local.log)?.pending, 1, "the review is queued");
    let second = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(second.synced, 1, "{second:?}");
    let after = table
        .get(&reviewed.transaction_id)?
        .ok_or("item gone after the review")?;
    assert_eq!(attr(&after, "Status"), "APPROVED");
    assert_eq!(attr(&after, "ReviewStatus"), "APPROVED");
    assert_eq!(attr(&after, "ReviewedBy"), "rev.ana");
    assert_eq!(attr(&after, "ReviewReason"), "documento conferido");
    assert!(!attr(&after, "ReviewedAt").is_empty());
    for kept in [
        "Similarity",
        "Liveness",
        "CreatedAt",
        "DecidedAt",
        "DocumentKey",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} is write-once");
    }
    let (_, local_sha) = record_json(
        &local
            .log
            .get(&reviewed.transaction_id)?
            .ok_or("no local record")?,
    )?;
    assert_ne!(attr(&after, "RecordSha256"), attr(&before, "RecordSha256"));
    let events = local.log.audit_events(&reviewed.transaction_id)?;
    let completed = events.last().ok_or("no events")?;
    assert_eq!(completed.kind, SYNC_COMPLETED);
    assert_eq!(
        completed.data["remoteRecordSha256"],
        attr(&after, "RecordSha256")
    );
    // The item holds the record the chain sealed at the review, synced
    // after it (only `sync` and `updatedAt` differ locally now).
    assert_ne!(local_sha, "");
    // Nothing more to send: a third run changes nothing.
    assert_eq!(sync.run(OffsetDateTime::now_utc(), 0)?.synced, 0);
    assert_eq!(
        table.get(&reviewed.transaction_id)?.ok_or("gone")?,
        after,
        "a second run sends nothing"
    );

    // A legal hold, then the retention purge of everything (0 days).
    hold::set(
        &local.log,
        &held.transaction_id,
        true,
        "adm.bia",
        "ordem judicial 123",
    )?;
    let objects_before = bucket_keys(&ctx)?.len();
    let purge = maintenance::purge(
        &local.evidence,
        &local.log,
        0,
        OffsetDateTime::now_utc() + time::Duration::seconds(1),
        false,
    )?;
    assert_eq!(purge.transactions, 2, "{purge:?}");
    assert_eq!(purge.kept_on_hold, 1, "{purge:?}");
    assert_eq!(purge.queued_for_aws, 2, "{purge:?}");
    for t in [&reviewed, &approved] {
        for key in t.evidence_keys() {
            assert!(local.evidence.get(&key).is_err(), "{key} still local");
            assert!(
                s3.head(&key)?.is_some(),
                "{key} gone from S3 before the sync"
            );
        }
    }
    let third = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(third.synced, 2, "{third:?}");
    let deleted = evidence_count(&[reviewed.clone(), approved.clone()]);
    assert_eq!(third.objects_deleted, deleted, "{third:?}");
    assert_eq!(bucket_keys(&ctx)?.len(), objects_before - deleted);
    for t in [&reviewed, &approved] {
        let item = table.get(&t.transaction_id)?.ok_or("item gone")?;
        assert!(!attr(&item, "EvidenceDeletedAt").is_empty(), "{item}");
        for key in t.evidence_keys() {
            assert!(s3.head(&key)?.is_none(), "{key} still in S3");
        }
    }
    // The reviewed item keeps its review through the purge.
    let purged = table.get(&reviewed.transaction_id)?.ok_or("gone")?;
    assert_eq!(attr(&purged, "ReviewStatus"), "APPROVED");
    // The held one keeps everything, here and in AWS.
    let held_item = table.get(&held.transaction_id)?.ok_or("gone")?;
    assert_eq!(attr(&held_item, "EvidenceDeletedAt"), "");
    for key in held.evidence_keys() {
        local.evidence.get(&key)?;
        assert!(s3.head(&key)?.is_some(), "{key}");
    }
    let purge_events = local.log.audit_events(&approved.transaction_id)?;
    let purged_event = purge_events
        .iter()
        .find(|e| e.kind == "evidence.purged")
        .ok_or("no purge event")?;
    assert_eq!(
        purged_event.data["localObjectsDeleted"],
        approved.evidence_keys().len()
    );
    assert_eq!(purged_event.data["s3"], "queued");
    let completed = purge_events.last().ok_or("no events")?;
    assert_eq!(completed.kind, SYNC_COMPLETED);
    assert_eq!(
        completed.data["s3ObjectsDeleted"],
        approved.evidence_keys().len()
    );
    assert_eq!(local.log.verify_audit()?.first_bad, None);
    Ok(())
}

/// Maintenance runs without liveness or matching, as the CLI's `recover`.
struct MaintenanceOnly;

impl dayfusion_verify::LivenessProvider for MaintenanceOnly {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }
    fn create_session(
        &self,
    ) -> Result<dayfusion_verify::LivenessSessionStart, dayfusion_verify::ProviderError> {
        Err(dayfusion_verify::ProviderError::new(
            "provider-unavailable",
            "maintenance",
            false,
        ))
    }
    fn session_results(
        &self,
        _: &str,
    ) -> Result<dayfusion_verify::LivenessOutcome, dayfusion_verify::ProviderError> {
        Err(dayfusion_verify::ProviderError::new(
            "provider-unavailable",
            "maintenance",
            false,
        ))
    }
}

impl dayfusion_verify::FaceMatcher for MaintenanceOnly {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }
    fn locate_portrait(
        &self,
        _: &[u8],
    ) -> Result<PortraitLocation, dayfusion_verify::ProviderError> {
        Err(dayfusion_verify::ProviderError::new(
            "provider-unavailable",
            "maintenance",
            false,
        ))
    }
    fn compare(
        &self,
        _: &[u8],
        _: &[u8],
    ) -> Result<dayfusion_verify::MatchResult, dayfusion_verify::ProviderError> {
        Err(dayfusion_verify::ProviderError::new(
            "provider-unavailable",
            "maintenance",
            false,
        ))
    }
}

/// A backend over `evidence` and `log` with no providers.
fn maintenance_backend<'a>(
    evidence: &'a dyn EvidenceStore,
    log: &'a dyn TransactionLog,
) -> dayfusion_verify::Backend<'a> {
    dayfusion_verify::Backend {
        kind: Provider::Embedded,
        liveness: &MaintenanceOnly,
        matcher: &MaintenanceOnly,
        evidence,
        log,
    }
}

/// Writes an object as Rekognition's `OutputConfig` does, under
/// `{kiosk folder}liveness-output/{session}/{name}`.
fn put_liveness_output(s3: &S3EvidenceStore, session: &str, name: &str, seed: u32) -> TestResult {
    let ctx = s3.context();
    let key = format!("{}liveness-output/{session}/{name}", s3.kiosk_prefix());
    ctx.block_on(
        ctx.s3
            .put_object()
            .bucket(s3.bucket())
            .key(key)
            .body(ByteStream::from(jpeg(seed, 800)))
            .send(),
    )?;
    Ok(())
}

/// A context whose endpoint refuses connections (S3 and DynamoDB offline).
fn unreachable_context() -> Result<Arc<AwsContext>, Box<dyn Error>> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    context(settings(&format!("http://127.0.0.1:{port}")))
}

/// An AWS transaction in progress whose document is in S3 and recorded,
/// whose liveness session is bound, and whose liveness images and
/// Rekognition output reached S3 before a crash kept them from being
/// recorded.
fn interrupted_aws_transaction(
    log: &SqliteLog,
    s3: &S3EvidenceStore,
    seed: u32,
) -> Result<Transaction, Box<dyn Error>> {
    let decided = decided_transaction(s3, seed, Status::Approved)?;
    let session = decided.liveness_session_id.clone().ok_or("no session")?;
    let event = |kind: &str, data: serde_json::Value| AuditEvent {
        kind: kind.into(),
        data,
    };
    let mut t = decided.clone();
    t.backend = Provider::Aws;
    t.stage = Stage::Started;
    t.status = Status::InProgress;
    t.sync = SyncState::NotReady;
    t.liveness_session_id = None;
    t.liveness = None;
    t.comparison = None;
    t.decision = None;
    let document = t.document.take();
    log.insert(&t, &event("transaction.started", serde_json::json!({})))?;
    t.stage = Stage::DocumentCaptured;
    t.document = document;
    log.update(&t, &event("document.captured", serde_json::json!({})))?;
    t.liveness_session_id = Some(session.clone());
    log.update(
        &t,
        &event(
            "liveness.started",
            serde_json::json!({ "provider": "aws", "sessionId": session, "replaces": null }),
        ),
    )?;
    put_liveness_output(s3, &session, "reference.jpg", seed + 5000)?;
    put_liveness_output(s3, &session, "audit_images/1.jpg", seed + 5001)?;
    Ok(t)
}

#[test]
fn recover_aborts_an_interrupted_aws_transaction_and_the_sync_empties_its_s3_folders() -> TestResult
{
    use dayfusion_aws::erase::EVIDENCE_S3_DELETED;
    use dayfusion_verify::maintenance;
    let _serial = serial();
    let Some(OutboxKiosk {
        ctx,
        local,
        s3,
        table,
    }) = outbox_kiosk()?
    else {
        return Ok(());
    };
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    // Another kiosk visit, decided and synced, with its own Rekognition output.
    let mut kept = decided_transaction(&s3, 600, Status::Approved)?;
    kept.backend = Provider::Aws;
    let kept_session = kept.liveness_session_id.clone().ok_or("no session")?;
    put_liveness_output(&s3, &kept_session, "reference.jpg", 601)?;
    record(&local.log, &kept)?;
    assert_eq!(sync.run(OffsetDateTime::now_utc(), 0)?.synced, 1);
    let kept_objects = bucket_keys(&ctx)?;
    assert_eq!(kept_objects.len(), 5, "{kept_objects:?}");

    let crashed = interrupted_aws_transaction(&local.log, &s3, 610)?;
    let id = crashed.transaction_id.to_string();
    let session = crashed.liveness_session_id.clone().ok_or("no session")?;
    let ours = |keys: &[String]| -> Vec<String> {
        keys.iter()
            .filter(|k| k.contains(&id) || k.contains(&session))
            .cloned()
            .collect()
    };
    // Document, reference, two audit images, two Rekognition outputs.
    assert_eq!(ours(&bucket_keys(&ctx)?).len(), 6);

    // `dayfusion recover`: the local stores only (S3 is not reached).
    let report = maintenance::recover(&maintenance_backend(&local.evidence, &local.log))?;
    assert_eq!(report.aborted, vec![crashed.transaction_id]);
    assert_eq!(report.queued_for_aws, 1);
    let aborted = local.log.get(&crashed.transaction_id)?.ok_or("gone")?;
    assert_eq!(aborted.status, Status::Aborted);
    assert_eq!(aborted.abort_reason.as_deref(), Some("interrupted"));
    assert!(aborted.evidence_purged_at.is_some());
    assert_eq!(aborted.sync, SyncState::Pending);

    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(report.synced, 1, "{report:?}");
    assert_eq!(report.objects_deleted, 6, "{report:?}");
    assert_eq!(ours(&bucket_keys(&ctx)?), Vec::<String>::new());
    assert_eq!(
        bucket_keys(&ctx)?,
        kept_objects,
        "another visit's objects stay"
    );
    // DynamoDB says what happened.
    let item = table.get(&crashed.transaction_id)?.ok_or("no item")?;
    assert_eq!(attr(&item, "Status"), "ABORTED");
    assert_eq!(attr(&item, "AbortReason"), "interrupted");
    assert!(!attr(&item, "EvidenceDeletedAt").is_empty(), "{item}");
    // So does the log, with the real counts.
    let events = local.log.audit_events(&crashed.transaction_id)?;
    let aborted_event = events
        .iter()
        .find(|e| e.kind == "transaction.aborted")
        .ok_or("no abort event")?;
    assert_eq!(aborted_event.data["s3"], "queued");
    assert_eq!(
        aborted_event.data["evidenceDeleted"], 0,
        "not in the local store"
    );
    let deleted = events
        .iter()
        .find(|e| e.kind == EVIDENCE_S3_DELETED)
        .ok_or("no S3 deletion event")?;
    assert_eq!(deleted.data["evidenceObjects"], 4);
    assert_eq!(deleted.data["livenessOutputObjects"], 2);
    assert_eq!(deleted.data["cause"], "aborted");
    assert_eq!(deleted.data["complete"], true);
    let completed = events.last().ok_or("no events")?;
    assert_eq!(completed.kind, SYNC_COMPLETED);
    assert_eq!(completed.data["s3ObjectsDeleted"], 6);
    // A later sync and purge leave it alone.
    assert_eq!(sync.run(OffsetDateTime::now_utc(), 0)?.synced, 0);
    let purge = maintenance::purge(
        &local.evidence,
        &local.log,
        0,
        OffsetDateTime::now_utc() + time::Duration::seconds(1),
        false,
    )?;
    assert_eq!(purge.transactions, 1, "only the decided one: {purge:?}");
    assert_eq!(local.log.verify_audit()?.first_bad, None);
    Ok(())
}

#[test]
fn an_abort_while_s3_is_offline_is_recorded_and_the_sync_deletes_the_objects_later() -> TestResult {
    use dayfusion_verify::maintenance;
    let _serial = serial();
    let Some(OutboxKiosk {
        ctx,
        local,
        s3,
        table,
    }) = outbox_kiosk()?
    else {
        return Ok(());
    };
    let crashed = interrupted_aws_transaction(&local.log, &s3, 700)?;
    assert_eq!(bucket_keys(&ctx)?.len(), 6);

    // The kiosk starts offline: the AWS backend's own recovery (its evidence
    // store is S3) still closes the transaction.
    let offline = S3EvidenceStore::new(unreachable_context()?)?;
    let aborted = maintenance::abort_interrupted(&maintenance_backend(&offline, &local.log))?;
    assert_eq!(aborted, vec![crashed.transaction_id]);
    let events = local.log.audit_events(&crashed.transaction_id)?;
    let event = events.last().ok_or("no events")?;
    assert_eq!(event.kind, "transaction.aborted");
    assert_eq!(event.data["deferred"], "aws-unreachable");
    assert_eq!(bucket_keys(&ctx)?.len(), 6, "nothing deleted yet");

    // Back online: the sync deletes everything.
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(
        (report.synced, report.objects_deleted),
        (1, 6),
        "{report:?}"
    );
    assert_eq!(bucket_keys(&ctx)?, Vec::<String>::new());
    Ok(())
}

#[test]
fn a_purge_deletes_rekognition_output_and_retries_until_s3_answers() -> TestResult {
    use dayfusion_aws::erase::EVIDENCE_S3_DELETED;
    use dayfusion_verify::{hold, maintenance};
    let _serial = serial();
    let Some(OutboxKiosk {
        ctx,
        local,
        s3,
        table,
    }) = outbox_kiosk()?
    else {
        return Ok(());
    };
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    // Two AWS visits, each with Rekognition's output; one goes under a hold.
    let mut purged = decided_transaction(&s3, 800, Status::Approved)?;
    let mut held = decided_transaction(&s3, 810, Status::Approved)?;
    for (t, seed) in [(&mut purged, 820), (&mut held, 830)] {
        t.backend = Provider::Aws;
        let session = t.liveness_session_id.clone().ok_or("no session")?;
        put_liveness_output(&s3, &session, "reference.jpg", seed)?;
        put_liveness_output(&s3, &session, "audit_images/1.jpg", seed + 1)?;
        record(&local.log, t)?;
    }
    // Output of a session no transaction names (another app, a lost log).
    let stranger = Uuid::new_v4().to_string();
    put_liveness_output(&s3, &stranger, "reference.jpg", 840)?;
    assert_eq!(sync.run(OffsetDateTime::now_utc(), 0)?.synced, 2);
    hold::set(
        &local.log,
        &held.transaction_id,
        true,
        "adm.bia",
        "ordem judicial 9",
    )?;
    let before = bucket_keys(&ctx)?;
    assert_eq!(before.len(), 13);

    let report = maintenance::purge(
        &local.evidence,
        &local.log,
        0,
        OffsetDateTime::now_utc() + time::Duration::seconds(1),
        false,
    )?;
    assert_eq!(
        (report.transactions, report.kept_on_hold),
        (1, 1),
        "{report:?}"
    );

    // S3 cannot be reached: the purge stays queued, nothing is lost.
    let offline = unreachable_context()?;
    let offline_s3 = S3EvidenceStore::new(offline.clone())?;
    let offline_table = DynamoTransactionTable::new(offline);
    let t0 = OffsetDateTime::now_utc();
    let failed = OutboxSync::new(
        &local.log,
        Some(&local.evidence),
        &offline_s3,
        &offline_table,
    )
    .run(t0, 0)?;
    assert_eq!(
        failed.failed,
        vec![(purged.transaction_id, "aws-unreachable".to_owned())]
    );
    assert_eq!(failed.remaining, 1);
    assert_eq!(bucket_keys(&ctx)?, before);
    assert_eq!(local.log.outbox(0)?.len(), 1);

    // Back: after the backoff the next sync deletes its objects, output
    // included, and leaves the others.
    let report = sync.run(t0 + time::Duration::minutes(2), 0)?;
    assert_eq!(report.synced, 1, "{report:?}");
    assert_eq!(report.objects_deleted, 6, "{report:?}");
    let session = purged.liveness_session_id.clone().ok_or("no session")?;
    let id = purged.transaction_id.to_string();
    let after = bucket_keys(&ctx)?;
    assert!(
        after
            .iter()
            .all(|k| !k.contains(&session) && !k.contains(&id)),
        "{after:?}"
    );
    assert_eq!(
        after.len(),
        7,
        "the held visit's 6 and the stranger's 1: {after:?}"
    );
    assert!(after.iter().any(|k| k.contains(&stranger)));
    let item = table.get(&purged.transaction_id)?.ok_or("no item")?;
    assert!(!attr(&item, "EvidenceDeletedAt").is_empty(), "{item}");
    // The counts per store: local in the purge event, S3 in the sync's.
    let events = local.log.audit_events(&purged.transaction_id)?;
    let purge_event = events
        .iter()
        .find(|e| e.kind == "evidence.purged")
        .ok_or("no purge event")?;
    assert_eq!(purge_event.data["localObjectsDeleted"], 0);
    assert_eq!(purge_event.data["s3"], "queued");
    let deleted: Vec<_> = events
        .iter()
        .filter(|e| e.kind == EVIDENCE_S3_DELETED)
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].data["evidenceObjects"], 4);
    assert_eq!(deleted[0].data["livenessOutputObjects"], 2);
    assert_eq!(deleted[0].data["cause"], "retention-purge");
    assert!(events.iter().any(|e| e.kind == SYNC_FAILED));
    let completed = events.last().ok_or("no events")?;
    assert_eq!(completed.kind, SYNC_COMPLETED);
    assert_eq!(completed.data["s3ObjectsDeleted"], 6);
    assert_eq!(completed.data["attempts"], 1);
    assert_eq!(local.log.verify_audit()?.first_bad, None);
    Ok(())
}

#[test]
fn a_hold_placed_after_the_purge_keeps_the_s3_copy_until_released() -> TestResult {
    use dayfusion_verify::{hold, maintenance};
    let _serial = serial();
    let Some(OutboxKiosk {
        ctx,
        local,
        s3,
        table,
    }) = outbox_kiosk()?
    else {
        return Ok(());
    };
    let sync = OutboxSync::new(&local.log, Some(&local.evidence), &s3, &table);
    let t = decided_transaction(&local.evidence, 800, Status::Approved)?;
    record(&local.log, &t)?;
    assert_eq!(sync.run(OffsetDateTime::now_utc(), 0)?.synced, 1);
    let in_s3 = bucket_keys(&ctx)?;
    assert_eq!(in_s3.len(), t.evidence_keys().len());

    // The retention purge deletes the local copy and queues the S3 erase;
    // before the next sync (a field laptop offline for days) staff place a
    // hold.
    let purge = maintenance::purge(
        &local.evidence,
        &local.log,
        0,
        OffsetDateTime::now_utc() + time::Duration::seconds(1),
        false,
    )?;
    assert_eq!(purge.queued_for_aws, 1, "{purge:?}");
    hold::set(
        &local.log,
        &t.transaction_id,
        true,
        "adm.bia",
        "ordem judicial 456",
    )?;
    let status = sync_status(&local.log)?;
    assert_eq!((status.pending, status.held), (0, 1), "{status:?}");
    assert_eq!(status.oldest_queued_at, None, "a held one is not overdue");

    // The sync leaves it alone: the S3 copy stays and DynamoDB does not
    // claim the evidence deleted.
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(
        (report.synced, report.skipped_held, report.objects_deleted),
        (0, 1, 0),
        "{report:?}"
    );
    assert_eq!(bucket_keys(&ctx)?, in_s3);
    let item = table.get(&t.transaction_id)?.ok_or("no item")?;
    assert_eq!(attr(&item, "EvidenceDeletedAt"), "");

    // Released: the next sync erases and says so.
    hold::set(
        &local.log,
        &t.transaction_id,
        false,
        "adm.bia",
        "processo arquivado",
    )?;
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(
        (report.synced, report.objects_deleted),
        (1, in_s3.len()),
        "{report:?}"
    );
    assert_eq!(bucket_keys(&ctx)?, Vec::<String>::new());
    let item = table.get(&t.transaction_id)?.ok_or("no item")?;
    assert!(!attr(&item, "EvidenceDeletedAt").is_empty(), "{item}");
    assert_eq!(local.log.verify_audit()?.first_bad, None);
    Ok(())
}

/// The kiosk's heartbeat item, read with the raw client (as a dashboard).
fn heartbeat_item(
    ctx: &AwsContext,
) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, Box<dyn Error>> {
    let out = ctx.block_on(
        ctx.dynamodb
            .get_item()
            .table_name(TABLE)
            .key(
                "TransactionId",
                AttributeValue::S(format!("HEARTBEAT#{KIOSK}")),
            )
            .consistent_read(true)
            .send(),
    )?;
    Ok(out.item().cloned())
}

fn value_of<'a>(
    item: &'a std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::S(v) | AttributeValue::N(v) => Some(v.as_str()),
        _ => None,
    }
}

/// Every item in the table, heartbeats included.
fn raw_item_count(ctx: &AwsContext) -> Result<usize, Box<dyn Error>> {
    let out = ctx.block_on(ctx.dynamodb.scan().table_name(TABLE).send())?;
    Ok(out.items().len())
}

#[test]
fn a_sync_pass_publishes_the_heartbeat_with_its_backlog_and_the_next_overwrites_it() -> TestResult {
    let _serial = serial();
    let Some(k) = outbox_kiosk()? else {
        return Ok(());
    };
    let transactions = queue(&k.local, 3, 400)?;
    // The middle one cannot sync yet: its document is missing locally.
    let broken = &transactions[1];
    let document = broken
        .document
        .as_ref()
        .ok_or("no document")?
        .document_key
        .clone();
    let bytes = k.local.evidence.get(&document)?;
    k.local.evidence.delete(&document)?;
    let sync = OutboxSync::new(&k.local.log, Some(&k.local.evidence), &k.s3, &k.table);
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!((report.synced, report.failed.len()), (2, 1), "{report:?}");
    assert!(
        heartbeat_item(&k.ctx)?.is_none(),
        "the sync alone writes none"
    );

    let health = HealthReport {
        status: HealthStatus::Warning,
        checked_at: "2026-12-05T12:00:00Z".into(),
        checks: vec![HealthCheck {
            id: HealthCheckId::AwsSync,
            status: HealthStatus::Warning,
            detail: format!("transaction {} waits", broken.transaction_id),
        }],
    };
    let first_at = OffsetDateTime::now_utc();
    let published = publish_after_sync(&k.table, &k.local.log, Some(&health), first_at)?;
    assert_eq!(published.backlog.queued, 1);
    let item = heartbeat_item(&k.ctx)?.ok_or("no heartbeat")?;
    assert_eq!(value_of(&item, "ItemType"), Some("kiosk-heartbeat"));
    assert_eq!(value_of(&item, "KioskId"), Some(KIOSK));
    assert_eq!(
        value_of(&item, "AppVersion"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(value_of(&item, "HealthStatus"), Some("warning"));
    assert_eq!(
        item.get("WarningChecks"),
        Some(&AttributeValue::L(vec![AttributeValue::S(
            "awsSync".into()
        )]))
    );
    assert_eq!(value_of(&item, "Queued"), Some("1"));
    assert_eq!(value_of(&item, "Failing"), Some("1"));
    assert_eq!(value_of(&item, "Held"), Some("0"));
    assert_eq!(value_of(&item, "LastErrorCode"), Some("not-found"));
    assert!(value_of(&item, "OldestQueuedAt").is_some());
    assert!(value_of(&item, "OldestQueuedAgeSeconds").is_some());
    assert!(value_of(&item, "LastSuccessAt").is_some());
    // No transaction ids, no check details, no record.
    let text = format!("{item:?}");
    for t in &transactions {
        assert!(!text.contains(&t.transaction_id.to_string()), "{text}");
    }
    assert!(!item.contains_key("Record") && !item.contains_key("Status"));
    // Beside the transactions, not among them.
    assert_eq!(table_ids(&k.ctx)?.len(), 2);
    assert_eq!(raw_item_count(&k.ctx)?, 3);

    // The document is back: the next pass syncs it and overwrites the
    // heartbeat (one item per kiosk).
    k.local.evidence.put(&document, &bytes)?;
    let later = dayfusion_aws::sync::ignoring_backoff(OffsetDateTime::now_utc());
    let report = sync.run(later, 0)?;
    assert_eq!(report.synced, 1, "{report:?}");
    publish_after_sync(&k.table, &k.local.log, None, later)?;
    let item = heartbeat_item(&k.ctx)?.ok_or("no heartbeat")?;
    assert_eq!(value_of(&item, "Queued"), Some("0"));
    assert_eq!(value_of(&item, "Failing"), Some("0"));
    assert_eq!(value_of(&item, "OldestQueuedAt"), None);
    assert_eq!(value_of(&item, "HealthStatus"), None, "no report this time");
    assert!(value_of(&item, "HeartbeatAt") > Some(first_at.format(&Rfc3339)?.as_str()));
    assert_eq!(table_ids(&k.ctx)?.len(), 3);
    assert_eq!(raw_item_count(&k.ctx)?, 4);
    Ok(())
}

#[test]
fn a_heartbeat_that_cannot_be_written_leaves_the_sync_and_the_item_alone() -> TestResult {
    let _serial = serial();
    let Some(k) = outbox_kiosk()? else {
        return Ok(());
    };
    // Something that is not a heartbeat holds the key: never overwritten.
    k.ctx.block_on(
        k.ctx
            .dynamodb
            .put_item()
            .table_name(TABLE)
            .item(
                "TransactionId",
                AttributeValue::S(format!("HEARTBEAT#{KIOSK}")),
            )
            .item("Status", AttributeValue::S("APPROVED".into()))
            .send(),
    )?;
    let transactions = queue(&k.local, 2, 500)?;
    let sync = OutboxSync::new(&k.local.log, Some(&k.local.evidence), &k.s3, &k.table);
    let report = sync.run(OffsetDateTime::now_utc(), 0)?;
    assert_eq!(report.synced, 2, "{report:?}");
    let failed = publish_after_sync(&k.table, &k.local.log, None, OffsetDateTime::now_utc());
    assert_eq!(failed.err().as_deref(), Some("sync-conflict"));
    let item = heartbeat_item(&k.ctx)?.ok_or("item gone")?;
    assert_eq!(value_of(&item, "Status"), Some("APPROVED"));
    assert_eq!(value_of(&item, "ItemType"), None);
    // The sync's work stands: records in DynamoDB, outbox empty.
    for t in &transactions {
        assert!(k.table.get(&t.transaction_id)?.is_some());
    }
    assert!(k.local.log.outbox(0)?.is_empty());

    // AWS unreachable: the heartbeat fails with the network's code, quickly.
    let offline = DynamoTransactionTable::new(unreachable_context()?);
    let failed = publish_after_sync(&offline, &k.local.log, None, OffsetDateTime::now_utc());
    assert_eq!(failed.err().as_deref(), Some("aws-unreachable"));
    Ok(())
}
