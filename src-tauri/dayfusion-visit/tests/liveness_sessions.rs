//! The liveness session lifecycle of a visit, as Rekognition expects it:
//! no session until the widget asks (the customer pressed start), a new
//! session for every attempt (a Rekognition session accepts one stream),
//! the old one ended, and the kiosk's limit of five failed checks per three
//! minutes for customers. The provider is a stand-in that behaves like
//! Rekognition Face Liveness at the session level (one stream per session);
//! the protocol-level fake (`infra/aws-local/fake_rekognition.py`) is
//! exercised through the real SDK in `dayfusion-aws/tests/rekognition_fake.rs`.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::{Arc, Mutex};

use dayfusion_capture::AttemptLimiter;
use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_ipc::{CustomerOutcome, VisitEnd, VisitRefusal};
use dayfusion_ledger::SqliteLog;
use dayfusion_liveness::ManualClock;
use dayfusion_verify::{
    FaceMatcher, LivenessOutcome, LivenessProvider, LivenessSessionStart, LivenessStatus,
    MatchResult, PixelBox, PolicySet, PortraitLocation, Provider, ProviderError, Stage,
    TransactionLog,
};
use dayfusion_visit::document::DocumentSource;
use dayfusion_visit::{DeskConfig, DeskPorts, VisitDesk, VisitError};
use image::{Rgb, RgbImage};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// How the customer's stream on a session ended.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stream {
    /// The detector sent the video; the service decided.
    Completed(LivenessStatus),
    /// The stream broke (timeout, face too close, network, service error).
    Broken,
}

/// Rekognition Face Liveness at the session level: sessions by UUID, one
/// stream each (a second stream on a session is refused), results of the
/// stream; it records what the kiosk forgot.
#[derive(Default)]
struct OneStreamPerSession {
    streams: Mutex<HashMap<String, Stream>>,
    created: Mutex<Vec<String>>,
    forgotten: Mutex<Vec<String>>,
    reference: Vec<u8>,
}

impl OneStreamPerSession {
    /// The widget's detector streams on `session` (as the streaming fake
    /// does: refused when the session was streamed on already).
    fn stream(&self, session: &str, how: Stream) -> Result<(), String> {
        if !self.lock_created().iter().any(|s| s == session) {
            return Err(format!("SessionNotFoundException: {session}"));
        }
        let mut streams = self.streams.lock().map_err(|e| e.to_string())?;
        if streams.contains_key(session) {
            return Err(format!(
                "ValidationException: session {session} was already used for a Face Liveness check"
            ));
        }
        streams.insert(session.to_owned(), how);
        Ok(())
    }

    fn lock_created(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.created
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn forgotten(&self) -> Vec<String> {
        self.forgotten
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl LivenessProvider for OneStreamPerSession {
    fn provider(&self) -> Provider {
        Provider::Aws
    }

    fn create_session(&self) -> Result<LivenessSessionStart, ProviderError> {
        let id = uuid::Uuid::new_v4().to_string();
        self.lock_created().push(id.clone());
        Ok(LivenessSessionStart {
            session_id: id,
            provider: Provider::Aws,
        })
    }

    fn session_results(&self, session_id: &str) -> Result<LivenessOutcome, ProviderError> {
        let stream = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(session_id)
            .copied();
        let status = match stream {
            Some(Stream::Completed(status)) => status,
            // CREATED / IN_PROGRESS: the adapter reports it as incomplete.
            _ => {
                return Err(ProviderError::new(
                    "liveness-session-incomplete",
                    "the session has no result",
                    true,
                ));
            }
        };
        let succeeded = status == LivenessStatus::Succeeded;
        Ok(LivenessOutcome {
            provider: Provider::Aws,
            session_id: session_id.to_owned(),
            status,
            confidence: if succeeded { 96.5 } else { 12.0 },
            assurance: "challenge".into(),
            rule: "rekognition".into(),
            failure: (!succeeded).then(|| "liveness-low-confidence".to_owned()),
            checks: Vec::new(),
            camera: None,
            reference_image: succeeded.then(|| self.reference.clone()),
            audit_images: Vec::new(),
        })
    }

    fn forget(&self, session_id: &str) {
        self.forgotten
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(session_id.to_owned());
    }
}

/// A portrait in the middle of any document; every face matches.
struct Matcher;

impl FaceMatcher for Matcher {
    fn provider(&self) -> Provider {
        Provider::Aws
    }
    fn locate_portrait(&self, _document: &[u8]) -> Result<PortraitLocation, ProviderError> {
        Ok(PortraitLocation {
            face_box: PixelBox {
                x: 40.0,
                y: 40.0,
                width: 80.0,
                height: 100.0,
            },
            rotation_degrees: 0,
        })
    }
    fn compare(&self, _document: &[u8], _face: &[u8]) -> Result<MatchResult, ProviderError> {
        Ok(MatchResult {
            similarity: 97.0,
            model: "stand-in".into(),
        })
    }
}

fn jpeg(width: u32, height: u32) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 251) as u8, (y % 241) as u8, 128])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Jpeg)?;
    Ok(out)
}

struct Kiosk {
    desk: VisitDesk,
    provider: Arc<OneStreamPerSession>,
    log: Arc<SqliteLog>,
}

fn kiosk(dir: &Path, limiter: Arc<AttemptLimiter>) -> Result<Kiosk, Box<dyn std::error::Error>> {
    let provider = Arc::new(OneStreamPerSession {
        reference: jpeg(320, 240)?,
        ..Default::default()
    });
    let log = Arc::new(SqliteLog::open(&dir.join("transactions.db"))?);
    let ports = DeskPorts {
        kind: Provider::Aws,
        liveness: provider.clone(),
        matcher: Arc::new(Matcher),
        evidence: Arc::new(LocalEvidenceStore::open(
            &dir.join("evidence"),
            KeySource::FileOnly,
        )?),
        log: log.clone(),
    };
    let config = DeskConfig {
        kiosk_id: "kiosk-test".into(),
        product: "account-opening".into(),
        policy: PolicySet::shipped()?
            .get("default")
            .cloned()
            .ok_or("no policy")?,
        idle_timeout_seconds: 90,
        retention_days: 180,
        document_inbox: None,
        scanner: false,
        camera: true,
        aws_region: Some("sa-east-1".into()),
        data_dir: dir.to_path_buf(),
    };
    let desk = VisitDesk::open(ports, config)?.with_attempt_limiter(limiter);
    Ok(Kiosk {
        desk,
        provider,
        log,
    })
}

/// A visit up to the confirmed document; its id.
fn confirmed(k: &Kiosk) -> Result<String, Box<dyn std::error::Error>> {
    let id = k.desk.begin("pt-BR").visit_id;
    k.desk.consent(&id, true)?;
    k.desk
        .take_document(&id, DocumentSource::Bytes(jpeg(640, 400)?))?;
    let step = k.desk.confirm_document(&id)?;
    assert_eq!(step.provider, "aws");
    Ok(id)
}

fn manual_limiter(clock: &ManualClock) -> Arc<AttemptLimiter> {
    Arc::new(AttemptLimiter::new(5, 180_000.0, Box::new(clock.clone())))
}

#[test]
fn a_retry_after_a_streaming_error_uses_a_new_session_id() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let clock = ManualClock::default();
    let k = kiosk(tmp.path(), manual_limiter(&clock))?;
    let id = confirmed(&k)?;

    // Confirming the document opened no session: its three minutes start
    // when the customer presses start.
    let t = &k.log.list(&Default::default())?[0];
    assert_eq!(t.stage, Stage::DocumentCaptured);
    assert!(t.liveness_session_id.is_none());
    assert!(k.provider.lock_created().is_empty());

    // Start: a session bound to the transaction; the stream breaks.
    let first = k.desk.liveness_session(&id)?;
    assert_eq!(first.provider, "aws");
    assert_eq!(first.region.as_deref(), Some("sa-east-1"));
    k.provider.stream(&first.session_id, Stream::Broken)?;
    // Remounting the detector on the same session is what Rekognition refuses.
    let again = k.provider.stream(&first.session_id, Stream::Broken);
    assert!(
        again.as_ref().is_err_and(|e| e.contains("already used")),
        "{again:?}"
    );

    // The widget's retry asks for a session again: a new id, bound in place
    // of the first, which is forgotten and counted as a failed attempt.
    let second = k.desk.liveness_session(&id)?;
    assert_ne!(second.session_id, first.session_id);
    assert_eq!(
        k.provider.forgotten(),
        std::slice::from_ref(&first.session_id)
    );
    assert_eq!(k.desk.attempt_limiter().remaining(), 4);
    let t = &k.log.list(&Default::default())?[0];
    assert_eq!(
        t.liveness_session_id.as_deref(),
        Some(second.session_id.as_str())
    );
    let started: Vec<_> = k
        .log
        .audit_events(&t.transaction_id)?
        .into_iter()
        .filter(|e| e.kind == "liveness.started")
        .map(|e| (e.data["sessionId"].clone(), e.data["replaces"].clone()))
        .collect();
    assert_eq!(
        started,
        [
            (first.session_id.clone().into(), serde_json::Value::Null),
            (
                second.session_id.clone().into(),
                first.session_id.clone().into()
            ),
        ]
    );
    assert!(k.log.verify_audit()?.first_bad.is_none());

    // The new session streams once and is decided on its own result.
    k.provider.stream(
        &second.session_id,
        Stream::Completed(LivenessStatus::Succeeded),
    )?;
    let result = k.desk.complete(&id)?;
    assert_eq!(result.outcome, CustomerOutcome::Approved);
    let t = &k.log.list(&Default::default())?[0];
    assert_eq!(
        t.liveness.as_ref().map(|l| l.session_id.as_str()),
        Some(second.session_id.as_str())
    );
    // A success is not a failure: still one counted.
    assert_eq!(k.desk.attempt_limiter().remaining(), 4);
    k.desk.end(&id, VisitEnd::Done)?;
    Ok(())
}

#[test]
fn the_sixth_failed_attempt_within_three_minutes_is_refused() -> TestResult {
    let tmp = tempfile::tempdir()?;
    let clock = ManualClock::default();
    let k = kiosk(tmp.path(), manual_limiter(&clock))?;
    let id = confirmed(&k)?;

    // Five attempts whose streams break, ten seconds apart.
    let mut last = String::new();
    for _ in 0..5 {
        let session = k.desk.liveness_session(&id)?;
        k.provider.stream(&session.session_id, Stream::Broken)?;
        last = session.session_id;
        clock.advance(10_000);
    }
    // The sixth is refused: the customer is sent to staff.
    let sixth = k.desk.liveness_session(&id);
    let Err(VisitError::TooManyAttempts { retry_after_ms }) = &sixth else {
        return Err(format!("expected too-many-attempts, got {sixth:?}").into());
    };
    // Failures at 10..50 s (each counted when replaced), now 50 s.
    assert_eq!(*retry_after_ms, 140_000);
    assert_eq!(
        sixth.as_ref().map(|_| ()).map_err(VisitError::refusal),
        Err(VisitRefusal::TooManyAttempts)
    );
    assert!(
        sixth
            .as_ref()
            .is_err_and(|e| e.refusal_code() == "too-many-attempts")
    );
    // Nothing new was opened or bound.
    assert_eq!(k.provider.lock_created().len(), 5);
    let t = &k.log.list(&Default::default())?[0];
    assert_eq!(t.liveness_session_id.as_deref(), Some(last.as_str()));

    // Per kiosk, not per visit: the next customer is refused too.
    k.desk.end(&id, VisitEnd::Cancelled)?;
    let next = confirmed(&k)?;
    assert!(matches!(
        k.desk.liveness_session(&next),
        Err(VisitError::TooManyAttempts { .. })
    ));

    // A failed result (not only a broken stream) counts as well: once the
    // oldest failure leaves the window, one attempt is free again.
    clock.advance(140_000);
    let session = k.desk.liveness_session(&next)?;
    k.provider.stream(
        &session.session_id,
        Stream::Completed(LivenessStatus::Failed),
    )?;
    let result = k.desk.complete(&next)?;
    assert_eq!(result.outcome, CustomerOutcome::Rejected);
    assert_eq!(k.desk.attempt_limiter().remaining(), 0);
    k.desk.end(&next, VisitEnd::Done)?;
    Ok(())
}
