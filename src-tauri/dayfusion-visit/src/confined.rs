//! Child processes under a deadline, and document decoders confined.
//!
//! Every child runs in its own process group under GNU `timeout -s KILL`
//! (coreutils): on the deadline the whole group is killed, not only the
//! first process. Stdin is null; stdout and stderr go to anonymous files
//! read back with a bound, so no pipe can hang the kiosk.
//!
//! A decoder (`pdftoppm` on an untrusted PDF) also gets, through
//! `prlimit` (util-linux) before it starts: [`Limits::DECODER`] on memory
//! (`RLIMIT_AS`), CPU time, file size, no core dumps; an environment of
//! `PATH` and `LANG` only; and, where bubblewrap works, a sandbox with no
//! network, read-only system folders, a private `/tmp`, its one input file
//! (read-only) and one output folder. The workspace forbids `unsafe`, so
//! limits are set by these standard tools rather than a `pre_exec` hook.
//!
//! ```text
//! timeout -s KILL <t> prlimit --as --cpu --fsize --core=0 -- [bwrap …] pdftoppm …
//! ```

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Most stderr bytes kept for diagnostics.
const STDERR_KEEP: u64 = 4096;
/// Extra time after the deadline before the runner kills `timeout` itself.
const GRACE: Duration = Duration::from_secs(3);
/// Longest the sandbox probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Where the decoder's input file appears inside the sandbox.
const SANDBOX_INPUT_DIR: &str = "/in";
/// Where the decoder's output folder appears inside the sandbox.
const SANDBOX_OUTPUT_DIR: &str = "/out";
/// Size of the sandbox's private `/tmp` where bubblewrap can bound it.
const SANDBOX_TMP_BYTES: u64 = 64 * 1024 * 1024;

/// Resource limits of a child, set before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Address space (`RLIMIT_AS`), bytes.
    pub memory_bytes: u64,
    /// CPU time (`RLIMIT_CPU`), seconds: `SIGXCPU` then `SIGKILL` a second later.
    pub cpu_seconds: u64,
    /// Largest file it may write (`RLIMIT_FSIZE`), bytes.
    pub file_bytes: u64,
}

impl Limits {
    /// The limits of a document decoder: a 2400 px page needs about 20 MiB.
    pub const DECODER: Limits = Limits {
        memory_bytes: 512 * 1024 * 1024,
        cpu_seconds: 30,
        file_bytes: 64 * 1024 * 1024,
    };
}

impl fmt::Display for Limits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "memory {} MiB, CPU {} s, files {} MiB, no core dumps",
            self.memory_bytes / (1024 * 1024),
            self.cpu_seconds,
            self.file_bytes / (1024 * 1024)
        )
    }
}

/// Why a child process did not give its output.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RunError {
    /// The program (or `timeout`/`prlimit`/`bwrap`) could not be started.
    #[error("cannot run {program}: {detail}")]
    Spawn {
        /// The program asked for.
        program: String,
        /// Why.
        detail: String,
    },
    /// Past its deadline: killed with its whole process group.
    #[error("{program} took longer than {seconds} s and was stopped")]
    TimedOut {
        /// The program.
        program: String,
        /// The deadline.
        seconds: u64,
    },
    /// Used up its CPU time limit.
    #[error("{program} went over its CPU time limit ({seconds} s)")]
    CpuLimit {
        /// The program.
        program: String,
        /// The limit.
        seconds: u64,
    },
    /// Tried to write a file larger than its limit.
    #[error("{program} went over its file size limit")]
    FileLimit {
        /// The program.
        program: String,
    },
    /// Ended by a signal (a crash, or memory exhausted).
    #[error("{program} was stopped by signal {signal}")]
    Signal {
        /// The program.
        program: String,
        /// The signal number.
        signal: i32,
    },
    /// Exited with a failure status.
    #[error("{program} exited with status {code}{}", stderr_suffix(.stderr))]
    Failed {
        /// The program.
        program: String,
        /// The exit status.
        code: i32,
        /// The start of its stderr.
        stderr: String,
    },
    /// Wrote more to stdout than the caller accepts.
    #[error("{program} wrote {bytes} bytes, more than accepted")]
    OutputTooLarge {
        /// The program.
        program: String,
        /// What it wrote.
        bytes: u64,
    },
    /// The runner itself failed (temporary files, waiting).
    #[error("running {program}: {detail}")]
    Io {
        /// The program.
        program: String,
        /// What failed.
        detail: String,
    },
}

fn stderr_suffix(stderr: &str) -> String {
    match stderr.lines().find(|l| !l.trim().is_empty()) {
        Some(line) => format!(": {}", line.trim()),
        None => String::new(),
    }
}

/// What a finished child left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Finished {
    /// Its stdout (at most the job's limit).
    pub stdout: Vec<u8>,
    /// The start of its stderr (lossy UTF-8).
    pub stderr: String,
}

/// One program to run: its arguments, deadline and (for decoders) limits.
#[derive(Debug, Clone)]
pub struct Job {
    program: OsString,
    args: Vec<OsString>,
    timeout: Duration,
    limits: Option<Limits>,
    max_stdout: u64,
}

impl Job {
    /// `program` with a deadline, the caller's environment and no limits
    /// (a device tool such as `scanimage`).
    pub fn new(program: impl AsRef<OsStr>, timeout: Duration) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            timeout,
            limits: None,
            max_stdout: 64 * 1024 * 1024,
        }
    }

    /// `program` as a decoder of untrusted input: `limits`, and an
    /// environment of `PATH` and `LANG` only.
    pub fn decoder(program: impl AsRef<OsStr>, timeout: Duration, limits: Limits) -> Self {
        Self {
            limits: Some(limits),
            max_stdout: limits.file_bytes,
            ..Self::new(program, timeout)
        }
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Largest stdout accepted (bytes).
    pub fn max_stdout(mut self, bytes: u64) -> Self {
        self.max_stdout = bytes;
        self
    }

    fn name(&self) -> String {
        self.program.to_string_lossy().into_owned()
    }

    /// The wrapped command: `timeout -s KILL`, then `prlimit` for a decoder.
    fn command(&self) -> Command {
        let mut command = Command::new("timeout");
        command
            .args(["-s", "KILL"])
            .arg(format!("{:.3}s", self.timeout.as_secs_f64()));
        if let Some(limits) = self.limits {
            command
                .arg("prlimit")
                .arg(format!("--as={}", limits.memory_bytes))
                .arg(format!(
                    "--cpu={}:{}",
                    limits.cpu_seconds,
                    limits.cpu_seconds.saturating_add(1)
                ))
                .arg(format!("--fsize={}", limits.file_bytes))
                .arg("--core=0")
                .arg("--");
            command.env_clear();
            command.env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/bin:/bin".into()),
            );
            if let Some(lang) = std::env::var_os("LANG") {
                command.env("LANG", lang);
            }
        }
        command.arg(&self.program).args(&self.args);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        command
    }

    /// Runs the job to its end (or deadline) and returns what it left.
    pub fn run(&self) -> Result<Finished, RunError> {
        let program = self.name();
        let io = |what: &str, e: std::io::Error| RunError::Io {
            program: program.clone(),
            detail: format!("{what}: {e}"),
        };
        let mut stdout = tempfile::tempfile().map_err(|e| io("stdout file", e))?;
        let mut stderr = tempfile::tempfile().map_err(|e| io("stderr file", e))?;
        let mut command = self.command();
        command
            .stdin(Stdio::null())
            .stdout(stdout.try_clone().map_err(|e| io("stdout file", e))?)
            .stderr(stderr.try_clone().map_err(|e| io("stderr file", e))?);
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| RunError::Spawn {
            program: program.clone(),
            detail: format!("timeout (coreutils): {e}"),
        })?;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() < self.timeout + GRACE => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                // `timeout` itself is stuck: stop it (its group outlives it).
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.timed_out());
                }
                Err(e) => return Err(io("waiting", e)),
            }
        };
        let elapsed = started.elapsed();
        let stderr_text = read_start(&mut stderr, STDERR_KEEP)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        self.check(status, elapsed, stderr_text.clone())?;
        let written = stdout.metadata().map_err(|e| io("stdout", e))?.len();
        if written > self.max_stdout {
            return Err(RunError::OutputTooLarge {
                program: self.name(),
                bytes: written,
            });
        }
        let out = read_start(&mut stdout, self.max_stdout).map_err(|e| io("stdout", e))?;
        Ok(Finished {
            stdout: out,
            stderr: stderr_text,
        })
    }

    fn timed_out(&self) -> RunError {
        RunError::TimedOut {
            program: self.name(),
            seconds: self.timeout.as_secs() + u64::from(self.timeout.subsec_nanos() > 0),
        }
    }

    /// Maps the wrapper's exit status to the child's outcome.
    fn check(&self, status: ExitStatus, elapsed: Duration, stderr: String) -> Result<(), RunError> {
        let program = self.name();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return Err(self.signalled(signal, elapsed));
            }
        }
        match status.code() {
            Some(0) => Ok(()),
            Some(124) => Err(self.timed_out()),
            // timeout or prlimit could not start the program.
            Some(code @ 125..=127) => Err(RunError::Spawn {
                program,
                detail: format!("status {code}{}", stderr_suffix(&stderr)),
            }),
            // A shell's way of saying "killed by signal n".
            Some(code @ 129..=192) => Err(self.signalled(code - 128, elapsed)),
            Some(code) => Err(RunError::Failed {
                program,
                code,
                stderr,
            }),
            None => Err(RunError::Io {
                program,
                detail: "no exit status".into(),
            }),
        }
    }

    fn signalled(&self, signal: i32, elapsed: Duration) -> RunError {
        let program = self.name();
        match (signal, self.limits) {
            (libc::SIGKILL, _) if elapsed >= self.timeout => self.timed_out(),
            (libc::SIGXCPU, Some(limits)) => RunError::CpuLimit {
                program,
                seconds: limits.cpu_seconds,
            },
            (libc::SIGXFSZ, Some(_)) => RunError::FileLimit { program },
            _ => RunError::Signal { program, signal },
        }
    }
}

/// The first `max` bytes of `file` (from its start).
fn read_start(file: &mut std::fs::File, max: u64) -> std::io::Result<Vec<u8>> {
    file.rewind()?;
    let mut out = Vec::new();
    file.take(max).read_to_end(&mut out)?;
    Ok(out)
}

/// How document decoders run on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confinement {
    /// In a bubblewrap sandbox, with the limits.
    Bubblewrap {
        /// Whether this bubblewrap can bound the private `/tmp` (0.7+).
        tmp_size: bool,
    },
    /// With the limits only; why bubblewrap is not used.
    LimitsOnly(String),
    /// Decoders cannot be limited (`timeout` or `prlimit` missing): PDFs
    /// are refused; why.
    Unavailable(String),
}

/// What health says about document parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfinementReport {
    /// How decoders run.
    pub confinement: Confinement,
    /// Their limits.
    pub limits: Limits,
}

impl ConfinementReport {
    /// Whether decoders run in the sandbox.
    pub fn sandboxed(&self) -> bool {
        matches!(self.confinement, Confinement::Bubblewrap { .. })
    }

    /// Whether decoders run at all (PDF scans accepted).
    pub fn usable(&self) -> bool {
        !matches!(self.confinement, Confinement::Unavailable(_))
    }

    /// The health check of document parsing (the app and `dayfusion health`).
    pub fn health_check(&self) -> dayfusion_ipc::HealthCheck {
        use dayfusion_core::health::{DecoderConfinement, document_parsing};
        let level = if self.sandboxed() {
            DecoderConfinement::Sandboxed
        } else if self.usable() {
            DecoderConfinement::LimitsOnly
        } else {
            DecoderConfinement::Unavailable
        };
        document_parsing(level, self.to_string())
    }
}

impl fmt::Display for ConfinementReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.confinement {
            Confinement::Bubblewrap { .. } => {
                write!(f, "confined with bubblewrap ({})", self.limits)
            }
            Confinement::LimitsOnly(reason) => write!(
                f,
                "limits only ({}; bubblewrap unavailable: {reason})",
                self.limits
            ),
            Confinement::Unavailable(reason) => {
                write!(
                    f,
                    "PDF scans refused: decoders cannot be limited ({reason})"
                )
            }
        }
    }
}

/// How decoders run here, probed once: the limits, then bubblewrap.
pub fn confinement() -> &'static Confinement {
    static PROBED: OnceLock<Confinement> = OnceLock::new();
    PROBED.get_or_init(probe)
}

/// Document parsing's confinement, for the health report.
pub fn confinement_report() -> ConfinementReport {
    ConfinementReport {
        confinement: confinement().clone(),
        limits: Limits::DECODER,
    }
}

fn probe() -> Confinement {
    let limits = Job::decoder("true", PROBE_TIMEOUT, Limits::DECODER).run();
    if let Err(e) = limits {
        tracing::warn!(event = "decoder_limits_unavailable", error = %e, "document decoders cannot be limited; PDF scans are refused");
        return Confinement::Unavailable(e.to_string());
    }
    let mut reason = String::new();
    for tmp_size in [true, false] {
        let how = Confinement::Bubblewrap { tmp_size };
        match sandboxed_true(&how) {
            Ok(()) => {
                tracing::info!(
                    event = "decoder_sandbox",
                    tmp_size,
                    "document decoders run in bubblewrap"
                );
                return how;
            }
            Err(e) => reason = e.to_string(),
        }
    }
    tracing::warn!(event = "decoder_sandbox_unavailable", reason = %reason, "document decoders run with limits only");
    Confinement::LimitsOnly(reason)
}

/// `true` in the sandbox, with an empty input and output.
fn sandboxed_true(how: &Confinement) -> Result<(), RunError> {
    let dir = tempfile::Builder::new()
        .prefix("dayfusion-probe-")
        .tempdir()
        .map_err(|e| RunError::Io {
            program: "bwrap".into(),
            detail: e.to_string(),
        })?;
    let input = dir.path().join("input");
    let output = dir.path().join("output");
    std::fs::write(&input, b"")
        .and_then(|()| std::fs::create_dir(&output))
        .map_err(|e| RunError::Io {
            program: "bwrap".into(),
            detail: e.to_string(),
        })?;
    Decoder {
        program: "true",
        input: &input,
        output_dir: &output,
        timeout: PROBE_TIMEOUT,
        limits: Limits::DECODER,
    }
    .run(how, |_, _| Vec::new())
    .map(|_| ())
}

/// A decoder that reads one file and writes into one folder.
#[derive(Debug, Clone, Copy)]
pub struct Decoder<'a> {
    /// The program (found on `PATH`, inside the sandbox too).
    pub program: &'a str,
    /// The untrusted input file.
    pub input: &'a Path,
    /// The folder it writes into.
    pub output_dir: &'a Path,
    /// Its deadline.
    pub timeout: Duration,
    /// Its limits.
    pub limits: Limits,
}

impl Decoder<'_> {
    /// Runs it as `how` says; `args(input, output_dir)` builds its
    /// arguments from the paths it sees (inside the sandbox, `/in/<name>`
    /// and `/out`).
    pub fn run(
        &self,
        how: &Confinement,
        args: impl FnOnce(&Path, &Path) -> Vec<OsString>,
    ) -> Result<Finished, RunError> {
        match how {
            Confinement::Unavailable(reason) => Err(RunError::Spawn {
                program: self.program.into(),
                detail: format!("decoders cannot be limited here ({reason})"),
            }),
            Confinement::LimitsOnly(_) => Job::decoder(self.program, self.timeout, self.limits)
                .args(args(self.input, self.output_dir))
                .run(),
            Confinement::Bubblewrap { tmp_size } => {
                let name = self.input.file_name().ok_or_else(|| RunError::Io {
                    program: self.program.into(),
                    detail: "the input has no file name".into(),
                })?;
                let inside = Path::new(SANDBOX_INPUT_DIR).join(name);
                let mut bwrap = sandbox_args(*tmp_size);
                bwrap.extend([
                    "--ro-bind".into(),
                    self.input.as_os_str().to_owned(),
                    inside.as_os_str().to_owned(),
                    "--bind".into(),
                    self.output_dir.as_os_str().to_owned(),
                    SANDBOX_OUTPUT_DIR.into(),
                    "--chdir".into(),
                    SANDBOX_OUTPUT_DIR.into(),
                    "--".into(),
                    self.program.into(),
                ]);
                bwrap.extend(args(&inside, Path::new(SANDBOX_OUTPUT_DIR)));
                Job::decoder("bwrap", self.timeout, self.limits)
                    .args(bwrap)
                    .run()
                    .map_err(|e| match e {
                        // Name the decoder, not the sandbox, in what staff read.
                        RunError::Failed { code, stderr, .. } => RunError::Failed {
                            program: self.program.into(),
                            code,
                            stderr,
                        },
                        other => other,
                    })
            }
        }
    }
}

/// bubblewrap's options before the input and output binds: no network, no
/// other namespaces shared, read-only system folders, private `/tmp`,
/// no capabilities, its own session, gone with its parent.
fn sandbox_args(tmp_size: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    .into_iter()
    .map(OsString::from)
    .collect();
    // Merged-/usr systems link these into /usr; older ones have folders.
    for top in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
        let path = PathBuf::from(top);
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                if let Ok(target) = std::fs::read_link(&path) {
                    args.extend([
                        "--symlink".into(),
                        target.into_os_string(),
                        OsString::from(top),
                    ]);
                }
            }
            Ok(meta) if meta.is_dir() => {
                args.extend(["--ro-bind", top, top].map(OsString::from));
            }
            _ => {}
        }
    }
    for optional in [
        "/etc/fonts",
        "/etc/ld.so.cache",
        "/etc/ld.so.conf",
        "/etc/ld.so.conf.d",
        "/var/cache/fontconfig",
    ] {
        args.extend(["--ro-bind-try", optional, optional].map(OsString::from));
    }
    args.extend(["--dev", "/dev"].map(OsString::from));
    if tmp_size {
        args.extend([
            "--size".into(),
            OsString::from(SANDBOX_TMP_BYTES.to_string()),
        ]);
    }
    args.extend(["--tmpfs", "/tmp"].map(OsString::from));
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Processes (not zombies) whose command line holds `marker`.
    fn running_with(marker: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
            .filter_map(|e| {
                let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
                let state = stat
                    .rsplit(')')
                    .next()?
                    .split_whitespace()
                    .next()?
                    .to_owned();
                (cmdline.contains(marker) && state != "Z").then_some(cmdline)
            })
            .collect()
    }

    /// Waits up to 3 s for every process holding `marker` to be gone.
    fn gone(marker: &str) -> Vec<String> {
        let until = Instant::now() + Duration::from_secs(3);
        loop {
            let left = running_with(marker);
            if left.is_empty() || Instant::now() > until {
                return left;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[test]
    fn runaway_child_is_killed_with_its_process_group_on_timeout() {
        let marker = "97.1234567";
        let started = Instant::now();
        let result = Job::new("sh", Duration::from_millis(700))
            .args(["-c", &format!("sleep {marker} & sleep {marker}")])
            .run();
        assert_eq!(
            result,
            Err(RunError::TimedOut {
                program: "sh".into(),
                seconds: 1
            })
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            gone(marker),
            Vec::<String>::new(),
            "the background child survived"
        );
    }

    #[test]
    fn decoder_memory_cpu_and_file_size_are_limited() -> Result<(), Box<dyn std::error::Error>> {
        // A 768 MiB buffer is more than a decoder may have.
        let memory = Job::decoder("dd", Duration::from_secs(20), Limits::DECODER)
            .args(["if=/dev/zero", "of=/dev/null", "bs=768M", "count=1"])
            .run();
        assert!(
            matches!(&memory, Err(RunError::Failed { stderr, .. }) if stderr.contains("memory exhausted")),
            "{memory:?}"
        );
        // The same without limits works: the limit made the difference.
        Job::new("dd", Duration::from_secs(20))
            .args(["if=/dev/zero", "of=/dev/null", "bs=768M", "count=1"])
            .run()?;
        // A file past the size limit stops the writer.
        let tmp = tempfile::tempdir()?;
        let big = tmp.path().join("big");
        let small = Limits {
            file_bytes: 1024 * 1024,
            ..Limits::DECODER
        };
        let file = Job::decoder("dd", Duration::from_secs(20), small)
            .args(["if=/dev/zero", "bs=1M", "count=4"])
            .args([format!("of={}", big.display())])
            .run();
        assert_eq!(
            file,
            Err(RunError::FileLimit {
                program: "dd".into()
            })
        );
        assert!(std::fs::metadata(&big)?.len() <= 1024 * 1024);
        // A busy loop past its CPU time.
        let cpu = Limits {
            cpu_seconds: 1,
            ..Limits::DECODER
        };
        let spin = Job::decoder("sh", Duration::from_secs(20), cpu)
            .args(["-c", "while :; do :; done"])
            .run();
        assert_eq!(
            spin,
            Err(RunError::CpuLimit {
                program: "sh".into(),
                seconds: 1
            })
        );
        Ok(())
    }

    #[test]
    fn decoder_environment_holds_only_path_and_lang() -> Result<(), RunError> {
        let out = Job::decoder("env", Duration::from_secs(10), Limits::DECODER).run()?;
        let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split('=').next().map(str::to_owned))
            .collect();
        assert!(
            names.iter().all(|n| n == "PATH" || n == "LANG"),
            "{names:?}"
        );
        let core = Job::decoder("sh", Duration::from_secs(10), Limits::DECODER)
            .args(["-c", "ulimit -c"])
            .run()?;
        assert_eq!(String::from_utf8_lossy(&core.stdout).trim(), "0");
        Ok(())
    }

    #[test]
    fn sandboxed_decoder_sees_only_its_input_and_output() -> Result<(), Box<dyn std::error::Error>>
    {
        let how = confinement();
        if !matches!(how, Confinement::Bubblewrap { .. }) {
            eprintln!("SKIP sandbox: {}", confinement_report());
            return Ok(());
        }
        let tmp = tempfile::tempdir()?;
        let secret = tmp.path().join("transactions.db");
        std::fs::write(&secret, b"customer data")?;
        let input = tmp.path().join("scan.pdf");
        std::fs::write(&input, b"%PDF-1.4 input")?;
        let output = tmp.path().join("out");
        std::fs::create_dir(&output)?;
        let decoder = Decoder {
            program: "sh",
            input: &input,
            output_dir: &output,
            timeout: Duration::from_secs(20),
            limits: Limits::DECODER,
        };
        // Copies its input out, and can neither see the folder around it
        // nor write its input.
        let script = format!(
            "cat \"$1\" > page.txt && test ! -e {secret} && test ! -e {data} \
             && ! cat {secret} 2>/dev/null && ! (echo x > \"$1\") 2>/dev/null",
            secret = secret.display(),
            data = tmp.path().display()
        );
        decoder.run(how, |input, out| {
            assert_eq!(out, Path::new("/out"));
            vec![
                "-c".into(),
                script.clone().into(),
                "sh".into(),
                input.as_os_str().to_owned(),
            ]
        })?;
        assert_eq!(std::fs::read(output.join("page.txt"))?, b"%PDF-1.4 input");
        assert_eq!(
            std::fs::read(&input)?,
            b"%PDF-1.4 input",
            "input is read-only"
        );
        // A failing check fails the run: the test above is not vacuous.
        let seen = decoder.run(how, |_, _| vec!["-c".into(), "test -e /usr/bin".into()]);
        assert_eq!(seen, Ok(Finished::default()));
        let unseen = decoder.run(how, |_, _| {
            vec!["-c".into(), format!("test -e {}", secret.display()).into()]
        });
        assert!(
            matches!(unseen, Err(RunError::Failed { code: 1, .. })),
            "{unseen:?}"
        );
        Ok(())
    }

    #[test]
    fn sandboxed_runaway_decoder_is_killed_on_timeout() -> Result<(), Box<dyn std::error::Error>> {
        let how = confinement();
        if !matches!(how, Confinement::Bubblewrap { .. }) {
            eprintln!("SKIP sandbox: {}", confinement_report());
            return Ok(());
        }
        let tmp = tempfile::tempdir()?;
        let input = tmp.path().join("scan.pdf");
        std::fs::write(&input, b"x")?;
        let marker = "96.7654321";
        let result = Decoder {
            program: "sh",
            input: &input,
            output_dir: tmp.path(),
            timeout: Duration::from_millis(700),
            limits: Limits::DECODER,
        }
        .run(how, |_, _| {
            vec![
                "-c".into(),
                format!("sleep {marker} & sleep {marker}").into(),
            ]
        });
        assert!(
            matches!(result, Err(RunError::TimedOut { .. })),
            "{result:?}"
        );
        assert_eq!(gone(marker), Vec::<String>::new());
        Ok(())
    }

    #[test]
    fn confinement_is_reported_for_health() {
        let sandboxed = ConfinementReport {
            confinement: Confinement::Bubblewrap { tmp_size: true },
            limits: Limits::DECODER,
        };
        assert_eq!(
            sandboxed.to_string(),
            "confined with bubblewrap (memory 512 MiB, CPU 30 s, files 64 MiB, no core dumps)"
        );
        let limited = ConfinementReport {
            confinement: Confinement::LimitsOnly("bwrap: not found".into()),
            limits: Limits::DECODER,
        };
        assert!(
            limited
                .to_string()
                .starts_with("limits only (memory 512 MiB"),
            "{limited}"
        );
        assert!(
            limited
                .to_string()
                .ends_with("bubblewrap unavailable: bwrap: not found)")
        );
        assert!(limited.usable() && !limited.sandboxed());
        // The probe gives an answer either way, and the same one twice.
        assert_eq!(confinement(), confinement());
        eprintln!("document parsing here: {}", confinement_report());
    }
}
