//! What one frame shows, measured once when it arrives. The checks read
//! only these measurements; no pixels are kept here (the session keeps the
//! few frames it may return as reference and audit images).

use std::hash::{DefaultHasher, Hasher};
use std::time::Instant;

use dayfusion_face::{
    BoundingBox, DetectorModel, Embedding, FaceEngine, HeadPose, QualityThresholds,
    mesh::landmarks as lm,
};
use image::RgbImage;
use serde::Serialize;

use crate::challenge::FlashColour;
use crate::cues::{self, FaceBox, ScreenCues};
use crate::error::LivenessError;
use crate::recapture;

/// Detections below this score are ignored.
const MIN_FACE_SCORE: f32 = 0.6;
/// A second face counts when its box is at least this share of the largest.
const COMPARABLE_AREA: f32 = 0.2;
/// Side of the grey thumbnail of the aligned face used to spot frozen faces.
pub const FACE_THUMB: u32 = 24;

/// Shape measurements from the face mesh that perspective changes: sizes of
/// inner features over the width of the face outline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRatios {
    /// Nose width (alae) over face width (cheek contour).
    pub nose: f32,
    /// Outer eye corners' distance over face width.
    pub eyes: f32,
    /// Mouth width over face width.
    pub mouth: f32,
    /// Spread (standard deviation) of the mesh depth over face width.
    pub depth_spread: f32,
}

/// The measurements of the face in one frame. `Debug` and serde leave out
/// the face thumbnail and the embedding (biometric data).
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceObservation {
    /// Face box, frame pixels.
    pub bbox: BoundingBox,
    /// The detector's six keypoints (for re-aligning a kept frame). Not
    /// serialised.
    #[serde(skip)]
    pub keypoints: dayfusion_face::Keypoints,
    /// Detection score.
    pub score: f32,
    /// Face box width over frame width.
    pub width_ratio: f32,
    /// Face box centre as fractions of the frame.
    pub center: [f32; 2],
    /// Head pose from the mesh.
    pub pose: HeadPose,
    /// Mean openness of the two eyes.
    pub eye_openness: f32,
    /// Mesh presence score.
    pub presence: f32,
    /// Perspective-sensitive shape ratios.
    pub shape: ShapeRatios,
    /// Mean sRGB colour of cheeks and forehead.
    pub skin_rgb: [f32; 3],
    /// Mean luma of the aligned face, 0-255.
    pub brightness: f32,
    /// Sharpness (Laplacian variance) of the aligned face.
    pub sharpness: f32,
    /// Grey thumbnail of the aligned face ([`FACE_THUMB`] squared); compared
    /// between frames to find frozen faces. Not serialised.
    #[serde(skip)]
    pub thumb: Vec<u8>,
    /// Screen and print cues, on the frames that measure them.
    pub cues: Option<ScreenCues>,
    /// Face embedding, on the frames that compute one. Not serialised.
    #[serde(skip)]
    pub embedding: Option<Embedding>,
}

impl std::fmt::Debug for FaceObservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceObservation")
            .field("bbox", &self.bbox)
            .field("score", &self.score)
            .field("pose", &self.pose)
            .field("eye_openness", &self.eye_openness)
            .field("shape", &self.shape)
            .field("cues", &self.cues)
            .field("embedding", &self.embedding.is_some())
            .finish_non_exhaustive()
    }
}

/// Everything measured on one frame.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    /// Capture time the client gave, milliseconds.
    pub t_ms: f64,
    /// Arrival time on the engine's clock, milliseconds (live sessions).
    pub arrived_ms: Option<f64>,
    /// The colour the screen showed while this frame was captured.
    pub displayed: Option<FlashColour>,
    /// Frame width and height.
    pub frame_size: [u32; 2],
    /// Hash of the frame's pixels (exact duplicates).
    pub pixel_hash: u64,
    /// Faces of comparable size seen (0, 1 or more).
    pub face_count: usize,
    /// The (largest) face, when there is one.
    pub face: Option<FaceObservation>,
    /// How consistently one fine frequency peaks across the whole frame
    /// (a screen's pixel grid, see [`crate::recapture`]), on the frames
    /// with a face whose cues were measured.
    pub screen_grid: Option<f32>,
    /// Analysis time of this frame, milliseconds.
    pub analysis_ms: f32,
}

/// What to compute beyond the per-frame basics.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extras {
    /// Compute the face embedding.
    pub embedding: bool,
    /// Measure screen and print cues (the face's and the whole frame's).
    pub cues: bool,
}

/// Measures one frame.
pub fn observe(
    engine: &FaceEngine,
    image: &RgbImage,
    t_ms: f64,
    displayed: Option<FlashColour>,
    extras: Extras,
) -> Result<Observation, LivenessError> {
    let start = Instant::now();
    dayfusion_face::image_io::check_dimensions(image.width(), image.height())?;
    let mut faces = engine.detector(DetectorModel::Short).detect(image)?;
    faces.retain(|f| f.score >= MIN_FACE_SCORE);
    faces.sort_by(|a, b| b.bbox.area().total_cmp(&a.bbox.area()));
    let face_count = match faces.first() {
        Some(largest) => {
            let floor = largest.bbox.area() * COMPARABLE_AREA;
            faces.iter().filter(|f| f.bbox.area() >= floor).count()
        }
        None => 0,
    };
    let face = match faces.first() {
        Some(face) => Some(observe_face(engine, image, face, extras)?),
        None => None,
    };
    // Only frames showing a face: frames of the empty room before the
    // person (or the phone) comes into view must not dilute the median.
    let screen_grid = (extras.cues && face.is_some())
        .then(|| recapture::screen_grid(image))
        .flatten();
    Ok(Observation {
        t_ms,
        arrived_ms: None,
        displayed,
        frame_size: [image.width(), image.height()],
        pixel_hash: pixel_hash(image),
        face_count,
        face,
        screen_grid,
        analysis_ms: start.elapsed().as_secs_f32() * 1000.0,
    })
}

fn observe_face(
    engine: &FaceEngine,
    image: &RgbImage,
    face: &dayfusion_face::Face,
    extras: Extras,
) -> Result<FaceObservation, LivenessError> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let mesh = engine.mesher().mesh(image, face)?;
    let prepared = engine.prepare(image, *face, &QualityThresholds::SELFIE)?;
    let embedding = if extras.embedding {
        engine.embed_liveness(image, face)?
    } else {
        None
    };
    let b = face.bbox;
    let cues = extras.cues.then(|| {
        cues::measure(
            image,
            FaceBox {
                x: b.x,
                y: b.y,
                width: b.width,
                height: b.height,
            },
        )
    });
    Ok(FaceObservation {
        bbox: b,
        keypoints: face.keypoints,
        score: face.score,
        width_ratio: b.width / w,
        center: [b.center().x / w, b.center().y / h],
        pose: mesh.pose,
        eye_openness: (mesh.left_eye_openness + mesh.right_eye_openness) / 2.0,
        presence: mesh.presence,
        shape: shape_ratios(&mesh.points),
        skin_rgb: skin_colour(&prepared.aligned),
        brightness: prepared.quality.brightness,
        sharpness: prepared.quality.sharpness,
        thumb: grey_thumbnail(&prepared.aligned, FACE_THUMB),
        cues,
        embedding,
    })
}

/// Perspective-sensitive ratios from the 468 mesh points (zeros when the
/// mesh is short or degenerate).
pub fn shape_ratios(points: &[dayfusion_face::MeshPoint]) -> ShapeRatios {
    let zero = ShapeRatios {
        nose: 0.0,
        eyes: 0.0,
        mouth: 0.0,
        depth_spread: 0.0,
    };
    let dist = |a: usize, b: usize| -> Option<f32> {
        let (p, q) = (points.get(a)?, points.get(b)?);
        Some((p.x - q.x).hypot(p.y - q.y))
    };
    let (Some(face), Some(nose), Some(eyes), Some(mouth)) = (
        dist(lm::FACE_RIGHT_CONTOUR, lm::FACE_LEFT_CONTOUR),
        dist(lm::NOSE_RIGHT_ALA, lm::NOSE_LEFT_ALA),
        dist(lm::RIGHT_EYE_OUTER, lm::LEFT_EYE_OUTER),
        dist(lm::MOUTH_RIGHT, lm::MOUTH_LEFT),
    ) else {
        return zero;
    };
    if face <= f32::EPSILON || !face.is_finite() {
        return zero;
    }
    let n = points.len() as f32;
    let mean_z = points.iter().map(|p| p.z).sum::<f32>() / n;
    let var_z = points.iter().map(|p| (p.z - mean_z).powi(2)).sum::<f32>() / n;
    ShapeRatios {
        nose: nose / face,
        eyes: eyes / face,
        mouth: mouth / face,
        depth_spread: var_z.sqrt() / face,
    }
}

/// Skin patches of the aligned 112x112 crop (ArcFace template: eyes at
/// y≈52, mouth at y≈92): both cheeks and the forehead above the eyebrows.
const SKIN_PATCHES: [(u32, u32, u32, u32); 3] =
    [(24, 66, 16, 14), (72, 66, 16, 14), (42, 14, 28, 12)];

/// Mean sRGB colour of the skin patches of an aligned face crop.
pub fn skin_colour(aligned: &RgbImage) -> [f32; 3] {
    let mut sum = [0.0f64; 3];
    let mut n = 0u32;
    for &(x0, y0, pw, ph) in &SKIN_PATCHES {
        for y in y0..(y0 + ph).min(aligned.height()) {
            for x in x0..(x0 + pw).min(aligned.width()) {
                let p = aligned.get_pixel(x, y).0;
                for (s, c) in sum.iter_mut().zip(p) {
                    *s += f64::from(c);
                }
                n += 1;
            }
        }
    }
    if n == 0 {
        return [0.0; 3];
    }
    sum.map(|s| (s / f64::from(n)) as f32)
}

/// Area-averaged grey thumbnail, `side` x `side`.
pub fn grey_thumbnail(image: &RgbImage, side: u32) -> Vec<u8> {
    let (w, h) = (image.width().max(1), image.height().max(1));
    let mut out = Vec::with_capacity((side * side) as usize);
    for ty in 0..side {
        let (y0, y1) = (
            ty * h / side,
            ((ty + 1) * h / side).max(ty * h / side + 1).min(h),
        );
        for tx in 0..side {
            let (x0, x1) = (
                tx * w / side,
                ((tx + 1) * w / side).max(tx * w / side + 1).min(w),
            );
            let (mut sum, mut n) = (0u32, 0u32);
            for y in y0..y1 {
                for x in x0..x1 {
                    if let Some(p) = image.get_pixel_checked(x, y) {
                        let [r, g, b] = p.0;
                        sum +=
                            (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
                        n += 1;
                    }
                }
            }
            out.push(sum.checked_div(n).unwrap_or(0) as u8);
        }
    }
    out
}

/// Mean absolute difference of two thumbnails, grey levels (infinite when
/// their sizes differ).
pub fn thumb_difference(a: &[u8], b: &[u8]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return f32::INFINITY;
    }
    let sum: u32 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u32::from(x.abs_diff(*y)))
        .sum();
    sum as f32 / a.len() as f32
}

/// Rows hashed: every n-th (camera noise differs in every row of two
/// captured frames, so a quarter of the rows tells repeats apart at a
/// quarter of the cost).
const HASH_ROW_STEP: usize = 4;

/// A hash of the frame's pixels (every [`HASH_ROW_STEP`]-th row): equal
/// hashes mean a repeated frame.
pub fn pixel_hash(image: &RgbImage) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write_u32(image.width());
    hasher.write_u32(image.height());
    let row = image.width() as usize * 3;
    for chunk in image.as_raw().chunks(row.max(1)).step_by(HASH_ROW_STEP) {
        hasher.write(chunk);
    }
    hasher.finish()
}
