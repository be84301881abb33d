//! tract's outputs for the ONNX models of face engine v2 against their
//! reference runtimes, recorded in `tests/reference/onnx_reference.json` by
//! `tests/reference/make_onnx_reference.py`: SFace's block-quantized weights
//! folded to fp32 by `dayfusion_face::onnx` against OpenCV running the
//! shipped int8 file, YuNet against onnxruntime.

mod common;

use common::{TestResult, check_output};
use dayfusion_face::{SFace, Yunet};
use dayfusion_models::ModelId;
use serde_json::Value;

const REFERENCE: &str = include_str!("reference/onnx_reference.json");

/// The input `make_onnx_reference.py` uses: channel-first, batch 1,
/// p = (7x + 13y + 61c) mod 256.
fn pattern(size: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(3 * size * size);
    for c in 0..3 {
        for y in 0..size {
            for x in 0..size {
                out.push(((7 * x + 13 * y + 61 * c) % 256) as f32);
            }
        }
    }
    out
}

#[test]
fn sface_folded_to_fp32_matches_opencv_on_the_int8_file() -> TestResult {
    let Some(dir) = common::models_dir("reference_sface", &[ModelId::Sface])? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"]["sface"];
    assert_eq!(
        expected["sha256"].as_str(),
        Some(ModelId::Sface.spec().sha256)
    );
    let sface = SFace::load(&dir, false)?;
    let output = sface.infer_nchw(&pattern(112))?;
    check_output("sface fc1", &output, &expected["fc1"])
}

#[test]
fn yunet_matches_onnxruntime() -> TestResult {
    let Some(dir) = common::models_dir("reference_yunet", &[ModelId::Yunet])? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"]["yunet"];
    assert_eq!(
        expected["sha256"].as_str(),
        Some(ModelId::Yunet.spec().sha256)
    );
    let raw = Yunet::load(&dir)?.infer(&pattern(640))?;
    for (level, stride) in [8, 16, 32].iter().enumerate() {
        for (kind, values) in [
            ("cls", &raw.cls[level]),
            ("obj", &raw.obj[level]),
            ("bbox", &raw.bbox[level]),
            ("kps", &raw.kps[level]),
        ] {
            let name = format!("{kind}_{stride}");
            check_output(&name, values, &expected[&name])?;
        }
    }
    Ok(())
}
