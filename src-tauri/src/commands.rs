//! Tauri commands: thin adapters from IPC to the core. Each one is granted to
//! the webview explicitly in `capabilities/kiosk.json`.

use dayfusion_core::health::{self, HealthInputs};
use dayfusion_ipc::{AppInfo, CameraReport, CommandError, ErrorCode, HealthReport, KioskSettings};
use tauri::State;

use crate::{settings_store::StoreError, state::KioskState};

type CommandResult<T> = Result<T, CommandError>;

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::Invalid(_) => ErrorCode::InvalidInput,
            StoreError::Open(_) | StoreError::Save(_) => ErrorCode::SettingsStore,
        };
        CommandError {
            code,
            detail: e.to_string(),
        }
    }
}

/// Name, version and launch mode of the running kiosk.
#[tauri::command]
pub fn app_info(state: State<'_, KioskState>) -> AppInfo {
    state.info.clone()
}

/// Runs every health check in the core and returns the summary.
#[tauri::command]
pub async fn health_report(state: State<'_, KioskState>) -> CommandResult<HealthReport> {
    let camera = *state
        .camera
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let inputs = HealthInputs {
        paths: &state.paths,
        settings_store: state.settings.health(),
        backend: state.settings.get().backend,
        camera: Some(camera.unwrap_or(CameraReport {
            state: dayfusion_ipc::CameraState::Unknown,
            device_count: 0,
            width: None,
            height: None,
            frame_rate: None,
        })),
    };
    Ok(health::check(&inputs))
}

/// The persisted kiosk settings.
#[tauri::command]
pub fn get_settings(state: State<'_, KioskState>) -> KioskSettings {
    state.settings.get()
}

/// Validates and persists new settings; returns what was stored.
#[tauri::command]
pub fn save_settings(
    state: State<'_, KioskState>,
    settings: KioskSettings,
) -> CommandResult<KioskSettings> {
    Ok(state.settings.save(settings)?)
}

/// Records what the webview saw when it opened the camera (for health and logs).
#[tauri::command]
pub fn report_camera_state(state: State<'_, KioskState>, report: CameraReport) {
    tracing::info!(
        event = "camera_state",
        state = ?report.state,
        devices = report.device_count,
        width = report.width,
        height = report.height,
        fps = report.frame_rate,
        "camera state reported by the webview"
    );
    *state
        .camera
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(report);
}
