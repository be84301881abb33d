//! A tiny HTTP/1.1 endpoint for the health report, on a loopback port or a
//! Unix socket, built to never load the kiosk whatever the caller does.
//!
//! Deliberately not `tiny_http` (which the liveness bridge uses): it starts
//! a thread per connection without a cap, reads header lines of any length
//! and has no read timeout, so one slow or hostile client could grow memory
//! and threads without bound. Here: a fixed pool of [`WORKERS`] threads
//! behind a queue of [`QUEUE`] connections (more are closed at once), the
//! request head capped at [`MAX_HEAD_BYTES`] and [`MAX_HEADERS`] lines and
//! read within [`READ_DEADLINE`], no request body accepted, one request per
//! connection, and the report recomputed at most every [`CACHE_FOR`].

use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The report is recomputed at most this often, however often it is asked for.
pub const CACHE_FOR: Duration = Duration::from_secs(5);
/// The request line and headers together, at most (larger: 431).
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// Header lines, at most (more: 431).
pub const MAX_HEADERS: usize = 32;
/// The whole request head must arrive within this (else the connection is closed).
pub const READ_DEADLINE: Duration = Duration::from_secs(3);
/// Each write of the answer must progress within this.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(3);
/// Threads answering requests.
pub const WORKERS: usize = 2;
/// Connections waiting for a worker, at most; more are closed unanswered.
pub const QUEUE: usize = 8;

/// Where the endpoint listens.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A loopback address (the caller checks it is one).
    Tcp(SocketAddr),
    /// A Unix socket path (Unix only).
    Unix(PathBuf),
}

/// Why the endpoint could not start.
#[derive(Debug)]
pub enum ServeError {
    /// Another server already answers there.
    InUse(String),
    /// Binding, permissions or announcing failed.
    Io(String, io::Error),
}

/// Serves `source`'s report until the process ends. `source` returns
/// whether the report is failing and its JSON; `announce` receives the
/// address (`IP:PORT` or `unix:PATH`) once listening.
pub fn serve<F>(
    endpoint: Endpoint,
    source: F,
    announce: impl FnOnce(&str) -> io::Result<()>,
) -> Result<(), ServeError>
where
    F: Fn() -> (bool, Vec<u8>) + Send + Sync + 'static,
{
    let listener = Listener::bind(&endpoint)?;
    let at = listener.describe();
    announce(&at).map_err(|e| ServeError::Io(at.clone(), e))?;
    let shared = Arc::new(Shared {
        source,
        cache: Mutex::new(None),
    });
    let (queue, waiting) = sync_channel::<Stream>(QUEUE);
    let waiting = Arc::new(Mutex::new(waiting));
    for n in 0..WORKERS {
        let shared = Arc::clone(&shared);
        let waiting = Arc::clone(&waiting);
        std::thread::Builder::new()
            .name(format!("health-http-{n}"))
            .spawn(move || work(&shared, &waiting))
            .map_err(|e| ServeError::Io(at.clone(), e))?;
    }
    loop {
        match listener.accept() {
            // Full: closed at once, so a flood costs a few file descriptors.
            Ok(stream) => match queue.try_send(stream) {
                Ok(()) | Err(TrySendError::Full(_)) => {}
                Err(TrySendError::Disconnected(_)) => {
                    return Err(ServeError::Io(at, io::Error::other("workers stopped")));
                }
            },
            // Out of descriptors, say: wait rather than spin.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn work<F: Fn() -> (bool, Vec<u8>)>(shared: &Shared<F>, waiting: &Mutex<Receiver<Stream>>) {
    loop {
        let next = lock(waiting).recv();
        match next {
            Ok(stream) => answer(shared, stream),
            Err(_) => return,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Cached {
    at: Instant,
    failing: bool,
    body: Arc<Vec<u8>>,
}

struct Shared<F> {
    source: F,
    cache: Mutex<Option<Cached>>,
}

impl<F: Fn() -> (bool, Vec<u8>)> Shared<F> {
    /// The report, computed again when the cached one is older than
    /// [`CACHE_FOR`]; concurrent callers wait for one computation.
    fn current(&self) -> (bool, Arc<Vec<u8>>) {
        let mut cache = lock(&self.cache);
        if let Some(cached) = cache.as_ref()
            && cached.at.elapsed() < CACHE_FOR
        {
            return (cached.failing, Arc::clone(&cached.body));
        }
        // A panic in a check must not kill the worker: it is a failing
        // report (503), not a silent server.
        let (failing, body) =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.source)()))
                .unwrap_or_else(|_| {
                    (
                        true,
                        br#"{"status":"failing","error":"health check panicked"}"#.to_vec(),
                    )
                });
        let body = Arc::new(body);
        *cache = Some(Cached {
            at: Instant::now(),
            failing,
            body: Arc::clone(&body),
        });
        (failing, body)
    }
}

/// What the routes answer.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: u16,
    content_type: &'static str,
    body: Arc<Vec<u8>>,
    allow: bool,
}

impl Answer {
    fn text(status: u16, text: &str) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: Arc::new(format!("{text}\n").into_bytes()),
            allow: false,
        }
    }
}

/// The parts of a request head the routes look at.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    method: String,
    path: String,
    host: Option<String>,
    has_body: bool,
}

fn answer<F: Fn() -> (bool, Vec<u8>)>(shared: &Shared<F>, mut stream: Stream) {
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let (answer, head_only) = match read_head(&mut stream, Instant::now() + READ_DEADLINE) {
        Ok(bytes) => match parse_head(&bytes) {
            Ok(head) => (route(shared, &head, stream.is_tcp()), head.method == "HEAD"),
            Err(refusal) => (refusal, false),
        },
        Err(HeadError::TooLarge) => (Answer::text(431, "request header fields too large"), false),
        // Timed out or gone: nobody to answer.
        Err(HeadError::Io) => return,
    };
    let _ = write_answer(&mut stream, &answer, head_only);
    finish(stream);
}

fn route<F: Fn() -> (bool, Vec<u8>)>(shared: &Shared<F>, head: &Head, tcp: bool) -> Answer {
    if head.method != "GET" && head.method != "HEAD" {
        let mut refused = Answer::text(405, "method not allowed");
        refused.allow = true;
        return refused;
    }
    if head.has_body {
        return Answer::text(413, "a request body is not accepted");
    }
    // A web page reaching the port through DNS rebinding names another host.
    if tcp
        && head
            .host
            .as_deref()
            .is_some_and(|host| !loopback_host(host))
    {
        return Answer::text(421, "loopback host names only");
    }
    match head.path.as_str() {
        "/health" => {
            let (failing, body) = shared.current();
            Answer {
                status: if failing { 503 } else { 200 },
                content_type: "application/json",
                body,
                allow: false,
            }
        }
        "/health/live" => Answer::text(200, "ok"),
        _ => Answer::text(404, "not found"),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    TooLarge,
    Io,
}

/// Reads up to the blank line that ends the head, within `deadline`.
fn read_head(stream: &mut Stream, deadline: Instant) -> Result<Vec<u8>, HeadError> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HeadError::Io);
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| HeadError::Io)?;
        let n = match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Err(HeadError::Io),
            Ok(n) => n,
        };
        let from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..n]);
        if let Some(end) = head[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            let end = from + end;
            if end > MAX_HEAD_BYTES {
                return Err(HeadError::TooLarge);
            }
            head.truncate(end);
            return Ok(head);
        }
        if head.len() > MAX_HEAD_BYTES {
            return Err(HeadError::TooLarge);
        }
    }
}

fn parse_head(bytes: &[u8]) -> Result<Head, Answer> {
    let bad = || Answer::text(400, "bad request");
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if !version.starts_with("HTTP/1.") || !target.starts_with('/') || method.is_empty() {
        return Err(bad());
    }
    let mut head = Head {
        method: method.to_owned(),
        path: target
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned(),
        host: None,
        has_body: false,
    };
    for (n, line) in lines.enumerate() {
        if n >= MAX_HEADERS {
            return Err(Answer::text(431, "request header fields too large"));
        }
        let (name, value) = line.split_once(':').ok_or_else(bad)?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("host") {
            head.host = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            || (name.eq_ignore_ascii_case("content-length") && value != "0")
        {
            head.has_body = true;
        }
    }
    Ok(head)
}

/// `localhost` or a loopback IP, with or without a port.
fn loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn write_answer(stream: &mut Stream, answer: &Answer, head_only: bool) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n",
        answer.status,
        reason(answer.status),
        answer.content_type,
        answer.body.len()
    )
    .into_bytes();
    if answer.allow {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&answer.body);
    }
    stream.write_all(&out)?;
    stream.flush()
}

/// Ends the connection: says so, then reads (and drops) a little of what
/// the client may still send, so that closing does not reset the
/// connection before the client has read the answer.
fn finish(mut stream: Stream) {
    stream.shutdown_write();
    let _ = stream.set_read_timeout(Some(Duration::from_millis(250)));
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    // One deadline for the whole drain: a client trickling bytes must not
    // hold a worker.
    let deadline = Instant::now() + Duration::from_millis(500);
    while drained < 64 * 1024 && Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener, SocketFile),
}

impl Listener {
    fn bind(endpoint: &Endpoint) -> Result<Self, ServeError> {
        match endpoint {
            Endpoint::Tcp(addr) => TcpListener::bind(addr).map(Self::Tcp).map_err(|e| {
                if e.kind() == io::ErrorKind::AddrInUse {
                    ServeError::InUse(addr.to_string())
                } else {
                    ServeError::Io(addr.to_string(), e)
                }
            }),
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                let (listener, file) = SocketFile::bind(path)?;
                Ok(Self::Unix(listener, file))
            }
            #[cfg(not(unix))]
            Endpoint::Unix(path) => Err(ServeError::Io(
                path.display().to_string(),
                io::Error::new(io::ErrorKind::Unsupported, "Unix sockets"),
            )),
        }
    }

    fn describe(&self) -> String {
        match self {
            Self::Tcp(listener) => listener
                .local_addr()
                .map_or_else(|_| "?".into(), |a| a.to_string()),
            #[cfg(unix)]
            Self::Unix(_, file) => format!("unix:{}", file.path.display()),
        }
    }

    fn accept(&self) -> io::Result<Stream> {
        match self {
            Self::Tcp(listener) => listener.accept().map(|(s, _)| Stream::Tcp(s)),
            #[cfg(unix)]
            Self::Unix(listener, _) => listener.accept().map(|(s, _)| Stream::Unix(s)),
        }
    }
}

/// The socket file this server made: mode 0660, removed when dropped
/// (unless something else replaced it meanwhile).
#[cfg(unix)]
struct SocketFile {
    path: PathBuf,
    inode: u64,
}

#[cfg(unix)]
impl SocketFile {
    fn bind(
        path: &std::path::Path,
    ) -> Result<(std::os::unix::net::UnixListener, Self), ServeError> {
        use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
        use std::os::unix::net::{UnixListener, UnixStream};
        let at = || path.display().to_string();
        let listener = match UnixListener::bind(path) {
            Ok(listener) => listener,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                // Left by a server that was killed? Replace it; never
                // another server's socket nor a file that is no socket.
                // Only a refused connection means nobody listens; any other
                // answer (a server, or no permission to ask) leaves it alone.
                match UnixStream::connect(path) {
                    Err(probe) if probe.kind() == io::ErrorKind::ConnectionRefused => {}
                    _ => return Err(ServeError::InUse(at())),
                }
                let stale =
                    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_socket());
                if !stale {
                    return Err(ServeError::Io(at(), e));
                }
                std::fs::remove_file(path).map_err(|e| ServeError::Io(at(), e))?;
                UnixListener::bind(path).map_err(|e| ServeError::Io(at(), e))?
            }
            Err(e) => return Err(ServeError::Io(at(), e)),
        };
        let file = Self {
            path: path.to_owned(),
            inode: std::fs::symlink_metadata(path)
                .map_err(|e| ServeError::Io(at(), e))?
                .ino(),
        };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
            .map_err(|e| ServeError::Io(at(), e))?;
        Ok((listener, file))
    }
}

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        use std::os::unix::fs::MetadataExt;
        if std::fs::symlink_metadata(&self.path).is_ok_and(|meta| meta.ino() == self.inode) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixStream),
}

impl Stream {
    fn is_tcp(&self) -> bool {
        matches!(self, Self::Tcp(_))
    }

    fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_read_timeout(timeout),
            #[cfg(unix)]
            Self::Unix(s) => s.set_read_timeout(timeout),
        }
    }

    fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.set_write_timeout(timeout),
            #[cfg(unix)]
            Self::Unix(s) => s.set_write_timeout(timeout),
        }
    }

    fn shutdown_write(&self) {
        let _ = match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Write),
            #[cfg(unix)]
            Self::Unix(s) => s.shutdown(Shutdown::Write),
        };
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf),
            #[cfg(unix)]
            Self::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write(buf),
            #[cfg(unix)]
            Self::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.flush(),
            #[cfg(unix)]
            Self::Unix(s) => s.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn head(text: &str) -> Result<Head, Answer> {
        parse_head(text.as_bytes())
    }

    #[test]
    fn the_head_is_parsed_strictly() {
        let parsed = head("GET /health?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9464\r\nAccept: */*");
        assert_eq!(
            parsed,
            Ok(Head {
                method: "GET".into(),
                path: "/health".into(),
                host: Some("127.0.0.1:9464".into()),
                has_body: false,
            })
        );
        for bad in [
            "GET /health",
            "GET health HTTP/1.1",
            "GET / HTTP/2",
            "GET / HTTP/1.1\r\nnocolon",
        ] {
            assert_eq!(head(bad).map_err(|a| a.status), Err(400), "{bad}");
        }
        let many = format!("GET / HTTP/1.1{}", "\r\nX: y".repeat(MAX_HEADERS + 1));
        assert_eq!(head(&many).map_err(|a| a.status), Err(431));
        let body = head("GET / HTTP/1.1\r\nContent-Length: 5").map(|h| h.has_body);
        assert_eq!(body, Ok(true));
    }

    #[test]
    fn only_loopback_host_names_are_answered() {
        for host in [
            "127.0.0.1:9464",
            "localhost",
            "LOCALHOST:1",
            "[::1]:9464",
            "127.1.2.3",
        ] {
            assert!(loopback_host(host), "{host}");
        }
        for host in ["evil.example:9464", "10.0.0.1", "[2001:db8::1]:1", ""] {
            assert!(!loopback_host(host), "{host}");
        }
    }

    #[test]
    fn the_report_is_computed_at_most_once_per_cache_period() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let shared = Shared {
            source: move || {
                counted.fetch_add(1, Ordering::SeqCst);
                (true, b"{}".to_vec())
            },
            cache: Mutex::new(None),
        };
        let get = |path: &str, method: &str| {
            let head = Head {
                method: method.into(),
                path: path.into(),
                host: None,
                has_body: false,
            };
            route(&shared, &head, true).status
        };
        assert_eq!(get("/health", "GET"), 503);
        assert_eq!(get("/health", "HEAD"), 503);
        assert_eq!(get("/health/live", "GET"), 200);
        assert_eq!(get("/nope", "GET"), 404);
        assert_eq!(get("/health", "POST"), 405);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_check_that_panics_is_a_failing_report_not_a_dead_worker() {
        let shared = Shared {
            source: || -> (bool, Vec<u8>) { panic!("a check broke") },
            cache: Mutex::new(None),
        };
        let (failing, body) = shared.current();
        assert!(failing);
        assert!(String::from_utf8_lossy(&body).contains("panicked"));
    }
}
