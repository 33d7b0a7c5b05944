//! The device's wall clock: the laptop sends Unix milliseconds, the device
//! pairs them with its own millisecond counter and counts on from there.

use crate::time::{Instant, SessionClock};

/// Unix time derived from the device counter and the last time the laptop
/// set the clock.
///
/// The counter is followed with a [`SessionClock`], so it may wrap (every
/// 49.7 days) as long as the clock is read at least every 24 days; a reading
/// that lies before the previous one holds the clock still instead of
/// jumping back.
///
/// ```
/// use tabletalk_core::protocol::WallClock;
/// use tabletalk_core::time::Instant;
/// let mut clock = WallClock::new();
/// assert_eq!(clock.unix_ms(Instant(5)), None);
/// clock.set(1_700_000_000_000, Instant(u32::MAX - 99));
/// assert_eq!(clock.unix_ms(Instant(100)), Some(1_700_000_000_200)); // across the wrap
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WallClock {
    synced: Option<(u64, SessionClock)>,
}

impl WallClock {
    /// A clock that was never set.
    pub const fn new() -> Self {
        WallClock { synced: None }
    }

    /// Sets the clock: `unix_ms` is the time at counter reading `now`.
    /// Returns what the clock said at `now` before (the drift is the
    /// difference), if it was set.
    pub fn set(&mut self, unix_ms: u64, now: Instant) -> Option<u64> {
        let before = self.unix_ms(now);
        self.synced = Some((unix_ms, SessionClock::new(now)));
        before
    }

    /// Unix milliseconds at counter reading `now`, if the clock was set.
    pub fn unix_ms(&mut self, now: Instant) -> Option<u64> {
        let (base, clock) = self.synced.as_mut()?;
        Some(base.saturating_add(clock.observe(now)))
    }

    /// Whether the clock was set since power-up.
    pub const fn is_set(&self) -> bool {
        self.synced.is_some()
    }
}
