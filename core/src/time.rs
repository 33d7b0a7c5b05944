//! Time as the core sees it: a free-running `u32` millisecond counter that
//! the caller reads from its own clock, and session-relative `u64`
//! milliseconds derived from it.
//!
//! The device counter wraps after 2^32 ms (49.7 days). Nothing in the core
//! compares raw counter values directly: [`SessionClock`] accumulates
//! wrapping differences into a `u64`, so a session may straddle the wrap and
//! last longer than a day without any figure jumping.

use serde::{Deserialize, Serialize};

/// One reading of the caller's monotonic millisecond counter. Wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(pub u32);

impl Instant {
    /// Milliseconds from `earlier` to `self`, assuming less than 2^31 ms
    /// passed (wrap-safe).
    ///
    /// ```
    /// use tabletalk_core::time::Instant;
    /// assert_eq!(Instant(5).wrapping_since(Instant(u32::MAX - 4)), 10);
    /// ```
    pub const fn wrapping_since(self, earlier: Instant) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }
}

/// Milliseconds since the start of a session. `u64`: never wraps in practice.
pub type SessionMs = u64;

/// Turns raw [`Instant`] readings into [`SessionMs`].
///
/// A reading that lies *before* the previous one (a difference of 2^31 ms or
/// more, which a monotonic counter polled at least every 24 days cannot
/// produce) is treated as a caller error and does not move time backwards:
/// the clock holds still until readings pass the last one again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionClock {
    last: Instant,
    elapsed: SessionMs,
}

impl SessionClock {
    /// A clock whose session starts at `start`.
    pub const fn new(start: Instant) -> Self {
        SessionClock {
            last: start,
            elapsed: 0,
        }
    }

    /// Session time at `now`; never decreases.
    ///
    /// ```
    /// use tabletalk_core::time::{Instant, SessionClock};
    /// let mut clock = SessionClock::new(Instant(u32::MAX - 9));
    /// assert_eq!(clock.observe(Instant(u32::MAX)), 9);
    /// assert_eq!(clock.observe(Instant(20)), 30); // straddles the wrap
    /// assert_eq!(clock.observe(Instant(10)), 30); // backwards: held
    /// ```
    pub fn observe(&mut self, now: Instant) -> SessionMs {
        let delta = now.wrapping_since(self.last);
        if delta < 1 << 31 {
            self.elapsed = self.elapsed.saturating_add(u64::from(delta));
            self.last = now;
        }
        self.elapsed
    }

    /// Session time at the last accepted reading.
    pub const fn elapsed(&self) -> SessionMs {
        self.elapsed
    }
}
