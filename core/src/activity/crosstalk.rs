//! Crosstalk: telling a neighbour's leaked voice from a second speaker.
//!
//! Around a table every microphone hears every voice: its own seat's loudly,
//! the others' attenuated by distance and direction. If each seat only
//! compared its level with its own noise floor, one loud voice would light
//! up every seat. "Loudest seat wins" fixes that but throws away real
//! double talk, which is exactly what interruption statistics need.
//!
//! ## The model
//!
//! In the log domain a leaked copy is a *shifted* copy: when only seat `j`
//! speaks, microphone `i` measures about `L_i ≈ L_j + c[i][j]`, where the
//! coupling `c[i][j]` (dB, usually negative) folds together distance,
//! direction and the two microphones' gains. A frame of seat `i` is
//! **explained as crosstalk** when some seat `j`
//!
//! 1. is itself above its off threshold,
//! 2. is *more* clearly speaking than `i` (higher level above its own floor;
//!    ties go to the lower index), and
//! 3. could have produced all of `i`'s level: `L_i ≤ L_j + c[i][j] + margin`.
//!
//! Condition 2 makes the test asymmetric, so two seats never explain each
//! other away: the seat that stands out most above its floor is never
//! suppressed. When two people really talk at once, each microphone carries
//! its own speaker at full strength, well above what the other's leak would
//! give, so both stay active. The `margin` absorbs frame-to-frame
//! fluctuation of the leak.
//!
//! ## Learning the coupling
//!
//! Couplings start at `coupling_initial_db10` and are learned per ordered
//! pair. Whenever one seat `j` clearly dominates a frame (the highest level
//! above floor, at least `coupling_learn_snr_db10`), every other seat `i`
//! that hears something (above its off threshold) contributes the
//! difference `d = L_i − L_j`. The estimate moves up by 3 steps when `d` is
//! above it and down by 1 when below, which settles on the upper quartile of
//! `d`: high enough to cover the leak's fluctuation, low enough that the
//! occasional double talk (where `d` is large) does not drag it up. Learning
//! needs no labels and follows people who move or change their gain.
//!
//! ```
//! use tabletalk_core::activity::crosstalk::Crosstalk;
//! let mut xt = Crosstalk::<2>::new(-60);
//! // Seat 0 at -20 dBFS, 30 dB above its floor; seat 1 hears it at -30 dBFS.
//! let levels = [-200, -300];
//! let snr = [Some(300), Some(150)];
//! let speaking = [true, true];
//! assert_eq!(xt.explained(&levels, &snr, &speaking, 40), [false, true]);
//! // A second talker at seat 1, as loud as seat 0 at its own microphone.
//! let levels = [-195, -198];
//! let snr = [Some(305), Some(300)];
//! assert_eq!(xt.explained(&levels, &snr, &speaking, 40), [false, false]);
//! ```

/// Lowest learned coupling (dB × 10).
pub const COUPLING_MIN_DB10: i16 = -600;
/// Highest learned coupling (dB × 10): a neighbour's microphone may have
/// much more gain than the speaker's own.
pub const COUPLING_MAX_DB10: i16 = 200;

/// Pairwise couplings of `SEATS` microphones. `O(SEATS²)` per frame, which
/// is 256 comparisons at 16 seats, once per frame, never per sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crosstalk<const SEATS: usize> {
    /// `coupling[i][j]`: level of `j`'s voice at `i`'s microphone relative to
    /// `j`'s own (dB × 10).
    coupling: [[i16; SEATS]; SEATS],
}

impl<const SEATS: usize> Crosstalk<SEATS> {
    /// All couplings at `initial_db10`.
    pub const fn new(initial_db10: i16) -> Self {
        Crosstalk {
            coupling: [[initial_db10; SEATS]; SEATS],
        }
    }

    /// The current coupling of `from`'s voice into `to`'s microphone.
    pub fn coupling(&self, to: usize, from: usize) -> Option<i16> {
        self.coupling.get(to)?.get(from).copied()
    }

    /// Sets a coupling (for tests and for devices that know their geometry).
    pub fn set_coupling(&mut self, to: usize, from: usize, db10: i16) {
        if let Some(slot) = self.coupling.get_mut(to).and_then(|row| row.get_mut(from)) {
            *slot = db10.clamp(COUPLING_MIN_DB10, COUPLING_MAX_DB10);
        }
    }

    /// Which seats' frames are explained as crosstalk. `levels` in dBFS ×
    /// 10; `snr` the level above the seat's floor (`None`: no usable frame);
    /// `speaking` whether the seat clears its off threshold.
    pub fn explained(
        &self,
        levels: &[i16; SEATS],
        snr: &[Option<i32>; SEATS],
        speaking: &[bool; SEATS],
        margin_db10: u16,
    ) -> [bool; SEATS] {
        let mut out = [false; SEATS];
        for (i, slot) in out.iter_mut().enumerate() {
            let (Some(&Some(snr_i)), Some(&true), Some(&level_i), Some(row)) = (
                snr.get(i),
                speaking.get(i),
                levels.get(i),
                self.coupling.get(i),
            ) else {
                continue;
            };
            *slot = (0..SEATS).any(|j| {
                if j == i {
                    return false;
                }
                let (Some(&Some(snr_j)), Some(&true), Some(&level_j), Some(&c)) =
                    (snr.get(j), speaking.get(j), levels.get(j), row.get(j))
                else {
                    return false;
                };
                let louder = snr_j > snr_i || (snr_j == snr_i && j < i);
                louder
                    && i32::from(level_i)
                        <= i32::from(level_j) + i32::from(c) + i32::from(margin_db10)
            });
        }
        out
    }

    /// Learns from one frame (see the module docs). `off_db10` is the off
    /// threshold, `learn_snr_db10` the dominance needed, `step_db10` the
    /// learning step (0: no learning).
    pub fn learn(
        &mut self,
        levels: &[i16; SEATS],
        snr: &[Option<i32>; SEATS],
        off_db10: i32,
        learn_snr_db10: i32,
        step_db10: u8,
    ) {
        if step_db10 == 0 {
            return;
        }
        let mut dominant: Option<(usize, i32)> = None;
        for (j, s) in snr.iter().enumerate() {
            if let Some(s) = *s {
                if dominant.is_none_or(|(_, best)| s > best) {
                    dominant = Some((j, s));
                }
            }
        }
        let Some((j, snr_j)) = dominant else { return };
        if snr_j < learn_snr_db10 {
            return;
        }
        let Some(&level_j) = levels.get(j) else {
            return;
        };
        let step = i32::from(step_db10);
        for (i, row) in self.coupling.iter_mut().enumerate() {
            if i == j {
                continue;
            }
            let (Some(&Some(snr_i)), Some(&level_i), Some(c)) =
                (snr.get(i), levels.get(i), row.get_mut(j))
            else {
                continue;
            };
            if snr_i < off_db10 {
                continue;
            }
            let d = i32::from(level_i) - i32::from(level_j);
            let current = i32::from(*c);
            let next = if d > current {
                (current + 3 * step).min(d.max(current))
            } else if d < current {
                (current - step).max(d)
            } else {
                current
            };
            *c = next.clamp(i32::from(COUPLING_MIN_DB10), i32::from(COUPLING_MAX_DB10)) as i16;
        }
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
    fn learning_settles_near_the_upper_quartile_of_the_leak() {
        let mut xt = Crosstalk::<2>::new(-60);
        // Leak of seat 0 into seat 1 at -14 dB ± 2 dB, cycling.
        let offsets = [-160i16, -150, -140, -130, -120];
        for k in 0..5000 {
            let d = offsets[k % 5];
            xt.learn(&[-200, -200 + d], &[Some(300), Some(100)], 50, 150, 2);
        }
        let c = xt.coupling(1, 0).unwrap_or(0);
        assert!((-135..=-120).contains(&c), "coupling {c}");
        // Seat 1 never dominated: its coupling into seat 0 is untouched.
        assert_eq!(xt.coupling(0, 1), Some(-60));
    }

    #[test]
    fn a_quieter_seat_cannot_explain_a_louder_one() {
        let xt = Crosstalk::<3>::new(100); // absurd coupling: +10 dB
        let levels = [-200, -150, -300];
        let snr = [Some(300), Some(200), Some(100)];
        let speaking = [true, true, true];
        // Seat 0 has the highest SNR and is never explained.
        let out = xt.explained(&levels, &snr, &speaking, 40);
        assert!(!out[0]);
        assert!(out[2]);
    }

    #[test]
    fn silent_or_unusable_seats_explain_nothing() {
        let xt = Crosstalk::<2>::new(-60);
        let out = xt.explained(&[-100, -200], &[None, Some(100)], &[true, true], 40);
        assert_eq!(out, [false, false]);
        let out = xt.explained(&[-100, -200], &[Some(300), Some(100)], &[false, true], 40);
        assert_eq!(out, [false, false]);
    }
}
