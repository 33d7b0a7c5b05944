//! Leak modes: two microphones' level difference settles where one of the
//! two people speaks, and that tells both couplings of a close pair.
//!
//! [`Crosstalk`] learns a coupling `c[i][j]` from frames where seat `j`
//! clearly dominates: furthest above its own noise floor, and by a gap.
//! That works for far seats, whose leaks are many dB down. It fails for
//! a *close* pair whose microphones pick up the room noise differently: if
//! `i`'s microphone has more gain and sits a few dB from `j`'s mouth, `j`'s
//! voice stands about as far above `i`'s floor as above `j`'s own, neither
//! seat dominates, and nothing is learned. Worse, with the initial
//! coupling `i` is then judged the louder seat, takes `j`'s turns, and
//! being in a turn stops its coupling from ever rising.
//!
//! Levels themselves say more than levels above floors. Watch
//! `d = L_i − L_j` in frames where `i` or `j` is the dominant seat and both
//! hear something:
//!
//! * while `j` speaks, `d` sits near `c[i][j]`;
//! * while `i` speaks, `d` sits near `−c[j][i]`;
//! * the two places are the round-trip attenuation `−(c[i][j] + c[j][i])`
//!   apart, a property of distance only (gains cancel), never negative and
//!   several dB for any two microphones on a table.
//!
//! So the histogram of `d` over a meeting has two modes, and **the upper
//! one is always `i` speaking**: no label, no noise floor and no gain is
//! needed to tell them apart. Three kinds of frames stay out, because they
//! would blur the modes: frames far below the dominant seat's recent peak
//! (in the dips between syllables every microphone hears mostly the room's
//! diffuse tail, whose level difference is the gains' alone), frames whose
//! dominant seat is not clearly above its floor, and frames where both
//! seats are in turns of their own (double talk, or two voices that never
//! pause). What double talk slips in fills the valley between the modes
//! and moves neither. When both modes hold at least
//! `coupling_mode_frames` frames, the pair takes its couplings from their
//! centres and the frame-by-frame learner leaves the pair alone; until
//! then (one person never spoke, or too little), that learner goes on.
//!
//! ```
//! use tabletalk_core::activity::crosstalk::Crosstalk;
//! use tabletalk_core::activity::leak_modes::LeakModes;
//! let mut modes = LeakModes::<2>::new();
//! let mut xt = Crosstalk::<2>::new(-60);
//! // Microphone 1 has 8 dB more gain; each voice reaches the other
//! // microphone 3 dB down. Seat 1 speaking reads d = L0 - L1 = -11 dB,
//! // seat 0 speaking -5 dB: both negative, yet the upper mode is seat 0.
//! for k in 0..600 {
//!     let d = if k % 3 == 0 { -110 } else { -50 };
//!     modes.observe_pair(0, 1, d);
//! }
//! modes.refresh(&mut xt, 100); // one pair: its first refresh covers it
//! assert_eq!(xt.coupling(0, 1), Some(-110)); // seat 1's voice at mic 0
//! assert_eq!(xt.coupling(1, 0), Some(50)); // seat 0's voice at mic 1
//! assert!(xt.is_settled(0, 1));
//! ```

use crate::activity::crosstalk::{Crosstalk, SeatLevels};

/// Bins of a pair's histogram: ±24 dB. Wider differences belong to pairs
/// far enough apart for the frame-by-frame learner, and are not counted.
pub const MODE_BINS: usize = 24;
/// Width of a bin (dB × 10).
pub const MODE_BIN_DB10: i32 = 20;
/// Lower edge of the first bin (dB × 10).
pub const MODE_LOW_DB10: i32 = -(MODE_BINS as i32) * MODE_BIN_DB10 / 2;
/// Two modes must be at least this many bins apart (4 dB): closer, they
/// are one person's spread.
pub const MODE_MIN_SEPARATION_BINS: usize = 2;
/// A pair's histogram is halved when a bin reaches this count (about
/// 5 minutes of one person speaking at 100 frames per second), so it
/// follows people who move without forgetting a quiet participant's mode
/// after a few minutes of someone else's monologue.
pub const MODE_HALVE_AT: u16 = 30_000;

/// Only frames within this much of the dominant seat's recent peak count
/// (dB × 10).
pub const MODE_PEAK_WINDOW_DB10: i32 = 30;

/// [`LeakModes::refresh`] looks at one pair every this many calls (one
/// call per frame: every 80 ms at 100 frames/s, so each of the 28 pairs of
/// 8 microphones every 2.2 s).
pub const REFRESH_EVERY: u8 = 8;

/// Histograms of level differences of every pair of microphones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakModes<const SEATS: usize> {
    /// `hist[i][j]` for `i < j`: frames by `L_i − L_j` (the other half is
    /// unused: a const generic cannot size a triangle).
    hist: [[[u16; MODE_BINS]; SEATS]; SEATS],
    /// The next pair [`refresh`](Self::refresh) looks at (`i * SEATS + j`).
    cursor: usize,
    /// Calls to [`refresh`](Self::refresh) until it looks at a pair again.
    skip: u8,
}

impl<const SEATS: usize> Default for LeakModes<SEATS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const SEATS: usize> LeakModes<SEATS> {
    /// Empty histograms.
    pub const fn new() -> Self {
        LeakModes {
            hist: [[[0; MODE_BINS]; SEATS]; SEATS],
            cursor: 0,
            skip: 0,
        }
    }

    /// The histogram of the pair `(a, b)`, `a < b`: frames by
    /// `L_a − L_b` in bins of [`MODE_BIN_DB10`] from [`MODE_LOW_DB10`]
    /// (for tuning and displays).
    pub fn histogram(&self, a: usize, b: usize) -> Option<&[u16; MODE_BINS]> {
        self.hist.get(a)?.get(b).filter(|_| a < b)
    }

    /// Counts one frame of the pair `(i, j)` with `d = L_i − L_j` (dB × 10).
    /// Either order of the pair works.
    pub fn observe_pair(&mut self, i: usize, j: usize, d_db10: i32) {
        let (a, b, d) = if i < j {
            (i, j, d_db10)
        } else {
            (j, i, d_db10.saturating_neg())
        };
        if a == b {
            return;
        }
        let offset = d.saturating_sub(MODE_LOW_DB10);
        if offset < 0 {
            return; // below the range (and division truncates toward zero)
        }
        let Ok(bin) = usize::try_from(offset / MODE_BIN_DB10) else {
            return;
        };
        let Some(hist) = self.hist.get_mut(a).and_then(|row| row.get_mut(b)) else {
            return;
        };
        if let Some(count) = hist.get_mut(bin) {
            *count = count.saturating_add(1);
            if *count >= MODE_HALVE_AT {
                hist.iter_mut().for_each(|c| *c /= 2);
            }
        }
    }

    /// Counts a frame: the seat furthest above its floor, if it is at least
    /// `learn_snr_db10` above and its floor is trusted, pairs with every
    /// other trusted seat that hears something (at least `off_db10` above
    /// its floor).
    pub fn observe(&mut self, frame: &SeatLevels<'_, SEATS>, off_db10: i32, learn_snr_db10: i32) {
        let trusted = |k: usize| frame.trusted.get(k).copied().unwrap_or(false);
        let Some((m, snr_m)) = frame.dominant() else {
            return;
        };
        let Some(&level_m) = frame.levels.get(m) else {
            return;
        };
        // Only near the dominant seat's syllable peaks: in the dips every
        // microphone hears mostly the room's diffuse tail, whose level
        // difference is the gains' alone and lies between the two modes.
        let near_peak = frame
            .peaks
            .get(m)
            .is_some_and(|&p| i32::from(level_m) + MODE_PEAK_WINDOW_DB10 >= i32::from(p));
        if snr_m < learn_snr_db10 || !trusted(m) || !near_peak {
            return;
        }
        let m_in_turn = frame.in_turn.get(m).copied().unwrap_or(false);
        for (i, (&snr_i, &level_i)) in frame.snr.iter().zip(frame.levels.iter()).enumerate() {
            let both_in_turns = m_in_turn && frame.in_turn.get(i).copied().unwrap_or(false);
            if i != m && trusted(i) && !both_in_turns && snr_i.is_some_and(|s| s >= off_db10) {
                self.observe_pair(i, m, i32::from(level_i) - i32::from(level_m));
            }
        }
    }

    /// Looks at the next pair, every [`REFRESH_EVERY`] calls: when its
    /// histogram has two modes of at least `min_frames` frames each, sets
    /// and settles both its couplings in `crosstalk`; otherwise unsettles
    /// the pair. One pair at a time keeps the cost per frame flat; modes
    /// take minutes to form, so a pair looked at every few seconds loses
    /// nothing. `0` turns the modes off.
    pub fn refresh(&mut self, crosstalk: &mut Crosstalk<SEATS>, min_frames: u16) {
        if SEATS < 2 {
            return;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return;
        }
        self.skip = REFRESH_EVERY - 1;
        let pairs = SEATS * SEATS;
        // Find the next i < j from the cursor (at most one lap).
        let mut pair = None;
        for _ in 0..pairs {
            let k = self.cursor % pairs;
            self.cursor = (k + 1) % pairs;
            let (a, b) = (k / SEATS, k % SEATS);
            if a < b {
                pair = Some((a, b));
                break;
            }
        }
        let Some((a, b)) = pair else { return };
        let modes = if min_frames == 0 {
            None
        } else {
            self.hist
                .get(a)
                .and_then(|row| row.get(b))
                .and_then(|h| two_modes(h, u32::from(min_frames)))
        };
        match modes {
            // d = L_a − L_b: the lower mode is b speaking (a hears it at
            // c[a][b]), the upper one a speaking (b hears it at −d).
            Some((lower, upper)) => crosstalk.settle_pair(a, b, lower, upper.saturating_neg()),
            None => crosstalk.unsettle_pair(a, b),
        }
    }
}

/// Count of bin `k`, 0 outside.
fn count(h: &[u16; MODE_BINS], k: usize) -> u32 {
    h.get(k).map_or(0, |&c| u32::from(c))
}

/// Frames in bin `k` and its two neighbours.
fn mass(h: &[u16; MODE_BINS], k: usize) -> u32 {
    let at = |k: Option<usize>| k.and_then(|k| h.get(k)).map_or(0, |&c| u32::from(c));
    at(k.checked_sub(1)) + at(Some(k)) + at(k.checked_add(1))
}

/// Centre of the mode at bin `k` (dB × 10): the centroid of its three bins.
fn centre(h: &[u16; MODE_BINS], k: usize) -> i16 {
    let at = |k: Option<usize>| k.and_then(|k| h.get(k)).map_or(0, |&c| i64::from(c));
    let (left, here, right) = (at(k.checked_sub(1)), at(Some(k)), at(k.checked_add(1)));
    let total = (left + here + right).max(1);
    let mid = i64::from(MODE_LOW_DB10)
        + (k as i64) * i64::from(MODE_BIN_DB10)
        + i64::from(MODE_BIN_DB10) / 2;
    let shift = i64::from(MODE_BIN_DB10) * (right - left) / total;
    (mid + shift).clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
}

/// The centres of the two largest well-separated modes (lower, upper), if
/// both hold at least `min_frames` frames and a valley lies between them.
fn two_modes(h: &[u16; MODE_BINS], min_frames: u32) -> Option<(i16, i16)> {
    // Raw counts: a 2 dB bin is already coarse, and smoothing would fill
    // the narrow valley between a close pair's modes.
    let first = (0..MODE_BINS).max_by_key(|&k| (count(h, k), core::cmp::Reverse(k)))?;
    let is_peak = |k: usize| {
        let s = count(h, k);
        k.checked_sub(1).is_none_or(|l| count(h, l) <= s) && count(h, k + 1) <= s
    };
    let second = (0..MODE_BINS)
        .filter(|&k| k.abs_diff(first) >= MODE_MIN_SEPARATION_BINS && is_peak(k))
        .max_by_key(|&k| (count(h, k), core::cmp::Reverse(k)))?;
    let (lo, hi) = (first.min(second), first.max(second));
    // A valley: somewhere between the two, at most 3/4 of the smaller peak.
    let smaller = count(h, second);
    let valley = (lo + 1..hi).map(|k| count(h, k)).min().unwrap_or(smaller);
    if 4 * valley > 3 * smaller || mass(h, first) < min_frames || mass(h, second) < min_frames {
        return None;
    }
    Some((centre(h, lo), centre(h, hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(modes: &mut LeakModes<3>, i: usize, j: usize, d: i32, n: usize) {
        for k in 0..n {
            // ±2 dB of spread around d.
            modes.observe_pair(i, j, d + [(-20), -10, 0, 10, 20][k % 5]);
        }
    }

    #[test]
    fn only_frames_near_a_dominant_peak_outside_double_talk_count() {
        let mut modes = LeakModes::<3>::new();
        const YES: [bool; 3] = [true; 3];
        const NO: [bool; 3] = [false; 3];
        let frame =
            |levels: &'static [i16; 3], peaks: &'static [i16; 3], in_turn: &'static [bool; 3]| {
                SeatLevels {
                    levels,
                    peaks,
                    snr: &[Some(300), Some(100), None],
                    speaking: &[true; 3],
                    explainer: &[true; 3],
                    trusted: &[true; 3],
                    in_turn,
                }
            };
        let total = |m: &LeakModes<3>| {
            m.histogram(0, 1)
                .unwrap()
                .iter()
                .map(|&c| u32::from(c))
                .sum::<u32>()
        };
        // Seat 0 dominates at its peak, seat 1 hears it: counted once
        // (seat 2 has no usable frame).
        modes.observe(
            &frame(&[-200, -300, -900], &[-200, -300, -900], &NO),
            50,
            150,
        );
        assert_eq!(total(&modes), 1);
        // In a dip 6 dB under seat 0's peak: not counted.
        modes.observe(
            &frame(&[-260, -300, -900], &[-200, -300, -900], &NO),
            50,
            150,
        );
        // Both in turns of their own: not counted.
        modes.observe(
            &frame(&[-200, -300, -900], &[-200, -300, -900], &YES),
            50,
            150,
        );
        // Dominant too close to its floor: not counted.
        modes.observe(
            &frame(&[-200, -300, -900], &[-200, -300, -900], &NO),
            50,
            400,
        );
        assert_eq!(total(&modes), 1);
        assert_eq!(modes.histogram(1, 0), None);
    }

    #[test]
    fn one_mode_settles_nothing() {
        let mut modes = LeakModes::<3>::new();
        let mut xt = Crosstalk::<3>::new(-60);
        fill(&mut modes, 0, 1, 50, 5000);
        for _ in 0..3 * usize::from(REFRESH_EVERY) {
            modes.refresh(&mut xt, 100);
        }
        assert!(!xt.is_settled(0, 1));
        assert_eq!(xt.coupling(0, 1), Some(-60));
    }

    #[test]
    fn the_upper_mode_is_the_first_seat_speaking_whatever_the_order() {
        let mut modes = LeakModes::<3>::new();
        let mut xt = Crosstalk::<3>::new(-60);
        // Pair (2, 1) given in reverse: d = L2 - L1 is +150 while seat 2
        // speaks, -30 while seat 1 speaks; a trickle of double talk between.
        fill(&mut modes, 2, 1, 150, 3000);
        fill(&mut modes, 2, 1, -30, 400);
        fill(&mut modes, 2, 1, 60, 100);
        for _ in 0..3 * usize::from(REFRESH_EVERY) {
            modes.refresh(&mut xt, 100);
        }
        assert!(xt.is_settled(1, 2));
        let c21 = xt.coupling(2, 1).unwrap();
        let c12 = xt.coupling(1, 2).unwrap();
        assert!((-40..=-20).contains(&c21), "{c21}");
        assert!((-160..=-140).contains(&c12), "{c12}");
        // Too few frames in the smaller mode: the pair is released.
        let mut modes = LeakModes::<3>::new();
        fill(&mut modes, 2, 1, 150, 3000);
        fill(&mut modes, 2, 1, -30, 50);
        for _ in 0..3 * usize::from(REFRESH_EVERY) {
            modes.refresh(&mut xt, 100);
        }
        assert!(!xt.is_settled(1, 2));
    }

    #[test]
    fn no_valley_no_modes() {
        let mut modes = LeakModes::<3>::new();
        let mut xt = Crosstalk::<3>::new(-60);
        // A broad plateau (double talk of two similar voices) is not two
        // people speaking alone.
        for d in -100..100 {
            for _ in 0..20 {
                modes.observe_pair(0, 2, d);
            }
        }
        for _ in 0..3 * usize::from(REFRESH_EVERY) {
            modes.refresh(&mut xt, 100);
        }
        assert!(!xt.is_settled(0, 2));
    }

    #[test]
    fn out_of_range_differences_are_not_counted_and_halving_keeps_shape() {
        let mut modes = LeakModes::<2>::new();
        for d in [i32::MIN, i32::MAX, MODE_LOW_DB10 - 1, -MODE_LOW_DB10] {
            modes.observe_pair(0, 1, d);
        }
        modes.observe_pair(1, 1, 0); // no pair with itself
        assert!(modes.histogram(0, 1).unwrap().iter().all(|&c| c == 0));
        for _ in 0..70_000 {
            // The lowest bin, and (reversed pair) the highest.
            modes.observe_pair(0, 1, MODE_LOW_DB10 + 1);
            modes.observe_pair(1, 0, MODE_LOW_DB10 + 1);
        }
        let h = modes.histogram(0, 1).unwrap();
        assert!(h[MODE_BINS - 1] < MODE_HALVE_AT && h[0] < MODE_HALVE_AT);
        assert!(h[MODE_BINS - 1] > 10_000 && h[0] > 10_000);
    }
}
