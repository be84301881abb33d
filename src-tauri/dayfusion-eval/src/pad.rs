//! `eval pad DIR`: presentation-attack detection on real recordings, in
//! ISO/IEC 30107-3 terms. APCER: share of attack presentations accepted,
//! per attack type. BPCER: share of bona fide presentations rejected.
//!
//! `DIR` holds `pad/real/*.jpg` (bona fide face crops),
//! `pad/attack/<type>/*.jpg` (attack crops) and `video/*` (clips named
//! `real_*` or `attack_<type>_*`). A single crop has no time, no challenge
//! and usually no surroundings: only the screen-cue and recapture checks
//! apply to it. A
//! clip without a challenge gets the passive checks (identity, natural
//! motion, screen cues, recapture, integrity; depth needs the challenge),
//! so its confidence is "passive only" and says nothing about light or
//! approach. Each set is also scored without the recapture check (rule
//! `2026-12-07.3`), side by side.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dayfusion_face::{DetectorModel, FaceEngine, load_image};
use dayfusion_liveness::checks::{PASS_SCORE, recapture, screen};
use dayfusion_liveness::cues::{self, FaceBox};
use dayfusion_liveness::video::Frames;
use dayfusion_liveness::{CheckKind, LivenessSettings, LivenessStatus, Session, confidence};
use serde::Serialize;

use crate::EvalError;
use crate::metrics::median;
use crate::stats::{Summary, percent};

/// A presentation: bona fide or an attack of some type.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Truth {
    /// A live person.
    BonaFide,
    /// An attack, by type (`replay`).
    Attack(String),
}

/// One crop's outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CropOutcome {
    /// File name.
    pub file: String,
    /// Source recording group (file-name prefix), to count subjects.
    pub source: String,
    /// What it is.
    pub truth: Truth,
    /// Whether the detector found the face (else the whole crop is used).
    pub face_found: bool,
    /// Whether the face was large enough for the cues to mean anything
    /// (see `screen::MIN_FACE_PX`); a crop too small passes unexamined.
    pub measurable: bool,
    /// Raw moiré measure.
    pub moire: f32,
    /// Raw glare measure.
    pub specular: f32,
    /// Edge evidence, when the crop has room around the face.
    pub edges: Option<f32>,
    /// Screen-cue score (50 = pass line).
    pub score: f32,
    /// Raw grid consistency over the whole crop (`None`: too little
    /// texture).
    pub screen_grid: Option<f32>,
    /// Recapture score (50 = pass line; `None`: not applicable).
    pub recapture_score: Option<f32>,
    /// Accepted as live by the screen cues alone (rule `2026-12-07.3`).
    pub accepted_screen_cues_only: bool,
    /// Accepted as live: every applicable check at or above the pass line.
    pub accepted: bool,
}

/// One clip's outcome.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VideoOutcome {
    /// File name.
    pub file: String,
    /// What it is.
    pub truth: Truth,
    /// Frames analysed.
    pub frames: usize,
    /// Frames the engine refused (counted, not fatal).
    pub rejected_frames: usize,
    /// Session status.
    pub status: LivenessStatus,
    /// Confidence (passive only: no challenge in these recordings).
    pub confidence: f32,
    /// Accepted as live (confidence at or above 50).
    pub accepted: bool,
    /// Accepted without the recapture check (rule `2026-12-07.3`).
    pub accepted_without_recapture: bool,
    /// Each check: outcome, score and reason.
    pub checks: Vec<dayfusion_liveness::CheckResult>,
    /// Median analysis per frame, milliseconds.
    pub median_frame_ms: f32,
    /// `finish`, milliseconds.
    pub finish_ms: f32,
}

/// Error rates of one group of presentations.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rates {
    /// Bona fide presentations.
    pub bona_fide: usize,
    /// Of which rejected.
    pub bona_fide_rejected: usize,
    /// BPCER, percent.
    pub bpcer: f64,
    /// Per attack type: presentations, accepted, APCER percent.
    pub apcer: BTreeMap<String, (usize, usize, f64)>,
    /// Distinct sources (recordings / people) among the presentations.
    pub sources: usize,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PadReport {
    /// The folder.
    pub dataset: PathBuf,
    /// Rates on the face crops (screen cues and recapture).
    pub crops: Rates,
    /// The same crops judged by the screen cues alone (rule
    /// `2026-12-07.3`, before the recapture check).
    pub crops_before_recapture: Rates,
    /// Crops too small to examine (bona fide, attack).
    pub crops_not_measurable: (usize, usize),
    /// Rates on the clips (passive checks).
    pub videos: Rates,
    /// The same clips without the recapture check (rule `2026-12-07.3`).
    pub videos_before_recapture: Rates,
    /// Median moiré / glare of bona fide and attack crops.
    pub crop_medians: BTreeMap<String, f64>,
    /// Each check's scores on the real material, bona fide against each
    /// attack type, so a reader sees how far the pass line is from the
    /// data.
    pub distributions: Vec<PadDistribution>,
    /// What this data cannot show.
    pub limits: Vec<&'static str>,
    /// Per crop.
    pub crop_outcomes: Vec<CropOutcome>,
    /// Per clip.
    pub video_outcomes: Vec<VideoOutcome>,
}

/// One measure's distribution over one kind of presentation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PadDistribution {
    /// `crops` or `clips`.
    pub set: &'static str,
    /// A check (`screen-cues`) or a raw measure (`moire`).
    pub measure: String,
    /// `bona-fide` or the attack type.
    pub truth: String,
    /// The pass line on this measure, where it has one.
    pub pass_line: Option<f64>,
    /// Presentations where it did not apply (clips).
    pub not_applicable: usize,
    /// The values (`None`: none applied).
    pub values: Option<Summary>,
}

const LIMITS: [&str; 4] = [
    "The clips were recorded without the challenge: no approach and no colour sequence, so the light, movement and depth checks do not apply; their confidence is passive-only.",
    "Crops are tight single frames: only the screen-cue and recapture checks apply to them (no time, little surroundings).",
    "Few subjects and recordings: the attack crops come from a handful of re-filmed clips, so rates are indicative, not statistically meaningful.",
    "Only 4 print crops and no mask, 3D or injection attacks in this set.",
];

/// Runs both parts and writes `report.json` into `out_dir`.
pub fn evaluate_pad(
    engine: &FaceEngine,
    dir: &Path,
    out_dir: &Path,
) -> Result<PadReport, EvalError> {
    let dataset_error = |reason: String| EvalError::Dataset {
        path: dir.to_path_buf(),
        reason,
    };
    let real_dir = dir.join("pad/real");
    let attack_dir = dir.join("pad/attack");
    if !real_dir.is_dir() || !attack_dir.is_dir() {
        return Err(dataset_error(
            "no pad/real and pad/attack folders".to_owned(),
        ));
    }
    let mut crops = Vec::new();
    for file in crate::image_files(&real_dir).map_err(|e| dataset_error(e.to_string()))? {
        crops.push(crop_outcome(engine, &file, Truth::BonaFide)?);
    }
    let types =
        crate::sorted_paths(&attack_dir, Path::is_dir).map_err(|e| dataset_error(e.to_string()))?;
    for type_dir in types {
        let kind = file_name(&type_dir);
        for file in crate::image_files(&type_dir).map_err(|e| dataset_error(e.to_string()))? {
            crops.push(crop_outcome(engine, &file, Truth::Attack(kind.clone()))?);
        }
    }
    let mut videos = Vec::new();
    let video_dir = dir.join("video");
    if video_dir.is_dir() {
        let files =
            crate::sorted_paths(&video_dir, is_video).map_err(|e| dataset_error(e.to_string()))?;
        for file in files {
            videos.push(video_outcome(engine, &file)?);
        }
    }
    let crop_rates = rates(
        crops
            .iter()
            .map(|c| (&c.truth, c.accepted, c.source.as_str())),
    );
    let crops_before_recapture = rates(
        crops
            .iter()
            .map(|c| (&c.truth, c.accepted_screen_cues_only, c.source.as_str())),
    );
    let video_rates = rates(
        videos
            .iter()
            .map(|v| (&v.truth, v.accepted, v.file.as_str())),
    );
    let videos_before_recapture = rates(
        videos
            .iter()
            .map(|v| (&v.truth, v.accepted_without_recapture, v.file.as_str())),
    );
    let mut crop_medians = BTreeMap::new();
    for (label, bona) in [("bonaFide", true), ("attack", false)] {
        let pick = |f: fn(&CropOutcome) -> f32| {
            median(
                &crops
                    .iter()
                    .filter(|c| (c.truth == Truth::BonaFide) == bona)
                    .map(|c| f64::from(f(c)))
                    .collect::<Vec<_>>(),
            )
        };
        crop_medians.insert(format!("{label}Moire"), pick(|c| c.moire));
        crop_medians.insert(format!("{label}Specular"), pick(|c| c.specular));
    }
    let distributions = distributions(&crops, &videos);
    let report = PadReport {
        dataset: dir.to_path_buf(),
        distributions,
        crops_not_measurable: (
            crops
                .iter()
                .filter(|c| !c.measurable && c.truth == Truth::BonaFide)
                .count(),
            crops
                .iter()
                .filter(|c| !c.measurable && c.truth != Truth::BonaFide)
                .count(),
        ),
        crops: crop_rates,
        crops_before_recapture,
        videos: video_rates,
        videos_before_recapture,
        crop_medians,
        limits: LIMITS.to_vec(),
        crop_outcomes: crops,
        video_outcomes: videos,
    };
    std::fs::create_dir_all(out_dir).map_err(|source| EvalError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let path = out_dir.join("report.json");
    let json = serde_json::to_vec_pretty(&report).map_err(|e| EvalError::Write {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    std::fs::write(&path, json).map_err(|source| EvalError::Write { path, source })?;
    Ok(report)
}

/// The last component of `path`, as text.
pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether `path` names a video file the decoder reads.
pub(crate) fn is_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e, "webm" | "mp4" | "mkv" | "avi" | "mov"))
}

/// The recording a crop comes from: its file name up to the first `_`.
pub(crate) fn source_group(name: &str) -> String {
    name.split('_').next().unwrap_or_default().to_owned()
}

fn crop_outcome(engine: &FaceEngine, file: &Path, truth: Truth) -> Result<CropOutcome, EvalError> {
    let image = load_image(file)?;
    let found = engine
        .detector(DetectorModel::Short)
        .detect(&image)?
        .into_iter()
        .chain(engine.detector(DetectorModel::Full).detect(&image)?)
        .max_by(|a, b| a.score.total_cmp(&b.score));
    let face = match found {
        Some(f) => FaceBox {
            x: f.bbox.x,
            y: f.bbox.y,
            width: f.bbox.width,
            height: f.bbox.height,
        },
        None => FaceBox {
            x: 0.0,
            y: 0.0,
            width: image.width() as f32,
            height: image.height() as f32,
        },
    };
    let cues = cues::measure(&image, face);
    let result = screen::score(&[cues]);
    let score = result.score.unwrap_or(0.0);
    let screen_grid = dayfusion_liveness::recapture::screen_grid(&image);
    let recapture_score = recapture::score(&Vec::from_iter(screen_grid)).score;
    let accepted_screen_cues_only = score >= PASS_SCORE;
    let name = file_name(file);
    Ok(CropOutcome {
        source: source_group(&name),
        file: name,
        truth,
        face_found: found.is_some(),
        measurable: face.width >= screen::MIN_FACE_PX,
        moire: cues.moire,
        specular: cues.specular,
        edges: cues.edges,
        score,
        screen_grid,
        recapture_score,
        accepted_screen_cues_only,
        accepted: accepted_screen_cues_only && recapture_score.is_none_or(|r| r >= PASS_SCORE),
    })
}

fn video_outcome(engine: &FaceEngine, file: &Path) -> Result<VideoOutcome, EvalError> {
    let name = file_name(file);
    let truth = match name.strip_prefix("attack_") {
        Some(rest) => Truth::Attack(rest.split('_').next().unwrap_or("unknown").to_owned()),
        None => Truth::BonaFide,
    };
    let video_error = |e: dayfusion_liveness::LivenessError| EvalError::Dataset {
        path: file.to_path_buf(),
        reason: e.to_string(),
    };
    let settings = LivenessSettings {
        audit_images_limit: 0,
        ..LivenessSettings::default()
    };
    let mut session = Session::recorded(None, settings).map_err(video_error)?;
    let mut rejected_frames = 0;
    for frame in Frames::open(file).map_err(video_error)? {
        let (t, image) = frame.map_err(video_error)?;
        match session.push(engine, &image, t, None, None) {
            Ok(_) => {}
            Err(dayfusion_liveness::LivenessError::TooManyFrames(_)) => break,
            // One frame the engine cannot use does not end the clip.
            Err(_) => rejected_frames += 1,
        }
    }
    let result = session.finish(engine, false);
    let succeeded = result.status == LivenessStatus::Succeeded;
    Ok(VideoOutcome {
        file: name,
        truth,
        frames: result.frames,
        rejected_frames,
        status: result.status,
        confidence: result.confidence,
        accepted: succeeded && result.confidence >= PASS_SCORE,
        accepted_without_recapture: succeeded
            && confidence::combine_without(&result.checks, CheckKind::Recapture) >= PASS_SCORE,
        checks: result.checks,
        median_frame_ms: result.timings.median_frame_ms,
        finish_ms: result.timings.finish_ms,
    })
}

/// The per-measure distributions of [`PadReport::distributions`].
fn distributions(crops: &[CropOutcome], videos: &[VideoOutcome]) -> Vec<PadDistribution> {
    let label = |truth: &Truth| match truth {
        Truth::BonaFide => "bona-fide".to_owned(),
        Truth::Attack(kind) => kind.clone(),
    };
    let truths = |labels: Vec<String>| {
        labels
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
    };
    let mut out = Vec::new();
    let pass = f64::from(PASS_SCORE);
    type CropMeasure = (&'static str, Option<f64>, fn(&CropOutcome) -> Option<f32>);
    let crop_measures: [CropMeasure; 6] = [
        ("screen-cues", Some(pass), |c| {
            c.measurable.then_some(c.score)
        }),
        ("recapture", Some(pass), |c| c.recapture_score),
        ("screen-grid", Some(recapture::GRID_KNOTS[1].0), |c| {
            c.screen_grid
        }),
        ("moire", None, |c| Some(c.moire)),
        ("specular", None, |c| Some(c.specular)),
        ("edges", None, |c| c.edges),
    ];
    for truth in truths(crops.iter().map(|c| label(&c.truth)).collect()) {
        let group: Vec<&CropOutcome> = crops.iter().filter(|c| label(&c.truth) == truth).collect();
        for (measure, pass_line, pick) in crop_measures {
            let values: Vec<f64> = group
                .iter()
                .filter_map(|c| pick(c))
                .map(f64::from)
                .collect();
            out.push(PadDistribution {
                set: "crops",
                measure: measure.to_owned(),
                truth: truth.clone(),
                pass_line,
                not_applicable: group.len() - values.len(),
                values: Summary::of(&values, pass_line),
            });
        }
    }
    for truth in truths(videos.iter().map(|v| label(&v.truth)).collect()) {
        let group: Vec<&VideoOutcome> =
            videos.iter().filter(|v| label(&v.truth) == truth).collect();
        for check in CheckKind::ALL {
            let values: Vec<f64> = group
                .iter()
                .filter_map(|v| v.checks.iter().find(|c| c.check == check))
                .filter(|c| c.outcome != dayfusion_liveness::Outcome::NotApplicable)
                .filter_map(|c| c.score.map(f64::from))
                .collect();
            out.push(PadDistribution {
                set: "clips",
                measure: check.as_str().to_owned(),
                truth: truth.clone(),
                pass_line: Some(pass),
                not_applicable: group.len() - values.len(),
                values: Summary::of(&values, Some(pass)),
            });
        }
        // The recapture check's raw measure, against the measure's pass line.
        let grid_line = recapture::GRID_KNOTS[1].0;
        let values: Vec<f64> = group
            .iter()
            .filter_map(|v| v.checks.iter().find(|c| c.check == CheckKind::Recapture))
            .filter_map(|c| c.measures.get("gridConsistency").copied())
            .collect();
        out.push(PadDistribution {
            set: "clips",
            measure: "screen-grid".to_owned(),
            truth: truth.clone(),
            pass_line: Some(grid_line),
            not_applicable: group.len() - values.len(),
            values: Summary::of(&values, Some(grid_line)),
        });
    }
    out
}

fn rates<'a>(items: impl Iterator<Item = (&'a Truth, bool, &'a str)>) -> Rates {
    let mut bona = (0, 0);
    let mut apcer: BTreeMap<String, (usize, usize, f64)> = BTreeMap::new();
    let mut sources = std::collections::BTreeSet::new();
    for (truth, accepted, source) in items {
        sources.insert(source.to_owned());
        match truth {
            Truth::BonaFide => {
                bona.0 += 1;
                bona.1 += usize::from(!accepted);
            }
            Truth::Attack(kind) => {
                let e = apcer.entry(kind.clone()).or_insert((0, 0, 0.0));
                e.0 += 1;
                e.1 += usize::from(accepted);
            }
        }
    }
    for e in apcer.values_mut() {
        e.2 = percent(e.1, e.0);
    }
    Rates {
        bona_fide: bona.0,
        bona_fide_rejected: bona.1,
        bpcer: percent(bona.1, bona.0),
        apcer,
        sources: sources.len(),
    }
}
