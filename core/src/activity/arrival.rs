//! Arrival order: which of two microphones a sound reached first.
//!
//! In a reverberant room a leaked voice is nearly as loud at every
//! microphone as at the talker's own (the reverberant field is the same
//! everywhere, and at 30–60 cm the direct sound stands only a few dB above
//! it), so levels alone cannot tell a talker from a neighbour who hears
//! them. The direct sound still reaches the talker's own microphone first:
//! a neighbour's microphone is at least ~30 cm further away, about 1 ms at
//! the speed of sound. The lag at which the two microphones' signals
//! correlate best says which one is nearer the sound.
//!
//! [`Trail`] keeps each microphone's last [`WINDOW`] samples after the
//! speech-band filter, halved to 4 kHz (two samples averaged) and
//! pre-whitened by a first difference (speech is loud at low frequencies;
//! the difference flattens its spectrum, which sharpens the correlation
//! peak, the idea of GCC-PHAT without a Fourier transform). [`order`]
//! correlates two trails at every lag up to a maximum and compares the best
//! lag on each side: a coherent, clear winner on one side says which microphone the
//! sound reached first.
//!
//! ## Cost
//!
//! Per sample, when enabled: an add and, every second sample, a subtract and
//! a store. Per compared pair and frame: `(2·lag + 1)·(WINDOW − 2·lag)`
//! multiply-adds (25 × 104 at ±3 ms); the level path compares each seat
//! that speaks with the loudest only, at most `SEATS − 1` pairs a frame.
//!
//! ```
//! use tabletalk_core::activity::arrival::{order, Order, Trail};
//!
//! // One sound, reaching microphone a 3 samples (at 4 kHz) before b.
//! let (mut a, mut b) = (Trail::new(), Trail::new());
//! let mut noise = 1u32;
//! let mut late = [0i32; 3];
//! for _ in 0..2 * 160 {
//!     noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12_345);
//!     let x = (noise >> 20) as i32 - 2048;
//!     // Each pushed value is two 8 kHz samples' worth; keep it simple.
//!     a.push_pair(x, x);
//!     b.push_pair(late[0], late[0]);
//!     late = [late[1], late[2], x];
//! }
//! assert_eq!(order(&a, &b, 12, 300, 300), Order::First);
//! assert_eq!(order(&b, &a, 12, 300, 300), Order::Second);
//! ```

/// Samples kept per microphone at 4 kHz (32 ms).
pub const WINDOW: usize = 128;

/// The largest lag [`order`] looks at (samples at 4 kHz).
pub const MAX_LAG: usize = 24;

/// Which of two microphones a sound reached first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Order {
    /// The first microphone, clearly.
    First,
    /// The second microphone, clearly.
    Second,
    /// Neither clearly (silence, a sound from the middle, or two sounds).
    Unclear,
}

/// The last [`WINDOW`] pre-whitened samples of one microphone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Trail {
    samples: [i16; WINDOW],
    /// Where the next sample goes (the oldest one is there).
    next: usize,
    previous: i32,
}

impl Default for Trail {
    fn default() -> Self {
        Self::new()
    }
}

impl Trail {
    /// An empty (silent) trail.
    pub const fn new() -> Self {
        Trail {
            samples: [0; WINDOW],
            next: 0,
            previous: 0,
        }
    }

    /// Adds two consecutive filtered 8 kHz samples (any fixed scale; the
    /// sum is kept within `i16`).
    #[inline]
    pub fn push_pair(&mut self, a: i32, b: i32) {
        let sum = (a + b).clamp(-16_384, 16_383);
        let difference = (sum - self.previous) as i16;
        self.previous = sum;
        if let Some(slot) = self.samples.get_mut(self.next) {
            *slot = difference;
        }
        self.next = (self.next + 1) % WINDOW;
    }

    /// The samples oldest first.
    fn linear(&self) -> [i16; WINDOW] {
        core::array::from_fn(|i| {
            self.samples
                .get((self.next + i) % WINDOW)
                .copied()
                .unwrap_or(0)
        })
    }
}

/// Which of `a` and `b` the sound of their common last [`WINDOW`] samples
/// reached first, looking at lags up to `max_lag` samples (at most
/// [`MAX_LAG`]). One side's best correlation must exceed the other side's
/// by `margin_per_mille`, and reach `coherence_per_mille` of the two
/// windows' energies (a normalised correlation), to count; lag 0 counts
/// for neither.
pub fn order(
    a: &Trail,
    b: &Trail,
    max_lag: usize,
    margin_per_mille: u16,
    coherence_per_mille: u16,
) -> Order {
    let lag = max_lag.clamp(1, MAX_LAG);
    let (a, b) = (a.linear(), b.linear());
    let span = WINDOW - 2 * lag;
    let Some(centre) = a.get(lag..lag + span) else {
        return Order::Unclear;
    };
    // b delayed by `d` (sound at a first) correlates a[n] with b[n + d].
    let mut a_first = i64::MIN;
    let mut b_first = i64::MIN;
    for shift in 0..=2 * lag {
        let Some(other) = b.get(shift..shift + span) else {
            continue;
        };
        let r: i64 = centre
            .iter()
            .zip(other)
            .map(|(&x, &y)| i64::from(i32::from(x) * i32::from(y)))
            .sum();
        match shift.cmp(&lag) {
            core::cmp::Ordering::Greater => a_first = a_first.max(r),
            core::cmp::Ordering::Less => b_first = b_first.max(r),
            core::cmp::Ordering::Equal => {}
        }
    }
    let energy = |x: &[i16]| -> i64 {
        x.iter()
            .map(|&v| i64::from(i32::from(v) * i32::from(v)))
            .sum()
    };
    let b_centre = b.get(lag..lag + span).unwrap_or(&[]);
    let energies = i128::from(energy(centre)) * i128::from(energy(b_centre));
    let coherence = i128::from(coherence_per_mille);
    let margin = 1000 + i64::from(margin_per_mille);
    // Coherent (r / √(Ea·Eb) at least the threshold) and clearly above the
    // other side.
    let clearly = |win: i64, lose: i64| {
        win > 0
            && i128::from(win) * i128::from(win) * 1_000_000 >= coherence * coherence * energies
            && win.saturating_mul(1000) > lose.saturating_mul(margin)
    };
    if clearly(a_first, b_first) {
        Order::First
    } else if clearly(b_first, a_first) {
        Order::Second
    } else {
        Order::Unclear
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn noise(seed: &mut u32) -> i32 {
        *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (*seed >> 20) as i32 - 2048
    }

    #[test]
    fn a_delayed_copy_is_second_and_its_echoes_do_not_turn_it() {
        let (mut a, mut b) = (Trail::new(), Trail::new());
        let mut seed = 7;
        let mut history = [0i32; 40];
        for _ in 0..400 {
            let x = noise(&mut seed);
            history.rotate_right(1);
            history[0] = x;
            // a: direct at once plus a reflection 30 samples later; b: the
            // direct sound 4 samples late and quieter, and the same
            // reflection (the reverberant field is shared).
            a.push_pair(x + history[30] / 2, 0);
            b.push_pair(history[4] * 2 / 3 + history[30] / 2, 0);
        }
        assert_eq!(order(&a, &b, 12, 300, 300), Order::First);
        assert_eq!(order(&b, &a, 12, 300, 300), Order::Second);
    }

    #[test]
    fn silence_and_unrelated_sounds_are_unclear() {
        let (a, b) = (Trail::new(), Trail::new());
        assert_eq!(order(&a, &b, 12, 300, 300), Order::Unclear);
        let (mut a, mut b) = (Trail::new(), Trail::new());
        let (mut s1, mut s2) = (1, 99);
        let mut clear = 0;
        for round in 0..50 {
            for _ in 0..40 {
                a.push_pair(noise(&mut s1), 0);
                b.push_pair(noise(&mut s2), 0);
            }
            if round > 3 && order(&a, &b, 12, 300, 300) != Order::Unclear {
                clear += 1;
            }
        }
        assert!(clear <= 10, "{clear} of 46 unrelated windows had an order");
    }

    #[test]
    fn extreme_samples_do_not_overflow() {
        let (mut a, mut b) = (Trail::new(), Trail::new());
        for i in 0..300 {
            let x = if i % 2 == 0 {
                i32::MAX / 4
            } else {
                i32::MIN / 4
            };
            a.push_pair(x, x);
            b.push_pair(-x, x);
        }
        let _ = order(&a, &b, MAX_LAG, 0, 0);
        let _ = order(&a, &b, usize::MAX, u16::MAX, u16::MAX);
    }
}
