//! The background thread: one loop that syncs and purges when due, woken
//! early by [`Housekeeper::nudge`], stopped on drop.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use dayfusion_aws::dynamo::DynamoTransactionTable;
use dayfusion_aws::s3::S3EvidenceStore;
use dayfusion_aws::sync::{
    OutboxSync, backoff_delay, held_for_erase, is_transient, next_attempt_at,
};
use dayfusion_aws::{AwsContext, AwsSettings, publish_after_sync};
use dayfusion_evidence::{KeySource, LocalEvidenceStore, MARKER_FILE};
use dayfusion_ipc::HealthReport;
use dayfusion_ledger::SqliteLog;
use dayfusion_verify::maintenance::{self, PurgeReport};
use dayfusion_verify::{EvidenceKey, EvidenceRef, EvidenceStore, StoreError, TransactionLog};
use rand::Rng;
use serde::Serialize;
use time::OffsetDateTime;

use crate::HousekeepingLock;
use crate::probe::{Endpoint, reachable};

/// What the upkeep needs to know about the kiosk, read afresh each time
/// (staff may change the settings while the app runs).
pub trait KioskFacts: Send + Sync + 'static {
    /// The kiosk's id (its evidence prefix in S3).
    fn kiosk_id(&self) -> String;
    /// Days evidence is kept (the retention setting).
    fn retention_days(&self) -> u32;
    /// The kiosk's health report, summarised in its heartbeat; `None` (the
    /// default) publishes the backlog alone.
    fn health(&self) -> Option<HealthReport> {
        None
    }
}

/// How often things happen.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Reachability probe while offline (and the wait when the CLI holds
    /// the lock).
    pub probe_every: Duration,
    /// Longest sleep with nothing to do: AWS settings added, an outbox
    /// entry out of its backoff.
    pub idle_every: Duration,
    /// Retention purge period (also run at start).
    pub purge_every: Duration,
    /// Longest wait for the probe's TCP connection.
    pub probe_timeout: Duration,
    /// Random extra wait, as a fraction of each delay (0.2 = up to +20%),
    /// so a fleet that lost the network together does not return together.
    pub jitter: f64,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            probe_every: Duration::from_secs(30),
            idle_every: Duration::from_secs(300),
            purge_every: Duration::from_secs(24 * 3600),
            probe_timeout: Duration::from_secs(3),
            jitter: 0.2,
        }
    }
}

/// Makes the AWS connection from the kiosk's settings: [`AwsContext::connect`]
/// (the default credential chain) in the app; tests give static
/// credentials.
pub type Connector =
    Arc<dyn Fn(AwsSettings) -> Result<AwsContext, dayfusion_aws::AwsError> + Send + Sync>;

/// The connector of the app: the default credential chain.
pub fn default_connector() -> Connector {
    Arc::new(AwsContext::connect)
}

/// Where the stores are.
#[derive(Clone)]
pub struct HousekeepingConfig {
    /// The data folder (locks, `aws.toml`).
    pub data_dir: PathBuf,
    /// The SQLite log.
    pub log_file: PathBuf,
    /// The local evidence store.
    pub evidence_dir: PathBuf,
    /// Where the evidence key lives.
    pub key_source: KeySource,
    /// Timings.
    pub schedule: Schedule,
    /// How the AWS connection is made.
    pub connect: Connector,
}

impl std::fmt::Debug for HousekeepingConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HousekeepingConfig")
            .field("data_dir", &self.data_dir)
            .field("log_file", &self.log_file)
            .field("evidence_dir", &self.evidence_dir)
            .field("key_source", &self.key_source)
            .field("schedule", &self.schedule)
            .finish_non_exhaustive()
    }
}

/// What the service last did, for the staff home and health.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceState {
    /// The kiosk has AWS settings.
    pub aws_configured: bool,
    /// The last sync stopped at a network failure; only the probe runs
    /// until AWS answers.
    pub offline: bool,
    /// Consecutive syncs that met a network failure.
    pub network_failures: u32,
    /// When the last sync finished.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_sync_at: Option<OffsetDateTime>,
    /// Transactions the last sync brought to AWS.
    pub last_synced: usize,
    /// The code of the last failure of the sync service itself (settings,
    /// connection, log, key, network), cleared by a clean sync round; the
    /// failures of single transactions are in the outbox.
    pub last_error: Option<String>,
    /// The code of the last purge's failure, cleared by a clean purge.
    pub purge_error: Option<String>,
    /// When the last purge finished, and what it did.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_purge_at: Option<OffsetDateTime>,
    /// What the last purge did.
    pub last_purge: Option<PurgeReport>,
    /// Completed sync rounds since start (tests wait on it).
    pub rounds: u64,
    /// When the kiosk's heartbeat last reached DynamoDB.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_heartbeat_at: Option<OffsetDateTime>,
    /// The code of the last heartbeat's failure, cleared by the next one
    /// that gets through (it never fails the sync).
    pub heartbeat_error: Option<String>,
}

/// Signals to the thread.
#[derive(Debug, Default)]
struct Signal {
    nudged: bool,
    stop: bool,
}

#[derive(Debug, Default)]
struct Shared {
    signal: Mutex<Signal>,
    wake: Condvar,
    state: Mutex<ServiceState>,
}

impl Shared {
    fn signal(&self) -> MutexGuard<'_, Signal> {
        self.signal
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn state(&self) -> MutexGuard<'_, ServiceState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The running upkeep; stops (finishing the step under way) when dropped.
#[derive(Debug)]
pub struct Housekeeper {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Housekeeper {
    /// Starts the thread: a purge and a sync round right away, then on
    /// schedule.
    pub fn start(config: HousekeepingConfig, facts: Arc<dyn KioskFacts>) -> Housekeeper {
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            config,
            facts,
            shared: shared.clone(),
            log: None,
            evidence: None,
            aws: None,
            offline_since_backoff: None,
            offline_code: None,
            last_heartbeat: None,
        };
        let thread = std::thread::Builder::new()
            .name("dayfusion-housekeeping".into())
            .spawn(move || worker.run())
            .map_err(|e| tracing::error!(error = %e, "housekeeping thread not started"))
            .ok();
        Housekeeper { shared, thread }
    }

    /// Asks for a sync round now (a decision was made, a review settled,
    /// AWS settings saved).
    pub fn nudge(&self) {
        self.shared.signal().nudged = true;
        self.shared.wake.notify_all();
    }

    /// What the service last did.
    pub fn state(&self) -> ServiceState {
        self.shared.state().clone()
    }
}

impl Drop for Housekeeper {
    fn drop(&mut self) {
        self.shared.signal().stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// AWS answered: no backoff, no probe.
fn set_online(offline_since_backoff: &mut Option<Instant>, shared: &Shared) {
    *offline_since_backoff = None;
    let mut state = shared.state();
    state.offline = false;
    state.network_failures = 0;
}

/// `delay` plus up to `jitter` of it, at random.
fn with_jitter(delay: Duration, jitter: f64) -> Duration {
    let extra = rand::rng().random_range(0.0..=jitter.clamp(0.0, 1.0));
    delay.mul_f64(1.0 + extra)
}

struct Worker {
    config: HousekeepingConfig,
    facts: Arc<dyn KioskFacts>,
    shared: Arc<Shared>,
    log: Option<SqliteLog>,
    evidence: Option<LocalEvidenceStore>,
    /// The connection and the settings it was made with.
    aws: Option<(AwsSettings, Arc<AwsContext>)>,
    /// While offline: when a full sync is tried even if the probe fails
    /// (the outbox's backoff).
    offline_since_backoff: Option<Instant>,
    /// The code that stopped the last sync (`aws-unreachable`,
    /// `aws-throttled`, …), while it lasts.
    offline_code: Option<String>,
    /// When the last heartbeat was tried.
    last_heartbeat: Option<Instant>,
}

/// Publishes the kiosk's heartbeat after a sync pass and records the
/// outcome in the state; never fails the round.
fn beat(shared: &Shared, facts: &dyn KioskFacts, log: &SqliteLog, ctx: Arc<AwsContext>) {
    let table = DynamoTransactionTable::new(ctx);
    let health = facts.health();
    let now = OffsetDateTime::now_utc();
    let result = publish_after_sync(&table, log, health.as_ref(), now);
    let mut state = shared.state();
    match result {
        Ok(_) => {
            state.last_heartbeat_at = Some(now);
            state.heartbeat_error = None;
        }
        Err(code) => state.heartbeat_error = Some(code),
    }
}

/// The failure code of a network outage (the probe may end it).
const UNREACHABLE: &str = "aws-unreachable";

/// Why a step could not run.
#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Aws(#[from] dayfusion_aws::AwsError),
    #[error("{0}")]
    Flow(#[from] dayfusion_verify::FlowError),
}

impl StepError {
    fn code(&self) -> String {
        match self {
            StepError::Store(e) => e.code().to_owned(),
            StepError::Aws(e) => e.code().to_owned(),
            StepError::Flow(e) => e.code().to_owned(),
        }
    }
}

impl Worker {
    fn run(mut self) {
        let schedule = self.config.schedule.clone();
        let mut next_purge = Instant::now();
        let mut next_sync = Instant::now();
        loop {
            let now = Instant::now();
            if now >= next_purge {
                next_purge = now + self.purge_round();
                // Purged transactions may have been queued for S3.
                next_sync = next_sync.min(Instant::now());
            }
            let nudged = std::mem::take(&mut self.shared.signal().nudged);
            if nudged || Instant::now() >= next_sync {
                let wait = self.sync_round();
                next_sync = Instant::now() + with_jitter(wait, schedule.jitter);
            }
            let mut signal = self.shared.signal();
            loop {
                if signal.stop {
                    return;
                }
                if signal.nudged {
                    break;
                }
                let now = Instant::now();
                let deadline = next_sync.min(next_purge);
                if now >= deadline {
                    break;
                }
                signal = match self.shared.wake.wait_timeout(signal, deadline - now) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                };
            }
        }
    }

    fn log(&mut self) -> Result<&SqliteLog, StoreError> {
        if self.log.is_none() {
            self.log = Some(SqliteLog::open(&self.config.log_file)?);
        }
        self.log
            .as_ref()
            .ok_or_else(|| StoreError::Other("log not open".into()))
    }

    /// The local evidence store, once it exists: the upkeep never creates
    /// it (nor its key) — the first embedded visit does; an AWS-only
    /// kiosk has none.
    fn evidence(&mut self) -> Result<Option<&LocalEvidenceStore>, StoreError> {
        if self.evidence.is_none() && self.config.evidence_dir.join(MARKER_FILE).exists() {
            self.evidence = Some(LocalEvidenceStore::open(
                &self.config.evidence_dir,
                self.config.key_source,
            )?);
        }
        Ok(self.evidence.as_ref())
    }

    /// The retention purge; the wait until the next one.
    fn purge_round(&mut self) -> Duration {
        let schedule = self.config.schedule.clone();
        let lock = match HousekeepingLock::try_acquire(&self.config.data_dir) {
            Ok(lock) => lock,
            Err(StoreError::Busy) => return schedule.probe_every,
            Err(e) => {
                self.failed("purge", &StepError::from(e));
                return schedule.idle_every;
            }
        };
        let days = self.facts.retention_days();
        let result = (|| -> Result<PurgeReport, StepError> {
            self.log()?;
            self.evidence()?;
            let Some(log) = &self.log else {
                return Err(StoreError::Other("log not open".into()).into());
            };
            let evidence: &dyn EvidenceStore = match &self.evidence {
                Some(local) => local,
                None => &NoLocalStore,
            };
            Ok(maintenance::purge(
                evidence,
                log,
                days,
                OffsetDateTime::now_utc(),
                false,
            )?)
        })();
        drop(lock);
        match result {
            Ok(report) => {
                let mut state = self.shared.state();
                state.last_purge_at = Some(OffsetDateTime::now_utc());
                state.last_purge = Some(report);
                state.purge_error = None;
                schedule.purge_every
            }
            Err(e) => {
                self.failed("purge", &e);
                schedule.idle_every
            }
        }
    }

    fn failed(&self, step: &str, error: &StepError) {
        let code = error.code();
        tracing::warn!(step, code = %code, "housekeeping step failed");
        let mut state = self.shared.state();
        if step == "purge" {
            state.purge_error = Some(code);
        } else {
            state.last_error = Some(code);
        }
    }

    /// One sync round; the wait until the next.
    fn sync_round(&mut self) -> Duration {
        let schedule = self.config.schedule.clone();
        let wait = match self.try_sync() {
            Ok(wait) => wait,
            Err(e) => {
                self.failed("sync", &e);
                schedule.probe_every
            }
        };
        self.shared.state().rounds += 1;
        wait
    }

    fn try_sync(&mut self) -> Result<Duration, StepError> {
        let schedule = self.config.schedule.clone();
        let configured = match dayfusion_aws::config::configured(&self.config.data_dir) {
            Some(configured) => configured,
            // A broken aws.toml changes nothing; say so and look again later.
            None => {
                self.shared.state().last_error = Some("aws-settings-invalid".into());
                return Ok(schedule.idle_every);
            }
        };
        self.log()?.set_aws_outbox(configured)?;
        self.shared.state().aws_configured = configured;
        if !configured {
            self.aws = None;
            self.offline_code = None;
            self.shared.state().last_error = None;
            self.set_online();
            return Ok(schedule.idle_every);
        }
        if self.log()?.outbox(1)?.is_empty() {
            self.set_online();
            self.shared.state().last_error = None;
            // Nothing to send: the heartbeat still goes, at most once per
            // idle period, so the fleet sees the kiosk alive.
            let due = self
                .last_heartbeat
                .is_none_or(|at| at.elapsed() >= schedule.idle_every);
            if due {
                match self.context() {
                    Ok(ctx) => {
                        self.last_heartbeat = Some(Instant::now());
                        if let Some(log) = &self.log {
                            beat(&self.shared, &*self.facts, log, ctx);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(code = %e.code(), "heartbeat skipped: no AWS connection")
                    }
                }
            }
            return Ok(schedule.idle_every);
        }
        let ctx = self.context()?;
        // The time the outbox's backoff is judged at.
        let mut as_of = OffsetDateTime::now_utc();
        if let Some(backoff_until) = self.offline_since_backoff {
            // The endpoint the client uses: `endpoint-url`, or the SDK's
            // `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL`, else the
            // region's.
            let url = ctx
                .settings
                .endpoint_url
                .clone()
                .or_else(|| std::env::var("AWS_ENDPOINT_URL_DYNAMODB").ok())
                .or_else(|| ctx.sdk.endpoint_url().map(str::to_owned));
            let endpoint = Endpoint::for_dynamodb(url.as_deref(), ctx.region());
            let answers = endpoint
                .as_ref()
                .is_some_and(|e| reachable(e, schedule.probe_timeout));
            // Only an outage ends when the endpoint answers; throttling and
            // service errors wait out their backoff (the port answers then).
            let outage_over = answers && self.offline_code.as_deref() == Some(UNREACHABLE);
            if !outage_over && Instant::now() < backoff_until {
                return Ok(schedule.probe_every);
            }
            tracing::info!(answers, "AWS probe: trying the outbox again");
            if outage_over {
                // AWS answers again: every entry held back by the outage
                // goes now, in its order — however many failures a long
                // outage piled on the first one (as `sync --retry-now`).
                as_of = dayfusion_aws::sync::ignoring_backoff(as_of);
            }
        }
        let lock = match HousekeepingLock::try_acquire(&self.config.data_dir) {
            Ok(lock) => lock,
            // The CLI syncs or purges: look again shortly.
            Err(StoreError::Busy) => return Ok(schedule.probe_every),
            Err(e) => return Err(e.into()),
        };
        self.evidence()?;
        let Some(log) = &self.log else {
            return Err(StoreError::Other("log not open".into()).into());
        };
        let s3 = S3EvidenceStore::new(ctx.clone())?;
        let table = DynamoTransactionTable::new(ctx.clone());
        let local = self.evidence.as_ref().map(|e| e as &dyn EvidenceStore);
        let report = OutboxSync::new(log, local, &s3, &table).run(as_of, 0)?;
        drop(lock);
        let network = report.stopped_early
            && report
                .failed
                .last()
                .is_some_and(|(_, code)| is_transient(code));
        let network_code = report
            .failed
            .last()
            .filter(|_| network)
            .map(|(_, code)| code.clone());
        {
            let mut state = self.shared.state();
            state.last_sync_at = Some(OffsetDateTime::now_utc());
            state.last_synced = report.synced;
            state.last_error = network_code.clone();
        }
        self.offline_code = network_code;
        if network {
            // Unreachable: offline; throttled or a service error: AWS is
            // there, only busy (both back off).
            let unreachable = self.offline_code.as_deref() == Some(UNREACHABLE);
            let failures = {
                let mut state = self.shared.state();
                state.offline = unreachable;
                state.network_failures = state.network_failures.saturating_add(1);
                state.network_failures
            };
            let backoff = backoff_delay(failures).unsigned_abs();
            self.offline_since_backoff =
                Some(Instant::now() + with_jitter(backoff, schedule.jitter));
            return Ok(schedule.probe_every);
        }
        set_online(&mut self.offline_since_backoff, &self.shared);
        // AWS answered: the heartbeat follows the pass (skipped during an
        // outage, when it would fail the same way).
        self.last_heartbeat = Some(Instant::now());
        beat(&self.shared, &*self.facts, log, ctx);
        if report.remaining == 0 {
            return Ok(schedule.idle_every);
        }
        // Entries waiting out their own backoff: wake when the first is due.
        let now = OffsetDateTime::now_utc();
        let mut soonest = schedule.idle_every;
        for entry in log.outbox(0)? {
            // Held by a legal hold: nothing to do until it is released
            // (a nudge after the release, or the idle round).
            if held_for_erase(log, &entry.transaction_id)? {
                continue;
            }
            let due = next_attempt_at(log, &entry)?.unwrap_or(now);
            let wait = (due - now).max(time::Duration::ZERO).unsigned_abs();
            soonest = soonest.min(wait.max(Duration::from_secs(1)));
        }
        Ok(soonest)
    }

    fn set_online(&mut self) {
        set_online(&mut self.offline_since_backoff, &self.shared);
    }

    /// The AWS connection for the current settings, made again when
    /// `aws.toml` or the kiosk id changed.
    fn context(&mut self) -> Result<Arc<AwsContext>, StepError> {
        let settings = AwsSettings::load(&self.config.data_dir)?.with_kiosk(self.facts.kiosk_id());
        if let Some((known, ctx)) = &self.aws
            && *known == settings
        {
            return Ok(ctx.clone());
        }
        let ctx = Arc::new((self.config.connect)(settings.clone())?);
        self.aws = Some((settings, ctx.clone()));
        Ok(ctx)
    }
}

/// The local store of a kiosk that has none (AWS only, or no embedded
/// visit yet): holds nothing, so the purge deletes nothing locally and
/// only queues the S3 deletions.
struct NoLocalStore;

impl EvidenceStore for NoLocalStore {
    fn put(&self, key: &EvidenceKey, _bytes: &[u8]) -> Result<EvidenceRef, StoreError> {
        Err(StoreError::Other(format!(
            "no local evidence store for {key}"
        )))
    }

    fn get(&self, key: &EvidenceKey) -> Result<Vec<u8>, StoreError> {
        Err(StoreError::NotFound(key.to_string()))
    }

    fn delete(&self, _key: &EvidenceKey) -> Result<bool, StoreError> {
        Ok(false)
    }

    fn list(&self) -> Result<Vec<EvidenceKey>, StoreError> {
        Ok(Vec::new())
    }
}
