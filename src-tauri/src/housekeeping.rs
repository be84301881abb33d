//! The app's background upkeep (`dayfusion-housekeeping`): started with the
//! app, woken after each decision, review and AWS settings change, and read
//! by the staff home and health.

use dayfusion_core::health::{self, HealthInputs};
use dayfusion_core::paths::KioskPaths;
use dayfusion_evidence::KeySource;
use dayfusion_housekeeping::{
    Housekeeper, HousekeepingConfig, KioskFacts, Schedule, default_connector,
};
use dayfusion_ipc::{CameraReport, CameraState, HealthReport, SyncStatus};
use tauri::{AppHandle, Manager};

use crate::state::KioskState;

/// The kiosk's id, retention and health, read afresh at each step (staff
/// may change the settings while the app runs).
struct AppFacts {
    app: AppHandle,
}

impl KioskFacts for AppFacts {
    fn kiosk_id(&self) -> String {
        self.app.state::<KioskState>().settings.get().kiosk_id
    }

    fn retention_days(&self) -> u32 {
        self.app.state::<KioskState>().settings.get().retention_days
    }

    fn health(&self) -> Option<HealthReport> {
        Some(health_now(&self.app.state::<KioskState>()))
    }
}

/// Every health check, as the staff screen shows them (and the heartbeat
/// summarises). Blocking: asks the OS keyring, probes bubblewrap once,
/// reads the log.
pub fn health_now(state: &KioskState) -> HealthReport {
    let camera = *state
        .camera
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let settings = state.settings.get();
    let inputs = HealthInputs {
        paths: &state.paths,
        settings_store: state.settings.health(),
        backend: settings.backend,
        camera: Some(camera.unwrap_or(CameraReport {
            state: CameraState::Unknown,
            device_count: 0,
            width: None,
            height: None,
            frame_rate: None,
        })),
        evidence_key: dayfusion_visit::evidence_key_state(
            &state.paths.evidence_dir(),
            settings.backend,
        ),
    };
    let mut report = health::check(&inputs);
    health::add_check(&mut report, state.attempts.health_check());
    health::add_check(
        &mut report,
        dayfusion_visit::confinement_report().health_check(),
    );
    health::add_check(
        &mut report,
        dayfusion_models::health_check(
            &state.paths.models_dir(),
            settings.backend == dayfusion_ipc::BackendMode::Embedded,
        ),
    );
    let log_path = state.paths.log_file();
    let status = if log_path.exists() {
        dayfusion_ledger::SqliteLog::open_read_only(&log_path)
            .and_then(|log| dayfusion_aws::sync_status(&log))
            .ok()
    } else {
        Some(SyncStatus::default())
    };
    if let Some(mut status) = status {
        complete_status(state, &mut status);
        if let Some(check) = health::aws_sync(&status, settings.sync_alert_hours) {
            health::add_check(&mut report, check);
        }
    }
    report
}

/// Starts the upkeep once the state is managed; `None` (logged) when the
/// evidence key's location is misconfigured, since the upkeep would fail
/// the same way the visits will.
pub fn start(app: &AppHandle, paths: &KioskPaths) -> Option<Housekeeper> {
    let key_source = match KeySource::from_env() {
        Ok(source) => source,
        Err(e) => {
            tracing::error!(event = "housekeeping_not_started", error = %e, "evidence key setting invalid");
            return None;
        }
    };
    let config = HousekeepingConfig {
        data_dir: paths.data_dir.clone(),
        log_file: paths.log_file(),
        evidence_dir: paths.evidence_dir(),
        key_source,
        schedule: Schedule::default(),
        connect: default_connector(),
    };
    tracing::info!(event = "housekeeping_started", "sync and retention running");
    Some(Housekeeper::start(
        config,
        std::sync::Arc::new(AppFacts { app: app.clone() }),
    ))
}

/// Asks the upkeep for a sync round now (a decision, a review, new AWS
/// settings); nothing when it is not running.
pub fn nudge(state: &KioskState) {
    if let Some(housekeeper) = state.housekeeper.get() {
        housekeeper.nudge();
    }
}

/// `status` with what the running service knows (offline, its own
/// failure) and whether the oldest waiting transaction is overdue by the
/// kiosk's setting. An unreadable `aws.toml` counts as settings that do
/// not work, not as no settings.
pub fn complete_status(state: &KioskState, status: &mut SyncStatus) {
    let configured = dayfusion_aws::config::configured(&state.paths.data_dir);
    status.aws_configured = configured != Some(false);
    let service = state.housekeeper.get().map(Housekeeper::state);
    status.offline = service.as_ref().is_some_and(|s| s.offline);
    status.service_error = match (&configured, &service) {
        (None, _) => Some("aws-settings-invalid".to_owned()),
        (_, None) => Some("sync-service-not-running".to_owned()),
        // An outage shows as `offline`; anything else the service met.
        (_, Some(s)) => s
            .last_error
            .clone()
            .filter(|code| !(s.offline && code == "aws-unreachable"))
            .or_else(|| s.purge_error.clone()),
    };
    dayfusion_aws::mark_overdue(
        status,
        state.settings.get().sync_alert_hours,
        time::OffsetDateTime::now_utc(),
    );
}
