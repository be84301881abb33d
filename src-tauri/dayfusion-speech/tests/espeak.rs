//! The real engine (Debian's espeak-ng) and player (aplay on ALSA's null
//! device). Skipped with a message when espeak-ng is missing, except in CI.

use std::path::Path;
use std::time::Duration;

use dayfusion_ipc::Language;
use dayfusion_speech::{Phrase, Player, Speaker, SpeechError, Synthesizer};

fn engine_present() -> bool {
    let found = std::process::Command::new("espeak-ng")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "espeak-ng missing in CI: infra/scripts/setup-debian.sh installs it"
        );
        eprintln!("skipped: espeak-ng is not installed (apt-get install espeak-ng alsa-utils)");
    }
    found
}

fn speaker(dir: &Path) -> Result<Speaker, SpeechError> {
    Speaker::new(
        Synthesizer::default(),
        &dir.join("cache"),
        Player::new(Some("null".to_owned())),
    )
}

fn wav_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("cache"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_phrase_is_synthesised_once_then_said_from_the_cache() -> Result<(), Box<dyn std::error::Error>>
{
    if !engine_present() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let speaker = speaker(dir.path())?;
    let phrase = Phrase::new(
        "visit.consent.title",
        "Antes de começar, leia como usamos os seus dados.",
        Language::PtBr,
        false,
    )?;
    let first = speaker.say(phrase.clone())?;
    assert!(!first.cached);
    // About 3 s at 150 words a minute; a wrong voice or an empty file would not be.
    assert!(
        first.duration > Duration::from_millis(1500) && first.duration < Duration::from_secs(8),
        "{:?}",
        first.duration
    );
    assert_eq!(wav_files(dir.path()).len(), 1);
    let again = speaker.say(phrase)?;
    assert!(again.cached);
    assert_eq!(again.duration, first.duration);
    // The same text in English is another voice, another file.
    let english = speaker.say(Phrase::new(
        "visit.consent.title",
        "Antes de começar, leia como usamos os seus dados.",
        Language::En,
        false,
    )?)?;
    assert!(!english.cached);
    assert_eq!(wav_files(dir.path()).len(), 2);
    Ok(())
}

#[test]
fn a_personal_phrase_is_never_kept() -> Result<(), Box<dyn std::error::Error>> {
    if !engine_present() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let speaker = speaker(dir.path())?;
    let spoken = speaker.say(Phrase::new(
        "visit.result.reference",
        "Protocolo 7F3A 91C2",
        Language::PtBr,
        true,
    )?)?;
    assert!(!spoken.cached && spoken.duration > Duration::ZERO);
    // Played on the null device at once, then deleted by the playback thread.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !wav_files(dir.path()).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(wav_files(dir.path()), Vec::<String>::new());
    Ok(())
}

#[test]
fn phrases_from_many_threads_play_one_at_a_time_and_none_after_stop()
-> Result<(), Box<dyn std::error::Error>> {
    if !engine_present() {
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let speaker = std::sync::Arc::new(speaker(dir.path())?);
    let handles: Vec<_> = (0..6)
        .map(|i| {
            let speaker = speaker.clone();
            std::thread::spawn(move || {
                speaker.say(Phrase::new(
                    &format!("phrase.{i}"),
                    &format!("Frase número {i}."),
                    Language::PtBr,
                    i % 2 == 0,
                )?)
            })
        })
        .collect();
    // Each phrase is said, or dropped because a newer one was said first
    // (never two at once, never an older one over a newer one).
    let mut said = 0;
    for handle in handles {
        match handle.join().map_err(|_| "a speaking thread panicked")? {
            Ok(spoken) => {
                said += 1;
                assert!(spoken.duration > Duration::ZERO);
            }
            Err(SpeechError::Stopped) => {}
            Err(e) => return Err(e.into()),
        }
    }
    assert!(said >= 1);
    // No temporary file left once played; at most the three non-personal kept.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while wav_files(dir.path()).iter().any(|f| f.starts_with(".tmp-"))
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let files = wav_files(dir.path());
    assert!(
        files.len() <= 3 && files.iter().all(|f| !f.starts_with(".tmp-")),
        "{files:?}"
    );
    // Stopped, the speaker still says the next phrase.
    speaker.stop();
    assert!(
        speaker
            .say(Phrase::new("after", "Depois.", Language::PtBr, false)?)
            .is_ok()
    );
    Ok(())
}

#[test]
fn a_missing_engine_is_a_clear_error_and_keeps_nothing() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let speaker = Speaker::new(
        Synthesizer::new(dir.path().join("no-such-espeak")),
        &dir.path().join("cache"),
        Player::new(Some("null".to_owned())),
    )?;
    let error = speaker
        .say(Phrase::new("a", "Olá", Language::PtBr, false)?)
        .err();
    assert!(
        matches!(error, Some(SpeechError::EngineMissing { .. })),
        "{error:?}"
    );
    assert_eq!(wav_files(dir.path()), Vec::<String>::new());
    Ok(())
}
