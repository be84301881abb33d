//! Tauri commands of staff mode: PIN, review queue and decisions, leaving
//! kiosk mode. Every command but the PIN ones needs a signed-in token.

use std::time::{Instant, SystemTime};

use dayfusion_ipc::{
    AwsConnection, AwsDoctorCheck, AwsDoctorReport, CommandError, ErrorCode, Language,
    ReviewDetail, ReviewItem, ReviewVerdict, SignInOutcome, StaffSession, StaffStatus,
};
use dayfusion_staff::{SESSION_IDLE, SignIn, StaffError};
use dayfusion_verify::Status;
use tauri::{AppHandle, Manager, State};

use crate::state::KioskState;
use crate::visit::visit_error;

type CommandResult<T> = Result<T, CommandError>;

fn staff_error(e: &StaffError) -> CommandError {
    let (code, refusal) = match e {
        StaffError::PinTooWeak => (ErrorCode::Staff, "pin-too-weak"),
        StaffError::PinAlreadySet => (ErrorCode::Staff, "pin-already-set"),
        StaffError::NotSignedIn => (ErrorCode::Staff, "not-signed-in"),
        StaffError::Storage(_) => (ErrorCode::Storage, "storage"),
    };
    CommandError {
        code,
        detail: format!("[{refusal}] {e}"),
    }
}

/// Checks a staff token (and marks the session used).
pub(crate) fn signed_in(state: &KioskState, token: &str) -> CommandResult<()> {
    state
        .staff_sessions
        .check(token, Instant::now())
        .map_err(|e| staff_error(&e))
}

fn session(state: &KioskState) -> StaffSession {
    StaffSession {
        token: state.staff_sessions.open(Instant::now()),
        idle_seconds: u32::try_from(SESSION_IDLE.as_secs()).unwrap_or(u32::MAX),
    }
}

/// Runs `f` with the kiosk state on a blocking thread (argon2, disk,
/// models, network).
async fn blocking<T: Send + 'static>(
    app: AppHandle,
    f: impl FnOnce(&KioskState) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    tauri::async_runtime::spawn_blocking(move || f(&app.state::<KioskState>()))
        .await
        .map_err(|e| CommandError {
            code: ErrorCode::Internal,
            detail: format!("staff task failed: {e}"),
        })?
}

/// [`blocking`] for a signed-in staff member: the token is checked first.
async fn as_staff<T: Send + 'static>(
    app: AppHandle,
    token: String,
    f: impl FnOnce(&KioskState) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    blocking(app, move |state| {
        signed_in(state, &token)?;
        f(state)
    })
    .await
}

/// Whether a PIN is set and whether sign-in is locked.
#[tauri::command]
pub fn staff_status(state: State<'_, KioskState>) -> StaffStatus {
    StaffStatus {
        pin_set: state.staff_pin.is_set(),
        locked_seconds: state.staff_pin.locked_seconds(SystemTime::now()),
    }
}

/// Sets the PIN: on first run with no token, later only signed in.
#[tauri::command]
pub async fn staff_set_pin(
    app: AppHandle,
    pin: String,
    token: Option<String>,
) -> CommandResult<StaffSession> {
    blocking(app, move |state| {
        let replace = match &token {
            Some(token) => {
                signed_in(state, token)?;
                true
            }
            None => false,
        };
        state
            .staff_pin
            .set(&pin, replace)
            .map_err(|e| staff_error(&e))?;
        Ok(session(state))
    })
    .await
}

/// Checks the PIN (argon2 takes a moment: on a blocking thread).
#[tauri::command]
pub async fn staff_sign_in(app: AppHandle, pin: String) -> CommandResult<SignInOutcome> {
    blocking(app, move |state| {
        let outcome = state
            .staff_pin
            .sign_in(&pin, SystemTime::now())
            .map_err(|e| staff_error(&e))?;
        Ok(match outcome {
            SignIn::Accepted => SignInOutcome::SignedIn {
                session: session(state),
            },
            SignIn::Wrong { attempts_left } => SignInOutcome::WrongPin { attempts_left },
            SignIn::Locked { seconds } => SignInOutcome::Locked { seconds },
            SignIn::NoPin => SignInOutcome::NoPin,
        })
    })
    .await
}

/// Ends a staff session.
#[tauri::command]
pub fn staff_sign_out(state: State<'_, KioskState>, token: String) {
    state.staff_sessions.close(&token);
    tracing::info!(event = "staff_signed_out", "staff signed out");
}

/// REVIEW transactions waiting for a person, oldest first.
#[tauri::command]
pub async fn review_queue(app: AppHandle, token: String) -> CommandResult<Vec<ReviewItem>> {
    as_staff(app, token, move |state| {
        let desk = crate::visit::desk(state)?;
        dayfusion_visit::review::queue(desk.ports().log.as_ref()).map_err(|e| visit_error(&e))
    })
    .await
}

fn parse_id(id: &str) -> CommandResult<uuid::Uuid> {
    uuid::Uuid::parse_str(id).map_err(|_| CommandError {
        code: ErrorCode::InvalidInput,
        detail: "transaction id is not a UUID".into(),
    })
}

/// One REVIEW transaction with its evidence, scores and reasons.
#[tauri::command]
pub async fn review_detail(
    app: AppHandle,
    token: String,
    transaction_id: String,
    lang: Option<Language>,
) -> CommandResult<ReviewDetail> {
    as_staff(app, token, move |state| {
        let id = parse_id(&transaction_id)?;
        let desk = crate::visit::desk(state)?;
        let lang = if lang == Some(Language::En) {
            "en"
        } else {
            "pt-BR"
        };
        dayfusion_visit::review::detail(desk.ports(), &id, lang).map_err(|e| match &e {
            dayfusion_visit::VisitError::Flow(f) if f.code() == "review-not-pending" => {
                CommandError {
                    code: ErrorCode::Staff,
                    detail: format!("[not-in-review] {e}"),
                }
            }
            _ => visit_error(&e),
        })
    })
    .await
}

/// Approves or rejects a REVIEW transaction with the reviewer's reason
/// (audit event `review.resolved`).
#[tauri::command]
pub async fn review_resolve(
    app: AppHandle,
    token: String,
    transaction_id: String,
    verdict: ReviewVerdict,
    reason: String,
) -> CommandResult<()> {
    as_staff(app, token, move |state| {
        let id = parse_id(&transaction_id)?;
        let desk = crate::visit::desk(state)?;
        let status = match verdict {
            ReviewVerdict::Approve => Status::Approved,
            ReviewVerdict::Reject => Status::Rejected,
        };
        // One shared staff PIN: the reviewer is recorded as this kiosk's staff.
        let reviewer = format!("staff@{}", state.settings.get().kiosk_id);
        dayfusion_verify::review::resolve(
            desk.ports().log.as_ref(),
            &id,
            status,
            &reviewer,
            &reason,
        )
        .map(|_| ())
        .map_err(|e| {
            let refusal = if e.code() == "review-reason-invalid" {
                "reason-invalid"
            } else {
                "not-in-review"
            };
            match e {
                dayfusion_verify::FlowError::Store(s) => visit_error(&s.into()),
                other => CommandError {
                    code: ErrorCode::Staff,
                    detail: format!("[{refusal}] {other}"),
                },
            }
        })
    })
    .await
}

/// Leaves kiosk mode: closes the app (staff only).
#[tauri::command]
pub fn exit_kiosk(
    app: AppHandle,
    state: State<'_, KioskState>,
    token: String,
) -> CommandResult<()> {
    signed_in(&state, &token)?;
    tracing::info!(event = "kiosk_exit_by_staff", "staff closed the kiosk");
    app.exit(0);
    Ok(())
}

fn connection_of(settings: &dayfusion_aws::AwsSettings) -> AwsConnection {
    AwsConnection {
        region: settings.region.clone(),
        bucket: settings.bucket.clone(),
        table: settings.table.clone(),
        webview_role_arn: settings.webview_role_arn.clone(),
    }
}

/// The AWS connection in effect (`aws.toml` with `DAYFUSION_AWS_*`).
#[tauri::command]
pub async fn aws_connection(app: AppHandle, token: String) -> CommandResult<AwsConnection> {
    as_staff(app, token, move |state| {
        dayfusion_aws::AwsSettings::load(&state.paths.data_dir)
            .map(|s| connection_of(&s))
            .map_err(crate::commands::aws_error)
    })
    .await
}

/// Saves the AWS connection in `aws.toml` (staff only); the next AWS call
/// connects with it.
#[tauri::command]
pub async fn save_aws_connection(
    app: AppHandle,
    token: String,
    connection: AwsConnection,
) -> CommandResult<AwsConnection> {
    as_staff(app, token, move |state| {
        let saved = dayfusion_aws::AwsSettings::save_connection(
            &state.paths.data_dir,
            connection.region,
            connection.bucket,
            connection.table,
            connection.webview_role_arn,
        )
        .map_err(|e| CommandError {
            code: ErrorCode::InvalidInput,
            detail: format!("[{}] {e}", e.code()),
        })?;
        // Reconnect on next use, with the new settings.
        *state
            .aws
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        Ok(connection_of(&saved))
    })
    .await
}

/// Runs the AWS diagnostics (`dayfusion doctor`): configuration,
/// credentials, clock, bucket, table, Rekognition, webview role.
#[tauri::command]
pub async fn aws_doctor(
    app: AppHandle,
    token: String,
    lang: Option<Language>,
) -> CommandResult<AwsDoctorReport> {
    as_staff(app, token, move |state| {
        let ctx = crate::commands::aws_context(state)?;
        let lang = if lang == Some(Language::En) {
            "en"
        } else {
            "pt-BR"
        };
        let report = dayfusion_aws::doctor::run(&ctx, lang);
        Ok(AwsDoctorReport {
            region: report.region,
            checks: report
                .checks
                .into_iter()
                .map(|c| AwsDoctorCheck {
                    id: c.id.to_owned(),
                    status: serde_json::to_value(c.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    code: c.code,
                    message: c.message,
                    fix: c.fix,
                })
                .collect(),
        })
    })
    .await
}
