//! SFace (OpenCV Zoo `face_recognition_sface_2021dec`, Apache-2.0): a
//! five-point aligned 112x112 face to a 128-d embedding.
//!
//! The model pack ships the int8 block-quantized file; [`crate::onnx`]
//! folds its weights to fp32 at load time. The graph takes one RGB image,
//! channel-first, values 0-255 (it normalises inside): OpenCV's
//! `FaceRecognizerSF::feature` builds it with `blobFromImage(.., swapRB =
//! true)` from the BGR picture OpenCV decodes, so red comes first.
//!
//! Each crop can also be embedded flipped left-right, the two unit vectors
//! averaged (the mirror average: [`crate::Matcher::SfaceV2`]); one view is
//! [`crate::Matcher::SfaceV2SingleView`].
//!
//! Until calibration `sface-128d-luma-mirror/2026-12-06` the kiosk fed the
//! crop's luma in all three planes. That made up for a fault: the colour
//! planes had gone in blue first. In the right order, colour pairs of the
//! development set match far better (EER 0.89% against 1.45%, TAR at
//! FAR 0.1% 97.5% against 95.8%) and greyscale pairs the same.

use std::path::Path;

use crate::embed::{ALIGNED_SIZE, Embedding, FaceEmbedder, check_crop_sizes};
use crate::error::FaceError;
use crate::runtime::{OnnxBackend, OnnxPlan};
use dayfusion_models::ModelId;
use image::RgbImage;
use image::imageops::flip_horizontal;

/// SFace's embedding size.
pub const SFACE_DIM: usize = 128;

/// The SFace embedder, loaded.
pub struct SFace {
    plan: OnnxPlan,
    mirror: bool,
}

impl std::fmt::Debug for SFace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SFace")
            .field("mirror", &self.mirror)
            .field("backend", &self.plan.backend())
            .finish_non_exhaustive()
    }
}

impl SFace {
    /// Loads the model from the model pack (SHA-256 verified) on
    /// `backend`; `mirror` averages each crop with its mirror image.
    pub fn load(models_dir: &Path, mirror: bool, backend: OnnxBackend) -> Result<Self, FaceError> {
        let bytes = dayfusion_models::read(models_dir, ModelId::Sface)?;
        Self::from_bytes(&bytes, mirror, backend)
    }

    /// Loads the model from its ONNX bytes on `backend`.
    pub fn from_bytes(bytes: &[u8], mirror: bool, backend: OnnxBackend) -> Result<Self, FaceError> {
        let side = ALIGNED_SIZE as usize;
        let plan = OnnxPlan::load(ModelId::Sface, bytes, &[1, 3, side, side], backend)?;
        Ok(SFace { plan, mirror })
    }

    /// The runtime it runs on.
    pub fn backend(&self) -> OnnxBackend {
        self.plan.backend()
    }

    /// Runs the graph on one `[1, 3, 112, 112]` RGB input (0-255); returns
    /// the raw, unnormalised output.
    pub fn infer_nchw(&self, input: &[f32]) -> Result<Vec<f32>, FaceError> {
        let side = ALIGNED_SIZE as usize;
        let values = self
            .plan
            .run(&[1, 3, side, side], input)?
            .into_iter()
            .next()
            .ok_or_else(|| FaceError::Inference("SFace gave no output".to_owned()))?;
        if values.len() != SFACE_DIM {
            return Err(FaceError::Inference(format!(
                "SFace gave {} values, expected {SFACE_DIM}",
                values.len()
            )));
        }
        Ok(values)
    }

    fn raw(&self, crop: &RgbImage) -> Result<Vec<f32>, FaceError> {
        self.infer_nchw(&rgb_planes(crop))
    }

    /// One aligned crop's embedding from a single view (no mirror average,
    /// whatever this embedder was loaded with): half the cost, for the
    /// liveness engine's per-frame identity check.
    pub fn embed_single(&self, crop: &RgbImage) -> Result<Embedding, FaceError> {
        check_crop_sizes(&[crop])?;
        Embedding::new(self.raw(crop)?)
            .ok_or_else(|| FaceError::Inference("SFace gave a zero embedding".to_owned()))
    }
}

/// An RGB crop as SFace takes it: red, green and blue planes, 0-255.
pub fn rgb_planes(crop: &RgbImage) -> Vec<f32> {
    let plane = (crop.width() * crop.height()) as usize;
    let mut out = vec![0.0f32; 3 * plane];
    for (i, pixel) in crop.pixels().enumerate() {
        let [r, g, b] = pixel.0;
        out[i] = f32::from(r);
        out[plane + i] = f32::from(g);
        out[2 * plane + i] = f32::from(b);
    }
    out
}

impl FaceEmbedder for SFace {
    fn name(&self) -> &'static str {
        if self.mirror {
            "sface-128d-mirror"
        } else {
            "sface-128d"
        }
    }

    fn embed(&self, crops: &[&RgbImage]) -> Result<Vec<Embedding>, FaceError> {
        check_crop_sizes(crops)?;
        crops
            .iter()
            .map(|crop| {
                let mut values = self.raw(crop)?;
                if self.mirror {
                    // Each half normalised first, so neither view dominates.
                    let flipped = self.raw(&flip_horizontal(*crop))?;
                    let (a, b) = (unit(&values), unit(&flipped));
                    values = a.iter().zip(&b).map(|(x, y)| x + y).collect();
                }
                Embedding::new(values)
                    .ok_or_else(|| FaceError::Inference("SFace gave a zero embedding".to_owned()))
            })
            .collect()
    }
}

fn unit(values: &[f32]) -> Vec<f32> {
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
    values.iter().map(|v| v / norm).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn input_is_red_green_blue_planes_in_0_255() {
        let mut crop = RgbImage::new(2, 1);
        crop.put_pixel(0, 0, Rgb([10, 20, 30]));
        crop.put_pixel(1, 0, Rgb([200, 100, 0]));
        assert_eq!(rgb_planes(&crop), [10.0, 200.0, 20.0, 100.0, 30.0, 0.0]);
    }
}
