//! The capture service over loopback HTTP, for `<face-liveness-widget>` in
//! a browser outside Tauri (its Chromium tests, development). The kiosk
//! itself uses Tauri IPC. Binds loopback addresses only; answers CORS for
//! one allowed origin.
//!
//! Any page a browser visits can reach a loopback port (a cross-origin POST
//! that needs no preflight, or DNS rebinding), and so can any local
//! process. So every request must name the bridge by its loopback address
//! (`Host: 127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`, else 421
//! `[bridge-host]`), and every request but the CORS preflight must carry
//! the run's [`BridgeToken`] as `Authorization: Bearer <token>` (else 401
//! `[bridge-unauthorized]`). Both are checked before anything else.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /liveness/sessions` | `{"locale","auditImagesLimit"}` | `LivenessSessionInfo` |
//! | `GET /liveness/sessions/{id}` | | `LivenessSessionInfo` |
//! | `POST /liveness/frames` | JPEG, headers `x-liveness-session`, `x-capture-ms`, `x-shown-colour`, `x-camera` | `LivenessFrameFeedback` |
//! | `POST /liveness/sessions/{id}/finish?locale=en` | | `LivenessSummary` |
//! | `GET /liveness/sessions/{id}/outcome` | | `StaffOutcome` (status, confidence, checks; the flow's view, never the widget's) |
//!
//! Refusals answer 4xx with the kiosk's `CommandError` JSON.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;

use dayfusion_ipc::{CommandError, ErrorCode, LivenessRefusal};
use dayfusion_liveness::LivenessSettings;
use dayfusion_liveness::challenge::ChallengeKind;
use rand::TryRngCore;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::service::{FRAME_HEADERS, FrameHeader};
use crate::{CaptureError, CaptureService};

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// Only loopback addresses are served.
    #[error("the liveness bridge binds loopback addresses only, not {0}")]
    NotLoopback(SocketAddr),
    /// The socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A token given by the caller is too short or has characters a
    /// bearer token cannot carry.
    #[error(
        "the bridge token must be {MIN_TOKEN_LEN} to {MAX_TOKEN_LEN} characters of A-Z a-z 0-9 - . _ ~ + / ="
    )]
    InvalidToken,
    /// The operating system gave no random bytes for a token.
    #[error("no random bytes for the bridge token: {0}")]
    Random(String),
}

/// The stable code of a request without the run's token (401).
pub const REFUSED_TOKEN: &str = "bridge-unauthorized";
/// The stable code of a request naming another host (421).
pub const REFUSED_HOST: &str = "bridge-host";

/// Shortest token a caller may choose (128 bits as hex).
pub const MIN_TOKEN_LEN: usize = 32;
/// Longest token a caller may choose.
pub const MAX_TOKEN_LEN: usize = 512;

/// The bearer token of one bridge run. Its `Debug` never shows it, and it
/// has no `PartialEq`: it is only compared in constant time.
#[derive(Clone)]
pub struct BridgeToken(String);

impl BridgeToken {
    /// 256 random bits from the operating system, as 64 hex digits.
    pub fn generate() -> Result<Self, BridgeError> {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut bytes)
            .map_err(|e| BridgeError::Random(e.to_string()))?;
        Ok(BridgeToken(
            bytes.iter().map(|b| format!("{b:02x}")).collect(),
        ))
    }

    /// A token the caller chose (tests): [`MIN_TOKEN_LEN`] to
    /// [`MAX_TOKEN_LEN`] characters of RFC 6750's token alphabet.
    pub fn from_secret(secret: &str) -> Result<Self, BridgeError> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
        if !(MIN_TOKEN_LEN..=MAX_TOKEN_LEN).contains(&secret.len()) || !secret.chars().all(allowed)
        {
            return Err(BridgeError::InvalidToken);
        }
        Ok(BridgeToken(secret.to_owned()))
    }

    /// The token itself, for whoever hands it to the widget; never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Whether an `Authorization` value is `Bearer <this token>`, compared
    /// in constant time.
    fn admits(&self, authorization: &str) -> bool {
        let Some((scheme, presented)) = authorization.trim().split_once(' ') else {
            return false;
        };
        scheme.eq_ignore_ascii_case("bearer")
            && bool::from(self.0.as_bytes().ct_eq(presented.trim_start().as_bytes()))
    }
}

impl std::fmt::Debug for BridgeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BridgeToken(<redacted>)")
    }
}

/// A bound bridge; [`Bridge::serve`] answers requests until the process ends.
pub struct Bridge {
    server: Server,
    service: Arc<CaptureService>,
    allow_origin: Option<String>,
    token: BridgeToken,
    /// The `Host` values answered: the bound port on each loopback name.
    hosts: Vec<String>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("addr", &self.local_addr())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct StartBody {
    locale: Option<String>,
    audit_images_limit: Option<u8>,
    /// `movement` for the check without flashing colours.
    challenge: Option<ChallengeKind>,
}

impl Bridge {
    /// Binds `addr` (port 0 picks a free one). `allow_origin` is the one
    /// origin whose pages may call it (`http://127.0.0.1:5173`); `token`
    /// is the bearer token every request must carry.
    pub fn bind(
        addr: SocketAddr,
        service: Arc<CaptureService>,
        allow_origin: Option<String>,
        token: BridgeToken,
    ) -> Result<Self, BridgeError> {
        if !addr.ip().is_loopback() {
            return Err(BridgeError::NotLoopback(addr));
        }
        let server = Server::http(addr).map_err(|source| BridgeError::Bind { addr, source })?;
        let port = server
            .server_addr()
            .to_ip()
            .map_or(addr.port(), |bound| bound.port());
        let mut hosts: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
            .iter()
            .map(|name| format!("{name}:{port}"))
            .collect();
        if port == 80 {
            // Browsers leave the default port out.
            hosts.extend(["127.0.0.1", "localhost", "[::1]"].map(str::to_owned));
        }
        Ok(Bridge {
            server,
            service,
            allow_origin,
            token,
            hosts,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    /// Answers requests, one at a time (frames of a session are analysed
    /// in order anyway), until the process ends.
    pub fn serve(self) {
        for request in self.server.incoming_requests() {
            self.answer(request);
        }
    }

    fn answer(&self, mut request: Request) {
        let outcome = match self.admit(&request) {
            Err(refusal) => Err(refusal),
            Ok(()) if *request.method() == Method::Options => {
                let response = self.cors(Response::empty(204).boxed());
                let _ = request.respond(response);
                return;
            }
            Ok(()) => self.route(&mut request),
        };
        let (status, body) = match outcome {
            Ok(value) => (200, value),
            Err(e) => (
                e.status,
                serde_json::to_value(&e.error).unwrap_or(serde_json::Value::Null),
            ),
        };
        let mut response = Response::from_string(body.to_string()).with_status_code(status);
        let mut headers = vec![("content-type", "application/json")];
        if status == 401 {
            headers.push(("www-authenticate", "Bearer realm=\"dayfusion-liveness\""));
        }
        for (name, value) in headers {
            if let Ok(h) = Header::from_bytes(name, value) {
                response.add_header(h);
            }
        }
        let _ = request.respond(self.cors(response.boxed()));
    }

    /// Refuses a request that names another host (DNS rebinding) or, but
    /// for the CORS preflight, lacks the run's token. Nothing else of the
    /// request is read first.
    fn admit(&self, request: &Request) -> Result<(), HttpError> {
        let hosts = header_values(request, "host");
        let host_ok = match hosts.as_slice() {
            [host] => self
                .hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host.trim())),
            _ => false,
        };
        if !host_ok {
            return Err(refusal(
                421,
                REFUSED_HOST,
                "this bridge answers only requests to 127.0.0.1, localhost or [::1] on its own port",
            ));
        }
        if *request.method() == Method::Options {
            return Ok(());
        }
        let authorizations = header_values(request, "authorization");
        match authorizations.as_slice() {
            [authorization] if self.token.admits(authorization) => Ok(()),
            _ => Err(refusal(
                401,
                REFUSED_TOKEN,
                "missing or wrong bearer token (Authorization: Bearer <the token `dayfusion liveness serve` printed>)",
            )),
        }
    }

    /// Runs an admitted request.
    fn route(&self, request: &mut Request) -> Result<serde_json::Value, HttpError> {
        let method = request.method().clone();
        let url = request.url().to_owned();
        let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (&method, segments.as_slice()) {
            (Method::Post, ["liveness", "sessions"]) => {
                read_body(request, 64 * 1024).and_then(|body| {
                    let start: StartBody = if body.is_empty() {
                        StartBody::default()
                    } else {
                        serde_json::from_slice(&body).map_err(|e| bad_request(&e))?
                    };
                    let defaults = LivenessSettings::default();
                    let settings = LivenessSettings {
                        audit_images_limit: start
                            .audit_images_limit
                            .unwrap_or(defaults.audit_images_limit),
                        locale: start.locale.unwrap_or(defaults.locale),
                        challenge: start.challenge.unwrap_or_default(),
                    };
                    json(self.service.start(settings))
                })
            }
            (Method::Get, ["liveness", "sessions", id]) => json(self.service.describe(id)),
            (Method::Post, ["liveness", "frames"]) => {
                let header = FrameHeader::from_headers(|name| header_value(request, name));
                match header {
                    Err(e) => Err(HttpError::from(e)),
                    Ok(header) => read_body(request, crate::service::MAX_FRAME_BYTES)
                        .and_then(|body| json(self.service.frame(&header, &body))),
                }
            }
            (Method::Get, ["liveness", "sessions", id, "outcome"]) => {
                json(self.service.outcome(id))
            }
            (Method::Post, ["liveness", "sessions", id, "finish"]) => {
                let locale = query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix("locale="))
                    .unwrap_or("pt-BR");
                json(self.service.finish(id, locale))
            }
            _ => Err(HttpError {
                status: 404,
                error: CommandError {
                    code: ErrorCode::InvalidInput,
                    detail: format!("no route {method} {path}"),
                },
            }),
        }
    }

    fn cors(&self, mut response: tiny_http::ResponseBox) -> tiny_http::ResponseBox {
        let Some(origin) = &self.allow_origin else {
            return response;
        };
        // Every header a frame carries, so that a new one cannot be
        // forgotten here (the browser would refuse every frame).
        let allow_headers = format!("authorization, content-type, {}", FRAME_HEADERS.join(", "));
        let allowed = [
            ("access-control-allow-origin", origin.as_str()),
            ("access-control-allow-methods", "GET, POST, OPTIONS"),
            ("access-control-allow-headers", &allow_headers),
            ("access-control-max-age", "600"),
        ];
        for (name, value) in allowed {
            if let Ok(h) = Header::from_bytes(name, value) {
                response.add_header(h);
            }
        }
        response
    }
}

/// An answer other than 200.
struct HttpError {
    status: u16,
    error: CommandError,
}

impl From<CaptureError> for HttpError {
    fn from(e: CaptureError) -> Self {
        let status = match e.refusal() {
            LivenessRefusal::TooManyAttempts => 429,
            LivenessRefusal::UnknownSession => 404,
            LivenessRefusal::AlreadyUsed | LivenessRefusal::Expired => 410,
            LivenessRefusal::BadFrame | LivenessRefusal::NoFrames => 400,
            LivenessRefusal::ModelsMissing => 503,
            LivenessRefusal::CameraRefused => 403,
            LivenessRefusal::CameraChanged => 409,
        };
        HttpError {
            status,
            error: e.to_command_error(),
        }
    }
}

fn bad_request(e: &dyn std::fmt::Display) -> HttpError {
    HttpError {
        status: 400,
        error: CommandError {
            code: ErrorCode::InvalidInput,
            detail: e.to_string(),
        },
    }
}

fn json<T: serde::Serialize>(
    result: Result<T, CaptureError>,
) -> Result<serde_json::Value, HttpError> {
    let value = result.map_err(HttpError::from)?;
    serde_json::to_value(value).map_err(|e| HttpError {
        status: 500,
        error: CommandError {
            code: ErrorCode::Internal,
            detail: e.to_string(),
        },
    })
}

/// A refusal of the gate: `[code] detail` under `invalidInput`.
fn refusal(status: u16, code: &str, detail: &str) -> HttpError {
    HttpError {
        status,
        error: CommandError {
            code: ErrorCode::InvalidInput,
            detail: format!("[{code}] {detail}"),
        },
    }
}

/// Every value of a header (a repeated `Host` or `Authorization` is refused).
fn header_values(request: &Request, name: &str) -> Vec<String> {
    request
        .headers()
        .iter()
        .filter(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
        .collect()
}

fn header_value(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_owned())
}

fn read_body(request: &mut Request, limit: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    request
        .as_reader()
        .take(limit as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| bad_request(&e))?;
    if body.len() > limit {
        return Err(CaptureError::FrameTooLarge(body.len()).into());
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_token_is_256_random_bits_in_hex_and_never_debug_printed()
    -> Result<(), BridgeError> {
        let (a, b) = (BridgeToken::generate()?, BridgeToken::generate()?);
        assert_eq!(a.secret().len(), 64);
        assert!(a.secret().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.secret(), b.secret());
        assert!(!format!("{a:?}").contains(a.secret()));
        Ok(())
    }

    #[test]
    fn a_chosen_token_must_be_long_and_header_safe() {
        assert!(BridgeToken::from_secret("short").is_err());
        assert!(BridgeToken::from_secret(&"a b".repeat(20)).is_err());
        assert!(BridgeToken::from_secret(&"ä".repeat(40)).is_err());
        assert!(BridgeToken::from_secret(&"x".repeat(MAX_TOKEN_LEN + 1)).is_err());
        assert!(BridgeToken::from_secret(&"0123456789abcdef".repeat(2)).is_ok());
    }

    #[test]
    fn only_bearer_with_the_exact_token_is_admitted() -> Result<(), BridgeError> {
        let token = BridgeToken::from_secret(&"0123456789abcdef".repeat(4))?;
        let secret = token.secret().to_owned();
        assert!(token.admits(&format!("Bearer {secret}")));
        assert!(token.admits(&format!("bearer  {secret} ")));
        assert!(!token.admits(&secret));
        assert!(!token.admits(&format!("Basic {secret}")));
        assert!(!token.admits(&format!("Bearer {}", &secret[1..])));
        assert!(!token.admits(&format!("Bearer {secret}0")));
        assert!(!token.admits("Bearer "));
        assert!(!token.admits(""));
        Ok(())
    }
}
