//! Declares the app's own commands so that capabilities must grant each one
//! explicitly (see `capabilities/kiosk.json`).

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "health_report",
        "get_settings",
        "save_settings",
        "report_camera_state",
        "liveness_credentials",
        "aws_liveness_session",
        "sync_status",
        "liveness_start",
        "liveness_session",
        "liveness_frame",
        "liveness_finish",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
