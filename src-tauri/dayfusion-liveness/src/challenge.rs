//! The challenge a session asks of the person: bring the face from a small
//! oval to a large one, then hold still while the screen flashes a random
//! sequence of colours ([`ChallengeKind::MovementAndLight`]), or, for a
//! person who cannot look at flashing colours, the ovals alone
//! ([`ChallengeKind::Movement`]: no light check, see the policies).
//!
//! Everything random here comes from the operating system's generator
//! (`rand::rng()`, a CSPRNG reseeded from the OS): an attacker must not be
//! able to predict the ovals or the colours.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The colours the screen may flash. Saturated primaries and secondaries:
/// each moves the skin's chromaticity in a different direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlashColour {
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

impl FlashColour {
    /// The fixed palette the challenge draws from.
    pub const PALETTE: [FlashColour; 7] = [
        FlashColour::Red,
        FlashColour::Green,
        FlashColour::Blue,
        FlashColour::Yellow,
        FlashColour::Cyan,
        FlashColour::Magenta,
        FlashColour::White,
    ];

    /// The colour the screen shows, sRGB.
    pub const fn rgb(self) -> [u8; 3] {
        match self {
            FlashColour::Red => [255, 0, 0],
            FlashColour::Green => [0, 255, 0],
            FlashColour::Blue => [0, 0, 255],
            FlashColour::Yellow => [255, 255, 0],
            FlashColour::Cyan => [0, 255, 255],
            FlashColour::Magenta => [255, 0, 255],
            FlashColour::White => [255, 255, 255],
        }
    }

    /// The direction this light pushes a face's chromaticity: red minus
    /// green and blue minus green of the emitted light, in `[-1, 1]`.
    pub fn chroma(self) -> [f32; 2] {
        let [r, g, b] = self.rgb().map(|c| f32::from(c) / 255.0);
        [r - g, b - g]
    }
}

/// An oval drawn over the camera picture. Positions and sizes are fractions
/// of the frame: `center_x` and `width` of its width, `center_y` of its
/// height. `width` is the width the face box should have inside it; the UI
/// draws the outline around that.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Oval {
    /// Centre, fraction of the frame width.
    pub center_x: f32,
    /// Centre, fraction of the frame height.
    pub center_y: f32,
    /// Target face width, fraction of the frame width.
    pub width: f32,
}

/// One flash of the colour sequence.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Flash {
    /// The colour shown.
    pub colour: FlashColour,
    /// How long it stays on screen, milliseconds.
    pub duration_ms: u32,
}

/// What the person is asked to do in one session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Challenge {
    /// Where the face starts.
    pub small_oval: Oval,
    /// Where the face ends, closer to the camera.
    pub large_oval: Oval,
    /// The colour sequence, shown once the face fills the large oval.
    pub flashes: Vec<Flash>,
}

/// Which challenge a live session asks, named as Rekognition names its
/// two (`FaceMovementAndLightChallenge`, `FaceMovementChallenge`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChallengeKind {
    /// Ovals, then the colour sequence (the default).
    #[default]
    MovementAndLight,
    /// Ovals only, then a short hold: no flashing colours
    /// (photosensitivity). The light check does not apply.
    Movement,
}

impl ChallengeKind {
    /// The code recorded (`movement-and-light`, `movement`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ChallengeKind::MovementAndLight => "movement-and-light",
            ChallengeKind::Movement => "movement",
        }
    }
}

/// Number of flashes in a generated challenge.
pub const FLASH_COUNT: usize = 8;
/// Shortest flash, milliseconds (3 frames at 15 fps).
pub const MIN_FLASH_MS: u32 = 200;
/// Longest flash, milliseconds.
pub const MAX_FLASH_MS: u32 = 450;

impl Challenge {
    /// A new random challenge: oval positions jittered around the centre,
    /// [`FLASH_COUNT`] flashes of random colours (never the same twice in a
    /// row) and random durations between [`MIN_FLASH_MS`] and
    /// [`MAX_FLASH_MS`].
    pub fn random() -> Challenge {
        Challenge::random_of(ChallengeKind::MovementAndLight)
    }

    /// A new random challenge of `kind`: [`Challenge::random`], or its
    /// ovals alone for [`ChallengeKind::Movement`]. Colour sequences that
    /// would flash more than three times in a second by WCAG 2.3.1's
    /// definitions ([`crate::photosensitivity`]) are drawn again.
    pub fn random_of(kind: ChallengeKind) -> Challenge {
        Challenge::random_from(kind, &mut rand::rng())
    }

    /// [`Challenge::random_of`] drawn from `rng`: a seeded one repeats its
    /// challenges (evaluation runs); a customer's session always uses the
    /// system's CSPRNG.
    pub fn random_from<R: Rng + ?Sized>(kind: ChallengeKind, rng: &mut R) -> Challenge {
        let mut challenge = Challenge::draw(kind, rng);
        for _ in 0..64 {
            if crate::photosensitivity::measure(&challenge).within_wcag() {
                return challenge;
            }
            challenge = Challenge::draw(kind, rng);
        }
        // Never reached with flashes of 200 ms or more (at most two flashes
        // in a second); were it, the longest flashes keep the rule.
        for flash in &mut challenge.flashes {
            flash.duration_ms = MAX_FLASH_MS;
        }
        challenge
    }

    /// Which kind this is: no colours, movement only.
    pub fn kind(&self) -> ChallengeKind {
        if self.flashes.is_empty() {
            ChallengeKind::Movement
        } else {
            ChallengeKind::MovementAndLight
        }
    }

    /// One draw before the WCAG 2.3.1 rule (its test counts how often the
    /// rule draws again).
    #[cfg(test)]
    pub(crate) fn draw_for_test() -> Challenge {
        Challenge::draw(ChallengeKind::MovementAndLight, &mut rand::rng())
    }

    fn draw<R: Rng + ?Sized>(kind: ChallengeKind, rng: &mut R) -> Challenge {
        let small_oval = Oval {
            center_x: 0.5 + rng.random_range(-0.06..=0.06),
            center_y: 0.5 + rng.random_range(-0.05..=0.05),
            width: rng.random_range(0.24..=0.30),
        };
        let large_oval = Oval {
            center_x: 0.5 + rng.random_range(-0.02..=0.02),
            center_y: 0.5 + rng.random_range(-0.02..=0.02),
            width: rng.random_range(0.46..=0.52),
        };
        let count = match kind {
            ChallengeKind::MovementAndLight => FLASH_COUNT,
            ChallengeKind::Movement => 0,
        };
        let mut flashes: Vec<Flash> = Vec::with_capacity(count);
        while flashes.len() < count {
            let colour = FlashColour::PALETTE[rng.random_range(0..FlashColour::PALETTE.len())];
            if flashes.last().is_some_and(|f| f.colour == colour) {
                continue;
            }
            flashes.push(Flash {
                colour,
                // Whole 10 ms steps; the UI schedules at frame granularity anyway.
                duration_ms: rng.random_range(MIN_FLASH_MS / 10..=MAX_FLASH_MS / 10) * 10,
            });
        }
        Challenge {
            small_oval,
            large_oval,
            flashes,
        }
    }

    /// Checks a challenge that came from outside (a `--challenge` file):
    /// 6-16 flashes of 100-2000 ms, ovals inside the frame, small below
    /// large. (A recording never claims the movement-only challenge: only
    /// the engine's own live sessions have it, [`Challenge::validate_live`].)
    pub fn validate(&self) -> Result<(), String> {
        if !(6..=16).contains(&self.flashes.len()) {
            return Err(format!("{} flashes (6 to 16 expected)", self.flashes.len()));
        }
        self.validate_live()
    }

    /// Checks a live session's challenge: [`Challenge::validate`], or no
    /// flashes at all (movement only).
    pub fn validate_live(&self) -> Result<(), String> {
        if !(self.flashes.is_empty() || (6..=16).contains(&self.flashes.len())) {
            return Err(format!(
                "{} flashes (6 to 16, or none, expected)",
                self.flashes.len()
            ));
        }
        if let Some(f) = self
            .flashes
            .iter()
            .find(|f| !(100..=2000).contains(&f.duration_ms))
        {
            return Err(format!(
                "flash of {} ms (100 to 2000 expected)",
                f.duration_ms
            ));
        }
        let inside = |o: &Oval| {
            [o.center_x, o.center_y]
                .iter()
                .all(|c| (0.0..=1.0).contains(c))
                && o.width > 0.05
                && o.width <= 1.0
        };
        if !inside(&self.small_oval)
            || !inside(&self.large_oval)
            || self.small_oval.width >= self.large_oval.width
        {
            return Err("ovals out of the frame, or the small oval not smaller".to_owned());
        }
        Ok(())
    }
}

/// A recorded capture's challenge: the challenge and when, in the
/// recording's own time, the colour sequence started (the `--challenge`
/// file of `dayfusion liveness analyze`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedChallenge {
    /// The challenge that was shown.
    pub challenge: Challenge,
    /// Start of the first flash, milliseconds from the first frame.
    pub flashes_start_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_challenges_differ_and_follow_the_rules() {
        let a = Challenge::random();
        let b = Challenge::random();
        assert_ne!(a, b, "two challenges must not repeat");
        for c in [&a, &b] {
            assert!(c.flashes.len() >= 6);
            assert!(c.flashes.windows(2).all(|w| w[0].colour != w[1].colour));
            assert!(
                c.flashes
                    .iter()
                    .all(|f| (MIN_FLASH_MS..=MAX_FLASH_MS).contains(&f.duration_ms))
            );
            assert!(c.large_oval.width > c.small_oval.width * 1.5);
        }
    }

    #[test]
    fn a_challenge_from_outside_is_checked() {
        let oval = |width| Oval {
            center_x: 0.5,
            center_y: 0.5,
            width,
        };
        let flash = |colour, duration_ms| Flash {
            colour,
            duration_ms,
        };
        let mut c = Challenge {
            small_oval: oval(0.25),
            large_oval: oval(0.5),
            flashes: vec![flash(FlashColour::Red, 200), flash(FlashColour::Blue, 300)],
        };
        assert!(c.validate().is_err(), "two flashes are too few");
        c.flashes = [FlashColour::Red, FlashColour::Blue]
            .repeat(3)
            .into_iter()
            .map(|colour| flash(colour, 250))
            .collect();
        assert!(c.validate().is_ok());
        c.flashes[2].duration_ms = 50;
        assert!(c.validate().is_err(), "a flash too short to see");
        assert!(Challenge::random().validate().is_ok());
        c.flashes.clear();
        assert!(
            c.validate().is_err(),
            "a recording never claims movement only"
        );
        assert!(c.validate_live().is_ok(), "a live movement-only challenge");
        assert_eq!(c.kind(), ChallengeKind::Movement);
    }

    #[test]
    fn a_movement_challenge_has_ovals_and_no_colours() {
        let c = Challenge::random_of(ChallengeKind::Movement);
        assert!(c.flashes.is_empty());
        assert_eq!(c.kind(), ChallengeKind::Movement);
        assert!(c.large_oval.width > c.small_oval.width * 1.5);
        assert!(c.validate_live().is_ok());
        assert_eq!(Challenge::random().kind(), ChallengeKind::MovementAndLight);
    }
}
