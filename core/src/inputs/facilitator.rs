//! The facilitator's button: a short press sets an agenda marker, a long
//! press starts or stops the session.
//!
//! The long press acts as soon as the button has been held for
//! `long_press_ms` (so the facilitator sees the device react while still
//! holding it) and is dated exactly then; releasing it afterwards does
//! nothing. A short press acts on release, dated at the release. Both are
//! debounced like seat buttons.
//!
//! ```
//! use tabletalk_core::inputs::facilitator::FacilitatorButton;
//! use tabletalk_core::params::ButtonParams;
//! use tabletalk_core::turns::edge::Control;
//!
//! let params = ButtonParams::default(); // long press: 1500 ms
//! let mut button = FacilitatorButton::new();
//! let mut seen = heapless::Vec::<(u64, Control), 4>::new();
//! for t in (0..=5000u64).step_by(10) {
//!     let pressed = (100..300).contains(&t) || (1000..3000).contains(&t);
//!     if let Some(action) = button.update(t, pressed, &params) {
//!         seen.push(action).unwrap();
//!     }
//! }
//! assert_eq!(seen, [(300, Control::Agenda), (2500, Control::ToggleSession)]);
//! ```

use crate::inputs::debounce::Debouncer;
use crate::params::ButtonParams;
use crate::turns::edge::Control;

/// The facilitator button. Times are caller milliseconds (`u64`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FacilitatorButton {
    pin: Debouncer,
    pressed_since: Option<u64>,
    long_done: bool,
    long_press_ms: u16,
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
        }
    }

    /// Whether the pin has ever been read.
    pub const fn has_readings(&self) -> bool {
        self.pin.has_readings()
    }

    /// No action earlier than this can still come out (ms), given that the
    /// next reading is taken at `now` or later.
    pub fn horizon(&self, now: u64) -> u64 {
        let horizon = self.pin.horizon(now);
        match (self.pressed_since, self.long_done) {
            (Some(since), false) => {
                horizon.min(since.saturating_add(u64::from(self.long_press_ms)))
            }
            _ => horizon,
        }
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
        let mut action = None;
        match update.edge {
            Some((true, at)) => {
                self.pressed_since = Some(at);
                self.long_done = false;
            }
            Some((false, at)) => {
                if let Some(since) = self.pressed_since.take() {
                    if !self.long_done {
                        action = if at.saturating_sub(since) >= long {
                            Some((since.saturating_add(long), Control::ToggleSession))
                        } else {
                            Some((at, Control::Agenda))
                        };
                    }
                }
            }
            None => {}
        }
        if let (Some(since), false) = (self.pressed_since, self.long_done) {
            let due = since.saturating_add(long);
            if due <= self.pin.horizon(now) {
                self.long_done = true;
                action = Some((due, Control::ToggleSession));
            }
        }
        action
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
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
}
