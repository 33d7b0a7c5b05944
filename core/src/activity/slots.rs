//! The [spectral](super::spectral) detector sized by microphone slots, not
//! by seats.
//!
//! [`Spectral<N>`](Spectral) keeps lag accumulators for every ordered pair of
//! its `N` inputs, so its state grows with `N²`: at the engine's 16 seats
//! it would be about 75 KiB, more than the device's whole RAM budget, for
//! microphones a device can never have. The board has at most
//! [`MIC_SLOTS`] microphone channels (3 on the RP2040's ADC, 8 on an
//! MCP3008; docs/hardware.md), so the engine's microphone path holds a
//! detector for that many microphones and maps its seats onto it.
//!
//! Microphone seats take the slots in seat order (seat order is slot
//! order, so the detector decides exactly as a `Spectral<SEATS>` over the
//! same seats would: ties between microphones go to the lower seat either
//! way). A seat beyond the slots is not heard by the detector; the engine
//! refuses such a configuration while `mic.spectral_on`
//! ([`ParamError::SpectralMics`](crate::params::ParamError::SpectralMics)).
//!
//! Every method takes and reports **seat** indices, as [`Spectral`]'s do.
//!
//! ```
//! use tabletalk_core::activity::slots::{SpectralSlots, MIC_SLOTS};
//! use tabletalk_core::activity::spectral::Settings;
//!
//! // Seats 1, 4 and 9 of 16 have microphones: slots 0, 1 and 2.
//! let mut mics = [false; 16];
//! for seat in [1, 4, 9] {
//!     mics[seat] = true;
//! }
//! let spectral = SpectralSlots::<16>::new(&Settings::default(), &mics);
//! assert!(spectral.has_mic(4) && !spectral.has_mic(5));
//! assert_eq!(spectral.seat_of_slot(2), Some(9));
//! assert_eq!(MIC_SLOTS, 11);
//! ```

use crate::activity::spectral::{Change, FrameReport, Settings, Spectral};

/// Most microphones the spectral detector holds: the board's microphone
/// channels (3 on the RP2040's ADC + 8 on the MCP3008).
pub const MIC_SLOTS: usize = 11;

/// No slot / no seat.
const NONE: u8 = u8::MAX;

/// A [`Spectral<MIC_SLOTS>`](Spectral) behind a seat → slot mapping.
#[derive(Clone, Debug)]
pub struct SpectralSlots<const SEATS: usize> {
    detector: Spectral<MIC_SLOTS>,
    /// The slot of each seat (`NONE`: no microphone, or beyond the slots).
    slot_of: [u8; SEATS],
    /// The seat of each slot (`NONE`: unused).
    seat_of: [u8; MIC_SLOTS],
}

/// How many of `mics` are microphones.
pub fn mic_count(mics: &[bool]) -> usize {
    mics.iter().filter(|&&m| m).count()
}

impl<const SEATS: usize> SpectralSlots<SEATS> {
    /// A detector; `mics[s]` says whether seat `s` has a microphone. The
    /// first [`MIC_SLOTS`] microphone seats (in seat order) get a slot.
    pub fn new(settings: &Settings, mics: &[bool; SEATS]) -> Self {
        let (slot_of, seat_of, used) = Self::assign(mics);
        SpectralSlots {
            detector: Spectral::new(settings, core::array::from_fn(|slot| slot < used)),
            slot_of,
            seat_of,
        }
    }

    /// Slots for the first [`MIC_SLOTS`] microphone seats, in seat order.
    fn assign(mics: &[bool; SEATS]) -> ([u8; SEATS], [u8; MIC_SLOTS], usize) {
        let mut slot_of = [NONE; SEATS];
        let mut seat_of = [NONE; MIC_SLOTS];
        let mut used = 0usize;
        for (seat, (&mic, slot)) in mics.iter().zip(slot_of.iter_mut()).enumerate() {
            if !mic {
                continue;
            }
            if let Some(s) = seat_of.get_mut(used) {
                *s = seat as u8;
                *slot = used as u8;
                used += 1;
            }
        }
        (slot_of, seat_of, used)
    }

    /// Makes this detector what [`new`](Self::new) would return, in place
    /// (only the detector itself is built on the stack).
    pub fn rebuild(&mut self, settings: &Settings, mics: &[bool; SEATS]) {
        let (slot_of, seat_of, used) = Self::assign(mics);
        self.detector = Spectral::new(settings, core::array::from_fn(|slot| slot < used));
        self.slot_of = slot_of;
        self.seat_of = seat_of;
    }

    /// The slot of `seat`, if it has one.
    pub fn slot_of_seat(&self, seat: usize) -> Option<usize> {
        self.slot_of
            .get(seat)
            .filter(|&&s| s != NONE)
            .map(|&s| usize::from(s))
    }

    /// The seat in `slot`, if any.
    pub fn seat_of_slot(&self, slot: usize) -> Option<usize> {
        self.seat_of
            .get(slot)
            .filter(|&&s| s != NONE)
            .map(|&s| usize::from(s))
    }

    /// A callback on slots that reports to one on seats.
    fn seats<'a>(
        seat_of: &'a [u8; MIC_SLOTS],
        out: &'a mut impl FnMut(usize, Change),
    ) -> impl FnMut(usize, Change) + 'a {
        move |slot, change| {
            if let Some(&seat) = seat_of.get(slot).filter(|&&s| s != NONE) {
                out(usize::from(seat), change);
            }
        }
    }

    /// [`Spectral::next_frame`].
    pub const fn next_frame(&self) -> u32 {
        self.detector.next_frame()
    }

    /// [`Spectral::has_mic`] of `seat`.
    pub fn has_mic(&self, seat: usize) -> bool {
        self.slot_of_seat(seat)
            .is_some_and(|slot| self.detector.has_mic(slot))
    }

    /// [`Spectral::behind`] of `seat`.
    pub fn behind(&self, seat: usize) -> bool {
        self.slot_of_seat(seat)
            .is_some_and(|slot| self.detector.behind(slot))
    }

    /// [`Spectral::active`] of `seat`.
    pub fn active(&self, seat: usize) -> bool {
        self.slot_of_seat(seat)
            .is_some_and(|slot| self.detector.active(slot))
    }

    /// [`Spectral::horizon`] of `seat` (`None` also for a seat without a
    /// slot).
    pub fn horizon(&self, seat: usize) -> Option<u64> {
        self.detector.horizon(self.slot_of_seat(seat)?)
    }

    /// [`Spectral::set_mic`] of `seat` (nothing for a seat without a slot).
    pub fn set_mic(&mut self, seat: usize, on: bool, out: &mut impl FnMut(usize, Change)) {
        if let Some(slot) = self.slot_of_seat(seat) {
            let mut out = Self::seats(&self.seat_of, out);
            self.detector.set_mic(slot, on, &mut out);
        }
    }

    /// [`Spectral::push`] of `seat`. A microphone seat without a slot takes
    /// (and drops) every sample, so that it never looks like a seat whose
    /// ring is full; a seat without a microphone takes nothing.
    pub fn push(&mut self, seat: usize, samples: &[i16]) -> usize {
        match self.slot_of_seat(seat) {
            Some(slot) => self.detector.push(slot, samples),
            None => samples.len(),
        }
    }

    /// [`Spectral::frame`], reporting seats (the figures are per slot).
    pub fn frame(&mut self, out: &mut impl FnMut(usize, Change)) -> Option<FrameReport<MIC_SLOTS>> {
        let mut out = Self::seats(&self.seat_of, out);
        self.detector.frame(&mut out)
    }

    /// [`Spectral::flush`], reporting seats.
    pub fn flush(&mut self, out: &mut impl FnMut(usize, Change)) {
        let mut out = Self::seats(&self.seat_of, out);
        self.detector.flush(&mut out);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;
    extern crate std;
    use std::vec::Vec;

    /// The same stream through a `Spectral<4>` over four seats and through
    /// the slots of a 16-seat engine whose microphones are seats 2, 5, 6
    /// and 11: the same changes, on the mapped seats.
    #[test]
    fn slots_decide_as_a_detector_over_the_seats() {
        let seats = [2usize, 5, 6, 11];
        let mut mics = [false; 16];
        for &s in &seats {
            mics[s] = true;
        }
        let settings = Settings::default();
        let mut direct = Spectral::<4>::new(&settings, [true; 4]);
        let mut slots = SpectralSlots::<16>::new(&settings, &mics);
        let (mut state, mut hiss) = (7u32, 9u32);
        let lcg = |s: &mut u32| {
            *s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (*s >> 16) as i32 - 32_768
        };
        let mut delayed = [0i32; 13];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for n in 0..3 * 8000 {
            let talker = (n / 8000) % 2 == 1;
            delayed.rotate_right(1);
            delayed[0] = if talker { lcg(&mut state) / 16 } else { 0 };
            for (i, delay) in [7usize, 0, 5, 12].into_iter().enumerate() {
                let x = (delayed[delay] + lcg(&mut hiss) / 1024) as i16;
                assert_eq!(direct.push(i, &[x]), 1);
                assert_eq!(slots.push(seats[i], &[x]), 1);
            }
            while direct.frame(&mut |s, c| a.push((seats[s], c))).is_some() {}
            while slots.frame(&mut |s, c| b.push((s, c))).is_some() {}
        }
        direct.flush(&mut |s, c| a.push((seats[s], c)));
        slots.flush(&mut |s, c| b.push((s, c)));
        assert!(!a.is_empty());
        assert_eq!(a, b);
        assert_eq!(a[0].0, 5, "{a:?}");
    }

    #[test]
    fn seats_beyond_the_slots_get_none_and_drop_their_samples() {
        let mics = [true; 16];
        let mut slots = SpectralSlots::<16>::new(&Settings::default(), &mics);
        assert_eq!(slots.slot_of_seat(10), Some(10));
        assert_eq!(slots.slot_of_seat(11), None);
        assert!(!slots.has_mic(11) && slots.horizon(11).is_none());
        assert_eq!(slots.push(11, &[1, 2, 3]), 3);
        assert_eq!(slots.push(15, &[]), 0);
        assert_eq!(mic_count(&mics), 16);
    }
}
