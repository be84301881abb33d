//! The outbox pushed to AWS: every final transaction of the local log
//! reaches S3 (its evidence) and the central DynamoDB table (its record),
//! exactly once, in outbox order.
//!
//! For each outbox entry, oldest first, [`OutboxSync::run`]:
//!
//! 1. skips it while it is in backoff: after `n` failed attempts the next one
//!    is due [`backoff_delay`]`(n)` (30 s × 2^(n−1), at most 1 h) after the
//!    last `sync.failed` audit event of the transaction;
//! 2. makes sure every evidence object the transaction names is in S3 with
//!    the recorded SHA-256: present and equal is skipped, absent is read
//!    from the local store (decrypted and hash-checked) and written once;
//!    nothing is sent for aborted transactions (their evidence is deleted
//!    when they are aborted); for a transaction whose evidence the
//!    retention purge or an abort deleted, its S3 objects are deleted
//!    instead (both backends, Rekognition's output included; see
//!    [`crate::erase`]);
//! 3. writes the record to DynamoDB: the first time a conditional put
//!    ([`DynamoTransactionTable::put_final`]: a retry finds its own item),
//!    after a review or a purge an `UpdateItem` from the record hash sent
//!    last ([`DynamoTransactionTable::update_final`]);
//! 4. marks it synced in the log (`sync.completed` event naming the hash
//!    DynamoDB now holds and the S3 counts; entry removed unless the record
//!    changed meanwhile).
//!
//! A failure is recorded on the entry (`sync.failed` event, attempts + 1).
//! A failure of this transaction alone (local evidence missing or corrupt,
//! `sync-conflict`) lets the run go on with the next entry; anything that
//! would fail the next entries as well (network, throttling, permissions,
//! missing bucket or table, the local key) stops the run there, leaving the
//! rest queued.
//!
//! Every step is idempotent and all state is in the SQLite outbox and audit
//! events, so a run interrupted anywhere (power cut, crash) is finished by
//! the next one without duplicates.

use std::collections::HashMap;

use dayfusion_ipc::SyncStatus;
use dayfusion_ledger::{
    RemoteRecord, SYNC_COMPLETED, SYNC_FAILED, SqliteLog, SyncMark, SyncReceipt,
};
use dayfusion_verify::{
    EvidenceKey, EvidenceStore, OutboxEntry, Stage, StoreError, Transaction, TransactionLog, hold,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::dynamo::{DynamoTransactionTable, PutOutcome, SYNC_CONFLICT, record_json};
use crate::erase::Erased;
use crate::s3::S3EvidenceStore;

/// Backoff after the first failure.
pub const BACKOFF_BASE_S: i64 = 30;
/// Longest backoff.
pub const BACKOFF_MAX_S: i64 = 3600;

/// What one [`OutboxSync::run`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// Transactions that reached AWS and left the outbox.
    pub synced: usize,
    /// Entries not tried because they are in backoff.
    pub skipped_backoff: usize,
    /// Purged or aborted transactions whose S3 copy a legal hold keeps:
    /// left in the outbox, untouched, until the hold is released.
    pub skipped_held: usize,
    /// Entries that failed, with the failure's code.
    pub failed: Vec<(Uuid, String)>,
    /// Evidence objects written to S3.
    pub objects_uploaded: usize,
    /// Evidence objects deleted from S3 (purged transactions).
    pub objects_deleted: usize,
    /// Whether the run stopped at a failure that would fail the rest too.
    pub stopped_early: bool,
    /// Entries still in the outbox after the run.
    pub remaining: usize,
    /// The audit chain's event count whose head was kept in S3 by this run.
    pub audit_head_events: Option<u64>,
    /// Why the head could not be kept (`transaction-conflict`: the local
    /// chain differs from the head already kept: it was rewritten).
    pub audit_head_error: Option<String>,
}

/// Pushes the outbox of a local log to S3 and DynamoDB.
pub struct OutboxSync<'a> {
    log: &'a SqliteLog,
    local_evidence: Option<&'a dyn EvidenceStore>,
    s3: &'a S3EvidenceStore,
    table: &'a DynamoTransactionTable,
}

impl std::fmt::Debug for OutboxSync<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxSync")
            .field("log", &self.log)
            .field("local_evidence", &self.local_evidence.is_some())
            .field("bucket", &self.s3.bucket())
            .field("table", &self.table.name())
            .finish()
    }
}

/// Why one entry did not sync.
struct Failure {
    code: String,
    /// The next entries would fail the same way: stop the run.
    stop: bool,
}

impl Failure {
    fn of(err: &StoreError) -> Failure {
        let specific = match err {
            StoreError::NotFound(_)
            | StoreError::AlreadyExists(_)
            | StoreError::Corrupt(_)
            | StoreError::TooLarge(_)
            | StoreError::Conflict(_) => true,
            StoreError::Remote { code, .. } => {
                matches!(
                    *code,
                    SYNC_CONFLICT | "aws-request-invalid" | "aws-not-found"
                )
            }
            _ => false,
        };
        Failure {
            code: err.code().to_owned(),
            stop: !specific,
        }
    }

    fn specific(code: &str) -> Failure {
        Failure {
            code: code.to_owned(),
            stop: false,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        Failure::of(&err)
    }
}

impl From<crate::error::AwsError> for Failure {
    fn from(err: crate::error::AwsError) -> Failure {
        Failure::of(&StoreError::from(err))
    }
}

/// The wait after `attempts` failed attempts: 30 s × 2^(attempts−1), at
/// most one hour; zero before any failure.
pub fn backoff_delay(attempts: u32) -> time::Duration {
    if attempts == 0 {
        return time::Duration::ZERO;
    }
    let exponent = (attempts - 1).min(16);
    let seconds = BACKOFF_BASE_S.saturating_mul(1_i64 << exponent);
    time::Duration::seconds(seconds.min(BACKOFF_MAX_S))
}

/// When `entry` may be tried again: the time of its transaction's last
/// `sync.failed` event plus [`backoff_delay`] (only the base delay after a
/// network failure); `None` when it may be tried now (never failed, or no
/// failure event found).
pub fn next_attempt_at(
    log: &SqliteLog,
    entry: &OutboxEntry,
) -> Result<Option<OffsetDateTime>, StoreError> {
    if entry.attempts == 0 {
        return Ok(None);
    }
    let events = log.audit_events(&entry.transaction_id)?;
    let last_failure = events.iter().rev().find(|e| e.kind == SYNC_FAILED);
    let Some(event) = last_failure else {
        return Ok(None);
    };
    let at = OffsetDateTime::parse(&event.at, &Rfc3339).map_err(|_| {
        StoreError::Corrupt(format!("audit event {} has an invalid time", event.seq))
    })?;
    // A network outage is nobody's fault: the entry that met it waits only
    // the base delay, so it keeps its place in line when the network is back.
    let delay = if entry.last_error.as_deref().is_some_and(is_transient) {
        time::Duration::seconds(BACKOFF_BASE_S)
    } else {
        backoff_delay(entry.attempts)
    };
    Ok(Some(at + delay))
}

/// Failures of the connection rather than of a transaction.
pub fn is_transient(code: &str) -> bool {
    matches!(code, "aws-unreachable" | "aws-throttled" | "aws-service")
}

/// The outbox for the UI (the IPC type the status screen receives): how
/// many wait, how many failed, the oldest, and the code of the latest
/// failure.
pub fn sync_status(log: &SqliteLog) -> Result<SyncStatus, StoreError> {
    let mut entries = log.outbox(0)?;
    let mut held = 0u32;
    let mut waiting = Vec::with_capacity(entries.len());
    for entry in entries.drain(..) {
        if held_for_erase(log, &entry.transaction_id)? {
            held = held.saturating_add(1);
        } else {
            waiting.push(entry);
        }
    }
    let entries = waiting;
    let mut status = SyncStatus {
        pending: u32::try_from(entries.len()).unwrap_or(u32::MAX),
        held,
        oldest_queued_at: entries.iter().map(|e| e.queued_at.clone()).min(),
        ..SyncStatus::default()
    };
    let mut latest: Option<(u64, String)> = None;
    for entry in entries.iter().filter(|e| e.attempts > 0) {
        status.failing = status.failing.saturating_add(1);
        let events = log.audit_events(&entry.transaction_id)?;
        let seq = events
            .iter()
            .rev()
            .find(|e| e.kind == SYNC_FAILED)
            .map_or(0, |e| e.seq);
        if let Some(code) = &entry.last_error
            && latest.as_ref().is_none_or(|(s, _)| seq > *s)
        {
            latest = Some((seq, code.clone()));
        }
    }
    status.last_error = latest.map(|(_, code)| code);
    status.last_success_at = log.last_event_at(SYNC_COMPLETED)?;
    Ok(status)
}

/// The time to run the outbox at so that no entry waits out its backoff
/// (`sync --retry-now`; the app once AWS answers again after an outage):
/// past the longest backoff after `now`.
pub fn ignoring_backoff(now: OffsetDateTime) -> OffsetDateTime {
    now + time::Duration::seconds(BACKOFF_MAX_S + 1)
}

/// Whether transaction `id` waits to have its S3 copy erased (purged or
/// aborted) while a legal hold keeps it: the sync leaves it alone (neither
/// the erase nor the record's `EvidenceDeletedAt` goes out) until the hold
/// is released, and it counts as held, not waiting.
pub fn held_for_erase(log: &SqliteLog, id: &Uuid) -> Result<bool, StoreError> {
    let Some(transaction) = log.get(id)? else {
        return Ok(false);
    };
    Ok(crate::erase::must_erase(&transaction) && hold::current(log, id)?.is_some())
}

/// Sets `status.overdue` when its oldest waiting transaction was queued
/// more than `alert_hours` before `now` (an unreadable time counts as
/// overdue: staff should look).
pub fn mark_overdue(status: &mut SyncStatus, alert_hours: u32, now: OffsetDateTime) {
    status.overdue = status.oldest_queued_at.as_deref().is_some_and(|queued| {
        OffsetDateTime::parse(queued, &Rfc3339).map_or(true, |at| {
            now - at > time::Duration::hours(i64::from(alert_hours))
        })
    });
}

/// The evidence of `transaction` that has to be in S3, with the SHA-256 the
/// transaction recorded for each object (when it has one).
fn evidence_to_send(transaction: &Transaction) -> Vec<(EvidenceKey, Option<String>)> {
    if transaction.evidence_purged_at.is_some() || transaction.stage == Stage::Aborted {
        return Vec::new();
    }
    let mut known: HashMap<&EvidenceKey, &str> = HashMap::new();
    if let Some(d) = &transaction.document {
        known.insert(&d.document_key, &d.sha256);
    }
    if let Some(l) = &transaction.liveness {
        if let (Some(key), Some(sha)) = (&l.reference_key, &l.reference_sha256) {
            known.insert(key, sha);
        }
        for a in &l.audit_images {
            known.insert(&a.key, &a.sha256);
        }
    }
    let mut keys = transaction.evidence_keys();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let sha = known.get(&key).map(|s| (*s).to_owned());
            (key, sha)
        })
        .collect()
}

impl<'a> OutboxSync<'a> {
    /// A sync of `log`'s outbox. `local_evidence` is where evidence not yet
    /// in S3 is read from (the embedded backend's encrypted store); `None`
    /// when evidence is written to S3 directly (the AWS backend).
    pub fn new(
        log: &'a SqliteLog,
        local_evidence: Option<&'a dyn EvidenceStore>,
        s3: &'a S3EvidenceStore,
        table: &'a DynamoTransactionTable,
    ) -> OutboxSync<'a> {
        OutboxSync {
            log,
            local_evidence,
            s3,
            table,
        }
    }

    /// Sends up to `limit` outbox entries (0: all), oldest first, as of
    /// `now` (for the backoff). Errors only when the local log cannot be
    /// read or written; failures of entries are in the report.
    pub fn run(&self, now: OffsetDateTime, limit: usize) -> Result<SyncReport, StoreError> {
        // The limit counts entries tried, so entries waiting out their
        // backoff never crowd out newer ones.
        let entries = self.log.outbox(0)?;
        let mut report = SyncReport::default();
        let mut tried = 0usize;
        let mut kiosk_id: Option<String> = None;
        for entry in &entries {
            let id = entry.transaction_id;
            if held_for_erase(self.log, &id)? {
                report.skipped_held += 1;
                continue;
            }
            let due = match next_attempt_at(self.log, entry) {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(transaction = %id, error = %e, "unreadable sync history; trying now");
                    None
                }
            };
            if let Some(due) = due
                && now < due
            {
                report.skipped_backoff += 1;
                continue;
            }
            if limit > 0 && tried >= limit {
                break;
            }
            tried += 1;
            let mut receipt = SyncReceipt {
                record_sha256: String::new(),
                s3_objects_uploaded: 0,
                s3_objects_deleted: 0,
            };
            let outcome = self.sync_one(id, &mut receipt);
            // S3 work done before a failure counts too.
            report.objects_uploaded += receipt.s3_objects_uploaded;
            report.objects_deleted += receipt.s3_objects_deleted;
            match outcome {
                Ok(kiosk) => {
                    kiosk_id = Some(kiosk);
                    if self.log.mark_synced(&id, &receipt)? == SyncMark::Synced {
                        report.synced += 1;
                    }
                }
                Err(failure) => {
                    tracing::warn!(
                        transaction = %id,
                        code = %failure.code,
                        attempts = entry.attempts + 1,
                        "sync attempt failed"
                    );
                    self.log.record_sync_failure(&id, &failure.code)?;
                    report.failed.push((id, failure.code));
                    if failure.stop {
                        report.stopped_early = true;
                        break;
                    }
                }
            }
        }
        if report.synced > 0
            && let Some(kiosk) = &kiosk_id
        {
            self.keep_audit_head(kiosk, &mut report)?;
        }
        report.remaining = self.log.outbox(0)?.len();
        tracing::info!(
            synced = report.synced,
            failed = report.failed.len(),
            skipped_backoff = report.skipped_backoff,
            skipped_held = report.skipped_held,
            objects = report.objects_uploaded,
            remaining = report.remaining,
            stopped_early = report.stopped_early,
            "outbox sync"
        );
        Ok(report)
    }

    /// Writes the verified local chain's head to S3 (see
    /// [`S3EvidenceStore::put_audit_head`]); a failure is reported, never
    /// fatal to the run.
    fn keep_audit_head(&self, kiosk: &str, report: &mut SyncReport) -> Result<(), StoreError> {
        let audit = self.log.verify_audit()?;
        let (Some(head), None) = (audit.head_hash.as_deref(), audit.first_bad.as_ref()) else {
            report.audit_head_error = Some("audit-chain-broken".to_owned());
            return Ok(());
        };
        match self.s3.put_audit_head(kiosk, audit.events, head) {
            Ok(_) => report.audit_head_events = Some(audit.events),
            Err(e) => {
                tracing::error!(code = e.code(), error = %e, "audit head not kept in S3");
                report.audit_head_error = Some(e.code().to_owned());
            }
        }
        Ok(())
    }

    /// Evidence (sent, or deleted after a purge), then the record, of one
    /// transaction; its kiosk id. `receipt` says what was sent, as far as
    /// it got.
    fn sync_one(&self, id: Uuid, receipt: &mut SyncReceipt) -> Result<String, Failure> {
        let transaction = self
            .log
            .get(&id)?
            .ok_or_else(|| Failure::specific("not-found"))?;
        if !transaction.stage.is_final() {
            return Err(Failure::specific("transaction-conflict"));
        }
        let (_, record_sha256) = record_json(&transaction)?;
        receipt.record_sha256 = record_sha256;
        if transaction.evidence_purged_at.is_some() {
            // Counted (and recorded) also when it fails halfway.
            let mut erased = Erased::default();
            let outcome = crate::erase::erase_in_s3(self.log, self.s3, &transaction, &mut erased);
            receipt.s3_objects_deleted += erased.total();
            outcome?;
        } else {
            for (key, sha256) in evidence_to_send(&transaction) {
                if self.ensure_in_s3(&key, sha256.as_deref())? {
                    receipt.s3_objects_uploaded += 1;
                }
            }
        }
        let sha = receipt.record_sha256.clone();
        let sha = sha.as_str();
        let previous = match self.log.remote_record(&id)? {
            RemoteRecord::Never => match self.table.put_final(&transaction, sha)? {
                PutOutcome::Earlier(previous) => Some(previous),
                PutOutcome::Written | PutOutcome::AlreadyThere => None,
            },
            RemoteRecord::Known(previous) => Some(previous),
            // Synced before the hash sent was recorded: the item's own.
            RemoteRecord::Unknown => match self.table.record_sha256(&id)? {
                Some(previous) => Some(previous),
                None => {
                    self.table.put_final(&transaction, sha)?;
                    None
                }
            },
        };
        if let Some(previous) = previous.filter(|p| p != sha) {
            self.table.update_final(&transaction, &previous, sha)?;
        }
        Ok(transaction.kiosk_id)
    }

    /// Makes sure `key` is in S3 with `sha256`; `true` when it was written
    /// now.
    fn ensure_in_s3(&self, key: &EvidenceKey, sha256: Option<&str>) -> Result<bool, Failure> {
        let matches = |remote: &str| sha256.is_none_or(|want| remote.eq_ignore_ascii_case(want));
        match self.s3.head(key)? {
            Some(remote) if !remote.is_empty() && matches(&remote) => return Ok(false),
            Some(_) => {
                tracing::warn!(key = %key, "S3 holds another object under this evidence key");
                return Err(Failure::specific(SYNC_CONFLICT));
            }
            None => {}
        }
        let Some(local) = self.local_evidence else {
            tracing::warn!(key = %key, "evidence missing in S3 and no local store to send it from");
            return Err(Failure::specific("not-found"));
        };
        let bytes = local.get(key)?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if !matches(&actual) {
            tracing::warn!(key = %key, "local evidence differs from the recorded SHA-256");
            return Err(Failure::specific("data-corrupt"));
        }
        match self.s3.put(key, &bytes) {
            Ok(_) => Ok(true),
            // Written meanwhile (another run, a lost answer): fine when equal.
            Err(StoreError::AlreadyExists(_)) => match self.s3.head(key)? {
                Some(remote) if matches(&remote) && !remote.is_empty() => Ok(false),
                _ => Err(Failure::specific(SYNC_CONFLICT)),
            },
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30_s_up_to_an_hour() {
        assert_eq!(backoff_delay(0), time::Duration::ZERO);
        assert_eq!(backoff_delay(1), time::Duration::seconds(30));
        assert_eq!(backoff_delay(2), time::Duration::seconds(60));
        assert_eq!(backoff_delay(5), time::Duration::seconds(480));
        assert_eq!(backoff_delay(8), time::Duration::seconds(3600));
        assert_eq!(backoff_delay(u32::MAX), time::Duration::seconds(3600));
    }

    #[test]
    fn a_transaction_waiting_longer_than_the_alert_is_overdue() {
        let now = OffsetDateTime::parse("2026-12-05T12:00:00Z", &Rfc3339).ok();
        let Some(now) = now else {
            panic!("bad test time");
        };
        let status = |queued: Option<&str>| {
            let mut status = SyncStatus {
                oldest_queued_at: queued.map(str::to_owned),
                ..SyncStatus::default()
            };
            mark_overdue(&mut status, 24, now);
            status.overdue
        };
        assert!(!status(None));
        assert!(!status(Some("2026-12-04T12:30:00Z")), "23.5 h");
        assert!(status(Some("2026-12-04T11:30:00Z")), "24.5 h");
        assert!(status(Some("yesterday")), "unreadable counts as overdue");
    }

    #[test]
    fn network_failures_stop_the_run_and_record_failures_do_not() {
        let remote = |code, retryable| StoreError::Remote {
            code,
            detail: String::new(),
            retryable,
        };
        assert!(Failure::of(&remote("aws-unreachable", true)).stop);
        assert!(Failure::of(&remote("aws-throttled", true)).stop);
        assert!(Failure::of(&remote("aws-access-denied", false)).stop);
        assert!(Failure::of(&StoreError::KeyUnavailable(String::new())).stop);
        assert!(!Failure::of(&remote(SYNC_CONFLICT, false)).stop);
        assert!(!Failure::of(&StoreError::Corrupt(String::new())).stop);
        assert!(!Failure::of(&StoreError::NotFound(String::new())).stop);
    }
}
