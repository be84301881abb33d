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
//!   under it. A run takes that lock before it reads the kiosk and holds
//!   it until the last file is written, so the app cannot start part-way.
//!   A run that changes something is refused while the app holds it,
//!   unless `while_running`, which applies everything but `[kiosk]` (staff
//!   accounts, `aws.toml` and the privacy notice are read afresh by the app).
//! - **As the kiosk's user.** Refused when the data folder belongs to
//!   another user: the files written would be unreadable to the app.
//! - **Ordered.** `aws.toml`, the privacy notice and the staff accounts
//!   are written before `settings.json`, so a run that stops part-way never
//!   leaves settings that need what was not written (the AWS backend
//!   without its bucket). Accounts are added before others change and
//!   before any is removed, and an admin must remain.
//! - **Audited.** Each account change is its usual staff event; the run is
//!   one `kiosk.provisioned` event (who, the file's SHA-256, every change;
//!   never a PIN, nor staff or DPO names) in the hash-chained audit log.
//! - **No secret echoed.** A PIN pasted by mistake in `pin-env` or
//!   `pin-file` (or as a number) is never repeated in a message: messages
//!   name the key (`staff[2].pin-env`), never its value.

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

/// `<data>/kiosk.lock` as this run found it.
enum KioskLock {
    /// Held by this run (until dropped): the app cannot start meanwhile.
    Held { _file: File },
    /// The app holds it.
    Busy,
    /// Not taken: there is no data folder yet, or (a dry run, which
    /// creates nothing) no lock file, so no app runs on this folder.
    Absent,
}

/// Takes `<data>/kiosk.lock` so the app cannot start while the kiosk is
/// read and changed. `create`: create the lock file when missing (never
/// the data folder).
fn take_kiosk_lock(paths: &KioskPaths, create: bool) -> std::io::Result<KioskLock> {
    if !paths.data_dir.is_dir() {
        return Ok(KioskLock::Absent);
    }
    let mut open = OpenOptions::new();
    if create {
        open.create(true).truncate(false).write(true);
    } else {
        open.read(true);
    }
    let file = match open.open(paths.data_dir.join(KIOSK_LOCK)) {
        Ok(file) => file,
        Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(KioskLock::Absent);
        }
        Err(e) => return Err(e),
    };
    match file.try_lock() {
        Ok(()) => Ok(KioskLock::Held { _file: file }),
        Err(TryLockError::WouldBlock) => Ok(KioskLock::Busy),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// A refusal with one problem about the kiosk rather than the file.
fn refused(lang: Lang, code: &str, args: &[(&str, &str)]) -> Outcome {
    let mut problems = problem::Problems::new(lang, None);
    problems.add(code, &[], args);
    Outcome::Refused(problems.into_sorted())
}

/// The data folder belongs to another user than the one running this:
/// the files written would be this user's, which the kiosk app (running
/// as the folder's owner) could not read. `None` when it does not exist
/// yet (it is then created, the caller's) or belongs to the caller.
fn owner_problem(paths: &KioskPaths, lang: Lang) -> Option<Outcome> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(&paths.data_dir).ok()?.uid();
        let caller = secret::effective_uid()?;
        (owner != caller).then(|| {
            refused(
                lang,
                "data-folder-owner",
                &[
                    ("value", &paths.data_dir.display().to_string()),
                    ("owner", &owner.to_string()),
                    ("uid", &caller.to_string()),
                ],
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = (paths, lang);
        None
    }
}

/// The file checked and planned against the kiosk as it is now.
struct Evaluated {
    problems: Vec<Problem>,
    warnings: Vec<Notice>,
    plan: plan::Plan,
}

/// Checks the file, then plans it against the kiosk (reading it: under
/// the kiosk lock when there is one to take). `app_running`: the app holds
/// the lock, so `[kiosk]` cannot change.
fn evaluate(
    source: &problem::Source<'_>,
    paths: &KioskPaths,
    options: &Options<'_>,
    app_running: bool,
) -> Evaluated {
    let mut problems = problem::Problems::new(options.lang, Some(source));
    let mut warnings = Vec::new();
    let partial = schema::parse(source, &mut problems);
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
    let bad_staff = check::staff(
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
        bad_staff: &bad_staff,
    };
    let plan = plan::plan(
        &partial,
        &bad_kiosk_keys,
        privacy.as_ref(),
        &ctx,
        &mut problems,
        &mut warnings,
    );
    if app_running && options.while_running && plan.settings.is_some() {
        problems.add(
            "settings-while-running",
            &[problem::Seg::Key("kiosk".into())],
            &[],
        );
    }
    Evaluated {
        problems: problems.into_sorted(),
        warnings,
        plan,
    }
}

/// The TOML syntax error of `text` as a refusal, without the parser's
/// words when they are about a key that may hold a PIN.
fn syntax_refusal(text: &str, e: &toml::de::Error, lang: Lang) -> Outcome {
    let mut problems = problem::Problems::new(lang, None);
    let offset = e.span().map(|span| span.start);
    if offset.is_some_and(|offset| problem::secret_line(text, offset)) {
        problems.add_worded("toml-syntax", "toml-syntax-secret", &[], &[]);
    } else {
        problems.add("toml-syntax", &[], &[("detail", e.message())]);
    }
    let mut list = problems.into_sorted();
    if let (Some(offset), Some(first)) = (offset, list.first_mut()) {
        first.line = Some(
            text.as_bytes()[..offset.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1,
        );
    }
    Outcome::Refused(list)
}

/// Validates `text` (a provisioning file) against the kiosk of `paths`
/// and applies it (see the crate docs).
///
/// Refused (nothing changed) when the data folder belongs to another user
/// than the one running this. The kiosk is read, planned and changed
/// holding `<data>/kiosk.lock` (a dry run creates no lock file); when the
/// app holds it, nothing changes, or with `while_running` everything but
/// `[kiosk]` does.
pub fn provision(
    text: &str,
    paths: &KioskPaths,
    options: &Options<'_>,
) -> Result<Outcome, Incomplete> {
    let lang = options.lang;
    let source = match problem::Source::parse(text) {
        Ok(source) => source,
        Err(e) => return Ok(syntax_refusal(text, &e, lang)),
    };
    if let Some(refusal) = owner_problem(paths, lang) {
        return Ok(refusal);
    }
    let unusable = |e: std::io::Error| {
        refused(
            lang,
            "data-folder-unusable",
            &[
                ("value", &paths.data_dir.display().to_string()),
                ("detail", &e.to_string()),
            ],
        )
    };
    let mut lock = match take_kiosk_lock(paths, !options.dry_run) {
        Ok(lock) => lock,
        Err(e) => return Ok(unusable(e)),
    };
    loop {
        let busy = matches!(lock, KioskLock::Busy);
        let Evaluated {
            problems,
            mut warnings,
            plan,
        } = evaluate(&source, paths, options, busy);
        if !problems.is_empty() {
            return Ok(Outcome::Refused(problems));
        }
        if busy && options.dry_run && !options.while_running && !plan.changes.is_empty() {
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
        if busy && !options.while_running {
            return Ok(Outcome::KioskRunning(report));
        }
        if matches!(lock, KioskLock::Absent) {
            // A new data folder: created now, then the kiosk is planned
            // again holding its lock (an app may have started meanwhile).
            if let Err(e) = paths.ensure() {
                return Ok(unusable(e));
            }
            lock = match take_kiosk_lock(paths, true) {
                Ok(KioskLock::Absent) => {
                    return Ok(unusable(std::io::Error::other("the folder went away")));
                }
                Ok(lock) => lock,
                Err(e) => return Ok(unusable(e)),
            };
            continue;
        }
        // The log folder too, as before any change.
        if let Err(e) = paths.ensure() {
            return Ok(unusable(e));
        }
        let log = match apply::open_log(paths) {
            Ok(log) => log,
            Err(e) => {
                return Ok(refused(
                    lang,
                    "audit-log-unavailable",
                    &[
                        ("value", &paths.log_file().display().to_string()),
                        ("detail", &e),
                    ],
                ));
            }
        };
        let sha256 = hex::encode(Sha256::digest(text.as_bytes()));
        apply::apply(
            plan,
            paths,
            &log,
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
        drop(lock);
        return Ok(Outcome::Done(report));
    }
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    const FILE: &str = "[provisioning]\nformat = 1\n\n[kiosk]\nid = \"kiosk-001\"\n\n[[staff]]\nid = \"f1001\"\nname = \"Ana Lima\"\nrole = \"admin\"\npin-env = \"PIN_F1001\"\n";

    /// Runs [`FILE`] and tells, for each time the plan read a PIN, whether
    /// `<data>/kiosk.lock` was held then.
    fn locked_while_planning(
        paths: &KioskPaths,
        while_running: bool,
    ) -> Result<Vec<bool>, Box<dyn std::error::Error>> {
        let seen = RefCell::new(Vec::new());
        let env = |_: &str| {
            seen.borrow_mut().push(kiosk_running(paths));
            Some("572046".to_owned())
        };
        let options = Options {
            dry_run: false,
            while_running,
            lang: Lang::En,
            env: &env,
            by: "cli:test".into(),
            origin: "kiosk.toml".into(),
        };
        match provision(FILE, paths, &options)? {
            Outcome::Done(report) if report.applied => {}
            other => return Err(format!("{other:?}").into()),
        }
        Ok(seen.into_inner())
    }

    /// The kiosk is read and planned holding its lock, `--while-running`
    /// or not, so the app cannot start between the plan and the writes.
    #[test]
    fn the_kiosk_is_planned_holding_its_lock() -> Result<(), Box<dyn std::error::Error>> {
        for while_running in [false, true] {
            let tmp = tempfile::tempdir()?;
            let paths = KioskPaths::under(tmp.path().join("data"));
            paths.ensure()?;
            let seen = locked_while_planning(&paths, while_running)?;
            assert_eq!(seen, vec![true], "while_running {while_running}");
        }
        // A new data folder: planned again, holding the lock, once created.
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path().join("data"));
        let seen = locked_while_planning(&paths, false)?;
        assert_eq!(seen.last(), Some(&true), "{seen:?}");
        Ok(())
    }
}
