//! Writing a plan: each file replaced atomically (a temporary file in the
//! data folder, owner-only, synced, renamed over the old one, the folder
//! synced), the staff accounts through their directory, then the audit
//! events. An unreadable file is kept beside the new one.
//!
//! The order matters when a run stops part-way (a full disk): `aws.toml`
//! and `privacy.json` first, then the staff accounts (added, then changed,
//! then removed, so an admin is there throughout), and `settings.json`
//! last, so the kiosk's settings never name what is not there yet (the
//! AWS backend without the bucket of `aws.toml`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use dayfusion_core::paths::KioskPaths;
use dayfusion_staff::StaffDirectory;
use dayfusion_verify::{AuditEvent, TransactionLog};
use serde_json::{Value, json};

use crate::plan::{Plan, StaffOp, Write};
use crate::report::{Change, ChangeAction};

/// Writes `bytes` to `path` atomically, owner-only.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no parent folder"))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Moves an unreadable file aside (`settings.json.unreadable-<unix time>`).
fn set_aside(path: &Path) -> std::io::Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".unreadable-{stamp}"));
    let target = PathBuf::from(name);
    std::fs::rename(path, &target)?;
    Ok(target)
}

fn write_file(write: &Write) -> Result<(), String> {
    let shown = write.path.display().to_string();
    if write.replaces_unreadable && write.path.exists() {
        let kept = set_aside(&write.path).map_err(|e| format!("{shown}: {e}"))?;
        tracing::warn!(event = "provision_unreadable_kept", file = %kept.display(), "unreadable file moved aside");
    }
    write_private(&write.path, &write.bytes).map_err(|e| format!("{shown}: {e}"))
}

/// Keys of `privacy.json` holding a person's name: the audit chain (which
/// cannot be edited or erased) records that they changed, not the value.
const PERSONAL_KEYS: &[&str] = &["privacy.dpo-name"];

/// A change as the audit chain keeps it: people's names (staff, the DPO)
/// are not repeated there.
fn audited(change: &Change) -> Value {
    let redact = |value: &Option<Value>| match value {
        Some(Value::Object(map)) if change.file == dayfusion_staff::STAFF_FILE => {
            let mut map = map.clone();
            if map.contains_key("name") {
                map.insert("name".into(), json!("(changed)"));
            }
            Some(Value::Object(map))
        }
        Some(_) if PERSONAL_KEYS.contains(&change.key.as_str()) => Some(json!("(changed)")),
        other => other.clone(),
    };
    json!({
        "file": change.file,
        "key": change.key,
        "action": change.action,
        "from": redact(&change.from),
        "to": redact(&change.to),
    })
}

/// Who and what, for the `kiosk.provisioned` event.
pub(crate) struct Provenance<'a> {
    /// `cli:<user>`.
    pub by: &'a str,
    /// The provisioning file.
    pub file: &'a str,
    /// SHA-256 of its bytes.
    pub sha256: &'a str,
}

/// Why applying stopped part-way: what was applied before.
#[derive(Debug)]
pub(crate) struct Stopped {
    pub applied: Vec<Change>,
    pub error: String,
}

/// Opens the kiosk's audit log; done before [`apply`], so a kiosk whose
/// log cannot be opened is not changed at all.
pub(crate) fn open_log(paths: &KioskPaths) -> Result<dayfusion_ledger::SqliteLog, String> {
    dayfusion_ledger::SqliteLog::open(&paths.log_file()).map_err(|e| e.to_string())
}

/// Applies `plan` (see the module docs for the order), recording its
/// events in `log`.
pub(crate) fn apply(
    mut plan: Plan,
    paths: &KioskPaths,
    log: &dayfusion_ledger::SqliteLog,
    provenance: &Provenance<'_>,
) -> Result<(), Stopped> {
    let stop = |applied: &[Change], error: String| Stopped {
        applied: applied.to_vec(),
        error,
    };
    plan.staff.sort_by_key(StaffOp::stage);
    let record = |kind: &str, data: Value| {
        log.record_event(&AuditEvent {
            kind: kind.to_owned(),
            data,
        })
        .map_err(|e| format!("recording the audit event {kind}: {e}"))
    };
    let mut applied: Vec<Change> = Vec::new();
    let of_file = |file: &str| -> Vec<Change> {
        plan.changes
            .iter()
            .filter(|c| c.file == file)
            .cloned()
            .collect()
    };
    let result = (|| -> Result<(), String> {
        for (write, file) in [
            (&plan.aws, crate::plan::AWS_FILE),
            (&plan.privacy, dayfusion_core::privacy::PRIVACY_FILE),
        ] {
            if let Some(write) = write {
                write_file(write)?;
                applied.extend(of_file(file));
            }
        }
        if !plan.staff.is_empty() {
            let directory = StaffDirectory::open(&paths.data_dir).map_err(|e| e.to_string())?;
            let by = provenance.by;
            for op in &plan.staff {
                let (kind, data, id, action) = match op {
                    StaffOp::Add {
                        id,
                        name,
                        role,
                        pin,
                    } => {
                        directory
                            .add(id, name, *role, pin)
                            .map_err(|e| format!("adding {id}: {e}"))?;
                        (
                            "staff.account.added",
                            json!({ "account": id, "role": role, "by": by }),
                            id,
                            ChangeAction::Added,
                        )
                    }
                    StaffOp::Update {
                        id,
                        name,
                        role,
                        name_changed,
                    } => {
                        directory
                            .update(id, name, *role)
                            .map_err(|e| format!("updating {id}: {e}"))?;
                        (
                            "staff.account.updated",
                            json!({ "account": id, "role": role, "nameChanged": name_changed, "by": by }),
                            id,
                            ChangeAction::Updated,
                        )
                    }
                    StaffOp::ResetPin { id, pin } => {
                        directory
                            .reset(id, pin)
                            .map_err(|e| format!("resetting the PIN of {id}: {e}"))?;
                        (
                            "staff.pin.reset",
                            json!({ "account": id, "by": by }),
                            id,
                            ChangeAction::PinReset,
                        )
                    }
                    StaffOp::Unlock { id } => {
                        directory
                            .unlock(id)
                            .map_err(|e| format!("unlocking {id}: {e}"))?;
                        (
                            "staff.account.unlocked",
                            json!({ "account": id, "by": by }),
                            id,
                            ChangeAction::Unlocked,
                        )
                    }
                    StaffOp::Remove { id } => {
                        directory
                            .remove(id)
                            .map_err(|e| format!("removing {id}: {e}"))?;
                        (
                            "staff.account.removed",
                            json!({ "account": id, "by": by }),
                            id,
                            ChangeAction::Removed,
                        )
                    }
                };
                applied.extend(
                    plan.changes
                        .iter()
                        .filter(|c| {
                            c.file == dayfusion_staff::STAFF_FILE
                                && &c.key == id
                                && c.action == action
                        })
                        .cloned(),
                );
                record(kind, data)?;
            }
        }
        // Last: the settings may rely on what was written above.
        if let Some(write) = &plan.settings {
            write_file(write)?;
            applied.extend(of_file("settings.json"));
        }
        Ok(())
    })();
    let complete = result.is_ok();
    let mut event = json!({
        "by": provenance.by,
        "file": provenance.file,
        "sha256": provenance.sha256,
        "complete": complete,
        "changes": applied.iter().map(audited).collect::<Vec<_>>(),
    });
    if let Err(e) = &result {
        event["error"] = json!(e);
    }
    let recorded = if applied.is_empty() && !complete {
        Ok(())
    } else {
        record("kiosk.provisioned", event)
    };
    tracing::info!(
        event = "kiosk_provisioned",
        changes = applied.len(),
        complete,
        "provisioning applied"
    );
    match (result, recorded) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), _) | (Ok(()), Err(e)) => Err(stop(&applied, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_writes_replace_atomically() -> std::io::Result<()> {
        let tmp = tempfile::tempdir()?;
        let file = tmp.path().join("settings.json");
        std::fs::write(&file, b"old")?;
        write_private(&file, b"new")?;
        assert_eq!(std::fs::read(&file)?, b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let kept = set_aside(&file)?;
        assert!(!file.exists());
        assert_eq!(std::fs::read(kept)?, b"new");
        assert_eq!(
            std::fs::read_dir(tmp.path())?.count(),
            1,
            "no temporary left"
        );
        Ok(())
    }

    fn write(path: PathBuf, bytes: &[u8]) -> Option<Write> {
        Some(Write {
            path,
            bytes: bytes.to_vec(),
            replaces_unreadable: false,
        })
    }

    fn provenance() -> Provenance<'static> {
        Provenance {
            by: "cli:test",
            file: "kiosk.toml",
            sha256: "00",
        }
    }

    /// `aws.toml` cannot be written: `settings.json` (which would switch
    /// the kiosk to the AWS backend) is not written either.
    #[test]
    fn settings_are_written_last() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path().join("data"));
        paths.ensure()?;
        let settings = paths.settings_file();
        let plan = Plan {
            changes: vec![
                Change::new(
                    "settings.json",
                    "kiosk.backend",
                    ChangeAction::Set,
                    None,
                    None,
                ),
                Change::new(
                    crate::plan::AWS_FILE,
                    "aws.bucket",
                    ChangeAction::Set,
                    None,
                    None,
                ),
            ],
            settings: write(settings.clone(), b"{}"),
            // Its folder does not exist: the write fails.
            aws: write(
                paths.data_dir.join("gone").join("aws.toml"),
                b"bucket = \"b\"",
            ),
            ..Plan::default()
        };
        let log = open_log(&paths)?;
        let stopped = apply(plan, &paths, &log, &provenance())
            .err()
            .ok_or("applied")?;
        assert!(stopped.applied.is_empty(), "{:?}", stopped.applied);
        assert!(!settings.exists(), "settings.json written before aws.toml");
        Ok(())
    }

    /// Accounts are added, then changed (new admins first), then removed,
    /// whatever the order of the file.
    #[test]
    fn accounts_are_added_then_changed_then_removed() -> Result<(), Box<dyn std::error::Error>> {
        use dayfusion_staff::Role;
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path().join("data"));
        paths.ensure()?;
        let directory = StaffDirectory::open(&paths.data_dir)?;
        directory.add("f1001", "Ana", Role::Admin, "240817")?;
        directory.add("f1002", "Bia", Role::Reviewer, "135792")?;
        let plan = Plan {
            staff: vec![
                StaffOp::Remove { id: "f1001".into() },
                StaffOp::Update {
                    id: "f1002".into(),
                    name: "Bia".into(),
                    role: Role::Reviewer,
                    name_changed: false,
                },
                StaffOp::Update {
                    id: "f1002".into(),
                    name: "Bia".into(),
                    role: Role::Admin,
                    name_changed: false,
                },
                StaffOp::Add {
                    id: "f1003".into(),
                    name: "Caio".into(),
                    role: Role::Reviewer,
                    pin: zeroize::Zeroizing::new("572046".into()),
                },
            ],
            ..Plan::default()
        };
        let log = open_log(&paths)?;
        apply(plan, &paths, &log, &provenance()).map_err(|e| e.error)?;
        let events: Vec<(String, Value)> = log
            .kiosk_events()?
            .into_iter()
            .map(|e| (e.kind, e.data))
            .collect();
        let order: Vec<(&str, &str)> = events
            .iter()
            .filter(|(kind, _)| kind.starts_with("staff."))
            .map(|(kind, data)| (kind.as_str(), data["role"].as_str().unwrap_or_default()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("staff.account.added", "reviewer"),
                ("staff.account.updated", "admin"),
                ("staff.account.updated", "reviewer"),
                ("staff.account.removed", ""),
            ]
        );
        Ok(())
    }

    #[test]
    fn the_dpo_name_stays_out_of_the_audit_chain() {
        let change = Change::new(
            dayfusion_core::privacy::PRIVACY_FILE,
            "privacy.dpo-name",
            ChangeAction::Set,
            Some(json!("Maria Souza")),
            Some(json!("João Lima")),
        );
        let text = audited(&change).to_string();
        assert!(!text.contains("Maria") && !text.contains("João"), "{text}");
        assert!(text.contains("privacy.dpo-name"), "{text}");
        let contact = Change::new(
            dayfusion_core::privacy::PRIVACY_FILE,
            "privacy.dpo-contact",
            ChangeAction::Set,
            None,
            Some(json!("dpo@banco.com.br")),
        );
        assert!(audited(&contact).to_string().contains("dpo@banco.com.br"));
    }

    #[test]
    fn staff_names_stay_out_of_the_audit_chain() {
        let change = Change::new(
            dayfusion_staff::STAFF_FILE,
            "f1001",
            ChangeAction::Updated,
            Some(json!({ "name": "Ana", "role": "reviewer" })),
            Some(json!({ "name": "Ana Lima", "role": "admin" })),
        );
        let text = audited(&change).to_string();
        assert!(!text.contains("Ana"), "{text}");
        assert!(text.contains("admin"), "{text}");
    }
}
