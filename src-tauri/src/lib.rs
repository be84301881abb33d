//! The Tauri 2 shell of DayFusion Kiosk: window, webview policy, settings
//! persistence and thin commands over the GUI-free `dayfusion-core`.

mod args;
mod commands;
mod hardening;
mod liveness;
mod settings_store;
mod state;
mod window;

pub use args::KioskArgs;
pub use hardening::{HARDENING_SCRIPT, is_allowed_navigation};
pub use window::camera_only_permission;

use std::process::ExitCode;

use clap::Parser;
use dayfusion_core::paths::KioskPaths;
use tauri::Manager;

/// Starts the kiosk; returns the process exit code.
pub fn run() -> ExitCode {
    let args = KioskArgs::parse();
    if let Err(refusal) = args.check_allowed(cfg!(debug_assertions)) {
        eprintln!("dayfusion-kiosk: {refusal}");
        return ExitCode::from(2);
    }
    let paths = match KioskPaths::resolve()
        .map_err(anyhow::Error::from)
        .and_then(|p| {
            p.ensure()?;
            Ok(p)
        }) {
        Ok(paths) => paths,
        Err(e) => {
            eprintln!("dayfusion-kiosk: cannot prepare data folders: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let _log_guard = match dayfusion_core::logging::init(&paths.log_dir, cfg!(debug_assertions)) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("dayfusion-kiosk: cannot start logging: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        event = "app_start",
        version = dayfusion_core::VERSION,
        windowed = args.windowed,
        mock_camera = args.mock_camera,
        hardened = args.hardened(cfg!(debug_assertions)),
        "kiosk starting"
    );

    let result = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::health_report,
            commands::get_settings,
            commands::save_settings,
            commands::report_camera_state,
            commands::liveness_credentials,
            commands::aws_liveness_session,
            commands::sync_status,
            liveness::liveness_start,
            liveness::liveness_session,
            liveness::liveness_frame,
            liveness::liveness_finish,
        ])
        .setup(move |app| {
            let handle = app.handle();
            let store = settings_store::SettingsStore::open(handle, &paths)?;
            app.manage(state::KioskState::new(paths.clone(), store, &args));
            window::build_main_window(handle, &args)?;
            Ok(())
        })
        .run(tauri::generate_context!());

    match result {
        Ok(()) => {
            tracing::info!(event = "app_exit", "kiosk stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(event = "app_crash", error = %e, "kiosk failed");
            eprintln!("dayfusion-kiosk: {e}");
            ExitCode::FAILURE
        }
    }
}
