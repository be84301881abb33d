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
        "visit_begin",
        "visit_touch",
        "visit_consent",
        "visit_document_file",
        "visit_media_list",
        "visit_media_browse",
        "visit_document_media",
        "visit_document_inbox",
        "visit_document_scan",
        "visit_document_image",
        "document_frame_quality",
        "visit_confirm_document",
        "visit_retake_document",
        "visit_liveness_session",
        "visit_complete",
        "visit_end",
        "staff_status",
        "staff_change_pin",
        "staff_sign_in",
        "staff_sign_out",
        "review_queue",
        "review_detail",
        "review_resolve",
        "exit_kiosk",
        "aws_connection",
        "save_aws_connection",
        "aws_doctor",
        "watchdog_pong",
    ]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .unwrap_or_else(|e| panic!("tauri build step failed: {e:#}"));
}
