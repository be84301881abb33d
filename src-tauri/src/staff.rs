//! Tauri commands of staff mode: sign-in with a named account, PIN change,
//! review queue and decisions, the AWS connection, leaving kiosk mode.
//! Every command but sign-in needs a signed-in token whose role allows it;
//! every change is an audit event naming the account.

use std::time::Instant;

use dayfusion_ipc::{
    AwsConnection, AwsDoctorCheck, AwsDoctorReport, CommandError, ErrorCode, Language,
    ReviewDetail, ReviewItem, ReviewVerdict, SignInOutcome, StaffSession, StaffStatus,
};
use dayfusion_staff::{AccountInfo, Moment, Permission, SignIn, SignedIn, StaffError, idle_limit};
use dayfusion_verify::{AuditEvent, Status, TransactionLog};
use tauri::{AppHandle, Manager, State};

use crate::state::KioskState;
use crate::visit::visit_error;

type CommandResult<T> = Result<T, CommandError>;

fn staff_error(e: &StaffError) -> CommandError {
    let code = match e {
        StaffError::Storage(_) => ErrorCode::Storage,
        _ => ErrorCode::Staff,
    };
    refusal(code, e.code(), e)
}

fn refusal(code: ErrorCode, refusal: &str, detail: impl std::fmt::Display) -> CommandError {
    CommandError {
        code,
        detail: format!("[{refusal}] {detail}"),
    }
}

/// Checks a staff token (marking the session used) and that its account
/// still exists with the same role: an account the CLI removed or changed
/// is signed out at its next command.
pub(crate) fn signed_in(state: &KioskState, token: &str) -> CommandResult<SignedIn> {
    current_account(state, token).map(|(who, _)| who)
}

/// [`signed_in`], with the account as the directory holds it now.
fn current_account(state: &KioskState, token: &str) -> CommandResult<(SignedIn, AccountInfo)> {
    let who = state
        .staff_sessions
        .check(token, Instant::now())
        .map_err(|e| staff_error(&e))?;
    let current = state
        .staff
        .account(&who.account, Moment::now())
        .map_err(|e| staff_error(&e))?;
    match current {
        Some(account) if account.role == who.role => Ok((who, account)),
        _ => {
            state.staff_sessions.close_account(&who.account);
            Err(staff_error(&StaffError::NotSignedIn))
        }
    }
}

/// Whether `who`'s role may do `permission` (a refusal is logged).
fn require(who: &SignedIn, permission: Permission) -> CommandResult<()> {
    who.require(permission).map_err(|e| {
        tracing::warn!(event = "staff_forbidden", account = %who.account, role = %who.role, "staff action refused for the role");
        staff_error(&e)
    })
}

/// [`signed_in`] and the role's permission for `permission`.
pub(crate) fn permitted(
    state: &KioskState,
    token: &str,
    permission: Permission,
) -> CommandResult<SignedIn> {
    let who = signed_in(state, token)?;
    require(&who, permission)?;
    Ok(who)
}

/// [`permitted`], and the account's name: staff operating a visit.
pub(crate) fn operator(
    state: &KioskState,
    token: &str,
    permission: Permission,
) -> CommandResult<dayfusion_visit::Operator> {
    let (who, account) = current_account(state, token)?;
    require(&who, permission)?;
    Ok(dayfusion_visit::Operator {
        account: who.account,
        name: account.name,
    })
}

/// Appends a staff action to the audit chain (`kind`, the account, `data`).
pub(crate) fn audit(
    state: &KioskState,
    who: &SignedIn,
    kind: &str,
    mut data: serde_json::Value,
) -> CommandResult<()> {
    if let Some(map) = data.as_object_mut() {
        map.insert("account".into(), who.account.clone().into());
        map.insert("role".into(), who.role.as_str().into());
    }
    let log = dayfusion_ledger::SqliteLog::open(&state.paths.log_file())
        .map_err(|e| refusal(ErrorCode::Storage, "storage", e))?;
    log.record_event(&AuditEvent {
        kind: kind.to_owned(),
        data,
    })
    .map_err(|e| refusal(ErrorCode::Storage, "storage", e))
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

/// [`blocking`] for a signed-in account whose role allows `permission`.
async fn as_staff<T: Send + 'static>(
    app: AppHandle,
    token: String,
    permission: Permission,
    f: impl FnOnce(&KioskState, &SignedIn) -> CommandResult<T> + Send + 'static,
) -> CommandResult<T> {
    blocking(app, move |state| {
        let who = permitted(state, &token, permission)?;
        f(state, &who)
    })
    .await
}

/// Whether the kiosk has staff accounts (none: "not provisioned").
#[tauri::command]
pub async fn staff_status(app: AppHandle) -> CommandResult<StaffStatus> {
    blocking(app, |state| {
        Ok(StaffStatus {
            provisioned: state.staff.is_provisioned().map_err(|e| staff_error(&e))?,
        })
    })
    .await
}

/// Signs in with an account id and its PIN (argon2 takes a moment: on a
/// blocking thread).
#[tauri::command]
pub async fn staff_sign_in(
    app: AppHandle,
    account: String,
    pin: String,
) -> CommandResult<SignInOutcome> {
    blocking(app, move |state| {
        let account = account.trim().to_ascii_lowercase();
        let outcome = state
            .staff
            .sign_in(&account, &pin, Moment::now())
            .map_err(|e| staff_error(&e))?;
        Ok(match outcome {
            SignIn::Accepted(info) => {
                let who = SignedIn {
                    account: info.id.clone(),
                    role: info.role,
                };
                SignInOutcome::SignedIn {
                    session: StaffSession {
                        token: state.staff_sessions.open(who, Instant::now()),
                        idle_seconds: u32::try_from(idle_limit(info.role).as_secs())
                            .unwrap_or(u32::MAX),
                        account: info.id,
                        name: info.name,
                        role: info.role,
                    },
                }
            }
            SignIn::Wrong => SignInOutcome::WrongPin,
            SignIn::Locked { seconds } => SignInOutcome::Locked { seconds },
            SignIn::NotProvisioned => SignInOutcome::NotProvisioned,
        })
    })
    .await
}

/// Changes the signed-in account's PIN; the old PIN is required (wrong
/// ones count towards that account's lock).
#[tauri::command]
pub async fn staff_change_pin(
    app: AppHandle,
    token: String,
    old_pin: String,
    new_pin: String,
) -> CommandResult<()> {
    blocking(app, move |state| {
        let who = signed_in(state, &token)?;
        let outcome = state
            .staff
            .change_pin(&who.account, &old_pin, &new_pin, Moment::now())
            .map_err(|e| staff_error(&e))?;
        match outcome {
            SignIn::Accepted(_) => audit(state, &who, "staff.pin.changed", serde_json::json!({})),
            SignIn::Wrong => Err(refusal(
                ErrorCode::Staff,
                "wrong-pin",
                "the old PIN is wrong",
            )),
            SignIn::Locked { seconds } => Err(refusal(
                ErrorCode::Staff,
                "locked",
                format!("locked for {seconds} s"),
            )),
            SignIn::NotProvisioned => Err(staff_error(&StaffError::NotSignedIn)),
        }
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
    as_staff(app, token, Permission::Review, move |state, who| {
        let desk = crate::visit::desk(state)?;
        dayfusion_visit::review::queue(desk.ports().log.as_ref(), &who.account)
            .map_err(|e| visit_error(&e))
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
    as_staff(app, token, Permission::Review, move |state, who| {
        let id = parse_id(&transaction_id)?;
        let desk = crate::visit::desk(state)?;
        let lang = if lang == Some(Language::En) {
            "en"
        } else {
            "pt-BR"
        };
        dayfusion_visit::review::detail(desk.ports(), &id, lang, &who.account).map_err(|e| match &e
        {
            dayfusion_visit::VisitError::Flow(f) if f.code() == "review-not-pending" => {
                refusal(ErrorCode::Staff, "not-in-review", &e)
            }
            dayfusion_visit::VisitError::Flow(f) if f.code() == "review-own-transaction" => {
                refusal(ErrorCode::Staff, "own-transaction", &e)
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
    as_staff(app, token, Permission::Review, move |state, who| {
        let id = parse_id(&transaction_id)?;
        let desk = crate::visit::desk(state)?;
        let status = match verdict {
            ReviewVerdict::Approve => Status::Approved,
            ReviewVerdict::Reject => Status::Rejected,
        };
        // The reviewer is the signed-in account; never the visit's operator.
        dayfusion_verify::review::resolve(
            desk.ports().log.as_ref(),
            &id,
            status,
            &who.account,
            &reason,
        )
        .map(|_| crate::housekeeping::nudge(state))
        .map_err(|e| {
            let refusal = match e.code().as_str() {
                "review-reason-invalid" => "reason-invalid",
                "review-own-transaction" => "own-transaction",
                _ => "not-in-review",
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

/// Leaves kiosk mode: closes the app with [`crate::STAFF_EXIT_STATUS`]
/// (admins only, audited); the kiosk session then opens the maintenance
/// console instead of restarting it.
#[tauri::command]
pub async fn exit_kiosk(app: AppHandle, token: String) -> CommandResult<()> {
    let handle = app.clone();
    as_staff(app, token, Permission::Administer, move |state, who| {
        audit(state, who, "kiosk.exited", serde_json::json!({}))?;
        tracing::info!(event = "kiosk_exit_by_staff", account = %who.account, "staff closed the kiosk");
        handle.exit(crate::STAFF_EXIT_STATUS);
        Ok(())
    })
    .await
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
    as_staff(app, token, Permission::Inspect, move |state, _| {
        dayfusion_aws::AwsSettings::load(&state.paths.data_dir)
            .map(|s| connection_of(&s))
            .map_err(crate::commands::aws_error)
    })
    .await
}

/// Saves the AWS connection in `aws.toml` (admins only, audited with the
/// values before and after); the next AWS call connects with it.
#[tauri::command]
pub async fn save_aws_connection(
    app: AppHandle,
    token: String,
    connection: AwsConnection,
) -> CommandResult<AwsConnection> {
    as_staff(app, token, Permission::Administer, move |state, who| {
        let before = dayfusion_aws::AwsSettings::load(&state.paths.data_dir)
            .ok()
            .map(|s| connection_of(&s));
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
        let after = connection_of(&saved);
        // Settings added: queue what was kept local and sync it now.
        crate::housekeeping::nudge(state);
        audit(
            state,
            who,
            "aws.connection.changed",
            serde_json::json!({ "before": before, "after": after }),
        )?;
        Ok(after)
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
    as_staff(app, token, Permission::Inspect, move |state, _| {
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
