//! Face detection with MediaPipe BlazeFace (short and full range).
//!
//! Pipeline (as MediaPipe's face detection graph does it): letterbox the
//! image into the model's square input keeping the aspect ratio (black
//! padding, centred), scale RGB to `x/127.5 - 1`, run the model, decode the
//! boxes and six keypoints against the SSD anchors, keep scores
//! `sigmoid(clip(raw, -100, 100))` at or above the model's threshold, merge
//! overlapping detections with weighted non-maximum suppression (IoU 0.3),
//! and map everything back to the original image's pixels.

use std::path::Path;

use image::RgbImage;
use image::imageops::{self, FilterType};
use serde::Serialize;

use crate::error::FaceError;
use crate::runtime::{OnnxBackend, OnnxPlan};
use dayfusion_models::ModelId;

/// Which BlazeFace model to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DetectorModel {
    /// Short range, 128x128 input, 896 anchors: faces within about 2 m
    /// (the kiosk camera, selfies).
    Short,
    /// Full range, 192x192 input, 2304 anchors: small or far faces, faces on
    /// documents.
    Full,
}

impl DetectorModel {
    /// The model pack entry.
    pub const fn model_id(self) -> ModelId {
        match self {
            DetectorModel::Short => ModelId::BlazefaceShort,
            DetectorModel::Full => ModelId::BlazefaceFull,
        }
    }

    /// Side of the square input (px).
    pub const fn input_size(self) -> u32 {
        match self {
            DetectorModel::Short => 128,
            DetectorModel::Full => 192,
        }
    }

    /// Lowest score kept.
    pub const fn score_threshold(self) -> f32 {
        match self {
            DetectorModel::Short => 0.5,
            DetectorModel::Full => 0.6,
        }
    }

    /// Number of anchors (rows of the model's outputs).
    pub const fn anchor_count(self) -> usize {
        match self {
            DetectorModel::Short => 896,
            DetectorModel::Full => 2304,
        }
    }

    /// `(grid side, anchors per cell)` of each feature map, in output order.
    const fn feature_maps(self) -> &'static [(usize, usize)] {
        match self {
            // Strides [8, 16, 16, 16]: layers of equal stride share a grid,
            // two anchors per layer (aspect 1 plus the interpolated scale).
            DetectorModel::Short => &[(16, 2), (8, 6)],
            // One layer, stride 4, one anchor per cell.
            DetectorModel::Full => &[(48, 1)],
        }
    }

    /// Stable name (`short`, `full`).
    pub const fn as_str(self) -> &'static str {
        match self {
            DetectorModel::Short => "short",
            DetectorModel::Full => "full",
        }
    }
}

/// IoU above which detections are merged.
pub const NMS_IOU: f32 = 0.3;
/// Number of keypoints per face.
pub const KEYPOINTS: usize = 6;
const COORDS: usize = 4 + 2 * KEYPOINTS;

/// A point in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    /// Column, px from the left edge.
    pub x: f32,
    /// Row, px from the top edge.
    pub y: f32,
}

/// An axis-aligned box in image pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BoundingBox {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
}

impl BoundingBox {
    /// Centre of the box.
    pub fn center(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height / 2.0,
        }
    }

    /// Width times height.
    pub fn area(&self) -> f32 {
        self.width * self.height
    }

    /// Intersection over union with `other` (0 when either is empty).
    pub fn iou(&self, other: &BoundingBox) -> f32 {
        let ix = (self.x + self.width).min(other.x + other.width) - self.x.max(other.x);
        let iy = (self.y + self.height).min(other.y + other.height) - self.y.max(other.y);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        let union = self.width * self.height + other.width * other.height - inter;
        if union <= 0.0 { 0.0 } else { inter / union }
    }
}

/// A face's keypoints: BlazeFace's six (eyes, nose tip, mouth centre, ears)
/// or YuNet's five (eyes, nose tip, mouth corners; the mouth centre is
/// their midpoint). "Right" and "left" are the person's own: the right eye
/// appears on the left of an unmirrored photo.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Keypoints {
    /// The person's right eye.
    pub right_eye: Point,
    /// The person's left eye.
    pub left_eye: Point,
    /// Tip of the nose.
    pub nose_tip: Point,
    /// Centre of the mouth.
    pub mouth_center: Point,
    /// The person's right ear tragion (BlazeFace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right_ear: Option<Point>,
    /// The person's left ear tragion (BlazeFace).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_ear: Option<Point>,
    /// The mouth corners, the person's right one first (YuNet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mouth_corners: Option<[Point; 2]>,
}

impl Keypoints {
    /// BlazeFace's keypoints from an array in model order.
    pub fn from_array(p: [Point; KEYPOINTS]) -> Self {
        let [
            right_eye,
            left_eye,
            nose_tip,
            mouth_center,
            right_ear,
            left_ear,
        ] = p;
        Keypoints {
            right_eye,
            left_eye,
            nose_tip,
            mouth_center,
            right_ear: Some(right_ear),
            left_ear: Some(left_ear),
            mouth_corners: None,
        }
    }

    /// YuNet's five landmarks in model order: right eye, left eye, nose
    /// tip, right and left mouth corner.
    pub fn from_five(p: [Point; 5]) -> Self {
        let [right_eye, left_eye, nose_tip, right_mouth, left_mouth] = p;
        Keypoints {
            right_eye,
            left_eye,
            nose_tip,
            mouth_center: Point {
                x: (right_mouth.x + left_mouth.x) / 2.0,
                y: (right_mouth.y + left_mouth.y) / 2.0,
            },
            right_ear: None,
            left_ear: None,
            mouth_corners: Some([right_mouth, left_mouth]),
        }
    }

    /// Every point the keypoints hold.
    pub fn points(&self) -> Vec<Point> {
        let mut out = vec![
            self.right_eye,
            self.left_eye,
            self.nose_tip,
            self.mouth_center,
        ];
        out.extend(self.right_ear);
        out.extend(self.left_ear);
        out.extend(self.mouth_corners.into_iter().flatten());
        out
    }

    /// The same keypoints with `f` applied to every point.
    pub fn map(&self, f: impl Fn(Point) -> Point) -> Self {
        Keypoints {
            right_eye: f(self.right_eye),
            left_eye: f(self.left_eye),
            nose_tip: f(self.nose_tip),
            mouth_center: f(self.mouth_center),
            right_ear: self.right_ear.map(&f),
            left_ear: self.left_ear.map(&f),
            mouth_corners: self.mouth_corners.map(|c| c.map(&f)),
        }
    }
}

/// One detected face, in the original image's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Face {
    /// Face box.
    pub bbox: BoundingBox,
    /// Detection score in `[0, 1]`.
    pub score: f32,
    /// The keypoints (BlazeFace's six or YuNet's five).
    pub keypoints: Keypoints,
}

/// The model's raw outputs for one input, one row per anchor.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOutput {
    /// Box and keypoint regressors, 16 values per anchor.
    pub regressors: Vec<f32>,
    /// Score logits, one per anchor.
    pub logits: Vec<f32>,
}

/// How the image was fitted into the model's input.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Letterbox {
    /// Input pixels per image pixel, horizontally and vertically.
    scale_x: f32,
    scale_y: f32,
    /// Padding before the image, input pixels.
    pad_x: f32,
    pad_y: f32,
}

impl Letterbox {
    /// Maps a normalised input coordinate back to image pixels.
    fn to_image(self, x: f32, y: f32, size: f32) -> Point {
        Point {
            x: (x * size - self.pad_x) / self.scale_x,
            y: (y * size - self.pad_y) / self.scale_y,
        }
    }
}

/// A loaded BlazeFace model, ready to detect faces. `&self` methods only:
/// share it across threads (on ONNX Runtime, runs of one model take turns).
pub struct FaceDetector {
    model: DetectorModel,
    plan: OnnxPlan,
    anchors: Vec<(f32, f32)>,
}

impl std::fmt::Debug for FaceDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceDetector")
            .field("model", &self.model)
            .finish_non_exhaustive()
    }
}

impl FaceDetector {
    /// Loads `model` from the model pack in `models_dir` (SHA-256 verified)
    /// on `backend`.
    pub fn load(
        models_dir: &Path,
        model: DetectorModel,
        backend: OnnxBackend,
    ) -> Result<Self, FaceError> {
        let bytes = dayfusion_models::read(models_dir, model.model_id())?;
        Self::from_bytes(model, &bytes, backend)
    }

    /// Loads `model` from its `.tflite` bytes on `backend`.
    pub fn from_bytes(
        model: DetectorModel,
        bytes: &[u8],
        backend: OnnxBackend,
    ) -> Result<Self, FaceError> {
        let s = model.input_size() as usize;
        let plan = OnnxPlan::load_tflite(model.model_id(), bytes, &[1, s, s, 3], backend)?;
        let anchors = anchors(model);
        Ok(FaceDetector {
            model,
            plan,
            anchors,
        })
    }

    /// Which model this is.
    pub fn model(&self) -> DetectorModel {
        self.model
    }

    /// The runtime it runs on.
    pub fn backend(&self) -> OnnxBackend {
        self.plan.backend()
    }

    /// Detects faces in an upright RGB image; sorted by score, best first.
    pub fn detect(&self, image: &RgbImage) -> Result<Vec<Face>, FaceError> {
        crate::image_io::check_dimensions(image.width(), image.height())?;
        let (input, letterbox) = self.preprocess(image);
        let raw = self.infer_nhwc(&input)?;
        Ok(self.postprocess(&raw, &letterbox))
    }

    /// Runs the model on an input already shaped `[1, S, S, 3]` (NHWC,
    /// values in `[-1, 1]`), `S` the model's input size; returns the raw
    /// outputs. For reference checks and benchmarks.
    pub fn infer_nhwc(&self, input: &[f32]) -> Result<RawOutput, FaceError> {
        let s = self.model.input_size() as usize;
        let n = self.model.anchor_count();
        let mut regressors = None;
        let mut logits = None;
        for values in self.plan.run(&[1, s, s, 3], input)? {
            match values.len() {
                len if len == n * COORDS => regressors = Some(values),
                len if len == n => logits = Some(values),
                _ => {}
            }
        }
        let n = self.model.anchor_count();
        match (regressors, logits) {
            (Some(regressors), Some(logits))
                if regressors.len() == n * COORDS && logits.len() == n =>
            {
                Ok(RawOutput { regressors, logits })
            }
            _ => Err(FaceError::Inference(format!(
                "unexpected output shapes for {} ({} anchors expected)",
                self.model.model_id(),
                n
            ))),
        }
    }

    /// Letterboxes `image` into the model's input tensor.
    fn preprocess(&self, image: &RgbImage) -> (Vec<f32>, Letterbox) {
        let size = self.model.input_size();
        let (w, h) = (image.width(), image.height());
        let fit = size as f32 / w.max(h) as f32;
        let rw = ((w as f32 * fit).round() as u32).clamp(1, size);
        let rh = ((h as f32 * fit).round() as u32).clamp(1, size);
        let pad_x = (size - rw) / 2;
        let pad_y = (size - rh) / 2;
        let s = size as usize;
        // Black padding: pixel 0 scales to -1.
        let mut data = vec![-1.0f32; s * s * 3];
        let mut place = |x: usize, y: usize, rgb: [f32; 3]| {
            let base = ((y + pad_y as usize) * s + x + pad_x as usize) * 3;
            for c in 0..3 {
                data[base + c] = rgb[c] / 127.5 - 1.0;
            }
        };
        if rw <= w && rh <= h {
            // Downscaling, the usual case: area average straight into the
            // tensor (a 640x480 frame in about 0.3 ms).
            box_downscale(image, rw as usize, rh as usize, &mut place);
        } else {
            let resized = imageops::resize(image, rw, rh, FilterType::Triangle);
            for (x, y, p) in resized.enumerate_pixels() {
                place(x as usize, y as usize, p.0.map(f32::from));
            }
        }
        let letterbox = Letterbox {
            scale_x: rw as f32 / w as f32,
            scale_y: rh as f32 / h as f32,
            pad_x: pad_x as f32,
            pad_y: pad_y as f32,
        };
        (data, letterbox)
    }

    /// Decodes, thresholds, merges and un-letterboxes the raw outputs.
    fn postprocess(&self, raw: &RawOutput, letterbox: &Letterbox) -> Vec<Face> {
        let size = self.model.input_size() as f32;
        let threshold = self.model.score_threshold();
        let mut candidates = Vec::new();
        for (i, (&(ax, ay), &logit)) in self.anchors.iter().zip(&raw.logits).enumerate() {
            let score = sigmoid(logit);
            if score.is_nan() || score < threshold {
                continue;
            }
            let r = &raw.regressors[i * COORDS..(i + 1) * COORDS];
            // Anchor size is fixed at 1, so offsets are in input pixels / size.
            let cx = ax + r[0] / size;
            let cy = ay + r[1] / size;
            let (bw, bh) = (r[2] / size, r[3] / size);
            let top_left = letterbox.to_image(cx - bw / 2.0, cy - bh / 2.0, size);
            let bottom_right = letterbox.to_image(cx + bw / 2.0, cy + bh / 2.0, size);
            let mut keypoints = [Point { x: 0.0, y: 0.0 }; KEYPOINTS];
            for (k, point) in keypoints.iter_mut().enumerate() {
                *point =
                    letterbox.to_image(ax + r[4 + 2 * k] / size, ay + r[5 + 2 * k] / size, size);
            }
            candidates.push(Candidate {
                bbox: BoundingBox {
                    x: top_left.x,
                    y: top_left.y,
                    width: bottom_right.x - top_left.x,
                    height: bottom_right.y - top_left.y,
                },
                score,
                keypoints,
            });
        }
        weighted_nms(candidates, NMS_IOU)
    }
}

/// Shrinks `image` to `rw` x `rh` by averaging each output pixel's source
/// box (integer bounds, at least one pixel), handing each output pixel to
/// `put(x, y, [r, g, b])`.
pub(crate) fn box_downscale(
    image: &RgbImage,
    rw: usize,
    rh: usize,
    put: &mut impl FnMut(usize, usize, [f32; 3]),
) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if rw == 0 || rh == 0 || w == 0 || h == 0 {
        return;
    }
    let bounds = |out: usize, src: usize| -> Vec<(usize, usize)> {
        (0..out)
            .map(|o| {
                let a = (o * src / out).min(src - 1);
                let b = ((o + 1) * src / out).clamp(a + 1, src);
                (a, b)
            })
            .collect()
    };
    let (xb, yb) = (bounds(rw, w), bounds(rh, h));
    let raw = image.as_raw();
    let mut acc = vec![0u32; rw * 3];
    for (oy, &(y0, y1)) in yb.iter().enumerate() {
        acc.fill(0);
        for y in y0..y1 {
            let row = &raw[y * w * 3..(y + 1) * w * 3];
            for (ox, &(x0, x1)) in xb.iter().enumerate() {
                let (mut r, mut g, mut b) = (0u32, 0u32, 0u32);
                for px in row[x0 * 3..x1 * 3].chunks_exact(3) {
                    r += u32::from(px[0]);
                    g += u32::from(px[1]);
                    b += u32::from(px[2]);
                }
                acc[ox * 3] += r;
                acc[ox * 3 + 1] += g;
                acc[ox * 3 + 2] += b;
            }
        }
        for (ox, &(x0, x1)) in xb.iter().enumerate() {
            let n = ((y1 - y0) * (x1 - x0)) as f32;
            put(
                ox,
                oy,
                [
                    acc[ox * 3] as f32 / n,
                    acc[ox * 3 + 1] as f32 / n,
                    acc[ox * 3 + 2] as f32 / n,
                ],
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Candidate {
    bbox: BoundingBox,
    score: f32,
    keypoints: [Point; KEYPOINTS],
}

/// MediaPipe's weighted non-maximum suppression: the best remaining
/// detection absorbs every detection overlapping it by more than `iou`;
/// the box and keypoints become the score-weighted mean of the group, the
/// score stays the best one's.
fn weighted_nms(mut candidates: Vec<Candidate>, iou: f32) -> Vec<Face> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut faces = Vec::new();
    while !candidates.is_empty() {
        let best = candidates.remove(0);
        let (overlapping, rest): (Vec<Candidate>, Vec<Candidate>) = candidates
            .into_iter()
            .partition(|c| best.bbox.iou(&c.bbox) > iou);
        candidates = rest;
        let mut group = vec![best];
        group.extend(overlapping);
        let total: f32 = group.iter().map(|c| c.score).sum();
        let mut bbox = BoundingBox {
            x: 0.0,
            y: 0.0,
            width: 0.0,
            height: 0.0,
        };
        let mut keypoints = [Point { x: 0.0, y: 0.0 }; KEYPOINTS];
        for c in &group {
            let w = c.score / total;
            bbox.x += c.bbox.x * w;
            bbox.y += c.bbox.y * w;
            bbox.width += c.bbox.width * w;
            bbox.height += c.bbox.height * w;
            for (acc, p) in keypoints.iter_mut().zip(&c.keypoints) {
                acc.x += p.x * w;
                acc.y += p.y * w;
            }
        }
        faces.push(Face {
            bbox,
            score: best.score,
            keypoints: Keypoints::from_array(keypoints),
        });
    }
    faces
}

/// The logistic function, its input clipped to `[-100, 100]` as MediaPipe
/// does.
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x.clamp(-100.0, 100.0)).exp())
}

/// SSD anchor centres (normalised), in the model's output order: per feature
/// map, row by row, cell by cell, anchor by anchor.
fn anchors(model: DetectorModel) -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(model.anchor_count());
    for &(grid, per_cell) in model.feature_maps() {
        for y in 0..grid {
            for x in 0..grid {
                let centre = (
                    (x as f32 + 0.5) / grid as f32,
                    (y as f32 + 0.5) / grid as f32,
                );
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_downscale_averages_each_source_box() {
        let image = RgbImage::from_fn(4, 2, |x, y| image::Rgb([(x * 10 + y) as u8, 100, 0]));
        let mut out = Vec::new();
        box_downscale(&image, 2, 1, &mut |x, y, rgb| out.push((x, y, rgb)));
        // Left box: x 0..2, y 0..2 -> (0 + 10 + 1 + 11) / 4 = 5.5.
        assert_eq!(
            out,
            vec![(0, 0, [5.5, 100.0, 0.0]), (1, 0, [25.5, 100.0, 0.0])]
        );
    }

    #[test]
    fn anchor_counts_match_the_models() {
        for model in [DetectorModel::Short, DetectorModel::Full] {
            assert_eq!(anchors(model).len(), model.anchor_count());
        }
        let short = anchors(DetectorModel::Short);
        assert_eq!(short[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(short[1], short[0]);
        assert_eq!(short[512], (0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(short[895], (7.5 / 8.0, 7.5 / 8.0));
        let full = anchors(DetectorModel::Full);
        assert_eq!(full[2303], (47.5 / 48.0, 47.5 / 48.0));
    }

    fn candidate(x: f32, score: f32) -> Candidate {
        Candidate {
            bbox: BoundingBox {
                x,
                y: 0.0,
                width: 10.0,
                height: 10.0,
            },
            score,
            keypoints: [Point { x, y: 0.0 }; KEYPOINTS],
        }
    }

    #[test]
    fn weighted_nms_merges_overlaps_and_keeps_separate_faces() {
        let faces = weighted_nms(
            vec![
                candidate(0.0, 0.6),
                candidate(1.0, 0.9),
                candidate(50.0, 0.7),
            ],
            NMS_IOU,
        );
        assert_eq!(faces.len(), 2);
        assert_eq!(faces[0].score, 0.9);
        // Weighted mean of x = 1.0 (0.9) and x = 0.0 (0.6).
        assert!((faces[0].bbox.x - 0.6).abs() < 1e-6);
        assert!((faces[0].keypoints.nose_tip.x - 0.6).abs() < 1e-6);
        assert_eq!(faces[1].bbox.x, 50.0);
    }

    #[test]
    fn letterbox_round_trips_to_image_pixels() {
        // 400x200 into 128: scale 0.32, image 128x64, padded 32 above.
        let lb = Letterbox {
            scale_x: 0.32,
            scale_y: 0.32,
            pad_x: 0.0,
            pad_y: 32.0,
        };
        let p = lb.to_image(0.5, 0.5, 128.0);
        assert!((p.x - 200.0).abs() < 1e-3 && (p.y - 100.0).abs() < 1e-3);
        let corner = lb.to_image(0.0, 32.0 / 128.0, 128.0);
        assert!(corner.x.abs() < 1e-3 && corner.y.abs() < 1e-3);
    }

    #[test]
    fn iou_of_disjoint_and_identical_boxes() {
        let a = candidate(0.0, 1.0).bbox;
        assert_eq!(a.iou(&a), 1.0);
        assert_eq!(a.iou(&candidate(20.0, 1.0).bbox), 0.0);
    }
}
