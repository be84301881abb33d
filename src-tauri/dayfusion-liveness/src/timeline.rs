//! When each flash colour was on screen, on one clock.
//!
//! A live session reveals the colours one at a time, each in the answer
//! to a frame ([`FlashTimeline::reveal`]), stamped on the engine's own
//! clock when that answer was ready: the widget learns a colour only when
//! it is due, and the light check measures the skin's response, in frames
//! timed by their arrival on the same clock, from when the colour left the
//! engine, not from anything the client says. A recording
//! analysed with its challenge file has the planned schedule on the
//! recording's capture clock instead ([`FlashTimeline::scheduled`]).

use crate::challenge::{Challenge, FlashColour};
use crate::observation::Observation;

/// The clock a timeline is stamped on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeBase {
    /// The frames' own capture times (recordings).
    Capture,
    /// The engine's clock when each frame arrived (live sessions).
    Arrival,
}

/// One colour on screen from `from_ms` until `to_ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlashSpan {
    /// The colour.
    pub colour: FlashColour,
    /// When it was revealed (or scheduled), milliseconds.
    pub from_ms: f64,
    /// When the next one (or the end) replaced it; infinite while shown.
    pub to_ms: f64,
}

/// The colours shown in a session, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct FlashTimeline {
    base: TimeBase,
    spans: Vec<FlashSpan>,
    ended: bool,
}

impl FlashTimeline {
    /// An empty timeline a live session fills as it reveals the colours.
    pub fn live() -> Self {
        FlashTimeline {
            base: TimeBase::Arrival,
            spans: Vec::new(),
            ended: false,
        }
    }

    /// A recording's: the challenge's planned durations from `start_ms` on
    /// the capture clock.
    pub fn scheduled(challenge: &Challenge, start_ms: f64) -> Self {
        let mut from_ms = start_ms;
        let spans = challenge
            .flashes
            .iter()
            .map(|flash| {
                let to_ms = from_ms + f64::from(flash.duration_ms);
                let span = FlashSpan {
                    colour: flash.colour,
                    from_ms,
                    to_ms,
                };
                from_ms = to_ms;
                span
            })
            .collect();
        FlashTimeline {
            base: TimeBase::Capture,
            spans,
            ended: true,
        }
    }

    /// Shows `colour` from `at_ms`, ending the one before.
    pub fn reveal(&mut self, colour: FlashColour, at_ms: f64) {
        self.close(at_ms);
        self.spans.push(FlashSpan {
            colour,
            from_ms: at_ms,
            to_ms: f64::INFINITY,
        });
    }

    /// Shows what an answer names from `at_ms` (a client painting the
    /// answers): a new colour is revealed, none ends the sequence, the
    /// colour already shown changes nothing.
    pub fn show(&mut self, colour: Option<FlashColour>, at_ms: f64) {
        if self.current() == colour {
            return;
        }
        match colour {
            Some(colour) => self.reveal(colour, at_ms),
            None => self.end(at_ms),
        }
    }

    /// Clears the screen at `at_ms`: the sequence is over.
    pub fn end(&mut self, at_ms: f64) {
        self.close(at_ms);
        self.ended = true;
    }

    fn close(&mut self, at_ms: f64) {
        if let Some(last) = self.spans.last_mut()
            && last.to_ms.is_infinite()
        {
            last.to_ms = at_ms;
        }
    }

    /// The clock the spans are stamped on.
    pub fn base(&self) -> TimeBase {
        self.base
    }

    /// The spans, in order.
    pub fn spans(&self) -> &[FlashSpan] {
        &self.spans
    }

    /// Whether the sequence is over.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The colour on screen now (live: the one to keep showing).
    pub fn current(&self) -> Option<FlashColour> {
        self.spans
            .last()
            .filter(|s| s.to_ms.is_infinite())
            .map(|s| s.colour)
    }

    /// Start of the first colour.
    pub fn start_ms(&self) -> Option<f64> {
        self.spans.first().map(|s| s.from_ms)
    }

    /// End of the last colour (infinite while one is shown).
    pub fn end_ms(&self) -> Option<f64> {
        self.spans.last().map(|s| s.to_ms)
    }

    /// The colour on screen at `t_ms`.
    pub fn colour_at(&self, t_ms: f64) -> Option<FlashColour> {
        self.spans
            .iter()
            .find(|s| s.from_ms <= t_ms && t_ms < s.to_ms)
            .map(|s| s.colour)
    }

    /// Whether `colour` was on screen at some time in `[from_ms, to_ms)`.
    pub fn shown_between(&self, colour: FlashColour, from_ms: f64, to_ms: f64) -> bool {
        self.spans
            .iter()
            .any(|s| s.colour == colour && s.from_ms < to_ms && s.to_ms > from_ms)
    }

    /// Whether a colour other than white was on screen at some time in
    /// `[from_ms, to_ms)`.
    pub fn tinted_between(&self, from_ms: f64, to_ms: f64) -> bool {
        self.spans
            .iter()
            .any(|s| s.colour != FlashColour::White && s.from_ms < to_ms && s.to_ms > from_ms)
    }

    /// A frame's time on this timeline's clock (a live session driven by
    /// hand without arrival times runs on the capture times).
    pub fn time_of(&self, observation: &Observation) -> f64 {
        match self.base {
            TimeBase::Capture => observation.t_ms,
            TimeBase::Arrival => observation.arrived_ms.unwrap_or(observation.t_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenge::{Flash, Oval};

    #[test]
    fn a_schedule_and_a_reveal_log_read_alike() {
        let oval = |width| Oval {
            center_x: 0.5,
            center_y: 0.5,
            width,
        };
        let challenge = Challenge {
            small_oval: oval(0.25),
            large_oval: oval(0.5),
            flashes: vec![
                Flash {
                    colour: FlashColour::Red,
                    duration_ms: 200,
                },
                Flash {
                    colour: FlashColour::Blue,
                    duration_ms: 300,
                },
            ],
        };
        let planned = FlashTimeline::scheduled(&challenge, 1000.0);
        assert_eq!(planned.colour_at(999.0), None);
        assert_eq!(planned.colour_at(1000.0), Some(FlashColour::Red));
        assert_eq!(planned.colour_at(1200.0), Some(FlashColour::Blue));
        assert_eq!(planned.colour_at(1500.0), None);
        assert_eq!(planned.end_ms(), Some(1500.0));

        let mut live = FlashTimeline::live();
        assert_eq!(live.current(), None);
        live.reveal(FlashColour::Red, 1000.0);
        assert_eq!(live.current(), Some(FlashColour::Red));
        assert_eq!(live.colour_at(5000.0), Some(FlashColour::Red));
        live.reveal(FlashColour::Blue, 1230.0);
        live.end(1540.0);
        assert!(live.ended());
        assert_eq!(live.current(), None);
        assert_eq!(live.colour_at(1229.0), Some(FlashColour::Red));
        assert_eq!(live.colour_at(1540.0), None);
        assert!(live.shown_between(FlashColour::Red, 1100.0, 1300.0));
        assert!(!live.shown_between(FlashColour::Blue, 0.0, 1229.0));
        // A colour revealed at t is not yet on screen for a frame at t.
        assert!(!live.shown_between(FlashColour::Blue, 0.0, 1230.0));
        assert!(live.tinted_between(1500.0, 1600.0));
        assert!(!live.tinted_between(1540.0, 1600.0));
        assert_eq!(live.base(), TimeBase::Arrival);

        // A painting client: the same colour twice is one span, none ends.
        let mut painted = FlashTimeline::live();
        painted.show(None, 900.0);
        assert_eq!((painted.start_ms(), painted.ended()), (None, false));
        painted.show(Some(FlashColour::Red), 1000.0);
        painted.show(Some(FlashColour::Red), 1066.0);
        painted.show(Some(FlashColour::Blue), 1300.0);
        painted.show(None, 1600.0);
        assert_eq!(painted.spans().len(), 2);
        assert_eq!(painted.start_ms(), Some(1000.0));
        assert_eq!(painted.colour_at(1299.0), Some(FlashColour::Red));
        assert!(painted.ended() && painted.colour_at(1600.0).is_none());
    }
}
