//! Evaluation of the face engine, GUI-free and driven by `dayfusion eval`.
//!
//! [`metrics`] turns genuine and impostor scores into EER and TAR at fixed
//! FAR; [`plot`] draws ROC curves; [`faces`] runs the engine (and the
//! `face_recognition` peer) over a folder of people and reports both;
//! [`portraits`] finds holder portraits on documents; [`pad`] measures the
//! liveness engine against presentation attacks (APCER, BPCER) on real
//! recordings; [`attacks`] runs attack species made from real material
//! through live sessions of the engine; [`stats`] gives their confidence
//! intervals and score distributions.

pub mod attacks;
pub mod faces;
pub mod metrics;
pub mod pad;
pub mod plot;
pub mod portraits;
pub mod stats;

/// The entries directly in `dir` that `keep` accepts, sorted.
pub(crate) fn sorted_paths(
    dir: &std::path::Path,
    keep: impl Fn(&std::path::Path) -> bool,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| keep(p))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The JPEG and PNG files directly in `dir`, sorted.
pub(crate) fn image_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    sorted_paths(dir, |p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
    })
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The dataset folder is missing or unreadable.
    #[error("evaluation data unavailable at {path}: {reason}")]
    Dataset {
        /// The folder.
        path: std::path::PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Writing a report failed.
    #[error("could not write {path}: {source}")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The face engine failed as a whole (models missing, say).
    #[error(transparent)]
    Face(#[from] dayfusion_face::FaceError),
    /// The peer (Python `face_recognition`) failed.
    #[error("face_recognition peer failed: {0}")]
    Peer(String),
    /// Drawing the plot failed.
    #[error("could not draw the plot: {0}")]
    Plot(String),
}
