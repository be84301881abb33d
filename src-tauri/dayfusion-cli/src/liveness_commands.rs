//! `dayfusion liveness analyze` and `dayfusion eval pad`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use dayfusion_face::FaceEngine;
use dayfusion_liveness::video::Frames;
use dayfusion_liveness::{LivenessSettings, Outcome, RecordedChallenge, Session};

use crate::with_reason;

/// Arguments of `liveness analyze`.
pub struct AnalyzeArgs {
    pub video: PathBuf,
    pub challenge: Option<PathBuf>,
    pub json: bool,
    pub lang: String,
    pub models_dir: PathBuf,
    pub save_images: Option<PathBuf>,
    pub audit_images: u8,
}

/// Runs every applicable check on a recorded video.
pub fn analyze(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let recorded: Option<RecordedChallenge> = match &args.challenge {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read challenge file {}", path.display()))?;
            Some(serde_json::from_str(&text).with_context(|| {
                format!("{} is not a recorded challenge (JSON)", path.display())
            })?)
        }
        None => None,
    };
    let engine = FaceEngine::load(&args.models_dir).map_err(with_reason)?;
    let settings = LivenessSettings {
        audit_images_limit: args.audit_images,
        locale: args.lang.clone(),
        ..LivenessSettings::default()
    };
    let mut session = Session::recorded(recorded, settings)?;
    let frames = Frames::open(&args.video)?;
    let mut rejected = 0usize;
    for frame in frames {
        let (t, image) = frame?;
        match session.push(&engine, &image, t, None, None) {
            Ok(_) => {}
            Err(dayfusion_liveness::LivenessError::TooManyFrames(n)) => {
                eprintln!("dayfusion: only the first {n} frames were analysed");
                break;
            }
            Err(e) => {
                rejected += 1;
                eprintln!("dayfusion: frame at {t:.0} ms skipped: {e}");
            }
        }
    }
    if rejected > 0 {
        eprintln!("dayfusion: {rejected} frames skipped");
    }
    let result = session.finish(&engine, false);
    if let Some(dir) = &args.save_images {
        save_images(dir, &result)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{}  status {:?}  confidence {:.1}  assurance {:?}  ({} frames, {:.1} s; median {:.1} ms/frame, finish {:.1} ms)",
        args.video.display(),
        result.status,
        result.confidence,
        result.assurance,
        result.frames,
        result.duration_ms / 1000.0,
        result.timings.median_frame_ms,
        result.timings.finish_ms
    );
    if let Some(msg) = result.failure_message(&args.lang) {
        println!("  {msg}");
    }
    for c in &result.checks {
        let verdict = match c.outcome {
            Outcome::Passed => "pass",
            Outcome::Failed => "FAIL",
            Outcome::NotApplicable => "n/a ",
        };
        let score = c.score.map_or("   -".to_owned(), |s| format!("{s:>4.0}"));
        println!(
            "  {verdict} {score}  {:<18} {}",
            c.check.as_str(),
            c.message(&args.lang)
        );
        let numbers: Vec<String> = c
            .measures
            .iter()
            .map(|(k, v)| format!("{k}={v:.3}"))
            .collect();
        if !numbers.is_empty() {
            println!("              {}", numbers.join(" "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn save_images(dir: &Path, result: &dayfusion_liveness::LivenessResult) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let images = result
        .reference_image
        .iter()
        .map(|i| ("reference".to_owned(), i))
        .chain(
            result
                .audit_images
                .iter()
                .enumerate()
                .map(|(n, i)| (format!("audit-{n}"), i)),
        );
    for (name, image) in images {
        let path = dir.join(format!("{name}.jpg"));
        std::fs::write(&path, &image.jpeg)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `eval pad DIR`.
pub fn eval_pad(dir: &Path, out: &Path, models_dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    if !dir.join("pad").is_dir() {
        anyhow::bail!(
            "no pad/ folder in {} (the development set is ../shared/eval/dev beside a checkout)",
            dir.display()
        );
    }
    let engine = FaceEngine::load(models_dir).map_err(with_reason)?;
    let report = dayfusion_eval::pad::evaluate_pad(&engine, dir, out)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (label, rates, before) in [
        (
            "face crops (screen cues and recapture)",
            &report.crops,
            &report.crops_before_recapture,
        ),
        (
            "clips (passive checks, no challenge)",
            &report.videos,
            &report.videos_before_recapture,
        ),
    ] {
        println!(
            "{label}: {} sources; without the recapture check (rule 2026-12-07.3) in brackets",
            rates.sources
        );
        println!(
            "  BPCER {:>5.1}% [{:>5.1}%]  ({} [{}] of {} bona fide rejected)",
            rates.bpcer,
            before.bpcer,
            rates.bona_fide_rejected,
            before.bona_fide_rejected,
            rates.bona_fide
        );
        for (kind, (n, accepted, apcer)) in &rates.apcer {
            let (before_accepted, before_apcer) =
                before.apcer.get(kind).map_or((0, 0.0), |&(_, a, p)| (a, p));
            println!(
                "  APCER {apcer:>5.1}% [{before_apcer:>5.1}%]  ({accepted} [{before_accepted}] of {n} {kind} attacks accepted)"
            );
        }
    }
    for v in &report.video_outcomes {
        let failed: Vec<&str> = v
            .checks
            .iter()
            .filter(|c| c.outcome == Outcome::Failed)
            .map(|c| c.reason)
            .collect();
        println!(
            "  {:<28} {:?} confidence {:>5.1} {}  {:>5.1} ms/frame  failed: {}",
            v.file,
            v.truth,
            v.confidence,
            if v.accepted { "accepted" } else { "rejected" },
            v.median_frame_ms,
            failed.join(", ")
        );
    }
    println!(
        "crops too small for the cues (face under {} px, accepted unexamined): {} bona fide, {} attacks",
        dayfusion_liveness::checks::screen::MIN_FACE_PX,
        report.crops_not_measurable.0,
        report.crops_not_measurable.1
    );
    let medians: Vec<String> = report
        .crop_medians
        .iter()
        .map(|(k, v)| format!("{k}={v:.4}"))
        .collect();
    println!("crop medians: {}", medians.join(" "));
    println!("distributions (median [min-max], n; below the pass line):");
    for d in &report.distributions {
        let values = d.values.as_ref().map_or("none applied".to_owned(), |v| {
            let below = v.below_pass.map_or(String::new(), |b| {
                format!("; {b} below {}", d.pass_line.unwrap_or_default())
            });
            format!(
                "{:.4} [{:.4}-{:.4}], n={}{below}",
                v.median, v.min, v.max, v.n
            )
        });
        println!("  {:<6} {:<18} {:<10} {values}", d.set, d.measure, d.truth);
    }
    for limit in &report.limits {
        println!("limit: {limit}");
    }
    println!("report: {}", out.join("report.json").display());
    Ok(ExitCode::SUCCESS)
}

/// `dayfusion eval attacks DIR`: the attack species through live sessions.
pub fn eval_attacks(
    dir: &Path,
    out: &Path,
    quick: bool,
    models_dir: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    use dayfusion_eval::attacks::{AttackOptions, evaluate_attacks, report};
    let engine = Arc::new(FaceEngine::load(models_dir).map_err(with_reason)?);
    let options = if quick {
        AttackOptions::quick()
    } else {
        AttackOptions::full()
    };
    let report = evaluate_attacks(&engine, dir, out, &options)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report::markdown(&report));
        println!("\nreport: {}", out.join("report.md").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The environment variable that may hold the bridge's bearer token
/// (tests); never an argument, which any local user could read.
pub const BRIDGE_TOKEN_ENV: &str = "DAYFUSION_BRIDGE_TOKEN";

/// The bridge's token: the one in [`BRIDGE_TOKEN_ENV`] when set and not
/// empty (and `false`), else a new random one (and `true`).
pub fn bridge_token(
    lookup: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<(dayfusion_capture::bridge::BridgeToken, bool)> {
    use dayfusion_capture::bridge::BridgeToken;
    match lookup(BRIDGE_TOKEN_ENV).filter(|t| !t.is_empty()) {
        Some(secret) => Ok((
            BridgeToken::from_secret(&secret).context(BRIDGE_TOKEN_ENV)?,
            false,
        )),
        None => Ok((BridgeToken::generate()?, true)),
    }
}

/// The line `liveness serve` prints once listening: `url`, and `token`
/// unless the caller gave it in [`BRIDGE_TOKEN_ENV`].
pub fn listening_line(url: &str, token: Option<&str>) -> String {
    let mut line = serde_json::json!({ "url": url });
    if let Some(token) = token {
        line["token"] = token.into();
    }
    line.to_string()
}

/// `dayfusion liveness serve`: the capture service over loopback HTTP.
pub fn serve(
    listen: std::net::SocketAddr,
    allow_origin: Option<String>,
    models_dir: &Path,
) -> anyhow::Result<ExitCode> {
    use dayfusion_capture::{CaptureService, bridge::Bridge};
    let (token, generated) = bridge_token(|name| std::env::var(name).ok())?;
    let faces = Arc::new(FaceEngine::load(models_dir).map_err(with_reason)?);
    let engine = Arc::new(dayfusion_liveness::LivenessEngine::new(faces));
    let sessions = dayfusion_verify::embedded::LiveSessions::new(
        engine,
        dayfusion_liveness::LivenessSettings::default(),
    );
    // The kiosk's pin, as the app applies it (`dayfusion cameras` lists it).
    let (pin, _) = crate::camera_commands::pin_in_force();
    let cameras = dayfusion_capture::CameraPolicy::with_pin(pin);
    let service = Arc::new(CaptureService::new(Arc::new(sessions)).with_cameras(cameras));
    let bridge = Bridge::bind(listen, service, allow_origin, token.clone())?;
    let addr = bridge
        .local_addr()
        .context("the bridge has no IP address")?;
    // The line the tests and scripts wait for (stdout only, never the log).
    let url = format!("http://{addr}");
    println!(
        "{}",
        listening_line(&url, generated.then(|| token.secret()))
    );
    std::io::Write::flush(&mut std::io::stdout())?;
    bridge.serve();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bridge_token_comes_from_the_environment_or_is_generated() -> anyhow::Result<()> {
        let chosen = "0123456789abcdef".repeat(3);
        let (token, generated) =
            bridge_token(|name| (name == BRIDGE_TOKEN_ENV).then(|| chosen.clone()))?;
        assert_eq!((token.secret(), generated), (chosen.as_str(), false));
        let (token, generated) = bridge_token(|_| Some(String::new()))?;
        assert!(generated && token.secret().len() == 64);
        assert!(bridge_token(|_| Some("too-short".into())).is_err());
        Ok(())
    }

    #[test]
    fn the_listening_line_is_json_with_the_token_only_when_generated() -> anyhow::Result<()> {
        let line: serde_json::Value =
            serde_json::from_str(&listening_line("http://127.0.0.1:1", Some("t")))?;
        assert_eq!(
            line,
            serde_json::json!({"url": "http://127.0.0.1:1", "token": "t"})
        );
        let line: serde_json::Value =
            serde_json::from_str(&listening_line("http://127.0.0.1:1", None))?;
        assert!(line.get("token").is_none());
        Ok(())
    }
}
