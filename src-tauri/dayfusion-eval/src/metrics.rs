//! Verification metrics from genuine and impostor scores (higher means
//! more alike): ROC points, equal error rate, and the true accept rate at a
//! fixed false accept rate.

use serde::Serialize;

/// Sorted genuine and impostor scores.
#[derive(Debug, Clone)]
pub struct Scores {
    genuine: Vec<f64>,
    impostor: Vec<f64>,
}

/// The operating point at a target false accept rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperatingPoint {
    /// The target FAR.
    pub target_far: f64,
    /// Accept when `score >= threshold`.
    pub threshold: f64,
    /// FAR actually reached on these impostors (at most the target).
    pub far: f64,
    /// Share of genuine pairs accepted.
    pub tar: f64,
}

/// Equal error rate and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EqualErrorRate {
    /// `(FAR + FRR) / 2` where they are closest.
    pub eer: f64,
    /// The threshold there.
    pub threshold: f64,
}

impl Scores {
    /// Takes the scores; NaN counts as the lowest possible score (a failed
    /// comparison rejects).
    pub fn new(genuine: Vec<f64>, impostor: Vec<f64>) -> Self {
        let clean = |mut v: Vec<f64>| {
            v.iter_mut().for_each(|s| {
                if s.is_nan() {
                    *s = f64::NEG_INFINITY;
                }
            });
            v.sort_by(f64::total_cmp);
            v
        };
        Scores {
            genuine: clean(genuine),
            impostor: clean(impostor),
        }
    }

    /// Number of genuine pairs.
    pub fn genuine_count(&self) -> usize {
        self.genuine.len()
    }

    /// Number of impostor pairs.
    pub fn impostor_count(&self) -> usize {
        self.impostor.len()
    }

    /// Share of genuine scores `>= threshold`.
    pub fn tar(&self, threshold: f64) -> f64 {
        share_at_or_above(&self.genuine, threshold)
    }

    /// Share of impostor scores `>= threshold`.
    pub fn far(&self, threshold: f64) -> f64 {
        share_at_or_above(&self.impostor, threshold)
    }

    /// The lowest threshold whose FAR is at most `target_far`, and the TAR
    /// there. With fewer impostors than `1 / target_far` the only such
    /// threshold is above every impostor (FAR 0).
    pub fn at_far(&self, target_far: f64) -> OperatingPoint {
        let n = self.impostor.len();
        let threshold = if n == 0 {
            f64::NEG_INFINITY
        } else {
            // At most k impostors may be accepted: the threshold sits just
            // above the (k+1)-th highest impostor score.
            let k = ((target_far * n as f64).floor() as usize).min(n);
            if k == n {
                f64::NEG_INFINITY
            } else {
                self.impostor[n - 1 - k].next_up()
            }
        };
        OperatingPoint {
            target_far,
            threshold,
            far: self.far(threshold),
            tar: self.tar(threshold),
        }
    }

    /// The equal error rate: over every candidate threshold, where FAR and
    /// FRR are closest.
    pub fn eer(&self) -> EqualErrorRate {
        let mut best = EqualErrorRate {
            eer: 1.0,
            threshold: f64::NAN,
        };
        let mut gap = f64::INFINITY;
        let candidates = self.genuine.iter().chain(&self.impostor);
        for &t in candidates.filter(|t| t.is_finite()) {
            let far = self.far(t);
            let frr = 1.0 - self.tar(t);
            if (far - frr).abs() < gap {
                gap = (far - frr).abs();
                best = EqualErrorRate {
                    eer: (far + frr) / 2.0,
                    threshold: t,
                };
            }
        }
        best
    }

    /// ROC points `(far, tar)` at FARs spread log-uniformly from
    /// `min_far` to 1.
    pub fn roc(&self, min_far: f64, points: usize) -> Vec<(f64, f64)> {
        let points = points.max(2);
        let (lo, hi) = (min_far.max(1e-12).log10(), 0.0f64);
        (0..points)
            .map(|i| {
                let far = 10f64.powf(lo + (hi - lo) * i as f64 / (points - 1) as f64);
                let op = self.at_far(far);
                (far, op.tar)
            })
            .collect()
    }
}

fn share_at_or_above(sorted: &[f64], threshold: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let below = sorted.partition_point(|s| *s < threshold);
    (sorted.len() - below) as f64 / sorted.len() as f64
}

/// Median of a sample (0 when empty).
pub fn median(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) {
        (v[mid - 1] + v[mid]) / 2.0
    } else {
        v[mid]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separable_scores_have_zero_eer_and_full_tar() {
        let s = Scores::new(vec![0.9, 0.8, 0.95], vec![0.1, 0.2, 0.3, 0.05]);
        assert_eq!(s.eer().eer, 0.0);
        let op = s.at_far(0.001);
        assert_eq!(op.far, 0.0);
        assert_eq!(op.tar, 1.0);
        assert!(op.threshold > 0.3 && op.threshold <= 0.8);
    }

    #[test]
    fn far_target_admits_at_most_that_share_of_impostors() {
        // 1000 impostors 0..1, 10 genuine spread over the top.
        let impostor: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let genuine: Vec<f64> = (0..10).map(|i| 0.990 + f64::from(i) / 1000.0).collect();
        let s = Scores::new(genuine, impostor);
        let op = s.at_far(0.01);
        assert!(op.far <= 0.01);
        assert!(
            (op.far - 0.01).abs() < 1e-9,
            "uses the whole budget: {}",
            op.far
        );
        assert!(
            (op.threshold - 0.989).abs() < 1e-9,
            "just above the 11th highest impostor"
        );
        assert_eq!(op.tar, 1.0);
        let op = s.at_far(0.001);
        assert!(op.far <= 0.001);
        assert!(
            (op.tar - 0.1).abs() < 1e-9,
            "only 0.999 passes 0.999: {}",
            op.tar
        );
    }

    #[test]
    fn overlapping_scores_give_the_crossing_eer() {
        // Genuine uniform on [0.5, 1.5), impostor on [0, 1): EER 25%.
        let genuine: Vec<f64> = (0..1000).map(|i| 0.5 + f64::from(i) / 1000.0).collect();
        let impostor: Vec<f64> = (0..1000).map(|i| f64::from(i) / 1000.0).collect();
        let e = Scores::new(genuine, impostor).eer();
        assert!((e.eer - 0.25).abs() < 0.002, "{e:?}");
        assert!((e.threshold - 0.75).abs() < 0.01);
    }

    #[test]
    fn failures_count_as_rejections() {
        let s = Scores::new(vec![f64::NAN, 0.9], vec![0.1, f64::NAN]);
        assert_eq!(s.tar(0.5), 0.5);
        assert_eq!(s.far(0.5), 0.0);
        assert_eq!(median(&[3.0, 1.0, 2.0, f64::NAN]), 2.0);
        let roc = s.roc(1e-3, 4);
        assert_eq!(roc.len(), 4);
        assert!((roc[3].0 - 1.0).abs() < 1e-12);
    }
}
