//! SFace (OpenCV Zoo `face_recognition_sface_2021dec`, Apache-2.0): a
//! five-point aligned 112x112 face to a 128-d embedding.
//!
//! The model pack ships the int8 block-quantized file; [`crate::onnx`]
//! folds its weights to fp32 at load time. The graph takes one BGR image,
//! channel-first, values 0-255 (it normalises inside).
//!
//! The kiosk embeds the crop's luma (BT.601, as OpenCV's `BGR2GRAY`) in all
//! three channels: many documents carry a black-and-white portrait (older
//! Brazilian RGs, laser-engraved cards) while the selfie is in colour, and
//! on the development set matching on luma raised colour TAR at FAR 0.1%
//! from 93.8% to 95.8% and made colour and greyscale photos of one person
//! comparable. Each crop is also embedded flipped left-right and the two
//! unit vectors are averaged (the mirror average), which paid as well.

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

/// Luma of one RGB pixel as OpenCV's `COLOR_BGR2GRAY` computes it, rounded.
fn luma(r: u8, g: u8, b: u8) -> f32 {
    (0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b)).round()
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

    /// Runs the graph on one `[1, 3, 112, 112]` BGR input (0-255); returns
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
        self.infer_nchw(&luma_planes(crop))
    }
}

/// An RGB crop as the kiosk feeds SFace: its luma in all three planes.
pub fn luma_planes(crop: &RgbImage) -> Vec<f32> {
    let plane = (crop.width() * crop.height()) as usize;
    let mut out = vec![0.0f32; 3 * plane];
    for (i, pixel) in crop.pixels().enumerate() {
        let [r, g, b] = pixel.0;
        let y = luma(r, g, b);
        out[i] = y;
        out[plane + i] = y;
        out[2 * plane + i] = y;
    }
    out
}

impl FaceEmbedder for SFace {
    fn name(&self) -> &'static str {
        if self.mirror {
            "sface-128d-luma-mirror"
        } else {
            "sface-128d-luma"
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
    fn input_is_the_luma_in_every_plane() {
        // A grey pixel keeps its value, colours weigh as BT.601.
        let mut colour = RgbImage::new(2, 1);
        colour.put_pixel(0, 0, Rgb([10, 20, 30]));
        colour.put_pixel(1, 0, Rgb([200, 100, 10]));
        assert_eq!(
            luma_planes(&colour),
            [18.0, 120.0, 18.0, 120.0, 18.0, 120.0]
        );
        let mut grey = RgbImage::new(1, 1);
        grey.put_pixel(0, 0, Rgb([77, 77, 77]));
        assert_eq!(luma_planes(&grey), [77.0; 3]);
    }
}
