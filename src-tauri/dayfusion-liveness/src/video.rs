//! Recorded videos, decoded by Debian's `ffmpeg` into RGB frames. Every
//! frame the file holds comes out once (no frames are repeated to make up
//! a constant rate: browsers record webcams at a variable rate), with its
//! own presentation time from `ffprobe`.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use image::RgbImage;
use serde::Deserialize;

use crate::error::LivenessError;

/// Frames larger than this on their longer side are scaled down by ffmpeg
/// (the detector works at 128 px; more only costs time).
pub const MAX_SIDE: u32 = 1280;

/// Size and rate of a video's first video stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoInfo {
    /// Width after scaling.
    pub width: u32,
    /// Height after scaling.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
}

#[derive(Deserialize)]
struct Probe {
    streams: Vec<ProbeStream>,
}

#[derive(Deserialize)]
struct ProbeStream {
    width: u32,
    height: u32,
    r_frame_rate: String,
}

fn video_error(e: impl std::fmt::Display) -> LivenessError {
    LivenessError::Video(e.to_string())
}

fn run_tool(name: &str) -> Command {
    let mut cmd = Command::new(name);
    cmd.stdin(Stdio::null());
    cmd
}

/// Reads size and frame rate with `ffprobe`.
pub fn probe(path: &Path) -> Result<VideoInfo, LivenessError> {
    let out = run_tool("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=width,height,r_frame_rate",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .map_err(|e| video_error(format!("cannot run ffprobe (install ffmpeg): {e}")))?;
    if !out.status.success() {
        return Err(video_error(format!(
            "ffprobe could not read {}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let probe: Probe = serde_json::from_slice(&out.stdout).map_err(video_error)?;
    let stream = probe
        .streams
        .into_iter()
        .next()
        .ok_or_else(|| video_error(format!("{} has no video stream", path.display())))?;
    let fps = match stream.r_frame_rate.split_once('/') {
        Some((n, d)) => n.parse::<f64>().unwrap_or(0.0) / d.parse::<f64>().unwrap_or(1.0),
        None => stream.r_frame_rate.parse().unwrap_or(0.0),
    };
    if !(fps.is_finite() && fps > 0.0) || stream.width == 0 || stream.height == 0 {
        return Err(video_error("video stream without size or frame rate"));
    }
    let longer = stream.width.max(stream.height);
    let (width, height) = if longer > MAX_SIDE {
        // Even sizes, as ffmpeg's scaler rounds them.
        let scale = f64::from(MAX_SIDE) / f64::from(longer);
        let even = |v: u32| ((f64::from(v) * scale / 2.0).round() as u32 * 2).max(2);
        (even(stream.width), even(stream.height))
    } else {
        (stream.width, stream.height)
    };
    Ok(VideoInfo { width, height, fps })
}

/// Presentation times of the first video stream's packets, milliseconds
/// from the first, sorted (packet order is decode order).
pub fn frame_times(path: &Path) -> Result<Vec<f64>, LivenessError> {
    let out = run_tool("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "packet=pts_time", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .map_err(|e| video_error(format!("cannot run ffprobe (install ffmpeg): {e}")))?;
    let mut times: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse::<f64>().ok())
        .filter(|t| t.is_finite())
        .map(|t| t * 1000.0)
        .collect();
    times.sort_by(f64::total_cmp);
    if let Some(&first) = times.first() {
        for t in &mut times {
            *t -= first;
        }
    }
    Ok(times)
}

/// The frames of a video, decoded as they are read.
pub struct Frames {
    child: Child,
    info: VideoInfo,
    times: Vec<f64>,
    index: usize,
}

impl std::fmt::Debug for Frames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frames")
            .field("info", &self.info)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl Frames {
    /// Starts decoding `path`.
    pub fn open(path: &Path) -> Result<Frames, LivenessError> {
        let info = probe(path)?;
        let times = frame_times(path)?;
        let child = run_tool("ffmpeg")
            // Frames as coded, the size ffprobe reported (a rotated phone
            // video comes out sideways rather than stretched).
            .args(["-v", "error", "-nostdin", "-noautorotate", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-fps_mode", "passthrough", "-vf"])
            .arg(format!("scale={}:{}", info.width, info.height))
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| video_error(format!("cannot run ffmpeg (install ffmpeg): {e}")))?;
        Ok(Frames {
            child,
            info,
            times,
            index: 0,
        })
    }

    /// Size and rate.
    pub fn info(&self) -> VideoInfo {
        self.info
    }
}

impl Iterator for Frames {
    /// Capture time in milliseconds and the frame.
    type Item = Result<(f64, RgbImage), LivenessError>;

    fn next(&mut self) -> Option<Self::Item> {
        let stdout = self.child.stdout.as_mut()?;
        let len = self.info.width as usize * self.info.height as usize * 3;
        let mut buf = vec![0u8; len];
        let mut filled = 0;
        while filled < len {
            match stdout.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) => return Some(Err(video_error(e))),
            }
        }
        if filled < len {
            return None;
        }
        let image = RgbImage::from_raw(self.info.width, self.info.height, buf)?;
        // The stream's own time; the nominal rate when the probe had none.
        let step = 1000.0 / self.info.fps;
        let t_ms = match self.times.get(self.index) {
            Some(&t) => t,
            // Past the probed times: continue from the last at the nominal rate.
            None => match self.times.last() {
                Some(&last) => last + (self.index + 1 - self.times.len()) as f64 * step,
                None => self.index as f64 * step,
            },
        };
        self.index += 1;
        Some(Ok((t_ms, image)))
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        // Stop a decoder the caller no longer reads from; errors are moot.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
