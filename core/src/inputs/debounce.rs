//! Debouncing one digital input, with chatter detection.
//!
//! A mechanical contact bounces for a few milliseconds when it closes or
//! opens. [`Debouncer`] accepts a new level only once the pin has *held* it
//! for `debounce_ms`, and back-dates the accepted edge to the reading where
//! that final level began, so turn times are not late by the debounce time.
//!
//! A worn or dirty contact may keep changing for much longer than any bounce
//! ("chatter"). The debouncer then keeps the last accepted level, and once
//! the pin has been unstable for `chatter_ms` it reports chatter; when the
//! pin holds a level again it reports the end of it. Work per reading is
//! constant, however fast the pin toggles.
//!
//! ```
//! use tabletalk_core::inputs::debounce::{Debouncer, DebounceUpdate};
//! let mut pin = Debouncer::new(false);
//! // A press with a bounce, read every 5 ms, 20 ms debounce.
//! for (t, raw) in [(0, false), (5, true), (10, false), (15, true), (20, true), (30, true)] {
//!     let update = pin.update(t, raw, 20, 500);
//!     if t < 35 { assert_eq!(update.edge, None); }
//! }
//! // Held since t = 15: accepted at t = 35, dated 15.
//! assert_eq!(pin.update(35, true, 20, 500).edge, Some((true, 15)));
//! assert!(pin.level());
//! ```

/// What one reading changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DebounceUpdate {
    /// A new accepted level and the time it began (ms).
    pub edge: Option<(bool, u64)>,
    /// Chatter began (`true`) or ended (`false`) at this reading.
    pub chatter: Option<bool>,
}

/// Debounce state of one pin. Times are caller milliseconds (`u64`, never
/// decreasing; see [`SessionClock`](crate::time::SessionClock)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Debouncer {
    stable: bool,
    raw: bool,
    raw_since: u64,
    unstable_since: Option<u64>,
    chattering: bool,
    last_read: Option<u64>,
}

impl Debouncer {
    /// A pin whose accepted level starts as `level`.
    pub const fn new(level: bool) -> Self {
        Debouncer {
            stable: level,
            raw: level,
            raw_since: 0,
            unstable_since: None,
            chattering: false,
            last_read: None,
        }
    }

    /// The accepted (debounced) level.
    pub const fn level(&self) -> bool {
        self.stable
    }

    /// Whether the pin is currently reported as chattering.
    pub const fn chattering(&self) -> bool {
        self.chattering
    }

    /// Whether the pin has ever been read.
    pub const fn has_readings(&self) -> bool {
        self.last_read.is_some()
    }

    /// No edge earlier than this can still be reported (ms), given that the
    /// next reading will be taken at `now` or later: the start of a pending
    /// level change, or else `now` (an edge is dated at the reading that
    /// first saw it, so an unseen change is dated no earlier than the next
    /// reading).
    pub fn horizon(&self, now: u64) -> u64 {
        if self.raw != self.stable {
            self.raw_since.min(now)
        } else {
            now.max(self.last_read.unwrap_or(0))
        }
    }

    /// Takes one reading `raw` at `now` (ms).
    pub fn update(
        &mut self,
        now: u64,
        raw: bool,
        debounce_ms: u16,
        chatter_ms: u16,
    ) -> DebounceUpdate {
        let mut update = DebounceUpdate::default();
        // Readings never go back in time; a caller bug must not either.
        let now = now.max(self.last_read.unwrap_or(0));
        self.last_read = Some(now);
        if raw != self.raw {
            self.raw = raw;
            self.raw_since = now;
            if self.unstable_since.is_none() {
                self.unstable_since = Some(now);
            }
        }
        if now.saturating_sub(self.raw_since) >= u64::from(debounce_ms) {
            if self.raw != self.stable {
                self.stable = self.raw;
                update.edge = Some((self.stable, self.raw_since));
            }
            self.unstable_since = None;
            if self.chattering {
                self.chattering = false;
                update.chatter = Some(false);
            }
        } else if let Some(since) = self.unstable_since {
            if !self.chattering && now.saturating_sub(since) >= u64::from(chatter_ms) {
                self.chattering = true;
                update.chatter = Some(true);
            }
        }
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_press_is_accepted_after_debounce_and_dated_at_its_start() {
        let mut pin = Debouncer::new(false);
        assert_eq!(pin.update(100, true, 20, 500).edge, None);
        assert_eq!(pin.update(119, true, 20, 500).edge, None);
        assert_eq!(pin.update(120, true, 20, 500).edge, Some((true, 100)));
        assert_eq!(pin.update(121, true, 20, 500).edge, None);
    }

    #[test]
    fn a_glitch_shorter_than_debounce_is_ignored() {
        let mut pin = Debouncer::new(false);
        for t in 0..10 {
            pin.update(t, t == 3 || t == 4, 20, 500);
        }
        for t in 10..100 {
            assert_eq!(pin.update(t, false, 20, 500).edge, None);
        }
        assert!(!pin.level());
    }

    #[test]
    fn release_is_debounced_too() {
        let mut pin = Debouncer::new(true);
        pin.update(0, true, 20, 500);
        pin.update(50, false, 20, 500);
        pin.update(60, true, 20, 500); // bounce back
        pin.update(61, false, 20, 500);
        assert_eq!(pin.update(80, false, 20, 500).edge, None);
        assert_eq!(pin.update(81, false, 20, 500).edge, Some((false, 61)));
    }

    #[test]
    fn zero_debounce_accepts_at_once() {
        let mut pin = Debouncer::new(false);
        assert_eq!(pin.update(7, true, 0, 500).edge, Some((true, 7)));
    }

    #[test]
    fn sparse_readings_still_date_the_edge_at_the_first_reading() {
        let mut pin = Debouncer::new(false);
        pin.update(0, true, 20, 500);
        assert_eq!(pin.update(1000, true, 20, 500).edge, Some((true, 0)));
    }

    #[test]
    fn chatter_is_reported_once_and_cleared_when_stable() {
        let mut pin = Debouncer::new(false);
        let mut began = None;
        for t in 0..600u64 {
            let update = pin.update(t, t % 10 < 5, 20, 500);
            if update.chatter == Some(true) {
                assert!(began.is_none(), "reported twice");
                began = Some(t);
            }
            assert_eq!(update.edge, None, "chatter must not make edges");
        }
        assert_eq!(began, Some(500));
        assert!(pin.chattering());
        let mut ended = None;
        for t in 600..700u64 {
            if pin.update(t, false, 20, 500).chatter == Some(false) {
                ended = Some(t);
            }
        }
        // Last raw change was at 595 (false from 595): held 20 ms at 615.
        assert_eq!(ended, Some(615));
        assert!(!pin.chattering());
    }

    #[test]
    fn horizon_waits_for_a_pending_change() {
        let mut pin = Debouncer::new(false);
        pin.update(10, false, 20, 500);
        assert_eq!(pin.horizon(15), 15);
        pin.update(12, true, 20, 500);
        pin.update(20, true, 20, 500);
        assert_eq!(pin.horizon(25), 12);
        pin.update(32, true, 20, 500);
        assert_eq!(pin.horizon(40), 40);
    }

    #[test]
    fn time_going_backwards_is_held() {
        let mut pin = Debouncer::new(false);
        pin.update(100, true, 20, 500);
        assert_eq!(pin.update(50, true, 20, 500).edge, None);
        assert_eq!(pin.update(120, true, 20, 500).edge, Some((true, 100)));
    }
}
