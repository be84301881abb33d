//! The ONNX models of face engine v2, on both runtimes (tract, and ONNX
//! Runtime from the model pack), against their reference runtimes as
//! recorded in `tests/reference/onnx_reference.json` by
//! `tests/reference/make_onnx_reference.py`: SFace's block-quantized weights
//! folded to fp32 by `dayfusion_face::onnx` against OpenCV running the
//! shipped int8 file, YuNet against onnxruntime's Python package.

mod common;

use common::{TestResult, check_output};
use dayfusion_face::{OnnxBackend, RuntimeChoice, SFace, Yunet};
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

/// tract, and ONNX Runtime where the model pack has its library.
fn backends(test: &str) -> Result<Vec<OnnxBackend>, Box<dyn std::error::Error>> {
    let mut out = vec![OnnxBackend::Tract];
    if let Some(dir) = common::models_dir(test, &[ModelId::OnnxRuntime])? {
        out.push(OnnxBackend::resolve(RuntimeChoice::OnnxRuntime, &dir)?);
    }
    Ok(out)
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
    for backend in backends("reference_sface")? {
        let sface = SFace::load(&dir, false, backend)?;
        assert_eq!(sface.backend(), backend);
        let output = sface.infer_nchw(&pattern(112))?;
        check_output(
            &format!("sface fc1 on {}", backend.as_str()),
            &output,
            &expected["fc1"],
        )?;
    }
    Ok(())
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
    for backend in backends("reference_yunet")? {
        let raw = Yunet::load(&dir, backend)?.infer(&pattern(640))?;
        for (level, stride) in [8, 16, 32].iter().enumerate() {
            for (kind, values) in [
                ("cls", &raw.cls[level]),
                ("obj", &raw.obj[level]),
                ("bbox", &raw.bbox[level]),
                ("kps", &raw.kps[level]),
            ] {
                let name = format!("{kind}_{stride} on {}", backend.as_str());
                check_output(&name, values, &expected[&format!("{kind}_{stride}")])?;
            }
        }
    }
    Ok(())
}
