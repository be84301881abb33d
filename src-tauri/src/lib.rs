//! The Tauri 2 shell of DayFusion Kiosk: window, webview policy, settings
//! persistence and thin commands over the GUI-free `dayfusion-core`.

mod args;
mod commands;
mod hardening;
mod housekeeping;
mod liveness;
mod settings_store;
mod speech;
mod staff;
mod state;
mod visit;
mod watchdog;
mod window;

pub use args::KioskArgs;
pub use hardening::{HARDENING_SCRIPT, is_allowed_navigation};
pub use window::camera_only_permission;

use std::process::ExitCode;

use clap::Parser;
use dayfusion_core::paths::KioskPaths;
use tauri::Manager;

/// Exit status of "Sair do modo quiosque": distinct from a clean stop (0)
/// and a crash, so the kiosk session (`infra/kiosk-session/`) does not
/// restart the app and opens the maintenance console instead.
pub const STAFF_EXIT_STATUS: i32 = 10;

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
    // One kiosk per data folder: a second launch would fight over the
    // camera and the stores.
    let _instance = match single_instance(&paths) {
        Ok(lock) => lock,
        Err(e) => {
            eprintln!("dayfusion-kiosk: {e}");
            return ExitCode::from(3);
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

    let built = tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::default().build())
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::health_report,
            commands::get_settings,
            commands::privacy_notice,
            speech::speak,
            speech::speech_stop,
            commands::save_settings,
            commands::pin_camera,
            commands::report_camera_state,
            commands::liveness_credentials,
            commands::aws_liveness_session,
            commands::sync_status,
            liveness::liveness_start,
            liveness::liveness_session,
            liveness::liveness_frame,
            liveness::liveness_finish,
            visit::visit_begin,
            visit::qr_code,
            visit::visit_print_receipt,
            visit::visit_touch,
            visit::visit_consent,
            visit::visit_document_file,
            visit::visit_media_list,
            visit::visit_media_browse,
            visit::visit_document_media,
            visit::visit_document_inbox,
            visit::visit_document_scan,
            visit::visit_document_image,
            visit::document_frame_quality,
            visit::visit_confirm_document,
            visit::visit_retake_document,
            visit::visit_liveness_session,
            visit::visit_complete,
            visit::visit_end,
            staff::staff_status,
            staff::staff_change_pin,
            staff::staff_sign_in,
            staff::staff_sign_out,
            staff::review_queue,
            staff::review_detail,
            staff::review_resolve,
            staff::exit_kiosk,
            staff::aws_connection,
            staff::save_aws_connection,
            staff::aws_doctor,
            watchdog::watchdog_pong,
        ])
        .setup(move |app| {
            let handle = app.handle();
            let store = settings_store::SettingsStore::open(handle, &paths)?;
            let staff = dayfusion_staff::StaffDirectory::open(&paths.data_dir)?;
            // Field mode (a laptop) is windowed like `--windowed`.
            let mut args = args.clone();
            if store.get().mode == dayfusion_ipc::KioskMode::Field {
                args.windowed = true;
                tracing::info!(
                    event = "field_mode",
                    "field mode: windowed, operator sign-in required"
                );
            }
            app.manage(state::KioskState::new(paths.clone(), store, staff, &args));
            if let Some(housekeeper) = housekeeping::start(handle, &paths) {
                let _ = app
                    .state::<state::KioskState>()
                    .housekeeper
                    .set(housekeeper);
            }
            window::build_main_window(handle, &args)?;
            watchdog::start(handle);
            expire_idle_visits(handle.clone());
            Ok(())
        })
        .build(tauri::generate_context!());

    match built {
        // `run_return`, not `run`: `run` ends the process from inside the
        // event loop, so the code below (the last log lines, the instance
        // lock) would never run, and "Sair do modo quiosque" must reach the
        // kiosk session as STAFF_EXIT_STATUS.
        Ok(app) => {
            let code = app.run_return(|_, _| {});
            tracing::info!(event = "app_exit", code, "kiosk stopped");
            ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        Err(e) => {
            tracing::error!(event = "app_crash", error = %e, "kiosk failed");
            eprintln!("dayfusion-kiosk: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Holds `<data>/kiosk.lock` for the life of the process; refused when
/// another kiosk holds it.
fn single_instance(paths: &KioskPaths) -> Result<std::fs::File, String> {
    let path = paths.data_dir.join("kiosk.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => {
            Err("another DayFusion Kiosk is already running on this data folder".into())
        }
        Err(std::fs::TryLockError::Error(e)) => Err(format!("cannot lock {}: {e}", path.display())),
    }
}

/// Every 15 s, ends a customer visit nobody touched for the desk's grace
/// time (a frozen or crashed screen must not keep a customer's data).
fn expire_idle_visits(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
        loop {
            tick.tick().await;
            let state = app.state::<state::KioskState>();
            let desk = state
                .desk
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .map(|(_, desk)| desk.clone());
            if let Some(desk) = desk {
                let _ = tauri::async_runtime::spawn_blocking(move || {
                    desk.expire_idle(std::time::Instant::now())
                })
                .await;
            }
        }
    });
}
