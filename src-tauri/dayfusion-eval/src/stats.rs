//! Error rates with their confidence intervals, and score distributions.

use serde::Serialize;

/// Wilson score interval at 95% for `errors` of `n`, percent.
pub fn wilson95(errors: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let z = 1.959_964f64;
    let n = n as f64;
    let p = errors as f64 / n;
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    (
        100.0 * (centre - half).max(0.0),
        100.0 * (centre + half).min(1.0),
    )
}

/// A rate in percent (NaN of nothing).
pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        f64::NAN
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Five numbers of a set of scores, and how many fall below a line.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Scores.
    pub n: usize,
    /// Smallest.
    pub min: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
    /// Largest.
    pub max: f64,
    /// Values below the pass line (`None`: the measure has none).
    pub below_pass: Option<usize>,
}

impl Summary {
    /// Summarises `values` (non-finite ones left out) against the pass
    /// line, if any; `None` when nothing is left.
    pub fn of(values: &[f64], pass: Option<f64>) -> Option<Summary> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let pos = q * (v.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        };
        Some(Summary {
            n: v.len(),
            min: v[0],
            q1: at(0.25),
            median: at(0.5),
            q3: at(0.75),
            max: v[v.len() - 1],
            below_pass: pass.map(|line| v.iter().filter(|&&x| x < line).count()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_the_textbook_values() {
        // 0 of 10: [0, 27.8]; 5 of 10: [23.7, 76.3].
        let (lo, hi) = wilson95(0, 10);
        assert!(lo.abs() < 1e-9 && (hi - 27.75).abs() < 0.05, "{lo} {hi}");
        let (lo, hi) = wilson95(5, 10);
        assert!(
            (lo - 23.66).abs() < 0.05 && (hi - 76.34).abs() < 0.05,
            "{lo} {hi}"
        );
        assert!(wilson95(0, 0).0.is_nan());
    }

    #[test]
    fn summary_reads_quartiles_and_counts_below_the_line() -> Result<(), &'static str> {
        let s =
            Summary::of(&[10.0, 20.0, 30.0, 40.0, 50.0, f64::NAN], Some(35.0)).ok_or("values")?;
        assert_eq!(
            (s.n, s.min, s.median, s.max, s.below_pass),
            (5, 10.0, 30.0, 50.0, Some(3))
        );
        assert_eq!((s.q1, s.q3), (20.0, 40.0));
        assert!(Summary::of(&[f64::NAN], Some(50.0)).is_none());
        assert_eq!(Summary::of(&[1.0], None).ok_or("one")?.below_pass, None);
        Ok(())
    }
}
