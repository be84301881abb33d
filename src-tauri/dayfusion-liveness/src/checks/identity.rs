//! Check 1: one face throughout, the same person from the first to the last
//! frame, and no jumps between frames (a swapped camera feed or a cut in an
//! injected video moves the face further than a head moves in one frame).

use super::{CheckInput, CheckKind, CheckResult, measures, ramp};
use crate::observation::Observation;
use dayfusion_face::SFACE_SINGLE_VIEW_CALIBRATION;

/// Frames showing several faces tolerated (a passer-by behind the customer
/// for a moment), as a share of frames.
const MAX_SEVERAL_FACES_SHARE: f64 = 0.05;
/// Frames without a face tolerated, as a share of frames.
const MAX_NO_FACE_SHARE: f64 = 0.25;
/// A jump: between consecutive face frames the face centre moves more than
/// this many face widths per 100 ms (a head turns or leans far slower)...
const JUMP_WIDTHS_PER_100MS: f64 = 0.5;
/// ... or its width changes by more than this factor per 100 ms.
const JUMP_SCALE_PER_100MS: f64 = 1.35;
/// Allowed motion grows with the gap between frames up to this many 100 ms
/// steps (a longer gap is the integrity check's business).
const MAX_STEPS: f64 = 4.0;
/// Cosine to score: the pass line (50) is the cosine at FAR 0.1% of the
/// single-view SFace calibration the frames are embedded with
/// ([`SFACE_SINGLE_VIEW_CALIBRATION`], its score 80), so a pass means "the
/// same person" at that error rate; the ramp runs from this far below it
/// (a different person, 0)...
const BELOW_PASS: f64 = 0.22;
/// ... to this far above it (100), as MobileFaceNet's 0.30 / 0.52 / 0.75
/// did before face engine v2.
const ABOVE_PASS: f64 = 0.23;

/// `(cosine, score)` knots; the middle one is also the floor the reference
/// image must reach against the session's faces.
fn cosine_knots() -> [(f64, f64); 3] {
    let pass = f64::from(SFACE_SINGLE_VIEW_CALIBRATION.cosine_for(80.0));
    [
        (pass - BELOW_PASS, 0.0),
        (pass, 50.0),
        (pass + ABOVE_PASS, 100.0),
    ]
}

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let obs = input.observations;
    let kind = CheckKind::Identity;
    let frames = obs.len() as f64;
    let face_frames: Vec<&Observation> = obs.iter().filter(|o| o.face.is_some()).collect();
    if face_frames.is_empty() {
        return CheckResult::scored(
            kind,
            0.0,
            "identity-no-face",
            measures([("frames", frames)]),
        );
    }
    let several = obs.iter().filter(|o| o.face_count > 1).count() as f64;
    let no_face = frames - face_frames.len() as f64;
    let jumps = count_jumps(&face_frames);
    let embeddings: Vec<_> = face_frames
        .iter()
        .filter_map(|o| o.face.as_ref().and_then(|f| f.embedding.as_ref()))
        .collect();
    // Early against late: the median cosine between the first and the last
    // third of the embeddings (one poor frame does not decide it).
    if embeddings.len() < 2 {
        let m = measures([("frames", frames), ("embeddings", embeddings.len() as f64)]);
        return CheckResult::scored(kind, 30.0, "identity-too-short", m);
    }
    let third = (embeddings.len() / 3).max(1);
    let cross: Vec<f64> = embeddings[..third]
        .iter()
        .flat_map(|a| {
            embeddings[embeddings.len().saturating_sub(third)..]
                .iter()
                .map(move |b| f64::from(a.cosine(b)))
        })
        .collect();
    let early_late_cosine = super::median(cross).unwrap_or(f64::NAN);
    let m = measures([
        ("frames", frames),
        ("severalFacesFrames", several),
        ("noFaceFrames", no_face),
        ("jumps", jumps as f64),
        ("embeddings", embeddings.len() as f64),
        ("earlyLateCosine", early_late_cosine),
        (
            "referenceCosine",
            input.reference_cosine.map_or(f64::NAN, f64::from),
        ),
    ]);
    if several / frames > MAX_SEVERAL_FACES_SHARE {
        return CheckResult::scored(kind, 10.0, "identity-several-faces", m);
    }
    if no_face / frames > MAX_NO_FACE_SHARE {
        return CheckResult::scored(kind, 20.0, "identity-face-lost", m);
    }
    if jumps > 0 {
        return CheckResult::scored(kind, 15.0, "identity-face-jumped", m);
    }
    let knots = cosine_knots();
    let score = ramp(early_late_cosine, &knots);
    if score < super::PASS_SCORE {
        return CheckResult::scored(kind, score, "identity-person-changed", m);
    }
    // The reference image must show the person seen throughout.
    let floor = knots[1].0;
    if input
        .reference_cosine
        .is_some_and(|c| f64::from(c).is_nan() || f64::from(c) < floor)
    {
        return CheckResult::scored(kind, 5.0, "identity-reference-mismatch", m);
    }
    CheckResult::scored(kind, score, "identity-same-person", m)
}

fn count_jumps(face_frames: &[&Observation]) -> usize {
    face_frames
        .windows(2)
        .filter(|w| {
            let (a, b) = (w[0], w[1]);
            let (Some(fa), Some(fb)) = (&a.face, &b.face) else {
                return false;
            };
            let steps = ((b.t_ms - a.t_ms) / 100.0).clamp(1.0, MAX_STEPS);
            let width = f64::from(fa.bbox.width.max(fb.bbox.width)).max(1.0);
            let (ca, cb) = (fa.bbox.center(), fb.bbox.center());
            let moved = f64::from((ca.x - cb.x).hypot(ca.y - cb.y)) / width;
            let scale = f64::from(fa.bbox.width.max(fb.bbox.width))
                / f64::from(fa.bbox.width.min(fb.bbox.width)).max(1.0);
            moved > JUMP_WIDTHS_PER_100MS * steps || scale > JUMP_SCALE_PER_100MS.powf(steps)
        })
        .count()
}
