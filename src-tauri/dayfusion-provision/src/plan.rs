//! The file against the kiosk as it is: what would change, and the rules
//! that depend on the kiosk (known policies, the document inbox's
//! contents, which accounts exist, their PINs). Reads only; nothing here
//! creates or writes a file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dayfusion_aws::AwsSettings;
use dayfusion_core::paths::KioskPaths;
use dayfusion_core::privacy::{self, PrivacyNotice};
use dayfusion_core::settings;
use dayfusion_ipc::{BackendMode, KioskSettings};
use dayfusion_staff::{AccountInfo, Moment, Role, STAFF_FILE, StaffDirectory};
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use crate::problem::{Notice, Problems, Seg, at};
use crate::report::{Change, ChangeAction};
use crate::schema::{KioskSection, Partial, StaffEntry};
use crate::secret;

/// Key of the kiosk settings in the app's store file.
pub(crate) const SETTINGS_KEY: &str = settings::SETTINGS_STORE_KEY;
/// The AWS settings file in the data folder.
pub(crate) const AWS_FILE: &str = "aws.toml";

/// A file to write: its path, its new bytes, and whether the one there is
/// unreadable (then kept beside it).
#[derive(Debug)]
pub(crate) struct Write {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub replaces_unreadable: bool,
}

/// A change to the staff accounts.
pub(crate) enum StaffOp {
    Add {
        id: String,
        name: String,
        role: Role,
        pin: Zeroizing<String>,
    },
    Update {
        id: String,
        name: String,
        role: Role,
        name_changed: bool,
    },
    ResetPin {
        id: String,
        pin: Zeroizing<String>,
    },
    /// `reset-pin` with the PIN the account already has, on a locked
    /// account: the provisioning leaves it usable.
    Unlock {
        id: String,
    },
    Remove {
        id: String,
    },
}

/// Everything to do, and what it changes.
#[derive(Default)]
pub(crate) struct Plan {
    pub changes: Vec<Change>,
    pub settings: Option<Write>,
    pub privacy: Option<Write>,
    pub aws: Option<Write>,
    pub staff: Vec<StaffOp>,
}

/// The stored kiosk settings: the whole store (other keys are kept) and
/// the kiosk's settings when they are readable and valid.
enum StoredSettings {
    Missing,
    Unreadable(String),
    Read {
        store: Map<String, Value>,
        kiosk: Option<KioskSettings>,
    },
}

fn read_settings(file: &Path) -> StoredSettings {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return StoredSettings::Missing,
        Err(e) => return StoredSettings::Unreadable(e.to_string()),
    };
    match serde_json::from_slice::<Map<String, Value>>(&bytes) {
        Ok(store) => {
            let kiosk = store
                .get(SETTINGS_KEY)
                .and_then(|v| serde_json::from_value::<KioskSettings>(v.clone()).ok())
                .filter(|s| settings::validate(s).is_ok());
            StoredSettings::Read { store, kiosk }
        }
        Err(e) => StoredSettings::Unreadable(e.to_string()),
    }
}

/// The settings under the provisioning file's key names.
fn kiosk_fields(s: &KioskSettings) -> Vec<(&'static str, Value)> {
    vec![
        ("id", json!(s.kiosk_id)),
        ("mode", json!(s.mode)),
        ("backend", json!(s.backend)),
        ("language", json!(s.language)),
        ("policy", json!(s.policy_id)),
        ("retention-days", json!(s.retention_days)),
        ("idle-timeout-seconds", json!(s.idle_timeout_seconds)),
        ("sync-alert-hours", json!(s.sync_alert_hours)),
        ("document-inbox", json!(s.document_inbox)),
        ("spoken-guidance", json!(s.spoken_guidance)),
    ]
}

/// The keys `[kiosk]` sets.
fn given(section: &KioskSection) -> Vec<&'static str> {
    let mut keys = vec!["id"];
    for (key, set) in [
        ("mode", section.mode.is_some()),
        ("backend", section.backend.is_some()),
        ("language", section.language.is_some()),
        ("policy", section.policy.is_some()),
        ("retention-days", section.retention_days.is_some()),
        (
            "idle-timeout-seconds",
            section.idle_timeout_seconds.is_some(),
        ),
        ("sync-alert-hours", section.sync_alert_hours.is_some()),
        ("document-inbox", section.document_inbox.is_some()),
        ("spoken-guidance", section.spoken_guidance.is_some()),
    ] {
        if set {
            keys.push(key);
        }
    }
    keys
}

fn pretty_json(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec_pretty(value).unwrap_or_default()
}

/// Inputs of the plan beyond the file.
pub(crate) struct Context<'a> {
    pub paths: &'a KioskPaths,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// `[[staff]]` entries (by index in the file) with a problem of their
    /// own: their PIN is not read.
    pub bad_staff: &'a BTreeSet<usize>,
}

/// Plans `[kiosk]`; returns the backend the kiosk will have.
fn plan_settings(
    section: &KioskSection,
    bad_keys: &[&str],
    ctx: &Context<'_>,
    problems: &mut Problems<'_, '_>,
    warnings: &mut Vec<Notice>,
    plan: &mut Plan,
) -> BackendMode {
    let path = vec![Seg::Key("kiosk".into())];
    let file = ctx.paths.settings_file();
    let stored = read_settings(&file);
    let (mut store, current, unreadable) = match stored {
        StoredSettings::Missing => (Map::new(), None, false),
        StoredSettings::Unreadable(e) => {
            warnings.push(Notice::new(
                problems.lang,
                "replaced-unreadable",
                &[("value", &file.display().to_string()), ("detail", &e)],
            ));
            (Map::new(), None, true)
        }
        StoredSettings::Read { store, kiosk } => (store, kiosk, false),
    };
    let base = current.clone().unwrap_or_else(settings::defaults);
    let mut desired = base.clone();
    desired.kiosk_id = section.id.clone();
    if let Some(mode) = section.mode {
        desired.mode = mode;
    }
    if let Some(backend) = section.backend {
        desired.backend = backend;
    }
    if let Some(language) = section.language {
        desired.language = language;
    }
    if let Some(policy) = &section.policy {
        desired.policy_id = policy.clone();
    }
    if let Some(days) = section.retention_days {
        desired.retention_days = days;
    }
    if let Some(seconds) = section.idle_timeout_seconds {
        desired.idle_timeout_seconds = seconds;
    }
    if let Some(hours) = section.sync_alert_hours {
        desired.sync_alert_hours = hours;
    }
    if let Some(inbox) = &section.document_inbox {
        desired.document_inbox = (!inbox.is_empty()).then(|| inbox.clone());
    }
    if let Some(spoken) = section.spoken_guidance {
        desired.spoken_guidance = spoken;
    }
    // The rules that depend on the kiosk, for values good on their own:
    // the inbox against its folders (and what it holds when it changes),
    // the policy among those it knows.
    if let Some(inbox) = section
        .document_inbox
        .as_deref()
        .filter(|i| !i.is_empty() && !bad_keys.contains(&"document-inbox"))
    {
        let stored = current.as_ref().and_then(|c| c.document_inbox.as_deref());
        let checked = if stored == Some(inbox) {
            settings::validate_inbox_location(inbox, ctx.paths).map(|_| ())
        } else {
            settings::validate_inbox(inbox, ctx.paths)
        };
        if let Err(e) = checked {
            let detail = e.to_string();
            let value = desired.document_inbox.clone().unwrap_or_default();
            problems.add_worded(
                e.code(),
                "inbox",
                &at(&path, "document-inbox"),
                &[("value", &value), ("code", e.code()), ("detail", &detail)],
            );
        }
    }
    if let Some(policy) = section
        .policy
        .as_ref()
        .filter(|_| !bad_keys.contains(&"policy"))
    {
        match dayfusion_verify::PolicySet::load(&ctx.paths.policy_file()) {
            Ok(set) if set.get(policy).is_none() => {
                let known: Vec<String> = set.all().map(|p| p.id.clone()).collect();
                problems.add(
                    "policy-unknown",
                    &at(&path, "policy"),
                    &[
                        ("value", &format!("{policy:?}")),
                        ("known", &known.join(", ")),
                    ],
                );
            }
            Ok(_) => {}
            Err(e) => problems.add(
                "policies-unreadable",
                &at(&path, "policy"),
                &[("detail", &e)],
            ),
        }
    }

    if !bad_keys.is_empty() {
        return desired.backend;
    }
    let given = given(section);
    let before: Vec<(&str, Value)> = match &current {
        Some(current) => kiosk_fields(current),
        None => Vec::new(),
    };
    let mut changes = Vec::new();
    if unreadable {
        changes.push(Change::new(
            "settings.json",
            "kiosk",
            ChangeAction::Replaced,
            None,
            None,
        ));
    }
    for (key, after) in kiosk_fields(&desired) {
        let from = before
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone());
        let differs = from.as_ref() != Some(&after);
        if differs && (current.is_some() || given.contains(&key)) {
            changes.push(Change::new(
                "settings.json",
                format!("kiosk.{key}"),
                ChangeAction::Set,
                from.filter(|v| !v.is_null()),
                Some(after).filter(|v| !v.is_null()),
            ));
        }
    }
    if current.is_none() || !changes.is_empty() {
        store.insert(
            SETTINGS_KEY.to_owned(),
            serde_json::to_value(&desired).unwrap_or_default(),
        );
        plan.settings = Some(Write {
            path: file,
            bytes: pretty_json(&store),
            replaces_unreadable: unreadable,
        });
        plan.changes.extend(changes);
    }
    desired.backend
}

/// Plans `[privacy]`.
fn plan_privacy(
    notice: &PrivacyNotice,
    ctx: &Context<'_>,
    problems: &Problems<'_, '_>,
    warnings: &mut Vec<Notice>,
    plan: &mut Plan,
) {
    let file = privacy::privacy_file(ctx.paths);
    let (current, unreadable) = match privacy::load(&file) {
        Ok(current) => (current, false),
        Err(e) => {
            warnings.push(Notice::new(
                problems.lang,
                "replaced-unreadable",
                &[
                    ("value", &file.display().to_string()),
                    ("detail", &e.to_string()),
                ],
            ));
            (None, true)
        }
    };
    if current.as_ref() == Some(notice) {
        return;
    }
    if unreadable {
        plan.changes.push(Change::new(
            privacy::PRIVACY_FILE,
            "privacy",
            ChangeAction::Replaced,
            None,
            None,
        ));
    }
    let fields = |n: Option<&PrivacyNotice>| {
        [
            ("controller", n.map(|n| json!(n.controller))),
            (
                "dpo-name",
                n.and_then(|n| n.dpo_name.as_ref()).map(|v| json!(v)),
            ),
            ("dpo-contact", n.map(|n| json!(n.dpo_contact))),
        ]
    };
    for ((key, from), (_, to)) in fields(current.as_ref())
        .into_iter()
        .zip(fields(Some(notice)))
    {
        if from != to {
            plan.changes.push(Change::new(
                privacy::PRIVACY_FILE,
                format!("privacy.{key}"),
                ChangeAction::Set,
                from,
                to,
            ));
        }
    }
    plan.privacy = Some(Write {
        path: file,
        bytes: pretty_json(notice),
        replaces_unreadable: unreadable,
    });
}

/// The AWS settings of `aws.toml` as stored: `Ok(None)` without the file.
fn read_aws(file: &Path) -> Result<Option<AwsSettings>, String> {
    match std::fs::read_to_string(file) {
        Ok(text) => toml::from_str(&text).map(Some).map_err(|e| e.to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Plans `[aws]` (the whole of `aws.toml`).
fn plan_aws(
    desired: &AwsSettings,
    ctx: &Context<'_>,
    problems: &Problems<'_, '_>,
    warnings: &mut Vec<Notice>,
    plan: &mut Plan,
) {
    let file = ctx.paths.data_dir.join(AWS_FILE);
    let (current, unreadable) = match read_aws(&file) {
        Ok(current) => (current, false),
        Err(e) => {
            warnings.push(Notice::new(
                problems.lang,
                "replaced-unreadable",
                &[("value", &file.display().to_string()), ("detail", &e)],
            ));
            (None, true)
        }
    };
    let before = current.clone().unwrap_or_default();
    if !unreadable && &before == desired {
        return;
    }
    if unreadable {
        plan.changes.push(Change::new(
            AWS_FILE,
            "aws",
            ChangeAction::Replaced,
            None,
            None,
        ));
    }
    let as_map = |s: &AwsSettings| match serde_json::to_value(s) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (old, new) = (as_map(&before), as_map(desired));
    for (key, to) in &new {
        let from = old.get(key).cloned().unwrap_or(Value::Null);
        if &from != to {
            plan.changes.push(Change::new(
                AWS_FILE,
                format!("aws.{key}"),
                ChangeAction::Set,
                Some(from).filter(|v| !v.is_null()),
                Some(to.clone()).filter(|v| !v.is_null()),
            ));
        }
    }
    plan.aws = Some(Write {
        path: file,
        bytes: toml::to_string(desired).unwrap_or_default().into_bytes(),
        replaces_unreadable: unreadable,
    });
}

/// The accounts as they are (none without a staff file; nothing created,
/// not even the staff lock file).
fn read_accounts(data_dir: &Path) -> Result<Vec<AccountInfo>, String> {
    if !data_dir.join(STAFF_FILE).exists() {
        return Ok(Vec::new());
    }
    StaffDirectory::open_for_planning(data_dir)
        .and_then(|d| d.list(Moment::now()))
        .map_err(|e| e.to_string())
}

/// Plans `[[staff]]`: missing accounts added with their PIN, others
/// renamed or re-roled, PINs reset only with `reset-pin` and when they
/// differ (a locked account whose PIN already is the file's is unlocked),
/// unlisted accounts removed only with `remove-unlisted-staff`. The kiosk
/// must keep an admin.
fn plan_staff(
    entries: &[(usize, StaffEntry)],
    remove_unlisted: bool,
    ctx: &Context<'_>,
    problems: &mut Problems<'_, '_>,
    warnings: &mut Vec<Notice>,
    plan: &mut Plan,
) {
    let data_dir = &ctx.paths.data_dir;
    let accounts = match read_accounts(data_dir) {
        Ok(accounts) => accounts,
        Err(e) => {
            let value = data_dir.join(STAFF_FILE).display().to_string();
            problems.add(
                "state-unreadable",
                &[Seg::Key("staff".into())],
                &[("value", &value), ("detail", &e)],
            );
            return;
        }
    };
    let directory = || StaffDirectory::open_for_planning(data_dir).map_err(|e| e.to_string());
    let problems_before = problems.list.len();
    for (i, entry) in entries {
        if ctx.bad_staff.contains(i) {
            // Refused already; what its pin-file or pin-env holds may be a
            // PIN pasted there: it is not read.
            continue;
        }
        let path = vec![Seg::Key("staff".into()), Seg::Index(*i)];
        let account = format!("{:?}", entry.id);
        let name = entry.name.trim().to_owned();
        let existing = accounts.iter().find(|a| a.id == entry.id);
        let needs_pin = existing.is_none() || entry.reset_pin;
        let pin = if needs_pin {
            match secret::read_pin(entry, ctx.env) {
                Ok(pin) => Some(pin),
                Err(e) => {
                    let key = if entry.pin_file.is_some() {
                        "pin-file"
                    } else {
                        "pin-env"
                    };
                    let mut args: Vec<(&str, &str)> =
                        e.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    args.push(("account", &account));
                    problems.add(e.code, &at(&path, key), &args);
                    None
                }
            }
        } else {
            None
        };
        match (existing, pin) {
            (None, Some(pin)) => {
                plan.changes.push(Change::new(
                    STAFF_FILE,
                    entry.id.clone(),
                    ChangeAction::Added,
                    None,
                    Some(json!({ "name": name, "role": entry.role })),
                ));
                plan.staff.push(StaffOp::Add {
                    id: entry.id.clone(),
                    name,
                    role: entry.role,
                    pin,
                });
            }
            (None, None) => {}
            (Some(current), pin) => {
                let mut from = Map::new();
                let mut to = Map::new();
                if current.name != name {
                    from.insert("name".into(), json!(current.name));
                    to.insert("name".into(), json!(name));
                }
                if current.role != entry.role {
                    from.insert("role".into(), json!(current.role));
                    to.insert("role".into(), json!(entry.role));
                }
                if !to.is_empty() {
                    plan.changes.push(Change::new(
                        STAFF_FILE,
                        entry.id.clone(),
                        ChangeAction::Updated,
                        Some(Value::Object(from)),
                        Some(Value::Object(to)),
                    ));
                    plan.staff.push(StaffOp::Update {
                        id: entry.id.clone(),
                        name: name.clone(),
                        role: entry.role,
                        name_changed: current.name != name,
                    });
                }
                if let Some(pin) = pin {
                    match directory().and_then(|d| {
                        d.provisioning_pin_is_current(&entry.id, &pin)
                            .map_err(|e| e.to_string())
                    }) {
                        Ok(true) if current.locked_seconds.is_some() => {
                            plan.changes.push(Change::new(
                                STAFF_FILE,
                                entry.id.clone(),
                                ChangeAction::Unlocked,
                                None,
                                None,
                            ));
                            plan.staff.push(StaffOp::Unlock {
                                id: entry.id.clone(),
                            });
                        }
                        Ok(true) => {}
                        Ok(false) => {
                            plan.changes.push(Change::new(
                                STAFF_FILE,
                                entry.id.clone(),
                                ChangeAction::PinReset,
                                None,
                                None,
                            ));
                            plan.staff.push(StaffOp::ResetPin {
                                id: entry.id.clone(),
                                pin,
                            });
                        }
                        Err(e) => {
                            let value = data_dir.join(STAFF_FILE).display().to_string();
                            problems.add(
                                "state-unreadable",
                                &path,
                                &[("value", &value), ("detail", &e)],
                            );
                        }
                    }
                }
            }
        }
    }
    let unlisted: Vec<&AccountInfo> = accounts
        .iter()
        .filter(|a| !entries.iter().any(|(_, e)| e.id == a.id))
        .collect();
    if remove_unlisted {
        for account in unlisted {
            plan.changes.push(Change::new(
                STAFF_FILE,
                account.id.clone(),
                ChangeAction::Removed,
                Some(json!({ "role": account.role })),
                None,
            ));
            plan.staff.push(StaffOp::Remove {
                id: account.id.clone(),
            });
        }
    } else if !unlisted.is_empty() {
        let ids: Vec<&str> = unlisted.iter().map(|a| a.id.as_str()).collect();
        warnings.push(Notice::new(
            problems.lang,
            "staff-kept",
            &[("ids", &ids.join(", "))],
        ));
    }
    // An admin must be left, whatever removes or demotes them (told once:
    // not when the file is refused for its accounts already).
    let refused = !ctx.bad_staff.is_empty()
        || problems.list.len() > problems_before
        || problems
            .list
            .iter()
            .any(|p| p.code == "staff-admin-required");
    if !refused && !admin_left(&accounts, &plan.staff) {
        problems.add("staff-no-admin-left", &[Seg::Key("staff".into())], &[]);
    }
}

/// Whether the accounts after `ops` include an admin (or there are none).
fn admin_left(accounts: &[AccountInfo], ops: &[StaffOp]) -> bool {
    let mut roles: BTreeMap<&str, Role> =
        accounts.iter().map(|a| (a.id.as_str(), a.role)).collect();
    for op in ops {
        match op {
            StaffOp::Add { id, role, .. } | StaffOp::Update { id, role, .. } => {
                roles.insert(id, *role);
            }
            StaffOp::Remove { id } => {
                roles.remove(id.as_str());
            }
            StaffOp::ResetPin { .. } | StaffOp::Unlock { .. } => {}
        }
    }
    roles.is_empty() || roles.values().any(|role| *role == Role::Admin)
}

impl StaffOp {
    /// When it is applied: accounts are added first, then changed (those
    /// made admins first), then removed, so an admin is there throughout.
    pub(crate) fn stage(&self) -> u8 {
        match self {
            StaffOp::Add { .. } => 0,
            StaffOp::Update {
                role: Role::Admin, ..
            } => 1,
            StaffOp::Update { .. } | StaffOp::ResetPin { .. } | StaffOp::Unlock { .. } => 2,
            StaffOp::Remove { .. } => 3,
        }
    }
}

/// Plans the whole file against the kiosk of `ctx`, adding the problems
/// that depend on it.
pub(crate) fn plan(
    partial: &Partial,
    bad_kiosk_keys: &[&str],
    privacy: Option<&PrivacyNotice>,
    ctx: &Context<'_>,
    problems: &mut Problems<'_, '_>,
    warnings: &mut Vec<Notice>,
) -> Plan {
    let mut plan = Plan::default();
    let backend = partial
        .kiosk
        .as_ref()
        .map(|kiosk| plan_settings(kiosk, bad_kiosk_keys, ctx, problems, warnings, &mut plan));
    if let Some(notice) = privacy {
        plan_privacy(notice, ctx, problems, warnings, &mut plan);
    }
    if let Some(aws) = &partial.aws {
        plan_aws(aws, ctx, problems, warnings, &mut plan);
    }
    // The AWS backend needs a bucket: from [aws], else the kiosk's aws.toml.
    if backend == Some(BackendMode::Aws) {
        let bucket = match &partial.aws {
            Some(aws) => aws.bucket.is_some(),
            None => read_aws(&ctx.paths.data_dir.join(AWS_FILE))
                .ok()
                .flatten()
                .is_some_and(|aws| aws.bucket.is_some()),
        };
        if !bucket {
            problems.add(
                "aws-bucket-required",
                &at(&[Seg::Key("kiosk".into())], "backend"),
                &[],
            );
        }
    }
    let remove_unlisted = partial
        .provisioning
        .as_ref()
        .is_some_and(|p| p.remove_unlisted_staff);
    if !partial.staff.is_empty() || remove_unlisted {
        plan_staff(
            &partial.staff,
            remove_unlisted && partial.staff_complete,
            ctx,
            problems,
            warnings,
            &mut plan,
        );
    }
    plan
}
