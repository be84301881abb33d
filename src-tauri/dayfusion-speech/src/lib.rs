//! Spoken guidance for the kiosk's customers, offline.
//!
//! The customer screens say what they show: each phrase (an id such as
//! `visit.consent.title` and the text the screen shows) is synthesised by
//! espeak-ng, run as a separate process (`synth`), into a WAV file kept in a
//! per-phrase cache (`cache`), then played through the kiosk's audio output
//! by `aplay` (`player`), one phrase at a time: a new phrase stops the one
//! playing. `Speaker` puts them together, in the order asked (the screens
//! ask again for the repeat key). Nothing leaves the machine; the log names phrase ids and
//! durations, never the text. Phrases marked personal (the customer's
//! protocol number, say) are never written to the cache.

mod cache;
mod error;
mod phrase;
mod player;
mod speaker;
mod synth;

pub use cache::{CACHE_DIR, PhraseCache};
pub use error::SpeechError;
pub use phrase::{MAX_TEXT_CHARS, Phrase, PhraseId};
pub use player::{DEVICE_ENV, Player};
pub use speaker::{Speaker, Spoken};
pub use synth::{ENGINE_ENV, Synthesizer, Voice};
