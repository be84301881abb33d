//! Finding the holder's portrait on a photo or scan of an ID card or
//! passport.
//!
//! Documents arrive in any of four orientations. The full-range detector
//! (made for small faces) runs on the document as given and, if that finds
//! no confidently upright face, on the document turned by 90, 180 and 270
//! degrees. A face counts as upright when its eyes are roughly level and its
//! mouth sits below them. In the orientation with the best upright face,
//! the largest upright face is the holder's portrait: passports often carry
//! a second, smaller "ghost" portrait, which is reported but not used.

use image::RgbImage;
use image::imageops;
use serde::Serialize;

use crate::detect::{BoundingBox, Face, FaceDetector, Point};
use crate::error::FaceError;

/// Margin added around the face box on each side, as a share of its size.
pub const CROP_MARGIN: f32 = 0.4;
/// A face this confident in the orientation given stops the search.
const CONFIDENT: f32 = 0.8;
/// Largest eye-line tilt of an upright face, degrees.
const MAX_UPRIGHT_ROLL_DEG: f32 = 35.0;

/// Clockwise rotation that turns the document upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Rotation {
    /// Already upright.
    #[serde(rename = "0")]
    None,
    /// Turned 90 degrees clockwise.
    #[serde(rename = "90")]
    Cw90,
    /// Turned 180 degrees.
    #[serde(rename = "180")]
    Cw180,
    /// Turned 270 degrees clockwise.
    #[serde(rename = "270")]
    Cw270,
}

impl Rotation {
    /// All four, the orientation as given first.
    pub const ALL: [Rotation; 4] = [
        Rotation::None,
        Rotation::Cw90,
        Rotation::Cw180,
        Rotation::Cw270,
    ];

    /// Degrees clockwise.
    pub const fn degrees(self) -> u32 {
        match self {
            Rotation::None => 0,
            Rotation::Cw90 => 90,
            Rotation::Cw180 => 180,
            Rotation::Cw270 => 270,
        }
    }

    /// `image` turned by this rotation.
    pub fn apply(self, image: &RgbImage) -> RgbImage {
        match self {
            Rotation::None => image.clone(),
            Rotation::Cw90 => imageops::rotate90(image),
            Rotation::Cw180 => imageops::rotate180(image),
            Rotation::Cw270 => imageops::rotate270(image),
        }
    }

    /// Maps a point of the turned image back to the original image
    /// (`width` x `height`, before turning).
    pub fn point_to_original(self, p: Point, width: f32, height: f32) -> Point {
        match self {
            Rotation::None => p,
            // rotate90: (x, y) -> (h - y, x); inverse: (x', y') -> (y', h - x').
            Rotation::Cw90 => Point {
                x: p.y,
                y: height - p.x,
            },
            Rotation::Cw180 => Point {
                x: width - p.x,
                y: height - p.y,
            },
            Rotation::Cw270 => Point {
                x: width - p.y,
                y: p.x,
            },
        }
    }
}

/// The holder's portrait found on a document.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Portrait {
    /// How the document had to be turned to be upright.
    pub rotation: Rotation,
    /// The face, in the upright document's pixels.
    pub face: Face,
    /// The face box in the document's pixels as given (axis-aligned).
    pub face_in_document: BoundingBox,
    /// Upright faces found besides the portrait (ghost images).
    pub secondary_faces: usize,
    /// The upright portrait with [`CROP_MARGIN`] around the face.
    #[serde(skip)]
    pub crop: RgbImage,
    /// The upright document (for alignment and quality).
    #[serde(skip)]
    pub upright: RgbImage,
}

impl std::fmt::Debug for Portrait {
    /// Never prints the images' pixels (biometric data).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Portrait")
            .field("rotation", &self.rotation)
            .field("face", &self.face)
            .field("face_in_document", &self.face_in_document)
            .field("secondary_faces", &self.secondary_faces)
            .finish_non_exhaustive()
    }
}

/// Confirms that a candidate is a face (e.g. with the face mesh's presence
/// score): `confirm(upright_document, face)`.
pub type ConfirmFace<'a> = dyn Fn(&RgbImage, &Face) -> bool + 'a;

/// Whether a detection looks like an upright face: eyes level within
/// [`MAX_UPRIGHT_ROLL_DEG`] and the mouth below the eyes.
pub fn is_upright(face: &Face) -> bool {
    let k = &face.keypoints;
    let (dx, dy) = (k.left_eye.x - k.right_eye.x, k.left_eye.y - k.right_eye.y);
    let eye_distance = dx.hypot(dy);
    if eye_distance <= f32::EPSILON {
        return false;
    }
    let roll = dy.atan2(dx).to_degrees();
    let mid_y = (k.left_eye.y + k.right_eye.y) / 2.0;
    roll.abs() <= MAX_UPRIGHT_ROLL_DEG && k.mouth_center.y - mid_y > 0.5 * eye_distance
}

/// Finds the holder's portrait: the full-range detector `full` on the
/// whole document in each orientation; when nothing is confirmed, both
/// detectors on the document's left and right halves (a portrait under a
/// stamp or a tinted overlay stands out better when it fills more of the
/// model's input). `confirm` vets each upright candidate (see
/// [`ConfirmFace`]).
pub fn find_portrait(
    full: &FaceDetector,
    short: &FaceDetector,
    document: &RgbImage,
    confirm: &ConfirmFace<'_>,
) -> Result<Portrait, FaceError> {
    let mut best: Option<(f32, Rotation, RgbImage, Vec<Face>)> = None;
    let mut tried = Vec::with_capacity(4);
    for rotation in Rotation::ALL {
        let upright = rotation.apply(document);
        let faces: Vec<Face> = full
            .detect(&upright)?
            .into_iter()
            .filter(is_upright)
            .filter(|f| confirm(&upright, f))
            .collect();
        let top = faces.iter().map(|f| f.score).fold(0.0f32, f32::max);
        tried.push(rotation);
        if !faces.is_empty() && best.as_ref().is_none_or(|(s, ..)| top > *s) {
            best = Some((top, rotation, upright, faces));
        }
        if top >= CONFIDENT {
            break;
        }
    }
    if best.is_none() {
        // Turned copies are made again here rather than kept: a 40 MP
        // document is 120 MB a copy.
        'tiles: for rotation in tried {
            let upright = rotation.apply(document);
            for faces in [halves(full, &upright)?, halves(short, &upright)?] {
                let faces: Vec<Face> = faces
                    .into_iter()
                    .filter(is_upright)
                    .filter(|f| confirm(&upright, f))
                    .collect();
                if let Some(top) = faces.iter().map(|f| f.score).reduce(f32::max) {
                    best = Some((top, rotation, upright, faces));
                    break 'tiles;
                }
            }
        }
    }
    let (_, rotation, upright, faces) = best.ok_or(FaceError::NoPortrait)?;
    let area = |f: &Face| f.bbox.area();
    let face = faces
        .iter()
        .copied()
        .max_by(|a, b| area(a).total_cmp(&area(b)))
        .ok_or(FaceError::NoPortrait)?;
    let crop = crop_with_margin(&upright, &face.bbox, CROP_MARGIN);
    let (w, h) = (document.width() as f32, document.height() as f32);
    let corners = [
        (face.bbox.x, face.bbox.y),
        (face.bbox.x + face.bbox.width, face.bbox.y),
        (face.bbox.x, face.bbox.y + face.bbox.height),
        (
            face.bbox.x + face.bbox.width,
            face.bbox.y + face.bbox.height,
        ),
    ]
    .map(|(x, y)| rotation.point_to_original(Point { x, y }, w, h));
    let min_x = corners.iter().map(|p| p.x).fold(f32::MAX, f32::min);
    let max_x = corners.iter().map(|p| p.x).fold(f32::MIN, f32::max);
    let min_y = corners.iter().map(|p| p.y).fold(f32::MAX, f32::min);
    let max_y = corners.iter().map(|p| p.y).fold(f32::MIN, f32::max);
    Ok(Portrait {
        rotation,
        face,
        face_in_document: BoundingBox {
            x: min_x,
            y: min_y,
            width: max_x - min_x,
            height: max_y - min_y,
        },
        secondary_faces: faces.len() - 1,
        crop,
        upright,
    })
}

/// Detections on the left and right 55% of `image`, in `image`'s pixels,
/// duplicates (IoU above 0.5) merged.
fn halves(detector: &FaceDetector, image: &RgbImage) -> Result<Vec<Face>, FaceError> {
    let (w, h) = (image.width(), image.height());
    let tile_w = (w * 11 / 20).max(1);
    let mut faces: Vec<Face> = Vec::new();
    for x0 in [0, w - tile_w] {
        let tile = imageops::crop_imm(image, x0, 0, tile_w, h).to_image();
        if crate::image_io::check_dimensions(tile.width(), tile.height()).is_err() {
            continue;
        }
        for mut face in detector.detect(&tile)? {
            let dx = x0 as f32;
            face.bbox.x += dx;
            face.keypoints = face.keypoints.map(|p| Point {
                x: p.x + dx,
                y: p.y,
            });
            if !faces.iter().any(|f| f.bbox.iou(&face.bbox) > 0.5) {
                faces.push(face);
            }
        }
    }
    Ok(faces)
}

/// Cuts `bbox` grown by `margin` of its size on each side, clipped to the
/// image. A non-finite box or an empty image gives the whole image.
pub fn crop_with_margin(image: &RgbImage, bbox: &BoundingBox, margin: f32) -> RgbImage {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let finite = [bbox.x, bbox.y, bbox.width, bbox.height, margin]
        .iter()
        .all(|v| v.is_finite());
    if !finite || w < 1.0 || h < 1.0 {
        return image.clone();
    }
    let x0 = (bbox.x - margin * bbox.width).clamp(0.0, w - 1.0);
    let y0 = (bbox.y - margin * bbox.height).clamp(0.0, h - 1.0);
    let x1 = (bbox.x + (1.0 + margin) * bbox.width).clamp(x0 + 1.0, w);
    let y1 = (bbox.y + (1.0 + margin) * bbox.height).clamp(y0 + 1.0, h);
    imageops::crop_imm(
        image,
        x0 as u32,
        y0 as u32,
        (x1 - x0).round() as u32,
        (y1 - y0).round() as u32,
    )
    .to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_points_map_back_to_the_original() {
        let original = RgbImage::from_fn(5, 3, |x, y| image::Rgb([x as u8, y as u8, 0]));
        for rotation in Rotation::ALL {
            let turned = rotation.apply(&original);
            for (x, y, pixel) in turned.enumerate_pixels() {
                // Pixel centres.
                let p = rotation.point_to_original(
                    Point {
                        x: x as f32 + 0.5,
                        y: y as f32 + 0.5,
                    },
                    5.0,
                    3.0,
                );
                assert_eq!(
                    (pixel.0[0], pixel.0[1]),
                    ((p.x - 0.5) as u8, (p.y - 0.5) as u8),
                    "{rotation:?} at ({x}, {y})"
                );
            }
        }
    }

    #[test]
    fn a_non_finite_box_crops_nothing_away_instead_of_panicking() {
        let image = RgbImage::new(10, 8);
        let bbox = BoundingBox {
            x: f32::NAN,
            y: 1.0,
            width: 3.0,
            height: f32::INFINITY,
        };
        let crop = crop_with_margin(&image, &bbox, 0.4);
        assert_eq!((crop.width(), crop.height()), (10, 8));
    }

    #[test]
    fn crops_are_clipped_to_the_image() {
        let image = RgbImage::new(100, 80);
        let bbox = BoundingBox {
            x: 70.0,
            y: -5.0,
            width: 40.0,
            height: 30.0,
        };
        let crop = crop_with_margin(&image, &bbox, 0.4);
        assert_eq!(crop.width(), 100 - 54);
        assert_eq!(crop.height(), 37);
    }
}
