//! The provisioning file: one TOML document per kiosk.
//!
//! ```toml
//! [provisioning]
//! format = 1                      # required: this schema's version
//! remove-unlisted-staff = false   # remove accounts the file does not list
//!
//! [kiosk]                         # required; keys left out keep their value
//! id = "ag0001-t01"
//! mode = "kiosk"                  # kiosk | field
//! backend = "aws"                 # embedded | aws
//! language = "pt-BR"              # pt-BR | en
//! policy = "default"
//! retention-days = 180
//! idle-timeout-seconds = 90
//! sync-alert-hours = 24
//! document-inbox = "/srv/dayfusion/scans"   # "" = none
//!
//! [privacy]                       # optional: <data>/privacy.json
//! controller = "Banco Exemplo S.A."
//! dpo-name = "Maria Souza"
//! dpo-contact = "dpo@bancoexemplo.com.br"
//!
//! [[staff]]                       # one per account
//! id = "f1001"
//! name = "Ana Lima"
//! role = "admin"                  # reviewer | admin | field-agent
//! pin-file = "/etc/dayfusion/pins/f1001"    # absolute; or pin-env = "VAR"
//! reset-pin = false
//!
//! [aws]                           # optional: the whole of <data>/aws.toml
//! region = "sa-east-1"
//! bucket = "bank-dayfusion-evidence"
//! ```
//!
//! Every table refuses unknown keys. [`parse`] reports every unknown key
//! and, per table, the first value of the wrong type, each with its line.

use std::path::PathBuf;

use dayfusion_aws::AwsSettings;
use dayfusion_ipc::{BackendMode, KioskMode, Language};
use dayfusion_staff::Role;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeValue, ValueDeserializer};

use crate::problem::{KeyPath, Problems, Seg, Source, at, secret_key};

/// The schema version this build reads.
pub const FORMAT: u32 = 1;

/// `[provisioning]`: about the file itself.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProvisioningSection {
    /// Schema version: 1.
    pub format: u32,
    /// Remove the staff accounts the file does not list (default: they
    /// stay). Needs at least one admin among the listed accounts.
    #[serde(default)]
    pub remove_unlisted_staff: bool,
}

/// `[kiosk]`: the kiosk settings the app keeps in `settings.json`. Only
/// `id` is required; a key left out keeps the kiosk's current value (the
/// default on a new kiosk). The camera is chosen on site and is not here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct KioskSection {
    /// Kiosk id, recorded with every transaction; the S3 folder of its evidence.
    pub id: String,
    /// `kiosk` (branch, full screen) or `field` (a field agent's laptop).
    pub mode: Option<KioskMode>,
    /// `embedded` or `aws`.
    pub backend: Option<BackendMode>,
    /// `pt-BR` or `en`.
    pub language: Option<Language>,
    /// Decision policy id (shipped or in `<data>/policies.toml`).
    pub policy: Option<String>,
    /// Days evidence is kept (1-3650).
    pub retention_days: Option<u32>,
    /// Seconds without a touch before a visit is wiped (30-600).
    pub idle_timeout_seconds: Option<u32>,
    /// Hours a transaction may wait for AWS before staff are warned (1-720).
    pub sync_alert_hours: Option<u32>,
    /// Absolute folder of a "scan to folder" inbox; `""` for none.
    pub document_inbox: Option<String>,
    /// Every visit starts with spoken guidance on.
    pub spoken_guidance: Option<bool>,
}

/// `[privacy]`: the controller and DPO, stored for the consent screen
/// (`<data>/privacy.json`, see `dayfusion_core::privacy`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PrivacySection {
    /// The controller (the bank; its CNPJ may follow).
    pub controller: String,
    /// The DPO's name, when published.
    #[serde(default)]
    pub dpo_name: Option<String>,
    /// E-mail, phone or web address of the DPO.
    pub dpo_contact: String,
}

/// One `[[staff]]` account. The PIN never is in the file: `pin-file` names
/// (by absolute path) a regular file of the caller's that only its owner
/// can read, `pin-env` an environment variable. It is read when the account is created, or when
/// `reset-pin = true` and it differs from the account's PIN.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StaffEntry {
    /// The bank's staff number or login.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `reviewer`, `admin` or `field-agent`.
    pub role: Role,
    /// File holding the PIN (first line).
    #[serde(default)]
    pub pin_file: Option<PathBuf>,
    /// Environment variable holding the PIN.
    #[serde(default)]
    pub pin_env: Option<String>,
    /// Give an existing account the PIN from `pin-file`/`pin-env` (left
    /// alone when it already is that PIN).
    #[serde(default)]
    pub reset_pin: bool,
}

/// The whole file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionFile {
    /// `[provisioning]`.
    pub provisioning: ProvisioningSection,
    /// `[kiosk]`.
    pub kiosk: KioskSection,
    /// `[privacy]`; absent: `privacy.json` is left alone.
    #[serde(default)]
    pub privacy: Option<PrivacySection>,
    /// `[[staff]]`; none: no account is touched.
    #[serde(default)]
    pub staff: Vec<StaffEntry>,
    /// `[aws]`, with exactly the keys of `aws.toml`; absent: `aws.toml` is
    /// left alone. Present, it is the whole file: keys left out take their
    /// defaults.
    #[serde(default)]
    pub aws: Option<AwsSettings>,
}

/// Keys of `[provisioning]`.
pub const PROVISIONING_KEYS: &[&str] = &["format", "remove-unlisted-staff"];
/// Keys of `[kiosk]`.
pub const KIOSK_KEYS: &[&str] = &[
    "id",
    "mode",
    "backend",
    "language",
    "policy",
    "retention-days",
    "idle-timeout-seconds",
    "sync-alert-hours",
    "document-inbox",
    "spoken-guidance",
];
/// Keys of `[privacy]`.
pub const PRIVACY_KEYS: &[&str] = &["controller", "dpo-name", "dpo-contact"];
/// Keys of `[[staff]]`.
pub const STAFF_KEYS: &[&str] = &["id", "name", "role", "pin-file", "pin-env", "reset-pin"];
/// The top-level sections.
pub const SECTIONS: &[&str] = &["provisioning", "kiosk", "privacy", "staff", "aws"];

/// Keys of `[aws]`: those of `aws.toml`.
pub fn aws_keys() -> Vec<String> {
    match serde_json::to_value(AwsSettings::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Keys a person might use for the PIN itself (refused with the advice).
const PIN_KEYS: &[&str] = &["pin", "pin-code", "password", "secret"];

/// What [`parse`] could read: the tables that deserialized (an entry with a
/// problem is left out), with the position of each staff entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Partial {
    pub provisioning: Option<ProvisioningSection>,
    pub kiosk: Option<KioskSection>,
    pub privacy: Option<PrivacySection>,
    /// Each readable `[[staff]]` with its index in the file.
    pub staff: Vec<(usize, StaffEntry)>,
    pub aws: Option<AwsSettings>,
    /// Every `[[staff]]` entry was read.
    pub staff_complete: bool,
}

/// Reads every section of `source`, recording unknown sections and keys,
/// missing sections and values of the wrong type in `problems`.
pub(crate) fn parse(source: &Source<'_>, problems: &mut Problems<'_, '_>) -> Partial {
    let mut partial = Partial {
        staff_complete: true,
        ..Partial::default()
    };
    let root = source.root();
    for (key, _) in root.iter() {
        if !SECTIONS.contains(&key.get_ref().as_ref()) {
            problems.add(
                "unknown-section",
                &[Seg::Key(key.get_ref().to_string())],
                &[],
            );
        }
    }
    let section_path = |name: &str| vec![Seg::Key(name.to_owned())];
    let strs = |keys: &[&str]| keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();

    for (name, required) in [("provisioning", true), ("kiosk", true)] {
        if root.get(name).is_none() && required {
            problems.add_at("section-missing", &[], Some(0..0), &[("key", name)]);
        }
    }
    if let Some(value) = root.get("provisioning") {
        partial.provisioning = table(
            value,
            &section_path("provisioning"),
            &strs(PROVISIONING_KEYS),
            problems,
        );
        if let Some(p) = &partial.provisioning
            && p.format != FORMAT
        {
            problems.add(
                "format-unsupported",
                &at(&section_path("provisioning"), "format"),
                &[("value", &p.format.to_string())],
            );
        }
    }
    if let Some(value) = root.get("kiosk") {
        partial.kiosk = table(value, &section_path("kiosk"), &strs(KIOSK_KEYS), problems);
    }
    if let Some(value) = root.get("privacy") {
        partial.privacy = table(
            value,
            &section_path("privacy"),
            &strs(PRIVACY_KEYS),
            problems,
        );
    }
    if let Some(value) = root.get("aws") {
        partial.aws = table(value, &section_path("aws"), &aws_keys(), problems);
    }
    if let Some(value) = root.get("staff") {
        match value.get_ref() {
            DeValue::Array(entries) => {
                for (i, entry) in entries.iter().enumerate() {
                    let path = vec![Seg::Key("staff".into()), Seg::Index(i)];
                    match table(entry, &path, &strs(STAFF_KEYS), problems) {
                        Some(parsed) => partial.staff.push((i, parsed)),
                        None => partial.staff_complete = false,
                    }
                }
            }
            _ => {
                problems.add("not-an-array", &section_path("staff"), &[]);
                partial.staff_complete = false;
            }
        }
    }
    partial
}

/// Deserializes one table: each unknown key is a problem (and is left out
/// so the rest is still checked), then the first value of the wrong type.
fn table<T: DeserializeOwned>(
    value: &Spanned<DeValue<'_>>,
    path: &KeyPath,
    known: &[String],
    problems: &mut Problems<'_, '_>,
) -> Option<T> {
    let mut value = value.clone();
    let DeValue::Table(entries) = value.get_mut() else {
        problems.add("not-a-table", path, &[]);
        return None;
    };
    let unknown: Vec<String> = entries
        .keys()
        .map(|k| k.get_ref().to_string())
        .filter(|k| !known.iter().any(|known| known == k))
        .collect();
    for key in &unknown {
        let code = if PIN_KEYS.contains(&key.as_str()) {
            "pin-in-file"
        } else {
            "unknown-key"
        };
        problems.add(code, &at(path, key), &[("expected", &known.join(", "))]);
        entries.remove(key.as_str());
    }
    // Where each key and its value are, to name the key of a wrong value.
    let spans: Vec<(String, std::ops::Range<usize>)> = entries
        .iter()
        .map(|(k, v)| (k.get_ref().to_string(), k.span().start..v.span().end))
        .collect();
    match T::deserialize(ValueDeserializer::from(value)) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            let key = e.span().and_then(|span| {
                spans
                    .iter()
                    .find(|(_, at)| at.contains(&span.start))
                    .map(|(key, _)| key.clone())
            });
            match key.filter(|key| secret_key(key)) {
                // The parser's words quote the value: it may be a PIN.
                Some(key) => problems.add_worded_at(
                    "invalid-value",
                    "invalid-secret-value",
                    &at(path, &key),
                    e.span(),
                    &[],
                ),
                None => {
                    problems.add_at("invalid-value", path, e.span(), &[("detail", e.message())])
                }
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::Lang;

    const FULL: &str = r#"
[provisioning]
format = 1
remove-unlisted-staff = false

[kiosk]
id = "ag0001-t01"
mode = "field"
backend = "aws"
language = "en"
policy = "high-risk"
retention-days = 90
idle-timeout-seconds = 120
sync-alert-hours = 12
document-inbox = "/srv/dayfusion/scans"

[privacy]
controller = "Banco Exemplo S.A."
dpo-name = "Maria Souza"
dpo-contact = "dpo@bancoexemplo.com.br"

[[staff]]
id = "f1001"
name = "Ana Lima"
role = "admin"
pin-file = "/etc/dayfusion/pins/f1001"

[[staff]]
id = "f1002"
name = "João Silva"
role = "field-agent"
pin-env = "PIN_F1002"
reset-pin = true

[aws]
region = "sa-east-1"
bucket = "bank-dayfusion-evidence"
"#;

    fn parsed(text: &str) -> Result<(Partial, Vec<crate::Problem>), toml::de::Error> {
        let source = Source::parse(text)?;
        let mut problems = Problems::new(Lang::En, Some(&source));
        let partial = parse(&source, &mut problems);
        Ok((partial, problems.into_sorted()))
    }

    #[test]
    fn a_full_file_reads_into_every_section() -> Result<(), Box<dyn std::error::Error>> {
        let (partial, problems) = parsed(FULL)?;
        assert_eq!(problems, vec![]);
        let kiosk = partial.kiosk.ok_or("no kiosk")?;
        assert_eq!(kiosk.mode, Some(KioskMode::Field));
        assert_eq!(kiosk.language, Some(Language::En));
        assert_eq!(kiosk.retention_days, Some(90));
        assert_eq!(partial.staff.len(), 2);
        assert_eq!(partial.staff[1].1.role, Role::FieldAgent);
        assert!(partial.staff[1].1.reset_pin);
        let aws = partial.aws.ok_or("no aws")?;
        assert_eq!(aws.region.as_deref(), Some("sa-east-1"));
        assert_eq!(aws.table, dayfusion_aws::config::DEFAULT_TABLE);
        // The serde structs agree with the key lists.
        let whole: ProvisionFile = toml::from_str(FULL)?;
        assert_eq!(whole.staff.len(), 2);
        assert_eq!(whole.kiosk, kiosk);
        Ok(())
    }

    #[test]
    fn every_unknown_key_is_listed_with_its_line() -> Result<(), Box<dyn std::error::Error>> {
        let text = "[provisioning]\nformat = 2\n\n[kiosk]\nid = \"k1\"\ncolour = \"blue\"\nretention-days = \"long\"\n\n[[staff]]\nid = \"f1001\"\nname = \"Ana\"\nrole = \"root\"\npin = \"240817\"\n\n[extra]\nx = 1\n\n[aws]\nbuckett = \"b\"\nkiosk-id = \"k1\"\n";
        let (partial, problems) = parsed(text)?;
        let found: Vec<(&str, Option<&str>, Option<usize>)> = problems
            .iter()
            .map(|p| (p.code.as_str(), p.key.as_deref(), p.line))
            .collect();
        assert_eq!(
            found,
            vec![
                ("format-unsupported", Some("provisioning.format"), Some(2)),
                ("unknown-key", Some("kiosk.colour"), Some(6)),
                ("invalid-value", Some("kiosk"), Some(7)),
                ("invalid-value", Some("staff[1]"), Some(12)),
                ("pin-in-file", Some("staff[1].pin"), Some(13)),
                ("unknown-section", Some("extra"), Some(15)),
                ("unknown-key", Some("aws.buckett"), Some(19)),
                ("unknown-key", Some("aws.kiosk-id"), Some(20)),
            ]
        );
        assert!(
            problems.iter().all(|p| !p.message.contains("240817")),
            "a PIN written in the file is never echoed"
        );
        assert!(partial.kiosk.is_none() && partial.staff.is_empty());
        assert!(partial.aws.is_some(), "only unknown keys: the rest is read");
        Ok(())
    }

    #[test]
    fn the_sample_file_reads_without_problems_and_uses_every_key()
    -> Result<(), Box<dyn std::error::Error>> {
        let sample = include_str!("../../../infra/provisioning/sample-kiosk.toml");
        let (partial, problems) = parsed(sample)?;
        assert_eq!(problems, vec![]);
        let whole: ProvisionFile = toml::from_str(sample)?;
        assert_eq!(
            whole.aws.and_then(|a| a.region).as_deref(),
            Some("sa-east-1")
        );
        assert_eq!(partial.staff.len(), 2);
        let source = Source::parse(sample)?;
        for (section, keys) in [
            ("provisioning", PROVISIONING_KEYS),
            ("kiosk", KIOSK_KEYS),
            ("privacy", PRIVACY_KEYS),
        ] {
            for key in keys {
                let path = at(&[Seg::Key(section.into())], key);
                assert!(
                    source.line_of(&path).is_some(),
                    "{section}.{key} is documented"
                );
            }
        }
        for key in STAFF_KEYS {
            let in_some = (0..2).any(|i| {
                let path = vec![
                    Seg::Key("staff".into()),
                    Seg::Index(i),
                    Seg::Key((*key).into()),
                ];
                let line = source.line_of(&path);
                let entry = source.line_of(&path[..2]);
                line.is_some() && line != entry
            });
            assert!(in_some, "staff.{key} is documented");
        }
        Ok(())
    }

    #[test]
    fn a_pin_given_as_a_number_is_not_echoed() -> Result<(), Box<dyn std::error::Error>> {
        for (key, value) in [
            ("pin-env", "240817"),
            ("pin-file", "240817"),
            ("reset-pin", "240817"),
            ("pin-env", "[240817]"),
            ("pin-file", "{ pin = 240817 }"),
        ] {
            let text = format!(
                "[provisioning]\nformat = 1\n\n[kiosk]\nid = \"k1\"\n\n[[staff]]\nid = \"f1001\"\nname = \"Ana\"\nrole = \"admin\"\n{key} = {value}\n"
            );
            let (partial, problems) = parsed(&text)?;
            assert!(partial.staff.is_empty());
            let found: Vec<(&str, Option<&str>, Option<usize>)> = problems
                .iter()
                .map(|p| (p.code.as_str(), p.key.as_deref(), p.line))
                .collect();
            let expected_key = format!("staff[1].{key}");
            assert_eq!(
                found,
                vec![("invalid-value", Some(expected_key.as_str()), Some(11))],
                "{key} = {value}"
            );
            for problem in &problems {
                assert!(
                    !problem.message.contains("240817"),
                    "{key} = {value}: {}",
                    problem.message
                );
            }
        }
        Ok(())
    }

    #[test]
    fn missing_sections_and_wrong_shapes() -> Result<(), Box<dyn std::error::Error>> {
        let (_, problems) = parsed("staff = 3\nprivacy = \"x\"\n")?;
        let codes: Vec<&str> = problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            codes,
            vec![
                "section-missing",
                "section-missing",
                "not-an-array",
                "not-a-table"
            ]
        );
        assert_eq!(problems[0].line, Some(1));
        assert!(Source::parse("[kiosk\nid = 1").is_err());
        Ok(())
    }
}
