//! A simulated capture client on the engine's clock: it follows the
//! ovals and colours the answers reveal, as the widget and a person would,
//! with the delays of a real loop (paint, camera, upload), or those of an
//! attack (a relay, a prepared stream, a lying colour header).

#![allow(dead_code)]

use dayfusion_liveness::{
    Challenge, Clock, FlashColour, FlashTimeline, FrameFeedback, LivenessError, ManualClock, Oval,
    Phase,
};
use image::RgbImage;

use super::{Pose, Subject, render, rng};

/// What the client says was on screen when it grabbed a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Claim {
    /// The colour really on screen (an honest widget).
    Screen,
    /// This colour whenever the session is flashing.
    Always(FlashColour),
    /// The colour the stream was prepared with (see [`Loop::prepared`]).
    Prepared,
}

/// The delays of one client, milliseconds on the engine's clock.
#[derive(Debug, Clone)]
pub struct Loop {
    /// Between two frames.
    pub frame_ms: u64,
    /// From an answer to its colour on screen.
    pub paint_ms: f64,
    /// From light on the face to the frame being grabbed.
    pub camera_ms: f64,
    /// From grab to arrival at the engine.
    pub upload_ms: u64,
    /// Extra delay of the light response (a relay).
    pub relay_ms: f64,
    /// A stream prepared in advance with this schedule: the face is lit
    /// by the planned colour `ahead_ms` ahead of when the client saw the
    /// first colour, instead of by the screen.
    pub prepared: Option<(Challenge, f64)>,
    /// What the colour header says.
    pub claim: Claim,
    /// Strength of the screen's light on the face.
    pub tint: f32,
    /// Offset of the client's capture clock from the engine's.
    pub client_offset_ms: f64,
    /// How much earlier than the truth the client stamps its captures.
    pub backdate_ms: f64,
}

impl Default for Loop {
    /// An honest kiosk: 15 fps, 33 ms to paint, 80 ms of camera latency,
    /// 20 ms to upload (a loop of about 130 ms).
    fn default() -> Self {
        Loop {
            frame_ms: 66,
            paint_ms: 33.0,
            camera_ms: 80.0,
            upload_ms: 20,
            relay_ms: 0.0,
            prepared: None,
            claim: Claim::Screen,
            tint: 0.06,
            client_offset_ms: 5_000.0,
            backdate_ms: 0.0,
        }
    }
}

/// Moves `clock` on to `ms` (a frame's arrival), never back.
pub fn advance_to(clock: &ManualClock, ms: u64) {
    clock.advance(ms.saturating_sub(clock.now_ms() as u64));
}

/// What a simulated session saw.
#[derive(Debug)]
pub struct Run {
    /// The last phase.
    pub phase: Phase,
    /// Every answer, in order.
    pub answers: Vec<FrameFeedback>,
}

/// Sends one frame: arrival time on the engine's clock, capture time on
/// the client's, the frame, the claimed colour.
pub type Push<'a> = dyn FnMut(u64, f64, &RgbImage, Option<FlashColour>) -> Result<FrameFeedback, LivenessError>
    + 'a;

/// Walks a session from `first_oval` through the challenge the answers
/// reveal, for at most `max_frames` frames.
pub fn run(
    subject: &Subject,
    first_oval: Oval,
    client: &Loop,
    seed: u64,
    max_frames: usize,
    push: &mut Push<'_>,
) -> Result<Run, LivenessError> {
    let mut r = rng(seed);
    // What the screen showed, from when (engine clock).
    let mut screen = FlashTimeline::live();
    let schedule = client
        .prepared
        .as_ref()
        .map(|(challenge, ahead)| (FlashTimeline::scheduled(challenge, 0.0), *ahead));
    let planned = |first: Option<f64>, t: f64| -> Option<FlashColour> {
        let (schedule, ahead) = schedule.as_ref()?;
        schedule.colour_at(t - first? + ahead)
    };
    let mut oval = first_oval;
    let mut phase = Phase::FitSmallOval;
    let mut width = oval.width;
    let mut centre = (oval.center_x, oval.center_y);
    let mut answers = Vec::new();
    for i in 0..max_frames {
        let arrival = 1_000 + i as u64 * client.frame_ms;
        let grabbed = (arrival - client.upload_ms) as f64;
        if matches!(phase, Phase::MoveCloser | Phase::Flashing | Phase::Holding) {
            width = (width + 0.006).min(oval.width);
            centre.0 += (oval.center_x - centre.0) * 0.3;
            centre.1 += (oval.center_y - centre.1) * 0.3;
        }
        let light = match client.prepared {
            Some(_) => planned(screen.start_ms(), grabbed),
            None => screen.colour_at(grabbed - client.camera_ms - client.relay_ms),
        };
        let claim = match client.claim {
            Claim::Screen => screen.colour_at(grabbed),
            Claim::Always(c) => (phase == Phase::Flashing).then_some(c),
            Claim::Prepared => planned(screen.start_ms(), grabbed),
        };
        let pose = Pose {
            width_ratio: width,
            center: centre,
            roll_deg: (i as f32 * 0.4).sin(),
            tint: light.map_or([0.0; 3], |c| {
                c.rgb().map(|v| client.tint * f32::from(v) / 255.0)
            }),
        };
        let frame = render(subject, pose, &mut r);
        let captured = grabbed + client.client_offset_ms - client.backdate_ms;
        let answer = push(arrival, captured, &frame, claim)?;
        phase = answer.phase;
        if let Some(next) = answer.oval {
            oval = next;
        }
        screen.show(answer.flash, arrival as f64 + client.paint_ms);
        answers.push(answer);
        if phase == Phase::Complete {
            break;
        }
    }
    Ok(Run { phase, answers })
}
