//! The speech engine: espeak-ng (Debian's package; pt-BR and en voices), run
//! as a separate process with the text on its standard input and nothing
//! else of the kiosk's environment, writing one WAV file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dayfusion_ipc::Language;

use crate::SpeechError;

/// Overrides the speech engine's program (default `espeak-ng` on `PATH`).
pub const ENGINE_ENV: &str = "DAYFUSION_SPEECH_ENGINE";

/// How long one phrase may take to synthesise (espeak-ng takes milliseconds).
const SYNTH_TIMEOUT: Duration = Duration::from_secs(10);

/// A voice: the engine's voice name and speaking rate for a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Voice {
    /// espeak-ng's voice (`-v`).
    pub name: &'static str,
    /// Words per minute (`-s`): below espeak-ng's 175, for customers who
    /// follow slowly.
    pub words_per_minute: u32,
}

impl Voice {
    /// The voice for `language`.
    pub fn of(language: Language) -> Voice {
        match language {
            Language::PtBr => Voice {
                name: "pt-br",
                words_per_minute: 150,
            },
            Language::En => Voice {
                name: "en-us",
                words_per_minute: 150,
            },
        }
    }
}

/// Runs the speech engine.
#[derive(Debug, Clone)]
pub struct Synthesizer {
    program: PathBuf,
}

impl Default for Synthesizer {
    fn default() -> Self {
        Synthesizer::new("espeak-ng")
    }
}

impl Synthesizer {
    /// The engine at `program` (a path, or a name looked up on `PATH`).
    pub fn new(program: impl Into<PathBuf>) -> Synthesizer {
        Synthesizer {
            program: program.into(),
        }
    }

    /// `DAYFUSION_SPEECH_ENGINE`, else `espeak-ng`.
    pub fn from_env() -> Synthesizer {
        std::env::var_os(ENGINE_ENV)
            .filter(|p| !p.is_empty())
            .map(Synthesizer::new)
            .unwrap_or_default()
    }

    /// Says `text` with `voice` into the WAV file `out`.
    pub fn synthesize(&self, text: &str, voice: Voice, out: &Path) -> Result<(), SpeechError> {
        let mut child = Command::new(&self.program)
            .args(["-v", voice.name, "-s", &voice.words_per_minute.to_string()])
            .arg("-w")
            .arg(out)
            .arg("--stdin")
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| SpeechError::EngineMissing {
                program: self.program.display().to_string(),
                source,
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A failed write shows as the engine's failure below.
            let _ = stdin.write_all(text.as_bytes());
        }
        let deadline = Instant::now() + SYNTH_TIMEOUT;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(SpeechError::EngineFailed(format!(
                    "no answer in {} s",
                    SYNTH_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if !status.success() {
            return Err(SpeechError::EngineFailed(format!("exited with {status}")));
        }
        Ok(())
    }
}

/// How long the WAV file at `path` plays.
pub(crate) fn wav_duration(path: &Path) -> Result<Duration, SpeechError> {
    let reader = hound::WavReader::open(path).map_err(|e| SpeechError::BadAudio(e.to_string()))?;
    let rate = reader.spec().sample_rate;
    if rate == 0 {
        return Err(SpeechError::BadAudio("sample rate 0".to_owned()));
    }
    Ok(Duration::from_secs_f64(
        f64::from(reader.duration()) / f64::from(rate),
    ))
}
