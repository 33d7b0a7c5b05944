//! A per-seat noise floor by minimum statistics.
//!
//! Speech is never continuous: between words and phrases a microphone's
//! level drops back to the room's noise within a few seconds. The lowest
//! frame level over a window of a few seconds is therefore a good estimate
//! of the noise floor, however long someone talks, and it follows the room:
//!
//! * when the noise falls (a fan switched off), the floor falls with the
//!   very next frame;
//! * when the noise rises (a projector switched on), the floor rises once
//!   the quieter past has left the window, at most `floor_window_ms` later;
//! * unless the new noise is *steady*: a sub-window (an eighth of the
//!   window) whose frame levels all stayed within `floor_steady_db10` of
//!   each other cannot be speech, whose level swings by far more from
//!   syllable to syllable, so the floor rises to it at once. A hum or fan
//!   that starts therefore looks like speech for at most about two
//!   sub-windows (one second at the defaults), not the whole window.
//!
//! The window is kept as 8 sub-window minima plus the running one (O(1)
//! memory, O(8) per frame). The minimum of noisy frame levels sits a little
//! below the noise's mean level (about 2 dB for 80-sample frames); the on
//! and off thresholds are measured from this floor and absorb that bias.
//!
//! ```
//! use tabletalk_core::activity::noise_floor::NoiseFloor;
//! let mut floor = NoiseFloor::new(10, 0); // sub-windows of 10 frames, no steady rule
//! for level in [-500, -520, -300, -510] {
//!     floor.update(level);
//! }
//! assert_eq!(floor.floor(), -520);
//! // The noise steps up to -400: the floor follows after ~9 sub-windows.
//! for _ in 0..100 { floor.update(-400); }
//! assert_eq!(floor.floor(), -400);
//! floor.update(-600); // and falls at once
//! assert_eq!(floor.floor(), -600);
//! ```

/// Number of past sub-windows kept.
const SUB_WINDOWS: usize = 8;

/// Minimum-statistics noise floor in dBFS × 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoiseFloor {
    past: [i16; SUB_WINDOWS],
    running: i16,
    running_max: i16,
    next: u8,
    frames: u16,
    sub_len: u16,
    steady_db10: i16,
    floor: i16,
}

impl NoiseFloor {
    /// A floor over sub-windows of `sub_len` frames each (at least 1);
    /// sub-windows whose levels spread at most `steady_db10` raise the floor
    /// at once (0: never).
    pub const fn new(sub_len: u16, steady_db10: u16) -> Self {
        NoiseFloor {
            past: [i16::MAX; SUB_WINDOWS],
            running: i16::MAX,
            running_max: i16::MIN,
            next: 0,
            frames: 0,
            sub_len: if sub_len == 0 { 1 } else { sub_len },
            steady_db10: if steady_db10 > i16::MAX as u16 {
                i16::MAX
            } else {
                steady_db10 as i16
            },
            floor: i16::MAX,
        }
    }

    /// A floor for `params` (window `floor_window_ms` at `frame_rate_hz`).
    pub fn for_params(params: &crate::params::MicParams) -> Self {
        let frames = u32::from(params.floor_window_ms) * u32::from(params.frame_rate_hz) / 1000;
        Self::new(
            (frames / SUB_WINDOWS as u32).clamp(1, u32::from(u16::MAX)) as u16,
            params.floor_steady_db10,
        )
    }

    /// Whether any frame has been seen.
    pub const fn is_ready(&self) -> bool {
        self.floor != i16::MAX
    }

    /// The current floor (`i16::MAX` before the first frame).
    pub const fn floor(&self) -> i16 {
        self.floor
    }

    /// Takes one frame's level; returns the updated floor.
    pub fn update(&mut self, level: i16) -> i16 {
        self.running = self.running.min(level);
        self.running_max = self.running_max.max(level);
        self.frames = self.frames.saturating_add(1);
        if self.frames >= self.sub_len {
            let spread = i32::from(self.running_max) - i32::from(self.running);
            if self.steady_db10 > 0 && spread <= i32::from(self.steady_db10) {
                // Steady noise: nothing older and quieter may hold the floor
                // down any longer.
                for slot in self.past.iter_mut() {
                    *slot = (*slot).max(self.running);
                }
            }
            if let Some(slot) = self.past.get_mut(usize::from(self.next)) {
                *slot = self.running;
            }
            self.next = (self.next + 1) % SUB_WINDOWS as u8;
            self.running = i16::MAX;
            self.running_max = i16::MIN;
            self.frames = 0;
        }
        let past = self.past.iter().copied().min().unwrap_or(i16::MAX);
        self.floor = past.min(self.running).min(level);
        self.floor
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
    fn steady_speech_over_quiet_noise_keeps_the_floor_at_the_noise() {
        let mut floor = NoiseFloor::new(50, 60);
        // 20 s of syllables: 150 ms at -200, 100 ms at -550 (noise), repeated.
        for i in 0..2000 {
            let level = if i % 25 < 15 { -200 } else { -550 };
            floor.update(level);
            if i > 25 {
                assert_eq!(floor.floor(), -550);
            }
        }
    }

    #[test]
    fn a_step_up_is_followed_within_the_window() {
        let mut floor = NoiseFloor::new(50, 0); // 8 x 50 frames
        for _ in 0..1000 {
            floor.update(-600);
        }
        let mut caught_up = None;
        for i in 0..1000 {
            if floor.update(-400) == -400 && caught_up.is_none() {
                caught_up = Some(i);
            }
        }
        let frames = caught_up.unwrap_or(usize::MAX);
        assert!((390..=450).contains(&frames), "caught up after {frames}");
    }

    #[test]
    fn a_steady_step_up_is_followed_within_two_sub_windows() {
        let mut floor = NoiseFloor::new(50, 60);
        for i in 0..1000 {
            floor.update(-600 + (i % 7) as i16 * 5); // steady, 3 dB spread
        }
        assert_eq!(floor.floor(), -600);
        let mut caught_up = None;
        for i in 0..1000 {
            // A fan: 20 dB louder, 3 dB spread.
            if floor.update(-400 + (i % 7) as i16 * 5) >= -400 && caught_up.is_none() {
                caught_up = Some(i);
            }
        }
        let frames = caught_up.unwrap_or(usize::MAX);
        assert!(frames < 100, "caught up after {frames}");
    }

    #[test]
    fn syllables_never_count_as_steady() {
        let mut floor = NoiseFloor::new(50, 60);
        for _ in 0..500 {
            floor.update(-600);
        }
        // 20 s of speech whose frames swing 15 dB within every sub-window,
        // never dropping to the noise.
        for i in 0..2000 {
            let level = if i % 20 < 12 { -250 } else { -400 };
            floor.update(level);
        }
        // The window forgot the noise, but the floor sits at the dips, not
        // at the speech.
        assert_eq!(floor.floor(), -400);
    }
}
