//! State shared by the kiosk's commands.

use std::sync::{Arc, Mutex};

use dayfusion_core::paths::KioskPaths;
use dayfusion_ipc::{AppInfo, BuildProfile, CameraReport};

use crate::{args::KioskArgs, settings_store::SettingsStore};

/// Everything the commands need, managed by Tauri.
pub struct KioskState {
    /// The kiosk's folders.
    pub paths: KioskPaths,
    /// Persisted settings.
    pub settings: SettingsStore,
    /// Last camera report from the webview.
    pub camera: Mutex<Option<CameraReport>>,
    /// Facts about this build and launch.
    pub info: AppInfo,
    /// The AWS connection, made on first use in AWS mode (the settings in
    /// `<data>/aws.toml` / `DAYFUSION_AWS_*` and the default credential chain).
    pub aws: Mutex<Option<Arc<dayfusion_aws::AwsContext>>>,
    /// The local face engine and liveness capture service, made on first
    /// use (they load the face models).
    pub engines: Mutex<Option<LocalEngines>>,
    /// The customer visit desk and the settings it was opened with.
    pub desk: Mutex<
        Option<(
            dayfusion_ipc::KioskSettings,
            Arc<dayfusion_visit::VisitDesk>,
        )>,
    >,
    /// The staff accounts (`staff.json`, shared with the CLI).
    pub staff: dayfusion_staff::StaffDirectory,
    /// Signed-in staff sessions.
    pub staff_sessions: dayfusion_staff::StaffSessions,
    /// The kiosk's liveness attempt limit (five failures per three minutes),
    /// one for the staff check and the customers' visits on both backends.
    pub attempts: Arc<dayfusion_capture::AttemptLimiter>,
    /// The cameras a liveness check may be filmed with; its pin follows
    /// the settings (the capture service holds a clone sharing it).
    pub cameras: dayfusion_capture::CameraPolicy,
    /// Held while staff change the settings (see `commands::store_settings_locked`).
    pub settings_change: Mutex<()>,
    /// The pin `DAYFUSION_CAMERA_PIN` set at launch, in force while the
    /// settings hold none (read once: the environment does not change).
    pub environment_camera_pin: Option<dayfusion_capture::camera::CameraPin>,
    /// Spoken guidance (espeak-ng, its phrase cache under the data folder),
    /// made on the first phrase.
    pub speech: Mutex<Option<Arc<dayfusion_speech::Speaker>>>,
    /// The ESC/POS receipt printer `DAYFUSION_RECEIPT_PRINTER` names, read
    /// once at launch.
    pub receipt_printer: Option<dayfusion_receipt::ReceiptPrinter>,
    /// The background sync and retention purge, set once the state is
    /// managed (it reads the settings through the app).
    pub housekeeper: std::sync::OnceLock<dayfusion_housekeeping::Housekeeper>,
}

/// The local engines, loaded once.
#[derive(Clone)]
pub struct LocalEngines {
    /// Face detection, portrait, embedding.
    pub faces: Arc<dayfusion_face::FaceEngine>,
    /// Live liveness sessions for the widget and the flow.
    pub capture: Arc<dayfusion_capture::CaptureService>,
}

impl KioskState {
    /// Builds the state for this launch.
    pub fn new(
        paths: KioskPaths,
        settings: SettingsStore,
        staff: dayfusion_staff::StaffDirectory,
        args: &KioskArgs,
    ) -> Self {
        let environment_pin = dayfusion_capture::camera::env_pin();
        let cameras =
            dayfusion_capture::CameraPolicy::with_pin(dayfusion_capture::camera::effective_pin(
                settings.get().camera_pin.as_deref(),
                environment_pin.clone(),
            ));
        Self {
            paths,
            settings,
            camera: Mutex::new(None),
            aws: Mutex::new(None),
            engines: Mutex::new(None),
            desk: Mutex::new(None),
            staff,
            staff_sessions: dayfusion_staff::StaffSessions::default(),
            attempts: Arc::new(dayfusion_capture::AttemptLimiter::default()),
            cameras,
            settings_change: Mutex::new(()),
            environment_camera_pin: environment_pin.clone(),
            housekeeper: std::sync::OnceLock::new(),
            speech: Mutex::new(None),
            receipt_printer: dayfusion_receipt::ReceiptPrinter::from_env(),
            info: AppInfo {
                name: dayfusion_core::PRODUCT_NAME.into(),
                version: dayfusion_core::VERSION.into(),
                build_profile: if cfg!(debug_assertions) {
                    BuildProfile::Debug
                } else {
                    BuildProfile::Release
                },
                windowed: args.windowed,
                mock_camera: args.mock_camera,
                environment_camera_pin: environment_pin.map(|pin| pin.to_string()),
            },
        }
    }
}
