//! How the checks combine into one confidence 0-100.
//!
//! Rule (version [`RULE_VERSION`]):
//! 1. Every applicable check except natural motion can veto: the
//!    confidence is at most the lowest of their scores, so one failed veto
//!    check (score below 50) keeps the confidence below 50.
//! 2. Under that cap, the confidence is the weighted mean of all applicable
//!    scores, with weights [`weight`]: the challenge-bound checks (light 3,
//!    depth 2) count most because a recording cannot pass them; screen cues
//!    and recapture 2; the rest 1.
//! 3. Without a challenge (a recording), light, movement and depth do not
//!    apply: the confidence then rests on passive cues only and the result
//!    says so ([`Assurance::PassiveOnly`]). A movement-only challenge (no
//!    flashing colours) has no light check: [`Assurance::MovementChallenge`],
//!    which the policies send to a person.
//!
//! 50 is the pass line of every check, so a confidence of 50 or more means
//! every veto check passed. AWS's guidance (50-60 against presentation
//! attacks, higher against injection) reads the same way here.

use serde::Serialize;

use crate::checks::{CheckKind, CheckResult};

/// Version of the rule, recorded in every result. `2026-12-07.5`: a live
/// challenge without colours (movement only, for photosensitive people)
/// has no light check and says so (`movement-challenge`); its sequences
/// of colours never flash more than three times a second (WCAG 2.3.1);
/// `2026-12-07.4`: an
/// eighth check, recapture (a screen's pixel grid across the whole frame,
/// no model), weighs 2 and can veto; `2026-12-07.3`: live
/// sessions reveal each oval and colour only when it is due and the light
/// check times the skin's response on the engine's arrival clock (a
/// colour claimed before its reveal or never shown fails it);
/// `2026-12-07.2`: depth
/// applies only with a challenge (it had scored recordings whose face
/// size happened to vary, and rejected a real person as `depth-flat`);
/// `2026-12-07`: the identity check embeds with SFace (one view per
/// frame, face engine v2) and passes at that model's FAR-0.1% cosine;
/// `2026-11-26` embedded with MobileFaceNet and passed at cosine 0.52.
pub const RULE_VERSION: &str = "local-liveness-rule/2026-12-07.5";

/// How much the applicable checks can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Assurance {
    /// The challenge (approach and colours) was part of the capture.
    Challenge,
    /// The approach challenge without colours: no light check.
    MovementChallenge,
    /// No challenge: passive, motion and integrity checks only.
    PassiveOnly,
}

/// The weight of a check in the mean.
pub const fn weight(kind: CheckKind) -> f32 {
    match kind {
        CheckKind::Light => 3.0,
        CheckKind::Depth | CheckKind::ScreenCues | CheckKind::Recapture => 2.0,
        CheckKind::Identity
        | CheckKind::Movement
        | CheckKind::NaturalMotion
        | CheckKind::CaptureIntegrity => 1.0,
    }
}

/// Whether a failure of this check caps the confidence.
pub const fn vetoes(kind: CheckKind) -> bool {
    !matches!(kind, CheckKind::NaturalMotion)
}

/// The confidence from the checks (0 when none applies).
pub fn combine(checks: &[CheckResult]) -> f32 {
    let scored: Vec<(CheckKind, f32)> = checks
        .iter()
        .filter_map(|c| c.score.map(|s| (c.check, s)))
        .collect();
    let total_weight: f32 = scored.iter().map(|(k, _)| weight(*k)).sum();
    if total_weight <= 0.0 {
        return 0.0;
    }
    let mean = scored.iter().map(|(k, s)| weight(*k) * s).sum::<f32>() / total_weight;
    let cap = scored
        .iter()
        .filter(|(k, _)| vetoes(*k))
        .map(|(_, s)| *s)
        .fold(100.0f32, f32::min);
    mean.min(cap).clamp(0.0, 100.0)
}

/// The confidence without one kind of check, as a rule before that check
/// existed would have given it (the evaluations' side by side).
pub fn combine_without(checks: &[CheckResult], left_out: CheckKind) -> f32 {
    let kept: Vec<CheckResult> = checks
        .iter()
        .filter(|c| c.check != left_out)
        .cloned()
        .collect();
    combine(&kept)
}

/// Which assurance the checks give.
pub fn assurance(checks: &[CheckResult]) -> Assurance {
    let applies = |kind: CheckKind| checks.iter().any(|c| c.check == kind && c.score.is_some());
    if applies(CheckKind::Light) {
        Assurance::Challenge
    } else if applies(CheckKind::Movement) {
        Assurance::MovementChallenge
    } else {
        Assurance::PassiveOnly
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn scored(kind: CheckKind, score: f32) -> CheckResult {
        CheckResult::scored(kind, score, "x", BTreeMap::new())
    }

    #[test]
    fn a_failed_veto_check_caps_the_confidence() {
        let checks = [
            scored(CheckKind::Light, 100.0),
            scored(CheckKind::Depth, 100.0),
            scored(CheckKind::ScreenCues, 30.0),
        ];
        assert_eq!(combine(&checks), 30.0);
    }

    #[test]
    fn a_screen_grid_across_the_frame_vetoes_even_with_the_challenge_passed() {
        let checks = [
            scored(CheckKind::Light, 100.0),
            scored(CheckKind::Depth, 100.0),
            scored(CheckKind::Recapture, 35.0),
        ];
        assert_eq!(combine(&checks), 35.0);
        // Passed, it weighs 2 in the mean (under the cap of the lowest veto).
        let passed = [
            scored(CheckKind::Light, 90.0),
            scored(CheckKind::Recapture, 100.0),
            scored(CheckKind::NaturalMotion, 40.0),
        ];
        let c = combine(&passed);
        assert!(
            (c - (3.0 * 90.0 + 2.0 * 100.0 + 40.0) / 6.0).abs() < 1e-4,
            "{c}"
        );
        // Rule 2026-12-07.3 had no recapture check.
        assert_eq!(combine_without(&checks, CheckKind::Recapture), 100.0);
    }

    #[test]
    fn natural_motion_lowers_the_mean_but_cannot_veto() {
        let checks = [
            scored(CheckKind::Light, 90.0),
            scored(CheckKind::NaturalMotion, 10.0),
        ];
        let c = combine(&checks);
        assert!((c - (3.0 * 90.0 + 10.0) / 4.0).abs() < 1e-4, "{c}");
        assert!(c >= 50.0);
    }

    #[test]
    fn not_applicable_checks_are_left_out() {
        let checks = [
            scored(CheckKind::ScreenCues, 80.0),
            CheckResult::not_applicable(CheckKind::Light, "light-no-challenge"),
        ];
        assert_eq!(combine(&checks), 80.0);
        assert_eq!(assurance(&checks), Assurance::PassiveOnly);
        assert_eq!(combine(&[]), 0.0);
    }
}
