//! Tauri commands of the customer's visit: thin adapters over
//! [`dayfusion_visit::VisitDesk`]. Camera frames of the document arrive as
//! raw IPC bodies (JPEG bytes) with the visit id in a header.

use std::sync::Arc;

use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_ipc::{
    BackendMode, CommandError, DocumentFrameQuality, DocumentPreview, ErrorCode, KioskMode,
    KioskSettings, Language, LivenessChallenge, QrCode, VisitCapture, VisitEnd, VisitInfo,
    VisitLiveness, VisitResult,
};
use dayfusion_ledger::SqliteLog;
use dayfusion_verify::embedded::EmbeddedMatcher;
use dayfusion_verify::{FaceMatcher, PolicySet, Provider};
use dayfusion_visit::document::DocumentSource;
use dayfusion_visit::{DeskConfig, DeskPorts, VisitDesk, VisitError, VisitStart};
use tauri::{AppHandle, Manager, ipc::InvokeBody};

use crate::state::KioskState;

type CommandResult<T> = Result<T, CommandError>;

/// The product kiosk visits verify identities for.
const PRODUCT: &str = "account-opening";

/// A visit refusal as a command error: `[refusal] detail`.
pub fn visit_error(e: &VisitError) -> CommandError {
    CommandError {
        code: ErrorCode::Visit,
        detail: format!("[{}] {e}", e.refusal_code()),
    }
}

fn internal(what: &str, e: impl std::fmt::Display) -> CommandError {
    CommandError {
        code: ErrorCode::Internal,
        detail: format!("{what}: {e}"),
    }
}

fn store_error(e: dayfusion_verify::StoreError) -> CommandError {
    visit_error(&VisitError::from(e))
}

fn lang_code(lang: Option<Language>) -> &'static str {
    match lang.unwrap_or_default() {
        Language::PtBr => "pt-BR",
        Language::En => "en",
    }
}

/// The desk for the current settings, opened on first use; reopened when
/// the settings changed and no customer is at the kiosk.
pub fn desk(state: &KioskState) -> CommandResult<Arc<VisitDesk>> {
    let settings = state.settings.get();
    let mut slot = state
        .desk
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((opened_with, desk)) = slot.as_ref()
        && (*opened_with == settings || desk.has_visit())
    {
        return Ok(desk.clone());
    }
    let desk = Arc::new(open_desk(state, &settings)?);
    *slot = Some((settings, desk.clone()));
    Ok(desk)
}

fn open_desk(state: &KioskState, settings: &KioskSettings) -> CommandResult<VisitDesk> {
    let data = &state.paths.data_dir;
    let policies = PolicySet::load(&state.paths.policy_file()).map_err(|e| CommandError {
        code: ErrorCode::Visit,
        detail: format!("[verification-failed] policy file: {e}"),
    })?;
    let policy = policies
        .get(&settings.policy_id)
        .cloned()
        .ok_or_else(|| CommandError {
            code: ErrorCode::Visit,
            detail: format!("[verification-failed] no policy {:?}", settings.policy_id),
        })?;
    let log = Arc::new(SqliteLog::open(&state.paths.log_file()).map_err(store_error)?);
    let (ports, aws_region) = match settings.backend {
        BackendMode::Embedded => {
            let engines = crate::liveness::engines(state).map_err(|e| CommandError {
                code: ErrorCode::Visit,
                detail: format!("[models-missing] {}", e.detail),
            })?;
            let key_source = KeySource::from_env().map_err(store_error)?;
            let evidence = LocalEvidenceStore::open(&state.paths.evidence_dir(), key_source)
                .map_err(store_error)?;
            let ports = DeskPorts {
                kind: Provider::Embedded,
                liveness: engines.capture.sessions().clone(),
                matcher: Arc::new(EmbeddedMatcher::new(engines.faces.clone())),
                evidence: Arc::new(evidence),
                log,
            };
            (ports, None)
        }
        BackendMode::Aws => {
            let ctx = crate::commands::aws_context(state)?;
            let evidence = dayfusion_aws::S3EvidenceStore::new(ctx.clone())
                .map_err(crate::commands::aws_error)?;
            let ports = DeskPorts {
                kind: Provider::Aws,
                liveness: Arc::new(dayfusion_aws::RekognitionLiveness::new(ctx.clone())),
                matcher: Arc::new(
                    dayfusion_aws::RekognitionMatcher::new(ctx.clone(), policy.similarity_min)
                        .evidence_in(&evidence),
                ),
                evidence: Arc::new(evidence),
                log,
            };
            (ports, ctx.region().map(str::to_owned))
        }
    };
    let config = DeskConfig {
        kiosk_id: settings.kiosk_id.clone(),
        product: PRODUCT.to_owned(),
        policy,
        idle_timeout_seconds: settings.idle_timeout_seconds,
        retention_days: settings.retention_days,
        document_inbox: settings.document_inbox.as_ref().map(Into::into),
        scanner: dayfusion_visit::scanner::available(),
        camera: true,
        aws_region,
        data_dir: data.clone(),
    };
    VisitDesk::open(ports, config)
        .map(|desk| desk.with_attempt_limiter(state.attempts.clone()))
        .map_err(|e| visit_error(&e))
}

/// Runs `f` with the desk on a blocking thread (models, disk, network).
async fn with_desk<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&VisitDesk) -> Result<T, VisitError> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        let desk = desk(&state)?;
        f(&desk).map_err(|e| visit_error(&e))
    })
    .await
    .map_err(|e| internal("visit task failed", e))?
}

/// Begins a customer's visit (the attract screen's "start", or staff
/// home's "assist a customer"). With `token`, a signed-in staff member
/// operates the visit beside the customer and is recorded as the
/// transaction's operator; in field mode that is required, and must be a
/// field agent's (or admin's) session.
#[tauri::command]
pub async fn visit_begin(
    app: AppHandle,
    lang: Option<Language>,
    token: Option<String>,
) -> CommandResult<VisitInfo> {
    let (mut start, backend, syncs, settings_region) = {
        let state = app.state::<KioskState>();
        let settings = state.settings.get();
        let permission = match settings.mode {
            KioskMode::Field => dayfusion_staff::Permission::OperateField,
            KioskMode::Kiosk => dayfusion_staff::Permission::AssistVisit,
        };
        let operator = match token.as_deref() {
            Some(t) => Some(
                crate::staff::operator(&state, t, permission).map_err(|_| operator_required())?,
            ),
            None if settings.mode == KioskMode::Field => return Err(operator_required()),
            None => None,
        };
        let (syncs, settings_region) = match dayfusion_aws::config::AwsSettings::load(
            &state.paths.data_dir,
        ) {
            Ok(aws) => (Some(aws.is_configured()), aws.region),
            Err(e) => {
                tracing::warn!(event = "aws_settings_unreadable", error = %e, "the consent names AWS with an unknown region");
                (None, None)
            }
        };
        let start = VisitStart {
            operator,
            processors: Vec::new(),
            receipt_printer: state.receipt_printer.is_some(),
        };
        (start, settings.backend, syncs, settings_region)
    };
    with_desk(app, move |desk| {
        // The region the SDK resolved (profile, environment) on the AWS
        // backend; else aws.toml's, else the standard environment's.
        let region = desk
            .config()
            .aws_region
            .clone()
            .or(settings_region)
            .or_else(|| std::env::var("AWS_REGION").ok())
            .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok());
        start.processors = dayfusion_aws::processors::for_kiosk(backend, syncs, region.as_deref());
        Ok(desk.begin_with(lang_code(lang), start))
    })
    .await
}

/// Prints the customer's receipt on the kiosk's ESC/POS printer: the
/// decision in the kiosk's own words, the result screen's `lines` (in the
/// visit's language: what to do next, date and kiosk, the controller), then
/// `protocol_label` and the protocol of the visit's decided transaction, as
/// text and as a QR code. Refused (`receipt-failed`) without a printer,
/// before the decision, after three receipts, or when the printer fails.
#[tauri::command]
pub async fn visit_print_receipt(
    app: AppHandle,
    visit_id: String,
    lines: Vec<String>,
    protocol_label: String,
) -> CommandResult<()> {
    let printer = app
        .state::<KioskState>()
        .receipt_printer
        .clone()
        .ok_or_else(|| receipt_failed("no receipt printer on this kiosk"))?;
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        let facts = desk(&state)?
            .receipt_facts(&visit_id)
            .map_err(|e| receipt_failed(format!("{}: {e}", e.refusal_code())))?;
        let receipt = dayfusion_receipt::Receipt {
            headline: facts.headline().to_owned(),
            lines,
            protocol_label,
            protocol: facts.reference,
        };
        let bytes = dayfusion_receipt::encode(&receipt)
            .map_err(|e| receipt_failed(format!("{}: {e}", e.code())))?;
        printer
            .print(&bytes)
            .map_err(|e| receipt_failed(format!("{}: {e}", e.code())))
    })
    .await
    .map_err(|e| internal("receipt task failed", e))?
}

fn receipt_failed(detail: impl std::fmt::Display) -> CommandError {
    CommandError {
        code: ErrorCode::Visit,
        detail: format!("[receipt-failed] {detail}"),
    }
}

/// `text` as a QR code for a customer screen (the protocol, the DPO's
/// contact): at most 256 characters, no control characters (else
/// `out-of-order`, as any malformed request).
#[tauri::command(async)]
pub fn qr_code(text: String) -> CommandResult<QrCode> {
    dayfusion_visit::qr::encode(&text).map_err(|e| visit_error(&e))
}

fn operator_required() -> CommandError {
    CommandError {
        code: ErrorCode::Visit,
        detail: "[operator-required] staff operating a visit must be signed in (in field mode, a field agent)".into(),
    }
}

/// Keeps the visit alive while the customer is active.
#[tauri::command]
pub async fn visit_touch(app: AppHandle, visit_id: String) -> CommandResult<()> {
    with_desk(app, move |desk| desk.touch(&visit_id)).await
}

/// The customer's answer to the consent (declined: the visit ends); an
/// acceptance carries the consent text the screen showed, whose SHA-256 is
/// recorded with the version.
#[tauri::command]
pub async fn visit_consent(
    app: AppHandle,
    visit_id: String,
    accepted: bool,
    text: Option<String>,
) -> CommandResult<()> {
    with_desk(app, move |desk| {
        desk.consent_to(&visit_id, accepted, text.as_deref())
    })
    .await
}

/// The removable media (USB sticks, memory cards) mounted now, for the
/// customer's document picker.
#[tauri::command]
pub async fn visit_media_list(
    app: AppHandle,
    visit_id: String,
) -> CommandResult<Vec<dayfusion_ipc::RemovableMedium>> {
    with_desk(app, move |desk| desk.media_list(&visit_id)).await
}

/// The folders, images and PDFs in folder `path` (relative to the medium's
/// root, `""` for the root) of medium `medium_id`.
#[tauri::command]
pub async fn visit_media_browse(
    app: AppHandle,
    visit_id: String,
    medium_id: String,
    path: String,
) -> CommandResult<dayfusion_ipc::MediaFolder> {
    with_desk(app, move |desk| {
        desk.media_browse(&visit_id, &medium_id, &path)
    })
    .await
}

/// The document from file `path` on medium `medium_id`, picked in the
/// kiosk's own picker.
#[tauri::command]
pub async fn visit_document_media(
    app: AppHandle,
    visit_id: String,
    medium_id: String,
    path: String,
) -> CommandResult<DocumentPreview> {
    with_desk(app, move |desk| {
        desk.take_media_document(&visit_id, &medium_id, &path)
    })
    .await
}

/// The document from a file a member of staff picks in the native dialog
/// (images, PDF scans); `None` when the dialog was closed. Staff only
/// (`token` of a session that may review): the dialog browses everything
/// the kiosk's user can read, so customers get the removable-media picker
/// instead (`visit_media_*`). Refused without an open visit.
#[tauri::command]
pub async fn visit_document_file(
    app: AppHandle,
    window: tauri::WebviewWindow,
    visit_id: String,
    token: String,
) -> CommandResult<Option<DocumentPreview>> {
    crate::staff::permitted(
        &app.state::<KioskState>(),
        &token,
        dayfusion_staff::Permission::Review,
    )?;
    {
        let visit_id = visit_id.clone();
        with_desk(app.clone(), move |desk| desk.touch(&visit_id)).await?;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.run_on_main_thread(move || {
        // Transient for the kiosk window, so it opens above it.
        let picked = rfd::FileDialog::new()
            .set_title("Documento / Document")
            .add_filter(
                "Documento (JPEG, PNG, PDF)",
                &["jpg", "jpeg", "png", "pdf", "JPG", "JPEG", "PNG", "PDF"],
            )
            .set_parent(&window)
            .pick_file();
        let _ = tx.send(picked);
    })
    .map_err(|e| internal("file dialog", e))?;
    let Some(path) = rx.await.map_err(|e| internal("file dialog", e))? else {
        return Ok(None);
    };
    with_desk(app, move |desk| {
        desk.take_document(&visit_id, DocumentSource::File(path))
            .map(Some)
    })
    .await
}

/// The document from the scan-to-folder inbox (the newest scan; deleted once read).
#[tauri::command]
pub async fn visit_document_inbox(
    app: AppHandle,
    visit_id: String,
) -> CommandResult<DocumentPreview> {
    with_desk(app, move |desk| {
        desk.take_document(&visit_id, DocumentSource::Inbox)
    })
    .await
}

/// The document from the SANE scanner.
#[tauri::command]
pub async fn visit_document_scan(
    app: AppHandle,
    visit_id: String,
) -> CommandResult<DocumentPreview> {
    with_desk(app, move |desk| {
        desk.take_document(&visit_id, DocumentSource::Scanner)
    })
    .await
}

fn raw_body(request: &tauri::ipc::Request<'_>) -> CommandResult<Vec<u8>> {
    match request.body() {
        InvokeBody::Raw(bytes) => Ok(bytes.clone()),
        InvokeBody::Json(_) => Err(CommandError {
            code: ErrorCode::InvalidInput,
            detail: "images are sent as raw bytes".into(),
        }),
    }
}

/// The document from a camera frame: the raw IPC body is the JPEG, the
/// `x-visit-id` header the visit.
#[tauri::command]
pub async fn visit_document_image(
    app: AppHandle,
    request: tauri::ipc::Request<'_>,
) -> CommandResult<DocumentPreview> {
    let visit_id = request
        .headers()
        .get("x-visit-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| CommandError {
            code: ErrorCode::InvalidInput,
            detail: "missing x-visit-id header".into(),
        })?;
    let bytes = raw_body(&request)?;
    with_desk(app, move |desk| {
        desk.take_document(&visit_id, DocumentSource::Bytes(bytes))
    })
    .await
}

/// Framing feedback on one camera frame of a document (raw JPEG body),
/// always from the local face detector: on the AWS backend the preview
/// frames never reach Rekognition (the embedded models when present,
/// otherwise light and focus only).
#[tauri::command]
pub async fn document_frame_quality(
    app: AppHandle,
    request: tauri::ipc::Request<'_>,
) -> CommandResult<DocumentFrameQuality> {
    let bytes = raw_body(&request)?;
    tauri::async_runtime::spawn_blocking(move || {
        let state = app.state::<KioskState>();
        let desk = desk(&state)?;
        let detector: Option<Arc<dyn FaceMatcher>> = match desk.ports().kind {
            Provider::Embedded => Some(desk.ports().matcher.clone()),
            Provider::Aws => crate::liveness::engines(&state)
                .map(|e| Arc::new(EmbeddedMatcher::new(e.faces)) as Arc<dyn FaceMatcher>)
                .inspect_err(
                    |e| tracing::debug!(detail = %e.detail, "no local detector for framing"),
                )
                .ok(),
        };
        dayfusion_visit::document::frame_quality(detector.as_deref(), &bytes)
            .map_err(|e| visit_error(&e))
    })
    .await
    .map_err(|e| internal("framing task failed", e))?
}

/// The customer confirmed the portrait: transaction and document; the
/// liveness session comes later, when the widget asks for it.
#[tauri::command]
pub async fn visit_confirm_document(
    app: AppHandle,
    visit_id: String,
) -> CommandResult<VisitCapture> {
    with_desk(app, move |desk| desk.confirm_document(&visit_id)).await
}

/// Drops the document so the customer can take another.
#[tauri::command]
pub async fn visit_retake_document(app: AppHandle, visit_id: String) -> CommandResult<()> {
    with_desk(app, move |desk| desk.retake_document(&visit_id)).await
}

/// The widget's `requestSession` hook: a new liveness session for the
/// visit's transaction, for each attempt (the customer pressed start, or
/// retries); the session before is ended. Refused with `[too-many-attempts]`
/// after five failed checks in three minutes on this kiosk.
#[tauri::command]
pub async fn visit_liveness_session(
    app: AppHandle,
    visit_id: String,
    challenge: Option<LivenessChallenge>,
) -> CommandResult<VisitLiveness> {
    let challenge = crate::liveness::challenge_kind(challenge.unwrap_or_default());
    with_desk(app, move |desk| {
        desk.liveness_session_for(&visit_id, challenge)
    })
    .await
}

/// Liveness results, comparison and decision; the outcome has no scores.
#[tauri::command]
pub async fn visit_complete(
    app: AppHandle,
    visit_id: String,
    lang: Option<Language>,
) -> CommandResult<VisitResult> {
    let _ = lang_code(lang);
    let result = with_desk(app.clone(), move |desk| desk.complete(&visit_id)).await;
    // The decision is in the outbox (when the kiosk has AWS settings):
    // send it now, in the background; the customer sees the result at once.
    crate::housekeeping::nudge(&app.state::<KioskState>());
    result
}

/// Ends the visit and wipes what was held for the customer.
#[tauri::command]
pub async fn visit_end(app: AppHandle, visit_id: String, reason: VisitEnd) -> CommandResult<()> {
    let result = with_desk(app.clone(), move |desk| desk.end(&visit_id, reason)).await;
    // An ended visit may leave an aborted transaction for AWS.
    crate::housekeeping::nudge(&app.state::<KioskState>());
    result
}
