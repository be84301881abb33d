//! Face detection on real photos shipped by a registry package (the
//! scikit-image wheel; fetched by `tests/fetch-test-images.sh` into
//! `target/test-images`, never committed). Tests skip with a message when
//! the photos or the model pack are absent.

mod common;

use std::io::Cursor;

use common::TestResult;
use dayfusion_face::{BoundingBox, DetectorModel, Face, FaceDetector, decode_image, load_image};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{ImageFormat, RgbImage};

const MODELS: [DetectorModel; 2] = [DetectorModel::Short, DetectorModel::Full];

/// Both detectors and one photo.
type Setup = (Vec<FaceDetector>, RgbImage);

/// Loads both detectors and the named photo, or `None` to skip.
fn setup(test: &str, photo: &str) -> Result<Option<Setup>, Box<dyn std::error::Error>> {
    let ids: Vec<_> = MODELS.iter().map(|m| m.model_id()).collect();
    let Some(dir) = common::models_dir(test, &ids)? else {
        return Ok(None);
    };
    let Some(path) = common::test_image(test, photo) else {
        return Ok(None);
    };
    let detectors = MODELS
        .iter()
        .map(|m| FaceDetector::load(&dir, *m, dayfusion_face::OnnxBackend::Tract))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((detectors, load_image(&path)?)))
}

fn one_face(detector: &FaceDetector, image: &RgbImage) -> Result<Face, Box<dyn std::error::Error>> {
    let faces = detector.detect(image)?;
    assert_eq!(faces.len(), 1, "{:?}: {faces:?}", detector.model());
    Ok(faces[0])
}

fn scaled(b: BoundingBox, f: f32) -> BoundingBox {
    BoundingBox {
        x: b.x * f,
        y: b.y * f,
        width: b.width * f,
        height: b.height * f,
    }
}

fn jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality).encode_image(image)?;
    Ok(out)
}

/// Inserts an EXIF APP1 segment holding only `Orientation = value` right
/// after the JPEG's SOI marker.
fn with_exif_orientation(jpeg: &[u8], value: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes()); // first IFD
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // count
    tiff.extend_from_slice(&value.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn astronaut_has_one_face_where_it_is() -> TestResult {
    let Some((detectors, image)) = setup("astronaut_has_one_face_where_it_is", "astronaut.png")?
    else {
        return Ok(());
    };
    assert_eq!(image.dimensions(), (512, 512));
    for detector in &detectors {
        let face = one_face(detector, &image)?;
        let model = detector.model();
        assert!(face.score > 0.85, "{model:?} score {}", face.score);
        // Eileen Collins' face: centred near (224, 125), about 100 px wide.
        let c = face.bbox.center();
        assert!(
            (c.x - 225.0).abs() < 20.0 && (c.y - 125.0).abs() < 20.0,
            "{model:?} centre {c:?}"
        );
        assert!(
            (80.0..130.0).contains(&face.bbox.width),
            "{model:?} {:?}",
            face.bbox
        );
        let k = face.keypoints;
        // The person's right eye is on the left of the photo.
        assert!(
            k.right_eye.x < k.nose_tip.x && k.nose_tip.x < k.left_eye.x,
            "{model:?} {k:?}"
        );
        let (Some(right_ear), Some(left_ear)) = (k.right_ear, k.left_ear) else {
            panic!("BlazeFace gives both ears: {k:?}");
        };
        assert!(
            right_ear.x < k.right_eye.x && k.left_eye.x < left_ear.x,
            "{model:?} {k:?}"
        );
        let eyes_y = (k.right_eye.y + k.left_eye.y) / 2.0;
        assert!(
            eyes_y < k.nose_tip.y && k.nose_tip.y < k.mouth_center.y,
            "{model:?} {k:?}"
        );
        for p in k.points() {
            let b = face.bbox;
            assert!(
                p.x > b.x - 5.0 && p.x < b.x + b.width + 5.0,
                "{model:?} {p:?} outside {b:?}"
            );
            assert!(
                p.y > b.y - 5.0 && p.y < b.y + b.height + 5.0,
                "{model:?} {p:?} outside {b:?}"
            );
        }
    }
    Ok(())
}

#[test]
fn cameraman_has_one_face_and_coffee_none() -> TestResult {
    let test = "cameraman_has_one_face_and_coffee_none";
    let Some((detectors, camera)) = setup(test, "camera.png")? else {
        return Ok(());
    };
    let Some(coffee) = common::test_image(test, "coffee.png") else {
        return Ok(());
    };
    let coffee = load_image(&coffee)?;
    for detector in &detectors {
        let face = one_face(detector, &camera)?;
        let c = face.bbox.center();
        // The cameraman's head, upper middle of the 512x512 frame.
        assert!(
            (c.x - 230.0).abs() < 30.0 && (c.y - 162.0).abs() < 30.0,
            "{:?} {c:?}",
            detector.model()
        );
        assert!(
            detector.detect(&coffee)?.is_empty(),
            "{:?} found a face in coffee",
            detector.model()
        );
    }
    Ok(())
}

#[test]
fn boxes_survive_scaling_cropping_jpeg_and_exif_rotation() -> TestResult {
    let test = "boxes_survive_scaling_cropping_jpeg_and_exif_rotation";
    let Some((detectors, image)) = setup(test, "astronaut.png")? else {
        return Ok(());
    };
    for detector in &detectors {
        let model = detector.model();
        let base = one_face(detector, &image)?;
        let check = |what: &str, face: Face, expected: BoundingBox, min_iou: f32| {
            let iou = face.bbox.iou(&expected);
            assert!(
                iou > min_iou,
                "{model:?} {what}: IoU {iou:.3}, {:?} vs {expected:?}",
                face.bbox
            );
        };

        // Scaled copies (down and up).
        for (side, min_iou) in [(256u32, 0.8), (1024, 0.85)] {
            let resized = imageops::resize(&image, side, side, FilterType::Triangle);
            let face = one_face(detector, &resized)?;
            let back = scaled(face.bbox, 512.0 / side as f32);
            let face = Face { bbox: back, ..face };
            check(&format!("scaled to {side}"), face, base.bbox, min_iou);
        }

        // Non-square crops (padded above/below, then left/right): the
        // letterbox must be undone.
        for (x, y, w, h) in [(0u32, 0u32, 512u32, 300u32), (80, 0, 300, 512)] {
            let crop = imageops::crop_imm(&image, x, y, w, h).to_image();
            let face = one_face(detector, &crop)?;
            let shifted = BoundingBox {
                x: base.bbox.x - x as f32,
                y: base.bbox.y - y as f32,
                ..base.bbox
            };
            check(&format!("cropped to {w}x{h}"), face, shifted, 0.8);
        }

        // JPEG re-encode.
        let reencoded = decode_image(&jpeg(&image, 85)?)?;
        check("JPEG q85", one_face(detector, &reencoded)?, base.bbox, 0.9);

        // Stored rotated 90° clockwise with EXIF orientation 8 (display
        // needs 90° counter-clockwise): decoding must give the upright photo.
        let rotated = imageops::rotate90(&image);
        let bytes = with_exif_orientation(&jpeg(&rotated, 90)?, 8);
        let upright = decode_image(&bytes)?;
        assert_eq!(upright.dimensions(), image.dimensions());
        check(
            "EXIF-rotated JPEG",
            one_face(detector, &upright)?,
            base.bbox,
            0.9,
        );
        // Without the tag the face lies on its side and the eye order breaks.
        let sideways = decode_image(&jpeg(&rotated, 90)?)?;
        for face in detector.detect(&sideways)? {
            assert!(
                face.bbox.iou(&base.bbox) < 0.5,
                "{model:?}: rotation ignored?"
            );
        }
    }
    Ok(())
}

#[test]
fn png_and_image_crate_agree_on_the_photo() -> TestResult {
    let Some(path) = common::test_image("png_and_image_crate_agree_on_the_photo", "astronaut.png")
    else {
        return Ok(());
    };
    let bytes = std::fs::read(&path)?;
    let ours = decode_image(&bytes)?;
    let plain = image::load(Cursor::new(&bytes), ImageFormat::Png)?.into_rgb8();
    assert_eq!(ours, plain);
    Ok(())
}
