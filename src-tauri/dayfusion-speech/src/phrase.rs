//! A phrase to say: its id (what the log records) and its text (what the
//! screen shows, never logged).

use dayfusion_ipc::Language;

use crate::SpeechError;

/// The longest text spoken at once, in characters (the whole consent is about 2,000).
pub const MAX_TEXT_CHARS: usize = 4000;
const MAX_ID_CHARS: usize = 96;

/// A phrase's id: the screen text's translation key, e.g.
/// `visit.consent.title`, or a live instruction's code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhraseId(String);

impl PhraseId {
    /// Checks `id`: 1-96 characters of ASCII letters, digits, `.` and `-`.
    pub fn parse(id: &str) -> Result<PhraseId, SpeechError> {
        let ok = !id.is_empty()
            && id.len() <= MAX_ID_CHARS
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if ok {
            Ok(PhraseId(id.to_owned()))
        } else {
            Err(SpeechError::InvalidPhraseId)
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for PhraseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One phrase in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase {
    /// What the log records.
    pub id: PhraseId,
    /// What is said: plain text, no markup (the engine reads it as text).
    pub text: String,
    /// The voice's language.
    pub language: Language,
    /// Holds something of this customer's (a protocol number): never cached.
    pub personal: bool,
}

impl Phrase {
    /// A checked phrase: the id as [`PhraseId::parse`], the text 1-4000
    /// characters with no control characters but line breaks and tabs
    /// (spaces are collapsed).
    pub fn new(
        id: &str,
        text: &str,
        language: Language,
        personal: bool,
    ) -> Result<Phrase, SpeechError> {
        let id = PhraseId::parse(id)?;
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(SpeechError::InvalidText("longer than 4000 characters"));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            return Err(SpeechError::InvalidText("holds control characters"));
        }
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(SpeechError::InvalidText("empty"));
        }
        Ok(Phrase {
            id,
            text,
            language,
            personal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_translation_keys_only() {
        for good in ["visit.consent.title", "liveness.move-closer", "a"] {
            assert!(PhraseId::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "../x", "visit/title", "x;rm", &"a".repeat(97)] {
            assert!(
                matches!(PhraseId::parse(bad), Err(SpeechError::InvalidPhraseId)),
                "{bad}"
            );
        }
    }

    #[test]
    fn texts_are_plain_bounded_and_collapsed() -> Result<(), SpeechError> {
        let phrase = Phrase::new("a", "  Olá,\n  tudo\tbem? ", Language::PtBr, false)?;
        assert_eq!(phrase.text, "Olá, tudo bem?");
        for bad in ["", "   ", "bell \u{7}", "esc \u{1b}[31m"] {
            assert!(
                matches!(
                    Phrase::new("a", bad, Language::En, false),
                    Err(SpeechError::InvalidText(_))
                ),
                "{bad:?}"
            );
        }
        assert!(Phrase::new("a", &"á".repeat(MAX_TEXT_CHARS), Language::En, false).is_ok());
        assert!(Phrase::new("a", &"á".repeat(MAX_TEXT_CHARS + 1), Language::En, false).is_err());
        Ok(())
    }
}
