//! `dayfusion staff …`: provisioning the kiosk's staff accounts out of band
//! (the installer, an admin at the console, fleet tooling). PINs come from
//! standard input, never from the command line; each change is an audit
//! event. The running kiosk reads the accounts afresh on every sign-in.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use dayfusion_core::paths::KioskPaths;
use dayfusion_staff::{Moment, Role, StaffDirectory};
use dayfusion_verify::{AuditEvent, TransactionLog};

/// The staff subcommands.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add an account; its PIN (6-12 digits) is read from standard input.
    Add {
        /// Account id: the bank's staff number or login (3-32 of a-z 0-9 . _ -).
        id: String,
        /// Display name shown on the staff screens.
        #[arg(long)]
        name: String,
        /// reviewer, admin or field-agent.
        #[arg(long)]
        role: Role,
    },
    /// Remove an account (its open sessions end at their next use).
    Remove {
        /// Account id.
        id: String,
    },
    /// List the accounts (never their PINs).
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give an account a new PIN, read from standard input; lifts its lock.
    Reset {
        /// Account id.
        id: String,
    },
    /// Lift an account's lockout after wrong PINs.
    Unlock {
        /// Account id.
        id: String,
    },
}

/// Reads one PIN line from standard input (echo off on a terminal).
pub(crate) fn read_pin(prompt: &str) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    if terminal {
        eprint!("{prompt}: ");
        std::io::stderr().flush().ok();
        let _ = std::process::Command::new("stty").arg("-echo").status();
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    let read = stdin.lock().read_line(&mut line);
    if terminal {
        let _ = std::process::Command::new("stty").arg("echo").status();
        eprintln!();
    }
    read.context("reading the PIN from standard input")?;
    let pin = zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    if pin.is_empty() {
        bail!("no PIN on standard input (pipe it: the PIN is never taken from the command line)");
    }
    Ok(pin)
}

/// Who ran the command, for the audit event.
pub(crate) fn operator() -> String {
    let user = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

fn record(paths: &KioskPaths, kind: &str, data: serde_json::Value) -> anyhow::Result<()> {
    let log = dayfusion_ledger::SqliteLog::open(&paths.log_file())
        .context("opening the transaction log for the audit event")?;
    log.record_event(&AuditEvent {
        kind: kind.to_owned(),
        data,
    })
    .context("recording the audit event")?;
    Ok(())
}

/// Runs one staff subcommand.
pub fn run(paths: &KioskPaths, command: StaffCommand) -> anyhow::Result<ExitCode> {
    paths.ensure().context("creating the data folder")?;
    let directory = StaffDirectory::open(&paths.data_dir)?;
    let by = operator();
    match command {
        StaffCommand::Add { id, name, role } => {
            let pin = read_pin("PIN")?;
            directory.add(&id, &name, role, &pin)?;
            record(
                paths,
                "staff.account.added",
                serde_json::json!({ "account": id, "role": role, "by": by }),
            )?;
            println!("added {id} ({role})");
        }
        StaffCommand::Remove { id } => {
            directory.remove(&id)?;
            record(
                paths,
                "staff.account.removed",
                serde_json::json!({ "account": id, "by": by }),
            )?;
            println!("removed {id}");
        }
        StaffCommand::Reset { id } => {
            let pin = read_pin("new PIN")?;
            directory.reset(&id, &pin)?;
            record(
                paths,
                "staff.pin.reset",
                serde_json::json!({ "account": id, "by": by }),
            )?;
            println!("new PIN set for {id}");
        }
        StaffCommand::Unlock { id } => {
            directory.unlock(&id)?;
            record(
                paths,
                "staff.account.unlocked",
                serde_json::json!({ "account": id, "by": by }),
            )?;
            println!("unlocked {id}");
        }
        StaffCommand::List { json } => {
            let accounts = directory.list(Moment::now())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&accounts)?);
            } else if accounts.is_empty() {
                println!("no staff accounts: this kiosk is not provisioned (dayfusion staff add)");
            } else {
                for a in accounts {
                    let lock = a
                        .locked_seconds
                        .map(|s| format!("  locked {s} s"))
                        .unwrap_or_default();
                    println!("{:<32} {:<12} {}{lock}", a.id, a.role, a.name);
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
