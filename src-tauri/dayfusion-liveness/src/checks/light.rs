//! Check 4: light response. While the screen flashes the challenge's random
//! colours, the skin reflects them: its chromaticity moves towards each
//! flashed colour in the very frames captured while that colour was on.
//! A pre-recorded video cannot follow a sequence drawn at session start; a
//! relayed one arrives late.
//!
//! Measure: the skin chromaticity `(ln R/G, ln B/G)` of each frame in the
//! flash window, against the flashed colour's `(r-g, b-g)`, both de-meaned
//! over the window; their normalised correlation `r(lag)` for the schedule
//! shifted by `lag`. The score reads the best `r` with `lag` in
//! `[-MAX_EARLY_MS, MAX_LAG_MS]` (camera and display latency); a better
//! peak at a longer lag is reported as a late response.

use super::{CheckInput, CheckKind, CheckResult, measures, ramp};
use crate::challenge::Challenge;

/// Longest accepted delay between display and capture, milliseconds.
pub const MAX_LAG_MS: f64 = 250.0;
/// Earliest accepted response (timestamp jitter), milliseconds.
pub const MAX_EARLY_MS: f64 = 70.0;
/// Longest lag searched, milliseconds.
const SEARCH_LAG_MS: f64 = 1_000.0;
/// Lag step, milliseconds.
const LAG_STEP_MS: f64 = 10.0;
/// Reported colours must match the schedule in this share of frames.
const MIN_SCHEDULE_MATCH: f64 = 0.8;
/// A response this well correlated at a longer lag is called late (below
/// it, chance correlations at some lag are common: 0.5 was seen with no
/// reflection at all).
const LATE_MIN_R: f64 = 0.7;
/// Correlation to score: 0.5 is the pass line (see the evaluation report
/// for the simulated distributions this was set from).
pub const R_KNOTS: [(f64, f64); 3] = [(0.2, 0.0), (0.5, 50.0), (0.8, 100.0)];

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let kind = CheckKind::Light;
    let Some(challenge) = input.challenge else {
        return CheckResult::not_applicable(kind, "light-no-challenge");
    };
    let Some(start) = input.flashes_start_ms else {
        return CheckResult::scored(kind, 0.0, "light-not-shown", measures([]));
    };
    let end = start + challenge.flash_total_ms() as f64;
    // Frames inside the flash window, with a face.
    let frames: Vec<(f64, [f64; 2], Option<crate::FlashColour>)> = input
        .observations
        .iter()
        .filter(|o| o.t_ms >= start && o.t_ms < end)
        .filter_map(|o| {
            let f = o.face.as_ref()?;
            let [r, g, b] = f.skin_rgb.map(|c| f64::from(c) + 1.0);
            Some((o.t_ms, [(r / g).ln(), (b / g).ln()], o.displayed))
        })
        .collect();
    let tolerance = 70.0;
    let matches = frames
        .iter()
        .filter(|(t, _, shown)| {
            [0.0, -tolerance, tolerance]
                .iter()
                .any(|dt| *shown == challenge.colour_at(t + dt - start))
        })
        .count();
    let distinct = {
        let mut seen: Vec<_> = frames
            .iter()
            .filter_map(|(t, _, _)| challenge.colour_at(t - start))
            .collect();
        seen.sort_by_key(|c| *c as u8);
        seen.dedup();
        seen.len()
    };
    let schedule_match = matches as f64 / frames.len().max(1) as f64;
    let (best_allowed, best_allowed_lag) =
        best_correlation(challenge, start, &frames, -MAX_EARLY_MS, MAX_LAG_MS);
    let (best_any, best_any_lag) =
        best_correlation(challenge, start, &frames, -MAX_EARLY_MS, SEARCH_LAG_MS);
    let m = measures([
        ("frames", frames.len() as f64),
        ("colours", distinct as f64),
        ("scheduleMatch", schedule_match),
        ("correlation", best_allowed),
        ("lagMs", best_allowed_lag),
        ("bestCorrelationAnyLag", best_any),
        ("bestLagMs", best_any_lag),
    ]);
    if frames.len() < 6 || distinct < 3 {
        return CheckResult::scored(kind, 0.0, "light-too-few-frames", m);
    }
    if schedule_match < MIN_SCHEDULE_MATCH {
        return CheckResult::scored(kind, 0.0, "light-sequence-mismatch", m);
    }
    let score = ramp(best_allowed, &R_KNOTS);
    let reason = if score >= super::PASS_SCORE {
        "light-follows-colours"
    } else if best_any >= LATE_MIN_R && best_any_lag > MAX_LAG_MS {
        "light-late"
    } else {
        "light-no-response"
    };
    CheckResult::scored(kind, score, reason, m)
}

/// Best normalised correlation of skin chroma with the flashed chroma
/// delayed by a lag in `[from_ms, to_ms]`; returns it and its lag.
fn best_correlation(
    challenge: &Challenge,
    start: f64,
    frames: &[(f64, [f64; 2], Option<crate::FlashColour>)],
    from_ms: f64,
    to_ms: f64,
) -> (f64, f64) {
    let mut best = (f64::NAN, f64::NAN);
    let mut lag = from_ms;
    while lag <= to_ms {
        let r = correlation_at(challenge, start, frames, lag);
        if r.is_finite() && (best.0.is_nan() || r > best.0) {
            best = (r, lag);
        }
        lag += LAG_STEP_MS;
    }
    best
}

/// Correlation at one lag: frames whose delayed schedule falls outside the
/// sequence are left out.
fn correlation_at(
    challenge: &Challenge,
    start: f64,
    frames: &[(f64, [f64; 2], Option<crate::FlashColour>)],
    lag: f64,
) -> f64 {
    let pairs: Vec<([f64; 2], [f64; 2])> = frames
        .iter()
        .filter_map(|(t, chroma, _)| {
            let c = challenge.colour_at(t - lag - start)?.chroma();
            Some((*chroma, [f64::from(c[0]), f64::from(c[1])]))
        })
        .collect();
    if pairs.len() < 6 {
        return f64::NAN;
    }
    let n = pairs.len() as f64;
    let mut mean_o = [0.0; 2];
    let mut mean_x = [0.0; 2];
    for (o, x) in &pairs {
        for c in 0..2 {
            mean_o[c] += o[c] / n;
            mean_x[c] += x[c] / n;
        }
    }
    let (mut ox, mut oo, mut xx) = (0.0, 0.0, 0.0);
    for (o, x) in &pairs {
        for c in 0..2 {
            let (a, b) = (o[c] - mean_o[c], x[c] - mean_x[c]);
            ox += a * b;
            oo += a * a;
            xx += b * b;
        }
    }
    if oo <= 0.0 || xx <= 0.0 {
        return f64::NAN;
    }
    ox / (oo * xx).sqrt()
}
