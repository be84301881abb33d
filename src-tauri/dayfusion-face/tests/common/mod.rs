//! Helpers shared by the integration tests: find the model pack and the
//! registry-shipped test photos, or say why a test is skipped.

#![allow(dead_code)]

use std::path::PathBuf;

use dayfusion_models::{FileState, ModelId};

/// Boxed error for `?` in tests.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

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
                eprintln!(
                    "SKIP {test}: model {} not found in {} (run `dayfusion models fetch`, or set DAYFUSION_MODELS_DIR)",
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
