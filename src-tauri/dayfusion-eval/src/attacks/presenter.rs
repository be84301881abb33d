//! Walks one presentation through a live session of the real engine, on
//! its injectable clock: the presenter follows the ovals and colours the
//! answers reveal, with an honest kiosk's loop (15 fps, 33 ms to paint,
//! 80 ms of camera latency, 20 ms to upload), and each frame is rendered
//! from the real material by the physical model ([`super::scene`]).

use std::sync::Arc;

use dayfusion_face::FaceEngine;
use dayfusion_liveness::{
    Challenge, ChallengeKind, Clock, FlashColour, FlashTimeline, LivenessEngine, LivenessError,
    LivenessResult, LivenessSettings, ManualClock, Phase,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::scene::{Physics, Shot, Surface};
use super::source::{Material, Source};
use super::species::Species;
use crate::EvalError;

/// Between two frames, ms (15 fps).
const FRAME_MS: u64 = 66;
/// From an answer to its colour on screen, ms.
const PAINT_MS: f64 = 33.0;
/// From light on the face to the frame being grabbed, ms.
const CAMERA_MS: f64 = 80.0;
/// From grab to arrival at the engine, ms.
const UPLOAD_MS: u64 = 20;
/// Frames sent at most (a session lasts about 8 s).
const MAX_FRAMES: usize = 300;
/// Face width gained per frame while approaching (fraction of the frame).
const APPROACH_PER_FRAME: f32 = 0.006;

/// One presentation to make.
pub struct Presentation<'a> {
    /// What it is.
    pub species: Species,
    /// The material.
    pub source: &'a Source,
    /// A second person (face swap).
    pub other: Option<&'a Source>,
    /// Seeds the challenge-independent randomness (noise, sway, moiré).
    pub seed: u64,
}

/// What a session gave.
pub struct Presented {
    /// The engine's result (`None`: it accepted no frame at all).
    pub result: Option<LivenessResult>,
    /// Frames the engine refused (not fatal).
    pub refused_frames: usize,
}

/// Runs the presentation through a fresh engine session.
pub fn present(
    faces: &Arc<FaceEngine>,
    physics: &Physics,
    p: &Presentation<'_>,
) -> Result<Presented, EvalError> {
    let engine_error = |e: LivenessError| EvalError::Dataset {
        path: p.source.name.clone().into(),
        reason: e.to_string(),
    };
    let clock = ManualClock::default();
    let mut rng = StdRng::seed_from_u64(p.seed);
    // The session's own challenge repeats with the presentation's seed
    // (from a stream of its own: the attacker never shares it).
    let live = LivenessEngine::repeatable(Arc::clone(faces), Box::new(clock.clone()), rng.random());
    let settings = LivenessSettings {
        audit_images_limit: 0,
        ..LivenessSettings::default()
    };
    let start = live.create_session(settings).map_err(engine_error)?;
    let id = start.session_id.clone();
    let small_oval_width = start.oval.width;
    // What the kiosk screen showed, from when (engine clock).
    let mut screen = FlashTimeline::live();
    // The tinted print's schedule: known in advance, so not this session's.
    let guessed = FlashTimeline::scheduled(
        &Challenge::random_from(ChallengeKind::MovementAndLight, &mut rng),
        0.0,
    );
    let surface = match p.species {
        Species::BonaFide | Species::FaceSwap => Surface::Face,
        Species::PrintHeld | Species::PrintTinted => Surface::Print,
        Species::ScreenReplay | Species::Relay { .. } => Surface::Screen {
            moire_period: rng.random_range(2.5..6.0),
            moire_angle: rng.random_range(0.0..std::f32::consts::PI),
            glare_at: (rng.random_range(0.2..0.8), rng.random_range(0.1..0.5)),
        },
        Species::VirtualCamera => Surface::Injected,
    };
    // A print shows one moment of the material.
    let printed = matches!(p.species, Species::PrintHeld | Species::PrintTinted)
        .then(|| physics.printed(p.source.frame_at(0.0)));
    let print_frame = printed.as_ref().unwrap_or_else(|| p.source.frame_at(0.0));
    let mut oval = start.oval;
    let mut phase = Phase::FitSmallOval;
    let mut width = oval.width;
    let mut centre = (oval.center_x, oval.center_y);
    let mut swapped = false;
    let mut refused_frames = 0;
    for i in 0..MAX_FRAMES {
        let arrival = 1_000 + i as u64 * FRAME_MS;
        let grabbed = (arrival - UPLOAD_MS) as f64;
        if matches!(phase, Phase::MoveCloser | Phase::Flashing | Phase::Holding) {
            width = (width + APPROACH_PER_FRAME).min(oval.width);
            centre.0 += (oval.center_x - centre.0) * 0.3;
            centre.1 += (oval.center_y - centre.1) * 0.3;
        }
        swapped |= p.species == Species::FaceSwap && phase == Phase::Flashing;
        let source = match (swapped, p.other) {
            (true, Some(other)) => other,
            _ => p.source,
        };
        // A hand holding a print or a phone sways and rolls a little, and
        // so does a person made from a still; a clip's person moves as
        // recorded.
        let held = !matches!(surface, Surface::Face | Surface::Injected)
            || source.material == Material::Still;
        let (sway, roll) = if held {
            (
                (i as f32 * 0.13).sin() * 0.004 + rng.random_range(-0.001..0.001),
                (i as f32 * 0.21).sin() * 1.2 + rng.random_range(-0.2..0.2),
            )
        } else {
            (0.0, 0.0)
        };
        let played = grabbed - 1_000.0;
        let live_light = screen.colour_at(grabbed - CAMERA_MS).map(FlashColour::rgb);
        let planned = screen
            .start_ms()
            .and_then(|first| guessed.colour_at(grabbed - first))
            .map(FlashColour::rgb);
        let (frame, blend, flash, pictured) = match p.species {
            Species::BonaFide | Species::FaceSwap => {
                (source.frame_at(played), None, live_light, None)
            }
            Species::PrintHeld => (print_frame, None, live_light, None),
            Species::PrintTinted => (print_frame, None, planned, None),
            Species::ScreenReplay => (
                source.frame_at(played),
                (i % 4 == 0).then(|| (source.previous_at(played), 0.35)),
                live_light,
                None,
            ),
            Species::Relay { delay_ms } => (
                source.frame_at(played),
                (i % 4 == 0).then(|| (source.previous_at(played), 0.35)),
                live_light,
                screen
                    .colour_at(grabbed - CAMERA_MS - f64::from(delay_ms))
                    .map(FlashColour::rgb),
            ),
            Species::VirtualCamera => (source.frame_at(played), None, None, None),
        };
        let shot = Shot {
            source: frame,
            blend,
            width_ratio: width,
            small_oval_width,
            center: (centre.0 + sway, centre.1 + sway * 0.5),
            roll_deg: roll,
            surface,
            flash,
            pictured_flash: pictured,
        };
        let image = physics.camera(&physics.render(&shot, &mut rng));
        let behind = arrival.saturating_sub(clock.now_ms() as u64);
        clock.advance(behind);
        // An honest widget: it claims the colour it painted.
        let claim = screen.colour_at(grabbed);
        let answer = match live.push_frame(&id, grabbed + 5_000.0, &image, claim) {
            Ok(answer) => answer,
            Err(
                LivenessError::Expired
                | LivenessError::AlreadyUsed
                | LivenessError::TooManyFrames(_),
            ) => break,
            Err(_) => {
                refused_frames += 1;
                continue;
            }
        };
        phase = answer.phase;
        if let Some(next) = answer.oval {
            oval = next;
        }
        screen.show(answer.flash, arrival as f64 + PAINT_MS);
        if phase == Phase::Complete {
            break;
        }
    }
    let result = match live.finish(&id) {
        Ok(result) => Some(result),
        Err(LivenessError::NoFrames) => None,
        Err(e) => return Err(engine_error(e)),
    };
    Ok(Presented {
        result,
        refused_frames,
    })
}
