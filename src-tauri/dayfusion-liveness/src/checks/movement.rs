//! Check 2: the face starts in the small oval and grows into the large one,
//! within the time limits.

use super::{CheckInput, CheckKind, CheckResult, measures, median};

/// The face counts as "in the small oval" up to this factor of its width.
pub const SMALL_TOLERANCE: f64 = 1.3;
/// ... and as "in the large oval" from this factor of its width.
pub const LARGE_TOLERANCE: f64 = 0.85;
/// Fastest believable growth of the face, as the natural logarithm of the
/// width ratio per second: 2.5 is the face doubling in about 280 ms, faster
/// than a person leaning in. A cut in a replayed video grows far faster.
/// (A rate rather than a minimum time, because with some oval draws the two
/// tolerance bands nearly meet and an honest approach crosses the gap
/// between them within a frame or two.)
pub const MAX_GROWTH_PER_S: f64 = 2.5;
/// Slowest accepted approach, milliseconds.
pub const MAX_APPROACH_MS: f64 = 12_000.0;
/// Frames smoothed together when reading the face width.
const SMOOTH: usize = 3;

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let kind = CheckKind::Movement;
    let Some(challenge) = input.challenge else {
        return CheckResult::not_applicable(kind, "movement-no-challenge");
    };
    // Face width ratio, smoothed over a few frames, with its time.
    let widths: Vec<(f64, f64)> = input
        .observations
        .iter()
        .filter_map(|o| o.face.as_ref().map(|f| (o.t_ms, f64::from(f.width_ratio))))
        .collect();
    let smoothed: Vec<(f64, f64)> = widths
        .windows(SMOOTH)
        .filter_map(|w| Some((w[SMOOTH / 2].0, median(w.iter().map(|p| p.1))?)))
        .collect();
    let small = f64::from(challenge.small_oval.width) * SMALL_TOLERANCE;
    let large = f64::from(challenge.large_oval.width) * LARGE_TOLERANCE;
    let first_width = smoothed.first().map_or(f64::NAN, |p| p.1);
    let last_small = smoothed.iter().rev().find(|p| p.1 <= small);
    let first_large = last_small.and_then(|s| smoothed.iter().find(|p| p.0 > s.0 && p.1 >= large));
    let peak = smoothed.iter().map(|p| p.1).fold(f64::NAN, f64::max);
    let approach_ms = match (last_small, first_large) {
        (Some(a), Some(b)) => b.0 - a.0,
        _ => f64::NAN,
    };
    let growth_per_s = match (last_small, first_large) {
        (Some(a), Some(b)) if b.0 > a.0 && a.1 > 0.0 => (b.1 / a.1).ln() / ((b.0 - a.0) / 1000.0),
        _ => f64::NAN,
    };
    let m = measures([
        ("startWidth", first_width),
        ("peakWidth", peak),
        ("smallOvalWidth", f64::from(challenge.small_oval.width)),
        ("largeOvalWidth", f64::from(challenge.large_oval.width)),
        ("approachMs", approach_ms),
        ("growthPerSecond", growth_per_s),
    ]);
    if last_small.is_none() {
        return CheckResult::scored(kind, 10.0, "movement-never-small", m);
    }
    if first_large.is_none() {
        return CheckResult::scored(kind, 20.0, "movement-never-large", m);
    }
    if growth_per_s > MAX_GROWTH_PER_S {
        return CheckResult::scored(kind, 20.0, "movement-too-fast", m);
    }
    if approach_ms > MAX_APPROACH_MS {
        return CheckResult::scored(kind, 30.0, "movement-too-slow", m);
    }
    CheckResult::scored(kind, 100.0, "movement-approached", m)
}
