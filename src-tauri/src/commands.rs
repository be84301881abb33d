//! Tauri commands: thin adapters from IPC to the core. Each one is granted to
//! the webview explicitly in `capabilities/kiosk.json`.

use dayfusion_core::health::{self, HealthInputs};
use std::sync::Arc;

use dayfusion_aws::{AwsContext, AwsError, AwsSettings};
use dayfusion_ipc::{
    AppInfo, AwsLivenessSession, BackendMode, CameraReport, CommandError, ErrorCode, HealthReport,
    KioskSettings, LivenessCredentials, SyncStatus,
};
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

/// Validates and persists new settings (staff only: `token` of a signed-in
/// staff session); returns what was stored.
#[tauri::command]
pub fn save_settings(
    state: State<'_, KioskState>,
    settings: KioskSettings,
    token: String,
) -> CommandResult<KioskSettings> {
    crate::staff::signed_in(&state, &token)?;
    tracing::info!(event = "settings_saved", backend = ?settings.backend, "staff saved the settings");
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

/// An AWS failure as a command error: the stable code first, then detail.
pub(crate) fn aws_error(e: AwsError) -> CommandError {
    CommandError {
        code: ErrorCode::Aws,
        detail: format!("[{}] {e}", e.code()),
    }
}

/// The cached AWS connection, made on first use (on a blocking thread: it
/// starts its own runtime).
pub(crate) fn aws_context(state: &KioskState) -> Result<Arc<AwsContext>, CommandError> {
    let mut slot = state
        .aws
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(ctx) = slot.as_ref() {
        return Ok(ctx.clone());
    }
    let settings = AwsSettings::load(&state.paths.data_dir).map_err(aws_error)?;
    let ctx = Arc::new(AwsContext::connect(settings).map_err(aws_error)?);
    *slot = Some(ctx.clone());
    Ok(ctx)
}

/// Temporary credentials for the webview's AWS liveness check, scoped to
/// `rekognition:StartFaceLivenessSession` and valid 15 minutes. Refused on
/// the embedded backend. Never logged.
#[tauri::command]
pub async fn liveness_credentials(app: tauri::AppHandle) -> CommandResult<LivenessCredentials> {
    use tauri::Manager;
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        let settings = state.settings.get();
        if settings.backend != BackendMode::Aws {
            return Err(CommandError {
                code: ErrorCode::InvalidInput,
                detail: "liveness credentials exist only on the AWS backend".into(),
            });
        }
        let ctx = aws_context(&state)?;
        let credentials =
            dayfusion_aws::webview_credentials(&ctx, &settings.kiosk_id).map_err(aws_error)?;
        tracing::info!(event = "liveness_credentials_issued", expiration = %credentials.expiration);
        Ok(credentials)
    })
    .await
    .map_err(|e| CommandError {
        code: ErrorCode::Internal,
        detail: format!("liveness credentials task failed: {e}"),
    })?
}

/// Creates a Rekognition Face Liveness session for the webview's AWS
/// capture (the widget's `provider="aws"`), with the kiosk's settings
/// (audit images, S3 output). Refused on the embedded backend.
#[tauri::command]
pub async fn aws_liveness_session(app: tauri::AppHandle) -> CommandResult<AwsLivenessSession> {
    use tauri::Manager;
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        if state.settings.get().backend != BackendMode::Aws {
            return Err(CommandError {
                code: ErrorCode::InvalidInput,
                detail: "AWS liveness sessions exist only on the AWS backend".into(),
            });
        }
        let ctx = aws_context(&state)?;
        let region = ctx.region().unwrap_or_default().to_owned();
        let start = dayfusion_aws::RekognitionLiveness::new(ctx)
            .create_session_with_token(None)
            .map_err(|e| CommandError {
                code: ErrorCode::Aws,
                detail: format!("[{}] {}", e.code, e.detail),
            })?;
        Ok(AwsLivenessSession {
            session_id: start.session_id,
            region,
        })
    })
    .await
    .map_err(|e| CommandError {
        code: ErrorCode::Internal,
        detail: format!("liveness session task failed: {e}"),
    })?
}

/// How many final transactions still wait to reach AWS (read-only; no
/// network).
#[tauri::command]
pub async fn sync_status(state: State<'_, KioskState>) -> CommandResult<SyncStatus> {
    let log_path = state.paths.data_dir.join("transactions.db");
    if !log_path.exists() {
        return Ok(SyncStatus::default());
    }
    tauri::async_runtime::spawn_blocking(move || {
        let log = dayfusion_ledger::SqliteLog::open_read_only(&log_path)?;
        dayfusion_aws::sync_status(&log)
    })
    .await
    .map_err(|e| CommandError {
        code: ErrorCode::Internal,
        detail: format!("sync status task failed: {e}"),
    })?
    .map_err(|e| CommandError {
        code: ErrorCode::Storage,
        detail: format!("[{}] {e}", e.code()),
    })
}
