//! The kiosk's privacy notice: who controls the customers' data and how to
//! reach the data protection officer (LGPD art. 9 and 41: the
//! *controlador* and the *encarregado*).
//!
//! Kept in `<data>/privacy.json` ([`PRIVACY_FILE`]), written by
//! `dayfusion provision` (a fleet's provisioning file) and meant to be read
//! by the consent screen, which today names "the institution that operates
//! this kiosk" and sends the customer to branch staff for the DPO's
//! contact. A kiosk without the file shows that generic text.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::paths::KioskPaths;

/// File name of the privacy notice inside the data directory.
pub const PRIVACY_FILE: &str = "privacy.json";
/// Longest controller name or DPO contact, characters.
pub const MAX_PRIVACY_CHARS: usize = 200;

/// The controller and DPO, for the consent screen to name (not read by
/// the app yet).
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

/// Path of the privacy notice of `paths`' kiosk.
pub fn privacy_file(paths: &KioskPaths) -> PathBuf {
    paths.data_dir.join(PRIVACY_FILE)
}

/// Reads the notice at `file`: `Ok(None)` when there is none, an error
/// (as text) when it cannot be read or is not a valid notice.
pub fn load(file: &Path) -> Result<Option<PrivacyNotice>, String> {
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", file.display())),
    };
    let notice: PrivacyNotice =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
    match notice.problems().first() {
        Some(problem) => Err(format!("{}: {problem}", file.display())),
        None => Ok(Some(notice)),
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
}
