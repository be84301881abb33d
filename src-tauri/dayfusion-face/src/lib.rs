//! The kiosk's local face engine, pure Rust.
//!
//! Models come from the model pack (`dayfusion-models`, SHA-256 verified)
//! and run on ONNX Runtime where the pack's library loads, else on tract
//! ([`runtime`]). [`tflite`] loads the MediaPipe `.tflite` files into
//! tract, which needs a load-time rewrite first, and [`tflite_onnx`]
//! translates them to ONNX for ONNX Runtime; [`onnx`] loads the ONNX ones
//! (SFace's int8 block quantization folded to fp32), [`prelu`] rewrites
//! one op ONNX Runtime runs slowly; [`detect`]
//! finds faces with BlazeFace, [`yunet`] with five landmarks; [`sface`]
//! embeds them (face engine v2, [`engine::Matcher`]); [`image_io`] decodes
//! untrusted images safely.
//!
//! Errors carry an English message and a stable [`ReasonCode`] for the UI.

pub mod detect;
pub mod embed;
pub mod engine;
pub mod error;
pub mod geometry;
pub mod image_io;
pub mod mesh;
pub mod onnx;
pub mod portrait;
pub mod prelu;
pub mod quality;
pub mod runtime;
pub mod score;
pub mod sface;
pub mod tflite;
pub mod tflite_onnx;
pub mod yunet;

rust_i18n::i18n!("locales", fallback = "en");

pub use detect::{BoundingBox, DetectorModel, Face, FaceDetector, Keypoints, Point, RawOutput};
pub use embed::{Embedding, FaceEmbedder, MobileFaceNet, align_face};
pub use engine::{Comparison, FACE_MATCHER_ENV, FaceEngine, FacePolicy, MatchFace, Matcher};
pub use error::{FaceError, ReasonCode};
pub use image_io::{decode_image, load_image};
pub use mesh::{FaceMesh, FaceMesher, HeadPose, MeshPoint};
pub use portrait::{Portrait, Rotation, find_portrait};
pub use quality::{QualityIssue, QualityReport, QualityThresholds};
pub use runtime::{ONNX_RUNTIME_ENV, OnnxBackend, RuntimeChoice};
pub use score::{
    MOBILEFACENET_CALIBRATION, SFACE_CALIBRATION, SFACE_LUMA_MIRROR_CALIBRATION,
    SFACE_SINGLE_VIEW_CALIBRATION, ScoreCalibration,
};
pub use sface::SFace;
pub use yunet::Yunet;
