//! The speaker: synthesis through the cache, then playback, one phrase at a
//! time and in the order asked.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
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
    /// Held from synthesis to playback: phrases never overlap and play in
    /// the order asked (a newer one cuts an older one, never the reverse).
    turn: Mutex<()>,
    /// Bumped by `stop`: a phrase still being made when the visit ended is
    /// never played.
    generation: AtomicU64,
    /// Each phrase's place in line as asked, and the latest one played: a
    /// phrase overtaken by a newer one is dropped, never played over it.
    next_ticket: AtomicU64,
    played_ticket: AtomicU64,
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
            turn: Mutex::new(()),
            generation: AtomicU64::new(0),
            next_ticket: AtomicU64::new(0),
            played_ticket: AtomicU64::new(0),
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
        let ticket = self.next_ticket.fetch_add(1, Ordering::SeqCst) + 1;
        let asked_in = self.generation.load(Ordering::SeqCst);
        let _turn = self
            .turn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let still_wanted = || {
            self.generation.load(Ordering::SeqCst) == asked_in
                && self.played_ticket.load(Ordering::SeqCst) < ticket
        };
        if !still_wanted() {
            return Err(SpeechError::Stopped);
        }
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
            if !phrase.personal && self.cache.make_room(&temp) {
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
        // Stopped meanwhile (the visit ended) or overtaken: not said.
        self.player.play_if(&file, temporary, still_wanted)?;
        self.played_ticket.fetch_max(ticket, Ordering::SeqCst);
        tracing::info!(
            event = "speech_phrase",
            phrase = %phrase.id,
            language = ?phrase.language,
            duration_ms = duration.as_millis() as u64,
            cached,
            "phrase said"
        );
        Ok(Spoken {
            id: phrase.id,
            duration,
            cached,
        })
    }

    /// Stops speaking; a phrase asked for before and still being made is
    /// dropped (the visit ended).
    pub fn stop(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.player.stop();
    }
}
