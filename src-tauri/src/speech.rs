//! Spoken guidance for the customer screens: thin commands over
//! `dayfusion-speech`. Any screen may speak (the customer turns it on); the
//! text is checked, said offline and never logged.

use std::sync::Arc;

use dayfusion_ipc::{CommandError, ErrorCode, SpeechRequest, SpokenPhrase};
use dayfusion_speech::{Phrase, Speaker, SpeechError};
use tauri::Manager;

use crate::commands::CommandResult;
use crate::state::KioskState;

/// Says `request` through the kiosk's audio, cutting the phrase playing.
#[tauri::command]
pub async fn speak(app: tauri::AppHandle, request: SpeechRequest) -> CommandResult<SpokenPhrase> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        let phrase = Phrase::new(
            &request.phrase_id,
            &request.text,
            request.language,
            request.personal,
        )
        .map_err(speech_error)?;
        let spoken = speaker(&state)?.say(phrase).map_err(speech_error)?;
        Ok(SpokenPhrase {
            duration_ms: u32::try_from(spoken.duration.as_millis()).unwrap_or(u32::MAX),
            cached: spoken.cached,
        })
    })
    .await
    .map_err(|e| CommandError {
        code: ErrorCode::Internal,
        detail: format!("speech task failed: {e}"),
    })?
}

/// Stops the phrase playing (off the main thread: it waits for the player
/// to let go of the device).
#[tauri::command]
pub async fn speech_stop(app: tauri::AppHandle) {
    let _ = tauri::async_runtime::spawn_blocking(move || {
        let speaker = lock(&app.state::<KioskState>()).clone();
        if let Some(speaker) = speaker {
            speaker.stop();
        }
    })
    .await;
}

/// The kiosk's speaker, made once, on first use (under the lock: two first
/// phrases make one speaker, and one cache clean-up).
fn speaker(state: &KioskState) -> CommandResult<Arc<Speaker>> {
    let mut held = lock(state);
    if let Some(speaker) = held.as_ref() {
        return Ok(speaker.clone());
    }
    let made = Arc::new(Speaker::for_kiosk(&state.paths.data_dir).map_err(speech_error)?);
    *held = Some(made.clone());
    Ok(made)
}

fn lock(state: &KioskState) -> std::sync::MutexGuard<'_, Option<Arc<Speaker>>> {
    state
        .speech
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn speech_error(error: SpeechError) -> CommandError {
    CommandError {
        code: match error {
            SpeechError::InvalidPhraseId | SpeechError::InvalidText(_) => ErrorCode::InvalidInput,
            _ => ErrorCode::Speech,
        },
        detail: format!("[{}] {error}", error.code()),
    }
}
