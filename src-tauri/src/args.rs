//! Command-line switches of the kiosk app.

use clap::Parser;

/// DayFusion Kiosk: identity verification at the branch.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "dayfusion-kiosk", version)]
pub struct KioskArgs {
    /// Run in a normal window instead of full-screen kiosk mode (development).
    #[arg(long)]
    pub windowed: bool,

    /// Use WebKit's mock capture devices instead of real cameras (tests and development only; refused in release builds).
    #[arg(long)]
    pub mock_camera: bool,

    /// Apply the release-build lockdown (no context menu, no reload or devtools shortcuts) in a debug build.
    #[arg(long)]
    pub harden: bool,
}

impl KioskArgs {
    /// Refuses switches that a release build must not honour.
    pub fn check_allowed(&self, debug_build: bool) -> Result<(), String> {
        if self.mock_camera && !debug_build {
            return Err("--mock-camera is only available in debug builds".into());
        }
        Ok(())
    }

    /// Whether the webview lockdown applies: always in release builds, on request in debug builds.
    pub fn hardened(&self, debug_build: bool) -> bool {
        !debug_build || self.harden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_builds_refuse_mock_camera_and_are_always_hardened() {
        let args = KioskArgs::parse_from(["dayfusion-kiosk", "--mock-camera", "--windowed"]);
        assert!(args.windowed && args.mock_camera);
        assert!(args.check_allowed(true).is_ok());
        assert!(args.check_allowed(false).is_err());
        assert!(args.hardened(false));
        assert!(!args.hardened(true));
        assert!(KioskArgs::parse_from(["k", "--harden"]).hardened(true));
    }

    #[test]
    fn unknown_switches_are_errors() {
        assert!(KioskArgs::try_parse_from(["dayfusion-kiosk", "--kiosk-off"]).is_err());
    }
}
