//! Sessions, frames and results for the capture UI.

use std::sync::Arc;

use dayfusion_ipc::{
    ColourFlash, FlashColourName, LivenessEnd, LivenessFrameFeedback, LivenessGuidance,
    LivenessPhase, LivenessSessionInfo, LivenessSummary, OvalTarget,
};
use dayfusion_liveness::{
    FlashColour, Guidance, LivenessError, LivenessSettings, LivenessStatus, Oval, Phase,
    SessionStart,
};
use dayfusion_verify::embedded::LiveSessions;

use crate::{AttemptLimiter, CameraPolicy, CaptureError};

/// Largest accepted frame, bytes (a 1920x1080 JPEG at high quality is
/// well under it).
pub const MAX_FRAME_BYTES: usize = 4 * 1024 * 1024;
/// Header (IPC or HTTP) naming the session of a frame.
pub const HEADER_SESSION: &str = "x-liveness-session";
/// Header with the frame's capture time, milliseconds on the UI's
/// monotonic clock (`performance.now()`).
pub const HEADER_CAPTURE_MS: &str = "x-capture-ms";
/// Header with the flash colour on screen when the frame was captured
/// (`red` … `white`), absent or `none` when no flash was showing.
pub const HEADER_SHOWN_COLOUR: &str = "x-shown-colour";
/// Header with the camera's label (the video track's, percent-encoded as
/// `encodeURIComponent` does).
pub const HEADER_CAMERA: &str = "x-camera";
/// Every header a frame carries.
pub const FRAME_HEADERS: [&str; 4] = [
    HEADER_SESSION,
    HEADER_CAPTURE_MS,
    HEADER_SHOWN_COLOUR,
    HEADER_CAMERA,
];
/// Longest camera label accepted, bytes.
const MAX_CAMERA_LABEL: usize = 256;

/// What travels with a frame besides its JPEG bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameHeader {
    /// The session.
    pub session_id: String,
    /// Capture time, milliseconds on the UI's clock.
    pub capture_ms: f64,
    /// The flash colour on screen at capture time.
    pub shown: Option<FlashColourName>,
    /// The camera's label (empty when the client names none).
    pub camera: String,
}

impl FrameHeader {
    /// Reads the headers through `get` (header name → value).
    pub fn from_headers(get: impl Fn(&str) -> Option<String>) -> Result<Self, CaptureError> {
        let session_id = get(HEADER_SESSION)
            .filter(|s| !s.is_empty() && s.len() <= 64)
            .ok_or_else(|| CaptureError::BadHeader(format!("{HEADER_SESSION} missing")))?;
        let capture_ms = get(HEADER_CAPTURE_MS)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|t| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| {
                CaptureError::BadHeader(format!("{HEADER_CAPTURE_MS} missing or not a time"))
            })?;
        let shown = match get(HEADER_SHOWN_COLOUR).as_deref().map(str::trim) {
            None | Some("") | Some("none") => None,
            Some(name) => Some(
                serde_json::from_value(serde_json::Value::String(name.to_owned())).map_err(
                    |_| CaptureError::BadHeader(format!("{HEADER_SHOWN_COLOUR}: unknown colour")),
                )?,
            ),
        };
        let camera = match get(HEADER_CAMERA) {
            None => String::new(),
            Some(encoded) => percent_encoding::percent_decode_str(encoded.trim())
                .decode_utf8()
                .ok()
                .map(|label| label.trim().to_owned())
                .filter(|label| label.len() <= MAX_CAMERA_LABEL)
                .ok_or_else(|| {
                    // Not a frame to skip: the widget would send the same
                    // label again with every frame.
                    CaptureError::Engine(LivenessError::CameraRefused {
                        code: "camera-label-invalid",
                        detail: format!(
                            "{HEADER_CAMERA} is not UTF-8 or longer than {MAX_CAMERA_LABEL} bytes"
                        ),
                    })
                })?,
        };
        Ok(FrameHeader {
            session_id,
            capture_ms,
            shown,
            camera,
        })
    }
}

/// The local liveness service the widget talks to (over Tauri IPC in the
/// kiosk, over [`crate::bridge`] in a browser).
pub struct CaptureService {
    sessions: Arc<LiveSessions>,
    limiter: Arc<AttemptLimiter>,
    cameras: CameraPolicy,
}

impl std::fmt::Debug for CaptureService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureService")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl CaptureService {
    /// The service over `sessions` with its own default attempt limit.
    pub fn new(sessions: Arc<LiveSessions>) -> Self {
        Self::with_limiter(sessions, Arc::new(AttemptLimiter::default()))
    }

    /// The same with `limiter`: the kiosk's one limiter, shared with the
    /// visit desk (or a test's).
    pub fn with_limiter(sessions: Arc<LiveSessions>, limiter: Arc<AttemptLimiter>) -> Self {
        CaptureService {
            sessions,
            limiter,
            cameras: CameraPolicy::default(),
        }
    }

    /// The same with another camera policy (tests: a fake sysfs).
    pub fn with_cameras(mut self, cameras: CameraPolicy) -> Self {
        self.cameras = cameras;
        self
    }

    /// The attempt limiter this service counts failures in.
    pub fn limiter(&self) -> &Arc<AttemptLimiter> {
        &self.limiter
    }

    /// The sessions (the flow reads results there).
    pub fn sessions(&self) -> &Arc<LiveSessions> {
        &self.sessions
    }

    /// Attempts left before the limit refuses new sessions.
    pub fn attempts_left(&self) -> u32 {
        self.limiter.remaining()
    }

    /// Opens a session with a new random challenge, unless this kiosk has
    /// used up its failed attempts.
    pub fn start(&self, settings: LivenessSettings) -> Result<LivenessSessionInfo, CaptureError> {
        self.limiter.check()?;
        let start = self.sessions.engine().create_session(settings)?;
        tracing::info!(event = "liveness_session_started", session = %start.session_id);
        Ok(session_info(&start))
    }

    /// The challenge of a session opened elsewhere (by the flow).
    pub fn describe(&self, session_id: &str) -> Result<LivenessSessionInfo, CaptureError> {
        Ok(session_info(&self.sessions.engine().describe(session_id)?))
    }

    /// Analyses one frame (JPEG or PNG bytes).
    pub fn frame(
        &self,
        header: &FrameHeader,
        image: &[u8],
    ) -> Result<LivenessFrameFeedback, CaptureError> {
        if image.len() > MAX_FRAME_BYTES {
            return Err(CaptureError::FrameTooLarge(image.len()));
        }
        let engine = self.sessions.engine();
        if let Err(e) = engine.bind_camera(&header.session_id, &header.camera, |label| {
            self.cameras.identify(label)
        }) {
            // A refused or changed camera ends the attempt: it counts
            // against the kiosk's limit (once per session).
            if matches!(
                e,
                LivenessError::CameraRefused { .. } | LivenessError::CameraChanged
            ) {
                self.limiter.record_session_failure(&header.session_id);
            }
            return Err(e.into());
        }
        let rgb = dayfusion_face::image_io::decode_image(image).map_err(LivenessError::Frame)?;
        let feedback = engine.push_frame(
            &header.session_id,
            header.capture_ms,
            &rgb,
            header.shown.map(colour_of),
        )?;
        Ok(LivenessFrameFeedback {
            phase: match feedback.phase {
                Phase::FitSmallOval | Phase::Recording => LivenessPhase::FitSmallOval,
                Phase::MoveCloser => LivenessPhase::MoveCloser,
                Phase::Flashing => LivenessPhase::Flashing,
                Phase::Holding => LivenessPhase::Holding,
                Phase::Complete => LivenessPhase::Complete,
            },
            guidance: guidance_of(feedback.guidance),
            message: feedback.message,
            progress: feedback.progress,
            face: feedback.face,
            oval: feedback.oval.as_ref().map(oval_of),
            flash: feedback.flash.map(flash_of),
            analysis_ms: feedback.analysis_ms,
        })
    }

    /// Ends the session: the checks run, the outcome is kept for the flow,
    /// and the UI gets a summary without scores. A session that did not
    /// succeed counts against the attempt limit.
    pub fn finish(&self, session_id: &str, locale: &str) -> Result<LivenessSummary, CaptureError> {
        let result = match self.sessions.finish(session_id) {
            Ok(result) => result,
            Err(e) => {
                // An expired session with no frame is still an attempt.
                if matches!(e, LivenessError::Expired) {
                    self.limiter.record_session_failure(session_id);
                }
                return Err(e.into());
            }
        };
        let status = match result.status {
            LivenessStatus::Succeeded => LivenessEnd::Succeeded,
            LivenessStatus::Failed => LivenessEnd::Failed,
            LivenessStatus::Expired => LivenessEnd::Expired,
        };
        if status != LivenessEnd::Succeeded {
            self.limiter.record_session_failure(session_id);
        }
        // The kiosk's own loop (reveal to response, reveal to the first
        // frame saying it saw the colour): how close it runs to the light
        // check's limit. Timings only, nothing personal.
        let light = result
            .checks
            .iter()
            .find(|c| c.check == dayfusion_liveness::CheckKind::Light);
        let measure = |key: &str| light.and_then(|c| c.measures.get(key).copied());
        tracing::info!(
            event = "liveness_session_finished",
            session = %session_id,
            status = ?status,
            failure = result.failure.unwrap_or("-"),
            frames = result.frames,
            light_lag_ms = measure("lagMs"),
            reveal_to_claim_ms = measure("revealToClaimMs"),
        );
        Ok(LivenessSummary {
            session_id: session_id.to_owned(),
            status,
            failure: result.failure.map(str::to_owned),
            message: result.failure_message(locale),
            frames: u32::try_from(result.frames).unwrap_or(u32::MAX),
            duration_ms: result.duration_ms,
            attempts_left: self.limiter.remaining(),
        })
    }
}

/// A finished session as the verification flow and staff see it: status,
/// confidence, every check with its reason; no images. Never sent to the
/// capture UI (the person being checked never sees scores).
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffOutcome {
    /// The session.
    pub session_id: String,
    /// `SUCCEEDED`, `FAILED` or `EXPIRED`.
    pub status: dayfusion_verify::LivenessStatus,
    /// 0-100.
    pub confidence: f32,
    /// `challenge` or `passive-only`.
    pub assurance: String,
    /// The confidence rule's version.
    pub rule: String,
    /// Why the capture failed, as a code.
    pub failure: Option<String>,
    /// Every check with its outcome, score and reason.
    pub checks: Vec<dayfusion_verify::CheckRecord>,
    /// Whether a reference image and how many audit images were kept.
    pub reference_image: bool,
    /// Audit images kept.
    pub audit_images: usize,
    /// The camera the frames came from, as identified.
    pub camera: Option<String>,
}

impl CaptureService {
    /// The outcome of a finished session for the flow and staff screens
    /// (the same record the flow stores); unknown for an open session.
    pub fn outcome(&self, session_id: &str) -> Result<StaffOutcome, CaptureError> {
        let o = self
            .sessions
            .finished_outcome(session_id)
            .ok_or(CaptureError::Engine(LivenessError::UnknownSession))?;
        Ok(StaffOutcome {
            session_id: o.session_id,
            status: o.status,
            confidence: o.confidence,
            assurance: o.assurance,
            rule: o.rule,
            failure: o.failure,
            checks: o.checks,
            reference_image: o.reference_image.is_some(),
            audit_images: o.audit_images.len(),
            camera: o.camera,
        })
    }
}

fn session_info(start: &SessionStart) -> LivenessSessionInfo {
    LivenessSessionInfo {
        session_id: start.session_id.clone(),
        oval: oval_of(&start.oval),
        expires_in_ms: start.expires_in_ms,
    }
}

fn oval_of(oval: &Oval) -> OvalTarget {
    OvalTarget {
        center_x: oval.center_x,
        center_y: oval.center_y,
        width: oval.width,
    }
}

fn flash_of(colour: FlashColour) -> ColourFlash {
    let [r, g, b] = colour.rgb();
    ColourFlash {
        colour: name_of(colour),
        css: format!("#{r:02x}{g:02x}{b:02x}"),
    }
}

/// The IPC name of an engine colour.
pub fn name_of(colour: FlashColour) -> FlashColourName {
    match colour {
        FlashColour::Red => FlashColourName::Red,
        FlashColour::Green => FlashColourName::Green,
        FlashColour::Blue => FlashColourName::Blue,
        FlashColour::Yellow => FlashColourName::Yellow,
        FlashColour::Cyan => FlashColourName::Cyan,
        FlashColour::Magenta => FlashColourName::Magenta,
        FlashColour::White => FlashColourName::White,
    }
}

/// The engine colour of an IPC name.
pub fn colour_of(name: FlashColourName) -> FlashColour {
    match name {
        FlashColourName::Red => FlashColour::Red,
        FlashColourName::Green => FlashColour::Green,
        FlashColourName::Blue => FlashColour::Blue,
        FlashColourName::Yellow => FlashColour::Yellow,
        FlashColourName::Cyan => FlashColour::Cyan,
        FlashColourName::Magenta => FlashColour::Magenta,
        FlashColourName::White => FlashColour::White,
    }
}

fn guidance_of(guidance: Guidance) -> LivenessGuidance {
    match guidance {
        Guidance::NoFace => LivenessGuidance::NoFace,
        Guidance::SeveralFaces => LivenessGuidance::SeveralFaces,
        Guidance::TooFar => LivenessGuidance::TooFar,
        Guidance::TooClose => LivenessGuidance::TooClose,
        Guidance::OffCentre => LivenessGuidance::OffCentre,
        Guidance::TooDark => LivenessGuidance::TooDark,
        Guidance::HoldStill => LivenessGuidance::HoldStill,
        Guidance::MoveCloser => LivenessGuidance::MoveCloser,
        Guidance::Done => LivenessGuidance::Done,
    }
}
