//! The speaker: synthesis through the cache, playback, and the last phrase
//! for the repeat key.

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use crate::synth::wav_duration;
use crate::{CACHE_DIR, Phrase, PhraseCache, PhraseId, Player, SpeechError, Synthesizer, Voice};

/// What was said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spoken {
    /// The phrase's id.
    pub id: PhraseId,
    /// How long it plays.
    pub duration: Duration,
    /// Whether it came from the cache (no synthesis).
    pub cached: bool,
}

/// Says phrases, one at a time.
#[derive(Debug)]
pub struct Speaker {
    synthesizer: Synthesizer,
    cache: PhraseCache,
    player: Player,
    last: Mutex<Option<Phrase>>,
}

impl Speaker {
    /// A speaker with its cache in `cache_dir`.
    pub fn new(
        synthesizer: Synthesizer,
        cache_dir: &Path,
        player: Player,
    ) -> Result<Speaker, SpeechError> {
        Ok(Speaker {
            synthesizer,
            cache: PhraseCache::open(cache_dir)?,
            player,
            last: Mutex::new(None),
        })
    }

    /// The kiosk's speaker: the engine and device from the environment
    /// (`DAYFUSION_SPEECH_ENGINE`, `DAYFUSION_SPEECH_DEVICE`), the cache in
    /// `<data>/speech-cache`.
    pub fn for_kiosk(data_dir: &Path) -> Result<Speaker, SpeechError> {
        Speaker::new(
            Synthesizer::from_env(),
            &data_dir.join(CACHE_DIR),
            Player::from_env(),
        )
    }

    /// Stops what is playing and says `phrase`; returns once it plays.
    pub fn say(&self, phrase: Phrase) -> Result<Spoken, SpeechError> {
        let voice = Voice::of(phrase.language);
        let kept = self.cache.path_of(voice, &phrase.text);
        let (file, cached, temporary) = if !phrase.personal && kept.is_file() {
            (kept, true, false)
        } else {
            let temp = self.cache.temp_path();
            if let Err(e) = self.synthesizer.synthesize(&phrase.text, voice, &temp) {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
            if !phrase.personal && self.cache.has_room() {
                std::fs::rename(&temp, &kept)?;
                (kept, false, false)
            } else {
                (temp, false, true)
            }
        };
        let duration = match wav_duration(&file) {
            Ok(duration) => duration,
            Err(e) => {
                // A damaged file is never played or kept.
                let _ = std::fs::remove_file(&file);
                return Err(e);
            }
        };
        self.player.play(&file, temporary)?;
        tracing::info!(
            event = "speech_phrase",
            phrase = %phrase.id,
            language = ?phrase.language,
            duration_ms = duration.as_millis() as u64,
            cached,
            "phrase said"
        );
        let spoken = Spoken {
            id: phrase.id.clone(),
            duration,
            cached,
        };
        *self.last_phrase() = Some(phrase);
        Ok(spoken)
    }

    /// Says the last phrase again (the repeat key).
    pub fn repeat(&self) -> Result<Spoken, SpeechError> {
        let last = self.last_phrase().clone();
        self.say(last.ok_or(SpeechError::NothingToRepeat)?)
    }

    /// Stops speaking and forgets the last phrase (the visit ended).
    pub fn stop(&self) {
        self.player.stop();
        *self.last_phrase() = None;
    }

    fn last_phrase(&self) -> std::sync::MutexGuard<'_, Option<Phrase>> {
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
