//! The facilitator's button: a short press sets an agenda marker, a double
//! press marks a decision, a long press starts or stops the session.
//!
//! The long press acts as soon as the button has been held for
//! `long_press_ms` (so the facilitator sees the device react while still
//! holding it) and is dated exactly then; releasing it afterwards does
//! nothing. A short press is dated at its release. It is an agenda marker
//! unless the next press begins within [`DOUBLE_PRESS_MS`] of that release
//! and lasts at most `DOUBLE_PRESS_MS` too: the two are one **double
//! press**, a decision dated at the second release. So an agenda marker
//! comes out up to `2 × DOUBLE_PRESS_MS` after its release (still dated at the release; the engine holds later
//! edges back until then, see [`FacilitatorButton::horizon`]). A short
//! press followed quickly by a long one is an agenda marker and a long
//! press. All presses are debounced like seat buttons.
//!
//! The window is a constant of the gesture, not a detection parameter: the
//! log records what the gesture meant (an `Agenda` or a `Decision`
//! marker), so reading a log never needs it.
//!
//! ```
//! use tabletalk_core::inputs::facilitator::FacilitatorButton;
//! use tabletalk_core::params::ButtonParams;
//! use tabletalk_core::turns::edge::Control;
//!
//! let params = ButtonParams::default(); // long press: 1500 ms
//! let mut button = FacilitatorButton::new();
//! let mut seen = heapless::Vec::<(u64, Control), 4>::new();
//! for t in (0..=8000u64).step_by(10) {
//!     let pressed = (100..300).contains(&t)
//!         || (1000..3000).contains(&t)
//!         || (5000..5100).contains(&t)
//!         || (5300..5400).contains(&t);
//!     if let Some(action) = button.update(t, pressed, &params) {
//!         seen.push(action).unwrap();
//!     }
//! }
//! assert_eq!(
//!     seen,
//!     [(300, Control::Agenda), (2500, Control::ToggleSession), (5400, Control::Decision)]
//! );
//! ```

use crate::inputs::debounce::Debouncer;
use crate::params::ButtonParams;
use crate::turns::edge::Control;

/// A press beginning at most this long after a short press's release, and
/// released at most this long after it began, makes the two a double press
/// (ms).
pub const DOUBLE_PRESS_MS: u64 = 400;

/// The facilitator button. Times are caller milliseconds (`u64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FacilitatorButton {
    pin: Debouncer,
    pressed_since: Option<u64>,
    long_done: bool,
    long_press_ms: u16,
    /// Release of a short press that may still become a double press.
    single_at: Option<u64>,
    /// An action decided but not yet returned (a second one from the same
    /// reading).
    queued: Option<(u64, Control)>,
}

impl Default for FacilitatorButton {
    fn default() -> Self {
        Self::new()
    }
}

impl FacilitatorButton {
    /// A released facilitator button.
    pub const fn new() -> Self {
        FacilitatorButton {
            pin: Debouncer::new(false),
            pressed_since: None,
            long_done: false,
            long_press_ms: u16::MAX,
            single_at: None,
            queued: None,
        }
    }

    /// Whether the pin has ever been read.
    pub const fn has_readings(&self) -> bool {
        self.pin.has_readings()
    }

    /// No action earlier than this can still come out (ms), given that the
    /// next reading is taken at `now` or later.
    pub fn horizon(&self, now: u64) -> u64 {
        let mut horizon = self.pin.horizon(now);
        if let (Some(since), false) = (self.pressed_since, self.long_done) {
            horizon = horizon.min(since.saturating_add(u64::from(self.long_press_ms)));
        }
        for at in [self.single_at, self.queued.map(|(at, _)| at)]
            .into_iter()
            .flatten()
        {
            horizon = horizon.min(at);
        }
        horizon
    }

    /// Takes one reading at `now`; returns the action it completed, if any,
    /// with the time it is dated at.
    pub fn update(
        &mut self,
        now: u64,
        pressed: bool,
        params: &ButtonParams,
    ) -> Option<(u64, Control)> {
        self.long_press_ms = params.long_press_ms;
        let long = u64::from(params.long_press_ms);
        let update = self
            .pin
            .update(now, pressed, params.debounce_ms, params.chatter_ms);
        let mut actions = heapless::Vec::<(u64, Control), 3>::new();
        if let Some(queued) = self.queued.take() {
            let _ = actions.push(queued);
        }
        match update.edge {
            Some((true, at)) => {
                self.pressed_since = Some(at);
                self.long_done = false;
                if let Some(single) = self.single_at {
                    if at.saturating_sub(single) > DOUBLE_PRESS_MS {
                        let _ = actions.push((single, Control::Agenda));
                        self.single_at = None;
                    }
                }
            }
            Some((false, at)) => {
                if let Some(since) = self.pressed_since.take() {
                    if !self.long_done {
                        if at.saturating_sub(since) >= long {
                            self.flush_single(&mut actions);
                            let _ =
                                actions.push((since.saturating_add(long), Control::ToggleSession));
                        } else if self.single_at.take().is_some() {
                            let _ = actions.push((at, Control::Decision));
                        } else {
                            self.single_at = Some(at);
                        }
                    }
                }
            }
            None => {}
        }
        if let (Some(since), false) = (self.pressed_since, self.long_done) {
            let due = since.saturating_add(long);
            if due <= self.pin.horizon(now) {
                self.long_done = true;
                self.flush_single(&mut actions);
                let _ = actions.push((due, Control::ToggleSession));
            }
        }
        // A pending short press is an agenda marker once no second press
        // can begin in time, or the second press is held too long.
        if let Some(single) = self.single_at {
            let waited_from = self.pressed_since.unwrap_or(single);
            if waited_from.saturating_add(DOUBLE_PRESS_MS) < self.pin.horizon(now) {
                self.flush_single(&mut actions);
            }
        }
        // At most two actions come out of one reading (a pending agenda
        // marker and a long press); the second waits for the next reading.
        self.queued = actions.get(1).copied();
        actions.first().copied()
    }

    /// A pending short press that a long press follows is an agenda marker.
    fn flush_single(&mut self, actions: &mut heapless::Vec<(u64, Control), 3>) {
        if let Some(single) = self.single_at.take() {
            let _ = actions.push((single, Control::Agenda));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_press_just_under_long_is_a_marker() {
        let params = ButtonParams::default();
        let mut button = FacilitatorButton::new();
        let mut actions = [None; 3000];
        for (t, slot) in actions.iter_mut().enumerate() {
            let t = t as u64;
            *slot = button.update(t, (100..1599).contains(&t), &params);
        }
        let found: heapless::Vec<_, 4> = actions.iter().flatten().copied().collect();
        assert_eq!(found.as_slice(), [(1599, Control::Agenda)]);
    }

    #[test]
    fn a_press_of_exactly_long_toggles_once_while_held() {
        let params = ButtonParams::default();
        let mut button = FacilitatorButton::new();
        let mut found: heapless::Vec<_, 4> = heapless::Vec::new();
        for t in 0..10_000u64 {
            if let Some(action) = button.update(t, (100..1600).contains(&t), &params) {
                found.push((t, action)).unwrap();
            }
        }
        // Held for exactly 1500 ms (the release reading comes at 1600).
        assert_eq!(found.as_slice(), [(1600, (1600, Control::ToggleSession))]);
    }

    #[test]
    fn a_held_button_toggles_while_held() {
        let params = ButtonParams::default();
        let mut button = FacilitatorButton::new();
        let mut found: heapless::Vec<_, 4> = heapless::Vec::new();
        for t in 0..10_000u64 {
            if let Some(action) = button.update(t, t >= 100, &params) {
                found.push((t, action)).unwrap();
            }
        }
        assert_eq!(found.as_slice(), [(1600, (1600, Control::ToggleSession))]);
    }

    /// Every action of `presses` (half-open ranges, ms), read every ms.
    fn actions(presses: &[(u64, u64)]) -> heapless::Vec<(u64, Control), 8> {
        let params = ButtonParams::default();
        let mut button = FacilitatorButton::new();
        let mut found = heapless::Vec::new();
        for t in 0..10_000u64 {
            let pressed = presses.iter().any(|&(a, b)| (a..b).contains(&t));
            if let Some(action) = button.update(t, pressed, &params) {
                found.push(action).unwrap();
            }
        }
        found
    }

    #[test]
    fn two_quick_presses_are_one_decision_dated_at_the_second_release() {
        assert_eq!(
            actions(&[(100, 300), (600, 800)]).as_slice(),
            [(800, Control::Decision)]
        );
    }

    #[test]
    fn a_second_press_too_late_or_too_long_makes_two_agenda_markers() {
        // Second press 401 ms after the first release.
        assert_eq!(
            actions(&[(100, 300), (701, 800)]).as_slice(),
            [(300, Control::Agenda), (800, Control::Agenda)]
        );
        // Second press in time, but held 401 ms.
        assert_eq!(
            actions(&[(100, 300), (500, 901)]).as_slice(),
            [(300, Control::Agenda), (901, Control::Agenda)]
        );
    }

    #[test]
    fn a_short_press_then_a_long_one_is_an_agenda_marker_and_a_toggle() {
        assert_eq!(
            actions(&[(100, 300), (500, 3000)]).as_slice(),
            [(300, Control::Agenda), (2000, Control::ToggleSession)]
        );
    }

    #[test]
    fn a_pending_press_holds_the_horizon_at_its_release() {
        let params = ButtonParams::default();
        let mut button = FacilitatorButton::new();
        for t in 0..=500u64 {
            assert_eq!(button.update(t, (100..300).contains(&t), &params), None);
        }
        // The release at 300 may still become an agenda marker or half a
        // double press: nothing later than 300 may be settled yet.
        assert_eq!(button.horizon(500), 300);
    }
}
