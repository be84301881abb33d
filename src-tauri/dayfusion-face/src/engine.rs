//! The face engine as the rest of the kiosk uses it: every model loaded
//! once, then `compare(document, selfie)` and the building blocks the
//! liveness engine and the evaluation need.

use std::path::Path;
use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

use crate::detect::{BoundingBox, DetectorModel, Face, FaceDetector};
use crate::embed::{Embedding, FaceEmbedder, MobileFaceNet, align_face};
use crate::error::FaceError;
use crate::mesh::FaceMesher;
use crate::portrait::{Portrait, find_portrait};
use crate::quality::{QualityReport, QualityThresholds, assess};
use crate::runtime::{OnnxBackend, RuntimeChoice};
use crate::score::{
    MOBILEFACENET_CALIBRATION, SFACE_CALIBRATION, SFACE_SINGLE_VIEW_CALIBRATION, ScoreCalibration,
};
use crate::sface::SFace;
use crate::yunet::{DEFAULT_MIN_SCORE, Yunet};

/// A second face at least this share of the main face's area makes a
/// selfie ambiguous (smaller ones are people far behind).
const COMPARABLE_AREA: f32 = 0.25;
/// A short-range detection this confident settles where the face is.
const CONFIDENT_SHORT_RANGE: f32 = 0.75;
/// Face-mesh presence that confirms a portrait candidate. On the 23
/// development documents real portraits score 0.99-1.0, except one under a
/// "SPECIMEN" stamp (0.13); the detector's false candidates (guilloches,
/// seals, text) score 0.008 and below.
const MESH_CONFIRMS_FACE: f32 = 0.05;
/// Detections at least this confident skip the mesh check (the false
/// candidates seen on the documents and test photos scored 0.73 at most).
const SURE_WITHOUT_MESH: f32 = 0.85;

/// YuNet score that settles a face inside the region where the document's
/// portrait was already found (lower than [`DEFAULT_MIN_SCORE`]: the
/// detectors and the mesh agreed there is a face; YuNet only places the
/// five points).
const PORTRAIT_MIN_SCORE: f32 = 0.5;
/// Margin around the portrait's box, as a share of its larger side, given to
/// YuNet so the whole head and some background are in view.
const PORTRAIT_MARGIN: f32 = 0.6;
/// YuNet score that places the five points on a face BlazeFace already
/// found in a liveness frame.
const LIVENESS_MIN_SCORE: f32 = 0.5;
/// A portrait region smaller than this (longest side, pixels) is enlarged
/// to it before YuNet looks: YuNet finds small printed faces poorly (on
/// the development documents a 94-pixel portrait scored 0.36 as it was and
/// 0.75 enlarged to about 300 pixels).
const PORTRAIT_REGION_MIN: f32 = 320.0;

/// Environment variable that picks the kiosk's matcher by its model name:
/// `sface-128d` (the default) or `sface-128d-mirror`.
pub const FACE_MATCHER_ENV: &str = "DAYFUSION_FACE_MATCHER";

/// The model set that matches faces in [`FaceEngine::compare`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Matcher {
    /// Face engine v2 with the mirror average: SFace run on the face and
    /// on its mirror image, the two embeddings averaged. On the
    /// development identities it gains 0.25 points of TAR at FAR 0.1%
    /// (98.52% against 98.27%) for a second SFace run per face (11 ms on
    /// one core: `compare` 75 ms median instead of 55-57 on the
    /// development documents); chosen with [`FACE_MATCHER_ENV`]`=sface-128d-mirror`.
    SfaceV2,
    /// Face engine v2 (default): YuNet's five points onto the ArcFace
    /// template, one SFace run per face (Apache-2.0 weights). The
    /// liveness engine's identity check embeds each frame the same way
    /// ([`FaceEngine::embed_liveness`]), with the same calibration.
    SfaceV2SingleView,
    /// Face engine v1: BlazeFace's four points, MobileFaceNet. Kept for
    /// the evaluation's side-by-side report; MobileFaceNet is not in the
    /// default model pack (`models fetch --with mobilefacenet`).
    MobilefacenetV1,
}

impl Matcher {
    /// The kiosk's matcher: the one [`FACE_MATCHER_ENV`] names, else
    /// [`Matcher::SfaceV2SingleView`]. A value that names no v2 matcher is
    /// logged and ignored, as a bad [`crate::ONNX_RUNTIME_ENV`] is (a typo
    /// must not stop the kiosk verifying); the matcher in use is logged at
    /// load, and every decision records its calibration.
    pub fn from_env() -> Self {
        match std::env::var(FACE_MATCHER_ENV) {
            Ok(value) => Self::from_model_name(&value).unwrap_or_else(|| {
                tracing::warn!(value = %value, "ignoring {FACE_MATCHER_ENV}; using sface-128d");
                Matcher::SfaceV2SingleView
            }),
            Err(_) => Matcher::SfaceV2SingleView,
        }
    }

    /// The v2 matcher whose embedder is called `name` (any case); v1 is
    /// for the evaluation only and is not named here.
    pub fn from_model_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "sface-128d" => Some(Matcher::SfaceV2SingleView),
            "sface-128d-mirror" => Some(Matcher::SfaceV2),
            _ => None,
        }
    }
}

/// Which face to take from a picture with several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacePolicy {
    /// Exactly one face (people far in the background are ignored);
    /// otherwise [`FaceError::MultipleFaces`]. For selfies.
    Single,
    /// The largest face. For evaluation photos that show bystanders.
    Largest,
}

/// A face ready to compare: where it is, its embedding and its quality.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MatchFace {
    /// The detection.
    pub face: Face,
    /// Quality of the face.
    pub quality: QualityReport,
    /// The aligned 112x112 crop.
    #[serde(skip)]
    pub aligned: RgbImage,
}

impl std::fmt::Debug for MatchFace {
    /// Never prints the crop's pixels (biometric data).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MatchFace")
            .field("face", &self.face)
            .field("quality", &self.quality)
            .finish_non_exhaustive()
    }
}

/// Milliseconds spent in each step of [`FaceEngine::compare`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompareTimings {
    /// Finding the portrait on the document (all orientations tried).
    pub document_ms: f64,
    /// Finding the face in the selfie.
    pub selfie_ms: f64,
    /// Aligning, assessing and embedding both faces.
    pub embed_ms: f64,
    /// The whole comparison.
    pub total_ms: f64,
}

/// The result of comparing a document with a selfie.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// Calibrated similarity 0-100 (80: false match rate at most 0.1%).
    pub score: f32,
    /// Cosine similarity of the embeddings.
    pub cosine: f32,
    /// The embedding model.
    pub model: &'static str,
    /// The score calibration used.
    pub calibration: &'static str,
    /// The holder's portrait on the document.
    pub document: Portrait,
    /// Quality of the document portrait.
    pub document_quality: QualityReport,
    /// The selfie's face and quality.
    pub selfie: MatchFace,
    /// Where the time went.
    pub timings: CompareTimings,
}

/// Every model of the face engine, loaded. `&self` methods only: share one
/// engine between threads.
///
/// BlazeFace and the mesh find faces, documents' portraits and the liveness
/// engine's per-frame geometry; the [`Matcher`] (YuNet + SFace by default)
/// places the alignment points and embeds the faces that are compared. The
/// liveness engine's identity check embeds with SFace too, one view per
/// face ([`FaceEngine::embed_liveness`]). Every model runs on the one
/// runtime [`OnnxBackend::resolve`] picks (the MediaPipe models translated
/// to ONNX for ONNX Runtime, [`crate::tflite_onnx`]).
pub struct FaceEngine {
    short: FaceDetector,
    full: FaceDetector,
    mesher: FaceMesher,
    matcher: Matcher,
    backend: OnnxBackend,
    yunet: Yunet,
    sface: SFace,
    /// Face engine v1's embedder, for [`Matcher::MobilefacenetV1`] only.
    previous: Option<MobileFaceNet>,
    calibration: ScoreCalibration,
}

impl std::fmt::Debug for FaceEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaceEngine")
            .field("matcher", &self.matcher)
            .field("backend", &self.backend)
            .field("embedder", &self.embedder().name())
            .field("calibration", &self.calibration.version)
            .finish_non_exhaustive()
    }
}

/// The models of one engine, loaded on one runtime.
struct Loaded {
    short: FaceDetector,
    full: FaceDetector,
    mesher: FaceMesher,
    yunet: Yunet,
    sface: SFace,
}

impl Loaded {
    fn load(models_dir: &Path, mirror: bool, backend: OnnxBackend) -> Result<Self, FaceError> {
        Ok(Loaded {
            short: FaceDetector::load(models_dir, DetectorModel::Short, backend)?,
            full: FaceDetector::load(models_dir, DetectorModel::Full, backend)?,
            mesher: FaceMesher::load(models_dir, backend)?,
            yunet: Yunet::load(models_dir, backend)?,
            sface: SFace::load(models_dir, mirror, backend)?,
        })
    }

    /// Every model on the runtime `choice` resolves to. With
    /// [`RuntimeChoice::Auto`], a model ONNX Runtime will not load sends
    /// them all to tract (one runtime for all, as calibrated): the kiosk
    /// keeps working, slower, and the log says why.
    fn on_runtime(
        models_dir: &Path,
        mirror: bool,
        choice: RuntimeChoice,
    ) -> Result<(OnnxBackend, Self), FaceError> {
        let backend = OnnxBackend::resolve(choice, models_dir)?;
        match Self::load(models_dir, mirror, backend) {
            Err(e @ (FaceError::OnnxRuntimeLoad { .. } | FaceError::ModelLoad { .. }))
                if choice == RuntimeChoice::Auto && backend == OnnxBackend::OnnxRuntime =>
            {
                tracing::warn!(error = %e, "ONNX Runtime could not load a model; the face engine runs on tract");
                Ok((
                    OnnxBackend::Tract,
                    Self::load(models_dir, mirror, OnnxBackend::Tract)?,
                ))
            }
            other => other.map(|loaded| (backend, loaded)),
        }
    }
}

impl FaceEngine {
    /// Loads every model from the model pack in `models_dir`, matching with
    /// the matcher [`Matcher::from_env`] names on the runtime
    /// [`RuntimeChoice::from_env`] names.
    pub fn load(models_dir: &Path) -> Result<Self, FaceError> {
        Self::load_with(models_dir, Matcher::from_env())
    }

    /// [`FaceEngine::load`] with another [`Matcher`].
    pub fn load_with(models_dir: &Path, matcher: Matcher) -> Result<Self, FaceError> {
        Self::load_with_runtime(models_dir, matcher, RuntimeChoice::from_env())
    }

    /// [`FaceEngine::load_with`] on the runtime `choice` resolves to (v1's
    /// MobileFaceNet runs on tract whatever the choice).
    pub fn load_with_runtime(
        models_dir: &Path,
        matcher: Matcher,
        choice: RuntimeChoice,
    ) -> Result<Self, FaceError> {
        let (previous, calibration) = match matcher {
            Matcher::SfaceV2 => (None, SFACE_CALIBRATION),
            Matcher::SfaceV2SingleView => (None, SFACE_SINGLE_VIEW_CALIBRATION),
            Matcher::MobilefacenetV1 => (
                Some(MobileFaceNet::load(models_dir)?),
                MOBILEFACENET_CALIBRATION,
            ),
        };
        let mirror = matcher == Matcher::SfaceV2;
        let (backend, loaded) = Loaded::on_runtime(models_dir, mirror, choice)?;
        let Loaded {
            short,
            full,
            mesher,
            yunet,
            sface,
        } = loaded;
        tracing::info!(
            matcher = ?matcher,
            runtime = backend.as_str(),
            calibration = calibration.version,
            "face engine loaded"
        );
        Ok(FaceEngine {
            short,
            full,
            mesher,
            matcher,
            backend,
            yunet,
            sface,
            previous,
            calibration,
        })
    }

    /// The runtime the models run on.
    pub fn backend(&self) -> OnnxBackend {
        self.backend
    }

    /// The model set that matches faces.
    pub fn matcher(&self) -> Matcher {
        self.matcher
    }

    /// The detector for `model`.
    pub fn detector(&self, model: DetectorModel) -> &FaceDetector {
        match model {
            DetectorModel::Short => &self.short,
            DetectorModel::Full => &self.full,
        }
    }

    /// The face mesh model.
    pub fn mesher(&self) -> &FaceMesher {
        &self.mesher
    }

    /// The embedding model of the matcher.
    pub fn embedder(&self) -> &dyn FaceEmbedder {
        match &self.previous {
            Some(mobilefacenet) => mobilefacenet,
            None => &self.sface,
        }
    }

    /// The cosine -> score map.
    pub fn calibration(&self) -> &ScoreCalibration {
        &self.calibration
    }

    /// Finds the face to match in a selfie or photo: short range first;
    /// full range when it finds nothing (a small or distant face) and, for
    /// [`FacePolicy::Single`], also when it finds no confident face (a group
    /// seen from afar must not pass as one person).
    pub fn find_face(&self, image: &RgbImage, policy: FacePolicy) -> Result<Face, FaceError> {
        let mut faces = self.short.detect(image)?;
        let unsure = match policy {
            FacePolicy::Single => !faces.iter().any(|f| f.score >= CONFIDENT_SHORT_RANGE),
            FacePolicy::Largest => faces.is_empty(),
        };
        if unsure {
            let far = self.full.detect(image)?;
            if !far.is_empty() {
                faces = far;
            }
        }
        pick_face(faces, policy)
    }

    /// Finds the holder's portrait on a document. A candidate the detector
    /// scores below 0.85 counts only when the face mesh confirms a face in
    /// it (the detectors alone see faces in patterns such as latte art or
    /// guilloches; those scored 0.73 at most on the development data).
    pub fn find_portrait(&self, document: &RgbImage) -> Result<Portrait, FaceError> {
        find_portrait(&self.full, &self.short, document, &|image, face| {
            face.score >= SURE_WITHOUT_MESH
                || self
                    .mesher
                    .mesh(image, face)
                    .is_ok_and(|m| m.presence >= MESH_CONFIRMS_FACE)
        })
    }

    /// Finds the face to match in a selfie or photo with the matcher's
    /// detector: YuNet (v2), or [`FaceEngine::find_face`] (v1).
    pub fn find_match_face(&self, image: &RgbImage, policy: FacePolicy) -> Result<Face, FaceError> {
        match self.matcher {
            Matcher::MobilefacenetV1 => self.find_face(image, policy),
            Matcher::SfaceV2 | Matcher::SfaceV2SingleView => {
                pick_face(self.yunet.detect(image, DEFAULT_MIN_SCORE)?, policy)
            }
        }
    }

    /// The matcher's view of a document portrait: with YuNet, its five
    /// points found in the region around the portrait's face (the face
    /// YuNet sees that overlaps it most); v1 keeps BlazeFace's face.
    pub fn match_portrait_face(&self, portrait: &Portrait) -> Result<Face, FaceError> {
        if self.matcher == Matcher::MobilefacenetV1 {
            return Ok(portrait.face);
        }
        self.yunet_face_near(&portrait.upright, &portrait.face.bbox, PORTRAIT_MIN_SCORE)?
            .ok_or(FaceError::NoPortrait)
    }

    /// YuNet's face (with its five points) in the region around `b`, a box
    /// another detector found in `image`: the one overlapping `b` most, if
    /// any scores `min_score`. Small regions are enlarged first.
    fn yunet_face_near(
        &self,
        image: &RgbImage,
        b: &BoundingBox,
        min_score: f32,
    ) -> Result<Option<Face>, FaceError> {
        let margin = PORTRAIT_MARGIN * b.width.max(b.height);
        let x0 = (b.x - margin).floor().max(0.0);
        let y0 = (b.y - margin).floor().max(0.0);
        let x1 = (b.x + b.width + margin).ceil().min(image.width() as f32);
        let y1 = (b.y + b.height + margin).ceil().min(image.height() as f32);
        if x1 - x0 < 2.0 || y1 - y0 < 2.0 {
            return Ok(None);
        }
        let region = image::imageops::crop_imm(
            image,
            x0 as u32,
            y0 as u32,
            (x1 - x0) as u32,
            (y1 - y0) as u32,
        )
        .to_image();
        let longest = region.width().max(region.height()) as f32;
        let zoom = (PORTRAIT_REGION_MIN / longest).max(1.0);
        let region = if zoom > 1.0 {
            image::imageops::resize(
                &region,
                (region.width() as f32 * zoom).round() as u32,
                (region.height() as f32 * zoom).round() as u32,
                image::imageops::FilterType::Triangle,
            )
        } else {
            region
        };
        let local = BoundingBox {
            x: (b.x - x0) * zoom,
            y: (b.y - y0) * zoom,
            width: b.width * zoom,
            height: b.height * zoom,
        };
        let Some(best) = self
            .yunet
            .detect(&region, min_score)?
            .into_iter()
            .filter(|f| f.bbox.iou(&local) > 0.0)
            .max_by(|a, b| a.bbox.iou(&local).total_cmp(&b.bbox.iou(&local)))
        else {
            return Ok(None);
        };
        let shift = |p: crate::detect::Point| crate::detect::Point {
            x: p.x / zoom + x0,
            y: p.y / zoom + y0,
        };
        Ok(Some(Face {
            bbox: BoundingBox {
                x: best.bbox.x / zoom + x0,
                y: best.bbox.y / zoom + y0,
                width: best.bbox.width / zoom,
                height: best.bbox.height / zoom,
            },
            score: best.score,
            keypoints: best.keypoints.map(shift),
        }))
    }

    /// Aligns and assesses a face found in `image`.
    pub fn prepare(
        &self,
        image: &RgbImage,
        face: Face,
        limits: &QualityThresholds,
    ) -> Result<MatchFace, FaceError> {
        let aligned = align_face(image, &face.keypoints)?;
        let quality = assess(image, &face, &aligned, limits);
        Ok(MatchFace {
            face,
            quality,
            aligned,
        })
    }

    /// Embeds aligned crops with the matcher's embedder.
    pub fn embed(&self, crops: &[&RgbImage]) -> Result<Vec<Embedding>, FaceError> {
        self.embedder().embed(crops)
    }

    /// The liveness engine's embedding of the face BlazeFace found at
    /// `face` in a camera frame: YuNet's five points in the region around
    /// it, the ArcFace alignment, and one SFace view (no mirror average:
    /// one run per frame), as [`Matcher::SfaceV2SingleView`] embeds and is
    /// calibrated. `None` when YuNet finds no face there, or none it can
    /// align.
    pub fn embed_liveness(
        &self,
        image: &RgbImage,
        face: &Face,
    ) -> Result<Option<Embedding>, FaceError> {
        let Some(five_points) = self.yunet_face_near(image, &face.bbox, LIVENESS_MIN_SCORE)? else {
            return Ok(None);
        };
        // Degenerate points (a face seen edge-on) give no embedding for
        // this frame rather than failing it.
        let Ok(aligned) = align_face(image, &five_points.keypoints) else {
            return Ok(None);
        };
        self.sface.embed_single(&aligned).map(Some)
    }

    /// Compares the holder's portrait on `document` with the face in
    /// `selfie` (both upright as decoded, EXIF applied).
    pub fn compare(&self, document: &RgbImage, selfie: &RgbImage) -> Result<Comparison, FaceError> {
        let start = Instant::now();
        let portrait = self.find_portrait(document)?;
        let document_face = self.match_portrait_face(&portrait)?;
        let document_ms = ms(start);
        let t = Instant::now();
        let selfie_face = self.find_match_face(selfie, FacePolicy::Single)?;
        let selfie_ms = ms(t);
        let t = Instant::now();
        let doc = self.prepare(
            &portrait.upright,
            document_face,
            &QualityThresholds::DOCUMENT,
        )?;
        let selfie = self.prepare(selfie, selfie_face, &QualityThresholds::SELFIE)?;
        let embeddings = self.embed(&[&doc.aligned, &selfie.aligned])?;
        let cosine = match embeddings.as_slice() {
            [a, b] => a.cosine(b),
            _ => return Err(FaceError::Inference("expected two embeddings".to_owned())),
        };
        let embed_ms = ms(t);
        Ok(Comparison {
            score: self.calibration.score(cosine),
            cosine,
            model: self.embedder().name(),
            calibration: self.calibration.version,
            document: portrait,
            document_quality: doc.quality,
            selfie,
            timings: CompareTimings {
                document_ms,
                selfie_ms,
                embed_ms,
                total_ms: ms(start),
            },
        })
    }
}

/// Applies `policy` to detections (sorted or not).
pub fn pick_face(faces: Vec<Face>, policy: FacePolicy) -> Result<Face, FaceError> {
    let area = |f: &Face| f.bbox.area();
    let largest = faces
        .iter()
        .copied()
        .max_by(|a, b| area(a).total_cmp(&area(b)))
        .ok_or(FaceError::NoFace)?;
    if policy == FacePolicy::Single {
        let comparable = faces
            .iter()
            .filter(|f| area(f) >= COMPARABLE_AREA * area(&largest))
            .count();
        if comparable > 1 {
            return Err(FaceError::MultipleFaces { count: comparable });
        }
    }
    Ok(largest)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matchers_are_named_by_their_model_and_v1_is_not_offered() {
        assert_eq!(
            Matcher::from_model_name(" SFace-128d "),
            Some(Matcher::SfaceV2SingleView)
        );
        assert_eq!(
            Matcher::from_model_name(""),
            Some(Matcher::SfaceV2SingleView)
        );
        assert_eq!(
            Matcher::from_model_name("sface-128d-mirror"),
            Some(Matcher::SfaceV2)
        );
        assert_eq!(Matcher::from_model_name("mobilefacenet-192d"), None);
        assert_eq!(Matcher::from_model_name("sface"), None);
    }
}
