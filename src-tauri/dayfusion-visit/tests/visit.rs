//! A customer's visit on the real embedded backend: the face models, the
//! encrypted evidence store and the SQLite log in a temporary data folder,
//! a document composed here from a registry test photo, and liveness frames
//! of that photo pushed through the capture service as the widget does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dayfusion_capture::{CaptureService, FrameHeader};
use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_face::FaceEngine;
use dayfusion_ipc::{CustomerOutcome, VisitEnd, VisitRefusal};
use dayfusion_ledger::SqliteLog;
use dayfusion_liveness::{LivenessEngine, LivenessSettings};
use dayfusion_verify::embedded::{EmbeddedMatcher, LiveSessions, RecordedVideo};
use dayfusion_verify::{
    ChallengeKind, EvidenceStore, PolicySet, Provider, Stage, Status, TransactionLog,
};
use dayfusion_visit::document::DocumentSource;
use dayfusion_visit::{DeskConfig, DeskPorts, VisitDesk, VisitError};
use image::{Rgb, RgbImage, imageops};
use sha2::Digest;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// An evidence store whose objects were replaced behind the kiosk's back
/// (an S3 object overwritten by someone with bucket access): every read
/// returns other, well-formed image bytes.
struct ReplacedObjects {
    inner: Arc<dyn EvidenceStore>,
    replacement: Vec<u8>,
}

impl EvidenceStore for ReplacedObjects {
    fn put(
        &self,
        key: &dayfusion_verify::EvidenceKey,
        bytes: &[u8],
    ) -> Result<dayfusion_verify::EvidenceRef, dayfusion_verify::StoreError> {
        self.inner.put(key, bytes)
    }
    fn get(
        &self,
        _key: &dayfusion_verify::EvidenceKey,
    ) -> Result<Vec<u8>, dayfusion_verify::StoreError> {
        Ok(self.replacement.clone())
    }
    fn delete(
        &self,
        key: &dayfusion_verify::EvidenceKey,
    ) -> Result<bool, dayfusion_verify::StoreError> {
        self.inner.delete(key)
    }
    fn list(&self) -> Result<Vec<dayfusion_verify::EvidenceKey>, dayfusion_verify::StoreError> {
        self.inner.list()
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    faces: Arc<FaceEngine>,
    photos: PathBuf,
    log: Arc<SqliteLog>,
    evidence: Arc<LocalEvidenceStore>,
}

impl Setup {
    /// `None` (after saying why) without the models or the test photos;
    /// in CI their absence fails the test.
    fn new(test: &str) -> Result<Option<Setup>, Box<dyn std::error::Error>> {
        let photos = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/test-images/face_recognition");
        let faces = dayfusion_models::default_dir()
            .ok()
            .and_then(|dir| FaceEngine::load(&dir).ok());
        let Some(faces) = faces.filter(|_| photos.join("obama.jpg").is_file()) else {
            if std::env::var_os("CI").is_some() {
                return Err(
                    format!("{test}: the model pack or test photos are missing in CI").into(),
                );
            }
            eprintln!("SKIP {test}: needs the model pack and the test photos (make setup)");
            return Ok(None);
        };
        let tmp = tempfile::tempdir()?;
        let dir = tmp.path().to_path_buf();
        let log = Arc::new(SqliteLog::open(&dir.join("transactions.db"))?);
        let evidence = Arc::new(LocalEvidenceStore::open(
            &dir.join("evidence"),
            KeySource::FileOnly,
        )?);
        Ok(Some(Setup {
            _tmp: tmp,
            dir,
            faces: Arc::new(faces),
            photos,
            log,
            evidence,
        }))
    }

    fn config(
        &self,
        policy: &str,
        extra: Option<&str>,
    ) -> Result<DeskConfig, Box<dyn std::error::Error>> {
        let mut policies = PolicySet::shipped()?;
        if let Some(text) = extra {
            policies.merge_text(text, "test")?;
        }
        Ok(DeskConfig {
            kiosk_id: "kiosk-test".into(),
            product: "account-opening".into(),
            policy: policies.get(policy).cloned().ok_or("no policy")?,
            idle_timeout_seconds: 90,
            retention_days: 180,
            document_inbox: Some(self.dir.join("inbox")),
            scanner: false,
            camera: true,
            aws_region: None,
            data_dir: self.dir.clone(),
        })
    }

    /// A desk whose liveness runs live sessions (returned for the frames).
    fn live_desk(&self) -> Result<(VisitDesk, CaptureService), Box<dyn std::error::Error>> {
        let engine = Arc::new(LivenessEngine::new(self.faces.clone()));
        let sessions = Arc::new(LiveSessions::new(engine, LivenessSettings::default()));
        let ports = DeskPorts {
            kind: Provider::Embedded,
            liveness: sessions.clone(),
            matcher: Arc::new(EmbeddedMatcher::new(self.faces.clone())),
            evidence: self.evidence.clone(),
            log: self.log.clone(),
        };
        let desk = VisitDesk::open(ports, self.config("default", None)?)?;
        // The kiosk's one attempt limiter, as the app wires it.
        let capture = CaptureService::with_limiter(sessions, desk.attempt_limiter().clone());
        Ok((desk, capture))
    }

    fn photo(&self, name: &str) -> Result<RgbImage, Box<dyn std::error::Error>> {
        Ok(image::open(self.photos.join(name))?.to_rgb8())
    }

    /// A 1000×630 ID card with `name` as its portrait, as JPEG bytes.
    fn card(&self, name: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
        let mut card = RgbImage::from_pixel(1000, 630, Rgb([216, 228, 239]));
        for x in 40..960 {
            for y in 40..90 {
                card.put_pixel(x, y, Rgb([29, 79, 145]));
            }
        }
        let photo = self.photo(name)?;
        let h = 300 * photo.height() / photo.width();
        let portrait = imageops::resize(&photo, 300, h, imageops::FilterType::Triangle);
        imageops::overlay(&mut card, &portrait, 60, 120);
        jpeg(&card)
    }
}

fn jpeg(image: &RgbImage) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(image)?;
    Ok(out)
}

fn evidence_count(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.join("evidence")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                stack.push(p);
            } else if name != "key.json" && name != "evidence.key" && !name.starts_with('.') {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn declining_the_consent_ends_the_visit_with_nothing_stored() -> TestResult {
    let Some(s) = Setup::new("declining")? else {
        return Ok(());
    };
    let (desk, _) = s.live_desk()?;
    let visit = desk.begin("pt-BR");
    assert!(visit.document_sources.inbox && visit.document_sources.removable_media);
    assert_eq!(visit.retention_days, 180);
    desk.consent(&visit.visit_id, false)?;
    assert!(!desk.has_visit());
    let after = desk.take_document(
        &visit.visit_id,
        DocumentSource::Bytes(s.card("obama2.jpg")?),
    );
    assert_eq!(
        after.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::VisitExpired)
    );
    assert!(s.log.list(&Default::default())?.is_empty());
    assert_eq!(evidence_count(&s.dir), 0);
    Ok(())
}

#[test]
fn a_document_before_consent_or_without_a_portrait_is_refused_and_nothing_is_kept() -> TestResult {
    let Some(s) = Setup::new("document refusals")? else {
        return Ok(());
    };
    let (desk, _) = s.live_desk()?;
    let visit = desk.begin("en");
    let id = visit.visit_id.as_str();
    let early = desk.take_document(id, DocumentSource::Bytes(s.card("obama2.jpg")?));
    assert_eq!(
        early.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::OutOfOrder)
    );
    desk.consent(id, true)?;
    let blank = jpeg(&RgbImage::from_pixel(1000, 630, Rgb([216, 228, 239])))?;
    let refused = desk.take_document(id, DocumentSource::Bytes(blank));
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::NoPortrait)
    );
    let text = desk.take_document(id, DocumentSource::Bytes(b"not an image at all".to_vec()));
    assert_eq!(
        text.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::DocumentUnreadable)
    );
    let inbox = desk.take_document(id, DocumentSource::Inbox);
    assert_eq!(
        inbox.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::InboxEmpty)
    );
    // Confirming with no document held is out of order; the visit goes on.
    let confirm = desk.confirm_document(id);
    assert_eq!(
        confirm.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::OutOfOrder)
    );
    assert!(desk.has_visit());
    assert!(s.log.list(&Default::default())?.is_empty());
    assert_eq!(evidence_count(&s.dir), 0);
    Ok(())
}

#[test]
fn a_whole_visit_with_live_frames_is_decided_as_the_log_records_it() -> TestResult {
    let Some(s) = Setup::new("whole visit")? else {
        return Ok(());
    };
    let (desk, capture) = s.live_desk()?;
    let visit = desk.begin("pt-BR");
    let id = visit.visit_id.as_str();
    // The consent as the screen showed it: its SHA-256 is recorded.
    let shown = "Antes de começar: seus dados … Versão do termo: 2026-12-lgpd-2";
    assert!(matches!(
        desk.consent_to(id, true, Some("  ")),
        Err(VisitError::InvalidInput(_))
    ));
    desk.consent_to(id, true, Some(shown))?;
    // The scan arrives through the inbox folder (and is deleted once read).
    let inbox = s.dir.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    let scan = inbox.join("scan-0001.jpg");
    std::fs::write(&scan, s.card("obama2.jpg")?)?;
    let settled = std::time::SystemTime::now() - Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&scan)?
        .set_modified(settled)?;
    let preview = desk.take_document(id, DocumentSource::Inbox)?;
    assert!(
        !scan.exists(),
        "the scan is removed from the inbox once read"
    );
    assert!(preview.portrait.starts_with("data:image/jpeg;base64,"));
    assert!(preview.document.starts_with("data:image/jpeg;base64,"));
    assert_eq!(preview.rotation_degrees, 0);
    // Nothing is stored before the customer confirms the portrait.
    assert!(s.log.list(&Default::default())?.is_empty());
    let step = desk.confirm_document(id)?;
    assert_eq!(step.provider, "local");
    assert_eq!(step.attempts_left, 5);
    assert!(
        step.movement_challenge,
        "the local engine has the check without colours"
    );
    // No session yet: it opens when the widget asks (the customer pressed start).
    let started = &s.log.list(&Default::default())?[0];
    assert_eq!(started.stage, Stage::DocumentCaptured);
    assert!(started.liveness_session_id.is_none());

    // The widget's part: frames of a face in front of the camera, then finish.
    let face = jpeg(&imageops::resize(
        &s.photo("obama.jpg")?,
        640,
        480,
        imageops::FilterType::Triangle,
    ))?;
    let capture_one = |session_id: &str| -> Result<_, Box<dyn std::error::Error>> {
        for i in 0..24 {
            let header = FrameHeader {
                session_id: session_id.to_owned(),
                capture_ms: f64::from(i) * 66.0,
                shown: None,
                camera: String::new(),
            };
            capture.frame(&header, &face)?;
        }
        Ok(capture.finish(session_id, "pt-BR")?)
    };
    let first = desk.liveness_session(id)?;
    assert_eq!(first.provider, "local");
    let failed = capture_one(&first.session_id)?;
    // A photo held still fails the challenge: the capture service counts
    // it in the kiosk's limiter, which the desk shares.
    assert_ne!(failed.status, dayfusion_ipc::LivenessEnd::Succeeded);
    assert_eq!(failed.attempts_left, 4);
    // The widget's own retry, without flashing colours this time: a new
    // session, bound in place of the first, whose leftovers are forgotten;
    // the failure is counted once.
    let liveness = desk.liveness_session_for(id, ChallengeKind::Movement)?;
    assert_ne!(liveness.session_id, first.session_id);
    assert!(
        capture
            .sessions()
            .finished_outcome(&first.session_id)
            .is_none()
    );
    assert_eq!(desk.attempt_limiter().remaining(), 4);
    let summary = capture_one(&liveness.session_id)?;

    let result = desk.complete(id)?;
    let stored = s.log.list(&Default::default())?;
    assert_eq!(stored.len(), 1);
    let t = &stored[0];
    assert_eq!(t.stage, Stage::Decided);
    let expected = match t.status {
        Status::Approved => CustomerOutcome::Approved,
        Status::Review => CustomerOutcome::Review,
        _ => CustomerOutcome::Rejected,
    };
    assert_eq!(result.outcome, expected, "{t:?}");
    // A photo held still never passes the challenge.
    assert_ne!(result.outcome, CustomerOutcome::Approved, "{summary:?}");
    let tid = t.transaction_id.simple().to_string().to_uppercase();
    assert!(tid.ends_with(&result.reference));
    let consent = t.consent.as_ref().ok_or("no consent recorded")?;
    assert_eq!(consent.version, dayfusion_visit::CONSENT_VERSION);
    assert_eq!(consent.language, "pt-BR");
    assert_eq!(
        consent.text_sha256.as_deref(),
        Some(hex::encode(sha2::Sha256::digest(shown.as_bytes())).as_str())
    );
    assert_eq!(
        t.liveness_session_id.as_deref(),
        Some(liveness.session_id.as_str())
    );
    let replaced: Vec<_> = s
        .log
        .audit_events(&t.transaction_id)?
        .into_iter()
        .filter(|e| e.kind == "liveness.started")
        .map(|e| {
            (
                e.data["sessionId"].clone(),
                e.data["replaces"].clone(),
                e.data["challenge"].clone(),
            )
        })
        .collect();
    assert_eq!(
        replaced,
        [
            (
                first.session_id.clone().into(),
                serde_json::Value::Null,
                "movement-and-light".into()
            ),
            (
                liveness.session_id.clone().into(),
                first.session_id.clone().into(),
                "movement".into()
            ),
        ]
    );
    // The path taken is in the transaction: no light check.
    assert_eq!(
        t.liveness.as_ref().map(|l| l.assurance.as_str()),
        Some("movement-challenge")
    );
    // The document stored is the scan, byte for byte.
    let document = t.document.as_ref().ok_or("no document")?;
    assert_eq!(
        s.evidence.get(&document.document_key)?,
        s.card("obama2.jpg")?
    );
    assert!(s.log.verify_audit()?.first_bad.is_none());
    // After the result the visit ends; the decided transaction stays, and
    // the liveness images held in memory for the flow are dropped.
    assert!(
        capture
            .sessions()
            .finished_outcome(&liveness.session_id)
            .is_some()
    );
    desk.end(id, VisitEnd::Done)?;
    assert!(
        capture
            .sessions()
            .finished_outcome(&liveness.session_id)
            .is_none(),
        "reference and audit images dropped from memory when the visit ends"
    );
    assert_eq!(
        s.log.get(&t.transaction_id)?.ok_or("gone")?.status,
        t.status
    );
    Ok(())
}

#[test]
fn an_abandoned_visit_is_aborted_and_its_evidence_deleted_by_the_idle_expiry() -> TestResult {
    let Some(s) = Setup::new("idle expiry")? else {
        return Ok(());
    };
    let (desk, _) = s.live_desk()?;
    let visit = desk.begin("pt-BR");
    let id = visit.visit_id.as_str();
    desk.consent(id, true)?;
    desk.take_document(id, DocumentSource::Bytes(s.card("obama2.jpg")?))?;
    desk.confirm_document(id)?;
    assert_eq!(
        evidence_count(&s.dir),
        1,
        "the document is stored once confirmed"
    );
    // Not yet: touched a moment ago.
    assert!(!desk.expire_idle(Instant::now()));
    assert!(desk.expire_idle(Instant::now() + Duration::from_secs(3600)));
    assert!(!desk.has_visit());
    let t = &s.log.list(&Default::default())?[0];
    assert_eq!(t.status, Status::Aborted);
    assert_eq!(t.abort_reason.as_deref(), Some("visit-idle-timeout"));
    assert_eq!(
        evidence_count(&s.dir),
        0,
        "the abandoned customer's evidence is deleted"
    );
    assert_eq!(
        desk.touch(id).map_err(|e| e.refusal()),
        Err(VisitRefusal::VisitExpired)
    );
    Ok(())
}

#[test]
fn a_review_decision_is_settled_once_with_an_audit_event_and_segregation_of_duties() -> TestResult {
    let Some(s) = Setup::new("review")? else {
        return Ok(());
    };
    if Command::new("ffmpeg").arg("-version").output().is_err() {
        if std::env::var_os("CI").is_some() {
            return Err("ffmpeg is missing in CI".into());
        }
        eprintln!("SKIP review: needs ffmpeg");
        return Ok(());
    }
    // A recorded video (no challenge) under a policy that sends captures
    // without a challenge to review whatever their scores.
    let video = s.dir.join("selfie.avi");
    let status = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-loop", "1", "-i"])
        .arg(s.photos.join("obama.jpg"))
        .args([
            "-t",
            "2",
            "-r",
            "15",
            "-vf",
            "scale=640:-2,noise=alls=12:allf=t",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
        ])
        .arg(&video)
        .status()?;
    assert!(status.success());
    let policy = r#"
[[policy]]
id = "review-all-passive"
version = 1
description = "Test: captures without a challenge go to review."
liveness_min = 1.0
similarity_min = 80.0
review_band = 10.0
passive_liveness = "review"
"#;
    let ports = DeskPorts {
        kind: Provider::Embedded,
        liveness: Arc::new(RecordedVideo::new(
            s.faces.clone(),
            video,
            LivenessSettings::default(),
        )),
        matcher: Arc::new(EmbeddedMatcher::new(s.faces.clone())),
        evidence: s.evidence.clone(),
        log: s.log.clone(),
    };
    let desk = VisitDesk::open(ports.clone(), s.config("review-all-passive", Some(policy))?)?;
    // Operated by a field agent: recorded as the transaction's operator.
    let visit = desk.begin_with(
        "en",
        dayfusion_visit::VisitStart {
            operator: Some(dayfusion_visit::Operator {
                account: "f2001".to_owned(),
                name: "Ana Campos".to_owned(),
            }),
            processors: Vec::new(),
            receipt_printer: false,
        },
    );
    assert_eq!(visit.operator_name.as_deref(), Some("Ana Campos"));
    let id = visit.visit_id.as_str();
    desk.consent(id, true)?;
    desk.take_document(id, DocumentSource::Bytes(s.card("obama2.jpg")?))?;
    desk.confirm_document(id)?;
    desk.liveness_session(id)?;
    let result = desk.complete(id)?;
    assert_eq!(result.outcome, CustomerOutcome::Review);
    desk.end(id, VisitEnd::Done)?;

    // The operator's own queue leaves it out and its detail is refused.
    assert!(dayfusion_visit::review::queue(s.log.as_ref(), "f2001")?.is_empty());
    let queue = dayfusion_visit::review::queue(s.log.as_ref(), "f1001")?;
    assert_eq!(queue.len(), 1);
    let item = &queue[0];
    assert!(item.similarity.is_some_and(|v| v >= 80.0), "{item:?}");
    assert!(
        item.reasons
            .iter()
            .any(|r| r == "liveness-without-challenge"),
        "{item:?}"
    );
    let tid: uuid::Uuid = item.transaction_id.parse()?;
    let own_detail = dayfusion_visit::review::detail(&ports, &tid, "pt-BR", "f2001");
    assert!(
        matches!(&own_detail, Err(e) if e.to_string().starts_with("review-own-transaction")),
        "{own_detail:?}"
    );
    let detail = dayfusion_visit::review::detail(&ports, &tid, "pt-BR", "f1001")?;
    assert!(
        detail
            .document_portrait
            .is_some_and(|p| p.starts_with("data:image/jpeg"))
    );
    assert!(detail.reference.is_some());
    assert!(!detail.checks.is_empty());
    assert!(detail.checks.iter().all(|c| !c.reason.is_empty()));
    // Tampered evidence (an S3 object replaced after the decision) is
    // refused in review, not shown: every image is checked against the
    // SHA-256 the transaction recorded.
    let tampered = DeskPorts {
        evidence: Arc::new(ReplacedObjects {
            inner: s.evidence.clone(),
            replacement: s.card("obama.jpg")?,
        }),
        ..ports.clone()
    };
    let refused = dayfusion_visit::review::detail(&tampered, &tid, "pt-BR", "f1001");
    assert!(
        matches!(
            refused,
            Err(dayfusion_visit::VisitError::Flow(
                dayfusion_verify::FlowError::Store(dayfusion_verify::StoreError::Corrupt(_))
            ))
        ),
        "{refused:?}"
    );

    assert_eq!(
        s.log.get(&tid)?.and_then(|t| t.operator).as_deref(),
        Some("f2001")
    );
    // Segregation of duties: the operator cannot settle their own visit.
    let own = dayfusion_verify::review::resolve(
        s.log.as_ref(),
        &tid,
        Status::Approved,
        "f2001",
        "Documento conferido presencialmente com o cliente.",
    );
    assert_eq!(
        own.map(|_| ()).map_err(|e| e.code()),
        Err("review-own-transaction".to_owned())
    );
    // A reason is required; then the verdict is recorded once.
    let short =
        dayfusion_verify::review::resolve(s.log.as_ref(), &tid, Status::Approved, "f1001", "ok");
    assert_eq!(
        short.map(|_| ()).map_err(|e| e.code()),
        Err("review-reason-invalid".to_owned())
    );
    let reviewed = dayfusion_verify::review::resolve(
        s.log.as_ref(),
        &tid,
        Status::Approved,
        "f1001",
        "Documento conferido presencialmente com o cliente.",
    )?;
    assert_eq!(reviewed.status, Status::Approved);
    let stored = s.log.get(&tid)?.ok_or("gone")?;
    assert_eq!(stored.status, Status::Approved);
    let review = stored.review.as_ref().ok_or("no review record")?;
    assert_eq!(review.reviewer, "f1001");
    // The policy's own decision is kept beside the review.
    assert_eq!(
        stored.decision.as_ref().map(|d| d.status),
        Some(Status::Review)
    );
    let events = s.log.audit_events(&tid)?;
    let last = events.last().ok_or("no events")?;
    assert_eq!(last.kind, "review.resolved");
    assert!(s.log.verify_audit()?.first_bad.is_none());
    assert!(dayfusion_visit::review::queue(s.log.as_ref(), "f1001")?.is_empty());
    let again = dayfusion_verify::review::resolve(
        s.log.as_ref(),
        &tid,
        Status::Rejected,
        "f1001",
        "changed my mind",
    );
    assert_eq!(
        again.map(|_| ()).map_err(|e| e.code()),
        Err("review-not-pending".to_owned())
    );
    // Nothing else of a final transaction can be rewritten.
    let mut forged = stored.clone();
    forged.status = Status::Rejected;
    let event = dayfusion_verify::AuditEvent {
        kind: "forged".into(),
        data: serde_json::json!({}),
    };
    assert!(s.log.update(&forged, &event).is_err());
    Ok(())
}

/// A one-page PDF whose page is `jpeg` (a DCT image XObject), as a scanner's
/// "scan to PDF" writes it.
fn pdf_of_jpeg(jpeg: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let content = format!("q {width} 0 0 {height} 0 0 cm /Im0 Do Q");
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>"
        )
        .into_bytes(),
        [
            format!(
                "<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode /Length {} >>\nstream\n",
                jpeg.len()
            )
            .into_bytes(),
            jpeg.to_vec(),
            b"\nendstream".to_vec(),
        ]
        .concat(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()).into_bytes(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[test]
fn a_pdf_scan_is_read_from_its_first_page() -> TestResult {
    let Some(s) = Setup::new("pdf")? else {
        return Ok(());
    };
    if Command::new("pdftoppm").arg("-v").output().is_err() {
        if std::env::var_os("CI").is_some() {
            return Err("pdftoppm (poppler-utils) is missing in CI".into());
        }
        eprintln!("SKIP pdf: needs pdftoppm (poppler-utils)");
        return Ok(());
    }
    let (desk, _) = s.live_desk()?;
    let visit = desk.begin("pt-BR");
    let id = visit.visit_id.as_str();
    desk.consent(id, true)?;
    let file = s.dir.join("scan.pdf");
    std::fs::write(&file, pdf_of_jpeg(&s.card("obama2.jpg")?, 1000, 630))?;
    let preview = desk.take_document(id, DocumentSource::File(file))?;
    assert!(preview.from_pdf);
    assert!(preview.portrait.starts_with("data:image/jpeg;base64,"));
    // A damaged PDF is refused as unreadable; the visit goes on.
    let broken = s.dir.join("broken.pdf");
    std::fs::write(&broken, b"%PDF-1.4\nnot really a pdf")?;
    let refused = desk.take_document(id, DocumentSource::File(broken));
    assert_eq!(
        refused.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::DocumentUnreadable)
    );
    assert!(desk.has_visit());
    Ok(())
}

#[test]
fn camera_frames_of_a_document_get_framing_feedback() -> TestResult {
    let Some(s) = Setup::new("frame quality")? else {
        return Ok(());
    };
    let matcher = EmbeddedMatcher::new(s.faces.clone());
    let card = image::load_from_memory(&s.card("obama2.jpg")?)?.to_rgb8();
    let frame = |image: &RgbImage| -> Result<dayfusion_ipc::DocumentFrameQuality, Box<dyn std::error::Error>> {
        Ok(dayfusion_visit::document::frame_quality(Some(&matcher), &jpeg(image)?)?)
    };
    use dayfusion_ipc::DocumentHint;
    let sharp = frame(&card)?;
    assert_eq!(sharp.hint, DocumentHint::Ready, "{sharp:?}");
    assert!(sharp.portrait_found);
    let blurred = frame(&imageops::blur(&card, 6.0))?;
    assert_eq!(blurred.hint, DocumentHint::Blurred, "{blurred:?}");
    assert!(blurred.sharpness < sharp.sharpness);
    let mut dark = card.clone();
    dark.pixels_mut()
        .for_each(|p| p.0.iter_mut().for_each(|c| *c /= 8));
    assert_eq!(frame(&dark)?.hint, DocumentHint::TooDark);
    let mut glare = card.clone();
    for x in 500..900 {
        for y in 150..450 {
            glare.put_pixel(x, y, Rgb([255, 255, 255]));
        }
    }
    assert_eq!(frame(&glare)?.hint, DocumentHint::Glare);
    let mut no_portrait = card.clone();
    for x in 40..400 {
        for y in 100..520 {
            no_portrait.put_pixel(x, y, Rgb([216, 228, 239]));
        }
    }
    let empty = frame(&no_portrait)?;
    assert_eq!(empty.hint, DocumentHint::NoPortrait, "{empty:?}");
    Ok(())
}

#[test]
fn scans_left_in_the_inbox_never_reach_the_next_customer() -> TestResult {
    let Some(s) = Setup::new("inbox leftovers")? else {
        return Ok(());
    };
    let inbox = s.dir.join("inbox");
    std::fs::create_dir_all(&inbox)?;
    // A scan from before this desk opened (a crash, an earlier session).
    std::fs::write(inbox.join("stale.jpg"), s.card("obama2.jpg")?)?;
    let (desk, _) = s.live_desk()?;
    assert_eq!(
        std::fs::read_dir(&inbox)?.count(),
        0,
        "stale scans are deleted when the desk opens"
    );
    // Customer A scans, then walks away without taking it.
    let a = desk.begin("pt-BR");
    desk.consent(&a.visit_id, true)?;
    std::fs::write(inbox.join("scan-a.jpg"), s.card("obama2.jpg")?)?;
    desk.end(&a.visit_id, VisitEnd::Idle)?;
    assert_eq!(
        std::fs::read_dir(&inbox)?.count(),
        0,
        "A's scan goes with A's visit"
    );
    // Customer B finds an empty inbox.
    let b = desk.begin("pt-BR");
    desk.consent(&b.visit_id, true)?;
    let taken = desk.take_document(&b.visit_id, DocumentSource::Inbox);
    assert_eq!(
        taken.map(|_| ()).map_err(|e| e.refusal()),
        Err(VisitRefusal::InboxEmpty)
    );
    // A symbolic link in the inbox is never followed.
    #[cfg(unix)]
    {
        let outside = s.dir.join("outside.jpg");
        std::fs::write(&outside, s.card("obama2.jpg")?)?;
        let link = inbox.join("link.jpg");
        std::os::unix::fs::symlink(&outside, &link)?;
        let settled = std::time::SystemTime::now() - Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&outside)?
            .set_modified(settled)?;
        let through_link = desk.take_document(&b.visit_id, DocumentSource::Inbox);
        assert!(through_link.is_err(), "a symlink is not read");
        assert!(outside.exists(), "nothing outside the inbox is deleted");
    }
    Ok(())
}
