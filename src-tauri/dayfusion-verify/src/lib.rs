//! The verification flow of the kiosk, GUI-free.
//!
//! - [`domain`]: the transaction record (document, liveness, comparison,
//!   decision, sync state) with the guide's field names.
//! - [`ports`]: liveness provider, face matcher, evidence store and
//!   transaction log as traits; embedded adapters of the first two in
//!   [`embedded`], the others in `dayfusion-evidence` and `dayfusion-ledger`.
//! - [`policy`]: versioned thresholds and the decision rule.
//! - [`flow`]: the state machine (started → document captured → liveness
//!   done → compared → decided), refusing steps out of order.
//! - [`maintenance`]: recovery of interrupted transactions and the retention
//!   purge.

pub mod domain;
pub mod embedded;
pub mod error;
pub mod evidence_key;
pub mod flow;
pub mod hold;
pub mod i18n;
pub mod lock;
pub mod maintenance;
pub mod policy;
pub mod ports;
pub mod review;

pub use domain::*;
pub use error::{FlowError, ProviderError, StoreError};
pub use evidence_key::EvidenceKey;
pub use flow::{Backend, StartRequest, VerificationFlow};
pub use lock::{FlowLock, HousekeepingLock};
pub use policy::{Policy, PolicySet};
pub use ports::*;

rust_i18n::i18n!("locales", fallback = "en");
