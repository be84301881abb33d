//! `eval portraits DIR`: holder-portrait extraction on document images.
//! For each image: found or not, orientation, face box, detector score,
//! secondary (ghost) faces, quality issues and time; the crops are written
//! next to the report so a person can check them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use dayfusion_face::{FaceEngine, QualityThresholds, load_image};
use serde::Serialize;

use crate::EvalError;
use crate::metrics::median;

/// One document's outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortraitOutcome {
    /// The document image.
    pub file: String,
    /// Whether a portrait was found.
    pub found: bool,
    /// Clockwise degrees that turned the document upright.
    pub rotation: Option<u32>,
    /// Face box in the document as given: x, y, w, h.
    pub face_box: Option<[f32; 4]>,
    /// Detector score.
    pub score: Option<f32>,
    /// Upright faces besides the portrait.
    pub secondary_faces: usize,
    /// Whether the matcher placed its alignment points on the portrait
    /// (YuNet's five for face engine v2), so `compare` can use it.
    pub matched: bool,
    /// Quality issue codes of the portrait.
    pub quality_issues: Vec<String>,
    /// Milliseconds to find the portrait (decoded image in memory).
    pub ms: f64,
    /// The saved crop.
    pub crop: Option<PathBuf>,
    /// The error, when not found.
    pub error: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PortraitsReport {
    /// The folder.
    pub dataset: PathBuf,
    /// Images looked at.
    pub documents: usize,
    /// Portraits found.
    pub found: usize,
    /// Portraits the matcher can compare.
    pub matched: usize,
    /// Median milliseconds per document.
    pub median_ms: f64,
    /// Per document.
    pub outcomes: Vec<PortraitOutcome>,
}

/// Runs portrait extraction on every JPEG/PNG in `dir` (sorted) and writes
/// the crops and `report.json` into `out_dir`.
pub fn evaluate_portraits(
    engine: &FaceEngine,
    dir: &Path,
    out_dir: &Path,
) -> Result<PortraitsReport, EvalError> {
    let unavailable = |reason: String| EvalError::Dataset {
        path: dir.to_owned(),
        reason,
    };
    let files = crate::image_files(dir).map_err(|e| unavailable(e.to_string()))?;
    std::fs::create_dir_all(out_dir).map_err(|source| EvalError::Write {
        path: out_dir.to_owned(),
        source,
    })?;
    let mut outcomes = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut outcome = PortraitOutcome {
            file: file.clone(),
            found: false,
            rotation: None,
            face_box: None,
            score: None,
            secondary_faces: 0,
            matched: false,
            quality_issues: Vec::new(),
            ms: 0.0,
            crop: None,
            error: None,
        };
        let image = match load_image(&path) {
            Ok(image) => image,
            Err(e) => {
                outcome.error = Some(e.to_string());
                outcomes.push(outcome);
                continue;
            }
        };
        let t = Instant::now();
        let found = engine.find_portrait(&image);
        outcome.ms = t.elapsed().as_secs_f64() * 1000.0;
        match found {
            Ok(portrait) => {
                let b = portrait.face_in_document;
                outcome.found = true;
                outcome.rotation = Some(portrait.rotation.degrees());
                outcome.face_box = Some([b.x, b.y, b.width, b.height]);
                outcome.score = Some(portrait.face.score);
                outcome.secondary_faces = portrait.secondary_faces;
                let prepared = engine.match_portrait_face(&portrait).and_then(|face| {
                    engine.prepare(&portrait.upright, face, &QualityThresholds::DOCUMENT)
                });
                outcome.matched = prepared.is_ok();
                match prepared {
                    Ok(prepared) => {
                        outcome.quality_issues = prepared
                            .quality
                            .issues
                            .iter()
                            .map(|i| i.as_str().to_owned())
                            .collect();
                    }
                    Err(e) => outcome.error = Some(format!("not comparable: {e}")),
                }
                let crop_path = out_dir.join(format!("{file}.portrait.png"));
                if portrait.crop.save(&crop_path).is_ok() {
                    outcome.crop = Some(crop_path);
                }
            }
            Err(e) => outcome.error = Some(e.to_string()),
        }
        outcomes.push(outcome);
    }
    if outcomes.is_empty() {
        return Err(unavailable("no document images".to_owned()));
    }
    let times: Vec<f64> = outcomes
        .iter()
        .filter(|o| o.ms > 0.0)
        .map(|o| o.ms)
        .collect();
    let report = PortraitsReport {
        dataset: dir.to_owned(),
        documents: outcomes.len(),
        found: outcomes.iter().filter(|o| o.found).count(),
        matched: outcomes.iter().filter(|o| o.matched).count(),
        median_ms: median(&times),
        outcomes,
    };
    let json_path = out_dir.join("report.json");
    let json = serde_json::to_string_pretty(&report).unwrap_or_default();
    std::fs::write(&json_path, json).map_err(|source| EvalError::Write {
        path: json_path,
        source,
    })?;
    Ok(report)
}
