//! Check 4: light response. While the screen flashes the challenge's random
//! colours, the skin reflects them: its chromaticity moves towards each
//! flashed colour in the very frames captured while that colour was on.
//!
//! Live sessions reveal each colour only when it is due, in the answer to
//! a frame, and stamp it on the engine's arrival clock
//! ([`crate::timeline`]). A frame's time here is then when it arrived, so
//! the lag between a reveal and the skin's response is the whole loop
//! (answer, paint, camera, frame back), which the client cannot shorten
//! or hide: a stream prepared in advance cannot know the colours, and a
//! relay adds its delay to the loop. The colour the client says was on
//! screen is only checked against the reveals: one the engine had not
//! revealed when the frame arrived, or one not on screen in the second
//! before, fails the check. Recordings analysed with their challenge use
//! the planned schedule on the capture clock.
//!
//! Measure: the skin chromaticity `(ln R/G, ln B/G)` of each frame in the
//! flash window, against the shown colour's `(r-g, b-g)`, both de-meaned
//! over the window; their normalised correlation `r(lag)` for the
//! timeline shifted by `lag`. The score reads the best `r` with `lag` in
//! the accepted window ([`lag_window`]); a better peak at a longer lag is
//! a late response, one before the reveal a response no camera could give.

use super::{CheckInput, CheckKind, CheckResult, measures, median, ramp};
use crate::challenge::FlashColour;
use crate::timeline::{FlashTimeline, TimeBase};

/// Recordings: longest accepted delay between display and capture,
/// milliseconds.
pub const RECORDING_MAX_LAG_MS: f64 = 250.0;
/// Recordings: earliest accepted response (timestamp jitter), milliseconds.
pub const RECORDING_MAX_EARLY_MS: f64 = 70.0;
/// Live sessions: longest accepted loop from a colour's reveal to the
/// arrival of frames reflecting it, milliseconds. The best lag is found
/// to within about a frame interval, so at 15 fps loops up to about
/// 400 ms pass: a 300 ms relay on a typical 130 ms loop does not.
pub const LIVE_MAX_LOOP_MS: f64 = 350.0;
/// A colour the client says was on screen must have been shown within
/// this long before the frame arrived, milliseconds (generous: the frame
/// may wait for the one before it to be analysed).
const CLAIM_WINDOW_MS: f64 = 1_000.0;
/// Claims of a colour not on screen tolerated (a frame held up longer
/// than [`CLAIM_WINDOW_MS`] by a busy machine); a claim of a colour before
/// its reveal is never tolerated (no honest client can make one).
const MAX_WRONG_CLAIMS: usize = 2;
/// Longest lag searched past the window either way, milliseconds.
const SEARCH_LAG_MS: f64 = 1_000.0;
/// Lag step, milliseconds.
const LAG_STEP_MS: f64 = 10.0;
/// A response this well correlated at a lag outside the window is called
/// late (or early) (below it, chance correlations at some lag are common:
/// 0.5 was seen with no reflection at all).
const LATE_MIN_R: f64 = 0.7;
/// A peak outside the window counts when it beats the best lag inside by
/// this much (an honest response's peak is flat over about a frame).
const PEAK_MARGIN: f64 = 0.05;
/// Highest score of a response that came late or early.
const OFF_TIME_SCORE: f32 = 20.0;
/// Correlation to score: 0.5 is the pass line (see the evaluation report
/// for the simulated distributions this was set from).
pub const R_KNOTS: [(f64, f64); 3] = [(0.2, 0.0), (0.5, 50.0), (0.8, 100.0)];

/// The accepted lags on a timeline's clock, milliseconds.
pub const fn lag_window(base: TimeBase) -> (f64, f64) {
    match base {
        TimeBase::Capture => (-RECORDING_MAX_EARLY_MS, RECORDING_MAX_LAG_MS),
        TimeBase::Arrival => (0.0, LIVE_MAX_LOOP_MS),
    }
}

/// A frame in the flash window: its time on the timeline's clock and its
/// skin chroma.
type Sample = (f64, [f64; 2]);

/// What the client's claimed colours (`x-shown-colour`) say against a
/// live timeline: a consistency check only (a client may claim nothing),
/// each claimed colour must have been on screen in the
/// [`CLAIM_WINDOW_MS`] before the frame arrived.
#[derive(Debug, Default)]
struct Claims {
    /// Frames claiming a colour not yet revealed when they arrived.
    before_reveal: usize,
    /// Frames claiming a colour revealed earlier but not on screen then.
    wrong: usize,
    /// Median time from a reveal to the first frame claiming that colour:
    /// the software part of the loop (answer, paint, grab, upload).
    reveal_to_claim_ms: Option<f64>,
}

fn claims(input: &CheckInput<'_>, timeline: &FlashTimeline) -> Claims {
    let mut claims = Claims::default();
    if timeline.base() != TimeBase::Arrival {
        // A recording's colours come from its own schedule.
        return claims;
    }
    let timed: Vec<(f64, FlashColour)> = input
        .observations
        .iter()
        .filter_map(|o| Some((timeline.time_of(o), o.displayed?)))
        .collect();
    for &(t, colour) in &timed {
        if timeline.shown_between(colour, t - CLAIM_WINDOW_MS, t) {
            continue;
        }
        let earlier = timeline.shown_between(colour, f64::NEG_INFINITY, t);
        if !earlier && timeline.shown_between(colour, t, f64::INFINITY) {
            claims.before_reveal += 1;
        } else {
            claims.wrong += 1;
        }
    }
    claims.reveal_to_claim_ms = median(timeline.spans().iter().filter_map(|span| {
        timed
            .iter()
            .find(|(t, c)| {
                *t >= span.from_ms && *t < span.to_ms + CLAIM_WINDOW_MS && *c == span.colour
            })
            .map(|(t, _)| t - span.from_ms)
    }));
    claims
}

/// Runs the check.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let kind = CheckKind::Light;
    let Some(challenge) = input.challenge else {
        return CheckResult::not_applicable(kind, "light-no-challenge");
    };
    if challenge.flashes.is_empty() {
        return CheckResult::not_applicable(kind, "light-movement-only");
    }
    let Some((timeline, start, end)) = input
        .flashes
        .and_then(|t| Some((t, t.start_ms()?, t.end_ms()?)))
    else {
        return CheckResult::scored(kind, 0.0, "light-not-shown", measures([]));
    };
    let (from_lag, to_lag) = lag_window(timeline.base());
    // Live frames answering the last colour arrive up to a loop later.
    let end = match timeline.base() {
        TimeBase::Arrival => end + LIVE_MAX_LOOP_MS,
        TimeBase::Capture => end,
    };
    let frames: Vec<Sample> = input
        .observations
        .iter()
        .filter_map(|o| {
            let t = timeline.time_of(o);
            let f = o.face.as_ref()?;
            let [r, g, b] = f.skin_rgb.map(|c| f64::from(c) + 1.0);
            (t >= start && t < end).then_some((t, [(r / g).ln(), (b / g).ln()]))
        })
        .collect();
    let claims = claims(input, timeline);
    let distinct = {
        let mut seen: Vec<_> = frames
            .iter()
            .filter_map(|(t, _)| timeline.colour_at(*t))
            .collect();
        seen.sort_by_key(|c| *c as u8);
        seen.dedup();
        seen.len()
    };
    let (best_allowed, best_allowed_lag) = best_correlation(timeline, &frames, from_lag, to_lag);
    let (best_any, best_any_lag) = best_correlation(
        timeline,
        &frames,
        from_lag - SEARCH_LAG_MS,
        to_lag + SEARCH_LAG_MS,
    );
    let m = measures([
        ("frames", frames.len() as f64),
        ("colours", distinct as f64),
        ("shownBeforeReveal", claims.before_reveal as f64),
        ("wrongColourFrames", claims.wrong as f64),
        (
            "revealToClaimMs",
            claims.reveal_to_claim_ms.unwrap_or(f64::NAN),
        ),
        ("correlation", best_allowed),
        ("lagMs", best_allowed_lag),
        ("bestCorrelationAnyLag", best_any),
        ("bestLagMs", best_any_lag),
    ]);
    if claims.before_reveal > 0 {
        return CheckResult::scored(kind, 0.0, "light-before-reveal", m);
    }
    if claims.wrong > MAX_WRONG_CLAIMS {
        return CheckResult::scored(kind, 0.0, "light-wrong-colour", m);
    }
    if frames.len() < 6 || distinct < 3 {
        return CheckResult::scored(kind, 0.0, "light-too-few-frames", m);
    }
    // The response's timing is where it correlates best: a peak after the
    // window that clearly beats everything inside it is late, even when
    // its flank inside still correlates (flashes last 200-450 ms).
    let beats_window =
        best_any.is_finite() && (best_allowed.is_nan() || best_any > best_allowed + PEAK_MARGIN);
    let score = ramp(best_allowed, &R_KNOTS);
    let strong = best_any >= LATE_MIN_R;
    let live = timeline.base() == TimeBase::Arrival;
    let (score, reason) = if beats_window && best_any_lag > to_lag {
        let reason = if strong {
            "light-late"
        } else {
            "light-no-response"
        };
        (score.min(OFF_TIME_SCORE), reason)
    } else if score >= super::PASS_SCORE {
        (score, "light-follows-colours")
    } else if live && strong && beats_window && best_any_lag < from_lag {
        // Live only: a recording's early peak is a misplaced schedule.
        (score, "light-before-reveal")
    } else {
        (score, "light-no-response")
    };
    CheckResult::scored(kind, score, reason, m)
}

/// Best normalised correlation of skin chroma with the shown chroma
/// delayed by a lag in `[from_ms, to_ms]`; returns it and its lag.
fn best_correlation(
    timeline: &FlashTimeline,
    frames: &[Sample],
    from_ms: f64,
    to_ms: f64,
) -> (f64, f64) {
    let mut best = (f64::NAN, f64::NAN);
    let mut lag = from_ms;
    while lag <= to_ms {
        let r = correlation_at(timeline, frames, lag);
        if r.is_finite() && (best.0.is_nan() || r > best.0) {
            best = (r, lag);
        }
        lag += LAG_STEP_MS;
    }
    best
}

/// Correlation at one lag: frames whose delayed schedule falls outside the
/// sequence are left out.
fn correlation_at(timeline: &FlashTimeline, frames: &[Sample], lag: f64) -> f64 {
    let pairs: Vec<([f64; 2], [f64; 2])> = frames
        .iter()
        .filter_map(|(t, chroma)| {
            let c = timeline.colour_at(t - lag)?.chroma();
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
