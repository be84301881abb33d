//! `dayfusion hold place|release|list`: the legal hold as a staff action.
//! The acting staff account is named (`--staff`) and signs in with its PIN,
//! read from standard input (never from the command line, never logged;
//! wrong PINs count towards the account's lockout as on the kiosk). Each
//! change is a `legal-hold.placed` / `legal-hold.released` audit event of
//! the transaction naming the account and the reason. Reviewers and admins
//! may place and release holds; the retention purge skips held
//! transactions.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use dayfusion_core::paths::KioskPaths;
use dayfusion_ledger::SqliteLog;
use dayfusion_staff::{Moment, Permission, SignIn, StaffDirectory};
use dayfusion_verify::hold::{self, HOLD_PLACED, HOLD_RELEASED};
use dayfusion_verify::{HousekeepingLock, TransactionLog, i18n};

use crate::verify_commands::{HOUSEKEEPING_WAIT, file_log, flow_failure, store_failure};

/// What placing or releasing a hold needs.
#[derive(Debug, Args)]
pub struct HoldChange {
    /// The transaction id.
    id: String,
    /// Why (3-500 characters), recorded in the audit chain.
    #[arg(long)]
    reason: String,
    /// The acting staff account (reviewer or admin).
    #[arg(long, value_name = "ACCOUNT")]
    staff: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
    /// Language of messages (pt-BR or en).
    #[arg(long, default_value = "pt-BR")]
    lang: String,
}

/// The hold subcommands.
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Keep a finished transaction's evidence past the retention period (a
    /// court order, an investigation). The staff PIN is read from standard
    /// input.
    Place(HoldChange),
    /// Lift a legal hold: the next retention purge treats the transaction
    /// like any other. The staff PIN is read from standard input.
    Release(HoldChange),
    /// The transactions under a legal hold, oldest hold first.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
}

/// `pt` for Portuguese, else `en`.
fn say<'a>(lang: &str, pt: &'a str, en: &'a str) -> &'a str {
    if i18n::normalise(lang) == "pt-BR" {
        pt
    } else {
        en
    }
}

/// A refusal with its code and the person's message.
fn refusal(code: &str, lang: &str, detail: &str) -> anyhow::Error {
    anyhow::anyhow!("[{code}] {} ({detail})", i18n::message(code, lang))
}

/// Runs one hold subcommand.
pub fn run(paths: &KioskPaths, command: HoldCommand) -> anyhow::Result<ExitCode> {
    match command {
        HoldCommand::Place(c) => change(paths, &c, true),
        HoldCommand::Release(c) => change(paths, &c, false),
        HoldCommand::List { json, lang } => list(paths, json, &lang),
    }
}

/// Signs `staff` in with the PIN on standard input; the account when it may
/// place and release holds.
fn sign_in(paths: &KioskPaths, staff: &str, lang: &str) -> anyhow::Result<String> {
    paths.ensure().context("creating the data folder")?;
    let directory = StaffDirectory::open(&paths.data_dir)?;
    let pin = crate::staff_commands::read_pin("PIN")?;
    match directory.sign_in(staff, &pin, Moment::now())? {
        SignIn::Accepted(account) if Permission::Review.allows(account.role) => Ok(account.id),
        SignIn::Accepted(account) => Err(refusal(
            "staff-forbidden",
            lang,
            &format!("the {} role may not place legal holds", account.role),
        )),
        SignIn::Wrong => Err(refusal("staff-sign-in-refused", lang, staff)),
        SignIn::Locked { seconds } => {
            Err(refusal("staff-locked", lang, &format!("{seconds} s left")))
        }
        SignIn::NotProvisioned => Err(refusal("staff-not-provisioned", lang, "no accounts")),
    }
}

/// `hold place` (`hold = true`) and `hold release`.
fn change(paths: &KioskPaths, c: &HoldChange, hold: bool) -> anyhow::Result<ExitCode> {
    let (reason, staff, json, lang) =
        (c.reason.as_str(), c.staff.as_str(), c.json, c.lang.as_str());
    let id = c.id.as_str();
    let _log = file_log(paths);
    let id = uuid::Uuid::parse_str(id)
        .map_err(|_| anyhow::anyhow!("[request-invalid] the transaction id is not a UUID"))?;
    let by = sign_in(paths, staff, lang)?;
    // No purge runs meanwhile: it could have read this transaction's
    // events just before the hold.
    let _lock = HousekeepingLock::acquire(&paths.data_dir, HOUSEKEEPING_WAIT)
        .map_err(|e| store_failure(e, lang))?;
    let log = SqliteLog::open(&paths.log_file()).map_err(|e| store_failure(e, lang))?;
    hold::set(&log, &id, hold, &by, reason).map_err(|e| flow_failure(&e, lang))?;
    let purged = log
        .get(&id)
        .map_err(|e| store_failure(e, lang))?
        .is_some_and(|t| t.evidence_purged_at.is_some());
    // Purged here but its S3 erase still queued: the hold keeps that copy.
    let s3_copy_kept = hold
        && dayfusion_aws::sync::held_for_erase(&log, &id).map_err(|e| store_failure(e, lang))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "transactionId": id,
                "held": hold,
                "by": by,
                "reason": reason.trim(),
                "evidencePurged": purged,
                "s3CopyKept": s3_copy_kept,
            }))?
        );
    } else if hold {
        println!(
            "{} {id} ({by})",
            say(
                lang,
                "Retenção legal aplicada: a evidência fica guardada até a liberação. Transação",
                "Legal hold placed: the evidence is kept until it is released. Transaction"
            )
        );
        if s3_copy_kept {
            println!(
                "{}",
                say(
                    lang,
                    "A cópia local da evidência já tinha sido apagada; a cópia na AWS (S3) fica guardada enquanto durar a retenção.",
                    "The local copy of the evidence had already been deleted; the AWS (S3) copy is kept while the hold lasts."
                )
            );
        } else if purged {
            println!(
                "{}",
                say(
                    lang,
                    "Atenção: a evidência desta transação já tinha sido apagada; o registro fica.",
                    "Note: this transaction's evidence had already been deleted; the record stays."
                )
            );
        }
    } else {
        println!(
            "{} {id} ({by})",
            say(
                lang,
                "Retenção legal liberada: a próxima limpeza por prazo de retenção trata a transação normalmente. Transação",
                "Legal hold released: the next retention purge treats the transaction as usual. Transaction"
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `hold list`.
fn list(paths: &KioskPaths, json: bool, lang: &str) -> anyhow::Result<ExitCode> {
    let log = SqliteLog::open_read_only(&paths.log_file()).map_err(|e| store_failure(e, lang))?;
    let events = log
        .events_of_kinds(HOLD_PLACED, HOLD_RELEASED)
        .map_err(|e| store_failure(e, lang))?;
    let mut held: Vec<_> = hold::in_force_by_transaction(&events).into_iter().collect();
    held.sort_by(|a, b| a.1.at.cmp(&b.1.at));
    let mut rows = Vec::new();
    for (id, hold) in held {
        let transaction = log.get(&id).map_err(|e| store_failure(e, lang))?;
        rows.push(serde_json::json!({
            "transactionId": id,
            "by": hold.by,
            "reason": hold.reason,
            "at": hold.at,
            "status": transaction.as_ref().map(|t| t.status),
            "evidencePurged": transaction.as_ref().is_some_and(|t| t.evidence_purged_at.is_some()),
        }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    for row in &rows {
        println!(
            "{}  {}  {:<12} {:<9} {}",
            row["transactionId"].as_str().unwrap_or_default(),
            row["at"].as_str().unwrap_or_default(),
            row["by"].as_str().unwrap_or_default(),
            row["status"].as_str().unwrap_or("-"),
            row["reason"].as_str().unwrap_or_default(),
        );
    }
    println!(
        "{} {}",
        rows.len(),
        say(
            lang,
            "transação(ões) sob retenção legal",
            "transaction(s) under legal hold"
        )
    );
    Ok(ExitCode::SUCCESS)
}
