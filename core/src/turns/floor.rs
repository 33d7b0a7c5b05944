//! Who holds the floor: transitions, interruptions, backchannels.
//!
//! Several people may speak at once, but at most one *holds the floor*.
//! [`FloorTracker`] follows the turn starts and ends of all seats, in time
//! order, and says what each means for the floor. It is independent of how
//! turns were detected, so the device (live, through the
//! [`TurnTracker`](super::tracker::TurnTracker)) and the laptop report (from
//! the turns in a log) use the same definitions:
//!
//! * **Taking the floor.** When nobody holds it, the next seat to start
//!   takes it ([`Take::Opening`] for the first turn of a session,
//!   [`Take::AfterGap`] otherwise, with the silence before it; a gap of 0
//!   is a seamless handover).
//! * **Successful interruption.** A seat that starts while another holds
//!   the floor, and is still speaking when the holder stops, takes the floor
//!   at that moment ([`Take::Interruption`]). If several overlapping seats
//!   are still speaking, the one that started first takes it; the others now
//!   overlap the new holder.
//! * **Backchannel.** A turn that starts and ends while someone else holds
//!   the floor, no longer than `backchannel_max_ms` ("mm-hm", "right").
//! * **Unsuccessful interruption.** Such a turn that is longer than that:
//!   the seat tried, the holder kept the floor.
//! * **Released.** The holder stops and nobody else is speaking: the floor
//!   is free until the next start.
//!
//! Inputs must come in time order, ends before starts at the same
//! millisecond (the engine guarantees this). A turn that ends before it
//! started, or a seat that is not speaking, is ignored rather than trusted.
//!
//! This is the one floor model of tabletalk: the device's live figures
//! (and so its LEDs), `tabletalk device live` and `tabletalk report` all
//! run these turns through a `FloorTracker`. On the device seats are
//! [`SeatId`]s (at most 16); a log on the laptop may hold up to 255
//! seats, so the tracker takes any [`FloorSeat`] (`u8` there).
//!
//! ```
//! use tabletalk_core::seat::SeatId;
//! use tabletalk_core::turns::floor::{FloorEvent, FloorTracker, Take};
//!
//! let (a, b) = (SeatId::new(0).unwrap(), SeatId::new(1).unwrap());
//! let mut floor = FloorTracker::<2>::new(1000);
//! assert_eq!(floor.start(a, 0), Some(FloorEvent::Taken { seat: a, at: 0, from: None, how: Take::Opening }));
//! // B says "mm-hm" inside A's turn: a backchannel, A keeps the floor.
//! assert_eq!(floor.start(b, 2000), None);
//! assert_eq!(floor.end(b, 2000, 2400).as_slice(), [FloorEvent::Backchannel { seat: b, holder: a, start: 2000, end: 2400 }]);
//! // B starts again and outlasts A: a successful interruption.
//! floor.start(b, 5000);
//! assert_eq!(
//!     floor.end(a, 0, 6000).as_slice(),
//!     [FloorEvent::Taken { seat: b, at: 6000, from: Some(a), how: Take::Interruption }]
//! );
//! assert_eq!(floor.holder(), Some(b));
//! ```

use heapless::Vec;

use crate::seat::SeatId;
use crate::time::SessionMs;

/// A seat as the floor tracker sees it: an index below the tracker's
/// `SEATS`.
pub trait FloorSeat: Copy + Eq {
    /// Its index.
    fn index(self) -> usize;
    /// The seat with `index`, if it is one.
    fn from_index(index: usize) -> Option<Self>;
}

impl FloorSeat for SeatId {
    fn index(self) -> usize {
        SeatId::index(self)
    }
    fn from_index(index: usize) -> Option<Self> {
        u8::try_from(index).ok().and_then(SeatId::new)
    }
}

impl FloorSeat for u8 {
    fn index(self) -> usize {
        usize::from(self)
    }
    fn from_index(index: usize) -> Option<Self> {
        u8::try_from(index).ok()
    }
}

/// How a seat came to hold the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Take {
    /// The first floor of the session (or after a pause).
    Opening,
    /// The floor was free; `gap_ms` of silence since it was released.
    AfterGap {
        /// Silence before the take (ms); 0 for a seamless handover.
        gap_ms: u64,
    },
    /// The seat overlapped the holder and outlasted them.
    Interruption,
}

/// What a turn start or end meant for the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FloorEvent<S = SeatId> {
    /// `seat` holds the floor from `at`.
    Taken {
        /// The new holder.
        seat: S,
        /// Since when.
        at: SessionMs,
        /// The previous holder, if any.
        from: Option<S>,
        /// How.
        how: Take,
    },
    /// The holder stopped with nobody else speaking.
    Released {
        /// The former holder.
        seat: S,
        /// When.
        at: SessionMs,
    },
    /// A short turn inside the holder's tenure.
    Backchannel {
        /// Who gave it.
        seat: S,
        /// Who held the floor.
        holder: S,
        /// Turn start.
        start: SessionMs,
        /// Turn end.
        end: SessionMs,
    },
    /// A longer turn inside the holder's tenure that did not take the floor.
    FailedInterruption {
        /// Who tried.
        seat: S,
        /// Who kept the floor.
        holder: S,
        /// Turn start.
        start: SessionMs,
        /// Turn end.
        end: SessionMs,
    },
}

/// What one turn end produced: a classification of the ended turn and/or a
/// change of holder.
pub type FloorEvents<S = SeatId> = Vec<FloorEvent<S>, 2>;

/// The floor of a session with up to `SEATS` seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FloorTracker<const SEATS: usize, S = SeatId> {
    backchannel_max_ms: u64,
    holder: Option<(S, SessionMs)>,
    released_at: Option<SessionMs>,
    last_holder: Option<S>,
    speaking_since: [Option<SessionMs>; SEATS],
}

impl<const SEATS: usize, S: FloorSeat> FloorTracker<SEATS, S> {
    /// A free floor; bursts up to `backchannel_max_ms` can be backchannels.
    pub const fn new(backchannel_max_ms: u32) -> Self {
        FloorTracker {
            backchannel_max_ms: backchannel_max_ms as u64,
            holder: None,
            released_at: None,
            last_holder: None,
            speaking_since: [None; SEATS],
        }
    }

    /// The current holder.
    pub fn holder(&self) -> Option<S> {
        self.holder.map(|(seat, _)| seat)
    }

    /// Since when the current holder holds the floor.
    pub fn held_since(&self) -> Option<SessionMs> {
        self.holder.map(|(_, since)| since)
    }

    /// Forgets everything (session stopped or paused): the next turn opens.
    pub fn reset(&mut self) {
        self.holder = None;
        self.released_at = None;
        self.last_holder = None;
        self.speaking_since = [None; SEATS];
    }

    /// `seat` started a turn at `at`.
    pub fn start(&mut self, seat: S, at: SessionMs) -> Option<FloorEvent<S>> {
        let slot = self.speaking_since.get_mut(seat.index())?;
        *slot = Some(at);
        if self.holder.is_some() {
            return None;
        }
        let (from, how) = match self.released_at {
            Some(released) => (
                self.last_holder,
                Take::AfterGap {
                    gap_ms: at.saturating_sub(released),
                },
            ),
            None => (None, Take::Opening),
        };
        self.holder = Some((seat, at));
        Some(FloorEvent::Taken {
            seat,
            at,
            from,
            how,
        })
    }

    /// `seat`'s turn `start..end` ended.
    pub fn end(&mut self, seat: S, start: SessionMs, end: SessionMs) -> FloorEvents<S> {
        let mut out = FloorEvents::new();
        let Some(slot) = self.speaking_since.get_mut(seat.index()) else {
            return out;
        };
        if slot.take().is_none() {
            return out;
        }
        let Some((holder, since)) = self.holder else {
            return out;
        };
        if holder != seat {
            // Inside someone else's tenure (or overlapping into it).
            let event = if end.saturating_sub(start) <= self.backchannel_max_ms && start >= since {
                FloorEvent::Backchannel {
                    seat,
                    holder,
                    start,
                    end,
                }
            } else {
                FloorEvent::FailedInterruption {
                    seat,
                    holder,
                    start,
                    end,
                }
            };
            let _ = out.push(event);
            return out;
        }
        // The holder stopped: the earliest-started seat still speaking takes
        // over, or the floor is free.
        let next = self
            .speaking_since
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (s, i)))
            .min();
        match next.and_then(|(_, i)| S::from_index(i)) {
            Some(next) => {
                self.holder = Some((next, end));
                let _ = out.push(FloorEvent::Taken {
                    seat: next,
                    at: end,
                    from: Some(seat),
                    how: Take::Interruption,
                });
            }
            None => {
                self.holder = None;
                self.released_at = Some(end);
                self.last_holder = Some(seat);
                let _ = out.push(FloorEvent::Released { seat, at: end });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(i: u8) -> SeatId {
        SeatId::new(i).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn a_gap_then_a_new_speaker_is_a_transition_after_a_gap() {
        let mut floor = FloorTracker::<3>::new(1000);
        floor.start(seat(0), 0);
        assert_eq!(
            floor.end(seat(0), 0, 3000).as_slice(),
            [FloorEvent::Released {
                seat: seat(0),
                at: 3000
            }]
        );
        assert_eq!(floor.holder(), None);
        assert_eq!(
            floor.start(seat(2), 3500),
            Some(FloorEvent::Taken {
                seat: seat(2),
                at: 3500,
                from: Some(seat(0)),
                how: Take::AfterGap { gap_ms: 500 }
            })
        );
    }

    #[test]
    fn a_long_overlap_that_stops_first_is_a_failed_interruption() {
        let mut floor = FloorTracker::<2>::new(1000);
        floor.start(seat(0), 0);
        floor.start(seat(1), 1000);
        assert_eq!(
            floor.end(seat(1), 1000, 2500).as_slice(),
            [FloorEvent::FailedInterruption {
                seat: seat(1),
                holder: seat(0),
                start: 1000,
                end: 2500
            }]
        );
        assert_eq!(floor.holder(), Some(seat(0)));
    }

    #[test]
    fn the_earliest_overlapper_takes_over_and_the_other_now_overlaps_it() {
        let mut floor = FloorTracker::<3>::new(1000);
        floor.start(seat(0), 0);
        floor.start(seat(2), 100);
        floor.start(seat(1), 200);
        assert_eq!(
            floor.end(seat(0), 0, 500).as_slice(),
            [FloorEvent::Taken {
                seat: seat(2),
                at: 500,
                from: Some(seat(0)),
                how: Take::Interruption
            }]
        );
        // Seat 1 stops shortly after: it overlapped seat 2, not a backchannel
        // because it started before seat 2 held the floor.
        assert_eq!(
            floor.end(seat(1), 200, 700).as_slice(),
            [FloorEvent::FailedInterruption {
                seat: seat(1),
                holder: seat(2),
                start: 200,
                end: 700
            }]
        );
    }

    #[test]
    fn ends_of_seats_that_are_not_speaking_are_ignored() {
        let mut floor = FloorTracker::<2>::new(1000);
        assert!(floor.end(seat(1), 0, 10).is_empty());
        floor.start(seat(0), 0);
        floor.reset();
        assert!(floor.end(seat(0), 0, 10).is_empty());
        assert_eq!(floor.holder(), None);
        assert!(matches!(
            floor.start(seat(1), 20),
            Some(FloorEvent::Taken {
                how: Take::Opening,
                ..
            })
        ));
    }
}
