//! Errors of the face engine: an English message for logs and the CLI, plus
//! a stable [`ReasonCode`] that the UI translates.

use std::path::PathBuf;

use serde::Serialize;

use crate::tflite::TfliteError;

/// Stable, machine-readable reason for a [`FaceError`]; the UI maps it to a
/// translated message. Serialised in kebab-case (`image-too-large`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReasonCode {
    /// The model pack is missing or a model failed its SHA-256 check.
    ModelUnavailable,
    /// A model file could not be loaded by the inference engine.
    ModelLoadFailed,
    /// Inference failed at run time.
    InferenceFailed,
    /// The image file could not be read.
    ImageUnreadable,
    /// The bytes are not a supported image format, or the image is corrupt.
    ImageInvalid,
    /// The image is larger than the engine accepts.
    ImageTooLarge,
    /// The image is too small to hold a face.
    ImageTooSmall,
    /// No face was found.
    NoFace,
    /// More than one face was found where exactly one is needed.
    MultipleFaces,
    /// No holder portrait was found on the document.
    NoPortrait,
}

impl ReasonCode {
    /// The code as the UI sees it (`image-too-large`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ReasonCode::ModelUnavailable => "model-unavailable",
            ReasonCode::ModelLoadFailed => "model-load-failed",
            ReasonCode::InferenceFailed => "inference-failed",
            ReasonCode::ImageUnreadable => "image-unreadable",
            ReasonCode::ImageInvalid => "image-invalid",
            ReasonCode::ImageTooLarge => "image-too-large",
            ReasonCode::ImageTooSmall => "image-too-small",
            ReasonCode::NoFace => "no-face",
            ReasonCode::MultipleFaces => "multiple-faces",
            ReasonCode::NoPortrait => "no-portrait",
        }
    }
}

/// Everything that can go wrong in the face engine.
#[derive(Debug, thiserror::Error)]
pub enum FaceError {
    /// The model pack could not provide a model.
    #[error("face model unavailable: {0}")]
    Model(#[from] dayfusion_models::ModelsError),
    /// A model could not be loaded into tract.
    #[error("could not load face model {model}: {source}")]
    ModelLoad {
        /// Which model.
        model: dayfusion_models::ModelId,
        /// What tract or the rewrite said.
        source: TfliteError,
    },
    /// An ONNX model could not be loaded into tract.
    #[error("could not load face model {model}: {source}")]
    OnnxLoad {
        /// Which model.
        model: dayfusion_models::ModelId,
        /// What tract or the dequantize folding said.
        source: crate::onnx::OnnxError,
    },
    /// ONNX Runtime could not load a model.
    #[error("ONNX Runtime could not load face model {model}: {reason}")]
    OnnxRuntimeLoad {
        /// Which model.
        model: dayfusion_models::ModelId,
        /// What ONNX Runtime said.
        reason: String,
    },
    /// ONNX Runtime was asked for and its library is missing from the model
    /// pack or would not load.
    #[error(
        "ONNX Runtime is unavailable ({0}); run `dayfusion models fetch`, or set DAYFUSION_ONNX_RUNTIME=tract to use the built-in runtime"
    )]
    OnnxRuntimeUnavailable(String),
    /// The runtime named in DAYFUSION_ONNX_RUNTIME is not one we know.
    #[error("unknown ONNX runtime {0:?}: use auto, tract or onnxruntime")]
    UnknownRuntime(String),
    /// Running a model failed.
    #[error("face model inference failed: {0}")]
    Inference(String),
    /// Reading an image file failed.
    #[error("could not read image {path}: {source}")]
    ImageRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The image could not be decoded.
    #[error("invalid or unsupported image: {0}")]
    ImageDecode(String),
    /// The image header announces dimensions above the limits.
    #[error(
        "image is {width}x{height}; the largest accepted is {max_side} px a side and {max_pixels} pixels"
    )]
    ImageTooLarge {
        /// Width from the header.
        width: u32,
        /// Height from the header.
        height: u32,
        /// Longest side accepted.
        max_side: u32,
        /// Largest pixel count accepted.
        max_pixels: u64,
    },
    /// The image has no usable area.
    #[error("image is {width}x{height}; at least {min_side} px a side is needed")]
    ImageTooSmall {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Shortest side accepted.
        min_side: u32,
    },
    /// No face was found in the image.
    #[error("no face found in the image")]
    NoFace,
    /// Several faces of similar size were found where one is needed.
    #[error("{count} faces found; exactly one is needed")]
    MultipleFaces {
        /// How many comparable faces.
        count: usize,
    },
    /// No portrait was found on the document in any orientation.
    #[error("no holder portrait found on the document")]
    NoPortrait,
}

impl FaceError {
    /// The stable reason code for the UI.
    pub fn reason(&self) -> ReasonCode {
        match self {
            FaceError::Model(_) => ReasonCode::ModelUnavailable,
            FaceError::ModelLoad { .. }
            | FaceError::OnnxLoad { .. }
            | FaceError::OnnxRuntimeLoad { .. } => ReasonCode::ModelLoadFailed,
            FaceError::OnnxRuntimeUnavailable(_) | FaceError::UnknownRuntime(_) => {
                ReasonCode::ModelUnavailable
            }
            FaceError::Inference(_) => ReasonCode::InferenceFailed,
            FaceError::ImageRead { .. } => ReasonCode::ImageUnreadable,
            FaceError::ImageDecode(_) => ReasonCode::ImageInvalid,
            FaceError::ImageTooLarge { .. } => ReasonCode::ImageTooLarge,
            FaceError::ImageTooSmall { .. } => ReasonCode::ImageTooSmall,
            FaceError::NoFace => ReasonCode::NoFace,
            FaceError::MultipleFaces { .. } => ReasonCode::MultipleFaces,
            FaceError::NoPortrait => ReasonCode::NoPortrait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_codes_serialise_as_their_str() {
        for code in [
            ReasonCode::ModelUnavailable,
            ReasonCode::ModelLoadFailed,
            ReasonCode::InferenceFailed,
            ReasonCode::ImageUnreadable,
            ReasonCode::ImageInvalid,
            ReasonCode::ImageTooLarge,
            ReasonCode::ImageTooSmall,
            ReasonCode::NoFace,
            ReasonCode::MultipleFaces,
            ReasonCode::NoPortrait,
        ] {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
