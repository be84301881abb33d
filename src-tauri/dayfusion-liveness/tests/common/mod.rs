//! Helpers of the liveness tests: the face engine, registry-shipped photos,
//! and frame sequences made from them (scaled, moved, tinted, with camera
//! noise), so every check sees real faces through the real models.

#![allow(dead_code)]

pub mod client;

use dayfusion_face::{DetectorModel, FaceEngine};
use dayfusion_liveness::{CheckKind, CheckResult, LivenessResult};
use image::{Rgb, RgbImage, imageops};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The result's check of `kind` (every result has each check once).
pub fn check(result: &LivenessResult, kind: CheckKind) -> &CheckResult {
    result
        .checks
        .iter()
        .find(|c| c.check == kind)
        .unwrap_or_else(|| panic!("no {kind:?} check in {result:?}"))
}

/// Boxed error for `?` in tests.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Frame size of the simulated camera.
pub const FRAME_W: u32 = 640;
/// Frame height.
pub const FRAME_H: u32 = 480;

pub use dayfusion_test_support::faces::{engine, photo};

/// A face photo with its face box measured by the detector.
#[derive(Clone)]
pub struct Subject {
    /// The photo.
    pub photo: RgbImage,
    /// Face box centre in the photo.
    pub center: (f32, f32),
    /// Face box width in the photo.
    pub face_width: f32,
}

impl Subject {
    /// Measures the face in `photo`.
    pub fn new(engine: &FaceEngine, photo: RgbImage) -> Option<Subject> {
        let faces = engine.detector(DetectorModel::Full).detect(&photo).ok()?;
        let face = faces
            .into_iter()
            .max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area()))?;
        // Keep 2.4 face widths around the face: rendering scales this crop
        // for every frame, and the rest of the photo is never in view.
        let c = face.bbox.center();
        let half = 1.2 * face.bbox.width;
        let x0 = (c.x - half).max(0.0) as u32;
        let y0 = (c.y - half).max(0.0) as u32;
        let x1 = ((c.x + half) as u32).min(photo.width());
        let y1 = ((c.y + half) as u32).min(photo.height());
        let crop = imageops::crop_imm(&photo, x0, y0, x1.saturating_sub(x0), y1.saturating_sub(y0))
            .to_image();
        Some(Subject {
            center: (c.x - x0 as f32, c.y - y0 as f32),
            face_width: face.bbox.width,
            photo: crop,
        })
    }
}

/// How one frame shows the subject.
#[derive(Debug, Clone, Copy)]
pub struct Pose {
    /// Face width as a fraction of the frame width.
    pub width_ratio: f32,
    /// Face centre as fractions of the frame.
    pub center: (f32, f32),
    /// In-plane rotation, degrees.
    pub roll_deg: f32,
    /// Light added by the screen, per channel (0 = none), as a fraction of
    /// the pixel value on the face (a third of it elsewhere).
    pub tint: [f32; 3],
}

impl Pose {
    /// Centred, no tint.
    pub fn at(width_ratio: f32) -> Pose {
        Pose {
            width_ratio,
            center: (0.5, 0.5),
            roll_deg: 0.0,
            tint: [0.0; 3],
        }
    }
}

/// Renders one camera frame: a grey room, the subject's photo scaled and
/// placed so the face has the pose's width and centre, the screen's tint,
/// and camera noise (sigma about 2 grey levels).
pub fn render(subject: &Subject, pose: Pose, rng: &mut StdRng) -> RgbImage {
    let scale = pose.width_ratio * FRAME_W as f32 / subject.face_width;
    let (pw, ph) = (
        subject.photo.width() as f32 * scale,
        subject.photo.height() as f32 * scale,
    );
    let mut scaled = imageops::resize(
        &subject.photo,
        pw.round().max(1.0) as u32,
        ph.round().max(1.0) as u32,
        imageops::FilterType::Triangle,
    );
    if pose.roll_deg != 0.0 {
        scaled = imageproc::geometric_transformations::rotate_about_center(
            &scaled,
            pose.roll_deg.to_radians(),
            imageproc::geometric_transformations::Interpolation::Bilinear,
            Rgb([96, 100, 104]),
        );
    }
    let mut frame = RgbImage::from_pixel(FRAME_W, FRAME_H, Rgb([96, 100, 104]));
    let x = pose.center.0 * FRAME_W as f32 - subject.center.0 * scale;
    let y = pose.center.1 * FRAME_H as f32 - subject.center.1 * scale;
    imageops::overlay(&mut frame, &scaled, x.round() as i64, y.round() as i64);
    let face_half = pose.width_ratio * FRAME_W as f32 * 0.75;
    let (cx, cy) = (
        pose.center.0 * FRAME_W as f32,
        pose.center.1 * FRAME_H as f32,
    );
    for (px, py, p) in frame.enumerate_pixels_mut() {
        let on_face =
            (px as f32 - cx).abs() < face_half && (py as f32 - cy).abs() < face_half * 1.3;
        let gain = if on_face { 1.0 } else { 1.0 / 3.0 };
        for c in 0..3 {
            let v =
                f32::from(p.0[c]) * (1.0 + gain * pose.tint[c]) + rng.random_range(-3.5f32..3.5);
            p.0[c] = v.round().clamp(0.0, 255.0) as u8;
        }
    }
    frame
}

/// A seeded generator (tests are repeatable).
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}
