//! The local liveness capture service: what `<face-liveness-widget>` talks
//! to when it runs a session on the embedded engine.
//!
//! - [`service::CaptureService`]: start or describe a session, analyse one
//!   camera frame (JPEG bytes plus a [`service::FrameHeader`]: session,
//!   capture time, colour on screen), finish with a score-free
//!   [`dayfusion_ipc::LivenessSummary`]. The outcome stays in
//!   [`dayfusion_verify::embedded::LiveSessions`] for the flow.
//! - [`camera::CameraPolicy`]: the camera a frame names must be a real
//!   V4L2 device (not a virtual one), and the pinned one when a pin is
//!   set; a session stays with its first camera.
//! - [`limit::AttemptLimiter`]: at most five failed attempts per three
//!   minutes per kiosk (the figure AWS gives for its liveness check).
//! - [`bridge`]: the same service over loopback HTTP, for the widget in a
//!   browser outside Tauri (tests, development). The kiosk uses Tauri IPC.
//!
//! Frames are never stored or logged here; the engine keeps only its
//! measurements and the reference and audit frames it chose.

pub mod bridge;
pub mod camera;
pub mod error;
pub mod limit;
pub mod service;

pub use camera::CameraPolicy;
pub use error::CaptureError;
pub use limit::AttemptLimiter;
pub use service::{CaptureService, FrameHeader};
