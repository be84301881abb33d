//! Check 7: capture integrity. Timestamps only move forward, frames come
//! often enough, no frame is sent twice, the capture is not too long, and
//! (live sessions) frames do not arrive much faster than they claim to
//! have been captured, which is what a pre-recorded stream pushed in one
//! go looks like.

use super::{CheckInput, CheckKind, CheckResult, measures, median};

/// Exact duplicate frames tolerated (a webcam may hand over the same
/// buffer once when a frame is late).
const MAX_DUPLICATES: usize = 1;
/// Frames must arrive over at least this share of the time they span.
const MIN_ARRIVAL_SPAN: f64 = 0.5;
/// Gaps this much longer than the frame interval count as dropped frames.
const GAP_FACTOR: f64 = 4.0;
/// Live sessions: a frame whose (arrival - capture) time differs from the
/// session's median by more than this was re-stamped or held back.
const MAX_DRIFT_MS: f64 = 300.0;
/// Share of such frames tolerated (a busy machine delays a few).
const MAX_DRIFTING_SHARE: f64 = 0.05;

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let kind = CheckKind::CaptureIntegrity;
    let obs = input.observations;
    let backwards = obs.windows(2).filter(|w| w[1].t_ms <= w[0].t_ms).count();
    let intervals: Vec<f64> = obs.windows(2).map(|w| w[1].t_ms - w[0].t_ms).collect();
    let median_interval = median(intervals.iter().copied()).unwrap_or(f64::NAN);
    let fps = 1000.0 / median_interval;
    let gaps = intervals
        .iter()
        .filter(|&&d| d > GAP_FACTOR * median_interval.max(1000.0 / input.min_fps))
        .count();
    let mut hashes: Vec<u64> = obs.iter().map(|o| o.pixel_hash).collect();
    hashes.sort_unstable();
    let duplicates = hashes.windows(2).filter(|w| w[0] == w[1]).count();
    let span = match (obs.first(), obs.last()) {
        (Some(a), Some(b)) => b.t_ms - a.t_ms,
        _ => 0.0,
    };
    let arrival_span = match (
        obs.first().and_then(|o| o.arrived_ms),
        obs.last().and_then(|o| o.arrived_ms),
    ) {
        (Some(a), Some(b)) => b - a,
        _ => f64::NAN,
    };
    let drifts: Vec<f64> = obs
        .iter()
        .filter_map(|o| o.arrived_ms.map(|a| a - o.t_ms))
        .collect();
    let drifting = match median(drifts.iter().copied()) {
        Some(mid) => drifts
            .iter()
            .filter(|d| (*d - mid).abs() > MAX_DRIFT_MS)
            .count(),
        None => 0,
    };
    let mut sizes: Vec<[u32; 2]> = obs.iter().map(|o| o.frame_size).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let m = measures([
        ("driftingFrames", drifting as f64),
        ("frameSizes", sizes.len() as f64),
        ("frames", obs.len() as f64),
        ("fps", fps),
        ("backwardTimestamps", backwards as f64),
        ("gaps", gaps as f64),
        ("duplicateFrames", duplicates as f64),
        ("durationMs", span),
        ("arrivalSpanMs", arrival_span),
    ]);
    if obs.len() < 2 {
        return CheckResult::scored(kind, 0.0, "integrity-too-few-frames", m);
    }
    if backwards > 0 {
        return CheckResult::scored(kind, 0.0, "integrity-timestamps-backwards", m);
    }
    if sizes.len() > 1 {
        return CheckResult::scored(kind, 10.0, "integrity-frame-size-changed", m);
    }
    if duplicates > MAX_DUPLICATES {
        return CheckResult::scored(kind, 5.0, "integrity-duplicate-frames", m);
    }
    if arrival_span.is_finite() && span > 1000.0 && arrival_span < span * MIN_ARRIVAL_SPAN {
        return CheckResult::scored(kind, 5.0, "integrity-arrived-too-fast", m);
    }
    if drifting as f64 > MAX_DRIFTING_SHARE * obs.len() as f64 {
        return CheckResult::scored(kind, 10.0, "integrity-clock-drift", m);
    }
    if span > input.max_duration_ms {
        return CheckResult::scored(kind, 20.0, "integrity-too-long", m);
    }
    // Allow 10% below the minimum: webcams drift around their nominal rate.
    if fps.is_nan() || fps < input.min_fps * 0.9 {
        return CheckResult::scored(kind, 25.0, "integrity-frame-rate-low", m);
    }
    if gaps * 10 > obs.len() {
        return CheckResult::scored(kind, 30.0, "integrity-frames-dropped", m);
    }
    CheckResult::scored(kind, 100.0, "integrity-ok", m)
}
