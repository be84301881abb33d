//! Check 5: natural motion. A living face blinks and never holds perfectly
//! still; a photo on a stand does, and a looped or injected stream repeats
//! frames. Weak alone (a replayed video blinks too, a hand-held photo
//! shakes), so it supports the confidence but does not veto it.

use super::{CheckInput, CheckKind, CheckResult, measures, median, ramp};
use crate::observation::{FaceObservation, thumb_difference};

/// A blink: eye openness below this share of the session's median...
const BLINK_CLOSED: f32 = 0.6;
/// ... and back above this share.
const BLINK_OPEN: f32 = 0.8;
/// Longest blink, milliseconds (longer is eyes closed, not a blink).
const BLINK_MAX_MS: f64 = 600.0;
/// Eyes this open (median) or less cannot show blinks (glasses, squint).
const MIN_OPEN: f32 = 0.12;
/// Consecutive aligned faces closer than this (grey levels, 24x24
/// thumbnail) are the same picture: no camera is that quiet.
pub const FROZEN_DIFFERENCE: f32 = 0.05;
/// Share of frozen consecutive pairs that fails the check.
const MAX_FROZEN_SHARE: f64 = 0.2;
/// Head pose spread (degrees) to score; a still person measures 1-3.
const POSE_KNOTS: [(f64, f64); 3] = [(0.15, 10.0), (0.4, 50.0), (1.5, 80.0)];

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let kind = CheckKind::NaturalMotion;
    let faces: Vec<(f64, &FaceObservation)> = input
        .observations
        .iter()
        .filter_map(|o| o.face.as_ref().map(|f| (o.t_ms, f)))
        .collect();
    if faces.len() < 5 {
        return CheckResult::not_applicable(kind, "motion-too-few-frames");
    }
    let frozen = faces
        .windows(2)
        .filter(|w| thumb_difference(&w[0].1.thumb, &w[1].1.thumb) < FROZEN_DIFFERENCE)
        .count();
    let frozen_share = frozen as f64 / (faces.len() - 1) as f64;
    let blinks = count_blinks(&faces);
    let pose_spread = pose_spread(&faces);
    let m = measures([
        ("frames", faces.len() as f64),
        ("frozenPairs", frozen as f64),
        ("blinks", blinks as f64),
        ("poseSpreadDeg", pose_spread),
    ]);
    if frozen_share > MAX_FROZEN_SHARE {
        return CheckResult::scored(kind, 5.0, "motion-frozen", m);
    }
    if blinks > 0 {
        return CheckResult::scored(kind, 100.0, "motion-blink", m);
    }
    let score = ramp(pose_spread, &POSE_KNOTS);
    let reason = if score >= super::PASS_SCORE {
        "motion-micro-movement"
    } else {
        "motion-too-still"
    };
    CheckResult::scored(kind, score, reason, m)
}

/// Blinks in the eye-openness series.
pub fn count_blinks(faces: &[(f64, &FaceObservation)]) -> usize {
    let Some(open) = median(faces.iter().map(|(_, f)| f64::from(f.eye_openness))) else {
        return 0;
    };
    let open = open as f32;
    if open < MIN_OPEN {
        return 0;
    }
    let mut blinks = 0;
    let mut closed_since: Option<f64> = None;
    for &(t, f) in faces {
        if f.eye_openness < open * BLINK_CLOSED {
            closed_since.get_or_insert(t);
        } else if f.eye_openness > open * BLINK_OPEN
            && let Some(since) = closed_since.take()
            && t - since <= BLINK_MAX_MS
        {
            blinks += 1;
        }
    }
    blinks
}

/// Spread of the head pose: square root of the summed variances of yaw,
/// pitch and roll, degrees.
fn pose_spread(faces: &[(f64, &FaceObservation)]) -> f64 {
    let n = faces.len() as f64;
    let angles: [fn(&FaceObservation) -> f32; 3] =
        [|f| f.pose.yaw, |f| f.pose.pitch, |f| f.pose.roll];
    angles
        .iter()
        .map(|a| {
            let mean = faces.iter().map(|(_, f)| f64::from(a(f))).sum::<f64>() / n;
            faces
                .iter()
                .map(|(_, f)| (f64::from(a(f)) - mean).powi(2))
                .sum::<f64>()
                / n
        })
        .sum::<f64>()
        .sqrt()
}
