//! Test certificates (their keys were thrown away).

/// Self-signed, CN kiosk-001, valid until 2036-12-02T14:08:11Z; also read by
/// `dayfusion-aws`'s doctor unit tests (from the same file).
pub const KIOSK_001_PEM: &str = include_str!("../fixtures/kiosk-001.pem");
