//! Tauri commands of the local liveness capture: thin adapters over
//! [`dayfusion_capture::CaptureService`]. Frames arrive as raw IPC bodies
//! (JPEG bytes, not base64 JSON) with the session, capture time and shown
//! colour in headers.

use std::sync::Arc;

use dayfusion_capture::{CaptureService, FrameHeader};
use dayfusion_ipc::{
    CommandError, ErrorCode, Language, LivenessChallenge, LivenessFrameFeedback,
    LivenessSessionInfo, LivenessSummary,
};
use dayfusion_liveness::challenge::ChallengeKind;
use dayfusion_liveness::{LivenessEngine, LivenessSettings};
use dayfusion_verify::embedded::LiveSessions;
use tauri::{AppHandle, Manager, ipc::InvokeBody};

use crate::state::{KioskState, LocalEngines};

type CommandResult<T> = Result<T, CommandError>;

fn internal(what: &str, e: impl std::fmt::Display) -> CommandError {
    CommandError {
        code: ErrorCode::Internal,
        detail: format!("{what}: {e}"),
    }
}

fn locale_of(lang: Option<Language>) -> &'static str {
    match lang.unwrap_or_default() {
        Language::PtBr => "pt-BR",
        Language::En => "en",
    }
}

/// The face engine and capture service, made on first use: loading the
/// face models takes a moment, so callers run on a blocking thread.
pub fn engines(state: &KioskState) -> CommandResult<LocalEngines> {
    let mut slot = state
        .engines
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(engines) = slot.as_ref() {
        return Ok(engines.clone());
    }
    let models = state.paths.models_dir();
    let faces = Arc::new(
        dayfusion_face::FaceEngine::load(&models).map_err(|e| CommandError {
            code: ErrorCode::Liveness,
            detail: format!("[models-missing] {e}"),
        })?,
    );
    let engine = Arc::new(LivenessEngine::new(faces.clone()));
    // The kiosk's one attempt limiter: the visit desk counts in it too.
    let capture = Arc::new(
        CaptureService::with_limiter(
            Arc::new(LiveSessions::new(engine, LivenessSettings::default())),
            state.attempts.clone(),
        )
        .with_cameras(state.cameras.clone()),
    );
    let engines = LocalEngines { faces, capture };
    *slot = Some(engines.clone());
    Ok(engines)
}

fn capture(state: &KioskState) -> CommandResult<Arc<CaptureService>> {
    engines(state).map(|e| e.capture)
}

/// Runs `f` with the capture service on a blocking thread.
async fn with_capture<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&CaptureService) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        let service = capture(&state)?;
        f(&service)
    })
    .await
    .map_err(|e| internal("liveness task failed", e))?
}

/// Opens a local liveness session with a new random challenge (refused
/// after five failed attempts in three minutes).
#[tauri::command]
pub async fn liveness_start(
    app: AppHandle,
    lang: Option<Language>,
    audit_images: Option<u8>,
    challenge: Option<LivenessChallenge>,
) -> CommandResult<LivenessSessionInfo> {
    crate::commands::liveness_allowed(&app.state::<KioskState>())?;
    with_capture(app, move |service| {
        let settings = LivenessSettings {
            audit_images_limit: audit_images
                .unwrap_or(LivenessSettings::default().audit_images_limit),
            locale: locale_of(lang).to_owned(),
            challenge: challenge_kind(challenge.unwrap_or_default()),
        };
        service.start(settings).map_err(|e| e.to_command_error())
    })
    .await
}

/// The oval a session the flow opened asks for now (its challenge is revealed frame by frame).
#[tauri::command]
pub async fn liveness_session(
    app: AppHandle,
    session_id: String,
) -> CommandResult<LivenessSessionInfo> {
    with_capture(app, move |service| {
        service
            .describe(&session_id)
            .map_err(|e| e.to_command_error())
    })
    .await
}

/// Analyses one camera frame: the raw IPC body is the JPEG, the headers
/// carry the session, capture time and colour on screen.
#[tauri::command]
pub async fn liveness_frame(
    app: AppHandle,
    request: tauri::ipc::Request<'_>,
) -> CommandResult<LivenessFrameFeedback> {
    let header = FrameHeader::from_headers(|name| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    })
    .map_err(|e| e.to_command_error())?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError {
            code: ErrorCode::Liveness,
            detail: "[bad-frame] frames are sent as raw bytes".into(),
        });
    };
    let bytes = bytes.clone();
    with_capture(app, move |service| {
        service
            .frame(&header, &bytes)
            .map_err(|e| e.to_command_error())
    })
    .await
}

/// Ends the session; the outcome stays for the verification flow, the UI
/// gets a summary without scores.
#[tauri::command]
pub async fn liveness_finish(
    app: AppHandle,
    session_id: String,
    lang: Option<Language>,
) -> CommandResult<LivenessSummary> {
    with_capture(app, move |service| {
        service
            .finish(&session_id, locale_of(lang))
            .map_err(|e| e.to_command_error())
    })
    .await
}

/// The engine's challenge for the one the webview names.
pub(crate) fn challenge_kind(challenge: LivenessChallenge) -> ChallengeKind {
    match challenge {
        LivenessChallenge::MovementAndLight => ChallengeKind::MovementAndLight,
        LivenessChallenge::Movement => ChallengeKind::Movement,
    }
}
