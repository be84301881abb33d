//! The attack evaluation on material the project generates from
//! registry-shipped photos: the physical model's perspective moves the
//! depth measure the way a real face does and a print does not, and a tiny
//! set yields a row for every species.

use std::sync::Arc;

use dayfusion_eval::attacks::scene::{Physics, Shot, SourceFrame, Surface};
use dayfusion_eval::attacks::source::measure;
use dayfusion_eval::attacks::{AttackOptions, Species, evaluate_attacks, source};
use dayfusion_face::{DetectorModel, FaceEngine};
use dayfusion_liveness::checks::depth::{DELTA_KNOTS, delta};
use dayfusion_liveness::observation::shape_ratios;
use dayfusion_test_support::TestResult;
use dayfusion_test_support::faces::{engine, photo, test_images_dir};
use rand::SeedableRng;
use rand::rngs::StdRng;

/// The face's shape ratios in a rendered frame.
fn ratios(
    engine: &FaceEngine,
    frame: &image::RgbImage,
) -> Result<dayfusion_liveness::observation::ShapeRatios, Box<dyn std::error::Error>> {
    let faces = engine.detector(DetectorModel::Full).detect(frame)?;
    let face = faces.first().ok_or("no face in the rendered frame")?;
    Ok(shape_ratios(&engine.mesher().mesh(frame, face)?.points))
}

/// The depth measure between the small and the large oval.
fn depth_delta(
    engine: &FaceEngine,
    source: &SourceFrame,
    surface: Surface,
) -> Result<f64, Box<dyn std::error::Error>> {
    let physics = Physics::default();
    let mut rng = StdRng::seed_from_u64(7);
    let mut at = |width_ratio: f32| {
        let shot = Shot {
            source,
            blend: None,
            width_ratio,
            small_oval_width: 0.27,
            center: (0.5, 0.5),
            roll_deg: 0.0,
            surface,
            flash: None,
            pictured_flash: None,
        };
        ratios(engine, &physics.camera(&physics.render(&shot, &mut rng)))
    };
    // Medians over a few frames each, as the check takes them.
    let far = (0..5).map(|_| at(0.27)).collect::<Result<Vec<_>, _>>()?;
    let near = (0..5).map(|_| at(0.49)).collect::<Result<Vec<_>, _>>()?;
    Ok(delta(
        &far.iter().collect::<Vec<_>>(),
        &near.iter().collect::<Vec<_>>(),
    ))
}

#[test]
fn perspective_of_the_model_passes_the_depth_check_and_a_print_does_not() -> TestResult {
    let test = "attacks-perspective";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    for name in [
        "face_recognition/obama.jpg",
        "face_recognition/biden.jpg",
        "astronaut.png",
    ] {
        let Some(image) = photo(test, name) else {
            return Ok(());
        };
        let source = measure(&engine, image)?.ok_or("no face in the photo")?;
        let face = depth_delta(&engine, &source, Surface::Face)?;
        let print = depth_delta(&engine, &source, Surface::Print)?;
        let flat = depth_delta(&engine, &source, Surface::Injected)?;
        eprintln!("{name}: face delta {face:.4}, print {print:.4}, flat {flat:.4}");
        // The mesh reads a picture scaled up with a bias of its own (about
        // ±0.02): perspective must add at least the pass line's worth over
        // the same picture scaled flat, and a print must not pass.
        assert!(
            face - flat >= DELTA_KNOTS[1].0,
            "{name}: a face must show perspective ({face} against {flat} flat)"
        );
        assert!(
            print < DELTA_KNOTS[1].0,
            "{name}: a print must stay flat ({print})"
        );
    }
    Ok(())
}

#[test]
fn a_tiny_generated_set_yields_every_species_row() -> TestResult {
    let test = "attacks-tiny-set";
    let Some(engine) = engine(test) else {
        return Ok(());
    };
    let images = test_images_dir().join("face_recognition");
    let dir = tempfile::tempdir()?;
    let real = dir.path().join("pad/real");
    std::fs::create_dir_all(&real)?;
    for (person, file) in [("obama", "obama.jpg"), ("biden", "biden.jpg")] {
        if photo(test, &format!("face_recognition/{file}")).is_none() {
            return Ok(());
        }
        std::fs::copy(images.join(file), real.join(format!("{person}_real_1.jpg")))?;
    }
    let out = dir.path().join("out");
    let options = AttackOptions {
        sessions_per_source: 1,
        limits: source::Limits {
            stills_per_group: 1,
            still_groups: 2,
            clips: 0,
            clip_frames: 0,
        },
        species: Species::ALL.to_vec(),
    };
    let report = evaluate_attacks(&Arc::clone(&engine), dir.path(), &out, &options)?;
    for species in Species::ALL {
        let row = report
            .rows
            .iter()
            .find(|r| r.species == species.id())
            .ok_or_else(|| format!("no row for {}", species.id()))?;
        assert_eq!((row.presentations, row.sources), (2, 2), "{row:?}");
        assert_eq!(
            report
                .distributions
                .iter()
                .filter(|d| d.species == species.id())
                .count(),
            dayfusion_liveness::CheckKind::ALL.len(),
            "every check's distribution for {}",
            species.id()
        );
    }
    // An injected stream and a print lit by a schedule known in advance
    // never follow the colours this session revealed.
    for id in ["virtual-camera-injection", "print-tinted-known-schedule"] {
        let row = report.rows.iter().find(|r| r.species == id).ok_or(id)?;
        assert_eq!(row.errors, 0, "{row:?}");
        assert!(
            report
                .sessions
                .iter()
                .filter(|s| s.species == id)
                .all(|s| s.checks["light"].0.is_some_and(|score| score < 50.0)),
            "{id}: the light check fails"
        );
    }
    for file in ["report.json", "report.md", "distributions.png"] {
        assert!(out.join(file).is_file(), "{file} written");
    }
    Ok(())
}
