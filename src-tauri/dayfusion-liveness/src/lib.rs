//! Local liveness engine: challenge-response liveness with no cloud.
//!
//! A session asks the person to bring their face from a small oval to a
//! large one while the screen flashes random colours
//! ([`challenge::Challenge`]). Each frame is measured once when it arrives
//! ([`observation`]) and answered with live guidance; at the end eight
//! checks ([`checks`]) each give a score and a reason, and a documented rule
//! ([`confidence`]) combines them into a confidence 0-100.
//!
//! [`LivenessEngine`] keeps live sessions (unguessable ids, single use,
//! three-minute expiry); [`Session`] also analyses recordings
//! ([`video`] decodes them with ffmpeg).

pub mod challenge;
pub mod checks;
pub mod confidence;
pub mod cues;
pub mod engine;
pub mod error;
pub mod i18n;
pub mod observation;
pub mod photosensitivity;
pub mod recapture;
pub mod session;
mod spectrum;
pub mod timeline;
pub mod video;

rust_i18n::i18n!("locales", fallback = "en");

pub use challenge::{Challenge, ChallengeKind, Flash, FlashColour, Oval, RecordedChallenge};
pub use checks::{CheckKind, CheckResult, Outcome};
pub use confidence::Assurance;
pub use engine::{Clock, LivenessEngine, ManualClock, MonotonicClock, SessionStart};
pub use error::LivenessError;
pub use session::{
    CapturedImage, FrameFeedback, Guidance, LivenessResult, LivenessSettings, LivenessStatus,
    Phase, Session,
};
pub use timeline::{FlashSpan, FlashTimeline, TimeBase};

#[cfg(test)]
mod tests {
    /// The `section.key` lines of a locale file.
    fn keys(yml: &str) -> Vec<String> {
        let mut section = String::new();
        let mut keys = Vec::new();
        for line in yml.lines().filter(|l| !l.trim_start().starts_with('#')) {
            let Some((name, _)) = line.split_once(':') else {
                continue;
            };
            if line.starts_with("  ") {
                keys.push(format!("{section}.{}", name.trim()));
            } else {
                section = name.trim().to_owned();
            }
        }
        keys.sort();
        keys
    }

    #[test]
    fn both_languages_have_every_message() {
        let en = keys(include_str!("../locales/en.yml"));
        let pt = keys(include_str!("../locales/pt-BR.yml"));
        assert_eq!(en, pt);
        assert!(en.len() > 60);
        for key in &en {
            let (e, p) = (
                crate::i18n::translate(key, "en"),
                crate::i18n::translate(key, "pt-BR"),
            );
            assert_ne!(e, *key, "{key} has no English message");
            assert_ne!(p, *key, "{key} has no Portuguese message");
        }
    }

    #[test]
    fn every_reason_in_the_checks_has_a_message() {
        let sources = [
            include_str!("checks/identity.rs"),
            include_str!("checks/movement.rs"),
            include_str!("checks/depth.rs"),
            include_str!("checks/light.rs"),
            include_str!("checks/motion.rs"),
            include_str!("checks/screen.rs"),
            include_str!("checks/integrity.rs"),
        ];
        let en = keys(include_str!("../locales/en.yml"));
        let prefixes = [
            "identity-",
            "movement-",
            "depth-",
            "light-",
            "motion-",
            "screen-",
            "integrity-",
        ];
        for source in sources {
            for quoted in source.split('"').skip(1).step_by(2) {
                if prefixes.iter().any(|p| quoted.starts_with(p)) && !quoted.contains(' ') {
                    assert!(
                        en.contains(&format!("check.{quoted}")),
                        "no message for {quoted}"
                    );
                }
            }
        }
    }
}
