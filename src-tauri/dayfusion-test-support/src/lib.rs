//! Set-up shared by the integration tests of several crates (a
//! dev-dependency only, never part of the app):
//!
//! - [`moto`]: the local AWS stand-in: its URL and the skip-unless-CI rule,
//!   reset, contexts with static test credentials, the bucket and table,
//!   and what they hold;
//! - [`transactions`]: decided test transactions with their evidence,
//!   recorded in a log as the verification flow does;
//! - [`certificates`]: the kiosk certificate of the doctor and
//!   provisioning tests;
//! - [`net`]: a TCP forwarder in front of a server that can lose the
//!   network (cut, refuse, slow down) and get it back;
//! - [`sysfs`]: a fake sysfs tree of V4L2 cameras (a UVC webcam, a
//!   v4l2loopback device);
//! - [`faces`]: the face engine and the registry-shipped test photos.
//!
//! Errors are plain `Box<dyn Error>`: a failing set-up fails the test.

pub mod certificates;
pub mod faces;
pub mod moto;
pub mod net;
pub mod sysfs;
pub mod transactions;

/// The error of the helpers and the tests.
pub type BoxError = Box<dyn std::error::Error>;

/// What a test returns.
pub type TestResult = Result<(), BoxError>;
