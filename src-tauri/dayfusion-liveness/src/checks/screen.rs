//! Check 6: screen and print cues (see [`crate::cues`] for the measures):
//! moiré peaks in the face's spectrum, flat glare, and straight device or
//! paper edges around the face. Good against screens and prints, blind to
//! masks; each cue scores on its own and the check takes the worst.

use super::{CheckInput, CheckKind, CheckResult, measures, median, ramp};
use crate::cues::ScreenCues;

/// Moiré share to score (calibrated on the development crops, see
/// `dayfusion eval pad`).
pub const MOIRE_KNOTS: [(f64, f64); 3] = [(0.05, 100.0), (0.12, 50.0), (0.25, 0.0)];
/// Glare share to score.
pub const SPECULAR_KNOTS: [(f64, f64); 3] = [(0.01, 100.0), (0.04, 50.0), (0.10, 0.0)];
/// Share of frames showing a frame of edges on two sides, to score.
pub const EDGE_KNOTS: [(f64, f64); 3] = [(0.2, 100.0), (0.5, 50.0), (0.8, 0.0)];
/// Edge evidence at or above this counts as "edges on two sides".
pub const EDGES_FRAMED: f32 = 0.75;

/// Scores a set of per-frame cue measurements (frames without room
/// around the face leave out the edge cue).
pub fn score(cues: &[ScreenCues]) -> CheckResult {
    let kind = CheckKind::ScreenCues;
    if cues.is_empty() {
        return CheckResult::not_applicable(kind, "screen-no-face");
    }
    let moire = median(cues.iter().map(|c| f64::from(c.moire))).unwrap_or(0.0);
    let specular = median(cues.iter().map(|c| f64::from(c.specular))).unwrap_or(0.0);
    let with_edges: Vec<f32> = cues.iter().filter_map(|c| c.edges).collect();
    let framed_share = if with_edges.is_empty() {
        f64::NAN
    } else {
        with_edges.iter().filter(|&&e| e >= EDGES_FRAMED).count() as f64 / with_edges.len() as f64
    };
    let m = measures([
        ("frames", cues.len() as f64),
        ("moire", moire),
        ("specular", specular),
        ("framedShare", framed_share),
    ]);
    let mut parts = vec![
        (ramp(moire, &MOIRE_KNOTS), "screen-moire"),
        (ramp(specular, &SPECULAR_KNOTS), "screen-glare"),
    ];
    if framed_share.is_finite() {
        parts.push((ramp(framed_share, &EDGE_KNOTS), "screen-device-edges"));
    }
    let (worst, reason) = parts
        .into_iter()
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((100.0, "screen-no-cues"));
    let reason = if worst >= super::PASS_SCORE {
        "screen-no-cues"
    } else {
        reason
    };
    CheckResult::scored(kind, worst, reason, m)
}

/// Faces narrower than this (pixels) are too small for the cues to mean
/// anything (the moiré measure returns 0 on them): not measured.
pub const MIN_FACE_PX: f32 = 100.0;

/// Runs the check on a session; not applicable when no face was large
/// enough to examine.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let cues: Vec<ScreenCues> = input
        .observations
        .iter()
        .filter_map(|o| o.face.as_ref())
        .filter(|f| f.bbox.width >= MIN_FACE_PX)
        .filter_map(|f| f.cues)
        .collect();
    if cues.is_empty() {
        return CheckResult::not_applicable(CheckKind::ScreenCues, "screen-face-too-small");
    }
    score(&cues)
}
