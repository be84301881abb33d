//! Helpers shared by the CLI's integration tests: ffmpeg and the selfie
//! videos made from registry photos.

#![allow(dead_code, reason = "each test binary uses a part of these helpers")]

use std::path::Path;
use std::process::Command;

/// The result of a test or helper.
pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Runs ffmpeg quietly, overwriting its output.
pub fn ffmpeg(args: &[&str]) -> TestResult {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .status()?;
    if !status.success() {
        return Err(format!("ffmpeg failed: {}", args.join(" ")).into());
    }
    Ok(())
}

/// Whether ffmpeg can be run.
pub fn has_ffmpeg() -> bool {
    Command::new("ffmpeg").arg("-version").output().is_ok()
}

/// `seconds` of `photo` at 15 fps with camera-like noise (MJPEG), 640 wide.
pub fn selfie_video(photo: &Path, out: &Path, seconds: u32) -> TestResult {
    ffmpeg(&[
        "-loop",
        "1",
        "-i",
        &photo.to_string_lossy(),
        "-t",
        &seconds.to_string(),
        "-r",
        "15",
        "-vf",
        "scale=640:-2,noise=alls=12:allf=t",
        "-c:v",
        "mjpeg",
        "-q:v",
        "3",
        &out.to_string_lossy(),
    ])
}
