//! Tauri commands: thin adapters from IPC to the core. Each one is granted to
//! the webview explicitly in `capabilities/kiosk.json`.

use std::sync::Arc;

use dayfusion_aws::{AwsContext, AwsError, AwsSettings};
use dayfusion_ipc::{
    AppInfo, AwsLivenessSession, BackendMode, CameraReport, CommandError, ErrorCode, HealthReport,
    KioskSettings, LivenessCredentials, PrivacyNotice, SyncStatus,
};
use tauri::State;

use crate::{settings_store::StoreError, state::KioskState};

pub(crate) type CommandResult<T> = Result<T, CommandError>;

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        match &e {
            // `[inbox-data-folder] …`: the screens map the code to a text.
            StoreError::Invalid(invalid) => CommandError {
                code: ErrorCode::InvalidInput,
                detail: format!("[{}] {e}", invalid.code()),
            },
            StoreError::Open(_) | StoreError::Save(_) => CommandError {
                code: ErrorCode::SettingsStore,
                detail: e.to_string(),
            },
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
pub async fn health_report(app: tauri::AppHandle) -> CommandResult<HealthReport> {
    // Asks the OS keyring (D-Bus) and probes bubblewrap: off the async runtime.
    tauri::async_runtime::spawn_blocking(move || {
        use tauri::Manager;
        crate::housekeeping::health_now(&app.state::<KioskState>())
    })
    .await
    .map_err(|e| CommandError {
        code: ErrorCode::Internal,
        detail: format!("health report task failed: {e}"),
    })
}

/// The health check of how PDF scans are parsed.
/// The persisted kiosk settings.
#[tauri::command]
pub fn get_settings(state: State<'_, KioskState>) -> KioskSettings {
    state.settings.get()
}

/// The controller and DPO for the consent screen (`privacy.json`, read
/// afresh): `None` without a usable notice (the screen's generic text).
#[tauri::command]
pub async fn privacy_notice(app: tauri::AppHandle) -> CommandResult<Option<PrivacyNotice>> {
    tauri::async_runtime::spawn_blocking(move || {
        use tauri::Manager;
        dayfusion_core::privacy::for_consent_screen(&app.state::<KioskState>().paths)
    })
    .await
    .map_err(|e| CommandError {
        code: ErrorCode::Internal,
        detail: format!("privacy notice task failed: {e}"),
    })
}

/// Validates and persists new settings (admins only: `token` of a signed-in
/// admin); the change is an audit event naming the account and the settings
/// that changed. Returns what was stored.
#[tauri::command]
pub fn save_settings(
    state: State<'_, KioskState>,
    settings: KioskSettings,
    token: String,
) -> CommandResult<KioskSettings> {
    let who = crate::staff::permitted(&state, &token, dayfusion_staff::Permission::Administer)?;
    let _change = lock_settings_change(&state);
    store_settings_locked(&state, &who, settings)
}

/// Pins the camera the webview names `label` (admins only: `token`): the
/// kiosk finds its V4L2 device (a virtual, unknown, ambiguous or non-USB
/// camera is refused with `[camera-…]`), saves its USB ids and serial as
/// `camera_pin` and from then on lets only that camera film a liveness
/// check. An audit event names the account and the pin. Returns what was
/// stored.
#[tauri::command]
pub fn pin_camera(
    state: State<'_, KioskState>,
    label: String,
    token: String,
) -> CommandResult<KioskSettings> {
    let who = crate::staff::permitted(&state, &token, dayfusion_staff::Permission::Administer)?;
    // A label is a device name (V4L2 card names are at most 31 bytes,
    // Chromium adds ` (vvvv:pppp)`): anything longer or with control
    // characters names no camera.
    if label.len() > dayfusion_core::settings::MAX_CAMERA_ID_LEN
        || label.chars().any(char::is_control)
    {
        return Err(CommandError {
            code: ErrorCode::InvalidInput,
            detail: "[camera-unknown] not a camera label".into(),
        });
    }
    let pin = state
        .cameras
        .pin_for(&label)
        .map_err(|refusal| CommandError {
            code: ErrorCode::InvalidInput,
            detail: format!("[{}] {refusal}", refusal.code()),
        })?;
    let _change = lock_settings_change(&state);
    let settings = KioskSettings {
        camera_pin: Some(pin.to_string()),
        ..state.settings.get()
    };
    store_settings_locked(&state, &who, settings)
}

/// One settings change at a time: read, save and the pin applied to the
/// capture happen together (two admins saving at once cannot leave the
/// settings with one pin and the capture with another).
fn lock_settings_change(state: &KioskState) -> std::sync::MutexGuard<'_, ()> {
    state
        .settings_change
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Saves `settings` for `who` (under [`lock_settings_change`]): validated
/// and persisted, the camera pin applied to the running capture,
/// housekeeping nudged, and one `settings.changed` audit event with what
/// changed.
fn store_settings_locked(
    state: &KioskState,
    who: &dayfusion_staff::SignedIn,
    settings: KioskSettings,
) -> CommandResult<KioskSettings> {
    let before = state.settings.get();
    let saved = state.settings.save(settings)?;
    state
        .cameras
        .set_pin(dayfusion_capture::camera::effective_pin(
            saved.camera_pin.as_deref(),
            state.environment_camera_pin.clone(),
        ));
    // A new kiosk id moves the S3 folder; a new retention may purge.
    crate::housekeeping::nudge(state);
    let changed = changed_fields(&before, &saved);
    tracing::info!(event = "settings_saved", account = %who.account, backend = ?saved.backend, "staff saved the settings");
    if changed.as_object().is_some_and(|m| !m.is_empty()) {
        crate::staff::audit(
            state,
            who,
            "settings.changed",
            serde_json::json!({ "changed": changed }),
        )?;
    }
    Ok(saved)
}

/// The settings (by their IPC names) whose values differ, with both values.
fn changed_fields(before: &KioskSettings, after: &KioskSettings) -> serde_json::Value {
    let (Ok(serde_json::Value::Object(old)), Ok(serde_json::Value::Object(new))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return serde_json::Value::Null;
    };
    let mut changed = serde_json::Map::new();
    for (key, value) in &new {
        let previous = old.get(key).cloned().unwrap_or(serde_json::Value::Null);
        if &previous != value {
            changed.insert(
                key.clone(),
                serde_json::json!({ "from": previous, "to": value }),
            );
        }
    }
    serde_json::Value::Object(changed)
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

/// Liveness sessions and the webview's AWS credentials exist only for a
/// customer's open visit or a signed-in staff member's liveness check.
pub(crate) fn liveness_allowed(state: &KioskState) -> CommandResult<()> {
    let visit_open = state
        .desk
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
        .is_some_and(|(_, desk)| desk.has_visit());
    let staff_here = state.staff_sessions.any_active(
        std::time::Instant::now(),
        dayfusion_staff::Permission::Inspect,
    );
    if visit_open || staff_here {
        Ok(())
    } else {
        tracing::warn!(
            event = "liveness_refused_no_visit",
            "liveness asked for with no visit or staff check"
        );
        Err(CommandError {
            code: ErrorCode::InvalidInput,
            detail: "[no-visit] liveness needs an open visit or a staff check".into(),
        })
    }
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
    // The kiosk's objects live in its own S3 folder, named by its id.
    let kiosk_id = state.settings.get().kiosk_id;
    if let Some(ctx) = slot.as_ref()
        && ctx.settings.kiosk_id.as_deref() == Some(kiosk_id.as_str())
    {
        return Ok(ctx.clone());
    }
    let settings = AwsSettings::load(&state.paths.data_dir)
        .map_err(aws_error)?
        .with_kiosk(kiosk_id);
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
        liveness_allowed(&state)?;
        let settings = state.settings.get();
        if settings.backend != BackendMode::Aws {
            return Err(CommandError {
                code: ErrorCode::InvalidInput,
                detail: "liveness credentials exist only on the AWS backend".into(),
            });
        }
        let ctx = aws_context(&state)?;
        let mut credentials =
            dayfusion_aws::webview_credentials(&ctx, &settings.kiosk_id).map_err(aws_error)?;
        // The endpoint fixed when the app started, the one the webview's
        // CSP allows (a changed `aws.toml` applies after a restart; in
        // debug builds the test switch's fake).
        credentials.endpoint = app
            .try_state::<crate::window::LivenessStreaming>()
            .and_then(|s| s.endpoint.as_ref().map(|e| e.origin().to_owned()));
        tracing::info!(event = "liveness_credentials_issued", expiration = %credentials.expiration, endpoint = credentials.endpoint.as_deref().unwrap_or("public"));
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
        liveness_allowed(&state)?;
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

/// How far the kiosk's records are from AWS: what waits, what fails, when
/// a transaction last arrived, whether the sync service is offline and the
/// oldest waiting one overdue (read-only; no network).
#[tauri::command]
pub async fn sync_status(state: State<'_, KioskState>) -> CommandResult<SyncStatus> {
    read_sync_status(&state).await
}

async fn read_sync_status(state: &KioskState) -> CommandResult<SyncStatus> {
    let log_path = state.paths.log_file();
    let mut status = if log_path.exists() {
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
        })?
    } else {
        SyncStatus::default()
    };
    crate::housekeeping::complete_status(state, &mut status);
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dayfusion_core::settings::{InboxError, KioskFolder, SettingsError};

    #[test]
    fn a_bad_inbox_is_refused_with_its_code() {
        let refused = CommandError::from(StoreError::Invalid(SettingsError::Inbox(
            InboxError::KioskFolder {
                folder: KioskFolder::Data,
                path: "/var/lib/dayfusion".into(),
            },
        )));
        assert_eq!(refused.code, ErrorCode::InvalidInput);
        assert!(
            refused.detail.starts_with(
                "[inbox-data-folder] the document inbox cannot be the kiosk's data folder"
            ),
            "{}",
            refused.detail
        );
    }

    #[test]
    fn document_parsing_is_reported_in_health() {
        let check = dayfusion_visit::confinement_report().health_check();
        assert_eq!(check.id, dayfusion_ipc::HealthCheckId::DocumentParsing);
        assert!(
            check.detail.starts_with("confined with bubblewrap")
                || check.detail.starts_with("limits only")
                || check.detail.starts_with("PDF scans refused"),
            "{}",
            check.detail
        );
    }
}
