//! The customer's visit at the kiosk: consent, document, liveness, result.
//! Nothing here carries a score (the customer never sees one) or personal
//! data beyond the images the customer's own screen shows back.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where this kiosk can take a document photo from.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentSources {
    /// Removable media (USB sticks, memory cards) browsed in the kiosk's own
    /// picker: images and PDF scans, never anything outside the medium.
    pub removable_media: bool,
    /// The kiosk's camera.
    pub camera: bool,
    /// A flatbed or ID scanner through SANE (`scanimage` found a device).
    pub scanner: bool,
    /// A "scan to folder" inbox is configured.
    pub inbox: bool,
}

/// A removable medium (USB stick, memory card) mounted now, as the
/// customer's document picker shows it. The id is opaque: the medium's
/// folder never crosses IPC.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RemovableMedium {
    /// Opaque id, stable while the medium stays mounted.
    pub id: String,
    /// The medium's name (its volume label, as the system mounted it).
    pub label: String,
    /// Whether it is mounted read-only.
    pub read_only: bool,
}

/// What a picker entry is.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum MediaEntryKind {
    /// A folder to open.
    Folder,
    /// A JPEG or PNG image.
    Image,
    /// A PDF (its first page is used).
    Pdf,
}

/// One folder or document file on a removable medium.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MediaEntry {
    /// The file or folder name.
    pub name: String,
    /// Its path from the medium's root (`/`-separated, never `..`), to
    /// browse or pick it.
    pub path: String,
    /// Folder, image or PDF.
    pub kind: MediaEntryKind,
    /// Size in bytes (0 for folders).
    #[ts(type = "number")]
    pub size: u64,
}

/// A folder of a removable medium as the picker lists it: folders first,
/// then images and PDFs, by name.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MediaFolder {
    /// The folder's path from the medium's root (`""` for the root).
    pub path: String,
    /// Its folders and document files (hidden entries, links and other
    /// files left out).
    pub entries: Vec<MediaEntry>,
    /// Whether more entries were left out (the list is capped).
    pub truncated: bool,
}

/// A visit that has begun (on the attract screen's "start").
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitInfo {
    /// Opaque id the screens pass back with every step.
    pub visit_id: String,
    /// Seconds without a touch after which the visit ends and is wiped.
    pub idle_timeout_seconds: u32,
    /// Days the evidence is kept, for the consent text.
    pub retention_days: u32,
    /// Version of the consent text the customer is shown and accepts.
    pub consent_version: String,
    /// Document sources available on this kiosk.
    pub document_sources: DocumentSources,
    /// The companies that process the customer's data for the controller
    /// on this kiosk, for the consent to name (none: everything stays on
    /// the kiosk).
    pub processors: Vec<DataProcessor>,
    /// Staff beside the customer operate this visit (an assisted visit in
    /// the branch, or a field agent's): the name the screens show.
    pub operator_name: Option<String>,
    /// The kiosk has a receipt printer: the result offers a receipt.
    pub receipt_printer: bool,
}

/// A company that processes the customer's data on the controller's
/// behalf (LGPD art. 5 VII, the *operador*), named in the consent.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DataProcessor {
    /// The company (`Amazon Web Services`).
    pub name: String,
    /// What it does with the data.
    pub purpose: ProcessorPurpose,
    /// Where: the cloud region's code (`us-east-1`); `None` when the kiosk
    /// cannot tell (then the transfer abroad is assumed).
    pub region: Option<String>,
    /// The region's name, when known (`US East (N. Virginia)`).
    pub region_name: Option<String>,
    /// The data leaves Brazil (an international transfer, LGPD art. 33).
    pub international_transfer: bool,
}

/// What a [`DataProcessor`] does.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessorPurpose {
    /// Runs the face check and the comparison and keeps the evidence (the
    /// AWS backend).
    FaceCheckAndStorage,
    /// Keeps a copy of the evidence and the record (a kiosk that syncs to
    /// AWS; the check itself runs on the kiosk).
    Storage,
}

/// A QR code for the screens to draw: `size` modules a side (without the
/// quiet zone), the dark modules as one SVG path in module units.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QrCode {
    /// Modules per side.
    pub size: u32,
    /// SVG path data of the dark modules (`M0 0h7v1h-7z…`).
    pub path: String,
}

/// The document photo as taken, shown back for confirmation.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentPreview {
    /// The holder's portrait cut from the document, upright (`data:image/jpeg;base64,…`).
    pub portrait: String,
    /// The whole document, upright and reduced for the screen (data URL).
    pub document: String,
    /// How far the document was turned to find the portrait (0, 90, 180, 270).
    pub rotation_degrees: u16,
    /// Whether it came from a PDF's first page.
    pub from_pdf: bool,
}

/// What the camera sees while framing a document, for live feedback.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentHint {
    /// Sharp, no glare, a portrait found: take it.
    Ready,
    /// No portrait found: show the photo side, fill the frame.
    NoPortrait,
    /// Too blurred: hold still or move back a little.
    Blurred,
    /// A reflection covers part of it: tilt it away from the light.
    Glare,
    /// Too dark.
    TooDark,
}

/// Feedback on one camera frame of a document.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFrameQuality {
    /// The first thing to fix, or ready.
    pub hint: DocumentHint,
    /// Sharpness (variance of the Laplacian on the reduced frame).
    pub sharpness: f32,
    /// Share of blown-out pixels, 0-1.
    pub glare: f32,
    /// Mean brightness, 0-255.
    pub brightness: f32,
    /// Whether a portrait was found.
    pub portrait_found: bool,
}

/// The liveness step a confirmed document leads to. No session exists yet:
/// the widget asks for one (`visit_liveness_session`) when the customer
/// presses start, and again for every retry.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitCapture {
    /// `local` (embedded engine) or `aws` (Amplify detector): the widget's
    /// `provider`.
    pub provider: String,
    /// Liveness attempts this kiosk has left now (five failures per three
    /// minutes; `0` = the next request is refused with `too-many-attempts`).
    pub attempts_left: u32,
    /// The check can be taken without flashing colours (the movement-only
    /// challenge), offered after the photosensitivity warning.
    pub movement_challenge: bool,
}

/// The challenge a liveness session asks, named as Rekognition names its
/// two (`FaceMovementAndLightChallenge`, `FaceMovementChallenge`).
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LivenessChallenge {
    /// The ovals, then the colour sequence.
    #[default]
    MovementAndLight,
    /// The ovals only: no flashing colours (photosensitivity). The policy
    /// sends the result to a person.
    Movement,
}

/// A liveness session opened for the visit's transaction and bound to it
/// (each request opens a new one and ends the one before): the answer of
/// the widget's `requestSession` hook.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitLiveness {
    /// The session the widget runs (new for every attempt).
    pub session_id: String,
    /// `local` (embedded engine) or `aws` (Amplify detector).
    pub provider: String,
    /// The AWS region of the session (AWS backend only).
    pub region: Option<String>,
}

/// The decision as the customer sees it.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CustomerOutcome {
    /// APROVADO.
    Approved,
    /// REPROVADO.
    Rejected,
    /// EM REVISÃO: a member of staff will look at it.
    Review,
}

/// The visit's result: no scores, only the outcome and a reference.
#[derive(Serialize, Deserialize, TS, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VisitResult {
    /// The decision.
    pub outcome: CustomerOutcome,
    /// A short reference the customer can quote to staff (end of the transaction id).
    pub reference: String,
    /// Milliseconds from "start" on the attract screen to this result.
    #[ts(type = "number")]
    pub elapsed_ms: u64,
}

/// Why a visit ended before (or at) its result.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum VisitEnd {
    /// The customer declined the consent.
    Declined,
    /// Nobody touched the screen for the idle timeout.
    Idle,
    /// The customer cancelled.
    Cancelled,
    /// The camera was lost or the liveness check could not run.
    Failed,
    /// The result was shown; the visit is over.
    Done,
}

/// What the visit commands refuse with, in `CommandError::detail`'s leading
/// `[code]` when `code` is `visit`.
#[derive(Serialize, Deserialize, TS, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum VisitRefusal {
    /// No visit with that id (ended, wiped after the idle timeout, or the app restarted).
    VisitExpired,
    /// A step came out of order (e.g. a document before consent).
    OutOfOrder,
    /// The file is not an image or PDF we can read.
    DocumentUnreadable,
    /// The file is larger than the limit.
    DocumentTooLarge,
    /// No portrait found on the document.
    NoPortrait,
    /// No scanner found or the scan failed.
    ScannerUnavailable,
    /// The document inbox folder is not set or holds no document.
    InboxEmpty,
    /// The liveness check did not finish.
    LivenessIncomplete,
    /// Another visit is using the kiosk's data folder.
    Busy,
    /// The local stores failed (disk full, permissions).
    Storage,
    /// The face models are missing.
    ModelsMissing,
    /// The verification could not be completed (a provider failed); the
    /// transaction was closed, the customer starts again or asks staff.
    VerificationFailed,
    /// Field mode: a field agent must sign in before a visit starts.
    OperatorRequired,
    /// The removable medium was taken out, or the chosen file or folder is
    /// not (or no longer) a document on it.
    MediumUnavailable,
    /// Five liveness checks failed on this kiosk in the last three minutes:
    /// no new session until the oldest failure is three minutes old; the
    /// customer is sent to staff.
    TooManyAttempts,
    /// The receipt could not be printed (no printer, no paper, offline);
    /// the protocol stays on the screen.
    ReceiptFailed,
}
