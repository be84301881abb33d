//! tract's outputs (with the project's load-time rewrites: fp16
//! `DEQUANTIZE` folding and `PRELU`) against the TFLite runtime's, recorded
//! in `tests/reference/tflite_reference.json` by
//! `tests/reference/make_reference.py`.

mod common;

use common::TestResult;
use dayfusion_face::{DetectorModel, FaceDetector, FaceMesher, MobileFaceNet};
use dayfusion_models::ModelId;
use serde_json::Value;

const REFERENCE: &str = include_str!("reference/tflite_reference.json");
/// Largest difference accepted per value (absolute below 1, relative above).
const TOLERANCE: f64 = 1e-3;

/// The input `make_reference.py` uses: p = (7x + 13y + 61c + 97b) mod 256,
/// scaled to p / 127.5 - 1 in f32.
fn pattern(size: usize, batch: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(batch * size * size * 3);
    for b in 0..batch {
        for y in 0..size {
            for x in 0..size {
                for c in 0..3 {
                    let p = ((7 * x + 13 * y + 61 * c + 97 * b) % 256) as f32;
                    out.push(p / 127.5 - 1.0);
                }
            }
        }
    }
    out
}

fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= TOLERANCE * expected.abs().max(1.0)
}

fn check_output(name: &str, actual: &[f32], expected: &Value) -> TestResult {
    let first = expected["first"].as_array().ok_or("no first")?;
    for (i, e) in first.iter().enumerate() {
        let e = e.as_f64().ok_or("not a number")?;
        let a = f64::from(*actual.get(i).ok_or("output too short")?);
        assert!(close(a, e), "{name}[{i}]: tract {a}, tflite {e}");
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
            "{name} {what}: tract {a}, tflite {e}"
        );
    }
    for (what, a, key) in [("max", max, "max"), ("min", min, "min")] {
        let e = expected[key].as_f64().ok_or("no max/min")?;
        assert!(
            close(f64::from(a), e),
            "{name} {what}: tract {a}, tflite {e}"
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

fn check_model(model: DetectorModel, key: &str) -> TestResult {
    let test = format!("reference_{key}");
    let Some(dir) = common::models_dir(&test, &[model.model_id()])? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"][key];
    let detector = FaceDetector::load(&dir, model)?;
    let size = model.input_size() as usize;
    assert_eq!(expected["input_size"].as_u64(), Some(size as u64));
    let raw = detector.infer_nhwc(&pattern(size, 1))?;
    check_output(
        &format!("{key} regressors"),
        &raw.regressors,
        &expected["regressors"],
    )?;
    check_output(&format!("{key} logits"), &raw.logits, &expected["logits"])?;
    Ok(())
}

#[test]
fn blazeface_short_matches_the_tflite_runtime() -> TestResult {
    check_model(DetectorModel::Short, "blazeface-short")
}

#[test]
fn blazeface_full_matches_the_tflite_runtime() -> TestResult {
    check_model(DetectorModel::Full, "blazeface-full")
}

#[test]
fn face_mesh_with_prelu_matches_the_tflite_runtime() -> TestResult {
    let Some(dir) = common::models_dir("reference_face_mesh", &[ModelId::FaceMesh])? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"]["face-mesh"];
    let mesher = FaceMesher::load(&dir)?;
    let (landmarks, logit) = mesher.infer_nhwc(&pattern(192, 1))?;
    check_output("face-mesh landmarks", &landmarks, &expected["landmarks"])?;
    check_output("face-mesh flag", &[logit], &expected["face_flag"])?;
    Ok(())
}

#[test]
fn mobilefacenet_matches_the_tflite_runtime() -> TestResult {
    let Some(dir) = common::models_dir("reference_mobilefacenet", &[ModelId::Mobilefacenet])?
    else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"]["mobilefacenet"];
    let embedder = MobileFaceNet::load(&dir)?;
    let rows = embedder.infer_nhwc(&pattern(112, 2))?;
    let flat: Vec<f32> = rows.concat();
    check_output("mobilefacenet embeddings", &flat, &expected["embeddings"])?;
    Ok(())
}
