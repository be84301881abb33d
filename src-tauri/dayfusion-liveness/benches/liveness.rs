#![allow(missing_docs)]
//! Per-frame analysis cost and `finish` time on 640x480 frames built from a
//! registry-shipped photo (face about 40% of the frame width, swaying
//! slightly, so the detector, mesh, embedder and cue schedules run as in a
//! capture), and the whole-frame recapture measure alone. Skips when the
//! models or photo are absent.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use dayfusion_face::{DetectorModel, FaceEngine};
use dayfusion_liveness::{LivenessSettings, Session};
use image::{Rgb, RgbImage, imageops};

/// Thirty frames: the photo's face scaled to 256 px wide on a 640x480
/// frame, shifted a few pixels each frame, with a frame counter pixel.
fn frames(engine: &FaceEngine) -> Option<Vec<RgbImage>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/test-images/face_recognition/obama.jpg");
    let photo = dayfusion_face::load_image(&path).ok()?;
    let face = engine
        .detector(DetectorModel::Full)
        .detect(&photo)
        .ok()?
        .into_iter()
        .next()?;
    let scale = 256.0 / face.bbox.width;
    let scaled = imageops::resize(
        &photo,
        (photo.width() as f32 * scale) as u32,
        (photo.height() as f32 * scale) as u32,
        imageops::FilterType::Triangle,
    );
    let c = face.bbox.center();
    Some(
        (0..30u8)
            .map(|i| {
                let mut frame = RgbImage::from_pixel(640, 480, Rgb([96, 100, 104]));
                let dx = (f32::from(i) * 0.4).sin() * 6.0;
                let x = 320.0 - c.x * scale + dx;
                let y = 240.0 - c.y * scale;
                imageops::overlay(&mut frame, &scaled, x as i64, y as i64);
                frame.put_pixel(0, 0, Rgb([i, i, i]));
                frame
            })
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let Ok(dir) = dayfusion_models::default_dir() else {
        return;
    };
    let Ok(engine) = FaceEngine::load(&dir) else {
        eprintln!("SKIP liveness bench: models missing (make setup)");
        return;
    };
    let Some(frames) = frames(&engine) else {
        eprintln!("SKIP liveness bench: test photo missing (make setup)");
        return;
    };
    let new_session = || Session::recorded(None, LivenessSettings::default());
    let Ok(mut session) = new_session() else {
        return;
    };
    let (mut i, mut t) = (0usize, 0.0);
    c.bench_function("liveness push_frame 640x480", |b| {
        b.iter(|| {
            if session.frames() >= 1000
                && let Ok(s) = new_session()
            {
                session = s;
            }
            t += 66.7;
            i += 1;
            let feedback = session.push(&engine, &frames[i % frames.len()], t, None, None);
            assert!(
                feedback.is_ok_and(|f| f.face.is_some()),
                "the bench frame must show a face"
            );
        })
    });
    // The engine's own per-frame timing: criterion's figure above is a mean
    // that spreads the embedding (every 6th face frame) and the screen
    // cues (every 3rd) over all frames; this is the median frame.
    if let Ok(mut s) = new_session() {
        for (n, frame) in frames.iter().cycle().take(300).enumerate() {
            let _ = s.push(&engine, frame, n as f64 * 66.7, None, None);
        }
        let t = s.finish(&engine, false).timings;
        eprintln!(
            "liveness per-frame analysis over 300 frames: median {:.1} ms, p95 {:.1} ms",
            t.median_frame_ms, t.p95_frame_ms
        );
    }
    // The whole-frame recapture measure alone (part of the cue frames).
    c.bench_function("recapture screen_grid 640x480", |b| {
        b.iter(|| black_box(dayfusion_liveness::recapture::screen_grid(&frames[0])))
    });
    c.bench_function("liveness finish (150 frames, 2 audit images)", |b| {
        b.iter_batched(
            || {
                let mut s = new_session().ok()?;
                for (n, frame) in frames.iter().cycle().take(150).enumerate() {
                    s.push(&engine, frame, n as f64 * 66.7, None, None).ok()?;
                }
                Some(s)
            },
            |s| {
                let result = s.map(|s| s.finish(&engine, false));
                assert!(result.as_ref().is_some_and(|r| r.reference_image.is_some()));
                black_box(result)
            },
            BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
