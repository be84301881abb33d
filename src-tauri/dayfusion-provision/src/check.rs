//! The rules each value of the file must follow, checked on their own
//! (the rules that depend on the kiosk's current state are in `plan`).
//! Every rule is the one the kiosk itself applies: the settings rules of
//! `dayfusion_core::settings`, the staff crate's id and name rules, the
//! checks of `aws.toml` and of the kiosk's certificate (`doctor`).

use std::collections::BTreeSet;

use dayfusion_aws::AwsSettings;
use dayfusion_aws::doctor::CheckStatus;
use dayfusion_core::privacy::PrivacyNotice;
use dayfusion_core::settings;
use dayfusion_ipc::{BackendMode, KioskSettings, StaffRole};

use crate::problem::{Notice, Problems, Seg, at};
use crate::schema::{KioskSection, PrivacySection, StaffEntry};

fn section(name: &str) -> Vec<Seg> {
    vec![Seg::Key(name.to_owned())]
}

/// `[kiosk]`: each value against the settings rules (each on its own, so
/// every bad value is reported). Returns the keys of the bad values.
pub(crate) fn kiosk(kiosk: &KioskSection, problems: &mut Problems<'_, '_>) -> Vec<&'static str> {
    let path = section("kiosk");
    let mut bad = Vec::new();
    let probe = |change: &dyn Fn(&mut KioskSettings)| {
        let mut probe = settings::defaults();
        change(&mut probe);
        settings::validate(&probe)
    };
    let mut report =
        |key: &'static str, value: String, result: Result<(), settings::SettingsError>| {
            if let Err(e) = result {
                bad.push(key);
                let detail = e.to_string();
                match e {
                    settings::SettingsError::Inbox(_)
                    | settings::SettingsError::InvalidDocumentInbox => problems.add_worded(
                        e.code(),
                        "inbox",
                        &at(&path, key),
                        &[("value", &value), ("code", e.code()), ("detail", &detail)],
                    ),
                    _ => problems.add(e.code(), &at(&path, key), &[("value", &value)]),
                }
            }
        };
    report(
        "id",
        format!("{:?}", kiosk.id),
        probe(&|s| s.kiosk_id = kiosk.id.clone()),
    );
    if let Some(policy) = &kiosk.policy {
        report(
            "policy",
            format!("{policy:?}"),
            probe(&|s| s.policy_id = policy.clone()),
        );
    }
    if let Some(days) = kiosk.retention_days {
        report(
            "retention-days",
            days.to_string(),
            probe(&|s| s.retention_days = days),
        );
    }
    if let Some(seconds) = kiosk.idle_timeout_seconds {
        report(
            "idle-timeout-seconds",
            seconds.to_string(),
            probe(&|s| s.idle_timeout_seconds = seconds),
        );
    }
    if let Some(hours) = kiosk.sync_alert_hours {
        report(
            "sync-alert-hours",
            hours.to_string(),
            probe(&|s| s.sync_alert_hours = hours),
        );
    }
    if let Some(inbox) = kiosk.document_inbox.as_deref().filter(|i| !i.is_empty()) {
        report(
            "document-inbox",
            inbox.to_owned(),
            probe(&|s| s.document_inbox = Some(inbox.to_owned())),
        );
    }
    bad
}

/// `[privacy]` as the notice stored, every problem reported.
pub(crate) fn privacy(
    privacy: &PrivacySection,
    problems: &mut Problems<'_, '_>,
) -> Option<PrivacyNotice> {
    let notice = PrivacyNotice {
        controller: privacy.controller.clone(),
        dpo_name: privacy.dpo_name.clone(),
        dpo_contact: privacy.dpo_contact.clone(),
    };
    let found = notice.problems();
    for problem in &found {
        let key = match problem {
            dayfusion_core::privacy::PrivacyError::InvalidController => "controller",
            dayfusion_core::privacy::PrivacyError::InvalidDpoName => "dpo-name",
            dayfusion_core::privacy::PrivacyError::InvalidDpoContact => "dpo-contact",
        };
        problems.add(problem.code(), &at(&section("privacy"), key), &[]);
    }
    found.is_empty().then(|| notice.trimmed())
}

/// An environment variable name (not a PIN pasted by mistake).
fn env_name_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 128
}

/// `[[staff]]`: ids, names, duplicates, where each PIN comes from, and an
/// admin left when unlisted accounts are removed. Returns the entries with
/// a problem (by index in the file): their PIN is never read, and what
/// their `pin-file` or `pin-env` holds is never repeated (it may be a PIN
/// pasted there by mistake).
pub(crate) fn staff(
    entries: &[(usize, StaffEntry)],
    remove_unlisted: bool,
    all_read: bool,
    problems: &mut Problems<'_, '_>,
) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut bad = BTreeSet::new();
    for (i, entry) in entries {
        let path = vec![Seg::Key("staff".into()), Seg::Index(*i)];
        let account = format!("{:?}", entry.id);
        let args = [("account", account.as_str()), ("value", account.as_str())];
        let before = problems.list.len();
        if dayfusion_staff::check_account_id(&entry.id).is_err() {
            problems.add("staff-id-invalid", &at(&path, "id"), &args);
        } else if !seen.insert(entry.id.clone()) {
            problems.add("staff-duplicate", &at(&path, "id"), &args);
        }
        if dayfusion_staff::check_account_name(&entry.name).is_err() {
            problems.add("staff-name-invalid", &at(&path, "name"), &args);
        }
        match (&entry.pin_file, &entry.pin_env) {
            (None, None) => problems.add("staff-pin-source-missing", &path, &args),
            (Some(_), Some(_)) => {
                problems.add("staff-pin-source-both", &at(&path, "pin-env"), &args)
            }
            (None, Some(name)) if !env_name_ok(name) => {
                problems.add("pin-env-name-invalid", &at(&path, "pin-env"), &args)
            }
            (Some(file), None) if !file.is_absolute() => {
                problems.add("pin-file-not-absolute", &at(&path, "pin-file"), &args)
            }
            _ => {}
        }
        if problems.list.len() > before {
            bad.insert(*i);
        }
    }
    let admin = entries.iter().any(|(_, e)| e.role == StaffRole::Admin);
    if remove_unlisted && all_read && !admin {
        problems.add(
            "staff-admin-required",
            &at(&section("provisioning"), "remove-unlisted-staff"),
            &[],
        );
    }
    bad
}

/// An IAM role ARN (the rule the kiosk's AWS connection screen applies).
fn role_arn_ok(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::") && arn.contains(":role/") && arn.len() <= 2048
}

/// A DynamoDB table name.
fn table_ok(table: &str) -> bool {
    (3..=255).contains(&table.len())
        && table
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

/// `[aws]`: the connection values, then every other rule of `aws.toml`,
/// then the kiosk's certificate when one is named (readable, not expired,
/// issued to this kiosk id).
pub(crate) fn aws(
    aws: &AwsSettings,
    kiosk_id: Option<&str>,
    backend: Option<BackendMode>,
    problems: &mut Problems<'_, '_>,
    warnings: &mut Vec<Notice>,
) {
    let path = section("aws");
    let quoted = |v: &str| format!("{v:?}");
    let mut rest = aws.clone();
    if let Some(region) = &aws.region {
        if !dayfusion_aws::regions::looks_like_region(region) {
            problems.add(
                "aws-region-invalid",
                &at(&path, "region"),
                &[("value", &quoted(region))],
            );
            rest.region = None;
            rest.liveness_streaming_endpoint = None;
        } else if backend == Some(BackendMode::Aws)
            && !dayfusion_aws::regions::is_face_liveness_region(region)
        {
            warnings.push(Notice::new(
                problems.lang,
                "region-no-liveness",
                &[("value", region)],
            ));
        }
    }
    if let Some(bucket) = &aws.bucket
        && !dayfusion_aws::config::valid_bucket_name(bucket)
    {
        problems.add(
            "aws-bucket-invalid",
            &at(&path, "bucket"),
            &[("value", &quoted(bucket))],
        );
        rest.bucket = None;
    }
    if !table_ok(&aws.table) {
        problems.add(
            "aws-table-invalid",
            &at(&path, "table"),
            &[("value", &quoted(&aws.table))],
        );
        rest.table = dayfusion_aws::config::DEFAULT_TABLE.to_owned();
    }
    if let Some(arn) = &aws.webview_role_arn
        && !role_arn_ok(arn)
    {
        problems.add(
            "aws-role-invalid",
            &at(&path, "webview-role-arn"),
            &[("value", &quoted(arn))],
        );
    }
    let kiosk_id = kiosk_id.filter(|id| dayfusion_aws::config::valid_kiosk_id(id));
    if let Some(id) = kiosk_id {
        rest = rest.with_kiosk(id);
    }
    if let Err(e) = rest.validate() {
        problems.add("aws-invalid", &path, &[("detail", &e.to_string())]);
    }
    if let Some(certificate) = aws.certificate.as_ref().filter(|c| !c.is_absolute()) {
        problems.add(
            "aws-certificate-not-absolute",
            &at(&path, "certificate"),
            &[("value", &quoted(&certificate.display().to_string()))],
        );
    } else if let Some(certificate) = &aws.certificate {
        let mut probe = aws.clone();
        probe.kiosk_id = kiosk_id.map(str::to_owned);
        let check = dayfusion_aws::doctor::certificate_check(
            &probe,
            std::time::SystemTime::now(),
            problems.lang.code(),
        );
        let value = certificate.display().to_string();
        match check.status {
            CheckStatus::Failing => problems.add(
                "aws-certificate",
                &at(&path, "certificate"),
                &[
                    ("value", &value),
                    ("message", &check.message),
                    ("detail", &check.detail),
                ],
            ),
            CheckStatus::Warning => warnings.push(Notice::new(
                problems.lang,
                "certificate",
                &[("value", &value), ("message", &check.message)],
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Lang;

    fn codes(problems: &Problems<'_, '_>) -> Vec<String> {
        problems.list.iter().map(|p| p.code.clone()).collect()
    }

    #[test]
    fn every_bad_kiosk_value_is_reported() {
        let mut problems = Problems::new(Lang::En, None);
        let bad = KioskSection {
            id: "kiosk 1".into(),
            policy: Some("a b".into()),
            retention_days: Some(0),
            idle_timeout_seconds: Some(5),
            sync_alert_hours: Some(721),
            document_inbox: Some("relative".into()),
            ..KioskSection::default()
        };
        assert_eq!(kiosk(&bad, &mut problems).len(), 6);
        assert_eq!(
            codes(&problems),
            vec![
                "invalid-kiosk-id",
                "invalid-policy-id",
                "invalid-retention",
                "invalid-idle-timeout",
                "invalid-sync-alert",
                "inbox-not-absolute"
            ]
        );
        assert_eq!(problems.list[0].key.as_deref(), Some("kiosk.id"));
        let mut none = Problems::new(Lang::En, None);
        let good = KioskSection {
            id: "ag0001-t01".into(),
            document_inbox: Some(String::new()),
            ..KioskSection::default()
        };
        assert_eq!(kiosk(&good, &mut none), Vec::<&str>::new());
    }

    fn entry(id: &str, role: StaffRole) -> StaffEntry {
        StaffEntry {
            id: id.into(),
            name: "Ana Lima".into(),
            role,
            pin_file: None,
            pin_env: Some("PIN_X".into()),
            reset_pin: false,
        }
    }

    #[test]
    fn staff_rules() {
        let mut problems = Problems::new(Lang::PtBr, None);
        let entries = vec![
            (0, entry("F1001", StaffRole::Reviewer)),
            (1, entry("f1002", StaffRole::Reviewer)),
            (2, entry("f1002", StaffRole::Reviewer)),
            (
                3,
                StaffEntry {
                    pin_env: None,
                    name: "\u{7}".into(),
                    ..entry("f1003", StaffRole::FieldAgent)
                },
            ),
            (
                4,
                StaffEntry {
                    pin_file: Some("/x".into()),
                    ..entry("f1004", StaffRole::Reviewer)
                },
            ),
            (
                5,
                StaffEntry {
                    pin_env: Some("240817".into()),
                    ..entry("f1005", StaffRole::Reviewer)
                },
            ),
            (
                6,
                StaffEntry {
                    pin_env: None,
                    pin_file: Some("240817".into()),
                    ..entry("f1006", StaffRole::Reviewer)
                },
            ),
            (7, entry("f1007", StaffRole::Reviewer)),
        ];
        let bad = staff(&entries, true, true, &mut problems);
        assert_eq!(
            codes(&problems),
            vec![
                "staff-id-invalid",
                "staff-duplicate",
                "staff-name-invalid",
                "staff-pin-source-missing",
                "staff-pin-source-both",
                "pin-env-name-invalid",
                "pin-file-not-absolute",
                "staff-admin-required"
            ]
        );
        assert!(
            problems.list.iter().all(|p| !p.message.contains("240817")),
            "a PIN pasted as pin-env or pin-file is never echoed"
        );
        assert_eq!(
            bad.into_iter().collect::<Vec<_>>(),
            vec![0, 2, 3, 4, 5, 6],
            "the entries whose PIN is not read"
        );
        assert!(problems.list[1].message.contains("mais de uma vez"));
    }

    #[test]
    fn aws_rules() {
        let mut problems = Problems::new(Lang::En, None);
        let mut warnings = Vec::new();
        let bad = AwsSettings {
            region: Some("Brazil".into()),
            bucket: Some("Bad_Bucket".into()),
            table: "a b".into(),
            webview_role_arn: Some("role/x".into()),
            audit_images_limit: 9,
            certificate: Some("/nonexistent/kiosk.pem".into()),
            ..AwsSettings::default()
        };
        let relative = AwsSettings {
            certificate: Some("kiosk.pem".into()),
            ..AwsSettings::default()
        };
        let mut problems_relative = Problems::new(Lang::En, None);
        aws(
            &relative,
            Some("kiosk-001"),
            None,
            &mut problems_relative,
            &mut warnings,
        );
        assert_eq!(
            codes(&problems_relative),
            vec!["aws-certificate-not-absolute"]
        );
        aws(
            &bad,
            Some("kiosk-001"),
            Some(BackendMode::Aws),
            &mut problems,
            &mut warnings,
        );
        assert_eq!(
            codes(&problems),
            vec![
                "aws-region-invalid",
                "aws-bucket-invalid",
                "aws-table-invalid",
                "aws-role-invalid",
                "aws-invalid",
                "aws-certificate"
            ]
        );
        let mut none = Problems::new(Lang::En, None);
        let good = AwsSettings {
            region: Some("sa-east-1".into()),
            bucket: Some("bank-evidence".into()),
            ..AwsSettings::default()
        };
        aws(
            &good,
            Some("kiosk-001"),
            Some(BackendMode::Aws),
            &mut none,
            &mut warnings,
        );
        assert!(none.list.is_empty());
        assert!(warnings.is_empty());
    }
}
