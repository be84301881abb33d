//! The real material the presentations are made from: the real clips
//! (`video/real_*`) and stills of real people: the bona fide crops
//! (`pad/real/*.jpg`, grouped by their file-name prefix, one group per
//! recording), then the colour photos of `identities/<person>/`; each
//! frame's face measured once. A still must face the camera and show the
//! whole face with room around it (tight crops and turned faces are left
//! out).

use std::path::Path;

use dayfusion_face::{DetectorModel, FaceEngine, load_image};
use dayfusion_liveness::video::Frames;
use image::RgbImage;
use serde::Serialize;

use super::scene::SourceFrame;
use crate::EvalError;

/// Clip or still.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Material {
    /// A real recording of a person: its own motion and blinks.
    Clip,
    /// A single real photo: motion is simulated (a slow sway).
    Still,
}

/// One piece of real material (never without a frame).
pub struct Source {
    /// Its file name.
    pub name: String,
    /// The recording or person it comes from (counts sources).
    pub group: String,
    /// Clip or still.
    pub material: Material,
    /// Frames with a measured face and mesh, with their times (ms from
    /// the first); never empty.
    frames: Vec<(f64, SourceFrame)>,
}

impl Source {
    /// Frames it holds.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// The frame on screen `t_ms` into a playback that loops back and
    /// forth: the last one shown at or before that time (a still is
    /// always its one frame).
    pub fn frame_at(&self, t_ms: f64) -> &SourceFrame {
        let last = self.frames.len().saturating_sub(1);
        let duration = self.frames[last].0.max(1.0);
        let round = t_ms.rem_euclid(2.0 * duration);
        let t = if round > duration {
            2.0 * duration - round
        } else {
            round
        };
        let i = self
            .frames
            .partition_point(|(at, _)| *at <= t)
            .saturating_sub(1)
            .min(last);
        &self.frames[i].1
    }

    /// The frame shown just before `frame_at(t_ms)` (a display's previous
    /// refresh).
    pub fn previous_at(&self, t_ms: f64) -> &SourceFrame {
        self.frame_at(t_ms - 33.0)
    }
}

/// Stills turned further than this are left out, degrees.
const MAX_STILL_YAW_DEG: f32 = 15.0;
/// Room a still must leave around the face, in face widths (a tight crop
/// cuts the cheeks the perspective model moves).
const STILL_MARGIN: f32 = 0.15;

/// A still usable as a person facing the kiosk: frontal, the whole face
/// and some room around it in the picture.
fn usable_still(frame: &SourceFrame) -> bool {
    let margin = STILL_MARGIN * frame.face_width;
    let half = frame.face_width / 2.0;
    let (w, h) = (frame.image.width() as f32, frame.image.height() as f32);
    frame.yaw_deg.is_some_and(|y| y.abs() <= MAX_STILL_YAW_DEG)
        && frame.face_center.0 - half - margin >= 0.0
        && frame.face_center.0 + half + margin <= w
        && frame.face_center.1 - half - margin >= 0.0
        && frame.face_center.1 + half + margin <= h
}

/// Whether a photo is in colour (the flash is a colour signal): mean
/// channel difference above 3 grey levels over a sparse grid.
fn in_colour(image: &RgbImage) -> bool {
    let step = (image.width().max(image.height()) / 64).max(1) as usize;
    let (mut sum, mut n) = (0u64, 0u64);
    for (x, y, p) in image.enumerate_pixels() {
        if (x as usize).is_multiple_of(step) && (y as usize).is_multiple_of(step) {
            let [r, g, b] = p.0.map(i32::from);
            sum += ((r - g).abs() + (g - b).abs()) as u64;
            n += 1;
        }
    }
    n > 0 && sum as f64 / n as f64 > 3.0
}

/// How much material to load.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stills per group at most.
    pub stills_per_group: usize,
    /// Clips at most.
    pub clips: usize,
    /// Groups of stills at most.
    pub still_groups: usize,
    /// Frames read from a clip at most.
    pub clip_frames: usize,
}

/// Measures the largest face of `image`: `None` without one.
pub fn measure(engine: &FaceEngine, image: RgbImage) -> Result<Option<SourceFrame>, EvalError> {
    // Both ranges: a tight crop's face is found by the short-range model
    // only.
    let faces = engine
        .detector(DetectorModel::Full)
        .detect(&image)?
        .into_iter()
        .chain(engine.detector(DetectorModel::Short).detect(&image)?);
    let Some(face) = faces.max_by(|a, b| a.bbox.area().total_cmp(&b.bbox.area())) else {
        return Ok(None);
    };
    let mesh = engine.mesher().mesh(&image, &face).ok();
    let c = face.bbox.center();
    Ok(Some(SourceFrame {
        face_center: (c.x, c.y),
        face_width: face.bbox.width,
        yaw_deg: mesh.as_ref().map(|m| m.pose.yaw),
        mesh: mesh.map(|m| m.points),
        image,
    }))
}

/// A file left out: its name and why.
pub type Skipped = (String, String);

/// Loads the clips and stills under `dir` (the development set's layout),
/// and says which files were left out and why (unreadable, no face).
pub fn load(
    engine: &FaceEngine,
    dir: &Path,
    limits: Limits,
) -> Result<(Vec<Source>, Vec<Skipped>), EvalError> {
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    let video_dir = dir.join("video");
    if video_dir.is_dir() {
        let mut clips = crate::sorted_paths(&video_dir, |p| {
            crate::pad::is_video(p)
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("real_"))
        })
        .map_err(|e| dataset_error(&video_dir, e))?;
        clips.truncate(limits.clips);
        for clip in clips {
            match load_clip(engine, &clip, limits.clip_frames) {
                Ok(source) => sources.push(source),
                Err(e) => skipped.push((crate::pad::file_name(&clip), e.to_string())),
            }
        }
    }
    // Stills: the bona fide crops, then one colour photo per person.
    let mut stills = Vec::new();
    let real_dir = dir.join("pad/real");
    if real_dir.is_dir() {
        for file in crate::image_files(&real_dir).map_err(|e| dataset_error(&real_dir, e))? {
            let group = crate::pad::source_group(&crate::pad::file_name(&file));
            stills.push((group, file));
        }
    }
    let people = dir.join("identities");
    if people.is_dir() {
        let folders =
            crate::sorted_paths(&people, Path::is_dir).map_err(|e| dataset_error(&people, e))?;
        for person in folders {
            let group = crate::pad::file_name(&person);
            for file in crate::image_files(&person).map_err(|e| dataset_error(&person, e))? {
                stills.push((group.clone(), file));
            }
        }
    }
    let mut per_group: std::collections::BTreeMap<String, usize> = Default::default();
    for (group, file) in stills {
        if !per_group.contains_key(&group) && per_group.len() >= limits.still_groups {
            continue;
        }
        if per_group
            .get(&group)
            .is_some_and(|&n| n >= limits.stills_per_group)
        {
            continue;
        }
        let image = match load_image(&file) {
            Ok(image) => image,
            Err(e) => {
                skipped.push((crate::pad::file_name(&file), e.to_string()));
                continue;
            }
        };
        if !in_colour(&image) {
            continue;
        }
        if let Some(frame) = measure(engine, image)?.filter(usable_still) {
            *per_group.entry(group.clone()).or_default() += 1;
            sources.push(Source {
                name: crate::pad::file_name(&file),
                group,
                material: Material::Still,
                frames: vec![(0.0, frame)],
            });
        }
    }
    if sources.is_empty() {
        return Err(EvalError::Dataset {
            path: dir.to_path_buf(),
            reason: "no real clip (video/real_*) or usable still (pad/real/*.jpg, identities/*/*)"
                .into(),
        });
    }
    Ok((sources, skipped))
}

fn load_clip(engine: &FaceEngine, path: &Path, max_frames: usize) -> Result<Source, EvalError> {
    let error = |e: dayfusion_liveness::LivenessError| EvalError::Dataset {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut frames = Vec::new();
    let mut first = None;
    for frame in Frames::open(path).map_err(error)?.take(max_frames) {
        let (t, image) = frame.map_err(error)?;
        let start = *first.get_or_insert(t);
        // Frames without a mesh would be rendered flat as a person.
        if let Some(measured) = measure(engine, image)?.filter(|f| f.mesh.is_some()) {
            frames.push((t - start, measured));
        }
    }
    let name = crate::pad::file_name(path);
    if frames.is_empty() {
        return Err(EvalError::Dataset {
            path: path.to_path_buf(),
            reason: "no frame with a measurable face".into(),
        });
    }
    Ok(Source {
        group: name
            .trim_start_matches("real_")
            .split('.')
            .next()
            .unwrap_or_default()
            .to_owned(),
        name,
        material: Material::Clip,
        frames,
    })
}

fn dataset_error(path: &Path, e: std::io::Error) -> EvalError {
    EvalError::Dataset {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}
