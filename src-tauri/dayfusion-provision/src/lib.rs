//! Provisioning a kiosk from one TOML file, for fleet tooling (Ansible,
//! Intune-like tools): `dayfusion provision FILE`.
//!
//! The file ([`schema`]) describes the kiosk: its settings (`[kiosk]`, kept
//! by the app in `settings.json`), the privacy notice (`[privacy]`,
//! `privacy.json`), the staff accounts (`[[staff]]`, `staff.json`; PINs
//! supplied out of band) and the AWS settings (`[aws]`, `aws.toml`).
//!
//! - **Validated as a whole first.** Every problem is listed (unknown
//!   sections and keys, values of the wrong type, each rule the kiosk
//!   applies, unreadable or unsafe PIN secrets, an unknown policy, a bad
//!   certificate), each with its key and line, in pt-BR or English. One
//!   problem and nothing is changed.
//! - **Idempotent.** The file is compared with the kiosk as it is; only
//!   what differs is written, each file atomically and owner-only. A second
//!   run changes nothing and rewrites no file.
//! - **Declarative where that is safe.** Keys left out of `[kiosk]` keep
//!   their value; a section left out leaves its file alone; `[aws]` is the
//!   whole of `aws.toml`. Accounts not in the file are kept (and named in a
//!   warning) unless `remove-unlisted-staff = true`. An existing account's
//!   PIN is never touched unless `reset-pin = true`, and then only when it
//!   differs.
//! - **Not under a running app.** The app holds `<data>/kiosk.lock` and
//!   keeps its settings in memory, so it would overwrite what is written
//!   under it: a run that changes something is refused while it runs,
//!   unless `while_running`, which applies everything but `[kiosk]` (staff
//!   accounts, `aws.toml` and the privacy notice are read afresh by the app).
//! - **Audited.** Each account change is its usual staff event; the run is
//!   one `kiosk.provisioned` event (who, the file's SHA-256, every change;
//!   never a PIN, nor staff names) in the hash-chained audit log.

mod apply;
mod check;
mod plan;
mod problem;
mod report;
pub mod schema;
mod secret;

use std::fs::{File, OpenOptions, TryLockError};

use dayfusion_core::paths::KioskPaths;
use sha2::{Digest, Sha256};

pub use problem::{Lang, Notice, Problem};
pub use report::{Change, ChangeAction, Report, render_problems};

rust_i18n::i18n!("locales", fallback = "en");

/// The lock the running app holds in its data folder.
pub const KIOSK_LOCK: &str = "kiosk.lock";

/// How to provision.
pub struct Options<'a> {
    /// Only report what would change.
    pub dry_run: bool,
    /// Apply while the app runs (everything but `[kiosk]`).
    pub while_running: bool,
    /// Language of the messages.
    pub lang: Lang,
    /// The environment, for `pin-env` (tests pass their own).
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// Who runs it, for the audit events (`cli:<user>`).
    pub by: String,
    /// The provisioning file's name, for the report and the audit event.
    pub origin: String,
}

/// What a provisioning did.
#[derive(Debug)]
pub enum Outcome {
    /// The file was refused: every problem found; nothing was changed.
    Refused(Vec<Problem>),
    /// There were changes to make, but the kiosk app runs on this data
    /// folder: nothing was changed.
    KioskRunning(Report),
    /// Applied, planned (`dry_run`), or nothing to change.
    Done(Report),
}

/// Applying stopped part-way (a disk error, a staff file changed under
/// it): what was applied before. Running the file again finishes the job.
#[derive(Debug, thiserror::Error)]
#[error("provisioning stopped after {} change(s): {error}", applied.len())]
pub struct Incomplete {
    /// The changes made before it stopped.
    pub applied: Vec<Change>,
    /// Why it stopped.
    pub error: String,
}

/// Whether the kiosk app holds `<data>/kiosk.lock` (nothing is created).
pub fn kiosk_running(paths: &KioskPaths) -> bool {
    let path = paths.data_dir.join(KIOSK_LOCK);
    let Ok(file) = OpenOptions::new().write(true).open(path) else {
        return false;
    };
    matches!(file.try_lock(), Err(TryLockError::WouldBlock))
}

/// Takes `<data>/kiosk.lock` so the app cannot start while files change;
/// `None` when the app holds it.
fn hold_kiosk_lock(paths: &KioskPaths) -> std::io::Result<Option<File>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(paths.data_dir.join(KIOSK_LOCK))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Validates `text` (a provisioning file) against the kiosk of `paths`
/// and applies it (see the crate docs).
pub fn provision(
    text: &str,
    paths: &KioskPaths,
    options: &Options<'_>,
) -> Result<Outcome, Incomplete> {
    let lang = options.lang;
    let source = match problem::Source::parse(text) {
        Ok(source) => source,
        Err(e) => {
            let mut problems = problem::Problems::new(lang, None);
            problems.add("toml-syntax", &[], &[("detail", e.message())]);
            let mut list = problems.into_sorted();
            if let (Some(span), Some(first)) = (e.span(), list.first_mut()) {
                first.line = Some(text[..span.start.min(text.len())].matches('\n').count() + 1);
            }
            return Ok(Outcome::Refused(list));
        }
    };
    let mut problems = problem::Problems::new(lang, Some(&source));
    let mut warnings = Vec::new();
    let partial = schema::parse(&source, &mut problems);
    let bad_kiosk_keys = partial
        .kiosk
        .as_ref()
        .map(|kiosk| check::kiosk(kiosk, &mut problems))
        .unwrap_or_default();
    let privacy = partial
        .privacy
        .as_ref()
        .and_then(|privacy| check::privacy(privacy, &mut problems));
    let remove_unlisted = partial
        .provisioning
        .as_ref()
        .is_some_and(|p| p.remove_unlisted_staff);
    check::staff(
        &partial.staff,
        remove_unlisted,
        partial.staff_complete,
        &mut problems,
    );
    if let Some(aws) = &partial.aws {
        let kiosk = partial.kiosk.as_ref();
        check::aws(
            aws,
            kiosk.map(|k| k.id.as_str()),
            kiosk.and_then(|k| k.backend),
            &mut problems,
            &mut warnings,
        );
    }
    let ctx = plan::Context {
        paths,
        env: options.env,
    };
    let plan = plan::plan(
        &partial,
        &bad_kiosk_keys,
        privacy.as_ref(),
        &ctx,
        &mut problems,
        &mut warnings,
    );
    let running = kiosk_running(paths);
    if running && options.while_running && plan.settings.is_some() {
        problems.add(
            "settings-while-running",
            &[problem::Seg::Key("kiosk".into())],
            &[],
        );
    }
    if !problems.is_empty() {
        return Ok(Outcome::Refused(problems.into_sorted()));
    }
    if running && options.dry_run && !options.while_running && !plan.changes.is_empty() {
        warnings.push(Notice::new(lang, "kiosk-running", &[]));
    }
    let mut report = Report {
        file: options.origin.clone(),
        dry_run: options.dry_run,
        applied: false,
        changes: plan.changes.clone(),
        warnings,
    };
    if report.changes.is_empty() || options.dry_run {
        return Ok(Outcome::Done(report));
    }
    if running && !options.while_running {
        return Ok(Outcome::KioskRunning(report));
    }
    paths.ensure().map_err(|e| Incomplete {
        applied: Vec::new(),
        error: format!("creating the data folder: {e}"),
    })?;
    let _lock = if options.while_running {
        None
    } else {
        match hold_kiosk_lock(paths) {
            Ok(Some(lock)) => Some(lock),
            Ok(None) => return Ok(Outcome::KioskRunning(report)),
            Err(e) => {
                return Err(Incomplete {
                    applied: Vec::new(),
                    error: format!("locking {KIOSK_LOCK}: {e}"),
                });
            }
        }
    };
    let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
    apply::apply(
        plan,
        paths,
        &apply::Provenance {
            by: &options.by,
            file: &options.origin,
            sha256: &sha256,
        },
    )
    .map_err(|stopped| Incomplete {
        applied: stopped.applied,
        error: stopped.error,
    })?;
    report.applied = true;
    Ok(Outcome::Done(report))
}

/// [`provision`] of the file at `file` (an unreadable file is refused
/// like a bad one). `options.origin` is ignored: the file's path is used.
pub fn provision_file(
    file: &std::path::Path,
    paths: &KioskPaths,
    options: &Options<'_>,
) -> Result<Outcome, Incomplete> {
    let origin = file.display().to_string();
    let text = match std::fs::read(file).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return Ok(unreadable(options.lang, "not UTF-8 text")),
        Err(e) => return Ok(unreadable(options.lang, &e.to_string())),
    };
    let options = Options {
        origin,
        by: options.by.clone(),
        env: options.env,
        ..*options
    };
    provision(&text, paths, &options)
}

fn unreadable(lang: Lang, detail: &str) -> Outcome {
    let mut problems = problem::Problems::new(lang, None);
    problems.add("unreadable", &[], &[("detail", detail)]);
    Outcome::Refused(problems.into_sorted())
}

/// Where the running app's lock is, for messages.
pub fn lock_path(paths: &KioskPaths) -> std::path::PathBuf {
    paths.data_dir.join(KIOSK_LOCK)
}

/// The message for [`Outcome::KioskRunning`].
pub fn running_message(paths: &KioskPaths, lang: Lang) -> String {
    problem::text(
        lang,
        "report.running",
        &[("lock", &lock_path(paths).display().to_string())],
    )
}
