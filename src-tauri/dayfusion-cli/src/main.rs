//! `dayfusion`: the headless command line of the kiosk core. It drives the
//! same code as the app's commands, without a window.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dayfusion_core::{health, paths::KioskPaths};
use dayfusion_ipc::{BackendMode, HealthStatus};

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
    let paths = KioskPaths::resolve().context("resolving the kiosk folders")?;
    match cli.command {
        Command::Paths => {
            println!("data: {}", paths.data_dir.display());
            println!("logs: {}", paths.log_dir.display());
            println!("settings: {}", paths.settings_file().display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Health { json } => {
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

/// Backend configured in the app's settings file, or the default.
fn read_backend(paths: &KioskPaths) -> BackendMode {
    std::fs::read(paths.settings_file())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|v| serde_json::from_value(v["kiosk"]["backend"].clone()).ok())
        .unwrap_or_default()
}
