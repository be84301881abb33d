//! Each check, driven with frame sequences it must accept and reject. The
//! frames are made here from registry-shipped photos of real faces and go
//! through the real detector, mesh and embedder.

mod common;

use common::{Pose, Subject, TestResult, check, engine, photo, render, rng};
use dayfusion_face::FaceEngine;
use dayfusion_liveness::challenge::{Challenge, Flash, FlashColour, Oval, RecordedChallenge};
use dayfusion_liveness::{
    CheckKind, CheckResult, FlashTimeline, LivenessResult, LivenessSettings, Outcome, Session,
};
use image::RgbImage;

const FRAME_MS: f64 = 1000.0 / 15.0;

fn subject(engine: &FaceEngine, test: &str, name: &str) -> Option<Subject> {
    Subject::new(engine, photo(test, name)?)
}

/// Runs frames through a recorded session.
fn analyse(
    engine: &FaceEngine,
    recorded: Option<RecordedChallenge>,
    frames: impl IntoIterator<Item = (f64, RgbImage)>,
) -> Result<LivenessResult, Box<dyn std::error::Error>> {
    let mut session = Session::recorded(recorded, LivenessSettings::default())?;
    for (t, frame) in frames {
        session.push(engine, &frame, t, None, None)?;
    }
    Ok(session.finish(engine, false))
}

fn measure(c: &CheckResult, key: &str) -> f64 {
    c.measures.get(key).copied().unwrap_or(f64::NAN)
}

/// A still subject at `width` with small natural sway (roll and position).
fn swaying(subject: &Subject, width: f32, n: usize, seed: u64) -> Vec<(f64, RgbImage)> {
    let mut r = rng(seed);
    (0..n)
        .map(|i| {
            let phase = i as f32 * 0.35;
            let pose = Pose {
                roll_deg: 2.0 * phase.sin(),
                center: (0.5 + 0.01 * (phase * 0.7).cos(), 0.5 + 0.008 * phase.sin()),
                ..Pose::at(width)
            };
            (i as f64 * FRAME_MS, render(subject, pose, &mut r))
        })
        .collect()
}

fn challenge(flashes: &[(FlashColour, u32)]) -> Challenge {
    Challenge {
        small_oval: Oval {
            center_x: 0.5,
            center_y: 0.5,
            width: 0.25,
        },
        large_oval: Oval {
            center_x: 0.5,
            center_y: 0.5,
            width: 0.48,
        },
        flashes: flashes
            .iter()
            .map(|&(colour, duration_ms)| Flash {
                colour,
                duration_ms,
            })
            .collect(),
    }
}

const SEQUENCE: [(FlashColour, u32); 8] = [
    (FlashColour::Red, 330),
    (FlashColour::Cyan, 270),
    (FlashColour::Blue, 400),
    (FlashColour::Yellow, 300),
    (FlashColour::Green, 350),
    (FlashColour::Magenta, 280),
    (FlashColour::White, 320),
    (FlashColour::Red, 300),
];

const OTHER_SEQUENCE: [(FlashColour, u32); 8] = [
    (FlashColour::Green, 300),
    (FlashColour::Magenta, 350),
    (FlashColour::White, 280),
    (FlashColour::Blue, 330),
    (FlashColour::Red, 400),
    (FlashColour::Yellow, 270),
    (FlashColour::Cyan, 320),
    (FlashColour::Blue, 300),
];

/// A subject held at the large oval for the whole flash sequence, its skin
/// lit by `lit_by` (delayed by `delay_ms`) with strength `strength`.
fn flashed(
    subject: &Subject,
    lit_by: Option<&Challenge>,
    delay_ms: f64,
    strength: f32,
    seed: u64,
) -> Vec<(f64, RgbImage)> {
    let mut r = rng(seed);
    let n = (3200.0 / FRAME_MS) as usize;
    (0..n)
        .map(|i| {
            let t = i as f64 * FRAME_MS;
            let tint = lit_by
                .and_then(|c| FlashTimeline::scheduled(c, 0.0).colour_at(t - delay_ms))
                .map_or([0.0; 3], |c| {
                    c.rgb().map(|v| strength * f32::from(v) / 255.0)
                });
            let phase = i as f32 * 0.3;
            let pose = Pose {
                tint,
                roll_deg: 1.0 * phase.sin(),
                ..Pose::at(0.48)
            };
            (t, render(subject, pose, &mut r))
        })
        .collect()
}

#[test]
fn identity_accepts_one_person_and_rejects_a_swap_or_a_second_face() -> TestResult {
    let test = "identity";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let (Some(obama), Some(biden)) = (
        subject(&engine, test, "face_recognition/obama.jpg"),
        subject(&engine, test, "face_recognition/biden.jpg"),
    ) else {
        return Ok(());
    };
    let same = analyse(&engine, None, swaying(&obama, 0.4, 24, 1))?;
    let c = check(&same, CheckKind::Identity);
    assert_eq!(c.outcome, Outcome::Passed, "{c:?}");
    assert!(measure(c, "embeddings") >= 3.0, "{c:?}");

    // Same place, same size, another person from frame 12 on.
    let mut frames = swaying(&obama, 0.4, 12, 2);
    frames.extend(
        swaying(&biden, 0.4, 12, 3)
            .into_iter()
            .map(|(t, f)| (t + 12.0 * FRAME_MS, f)),
    );
    let swapped = analyse(&engine, None, frames)?;
    let c = check(&swapped, CheckKind::Identity);
    assert_eq!(c.outcome, Outcome::Failed, "{c:?}");
    assert!(
        ["identity-person-changed", "identity-face-jumped"].contains(&c.reason),
        "{c:?}"
    );

    // Two people side by side.
    let mut r = rng(4);
    let pair: Vec<(f64, RgbImage)> = (0..10)
        .map(|i| {
            let mut frame = render(
                &obama,
                Pose {
                    center: (0.27, 0.5),
                    ..Pose::at(0.28)
                },
                &mut r,
            );
            let right = render(
                &biden,
                Pose {
                    center: (0.27, 0.5),
                    ..Pose::at(0.28)
                },
                &mut r,
            );
            image::imageops::replace(
                &mut frame,
                &image::imageops::crop_imm(&right, 0, 0, 320, 480).to_image(),
                320,
                0,
            );
            (i as f64 * FRAME_MS, frame)
        })
        .collect();
    let two = analyse(&engine, None, pair)?;
    let c = check(&two, CheckKind::Identity);
    assert_eq!(c.reason, "identity-several-faces", "{c:?}");
    Ok(())
}

/// Frames that approach from `from` to `to` face width over `ms`.
fn approach(
    subject: &Subject,
    from: f32,
    to: f32,
    hold: usize,
    ms: f64,
    seed: u64,
) -> Vec<(f64, RgbImage)> {
    let mut r = rng(seed);
    let steps = (ms / FRAME_MS) as usize;
    let widths = std::iter::repeat_n(from, hold)
        .chain((0..=steps).map(|i| from + (to - from) * i as f32 / steps.max(1) as f32))
        .chain(std::iter::repeat_n(to, hold));
    widths
        .enumerate()
        .map(|(i, w)| {
            let pose = Pose {
                roll_deg: 1.0 * (i as f32 * 0.4).sin(),
                ..Pose::at(w)
            };
            (i as f64 * FRAME_MS, render(subject, pose, &mut r))
        })
        .collect()
}

#[test]
fn movement_needs_the_small_then_the_large_oval() -> TestResult {
    let test = "movement";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let Some(obama) = subject(&engine, test, "face_recognition/obama.jpg") else {
        return Ok(());
    };
    let ch = challenge(&SEQUENCE);
    let recorded = |c: &Challenge| RecordedChallenge {
        challenge: c.clone(),
        flashes_start_ms: 1e9,
    };
    let ok = analyse(
        &engine,
        Some(recorded(&ch)),
        approach(&obama, 0.25, 0.5, 5, 1500.0, 5),
    )?;
    let c = check(&ok, CheckKind::Movement);
    assert_eq!(c.reason, "movement-approached", "{c:?}");
    let approach_ms = measure(c, "approachMs");
    assert!((300.0..1500.0).contains(&approach_ms), "{c:?}");

    // A cut in a replayed video: small one frame, large the next.
    let cut = analyse(
        &engine,
        Some(recorded(&ch)),
        approach(&obama, 0.25, 0.5, 5, 0.0, 8),
    )?;
    let c = check(&cut, CheckKind::Movement);
    assert_eq!(c.reason, "movement-too-fast", "{c:?}");
    assert!(measure(c, "growthPerSecond") > 2.5, "{c:?}");

    // The closest ovals a session can draw: the two tolerance bands nearly
    // meet, and an honest approach crosses the gap within a frame or two.
    // It must still pass.
    let mut close = ch.clone();
    close.small_oval.width = 0.30;
    close.large_oval.width = 0.46;
    let honest = analyse(
        &engine,
        Some(recorded(&close)),
        approach(&obama, 0.30, 0.46, 5, 1500.0, 9),
    )?;
    let c = check(&honest, CheckKind::Movement);
    assert_eq!(c.reason, "movement-approached", "{c:?}");

    let stayed = analyse(
        &engine,
        Some(recorded(&ch)),
        approach(&obama, 0.25, 0.3, 5, 1000.0, 6),
    )?;
    assert_eq!(
        check(&stayed, CheckKind::Movement).reason,
        "movement-never-large"
    );

    let no_challenge = analyse(&engine, None, approach(&obama, 0.25, 0.5, 3, 600.0, 7))?;
    assert_eq!(
        check(&no_challenge, CheckKind::Movement).outcome,
        Outcome::NotApplicable
    );
    Ok(())
}

#[test]
fn depth_rejects_a_flat_photo_brought_closer_through_the_challenge() -> TestResult {
    let test = "depth-flat";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    // Ovals only: the flashes start after the clip ends.
    let recorded = RecordedChallenge {
        challenge: challenge(&SEQUENCE),
        flashes_start_ms: 1e9,
    };
    for (name, seed) in [
        ("face_recognition/obama.jpg", 8),
        ("face_recognition/biden.jpg", 9),
    ] {
        let Some(s) = subject(&engine, test, name) else {
            return Ok(());
        };
        let frames = approach(&s, 0.22, 0.5, 6, 1800.0, seed);
        let result = analyse(&engine, Some(recorded.clone()), frames.clone())?;
        let c = check(&result, CheckKind::Depth);
        eprintln!("{name}: {c:?}");
        assert_eq!(c.outcome, Outcome::Failed, "{name}: {c:?}");
        assert_eq!(c.reason, "depth-flat", "{name}: {c:?}");
        assert!(measure(c, "scale") >= 2.0, "{c:?}");

        // The same frames as a recording without a challenge: the face
        // size varies as much, but nothing says from what distance to
        // what, so depth does not apply, rather than fail (rule
        // 2026-12-07 scored it, and rejected a real person that way).
        let passive = analyse(&engine, None, frames)?;
        let c = check(&passive, CheckKind::Depth);
        assert_eq!(c.outcome, Outcome::NotApplicable, "{name}: {c:?}");
        assert_eq!(c.reason, "depth-no-challenge", "{name}: {c:?}");
        assert_eq!(passive.rule, dayfusion_liveness::confidence::RULE_VERSION);
    }
    Ok(())
}

#[test]
fn light_passes_only_when_the_skin_follows_the_shown_colours_on_time() -> TestResult {
    let test = "light";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let Some(obama) = subject(&engine, test, "face_recognition/obama.jpg") else {
        return Ok(());
    };
    let shown = challenge(&SEQUENCE);
    let other = challenge(&OTHER_SEQUENCE);
    let recorded = RecordedChallenge {
        challenge: shown.clone(),
        flashes_start_ms: 0.0,
    };
    let run = |lit_by: Option<&Challenge>, delay: f64, strength: f32, seed: u64| {
        analyse(
            &engine,
            Some(recorded.clone()),
            flashed(&obama, lit_by, delay, strength, seed),
        )
        .map(|r| check(&r, CheckKind::Light).clone())
    };
    let follows = run(Some(&shown), 0.0, 0.06, 10)?;
    eprintln!("follows: {follows:?}");
    assert_eq!(follows.outcome, Outcome::Passed, "{follows:?}");
    assert_eq!(follows.reason, "light-follows-colours");

    // A faint reflection (2% of the skin's value) still follows.
    let faint = run(Some(&shown), 0.0, 0.02, 16)?;
    eprintln!("faint: {faint:?}");
    assert_eq!(faint.outcome, Outcome::Passed, "{faint:?}");

    // Within camera latency still passes.
    let latency = run(Some(&shown), 100.0, 0.06, 11)?;
    assert_eq!(latency.outcome, Outcome::Passed, "{latency:?}");

    // A recording lit by another random sequence.
    let wrong = run(Some(&other), 0.0, 0.06, 12)?;
    eprintln!("wrong: {wrong:?}");
    assert_eq!(wrong.outcome, Outcome::Failed, "{wrong:?}");

    // A relay that answers half a second late.
    let late = run(Some(&shown), 500.0, 0.06, 13)?;
    eprintln!("late: {late:?}");
    assert_eq!(late.outcome, Outcome::Failed, "{late:?}");
    assert_eq!(late.reason, "light-late", "{late:?}");

    // A screen that emits its own light: no reflection at all.
    let none = run(None, 0.0, 0.0, 14)?;
    eprintln!("none: {none:?}");
    assert_eq!(none.outcome, Outcome::Failed, "{none:?}");

    // Without a challenge the check does not apply.
    let passive = analyse(&engine, None, flashed(&obama, Some(&shown), 0.0, 0.06, 15))?;
    assert_eq!(
        check(&passive, CheckKind::Light).outcome,
        Outcome::NotApplicable
    );
    Ok(())
}

#[test]
fn natural_motion_flags_frozen_and_perfectly_still_faces() -> TestResult {
    let test = "motion";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let Some(obama) = subject(&engine, test, "face_recognition/obama.jpg") else {
        return Ok(());
    };
    let moving = analyse(&engine, None, swaying(&obama, 0.4, 20, 16))?;
    let c = check(&moving, CheckKind::NaturalMotion);
    assert_eq!(c.outcome, Outcome::Passed, "{c:?}");

    // A photo on a stand: the same picture plus camera noise.
    let mut r = rng(17);
    let still: Vec<_> = (0..20)
        .map(|i| (i as f64 * FRAME_MS, render(&obama, Pose::at(0.4), &mut r)))
        .collect();
    let c = check(&analyse(&engine, None, still)?, CheckKind::NaturalMotion).clone();
    assert_eq!(c.outcome, Outcome::Failed, "{c:?}");
    assert_eq!(c.reason, "motion-too-still", "{c:?}");

    // A looped still frame: identical faces (different frame corners so
    // only the face is frozen, not the whole frame).
    let frame = render(&obama, Pose::at(0.4), &mut r);
    let frozen: Vec<_> = (0..20u8)
        .map(|i| {
            let mut f = frame.clone();
            f.put_pixel(0, 0, image::Rgb([i, i, i]));
            (f64::from(i) * FRAME_MS, f)
        })
        .collect();
    let c = check(&analyse(&engine, None, frozen)?, CheckKind::NaturalMotion).clone();
    assert_eq!(c.reason, "motion-frozen", "{c:?}");
    Ok(())
}

#[test]
fn integrity_catches_repeated_frames_bad_clocks_and_low_frame_rates() -> TestResult {
    let test = "integrity";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let Some(obama) = subject(&engine, test, "face_recognition/obama.jpg") else {
        return Ok(());
    };
    let frames = swaying(&obama, 0.4, 16, 18);
    let ok = analyse(&engine, None, frames.clone())?;
    assert_eq!(
        check(&ok, CheckKind::CaptureIntegrity).reason,
        "integrity-ok"
    );

    // Every frame sent twice (new timestamps).
    let doubled = frames
        .iter()
        .flat_map(|(_, f)| [f.clone(), f.clone()])
        .enumerate()
        .map(|(i, f)| (i as f64 * FRAME_MS / 2.0, f));
    let c = check(
        &analyse(&engine, None, doubled)?,
        CheckKind::CaptureIntegrity,
    )
    .clone();
    assert_eq!(c.reason, "integrity-duplicate-frames", "{c:?}");
    assert_eq!(measure(&c, "duplicateFrames"), 16.0);

    let mut backwards = frames.clone();
    backwards[8].0 = backwards[3].0;
    let c = check(
        &analyse(&engine, None, backwards)?,
        CheckKind::CaptureIntegrity,
    )
    .clone();
    assert_eq!(c.reason, "integrity-timestamps-backwards", "{c:?}");

    let slow = frames
        .iter()
        .enumerate()
        .map(|(i, (_, f))| (i as f64 * 100.0, f.clone()));
    let c = check(&analyse(&engine, None, slow)?, CheckKind::CaptureIntegrity).clone();
    assert_eq!(c.reason, "integrity-frame-rate-low", "{c:?}");
    Ok(())
}

/// A re-filmed screen's pixel grid over a square around the face (1.4 x
/// `width_ratio` of the frame wide; the whole frame from 0.72): two cosine
/// gratings (periods 3.4 and 3.7 px, 4 and 94 degrees), 10% contrast each.
fn with_screen_grid(frame: &RgbImage, width_ratio: f32) -> RgbImage {
    let mut out = frame.clone();
    let half = width_ratio * common::FRAME_W as f32 * 0.7;
    let (cx, cy) = (common::FRAME_W as f32 / 2.0, common::FRAME_H as f32 / 2.0);
    let (sn, cs) = 4f32.to_radians().sin_cos();
    let tau = std::f32::consts::TAU;
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (x, y) = (x as f32, y as f32);
        if (x - cx).abs() > half || (y - cy).abs() > half {
            continue;
        }
        let (u, v) = (x * cs + y * sn, y * cs - x * sn);
        let m = (1.0 + 0.1 * (tau * u / 3.4).cos()) * (1.0 + 0.1 * (tau * v / 3.7).cos());
        for c in &mut p.0 {
            *c = (f32::from(*c) * m).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

#[test]
fn screen_cues_trip_on_a_moire_pattern_over_the_face() -> TestResult {
    let test = "screen";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let Some(biden) = subject(&engine, test, "face_recognition/biden.jpg") else {
        return Ok(());
    };
    let clean = swaying(&biden, 0.4, 12, 19);
    let c = check(
        &analyse(&engine, None, clean.clone())?,
        CheckKind::ScreenCues,
    )
    .clone();
    eprintln!("clean: {c:?}");
    assert_eq!(c.outcome, Outcome::Passed, "{c:?}");

    let screen = clean
        .into_iter()
        .map(|(t, f)| (t, with_screen_grid(&f, 0.4)));
    let c = check(&analyse(&engine, None, screen)?, CheckKind::ScreenCues).clone();
    eprintln!("screen: {c:?}");
    assert_eq!(c.reason, "screen-moire", "{c:?}");
    assert!(measure(&c, "moire") > 0.25, "{c:?}");
    Ok(())
}

#[test]
fn recapture_trips_on_a_screen_grid_across_the_whole_frame() -> TestResult {
    let test = "recapture";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let Some(biden) = subject(&engine, test, "face_recognition/biden.jpg") else {
        return Ok(());
    };
    let clean = swaying(&biden, 0.4, 12, 23);
    let c = check(
        &analyse(&engine, None, clean.clone())?,
        CheckKind::Recapture,
    )
    .clone();
    eprintln!("clean: {c:?}");
    assert_eq!(c.outcome, Outcome::Passed, "{c:?}");
    assert_eq!(c.reason, "recapture-none", "{c:?}");

    // The screen fills the camera's view: its grid covers every pixel.
    let screen = clean
        .into_iter()
        .map(|(t, f)| (t, with_screen_grid(&f, 1.0)));
    let c = check(&analyse(&engine, None, screen)?, CheckKind::Recapture).clone();
    eprintln!("screen: {c:?}");
    assert_eq!(c.outcome, Outcome::Failed, "{c:?}");
    assert_eq!(c.reason, "recapture-screen-grid", "{c:?}");
    assert!(measure(&c, "gridConsistency") > 0.55, "{c:?}");
    Ok(())
}
