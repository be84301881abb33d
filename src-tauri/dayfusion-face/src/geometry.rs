//! 2-D geometry for crops: affine maps, the least-squares similarity
//! transform used for alignment, and bilinear warping of an image into a
//! model's input tensor.

use image::RgbImage;

use crate::detect::Point;

/// An affine map `(x, y) -> (a x + b y + c, d x + e y + f)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// Row 1: `x' = a x + b y + c`.
    pub a: f32,
    /// See [`Affine::a`].
    pub b: f32,
    /// See [`Affine::a`].
    pub c: f32,
    /// Row 2: `y' = d x + e y + f`.
    pub d: f32,
    /// See [`Affine::d`].
    pub e: f32,
    /// See [`Affine::d`].
    pub f: f32,
}

impl Affine {
    /// Applies the map to a point.
    pub fn apply(&self, p: Point) -> Point {
        Point {
            x: self.a * p.x + self.b * p.y + self.c,
            y: self.d * p.x + self.e * p.y + self.f,
        }
    }

    /// The inverse map, `None` when the map is degenerate.
    pub fn inverse(&self) -> Option<Affine> {
        let det = self.a * self.e - self.b * self.d;
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        let (a, b, d, e) = (self.e / det, -self.b / det, -self.d / det, self.a / det);
        Some(Affine {
            a,
            b,
            c: -(a * self.c + b * self.f),
            d,
            e,
            f: -(d * self.c + e * self.f),
        })
    }

    /// The scale factor of a similarity (or the mean scale of an affine).
    pub fn scale(&self) -> f32 {
        (self.a * self.e - self.b * self.d).abs().sqrt()
    }

    /// Rotation by `angle` radians about `center`, then scaling by `scale`
    /// and moving `center` to `to`.
    pub fn rotate_scale(center: Point, angle: f32, scale: f32, to: Point) -> Affine {
        let (sin, cos) = angle.sin_cos();
        let (a, b) = (scale * cos, -scale * sin);
        let (d, e) = (scale * sin, scale * cos);
        Affine {
            a,
            b,
            c: to.x - (a * center.x + b * center.y),
            d,
            e,
            f: to.y - (d * center.x + e * center.y),
        }
    }
}

/// The similarity transform (rotation, uniform scale, translation; no
/// reflection) that maps `from` onto `to` with the least squared error
/// (Umeyama). `None` for fewer than two points or coincident points.
pub fn similarity_transform(from: &[Point], to: &[Point]) -> Option<Affine> {
    if from.len() != to.len() || from.len() < 2 {
        return None;
    }
    let n = from.len() as f32;
    let mean = |ps: &[Point]| {
        let (sx, sy) = ps
            .iter()
            .fold((0.0, 0.0), |(sx, sy), p| (sx + p.x, sy + p.y));
        Point {
            x: sx / n,
            y: sy / n,
        }
    };
    let (mf, mt) = (mean(from), mean(to));
    let (mut dot, mut cross, mut norm) = (0.0f32, 0.0f32, 0.0f32);
    for (p, q) in from.iter().zip(to) {
        let (px, py) = (p.x - mf.x, p.y - mf.y);
        let (qx, qy) = (q.x - mt.x, q.y - mt.y);
        dot += px * qx + py * qy;
        cross += px * qy - py * qx;
        norm += px * px + py * py;
    }
    if !norm.is_finite() || norm < 1e-9 {
        return None;
    }
    let (a, b) = (dot / norm, cross / norm);
    Some(Affine {
        a,
        b: -b,
        c: mt.x - (a * mf.x - b * mf.y),
        d: b,
        e: a,
        f: mt.y - (b * mf.x + a * mf.y),
    })
}

/// Warps `image` into a `size`x`size` RGB tensor (NHWC, one item) through
/// `to_output` (image pixels -> output pixels), sampling bilinearly; pixels
/// outside the image are black. Each channel value `v` in 0..=255 becomes
/// `v * scale + offset`. `None` when `to_output` cannot be inverted.
pub fn warp_rgb(
    image: &RgbImage,
    to_output: &Affine,
    size: usize,
    scale: f32,
    offset: f32,
) -> Option<Vec<f32>> {
    let back = to_output.inverse()?;
    let (w, h) = (image.width() as i64, image.height() as i64);
    let raw = image.as_raw();
    let pixel = |x: i64, y: i64| -> [f32; 3] {
        if x < 0 || y < 0 || x >= w || y >= h {
            return [0.0; 3];
        }
        let i = ((y * w + x) * 3) as usize;
        [
            f32::from(raw[i]),
            f32::from(raw[i + 1]),
            f32::from(raw[i + 2]),
        ]
    };
    let mut out = Vec::with_capacity(size * size * 3);
    for oy in 0..size {
        for ox in 0..size {
            // Pixel centres map to pixel centres.
            let src = back.apply(Point {
                x: ox as f32 + 0.5,
                y: oy as f32 + 0.5,
            });
            // Far outside is black anyway; clamping keeps the casts sane.
            let sx = (src.x - 0.5).clamp(-2.0, w as f32 + 1.0);
            let sy = (src.y - 0.5).clamp(-2.0, h as f32 + 1.0);
            if sx.is_nan() || sy.is_nan() {
                out.extend_from_slice(&[offset; 3]);
                continue;
            }
            let (x0, y0) = (sx.floor(), sy.floor());
            let (fx, fy) = (sx - x0, sy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let p00 = pixel(x0, y0);
            let p10 = pixel(x0 + 1, y0);
            let p01 = pixel(x0, y0 + 1);
            let p11 = pixel(x0 + 1, y0 + 1);
            for c in 0..3 {
                let top = p00[c] + (p10[c] - p00[c]) * fx;
                let bottom = p01[c] + (p11[c] - p01[c]) * fx;
                let v = top + (bottom - top) * fy;
                out.push(v * scale + offset);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(x: f32, y: f32) -> Point {
        Point { x, y }
    }

    fn near(a: Point, b: Point) -> bool {
        (a.x - b.x).abs() < 1e-3 && (a.y - b.y).abs() < 1e-3
    }

    #[test]
    fn similarity_recovers_a_known_transform() {
        let truth = Affine::rotate_scale(p(10.0, 20.0), 0.3, 1.7, p(-4.0, 9.0));
        let from = [p(0.0, 0.0), p(30.0, 5.0), p(12.0, 40.0), p(-7.0, 22.0)];
        let to: Vec<Point> = from.iter().map(|q| truth.apply(*q)).collect();
        let found = similarity_transform(&from, &to).map(|m| from.map(|q| m.apply(q)));
        let Some(found) = found else {
            panic!("no transform");
        };
        for (f, t) in found.iter().zip(&to) {
            assert!(near(*f, *t), "{f:?} vs {t:?}");
        }
    }

    #[test]
    fn inverse_round_trips_and_degenerate_has_none() {
        let m = Affine::rotate_scale(p(3.0, 4.0), -1.1, 0.5, p(7.0, 1.0));
        let Some(inv) = m.inverse() else {
            panic!("invertible");
        };
        let q = p(12.5, -3.0);
        assert!(near(inv.apply(m.apply(q)), q));
        assert!((m.scale() - 0.5).abs() < 1e-5);
        let flat = Affine {
            a: 1.0,
            b: 2.0,
            c: 0.0,
            d: 2.0,
            e: 4.0,
            f: 0.0,
        };
        assert!(flat.inverse().is_none());
        assert!(
            similarity_transform(&[p(1.0, 1.0), p(1.0, 1.0)], &[p(0.0, 0.0), p(1.0, 0.0)])
                .is_none()
        );
    }

    #[test]
    fn warps_far_outside_the_image_are_black_not_a_panic() {
        let image = RgbImage::from_pixel(4, 4, image::Rgb([200, 200, 200]));
        let far = Affine {
            a: 1e-30,
            b: 0.0,
            c: -1e30,
            d: 0.0,
            e: 1e-30,
            f: 1e30,
        };
        let Some(out) = warp_rgb(&image, &far, 3, 1.0, 0.0) else {
            return;
        };
        assert!(out.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn warp_with_identity_copies_pixels_and_pads_black() {
        let image = RgbImage::from_fn(4, 4, |x, y| image::Rgb([(x * 10) as u8, (y * 10) as u8, 7]));
        let identity = Affine {
            a: 1.0,
            b: 0.0,
            c: 0.0,
            d: 0.0,
            e: 1.0,
            f: 0.0,
        };
        let Some(out) = warp_rgb(&image, &identity, 6, 1.0, 0.0) else {
            panic!("identity is invertible");
        };
        let at = |x: usize, y: usize, c: usize| out[(y * 6 + x) * 3 + c];
        assert_eq!(at(2, 3, 0), 20.0);
        assert_eq!(at(2, 3, 1), 30.0);
        assert_eq!(at(2, 3, 2), 7.0);
        assert_eq!(at(5, 5, 2), 0.0, "outside the image is black");
    }
}
