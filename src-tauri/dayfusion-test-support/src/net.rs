//! A TCP forwarder between a client (the SDK) and a server (moto) that
//! loses the network without the server losing its state.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::BoxError;

/// The `X-Amz-Target` of a DynamoDB `PutItem` request.
const PUT_ITEM_TARGET: &[u8] = b"DynamoDB_20120810.PutItem";

/// How often the acceptor looks for connections and state changes.
const POLL: Duration = Duration::from_millis(5);

/// A TCP proxy on a local port in front of a server.
///
/// - [`FlakyProxy::cut`] shuts every live connection down (both sides) and
///   refuses new ones (accepted, then closed at once) until
///   [`FlakyProxy::restore`]: a TCP connection still opens.
/// - [`FlakyProxy::unplug`] does the same, and stops listening: new
///   connections are refused by the OS, as with an unplugged network.
/// - [`FlakyProxy::set_delay`] holds every chunk back that long in both
///   directions (a slow network).
/// - [`FlakyProxy::arm_put_trap`] makes it cut itself the moment the
///   server answers the next DynamoDB `PutItem`: the item is written, its
///   answer never arrives.
///
/// Dropping it cuts everything and stops it.
pub struct FlakyProxy {
    addr: SocketAddr,
    state: Arc<ProxyState>,
    acceptor: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for FlakyProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlakyProxy")
            .field("addr", &self.addr)
            .field("upstream", &self.state.upstream)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct ProxyState {
    /// The server's `host:port`.
    upstream: String,
    up: AtomicBool,
    /// Not listening (connections refused).
    unplugged: AtomicBool,
    closing: AtomicBool,
    /// Hold-back of each chunk, milliseconds.
    delay_ms: AtomicU64,
    put_trap: AtomicBool,
    trap_fired: AtomicBool,
    next_id: AtomicU64,
    /// Connections accepted while up.
    accepted: AtomicU64,
    /// The client and server sides of every live connection.
    live: Mutex<HashMap<u64, [TcpStream; 2]>>,
}

/// Copies `from` to `to` until either ends or `forward` holds a chunk back,
/// then closes `to` for writing so its reader sees the end.
fn pump(mut from: TcpStream, mut to: TcpStream, mut forward: impl FnMut(&[u8]) -> bool) {
    let mut buf = [0_u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if !forward(&buf[..n]) || to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

impl ProxyState {
    fn live(&self) -> MutexGuard<'_, HashMap<u64, [TcpStream; 2]>> {
        self.live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Down: every live connection shut, new ones refused.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for (_, streams) in self.live().drain() {
            for stream in &streams {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    /// The slow network's wait before a chunk goes on.
    fn hold_back(&self) {
        let ms = self.delay_ms.load(Ordering::SeqCst);
        if ms > 0 {
            std::thread::sleep(Duration::from_millis(ms));
        }
    }

    /// One client connection, relayed to the server while the proxy is up.
    fn serve(self: &Arc<Self>, client: TcpStream) {
        let Ok(upstream) = TcpStream::connect(&self.upstream) else {
            return;
        };
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        {
            let mut live = self.live();
            // Under the lock: a cut either sees these streams or came first.
            if !self.up.load(Ordering::SeqCst) {
                return;
            }
            let (Ok(c), Ok(u)) = (client.try_clone(), upstream.try_clone()) else {
                return;
            };
            live.insert(id, [c, u]);
        }
        let (Ok(from_client), Ok(to_server)) = (client.try_clone(), upstream.try_clone()) else {
            self.live().remove(&id);
            return;
        };
        let trapped = Arc::new(AtomicBool::new(false));
        let requests = {
            let state = Arc::clone(self);
            let trapped = Arc::clone(&trapped);
            std::thread::spawn(move || {
                // The end of the previous chunk: a target split across reads.
                let mut window: Vec<u8> = Vec::new();
                pump(from_client, to_server, |chunk| {
                    window.extend_from_slice(chunk);
                    // Marked before the request is forwarded, so before the
                    // server can answer it.
                    if state.put_trap.load(Ordering::SeqCst)
                        && window
                            .windows(PUT_ITEM_TARGET.len())
                            .any(|w| w == PUT_ITEM_TARGET)
                        && state.put_trap.swap(false, Ordering::SeqCst)
                    {
                        trapped.store(true, Ordering::SeqCst);
                    }
                    let keep = PUT_ITEM_TARGET.len() - 1;
                    let drop_to = window.len().saturating_sub(keep);
                    window.drain(..drop_to);
                    state.hold_back();
                    true
                });
            })
        };
        pump(upstream, client, |_| {
            if trapped.load(Ordering::SeqCst) {
                // The server wrote the item; its answer is lost with the
                // network.
                self.trap_fired.store(true, Ordering::SeqCst);
                self.cut();
                return false;
            }
            self.hold_back();
            true
        });
        let _ = requests.join();
        self.live().remove(&id);
    }

    /// Accepts until closing: relays while up, closes at once while down,
    /// does not listen while unplugged (re-listening on `addr` after).
    fn accept_loop(self: &Arc<Self>, listener: TcpListener, addr: SocketAddr) {
        let mut listener = Some(listener);
        while !self.closing.load(Ordering::SeqCst) {
            if self.unplugged.load(Ordering::SeqCst) {
                listener = None;
                std::thread::sleep(POLL);
                continue;
            }
            let Some(open) = &listener else {
                // Back: the same port again (its closed connections in
                // TIME_WAIT do not block it on Unix).
                match TcpListener::bind(addr).and_then(|l| l.set_nonblocking(true).map(|()| l)) {
                    Ok(l) => listener = Some(l),
                    Err(_) => std::thread::sleep(POLL),
                }
                continue;
            };
            match open.accept() {
                Ok((client, _)) => {
                    if !self.up.load(Ordering::SeqCst) || client.set_nonblocking(false).is_err() {
                        drop(client); // refused: closed at once
                        continue;
                    }
                    self.accepted.fetch_add(1, Ordering::SeqCst);
                    let state = Arc::clone(self);
                    std::thread::spawn(move || state.serve(client));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
                Err(_) => std::thread::sleep(POLL),
            }
        }
    }
}

impl FlakyProxy {
    /// A proxy (up) on a free local port in front of `server_url`
    /// (`http://host:port`).
    pub fn start(server_url: &str) -> Result<FlakyProxy, BoxError> {
        let upstream = server_url
            .strip_prefix("http://")
            .ok_or_else(|| format!("not an http:// URL: {server_url}"))?
            .trim_end_matches('/')
            .to_owned();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ProxyState {
            upstream,
            up: AtomicBool::new(true),
            ..ProxyState::default()
        });
        let acceptor = {
            let state = Arc::clone(&state);
            std::thread::spawn(move || state.accept_loop(listener, addr))
        };
        Ok(FlakyProxy {
            addr,
            state,
            acceptor: Some(acceptor),
        })
    }

    /// `http://127.0.0.1:PORT`, the URL clients use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Down: live connections shut, new ones accepted and closed at once.
    pub fn cut(&self) {
        self.state.cut();
    }

    /// Down and not listening: new connections are refused. Returns once
    /// the port no longer accepts (at most about a second).
    pub fn unplug(&self) {
        self.state.unplugged.store(true, Ordering::SeqCst);
        self.state.cut();
        let deadline = Instant::now() + Duration::from_secs(1);
        while Instant::now() < deadline
            && TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok()
        {
            std::thread::sleep(POLL);
        }
    }

    /// Up again (listening again after [`FlakyProxy::unplug`]).
    pub fn restore(&self) {
        self.state.up.store(true, Ordering::SeqCst);
        self.state.unplugged.store(false, Ordering::SeqCst);
    }

    /// Holds every chunk back `delay` (zero: at once).
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Connections relayed so far.
    pub fn connections(&self) -> u64 {
        self.state.accepted.load(Ordering::SeqCst)
    }

    /// Cuts itself once the server answers the next DynamoDB `PutItem`.
    pub fn arm_put_trap(&self) {
        self.state.trap_fired.store(false, Ordering::SeqCst);
        self.state.put_trap.store(true, Ordering::SeqCst);
    }

    /// Whether the armed trap has fired.
    pub fn trap_fired(&self) -> bool {
        self.state.trap_fired.load(Ordering::SeqCst)
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.state.closing.store(true, Ordering::SeqCst);
        self.state.cut();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}
