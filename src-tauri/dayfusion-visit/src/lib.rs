//! A customer's visit at the kiosk, without a GUI: the kiosk's screens and
//! the tests drive the same [`VisitDesk`].
//!
//! ```text
//! begin ─► consent (declined: visit ends, nothing stored)
//!       ─► document (file · PDF first page · SANE scan · inbox · camera frame)
//!           portrait located, preview held in memory only
//!       ─► confirm: transaction started (with the consent), document stored,
//!           liveness session opened ─► the widget runs the capture
//!       ─► complete: liveness result ─► compare ─► decide ─► outcome, no scores
//! any step ─► end(reason) / idle: the transaction is aborted if not final,
//!           everything held for the customer is wiped
//! ```
//!
//! One visit at a time: a kiosk serves one customer. [`review`] is the
//! staff side: the evidence and scores of REVIEW transactions. Child
//! processes (the scanner, the PDF decoder) run through [`confined`]:
//! deadlines that kill the whole process group, and for decoders memory,
//! CPU and file limits and, where it works, a bubblewrap sandbox.

pub mod confined;
pub mod desk;
pub mod document;
pub mod error;
mod evidence_health;
pub mod media;
pub mod qr;
pub mod review;
pub mod scanner;

pub use confined::{ConfinementReport, confinement_report};
pub use desk::{
    DeskConfig, DeskPorts, MAX_RECEIPTS, Operator, ReceiptFacts, VisitDesk, VisitStart,
};
pub use error::VisitError;
pub use evidence_health::evidence_key_state;

/// Version of the consent text the kiosk shows (bump with any change to it).
/// `2026-12-lgpd-2`: biometrics named as sensitive data (LGPD art. 11), the
/// right to a person's review of the automated decision (art. 20), and
/// what retention really deletes (the images; the record stays).
/// `2026-12-lgpd-3`: the processors (AWS, with where and whether the data
/// leaves Brazil, LGPD art. 33) and the DPO's contact as a QR code.
pub const CONSENT_VERSION: &str = "2026-12-lgpd-3";
