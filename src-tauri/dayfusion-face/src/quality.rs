//! Image quality of a detected face: size, sharpness, exposure and pose.
//!
//! Every check reports its measured value and, when it fails, a stable
//! [`QualityIssue`] code with a message in pt-BR and en. Sharpness and
//! exposure are measured on the aligned 112x112 crop, so they do not depend
//! on how large the face is in the picture; size is the distance between
//! the eyes in original pixels; pose comes from the detector's keypoints.

use image::RgbImage;
use serde::Serialize;

use crate::detect::Face;

/// A failed quality check, as the UI sees it (`face-too-small`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum QualityIssue {
    /// Eyes closer together than the minimum, in pixels.
    FaceTooSmall,
    /// Too little detail on the face (defocus or motion blur).
    Blurry,
    /// Face too dark.
    TooDark,
    /// Face too bright or washed out by glare.
    TooBright,
    /// Head turned left or right.
    HeadTurned,
    /// Head tilted sideways.
    HeadTilted,
    /// The face box reaches past the edge of the image.
    FaceCutOff,
}

impl QualityIssue {
    /// The code (`face-too-small`).
    pub const fn as_str(self) -> &'static str {
        match self {
            QualityIssue::FaceTooSmall => "face-too-small",
            QualityIssue::Blurry => "blurry",
            QualityIssue::TooDark => "too-dark",
            QualityIssue::TooBright => "too-bright",
            QualityIssue::HeadTurned => "head-turned",
            QualityIssue::HeadTilted => "head-tilted",
            QualityIssue::FaceCutOff => "face-cut-off",
        }
    }

    /// The message for the person in front of the kiosk, in `locale`
    /// (`pt-BR` or `en`; anything else falls back to English).
    pub fn message(self, locale: &str) -> String {
        let key = format!("quality.{}", self.as_str());
        let locale = if locale.eq_ignore_ascii_case("pt-BR") || locale.eq_ignore_ascii_case("pt") {
            "pt-BR"
        } else {
            "en"
        };
        rust_i18n::t!(&key, locale = locale).into_owned()
    }
}

/// Limits for the quality checks. [`QualityThresholds::SELFIE`] for camera
/// frames, [`QualityThresholds::DOCUMENT`] for portraits on documents
/// (smaller and printed, so size and sharpness limits are lower).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityThresholds {
    /// Smallest distance between the eye centres, original pixels.
    pub min_eye_distance_px: f32,
    /// Smallest variance of the Laplacian of the aligned grey crop.
    pub min_sharpness: f32,
    /// Darkest accepted mean luma of the face (0-255).
    pub min_brightness: f32,
    /// Brightest accepted mean luma of the face (0-255).
    pub max_brightness: f32,
    /// Largest accepted share of blown-out (>= 250) face pixels.
    pub max_clipped: f32,
    /// Largest accepted yaw estimate, degrees.
    pub max_yaw_deg: f32,
    /// Largest accepted roll, degrees.
    pub max_roll_deg: f32,
}

impl QualityThresholds {
    /// For selfies and camera frames.
    pub const SELFIE: QualityThresholds = QualityThresholds {
        min_eye_distance_px: 40.0,
        min_sharpness: 40.0,
        min_brightness: 50.0,
        max_brightness: 215.0,
        max_clipped: 0.25,
        max_yaw_deg: 30.0,
        max_roll_deg: 20.0,
    };

    /// For holder portraits cut from documents.
    pub const DOCUMENT: QualityThresholds = QualityThresholds {
        min_eye_distance_px: 18.0,
        min_sharpness: 15.0,
        min_brightness: 40.0,
        max_brightness: 230.0,
        max_clipped: 0.35,
        max_yaw_deg: 30.0,
        max_roll_deg: 20.0,
    };
}

/// What was measured, and what failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityReport {
    /// Distance between the eye centres, original pixels.
    pub eye_distance_px: f32,
    /// Variance of the Laplacian of the aligned grey crop.
    pub sharpness: f32,
    /// Mean luma of the face, 0-255.
    pub brightness: f32,
    /// Share of blown-out face pixels.
    pub clipped: f32,
    /// Yaw estimate from the keypoints, degrees (sign: see `HeadPose`).
    pub yaw_deg: f32,
    /// Roll from the eye line, degrees, positive clockwise.
    pub roll_deg: f32,
    /// Failed checks, in a stable order; empty when all passed.
    pub issues: Vec<QualityIssue>,
}

impl QualityReport {
    /// True when every check passed.
    pub fn passed(&self) -> bool {
        self.issues.is_empty()
    }
}

/// Measures a face: `image` is the picture it was found in, `aligned` its
/// aligned 112x112 crop.
pub fn assess(
    image: &RgbImage,
    face: &Face,
    aligned: &RgbImage,
    limits: &QualityThresholds,
) -> QualityReport {
    let k = &face.keypoints;
    let (dx, dy) = (k.left_eye.x - k.right_eye.x, k.left_eye.y - k.right_eye.y);
    let eye_distance_px = dx.hypot(dy);
    let roll_deg = dy.atan2(dx).to_degrees();
    // Yaw: how far the nose tip sits from the eyes' midline, along the eye
    // line, relative to the eye distance; asin of twice that is a fair
    // estimate for a frontal-ish head (0.5 -> 90 degrees).
    let mid = (
        (k.left_eye.x + k.right_eye.x) / 2.0,
        (k.left_eye.y + k.right_eye.y) / 2.0,
    );
    let along = if eye_distance_px > f32::EPSILON {
        ((k.nose_tip.x - mid.0) * dx + (k.nose_tip.y - mid.1) * dy)
            / (eye_distance_px * eye_distance_px)
    } else {
        0.0
    };
    let yaw_deg = (2.0 * along).clamp(-1.0, 1.0).asin().to_degrees();
    let grey = luma(aligned);
    // The measures below read a square crop; a non-square one is cut.
    let side = aligned.width().min(aligned.height()) as usize;
    let grey: Vec<f32> = if aligned.width() == aligned.height() {
        grey
    } else {
        let w = aligned.width() as usize;
        (0..side * side)
            .map(|i| grey[(i / side) * w + i % side])
            .collect()
    };
    let sharpness = laplacian_variance(&grey, side);
    let (brightness, clipped) = exposure(&grey, side);

    let mut issues = Vec::new();
    let b = &face.bbox;
    let (w, h) = (image.width() as f32, image.height() as f32);
    let margin = 0.05 * b.width.max(b.height);
    if b.x < -margin || b.y < -margin || b.x + b.width > w + margin || b.y + b.height > h + margin {
        issues.push(QualityIssue::FaceCutOff);
    }
    if eye_distance_px < limits.min_eye_distance_px {
        issues.push(QualityIssue::FaceTooSmall);
    }
    if sharpness < limits.min_sharpness {
        issues.push(QualityIssue::Blurry);
    }
    if brightness < limits.min_brightness {
        issues.push(QualityIssue::TooDark);
    }
    if brightness > limits.max_brightness || clipped > limits.max_clipped {
        issues.push(QualityIssue::TooBright);
    }
    if yaw_deg.abs() > limits.max_yaw_deg {
        issues.push(QualityIssue::HeadTurned);
    }
    if roll_deg.abs() > limits.max_roll_deg {
        issues.push(QualityIssue::HeadTilted);
    }
    QualityReport {
        eye_distance_px,
        sharpness,
        brightness,
        clipped,
        yaw_deg,
        roll_deg,
        issues,
    }
}

/// ITU-R BT.601 luma of each pixel.
fn luma(image: &RgbImage) -> Vec<f32> {
    image
        .pixels()
        .map(|p| 0.299 * f32::from(p.0[0]) + 0.587 * f32::from(p.0[1]) + 0.114 * f32::from(p.0[2]))
        .collect()
}

/// The central part of the aligned crop that is face, not background:
/// rows and columns from 1/8 to 7/8.
fn inner(side: usize) -> std::ops::Range<usize> {
    side / 8..side - side / 8
}

/// Variance of the 4-neighbour Laplacian over the inner face region.
fn laplacian_variance(grey: &[f32], side: usize) -> f32 {
    let range = inner(side);
    let (mut sum, mut sum_sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in range.clone() {
        for x in range.clone() {
            if x == 0 || y == 0 || x + 1 >= side || y + 1 >= side {
                continue;
            }
            let at = |x: usize, y: usize| f64::from(grey[y * side + x]);
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sum_sq += l * l;
            n += 1.0;
        }
    }
    if n == 0.0 {
        return 0.0;
    }
    let mean = sum / n;
    (sum_sq / n - mean * mean) as f32
}

/// Mean luma and share of blown-out pixels over the inner face region.
fn exposure(grey: &[f32], side: usize) -> (f32, f32) {
    let range = inner(side);
    let (mut sum, mut clipped, mut n) = (0.0f32, 0usize, 0usize);
    for y in range.clone() {
        for x in range.clone() {
            let v = grey[y * side + x];
            sum += v;
            clipped += usize::from(v >= 250.0);
            n += 1;
        }
    }
    if n == 0 {
        return (0.0, 0.0);
    }
    (sum / n as f32, clipped as f32 / n as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_issue_has_a_message_in_both_languages() {
        for issue in [
            QualityIssue::FaceTooSmall,
            QualityIssue::Blurry,
            QualityIssue::TooDark,
            QualityIssue::TooBright,
            QualityIssue::HeadTurned,
            QualityIssue::HeadTilted,
            QualityIssue::FaceCutOff,
        ] {
            let pt = issue.message("pt-BR");
            let en = issue.message("en");
            assert!(!pt.starts_with("quality."), "pt-BR message for {issue:?}");
            assert!(!en.starts_with("quality."), "en message for {issue:?}");
            assert_ne!(pt, en, "{issue:?} is translated");
            assert_eq!(
                issue.message("fr"),
                en,
                "unknown locales fall back to English"
            );
        }
        assert!(QualityIssue::TooDark.message("pt-BR").contains("escuro"));
    }

    #[test]
    fn flat_grey_has_no_sharpness_and_its_brightness() {
        let grey = vec![100.0f32; 112 * 112];
        assert_eq!(laplacian_variance(&grey, 112), 0.0);
        assert_eq!(exposure(&grey, 112), (100.0, 0.0));
        let checker: Vec<f32> = (0..112 * 112)
            .map(|i| {
                if (i % 112 + i / 112) % 2 == 0 {
                    0.0
                } else {
                    255.0
                }
            })
            .collect();
        assert!(laplacian_variance(&checker, 112) > 1000.0);
    }
}
