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
//!   the quieter past has left the window, at most `floor_window_ms` later.
//!   Until then the new noise may look like speech to this seat; the minimum
//!   turn, the crosstalk test and the floor catching up bound the damage.
//!
//! The window is kept as 8 sub-window minima plus the running one (O(1)
//! memory, O(8) per frame). The minimum of noisy frame levels sits a little
//! below the noise's mean level (about 2 dB for 80-sample frames); the on
//! and off thresholds are measured from this floor and absorb that bias.
//!
//! ```
//! use tabletalk_core::activity::noise_floor::NoiseFloor;
//! let mut floor = NoiseFloor::new(10); // sub-windows of 10 frames
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
    next: u8,
    frames: u16,
    sub_len: u16,
    floor: i16,
}

impl NoiseFloor {
    /// A floor over windows of `sub_len` frames each (at least 1).
    pub const fn new(sub_len: u16) -> Self {
        NoiseFloor {
            past: [i16::MAX; SUB_WINDOWS],
            running: i16::MAX,
            next: 0,
            frames: 0,
            sub_len: if sub_len == 0 { 1 } else { sub_len },
            floor: i16::MAX,
        }
    }

    /// A floor for `params` (window `floor_window_ms` at `frame_rate_hz`).
    pub fn for_params(params: &crate::params::MicParams) -> Self {
        let frames = u32::from(params.floor_window_ms) * u32::from(params.frame_rate_hz) / 1000;
        Self::new((frames / SUB_WINDOWS as u32).clamp(1, u32::from(u16::MAX)) as u16)
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
        self.frames = self.frames.saturating_add(1);
        if self.frames >= self.sub_len {
            if let Some(slot) = self.past.get_mut(usize::from(self.next)) {
                *slot = self.running;
            }
            self.next = (self.next + 1) % SUB_WINDOWS as u8;
            self.running = i16::MAX;
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
        let mut floor = NoiseFloor::new(50);
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
        let mut floor = NoiseFloor::new(50); // 8 x 50 frames
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
}
