//! One liveness capture: frames in, live guidance out, and at the end the
//! checks, the confidence and the images.
//!
//! [`Session`] is the analysis of one capture, live or recorded.
//! [`crate::LivenessEngine`] keeps live sessions by id, with expiry and
//! single use.

use std::io::Cursor;

use dayfusion_face::{BoundingBox, FaceEngine};
use image::RgbImage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::challenge::{Challenge, ChallengeKind, FlashColour, Oval, RecordedChallenge};
use crate::checks::{self, CheckInput, CheckResult};
use crate::confidence::{self, Assurance, RULE_VERSION};
use crate::engine::Clock;
use crate::error::LivenessError;
use crate::observation::{Extras, Observation, observe};
use crate::timeline::FlashTimeline;

/// Frames must come at least this often.
pub const MIN_FPS: f64 = 15.0;
/// A session expires this long after it was created, milliseconds.
pub const SESSION_TTL_MS: f64 = 180_000.0;
/// Most frames one session accepts (3 minutes at 30 fps, and some).
pub const MAX_FRAMES: usize = 6_000;
/// Most audit images a session may return.
pub const MAX_AUDIT_IMAGES: u8 = 4;
/// An embedding is computed on every n-th frame with a face (about every
/// 400 ms at 15 fps), counted in frames so client timestamps cannot skip it.
const EMBED_EVERY: usize = 6;
/// Live frames smaller than this are refused (the cues and the reference
/// image need detail).
pub const MIN_LIVE_SIZE: [u32; 2] = [320, 240];
/// Live frames larger than this are refused (memory: frames are kept as
/// evidence candidates).
pub const MAX_LIVE_SIZE: [u32; 2] = [1920, 1920];
/// Screen cues are measured on every n-th frame with a face.
const CUES_EVERY: usize = 3;
/// Frames kept as audit candidates before thinning.
const AUDIT_POOL: usize = 8;
/// Faces darker than this (mean luma of the aligned face) are "too dark".
const MIN_BRIGHTNESS: f32 = 50.0;
/// Face centre within this distance (fraction of the frame) of the oval's.
const CENTRE_TOLERANCE: f32 = 0.12;
/// Consecutive fitting frames that complete a step.
const FIT_FRAMES: u32 = 3;
/// A movement-only challenge ends after the face has held in the large
/// oval this long (engine clock, milliseconds): about as long as the
/// colour sequence, so that the checks see as many close frames.
pub const HOLD_MS: f64 = 2_500.0;
/// ... with at least this many frames of it (20 of the 37 that 15 fps give).
const MIN_HOLD_FRAMES: u32 = 20;
/// A gap between frames longer than this starts the hold over, milliseconds
/// (frames at the 15 fps minimum are 67 ms apart).
const MAX_HOLD_GAP_MS: f64 = 400.0;
/// A live session goes on this long after the last colour, so that the
/// frames answering it arrive (the longest loop the light check accepts).
pub const FLASH_TAIL_MS: f64 = checks::light::LIVE_MAX_LOOP_MS;

/// What the caller chooses for a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LivenessSettings {
    /// Audit images to return, 0-4 (as Rekognition's `AuditImagesLimit`).
    pub audit_images_limit: u8,
    /// Language of the guidance messages (pt-BR or en).
    pub locale: String,
    /// The challenge a live session asks: with the colour sequence, or
    /// movement only (no flashing colours).
    #[serde(default)]
    pub challenge: ChallengeKind,
}

impl Default for LivenessSettings {
    fn default() -> Self {
        LivenessSettings {
            audit_images_limit: 2,
            locale: "pt-BR".to_owned(),
            challenge: ChallengeKind::MovementAndLight,
        }
    }
}

impl LivenessSettings {
    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), LivenessError> {
        if self.audit_images_limit > MAX_AUDIT_IMAGES {
            return Err(LivenessError::InvalidSettings(format!(
                "audit images limit {} is above {MAX_AUDIT_IMAGES}",
                self.audit_images_limit
            )));
        }
        Ok(())
    }
}

/// Where the person is in the challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Put the face in the small oval.
    FitSmallOval,
    /// Come closer, into the large oval.
    MoveCloser,
    /// Hold still while the screen flashes the colours.
    Flashing,
    /// Hold still in the large oval, no colours (a movement-only challenge).
    Holding,
    /// Done: call `finish`.
    Complete,
    /// A recording is being analysed (no live challenge).
    Recording,
}

/// What the person should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Guidance {
    /// No face in the picture.
    NoFace,
    /// More than one face.
    SeveralFaces,
    /// Face smaller than the oval.
    TooFar,
    /// Face larger than the oval.
    TooClose,
    /// Face not in the oval.
    OffCentre,
    /// Face too dark.
    TooDark,
    /// In place: hold still.
    HoldStill,
    /// Come closer.
    MoveCloser,
    /// Finished.
    Done,
}

impl Guidance {
    /// The code (`too-far`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Guidance::NoFace => "no-face",
            Guidance::SeveralFaces => "several-faces",
            Guidance::TooFar => "too-far",
            Guidance::TooClose => "too-close",
            Guidance::OffCentre => "off-centre",
            Guidance::TooDark => "too-dark",
            Guidance::HoldStill => "hold-still",
            Guidance::MoveCloser => "move-closer",
            Guidance::Done => "done",
        }
    }

    /// The instruction in `locale`.
    pub fn message(self, locale: &str) -> String {
        crate::i18n::translate(&format!("guidance.{}", self.as_str()), locale)
    }
}

/// The answer to one frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FrameFeedback {
    /// The challenge step.
    pub phase: Phase,
    /// What to tell the person.
    pub guidance: Guidance,
    /// The same, as a sentence in the session's language.
    pub message: String,
    /// Progress through the challenge, 0-1.
    pub progress: f32,
    /// Face box as fractions of the frame `[x, y, width, height]`.
    pub face: Option<[f32; 4]>,
    /// The oval to draw now (live sessions): the large one is revealed
    /// only once the face has filled the small one.
    pub oval: Option<Oval>,
    /// The colour to show now (live sessions, while flashing): revealed
    /// one at a time, in the answer to the frame on which it is due.
    pub flash: Option<FlashColour>,
    /// Analysis time of this frame, milliseconds.
    pub analysis_ms: f32,
}

/// How the capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LivenessStatus {
    /// The capture completed and was scored.
    Succeeded,
    /// The capture could not be completed (see `failure`).
    Failed,
    /// The session ran past its time limit.
    Expired,
}

/// A frame returned as evidence: JPEG bytes (left out of serde and Debug),
/// their SHA-256 and where the face is.
#[derive(Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedImage {
    /// The JPEG file.
    #[serde(skip)]
    pub jpeg: Vec<u8>,
    /// SHA-256 of `jpeg`, hex.
    pub sha256: String,
    /// Capture time, milliseconds.
    pub timestamp_ms: f64,
    /// Width and height.
    pub size: [u32; 2],
    /// Face box, pixels.
    pub face: Option<BoundingBox>,
}

impl std::fmt::Debug for CapturedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CapturedImage")
            .field("jpeg_bytes", &self.jpeg.len())
            .field("sha256", &self.sha256)
            .field("timestamp_ms", &self.timestamp_ms)
            .finish_non_exhaustive()
    }
}

/// Analysis timings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    /// Median per-frame analysis, milliseconds.
    pub median_frame_ms: f32,
    /// 95th percentile per-frame analysis, milliseconds.
    pub p95_frame_ms: f32,
    /// `finish` itself, milliseconds.
    pub finish_ms: f32,
}

/// The outcome of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LivenessResult {
    /// The session (live sessions).
    pub session_id: Option<String>,
    /// How the capture ended.
    pub status: LivenessStatus,
    /// 0-100 (see [`crate::confidence`]); 0 unless `SUCCEEDED`. Never show
    /// it to the person being checked.
    pub confidence: f32,
    /// Whether the challenge-bound checks applied.
    pub assurance: Assurance,
    /// The combination rule's version.
    pub rule: &'static str,
    /// Why the capture failed, as a code (`challenge-not-completed`).
    pub failure: Option<&'static str>,
    /// Every check, in a fixed order.
    pub checks: Vec<CheckResult>,
    /// The sharpest frontal frame near the large oval.
    pub reference_image: Option<CapturedImage>,
    /// Frames spread over the capture, at most the settings' limit.
    pub audit_images: Vec<CapturedImage>,
    /// The camera the frames came from (live sessions whose client named
    /// it), as identified when the first frame arrived.
    pub camera: Option<String>,
    /// Frames analysed.
    pub frames: usize,
    /// Capture time from first to last frame, milliseconds.
    pub duration_ms: f64,
    /// Timings.
    pub timings: Timings,
}

impl LivenessResult {
    /// The failure as a sentence in `locale`.
    pub fn failure_message(&self, locale: &str) -> Option<String> {
        self.failure
            .map(|code| crate::i18n::translate(&format!("failure.{code}"), locale))
    }
}

/// A frame kept as a candidate image.
#[derive(Clone)]
struct Kept {
    image: RgbImage,
    t_ms: f64,
    face: dayfusion_face::Face,
    rank: f32,
    /// The frame's identity embedding, when its observation computed one.
    embedding: Option<dayfusion_face::Embedding>,
}

/// The analysis of one capture.
pub struct Session {
    challenge: Option<Challenge>,
    live: bool,
    settings: LivenessSettings,
    observations: Vec<Observation>,
    phase: Phase,
    fit_frames: u32,
    /// When a movement-only challenge's hold began (engine clock); it
    /// starts over whenever the face leaves the large oval.
    hold_from_ms: Option<f64>,
    /// Frames with the face held in the large oval since then.
    hold_frames: u32,
    /// When the last frame of the hold arrived (engine clock).
    last_hold_ms: Option<f64>,
    /// The colours shown: revealed by this session (live) or planned
    /// (a recording with its challenge).
    timeline: Option<FlashTimeline>,
    face_frames: usize,
    /// The camera the first frame came from: the label the client gives
    /// and the identity found for it.
    camera: Option<(String, String)>,
    /// A frame came from another camera: the session has ended.
    camera_changed: bool,
    /// The camera was refused (code and detail): the session has ended.
    camera_refused: Option<(&'static str, String)>,
    reference: Option<Kept>,
    audit: Vec<Kept>,
    audit_stride: usize,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("phase", &self.phase)
            .field("frames", &self.observations.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A live session that walks the person through `challenge`.
    pub fn live(challenge: Challenge, settings: LivenessSettings) -> Result<Self, LivenessError> {
        settings.validate()?;
        challenge
            .validate_live()
            .map_err(LivenessError::InvalidSettings)?;
        Ok(Self::new(
            Some(challenge),
            Some(FlashTimeline::live()),
            true,
            settings,
        ))
    }

    /// The analysis of a recording; with the challenge that was shown,
    /// when there was one.
    pub fn recorded(
        recorded: Option<RecordedChallenge>,
        settings: LivenessSettings,
    ) -> Result<Self, LivenessError> {
        settings.validate()?;
        if let Some(r) = &recorded {
            r.challenge
                .validate()
                .map_err(LivenessError::InvalidSettings)?;
            if !r.flashes_start_ms.is_finite() {
                return Err(LivenessError::InvalidSettings(
                    "flash start time".to_owned(),
                ));
            }
        }
        let timeline = recorded
            .as_ref()
            .map(|r| FlashTimeline::scheduled(&r.challenge, r.flashes_start_ms));
        let challenge = recorded.map(|r| r.challenge);
        Ok(Self::new(challenge, timeline, false, settings))
    }

    fn new(
        challenge: Option<Challenge>,
        timeline: Option<FlashTimeline>,
        live: bool,
        settings: LivenessSettings,
    ) -> Self {
        Session {
            challenge,
            live,
            settings,
            observations: Vec::new(),
            phase: if live {
                Phase::FitSmallOval
            } else {
                Phase::Recording
            },
            fit_frames: 0,
            hold_from_ms: None,
            hold_frames: 0,
            last_hold_ms: None,
            timeline,
            face_frames: 0,
            camera: None,
            camera_changed: false,
            camera_refused: None,
            reference: None,
            audit: Vec::new(),
            audit_stride: 1,
        }
    }

    /// The oval the person is asked to fill now (live sessions).
    pub fn current_oval(&self) -> Option<Oval> {
        let challenge = self.challenge.as_ref().filter(|_| self.live)?;
        Some(match self.phase {
            Phase::FitSmallOval => challenge.small_oval,
            _ => challenge.large_oval,
        })
    }

    /// The colour to show now (live sessions, while flashing).
    pub fn current_flash(&self) -> Option<FlashColour> {
        if !self.live {
            return None;
        }
        self.timeline.as_ref()?.current()
    }

    /// Ties the session to the camera its frames come from, by the label
    /// the client gives with each frame: on the first frame `identify`
    /// turns the label into the identity recorded with the result, or
    /// refuses the camera, which ends the session (`finish` fails it as
    /// `camera-refused`); a later frame with another label ends it too
    /// (`camera-changed`).
    pub fn bind_camera(
        &mut self,
        label: &str,
        identify: impl FnOnce(&str) -> Result<String, LivenessError>,
    ) -> Result<(), LivenessError> {
        self.check_camera()?;
        match &self.camera {
            Some((bound, _)) if bound == label => Ok(()),
            Some(_) => {
                self.camera_changed = true;
                Err(LivenessError::CameraChanged)
            }
            None => match identify(label) {
                Ok(identity) => {
                    self.camera = Some((label.to_owned(), identity));
                    Ok(())
                }
                Err(LivenessError::CameraRefused { code, detail }) => {
                    self.camera_refused = Some((code, detail.clone()));
                    Err(LivenessError::CameraRefused { code, detail })
                }
                Err(other) => Err(other),
            },
        }
    }

    /// Refuses everything once the camera was refused or changed.
    fn check_camera(&self) -> Result<(), LivenessError> {
        if let Some((code, detail)) = &self.camera_refused {
            return Err(LivenessError::CameraRefused {
                code,
                detail: detail.clone(),
            });
        }
        if self.camera_changed {
            return Err(LivenessError::CameraChanged);
        }
        Ok(())
    }

    /// The colours shown so far (the challenge itself stays private: a
    /// live session tells only [`Session::current_oval`] and
    /// [`Session::current_flash`]).
    pub fn timeline(&self) -> Option<&FlashTimeline> {
        self.timeline.as_ref()
    }

    /// The session's settings.
    pub fn settings(&self) -> &LivenessSettings {
        &self.settings
    }

    /// The current step.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Frames analysed so far.
    pub fn frames(&self) -> usize {
        self.observations.len()
    }

    /// The measurements so far (for evaluation tools).
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Analyses one frame captured at `t_ms` while, the client says, the
    /// screen showed `displayed` (recordings with a challenge take the
    /// colour from its schedule). `clock` is the engine's, for live
    /// sessions: the frame is stamped with it on arrival, and a colour its
    /// answer reveals once the answer is ready.
    pub fn push(
        &mut self,
        engine: &FaceEngine,
        image: &RgbImage,
        t_ms: f64,
        displayed: Option<FlashColour>,
        clock: Option<&dyn Clock>,
    ) -> Result<FrameFeedback, LivenessError> {
        let arrived_ms = clock.map(Clock::now_ms);
        self.check_camera()?;
        if self.observations.len() >= MAX_FRAMES {
            return Err(LivenessError::TooManyFrames(MAX_FRAMES));
        }
        if !t_ms.is_finite() || t_ms < 0.0 {
            return Err(LivenessError::InvalidFrame(format!("timestamp {t_ms}")));
        }
        let size = [image.width(), image.height()];
        if self.live
            && (size[0] < MIN_LIVE_SIZE[0]
                || size[1] < MIN_LIVE_SIZE[1]
                || size[0] > MAX_LIVE_SIZE[0]
                || size[1] > MAX_LIVE_SIZE[1])
        {
            return Err(LivenessError::InvalidFrame(format!(
                "{}x{} frame (live frames are {}x{} to {}x{})",
                size[0],
                size[1],
                MIN_LIVE_SIZE[0],
                MIN_LIVE_SIZE[1],
                MAX_LIVE_SIZE[0],
                MAX_LIVE_SIZE[1]
            )));
        }
        let displayed = match &self.timeline {
            Some(timeline) if !self.live => timeline.colour_at(t_ms),
            _ => displayed,
        };
        let extras = Extras {
            embedding: self.face_frames.is_multiple_of(EMBED_EVERY),
            cues: self.face_frames.is_multiple_of(CUES_EVERY),
        };
        let mut obs = observe(engine, image, t_ms, displayed, extras)?;
        obs.arrived_ms = arrived_ms;
        let answered_ms = clock.map(Clock::now_ms);
        if obs.face.is_some() {
            self.face_frames += 1;
        }
        let was_complete = self.phase == Phase::Complete;
        let guidance = self.advance(&obs, answered_ms);
        // Frames sent after the challenge ended cannot become evidence.
        if !was_complete {
            self.keep_images(image, &obs);
        }
        let feedback = FrameFeedback {
            phase: self.phase,
            guidance,
            message: guidance.message(&self.settings.locale),
            progress: self.progress(&obs),
            oval: self.current_oval(),
            flash: self.current_flash(),
            face: obs.face.as_ref().map(|f| {
                let [w, h] = obs.frame_size.map(|v| v.max(1) as f32);
                [
                    f.bbox.x / w,
                    f.bbox.y / h,
                    f.bbox.width / w,
                    f.bbox.height / h,
                ]
            }),
            analysis_ms: obs.analysis_ms,
        };
        self.observations.push(obs);
        Ok(feedback)
    }

    /// Moves the challenge on and says what to do; a colour revealed in
    /// this answer is stamped `answered_ms`.
    fn advance(&mut self, obs: &Observation, answered_ms: Option<f64>) -> Guidance {
        let (Some(challenge), Some(timeline)) = (
            self.challenge.as_ref().filter(|_| self.live),
            self.timeline.as_mut(),
        ) else {
            return basic_guidance(obs).unwrap_or(Guidance::HoldStill);
        };
        // The engine's clock when the frame arrived, and when its answer
        // was ready. A session driven by hand without a clock runs on the
        // capture times.
        let now = obs.arrived_ms.unwrap_or(obs.t_ms);
        let answered = answered_ms.unwrap_or(now);
        if self.phase == Phase::Flashing {
            let shown = timeline.spans().len();
            if timeline.ended() {
                if timeline
                    .end_ms()
                    .is_some_and(|end| now >= end + FLASH_TAIL_MS)
                {
                    self.phase = Phase::Complete;
                }
            } else if let Some(last) = timeline.spans().last()
                && let Some(flash) = challenge.flashes.get(shown.saturating_sub(1))
                && now >= last.from_ms + f64::from(flash.duration_ms)
            {
                match challenge.flashes.get(shown) {
                    Some(next) => timeline.reveal(next.colour, answered),
                    None => timeline.end(answered),
                }
            }
        }
        if self.phase == Phase::Complete {
            return Guidance::Done;
        }
        if let Some(g) = basic_guidance(obs) {
            self.fit_frames = 0;
            // The face left the large oval: a movement-only hold starts over.
            if self.phase == Phase::Holding {
                self.hold_from_ms = Some(answered);
                self.hold_frames = 0;
            }
            return g;
        }
        let Some(face) = &obs.face else {
            if self.phase == Phase::Holding {
                self.hold_from_ms = Some(answered);
                self.hold_frames = 0;
            }
            return Guidance::NoFace;
        };
        let oval = match self.phase {
            Phase::FitSmallOval => &challenge.small_oval,
            _ => &challenge.large_oval,
        };
        let off = (face.center[0] - oval.center_x).hypot(face.center[1] - oval.center_y);
        let ratio = face.width_ratio / oval.width;
        let guidance = match self.phase {
            Phase::FitSmallOval if ratio > 1.3 => Guidance::TooClose,
            Phase::FitSmallOval if ratio < 0.75 => Guidance::TooFar,
            Phase::MoveCloser | Phase::Flashing | Phase::Holding if ratio > 1.35 => {
                Guidance::TooClose
            }
            Phase::MoveCloser | Phase::Flashing | Phase::Holding if ratio < 0.85 => {
                Guidance::MoveCloser
            }
            _ if off > CENTRE_TOLERANCE => Guidance::OffCentre,
            _ => Guidance::HoldStill,
        };
        if self.phase == Phase::Holding {
            // Held in the oval on this frame, with no gap since the last one:
            // the hold goes on; otherwise it starts over. It completes on a
            // held frame, once long enough and with enough frames.
            let steady = guidance == Guidance::HoldStill
                && self
                    .last_hold_ms
                    .is_none_or(|last| now - last <= MAX_HOLD_GAP_MS);
            self.last_hold_ms = Some(now);
            if !steady {
                self.hold_from_ms = Some(answered);
                self.hold_frames = 0;
            } else {
                self.hold_frames += 1;
                if self.hold_frames >= MIN_HOLD_FRAMES
                    && self.hold_from_ms.is_some_and(|from| now >= from + HOLD_MS)
                {
                    self.phase = Phase::Complete;
                    return Guidance::Done;
                }
            }
        }
        if guidance == Guidance::HoldStill {
            self.fit_frames += 1;
            if self.fit_frames >= FIT_FRAMES {
                self.fit_frames = 0;
                self.phase = match self.phase {
                    Phase::FitSmallOval => Phase::MoveCloser,
                    Phase::MoveCloser if challenge.flashes.is_empty() => {
                        self.hold_from_ms = Some(answered);
                        self.hold_frames = 0;
                        self.last_hold_ms = None;
                        Phase::Holding
                    }
                    Phase::MoveCloser => Phase::Flashing,
                    other => other,
                };
                if self.phase == Phase::Flashing
                    && timeline.spans().is_empty()
                    && let Some(first) = challenge.flashes.first()
                {
                    timeline.reveal(first.colour, answered);
                }
                if self.phase == Phase::MoveCloser {
                    return Guidance::MoveCloser;
                }
            }
        } else {
            self.fit_frames = 0;
        }
        guidance
    }

    fn progress(&self, obs: &Observation) -> f32 {
        let Some(challenge) = &self.challenge else {
            return 0.0;
        };
        match self.phase {
            Phase::FitSmallOval | Phase::Recording => 0.0,
            Phase::MoveCloser => {
                let w = obs.face.as_ref().map_or(0.0, |f| f.width_ratio);
                let (a, b) = (challenge.small_oval.width, challenge.large_oval.width);
                0.2 + 0.4 * ((w - a) / (b - a).max(f32::EPSILON)).clamp(0.0, 1.0)
            }
            Phase::Flashing => {
                let shown = self.timeline.as_ref().map_or(0, |t| t.spans().len());
                0.6 + 0.4 * (shown as f32 / challenge.flashes.len().max(1) as f32).clamp(0.0, 1.0)
            }
            Phase::Holding => {
                let now = obs.arrived_ms.unwrap_or(obs.t_ms);
                let held = self.hold_from_ms.map_or(0.0, |from| now - from);
                0.6 + 0.4 * (held / HOLD_MS).clamp(0.0, 1.0) as f32
            }
            Phase::Complete => 1.0,
        }
    }

    /// Keeps the best reference candidate and a thinned pool of audit frames.
    fn keep_images(&mut self, image: &RgbImage, obs: &Observation) {
        let Some(face) = &obs.face else {
            return;
        };
        if obs.face_count != 1 {
            return;
        }
        let frontal = (1.0 - face.pose.yaw.abs() / 45.0).max(0.0)
            * (1.0 - face.pose.pitch.abs() / 45.0).max(0.0);
        let sharp = (face.sharpness / 150.0).min(1.0);
        let closeness = match (&self.challenge, self.live) {
            (Some(c), true) => {
                if matches!(
                    self.phase,
                    Phase::Flashing | Phase::Holding | Phase::Complete
                ) {
                    (1.0 - (face.width_ratio - c.large_oval.width).abs() / c.large_oval.width)
                        .max(0.0)
                } else {
                    0.0
                }
            }
            _ => face.width_ratio.min(0.6) / 0.6,
        };
        // A frame lit by a coloured flash is a poor picture to match with
        // the document. Live: by the engine's reveals (a colour on screen
        // at any time in the longest loop before the frame arrived), not by
        // what the client says.
        let tinted = match (&self.timeline, obs.arrived_ms) {
            (Some(timeline), Some(arrived)) if self.live => {
                timeline.tinted_between(arrived - checks::light::LIVE_MAX_LOOP_MS, arrived)
            }
            _ => obs.displayed.is_some_and(|c| c != FlashColour::White),
        };
        let lit = if tinted { 0.3 } else { 1.0 };
        let rank = frontal * sharp * closeness * lit;
        if rank > 0.0 && self.reference.as_ref().is_none_or(|r| rank > r.rank) {
            self.reference = Some(Kept {
                image: image.clone(),
                t_ms: obs.t_ms,
                face: face_of(face),
                rank,
                embedding: face.embedding.clone(),
            });
        }
        if self.settings.audit_images_limit == 0
            || !self.face_frames.is_multiple_of(self.audit_stride)
        {
            return;
        }
        self.audit.push(Kept {
            image: image.clone(),
            t_ms: obs.t_ms,
            face: face_of(face),
            rank,
            embedding: None,
        });
        if self.audit.len() >= AUDIT_POOL {
            let mut i = 0;
            self.audit.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.audit_stride *= 2;
        }
    }

    /// The reference frame's face against the session's faces: median
    /// cosine with the embeddings taken during the capture (the reference
    /// frame's own left out). `None` when it cannot be measured (no other
    /// embedding, or the engine failed: then the identity check has no
    /// reference to vouch for); NaN when the reference frame shows no face
    /// YuNet can align, which the identity check refuses as a mismatch (the
    /// document is matched against that frame).
    fn reference_cosine(&self, engine: &FaceEngine, reference: &Kept) -> Option<f32> {
        let others: Vec<&dayfusion_face::Embedding> = self
            .observations
            .iter()
            .filter(|o| o.t_ms != reference.t_ms)
            .filter_map(|o| o.face.as_ref()?.embedding.as_ref())
            .collect();
        if others.is_empty() {
            return None;
        }
        // The reference frame's own embedding when its observation took
        // one; else one run now.
        let computed;
        let embedding = match &reference.embedding {
            Some(embedding) => embedding,
            None => match engine.embed_liveness(&reference.image, &reference.face) {
                Ok(Some(embedding)) => {
                    computed = embedding;
                    &computed
                }
                Ok(None) => return Some(f32::NAN),
                Err(e) => {
                    tracing::warn!(error = %e, "the reference frame could not be embedded");
                    return None;
                }
            },
        };
        let cosines = others.iter().map(|e| f64::from(embedding.cosine(e)));
        checks::median(cosines).map(|c| c as f32)
    }

    /// Runs every check and returns the result; `expired` when the session
    /// ran past its time limit.
    pub fn finish(self, engine: &FaceEngine, expired: bool) -> LivenessResult {
        let start = std::time::Instant::now();
        let reference_cosine = if expired {
            None
        } else {
            self.reference
                .as_ref()
                .and_then(|r| self.reference_cosine(engine, r))
        };
        let mut times: Vec<f32> = self.observations.iter().map(|o| o.analysis_ms).collect();
        times.sort_by(f32::total_cmp);
        let pick = |q: f32| {
            times
                .get(((times.len() as f32 - 1.0) * q).round().max(0.0) as usize)
                .copied()
                .unwrap_or(0.0)
        };
        let (median_frame_ms, p95_frame_ms) = (pick(0.5), pick(0.95));
        let duration_ms = match (self.observations.first(), self.observations.last()) {
            (Some(a), Some(b)) => b.t_ms - a.t_ms,
            _ => 0.0,
        };
        let input = CheckInput {
            observations: &self.observations,
            challenge: self.challenge.as_ref(),
            flashes: self.timeline.as_ref(),
            min_fps: MIN_FPS,
            max_duration_ms: SESSION_TTL_MS,
            reference_cosine,
        };
        let checks: Vec<CheckResult> = if expired {
            Vec::new()
        } else {
            vec![
                checks::identity::check(&input),
                checks::movement::check(&input),
                checks::depth::check(&input),
                checks::light::check(&input),
                checks::motion::check(&input),
                checks::screen::check(&input),
                checks::recapture::check(&input),
                checks::integrity::check(&input),
            ]
        };
        let face_seen = self.observations.iter().any(|o| o.face.is_some());
        let (status, failure) = if expired {
            (LivenessStatus::Expired, Some("session-expired"))
        } else if self.camera_refused.is_some() {
            (LivenessStatus::Failed, Some("camera-refused"))
        } else if self.camera_changed {
            (LivenessStatus::Failed, Some("camera-changed"))
        } else if !face_seen {
            (LivenessStatus::Failed, Some("no-face"))
        } else if self.live && self.phase != Phase::Complete {
            (LivenessStatus::Failed, Some("challenge-not-completed"))
        } else {
            (LivenessStatus::Succeeded, None)
        };
        let confidence = if status == LivenessStatus::Succeeded {
            confidence::combine(&checks)
        } else {
            0.0
        };
        let assurance = confidence::assurance(&checks);
        let (reference_image, audit_images) = if status == LivenessStatus::Expired {
            (None, Vec::new())
        } else {
            let limit = usize::from(self.settings.audit_images_limit);
            let audit = spread(&self.audit, limit);
            (
                self.reference.as_ref().and_then(encode),
                audit.into_iter().filter_map(encode).collect(),
            )
        };
        LivenessResult {
            session_id: None,
            status,
            confidence,
            assurance,
            rule: RULE_VERSION,
            failure,
            checks,
            reference_image,
            audit_images,
            camera: self.camera.map(|(_, identity)| identity),
            frames: self.observations.len(),
            duration_ms,
            timings: Timings {
                median_frame_ms,
                p95_frame_ms,
                finish_ms: start.elapsed().as_secs_f32() * 1000.0,
            },
        }
    }
}

fn face_of(face: &crate::observation::FaceObservation) -> dayfusion_face::Face {
    dayfusion_face::Face {
        bbox: face.bbox,
        score: face.score,
        keypoints: face.keypoints,
    }
}

/// Guidance that applies in every step: no face, several, too dark.
fn basic_guidance(obs: &Observation) -> Option<Guidance> {
    match &obs.face {
        None => Some(Guidance::NoFace),
        Some(_) if obs.face_count > 1 => Some(Guidance::SeveralFaces),
        Some(f) if f.brightness < MIN_BRIGHTNESS => Some(Guidance::TooDark),
        Some(_) => None,
    }
}

/// Up to `limit` frames spread evenly over `pool`.
fn spread(pool: &[Kept], limit: usize) -> Vec<&Kept> {
    if limit == 0 || pool.is_empty() {
        return Vec::new();
    }
    if pool.len() <= limit {
        return pool.iter().collect();
    }
    if limit == 1 {
        return pool.get(pool.len() / 2).into_iter().collect();
    }
    (0..limit)
        .filter_map(|i| pool.get(i * (pool.len() - 1) / (limit - 1).max(1)))
        .collect()
}

fn encode(kept: &Kept) -> Option<CapturedImage> {
    let mut jpeg = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(Cursor::new(&mut jpeg), 90);
    kept.image.write_with_encoder(encoder).ok()?;
    let sha256 = hex::encode(Sha256::digest(&jpeg));
    Some(CapturedImage {
        jpeg,
        sha256,
        timestamp_ms: kept.t_ms,
        size: [kept.image.width(), kept.image.height()],
        face: Some(kept.face.bbox),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Result<Session, LivenessError> {
        Session::live(Challenge::random(), LivenessSettings::default())
    }

    #[test]
    fn a_session_keeps_its_first_camera_and_ends_on_another() -> Result<(), LivenessError> {
        let mut session = live()?;
        let mut asked = 0;
        for _ in 0..3 {
            session.bind_camera("HD Pro Webcam C920", |label| {
                asked += 1;
                Ok(format!("usb 046d:082d {label:?}"))
            })?;
        }
        assert_eq!(asked, 1, "sysfs is read once per session");
        let changed = session.bind_camera("Integrated Camera", |_| Ok("other".into()));
        assert!(matches!(changed, Err(LivenessError::CameraChanged)));
        // The first camera cannot come back.
        let back = session.bind_camera("HD Pro Webcam C920", |_| Ok(String::new()));
        assert!(matches!(back, Err(LivenessError::CameraChanged)));
        Ok(())
    }

    #[test]
    fn a_refused_camera_ends_the_session_and_no_other_can_take_over() -> Result<(), LivenessError> {
        let mut session = live()?;
        let refuse = |_: &str| -> Result<String, LivenessError> {
            Err(LivenessError::CameraRefused {
                code: "camera-virtual",
                detail: "v4l2loopback".into(),
            })
        };
        assert!(matches!(
            session.bind_camera("OBS Virtual Camera", refuse),
            Err(LivenessError::CameraRefused {
                code: "camera-virtual",
                ..
            })
        ));
        let other = session.bind_camera("HD Pro Webcam C920", |_| Ok("usb".into()));
        assert!(
            matches!(other, Err(LivenessError::CameraRefused { .. })),
            "{other:?}"
        );
        Ok(())
    }
}
