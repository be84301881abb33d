//! The kiosk's privacy notice: who controls the customers' data and how to
//! reach the data protection officer (LGPD art. 9 and 41: the
//! *controlador* and the *encarregado*).
//!
//! Kept in `<data>/privacy.json` ([`PRIVACY_FILE`]), written by
//! `dayfusion provision` (a fleet's provisioning file) and read afresh for
//! every visit by the consent screen ([`for_consent_screen`]), which then
//! names the controller and the DPO. A kiosk without the file, or with one
//! that cannot be used, shows the generic text: "the institution that
//! operates this kiosk", the DPO's contact from branch staff.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::KioskPaths;

/// File name of the privacy notice inside the data directory.
pub const PRIVACY_FILE: &str = "privacy.json";
/// Longest controller name or DPO contact, characters.
pub const MAX_PRIVACY_CHARS: usize = 200;

/// The controller and DPO, for the consent screen to name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrivacyNotice {
    /// The controller of the customers' data (the bank, with its CNPJ
    /// when it wishes: `Banco Exemplo S.A., CNPJ 00.000.000/0001-00`).
    pub controller: String,
    /// The data protection officer's name, when published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpo_name: Option<String>,
    /// How customers reach the DPO: an e-mail address, a phone number or a
    /// web address.
    pub dpo_contact: String,
}

/// Why a privacy notice was refused.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum PrivacyError {
    /// Controller empty, too long or with control characters.
    #[error("the controller must be 1-{MAX_PRIVACY_CHARS} characters without control characters")]
    InvalidController,
    /// DPO name empty, too long or with control characters.
    #[error("the DPO name must be 1-{MAX_PRIVACY_CHARS} characters without control characters")]
    InvalidDpoName,
    /// DPO contact empty, too long or with control characters.
    #[error(
        "the DPO contact must be 1-{MAX_PRIVACY_CHARS} characters (an e-mail, phone or web address) without control characters"
    )]
    InvalidDpoContact,
}

impl PrivacyError {
    /// Stable code of the refusal.
    pub fn code(self) -> &'static str {
        match self {
            PrivacyError::InvalidController => "privacy-controller-invalid",
            PrivacyError::InvalidDpoName => "privacy-dpo-name-invalid",
            PrivacyError::InvalidDpoContact => "privacy-dpo-contact-invalid",
        }
    }
}

fn text_ok(text: &str) -> bool {
    let count = text.trim().chars().count();
    (1..=MAX_PRIVACY_CHARS).contains(&count) && !text.chars().any(char::is_control)
}

impl PrivacyNotice {
    /// Every problem of the notice (empty when it is valid).
    pub fn problems(&self) -> Vec<PrivacyError> {
        let mut problems = Vec::new();
        if !text_ok(&self.controller) {
            problems.push(PrivacyError::InvalidController);
        }
        if self.dpo_name.as_deref().is_some_and(|n| !text_ok(n)) {
            problems.push(PrivacyError::InvalidDpoName);
        }
        if !text_ok(&self.dpo_contact) {
            problems.push(PrivacyError::InvalidDpoContact);
        }
        problems
    }

    /// The notice with surrounding blanks removed.
    #[must_use]
    pub fn trimmed(&self) -> PrivacyNotice {
        PrivacyNotice {
            controller: self.controller.trim().to_owned(),
            dpo_name: self.dpo_name.as_ref().map(|n| n.trim().to_owned()),
            dpo_contact: self.dpo_contact.trim().to_owned(),
        }
    }
}

impl From<PrivacyNotice> for dayfusion_ipc::PrivacyNotice {
    fn from(notice: PrivacyNotice) -> Self {
        dayfusion_ipc::PrivacyNotice {
            controller: notice.controller,
            dpo_name: notice.dpo_name,
            dpo_contact: notice.dpo_contact,
        }
    }
}

/// Why the privacy notice file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyReadError {
    /// The file exists but cannot be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not a privacy notice in JSON.
    #[error("{}: {source}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Underlying error (may quote the file).
        source: serde_json::Error,
    },
    /// The notice breaks a rule of [`PrivacyNotice::problems`].
    #[error("{}: {problem}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The first problem found.
        problem: PrivacyError,
    },
}

impl PrivacyReadError {
    /// Stable code of the failure.
    pub fn code(&self) -> &'static str {
        match self {
            PrivacyReadError::Read { .. } => "privacy-file-unreadable",
            PrivacyReadError::Malformed { .. } => "privacy-file-malformed",
            PrivacyReadError::Invalid { problem, .. } => problem.code(),
        }
    }

    /// What went wrong without quoting the file (for the log): JSON errors
    /// by kind and position only.
    pub fn summary(&self) -> String {
        match self {
            PrivacyReadError::Read { source, .. } => source.to_string(),
            PrivacyReadError::Malformed { source, .. } => format!(
                "{:?} error at line {}, column {}",
                source.classify(),
                source.line(),
                source.column()
            ),
            PrivacyReadError::Invalid { problem, .. } => problem.to_string(),
        }
    }
}

/// Path of the privacy notice of `paths`' kiosk.
pub fn privacy_file(paths: &KioskPaths) -> PathBuf {
    paths.data_dir.join(PRIVACY_FILE)
}

/// Reads the notice at `file`: `Ok(None)` when there is none, an error
/// when it cannot be read or is not a valid notice.
pub fn load(file: &Path) -> Result<Option<PrivacyNotice>, PrivacyReadError> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PrivacyReadError::Read {
                path: file.to_owned(),
                source,
            });
        }
    };
    let notice: PrivacyNotice =
        serde_json::from_slice(&bytes).map_err(|source| PrivacyReadError::Malformed {
            path: file.to_owned(),
            source,
        })?;
    match notice.problems().first() {
        Some(&problem) => Err(PrivacyReadError::Invalid {
            path: file.to_owned(),
            problem,
        }),
        None => Ok(Some(notice)),
    }
}

/// The notice of `paths`' kiosk for the consent screen, trimmed: `None`
/// when there is none, or when it cannot be used (then a warning is
/// logged with the file and the failure, never the DPO's name or contact,
/// and the screen keeps its generic text: the visit goes on).
pub fn for_consent_screen(paths: &KioskPaths) -> Option<dayfusion_ipc::PrivacyNotice> {
    let file = privacy_file(paths);
    match load(&file) {
        Ok(notice) => notice.map(|n| n.trimmed().into()),
        Err(e) => {
            tracing::warn!(
                event = "privacy_notice_unusable",
                code = e.code(),
                file = %file.display(),
                detail = %e.summary(),
                "privacy notice unusable: the consent screen shows the generic text"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice() -> PrivacyNotice {
        PrivacyNotice {
            controller: "Banco Exemplo S.A., CNPJ 00.000.000/0001-00".into(),
            dpo_name: Some("Maria Souza".into()),
            dpo_contact: "dpo@bancoexemplo.com.br".into(),
        }
    }

    #[test]
    fn a_notice_is_read_back_and_bad_ones_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path());
        let file = privacy_file(&paths);
        assert_eq!(load(&file)?, None, "no file, no notice");
        std::fs::write(&file, serde_json::to_vec(&notice())?)?;
        assert_eq!(load(&file)?, Some(notice()));

        let bad = PrivacyNotice {
            controller: " ".into(),
            dpo_name: Some("a\nb".into()),
            dpo_contact: "x".repeat(201),
        };
        assert_eq!(
            bad.problems(),
            vec![
                PrivacyError::InvalidController,
                PrivacyError::InvalidDpoName,
                PrivacyError::InvalidDpoContact
            ]
        );
        std::fs::write(&file, serde_json::to_vec(&bad)?)?;
        assert!(load(&file).is_err());
        std::fs::write(
            &file,
            b"{\"controller\":\"x\",\"dpoContact\":\"y\",\"extra\":1}",
        )?;
        assert!(load(&file).is_err(), "unknown fields are refused");
        Ok(())
    }

    /// `for_consent_screen` in `paths`' kiosk, and what it logged.
    fn consent_notice(
        paths: &KioskPaths,
        logs: &Path,
    ) -> Result<(Option<dayfusion_ipc::PrivacyNotice>, String), Box<dyn std::error::Error>> {
        use tracing_subscriber::layer::SubscriberExt;
        std::fs::create_dir_all(logs)?;
        let (layer, guard) = crate::logging::file_layer(logs)?;
        let subscriber = tracing_subscriber::registry().with(layer);
        let notice = tracing::subscriber::with_default(subscriber, || for_consent_screen(paths));
        drop(guard); // flushes the background writer
        let mut text = String::new();
        for entry in std::fs::read_dir(logs)? {
            text.push_str(&std::fs::read_to_string(entry?.path())?);
        }
        Ok((notice, text))
    }

    #[test]
    fn the_consent_screen_gets_a_valid_notice_and_nothing_otherwise()
    -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let paths = KioskPaths::under(tmp.path().join("kiosk"));
        std::fs::create_dir_all(&paths.data_dir)?;
        let file = privacy_file(&paths);

        // Absent: the generic text, quietly.
        let (notice, log) = consent_notice(&paths, &tmp.path().join("logs-absent"))?;
        assert_eq!(notice, None);
        assert!(log.is_empty(), "{log}");

        // Valid: trimmed, for the screen; a notice without a DPO name too.
        let mut stored = notice_with_blanks();
        std::fs::write(&file, serde_json::to_vec(&stored)?)?;
        let (notice, log) = consent_notice(&paths, &tmp.path().join("logs-valid"))?;
        assert_eq!(
            notice,
            Some(dayfusion_ipc::PrivacyNotice {
                controller: "Banco Exemplo S.A., CNPJ 00.000.000/0001-00".into(),
                dpo_name: Some("Maria Souza".into()),
                dpo_contact: "dpo@bancoexemplo.com.br".into(),
            })
        );
        assert!(log.is_empty(), "{log}");
        stored.dpo_name = None;
        std::fs::write(&file, serde_json::to_vec(&stored)?)?;
        let (notice, _) = consent_notice(&paths, &tmp.path().join("logs-no-name"))?;
        assert_eq!(notice.and_then(|n| n.dpo_name), None);

        // Invalid: the generic text, and a warning with the code but not
        // the DPO's name or contact.
        let bad = PrivacyNotice {
            controller: "Banco Exemplo S.A.".into(),
            dpo_name: Some("Maria\nSouza".into()),
            dpo_contact: "dpo@bancoexemplo.com.br".into(),
        };
        std::fs::write(&file, serde_json::to_vec(&bad)?)?;
        let (notice, log) = consent_notice(&paths, &tmp.path().join("logs-invalid"))?;
        assert_eq!(notice, None);
        let line: serde_json::Value = serde_json::from_str(log.trim())?;
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["event"], "privacy_notice_unusable");
        assert_eq!(line["fields"]["code"], "privacy-dpo-name-invalid");
        assert!(!log.contains("Maria") && !log.contains("dpo@"), "{log}");

        // Not a notice (serde would quote the unknown field): a warning
        // with the JSON error's kind and position only.
        std::fs::write(
            &file,
            br#"{"controller":"x","dpoContact":"dpo@bancoexemplo.com.br","Maria Souza":1}"#,
        )?;
        let (notice, log) = consent_notice(&paths, &tmp.path().join("logs-malformed"))?;
        assert_eq!(notice, None);
        let line: serde_json::Value = serde_json::from_str(log.trim())?;
        assert_eq!(line["fields"]["code"], "privacy-file-malformed");
        assert!(!log.contains("Maria") && !log.contains("dpo@"), "{log}");

        // Unreadable (a folder in its place): the generic text, a warning.
        std::fs::remove_file(&file)?;
        std::fs::create_dir(&file)?;
        let (notice, log) = consent_notice(&paths, &tmp.path().join("logs-unreadable"))?;
        assert_eq!(notice, None);
        let line: serde_json::Value = serde_json::from_str(log.trim())?;
        assert_eq!(line["fields"]["code"], "privacy-file-unreadable");
        Ok(())
    }

    fn notice_with_blanks() -> PrivacyNotice {
        PrivacyNotice {
            controller: "  Banco Exemplo S.A., CNPJ 00.000.000/0001-00 ".into(),
            dpo_name: Some(" Maria Souza".into()),
            dpo_contact: "dpo@bancoexemplo.com.br ".into(),
        }
    }
}
