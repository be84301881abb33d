//! `compare` and `eval faces`: the face engine from the command line.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::Context;
use dayfusion_eval::faces::{FacesEvalOptions, FacesReport, Peer, SubsetMetrics, evaluate};
use dayfusion_face::{Comparison, FaceEngine, Matcher, QualityReport, image_io::load_image};

use crate::{ms, with_reason};

/// Arguments of `compare`.
pub struct CompareArgs {
    pub document: PathBuf,
    pub selfie: PathBuf,
    pub json: bool,
    pub models_dir: PathBuf,
    pub lang: String,
    pub bench_runs: usize,
    pub save_crops: Option<PathBuf>,
}

/// `dayfusion compare DOCUMENT SELFIE`.
pub fn compare(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let engine = FaceEngine::load(&args.models_dir).map_err(with_reason)?;
    let load_ms = ms(t);
    let t = Instant::now();
    let document = load_image(&args.document).map_err(with_reason)?;
    let selfie = load_image(&args.selfie).map_err(with_reason)?;
    let decode_ms = ms(t);
    let result = engine.compare(&document, &selfie).map_err(with_reason)?;
    let mut runs = Vec::with_capacity(args.bench_runs);
    for _ in 0..args.bench_runs {
        let t = Instant::now();
        engine.compare(&document, &selfie).map_err(with_reason)?;
        runs.push(ms(t));
    }
    runs.sort_by(f64::total_cmp);
    let median = runs.get(runs.len() / 2).copied();
    if let Some(dir) = &args.save_crops {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (name, image) in [
            ("document-portrait.png", &result.document.crop),
            ("selfie-aligned.png", &result.selfie.aligned),
        ] {
            let path = dir.join(name);
            image
                .save(&path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    if args.json {
        let issues = |q: &QualityReport| -> Vec<serde_json::Value> {
            q.issues
                .iter()
                .map(|i| serde_json::json!({"code": i.as_str(), "message": i.message(&args.lang)}))
                .collect()
        };
        let out = serde_json::json!({
            "document": args.document,
            "selfie": args.selfie,
            "onnxRuntime": engine.backend(),
            "result": result,
            "documentIssues": issues(&result.document_quality),
            "selfieIssues": issues(&result.selfie.quality),
            "timingMs": {
                "loadModels": load_ms,
                "decode": decode_ms,
                "benchRuns": runs.len(),
                "benchMedian": median,
                "benchMin": runs.first(),
            },
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_comparison(&result, &args.lang);
        println!(
            "load models {load_ms:.0} ms (on {}), decode both images {decode_ms:.1} ms",
            engine.backend().as_str()
        );
        if let (Some(median), Some(min)) = (median, runs.first()) {
            println!(
                "compare over {} runs: median {median:.1} ms, min {min:.1} ms",
                runs.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_comparison(c: &Comparison, lang: &str) {
    println!(
        "similarity {:.1} / 100 (cosine {:.3}; model {}, calibration {})",
        c.score, c.cosine, c.model, c.calibration
    );
    let d = &c.document;
    let b = d.face_in_document;
    println!(
        "document portrait: turned {} degrees, box x {:.0} y {:.0} w {:.0} h {:.0}, score {:.2}, {} secondary face(s)",
        d.rotation.degrees(),
        b.x,
        b.y,
        b.width,
        b.height,
        d.face.score,
        d.secondary_faces
    );
    print_quality("document", &c.document_quality, lang);
    let s = c.selfie.face.bbox;
    println!(
        "selfie face: box x {:.0} y {:.0} w {:.0} h {:.0}, score {:.2}",
        s.x, s.y, s.width, s.height, c.selfie.face.score
    );
    print_quality("selfie", &c.selfie.quality, lang);
    let t = &c.timings;
    println!(
        "timings: document {:.1} ms, selfie {:.1} ms, align+quality+embed {:.1} ms, total {:.1} ms",
        t.document_ms, t.selfie_ms, t.embed_ms, t.total_ms
    );
}

fn print_quality(what: &str, q: &QualityReport, lang: &str) {
    println!(
        "  {what} quality: eyes {:.0} px apart, sharpness {:.0}, brightness {:.0}, yaw {:.0}, roll {:.0}: {}",
        q.eye_distance_px,
        q.sharpness,
        q.brightness,
        q.yaw_deg,
        q.roll_deg,
        if q.passed() { "ok" } else { "issues" }
    );
    for issue in &q.issues {
        println!("    [{}] {}", issue.as_str(), issue.message(lang));
    }
}

/// Arguments of `eval faces`.
pub struct EvalFacesArgs {
    pub dir: PathBuf,
    pub out: PathBuf,
    pub models_dir: PathBuf,
    pub peer: bool,
    pub peer_dir: PathBuf,
    pub json: bool,
}

/// `dayfusion eval faces DIR`.
pub fn eval_faces(args: EvalFacesArgs) -> anyhow::Result<ExitCode> {
    if !args.dir.is_dir() {
        anyhow::bail!(
            "evaluation folder {} not found (it is ../shared/eval/dev/identities beside a checkout)",
            args.dir.display()
        );
    }
    // Face engine v2 as the kiosk runs it (one view unless
    // DAYFUSION_FACE_MATCHER says otherwise), its other view (the mirror
    // average, or one view) and v1 side by side; v1 only where
    // MobileFaceNet, outside the default pack, was fetched
    // (`models fetch --with mobilefacenet`).
    let engine = FaceEngine::load(&args.models_dir).map_err(with_reason)?;
    let other_view = match engine.matcher() {
        Matcher::SfaceV2 => Matcher::SfaceV2SingleView,
        _ => Matcher::SfaceV2,
    };
    let other = FaceEngine::load_with(&args.models_dir, other_view).map_err(with_reason)?;
    let previous = match FaceEngine::load_with(&args.models_dir, Matcher::MobilefacenetV1) {
        Ok(previous) => Some(previous),
        Err(e) => {
            eprintln!(
                "eval faces: face engine v1 left out ({e}); `dayfusion models fetch --with mobilefacenet` adds it"
            );
            None
        }
    };
    let mut engines = vec![&engine, &other];
    engines.extend(previous.as_ref());
    let peer = if args.peer {
        match set_up_peer(&args.peer_dir) {
            Ok(peer) => Some(peer),
            Err(e) => {
                eprintln!("eval faces: face_recognition peer unavailable: {e:#}");
                None
            }
        }
    } else {
        None
    };
    let report = evaluate(
        &engines,
        &FacesEvalOptions {
            dir: args.dir.clone(),
            out_dir: args.out.clone(),
            peer,
        },
    )?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_eval(&report);
    }
    Ok(ExitCode::SUCCESS)
}

/// Installs the peer's venv with `setup-peer.sh` (idempotent) and returns
/// its python and the peer script.
fn set_up_peer(peer_dir: &Path) -> anyhow::Result<Peer> {
    let setup = peer_dir.join("setup-peer.sh");
    let script = peer_dir.join("face_recognition_peer.py");
    if !setup.is_file() || !script.is_file() {
        anyhow::bail!(
            "{} not found (run from the repository root)",
            setup.display()
        );
    }
    let output = Command::new("bash")
        .arg(&setup)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", setup.display()))?;
    if !output.status.success() {
        anyhow::bail!("{} exited with {}", setup.display(), output.status);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let python = stdout
        .lines()
        .last()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .context("setup-peer.sh printed no python path")?;
    Ok(Peer {
        python: PathBuf::from(python),
        script,
    })
}

fn print_eval(r: &FacesReport) {
    println!(
        "dataset {}: {} people, {} images ({} colour)",
        r.dataset.display(),
        r.people,
        r.images,
        r.colour_images
    );
    let row = |label: &str, f: &dyn Fn(&dayfusion_eval::faces::EngineReport) -> String| {
        let cells: Vec<String> = r.engines.iter().map(f).collect();
        println!(
            "{label:<34} {}",
            cells.iter().map(|c| format!("{c:>30}")).collect::<String>()
        );
    };
    row("", &|e| e.name.chars().take(30).collect());
    let pct = |v: f64| format!("{:.2}%", v * 100.0);
    for (subset, pick) in [
        (
            "all pairs",
            (|e: &dayfusion_eval::faces::EngineReport| &e.all) as fn(&_) -> &SubsetMetrics,
        ),
        ("colour pairs", |e| &e.colour),
        ("greyscale pairs", |e| &e.greyscale),
    ] {
        if let Some(first) = r.engines.first() {
            let m = pick(first);
            println!(
                "-- {subset}: {} genuine, {} impostor pairs",
                m.genuine_pairs, m.impostor_pairs
            );
        }
        row("  EER", &|e| pct(pick(e).eer.eer));
        row("  TAR at FAR 1%", &|e| pct(pick(e).at_far_1.tar));
        row("  TAR at FAR 0.1%", &|e| pct(pick(e).at_far_0_1.tar));
        row("  threshold at FAR 1%", &|e| {
            format!("{:.4}", pick(e).at_far_1.threshold)
        });
        row("  threshold at FAR 0.1%", &|e| {
            format!("{:.4}", pick(e).at_far_0_1.threshold)
        });
    }
    row("images without a face", &|e| e.no_face.to_string());
    row("ms per image (median)", &|e| {
        format!("{:.1}", e.ms_per_image)
    });
    row("ms per comparison (2 images)", &|e| {
        format!("{:.1}", e.ms_per_comparison)
    });
    if let (Some(ours), Some(peer), None) = (r.engines.first(), r.engines.last(), &r.peer_skipped) {
        println!(
            "speed-up per comparison against the peer: {:.1}x",
            peer.ms_per_comparison / ours.ms_per_comparison.max(1e-9)
        );
    }
    if let Some(reason) = &r.peer_skipped {
        println!("face_recognition peer skipped: {reason}");
    }
    println!("ROC plot: {}", r.roc_png.display());
}

/// `dayfusion eval portraits DIR`.
pub fn eval_portraits(
    dir: &Path,
    out: &Path,
    models_dir: &Path,
    json: bool,
) -> anyhow::Result<ExitCode> {
    if !dir.is_dir() {
        anyhow::bail!(
            "document folder {} not found (it is ../shared/eval/dev/documents beside a checkout)",
            dir.display()
        );
    }
    let engine = FaceEngine::load(models_dir).map_err(with_reason)?;
    let report = dayfusion_eval::portraits::evaluate_portraits(&engine, dir, out)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    for o in &report.outcomes {
        match (o.found, o.face_box) {
            (true, Some([x, y, w, h])) => println!(
                "{:<22} {}  turned {:>3}  box {:>5.0} {:>5.0} {:>4.0}x{:<4.0} score {:.2}  ghosts {}  {:>6.1} ms  {}",
                o.file,
                if o.matched { "found" } else { "NOMAT" },
                o.rotation.unwrap_or(0),
                x,
                y,
                w,
                h,
                o.score.unwrap_or(0.0),
                o.secondary_faces,
                o.ms,
                if o.matched {
                    o.quality_issues.join(",")
                } else {
                    o.error.clone().unwrap_or_default()
                }
            ),
            _ => println!(
                "{:<22} MISS   {:>6.1} ms  {}",
                o.file,
                o.ms,
                o.error.as_deref().unwrap_or("")
            ),
        }
    }
    println!(
        "portraits found on {} of {} documents ({} comparable by the matcher); median {:.1} ms per document; crops in {}",
        report.found,
        report.documents,
        report.matched,
        report.median_ms,
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
