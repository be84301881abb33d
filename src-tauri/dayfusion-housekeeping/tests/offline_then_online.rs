//! The housekeeping service against moto, through a forwarder that can
//! unplug the network: the field laptop that decides visits offline and
//! gets the network back, and the kiosk that gets its AWS settings late.
//!
//! Runs when `DAYFUSION_TEST_MOTO_URL` points at a running moto server
//! (`eval "$(infra/aws-local/moto-server.sh start)"`); without it the tests
//! pass doing nothing, except under `CI`, where they fail (the rule of
//! dayfusion-aws's moto tests).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dayfusion_aws::{AwsContext, DynamoTransactionTable};
use dayfusion_evidence::KeySource;
use dayfusion_housekeeping::{
    Connector, Housekeeper, HousekeepingConfig, KioskFacts, Schedule, ServiceState,
};
use dayfusion_ipc::{HealthCheck, HealthCheckId, HealthReport, HealthStatus};
use dayfusion_ledger::{SYNC_FAILED, SYNC_QUEUED};
use dayfusion_test_support::moto::{self, KIOSK};
use dayfusion_test_support::net::FlakyProxy;
use dayfusion_test_support::transactions::{self, Local, completions, decided_transaction, record};
use dayfusion_test_support::{BoxError, TestResult};
use dayfusion_verify::{
    EvidenceStore, FlowLock, HousekeepingLock, Status, StoreError, SyncState, Transaction,
    TransactionLog,
};

/// The bound: queued visits reach AWS within a minute of it
/// answering again.
const WITHIN: Duration = Duration::from_secs(60);

struct Facts;

impl KioskFacts for Facts {
    fn kiosk_id(&self) -> String {
        KIOSK.into()
    }
    fn retention_days(&self) -> u32 {
        180
    }
    fn health(&self) -> Option<HealthReport> {
        Some(HealthReport {
            status: HealthStatus::Warning,
            checked_at: "2026-12-05T12:00:00Z".into(),
            checks: vec![HealthCheck {
                id: HealthCheckId::Camera,
                status: HealthStatus::Warning,
                detail: "no frames".into(),
            }],
        })
    }
}

/// The service on `local`'s stores (its folder is the data folder), with
/// static test credentials.
fn start(local: &Local, schedule: Schedule) -> Housekeeper {
    let connect: Connector = Arc::new(moto::connect_static);
    let config = HousekeepingConfig {
        data_dir: local.dir().to_path_buf(),
        log_file: local.log_file(),
        evidence_dir: local.evidence_dir(),
        key_source: KeySource::FileOnly,
        schedule,
        connect,
    };
    Housekeeper::start(config, Arc::new(Facts))
}

/// Polls `done` every 50 ms until it holds; an error naming `what` after
/// `limit`.
fn wait_until(
    limit: Duration,
    what: &str,
    mut done: impl FnMut() -> Result<bool, BoxError>,
) -> TestResult {
    let deadline = Instant::now() + limit;
    loop {
        if done()? {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("{what}: not within {limit:?}").into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the service to finish a sync round begun after this call.
fn next_round(keeper: &Housekeeper) -> Result<ServiceState, BoxError> {
    let seen = keeper.state().rounds;
    wait_until(Duration::from_secs(30), "a sync round", || {
        Ok(keeper.state().rounds > seen + 1)
    })?;
    Ok(keeper.state())
}

/// A decided embedded visit recorded as the flow does: its sync state as
/// the log says (queued for AWS only while the kiosk has AWS settings).
fn visit(local: &Local, seed: u32, status: Status) -> Result<Transaction, BoxError> {
    let mut t = decided_transaction(&local.evidence, seed, status)?;
    t.sync = if local.log.queues_for_aws()? {
        SyncState::Pending
    } else {
        SyncState::Local
    };
    record(&local.log, &t)?;
    Ok(t)
}

/// The ids of `transactions`, sorted (as [`moto::table_ids`] lists them).
fn ids(transactions: &[Transaction]) -> Vec<String> {
    let mut ids: Vec<String> = transactions
        .iter()
        .map(|t| t.transaction_id.to_string())
        .collect();
    ids.sort();
    ids
}

/// The S3 keys of the evidence of `transactions`, sorted.
fn object_keys(transactions: &[Transaction]) -> Vec<String> {
    let mut keys: Vec<String> = transactions
        .iter()
        .flat_map(Transaction::evidence_keys)
        .map(|k| format!("dayfusion/{KIOSK}/{k}"))
        .collect();
    keys.sort();
    keys
}

/// What moto holds, read at one moment: item ids and object keys.
struct Snapshot {
    ids: Vec<String>,
    keys: Vec<String>,
}

impl Snapshot {
    fn of(direct: &AwsContext) -> Result<Snapshot, BoxError> {
        Ok(Snapshot {
            ids: moto::table_ids(direct)?,
            keys: moto::bucket_keys(direct)?,
        })
    }

    /// Whether `t`'s record and every evidence object are there.
    fn holds(&self, t: &Transaction) -> bool {
        self.ids.contains(&t.transaction_id.to_string())
            && object_keys(std::slice::from_ref(t))
                .iter()
                .all(|k| self.keys.contains(k))
    }
}

/// Exactly once: one item per transaction and no other, one object per
/// evidence key and no other, one `sync.completed` each, synced locally,
/// nothing left in the outbox.
fn assert_exactly_once(direct: &AwsContext, local: &Local, all: &[Transaction]) -> TestResult {
    assert_eq!(moto::table_ids(direct)?, ids(all));
    assert_eq!(usize::try_from(moto::item_count(direct)?)?, all.len());
    assert_eq!(moto::bucket_keys(direct)?, object_keys(all));
    for t in all {
        assert_eq!(completions(&local.log, t)?, 1, "{}", t.transaction_id);
        let stored = local
            .log
            .get(&t.transaction_id)?
            .ok_or("transaction gone")?;
        assert_eq!(stored.sync, SyncState::Synced, "{}", t.transaction_id);
    }
    assert!(local.log.outbox(0)?.is_empty());
    assert!(local.log.verify_audit()?.first_bad.is_none());
    Ok(())
}

/// The field laptop: three embedded visits while the endpoints are
/// unreachable, then reachable: all three arrive once within a minute with
/// no user action, and a customer visit during the sync is not delayed by
/// it.
#[test]
fn three_visits_made_offline_arrive_once_within_a_minute_of_the_network() -> TestResult {
    let _serial = moto::serial();
    let Some(direct) = moto::fresh()? else {
        return Ok(());
    };
    let moto_url = direct.settings.endpoint_url.clone().ok_or("no endpoint")?;
    let network = FlakyProxy::start(&moto_url)?;
    network.unplug();
    let local = transactions::local()?;
    std::fs::write(local.dir().join("aws.toml"), moto::aws_toml(&network.url()))?;
    // Probes every second; the backoff, its jitter and the outbox's own
    // backoff as in the app.
    let keeper = start(
        &local,
        Schedule {
            probe_every: Duration::from_secs(1),
            probe_timeout: Duration::from_secs(1),
            ..Schedule::default()
        },
    );
    // The start's round: AWS settings found, nothing queued yet.
    wait_until(Duration::from_secs(30), "the first round", || {
        Ok(keeper.state().rounds >= 1)
    })?;
    let state = keeper.state();
    assert!(state.aws_configured, "{state:?}");
    assert!(!state.offline, "{state:?}");

    // Three visits offline, each nudging the service as the app does.
    let mut offline = Vec::new();
    for i in 0..3 {
        let status = if i == 1 {
            Status::Review
        } else {
            Status::Approved
        };
        offline.push(visit(&local, 700 + i * 10, status)?);
        keeper.nudge();
        next_round(&keeper)?;
    }
    // A few more probe rounds: still nothing gets through.
    next_round(&keeper)?;
    let state = next_round(&keeper)?;
    eprintln!("offline: {state:?}");
    assert!(state.offline, "{state:?}");
    assert!(state.network_failures >= 1, "{state:?}");
    assert_eq!(state.last_error.as_deref(), Some("aws-unreachable"));
    assert_eq!(local.log.outbox(0)?.len(), 3, "queued");
    for t in &offline {
        let stored = local
            .log
            .get(&t.transaction_id)?
            .ok_or("transaction gone")?;
        assert_eq!(stored.sync, SyncState::Pending);
        for key in t.evidence_keys() {
            local.evidence.get(&key)?;
        }
    }
    assert!(moto::table_ids(&direct)?.is_empty());
    assert!(moto::all_bucket_keys(&direct)?.is_empty());
    // The first visit met the outage; the probe kept the others from trying.
    let failed = |t: &Transaction| -> Result<usize, BoxError> {
        let events = local.log.audit_events(&t.transaction_id)?;
        Ok(events.iter().filter(|e| e.kind == SYNC_FAILED).count())
    };
    assert!(failed(&offline[0])? >= 1);
    assert_eq!((failed(&offline[1])?, failed(&offline[2])?), (0, 0));

    // The network is back (slow at first, so a sync round lasts long
    // enough to meet a customer). No nudge from here on.
    network.set_delay(Duration::from_millis(150));
    network.restore();
    let back = Instant::now();

    // A customer's visit while the service is syncing: the sync has begun
    // writing to S3, its round is not over.
    let mut round = 0;
    wait_until(Duration::from_secs(50), "a sync round under way", || {
        round = keeper.state().rounds;
        Ok(!moto::all_bucket_keys(&direct)?.is_empty())
    })?;
    let syncing_after = back.elapsed();
    let visit_started = Instant::now();
    let flow = match FlowLock::try_acquire(local.dir()) {
        Ok(lock) => lock,
        Err(StoreError::Busy) => return Err("the sync holds the verification lock".into()),
        Err(e) => return Err(e.into()),
    };
    let customer = visit(&local, 900, Status::Approved)?;
    drop(flow);
    let visit_took = visit_started.elapsed();
    assert_eq!(customer.sync, SyncState::Pending);
    // Still the same round: the visit did not wait for it to end.
    assert!(
        matches!(
            HousekeepingLock::try_acquire(local.dir()),
            Err(StoreError::Busy)
        ),
        "the sync round ended before the customer's visit did"
    );
    assert_eq!(keeper.state().rounds, round, "the round ended meanwhile");
    assert!(
        moto::table_ids(&direct)?.len() < offline.len(),
        "the sync was over"
    );
    network.set_delay(Duration::ZERO);

    // All three arrive within a minute of the network, with no nudge.
    let mut arrivals: BTreeMap<usize, Duration> = BTreeMap::new();
    wait_until(
        WITHIN.saturating_sub(back.elapsed()),
        "the three visits in AWS",
        || {
            let moto = Snapshot::of(&direct)?;
            let at = back.elapsed();
            for (i, t) in offline.iter().enumerate() {
                if moto.holds(t) {
                    arrivals.entry(i).or_insert(at);
                }
            }
            Ok(arrivals.len() == offline.len())
        },
    )?;
    eprintln!(
        "network back: sync under way after {syncing_after:?}; customer visit took \
         {visit_took:?}; arrivals after the network came back: {arrivals:?}"
    );
    assert!(back.elapsed() < WITHIN);
    // In their order: the visit that met the outage is not held back
    // behind the others once AWS answers.
    let order: Vec<Duration> = arrivals.values().copied().collect();
    assert!(order.is_sorted(), "{arrivals:?}");

    // The customer's visit follows (nudged, as the app does after a
    // decision), and everything is there exactly once.
    keeper.nudge();
    let mut all = offline.clone();
    all.push(customer);
    wait_until(WITHIN, "the customer's visit in AWS", || {
        Ok(Snapshot::of(&direct)?.holds(&all[3]))
    })?;
    wait_until(Duration::from_secs(10), "an empty outbox", || {
        Ok(local.log.outbox(0)?.is_empty())
    })?;
    assert_exactly_once(&direct, &local, &all)?;
    let state = keeper.state();
    assert!(!state.offline, "{state:?}");
    assert_eq!(state.network_failures, 0, "{state:?}");
    assert_eq!(state.last_error, None, "{state:?}");
    assert!(state.last_sync_at.is_some());
    // The pass that emptied the outbox published the kiosk's heartbeat:
    // its health summary and nothing waiting.
    let table = DynamoTransactionTable::new(direct.clone());
    wait_until(
        Duration::from_secs(10),
        "the heartbeat of an empty outbox",
        || {
            Ok(table
                .heartbeat(KIOSK)?
                .is_some_and(|item| item["Queued"] == 0 && item["Failing"] == 0))
        },
    )?;
    let item = table.heartbeat(KIOSK)?.ok_or("no heartbeat")?;
    assert_eq!(item["HealthStatus"], "warning", "{item}");
    assert_eq!(
        item["WarningChecks"],
        serde_json::json!(["camera"]),
        "{item}"
    );
    assert!(item.get("LastSuccessAt").is_some(), "{item}");
    let state = keeper.state();
    assert!(state.last_heartbeat_at.is_some(), "{state:?}");
    assert_eq!(state.heartbeat_error, None, "{state:?}");
    drop(keeper);
    Ok(())
}

/// A kiosk without `aws.toml` keeps its visits local (nothing queued for
/// AWS); once the settings appear, they are queued and synced without
/// anyone asking.
#[test]
fn visits_stay_local_until_aws_settings_appear_then_sync() -> TestResult {
    let _serial = moto::serial();
    let Some(direct) = moto::fresh()? else {
        return Ok(());
    };
    let moto_url = direct.settings.endpoint_url.clone().ok_or("no endpoint")?;
    let local = transactions::local()?;
    let keeper = start(
        &local,
        Schedule {
            probe_every: Duration::from_secs(1),
            probe_timeout: Duration::from_secs(1),
            idle_every: Duration::from_secs(2),
            ..Schedule::default()
        },
    );
    wait_until(Duration::from_secs(30), "the first round", || {
        Ok(keeper.state().rounds >= 1)
    })?;
    let mut visits = Vec::new();
    for i in 0..2 {
        visits.push(visit(&local, 800 + i * 10, Status::Approved)?);
        keeper.nudge();
    }
    let state = next_round(&keeper)?;
    assert!(!state.aws_configured, "{state:?}");
    assert!(!state.offline, "{state:?}");
    assert_eq!(state.last_error, None, "{state:?}");
    assert!(!local.log.queues_for_aws()?);
    assert!(local.log.outbox(0)?.is_empty(), "nothing queued for AWS");
    for t in &visits {
        assert_eq!(t.sync, SyncState::Local);
        let stored = local
            .log
            .get(&t.transaction_id)?
            .ok_or("transaction gone")?;
        assert_eq!(stored.sync, SyncState::Local);
    }
    assert!(moto::table_ids(&direct)?.is_empty());
    assert!(moto::all_bucket_keys(&direct)?.is_empty());

    // The settings appear (as the installer writes them); nobody nudges.
    std::fs::write(local.dir().join("aws.toml"), moto::aws_toml(&moto_url))?;
    let added = Instant::now();
    wait_until(WITHIN, "the local visits in AWS", || {
        let moto = Snapshot::of(&direct)?;
        Ok(visits.iter().all(|t| moto.holds(t)))
    })?;
    eprintln!("settings added: synced after {:?}", added.elapsed());
    wait_until(Duration::from_secs(10), "an empty outbox", || {
        Ok(local.log.outbox(0)?.is_empty())
    })?;
    assert!(local.log.queues_for_aws()?);
    for t in &visits {
        let events = local.log.audit_events(&t.transaction_id)?;
        let queued: Vec<_> = events.iter().filter(|e| e.kind == SYNC_QUEUED).collect();
        assert_eq!(queued.len(), 1, "{events:?}");
        assert_eq!(queued[0].data["from"], "local");
    }
    assert_exactly_once(&direct, &local, &visits)?;
    let state = keeper.state();
    assert!(state.aws_configured, "{state:?}");
    assert_eq!(state.last_error, None, "{state:?}");
    // A visit now is queued at once.
    let queued = visit(&local, 850, Status::Review)?;
    assert_eq!(queued.sync, SyncState::Pending);
    Ok(())
}
