//! `dayfusion provision FILE`: the kiosk's settings, privacy notice, staff
//! accounts and AWS settings from one TOML file (fleet tooling), validated
//! as a whole and applied idempotently (see `dayfusion-provision`).
//!
//! Exit status: 0 applied, planned or nothing to change; 1 refused with
//! nothing changed (the file's every problem listed, or the kiosk cannot be
//! changed: a data folder of another user, an audit log that cannot be
//! opened); 3 the kiosk app is running on this data folder (nothing
//! changed); 2 applying stopped part-way (what was applied is listed;
//! running the file again finishes).

use std::path::PathBuf;
use std::process::ExitCode;

use dayfusion_core::paths::KioskPaths;
use dayfusion_provision::{Lang, Options, Outcome, render_problems};
use serde_json::json;

/// `dayfusion provision` arguments.
#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    /// The provisioning file (TOML; see infra/provisioning/sample-kiosk.toml).
    pub file: PathBuf,
    /// Only show what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply while the kiosk app runs: everything but [kiosk] (the app keeps
    /// its settings in memory and would overwrite them).
    #[arg(long)]
    pub while_running: bool,
    /// Print the outcome as JSON (`changed` tells fleet tools whether
    /// anything changed; with --dry-run, `wouldChange` whether it would).
    #[arg(long)]
    pub json: bool,
    /// Language of messages (pt-BR or en).
    #[arg(long, default_value = "pt-BR")]
    pub lang: String,
}

/// Runs `dayfusion provision`.
pub fn run(paths: &KioskPaths, args: ProvisionArgs) -> anyhow::Result<ExitCode> {
    let lang = Lang::parse(&args.lang);
    let env = |name: &str| std::env::var(name).ok();
    let options = Options {
        dry_run: args.dry_run,
        while_running: args.while_running,
        lang,
        env: &env,
        by: crate::staff_commands::operator(),
        origin: args.file.display().to_string(),
    };
    let outcome = dayfusion_provision::provision_file(&args.file, paths, &options);
    let print_json = |value: serde_json::Value| -> anyhow::Result<()> {
        println!("{}", serde_json::to_string_pretty(&value)?);
        Ok(())
    };
    match outcome {
        Ok(Outcome::Done(report)) => {
            if args.json {
                let mut value = serde_json::to_value(&report)?;
                value["ok"] = json!(true);
                value["changed"] = json!(report.applied && !report.changes.is_empty());
                if report.dry_run {
                    // For check modes (Ansible's --check): what a real run would do.
                    value["wouldChange"] = json!(!report.changes.is_empty());
                }
                print_json(value)?;
            } else {
                println!("{}", report.render(lang));
            }
            Ok(ExitCode::SUCCESS)
        }
        Ok(Outcome::Refused(problems)) => {
            if args.json {
                print_json(json!({
                    "ok": false,
                    "changed": false,
                    "refused": true,
                    "file": args.file,
                    "problems": problems,
                }))?;
            } else {
                eprintln!("{}", render_problems(&problems, lang));
            }
            Ok(ExitCode::from(1))
        }
        Ok(Outcome::KioskRunning(report)) => {
            let message = dayfusion_provision::running_message(paths, lang);
            if args.json {
                let mut value = serde_json::to_value(&report)?;
                value["ok"] = json!(false);
                value["changed"] = json!(false);
                value["kioskRunning"] = json!(true);
                value["message"] = json!(message);
                print_json(value)?;
            } else {
                println!("{}", report.render(lang));
                eprintln!("{message}");
            }
            Ok(ExitCode::from(3))
        }
        Err(incomplete) => {
            if args.json {
                print_json(json!({
                    "ok": false,
                    "changed": !incomplete.applied.is_empty(),
                    "error": incomplete.error,
                    "applied": incomplete.applied,
                }))?;
            } else {
                for change in &incomplete.applied {
                    println!("{} {}", change.file, change.key);
                }
                eprintln!("dayfusion: {incomplete}");
            }
            Ok(ExitCode::from(2))
        }
    }
}
