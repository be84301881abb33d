//! `dayfusion verify`, `transactions`, `evidence get`, `audit verify`,
//! `purge` and `recover`: the verification flow on the embedded backend.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use dayfusion_core::paths::KioskPaths;
use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_face::FaceEngine;
use dayfusion_ledger::SqliteLog;
use dayfusion_liveness::LivenessSettings;
use dayfusion_verify::embedded::{EmbeddedMatcher, RecordedVideo};
use dayfusion_verify::maintenance;
use dayfusion_verify::{
    Backend, EvidenceKey, EvidenceStore, FlowError, FlowLock, HousekeepingLock, ListQuery,
    PolicySet, Provider, StartRequest, Status, Transaction, TransactionLog, VerificationFlow, i18n,
};

/// A flow failure as a CLI error: the code, the person's message and the detail.
pub(crate) fn flow_failure(error: &FlowError, lang: &str) -> anyhow::Error {
    anyhow::anyhow!("[{}] {} ({error})", error.code(), error.message(lang))
}

pub(crate) fn store_failure(error: dayfusion_verify::StoreError, lang: &str) -> anyhow::Error {
    flow_failure(&FlowError::Store(error), lang)
}

/// The local stores of a data folder.
pub(crate) struct LocalStores {
    pub(crate) evidence: LocalEvidenceStore,
    pub(crate) log: SqliteLog,
}

pub(crate) fn open_stores(paths: &KioskPaths, lang: &str) -> anyhow::Result<LocalStores> {
    dayfusion_core::paths::create_private_dir(&paths.data_dir).map_err(|e| {
        store_failure(
            dayfusion_verify::StoreError::from_io(&e, "cannot create the data folder"),
            lang,
        )
    })?;
    let key_source = KeySource::from_env().map_err(|e| store_failure(e, lang))?;
    let evidence = LocalEvidenceStore::open(&paths.evidence_dir(), key_source)
        .map_err(|e| store_failure(e, lang))?;
    let log = SqliteLog::open(&paths.log_file()).map_err(|e| store_failure(e, lang))?;
    // Final transactions go to the outbox only on a kiosk with AWS settings.
    if let Some(configured) = dayfusion_aws::config::configured(&paths.data_dir) {
        log.set_aws_outbox(configured)
            .map_err(|e| store_failure(e, lang))?;
    }
    Ok(LocalStores { evidence, log })
}

fn open_log_read_only(paths: &KioskPaths, lang: &str) -> anyhow::Result<SqliteLog> {
    SqliteLog::open_read_only(&paths.log_file()).map_err(|e| store_failure(e, lang))
}

/// The kiosk id of the settings store, if one was saved.
pub(crate) fn settings_kiosk_id(paths: &KioskPaths) -> Option<String> {
    dayfusion_core::settings::read_stored(&paths.settings_file()).map(|s| s.kiosk_id)
}

/// Arguments of `verify`.
pub struct VerifyArgs {
    pub backend: BackendChoice,
    pub document: PathBuf,
    pub selfie_video: Option<PathBuf>,
    pub policy: String,
    pub product: String,
    pub operator: Option<String>,
    pub kiosk_id: Option<String>,
    pub json: bool,
    pub lang: String,
    pub models_dir: PathBuf,
    pub audit_images: u8,
}

/// The kiosk's JSON-lines log (events, ids, codes; never personal data),
/// shared with the app; `None` when the log folder cannot be written, which
/// must not stop a verification.
pub(crate) fn file_log(paths: &KioskPaths) -> Option<dayfusion_core::logging::LogGuard> {
    // Owner-only folders first: the appender would create them world-readable.
    paths.ensure().ok()?;
    dayfusion_core::logging::init(&paths.log_dir, false).ok()
}

/// Which backend `verify` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    /// Local models, encrypted local evidence, SQLite (offline).
    Embedded,
    /// Rekognition, S3 and (through the outbox) DynamoDB.
    Aws,
}

/// Runs the whole flow on a document photo and either a selfie video
/// (embedded) or a Rekognition liveness session completed on a screen (AWS).
pub fn verify(paths: &KioskPaths, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let _log = file_log(paths);
    let lang = args.lang.as_str();
    let policies = PolicySet::load(&paths.policy_file())
        .map_err(|e| flow_failure(&FlowError::Policy(e), lang))?;
    let policy = policies.get(&args.policy).cloned().ok_or_else(|| {
        flow_failure(
            &FlowError::Policy(format!("no policy named {:?}", args.policy)),
            lang,
        )
    })?;
    let document = read_input(&args.document, dayfusion_verify::flow::MAX_DOCUMENT_BYTES)
        .with_context(|| format!("document {}", args.document.display()))?;
    let kiosk_id = args
        .kiosk_id
        .clone()
        .or_else(|| settings_kiosk_id(paths))
        .unwrap_or_else(|| "kiosk-unconfigured".to_owned());
    let request = StartRequest {
        kiosk_id,
        operator: args.operator.clone(),
        product: args.product.clone(),
        policy,
        consent: None,
    };
    match args.backend {
        BackendChoice::Embedded => {
            let Some(video) = args.selfie_video.clone() else {
                anyhow::bail!("--selfie-video is required with the embedded backend");
            };
            if !video.is_file() {
                anyhow::bail!("selfie video {} is not a file", video.display());
            }
            let faces = Arc::new(FaceEngine::load(&args.models_dir).map_err(crate::with_reason)?);
            let _lock =
                FlowLock::try_acquire(&paths.data_dir).map_err(|e| store_failure(e, lang))?;
            let stores = open_stores(paths, lang)?;
            let matcher = EmbeddedMatcher::new(faces.clone());
            let liveness = RecordedVideo::new(
                faces,
                video,
                LivenessSettings {
                    audit_images_limit: args.audit_images,
                    locale: lang.to_owned(),
                    ..LivenessSettings::default()
                },
            );
            let backend = Backend {
                kind: Provider::Embedded,
                liveness: &liveness,
                matcher: &matcher,
                evidence: &stores.evidence,
                log: &stores.log,
            };
            stores
                .evidence
                .sweep_temp_files()
                .map_err(|e| store_failure(e, lang))?;
            run_flow(&backend, request, &document, &args)
        }
        BackendChoice::Aws => crate::aws_commands::verify_on_aws(paths, request, &document, &args),
    }
}

/// Recovery, then start → document → liveness → compare → decide on
/// `backend`; an error aborts the transaction with its code.
pub(crate) fn run_flow(
    backend: &Backend<'_>,
    request: StartRequest,
    document: &[u8],
    args: &VerifyArgs,
) -> anyhow::Result<ExitCode> {
    let lang = args.lang.as_str();
    // The local store is swept whole; on S3 (shared by every kiosk) only
    // the interrupted transactions' own objects are looked for.
    let aborted = if backend.kind == Provider::Aws {
        maintenance::abort_interrupted(backend)
    } else {
        maintenance::recover(backend).map(|r| r.aborted)
    }
    .map_err(|e| flow_failure(&e, lang))?;
    if !aborted.is_empty() {
        eprintln!(
            "dayfusion: {} interrupted transaction(s) closed as ABORTED",
            aborted.len()
        );
    }
    let mut flow = VerificationFlow::start(backend, request).map_err(|e| flow_failure(&e, lang))?;
    let steps = |flow: &mut VerificationFlow| -> Result<(), FlowError> {
        flow.capture_document(backend, document)?;
        flow.start_liveness(backend)?;
        if backend.kind == Provider::Aws
            && let Some(session) = &flow.transaction().liveness_session_id
        {
            // The capture runs on a screen (the kiosk's liveness widget);
            // this process waits for its result.
            eprintln!("dayfusion: liveness session {session}: complete it on the kiosk screen");
        }
        flow.complete_liveness(backend)?;
        if flow.transaction().stage == dayfusion_verify::Stage::LivenessDone
            && flow.transaction().liveness.as_ref().is_some_and(|l| {
                l.status == dayfusion_verify::LivenessStatus::Succeeded && l.reference_key.is_some()
            })
        {
            flow.compare(backend)?;
        }
        flow.decide(backend)?;
        Ok(())
    };
    if let Err(error) = steps(&mut flow) {
        let code = error.code();
        let aborted = flow.abort(backend, &code);
        if args.json
            && let Ok(transaction) = &aborted
        {
            println!("{}", serde_json::to_string_pretty(transaction)?);
        }
        if let Err(abort_error) = aborted {
            eprintln!("dayfusion: the transaction could not be closed: {abort_error}");
        }
        return Err(flow_failure(&error, lang));
    }
    let transaction = flow.transaction();
    if args.json {
        println!("{}", serde_json::to_string_pretty(transaction)?);
    } else {
        print_transaction(transaction, lang);
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads at most `limit` bytes of a file (a bigger one is refused unread).
fn read_input(path: &Path, limit: usize) -> anyhow::Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > limit as u64 {
        anyhow::bail!("[document-too-large] file of {size} bytes (at most {limit})");
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// The human summary of a transaction.
pub(crate) fn print_transaction(t: &Transaction, lang: &str) {
    println!(
        "{}  {}  ({})",
        t.transaction_id,
        i18n::status_label(t.status, lang),
        t.status.as_str()
    );
    println!(
        "  created {}  kiosk {}  product {}  policy {} v{}",
        t.created_at, t.kiosk_id, t.product, t.policy.id, t.policy.version
    );
    if let Some(l) = &t.liveness {
        println!(
            "  liveness {:.1} ({:?}, {}, session {})",
            l.confidence, l.status, l.assurance, l.session_id
        );
    }
    if let Some(c) = &t.comparison {
        println!("  similarity {:.1} ({})", c.similarity, c.model);
    }
    if let Some(d) = &t.decision {
        println!(
            "  policy {} v{}: liveness >= {}, similarity >= {}, review band {}",
            d.policy.id,
            d.policy.version,
            d.policy.liveness_min,
            d.policy.similarity_min,
            d.policy.review_band
        );
        for reason in &d.reasons {
            println!("  - {reason}: {}", i18n::message(reason, lang));
        }
    }
    if let Some(reason) = &t.abort_reason {
        println!("  - {reason}: {}", i18n::message(reason, lang));
    }
    println!(
        "  evidence{}:",
        if t.evidence_purged_at.is_some() {
            " (purged)"
        } else {
            ""
        }
    );
    if let Some(d) = &t.document {
        println!("    {}  sha256 {}", d.document_key, d.sha256);
    }
    if let Some(l) = &t.liveness {
        if let (Some(k), Some(h)) = (&l.reference_key, &l.reference_sha256) {
            println!("    {k}  sha256 {h}");
        }
        for a in &l.audit_images {
            println!("    {}  sha256 {}", a.key, a.sha256);
        }
    }
}

/// `transactions list`.
pub fn list(
    paths: &KioskPaths,
    limit: usize,
    status: Option<String>,
    json: bool,
    lang: &str,
) -> anyhow::Result<ExitCode> {
    let status = match status {
        Some(s) => Some(
            Status::parse(&s.to_ascii_uppercase())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "[request-invalid] unknown status {s:?} (APPROVED, REJECTED, REVIEW, ABORTED, IN_PROGRESS)"
                    )
                })?,
        ),
        None => None,
    };
    let log = open_log_read_only(paths, lang)?;
    let transactions = log
        .list(&ListQuery {
            limit,
            status,
            created_before: None,
        })
        .map_err(|e| store_failure(e, lang))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&transactions)?);
        return Ok(ExitCode::SUCCESS);
    }
    for t in &transactions {
        println!(
            "{}  {}  {:<11}  {:<18}  liveness {:>5}  similarity {:>5}  {}",
            t.transaction_id,
            t.created_at,
            t.status.as_str(),
            t.stage.as_str(),
            t.liveness
                .as_ref()
                .map_or("-".to_owned(), |l| format!("{:.1}", l.confidence)),
            t.similarity().map_or("-".to_owned(), |s| format!("{s:.1}")),
            t.kiosk_id
        );
    }
    println!("{} transaction(s)", transactions.len());
    Ok(ExitCode::SUCCESS)
}

/// `transactions show ID`.
pub fn show(paths: &KioskPaths, id: &str, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let id = uuid::Uuid::parse_str(id)
        .map_err(|_| anyhow::anyhow!("[request-invalid] the transaction id is not a UUID"))?;
    let log = open_log_read_only(paths, lang)?;
    let transaction = log
        .get(&id)
        .map_err(|e| store_failure(e, lang))?
        .ok_or_else(|| anyhow::anyhow!("[not-found] no transaction {id}"))?;
    let events = log.audit_events(&id).map_err(|e| store_failure(e, lang))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "transaction": transaction,
                "auditEvents": events,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    print_transaction(&transaction, lang);
    println!("  audit events:");
    for e in &events {
        println!("    #{:<5} {}  {}", e.seq, e.at, e.kind);
    }
    Ok(ExitCode::SUCCESS)
}

/// `evidence get KEY --out FILE`: decrypts, checks the recorded SHA-256,
/// writes an owner-only file.
pub fn evidence_get(
    paths: &KioskPaths,
    key: &str,
    out: &Path,
    force: bool,
    lang: &str,
) -> anyhow::Result<ExitCode> {
    let key = EvidenceKey::parse(key).map_err(|e| anyhow::anyhow!("[request-invalid] {e}"))?;
    let log = open_log_read_only(paths, lang)?;
    let recorded = log
        .list(&ListQuery::default())
        .map_err(|e| store_failure(e, lang))?
        .into_iter()
        .find_map(|t| recorded_hash(&t, &key));
    let Some(expected) = recorded else {
        anyhow::bail!("[not-found] no transaction refers to {key} (unknown, or purged)");
    };
    let key_source = KeySource::from_env().map_err(|e| store_failure(e, lang))?;
    let evidence = LocalEvidenceStore::open_existing(&paths.evidence_dir(), key_source)
        .map_err(|e| store_failure(e, lang))?;
    let bytes = evidence.get(&key).map_err(|e| store_failure(e, lang))?;
    let actual = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    };
    if actual != expected {
        anyhow::bail!("[data-corrupt] {key} does not match its recorded SHA-256");
    }
    write_private(out, &bytes, force)?;
    eprintln!(
        "{key}: {} bytes, sha256 {actual} (matches the log)",
        bytes.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes decrypted evidence owner-only: a temporary file beside `out`,
/// synced, then renamed over it (so a replaced file never keeps wider
/// permissions and a failed write leaves no partial image).
fn write_private(out: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    if !force && out.exists() {
        anyhow::bail!("{} exists (use --force to replace)", out.display());
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".dayfusion-{}.tmp", uuid::Uuid::new_v4()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = (|| -> anyhow::Result<()> {
        let mut file = options
            .open(&tmp)
            .with_context(|| format!("cannot write in {}", dir.display()))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        if !force && out.exists() {
            anyhow::bail!("{} exists (use --force to replace)", out.display());
        }
        std::fs::rename(&tmp, out).with_context(|| format!("cannot create {}", out.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn recorded_hash(t: &Transaction, key: &EvidenceKey) -> Option<String> {
    if t.evidence_purged_at.is_some() {
        return None;
    }
    if let Some(d) = &t.document
        && &d.document_key == key
    {
        return Some(d.sha256.clone());
    }
    let l = t.liveness.as_ref()?;
    if l.reference_key.as_ref() == Some(key) {
        return l.reference_sha256.clone();
    }
    l.audit_images
        .iter()
        .find(|a| &a.key == key)
        .map(|a| a.sha256.clone())
}

/// `audit verify`: exit 0 when the chain holds, 1 naming the first bad event.
pub fn audit_verify(paths: &KioskPaths, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let log = open_log_read_only(paths, lang)?;
    let report = log.verify_audit().map_err(|e| store_failure(e, lang))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if let Some(bad) = &report.first_bad {
        println!("audit chain BROKEN at event #{}: {}", bad.seq, bad.problem);
    } else {
        println!(
            "audit chain OK: {} events, head {}",
            report.events,
            report.head_hash.as_deref().unwrap_or("-")
        );
    }
    Ok(if report.first_bad.is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `dayfusion audit head`: the verified chain's head, for safekeeping
/// outside the kiosk.
pub fn audit_head(paths: &KioskPaths, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let log = open_log_read_only(paths, lang)?;
    let report = log.verify_audit().map_err(|e| store_failure(e, lang))?;
    let verified = report.first_bad.is_none();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "events": report.events,
                "headHash": report.head_hash,
                "verified": verified,
            })
        );
    } else {
        println!(
            "{} {}",
            report.events,
            report.head_hash.as_deref().unwrap_or("-")
        );
    }
    Ok(if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A backend for maintenance: the stores, no models.
fn with_maintenance_backend<T>(
    paths: &KioskPaths,
    lang: &str,
    work: impl FnOnce(&Backend<'_>) -> Result<T, FlowError>,
) -> anyhow::Result<T> {
    let _log = file_log(paths);
    let _lock = FlowLock::try_acquire(&paths.data_dir).map_err(|e| store_failure(e, lang))?;
    let stores = open_stores(paths, lang)?;
    stores
        .evidence
        .sweep_temp_files()
        .map_err(|e| store_failure(e, lang))?;
    let providers = NoProviders;
    let backend = Backend {
        kind: Provider::Embedded,
        liveness: &providers,
        matcher: &providers,
        evidence: &stores.evidence,
        log: &stores.log,
    };
    work(&backend).map_err(|e| flow_failure(&e, lang))
}

/// Longest wait of the CLI for a sync or purge already running.
pub(crate) const HOUSEKEEPING_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// `purge --older-than DAYS`.
pub fn purge(
    paths: &KioskPaths,
    days: u32,
    include_unsynced: bool,
    json: bool,
    lang: &str,
) -> anyhow::Result<ExitCode> {
    let _log = file_log(paths);
    // Only the housekeeping lock: a customer's visit goes on meanwhile; a
    // sync or purge of the app's background service finishes first.
    let _lock = HousekeepingLock::acquire(&paths.data_dir, HOUSEKEEPING_WAIT)
        .map_err(|e| store_failure(e, lang))?;
    let stores = open_stores(paths, lang)?;
    let report = maintenance::purge(
        &stores.evidence,
        &stores.log,
        days,
        time::OffsetDateTime::now_utc(),
        include_unsynced,
    )
    .map_err(|e| flow_failure(&e, lang))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "purged the evidence of {} transaction(s) older than {days} days: {} local object(s) deleted; {} queued to delete their S3 copies at the next sync; {} kept because they have not reached AWS yet; {} kept under a legal hold",
            report.transactions,
            report.objects_deleted,
            report.queued_for_aws,
            report.kept_unsynced,
            report.kept_on_hold
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `recover`: closes interrupted transactions and deletes orphan evidence;
/// an interrupted AWS transaction's S3 objects go at the next sync.
pub fn recover(paths: &KioskPaths, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let report = with_maintenance_backend(paths, lang, maintenance::recover)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "{} interrupted transaction(s) closed as ABORTED, {} orphan evidence object(s) deleted, {} unknown object(s) kept",
            report.aborted.len(),
            report.orphans_deleted,
            report.unaccounted
        );
        if report.queued_for_aws > 0 {
            println!(
                "{} of them ran on AWS: their S3 objects are deleted at the next sync (dayfusion sync)",
                report.queued_for_aws
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Maintenance needs no liveness or matching: both refuse.
struct NoProviders;

impl dayfusion_verify::LivenessProvider for NoProviders {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }
    fn create_session(
        &self,
    ) -> Result<dayfusion_verify::LivenessSessionStart, dayfusion_verify::ProviderError> {
        Err(unavailable())
    }
    fn session_results(
        &self,
        _: &str,
    ) -> Result<dayfusion_verify::LivenessOutcome, dayfusion_verify::ProviderError> {
        Err(unavailable())
    }
}

impl dayfusion_verify::FaceMatcher for NoProviders {
    fn provider(&self) -> Provider {
        Provider::Embedded
    }
    fn locate_portrait(
        &self,
        _: &[u8],
    ) -> Result<dayfusion_verify::PortraitLocation, dayfusion_verify::ProviderError> {
        Err(unavailable())
    }
    fn compare(
        &self,
        _: &[u8],
        _: &[u8],
    ) -> Result<dayfusion_verify::MatchResult, dayfusion_verify::ProviderError> {
        Err(unavailable())
    }
}

fn unavailable() -> dayfusion_verify::ProviderError {
    dayfusion_verify::ProviderError::new(
        "provider-unavailable",
        "not loaded for maintenance",
        false,
    )
}
