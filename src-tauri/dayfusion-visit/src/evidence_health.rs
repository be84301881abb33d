//! The evidence key's health, shared by the app's status screen and
//! `dayfusion health`.

use std::path::Path;

use dayfusion_core::health::EvidenceKeyState;
use dayfusion_evidence::{KeyLocation, KeySource, KeyStatus, LocalEvidenceStore, MARKER_FILE};
use dayfusion_ipc::BackendMode;

/// Where the local evidence key of the store at `root` lives, read without
/// loading it; `None` on the AWS backend when there is no local store.
pub fn evidence_key_state(root: &Path, backend: BackendMode) -> Option<EvidenceKeyState> {
    if backend == BackendMode::Aws && !root.join(MARKER_FILE).exists() {
        return None;
    }
    let status = match KeySource::from_env() {
        Ok(source) => LocalEvidenceStore::key_status(root, source),
        Err(e) => KeyStatus::Unavailable(e.to_string()),
    };
    Some(match status {
        KeyStatus::Recorded(KeyLocation::Keyring) | KeyStatus::New(KeyLocation::Keyring) => {
            EvidenceKeyState::Keyring
        }
        KeyStatus::Recorded(KeyLocation::File) | KeyStatus::New(KeyLocation::File) => {
            EvidenceKeyState::File
        }
        KeyStatus::Unavailable(why) => EvidenceKeyState::Unavailable(why),
    })
}
