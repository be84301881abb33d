//! The presentations: bona fide and each attack species, named after the
//! categories of ISO/IEC 30107-3 (presentation attack instruments in front
//! of the camera) and CEN/TS 18099 (injection attack instruments behind it).

use serde::Serialize;

/// One kind of presentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Species {
    /// A real person following the challenge: perspective and the flash
    /// reflected by skin, on time.
    BonaFide,
    /// A printed photo walked through the challenge in front of the kiosk:
    /// it reflects the flash on time, like paper, and is flat.
    PrintHeld,
    /// A printed photo lit by the attacker's own lamp following a colour
    /// schedule known in advance, filmed and injected in real time.
    PrintTinted,
    /// A phone replaying a real clip, moved through the challenge in front
    /// of the kiosk: display gamma, moiré, glare, refresh blending; only
    /// its glass reflects the flash.
    ScreenReplay,
    /// A real person elsewhere, lit by the revealed colours relayed to
    /// them, shown on a phone in front of the kiosk: the light response
    /// comes `delay_ms` late.
    Relay {
        /// Extra delay of the light response, milliseconds.
        delay_ms: u32,
    },
    /// A real clip injected through a virtual camera, scaled to follow the
    /// ovals: no light response, no screen.
    VirtualCamera,
    /// A real person who is swapped for another (a face swap) once the
    /// flashes begin.
    FaceSwap,
}

impl Species {
    /// Every species, bona fide first.
    pub const ALL: [Species; 9] = [
        Species::BonaFide,
        Species::PrintHeld,
        Species::PrintTinted,
        Species::ScreenReplay,
        Species::Relay { delay_ms: 100 },
        Species::Relay { delay_ms: 300 },
        Species::Relay { delay_ms: 500 },
        Species::VirtualCamera,
        Species::FaceSwap,
    ];

    /// Stable name (`relay-300ms`).
    pub fn id(self) -> String {
        match self {
            Species::BonaFide => "bona-fide".into(),
            Species::PrintHeld => "print-held".into(),
            Species::PrintTinted => "print-tinted-known-schedule".into(),
            Species::ScreenReplay => "screen-replay".into(),
            Species::Relay { delay_ms } => format!("screen-relay-{delay_ms}ms"),
            Species::VirtualCamera => "virtual-camera-injection".into(),
            Species::FaceSwap => "face-swap-mid-session".into(),
        }
    }

    /// Whether this is an attack.
    pub fn is_attack(self) -> bool {
        self != Species::BonaFide
    }

    /// The attack's category: ISO/IEC 30107 presentation attack instrument
    /// species, or CEN/TS 18099 injection attack instrument and type.
    pub fn category(self) -> &'static str {
        match self {
            Species::BonaFide => "bona fide presentation",
            Species::PrintHeld => "ISO/IEC 30107 PAI: printed photo (paper), artefact",
            Species::PrintTinted => {
                "CEN/TS 18099 IAI: virtual camera; injected recording of a printed photo with a prepared light response"
            }
            Species::ScreenReplay => "ISO/IEC 30107 PAI: video replay on a display, artefact",
            Species::Relay { .. } => {
                "ISO/IEC 30107 PAI: display showing a real-time relayed person (delayed light response)"
            }
            Species::VirtualCamera => {
                "CEN/TS 18099 IAI: virtual camera; injected genuine recording (no light response)"
            }
            Species::FaceSwap => {
                "CEN/TS 18099 IAI: real-time face swap (identity changes mid-session)"
            }
        }
    }
}
