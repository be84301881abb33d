//! The face engine v2 on its two ONNX runtimes: tract and ONNX Runtime (the
//! model pack's library) find the same faces and give the same similarity
//! on real photos, so the calibration holds on either. Skips with a message
//! when the photos, the model pack or its ONNX Runtime library are absent.

mod common;

use common::TestResult;
use dayfusion_face::{
    FaceEngine, FacePolicy, Matcher, OnnxBackend, QualityThresholds, RuntimeChoice, load_image,
};
use dayfusion_models::ModelId;

#[test]
fn tract_and_onnx_runtime_agree_on_real_photos() -> TestResult {
    let test = "tract_and_onnx_runtime_agree_on_real_photos";
    let Some(dir) = common::models_dir(test, &common::ENGINE_MODELS)? else {
        return Ok(());
    };
    if common::models_dir(test, &[ModelId::OnnxRuntime])?.is_none() {
        return Ok(());
    }
    let mut photos = Vec::new();
    for name in ["obama.jpg", "obama2.jpg", "biden.jpg"] {
        let Some(path) = common::test_image(test, &format!("face_recognition/{name}")) else {
            return Ok(());
        };
        photos.push(load_image(&path)?);
    }
    let tract = FaceEngine::load_with_runtime(&dir, Matcher::SfaceV2, RuntimeChoice::Tract)?;
    let ort = FaceEngine::load_with_runtime(&dir, Matcher::SfaceV2, RuntimeChoice::OnnxRuntime)?;
    assert_eq!(tract.backend(), OnnxBackend::Tract);
    assert_eq!(ort.backend(), OnnxBackend::OnnxRuntime);

    let mut embeddings = [Vec::new(), Vec::new()];
    for (engine, out) in [&tract, &ort].into_iter().zip(&mut embeddings) {
        for photo in &photos {
            let face = engine.find_match_face(photo, FacePolicy::Largest)?;
            let prepared = engine.prepare(photo, face, &QualityThresholds::SELFIE)?;
            out.push((face, engine.embed(&[&prepared.aligned])?.remove(0)));
        }
    }
    let [on_tract, on_ort] = &embeddings;
    for ((face_t, emb_t), (face_o, emb_o)) in on_tract.iter().zip(on_ort) {
        // The same five points (YuNet) to a fraction of a pixel...
        for (a, b) in face_t
            .keypoints
            .points()
            .iter()
            .zip(face_o.keypoints.points())
        {
            assert!(
                (a.x - b.x).abs() < 0.5 && (a.y - b.y).abs() < 0.5,
                "{a:?} vs {b:?}"
            );
        }
        // ...and the same embedding (SFace).
        let same = emb_t.cosine(emb_o);
        assert!(same > 0.9999, "one photo on two runtimes: cosine {same}");
    }
    // Pairwise similarities agree within 1e-3 on either runtime.
    for (i, j) in [(0, 1), (0, 2), (1, 2)] {
        let t = on_tract[i].1.cosine(&on_tract[j].1);
        let o = on_ort[i].1.cosine(&on_ort[j].1);
        assert!(
            (t - o).abs() < 1e-3,
            "pair {i}-{j}: tract {t}, onnxruntime {o}"
        );
    }
    Ok(())
}
