//! Live figures: speaking time, turns, shares and one balance number, kept
//! up to date for LEDs and a live display.
//!
//! [`LiveFigures`] is fed by the [`TurnTracker`](super::tracker::TurnTracker)
//! as turns start and end, and told the current session time on every
//! update. Reading a seat's speaking time includes the turn in progress, so
//! a display never lags a whole turn behind.
//!
//! ## The balance figure
//!
//! [`LiveFigures::balance_q16`] is `1 − G*`, where `G*` is the Gini
//! coefficient of the seats' speaking times normalised to reach 1 when one
//! seat did all the talking: `G* = Σᵢ (2i − n − 1)·x₍ᵢ₎ / ((n − 1)·Σx)` over
//! the speaking times sorted ascending. So `balance` is `65536` (1.0) when
//! everyone spoke equally long (and before anyone spoke) and `0` when one
//! person spoke alone. It is recomputed in O(seats) whenever a turn starts
//! or ends and otherwise at most every [`BALANCE_EVERY_MS`] of session time
//! (once per frame): the seats are kept in sorted order by an insertion
//! sort, which does nearly nothing because speaking times change order
//! rarely, and the sum needs one 64-bit division.
//!
//! Overlap is counted as it happens: [`LiveFigures::overlap_ms`] is the
//! time with two or more seats speaking at once,
//! [`LiveFigures::seat_overlap_ms`] the part of a seat's speaking time that
//! overlapped someone else's.
//!
//! Shares are in Q16 too: [`LiveFigures::share_q16`] is the seat's part of
//! all speaking time, [`LiveFigures::share_of_fair_q16`] compares it to an
//! equal share (65536 = exactly its fair share), which is what a seat LED
//! shows.
//!
//! ```
//! use tabletalk_core::seat::SeatId;
//! use tabletalk_core::turns::live::{LiveFigures, Q16_ONE};
//!
//! let seat = |i| SeatId::new(i).unwrap();
//! let mut live = LiveFigures::<4>::new(2);
//! assert_eq!(live.balance_q16(), Q16_ONE);
//! live.turn_started(seat(0), 0);
//! live.turn_ended(seat(0), 0, 3000);
//! live.turn_started(seat(1), 3000);
//! live.update(4000); // seat 1 has been speaking for 1 s so far
//! assert_eq!(live.speaking_ms(seat(1)), 1000);
//! assert_eq!(live.share_q16(seat(0)), 49152); // 3 of 4 s: 0.75
//! // Two seats, 3:1: G* = (3 - 1) / 4 = 0.5.
//! assert_eq!(live.balance_q16(), Q16_ONE / 2);
//! ```

use crate::seat::SeatId;
use crate::time::SessionMs;
use crate::turns::floor::{FloorEvent, Take};

/// 1.0 in the Q16 figures.
pub const Q16_ONE: u32 = 1 << 16;

/// Between turn starts and ends, the balance is recomputed at most this
/// often (session ms): once per frame at the default 100 frames/s.
pub const BALANCE_EVERY_MS: u64 = 10;

/// Figures of one seat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LiveSeatFigures {
    /// Speaking time of completed turns (ms).
    pub completed_ms: u64,
    /// Turns started (including one in progress).
    pub turns: u32,
    /// Start of the turn in progress.
    pub speaking_since: Option<SessionMs>,
    /// Times the seat took the floor from another seat or opened it
    /// (taking it back after its own pause continues its tenure and does
    /// not count).
    pub floor_takes: u32,
    /// Successful interruptions made.
    pub interruptions: u32,
    /// Times the seat lost the floor to an interruption.
    pub interrupted: u32,
    /// Unsuccessful interruptions made.
    pub failed_interruptions: u32,
    /// Backchannels given.
    pub backchannels: u32,
    /// Time this seat spoke while at least one other seat spoke too, up to
    /// the last update (ms).
    pub overlap_ms: u64,
}

/// Live figures of up to `SEATS` seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveFigures<const SEATS: usize> {
    seats: [LiveSeatFigures; SEATS],
    counted: usize,
    now: SessionMs,
    order: [u8; SEATS],
    balance_q16: u32,
    /// A turn started or ended since the balance was computed.
    dirty: bool,
    /// Session time of the last balance computation.
    balance_at: SessionMs,
    /// Seats in a turn now.
    speaking: usize,
    /// Time with two or more seats speaking, up to `overlap_at` (ms).
    overlap_ms: u64,
    /// Session time up to which overlap has been counted.
    overlap_at: SessionMs,
}

impl<const SEATS: usize> LiveFigures<SEATS> {
    /// Figures where the first `counted` seats take part in shares and the
    /// balance.
    pub fn new(counted: usize) -> Self {
        LiveFigures {
            seats: [LiveSeatFigures::default(); SEATS],
            counted: counted.min(SEATS),
            now: 0,
            order: core::array::from_fn(|i| i as u8),
            balance_q16: Q16_ONE,
            dirty: false,
            balance_at: 0,
            speaking: 0,
            overlap_ms: 0,
            overlap_at: 0,
        }
    }

    /// Clears everything (a new session).
    pub fn reset(&mut self) {
        *self = Self::new(self.counted);
    }

    /// The session time of the last update.
    pub const fn now(&self) -> SessionMs {
        self.now
    }

    /// The raw figures of `seat`.
    pub fn seat(&self, seat: SeatId) -> Option<&LiveSeatFigures> {
        self.seats.get(seat.index())
    }

    pub(crate) fn seat_mut(&mut self, seat: SeatId) -> Option<&mut LiveSeatFigures> {
        self.seats.get_mut(seat.index())
    }

    /// Records a turn start.
    pub fn turn_started(&mut self, seat: SeatId, at: SessionMs) {
        self.count_overlap(at);
        if let Some(s) = self.seats.get_mut(seat.index()) {
            s.turns = s.turns.saturating_add(1);
            if s.speaking_since.replace(at).is_none() {
                self.speaking += 1;
            }
        }
        self.now = self.now.max(at);
        self.dirty = true;
    }

    /// Records a turn end.
    pub fn turn_ended(&mut self, seat: SeatId, start: SessionMs, end: SessionMs) {
        self.count_overlap(end);
        if let Some(s) = self.seats.get_mut(seat.index()) {
            s.completed_ms = s.completed_ms.saturating_add(end.saturating_sub(start));
            if s.speaking_since.take().is_some() {
                self.speaking = self.speaking.saturating_sub(1);
            }
        }
        self.now = self.now.max(end);
        self.dirty = true;
    }

    /// Counts what a turn start or end meant for the floor (from
    /// [`FloorTracker`](super::floor::FloorTracker)): floor takes,
    /// interruptions made and suffered, backchannels.
    pub fn count_floor(&mut self, event: FloorEvent) {
        match event {
            FloorEvent::Taken {
                seat, from, how, ..
            } => {
                if let Some(f) = self.seat_mut(seat).filter(|_| from != Some(seat)) {
                    f.floor_takes = f.floor_takes.saturating_add(1);
                    if how == Take::Interruption {
                        f.interruptions = f.interruptions.saturating_add(1);
                    }
                }
                if let (Take::Interruption, Some(from)) = (how, from) {
                    if let Some(f) = self.seat_mut(from) {
                        f.interrupted = f.interrupted.saturating_add(1);
                    }
                }
            }
            FloorEvent::Backchannel { seat, .. } => {
                if let Some(f) = self.seat_mut(seat) {
                    f.backchannels = f.backchannels.saturating_add(1);
                }
            }
            FloorEvent::FailedInterruption { seat, .. } => {
                if let Some(f) = self.seat_mut(seat) {
                    f.failed_interruptions = f.failed_interruptions.saturating_add(1);
                }
            }
            FloorEvent::Released { .. } => {}
        }
    }

    /// Adds the overlap since the last count, up to `at`.
    fn count_overlap(&mut self, at: SessionMs) {
        if at <= self.overlap_at {
            return;
        }
        if self.speaking >= 2 {
            let dt = at - self.overlap_at;
            for s in self.seats.iter_mut().filter(|s| s.speaking_since.is_some()) {
                s.overlap_ms = s.overlap_ms.saturating_add(dt);
            }
            self.overlap_ms = self.overlap_ms.saturating_add(dt);
        }
        self.overlap_at = at;
    }

    /// Time with two or more seats speaking at once, so far (ms).
    pub fn overlap_ms(&self) -> u64 {
        let ongoing = if self.speaking >= 2 {
            self.now.saturating_sub(self.overlap_at)
        } else {
            0
        };
        self.overlap_ms.saturating_add(ongoing)
    }

    /// Time `seat` spoke while someone else spoke too, so far (ms).
    pub fn seat_overlap_ms(&self, seat: SeatId) -> u64 {
        self.seats.get(seat.index()).map_or(0, |s| {
            let ongoing = if self.speaking >= 2 && s.speaking_since.is_some() {
                self.now.saturating_sub(self.overlap_at)
            } else {
                0
            };
            s.overlap_ms.saturating_add(ongoing)
        })
    }

    /// Seats speaking now.
    pub const fn speaking_count(&self) -> usize {
        self.speaking
    }

    /// Speaking time of `seat` so far, the turn in progress included (ms).
    pub fn speaking_ms(&self, seat: SeatId) -> u64 {
        self.seats.get(seat.index()).map_or(0, |s| self.total_of(s))
    }

    fn total_of(&self, s: &LiveSeatFigures) -> u64 {
        let ongoing = s
            .speaking_since
            .map_or(0, |since| self.now.saturating_sub(since));
        s.completed_ms.saturating_add(ongoing)
    }

    /// Speaking time of all counted seats (ms).
    pub fn total_speaking_ms(&self) -> u64 {
        self.seats
            .iter()
            .take(self.counted)
            .map(|s| self.total_of(s))
            .fold(0u64, u64::saturating_add)
    }

    /// `seat`'s share of all speaking time, Q16 (0 before anyone spoke).
    pub fn share_q16(&self, seat: SeatId) -> u32 {
        let total = self.total_speaking_ms();
        if total == 0 || seat.index() >= self.counted {
            return 0;
        }
        ratio_q16(self.speaking_ms(seat), total)
    }

    /// `seat`'s share relative to an equal share, Q16: 65536 means exactly
    /// its fair share, 131072 twice that (saturates at `u32::MAX`).
    pub fn share_of_fair_q16(&self, seat: SeatId) -> u32 {
        let share = u64::from(self.share_q16(seat));
        (share * self.counted as u64).min(u64::from(u32::MAX)) as u32
    }

    /// The balance figure, Q16 (see the module docs).
    pub const fn balance_q16(&self) -> u32 {
        self.balance_q16
    }

    /// Moves the clock to `now` and, if a turn started or ended or
    /// [`BALANCE_EVERY_MS`] passed, recomputes the balance. O(seats).
    pub fn update(&mut self, now: SessionMs) {
        self.now = self.now.max(now);
        self.count_overlap(self.now);
        let stale = self.now >= self.balance_at.saturating_add(BALANCE_EVERY_MS);
        // Nobody speaking and no turn changed: the balance cannot change.
        let moving = stale && self.speaking > 0;
        if !self.dirty && !moving {
            return;
        }
        self.dirty = false;
        self.balance_at = self.now;
        let n = self.counted;
        let mut totals = [0u64; SEATS];
        for (t, s) in totals.iter_mut().zip(self.seats.iter()).take(n) {
            *t = self.total_of(s);
        }
        // Insertion sort of the seat order by speaking time (nearly sorted).
        let order = self.order.get_mut(..n).unwrap_or(&mut []);
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 {
                let (Some(&a), Some(&b)) = (order.get(j - 1), order.get(j)) else {
                    break;
                };
                let ta = totals.get(usize::from(a)).copied().unwrap_or(0);
                let tb = totals.get(usize::from(b)).copied().unwrap_or(0);
                if ta <= tb {
                    break;
                }
                order.swap(j - 1, j);
                j -= 1;
            }
        }
        let sum: u64 = totals
            .iter()
            .take(n)
            .fold(0u64, |a, &b| a.saturating_add(b));
        if n < 2 || sum == 0 {
            self.balance_q16 = Q16_ONE;
            return;
        }
        // Scale so the sum fits in 32 bits: the weighted sum then fits i64.
        let shift = 64 - sum.leading_zeros();
        let shift = shift.saturating_sub(32);
        let mut weighted: i64 = 0;
        let mut scaled_sum: i64 = 0;
        for (rank, &seat) in order.iter().enumerate() {
            let x = (totals.get(usize::from(seat)).copied().unwrap_or(0) >> shift) as i64;
            let weight = 2 * (rank as i64 + 1) - n as i64 - 1;
            weighted += weight * x;
            scaled_sum += x;
        }
        let denominator = (n as i64 - 1) * scaled_sum;
        if denominator <= 0 {
            self.balance_q16 = Q16_ONE;
            return;
        }
        let gini_q16 = ((weighted.max(0) << 16) / denominator).clamp(0, i64::from(Q16_ONE));
        self.balance_q16 = Q16_ONE - gini_q16 as u32;
    }
}

/// `num / den` in Q16, for `num <= den`.
fn ratio_q16(num: u64, den: u64) -> u32 {
    if den == 0 {
        return 0;
    }
    let shift = (64 - den.leading_zeros()).saturating_sub(40);
    let (num, den) = (num >> shift, den >> shift);
    if den == 0 {
        return 0;
    }
    ((num << 16) / den).min(u64::from(u32::MAX)) as u32
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

    fn seat(i: u8) -> SeatId {
        SeatId::new(i).unwrap_or_else(|| unreachable!())
    }

    fn with_times(times: &[u64]) -> LiveFigures<16> {
        let mut live = LiveFigures::<16>::new(times.len());
        for (i, &t) in times.iter().enumerate() {
            live.turn_started(seat(i as u8), 0);
            live.turn_ended(seat(i as u8), 0, t);
        }
        live.update(0);
        live
    }

    fn reference_balance(times: &[u64]) -> f64 {
        let n = times.len() as f64;
        let sum: f64 = times.iter().map(|&t| t as f64).sum();
        let mut pairs = 0.0;
        for &a in times {
            for &b in times {
                pairs += (a as f64 - b as f64).abs();
            }
        }
        let gini = pairs / (2.0 * n * sum);
        1.0 - gini * n / (n - 1.0)
    }

    #[test]
    fn balance_matches_the_pairwise_gini() {
        for times in [
            &[1000u64, 1000, 1000, 1000][..],
            &[4000, 0, 0, 0],
            &[100, 200, 300, 400, 500],
            &[60_000, 1, 5000, 123_456, 9, 0, 77, 3_000_000],
            &[u64::MAX / 32, 1 << 50, 3, 1 << 40],
        ] {
            let got = f64::from(with_times(times).balance_q16()) / 65536.0;
            let want = reference_balance(times);
            assert!(
                (got - want).abs() < 0.001,
                "{times:?}: got {got} want {want}"
            );
        }
    }

    #[test]
    fn the_order_is_kept_when_speaking_times_change() {
        let mut live = with_times(&[100, 200, 300]);
        // Seat 0 speaks a lot more: the order must follow.
        live.turn_started(seat(0), 1000);
        live.update(11_000);
        let got = f64::from(live.balance_q16()) / 65536.0;
        let want = reference_balance(&[10_100, 200, 300]);
        assert!((got - want).abs() < 0.001, "got {got} want {want}");
    }

    #[test]
    fn overlap_is_counted_per_seat_and_in_total() {
        let mut live = LiveFigures::<4>::new(3);
        live.turn_started(seat(0), 0);
        live.turn_started(seat(1), 1000);
        live.turn_started(seat(2), 1500);
        live.turn_ended(seat(0), 0, 2000);
        live.update(2500);
        // Ongoing: seats 1 and 2 still overlap.
        assert_eq!(live.overlap_ms(), 1500);
        live.turn_ended(seat(1), 1000, 3000);
        live.update(4000);
        // 1000..3000 had two or more speakers.
        assert_eq!(live.overlap_ms(), 2000);
        assert_eq!(live.seat_overlap_ms(seat(0)), 1000);
        assert_eq!(live.seat_overlap_ms(seat(1)), 2000);
        assert_eq!(live.seat_overlap_ms(seat(2)), 1500);
        assert_eq!(live.speaking_count(), 1);
    }

    #[test]
    fn shares_add_up_to_one() {
        let live = with_times(&[1, 2, 3, 4, 5, 6, 7]);
        let sum: u32 = (0..7).map(|i| live.share_q16(seat(i))).sum();
        assert!((65530..=65536).contains(&sum), "sum {sum}");
        assert_eq!(live.share_q16(seat(9)), 0);
        assert_eq!(
            live.share_of_fair_q16(seat(3)),
            (live.share_q16(seat(3)) as u64 * 7) as u32
        );
    }
}
