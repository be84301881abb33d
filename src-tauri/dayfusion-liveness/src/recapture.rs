//! Whole-frame recapture measure: the periodic texture of a screen's pixel
//! grid (or a print's halftone) repeated across the frame.
//!
//! A camera filming a screen sees the display's pixel grid, beaten against
//! its own sensor grid into moiré: the same narrow spectral peak in every
//! part of the screen, wherever the face is and whatever the screen shows
//! around it. Skin, hair, walls and most fabrics give peaks too, but at
//! frequencies that change from one patch to the next. So the measure is
//! how consistently one frequency peaks across the whole frame, not how much
//! peak power one patch holds (the face-only moiré cue of [`crate::cues`]).
//!
//! Measured on the luma of the frame as it arrives, not resampled here
//! (resampling averages a fine grid away; the widget itself sends at most
//! 960 px wide, so a camera delivering 1280 px reaches the engine already
//! downscaled and its grid softened), in 64 x 64 tiles: each textured tile's
//! high-band peaks ([`crate::spectrum`]) that stand alone on their radius
//! too (a straight edge makes a ridge through the origin, not a peak)
//! vote for their frequency and its
//! eight neighbours; the measure is the largest share of textured tiles that
//! voted for one frequency. Peaks on the lattice of JPEG's 8 x 8 blocks
//! (both frequencies multiples of n/8, within one bin) do not vote:
//! compression blocks repeat everywhere in every frame, live or not.

use image::RgbImage;

use crate::spectrum::SpectrumPlan;

/// Tile side (pixels).
const TILE: usize = 64;
/// Smallest step between tiles; it doubles until the tile count is at
/// most [`MAX_TILES`] (a 640 x 480 frame: 64 px, 70 tiles; 960 x 540, the
/// widest frame the widget sends: 128 px, 32 tiles; a 100 x 130 face
/// crop: 16 px, 15 tiles).
const MIN_STEP: usize = 16;
/// Most tiles measured in one frame: it bounds the cost (7.8 ms on a
/// 640 x 480 frame in a release build, `benches/liveness.rs`).
const MAX_TILES: usize = 80;
/// A tile whose luma standard deviation is under this is flat (sky, a
/// blank wall, a dark corner): it has no texture to show a grid.
const MIN_TILE_STD: f32 = 3.0;
/// Fewer textured tiles than this: nothing to measure.
const MIN_TILES: usize = 4;
/// A peak votes only when it is at least this many times stronger than
/// the bins 3 away along its radius ([`crate::spectrum::Peak`]): straight
/// edges (door frames, shelves, a phone's own border) make ridges, not
/// peaks.
const RADIAL_ISOLATION: f32 = 4.0;

/// How consistently one high frequency peaks across the frame's textured
/// tiles, 0..1 (the share of tiles that peak there); `None` when the frame
/// is under one tile or has fewer than [`MIN_TILES`] textured tiles.
pub fn screen_grid(image: &RgbImage) -> Option<f32> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w < TILE || h < TILE {
        return None;
    }
    let count = |step: usize| ((w - TILE) / step + 1) * ((h - TILE) / step + 1);
    let mut step = MIN_STEP;
    while count(step) > MAX_TILES {
        step *= 2;
    }
    let luma: Vec<f32> = image
        .as_raw()
        .chunks_exact(3)
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect();
    let plan = SpectrumPlan::new(TILE);
    let n = plan.side();
    let mut votes = vec![0u32; n * n];
    let mut voted = vec![false; n * n];
    let mut tile = vec![0f32; n * n];
    let mut textured = 0u32;
    for y0 in (0..=h - TILE).step_by(step) {
        for x0 in (0..=w - TILE).step_by(step) {
            for (row, out) in tile.chunks_exact_mut(n).enumerate() {
                let start = (y0 + row) * w + x0;
                out.copy_from_slice(&luma[start..start + n]);
            }
            if standard_deviation(&tile) < MIN_TILE_STD {
                continue;
            }
            textured += 1;
            voted.fill(false);
            let peaks = plan.high_band(&tile).peaks.into_iter().filter(|p| {
                p.radial_isolation >= RADIAL_ISOLATION && !on_block_lattice(p.u, p.v, n)
            });
            for p in peaks {
                for dv in -1..=1 {
                    for du in -1..=1 {
                        // Back into the half plane the peaks live in: a
                        // grid near the horizontal peaks at (u, 0) in one
                        // tile and (-u, 1) in the next, mirror images.
                        let (mut bu, mut bv) = (p.u + du, p.v + dv);
                        if bv < 0 || (bv == 0 && bu < 0) {
                            (bu, bv) = (-bu, -bv);
                        }
                        let i = wrap(bv, n) * n + wrap(bu, n);
                        if !voted[i] {
                            voted[i] = true;
                            votes[i] += 1;
                        }
                    }
                }
            }
        }
    }
    if (textured as usize) < MIN_TILES {
        return None;
    }
    let most = votes.iter().copied().max().unwrap_or(0);
    Some(most as f32 / textured as f32)
}

/// Whether frequency (u, v) lies within one bin of the 8 x 8 block
/// lattice (both multiples of n/8).
fn on_block_lattice(u: isize, v: isize, n: usize) -> bool {
    let period = (n / 8) as isize;
    let near = |f: isize| {
        let r = f.rem_euclid(period);
        r <= 1 || r >= period - 1
    };
    near(u) && near(v)
}

fn wrap(f: isize, n: usize) -> usize {
    f.rem_euclid(n as isize) as usize
}

fn standard_deviation(values: &[f32]) -> f32 {
    let len = values.len().max(1) as f32;
    let mean = values.iter().sum::<f32>() / len;
    (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / len).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dayfusion_test_support::faces::photo;
    use image::Rgb;

    /// The registry-shipped photos the tests use (skipped when missing).
    fn photos() -> Vec<(&'static str, RgbImage)> {
        [
            "face_recognition/obama.jpg",
            "face_recognition/biden.jpg",
            "astronaut.png",
        ]
        .into_iter()
        .filter_map(|name| photo("recapture", name).map(|p| (name, p)))
        .collect()
    }

    /// The frame as a camera sees it on a screen: the display's pixel grid
    /// (two cosine gratings, periods 3.4 and 3.7 px at 4 and 94 degrees,
    /// `contrast` each) over every pixel.
    fn filmed_screen(image: &RgbImage, contrast: f32) -> RgbImage {
        let (sn, cs) = 4f32.to_radians().sin_cos();
        let tau = std::f32::consts::TAU;
        let mut out = image.clone();
        for (x, y, p) in out.enumerate_pixels_mut() {
            let (x, y) = (x as f32, y as f32);
            let (u, v) = (x * cs + y * sn, y * cs - x * sn);
            let m =
                (1.0 + contrast * (tau * u / 3.4).cos()) * (1.0 + contrast * (tau * v / 3.7).cos());
            for c in &mut p.0 {
                *c = (f32::from(*c) * m).round().clamp(0.0, 255.0) as u8;
            }
        }
        out
    }

    /// Encoded and decoded as JPEG at `quality` (8 x 8 blocks).
    fn jpeg(image: &RgbImage, quality: u8) -> RgbImage {
        let mut bytes = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality);
        image
            .write_with_encoder(encoder)
            .map_err(|e| e.to_string())
            .and_then(|()| image::load_from_memory(&bytes).map_err(|e| e.to_string()))
            .map(|d| d.to_rgb8())
            .unwrap_or_else(|e| panic!("jpeg round trip: {e}"))
    }

    #[test]
    fn a_filmed_screen_repeats_one_frequency_across_the_frame_and_a_photo_does_not() {
        for (name, image) in photos() {
            let clean = screen_grid(&image).unwrap_or(0.0);
            let compressed = screen_grid(&jpeg(&image, 40)).unwrap_or(0.0);
            let screen = screen_grid(&jpeg(&filmed_screen(&image, 0.08), 85)).unwrap_or(0.0);
            println!("{name}: clean {clean:.3} jpeg-40 {compressed:.3} screen {screen:.3}");
            // The pass line is checks::recapture::GRID_KNOTS[1] (0.22):
            // heavy compression alone stays under it.
            assert!(clean < 0.15 && compressed < 0.22, "{name}");
            assert!(screen > 0.35, "{name}");
        }
    }

    #[test]
    fn flat_and_tiny_frames_are_not_measured() {
        let grey = RgbImage::from_pixel(640, 480, Rgb([128, 128, 128]));
        assert_eq!(screen_grid(&grey), None);
        assert_eq!(screen_grid(&RgbImage::new(63, 400)), None);
        assert_eq!(screen_grid(&RgbImage::new(0, 0)), None);
        // Noise has texture but no frequency repeats.
        let mut state = 0x2545_f491_u32;
        let noise = RgbImage::from_fn(320, 240, |_, _| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let v = (state % 200) as u8 + 28;
            Rgb([v, v, v])
        });
        let measured = screen_grid(&noise);
        assert!(measured.is_some_and(|g| g < 0.15), "{measured:?}");
    }
}
