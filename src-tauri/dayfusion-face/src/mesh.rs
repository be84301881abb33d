//! Face mesh: 468 points with depth on a detected face (MediaPipe
//! face_landmark), and what the liveness engine reads from it: head pose,
//! eye openness per eye and mouth openness.
//!
//! The crop follows MediaPipe's face mesh graph: a square around the
//! detection box, 1.5 times its longer side, rotated so that the eyes are
//! level, resampled to 192x192 with RGB scaled to `[0, 1]`. The model
//! returns the points in crop pixels (depth in the same unit, smaller is
//! closer to the camera) and a face-presence logit; both are mapped back to
//! the original image.

use std::path::Path;

use image::RgbImage;
use serde::Serialize;

use crate::detect::{Face, Point, sigmoid};
use crate::error::FaceError;
use crate::geometry::{Affine, warp_rgb};
use crate::runtime::{OnnxBackend, OnnxPlan};
use dayfusion_models::ModelId;

/// Points in the mesh.
pub const MESH_POINTS: usize = 468;
/// The model's input side, pixels.
pub const MESH_INPUT: usize = 192;
/// Crop side relative to the detection box's longer side.
const ROI_SCALE: f32 = 1.5;

/// Mesh indices used by the measurements (MediaPipe canonical face model;
/// "right" is the person's right, the image's left in a camera picture).
pub mod landmarks {
    #![allow(missing_docs)]
    pub const FACE_RIGHT_CONTOUR: usize = 234;
    pub const FACE_LEFT_CONTOUR: usize = 454;
    pub const NOSE_RIGHT_ALA: usize = 129;
    pub const NOSE_LEFT_ALA: usize = 358;
    pub const RIGHT_EYE_OUTER: usize = 33;
    pub const RIGHT_EYE_INNER: usize = 133;
    pub const RIGHT_EYE_UPPER: usize = 159;
    pub const RIGHT_EYE_LOWER: usize = 145;
    pub const LEFT_EYE_OUTER: usize = 263;
    pub const LEFT_EYE_INNER: usize = 362;
    pub const LEFT_EYE_UPPER: usize = 386;
    pub const LEFT_EYE_LOWER: usize = 374;
    pub const MOUTH_RIGHT: usize = 61;
    pub const MOUTH_LEFT: usize = 291;
    pub const LIP_UPPER_INNER: usize = 13;
    pub const LIP_LOWER_INNER: usize = 14;
    pub const FOREHEAD: usize = 10;
    pub const CHIN: usize = 152;
}

/// A mesh point in original image pixels; `z` is depth in the same unit,
/// relative to the face (smaller is closer to the camera).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeshPoint {
    /// Column.
    pub x: f32,
    /// Row.
    pub y: f32,
    /// Depth.
    pub z: f32,
}

/// Head orientation in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HeadPose {
    /// Turn left/right: positive when the person turns to their left (the
    /// image's right in an unmirrored camera picture).
    pub yaw: f32,
    /// Nod: positive when the person looks up.
    pub pitch: f32,
    /// In-plane tilt: positive clockwise in the image.
    pub roll: f32,
}

/// The mesh of one face and the measurements taken from it. `Debug` and
/// serde leave out the points (facial geometry is biometric data).
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceMesh {
    /// The 468 points, in original image pixels.
    #[serde(skip)]
    pub points: Vec<MeshPoint>,
    /// Probability that the crop holds a face, `[0, 1]`.
    pub presence: f32,
    /// Head pose.
    pub pose: HeadPose,
    /// Eye openness of the person's right eye: lid gap over eye width
    /// (about 0.25-0.35 open, below 0.1 closed).
    pub right_eye_openness: f32,
    /// The same for the left eye.
    pub left_eye_openness: f32,
    /// Mouth openness: inner lip gap over mouth width (0 closed).
    pub mouth_openness: f32,
}

impl std::fmt::Debug for FaceMesh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceMesh")
            .field("points", &self.points.len())
            .field("presence", &self.presence)
            .field("pose", &self.pose)
            .field("right_eye_openness", &self.right_eye_openness)
            .field("left_eye_openness", &self.left_eye_openness)
            .field("mouth_openness", &self.mouth_openness)
            .finish()
    }
}

/// A loaded face mesh model. `&self` methods only; share it freely.
pub struct FaceMesher {
    plan: OnnxPlan,
}

impl std::fmt::Debug for FaceMesher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceMesher").finish_non_exhaustive()
    }
}

impl FaceMesher {
    /// Loads the face mesh model from the model pack (SHA-256 verified) on
    /// `backend`.
    pub fn load(models_dir: &Path, backend: OnnxBackend) -> Result<Self, FaceError> {
        let bytes = dayfusion_models::read(models_dir, ModelId::FaceMesh)?;
        Self::from_bytes(&bytes, backend)
    }

    /// Loads the face mesh model from its `.tflite` bytes on `backend`.
    pub fn from_bytes(bytes: &[u8], backend: OnnxBackend) -> Result<Self, FaceError> {
        let plan = OnnxPlan::load_tflite(
            ModelId::FaceMesh,
            bytes,
            &[1, MESH_INPUT, MESH_INPUT, 3],
            backend,
        )?;
        Ok(FaceMesher { plan })
    }

    /// The runtime it runs on.
    pub fn backend(&self) -> OnnxBackend {
        self.plan.backend()
    }

    /// The crop transform (image -> 192x192 model input) for a detection.
    pub fn roi(face: &Face) -> Affine {
        let k = &face.keypoints;
        let angle = (k.left_eye.y - k.right_eye.y).atan2(k.left_eye.x - k.right_eye.x);
        let side = face.bbox.width.max(face.bbox.height) * ROI_SCALE;
        let half = MESH_INPUT as f32 / 2.0;
        Affine::rotate_scale(
            face.bbox.center(),
            -angle,
            MESH_INPUT as f32 / side.max(1.0),
            Point { x: half, y: half },
        )
    }

    /// Runs the mesh on a face found by the detector in `image`.
    pub fn mesh(&self, image: &RgbImage, face: &Face) -> Result<FaceMesh, FaceError> {
        let roi = Self::roi(face);
        let degenerate = || FaceError::Inference("degenerate face box".to_owned());
        let input = warp_rgb(image, &roi, MESH_INPUT, 1.0 / 255.0, 0.0).ok_or_else(degenerate)?;
        let (raw, logit) = self.infer_nhwc(&input)?;
        let back = roi.inverse().ok_or_else(degenerate)?;
        let depth_scale = 1.0 / roi.scale();
        let points = raw
            .chunks_exact(3)
            .map(|c| {
                let p = back.apply(Point { x: c[0], y: c[1] });
                MeshPoint {
                    x: p.x,
                    y: p.y,
                    z: c[2] * depth_scale,
                }
            })
            .collect::<Vec<_>>();
        Ok(measure(points, sigmoid(logit)))
    }

    /// Runs the model on an input already shaped `[1, 192, 192, 3]` with
    /// values in `[0, 1]`; returns the 1404 raw coordinates (crop pixels)
    /// and the face-presence logit. For reference checks and benchmarks.
    pub fn infer_nhwc(&self, input: &[f32]) -> Result<(Vec<f32>, f32), FaceError> {
        let mut landmarks = None;
        let mut logit = None;
        for values in self.plan.run(&[1, MESH_INPUT, MESH_INPUT, 3], input)? {
            match values.len() {
                n if n == MESH_POINTS * 3 => landmarks = Some(values),
                1 => logit = values.first().copied(),
                _ => {}
            }
        }
        match (landmarks, logit) {
            (Some(l), Some(s)) => Ok((l, s)),
            _ => Err(FaceError::Inference(
                "unexpected face mesh output shapes".to_owned(),
            )),
        }
    }
}

fn dist2d(a: MeshPoint, b: MeshPoint) -> f32 {
    (a.x - b.x).hypot(a.y - b.y)
}

fn ratio(gap: f32, width: f32) -> f32 {
    if width > f32::EPSILON {
        gap / width
    } else {
        0.0
    }
}

/// Head pose, eye and mouth openness from the mesh points.
fn measure(points: Vec<MeshPoint>, presence: f32) -> FaceMesh {
    use landmarks::*;
    let p = |i: usize| points[i];
    // The eye line (right outer corner -> left outer corner) and the face's
    // vertical (forehead -> chin), in 3-D.
    let (r, l) = (p(RIGHT_EYE_OUTER), p(LEFT_EYE_OUTER));
    let (ex, ey, ez) = (l.x - r.x, l.y - r.y, l.z - r.z);
    let (top, chin) = (p(FOREHEAD), p(CHIN));
    let (vx, vy, vz) = (chin.x - top.x, chin.y - top.y, chin.z - top.z);
    let pose = HeadPose {
        yaw: ez.atan2(ex.hypot(ey)).to_degrees(),
        pitch: (-vz).atan2(vx.hypot(vy)).to_degrees(),
        roll: ey.atan2(ex).to_degrees(),
    };
    let right_eye_openness = ratio(
        dist2d(p(RIGHT_EYE_UPPER), p(RIGHT_EYE_LOWER)),
        dist2d(p(RIGHT_EYE_OUTER), p(RIGHT_EYE_INNER)),
    );
    let left_eye_openness = ratio(
        dist2d(p(LEFT_EYE_UPPER), p(LEFT_EYE_LOWER)),
        dist2d(p(LEFT_EYE_OUTER), p(LEFT_EYE_INNER)),
    );
    let mouth_openness = ratio(
        dist2d(p(LIP_UPPER_INNER), p(LIP_LOWER_INNER)),
        dist2d(p(MOUTH_RIGHT), p(MOUTH_LEFT)),
    );
    FaceMesh {
        points,
        presence,
        pose,
        right_eye_openness,
        left_eye_openness,
        mouth_openness,
    }
}
