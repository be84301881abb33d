//! Spoken guidance: a customer screen's phrase said by the kiosk.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::Language;

/// A phrase to say: the screen's own text in the visit's language.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SpeechRequest {
    /// What the log records: the screen or message (`screen.consent`,
    /// `error.visit.refusal.expired`), never the text.
    pub phrase_id: String,
    /// What is said (at most 4000 characters, plain text).
    pub text: String,
    /// The voice's language.
    pub language: Language,
    /// Holds something of this customer's (the protocol number): synthesised
    /// for this once, never cached.
    pub personal: bool,
}

/// A phrase said.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SpokenPhrase {
    /// How long it plays, in milliseconds.
    pub duration_ms: u32,
    /// Whether it came from the kiosk's phrase cache.
    pub cached: bool,
}
