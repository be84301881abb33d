//! The similarity score 0-100 shown to people and used by the decision
//! thresholds, calibrated from cosine similarity.
//!
//! The map is piecewise linear through knots measured on the development
//! set by `dayfusion eval faces` (which prints them): the cosine at which
//! the false match rate is 1% maps to 60 and the cosine at which it is 0.1%
//! maps to 80, the guide's CompareFaces threshold. So "score >= 80" means
//! "a false match rate of at most 0.1% on the calibration set".

use serde::Serialize;

/// A versioned cosine -> score map for one embedding model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreCalibration {
    /// Identifies the calibration (model and date); stored with every
    /// result so a decision can be traced to the map that made it.
    pub version: &'static str,
    /// `(cosine, score)` knots, both increasing.
    pub knots: &'static [(f32, f32)],
}

/// The calibration of MobileFaceNet with the ArcFace alignment used here,
/// from `dayfusion eval faces ../shared/eval/dev/identities` (1,488 images
/// of 396 people; 4,797 genuine and 1,101,531 impostor pairs). The colour
/// pairs need a higher cosine than the greyscale ones for the same FAR
/// (FAR 1%: 0.439 colour, 0.363 all; FAR 0.1%: 0.518 colour, 0.468 all),
/// so each knot takes the stricter (colour) value, rounded up: 80 then
/// means FAR at most 0.1% on every subset. Kiosk cameras are colour.
pub const MOBILEFACENET_CALIBRATION: ScoreCalibration = ScoreCalibration {
    version: "mobilefacenet-192d/2026-11-25",
    knots: &[
        (-1.0, 0.0),
        (0.0, 20.0),
        (COS_FAR_1, 60.0),
        (COS_FAR_0_1, 80.0),
        (1.0, 100.0),
    ],
};

/// Cosine at a false match rate of 1% on the calibration set (colour).
const COS_FAR_1: f32 = 0.44;
/// Cosine at a false match rate of 0.1% on the calibration set (colour).
const COS_FAR_0_1: f32 = 0.52;

/// The calibration of face engine v2 (YuNet five-point alignment, SFace on
/// the RGB crop averaged with its mirror image), from `dayfusion eval faces
/// ../shared/eval/dev/identities` as for MobileFaceNet: each knot takes the
/// stricter of the colour and greyscale cosines, rounded up, so 80 means FAR
/// at most 0.1% on every subset. On 1,488 images of 396 people (4,797
/// genuine, 1,101,531 impostor pairs): FAR 1% at 0.362 colour, 0.296
/// greyscale; FAR 0.1% at 0.424 colour, 0.364 greyscale (the colour point
/// rests on 13,271 impostor pairs).
pub const SFACE_CALIBRATION: ScoreCalibration = ScoreCalibration {
    version: "sface-128d-mirror/2026-12-07",
    knots: &[
        (-1.0, 0.0),
        (0.0, 20.0),
        (SFACE_COS_FAR_1, 60.0),
        (SFACE_COS_FAR_0_1, 80.0),
        (1.0, 100.0),
    ],
};

/// SFace cosine at a false match rate of 1% (colour, the stricter subset).
const SFACE_COS_FAR_1: f32 = 0.37;
/// SFace cosine at a false match rate of 0.1% (colour, the stricter subset).
const SFACE_COS_FAR_0_1: f32 = 0.43;

/// The calibration of [`crate::Matcher::SfaceV2SingleView`]: face engine
/// v2 with one SFace view per face (no mirror average), as the liveness
/// engine's identity check embeds. Measured as [`SFACE_CALIBRATION`] on the
/// same pairs: FAR 1% at 0.363 colour, 0.295 greyscale; FAR 0.1% at 0.418
/// colour, 0.362 greyscale.
pub const SFACE_SINGLE_VIEW_CALIBRATION: ScoreCalibration = ScoreCalibration {
    version: "sface-128d/2026-12-07",
    knots: &[
        (-1.0, 0.0),
        (0.0, 20.0),
        (SFACE_SINGLE_COS_FAR_1, 60.0),
        (SFACE_SINGLE_COS_FAR_0_1, 80.0),
        (1.0, 100.0),
    ],
};

/// Single-view SFace cosine at a false match rate of 1% (colour).
const SFACE_SINGLE_COS_FAR_1: f32 = 0.37;
/// Single-view SFace cosine at a false match rate of 0.1% (colour).
const SFACE_SINGLE_COS_FAR_0_1: f32 = 0.42;

/// The first calibration of face engine v2, no longer produced: SFace fed
/// the crop's luma (see [`crate::sface`]), mirror-averaged; FAR 1% at 0.39,
/// FAR 0.1% at 0.45. Kept so the version recorded with the decisions made
/// under it stays defined here.
pub const SFACE_LUMA_MIRROR_CALIBRATION: ScoreCalibration = ScoreCalibration {
    version: "sface-128d-luma-mirror/2026-12-06",
    knots: &[
        (-1.0, 0.0),
        (0.0, 20.0),
        (0.39, 60.0),
        (0.45, 80.0),
        (1.0, 100.0),
    ],
};

impl ScoreCalibration {
    /// The score 0-100 for a cosine similarity.
    pub fn score(&self, cosine: f32) -> f32 {
        let cosine = if cosine.is_finite() { cosine } else { -1.0 };
        piecewise_linear(self.knots.iter().copied(), cosine).unwrap_or(0.0)
    }

    /// The cosine that maps to `score` (for reports).
    pub fn cosine_for(&self, score: f32) -> f32 {
        let swapped = self.knots.iter().map(|&(c, s)| (s, c));
        piecewise_linear(swapped, score).unwrap_or(1.0)
    }
}

/// `y` at `x` on the line through increasing `(x, y)` knots, held flat
/// beyond the ends; `None` without knots.
fn piecewise_linear(knots: impl Iterator<Item = (f32, f32)>, x: f32) -> Option<f32> {
    let mut previous: Option<(f32, f32)> = None;
    for (kx, ky) in knots {
        if x <= kx {
            return Some(match previous {
                Some((px, py)) if kx > px => py + (ky - py) * (x - px) / (kx - px),
                _ => ky,
            });
        }
        previous = Some((kx, ky));
    }
    previous.map(|(_, y)| y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_map_is_monotonic_bounded_and_hits_its_knots() {
        for cal in [
            MOBILEFACENET_CALIBRATION,
            SFACE_CALIBRATION,
            SFACE_SINGLE_VIEW_CALIBRATION,
            SFACE_LUMA_MIRROR_CALIBRATION,
        ] {
            check(cal);
        }
        // Every version names one map.
        assert_ne!(
            SFACE_CALIBRATION.version,
            SFACE_LUMA_MIRROR_CALIBRATION.version
        );
        assert_ne!(
            SFACE_CALIBRATION.version,
            SFACE_SINGLE_VIEW_CALIBRATION.version
        );
        assert!((SFACE_CALIBRATION.score(SFACE_COS_FAR_0_1) - 80.0).abs() < 1e-4);
        assert_ne!(SFACE_CALIBRATION.version, MOBILEFACENET_CALIBRATION.version);
    }

    fn check(cal: ScoreCalibration) {
        let (cos_far_1, cos_far_0_1) = (cal.cosine_for(60.0), cal.cosine_for(80.0));
        assert_eq!(cal.score(-1.0), 0.0);
        assert_eq!(cal.score(1.0), 100.0);
        assert_eq!(cal.score(f32::NAN), 0.0);
        assert!((cal.score(cos_far_0_1) - 80.0).abs() < 1e-4);
        assert!((cal.score(cos_far_1) - 60.0).abs() < 1e-4);
        assert!(cos_far_1 < cos_far_0_1);
        let mut last = -1.0;
        for i in 0..=200 {
            let s = cal.score(-1.0 + i as f32 / 100.0);
            assert!(s >= last && (0.0..=100.0).contains(&s));
            last = s;
        }
        assert!((MOBILEFACENET_CALIBRATION.cosine_for(80.0) - COS_FAR_0_1).abs() < 1e-5);
        assert!((cal.score(cal.cosine_for(37.0)) - 37.0).abs() < 1e-3);
    }
}
