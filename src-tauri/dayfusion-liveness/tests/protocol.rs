//! The just-in-time challenge: the engine reveals each oval and colour in
//! the answer to the frame on which it is due and times the skin's
//! response on its own arrival clock. An honest client passes; a relay
//! 300 ms late, a colour header naming a colour not on screen, and a
//! stream showing colours before their reveal each fail the light check
//! with their reason. Every time here is on the injectable clock.

mod common;

use common::client::{self, Claim, Loop};
use common::{Subject, TestResult, check, engine, photo};
use dayfusion_face::FaceEngine;
use dayfusion_liveness::challenge::FLASH_COUNT;
use dayfusion_liveness::checks::light::LIVE_MAX_LOOP_MS;
use dayfusion_liveness::session::HOLD_MS;
use dayfusion_liveness::{
    Assurance, Challenge, ChallengeKind, CheckKind, Flash, FlashColour, LivenessEngine,
    LivenessSettings, ManualClock, Oval, Phase, Session,
};
use std::sync::Arc;

fn setup(test: &str) -> Option<(Arc<FaceEngine>, Subject)> {
    let faces = engine(test)?;
    let subject = Subject::new(&faces, photo(test, "face_recognition/obama.jpg")?)?;
    Some((faces, subject))
}

/// A session through the engine (random challenge of the kind `settings`
/// ask, manual clock), at most `max_frames` frames, then finished.
fn through_engine(
    faces: &Arc<FaceEngine>,
    subject: &Subject,
    settings: LivenessSettings,
    client: &Loop,
    seed: u64,
    max_frames: usize,
) -> Result<(client::Run, dayfusion_liveness::LivenessResult), Box<dyn std::error::Error>> {
    let clock = ManualClock::default();
    let live = LivenessEngine::with_clock(Arc::clone(faces), Box::new(clock.clone()));
    let start = live.create_session(settings)?;
    let id = start.session_id.clone();
    let run = client::run(
        subject,
        start.oval,
        client,
        seed,
        max_frames,
        &mut |arrival, captured, frame, shown| {
            client::advance_to(&clock, arrival);
            live.push_frame(&id, captured, frame, shown)
        },
    )?;
    let result = live.finish(&id)?;
    Ok((run, result))
}

/// A fixed challenge of six colours, green and red shown twice; no white.
fn known_challenge() -> Challenge {
    let oval = |x: f32, width: f32| Oval {
        center_x: x,
        center_y: 0.5,
        width,
    };
    let colours = [
        FlashColour::Red,
        FlashColour::Green,
        FlashColour::Blue,
        FlashColour::Yellow,
        FlashColour::Cyan,
        FlashColour::Magenta,
        FlashColour::Green,
        FlashColour::Red,
    ];
    Challenge {
        small_oval: oval(0.52, 0.27),
        large_oval: oval(0.5, 0.49),
        flashes: colours
            .iter()
            .zip([300, 250, 350, 280, 400, 320, 260, 300])
            .map(|(&colour, duration_ms)| Flash {
                colour,
                duration_ms,
            })
            .collect(),
    }
}

/// A session on a known challenge, driven directly on a manual clock.
fn with_known_challenge(
    faces: &FaceEngine,
    subject: &Subject,
    client: &Loop,
    seed: u64,
) -> Result<dayfusion_liveness::LivenessResult, Box<dyn std::error::Error>> {
    let challenge = known_challenge();
    let first = challenge.small_oval;
    let mut session = Session::live(challenge.clone(), LivenessSettings::default())?;
    let clock = ManualClock::default();
    let run = client::run(
        subject,
        first,
        client,
        seed,
        400,
        &mut |arrival, captured, frame, shown| {
            client::advance_to(&clock, arrival);
            session.push(faces, frame, captured, shown, Some(&clock))
        },
    )?;
    assert_eq!(run.phase, Phase::Complete);
    // Each colour was revealed once the one before had been out for its
    // planned duration, on the first frame after that (66 ms apart).
    let timeline = session.timeline().ok_or("no timeline")?;
    let spans = timeline.spans();
    assert_eq!(spans.len(), challenge.flashes.len());
    for (span, flash) in spans.iter().zip(&challenge.flashes) {
        assert_eq!(span.colour, flash.colour);
        let out = span.to_ms - span.from_ms;
        let planned = f64::from(flash.duration_ms);
        assert!(
            (planned..planned + client.frame_ms as f64).contains(&out),
            "{span:?} for {flash:?}"
        );
    }
    Ok(session.finish(faces, false))
}

#[test]
fn an_honest_client_is_shown_one_step_at_a_time_and_passes_the_light_check() -> TestResult {
    let Some((faces, subject)) = setup("protocol-honest") else {
        return Ok(());
    };
    let (run, result) = through_engine(
        &faces,
        &subject,
        LivenessSettings::default(),
        &Loop::default(),
        40,
        400,
    )?;
    assert_eq!(run.phase, Phase::Complete);
    // The large oval is told only once the face filled the small one;
    // no colour before the flashing phase, one colour per answer, and
    // each colour of the challenge told in turn.
    let first = run.answers.first().ok_or("no answer")?;
    let small = first.oval.ok_or("no oval in the first answer")?;
    for answer in &run.answers {
        let oval = answer.oval.ok_or("an answer without an oval")?;
        match answer.phase {
            Phase::FitSmallOval => assert_eq!(oval, small),
            _ => assert!(oval.width > small.width * 1.5),
        }
        if !matches!(answer.phase, Phase::Flashing | Phase::Complete) {
            assert_eq!(answer.flash, None, "{answer:?}");
        }
    }
    let mut told: Vec<FlashColour> = run.answers.iter().filter_map(|a| a.flash).collect();
    told.dedup();
    assert_eq!(told.len(), FLASH_COUNT, "{told:?}");
    assert_eq!(run.answers.last().and_then(|a| a.flash), None);

    let light = check(&result, CheckKind::Light);
    assert_eq!(light.reason, "light-follows-colours", "{light:?}");
    let lag = light.measures["lagMs"];
    assert!((0.0..=LIVE_MAX_LOOP_MS).contains(&lag), "{light:?}");
    // Paint, then the next grab and its upload.
    let claim = light.measures["revealToClaimMs"];
    assert!((50.0..=130.0).contains(&claim), "{light:?}");
    Ok(())
}

#[test]
fn a_light_response_relayed_300_ms_late_fails_as_late() -> TestResult {
    let Some((faces, subject)) = setup("protocol-relay") else {
        return Ok(());
    };
    // The relay also back-dates its capture times by its delay: the light
    // timing reads the engine's arrival clock, not them.
    let relay = Loop {
        relay_ms: 300.0,
        backdate_ms: 300.0,
        ..Loop::default()
    };
    let (run, result) = through_engine(
        &faces,
        &subject,
        LivenessSettings::default(),
        &relay,
        41,
        400,
    )?;
    assert_eq!(run.phase, Phase::Complete);
    let light = check(&result, CheckKind::Light);
    assert_eq!(light.reason, "light-late", "{light:?}");
    assert!(light.measures["bestLagMs"] > LIVE_MAX_LOOP_MS, "{light:?}");
    assert!(result.confidence < 50.0);
    Ok(())
}

#[test]
fn a_colour_header_naming_a_colour_not_on_screen_fails() -> TestResult {
    let Some((faces, subject)) = setup("protocol-wrong-colour") else {
        return Ok(());
    };
    // White is not in the known challenge; the skin follows the screen.
    let liar = Loop {
        claim: Claim::Always(FlashColour::White),
        ..Loop::default()
    };
    let result = with_known_challenge(&faces, &subject, &liar, 42)?;
    let light = check(&result, CheckKind::Light);
    assert_eq!(light.reason, "light-wrong-colour", "{light:?}");
    assert_eq!(light.score, Some(0.0));
    // The same client telling the truth passes on the same challenge.
    let honest = with_known_challenge(&faces, &subject, &Loop::default(), 42)?;
    let light = check(&honest, CheckKind::Light);
    assert_eq!(light.reason, "light-follows-colours", "{light:?}");
    Ok(())
}

#[test]
fn a_stream_showing_colours_before_their_reveal_fails() -> TestResult {
    let Some((faces, subject)) = setup("protocol-before-reveal") else {
        return Ok(());
    };
    // Prepared with the right colours (as if the generator were broken),
    // 300 ms ahead of the screen, and saying so in its header.
    let prepared = Loop {
        prepared: Some((known_challenge(), 300.0)),
        claim: Claim::Prepared,
        ..Loop::default()
    };
    let result = with_known_challenge(&faces, &subject, &prepared, 43)?;
    let light = check(&result, CheckKind::Light);
    assert_eq!(light.reason, "light-before-reveal", "{light:?}");
    assert!(light.measures["shownBeforeReveal"] > 0.0, "{light:?}");
    // The same stream with an honest-looking header: its skin answers
    // colours before they were revealed, which no camera can.
    let quiet = Loop {
        claim: Claim::Screen,
        ..prepared
    };
    let result = with_known_challenge(&faces, &subject, &quiet, 43)?;
    let light = check(&result, CheckKind::Light);
    assert!(
        matches!(light.reason, "light-before-reveal" | "light-no-response"),
        "{light:?}"
    );
    assert!(light.score.is_some_and(|s| s < 50.0), "{light:?}");
    Ok(())
}

/// The check without flashing colours: the same ovals, then a hold; no
/// answer names a colour, the light check does not apply and the result
/// says so (`movement-challenge`, which the policies send to a person).
#[test]
fn a_movement_only_session_shows_no_colour_and_has_no_light_check() -> TestResult {
    let Some((faces, subject)) = setup("protocol-movement-only") else {
        return Ok(());
    };
    let client = Loop::default();
    let (run, result) = through_engine(&faces, &subject, movement_only(), &client, 41, 400)?;
    assert_eq!(run.phase, Phase::Complete);
    assert!(run.answers.iter().all(|a| a.flash.is_none()));
    assert!(run.answers.iter().all(|a| a.phase != Phase::Flashing));
    // The hold lasts HOLD_MS on the engine's clock.
    let held = run
        .answers
        .iter()
        .filter(|a| a.phase == Phase::Holding)
        .count() as f64
        * client.frame_ms as f64;
    assert!(
        (HOLD_MS - client.frame_ms as f64..=HOLD_MS + 2.0 * client.frame_ms as f64).contains(&held),
        "held {held} ms"
    );
    let light = check(&result, CheckKind::Light);
    assert_eq!(light.score, None);
    assert_eq!(light.reason, "light-movement-only");
    assert!(check(&result, CheckKind::Movement).score.is_some());
    assert!(check(&result, CheckKind::Depth).score.is_some());
    assert_eq!(result.assurance, Assurance::MovementChallenge);
    Ok(())
}

/// The hold is held: frames farther apart than the hold allows (a feed
/// that stalls) start it over every time, so the session never completes
/// on time alone.
#[test]
fn a_movement_only_hold_with_gaps_never_completes() -> TestResult {
    let Some((faces, subject)) = setup("protocol-movement-gaps") else {
        return Ok(());
    };
    let stalling = Loop {
        frame_ms: 450,
        ..Loop::default()
    };
    let (run, _) = through_engine(&faces, &subject, movement_only(), &stalling, 42, 60)?;
    assert!(run.answers.iter().any(|a| a.phase == Phase::Holding));
    assert_eq!(
        run.phase,
        Phase::Holding,
        "27 s of stalled frames never complete the hold"
    );
    Ok(())
}

/// Settings asking the check without flashing colours.
fn movement_only() -> LivenessSettings {
    LivenessSettings {
        challenge: ChallengeKind::Movement,
        ..LivenessSettings::default()
    }
}
