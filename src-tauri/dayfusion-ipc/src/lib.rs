//! Types shared between the Rust side of the kiosk and its web front ends.
//!
//! Every type here derives [`ts_rs::TS`]; the TypeScript declarations in
//! `ui/src/app/ipc/bindings/` are generated from them (`make bindings`) and a
//! test fails when the committed files are stale. Nothing here may hold
//! biometric data or personal data: these types travel over IPC and may be
//! logged.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub mod bindings;
mod speech;
mod staff;
mod visit;

pub use speech::*;
pub use staff::*;
pub use visit::*;

/// Which verification backend the kiosk uses.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BackendMode {
    /// Offline: local face models, encrypted local evidence store, SQLite log.
    #[default]
    Embedded,
    /// Production cloud: Rekognition, S3 and DynamoDB through the kiosk's IAM profile.
    Aws,
}

/// Interface language. Brazilian Portuguese is the default.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Language {
    /// Brazilian Portuguese.
    #[default]
    #[serde(rename = "pt-BR")]
    PtBr,
    /// English.
    #[serde(rename = "en")]
    En,
}

/// Persisted kiosk settings (backend mode, language, chosen camera, kiosk id).
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KioskSettings {
    /// Verification backend.
    pub backend: BackendMode,
    /// Interface language.
    pub language: Language,
    /// `MediaDeviceInfo.deviceId` of the chosen camera; `None` means the system default.
    pub camera_id: Option<String>,
    /// Identifier of this kiosk, recorded with every transaction.
    pub kiosk_id: String,
    /// The decision policy (`policies.toml` id) new transactions use.
    #[serde(default = "default_policy_id")]
    pub policy_id: String,
    /// Days evidence is kept before the retention purge.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// Seconds without a touch before a customer's visit is wiped.
    #[serde(default = "default_idle_timeout_seconds")]
    pub idle_timeout_seconds: u32,
    /// A "scan to folder" inbox the kiosk takes document scans from (files
    /// are deleted once read); `None` when the branch has none.
    #[serde(default)]
    pub document_inbox: Option<String>,
    /// Branch kiosk (full screen, self-service) or field laptop (windowed,
    /// a field agent signs in to operate visits). Takes effect at the next
    /// start of the app.
    #[serde(default)]
    pub mode: KioskMode,
    /// Hours a final transaction may wait to reach AWS before the staff
    /// home and health warn.
    #[serde(default = "default_sync_alert_hours")]
    pub sync_alert_hours: u32,
    /// The only camera a liveness check may be filmed with, by its USB ids
    /// (`VENDOR:PRODUCT[:SERIAL]`, hex); `None`: any real camera. Staff pin
    /// the camera chosen on the status screen (`pin_camera`).
    #[serde(default)]
    pub camera_pin: Option<String>,
    /// Every visit starts with spoken guidance on (a branch that serves
    /// many blind or low-vision customers); the customer may still turn it
    /// off on the language screen. Off by default: then the customer (or
    /// staff in an assisted visit) turns it on.
    #[serde(default)]
    pub spoken_guidance: bool,
}

/// How the kiosk is used.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum KioskMode {
    /// A branch terminal: full screen, customers start visits themselves.
    #[default]
    Kiosk,
    /// A field agent's laptop: windowed; visits start only after a field
    /// agent signs in, and each transaction records that agent as operator.
    Field,
}

fn default_policy_id() -> String {
    "default".into()
}

/// Default evidence retention, days.
pub const DEFAULT_RETENTION_DAYS: u32 = 180;
/// Default idle timeout of a customer's visit, seconds.
pub const DEFAULT_IDLE_TIMEOUT_SECONDS: u32 = 90;

/// Default hours before a transaction still waiting for AWS is overdue.
pub const DEFAULT_SYNC_ALERT_HOURS: u32 = 24;

fn default_sync_alert_hours() -> u32 {
    DEFAULT_SYNC_ALERT_HOURS
}

fn default_retention_days() -> u32 {
    DEFAULT_RETENTION_DAYS
}

fn default_idle_timeout_seconds() -> u32 {
    DEFAULT_IDLE_TIMEOUT_SECONDS
}

/// Who controls the customers' data and how to reach the data protection
/// officer, for the consent screen (LGPD art. 9 and 41). The institution's
/// published contacts, never a customer's data.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PrivacyNotice {
    /// The controller (the bank, with its CNPJ when it wishes).
    pub controller: String,
    /// The DPO's name, when published.
    pub dpo_name: Option<String>,
    /// How customers reach the DPO: e-mail, phone or web address.
    pub dpo_contact: String,
}

/// Facts about the running application, shown on the status screen.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Product name.
    pub name: String,
    /// Semantic version of the kiosk build.
    pub version: String,
    /// `debug` or `release`.
    pub build_profile: BuildProfile,
    /// Whether the window runs windowed (development) instead of kiosk full screen.
    pub windowed: bool,
    /// Whether WebKit's mock capture devices are enabled (tests and development only).
    pub mock_camera: bool,
    /// The camera pin `DAYFUSION_CAMERA_PIN` sets (`VENDOR:PRODUCT[:SERIAL]`),
    /// in force while no pin is saved in the settings.
    pub environment_camera_pin: Option<String>,
}

/// How the running binary was compiled.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BuildProfile {
    /// Development build: devtools and debugging switches available.
    Debug,
    /// Hardened release build.
    Release,
}

/// Outcome of one health check, ordered from best to worst.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Working as expected.
    Ok,
    /// Working, but needs attention soon.
    Warning,
    /// Not working; verifications cannot proceed.
    Failing,
}

/// What a health check looks at. The UI translates each id.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum HealthCheckId {
    /// The data directory exists and is writable.
    DataDir,
    /// The log directory exists and is writable.
    LogDir,
    /// Free space on the data volume.
    DiskSpace,
    /// The settings store can be read and written.
    SettingsStore,
    /// The configured verification backend is usable.
    Backend,
    /// Where the local evidence key lives: OS keyring (ok), key file
    /// (warning), unavailable (failing).
    EvidenceKey,
    /// The camera, as last reported by the webview.
    Camera,
    /// How untrusted documents (PDF scans) are parsed: in a bubblewrap
    /// sandbox with limits, or with limits only.
    DocumentParsing,
    /// Transactions waiting to reach AWS: a warning when the oldest has
    /// waited longer than `syncAlertHours`.
    AwsSync,
    /// The face model pack the engines load (the data folder's or the
    /// package's): every model present with its pinned SHA-256.
    Models,
    /// Failed liveness attempts at this kiosk: a warning from the moment
    /// the kiosk refused sessions (five failures in three minutes: an
    /// attack being tried, or a camera or lighting problem) until an hour
    /// has passed.
    LivenessAttempts,
}

/// One health check result.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    /// What was checked.
    pub id: HealthCheckId,
    /// Result.
    pub status: HealthStatus,
    /// Technical detail for staff (a path, a size); never personal data.
    pub detail: String,
}

/// Summary of every health check, computed by the Rust core.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    /// Worst status of all checks.
    pub status: HealthStatus,
    /// When the report was computed (RFC 3339, UTC).
    pub checked_at: String,
    /// Every check, in a stable order.
    pub checks: Vec<HealthCheck>,
}

/// What the webview observed when it opened the chosen camera.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum CameraState {
    /// Not opened yet.
    Unknown,
    /// Frames are arriving.
    Live,
    /// The webview refused camera access (`NotAllowedError`).
    Denied,
    /// No camera is connected (`NotFoundError`, `OverconstrainedError`).
    NotFound,
    /// The camera exists but cannot be opened (`NotReadableError`, in use or unplugged).
    NotReadable,
    /// Any other failure.
    Error,
}

/// Camera report sent by the webview so that health and logs know the camera state.
/// Holds no labels or device ids, only counts and formats.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CameraReport {
    /// What happened.
    pub state: CameraState,
    /// Number of video input devices the webview can see.
    pub device_count: u32,
    /// Frame width in pixels, when live.
    pub width: Option<u32>,
    /// Frame height in pixels, when live.
    pub height: Option<u32>,
    /// Frame rate reported by the track, when live.
    pub frame_rate: Option<f64>,
}

/// Machine-readable error codes returned by commands; the UI translates them.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// A value sent by the front end failed validation.
    InvalidInput,
    /// The settings store could not be read or written.
    SettingsStore,
    /// A file system operation failed.
    Storage,
    /// The AWS backend failed (settings, credentials, network); the detail
    /// starts with the stable code in brackets.
    Aws,
    /// The local liveness engine refused (see [`LivenessRefusal`]); the
    /// detail starts with the refusal's code in brackets.
    Liveness,
    /// A customer visit step was refused (see [`VisitRefusal`]); the detail
    /// starts with the refusal's code in brackets.
    Visit,
    /// A staff command was refused (see [`StaffRefusal`]); the detail
    /// starts with the refusal's code in brackets.
    Staff,
    /// Spoken guidance failed (no speech engine, no audio output); the
    /// detail starts with the stable code in brackets (`[speech-…]`).
    Speech,
    /// Unexpected internal failure.
    Internal,
}

/// Error returned by every kiosk command.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CommandError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// Technical detail in English for logs and staff; never personal data.
    pub detail: String,
}

/// A Rekognition Face Liveness session the Rust core created for the
/// webview's AWS capture (the Amplify detector streams to it).
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AwsLivenessSession {
    /// The session (a UUID), for the widget's `session-id`.
    pub session_id: String,
    /// The region it lives in.
    pub region: String,
}

/// Temporary credentials for the webview's AWS liveness check: scoped by an
/// STS session policy to `rekognition:StartFaceLivenessSession` only and
/// valid 15 minutes. Never the kiosk's own credentials; never logged.
#[derive(Serialize, Deserialize, TS, Clone, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LivenessCredentials {
    /// Temporary access key id.
    pub access_key_id: String,
    /// Temporary secret key.
    pub secret_access_key: String,
    /// Session token.
    pub session_token: String,
    /// When they stop working, RFC 3339.
    pub expiration: String,
    /// Region of the liveness session.
    pub region: String,
    /// The streaming endpoint the detector must use instead of the region's
    /// public one, `wss://host[:port]`: the kiosk's private (VPC interface)
    /// endpoint, or in debug builds a local test fake. Absent: the region's
    /// public endpoint. The webview's CSP allows exactly this origin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub endpoint: Option<String>,
}

impl std::fmt::Debug for LivenessCredentials {
    /// Only the key id and expiry: the secret and token are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LivenessCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// How far this kiosk's records are from the central AWS log.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Final transactions waiting to reach AWS.
    pub pending: u32,
    /// Of those, how many have failed at least once.
    pub failing: u32,
    /// Purged or aborted transactions whose S3 copy a legal hold keeps
    /// (not counted in `pending`; they go once the hold is released).
    #[serde(default)]
    pub held: u32,
    /// When the oldest waiting one was queued, RFC 3339.
    pub oldest_queued_at: Option<String>,
    /// The last failure's code (`aws-unreachable`).
    pub last_error: Option<String>,
    /// The kiosk has AWS settings (without them nothing is queued).
    #[serde(default)]
    pub aws_configured: bool,
    /// When a transaction last reached AWS (by the app or the CLI), RFC 3339.
    #[serde(default)]
    pub last_success_at: Option<String>,
    /// The app's sync service met a network failure and waits for AWS to
    /// answer again (`false` when the service is not running).
    #[serde(default)]
    pub offline: bool,
    /// The oldest waiting transaction has waited longer than the kiosk's
    /// `syncAlertHours`: staff should look (health warns too).
    #[serde(default)]
    pub overdue: bool,
    /// Why the app's sync service itself cannot work (`aws-settings-invalid`,
    /// `aws-region-missing`, `sync-service-not-running`, …), when it cannot.
    #[serde(default)]
    pub service_error: Option<String>,
}

/// An oval the capture UI draws over the (mirrored) camera picture: centre
/// and target face width as fractions of the frame (`center_x`, `width` of
/// its width; `center_y` of its height), in camera coordinates (not
/// mirrored).
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OvalTarget {
    /// Centre, fraction of the frame width.
    pub center_x: f32,
    /// Centre, fraction of the frame height.
    pub center_y: f32,
    /// Width the face should have inside the oval, fraction of the frame width.
    pub width: f32,
}

/// A colour the screen may flash during the light challenge.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FlashColourName {
    /// Pure red.
    Red,
    /// Pure green.
    Green,
    /// Pure blue.
    Blue,
    /// Red and green.
    Yellow,
    /// Green and blue.
    Cyan,
    /// Red and blue.
    Magenta,
    /// All three.
    White,
}

/// A colour to flash now, revealed by the engine in the answer to the
/// frame on which it is due (never ahead of time).
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ColourFlash {
    /// The colour's name (sent back with each frame captured under it).
    pub colour: FlashColourName,
    /// The colour to paint, `#rrggbb`.
    pub css: String,
}

/// A local liveness session as the capture UI needs it at the start: the
/// first oval only; the rest of the challenge comes frame by frame.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LivenessSessionInfo {
    /// The session id (UUID v4).
    pub session_id: String,
    /// The oval to fill now (the small one at the start).
    pub oval: OvalTarget,
    /// Milliseconds left before the session expires.
    pub expires_in_ms: f64,
}

/// Which step of the challenge the engine has reached.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LivenessPhase {
    /// Put the face in the small oval.
    FitSmallOval,
    /// Come closer, into the large oval.
    MoveCloser,
    /// Hold still while the screen flashes the colours.
    Flashing,
    /// Hold still in the large oval, no colours (movement-only challenge).
    Holding,
    /// Done: the UI finishes the session.
    Complete,
}

/// What the person should do now (the engine's live guidance).
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LivenessGuidance {
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

/// The engine's answer to one camera frame.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LivenessFrameFeedback {
    /// The challenge step.
    pub phase: LivenessPhase,
    /// What to tell the person.
    pub guidance: LivenessGuidance,
    /// The same as a sentence in the session's language.
    pub message: String,
    /// Progress through the challenge, 0-1.
    pub progress: f32,
    /// Face box as fractions of the frame `[x, y, width, height]`.
    pub face: Option<[f32; 4]>,
    /// The oval to draw now: the large one is told only once the face has
    /// filled the small one.
    pub oval: Option<OvalTarget>,
    /// The colour to show from now on while flashing (`None`: the usual
    /// shade). Every answer of the flashing phase carries it.
    pub flash: Option<ColourFlash>,
    /// Analysis time of this frame, milliseconds.
    pub analysis_ms: f32,
}

/// How a liveness session ended.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LivenessEnd {
    /// Completed and scored (the decision is the flow's, not the UI's).
    Succeeded,
    /// Not completed or refused by the checks (see `failure`).
    Failed,
    /// Ran past its time limit.
    Expired,
}

/// The end of a local liveness session as the capture UI may show it: no
/// scores (the person being checked never sees them) and no images.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LivenessSummary {
    /// The session.
    pub session_id: String,
    /// How it ended.
    pub status: LivenessEnd,
    /// Why it failed, as a code (`movement-too-fast`).
    pub failure: Option<String>,
    /// The same as a sentence in the session's language.
    pub message: Option<String>,
    /// Frames analysed.
    pub frames: u32,
    /// Capture time from first to last frame, milliseconds.
    pub duration_ms: f64,
    /// Attempts this kiosk has left in the current window.
    pub attempts_left: u32,
}

/// What the liveness commands refuse with, in `CommandError::detail`'s
/// leading `[code]` when `code` is `liveness`.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LivenessRefusal {
    /// Five failed attempts in three minutes: wait (or call staff).
    TooManyAttempts,
    /// The session id is not an open session.
    UnknownSession,
    /// The session was already finished.
    AlreadyUsed,
    /// The session ran past its time limit.
    Expired,
    /// The frame could not be decoded (or is too large).
    BadFrame,
    /// No frame reached the engine before `finish`.
    NoFrames,
    /// The face models are missing.
    ModelsMissing,
    /// The camera may not film a liveness check (virtual, unknown,
    /// ambiguous or not the pinned one; the detail says which).
    CameraRefused,
    /// The frames came from another camera mid-session: it has ended.
    CameraChanged,
}
