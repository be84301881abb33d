//! What a provisioning changed (or would change), for people and scripts.

use serde::Serialize;
use serde_json::Value;

use crate::problem::{Lang, Notice, Problem, text};

/// What happened to one setting or account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeAction {
    /// A setting got a new value.
    Set,
    /// A staff account was created.
    Added,
    /// A staff account's name or role changed.
    Updated,
    /// A staff account got the PIN from the file's secret.
    PinReset,
    /// A locked staff account whose PIN already was the file's (with
    /// `reset-pin = true`) was unlocked.
    Unlocked,
    /// A staff account not in the file was removed.
    Removed,
    /// An unreadable file was replaced (the old one kept beside it).
    Replaced,
}

/// One change: in which file, which key or account, from what to what.
/// Never holds a PIN.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The kiosk file (`settings.json`, `privacy.json`, `aws.toml`, `staff.json`).
    pub file: String,
    /// The provisioning file's key (`kiosk.retention-days`, `aws.region`)
    /// or the account id.
    pub key: String,
    /// What happened.
    pub action: ChangeAction,
    /// The value before (`null`: none).
    pub from: Option<Value>,
    /// The value after (`null`: none).
    pub to: Option<Value>,
}

impl Change {
    pub(crate) fn new(
        file: &str,
        key: impl Into<String>,
        action: ChangeAction,
        from: Option<Value>,
        to: Option<Value>,
    ) -> Change {
        Change {
            file: file.to_owned(),
            key: key.into(),
            action,
            from,
            to,
        }
    }
}

/// The outcome of a provisioning that was not refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The provisioning file.
    pub file: String,
    /// Only planned (`--dry-run`).
    pub dry_run: bool,
    /// Whether the changes were written (false: nothing to change, a dry
    /// run, or the kiosk app is running).
    pub applied: bool,
    /// Every change, by file: the kiosk settings, the privacy notice, the
    /// AWS settings, the staff accounts. (They are applied with
    /// `settings.json` last, and the accounts added before others change
    /// and before any is removed.)
    pub changes: Vec<Change>,
    /// Things worth knowing.
    pub warnings: Vec<Notice>,
}

fn shown(value: Option<&Value>, lang: Lang) -> String {
    match value {
        None | Some(Value::Null) => text(lang, "report.empty", &[]),
        Some(value) => value.to_string(),
    }
}

/// One change as a line of text.
fn change_line(change: &Change, lang: Lang) -> String {
    let what = match change.action {
        ChangeAction::Set => text(
            lang,
            "change.set",
            &[
                ("from", &shown(change.from.as_ref(), lang)),
                ("to", &shown(change.to.as_ref(), lang)),
            ],
        ),
        ChangeAction::Added => {
            let role = change
                .to
                .as_ref()
                .and_then(|to| to.get("role"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            text(lang, "change.added", &[("role", role)])
        }
        ChangeAction::Updated => {
            let mut parts = Vec::new();
            if let (Some(Value::Object(from)), Some(Value::Object(to))) = (&change.from, &change.to)
            {
                for (key, after) in to {
                    parts.push(format!("{key}: {} → {after}", shown(from.get(key), lang)));
                }
            }
            text(lang, "change.updated", &[("what", &parts.join(", "))])
        }
        ChangeAction::PinReset => text(lang, "change.pin-reset", &[]),
        ChangeAction::Unlocked => text(lang, "change.unlocked", &[]),
        ChangeAction::Removed => text(lang, "change.removed", &[]),
        ChangeAction::Replaced => text(lang, "change.replaced", &[]),
    };
    format!("  {:<14} {}: {what}", change.file, change.key)
}

impl Report {
    /// The report for people.
    pub fn render(&self, lang: Lang) -> String {
        let mut out = vec![text(lang, "report.title", &[("file", &self.file)])];
        out.extend(self.changes.iter().map(|c| change_line(c, lang)));
        let warning = text(lang, "report.warning", &[]);
        out.extend(
            self.warnings
                .iter()
                .map(|w| format!("{warning}: {}", w.message)),
        );
        let count = self.changes.len().to_string();
        out.push(if self.changes.is_empty() {
            text(lang, "report.nothing", &[])
        } else if self.dry_run {
            text(lang, "report.dry-run", &[("count", &count)])
        } else if self.applied {
            text(lang, "report.applied", &[("count", &count)])
        } else {
            String::new()
        });
        out.retain(|line| !line.is_empty());
        out.join("\n")
    }
}

/// The problems of a refused file, for people.
pub fn render_problems(problems: &[Problem], lang: Lang) -> String {
    let mut out = vec![text(
        lang,
        "report.refused",
        &[("count", &problems.len().to_string())],
    )];
    for problem in problems {
        let place = match (problem.line, &problem.key) {
            (Some(line), Some(key)) => format!(
                "{} [{key}]: ",
                text(lang, "report.line", &[("line", &line.to_string())])
            ),
            (Some(line), None) => format!(
                "{}: ",
                text(lang, "report.line", &[("line", &line.to_string())])
            ),
            (None, Some(key)) => format!("[{key}]: "),
            (None, None) => String::new(),
        };
        out.push(format!("  - {place}{} ({})", problem.message, problem.code));
    }
    out.join("\n")
}
