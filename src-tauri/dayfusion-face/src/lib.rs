//! The kiosk's local face engine, pure Rust.
//!
//! Models come from the model pack (`dayfusion-models`, SHA-256 verified)
//! and run on tract. [`tflite`] loads the MediaPipe `.tflite` files, which
//! need a load-time rewrite before tract accepts them; [`detect`] finds
//! faces with BlazeFace; [`image_io`] decodes untrusted images safely.
//!
//! Errors carry an English message and a stable [`ReasonCode`] for the UI.

pub mod detect;
pub mod embed;
pub mod engine;
pub mod error;
pub mod geometry;
pub mod image_io;
pub mod mesh;
pub mod portrait;
pub mod quality;
pub mod score;
pub mod tflite;

rust_i18n::i18n!("locales", fallback = "en");

pub use detect::{BoundingBox, DetectorModel, Face, FaceDetector, Keypoints, Point, RawOutput};
pub use embed::{Embedding, FaceEmbedder, MobileFaceNet, align_face};
pub use engine::{Comparison, FaceEngine, FacePolicy, MatchFace};
pub use error::{FaceError, ReasonCode};
pub use image_io::{decode_image, load_image};
pub use mesh::{FaceMesh, FaceMesher, HeadPose, MeshPoint};
pub use portrait::{Portrait, Rotation, find_portrait};
pub use quality::{QualityIssue, QualityReport, QualityThresholds};
pub use score::{MOBILEFACENET_CALIBRATION, ScoreCalibration};
