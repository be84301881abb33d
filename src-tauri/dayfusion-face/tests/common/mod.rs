//! Helpers shared by the integration tests: find the model pack and the
//! registry-shipped test photos, or say why a test is skipped.

#![allow(dead_code)]

use std::path::PathBuf;

use dayfusion_models::{FileState, ModelId};

/// Boxed error for `?` in tests.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The models [`dayfusion_face::FaceEngine::load`] needs.
pub const ENGINE_MODELS: [ModelId; 5] = [
    ModelId::BlazefaceShort,
    ModelId::BlazefaceFull,
    ModelId::FaceMesh,
    ModelId::Yunet,
    ModelId::Sface,
];

/// The models folder when every model in `ids` is present; `None` (after
/// printing why) when one is missing, e.g. in a fresh clone without
/// `make setup`. A model present with the wrong SHA-256 is an error.
pub fn models_dir(
    test: &str,
    ids: &[ModelId],
) -> Result<Option<PathBuf>, Box<dyn std::error::Error>> {
    let dir = dayfusion_models::default_dir()?;
    for check in dayfusion_models::inspect(&dir)? {
        if !ids.contains(&check.id) {
            continue;
        }
        match check.state {
            FileState::Ok { .. } => {}
            FileState::Missing => {
                let fetch = if check.id.spec().in_default_pack {
                    "dayfusion models fetch".to_owned()
                } else {
                    format!("dayfusion models fetch --with {}", check.id)
                };
                eprintln!(
                    "SKIP {test}: model {} not found in {} (run `{fetch}`, or set DAYFUSION_MODELS_DIR)",
                    check.id,
                    dir.display()
                );
                return Ok(None);
            }
            FileState::Corrupt { actual } => {
                return Err(format!(
                    "model {} in {} has sha256 {actual}",
                    check.id,
                    dir.display()
                )
                .into());
            }
        }
    }
    Ok(Some(dir))
}

/// Folder of the registry-shipped test photos (`target/test-images`, filled
/// by `tests/fetch-test-images.sh`); `DAYFUSION_TEST_IMAGES` overrides it.
pub fn test_images_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DAYFUSION_TEST_IMAGES").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    // CARGO_MANIFEST_DIR is src-tauri/dayfusion-face; target/ is at the root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images")
}

/// A test photo by file name; `None` (after printing why) when absent.
pub fn test_image(test: &str, name: &str) -> Option<PathBuf> {
    let path = test_images_dir().join(name);
    if path.is_file() {
        Some(path)
    } else {
        eprintln!(
            "SKIP {test}: test image {} not found (run src-tauri/dayfusion-face/tests/fetch-test-images.sh)",
            path.display()
        );
        None
    }
}

/// Largest difference accepted per value (absolute below 1, relative above).
pub const TOLERANCE: f64 = 1e-3;

pub fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= TOLERANCE * expected.abs().max(1.0)
}

/// Checks `actual` against a summary of the reference runtime's output
/// (first values, sums, extremes, argmax) within [`TOLERANCE`].
pub fn check_output(name: &str, actual: &[f32], expected: &serde_json::Value) -> TestResult {
    let first = expected["first"].as_array().ok_or("no first")?;
    for (i, e) in first.iter().enumerate() {
        let e = e.as_f64().ok_or("not a number")?;
        let a = f64::from(*actual.get(i).ok_or("output too short")?);
        assert!(close(a, e), "{name}[{i}]: ours {a}, reference {e}");
    }
    let sum: f64 = actual.iter().map(|v| f64::from(*v)).sum();
    let abs_sum: f64 = actual.iter().map(|v| f64::from(*v).abs()).sum();
    let max = actual.iter().copied().fold(f32::MIN, f32::max);
    let min = actual.iter().copied().fold(f32::MAX, f32::min);
    let n = actual.len() as f64;
    // Sums: the mean difference per value must stay within the tolerance.
    for (what, a, key) in [("sum", sum, "sum"), ("abs_sum", abs_sum, "abs_sum")] {
        let e = expected[key].as_f64().ok_or("no sum")?;
        assert!(
            (a - e).abs() / n <= TOLERANCE,
            "{name} {what}: ours {a}, reference {e}"
        );
    }
    for (what, a, key) in [("max", max, "max"), ("min", min, "min")] {
        let e = expected[key].as_f64().ok_or("no max/min")?;
        assert!(
            close(f64::from(a), e),
            "{name} {what}: ours {a}, reference {e}"
        );
    }
    let argmax = actual
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, _)| i as u64);
    assert_eq!(argmax, expected["argmax"].as_u64(), "{name} argmax");
    Ok(())
}
