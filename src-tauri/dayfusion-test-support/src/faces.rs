//! The face engine and the registry-shipped test photos, for tests that
//! run real faces through the real models; both skip (with the command
//! that fetches them) when absent.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use dayfusion_face::FaceEngine;
use dayfusion_models::FileState;
use image::RgbImage;

/// The face engine on the default model pack, loaded once per test binary;
/// `None` (after saying why) when the pack is incomplete.
pub fn engine(test: &str) -> Option<Arc<FaceEngine>> {
    static ENGINE: OnceLock<Option<Arc<FaceEngine>>> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        let dir = dayfusion_models::default_dir().ok()?;
        // The default pack (an entry outside it, MobileFaceNet, is not
        // needed by the engine).
        let all_ok = dayfusion_models::inspect(&dir)
            .ok()?
            .iter()
            .filter(|c| c.id.spec().in_default_pack)
            .all(|c| matches!(c.state, FileState::Ok { .. }));
        if !all_ok {
            return None;
        }
        FaceEngine::load(&dir).ok().map(Arc::new)
    });
    if engine.is_none() {
        eprintln!("SKIP {test}: face models missing (run `dayfusion models fetch`)");
    }
    engine.clone()
}

/// Where the registry-shipped test photos are (`target/test-images`, or
/// `DAYFUSION_TEST_IMAGES`).
pub fn test_images_dir() -> PathBuf {
    std::env::var_os("DAYFUSION_TEST_IMAGES")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images")
        })
}

/// A test photo by its path under [`test_images_dir`], or `None` (after
/// saying why).
pub fn photo(test: &str, name: &str) -> Option<RgbImage> {
    let path = test_images_dir().join(name);
    match dayfusion_face::load_image(&path) {
        Ok(image) => Some(image),
        Err(_) => {
            eprintln!(
                "SKIP {test}: {} missing (run src-tauri/dayfusion-face/tests/fetch-test-images.sh)",
                path.display()
            );
            None
        }
    }
}
