//! systemd's service watchdog for the kiosk session
//! (`infra/kiosk-session/dayfusion-kiosk.service`: `Type=notify`,
//! `WatchdogSec=`).
//!
//! systemd hands the app `NOTIFY_SOCKET` and `WATCHDOG_USEC`. A thread asks
//! the webview every third of that period to run a one-line script that
//! calls `watchdog_pong` back with the ping's nonce. The first answer sends
//! `READY=1` (the page loaded and its IPC works); each tick then sends
//! `WATCHDOG=1` only while the last answer is at most two ticks old. A hung
//! webview, or a hung main thread (which runs the script and the command),
//! stops the keep-alives, and systemd kills and restarts the session.
//!
//! `WATCHDOG_PID` is not checked: under cage the unit's main process is the
//! session launcher, not the app; the unit grants `NotifyAccess=all`.
//! Without `NOTIFY_SOCKET` (a field laptop, a developer) nothing runs.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager, Runtime, State};

use crate::window::MAIN_WINDOW;

/// Tick when systemd sets no `WATCHDOG_USEC` (only `READY=1` is then due).
const DEFAULT_TICK: Duration = Duration::from_secs(10);
/// Tick until the webview first answers, so `READY=1` follows the page load
/// closely.
const STARTING_TICK: Duration = Duration::from_secs(1);
/// Pings whose answer is still accepted: an answer to the previous ping that
/// arrives after the next one was sent still shows a live webview.
const ACCEPTED_PINGS: usize = 2;

/// What the ping bookkeeping says about the webview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It never answered yet (the page is loading): no keep-alive, systemd's
    /// `TimeoutStartSec=` covers a page that never loads.
    Starting,
    /// It answered within the last two ticks: send `WATCHDOG=1`.
    Alive,
    /// Its last answer is older than two ticks: withhold `WATCHDOG=1`.
    Hung,
}

/// What an answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pong {
    /// The first answer of this run: time to send `READY=1`.
    First,
    /// A later answer.
    Again,
    /// Not one of the recent nonces: ignored.
    Unknown,
}

/// The pings sent to the webview and its answers (no I/O: the caller passes
/// the time).
#[derive(Debug)]
pub struct Heartbeat {
    tick: Duration,
    prefix: u64,
    counter: u64,
    recent: VecDeque<String>,
    last_pong: Option<Instant>,
}

impl Heartbeat {
    /// Bookkeeping for pings every `tick`; `prefix` makes this run's nonces
    /// unguessable by a page that did not receive them.
    pub fn new(tick: Duration, prefix: u64) -> Self {
        Self {
            tick,
            prefix,
            counter: 0,
            recent: VecDeque::with_capacity(ACCEPTED_PINGS),
            last_pong: None,
        }
    }

    /// The period between pings.
    pub fn tick(&self) -> Duration {
        self.tick
    }

    /// A new ping: its nonce, which the webview must send back.
    pub fn ping(&mut self) -> String {
        self.counter += 1;
        let nonce = format!("{:016x}-{}", self.prefix, self.counter);
        if self.recent.len() == ACCEPTED_PINGS {
            self.recent.pop_front();
        }
        self.recent.push_back(nonce.clone());
        nonce
    }

    /// Records the webview's answer to the ping `nonce`, received at `now`.
    pub fn pong(&mut self, nonce: &str, now: Instant) -> Pong {
        if !self.recent.iter().any(|sent| sent == nonce) {
            return Pong::Unknown;
        }
        let first = self.last_pong.is_none();
        self.last_pong = Some(now);
        if first { Pong::First } else { Pong::Again }
    }

    /// The webview's state at `now`.
    pub fn verdict(&self, now: Instant) -> Verdict {
        match self.last_pong {
            None => Verdict::Starting,
            Some(at) if now.saturating_duration_since(at) <= self.tick * 2 => Verdict::Alive,
            Some(_) => Verdict::Hung,
        }
    }
}

/// The tick for systemd's `WATCHDOG_USEC` (a third of it, at least 100 ms),
/// or [`DEFAULT_TICK`] when unset or not a number.
pub fn tick_for(watchdog_usec: Option<&str>) -> Duration {
    watchdog_usec
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|usec| *usec > 0)
        .map_or(DEFAULT_TICK, |usec| {
            Duration::from_micros(usec / 3).max(Duration::from_millis(100))
        })
}

/// The script the webview runs for the ping `nonce`.
pub fn pong_script(nonce: &str) -> String {
    let nonce = serde_json::Value::from(nonce);
    format!(
        "window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.invoke('watchdog_pong', {{ nonce: {nonce} }}).catch(() => {{}});"
    )
}

/// A datagram socket to systemd's `NOTIFY_SOCKET` (`sd_notify(3)`: a path,
/// or an abstract name written with a leading `@`).
#[derive(Debug)]
pub struct Notifier {
    #[cfg(target_os = "linux")]
    socket: std::os::unix::net::UnixDatagram,
    #[cfg(target_os = "linux")]
    address: std::os::unix::net::SocketAddr,
}

impl Notifier {
    /// Opens a socket for the notification address `address`.
    #[cfg(target_os = "linux")]
    pub fn connect(address: &std::ffi::OsStr) -> std::io::Result<Self> {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::net::{SocketAddr, UnixDatagram};

        let bytes = address.as_bytes();
        let address = match bytes.first() {
            Some(b'@') => SocketAddr::from_abstract_name(&bytes[1..])?,
            Some(b'/') => SocketAddr::from_pathname(address)?,
            _ => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "NOTIFY_SOCKET is neither a path nor an abstract socket name",
                ));
            }
        };
        Ok(Self {
            socket: UnixDatagram::unbound()?,
            address,
        })
    }

    /// Not on this system: systemd is Linux only.
    #[cfg(not(target_os = "linux"))]
    pub fn connect(_address: &std::ffi::OsStr) -> std::io::Result<Self> {
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "systemd notifications are Linux only",
        ))
    }

    /// Sends one notification (`READY=1`, `WATCHDOG=1`, ...).
    #[cfg(target_os = "linux")]
    pub fn notify(&self, state: &str) -> std::io::Result<()> {
        self.socket
            .send_to_addr(state.as_bytes(), &self.address)
            .map(drop)
    }

    /// Not on this system.
    #[cfg(not(target_os = "linux"))]
    pub fn notify(&self, _state: &str) -> std::io::Result<()> {
        Ok(())
    }
}

/// The watchdog's managed state: the bookkeeping, and the notification
/// socket when systemd gave one.
pub struct Watchdog {
    heartbeat: Mutex<Heartbeat>,
    notifier: Option<Notifier>,
}

impl Watchdog {
    /// A watchdog for `notify_socket` (none: disabled) and `WATCHDOG_USEC`.
    pub fn new(notify_socket: Option<&std::ffi::OsStr>, watchdog_usec: Option<&str>) -> Self {
        let notifier = notify_socket
            .filter(|s| !s.is_empty())
            .and_then(|s| match Notifier::connect(s) {
                Ok(notifier) => Some(notifier),
                Err(e) => {
                    tracing::error!(event = "watchdog_socket_unusable", error = %e, "NOTIFY_SOCKET cannot be used; no systemd watchdog");
                    None
                }
            });
        let prefix = uuid::Uuid::new_v4().as_u64_pair().0;
        Self {
            heartbeat: Mutex::new(Heartbeat::new(tick_for(watchdog_usec), prefix)),
            notifier,
        }
    }

    /// From the process environment (`NOTIFY_SOCKET`, `WATCHDOG_USEC`).
    pub fn from_env() -> Self {
        Self::new(
            std::env::var_os("NOTIFY_SOCKET").as_deref(),
            std::env::var("WATCHDOG_USEC").ok().as_deref(),
        )
    }

    /// Whether systemd listens.
    pub fn enabled(&self) -> bool {
        self.notifier.is_some()
    }

    fn heartbeat(&self) -> std::sync::MutexGuard<'_, Heartbeat> {
        self.heartbeat
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn notify(&self, state: &str) {
        if let Some(notifier) = &self.notifier
            && let Err(e) = notifier.notify(state)
        {
            tracing::warn!(event = "watchdog_notify_failed", state, error = %e, "systemd notification not sent");
        }
    }

    /// The webview answered `nonce`: the first answer sends `READY=1`.
    pub fn pong(&self, nonce: &str) -> Pong {
        let pong = self.heartbeat().pong(nonce, Instant::now());
        if pong == Pong::First && self.enabled() {
            tracing::info!(
                event = "watchdog_ready",
                "webview answered; READY=1 sent to systemd"
            );
            self.notify("READY=1");
        }
        pong
    }

    /// One tick at `now`: `WATCHDOG=1` if the webview is alive, then a new
    /// ping's nonce and the time to wait before the next tick.
    pub fn tick(&self, now: Instant) -> (Verdict, String, Duration) {
        let (verdict, nonce, tick) = {
            let mut heartbeat = self.heartbeat();
            let verdict = heartbeat.verdict(now);
            (verdict, heartbeat.ping(), heartbeat.tick())
        };
        if verdict == Verdict::Alive {
            self.notify("WATCHDOG=1");
        }
        let wait = if verdict == Verdict::Starting {
            tick.min(STARTING_TICK)
        } else {
            tick
        };
        (verdict, nonce, wait)
    }
}

/// Manages the watchdog state and, when systemd listens, starts the thread
/// that pings the main window.
pub fn start<R: Runtime>(app: &AppHandle<R>) {
    let watchdog = Watchdog::from_env();
    let enabled = watchdog.enabled();
    app.manage(watchdog);
    if !enabled {
        return;
    }
    let app = app.clone();
    let spawned = std::thread::Builder::new()
        .name("systemd-watchdog".into())
        .spawn(move || {
            let mut hung = false;
            loop {
                let watchdog = app.state::<Watchdog>();
                let (verdict, nonce, wait) = watchdog.tick(Instant::now());
                if verdict == Verdict::Hung && !hung {
                    tracing::error!(event = "webview_hung", "the webview stopped answering; WATCHDOG=1 withheld, systemd will restart the kiosk");
                }
                hung = verdict == Verdict::Hung;
                if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                    // Only queued here; the main thread runs it.
                    let _ = window.eval(pong_script(&nonce));
                }
                std::thread::sleep(wait);
            }
        });
    if let Err(e) = spawned {
        tracing::error!(event = "watchdog_thread_failed", error = %e, "no systemd watchdog thread");
    }
}

/// The webview's answer to a watchdog ping (called by the script that
/// [`start`]'s thread evaluates, not by the app's pages).
#[tauri::command]
pub fn watchdog_pong(watchdog: State<'_, Watchdog>, nonce: String) {
    let _ = watchdog.pong(&nonce);
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICK: Duration = Duration::from_secs(10);

    #[test]
    fn only_recent_nonces_count_and_the_first_answer_is_reported_once() {
        let mut heartbeat = Heartbeat::new(TICK, 0xabc);
        let t0 = Instant::now();
        assert_eq!(heartbeat.verdict(t0), Verdict::Starting);
        assert_eq!(heartbeat.pong("000000000000abc-1", t0), Pong::Unknown);

        let first = heartbeat.ping();
        assert_eq!(first, "0000000000000abc-1");
        assert_eq!(heartbeat.pong("guess", t0), Pong::Unknown);
        assert_eq!(heartbeat.verdict(t0), Verdict::Starting);
        assert_eq!(heartbeat.pong(&first, t0), Pong::First);
        assert_eq!(heartbeat.pong(&first, t0), Pong::Again);

        // The previous ping is still answered; older ones are not.
        let second = heartbeat.ping();
        let _third = heartbeat.ping();
        assert_eq!(heartbeat.pong(&second, t0), Pong::Again);
        assert_eq!(heartbeat.pong(&first, t0), Pong::Unknown);
    }

    #[test]
    fn silence_for_two_ticks_is_a_hang_and_an_answer_revives() {
        let mut heartbeat = Heartbeat::new(TICK, 1);
        let t0 = Instant::now();
        let nonce = heartbeat.ping();
        heartbeat.pong(&nonce, t0);
        assert_eq!(heartbeat.verdict(t0), Verdict::Alive);
        assert_eq!(heartbeat.verdict(t0 + TICK * 2), Verdict::Alive);
        assert_eq!(
            heartbeat.verdict(t0 + TICK * 2 + Duration::from_millis(1)),
            Verdict::Hung
        );
        let later = t0 + TICK * 3;
        let nonce = heartbeat.ping();
        assert_eq!(heartbeat.pong(&nonce, later), Pong::Again);
        assert_eq!(heartbeat.verdict(later), Verdict::Alive);
    }

    #[test]
    fn the_tick_is_a_third_of_the_watchdog_period() {
        assert_eq!(tick_for(Some("30000000")), Duration::from_secs(10));
        assert_eq!(tick_for(Some("90")), Duration::from_millis(100));
        assert_eq!(tick_for(None), DEFAULT_TICK);
        assert_eq!(tick_for(Some("0")), DEFAULT_TICK);
        assert_eq!(tick_for(Some("soon")), DEFAULT_TICK);
    }

    #[test]
    fn the_script_quotes_the_nonce() {
        let script = pong_script("ab'c\"d");
        assert!(
            script.contains(r#"invoke('watchdog_pong', { nonce: "ab'c\"d" })"#),
            "{script}"
        );
    }

    #[test]
    fn without_a_socket_nothing_is_sent() {
        let watchdog = Watchdog::new(None, Some("30000000"));
        assert!(!watchdog.enabled());
        let (verdict, nonce, wait) = watchdog.tick(Instant::now());
        assert_eq!((verdict, wait), (Verdict::Starting, STARTING_TICK));
        assert_eq!(watchdog.pong(&nonce), Pong::First);
    }

    #[cfg(target_os = "linux")]
    fn receive(socket: &std::os::unix::net::UnixDatagram) -> Option<String> {
        let mut buffer = [0_u8; 64];
        match socket.recv(&mut buffer) {
            Ok(n) => Some(String::from_utf8_lossy(&buffer[..n]).into_owned()),
            Err(_) => None,
        }
    }

    /// READY=1 after the first answer, WATCHDOG=1 only while the webview
    /// answers, through a real datagram socket standing in for systemd's.
    #[cfg(target_os = "linux")]
    #[test]
    fn systemd_hears_ready_then_keep_alives_only_while_the_webview_answers()
    -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::net::UnixDatagram;

        let dir = tempfile::tempdir()?;
        let path = dir.path().join("notify");
        let systemd = UnixDatagram::bind(&path)?;
        systemd.set_nonblocking(true)?;

        // WATCHDOG_USEC of 3 s: a 1 s tick.
        let watchdog = Watchdog::new(Some(path.as_os_str()), Some("3000000"));
        assert!(watchdog.enabled());
        let t0 = Instant::now();

        // Loading: no answer, nothing sent.
        let (verdict, nonce, wait) = watchdog.tick(t0);
        assert_eq!((verdict, wait), (Verdict::Starting, Duration::from_secs(1)));
        assert_eq!(receive(&systemd), None);

        assert_eq!(watchdog.pong("forged"), Pong::Unknown);
        assert_eq!(receive(&systemd), None);
        assert_eq!(watchdog.pong(&nonce), Pong::First);
        assert_eq!(receive(&systemd).as_deref(), Some("READY=1"));
        assert_eq!(watchdog.pong(&nonce), Pong::Again);
        assert_eq!(receive(&systemd), None, "READY=1 is sent once");

        let (verdict, _, _) = watchdog.tick(Instant::now());
        assert_eq!(verdict, Verdict::Alive);
        assert_eq!(receive(&systemd).as_deref(), Some("WATCHDOG=1"));

        // No answer for more than two ticks: no keep-alive.
        let (verdict, _, _) = watchdog.tick(Instant::now() + Duration::from_millis(2500));
        assert_eq!(verdict, Verdict::Hung);
        assert_eq!(receive(&systemd), None);
        Ok(())
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn abstract_socket_names_are_understood() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::net::{SocketAddr, UnixDatagram};

        let name = format!("dayfusion-watchdog-test-{}", uuid::Uuid::new_v4());
        let systemd = UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes())?)?;
        systemd.set_nonblocking(true)?;
        let notifier = Notifier::connect(std::ffi::OsStr::new(&format!("@{name}")))?;
        notifier.notify("WATCHDOG=1")?;
        assert_eq!(receive(&systemd).as_deref(), Some("WATCHDOG=1"));
        assert!(Notifier::connect(std::ffi::OsStr::new("relative/socket")).is_err());
        Ok(())
    }
}
