//! `eval faces DIR`: face matching accuracy and speed on a folder of
//! people (`DIR/<person>/<image>`), for this engine and for the Python
//! `face_recognition` library (dlib) on exactly the same pairs.
//!
//! Every pair of images within a person's folder is a genuine pair; every
//! pair across folders is an impostor pair. An image in which an engine
//! finds no face fails every pair it is in (a rejection). Pairs are also
//! split by colour: both images colour, both greyscale, or mixed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use dayfusion_face::{FaceEngine, FacePolicy, QualityThresholds, load_image};
use serde::Serialize;

use crate::EvalError;
use crate::metrics::{EqualErrorRate, OperatingPoint, Scores, median};
use crate::plot::{Curve, roc_png};

/// Lowest FAR on the ROC plot.
const PLOT_MIN_FAR: f64 = 1e-5;

/// One image of the dataset.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetImage {
    /// Person folder name.
    pub person: String,
    /// The file.
    pub path: PathBuf,
    /// True when every pixel is grey (R = G = B).
    pub greyscale: bool,
}

/// What one engine made of one image. `Debug` leaves the template out.
#[derive(Clone, Default)]
pub struct ImageOutcome {
    /// The template (embedding or encoding), `None` when no face.
    pub template: Option<Vec<f32>>,
    /// Milliseconds from decoded image to template.
    pub ms: f64,
}

impl std::fmt::Debug for ImageOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageOutcome")
            .field("template", &self.template.as_ref().map(Vec::len))
            .field("ms", &self.ms)
            .finish()
    }
}

/// The peer: a Python interpreter with `face_recognition` and the script
/// `infra/eval/face_recognition_peer.py`.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The venv's python.
    pub python: PathBuf,
    /// The peer script.
    pub script: PathBuf,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct FacesEvalOptions {
    /// The dataset folder.
    pub dir: PathBuf,
    /// Where the report, the ROC plot and the peer's files go.
    pub out_dir: PathBuf,
    /// The peer, or `None` to evaluate this engine alone.
    pub peer: Option<Peer>,
}

/// Accuracy on one subset of pairs.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubsetMetrics {
    /// Genuine pairs.
    pub genuine_pairs: usize,
    /// Impostor pairs.
    pub impostor_pairs: usize,
    /// Equal error rate.
    pub eer: EqualErrorRate,
    /// At FAR 1%.
    pub at_far_1: OperatingPoint,
    /// At FAR 0.1%.
    pub at_far_0_1: OperatingPoint,
}

/// One engine's results.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineReport {
    /// Engine and model.
    pub name: String,
    /// How scores were computed.
    pub score: String,
    /// Images in which no face was found.
    pub no_face: usize,
    /// Median milliseconds per image (detect, align, template).
    pub ms_per_image: f64,
    /// Milliseconds per comparison: twice the median per image (the
    /// distance itself takes microseconds).
    pub ms_per_comparison: f64,
    /// All pairs.
    pub all: SubsetMetrics,
    /// Pairs of two colour images.
    pub colour: SubsetMetrics,
    /// Pairs of two greyscale images.
    pub greyscale: SubsetMetrics,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FacesReport {
    /// The dataset folder.
    pub dataset: PathBuf,
    /// People (folders).
    pub people: usize,
    /// Images.
    pub images: usize,
    /// Colour images.
    pub colour_images: usize,
    /// The kiosk's engines (the default first), then the peer when it ran.
    pub engines: Vec<EngineReport>,
    /// Why the peer did not run, when it did not.
    pub peer_skipped: Option<String>,
    /// The ROC plot.
    pub roc_png: PathBuf,
}

/// Lists `dir/<person>/<image>` (JPEG and PNG), sorted.
pub fn scan_dataset(dir: &Path) -> Result<Vec<DatasetImage>, EvalError> {
    let unavailable = |reason: String| EvalError::Dataset {
        path: dir.to_owned(),
        reason,
    };
    let people = crate::sorted_paths(dir, Path::is_dir).map_err(|e| unavailable(e.to_string()))?;
    let mut images = Vec::new();
    for person_dir in people {
        let person = person_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let files = crate::image_files(&person_dir).map_err(|e| unavailable(e.to_string()))?;
        images.extend(files.into_iter().map(|path| DatasetImage {
            person: person.clone(),
            path,
            greyscale: false,
        }));
    }
    if images.is_empty() {
        return Err(unavailable("no person folders with images".to_owned()));
    }
    Ok(images)
}

/// Runs this engine over the images (colour flags are filled in).
pub fn run_engine(
    engine: &FaceEngine,
    images: &mut [DatasetImage],
) -> Result<Vec<ImageOutcome>, EvalError> {
    let total = images.len();
    let mut outcomes = vec![ImageOutcome::default(); total];
    // In pairs, as `compare` embeds the document and the selfie together.
    for (chunk_index, chunk) in images.chunks_mut(2).enumerate() {
        let mut crops = Vec::new();
        let mut owners = Vec::new();
        let mut prep_ms = Vec::new();
        for (i, item) in chunk.iter_mut().enumerate() {
            let index = chunk_index * 2 + i;
            let Ok(image) = load_image(&item.path) else {
                continue;
            };
            item.greyscale = image.pixels().all(|p| p.0[0] == p.0[1] && p.0[1] == p.0[2]);
            let t = Instant::now();
            let prepared = engine
                .find_match_face(&image, FacePolicy::Largest)
                .and_then(|face| engine.prepare(&image, face, &QualityThresholds::SELFIE));
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            outcomes[index].ms = ms;
            if let Ok(prepared) = prepared {
                crops.push(prepared.aligned);
                owners.push(index);
                prep_ms.push(ms);
            }
        }
        if crops.is_empty() {
            continue;
        }
        let t = Instant::now();
        let refs: Vec<&image::RgbImage> = crops.iter().collect();
        let embeddings = engine.embed(&refs)?;
        let embed_share = t.elapsed().as_secs_f64() * 1000.0 / crops.len() as f64;
        for ((index, embedding), ms) in owners.into_iter().zip(embeddings).zip(prep_ms) {
            outcomes[index] = ImageOutcome {
                template: Some(embedding.values().to_vec()),
                ms: ms + embed_share,
            };
        }
        if (chunk_index * 2).is_multiple_of(200) {
            eprintln!("  engine: {} / {total} images", chunk_index * 2);
        }
    }
    Ok(outcomes)
}

#[derive(serde::Deserialize)]
struct PeerOutput {
    library: String,
    results: Vec<PeerResult>,
}

#[derive(serde::Deserialize)]
struct PeerResult {
    encoding: Option<Vec<f32>>,
    detect_ms: Option<f64>,
    encode_ms: Option<f64>,
}

/// Runs the `face_recognition` peer over the images.
pub fn run_peer(
    peer: &Peer,
    images: &[DatasetImage],
    out_dir: &Path,
) -> Result<(String, Vec<ImageOutcome>), EvalError> {
    let list = out_dir.join("peer-images.json");
    let results = out_dir.join("peer-results.json");
    let paths: Vec<&Path> = images.iter().map(|i| i.path.as_path()).collect();
    let json = serde_json::json!({ "images": paths });
    std::fs::write(&list, json.to_string()).map_err(|source| EvalError::Write {
        path: list.clone(),
        source,
    })?;
    let status = Command::new(&peer.python)
        .arg(&peer.script)
        .arg("--images")
        .arg(&list)
        .arg("--out")
        .arg(&results)
        .status()
        .map_err(|e| EvalError::Peer(format!("could not start {}: {e}", peer.python.display())))?;
    if !status.success() {
        return Err(EvalError::Peer(format!(
            "the peer script exited with {status}"
        )));
    }
    let text = std::fs::read_to_string(&results)
        .map_err(|e| EvalError::Peer(format!("no results: {e}")))?;
    // The peer's files hold a template per image: gone once read.
    let _ = std::fs::remove_file(&results);
    let _ = std::fs::remove_file(&list);
    let output: PeerOutput =
        serde_json::from_str(&text).map_err(|e| EvalError::Peer(format!("bad results: {e}")))?;
    if output.results.len() != images.len() {
        return Err(EvalError::Peer(
            "results do not match the images".to_owned(),
        ));
    }
    let outcomes = output
        .results
        .into_iter()
        .map(|r| ImageOutcome {
            template: r.encoding,
            ms: r.detect_ms.unwrap_or(0.0) + r.encode_ms.unwrap_or(0.0),
        })
        .collect();
    Ok((output.library, outcomes))
}

/// How two templates compare (higher is more alike).
#[derive(Debug, Clone, Copy)]
pub enum Similarity {
    /// Cosine of unit vectors.
    Cosine,
    /// Negated Euclidean distance (face_recognition's `face_distance`).
    NegEuclidean,
}

impl Similarity {
    fn of(self, a: &[f32], b: &[f32]) -> f64 {
        if a.len() != b.len() {
            return f64::NAN;
        }
        match self {
            Similarity::Cosine => a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum(),
            Similarity::NegEuclidean => -a
                .iter()
                .zip(b)
                .map(|(x, y)| f64::from(x - y).powi(2))
                .sum::<f64>()
                .sqrt(),
        }
    }
}

/// All-pairs scores: (all, colour-colour, grey-grey).
pub fn pair_scores(
    images: &[DatasetImage],
    outcomes: &[ImageOutcome],
    similarity: Similarity,
) -> [Scores; 3] {
    let mut g = [Vec::new(), Vec::new(), Vec::new()];
    let mut i_ = [Vec::new(), Vec::new(), Vec::new()];
    for a in 0..images.len() {
        for b in a + 1..images.len() {
            let score = match (&outcomes[a].template, &outcomes[b].template) {
                (Some(x), Some(y)) => similarity.of(x, y),
                _ => f64::NAN,
            };
            let genuine = images[a].person == images[b].person;
            let (ga, gb) = (images[a].greyscale, images[b].greyscale);
            let subset = match (ga, gb) {
                (false, false) => Some(1),
                (true, true) => Some(2),
                _ => None,
            };
            let bucket = if genuine { &mut g } else { &mut i_ };
            bucket[0].push(score);
            if let Some(s) = subset {
                bucket[s].push(score);
            }
        }
    }
    let [g0, g1, g2] = g;
    let [i0, i1, i2] = i_;
    [
        Scores::new(g0, i0),
        Scores::new(g1, i1),
        Scores::new(g2, i2),
    ]
}

fn subset_metrics(scores: &Scores) -> SubsetMetrics {
    SubsetMetrics {
        genuine_pairs: scores.genuine_count(),
        impostor_pairs: scores.impostor_count(),
        eer: scores.eer(),
        at_far_1: scores.at_far(0.01),
        at_far_0_1: scores.at_far(0.001),
    }
}

fn engine_report(
    name: String,
    similarity: Similarity,
    images: &[DatasetImage],
    outcomes: &[ImageOutcome],
) -> (EngineReport, Vec<(f64, f64)>) {
    let [all, colour, greyscale] = pair_scores(images, outcomes, similarity);
    let times: Vec<f64> = outcomes
        .iter()
        .filter(|o| o.template.is_some())
        .map(|o| o.ms)
        .collect();
    let ms_per_image = median(&times);
    let roc = all.roc(PLOT_MIN_FAR, 60);
    let report = EngineReport {
        name,
        score: match similarity {
            Similarity::Cosine => "cosine similarity".to_owned(),
            Similarity::NegEuclidean => "negated Euclidean distance".to_owned(),
        },
        no_face: outcomes.iter().filter(|o| o.template.is_none()).count(),
        ms_per_image,
        ms_per_comparison: 2.0 * ms_per_image,
        all: subset_metrics(&all),
        colour: subset_metrics(&colour),
        greyscale: subset_metrics(&greyscale),
    };
    (report, roc)
}

/// Runs the evaluation of every engine in `engines` (in order; the kiosk's
/// own first) and the peer, and writes `report.json` and `roc.png` into the
/// output folder.
pub fn evaluate(
    engines: &[&FaceEngine],
    options: &FacesEvalOptions,
) -> Result<FacesReport, EvalError> {
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| EvalError::Write { path, source }
    };
    std::fs::create_dir_all(&options.out_dir).map_err(write_err(&options.out_dir))?;
    let mut images = scan_dataset(&options.dir)?;
    eprintln!("eval faces: {} images", images.len());
    let mut reports = Vec::new();
    let mut curves = Vec::new();
    for engine in engines {
        let outcomes = run_engine(engine, &mut images)?;
        let (report, roc) = engine_report(
            format!("dayfusion ({})", engine.embedder().name()),
            Similarity::Cosine,
            &images,
            &outcomes,
        );
        curves.push(Curve {
            label: report.name.clone(),
            points: roc,
        });
        reports.push(report);
    }
    let mut peer_skipped = None;
    match &options.peer {
        Some(peer) => match run_peer(peer, &images, &options.out_dir) {
            Ok((library, outcomes)) => {
                let (peer_report, roc) =
                    engine_report(library, Similarity::NegEuclidean, &images, &outcomes);
                curves.push(Curve {
                    label: peer_report.name.clone(),
                    points: roc,
                });
                reports.push(peer_report);
            }
            Err(e) => peer_skipped = Some(e.to_string()),
        },
        None => peer_skipped = Some("not requested".to_owned()),
    }
    let people: BTreeMap<&str, ()> = images.iter().map(|i| (i.person.as_str(), ())).collect();
    let roc_path = options.out_dir.join("roc.png");
    roc_png(&roc_path, "Face matching ROC", &curves, PLOT_MIN_FAR)?;
    let full = FacesReport {
        dataset: options.dir.clone(),
        people: people.len(),
        images: images.len(),
        colour_images: images.iter().filter(|i| !i.greyscale).count(),
        engines: reports,
        peer_skipped,
        roc_png: roc_path,
    };
    let json_path = options.out_dir.join("report.json");
    let json = serde_json::to_string_pretty(&full).unwrap_or_default();
    std::fs::write(&json_path, json).map_err(write_err(&json_path))?;
    Ok(full)
}
