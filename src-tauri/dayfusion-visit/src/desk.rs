//! [`VisitDesk`]: the one customer visit a kiosk serves at a time.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dayfusion_capture::AttemptLimiter;
use dayfusion_capture::CaptureError;
use dayfusion_ipc::{
    CustomerOutcome, DataProcessor, DocumentPreview, DocumentSources, MediaFolder, RemovableMedium,
    VisitCapture, VisitEnd, VisitInfo, VisitLiveness, VisitResult,
};
use dayfusion_verify::policy::NoLightChallenge;
use dayfusion_verify::{
    Backend, ChallengeKind, ConsentRecord, EvidenceStore, FaceMatcher, FlowError, FlowLock,
    LivenessProvider, LivenessRequest, LivenessStatus, Policy, Provider, StartRequest, Status,
    TransactionLog, VerificationFlow, maintenance,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracing::{info, warn};

use crate::document::{self, DocumentSource, HeldDocument};
use crate::error::VisitError;
use crate::media::RemovableMedia;

/// The longest consent text accepted for hashing, bytes (the screen's is
/// about 2 KB).
const MAX_CONSENT_TEXT_BYTES: usize = 16 * 1024;

/// Whether a visit may take the check without flashing colours: the
/// provider has the movement-only challenge and the policy does not refuse
/// it.
fn movement_offered(ports: &DeskPorts, config: &DeskConfig) -> bool {
    ports.liveness.supports(ChallengeKind::Movement)
        && config.policy.no_light_challenge != NoLightChallenge::Refuse
}

/// The four ports of the backend visits run on (shared with the kiosk's
/// other commands).
#[derive(Clone)]
pub struct DeskPorts {
    /// Embedded or AWS.
    pub kind: Provider,
    /// Liveness sessions.
    pub liveness: Arc<dyn LivenessProvider>,
    /// Portrait location and comparison.
    pub matcher: Arc<dyn FaceMatcher>,
    /// Evidence images.
    pub evidence: Arc<dyn EvidenceStore>,
    /// Transactions and the audit chain (always the local SQLite log).
    pub log: Arc<dyn TransactionLog>,
}

impl DeskPorts {
    /// The ports as the flow's [`Backend`].
    pub fn backend(&self) -> Backend<'_> {
        Backend {
            kind: self.kind,
            liveness: self.liveness.as_ref(),
            matcher: self.matcher.as_ref(),
            evidence: self.evidence.as_ref(),
            log: self.log.as_ref(),
        }
    }
}

/// Receipts a visit may print.
pub const MAX_RECEIPTS: u8 = 3;

/// What a receipt states that only the kiosk may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFacts {
    /// The decision.
    pub outcome: CustomerOutcome,
    /// The protocol.
    pub reference: String,
    /// The visit's language (`pt-BR`, `en`).
    pub lang: String,
}

impl ReceiptFacts {
    /// The decision in the visit's language, as the result screen says it.
    pub fn headline(&self) -> &'static str {
        match (self.outcome, self.lang == "en") {
            (CustomerOutcome::Approved, false) => "APROVADO",
            (CustomerOutcome::Rejected, false) => "REPROVADO",
            (CustomerOutcome::Review, false) => "EM REVISÃO",
            (CustomerOutcome::Approved, true) => "APPROVED",
            (CustomerOutcome::Rejected, true) => "REJECTED",
            (CustomerOutcome::Review, true) => "UNDER REVIEW",
        }
    }
}

/// What the customer is told of a decided transaction's status.
fn customer_outcome(status: Status) -> CustomerOutcome {
    match status {
        Status::Approved => CustomerOutcome::Approved,
        Status::Review => CustomerOutcome::Review,
        _ => CustomerOutcome::Rejected,
    }
}

/// The short reference a customer quotes: the transaction id's last 8 hex
/// digits, upper case.
fn customer_reference(transaction_id: &uuid::Uuid) -> String {
    let id = transaction_id.simple().to_string();
    id[id.len() - 8..].to_uppercase()
}

/// A staff member operating a visit beside the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    /// The staff account (recorded as the transaction's operator).
    pub account: String,
    /// The account's name (shown to the customer).
    pub name: String,
}

/// What a visit begins with besides its language.
#[derive(Debug, Clone, Default)]
pub struct VisitStart {
    /// Staff operating the visit; `None`: self-service.
    pub operator: Option<Operator>,
    /// The companies processing the customer's data, for the consent.
    pub processors: Vec<DataProcessor>,
    /// The kiosk has a receipt printer.
    pub receipt_printer: bool,
}

/// The kiosk's settings a visit needs.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Recorded with every transaction.
    pub kiosk_id: String,
    /// The product the kiosk verifies identities for.
    pub product: String,
    /// The policy that decides.
    pub policy: Policy,
    /// Seconds without a touch before the screens end the visit.
    pub idle_timeout_seconds: u32,
    /// Days evidence is kept (shown in the consent text).
    pub retention_days: u32,
    /// The scan-to-folder inbox, when the branch has one.
    pub document_inbox: Option<PathBuf>,
    /// Whether a SANE scanner was found.
    pub scanner: bool,
    /// Whether the kiosk has a camera for documents.
    pub camera: bool,
    /// The AWS region liveness sessions live in (AWS backend).
    pub aws_region: Option<String>,
    /// The data folder whose flow lock a visit holds from the confirmed
    /// document to its end (the CLI's `verify` and `sync` wait meanwhile).
    pub data_dir: PathBuf,
}

/// One customer's visit, in memory only.
struct Visit {
    id: String,
    lang: String,
    /// The staff account operating the visit (a field agent), if any.
    operator: Option<String>,
    began: Instant,
    last_touch: Instant,
    consent: Option<ConsentRecord>,
    document: Option<HeldDocument>,
    flow: Option<VerificationFlow>,
    /// The liveness session bound to the transaction now (the current
    /// attempt's); `None` until the widget asks for the first one.
    session: Option<VisitLiveness>,
    lock: Option<FlowLock>,
    /// Receipts asked for this visit (at most [`MAX_RECEIPTS`]).
    receipts: u8,
}

/// The kiosk's visits: at most one at a time.
pub struct VisitDesk {
    ports: DeskPorts,
    config: DeskConfig,
    visit: Mutex<Option<Visit>>,
    /// Where the customer's document picker finds removable media.
    media: RemovableMedia,
    /// The kiosk's failed-attempt limit (five per three minutes), shared
    /// with the capture service of the staff check.
    attempts: Arc<AttemptLimiter>,
}

impl std::fmt::Debug for VisitDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisitDesk")
            .field("backend", &self.ports.kind)
            .field("kiosk_id", &self.config.kiosk_id)
            .finish_non_exhaustive()
    }
}

/// How long the back end keeps a visit nobody touches: the screens' idle
/// timeout plus the liveness capture's and the processing's own time.
fn backend_grace(config: &DeskConfig) -> Duration {
    Duration::from_secs(u64::from(config.idle_timeout_seconds) * 2 + 180)
}

fn end_code(reason: VisitEnd) -> &'static str {
    match reason {
        VisitEnd::Declined => "visit-declined",
        VisitEnd::Idle => "visit-idle-timeout",
        VisitEnd::Cancelled => "visit-cancelled",
        VisitEnd::Failed => "visit-failed",
        VisitEnd::Done => "visit-ended",
    }
}

impl VisitDesk {
    /// A desk over `ports`; closes transactions a crash or restart left in
    /// progress (the customer is gone: they become ABORTED, their evidence
    /// deleted) before the first visit.
    pub fn open(ports: DeskPorts, config: DeskConfig) -> Result<Self, VisitError> {
        // Recovery needs the flow lock: a transaction another process (the
        // CLI's `verify`) is running is not interrupted. Busy: recover later.
        match FlowLock::try_acquire(&config.data_dir) {
            Ok(_lock) => {
                let backend = ports.backend();
                let aborted = if ports.kind == Provider::Aws {
                    maintenance::abort_interrupted(&backend)?
                } else {
                    maintenance::recover(&backend)?.aborted
                };
                if !aborted.is_empty() {
                    warn!(
                        event = "visits_recovered",
                        count = aborted.len(),
                        "interrupted transactions closed as ABORTED"
                    );
                }
            }
            Err(dayfusion_verify::StoreError::Busy) => {
                warn!(
                    event = "recovery_postponed",
                    "another process holds the flow lock; recovery skipped"
                );
            }
            Err(e) => return Err(e.into()),
        }
        // A scan left in the inbox by an earlier visit or a crash is not
        // handed to the next customer.
        document::clear_inbox(config.document_inbox.as_deref());
        Ok(Self {
            ports,
            config,
            visit: Mutex::new(None),
            media: RemovableMedia::from_env(),
            attempts: Arc::new(AttemptLimiter::default()),
        })
    }

    /// This desk counting liveness attempts in `attempts`: the kiosk's one
    /// limiter, which its capture service (embedded sessions, the staff
    /// check) shares, so that the limit holds per kiosk on both backends.
    #[must_use]
    pub fn with_attempt_limiter(mut self, attempts: Arc<AttemptLimiter>) -> Self {
        self.attempts = attempts;
        self
    }

    /// The failed-attempt limit this desk applies.
    pub fn attempt_limiter(&self) -> &Arc<AttemptLimiter> {
        &self.attempts
    }

    /// This desk with its document picker over `media` (tests: folders
    /// standing in for mounted media).
    #[must_use]
    pub fn with_media(mut self, media: RemovableMedia) -> Self {
        self.media = media;
        self
    }

    /// The settings this desk was opened with.
    pub fn config(&self) -> &DeskConfig {
        &self.config
    }

    /// The ports (for the staff review).
    pub fn ports(&self) -> &DeskPorts {
        &self.ports
    }

    fn lock(&self) -> MutexGuard<'_, Option<Visit>> {
        self.visit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on visit `id`, after ending a visit left idle too long.
    fn with_visit<T>(
        &self,
        id: &str,
        f: impl FnOnce(&DeskPorts, &DeskConfig, &mut Visit) -> Result<T, VisitError>,
    ) -> Result<T, VisitError> {
        let mut slot = self.lock();
        self.expire_locked(&mut slot, Instant::now());
        let visit = slot
            .as_mut()
            .filter(|v| v.id == id)
            .ok_or(VisitError::Expired)?;
        visit.last_touch = Instant::now();
        f(&self.ports, &self.config, visit)
    }

    /// Begins a self-service visit (ending any other one as cancelled).
    pub fn begin(&self, lang: &str) -> VisitInfo {
        self.begin_with(lang, VisitStart::default())
    }

    /// Begins a visit operated by staff (`start.operator`: an assisted
    /// visit in the branch, or a field agent's), whose account is recorded
    /// as the transaction's operator; `start.processors` go to the consent.
    pub fn begin_with(&self, lang: &str, start: VisitStart) -> VisitInfo {
        let VisitStart {
            operator,
            processors,
            receipt_printer,
        } = start;
        let (operator, operator_name) = match operator {
            Some(Operator { account, name }) => (Some(account), Some(name)),
            None => (None, None),
        };
        let mut slot = self.lock();
        if let Some(previous) = slot.take() {
            self.close(previous, VisitEnd::Cancelled);
        }
        let now = Instant::now();
        let visit = Visit {
            id: uuid::Uuid::new_v4().to_string(),
            lang: if lang == "en" { "en" } else { "pt-BR" }.to_owned(),
            operator,
            began: now,
            last_touch: now,
            consent: None,
            document: None,
            flow: None,
            session: None,
            lock: None,
            receipts: 0,
        };
        info!(
            event = "visit_started",
            assisted = visit.operator.is_some(),
            "customer visit started"
        );
        let info = VisitInfo {
            visit_id: visit.id.clone(),
            idle_timeout_seconds: self.config.idle_timeout_seconds,
            retention_days: self.config.retention_days,
            consent_version: crate::CONSENT_VERSION.to_owned(),
            document_sources: DocumentSources {
                removable_media: true,
                camera: self.config.camera,
                scanner: self.config.scanner,
                inbox: self.config.document_inbox.is_some(),
            },
            processors,
            operator_name,
            receipt_printer,
        };
        *slot = Some(visit);
        info
    }

    /// Keeps visit `id` alive.
    pub fn touch(&self, id: &str) -> Result<(), VisitError> {
        self.with_visit(id, |_, _, _| Ok(()))
    }

    /// Records the customer's answer to the consent. Declining ends the
    /// visit with nothing stored.
    pub fn consent(&self, id: &str, accepted: bool) -> Result<(), VisitError> {
        self.consent_to(id, accepted, None)
    }

    /// [`Self::consent`] with the consent text the screen showed: its
    /// SHA-256 is kept in the consent record with the version (the text
    /// itself is not: the version names it).
    pub fn consent_to(
        &self,
        id: &str,
        accepted: bool,
        shown_text: Option<&str>,
    ) -> Result<(), VisitError> {
        if !accepted {
            return self.end(id, VisitEnd::Declined);
        }
        let text_sha256 = match shown_text {
            Some(text) if !text.trim().is_empty() && text.len() <= MAX_CONSENT_TEXT_BYTES => {
                Some(hex::encode(Sha256::digest(text.as_bytes())))
            }
            Some(_) => return Err(VisitError::InvalidInput("consent text")),
            None => None,
        };
        self.with_visit(id, |_, _, visit| {
            if visit.flow.is_some() {
                return Err(VisitError::OutOfOrder("consent"));
            }
            visit.consent = Some(ConsentRecord {
                version: crate::CONSENT_VERSION.to_owned(),
                language: visit.lang.clone(),
                accepted_at: OffsetDateTime::now_utc(),
                text_sha256,
            });
            info!(
                event = "visit_consent_accepted",
                version = crate::CONSENT_VERSION
            );
            Ok(())
        })
    }

    /// Takes the document photo from `source`: finds the holder's portrait
    /// and holds the document in memory for the customer to confirm.
    pub fn take_document(
        &self,
        id: &str,
        source: DocumentSource,
    ) -> Result<DocumentPreview, VisitError> {
        self.with_visit(id, |ports, config, visit| {
            hold_document(ports, config, visit, source)
        })
    }

    /// The removable media mounted now, for the customer's document picker
    /// (while the visit is choosing its document).
    pub fn media_list(&self, id: &str) -> Result<Vec<RemovableMedium>, VisitError> {
        self.with_visit(id, |_, _, visit| {
            choosing_document(visit, "media-list")?;
            Ok(self.media.list().iter().map(|m| m.to_ipc()).collect())
        })
    }

    /// The folders, images and PDFs in folder `path` of medium `medium`
    /// (relative to its root; `""` is the root).
    pub fn media_browse(
        &self,
        id: &str,
        medium: &str,
        path: &str,
    ) -> Result<MediaFolder, VisitError> {
        self.with_visit(id, |_, _, visit| {
            choosing_document(visit, "media-browse")?;
            self.media.browse(medium, path)
        })
    }

    /// Takes the document from file `path` on medium `medium`, as
    /// [`Self::take_document`] does from bytes.
    pub fn take_media_document(
        &self,
        id: &str,
        medium: &str,
        path: &str,
    ) -> Result<DocumentPreview, VisitError> {
        self.with_visit(id, |ports, config, visit| {
            choosing_document(visit, "document")?;
            let mut bytes = self.media.read(medium, path)?;
            info!(
                event = "visit_media_document_read",
                bytes = bytes.len(),
                "document file read from a removable medium"
            );
            // Moved, not copied: the document reader zeroes it from here on.
            let bytes = std::mem::take(&mut *bytes);
            hold_document(ports, config, visit, DocumentSource::Bytes(bytes))
        })
    }

    /// Drops the held document so the customer can take another.
    pub fn retake_document(&self, id: &str) -> Result<(), VisitError> {
        self.with_visit(id, |_, _, visit| {
            if visit.flow.is_some() {
                return Err(VisitError::OutOfOrder("retake-document"));
            }
            visit.document = None;
            Ok(())
        })
    }

    /// The customer confirmed the portrait: the transaction starts (with
    /// the consent) and the document is stored. No liveness session is
    /// opened yet (its three minutes would run while the customer reads the
    /// instructions): the widget asks for one with
    /// [`Self::liveness_session`] when the customer presses start.
    pub fn confirm_document(&self, id: &str) -> Result<VisitCapture, VisitError> {
        self.with_visit(id, |ports, config, visit| {
            if visit.flow.is_some() {
                return Err(VisitError::OutOfOrder("confirm-document"));
            }
            let Some(held) = visit.document.as_ref() else {
                return Err(VisitError::OutOfOrder("confirm-document"));
            };
            let lock = FlowLock::try_acquire(&config.data_dir)?;
            let backend = ports.backend();
            let mut flow = VerificationFlow::start(
                &backend,
                StartRequest {
                    kiosk_id: config.kiosk_id.clone(),
                    operator: visit.operator.clone(),
                    product: config.product.clone(),
                    policy: config.policy.clone(),
                    consent: visit.consent.clone(),
                },
            )?;
            match flow.capture_document(&backend, &held.bytes) {
                Ok(_) => {
                    visit.flow = Some(flow);
                    visit.lock = Some(lock);
                    // Stored (encrypted) now: no copy stays in memory.
                    visit.document = None;
                    Ok(VisitCapture {
                        provider: provider_name(ports.kind).to_owned(),
                        attempts_left: self.attempts.remaining(),
                        movement_challenge: movement_offered(ports, config),
                    })
                }
                Err(e) => {
                    if let Err(abort) = flow.abort(&backend, &e.code()) {
                        warn!(event = "visit_abort_failed", error = %abort);
                    }
                    Err(e.into())
                }
            }
        })
    }

    /// A liveness session for the visit's transaction, opened now (the
    /// customer pressed start, or retries): every call opens a new session
    /// and binds it in place of the one before, which is ended and counted
    /// as a failed attempt (a session that succeeded leads to
    /// [`Self::complete`], never here). Refused with
    /// [`VisitError::TooManyAttempts`] once the kiosk has five failures in
    /// three minutes, on either backend.
    pub fn liveness_session(&self, id: &str) -> Result<VisitLiveness, VisitError> {
        self.liveness_session_for(id, ChallengeKind::MovementAndLight)
    }

    /// [`Self::liveness_session`] with the challenge the customer chose:
    /// [`ChallengeKind::Movement`] (no flashing colours) after the
    /// photosensitivity warning. The transaction's audit records it, and
    /// the result's assurance (`movement-challenge`) goes to the policy.
    pub fn liveness_session_for(
        &self,
        id: &str,
        challenge: ChallengeKind,
    ) -> Result<VisitLiveness, VisitError> {
        self.with_visit(id, |ports, config, visit| {
            let Some(flow) = visit.flow.as_mut() else {
                return Err(VisitError::OutOfOrder("liveness-session"));
            };
            if challenge == ChallengeKind::Movement && !movement_offered(ports, config) {
                // The policy refuses such checks (staff serve the customer):
                // never a capture whose result is decided in advance.
                return Err(VisitError::InvalidInput("movement-only challenge"));
            }
            if let Some(previous) = &visit.session
                && self.attempts.record_session_failure(&previous.session_id)
            {
                info!(
                    event = "liveness_attempt_failed",
                    session = %previous.session_id,
                    "a liveness session ended without a result; counted against the limit"
                );
            }
            if let Err(CaptureError::TooManyAttempts { retry_after_ms }) = self.attempts.check() {
                warn!(
                    event = "liveness_attempts_exhausted",
                    retry_after_ms, "liveness session refused: too many failed attempts"
                );
                return Err(VisitError::TooManyAttempts { retry_after_ms });
            }
            // The guidance in the visit's language (pt-BR or en).
            let request = LivenessRequest {
                challenge,
                locale: Some(visit.lang.clone()),
            };
            let session = flow.start_liveness_for(&ports.backend(), &request)?;
            let liveness = visit_liveness(config, &session);
            info!(
                event = "liveness_session_opened",
                session = %liveness.session_id,
                challenge = challenge.as_str(),
                replaces = visit.session.as_ref().map(|s| s.session_id.as_str()),
                "liveness session opened for the visit's transaction"
            );
            visit.session = Some(liveness.clone());
            Ok(liveness)
        })
    }

    /// The liveness capture ended: results, comparison, decision. The
    /// outcome carries no score.
    pub fn complete(&self, id: &str) -> Result<VisitResult, VisitError> {
        self.with_visit(id, |ports, _, visit| {
            let Some(flow) = visit.flow.as_mut() else {
                return Err(VisitError::OutOfOrder("complete"));
            };
            let backend = ports.backend();
            let steps = |flow: &mut VerificationFlow| -> Result<(), FlowError> {
                flow.complete_liveness(&backend)?;
                if flow.transaction().liveness.as_ref().is_some_and(|l| {
                    l.status == LivenessStatus::Succeeded && l.reference_key.is_some()
                }) {
                    flow.compare(&backend)?;
                }
                flow.decide(&backend)?;
                Ok(())
            };
            let outcome = steps(flow);
            // A session whose result says it did not succeed is a failed
            // attempt (counted once, also when the capture service counted
            // it already).
            if let Some(liveness) = flow.transaction().liveness.as_ref()
                && liveness.status != LivenessStatus::Succeeded
            {
                self.attempts.record_session_failure(&liveness.session_id);
            }
            if let Err(e) = outcome {
                // A liveness result that failed to come (the stage is still
                // document-captured) leaves the transaction open: the
                // customer may try the liveness check again, and the visit's
                // end aborts it otherwise. A failure after the liveness
                // result closes the transaction.
                let stage = flow.transaction().stage;
                if stage == dayfusion_verify::Stage::DocumentCaptured || stage.is_final() {
                    return Err(e.into());
                }
                if let Err(abort) = flow.abort(&backend, &e.code()) {
                    warn!(event = "visit_abort_failed", error = %abort);
                }
                return Err(VisitError::Closed(e));
            }
            // Final: the flow lock is no longer needed.
            visit.lock = None;
            let transaction = flow.transaction();
            let outcome = customer_outcome(transaction.status);
            let reference = customer_reference(&transaction.transaction_id);
            let elapsed_ms = u64::try_from(visit.began.elapsed().as_millis()).unwrap_or(u64::MAX);
            info!(
                event = "visit_result",
                transaction = %transaction.transaction_id,
                status = transaction.status.as_str(),
                elapsed_ms,
                "customer visit decided"
            );
            Ok(VisitResult {
                outcome,
                reference,
                elapsed_ms,
            })
        })
    }

    /// What the receipt of visit `id` states that only the kiosk may: the
    /// decision, the protocol and the visit's language, once its
    /// transaction is decided. At most [`MAX_RECEIPTS`] per visit (a
    /// reprint when one failed; never a roll emptied by a stuck key).
    pub fn receipt_facts(&self, id: &str) -> Result<ReceiptFacts, VisitError> {
        self.with_visit(id, |_, _, visit| {
            let transaction = visit
                .flow
                .as_ref()
                .map(VerificationFlow::transaction)
                .filter(|t| t.stage == dayfusion_verify::Stage::Decided)
                .ok_or(VisitError::OutOfOrder("receipt"))?;
            if visit.receipts >= MAX_RECEIPTS {
                return Err(VisitError::InvalidInput("another receipt"));
            }
            visit.receipts += 1;
            Ok(ReceiptFacts {
                outcome: customer_outcome(transaction.status),
                reference: customer_reference(&transaction.transaction_id),
                lang: visit.lang.clone(),
            })
        })
    }

    /// Ends visit `id`: a transaction not yet decided is aborted (its
    /// evidence deleted), and everything held for the customer is wiped.
    pub fn end(&self, id: &str, reason: VisitEnd) -> Result<(), VisitError> {
        let mut slot = self.lock();
        match slot.take() {
            Some(visit) if visit.id == id => {
                self.close(visit, reason);
                Ok(())
            }
            other => {
                *slot = other;
                Err(VisitError::Expired)
            }
        }
    }

    /// Ends the visit if nobody touched it for the back end's grace time
    /// (the screens end it sooner; this covers a crashed or frozen screen).
    /// Returns whether one ended.
    pub fn expire_idle(&self, now: Instant) -> bool {
        let mut slot = self.lock();
        self.expire_locked(&mut slot, now)
    }

    fn expire_locked(&self, slot: &mut Option<Visit>, now: Instant) -> bool {
        let grace = backend_grace(&self.config);
        if slot
            .as_ref()
            .is_some_and(|v| now.saturating_duration_since(v.last_touch) > grace)
            && let Some(visit) = slot.take()
        {
            self.close(visit, VisitEnd::Idle);
            return true;
        }
        false
    }

    /// Whether a visit is open (a customer is at the kiosk).
    pub fn has_visit(&self) -> bool {
        self.lock().is_some()
    }

    fn close(&self, mut visit: Visit, reason: VisitEnd) {
        if let Some(flow) = visit.flow.as_mut()
            && !flow.transaction().stage.is_final()
            && let Err(e) = flow.abort(&self.ports.backend(), end_code(reason))
        {
            // Left IN_PROGRESS: the next start's recovery aborts it.
            warn!(event = "visit_abort_failed", error = %e);
        }
        // The liveness images held for the flow go; the document bytes
        // are zeroed on drop (Zeroizing); scans this customer left in the
        // inbox go too.
        if let Some(session) = &visit.session {
            self.ports.liveness.forget(&session.session_id);
        }
        drop(visit);
        document::clear_inbox(self.config.document_inbox.as_deref());
        info!(
            event = "visit_ended",
            reason = end_code(reason),
            "customer visit ended"
        );
    }
}

/// Refuses `step` unless the visit is choosing its document: consent
/// given, no transaction started yet.
fn choosing_document(visit: &Visit, step: &'static str) -> Result<(), VisitError> {
    if visit.consent.is_none() || visit.flow.is_some() {
        return Err(VisitError::OutOfOrder(step));
    }
    Ok(())
}

/// Takes the document from `source`: finds the holder's portrait and holds
/// the document in memory for the customer to confirm.
fn hold_document(
    ports: &DeskPorts,
    config: &DeskConfig,
    visit: &mut Visit,
    source: DocumentSource,
) -> Result<DocumentPreview, VisitError> {
    choosing_document(visit, "document")?;
    let held = document::take(ports.matcher.as_ref(), source, config)?;
    let preview = held.preview()?;
    info!(
        event = "visit_document_taken",
        rotation = held.location.rotation_degrees,
        from_pdf = held.from_pdf,
        "document photo taken, portrait found"
    );
    visit.document = Some(held);
    Ok(preview)
}

/// The widget's `provider` for a backend.
fn provider_name(kind: Provider) -> &'static str {
    if kind == Provider::Aws {
        "aws"
    } else {
        "local"
    }
}

fn visit_liveness(
    config: &DeskConfig,
    session: &dayfusion_verify::LivenessSessionStart,
) -> VisitLiveness {
    let aws = session.provider == Provider::Aws;
    VisitLiveness {
        session_id: session.session_id.clone(),
        provider: provider_name(session.provider).to_owned(),
        region: if aws { config.aws_region.clone() } else { None },
    }
}
