//! Speed of the face engine on this machine: detection (both models), face
//! mesh, embedding and a full document-vs-selfie `compare`, with models
//! loaded. Needs the model pack and the test photos
//! (`tests/fetch-test-images.sh`); skips with a message without them.
//!
//! `cargo bench -p dayfusion-face --bench face`

// criterion's macros generate the undocumented `face` and `main`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use dayfusion_face::{DetectorModel, FaceEngine, FacePolicy, QualityThresholds, load_image};
use image::RgbImage;
use image::imageops::{self, FilterType};

fn test_image(name: &str) -> Option<RgbImage> {
    let dir = std::env::var_os("DAYFUSION_TEST_IMAGES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-images")
        });
    load_image(&dir.join(name)).ok()
}

/// A plain card with the photo pasted on it, as a document stand-in.
fn card(photo: &RgbImage) -> RgbImage {
    let mut card = RgbImage::from_pixel(1000, 630, image::Rgb([210, 220, 230]));
    let portrait = imageops::resize(
        photo,
        300,
        300 * photo.height() / photo.width().max(1),
        FilterType::Triangle,
    );
    imageops::overlay(&mut card, &portrait, 60, 150);
    card
}

fn benches(c: &mut Criterion) {
    let engine = dayfusion_models::default_dir()
        .ok()
        .and_then(|dir| FaceEngine::load(&dir).ok());
    let (Some(engine), Some(selfie), Some(doc_face)) = (
        engine,
        test_image("face_recognition/obama.jpg"),
        test_image("face_recognition/obama3.jpg"),
    ) else {
        eprintln!(
            "SKIP benches: model pack or test photos missing (make setup; tests/fetch-test-images.sh)"
        );
        return;
    };
    // A 640x480 camera frame.
    let frame = imageops::resize(&selfie, 640, 480, FilterType::Triangle);
    let document = card(&doc_face);
    let Ok(face) = engine.find_face(&frame, FacePolicy::Single) else {
        eprintln!("SKIP benches: no face in the frame");
        return;
    };
    let mut group = c.benchmark_group("face");
    group.sample_size(30);
    group.bench_function("detect short range 640x480", |b| {
        b.iter(|| {
            engine
                .detector(DetectorModel::Short)
                .detect(black_box(&frame))
        })
    });
    let input128 = vec![0.1f32; 128 * 128 * 3];
    group.bench_function("short range model only (128x128 input)", |b| {
        b.iter(|| {
            engine
                .detector(DetectorModel::Short)
                .infer_nhwc(black_box(&input128))
        })
    });
    group.bench_function("detect full range 640x480", |b| {
        b.iter(|| {
            engine
                .detector(DetectorModel::Full)
                .detect(black_box(&frame))
        })
    });
    group.bench_function("face mesh (crop + model + measures)", |b| {
        b.iter(|| engine.mesher().mesh(black_box(&frame), black_box(&face)))
    });
    group.bench_function(
        "liveness embedding (YuNet near the face, one SFace view)",
        |b| b.iter(|| engine.embed_liveness(black_box(&frame), black_box(&face))),
    );
    let Ok(match_face) = engine.find_match_face(&frame, FacePolicy::Single) else {
        eprintln!("SKIP benches: YuNet found no face in the frame");
        return;
    };
    let Ok(matched) = engine.prepare(&frame, match_face, &QualityThresholds::SELFIE) else {
        return;
    };
    group.bench_function("detect YuNet 640x480 (five points)", |b| {
        b.iter(|| engine.find_match_face(black_box(&frame), FacePolicy::Single))
    });
    group.bench_function("embed 1 aligned face (SFace, the kiosk's matcher)", |b| {
        b.iter(|| engine.embed(black_box(&[&matched.aligned])))
    });
    group.bench_function("compare document 1000x630 vs selfie 640x480", |b| {
        b.iter(|| engine.compare(black_box(&document), black_box(&frame)))
    });
    group.finish();
}

criterion_group!(face, benches);
criterion_main!(face);
