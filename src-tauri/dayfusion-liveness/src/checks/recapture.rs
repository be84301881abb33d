//! Check 8: whole-frame recapture (see [`crate::recapture`] for the
//! measure): the same fine frequency peaking across the frame, as a
//! re-filmed screen's pixel grid makes it. It needs no challenge, so it
//! applies to recordings and single frames too.

use super::{CheckInput, CheckKind, CheckResult, measures, median, ramp};

/// Median grid consistency to score. The pass line (0.22) is set on the
/// development material (`dayfusion eval pad`) above every bona fide crop,
/// clip and still; see the README's liveness section for what it does
/// and does not catch.
pub const GRID_KNOTS: [(f64, f64); 3] = [(0.15, 100.0), (0.22, 50.0), (0.35, 0.0)];

/// Scores per-frame grid consistencies (the median counts, so a few
/// frames with a patterned shirt or blinds in view do not decide).
pub fn score(grid: &[f32]) -> CheckResult {
    let kind = CheckKind::Recapture;
    let Some(consistency) = median(grid.iter().map(|&g| f64::from(g))) else {
        return CheckResult::not_applicable(kind, "recapture-no-texture");
    };
    let m = measures([
        ("frames", grid.len() as f64),
        ("gridConsistency", consistency),
    ]);
    let score = ramp(consistency, &GRID_KNOTS);
    let reason = if score >= super::PASS_SCORE {
        "recapture-none"
    } else {
        "recapture-screen-grid"
    };
    CheckResult::scored(kind, score, reason, m)
}

/// Runs the check on a session: not applicable when no measured frame had
/// texture enough.
pub fn check(input: &CheckInput<'_>) -> CheckResult {
    let grid: Vec<f32> = input
        .observations
        .iter()
        .filter_map(|o| o.screen_grid)
        .collect();
    score(&grid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::Outcome;

    #[test]
    fn the_median_frame_decides() {
        let live = score(&[0.12, 0.2, 0.6]);
        assert_eq!(live.outcome, Outcome::Passed);
        assert_eq!(live.reason, "recapture-none");
        let screen = score(&[0.45, 0.5, 0.2]);
        assert_eq!(screen.outcome, Outcome::Failed);
        assert_eq!(screen.reason, "recapture-screen-grid");
        assert_eq!(screen.measures["gridConsistency"], f64::from(0.45f32));
        assert_eq!(score(&[]).outcome, Outcome::NotApplicable);
    }
}
