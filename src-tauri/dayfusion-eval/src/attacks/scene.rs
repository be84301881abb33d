//! One simulated kiosk camera frame, from real material and a physical
//! model of what stands in front of the camera: a 3D face, a printed
//! photo, a phone screen, or nothing at all (an injected stream).
//!
//! The model, with its parameters in [`Physics`] (reported with every run):
//! - **Distance.** The face is `far_cm` away when it fills the small oval;
//!   the distance falls as the face width grows (pinhole camera).
//! - **Perspective** (a real face only): the face mesh's depth, scaled to a
//!   `face_width_cm`-wide face, moves each point by the pinhole ratio
//!   between the source's distance and the rendered one, so what sticks
//!   out grows faster than the outline as the face comes closer. A print
//!   or a screen is flat: it only scales.
//! - **Screen light.** The kiosk's flash adds irradiance in proportion to
//!   the ambient light, `screen_to_ambient_at_30cm` at 30 cm, falling with
//!   the square of the distance; skin and paper reflect it (multiplied
//!   into linear light, weakened towards the face's edges as the surface
//!   turns away), the room behind gets `(d/(d+100 cm))²` of it. A phone
//!   screen emits its own picture: only its glass reflects the flash
//!   (`glass_reflectance`).
//! - **Media.** Paper: ink black and white levels, a slight blur. Screen:
//!   display gamma, moiré from the pixel grid, a glare spot, a bezel, and
//!   two clip frames blended when the display refreshed mid-exposure.
//! - **Camera.** Sensor noise (`noise_sigma` grey levels) and JPEG at
//!   `jpeg_quality`, as the widget uploads.

use dayfusion_face::MeshPoint;
use dayfusion_face::mesh::landmarks;
use image::{Rgb, RgbImage};
use rand::Rng;
use rand::rngs::StdRng;
use serde::Serialize;

/// Frame width of the simulated kiosk camera.
pub const FRAME_W: u32 = 640;
/// Frame height.
pub const FRAME_H: u32 = 480;

/// The physical model's parameters.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Physics {
    /// Distance of a face filling the small oval, centimetres.
    pub far_cm: f32,
    /// Face width (cheek to cheek) giving the mesh depth its scale, cm.
    pub face_width_cm: f32,
    /// Flash irradiance over ambient on a face 30 cm from the screen, per
    /// fully lit channel (a 250 cd/m² panel of 0.06 m² in 500 lux).
    pub screen_to_ambient_at_30cm: f32,
    /// Distance from the face to the wall behind it, cm.
    pub wall_behind_cm: f32,
    /// Share of the flash a phone's glass reflects.
    pub glass_reflectance: f32,
    /// Paper's darkest and brightest reflectance (linear).
    pub ink_levels: (f32, f32),
    /// Blur of the print, source pixels (Gaussian sigma).
    pub print_blur_px: f32,
    /// Display gamma over the camera's (contrast of a re-filmed screen).
    pub display_gamma_ratio: f32,
    /// Depth of the moiré pattern (fraction of the signal).
    pub moire_depth: f32,
    /// Brightest glare on the screen (linear, added).
    pub glare: f32,
    /// Sensor noise, grey levels (standard deviation).
    pub noise_sigma: f32,
    /// JPEG quality of the uploaded frame.
    pub jpeg_quality: u8,
}

impl Default for Physics {
    fn default() -> Self {
        Physics {
            far_cm: 60.0,
            face_width_cm: 14.0,
            screen_to_ambient_at_30cm: 0.35,
            wall_behind_cm: 100.0,
            glass_reflectance: 0.04,
            ink_levels: (0.04, 0.85),
            print_blur_px: 0.8,
            display_gamma_ratio: 1.15,
            moire_depth: 0.04,
            glare: 0.25,
            noise_sigma: 2.0,
            jpeg_quality: 85,
        }
    }
}

/// A frame of real material with its face measured once.
#[derive(Clone)]
pub struct SourceFrame {
    /// The picture.
    pub image: RgbImage,
    /// Face box centre, pixels.
    pub face_center: (f32, f32),
    /// Face box width, pixels.
    pub face_width: f32,
    /// The face mesh (468 points with depth), when it could be measured.
    pub mesh: Option<Vec<MeshPoint>>,
    /// Head yaw from the mesh, degrees.
    pub yaw_deg: Option<f32>,
}

/// What is in front of the camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Surface {
    /// A living face: perspective and skin reflection.
    Face,
    /// A printed photo held up: flat, reflects the flash like paper.
    Print,
    /// A phone or tablet screen: flat, emits its picture.
    Screen {
        /// Moiré period, output pixels.
        moire_period: f32,
        /// Moiré direction, radians.
        moire_angle: f32,
        /// Glare centre, as a fraction of the device's width and height.
        glare_at: (f32, f32),
    },
    /// A stream injected behind the camera: the picture as it is.
    Injected,
}

/// One frame to render.
pub struct Shot<'a> {
    /// The material.
    pub source: &'a SourceFrame,
    /// A second frame blended in (a display refreshing mid-exposure).
    pub blend: Option<(&'a SourceFrame, f32)>,
    /// Face width as a fraction of the frame width.
    pub width_ratio: f32,
    /// Width of the small oval (the distance scale's reference).
    pub small_oval_width: f32,
    /// Face centre as fractions of the frame.
    pub center: (f32, f32),
    /// In-plane rotation, degrees.
    pub roll_deg: f32,
    /// What is in front of the camera.
    pub surface: Surface,
    /// The kiosk screen's colour lighting the scene now.
    pub flash: Option<[u8; 3]>,
    /// The colour the pictured face itself was lit by (a relayed person
    /// or a prepared stream), reflected like skin inside the picture.
    pub pictured_flash: Option<[u8; 3]>,
}

/// sRGB byte to linear light.
fn to_linear(v: u8) -> f32 {
    static LUT: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    LUT.get_or_init(|| {
        let mut t = [0.0; 256];
        for (i, x) in t.iter_mut().enumerate() {
            let c = i as f32 / 255.0;
            *x = if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            };
        }
        t
    })[usize::from(v)]
}

/// Linear light to sRGB (0-255, unclamped noise added later).
fn to_srgb(v: f32) -> f32 {
    let v = v.clamp(0.0, 1.0);
    255.0
        * if v <= 0.003_130_8 {
            v * 12.92
        } else {
            1.055 * v.powf(1.0 / 2.4) - 0.055
        }
}

/// Bilinear sample of `image` in linear light; `None` outside.
fn sample(image: &RgbImage, x: f32, y: f32) -> Option<[f32; 3]> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    if x < 0.0 || y < 0.0 || x > w - 1.0 || y > h - 1.0 {
        return None;
    }
    let (x0, y0) = (x.floor() as u32, y.floor() as u32);
    let (x1, y1) = (
        (x0 + 1).min(image.width() - 1),
        (y0 + 1).min(image.height() - 1),
    );
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let mut out = [0.0; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let p = |px: u32, py: u32| to_linear(image.get_pixel(px, py).0[c]);
        *o = (p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx) * (1.0 - fy)
            + (p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx) * fy;
    }
    Some(out)
}

/// Past the material's edge, a face or a stream fades into the room over
/// this many output pixels (no straight edge a live face would not have;
/// mirroring would show the face twice).
const FEATHER_PX: f32 = 40.0;

/// The room behind (a grey wall), sRGB.
const ROOM: [u8; 3] = [96, 100, 104];
/// Grid step of the perspective displacement field, pixels.
const GRID: u32 = 8;

impl Physics {
    /// Distance of a face of `width_ratio`, cm.
    pub fn distance_cm(&self, width_ratio: f32, small_oval_width: f32) -> f32 {
        self.far_cm * small_oval_width / width_ratio.max(0.01)
    }

    /// Flash irradiance over ambient at `distance_cm`, per lit channel.
    fn flash_gain(&self, distance_cm: f32) -> f32 {
        self.screen_to_ambient_at_30cm * (30.0 / distance_cm).powi(2)
    }

    /// Renders one frame (then camera noise and JPEG, see [`Physics::camera`]).
    pub fn render(&self, shot: &Shot<'_>, rng: &mut StdRng) -> RgbImage {
        let src = shot.source;
        let distance = self.distance_cm(shot.width_ratio, shot.small_oval_width);
        let scale = shot.width_ratio * FRAME_W as f32 / src.face_width.max(1.0);
        let centre = (
            shot.center.0 * FRAME_W as f32,
            shot.center.1 * FRAME_H as f32,
        );
        let face_px = shot.width_ratio * FRAME_W as f32;
        let field = match (shot.surface, &src.mesh) {
            (Surface::Face, Some(mesh)) => {
                self.perspective_field(src, mesh, distance, scale, centre, shot.small_oval_width)
            }
            _ => None,
        };
        let (sin, cos) = (-shot.roll_deg).to_radians().sin_cos();
        let gain = self.flash_gain(distance);
        let wall = (distance / (distance + self.wall_behind_cm)).powi(2);
        let lit = |colour: Option<[u8; 3]>| colour.map(|c| c.map(|v| f32::from(v) / 255.0));
        let flash = lit(shot.flash);
        let pictured = lit(shot.pictured_flash);
        let room = ROOM.map(to_linear);
        // A screen's bezel: 4% of the picture's width around it.
        let bezel = 0.04 * src.image.width() as f32;
        let mut out = RgbImage::new(FRAME_W, FRAME_H);
        for (px, py, pixel) in out.enumerate_pixels_mut() {
            // Undo the roll about the face centre, then the perspective
            // (laid out unrolled), then the scale.
            let (rx, ry) = (px as f32 - centre.0, py as f32 - centre.1);
            let (mut rx, mut ry) = (rx * cos - ry * sin, rx * sin + ry * cos);
            if let Some(field) = &field {
                let d = field.at(centre.0 + rx, centre.1 + ry);
                rx -= d.0;
                ry -= d.1;
            }
            let sx = src.face_center.0 + rx / scale;
            let sy = src.face_center.1 + ry / scale;
            let mut v = match shot.surface {
                Surface::Face | Surface::Injected => {
                    let (w, h) = (
                        src.image.width() as f32 - 1.0,
                        src.image.height() as f32 - 1.0,
                    );
                    let (cx, cy) = (sx.clamp(0.0, w), sy.clamp(0.0, h));
                    let outside = (sx - cx).hypot(sy - cy) * scale / FEATHER_PX;
                    sample(&src.image, cx, cy).map(|v| {
                        let t = outside.min(1.0);
                        [0, 1, 2].map(|c| v[c] * (1.0 - t) + room[c] * t)
                    })
                }
                Surface::Print | Surface::Screen { .. } => sample(&src.image, sx, sy),
            };
            if let (Some(v), Some((other, share))) = (v.as_mut(), shot.blend) {
                // The same point of the picture in the other frame's pixels.
                let to_other = other.face_width / src.face_width.max(1.0) / scale;
                let ox = other.face_center.0 + rx * to_other;
                let oy = other.face_center.1 + ry * to_other;
                if let Some(o) = sample(&other.image, ox, oy) {
                    for c in 0..3 {
                        v[c] = v[c] * (1.0 - share) + o[c] * share;
                    }
                }
            }
            // Where on the face: 0 at the centre, 1 on the face's edge.
            let (ex, ey) = (
                (px as f32 - centre.0) / (0.55 * face_px),
                (py as f32 - centre.1) / (0.72 * face_px),
            );
            let on_face = (ex * ex + ey * ey).sqrt();
            let skin_weight = if on_face < 1.0 {
                1.0 - 0.4 * on_face * on_face
            } else {
                0.0
            };
            let value = match (shot.surface, v) {
                (Surface::Face, Some(mut v)) => {
                    let weight = if on_face < 1.0 { skin_weight } else { wall };
                    if let Some(f) = flash {
                        for c in 0..3 {
                            v[c] *= 1.0 + gain * f[c] * weight;
                        }
                    }
                    v
                }
                (Surface::Print, Some(mut v)) => {
                    let (black, white) = self.ink_levels;
                    for c in 0..3 {
                        v[c] = black + (white - black) * v[c];
                        if let Some(f) = flash {
                            v[c] *= 1.0 + gain * f[c];
                        }
                    }
                    v
                }
                (
                    Surface::Screen {
                        moire_period,
                        moire_angle,
                        glare_at,
                    },
                    Some(mut v),
                ) => {
                    if let Some(f) = pictured {
                        for c in 0..3 {
                            v[c] *= 1.0 + gain * f[c] * skin_weight;
                        }
                    }
                    let (ma, mb) = moire_angle.sin_cos();
                    let phase = (px as f32 * mb + py as f32 * ma) / moire_period;
                    let moire = 1.0 + self.moire_depth * (std::f32::consts::TAU * phase).cos();
                    let (gx, gy) = (
                        glare_at.0 * src.image.width() as f32,
                        glare_at.1 * src.image.height() as f32,
                    );
                    let spread = 0.15 * src.image.width() as f32;
                    let glare = self.glare
                        * (-((sx - gx).powi(2) + (sy - gy).powi(2)) / (2.0 * spread * spread))
                            .exp();
                    for c in 0..3 {
                        v[c] = 0.02 + 0.96 * v[c].max(0.0).powf(self.display_gamma_ratio);
                        v[c] = v[c] * moire + glare;
                        if let Some(f) = flash {
                            // The flash's irradiance over the ambient's,
                            // mirrored by the glass: against a mid-grey
                            // (reflectance 0.5) picture.
                            v[c] += self.glass_reflectance * gain * f[c] * 0.5;
                        }
                    }
                    v
                }
                (Surface::Injected, Some(mut v)) => {
                    if let Some(f) = pictured {
                        for c in 0..3 {
                            v[c] *= 1.0 + gain * f[c] * skin_weight;
                        }
                    }
                    v
                }
                (Surface::Screen { .. }, None)
                    if sx > -bezel
                        && sy > -bezel
                        && sx < src.image.width() as f32 + bezel
                        && sy < src.image.height() as f32 + bezel =>
                {
                    [0.01; 3]
                }
                (_, None) => {
                    let mut v = room;
                    if let Some(f) = flash {
                        for c in 0..3 {
                            v[c] *= 1.0 + gain * f[c] * wall;
                        }
                    }
                    v
                }
            };
            *pixel = Rgb(value.map(|x| {
                (to_srgb(x) + rng.random_range(-1.0f32..1.0) * self.noise_sigma * 1.73)
                    .round()
                    .clamp(0.0, 255.0) as u8
            }));
        }
        out
    }

    /// The photo as printed: blurred by `print_blur_px` (the ink levels
    /// are applied as it is filmed).
    pub fn printed(&self, frame: &SourceFrame) -> SourceFrame {
        SourceFrame {
            image: image::imageops::blur(&frame.image, self.print_blur_px),
            ..frame.clone()
        }
    }

    /// The frame as the kiosk receives it: JPEG-compressed and decoded.
    pub fn camera(&self, frame: &RgbImage) -> RgbImage {
        let mut bytes = Vec::new();
        let encoder =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, self.jpeg_quality);
        if frame.write_with_encoder(encoder).is_err() {
            return frame.clone();
        }
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .map(|i| i.to_rgb8())
            .unwrap_or_else(|_| frame.clone())
    }

    /// Where perspective moves each output pixel (pixels), relative to a
    /// flat scaling of the source: each mesh point's displacement, spread
    /// over a grid by Gaussian weights that fade away from the face.
    fn perspective_field(
        &self,
        src: &SourceFrame,
        mesh: &[MeshPoint],
        distance: f32,
        scale: f32,
        centre: (f32, f32),
        small_oval_width: f32,
    ) -> Option<Field> {
        let (Some(a), Some(b)) = (
            mesh.get(landmarks::FACE_RIGHT_CONTOUR),
            mesh.get(landmarks::FACE_LEFT_CONTOUR),
        ) else {
            return None;
        };
        let cheeks = (a.x - b.x).hypot(a.y - b.y).max(1.0);
        let cm_per_unit = self.face_width_cm / cheeks;
        let outline_z = (a.z + b.z) / 2.0;
        let src_width = src.face_width / src.image.width() as f32;
        let source_distance = self
            .distance_cm(src_width, small_oval_width)
            .clamp(25.0, 100.0);
        let points: Vec<((f32, f32), (f32, f32))> = mesh
            .iter()
            .map(|p| {
                // Towards the camera is negative z in the mesh.
                let out = ((outline_z - p.z) * cm_per_unit).clamp(-12.0, 12.0);
                // Never at or behind the camera, whatever the inputs.
                let ratio = (distance / (distance - out).max(1.0))
                    * ((source_distance - out) / source_distance);
                let at = (
                    centre.0 + (p.x - src.face_center.0) * scale,
                    centre.1 + (p.y - src.face_center.1) * scale,
                );
                (
                    at,
                    (
                        (ratio - 1.0) * (at.0 - centre.0),
                        (ratio - 1.0) * (at.1 - centre.1),
                    ),
                )
            })
            .collect();
        let sigma = 0.03 * src.face_width * scale;
        let reach = 4.0 * sigma;
        let cols = FRAME_W / GRID + 2;
        let rows = FRAME_H / GRID + 2;
        let mut grid = vec![(0.0f32, 0.0f32); (cols * rows) as usize];
        for gy in 0..rows {
            for gx in 0..cols {
                let (x, y) = ((gx * GRID) as f32, (gy * GRID) as f32);
                let (mut sum, mut dx, mut dy) = (0.0f32, 0.0f32, 0.0f32);
                for (at, d) in &points {
                    let (ox, oy) = (x - at.0, y - at.1);
                    if ox.abs() > reach || oy.abs() > reach {
                        continue;
                    }
                    let w = (-(ox * ox + oy * oy) / (2.0 * sigma * sigma)).exp();
                    sum += w;
                    dx += w * d.0;
                    dy += w * d.1;
                }
                // Fades to no displacement away from the mesh.
                let norm = sum + 0.2;
                grid[(gy * cols + gx) as usize] = (dx / norm, dy / norm);
            }
        }
        Some(Field { cols, rows, grid })
    }
}

/// A displacement field on a coarse grid.
struct Field {
    cols: u32,
    rows: u32,
    grid: Vec<(f32, f32)>,
}

impl Field {
    /// Bilinear displacement at a pixel.
    fn at(&self, x: f32, y: f32) -> (f32, f32) {
        let (gx, gy) = (
            (x / GRID as f32).clamp(0.0, (self.cols - 2) as f32),
            (y / GRID as f32).clamp(0.0, (self.rows - 2) as f32),
        );
        let (x0, y0) = (gx.floor() as u32, gy.floor() as u32);
        let (fx, fy) = (gx - x0 as f32, gy - y0 as f32);
        let g = |cx: u32, cy: u32| self.grid[(cy * self.cols + cx) as usize];
        let (a, b, c, d) = (g(x0, y0), g(x0 + 1, y0), g(x0, y0 + 1), g(x0 + 1, y0 + 1));
        (
            (a.0 * (1.0 - fx) + b.0 * fx) * (1.0 - fy) + (c.0 * (1.0 - fx) + d.0 * fx) * fy,
            (a.1 * (1.0 - fx) + b.1 * fx) * (1.0 - fy) + (c.1 * (1.0 - fx) + d.1 * fx) * fy,
        )
    }
}
