//! tract's outputs (with the project's load-time rewrites: fp16
//! `DEQUANTIZE` folding and `PRELU`), and ONNX Runtime's on the graphs
//! translated to ONNX, against the TFLite runtime's, recorded
//! in `tests/reference/tflite_reference.json` by
//! `tests/reference/make_reference.py`.

mod common;

use common::{TestResult, check_output};
use dayfusion_face::{
    DetectorModel, FaceDetector, FaceMesher, MobileFaceNet, OnnxBackend, RuntimeChoice,
};
use dayfusion_models::ModelId;
use serde_json::Value;

const REFERENCE: &str = include_str!("reference/tflite_reference.json");

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

/// The models folder and the backend to test on: tract always; ONNX
/// Runtime when the pack has its library (`None`, after saying why, when
/// it does not).
fn set_up(
    test: &str,
    model: ModelId,
    backend: OnnxBackend,
) -> Result<Option<std::path::PathBuf>, Box<dyn std::error::Error>> {
    let Some(dir) = common::models_dir(test, &[model])? else {
        return Ok(None);
    };
    if backend == OnnxBackend::OnnxRuntime {
        if common::models_dir(test, &[ModelId::OnnxRuntime])?.is_none() {
            return Ok(None);
        }
        OnnxBackend::resolve(RuntimeChoice::OnnxRuntime, &dir)?;
    }
    Ok(Some(dir))
}

fn check_model(model: DetectorModel, key: &str, backend: OnnxBackend) -> TestResult {
    let test = format!("reference_{key}_{}", backend.as_str());
    let Some(dir) = set_up(&test, model.model_id(), backend)? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"][key];
    let detector = FaceDetector::load(&dir, model, backend)?;
    assert_eq!(detector.backend(), backend);
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
    check_model(DetectorModel::Short, "blazeface-short", OnnxBackend::Tract)
}

#[test]
fn blazeface_full_matches_the_tflite_runtime() -> TestResult {
    check_model(DetectorModel::Full, "blazeface-full", OnnxBackend::Tract)
}

/// The `.tflite` graphs translated to ONNX (`tflite_onnx`) and run on ONNX
/// Runtime give what the TFLite runtime gives.
#[test]
fn blazeface_short_translated_to_onnx_matches_the_tflite_runtime() -> TestResult {
    check_model(
        DetectorModel::Short,
        "blazeface-short",
        OnnxBackend::OnnxRuntime,
    )
}

#[test]
fn blazeface_full_translated_to_onnx_matches_the_tflite_runtime() -> TestResult {
    check_model(
        DetectorModel::Full,
        "blazeface-full",
        OnnxBackend::OnnxRuntime,
    )
}

fn check_mesh(backend: OnnxBackend) -> TestResult {
    let test = format!("reference_face_mesh_{}", backend.as_str());
    let Some(dir) = set_up(&test, ModelId::FaceMesh, backend)? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    let expected = &reference["models"]["face-mesh"];
    let mesher = FaceMesher::load(&dir, backend)?;
    assert_eq!(mesher.backend(), backend);
    let (landmarks, logit) = mesher.infer_nhwc(&pattern(192, 1))?;
    check_output("face-mesh landmarks", &landmarks, &expected["landmarks"])?;
    check_output("face-mesh flag", &[logit], &expected["face_flag"])?;
    Ok(())
}

#[test]
fn face_mesh_with_prelu_matches_the_tflite_runtime() -> TestResult {
    check_mesh(OnnxBackend::Tract)
}

#[test]
fn face_mesh_translated_to_onnx_matches_the_tflite_runtime() -> TestResult {
    check_mesh(OnnxBackend::OnnxRuntime)
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

/// The translation itself, run by tract's ONNX front end rather than ONNX
/// Runtime: the translated graphs compute what the TFLite runtime does,
/// checked wherever the tests run (with or without ONNX Runtime's library).
#[test]
fn translated_onnx_graphs_run_on_tract_match_the_tflite_runtime() -> TestResult {
    use tract_onnx::prelude::{
        DatumType, Framework, InferenceFact, InferenceModelExt, IntoRunnable, Tensor, tvec,
    };
    let models = [
        (
            ModelId::FaceMesh,
            "face-mesh",
            192,
            ["landmarks", "face_flag"],
        ),
        (
            ModelId::BlazefaceShort,
            "blazeface-short",
            128,
            ["regressors", "logits"],
        ),
        (
            ModelId::BlazefaceFull,
            "blazeface-full",
            192,
            ["regressors", "logits"],
        ),
    ];
    let ids: Vec<ModelId> = models.iter().map(|m| m.0).collect();
    let Some(dir) = common::models_dir("translated_onnx_on_tract", &ids)? else {
        return Ok(());
    };
    let reference: Value = serde_json::from_str(REFERENCE)?;
    for (id, key, size, outputs) in models {
        let proto =
            dayfusion_face::tflite_onnx::tflite_to_onnx(&dayfusion_models::read(&dir, id)?)?;
        let plan = tract_onnx::onnx()
            .model_for_proto_model(&proto)?
            .with_input_fact(
                0,
                InferenceFact::dt_shape(DatumType::F32, [1, size, size, 3]),
            )?
            .into_optimized()?
            .into_runnable()?;
        let input = Tensor::from_shape(&[1, size, size, 3], &pattern(size, 1))?;
        let results = plan.run(tvec!(input.into()))?;
        assert_eq!(results.len(), 2, "{key}");
        for (result, output) in results.iter().zip(outputs) {
            let values: Vec<f32> = result
                .to_plain_array_view::<f32>()?
                .iter()
                .copied()
                .collect();
            check_output(
                &format!("{key} {output} (ONNX on tract)"),
                &values,
                &reference["models"][key][output],
            )?;
        }
    }
    Ok(())
}
