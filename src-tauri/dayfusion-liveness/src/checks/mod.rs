//! The liveness checks. Each reads the session's observations and reports
//! a score 0-100 (50 is its pass line), a reason with a translated
//! message, and the numbers it measured; or says it is not applicable when
//! the capture lacks what it needs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::challenge::Challenge;
use crate::observation::Observation;
use crate::timeline::FlashTimeline;

pub mod depth;
pub mod identity;
pub mod integrity;
pub mod light;
pub mod motion;
pub mod movement;
pub mod recapture;
pub mod screen;

/// A check's score at and above which it passes.
pub const PASS_SCORE: f32 = 50.0;

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckKind {
    /// One face, the same person, no jumps.
    Identity,
    /// From the small oval to the large one, in time.
    Movement,
    /// Perspective change of a 3D face seen closer.
    Depth,
    /// Skin colour follows the flashed colours, on time.
    Light,
    /// Blinks and micro-movements; no frozen frames.
    NaturalMotion,
    /// Moiré, flat glare, device or paper edges.
    ScreenCues,
    /// A screen's pixel grid across the whole frame.
    Recapture,
    /// Timestamps, frame rate, duplicates, session time.
    CaptureIntegrity,
}

impl CheckKind {
    /// Every check, in report order.
    pub const ALL: [CheckKind; 8] = [
        CheckKind::Identity,
        CheckKind::Movement,
        CheckKind::Depth,
        CheckKind::Light,
        CheckKind::NaturalMotion,
        CheckKind::ScreenCues,
        CheckKind::Recapture,
        CheckKind::CaptureIntegrity,
    ];

    /// The code (`natural-motion`).
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckKind::Identity => "identity",
            CheckKind::Movement => "movement",
            CheckKind::Depth => "depth",
            CheckKind::Light => "light",
            CheckKind::NaturalMotion => "natural-motion",
            CheckKind::ScreenCues => "screen-cues",
            CheckKind::Recapture => "recapture",
            CheckKind::CaptureIntegrity => "capture-integrity",
        }
    }
}

/// A check's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Score at or above [`PASS_SCORE`].
    Passed,
    /// Score below [`PASS_SCORE`].
    Failed,
    /// The capture lacks what the check needs; it neither passes nor fails.
    NotApplicable,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckResult {
    /// Which check.
    pub check: CheckKind,
    /// Passed, failed or not applicable.
    pub outcome: Outcome,
    /// 0-100, [`PASS_SCORE`] is the pass line; `None` when not applicable.
    pub score: Option<f32>,
    /// Why, as a stable code (`light-follows-colours`).
    pub reason: &'static str,
    /// The numbers behind the verdict.
    pub measures: BTreeMap<&'static str, f64>,
}

impl CheckResult {
    /// A scored result; the outcome follows from the score.
    pub fn scored(
        check: CheckKind,
        score: f32,
        reason: &'static str,
        measures: BTreeMap<&'static str, f64>,
    ) -> Self {
        let score = if score.is_finite() {
            score.clamp(0.0, 100.0)
        } else {
            0.0
        };
        CheckResult {
            check,
            outcome: if score >= PASS_SCORE {
                Outcome::Passed
            } else {
                Outcome::Failed
            },
            score: Some(score),
            reason,
            measures,
        }
    }

    /// A check that does not apply to this capture.
    pub fn not_applicable(check: CheckKind, reason: &'static str) -> Self {
        CheckResult {
            check,
            outcome: Outcome::NotApplicable,
            score: None,
            reason,
            measures: BTreeMap::new(),
        }
    }

    /// The reason as a sentence for staff and auditors, in `locale`.
    pub fn message(&self, locale: &str) -> String {
        crate::i18n::translate(&format!("check.{}", self.reason), locale)
    }
}

/// What the checks read.
#[derive(Debug, Clone, Copy)]
pub struct CheckInput<'a> {
    /// Every frame's measurements, in arrival order.
    pub observations: &'a [Observation],
    /// The challenge, when the capture had one.
    pub challenge: Option<&'a Challenge>,
    /// When each colour was on screen (live: as the engine revealed
    /// them, on its arrival clock; a recording: as planned).
    pub flashes: Option<&'a FlashTimeline>,
    /// Frames must come at least this often (frames per second).
    pub min_fps: f64,
    /// Longest capture accepted, milliseconds.
    pub max_duration_ms: f64,
    /// Cosine between the reference image's face and the session's
    /// faces (median), when a reference was chosen.
    pub reference_cosine: Option<f32>,
}

/// Piecewise-linear map through `knots` (x ascending), flat outside them.
pub fn ramp(x: f64, knots: &[(f64, f64)]) -> f32 {
    let Some(&(x0, y0)) = knots.first() else {
        return 0.0;
    };
    if !x.is_finite() {
        return 0.0;
    }
    if x <= x0 {
        return y0 as f32;
    }
    for pair in knots.windows(2) {
        let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
        if x <= xb {
            let t = if xb > xa { (x - xa) / (xb - xa) } else { 1.0 };
            return (ya + t * (yb - ya)) as f32;
        }
    }
    knots.last().map_or(0.0, |&(_, y)| y as f32)
}

/// Median of finite values (`None` when there are none).
pub fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    })
}

/// Builds a measures map from pairs.
pub fn measures<const N: usize>(pairs: [(&'static str, f64); N]) -> BTreeMap<&'static str, f64> {
    pairs
        .into_iter()
        .map(|(k, v)| (k, if v.is_finite() { v } else { -1.0 }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_interpolates_and_clamps() {
        let k = [(0.0, 0.0), (1.0, 50.0), (2.0, 100.0)];
        assert_eq!(ramp(-1.0, &k), 0.0);
        assert_eq!(ramp(0.5, &k), 25.0);
        assert_eq!(ramp(1.5, &k), 75.0);
        assert_eq!(ramp(9.0, &k), 100.0);
        assert_eq!(ramp(f64::NAN, &k), 0.0);
    }

    #[test]
    fn median_skips_non_finite() {
        assert_eq!(median([3.0, f64::NAN, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([1.0, 2.0]), Some(1.5));
        assert_eq!(median(std::iter::empty()), None);
    }

    #[test]
    fn scores_decide_the_outcome() {
        let pass = CheckResult::scored(CheckKind::Light, 50.0, "x", BTreeMap::new());
        assert_eq!(pass.outcome, Outcome::Passed);
        let fail = CheckResult::scored(CheckKind::Light, f32::NAN, "x", BTreeMap::new());
        assert_eq!(fail.outcome, Outcome::Failed);
        assert_eq!(fail.score, Some(0.0));
    }
}
