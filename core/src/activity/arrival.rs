//! Arrival order: which of two microphones a sound reached first, and the
//! evidence of it accumulated over a seat's speech.
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
//! speech-band filter, halved to 4 kHz (two samples added) and
//! pre-whitened by a first difference (speech is loud at low frequencies;
//! the difference flattens its spectrum, which sharpens the correlation
//! peak, the idea of GCC-PHAT without a Fourier transform). [`order`]
//! correlates two trails at every lag up to a maximum and compares the best
//! lag on each side: a coherent, clear winner on one side says which
//! microphone the sound reached first.
//!
//! One 32 ms window is weak evidence: a strong reflection, or two people
//! talking, can point the wrong way, and two unrelated sounds correlate by
//! chance at one of the 2·lag + 1 lags. [`Votes`] therefore adds the
//! frames' verdicts up per seat, and lets them fade when no more come: a
//! seat counts as hearing another while its sound has recently reached it
//! second more often than first, so a stretch of speech, not one frame,
//! decides whose it is, and a change of talker turns the verdict within a
//! bounded number of frames.
//!
//! ## Cost
//!
//! Per sample, when enabled: an add and, every second sample, a subtract,
//! a clamp and a store. Per compared pair and frame:
//! `(2·lag + 1)·(WINDOW − 2·lag)` 32-bit multiply-adds (25 × 104 at
//! ±3 ms). The level path compares only seats whose levels leave them
//! speaking, each with the seat furthest above its floor: in a meeting,
//! one pair in most frames, none in silence.
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
//!     let x = (noise >> 22) as i32 - 512;
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

/// The largest pre-whitened sample a trail keeps (ADC steps): products of
/// two stay below 2²⁴, and a window's sums of them within `i32`.
pub const TRAIL_MAX: i32 = 4095;

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

    /// Adds two consecutive filtered 8 kHz samples (ADC steps).
    #[inline]
    pub fn push_pair(&mut self, a: i32, b: i32) {
        let sum = a.saturating_add(b).clamp(-(1 << 20), 1 << 20);
        let difference = (sum - self.previous).clamp(-TRAIL_MAX, TRAIL_MAX) as i16;
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

/// Σ x·y in 32 bits (the trails' bound keeps it from overflowing).
#[inline]
fn dot(x: &[i16], y: &[i16]) -> i32 {
    x.iter().zip(y).fold(0i32, |acc, (&a, &b)| {
        acc.wrapping_add(i32::from(a) * i32::from(b))
    })
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
    order_linear(
        &a.linear(),
        &b.linear(),
        max_lag,
        margin_per_mille,
        coherence_per_mille,
    )
    .0
}

/// [`order`] on trails already laid out oldest first.
fn order_linear(
    a: &[i16; WINDOW],
    b: &[i16; WINDOW],
    max_lag: usize,
    margin_per_mille: u16,
    coherence_per_mille: u16,
) -> (Order, usize) {
    let lag = max_lag.clamp(1, MAX_LAG);
    let span = WINDOW - 2 * lag;
    let (Some(centre), Some(b_centre)) = (a.get(lag..lag + span), b.get(lag..lag + span)) else {
        return (Order::Unclear, 0);
    };
    // b delayed by `d` (sound at a first) correlates a[n] with b[n + d].
    let (mut a_first, mut a_shift) = (i32::MIN, 0);
    let (mut b_first, mut b_shift) = (i32::MIN, 0);
    for shift in 0..=2 * lag {
        let Some(other) = b.get(shift..shift + span) else {
            continue;
        };
        let r = dot(centre, other);
        match shift.cmp(&lag) {
            core::cmp::Ordering::Greater if r > a_first => (a_first, a_shift) = (r, shift),
            core::cmp::Ordering::Less if r > b_first => (b_first, b_shift) = (r, shift),
            _ => {}
        }
    }
    let energies = i128::from(dot(centre, centre)) * i128::from(dot(b_centre, b_centre));
    let coherence = i128::from(coherence_per_mille);
    let margin = 1000 + i64::from(margin_per_mille);
    // Coherent (r / √(Ea·Eb) at least the threshold) and clearly above the
    // other side.
    let clearly = |win: i32, lose: i32| {
        let (win, lose) = (i64::from(win), i64::from(lose));
        win > 0
            && i128::from(win) * i128::from(win) * 1_000_000 >= coherence * coherence * energies
            && win * 1000 > lose * margin
    };
    if clearly(a_first, b_first) {
        (Order::First, a_shift)
    } else if clearly(b_first, a_first) {
        (Order::Second, b_shift)
    } else {
        (Order::Unclear, 0)
    }
}

/// Per-seat arrival evidence, added up over the seats' speech.
///
/// Each frame with a clear order moves the two seats' tallies by
/// [`VOTE`]: up for the seat whose microphone the sound reached first,
/// down for the other, within ±`VOTE · max`. Every frame without a vote
/// brings a tally one step back toward zero, so evidence lasts as long as
/// it keeps coming (a lone vote [`VOTE`] frames, a run of them up to
/// `VOTE · max`), and a chance correlation between two unrelated sounds
/// does not stay. Only a frame that agrees with the seat's previous clear
/// frame (same other seat, same lag within a sample) votes: two unrelated
/// sounds correlate clearly by chance in a few frames in a hundred, at one
/// of the 2·lag lags, twice at the same lag hardly ever. A seat whose
/// tally is below zero is hearing another seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Votes<const SEATS: usize> {
    tally: [i16; SEATS],
    voted: [bool; SEATS],
    /// Per seat, its last clear frame: the other seat, the winning shift,
    /// and the frames since.
    last: [Option<(u8, u8, u8)>; SEATS],
    frames: u8,
}

/// A tally without votes steps back toward zero once per this many frames.
pub const FADE_FRAMES: u8 = 4;

/// What one clear frame adds to or takes from a tally.
pub const VOTE: i16 = 4;

impl<const SEATS: usize> Default for Votes<SEATS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SEATS: usize> Votes<SEATS> {
    /// No evidence yet.
    pub const fn new() -> Self {
        Votes {
            tally: [0; SEATS],
            voted: [false; SEATS],
            last: [None; SEATS],
            frames: 0,
        }
    }

    /// Seat `seat`'s tally (positive: its own sound).
    pub fn tally(&self, seat: usize) -> i16 {
        self.tally.get(seat).copied().unwrap_or(0)
    }

    /// Counts one frame's order between `seat` and `other` (`First`:
    /// the sound reached `seat`'s microphone first), found at `shift`.
    /// It votes only when the seat's previous clear frame, at most
    /// [`VOTE`] frames ago, was with the same seat at a shift at most one
    /// sample away: a sound's path is the same from one frame to the next,
    /// a chance correlation's lag is not.
    pub fn count(&mut self, seat: usize, other: usize, order: (Order, usize), max: u8) {
        let (order, shift) = order;
        let (first, second) = match order {
            Order::First => (seat, other),
            Order::Second => (other, seat),
            Order::Unclear => return,
        };
        let here = (other.min(255) as u8, shift.min(255) as u8);
        let Some(last) = self.last.get_mut(seat) else {
            return;
        };
        let consistent = last.is_some_and(|(o, s, age)| {
            o == here.0 && s.abs_diff(here.1) <= 1 && age <= 2 * FADE_FRAMES
        });
        *last = Some((here.0, here.1, 0));
        if !consistent {
            return;
        }
        let bound = VOTE * i16::from(max.max(1));
        for (k, step) in [(first, VOTE), (second, -VOTE)] {
            if let (Some(t), Some(v)) = (self.tally.get_mut(k), self.voted.get_mut(k)) {
                *t = t.saturating_add(step).clamp(-bound, bound);
                *v = true;
            }
        }
    }

    /// Ends a frame: every tally that got no vote in it steps back toward
    /// zero.
    pub fn end_frame(&mut self) {
        self.frames = self.frames.wrapping_add(1);
        for l in self.last.iter_mut().flatten() {
            l.2 = l.2.saturating_add(1);
        }
        for (t, v) in self.tally.iter_mut().zip(self.voted.iter_mut()) {
            if !*v && self.frames % FADE_FRAMES == 0 {
                *t -= t.signum();
            }
            *v = false;
        }
    }

    /// Whether `seat` is, on the evidence so far, hearing another seat.
    pub fn hearing_another(&self, seat: usize) -> bool {
        self.tally(seat) < 0
    }
}

/// The arrival orders of one round: each seat in `candidates` against
/// `top`, counted into `votes`. `trail(i)` is seat `i`'s trail.
pub fn count_round<'t, const SEATS: usize>(
    votes: &mut Votes<SEATS>,
    top: usize,
    candidates: &[bool; SEATS],
    trail: impl Fn(usize) -> Option<&'t Trail>,
    settings: &Settings,
) {
    let Some(top_trail) = trail(top).map(Trail::linear) else {
        return;
    };
    for (i, _) in candidates
        .iter()
        .enumerate()
        .filter(|&(i, &c)| c && i != top)
    {
        let Some(own) = trail(i) else {
            continue;
        };
        let o = order_linear(
            &own.linear(),
            &top_trail,
            settings.lag,
            settings.margin_per_mille,
            settings.coherence_per_mille,
        );
        votes.count(i, top, o, settings.votes_max);
    }
}

/// The arrival parameters in the units [`order`] and [`Votes`] take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Settings {
    /// Largest lag (samples at 4 kHz); `0`: arrival order is off.
    pub lag: usize,
    /// See [`order`].
    pub margin_per_mille: u16,
    /// See [`order`].
    pub coherence_per_mille: u16,
    /// Bound of each seat's tally.
    pub votes_max: u8,
}

impl Settings {
    /// From the microphone parameters: off unless `arrival_lag_us` and the
    /// high-pass are set.
    pub fn of(params: &crate::params::MicParams) -> Self {
        let lag = if params.highpass_hz == 0 {
            0
        } else {
            // Trails run at half the sample rate.
            (u64::from(params.arrival_lag_us) * u64::from(params.sample_rate_hz) / 2_000_000)
                .min(MAX_LAG as u64) as usize
        };
        Settings {
            lag,
            margin_per_mille: params.arrival_margin_per_mille,
            coherence_per_mille: params.arrival_coherence_per_mille,
            votes_max: params.arrival_votes_max,
        }
    }

    /// Whether arrival order is on.
    pub const fn on(&self) -> bool {
        self.lag > 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn noise(seed: &mut u32) -> i32 {
        *seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (*seed >> 22) as i32 - 512
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
        // The worst window: every sample at the bound, at every lag.
        let full = [TRAIL_MAX as i16; WINDOW];
        assert_eq!(dot(&full, &full), TRAIL_MAX * TRAIL_MAX * WINDOW as i32);
    }

    #[test]
    fn votes_follow_the_recent_majority_and_fade() {
        let mut v = Votes::<3>::new();
        // Seat 1 hears seat 0 (at shift 5) in 6 frames of 8; seat 2 gets
        // nothing.
        for o in [
            Order::Second,
            Order::Second,
            Order::Second,
            Order::First,
            Order::Second,
            Order::Unclear,
            Order::Second,
            Order::Second,
        ] {
            v.count(1, 0, (o, 5), 3);
            v.end_frame();
        }
        assert!(v.hearing_another(1));
        assert!(!v.hearing_another(0));
        assert!(!v.hearing_another(2));
        // Without further evidence it fades, within a bounded time.
        let bound = 3 * VOTE * i16::from(FADE_FRAMES) + i16::from(FADE_FRAMES);
        for _ in 0..bound {
            v.end_frame();
        }
        assert_eq!((v.tally(0), v.tally(1)), (0, 0));
        // Clear frames at changing lags (chance) never vote.
        for shift in [3, 9, 1, 14, 6, 11] {
            v.count(1, 0, (Order::Second, shift), 3);
            v.end_frame();
            assert_eq!(v.tally(1), 0);
        }
        // The same lag twice does, and lasts at least VOTE frames, at most
        // VOTE fades.
        v.count(1, 0, (Order::Second, 11), 3);
        assert!(v.hearing_another(1));
        for _ in 0..VOTE {
            v.end_frame();
            assert!(v.hearing_another(1));
        }
        for _ in 0..VOTE * i16::from(FADE_FRAMES) {
            v.end_frame();
        }
        assert!(!v.hearing_another(1));
    }
}
