//! Narrow spectral peaks in square grey patches: the periodic texture a
//! re-filmed screen's pixel grid or a halftone print adds, which skin and
//! most scenes lack. Shared by the face's moiré cue ([`crate::cues`]) and
//! the whole-frame recapture measure ([`crate::recapture`]).

use std::sync::Arc;

use rustfft::{Fft, FftPlanner, num_complex::Complex};

/// A bin is a peak when its power exceeds this many times the median of
/// the 24 bins on the 7x7 ring around it (a ring, so a peak's own Hann main
/// lobe does not raise its background; 10 keeps the share of pure noise
/// near 1%).
const PEAK_FACTOR: f32 = 10.0;

/// The FFT, window and ring offsets for patches of one size, planned once
/// and reused for every patch.
pub(crate) struct SpectrumPlan {
    n: usize,
    fft: Arc<dyn Fft<f32>>,
    hann: Vec<f32>,
    /// Offsets of the 7x7 ring in the power spectrum padded by 3 bins.
    ring: Vec<usize>,
}

/// The high band of one patch's power spectrum (normalised radius
/// 0.25..0.5, Nyquist = 0.5, half plane: a real image's spectrum is
/// symmetric): its total power and its peak bins.
pub(crate) struct HighBand {
    /// Power over the whole band.
    pub total: f64,
    /// The peak bins.
    pub peaks: Vec<Peak>,
}

/// One peak bin of a [`HighBand`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peak {
    /// Horizontal frequency index (signed, `-n/2..n/2`).
    pub u: isize,
    /// Vertical frequency index (`0..n/2`, the half plane).
    pub v: isize,
    /// Its power.
    pub power: f32,
    /// Its power over the larger of the two bins 3 away along its radius
    /// (towards and away from the origin). A straight edge spreads its
    /// power along a ridge through the origin, which the ring test alone
    /// takes for peaks; a grid's peak stands alone on its radius too.
    pub radial_isolation: f32,
}

impl SpectrumPlan {
    /// A plan for `n` x `n` patches (`n` a power of two, at least 8).
    pub(crate) fn new(n: usize) -> Self {
        let hann = (0..n)
            .map(|i| 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos())
            .collect();
        let p = n + 6;
        let ring = (0..49)
            .filter(|k| k / 7 == 0 || k / 7 == 6 || k % 7 == 0 || k % 7 == 6)
            .map(|k| (k / 7) * p + k % 7)
            .collect();
        SpectrumPlan {
            n,
            fft: FftPlanner::new().plan_fft_forward(n),
            hann,
            ring,
        }
    }

    /// The patch side.
    pub(crate) fn side(&self) -> usize {
        self.n
    }

    /// The high band of an `n` x `n` grey patch (row-major): after mean
    /// removal and a Hann window, a 2D FFT (rows then columns) gives the
    /// power spectrum; a band bin is a peak when its power exceeds
    /// [`PEAK_FACTOR`] times the median of its 7x7 ring.
    pub(crate) fn high_band(&self, grey: &[f32]) -> HighBand {
        let n = self.n;
        let mean = grey.iter().sum::<f32>() / (n * n) as f32;
        let mut buf: Vec<Complex<f32>> = grey
            .iter()
            .enumerate()
            .map(|(i, v)| Complex::new((v - mean) * self.hann[i % n] * self.hann[i / n], 0.0))
            .collect();
        self.fft.process(&mut buf); // every row
        let mut cols = vec![Complex::new(0.0, 0.0); n * n];
        for (i, c) in buf.iter().enumerate() {
            cols[(i % n) * n + i / n] = *c; // transpose
        }
        self.fft.process(&mut cols); // every column
        let power: Vec<f32> = cols.iter().map(|c| c.norm_sqr()).collect();
        // Power padded by 3 bins on every side (the spectrum is periodic), so
        // the 7x7 ring around any bin is read without wrapping arithmetic.
        let p = n + 6;
        let pad: Vec<f32> = (0..p * p)
            .map(|i| power[((i / p + n - 3) % n) * n + (i % p + n - 3) % n])
            .collect();
        let signed = |i: usize| i as isize - if i < n / 2 { 0 } else { n as isize };
        let mut band = HighBand {
            total: 0.0,
            peaks: Vec::new(),
        };
        for v in 0..n {
            for u in 0..n {
                let (fu, fv) = (signed(u), signed(v));
                let r2 = (fu * fu + fv * fv) as usize; // annulus 0.25..0.5 of n
                if fv < 0 || (fv == 0 && fu <= 0) || r2 * 16 < n * n || r2 * 4 > n * n {
                    continue;
                }
                let (pw, base) = (power[v * n + u], v * p + u);
                band.total += f64::from(pw);
                // pw > PEAK_FACTOR x median of 24  <=>  at least 13 ring bins below pw / factor.
                if self
                    .ring
                    .iter()
                    .filter(|&&o| pad[base + o] * PEAK_FACTOR < pw)
                    .count()
                    >= 13
                {
                    let r = ((fu * fu + fv * fv) as f32).sqrt();
                    let along = |sign: f32| {
                        let step =
                            |f: isize| (f as f32 + sign * 3.0 * f as f32 / r).round() as isize;
                        let (bu, bv) = (step(fu), step(fv));
                        power[bv.rem_euclid(n as isize) as usize * n
                            + bu.rem_euclid(n as isize) as usize]
                    };
                    band.peaks.push(Peak {
                        u: fu,
                        v: fv,
                        power: pw,
                        radial_isolation: pw / along(-1.0).max(along(1.0)).max(f32::MIN_POSITIVE),
                    });
                }
            }
        }
        band
    }
}

impl HighBand {
    /// Share of the band's power that sits in peaks, 0..1 (0 for a flat
    /// patch).
    pub(crate) fn peak_share(&self) -> f32 {
        if self.total > f64::EPSILON {
            // A fold from +0.0: an empty sum of floats is -0.0.
            let peaks = self
                .peaks
                .iter()
                .fold(0.0, |sum, p| sum + f64::from(p.power));
            (peaks / self.total).clamp(0.0, 1.0) as f32
        } else {
            0.0
        }
    }
}
