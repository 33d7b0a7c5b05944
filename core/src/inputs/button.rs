//! A seat's push-button: debouncing, hold-to-talk or toggle, a stuck or
//! forgotten button, chatter.
//!
//! [`SeatButton`] turns readings of one pin into [`Edge`]s of the seat's
//! button source:
//!
//! * **Hold-to-talk** ([`ButtonMode::HoldToTalk`]): active from the
//!   debounced press to the debounced release.
//! * **Toggle** ([`ButtonMode::Toggle`]): a press starts a turn, the next
//!   press ends it; releases do nothing.
//! * **Stuck**: a pin held down for the maximum turn is declared stuck. The
//!   seat is released at exactly `press + max_turn_ms` with
//!   [`TurnEnd::Cut`], [`Condition::ButtonStuck`] is raised at the same
//!   moment, and the pin is ignored until it is released, which raises
//!   [`Condition::ButtonOk`].
//! * **Forgotten toggle**: a toggled-on seat is switched off with
//!   [`TurnEnd::Cut`] after the maximum turn (the button itself is fine, so
//!   no condition), and the next press starts a new turn.
//! * **Chatter**: a pin that changes faster than the debounce for
//!   `chatter_ms` raises [`Condition::ButtonChatter`] and keeps its last
//!   accepted state; [`Condition::ButtonOk`] follows once it is stable.
//!
//! Edges are dated when things happened (the start of the accepted level,
//! the exact cut time), not when they were noticed, and come out in time
//! order.
//!
//! ```
//! use tabletalk_core::inputs::button::SeatButton;
//! use tabletalk_core::params::ButtonParams;
//! use tabletalk_core::seat::ButtonMode;
//! use tabletalk_core::turns::edge::EdgeKind;
//!
//! let params = ButtonParams::default();
//! let mut button = SeatButton::new(ButtonMode::Toggle);
//! let mut kinds = heapless::Vec::<(u64, EdgeKind), 8>::new();
//! // Two presses of 100 ms, one second apart, read every 10 ms.
//! for t in (0..=2000u64).step_by(10) {
//!     let pressed = (t >= 100 && t < 200) || (t >= 1100 && t < 1200);
//!     for edge in button.update(t, pressed, &params, 600_000) {
//!         kinds.push((edge.at, edge.kind)).unwrap();
//!     }
//! }
//! assert_eq!(kinds.len(), 2);
//! assert_eq!(kinds[0].0, 100); // the first press started the turn
//! assert_eq!(kinds[1].0, 1100); // the second ended it
//! ```

use heapless::Vec;

use crate::inputs::debounce::Debouncer;
use crate::params::ButtonParams;
use crate::seat::ButtonMode;
use crate::turns::edge::{Edge, EdgeKind, SourceKind};
use crate::turns::event::{Condition, TurnEnd};

/// Edges produced by one reading: at most a start or end, a cut, and two
/// conditions.
pub type ButtonEdges = Vec<Edge, 4>;

/// One seat's button. Times are caller milliseconds (`u64`, non-decreasing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SeatButton {
    mode: ButtonMode,
    pin: Debouncer,
    pressed_since: Option<u64>,
    active_since: Option<u64>,
    stuck: bool,
    max_turn_ms: u32,
}

impl SeatButton {
    /// A released button in `mode`.
    pub const fn new(mode: ButtonMode) -> Self {
        SeatButton {
            mode,
            pin: Debouncer::new(false),
            pressed_since: None,
            active_since: None,
            stuck: false,
            max_turn_ms: u32::MAX,
        }
    }

    /// The button's mode.
    pub const fn mode(&self) -> ButtonMode {
        self.mode
    }

    /// Whether the seat is active by its button.
    pub const fn active(&self) -> bool {
        self.active_since.is_some()
    }

    /// Whether the button is currently declared stuck.
    pub const fn stuck(&self) -> bool {
        self.stuck
    }

    /// Whether the pin has ever been read.
    pub const fn has_readings(&self) -> bool {
        self.pin.has_readings()
    }

    /// No edge earlier than this can still come out (ms), given that the
    /// next reading is taken at `now` or later: a pending level change, or a
    /// cut that falls due before `now` and has not been read yet.
    pub fn horizon(&self, now: u64) -> u64 {
        let mut horizon = self.pin.horizon(now);
        if let (Some(pressed), false) = (self.pressed_since, self.stuck) {
            horizon = horizon.min(pressed.saturating_add(u64::from(self.max_turn_ms)));
        }
        if let Some(since) = self.active_since {
            horizon = horizon.min(since.saturating_add(u64::from(self.max_turn_ms)));
        }
        horizon
    }

    /// Takes one reading (`pressed` after any polarity inversion) at `now`.
    pub fn update(
        &mut self,
        now: u64,
        pressed: bool,
        params: &ButtonParams,
        max_turn_ms: u32,
    ) -> ButtonEdges {
        let mut out = ButtonEdges::new();
        self.update_into(now, pressed, params, max_turn_ms, &mut out);
        out
    }

    /// [`update`](Self::update) into a caller's buffer (cleared first), to
    /// spare the copy of the result on every reading.
    pub fn update_into(
        &mut self,
        now: u64,
        pressed: bool,
        params: &ButtonParams,
        max_turn_ms: u32,
        out: &mut ButtonEdges,
    ) {
        out.clear();
        self.max_turn_ms = max_turn_ms;
        let update = self
            .pin
            .update(now, pressed, params.debounce_ms, params.chatter_ms);
        if let Some((level, at)) = update.edge {
            self.apply_limits(at, max_turn_ms, out);
            self.apply_edge(level, at, out);
        }
        // A pending change may still be dated before `now`: apply the limit
        // only up to where the pin's history is settled.
        self.apply_limits(self.pin.horizon(now), max_turn_ms, out);
        match update.chatter {
            Some(true) => push(out, now, EdgeKind::Condition(Condition::ButtonChatter)),
            Some(false) => push(out, now, EdgeKind::Condition(Condition::ButtonOk)),
            None => {}
        }
        sort(out);
    }

    fn apply_edge(&mut self, pressed: bool, at: u64, out: &mut ButtonEdges) {
        if pressed {
            self.pressed_since = Some(at);
            match (self.mode, self.active_since) {
                (ButtonMode::Toggle, Some(_)) => {
                    self.active_since = None;
                    push(out, at, EdgeKind::Fall(TurnEnd::Natural));
                }
                (_, Some(_)) => {}
                (_, None) => {
                    self.active_since = Some(at);
                    push(out, at, EdgeKind::Rise);
                }
            }
        } else {
            self.pressed_since = None;
            if self.stuck {
                self.stuck = false;
                push(out, at, EdgeKind::Condition(Condition::ButtonOk));
            } else if self.mode == ButtonMode::HoldToTalk && self.active_since.take().is_some() {
                push(out, at, EdgeKind::Fall(TurnEnd::Natural));
            }
        }
    }

    /// Applies the maximum turn to everything due by `upto`.
    fn apply_limits(&mut self, upto: u64, max_turn_ms: u32, out: &mut ButtonEdges) {
        let max = u64::from(max_turn_ms);
        if let (Some(pressed), false) = (self.pressed_since, self.stuck) {
            let due = pressed.saturating_add(max);
            if due <= upto {
                self.stuck = true;
                if self.active_since.take().is_some() {
                    push(out, due, EdgeKind::Fall(TurnEnd::Cut));
                }
                push(out, due, EdgeKind::Condition(Condition::ButtonStuck));
            }
        }
        if let Some(since) = self.active_since {
            let due = since.saturating_add(max);
            if due <= upto {
                self.active_since = None;
                push(out, due, EdgeKind::Fall(TurnEnd::Cut));
            }
        }
    }
}

fn push(out: &mut ButtonEdges, at: u64, kind: EdgeKind) {
    // Capacity 4 covers the worst case (cut + stuck + edge + chatter);
    // should it not, dropping a condition is better than panicking.
    let _ = out.push(Edge {
        at,
        source: SourceKind::Button,
        kind,
    });
}

/// Insertion sort by merge key: at most four items.
pub(crate) fn sort<const N: usize>(edges: &mut Vec<Edge, N>) {
    let slice = edges.as_mut_slice();
    for i in 1..slice.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (slice.get(j - 1), slice.get(j)) else {
                break;
            };
            if a.key() <= b.key() {
                break;
            }
            slice.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u32 = 600_000;

    fn run(
        button: &mut SeatButton,
        from: u64,
        to: u64,
        step: u64,
        pressed: impl Fn(u64) -> bool,
    ) -> std::vec::Vec<Edge> {
        let params = ButtonParams::default();
        let mut edges = std::vec::Vec::new();
        let mut t = from;
        while t <= to {
            edges.extend(button.update(t, pressed(t), &params, MAX));
            t += step;
        }
        edges
    }

    extern crate std;

    fn kinds(edges: &[Edge]) -> std::vec::Vec<(u64, EdgeKind)> {
        edges.iter().map(|e| (e.at, e.kind)).collect()
    }

    #[test]
    fn hold_to_talk_follows_the_pin_with_edges_at_the_real_times() {
        let mut button = SeatButton::new(ButtonMode::HoldToTalk);
        let edges = run(&mut button, 0, 1000, 1, |t| (100..600).contains(&t));
        assert_eq!(
            kinds(&edges),
            [
                (100, EdgeKind::Rise),
                (600, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn a_bouncy_press_gives_one_turn() {
        let mut button = SeatButton::new(ButtonMode::HoldToTalk);
        // Bounces for 6 ms on press and on release.
        let edges = run(&mut button, 0, 1000, 1, |t| {
            matches!(t, 100 | 102 | 104..=500 | 503)
        });
        assert_eq!(
            kinds(&edges),
            [
                (104, EdgeKind::Rise),
                (504, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn toggle_starts_and_ends_on_presses() {
        let mut button = SeatButton::new(ButtonMode::Toggle);
        let edges = run(&mut button, 0, 3000, 5, |t| {
            (100..200).contains(&t) || (1000..1100).contains(&t) || (2000..2050).contains(&t)
        });
        assert_eq!(
            kinds(&edges),
            [
                (100, EdgeKind::Rise),
                (1000, EdgeKind::Fall(TurnEnd::Natural)),
                (2000, EdgeKind::Rise)
            ]
        );
        assert!(button.active());
    }

    #[test]
    fn a_stuck_button_is_cut_at_exactly_the_maximum_turn() {
        let mut button = SeatButton::new(ButtonMode::HoldToTalk);
        let release = 700_000;
        let edges = run(&mut button, 0, 800_000, 7, |t| (1000..release).contains(&t));
        // 1001 is the first reading at 7 ms steps at or after 1000.
        let press = 1001;
        assert_eq!(
            kinds(&edges),
            [
                (press, EdgeKind::Rise),
                (press + 600_000, EdgeKind::Fall(TurnEnd::Cut)),
                (press + 600_000, EdgeKind::Condition(Condition::ButtonStuck)),
                // 700 000 is a reading (a multiple of 7).
                (700_000, EdgeKind::Condition(Condition::ButtonOk)),
            ]
        );
    }

    #[test]
    fn one_ms_short_of_the_maximum_is_not_cut() {
        let mut button = SeatButton::new(ButtonMode::HoldToTalk);
        let edges = run(&mut button, 0, 700_000, 1, |t| {
            (1000..601_000 - 1).contains(&t)
        });
        assert_eq!(
            kinds(&edges),
            [
                (1000, EdgeKind::Rise),
                (600_999, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn a_forgotten_toggle_is_cut_without_a_condition_and_the_next_press_starts_again() {
        let mut button = SeatButton::new(ButtonMode::Toggle);
        let edges = run(&mut button, 0, 700_000, 10, |t| {
            (0..100).contains(&t) || (650_000..650_100).contains(&t)
        });
        assert_eq!(
            kinds(&edges),
            [
                (0, EdgeKind::Rise),
                (600_000, EdgeKind::Fall(TurnEnd::Cut)),
                (650_000, EdgeKind::Rise)
            ]
        );
    }

    #[test]
    fn a_stuck_toggle_button_is_reported() {
        let mut button = SeatButton::new(ButtonMode::Toggle);
        let edges = run(&mut button, 0, 700_000, 10, |t| t < 650_000);
        assert_eq!(
            kinds(&edges),
            [
                (0, EdgeKind::Rise),
                (600_000, EdgeKind::Fall(TurnEnd::Cut)),
                (600_000, EdgeKind::Condition(Condition::ButtonStuck)),
                (650_000, EdgeKind::Condition(Condition::ButtonOk)),
            ]
        );
        assert!(!button.active());
    }

    #[test]
    fn sparse_readings_cut_in_the_past_and_in_order() {
        let mut button = SeatButton::new(ButtonMode::HoldToTalk);
        let params = ButtonParams::default();
        assert!(button.update(0, true, &params, MAX).is_empty());
        let first = button.update(100, true, &params, MAX);
        assert_eq!(kinds(&first), [(0, EdgeKind::Rise)]);
        // Released long after the cut, seen in one reading: the cut is
        // dated when it was due, before the (still pending) release.
        let later = button.update(900_000, false, &params, MAX);
        assert_eq!(
            kinds(&later),
            [
                (600_000, EdgeKind::Fall(TurnEnd::Cut)),
                (600_000, EdgeKind::Condition(Condition::ButtonStuck))
            ]
        );
        let done = button.update(900_020, false, &params, MAX);
        assert_eq!(
            kinds(&done),
            [(900_000, EdgeKind::Condition(Condition::ButtonOk))]
        );
    }

    #[test]
    fn chatter_keeps_the_state_and_reports() {
        let mut button = SeatButton::new(ButtonMode::HoldToTalk);
        let edges = run(&mut button, 0, 2000, 2, |t| t < 1000 && t % 8 < 4);
        assert_eq!(
            kinds(&edges),
            [
                (500, EdgeKind::Condition(Condition::ButtonChatter)),
                (1016, EdgeKind::Condition(Condition::ButtonOk)),
            ]
        );
        assert!(!button.active());
    }
}
