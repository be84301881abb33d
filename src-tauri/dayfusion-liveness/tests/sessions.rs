//! The session protocol: ids, single use, expiry, wrong-order calls, and a
//! whole live session walked through its challenge by a photo attack whose
//! skin even follows the colours: the light check passes, the depth check
//! must not.

mod common;

use common::{Pose, Subject, TestResult, client, engine, photo, render, rng};
use dayfusion_liveness::{
    CheckKind, Guidance, LivenessEngine, LivenessError, LivenessSettings, LivenessStatus,
    ManualClock, Outcome, Phase,
};
use sha2::Digest;

fn service(test: &str) -> Option<(LivenessEngine, ManualClock, Subject)> {
    let faces = engine(test)?;
    let subject = Subject::new(&faces, photo(test, "face_recognition/obama.jpg")?)?;
    let clock = ManualClock::default();
    Some((
        LivenessEngine::with_clock(faces, Box::new(clock.clone())),
        clock,
        subject,
    ))
}

#[test]
fn a_repeatable_engine_repeats_its_challenges_and_only_for_its_seed() -> TestResult {
    let test = "session-repeatable";
    let Some(faces) = engine(test) else {
        return Ok(());
    };
    let ovals = |seed: u64| -> Result<Vec<_>, LivenessError> {
        let live = LivenessEngine::repeatable(
            std::sync::Arc::clone(&faces),
            Box::new(ManualClock::default()),
            seed,
        );
        (0..3)
            .map(|_| Ok(live.create_session(LivenessSettings::default())?.oval))
            .collect()
    };
    // Evaluation runs repeat; another seed draws other challenges.
    assert_eq!(ovals(7)?, ovals(7)?);
    assert_ne!(ovals(7)?, ovals(8)?);
    Ok(())
}

#[test]
fn sessions_are_unguessable_single_use_and_expire() -> TestResult {
    let test = "session-protocol";
    let Some((live, clock, subject)) = service(test) else {
        return Ok(());
    };
    let mut r = rng(30);
    let frame = render(&subject, Pose::at(0.27), &mut r);

    let a = live.create_session(LivenessSettings::default())?;
    let b = live.create_session(LivenessSettings::default())?;
    assert_ne!(a.session_id, b.session_id);
    assert_ne!(a.oval, b.oval);
    assert_eq!(uuid::Uuid::parse_str(&a.session_id)?.get_version_num(), 4);

    let too_many = LivenessSettings {
        audit_images_limit: 5,
        ..LivenessSettings::default()
    };
    assert!(matches!(
        live.create_session(too_many),
        Err(LivenessError::InvalidSettings(_))
    ));
    assert!(matches!(
        live.push_frame("nope", 0.0, &frame, None),
        Err(LivenessError::UnknownSession)
    ));

    // finish before any frame: refused, and the session stays usable.
    assert!(matches!(
        live.finish(&a.session_id),
        Err(LivenessError::NoFrames)
    ));
    live.push_frame(&a.session_id, 0.0, &frame, None)?;
    let done = live.finish(&a.session_id)?;
    assert_eq!(done.status, LivenessStatus::Failed);
    assert_eq!(done.failure, Some("challenge-not-completed"));
    let again = live.finish(&a.session_id);
    assert!(
        matches!(again, Err(LivenessError::AlreadyUsed)),
        "{again:?}"
    );
    assert!(matches!(
        live.push_frame(&a.session_id, 70.0, &frame, None),
        Err(LivenessError::AlreadyUsed)
    ));

    // Expiry: three minutes after creation.
    live.push_frame(&b.session_id, 0.0, &frame, None)?;
    clock.advance(180_001);
    let expired = live.finish(&b.session_id)?;
    assert_eq!(expired.status, LivenessStatus::Expired);
    assert_eq!(expired.confidence, 0.0);
    assert!(expired.reference_image.is_none());
    let c = live.create_session(LivenessSettings::default())?;
    live.push_frame(&c.session_id, 0.0, &frame, None)?;
    clock.advance(180_001);
    let err = live.push_frame(&c.session_id, 70.0, &frame, None);
    assert!(matches!(err, Err(LivenessError::Expired)), "{err:?}");
    // ... and finishing it still says so.
    assert_eq!(live.finish(&c.session_id)?.status, LivenessStatus::Expired);

    // Frames with impossible timestamps or sizes are refused, with the
    // session left usable.
    let d = live.create_session(LivenessSettings::default())?;
    for t in [f64::NAN, f64::INFINITY, -5.0] {
        let err = live.push_frame(&d.session_id, t, &frame, None);
        assert!(
            matches!(err, Err(LivenessError::InvalidFrame(_))),
            "{t}: {err:?}"
        );
    }
    let tiny = image::RgbImage::new(160, 120);
    let err = live.push_frame(&d.session_id, 0.0, &tiny, None);
    assert!(
        matches!(err, Err(LivenessError::InvalidFrame(_))),
        "{err:?}"
    );
    assert!(err.is_err_and(|e| e.message("pt-BR").contains("câmera")));
    live.push_frame(&d.session_id, 0.0, &frame, None)?;
    let e = LivenessError::Expired;
    assert!(
        e.message("pt-BR").contains("expirou"),
        "{}",
        e.message("pt-BR")
    );
    assert!(e.message("en").contains("expired"));
    Ok(())
}

#[test]
fn a_photo_walked_through_the_whole_challenge_fails_on_depth() -> TestResult {
    let test = "session-photo-attack";
    let Some((live, clock, subject)) = service(test) else {
        return Ok(());
    };
    let settings = LivenessSettings {
        audit_images_limit: 3,
        locale: "en".to_owned(),
        ..LivenessSettings::default()
    };
    let start = live.create_session(settings)?;
    let id = start.session_id.as_str();
    // A photo moved through the ovals the answers reveal, its skin lit by
    // the colours on screen as a face would be.
    let run = client::run(
        &subject,
        start.oval,
        &client::Loop::default(),
        31,
        400,
        &mut |arrival, captured, frame, shown| {
            client::advance_to(&clock, arrival);
            live.push_frame(id, captured, frame, shown)
        },
    )?;
    let phase = run.phase;
    let seen: Vec<Guidance> = run.answers.iter().map(|a| a.guidance).collect();
    let large = run
        .answers
        .iter()
        .find_map(|a| a.oval.filter(|o| o.width > start.oval.width))
        .ok_or("no large oval revealed")?;
    assert_eq!(phase, Phase::Complete, "guidance seen: {seen:?}");
    assert!(seen.contains(&Guidance::MoveCloser));
    assert!(seen.contains(&Guidance::HoldStill));
    let result = live.finish(id)?;
    let by_kind = |k: CheckKind| result.checks.iter().find(|c| c.check == k).cloned();
    eprintln!("{}", serde_json::to_string_pretty(&result)?);
    assert_eq!(result.status, LivenessStatus::Succeeded);
    assert_eq!(
        by_kind(CheckKind::Movement).map(|c| c.outcome),
        Some(Outcome::Passed)
    );
    assert_eq!(
        by_kind(CheckKind::Light).map(|c| c.outcome),
        Some(Outcome::Passed)
    );
    assert_eq!(
        by_kind(CheckKind::CaptureIntegrity).map(|c| c.outcome),
        Some(Outcome::Passed)
    );
    let depth = by_kind(CheckKind::Depth).ok_or("no depth check")?;
    assert_eq!(depth.reason, "depth-flat", "{depth:?}");
    assert!(
        result.confidence < 50.0,
        "a flat photo must not pass: {}",
        result.confidence
    );

    // Evidence: a reference frame near the large oval and three audit frames.
    let reference = result
        .reference_image
        .as_ref()
        .ok_or("no reference image")?;
    assert_eq!(
        reference.sha256,
        hex::encode(sha2::Sha256::digest(&reference.jpeg))
    );
    let decoded = image::load_from_memory(&reference.jpeg)?;
    assert_eq!(decoded.width(), common::FRAME_W);
    let face = reference.face.ok_or("reference without face box")?;
    assert!(face.width / common::FRAME_W as f32 > large.width * 0.8);
    assert_eq!(result.audit_images.len(), 3);
    assert!(
        result
            .audit_images
            .windows(2)
            .all(|w| w[0].timestamp_ms < w[1].timestamp_ms)
    );
    assert!(result.timings.finish_ms >= 0.0);
    Ok(())
}

#[test]
fn frames_pushed_faster_than_captured_fail_integrity() -> TestResult {
    let test = "session-injection";
    let Some((live, clock, subject)) = service(test) else {
        return Ok(());
    };
    let start = live.create_session(LivenessSettings::default())?;
    let mut r = rng(32);
    // Thirty frames claiming two seconds of capture, pushed within 150 ms.
    for i in 0..30 {
        let frame = render(&subject, Pose::at(0.27), &mut r);
        live.push_frame(&start.session_id, f64::from(i) * 66.7, &frame, None)?;
        clock.advance(5);
    }
    let result = live.finish(&start.session_id)?;
    let integrity = result
        .checks
        .iter()
        .find(|c| c.check == CheckKind::CaptureIntegrity)
        .ok_or("no integrity check")?;
    assert_eq!(
        integrity.reason, "integrity-arrived-too-fast",
        "{integrity:?}"
    );
    Ok(())
}
