//! YuNet (OpenCV Zoo `face_detection_yunet_2023mar`, MIT): faces with five
//! landmarks (eyes, nose tip, mouth corners), the points SFace's alignment
//! needs.
//!
//! The export has a fixed 640x640 input, BGR, values 0-255, channel-first.
//! A picture is scaled down (never up) to fit 640 pixels and placed in the
//! top-left corner of a black 640x640 canvas, as OpenCV's `FaceDetectorYN`
//! pads its input. Decoding follows OpenCV's: three strides (8, 16, 32),
//! one prior per cell, score = sqrt(class x objectness), box centre and
//! landmarks as offsets from the cell in stride units, box size as exp, then
//! non-maximum suppression at IoU 0.3.

use std::path::Path;

use image::RgbImage;

use crate::detect::{BoundingBox, Face, Keypoints, Point};
use crate::error::FaceError;
use crate::runtime::{OnnxBackend, OnnxPlan};
use dayfusion_models::ModelId;

/// Side of YuNet's square input.
pub const INPUT_SIZE: usize = 640;
/// Strides of the three output levels.
const STRIDES: [usize; 3] = [8, 16, 32];
/// Overlap above which the weaker of two boxes is dropped (OpenCV's default).
const NMS_IOU: f32 = 0.3;
/// The score a face needs by default. OpenCV's default of 0.9 misses many
/// greyscale LFW faces (they score 0.85-0.90); 0.8 missed none on the
/// development set (pictures scaled to at most 640 pixels).
pub const DEFAULT_MIN_SCORE: f32 = 0.8;

/// YuNet's raw outputs for one input, per stride level in [`STRIDES`]
/// order: class scores, objectness, boxes (4 per cell), landmarks (10).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawLevels {
    /// `cls_8`, `cls_16`, `cls_32`.
    pub cls: [Vec<f32>; 3],
    /// `obj_8`, `obj_16`, `obj_32`.
    pub obj: [Vec<f32>; 3],
    /// `bbox_8`, `bbox_16`, `bbox_32`.
    pub bbox: [Vec<f32>; 3],
    /// `kps_8`, `kps_16`, `kps_32`.
    pub kps: [Vec<f32>; 3],
}

/// The YuNet detector, loaded.
pub struct Yunet {
    plan: OnnxPlan,
}

impl std::fmt::Debug for Yunet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Yunet")
            .field("backend", &self.plan.backend())
            .finish_non_exhaustive()
    }
}

impl Yunet {
    /// Loads the model from the model pack (SHA-256 verified) on `backend`.
    pub fn load(models_dir: &Path, backend: OnnxBackend) -> Result<Self, FaceError> {
        let bytes = dayfusion_models::read(models_dir, ModelId::Yunet)?;
        Self::from_bytes(&bytes, backend)
    }

    /// Loads the model from its ONNX bytes on `backend`.
    pub fn from_bytes(bytes: &[u8], backend: OnnxBackend) -> Result<Self, FaceError> {
        let shape = [1, 3, INPUT_SIZE, INPUT_SIZE];
        let plan = OnnxPlan::load(ModelId::Yunet, bytes, &shape, backend)?;
        Ok(Yunet { plan })
    }

    /// Faces in `image` scoring at least `min_score`, strongest first, in
    /// the image's pixels.
    pub fn detect(&self, image: &RgbImage, min_score: f32) -> Result<Vec<Face>, FaceError> {
        let (input, scale) = letterbox(image);
        let raw = self.infer(&input)?;
        let mut faces = decode(&raw, min_score);
        for face in &mut faces {
            let back = |p: Point| Point {
                x: p.x / scale,
                y: p.y / scale,
            };
            face.bbox = BoundingBox {
                x: face.bbox.x / scale,
                y: face.bbox.y / scale,
                width: face.bbox.width / scale,
                height: face.bbox.height / scale,
            };
            face.keypoints = face.keypoints.map(back);
        }
        Ok(faces)
    }

    /// Runs the graph on a `[1, 3, 640, 640]` BGR input (0-255).
    pub fn infer(&self, input: &[f32]) -> Result<RawLevels, FaceError> {
        let values = self.plan.run(&[1, 3, INPUT_SIZE, INPUT_SIZE], input)?;
        if values.len() != 12 {
            return Err(FaceError::Inference(format!(
                "YuNet gave {} outputs, expected 12",
                values.len()
            )));
        }
        let mut it = values.into_iter();
        let mut next3 = || -> [Vec<f32>; 3] {
            [
                it.next().unwrap_or_default(),
                it.next().unwrap_or_default(),
                it.next().unwrap_or_default(),
            ]
        };
        let raw = RawLevels {
            cls: next3(),
            obj: next3(),
            bbox: next3(),
            kps: next3(),
        };
        for (level, stride) in STRIDES.iter().enumerate() {
            let cells = (INPUT_SIZE / stride).pow(2);
            if raw.cls[level].len() != cells
                || raw.obj[level].len() != cells
                || raw.bbox[level].len() != 4 * cells
                || raw.kps[level].len() != 10 * cells
            {
                return Err(FaceError::Inference(
                    "unexpected YuNet output shape".to_owned(),
                ));
            }
        }
        Ok(raw)
    }
}

/// `image` scaled to fit [`INPUT_SIZE`] (never enlarged), bilinearly as
/// OpenCV's `INTER_LINEAR`, in the top-left corner of a black canvas, as
/// BGR planes; and the scale applied.
pub fn letterbox(image: &RgbImage) -> (Vec<f32>, f32) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let longest = w.max(h).max(1);
    let scale = (INPUT_SIZE as f32 / longest as f32).min(1.0);
    let out_w = ((w as f32 * scale).round() as usize).min(INPUT_SIZE);
    let out_h = ((h as f32 * scale).round() as usize).min(INPUT_SIZE);
    let plane = INPUT_SIZE * INPUT_SIZE;
    let mut out = vec![0.0f32; 3 * plane];
    if w == 0 || h == 0 {
        return (out, scale);
    }
    let raw = image.as_raw();
    let (sx, sy) = (
        w as f32 / out_w.max(1) as f32,
        h as f32 / out_h.max(1) as f32,
    );
    // The source columns and weight of each output column, computed once
    // (the same arithmetic per pixel as OpenCV's INTER_LINEAR).
    let columns: Vec<(usize, usize, f32)> = (0..out_w)
        .map(|ox| {
            let fx = ((ox as f32 + 0.5) * sx - 0.5).max(0.0);
            let x0 = (fx.floor() as usize).min(w - 1);
            (x0 * 3, (x0 + 1).min(w - 1) * 3, fx - x0 as f32)
        })
        .collect();
    for oy in 0..out_h {
        let fy = ((oy as f32 + 0.5) * sy - 0.5).max(0.0);
        let y0 = (fy.floor() as usize).min(h - 1);
        let y1 = (y0 + 1).min(h - 1);
        let wy = fy - y0 as f32;
        let (top_row, bottom_row) = (&raw[y0 * w * 3..][..w * 3], &raw[y1 * w * 3..][..w * 3]);
        for (ox, &(x0, x1, wx)) in columns.iter().enumerate() {
            let i = oy * INPUT_SIZE + ox;
            for c in 0..3 {
                let top = f32::from(top_row[x0 + c]) * (1.0 - wx) + f32::from(top_row[x1 + c]) * wx;
                let bottom =
                    f32::from(bottom_row[x0 + c]) * (1.0 - wx) + f32::from(bottom_row[x1 + c]) * wx;
                // RGB channel c goes to BGR plane 2 - c.
                out[(2 - c) * plane + i] = top * (1.0 - wy) + bottom * wy;
            }
        }
    }
    (out, scale)
}

/// Faces from raw outputs (input pixels), strongest first, after NMS; a
/// level whose outputs do not have the model's sizes gives no face.
pub fn decode(raw: &RawLevels, min_score: f32) -> Vec<Face> {
    let mut candidates: Vec<Face> = Vec::new();
    for (level, &stride) in STRIDES.iter().enumerate() {
        let cols = INPUT_SIZE / stride;
        let cells = cols * cols;
        if raw.cls[level].len() != cells
            || raw.obj[level].len() != cells
            || raw.bbox[level].len() != 4 * cells
            || raw.kps[level].len() != 10 * cells
        {
            continue;
        }
        let s = stride as f32;
        for (idx, (&cls, &obj)) in raw.cls[level].iter().zip(&raw.obj[level]).enumerate() {
            let score = (cls.clamp(0.0, 1.0) * obj.clamp(0.0, 1.0)).sqrt();
            if score.is_nan() || score < min_score {
                continue;
            }
            let (r, c) = ((idx / cols) as f32, (idx % cols) as f32);
            let b = &raw.bbox[level][idx * 4..idx * 4 + 4];
            let (cx, cy) = ((c + b[0]) * s, (r + b[1]) * s);
            let (bw, bh) = (b[2].exp() * s, b[3].exp() * s);
            let k = &raw.kps[level][idx * 10..idx * 10 + 10];
            let point = |n: usize| Point {
                x: (k[2 * n] + c) * s,
                y: (k[2 * n + 1] + r) * s,
            };
            let face = Face {
                bbox: BoundingBox {
                    x: cx - bw / 2.0,
                    y: cy - bh / 2.0,
                    width: bw,
                    height: bh,
                },
                score,
                keypoints: Keypoints::from_five([point(0), point(1), point(2), point(3), point(4)]),
            };
            if face.bbox.width.is_finite() && face.bbox.height.is_finite() {
                candidates.push(face);
            }
        }
    }
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Face> = Vec::new();
    for face in candidates {
        if kept.iter().all(|k| k.bbox.iou(&face.bbox) <= NMS_IOU) {
            kept.push(face);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> RawLevels {
        let mut raw = RawLevels::default();
        for (level, stride) in STRIDES.iter().enumerate() {
            let cells = (INPUT_SIZE / stride).pow(2);
            raw.cls[level] = vec![0.0; cells];
            raw.obj[level] = vec![0.0; cells];
            raw.bbox[level] = vec![0.0; 4 * cells];
            raw.kps[level] = vec![0.0; 10 * cells];
        }
        raw
    }

    #[test]
    fn decoding_places_boxes_and_landmarks_on_their_cell() {
        let mut raw = empty();
        // Stride 16, row 3, column 5.
        let idx = 3 * (INPUT_SIZE / 16) + 5;
        raw.cls[1][idx] = 0.81;
        raw.obj[1][idx] = 1.0;
        raw.bbox[1][idx * 4..idx * 4 + 4].copy_from_slice(&[0.5, 0.25, 0.0, 1.0_f32.ln()]);
        raw.kps[1][idx * 10] = -1.0; // right eye x: one cell left
        let faces = decode(&raw, 0.8);
        assert_eq!(faces.len(), 1);
        let f = faces[0];
        assert!((f.score - 0.9).abs() < 1e-6);
        assert!((f.bbox.x - (5.5 * 16.0 - 8.0)).abs() < 1e-4, "{:?}", f.bbox);
        assert!((f.bbox.y - (3.25 * 16.0 - 8.0)).abs() < 1e-4);
        assert!((f.bbox.width - 16.0).abs() < 1e-4 && (f.bbox.height - 16.0).abs() < 1e-4);
        assert!((f.keypoints.right_eye.x - 4.0 * 16.0).abs() < 1e-4);
        assert!(f.keypoints.mouth_corners.is_some());
        assert!(decode(&raw, 0.95).is_empty(), "below the score");
        raw.kps[1].pop();
        assert!(decode(&raw, 0.8).is_empty(), "malformed level");
    }

    #[test]
    fn overlapping_boxes_keep_the_strongest() {
        let mut raw = empty();
        let cols = INPUT_SIZE / 8;
        for (idx, score) in [(10 * cols + 10, 0.9_f32), (10 * cols + 11, 0.95)] {
            raw.cls[0][idx] = score * score;
            raw.obj[0][idx] = 1.0;
            raw.bbox[0][idx * 4 + 2] = 2.0; // wide boxes that overlap
            raw.bbox[0][idx * 4 + 3] = 2.0;
        }
        let faces = decode(&raw, 0.5);
        assert_eq!(faces.len(), 1);
        assert!((faces[0].score - 0.95).abs() < 1e-5);
    }

    #[test]
    fn letterbox_scales_down_only_and_swaps_to_bgr() {
        let mut small = RgbImage::new(4, 2);
        small.put_pixel(0, 0, image::Rgb([10, 20, 30]));
        let (input, scale) = letterbox(&small);
        assert_eq!(scale, 1.0);
        let plane = INPUT_SIZE * INPUT_SIZE;
        assert_eq!(
            (input[0], input[plane], input[2 * plane]),
            (30.0, 20.0, 10.0)
        );
        assert_eq!(input[5], 0.0, "padding is black");
        let big = RgbImage::from_pixel(1280, 960, image::Rgb([100, 100, 100]));
        let (input, scale) = letterbox(&big);
        assert_eq!(scale, 0.5);
        assert_eq!(input[479 * INPUT_SIZE + 639], 100.0);
        assert_eq!(input[480 * INPUT_SIZE], 0.0, "below the picture");
    }
}
