//! The capture service over loopback HTTP, for `<face-liveness-widget>` in
//! a browser outside Tauri (its Chromium tests, development). The kiosk
//! itself uses Tauri IPC. Binds loopback addresses only; answers CORS for
//! one allowed origin.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /liveness/sessions` | `{"locale","auditImagesLimit"}` | `LivenessSessionInfo` |
//! | `GET /liveness/sessions/{id}` | | `LivenessSessionInfo` |
//! | `POST /liveness/frames` | JPEG, headers `x-liveness-session`, `x-capture-ms`, `x-shown-colour` | `LivenessFrameFeedback` |
//! | `POST /liveness/sessions/{id}/finish?locale=en` | | `LivenessSummary` |
//! | `GET /liveness/sessions/{id}/outcome` | | `StaffOutcome` (status, confidence, checks; the flow's view, never the widget's) |
//!
//! Refusals answer 4xx with the kiosk's `CommandError` JSON.

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;

use dayfusion_ipc::{CommandError, ErrorCode, LivenessRefusal};
use dayfusion_liveness::LivenessSettings;
use serde::Deserialize;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::service::FrameHeader;
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
}

/// A bound bridge; [`Bridge::serve`] answers requests until the process ends.
pub struct Bridge {
    server: Server,
    service: Arc<CaptureService>,
    allow_origin: Option<String>,
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
}

impl Bridge {
    /// Binds `addr` (port 0 picks a free one). `allow_origin` is the one
    /// origin whose pages may call it (`http://127.0.0.1:5173`).
    pub fn bind(
        addr: SocketAddr,
        service: Arc<CaptureService>,
        allow_origin: Option<String>,
    ) -> Result<Self, BridgeError> {
        if !addr.ip().is_loopback() {
            return Err(BridgeError::NotLoopback(addr));
        }
        let server = Server::http(addr).map_err(|source| BridgeError::Bind { addr, source })?;
        Ok(Bridge {
            server,
            service,
            allow_origin,
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
        let method = request.method().clone();
        let url = request.url().to_owned();
        let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let outcome: Result<serde_json::Value, HttpError> = match (&method, segments.as_slice()) {
            (Method::Options, _) => {
                let response = self.cors(Response::empty(204).boxed());
                let _ = request.respond(response);
                return;
            }
            (Method::Post, ["liveness", "sessions"]) => read_body(&mut request, 64 * 1024)
                .and_then(|body| {
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
                    };
                    json(self.service.start(settings))
                }),
            (Method::Get, ["liveness", "sessions", id]) => json(self.service.describe(id)),
            (Method::Post, ["liveness", "frames"]) => {
                let header = FrameHeader::from_headers(|name| header_value(&request, name));
                match header {
                    Err(e) => Err(HttpError::from(e)),
                    Ok(header) => read_body(&mut request, crate::service::MAX_FRAME_BYTES)
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
        };
        let (status, body) = match outcome {
            Ok(value) => (200, value),
            Err(e) => (
                e.status,
                serde_json::to_value(&e.error).unwrap_or(serde_json::Value::Null),
            ),
        };
        let mut response = Response::from_string(body.to_string()).with_status_code(status);
        if let Ok(h) = Header::from_bytes("content-type", "application/json") {
            response.add_header(h);
        }
        let _ = request.respond(self.cors(response.boxed()));
    }

    fn cors(&self, mut response: tiny_http::ResponseBox) -> tiny_http::ResponseBox {
        let Some(origin) = &self.allow_origin else {
            return response;
        };
        let allowed = [
            ("access-control-allow-origin", origin.as_str()),
            ("access-control-allow-methods", "GET, POST, OPTIONS"),
            (
                "access-control-allow-headers",
                "content-type, x-liveness-session, x-capture-ms, x-shown-colour",
            ),
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
