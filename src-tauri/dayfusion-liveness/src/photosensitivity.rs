//! The colour sequence against WCAG 2.3.1 (Three Flashes or Below
//! Threshold).
//!
//! The widget paints each colour over the whole screen, far more than the
//! 25% of a 10° field of view (about 341 × 256 px on a 1024 × 768 screen
//! seen from 56-66 cm) below which WCAG lets flashes be, so the sequence
//! must not flash more than three times in any one second. By WCAG's
//! definitions, with R, G, B linearised as for relative luminance:
//! - a *general flash* is a pair of opposing changes in relative luminance
//!   of 10% or more of the maximum, where the darker side is below 0.80;
//! - a *red flash* is a pair of opposing transitions involving a saturated
//!   red: `R / (R + G + B) >= 0.8` on one side and a change of more than
//!   20 in `(R - G - B) × 320` (negative values taken as 0).
//!
//! The sequence starts from and returns to [`BACKGROUND`] (the kiosk's
//! dark brand colour: the worst case for the first and last change).
//! [`crate::challenge::Challenge::random_of`] draws again any sequence this
//! counts above three.

use crate::challenge::Challenge;

/// What is on screen before the first colour and after the last (sRGB):
/// the page's brand colour, darker than the camera picture.
pub const BACKGROUND: [u8; 3] = [0x0b, 0x2a, 0x4a];
/// WCAG 2.3.1: at most three flashes in any one second.
pub const MAX_FLASHES_PER_SECOND: u32 = 3;

/// The sequence's worst second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlashCount {
    /// Most general flashes in any one second.
    pub general: u32,
    /// Most red flashes in any one second.
    pub red: u32,
}

impl FlashCount {
    /// Three or fewer of each in every second.
    pub fn within_wcag(self) -> bool {
        self.general <= MAX_FLASHES_PER_SECOND && self.red <= MAX_FLASHES_PER_SECOND
    }
}

/// The most flashes of each kind in any one-second window of `challenge`'s
/// colour sequence, painted as scheduled.
pub fn measure(challenge: &Challenge) -> FlashCount {
    let mut colours = vec![(0.0f64, BACKGROUND)];
    let mut t = 0.0;
    for flash in &challenge.flashes {
        colours.push((t, flash.colour.rgb()));
        t += f64::from(flash.duration_ms);
    }
    colours.push((t, BACKGROUND));
    let changes: Vec<Change> = colours
        .windows(2)
        .map(|pair| {
            let ((_, from), (at, to)) = (pair[0], pair[1]);
            Change {
                at,
                general: general_change(from, to),
                red: red_change(from, to),
            }
        })
        .collect();
    let most = |pick: fn(&Change) -> Option<bool>| {
        changes
            .iter()
            .map(|start| {
                let directions: Vec<bool> = changes
                    .iter()
                    .filter(|c| c.at >= start.at && c.at < start.at + 1000.0)
                    .filter_map(pick)
                    .collect();
                flashes_in(&directions)
            })
            .max()
            .unwrap_or(0)
    };
    FlashCount {
        general: most(|c| c.general),
        red: most(|c| c.red),
    }
}

/// A change of colour: when, and its direction for each kind of flash
/// (`Some(true)` brighter or redder; `None` when it does not count).
struct Change {
    at: f64,
    general: Option<bool>,
    red: Option<bool>,
}

/// Pairs of opposing changes, in order.
fn flashes_in(directions: &[bool]) -> u32 {
    let mut pending: Option<bool> = None;
    let mut flashes = 0;
    for &up in directions {
        match pending {
            Some(previous) if previous != up => {
                flashes += 1;
                pending = None;
            }
            _ => pending = Some(up),
        }
    }
    flashes
}

fn linear(rgb: [u8; 3]) -> [f64; 3] {
    rgb.map(|c| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    })
}

/// WCAG's relative luminance.
pub fn relative_luminance(rgb: [u8; 3]) -> f64 {
    let [r, g, b] = linear(rgb);
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// A general-flash transition (`Some(true)` brighter, `Some(false)` darker).
fn general_change(from: [u8; 3], to: [u8; 3]) -> Option<bool> {
    let (a, b) = (relative_luminance(from), relative_luminance(to));
    ((a - b).abs() >= 0.1 && a.min(b) < 0.8).then_some(b > a)
}

/// A red-flash transition (`Some(true)` towards red).
fn red_change(from: [u8; 3], to: [u8; 3]) -> Option<bool> {
    let saturated = |rgb: [u8; 3]| {
        let [r, g, b] = linear(rgb);
        r + g + b > 0.0 && r / (r + g + b) >= 0.8
    };
    let redness = |rgb: [u8; 3]| {
        let [r, g, b] = linear(rgb);
        ((r - g - b) * 320.0).max(0.0)
    };
    let (a, b) = (redness(from), redness(to));
    ((saturated(from) || saturated(to)) && (a - b).abs() > 20.0).then_some(b > a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::{ChallengeKind, Flash, FlashColour, MAX_FLASH_MS, MIN_FLASH_MS};

    fn challenge(flashes: &[(FlashColour, u32)]) -> Challenge {
        let mut c = Challenge::random_of(ChallengeKind::Movement);
        c.flashes = flashes
            .iter()
            .map(|&(colour, duration_ms)| Flash {
                colour,
                duration_ms,
            })
            .collect();
        c
    }

    #[test]
    fn definitions_follow_wcag() {
        use FlashColour::*;
        // Black and white alternating: every change counts.
        assert_eq!(general_change([0; 3], [255; 3]), Some(true));
        // Yellow to white: the darker side is above 0.80.
        assert_eq!(general_change(Yellow.rgb(), White.rgb()), None);
        // Red to green and back: red transitions both ways.
        assert_eq!(red_change(Red.rgb(), Green.rgb()), Some(false));
        assert_eq!(red_change(Green.rgb(), Red.rgb()), Some(true));
        // Magenta is not a saturated red.
        assert_eq!(red_change(Magenta.rgb(), Blue.rgb()), None);
        assert_eq!(flashes_in(&[true, false, true, false, true]), 2);
        assert_eq!(flashes_in(&[true, true, false]), 1);
    }

    #[test]
    fn a_fast_red_sequence_is_over_and_a_slow_one_within() {
        use FlashColour::*;
        let fast = challenge(&[
            (Red, 100),
            (Cyan, 100),
            (Red, 100),
            (Cyan, 100),
            (Red, 100),
            (Cyan, 100),
            (Red, 100),
            (Cyan, 100),
        ]);
        let count = measure(&fast);
        assert!(count.red > 3 && count.general > 3, "{count:?}");
        assert!(!count.within_wcag());
        let slow = challenge(&[
            (Red, 450),
            (Cyan, 450),
            (Red, 450),
            (Cyan, 450),
            (Red, 450),
            (Cyan, 450),
        ]);
        assert!(measure(&slow).within_wcag(), "{:?}", measure(&slow));
    }

    /// Every drawn sequence is within WCAG 2.3.1; how many the rule
    /// redraws is printed (`--nocapture`) for the report.
    #[test]
    fn drawn_sequences_never_flash_more_than_three_times_a_second() {
        let draws = 2000;
        let mut over = 0;
        let mut worst = FlashCount { general: 0, red: 0 };
        for _ in 0..draws {
            let raw = Challenge::draw_for_test();
            let count = measure(&raw);
            if !count.within_wcag() {
                over += 1;
            }
            worst.general = worst.general.max(count.general);
            worst.red = worst.red.max(count.red);
            let kept = Challenge::random();
            assert!(measure(&kept).within_wcag());
            assert!(
                kept.flashes
                    .iter()
                    .all(|f| (MIN_FLASH_MS..=MAX_FLASH_MS).contains(&f.duration_ms))
            );
        }
        eprintln!(
            "WCAG 2.3.1: {over} of {draws} raw sequences over three flashes a second (worst: {} general, {} red); redrawn",
            worst.general, worst.red
        );
    }
}
