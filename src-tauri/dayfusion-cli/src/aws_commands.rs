//! `dayfusion verify --backend aws`, `sync` and `doctor`: the AWS backend
//! from the command line. AWS settings come from `<data>/aws.toml` and
//! `DAYFUSION_AWS_*`; credentials from the default chain (the kiosk's IAM
//! profile).

use std::process::ExitCode;
use std::sync::Arc;

use dayfusion_aws::doctor::{self, CheckStatus};
use dayfusion_aws::dynamo::DynamoTransactionTable;
use dayfusion_aws::publish_after_sync;
use dayfusion_aws::s3::S3EvidenceStore;
use dayfusion_aws::sync::{OutboxSync, sync_status};
use dayfusion_aws::{AwsContext, AwsError, AwsSettings, RekognitionLiveness, RekognitionMatcher};
use dayfusion_core::paths::KioskPaths;
use dayfusion_verify::{Backend, FlowLock, HousekeepingLock, Provider, StartRequest};

use crate::verify_commands::{
    HOUSEKEEPING_WAIT, VerifyArgs, file_log, open_stores, run_flow, settings_kiosk_id,
    store_failure,
};

/// An AWS failure as a CLI error: code, message for people, detail.
fn aws_failure(error: &AwsError, lang: &str) -> anyhow::Error {
    anyhow::anyhow!("[{}] {} ({error})", error.code(), error.message(lang))
}

/// Connects with the data folder's settings, for kiosk `kiosk_id` (the
/// folder of its S3 objects; `None`: the kiosk settings' id, else
/// `kiosk-unconfigured` as `verify` records).
fn connect(
    paths: &KioskPaths,
    kiosk_id: Option<String>,
    lang: &str,
) -> anyhow::Result<Arc<AwsContext>> {
    let kiosk = kiosk_id
        .or_else(|| settings_kiosk_id(paths))
        .unwrap_or_else(|| "kiosk-unconfigured".to_owned());
    let settings = AwsSettings::load(&paths.data_dir)
        .map_err(|e| aws_failure(&e, lang))?
        .with_kiosk(kiosk);
    Ok(Arc::new(
        AwsContext::connect(settings).map_err(|e| aws_failure(&e, lang))?,
    ))
}

/// The flow on Rekognition and S3, then an immediate sync of the outbox
/// (the record to DynamoDB); a failed sync leaves it queued for `sync`.
pub fn verify_on_aws(
    paths: &KioskPaths,
    request: StartRequest,
    document: &[u8],
    args: &VerifyArgs,
) -> anyhow::Result<ExitCode> {
    let lang = args.lang.as_str();
    let ctx = connect(paths, Some(request.kiosk_id.clone()), lang)?;
    ctx.settings
        .require_bucket()
        .map_err(|e| aws_failure(&e, lang))?;
    let _lock = FlowLock::try_acquire(&paths.data_dir).map_err(|e| store_failure(e, lang))?;
    let stores = open_stores(paths, lang)?;
    let liveness = RekognitionLiveness::new(ctx.clone());
    let evidence = S3EvidenceStore::new(ctx.clone()).map_err(|e| aws_failure(&e, lang))?;
    let matcher =
        RekognitionMatcher::new(ctx.clone(), request.policy.similarity_min).evidence_in(&evidence);
    let backend = Backend {
        kind: Provider::Aws,
        liveness: &liveness,
        matcher: &matcher,
        evidence: &evidence,
        log: &stores.log,
    };
    let code = run_flow(&backend, request, document, args)?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let sync = OutboxSync::new(&stores.log, Some(&stores.evidence), &evidence, &table);
    match sync.run(time::OffsetDateTime::now_utc(), 16) {
        Ok(report) if report.failed.is_empty() => {}
        Ok(report) => eprintln!(
            "dayfusion: {} transaction(s) not yet in DynamoDB; `dayfusion sync` retries",
            report.failed.len()
        ),
        Err(e) => eprintln!("dayfusion: sync postponed: {e}"),
    }
    Ok(code)
}

/// `sync`: pushes the outbox to S3 and DynamoDB. Exit 0 when nothing
/// failed, 1 when some transactions stay queued.
pub fn sync(
    paths: &KioskPaths,
    limit: usize,
    retry_now: bool,
    json: bool,
    lang: &str,
) -> anyhow::Result<ExitCode> {
    let _log = file_log(paths);
    let ctx = connect(paths, None, lang)?;
    // One sync at a time (the app's background service or the CLI); a
    // verification goes on meanwhile.
    let _lock = HousekeepingLock::acquire(&paths.data_dir, HOUSEKEEPING_WAIT)
        .map_err(|e| store_failure(e, lang))?;
    let stores = open_stores(paths, lang)?;
    // This kiosk has AWS settings: transactions kept local until now join
    // the outbox.
    stores
        .log
        .set_aws_outbox(true)
        .map_err(|e| store_failure(e, lang))?;
    let evidence = S3EvidenceStore::new(ctx.clone()).map_err(|e| aws_failure(&e, lang))?;
    let table = DynamoTransactionTable::new(ctx.clone());
    let sync = OutboxSync::new(&stores.log, Some(&stores.evidence), &evidence, &table);
    let mut now = time::OffsetDateTime::now_utc();
    if retry_now {
        now = dayfusion_aws::sync::ignoring_backoff(now);
    }
    let report = sync.run(now, limit).map_err(|e| store_failure(e, lang))?;
    let status = sync_status(&stores.log).map_err(|e| store_failure(e, lang))?;
    // The fleet's view of this kiosk; a failure never fails the sync.
    let health = crate::health_commands::report(paths);
    let heartbeat = publish_after_sync(
        &table,
        &stores.log,
        Some(&health),
        time::OffsetDateTime::now_utc(),
    );
    if json {
        let heartbeat = match &heartbeat {
            Ok(published) => serde_json::json!({ "published": published }),
            Err(code) => serde_json::json!({ "error": code }),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "report": report, "status": status, "heartbeat": heartbeat })
            )?
        );
    } else {
        println!(
            "synced {} transaction(s); {} waiting for their retry time; {} failed; {} still queued",
            report.synced,
            report.skipped_backoff,
            report.failed.len(),
            status.pending
        );
        for (id, code) in &report.failed {
            println!(
                "  {id}: [{code}] {}",
                dayfusion_verify::i18n::message(code, lang)
            );
        }
        if let Err(code) = &heartbeat {
            println!(
                "heartbeat not published (next sync retries): [{code}] {}",
                dayfusion_verify::i18n::message(code, lang)
            );
        }
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `sync status`: what is still waiting, without network.
pub fn sync_status_command(paths: &KioskPaths, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let log = dayfusion_ledger::SqliteLog::open_read_only(&paths.log_file())
        .map_err(|e| store_failure(e, lang))?;
    let status = sync_status(&log).map_err(|e| store_failure(e, lang))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!(
            "{} transaction(s) waiting for AWS ({} failing){}{}",
            status.pending,
            status.failing,
            status
                .oldest_queued_at
                .as_deref()
                .map(|t| format!("; oldest queued {t}"))
                .unwrap_or_default(),
            status
                .last_error
                .as_deref()
                .map(|c| format!(
                    "; last error [{c}] {}",
                    dayfusion_verify::i18n::message(c, lang)
                ))
                .unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `doctor`: every check, with fixes. Exit 0 when healthy, 1 otherwise.
pub fn doctor(paths: &KioskPaths, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let ctx = connect(paths, None, lang)?;
    let report = doctor::run(&ctx, lang);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!("region: {}", report.region.as_deref().unwrap_or("?"));
        for check in &report.checks {
            let mark = match check.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warning => "warn",
                CheckStatus::Failing => "FAIL",
                CheckStatus::Skipped => "skip",
            };
            println!("[{mark}] {:<13} {}", check.id, check.message);
            println!("       {}", check.detail);
            if let Some(fix) = &check.fix {
                println!("       -> {fix}");
            }
        }
    }
    Ok(if report.healthy() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
