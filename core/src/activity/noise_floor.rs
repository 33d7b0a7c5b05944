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
//! * unless the new noise is *steady*: half a second of frames whose levels
//!   all stayed within `floor_steady_db10` of each other cannot be speech,
//!   whose level swings by far more from syllable to syllable, so the floor
//!   rises to it at once. A hum or fan that starts therefore looks like
//!   speech for about a second, not the whole window.
//!
//! The window is long (12 s by default) because during a lively discussion
//! every microphone hears someone most of the time: a short window would
//! let the floor creep up to the quietest syllables of the conversation,
//! and levels above the floor would stop saying who speaks.
//!
//! Even a long window creeps when talk never stops. The floor therefore also
//! keeps a **reference**: the lowest floor seen, which rises by only 0.1 dB
//! per second (and jumps to steady noise at once). A floor more than
//! [`TRUST_DB10`] above its reference has crept up to speech and is not
//! [`trusted`](NoiseFloor::trusted); crosstalk learning ignores such frames.
//! Detection itself does not need trusted floors.
//!
//! The window is kept as 8 sub-window minima plus the running one (O(1)
//! memory, O(8) per frame). The minimum of noisy frame levels sits a little
//! below the noise's mean level (about 2 dB for 80-sample frames); the on
//! and off thresholds are measured from this floor and absorb that bias.
//!
//! ```
//! use tabletalk_core::activity::noise_floor::NoiseFloor;
//! let mut floor = NoiseFloor::new(10, 0, 0); // sub-windows of 10 frames, no steady rule
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

/// How far above its reference a floor may be and still be trusted as the
/// room's noise (dB × 10).
pub const TRUST_DB10: i16 = 60;

/// Minimum-statistics noise floor in dBFS × 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NoiseFloor {
    past: [i16; SUB_WINDOWS],
    running: i16,
    next: u8,
    frames: u16,
    sub_len: u16,
    steady_db10: i16,
    steady_len: u16,
    steady_frames: u16,
    steady_min: i16,
    steady_max: i16,
    floor: i16,
    reference: i16,
    reference_frames: u16,
}

impl NoiseFloor {
    /// A floor over 8 sub-windows of `sub_len` frames each (at least 1);
    /// blocks of `steady_len` frames whose levels spread at most
    /// `steady_db10` raise the floor at once (`steady_db10 == 0`: never).
    pub const fn new(sub_len: u16, steady_len: u16, steady_db10: u16) -> Self {
        NoiseFloor {
            past: [i16::MAX; SUB_WINDOWS],
            running: i16::MAX,
            next: 0,
            frames: 0,
            sub_len: if sub_len == 0 { 1 } else { sub_len },
            steady_db10: if steady_db10 > i16::MAX as u16 {
                i16::MAX
            } else {
                steady_db10 as i16
            },
            steady_len: if steady_len == 0 { 1 } else { steady_len },
            steady_frames: 0,
            steady_min: i16::MAX,
            steady_max: i16::MIN,
            floor: i16::MAX,
            reference: i16::MAX,
            reference_frames: 0,
        }
    }

    /// A floor for `params`: window `floor_window_ms`, steady blocks of
    /// half a second, at `frame_rate_hz`.
    pub fn for_params(params: &crate::params::MicParams) -> Self {
        let rate = u32::from(params.frame_rate_hz);
        let frames = u32::from(params.floor_window_ms) * rate / 1000;
        Self::new(
            (frames / SUB_WINDOWS as u32).clamp(1, u32::from(u16::MAX)) as u16,
            (rate / 2).clamp(1, u32::from(u16::MAX)) as u16,
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

    /// The reference: the lowest floor, rising 0.1 dB per `steady_len × 2`
    /// frames (per second at the defaults).
    pub const fn reference(&self) -> i16 {
        self.reference
    }

    /// Whether the floor is within [`TRUST_DB10`] of its reference, i.e.
    /// still measures the room rather than speech.
    pub const fn trusted(&self) -> bool {
        self.floor as i32 <= self.reference as i32 + TRUST_DB10 as i32
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
        self.steady_min = self.steady_min.min(level);
        self.steady_max = self.steady_max.max(level);
        self.steady_frames = self.steady_frames.saturating_add(1);
        if self.steady_frames >= self.steady_len {
            let spread = i32::from(self.steady_max) - i32::from(self.steady_min);
            if self.steady_db10 > 0 && spread <= i32::from(self.steady_db10) {
                // Steady noise: nothing older and quieter may hold the floor
                // down any longer.
                let steady = self.steady_min;
                for slot in self.past.iter_mut() {
                    *slot = (*slot).max(steady);
                }
                self.running = self.running.max(steady);
                self.reference = self.reference.max(steady);
            }
            self.steady_frames = 0;
            self.steady_min = i16::MAX;
            self.steady_max = i16::MIN;
        }
        let past = self.past.iter().copied().min().unwrap_or(i16::MAX);
        self.floor = past.min(self.running).min(level);
        self.reference_frames = self.reference_frames.saturating_add(1);
        if self.floor <= self.reference {
            self.reference = self.floor;
            self.reference_frames = 0;
        } else if self.reference_frames >= self.steady_len.saturating_mul(2) {
            self.reference = self.reference.saturating_add(1);
            self.reference_frames = 0;
        }
        self.floor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_speech_over_quiet_noise_keeps_the_floor_at_the_noise() {
        let mut floor = NoiseFloor::new(50, 50, 60);
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
        let mut floor = NoiseFloor::new(50, 50, 0); // 8 x 50 frames
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
        let mut floor = NoiseFloor::new(150, 50, 60);
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
        let mut floor = NoiseFloor::new(50, 50, 60);
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
        // at the speech, and is known to have crept.
        assert_eq!(floor.floor(), -400);
        assert!(!floor.trusted());
    }

    #[test]
    fn the_reference_rises_slowly_and_jumps_to_steady_noise() {
        let mut floor = NoiseFloor::new(50, 50, 60);
        for _ in 0..500 {
            floor.update(-600);
        }
        assert_eq!(floor.reference(), -600);
        assert!(floor.trusted());
        // Speech-like swings 25 to 40 dB above the old noise for 100 s.
        for i in 0..10_000 {
            floor.update(if i % 20 < 12 { -200 } else { -350 });
        }
        assert_eq!(floor.floor(), -350);
        // 0.1 dB per 100 frames: about 10 dB after 10 000 frames.
        assert!(
            (-510..=-495).contains(&floor.reference()),
            "{}",
            floor.reference()
        );
        assert!(!floor.trusted());
        // Steady noise at -380 is trusted at once.
        for _ in 0..100 {
            floor.update(-380);
        }
        assert!(floor.trusted(), "{} {}", floor.floor(), floor.reference());
    }
}
