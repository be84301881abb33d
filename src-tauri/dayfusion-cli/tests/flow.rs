//! The flow's state machine on the embedded backend's real parts (SQLite
//! log, encrypted evidence store, face engine, recorded-video liveness):
//! steps out of order are refused and change nothing.

use std::path::PathBuf;
use std::sync::Arc;

use dayfusion_evidence::{KeySource, LocalEvidenceStore};
use dayfusion_face::FaceEngine;
use dayfusion_ledger::SqliteLog;
use dayfusion_liveness::LivenessSettings;
use dayfusion_verify::embedded::{EmbeddedMatcher, RecordedVideo};
use dayfusion_verify::{
    Backend, EvidenceStore, FlowError, PolicySet, Provider, Stage, StartRequest, TransactionLog,
    VerificationFlow,
};

mod common;
use common::{TestResult, has_ffmpeg, selfie_video};

#[test]
fn steps_out_of_order_are_refused_and_leave_the_transaction_as_it_was() -> TestResult {
    let models = dayfusion_models::default_dir()?;
    let photos =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images/face_recognition");
    if dayfusion_models::verify(&models).is_err()
        || !photos.join("obama.jpg").is_file()
        || !has_ffmpeg()
    {
        if std::env::var_os("CI").is_some() {
            return Err("flow: the model pack, test photos or ffmpeg are missing in CI".into());
        }
        eprintln!("SKIP flow: needs the model pack, the test photos and ffmpeg (make setup)");
        return Ok(());
    }
    let tmp = tempfile::tempdir()?;
    let video = tmp.path().join("selfie.avi");
    selfie_video(&photos.join("obama.jpg"), &video, 1)?;
    let faces = Arc::new(FaceEngine::load(&models)?);
    let evidence = LocalEvidenceStore::open(&tmp.path().join("evidence"), KeySource::FileOnly)?;
    let log = SqliteLog::open(&tmp.path().join("transactions.db"))?;
    let matcher = EmbeddedMatcher::new(faces.clone());
    let liveness = RecordedVideo::new(faces, video, LivenessSettings::default());
    let backend = Backend {
        kind: Provider::Embedded,
        liveness: &liveness,
        matcher: &matcher,
        evidence: &evidence,
        log: &log,
    };
    let policy = PolicySet::shipped()?
        .get("default")
        .cloned()
        .ok_or("no default policy")?;
    let mut flow = VerificationFlow::start(
        &backend,
        StartRequest {
            kiosk_id: "kiosk-test".to_owned(),
            operator: Some("staff-7".to_owned()),
            product: "account-opening".to_owned(),
            policy,
            consent: None,
        },
    )?;
    let id = flow.transaction().transaction_id;
    let out_of_order = |r: Result<(), FlowError>, step: &str| match r {
        Err(FlowError::OutOfOrder { .. }) => {}
        other => panic!("{step}: expected out of order, got {other:?}"),
    };
    out_of_order(flow.compare(&backend).map(|_| ()), "compare first");
    out_of_order(flow.decide(&backend).map(|_| ()), "decide first");
    out_of_order(
        flow.start_liveness(&backend).map(|_| ()),
        "liveness before document",
    );
    out_of_order(
        flow.complete_liveness(&backend).map(|_| ()),
        "results before document",
    );

    // A document without a face: refused, nothing stored, still at Started.
    let blank = image::RgbImage::from_pixel(800, 500, image::Rgb([200, 210, 220]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(blank)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    match flow.capture_document(&backend, &png) {
        Err(FlowError::Input(e)) => assert!(e.code.starts_with("document-no-"), "{}", e.code),
        other => panic!("blank document accepted: {other:?}"),
    }
    assert_eq!(flow.transaction().stage, Stage::Started);
    assert!(evidence.list()?.is_empty());

    let document = std::fs::read(photos.join("obama2.jpg"))?;
    flow.capture_document(&backend, &document)?;
    out_of_order(
        flow.capture_document(&backend, &document).map(|_| ()),
        "document twice",
    );
    out_of_order(
        flow.complete_liveness(&backend).map(|_| ()),
        "results before a session",
    );
    out_of_order(
        flow.compare(&backend).map(|_| ()),
        "compare before liveness",
    );
    flow.start_liveness(&backend)?;
    flow.complete_liveness(&backend)?;
    out_of_order(
        flow.complete_liveness(&backend).map(|_| ()),
        "results twice",
    );
    if flow
        .transaction()
        .liveness
        .as_ref()
        .is_some_and(|l| l.reference_key.is_some())
    {
        flow.compare(&backend)?;
    }
    flow.decide(&backend)?;
    out_of_order(
        flow.abort(&backend, "cancelled").map(|_| ()),
        "abort after decision",
    );
    out_of_order(flow.decide(&backend).map(|_| ()), "decide twice");

    // The log holds exactly what the flow holds.
    assert_eq!(log.get(&id)?.as_ref(), Some(flow.transaction()));
    assert!(log.verify_audit()?.first_bad.is_none());
    Ok(())
}
