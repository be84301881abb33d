//! Playback through the kiosk's audio output (an ATM's headphone jack) with
//! ALSA's `aplay`, one phrase at a time: a new phrase or `stop` cuts the one
//! playing, and waits for it to let go of the device.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::SpeechError;

/// The ALSA device phrases play on (`aplay -D`); the system's default
/// without it. `null` plays to nowhere (the tests, a kiosk without audio).
pub const DEVICE_ENV: &str = "DAYFUSION_SPEECH_DEVICE";

/// How long a cut phrase may take to release the device.
const RELEASE_WAIT: Duration = Duration::from_millis(500);

/// The phrase playing: its stop flag and the watcher's "done".
#[derive(Debug)]
struct Playing {
    stop: Arc<AtomicBool>,
    done: Receiver<()>,
}

/// Plays WAV files, one at a time.
#[derive(Debug)]
pub struct Player {
    program: PathBuf,
    device: Option<String>,
    current: Mutex<Option<Playing>>,
}

impl Player {
    /// `aplay` on `device` (the default device with `None`).
    pub fn new(device: Option<String>) -> Player {
        Player {
            program: PathBuf::from("aplay"),
            device,
            current: Mutex::new(None),
        }
    }

    /// The device from `DAYFUSION_SPEECH_DEVICE`.
    pub fn from_env() -> Player {
        Player::new(std::env::var(DEVICE_ENV).ok().filter(|d| !d.is_empty()))
    }

    /// Stops what is playing (and waits for it to release the device), then
    /// plays `file` in the background; with `remove_after` the file is
    /// deleted once played or stopped. One lock for all of it: two calls
    /// never play at once.
    pub fn play(&self, file: &Path, remove_after: bool) -> Result<(), SpeechError> {
        self.play_if(file, remove_after, || true)
    }

    /// [`Player::play`] if `still_wanted()` says so, asked under the lock
    /// (a `stop` in between is never missed); otherwise
    /// [`SpeechError::Stopped`].
    pub fn play_if(
        &self,
        file: &Path,
        remove_after: bool,
        still_wanted: impl FnOnce() -> bool,
    ) -> Result<(), SpeechError> {
        let mut current = self.lock();
        if !still_wanted() {
            if remove_after {
                let _ = std::fs::remove_file(file);
            }
            return Err(SpeechError::Stopped);
        }
        cut(current.take());
        let mut command = Command::new(&self.program);
        command.arg("-q");
        if let Some(device) = &self.device {
            command.args(["-D", device]);
        }
        let child = command
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(source) => {
                if remove_after {
                    let _ = std::fs::remove_file(file);
                }
                return Err(SpeechError::EngineMissing {
                    program: self.program.display().to_string(),
                    source,
                });
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (finished, done) = channel();
        let removal = remove_after.then(|| file.to_path_buf());
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("speech-playback".to_owned())
            .spawn(move || {
                watch(child, &flag, removal);
                let _ = finished.send(());
            })
            .map_err(SpeechError::Io)?;
        *current = Some(Playing { stop, done });
        Ok(())
    }

    /// Cuts the phrase playing, if any, and waits for it to end.
    pub fn stop(&self) {
        let playing = self.lock().take();
        cut(playing);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Playing>> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Raises the stop flag and waits (briefly) for the watcher to kill and reap
/// the player, so that the next one finds the device free.
fn cut(playing: Option<Playing>) {
    if let Some(playing) = playing {
        playing.stop.store(true, Ordering::SeqCst);
        let _ = playing.done.recv_timeout(RELEASE_WAIT);
    }
}

/// Waits for `child`, killing it when `stop` is raised, then removes `removal`.
fn watch(mut child: Child, stop: &AtomicBool, removal: Option<PathBuf>) {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                if !status.success() {
                    tracing::warn!(event = "speech_playback_failed", %status, "the audio output refused the phrase");
                }
                break;
            }
            Ok(None) if stop.load(Ordering::SeqCst) => {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                tracing::warn!(event = "speech_playback_failed", error = %e, "lost the playback process");
                break;
            }
        }
    }
    if let Some(file) = removal {
        let _ = std::fs::remove_file(file);
    }
}
