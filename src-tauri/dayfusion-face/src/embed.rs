//! Face alignment and embeddings.
//!
//! A detected face is aligned by the similarity transform that best maps
//! its eyes, nose tip and mouth centre onto the standard ArcFace 112x112
//! template, then embedded by a [`FaceEmbedder`] (MobileFaceNet by default)
//! into an L2-normalised vector; two faces compare by cosine similarity,
//! which [`crate::score`] maps to the calibrated 0-100 score.

use std::path::Path;

use image::{Rgb, RgbImage};
use tract_tflite::prelude::{TValue, Tensor, tvec};

use crate::detect::{Keypoints, Point};
use crate::error::FaceError;
use crate::geometry::{Affine, similarity_transform, warp_rgb};
use crate::tflite::{RunnableTract, load_model};
use dayfusion_models::ModelId;

/// Side of an aligned face crop, pixels.
pub const ALIGNED_SIZE: u32 = 112;

/// Every crop must be the aligned size the embedders take.
pub(crate) fn check_crop_sizes(crops: &[&RgbImage]) -> Result<(), FaceError> {
    let side = ALIGNED_SIZE;
    if crops
        .iter()
        .any(|c| c.width() != side || c.height() != side)
    {
        return Err(FaceError::Inference(format!(
            "embedding crops must be {side}x{side}"
        )));
    }
    Ok(())
}

/// The ArcFace template for a 112x112 crop: the person's right eye (image
/// left), left eye, nose tip, right and left mouth corner. SFace and
/// MobileFaceNet were both trained on crops aligned to it.
pub const TEMPLATE_FIVE: [Point; 5] = [
    Point {
        x: 38.2946,
        y: 51.6963,
    },
    Point {
        x: 73.5318,
        y: 51.5014,
    },
    Point {
        x: 56.0252,
        y: 71.7366,
    },
    Point {
        x: 41.5493,
        y: 92.3655,
    },
    Point {
        x: 70.7299,
        y: 92.2041,
    },
];

/// The template for BlazeFace's keypoints, which have no mouth corners: the
/// eyes, the nose tip and the mean of the two mouth corners.
pub const TEMPLATE: [Point; 4] = [
    TEMPLATE_FIVE[0],
    TEMPLATE_FIVE[1],
    TEMPLATE_FIVE[2],
    Point {
        x: 56.1396,
        y: 92.2848,
    },
];

/// The transform (image -> aligned crop) for a face's keypoints: the five
/// points onto [`TEMPLATE_FIVE`] when the mouth corners are known (YuNet),
/// else four onto [`TEMPLATE`] (BlazeFace).
pub fn alignment(keypoints: &Keypoints) -> Option<Affine> {
    match keypoints.mouth_corners {
        Some([right_mouth, left_mouth]) => {
            let from = [
                keypoints.right_eye,
                keypoints.left_eye,
                keypoints.nose_tip,
                right_mouth,
                left_mouth,
            ];
            similarity_transform(&from, &TEMPLATE_FIVE)
        }
        None => {
            let from = [
                keypoints.right_eye,
                keypoints.left_eye,
                keypoints.nose_tip,
                keypoints.mouth_center,
            ];
            similarity_transform(&from, &TEMPLATE)
        }
    }
}

/// Cuts the aligned 112x112 crop of a face out of `image`.
pub fn align_face(image: &RgbImage, keypoints: &Keypoints) -> Result<RgbImage, FaceError> {
    let degenerate = || FaceError::Inference("degenerate face keypoints".to_owned());
    let transform = alignment(keypoints).ok_or_else(degenerate)?;
    let side = ALIGNED_SIZE as usize;
    let values = warp_rgb(image, &transform, side, 1.0, 0.0).ok_or_else(degenerate)?;
    let mut crop = RgbImage::new(ALIGNED_SIZE, ALIGNED_SIZE);
    for (pixel, v) in crop.pixels_mut().zip(values.chunks_exact(3)) {
        *pixel = Rgb([to_u8(v[0]), to_u8(v[1]), to_u8(v[2])]);
    }
    Ok(crop)
}

fn to_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// An L2-normalised face embedding. A biometric template: it is neither
/// serialisable nor printed by `Debug` (only its dimension is).
#[derive(Clone, PartialEq)]
pub struct Embedding(Vec<f32>);

impl std::fmt::Debug for Embedding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Embedding({} dims)", self.0.len())
    }
}

impl Embedding {
    /// Normalises `values` to unit length; `None` for a zero or non-finite
    /// vector.
    pub fn new(mut values: Vec<f32>) -> Option<Self> {
        let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !norm.is_finite() || norm < 1e-12 {
            return None;
        }
        values.iter_mut().for_each(|v| *v /= norm);
        Some(Embedding(values))
    }

    /// The unit vector.
    pub fn values(&self) -> &[f32] {
        &self.0
    }

    /// Cosine similarity in `[-1, 1]`; 0 when the dimensions differ.
    pub fn cosine(&self, other: &Embedding) -> f32 {
        if self.0.len() != other.0.len() {
            return 0.0;
        }
        self.0
            .iter()
            .zip(&other.0)
            .map(|(a, b)| a * b)
            .sum::<f32>()
            .clamp(-1.0, 1.0)
    }
}

/// Turns aligned 112x112 face crops into embeddings. Implemented by
/// [`crate::sface::SFace`] (the default) and [`MobileFaceNet`].
pub trait FaceEmbedder: Send + Sync {
    /// A short name of the model and its version, for reports and logs.
    fn name(&self) -> &'static str;

    /// Embeds each crop (all [`ALIGNED_SIZE`] square), in order.
    fn embed(&self, crops: &[&RgbImage]) -> Result<Vec<Embedding>, FaceError>;
}

/// MobileFaceNet (192-d), from the model pack. Its graph has a fixed batch
/// of two: crops are embedded in pairs, an odd one out padded with itself.
pub struct MobileFaceNet {
    plan: RunnableTract,
}

impl std::fmt::Debug for MobileFaceNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MobileFaceNet").finish_non_exhaustive()
    }
}

/// MobileFaceNet's fixed batch size.
const MOBILEFACENET_BATCH: usize = 2;

impl MobileFaceNet {
    /// Loads the model from the model pack (SHA-256 verified).
    pub fn load(models_dir: &Path) -> Result<Self, FaceError> {
        let bytes = dayfusion_models::read(models_dir, ModelId::Mobilefacenet)?;
        Self::from_bytes(&bytes)
    }

    /// Loads the model from its `.tflite` bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FaceError> {
        let plan = load_model(ModelId::Mobilefacenet, bytes)?;
        Ok(MobileFaceNet { plan })
    }

    /// Runs the model on a `[2, 112, 112, 3]` input already normalised
    /// (`(v - 127.5) / 128`); returns the two raw (unnormalised) outputs.
    pub fn infer_nhwc(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, FaceError> {
        let inference =
            |e: tract_tflite::prelude::TractError| FaceError::Inference(format!("{e:#}"));
        let side = ALIGNED_SIZE as usize;
        let tensor =
            Tensor::from_shape(&[MOBILEFACENET_BATCH, side, side, 3], input).map_err(inference)?;
        let outputs = self
            .plan
            .run(tvec!(TValue::from(tensor)))
            .map_err(inference)?;
        let output = outputs
            .first()
            .ok_or_else(|| FaceError::Inference("MobileFaceNet gave no output".to_owned()))?;
        let view = output.to_plain_array_view::<f32>().map_err(inference)?;
        let values: Vec<f32> = view.iter().copied().collect();
        if values.is_empty() || !values.len().is_multiple_of(MOBILEFACENET_BATCH) {
            return Err(FaceError::Inference(
                "unexpected MobileFaceNet output shape".to_owned(),
            ));
        }
        let dim = values.len() / MOBILEFACENET_BATCH;
        Ok(values.chunks_exact(dim).map(<[f32]>::to_vec).collect())
    }
}

impl FaceEmbedder for MobileFaceNet {
    fn name(&self) -> &'static str {
        "mobilefacenet-192d"
    }

    fn embed(&self, crops: &[&RgbImage]) -> Result<Vec<Embedding>, FaceError> {
        check_crop_sizes(crops)?;
        let side = ALIGNED_SIZE;
        let mut out = Vec::with_capacity(crops.len());
        for pair in crops.chunks(MOBILEFACENET_BATCH) {
            let mut input = Vec::with_capacity(MOBILEFACENET_BATCH * (side * side * 3) as usize);
            for i in 0..MOBILEFACENET_BATCH {
                let crop = pair.get(i).or(pair.first()).copied();
                if let Some(crop) = crop {
                    input.extend(
                        crop.as_raw()
                            .iter()
                            .map(|v| (f32::from(*v) - 127.5) / 128.0),
                    );
                }
            }
            let raw = self.infer_nhwc(&input)?;
            for values in raw.into_iter().take(pair.len()) {
                out.push(Embedding::new(values).ok_or_else(|| {
                    FaceError::Inference("MobileFaceNet gave a zero embedding".to_owned())
                })?);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_unit_length_and_cosine_is_bounded() {
        let Some(a) = Embedding::new(vec![3.0, 4.0]) else {
            panic!("non-zero");
        };
        assert!((a.values()[0] - 0.6).abs() < 1e-6);
        let Some(b) = Embedding::new(vec![-3.0, -4.0]) else {
            panic!("non-zero");
        };
        assert!((a.cosine(&a) - 1.0).abs() < 1e-6);
        assert!((a.cosine(&b) + 1.0).abs() < 1e-6);
        assert!(Embedding::new(vec![0.0, 0.0]).is_none());
        assert!(Embedding::new(vec![f32::NAN, 1.0]).is_none());
        let Some(c) = Embedding::new(vec![1.0, 0.0, 0.0]) else {
            panic!("non-zero");
        };
        assert_eq!(a.cosine(&c), 0.0, "different dimensions");
        assert_eq!(format!("{a:?}"), "Embedding(2 dims)", "no values in Debug");
    }

    #[test]
    fn alignment_maps_template_keypoints_to_themselves() {
        let [right_eye, left_eye, nose_tip, mouth_center] = TEMPLATE;
        let four = Keypoints::from_array([
            right_eye,
            left_eye,
            nose_tip,
            mouth_center,
            right_eye,
            left_eye,
        ]);
        let five = Keypoints::from_five(TEMPLATE_FIVE);
        assert!((five.mouth_center.x - mouth_center.x).abs() < 1e-3);
        for (keypoints, template) in [(four, TEMPLATE.to_vec()), (five, TEMPLATE_FIVE.to_vec())] {
            let Some(m) = alignment(&keypoints) else {
                panic!("aligned");
            };
            for p in template {
                let q = m.apply(p);
                assert!((q.x - p.x).abs() < 1e-3 && (q.y - p.y).abs() < 1e-3);
            }
        }
    }

    #[test]
    fn five_point_alignment_uses_the_mouth_corners() {
        // A face whose mouth is wider than the template's: four points see
        // only the centre, five pull the scale towards the corners.
        let mut points = TEMPLATE_FIVE;
        points[3].x -= 10.0;
        points[4].x += 10.0;
        let five = Keypoints::from_five(points);
        let mut four = five;
        four.mouth_corners = None;
        let (Some(a), Some(b)) = (alignment(&five), alignment(&four)) else {
            panic!("aligned");
        };
        let corner = a.apply(points[4]);
        let corner_four = b.apply(points[4]);
        assert!(corner.x < corner_four.x, "{corner:?} {corner_four:?}");
    }
}
