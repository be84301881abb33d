#![allow(missing_docs)]
//! Per-frame analysis cost and `finish` time on a 640x480 frame built from
//! a registry-shipped photo. Skips when the models or photo are absent.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use dayfusion_face::FaceEngine;
use dayfusion_liveness::{LivenessSettings, Session};
use image::{RgbImage, imageops};

fn scene() -> Option<RgbImage> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-images/face_recognition/obama.jpg");
    let photo = dayfusion_face::load_image(&path).ok()?;
    let mut frame = RgbImage::from_pixel(640, 480, image::Rgb([90, 90, 90]));
    let face = imageops::resize(&photo, 320, 240, imageops::FilterType::Triangle);
    imageops::overlay(&mut frame, &face, 160, 120);
    Some(frame)
}

fn bench(c: &mut Criterion) {
    let Ok(dir) = dayfusion_models::default_dir() else {
        return;
    };
    let (Ok(engine), Some(frame)) = (FaceEngine::load(&dir), scene()) else {
        eprintln!("SKIP liveness bench: models or test photo missing (make setup)");
        return;
    };
    let mut session = match Session::recorded(None, LivenessSettings::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("SKIP liveness bench: {e}");
            return;
        }
    };
    let mut t = 0.0;
    c.bench_function("liveness push_frame 640x480", |b| {
        b.iter(|| {
            t += 66.7;
            black_box(session.push(&engine, &frame, t, None, None).ok());
        })
    });
    c.bench_function("liveness finish (150 frames, 2 audit images)", |b| {
        b.iter_batched(
            || {
                let mut s = Session::recorded(None, LivenessSettings::default()).ok()?;
                for i in 0..150 {
                    // A new frame each time (integrity counts exact repeats).
                    let mut f = frame.clone();
                    f.put_pixel(0, 0, image::Rgb([i as u8, 0, 0]));
                    s.push(&engine, &f, f64::from(i) * 66.7, None, None).ok()?;
                }
                Some(s)
            },
            |s| black_box(s.map(|s| s.finish(false))),
            criterion::BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
