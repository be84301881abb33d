//! `dayfusion health` and `dayfusion health serve`: the kiosk's health
//! report, printed once or served to the fleet's monitoring agent.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use dayfusion_core::{health, paths::KioskPaths};
use dayfusion_ipc::{BackendMode, HealthReport, HealthStatus};

use crate::health_server::{self, Endpoint};

#[derive(Debug, Subcommand)]
pub enum HealthCommand {
    /// Serve the report to a monitoring agent: `GET /health` answers the
    /// JSON of `health --json` (200 when ok or warning, 503 when failing;
    /// recomputed at most every 5 s), `GET /health/live` answers 200 while
    /// the process runs. Loopback addresses or a Unix socket only. Prints
    /// one JSON line once listening: `{"listening":"ADDR"}` (`unix:PATH`
    /// for a socket).
    Serve {
        /// Loopback address and port (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:9464")]
        listen: SocketAddr,
        /// Serve on this Unix socket instead (mode 0660, removed when the
        /// server stops; a stale one left by a killed server is replaced).
        #[arg(long, value_name = "PATH", conflicts_with = "listen")]
        socket: Option<PathBuf>,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
}

/// The report `dayfusion health` prints and `health serve` answers: the
/// core's checks, document parsing, the model pack (SHA-256 verified), and
/// the `awsSync` check when there is a log. Reads only; creates nothing.
pub fn report(paths: &KioskPaths) -> HealthReport {
    let backend = read_backend(paths);
    let mut report = health::check(&health::HealthInputs {
        paths,
        settings_store: Ok(()),
        backend,
        camera: None,
        evidence_key: dayfusion_visit::evidence_key_state(&paths.evidence_dir(), backend),
    });
    health::add_check(
        &mut report,
        dayfusion_visit::confinement_report().health_check(),
    );
    health::add_check(
        &mut report,
        dayfusion_models::health_check(&paths.models_dir(), backend == BackendMode::Embedded),
    );
    if paths.log_file().exists()
        && let Some(check) = aws_sync_check(paths)
    {
        health::add_check(&mut report, check);
    }
    report
}

/// `dayfusion health [--json]`: exit 1 when a check fails.
pub fn print(paths: &KioskPaths, json: bool) -> anyhow::Result<ExitCode> {
    let report = report(paths);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        for check in &report.checks {
            println!(
                "{:<8} {:<14} {}",
                format!("{:?}", check.status),
                format!("{:?}", check.id),
                check.detail
            );
        }
        println!("overall: {:?}", report.status);
    }
    Ok(if report.status == HealthStatus::Failing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `dayfusion health serve`: runs until killed.
pub fn serve(
    paths: KioskPaths,
    listen: SocketAddr,
    socket: Option<PathBuf>,
    lang: &str,
) -> anyhow::Result<ExitCode> {
    let endpoint = match socket {
        Some(path) => Endpoint::Unix(path),
        None if listen.ip().is_loopback() => Endpoint::Tcp(listen),
        None => anyhow::bail!("{}", not_loopback(listen, lang)),
    };
    let source = move || {
        let report = report(&paths);
        let failing = report.status == HealthStatus::Failing;
        let body = serde_json::to_vec_pretty(&report).unwrap_or_default();
        (failing, body)
    };
    health_server::serve(endpoint, source, |listening| {
        // A closed stdout is an error to report, not a panic.
        let mut out = std::io::stdout().lock();
        std::io::Write::write_all(
            &mut out,
            format!("{}\n", serde_json::json!({ "listening": listening })).as_bytes(),
        )?;
        std::io::Write::flush(&mut out)
    })
    .map_err(|e| anyhow::anyhow!("{}", server_failure(&e, lang)))?;
    Ok(ExitCode::SUCCESS)
}

fn english(lang: &str) -> bool {
    lang.to_ascii_lowercase().starts_with("en")
}

fn not_loopback(addr: SocketAddr, lang: &str) -> String {
    if english(lang) {
        format!(
            "health-not-loopback: the health endpoint listens on loopback addresses only \
             (127.0.0.1, ::1), not {addr}; let the monitoring agent on this machine call it, \
             or use --socket PATH"
        )
    } else {
        format!(
            "health-not-loopback: o endpoint de saúde escuta apenas em endereços de loopback \
             (127.0.0.1, ::1), não em {addr}; use o agente de monitoramento desta máquina \
             ou --socket CAMINHO"
        )
    }
}

fn server_failure(e: &health_server::ServeError, lang: &str) -> String {
    use health_server::ServeError;
    match (e, english(lang)) {
        (ServeError::InUse(at), true) => {
            format!("health-endpoint-in-use: another server already answers on {at}")
        }
        (ServeError::InUse(at), false) => {
            format!("health-endpoint-in-use: outro servidor já responde em {at}")
        }
        (ServeError::Io(at, e), true) => format!("health-endpoint: cannot listen on {at}: {e}"),
        (ServeError::Io(at, e), false) => {
            format!("health-endpoint: não foi possível escutar em {at}: {e}")
        }
    }
}

/// Backend configured in the app's settings file, or the default.
fn read_backend(paths: &KioskPaths) -> BackendMode {
    dayfusion_core::settings::read_stored(&paths.settings_file())
        .map(|s| s.backend)
        .unwrap_or_default()
}

/// The `awsSync` check, as the app shows it (from the log alone: the CLI
/// cannot see the app's sync service); `None` without a log or AWS.
fn aws_sync_check(paths: &KioskPaths) -> Option<dayfusion_ipc::HealthCheck> {
    let log = dayfusion_ledger::SqliteLog::open_read_only(&paths.log_file()).ok()?;
    let mut status = dayfusion_aws::sync_status(&log).ok()?;
    status.aws_configured = dayfusion_aws::config::configured(&paths.data_dir) != Some(false);
    let alert_hours = dayfusion_core::settings::read_stored(&paths.settings_file())
        .map_or(dayfusion_ipc::DEFAULT_SYNC_ALERT_HOURS, |s| {
            s.sync_alert_hours
        });
    dayfusion_aws::mark_overdue(&mut status, alert_hours, time::OffsetDateTime::now_utc());
    health::aws_sync(&status, alert_hours)
}
