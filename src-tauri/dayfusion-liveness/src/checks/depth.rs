//! Check 3: depth from perspective. A camera close to a real face magnifies
//! what sticks out (nose, eyes, mouth) more than the face outline, which
//! lies several centimetres further back; a photo or screen moved closer
//! only scales. So the inner features' sizes over the outline width grow
//! as the face comes from the far to the near frames, and stay put for a
//! flat face.
//!
//! Measure: `delta`, the median over nose width, eye corners and mouth
//! width of `ln(ratio_near / ratio_far)`, where each ratio is the feature
//! size over the cheek-to-cheek width and `near`/`far` are medians over the
//! nearest and farthest frontal frames. A pinhole model of the face mesh's
//! own 3D points seen at 60 and 30 cm gives about +0.07 (see the tests);
//! flat photos scaled 2x through the real detector and mesh stay within
//! ±0.015.

use super::{CheckInput, CheckKind, CheckResult, measures, median, ramp};
use crate::observation::{FaceObservation, ShapeRatios};

/// The approach must scale the face at least this much for the check to
/// read anything.
pub const MIN_SCALE: f64 = 1.4;
/// Frames turned further than this are left out (turning changes ratios).
const MAX_YAW_DEG: f32 = 20.0;
/// Frames within this factor of the smallest (largest) width are "far"
/// ("near").
const BAND: f64 = 1.12;
/// Delta to score: measured, see the module documentation.
pub const DELTA_KNOTS: [(f64, f64); 3] = [(0.015, 0.0), (0.03, 50.0), (0.06, 100.0)];

/// Runs the check. Only a challenge makes it applicable: its ovals bring
/// the face from about 60 to about 30 cm, the distances [`DELTA_KNOTS`]
/// hold for. In a recording without one (`depth-no-challenge`) nothing
/// says how far the face was: a person drifting from 1 m to 70 cm shows a
/// fraction of that perspective and a few misjudged face sizes can fake
/// an approach, so a flat reading there would reject real people (it did,
/// on a passive clip, under rule `2026-12-07`).
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let kind = CheckKind::Depth;
    if input.challenge.is_none() {
        return CheckResult::not_applicable(kind, "depth-no-challenge");
    }
    let faces: Vec<&FaceObservation> = input
        .observations
        .iter()
        .filter_map(|o| o.face.as_ref())
        .filter(|f| f.pose.yaw.abs() <= MAX_YAW_DEG && f.shape.nose > 0.0)
        .collect();
    let widths = faces.iter().map(|f| f64::from(f.width_ratio));
    let (min_w, max_w) = widths.fold((f64::INFINITY, 0.0f64), |(lo, hi), w| {
        (lo.min(w), hi.max(w))
    });
    let scale = max_w / min_w;
    if faces.len() < 6 || !scale.is_finite() || scale < MIN_SCALE {
        return CheckResult::scored(
            kind,
            0.0,
            "depth-approach-too-small",
            measures([("scale", scale), ("frames", faces.len() as f64)]),
        );
    }
    let far: Vec<&ShapeRatios> = faces
        .iter()
        .filter(|f| f64::from(f.width_ratio) <= min_w * BAND)
        .map(|f| &f.shape)
        .collect();
    let near: Vec<&ShapeRatios> = faces
        .iter()
        .filter(|f| f64::from(f.width_ratio) >= max_w / BAND)
        .map(|f| &f.shape)
        .collect();
    let delta = delta(&far, &near);
    let spread_change = (median(near.iter().map(|s| f64::from(s.depth_spread)))
        .unwrap_or(f64::NAN)
        / median(far.iter().map(|s| f64::from(s.depth_spread))).unwrap_or(f64::NAN))
    .ln();
    let m = measures([
        ("scale", scale),
        ("farFrames", far.len() as f64),
        ("nearFrames", near.len() as f64),
        ("delta", delta),
        ("depthSpreadChange", spread_change),
    ]);
    let score = ramp(delta, &DELTA_KNOTS);
    let reason = if score >= super::PASS_SCORE {
        "depth-perspective"
    } else {
        "depth-flat"
    };
    CheckResult::scored(kind, score, reason, m)
}

/// The perspective measure between far and near shape ratios (NaN when
/// either side is empty).
pub fn delta(far: &[&ShapeRatios], near: &[&ShapeRatios]) -> f64 {
    let side = |set: &[&ShapeRatios], pick: fn(&ShapeRatios) -> f32| {
        median(set.iter().map(|s| f64::from(pick(s)))).unwrap_or(f64::NAN)
    };
    let picks: [fn(&ShapeRatios) -> f32; 3] = [|s| s.nose, |s| s.eyes, |s| s.mouth];
    median(picks.iter().map(|&p| (side(near, p) / side(far, p)).ln())).unwrap_or(f64::NAN)
}
