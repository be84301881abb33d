//! The depth measure on a real face's 3D shape: the face mesh of a
//! registry-shipped photo gives 468 points with depth; a pinhole camera
//! sees them from 60 cm and from 30 cm. The inner features must grow
//! against the face outline by what the check's pass line asks, and the
//! same points flattened (a photo of the face) must not change at all.

mod common;

use common::{TestResult, engine, photo};
use dayfusion_face::{DetectorModel, MeshPoint};
use dayfusion_liveness::checks::depth::{DELTA_KNOTS, delta};
use dayfusion_liveness::observation::shape_ratios;

/// Face width assumed for the mesh (cheek to cheek), centimetres.
const FACE_WIDTH_CM: f32 = 14.0;

/// The mesh seen by a pinhole camera `distance_cm` from the nose tip;
/// `flat` squashes the depth (a printed photo of the same face).
fn project(points: &[MeshPoint], distance_cm: f32, flat: bool) -> Vec<MeshPoint> {
    let width = {
        let (a, b) = (&points[234], &points[454]);
        (a.x - b.x).hypot(a.y - b.y)
    };
    let k = FACE_WIDTH_CM / width;
    let n = points.len() as f32;
    let (cx, cy) = (
        points.iter().map(|p| p.x).sum::<f32>() / n,
        points.iter().map(|p| p.y).sum::<f32>() / n,
    );
    let z_min = points.iter().map(|p| p.z).fold(f32::INFINITY, f32::min);
    points
        .iter()
        .map(|p| {
            let depth = if flat { 0.0 } else { (p.z - z_min) * k };
            let zc = distance_cm + depth;
            MeshPoint {
                x: 600.0 * (p.x - cx) * k / zc,
                y: 600.0 * (p.y - cy) * k / zc,
                z: depth,
            }
        })
        .collect()
}

#[test]
fn perspective_of_a_real_face_shape_passes_and_a_flat_copy_does_not() -> TestResult {
    let test = "depth-projection";
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
        let faces = engine.detector(DetectorModel::Short).detect(&image)?;
        let face = faces.first().ok_or("no face")?;
        let mesh = engine.mesher().mesh(&image, face)?;
        let far = shape_ratios(&project(&mesh.points, 60.0, false));
        let near = shape_ratios(&project(&mesh.points, 30.0, false));
        let real = delta(&[&far], &[&near]);
        let flat_far = shape_ratios(&project(&mesh.points, 60.0, true));
        let flat_near = shape_ratios(&project(&mesh.points, 30.0, true));
        let flat = delta(&[&flat_far], &[&flat_near]);
        eprintln!("{name}: real face 60->30 cm delta {real:.4}, flat copy {flat:.6}");
        assert!(real >= DELTA_KNOTS[1].0, "{name}: {real}");
        assert!(flat.abs() < 1e-4, "{name}: {flat}");
    }
    Ok(())
}
