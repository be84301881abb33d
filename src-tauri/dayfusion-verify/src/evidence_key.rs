//! Evidence keys, as in the guide: `documents/{transactionId}/{name}`,
//! `liveness/{sessionId}/reference.jpg`, `liveness/{sessionId}/audit_{i}.jpg`.
//!
//! The same keys name S3 objects (AWS backend) and files under the local
//! store, so they are validated once here: ASCII letters, digits, `.`, `_`
//! and `-` in each segment, no empty or dot-leading segment, at most 200
//! bytes.

use serde::{Deserialize, Serialize};

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 200;

/// A validated evidence key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EvidenceKey(String);

/// A string that is not an evidence key.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid evidence key: {0}")]
pub struct InvalidKey(pub String);

impl EvidenceKey {
    /// Checks `key`.
    pub fn parse(key: &str) -> Result<EvidenceKey, InvalidKey> {
        let bad = || InvalidKey(key.chars().take(MAX_KEY_LEN).collect());
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(bad());
        }
        let segments: Vec<&str> = key.split('/').collect();
        if segments.len() < 2 {
            return Err(bad());
        }
        for segment in &segments {
            let ok = !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
            if !ok {
                return Err(bad());
            }
        }
        if !matches!(segments[0], "documents" | "liveness") {
            return Err(bad());
        }
        Ok(EvidenceKey(key.to_owned()))
    }

    /// `documents/{transactionId}/{name}`.
    pub fn document(transaction_id: &uuid::Uuid, name: &str) -> Result<EvidenceKey, InvalidKey> {
        EvidenceKey::parse(&format!("documents/{transaction_id}/{name}"))
    }

    /// `liveness/{sessionId}/reference.jpg`.
    pub fn liveness_reference(session_id: &str) -> Result<EvidenceKey, InvalidKey> {
        EvidenceKey::parse(&format!("liveness/{session_id}/reference.jpg"))
    }

    /// `liveness/{sessionId}/audit_{i}.jpg`.
    pub fn liveness_audit(session_id: &str, index: usize) -> Result<EvidenceKey, InvalidKey> {
        EvidenceKey::parse(&format!("liveness/{session_id}/audit_{index}.jpg"))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key's segments (`["liveness", "abc", "reference.jpg"]`).
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl std::fmt::Display for EvidenceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EvidenceKey {
    type Error = InvalidKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        EvidenceKey::parse(&value)
    }
}

impl From<EvidenceKey> for String {
    fn from(value: EvidenceKey) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guide_keys_are_accepted() {
        let id = uuid::Uuid::now_v7();
        assert!(EvidenceKey::document(&id, "document.jpg").is_ok());
        let session = "2f6c7f0e-8f1e-4c59-9b1a-0d3b1b7a9c11";
        assert_eq!(
            EvidenceKey::liveness_reference(session)
                .map(|k| k.to_string())
                .ok(),
            Some(format!("liveness/{session}/reference.jpg"))
        );
        assert!(EvidenceKey::liveness_audit(session, 3).is_ok());
    }

    #[test]
    fn escapes_and_odd_keys_are_refused() {
        for key in [
            "",
            "documents",
            "documents/../../etc/passwd",
            "documents/a/../b",
            "/documents/a/b",
            "documents//b",
            "documents/a/.hidden",
            "documents/a/b c.jpg",
            "documents/a/ação.jpg",
            "other/a/b.jpg",
            "documents\\a\\b.jpg",
        ] {
            assert!(EvidenceKey::parse(key).is_err(), "{key:?} accepted");
        }
        assert!(EvidenceKey::parse(&format!("documents/{}/x", "a".repeat(300))).is_err());
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<EvidenceKey>("\"documents/a/b.jpg\"").is_ok());
        assert!(serde_json::from_str::<EvidenceKey>("\"documents/../b.jpg\"").is_err());
    }
}
