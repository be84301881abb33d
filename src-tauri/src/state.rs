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
    /// The local liveness capture service, made on first use (it loads the
    /// face models).
    pub capture: Mutex<Option<Arc<dayfusion_capture::CaptureService>>>,
}

impl KioskState {
    /// Builds the state for this launch.
    pub fn new(paths: KioskPaths, settings: SettingsStore, args: &KioskArgs) -> Self {
        Self {
            paths,
            settings,
            camera: Mutex::new(None),
            aws: Mutex::new(None),
            capture: Mutex::new(None),
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
            },
        }
    }
}
