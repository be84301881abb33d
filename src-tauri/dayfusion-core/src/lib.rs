//! GUI-free core of the DayFusion kiosk.
//!
//! Everything here runs headless: the `dayfusion` CLI and the Tauri commands
//! are thin layers over these modules.

pub mod health;
pub mod logging;
pub mod paths;
pub mod privacy;
pub mod settings;

/// Product name shown to people and written in logs.
pub const PRODUCT_NAME: &str = "DayFusion Kiosk";

/// Reverse-DNS identifier; also the name of the per-user data folder.
pub const APP_IDENTIFIER: &str = "br.com.dayfusion.kiosk";

/// Version of the kiosk core (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
