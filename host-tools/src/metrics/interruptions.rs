//! Interruptions: a seat starts speaking while the floor holder is still
//! speaking.
//!
//! Convention: a (non-backchannel) turn of seat `s` starting at `t` is an
//! interruption of seat `h` when `h` holds the floor just before `t` and
//! is speaking at `t` (began before `t`, ends after it). It is
//! **successful** when `h` stops while `s` keeps speaking and `s` thereby
//! takes the floor (the next floor tenure is `s`'s and begins before `s`'s
//! turn ends); **unsuccessful** otherwise.

use super::floor::Floor;

/// One interruption.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interruption {
    /// The interrupting seat.
    pub by: usize,
    /// The interrupted seat (the floor holder).
    pub of: usize,
    /// When the interrupting turn began (ms).
    pub at: u64,
    /// Whether the interrupter took the floor.
    pub successful: bool,
}

/// Every interruption in time order, from the non-backchannel stretches
/// `by_seat` and the floor computed from them.
pub fn interruptions(by_seat: &[Vec<(u64, u64)>], floor: &Floor) -> Vec<Interruption> {
    let tenures = &floor.tenures;
    let mut found = Vec::new();
    for (seat, stretches) in by_seat.iter().enumerate() {
        for &(start, end) in stretches {
            // The holder just before `start`: the last tenure taken before it.
            let next = tenures.partition_point(|t| t.taken_at < start);
            let Some(holder) = next.checked_sub(1).and_then(|i| tenures.get(i)) else {
                continue;
            };
            if holder.seat == seat || !speaking_across(by_seat, holder.seat, start) {
                continue;
            }
            let successful = tenures
                .get(next)
                .is_some_and(|t| t.seat == seat && t.taken_at < end);
            found.push(Interruption {
                by: seat,
                of: holder.seat,
                at: start,
                successful,
            });
        }
    }
    found.sort_by_key(|i| (i.at, i.by));
    found
}

/// Whether `seat` speaks across `at` (started before, ends after).
fn speaking_across(by_seat: &[Vec<(u64, u64)>], seat: usize, at: u64) -> bool {
    let Some(stretches) = by_seat.get(seat) else {
        return false;
    };
    let after = stretches.partition_point(|s| s.0 < at);
    after
        .checked_sub(1)
        .and_then(|i| stretches.get(i))
        .is_some_and(|s| s.1 > at)
}

#[cfg(test)]
mod tests {
    use super::super::floor::floor;
    use super::super::timeline::partition;
    use super::*;

    fn run(by_seat: &[Vec<(u64, u64)>]) -> Vec<Interruption> {
        interruptions(by_seat, &floor(&partition(by_seat), by_seat))
    }

    #[test]
    fn successful_and_unsuccessful() {
        // A 0..5000. B 2000..3000 inside A (A keeps the floor): unsuccessful.
        // C 4000..8000: A stops at 5000, C alone: successful.
        let found = run(&[vec![(0, 5000)], vec![(2000, 3000)], vec![(4000, 8000)]]);
        assert_eq!(
            found,
            [
                Interruption {
                    by: 1,
                    of: 0,
                    at: 2000,
                    successful: false
                },
                Interruption {
                    by: 2,
                    of: 0,
                    at: 4000,
                    successful: true
                },
            ]
        );
    }

    #[test]
    fn starting_in_a_pause_or_on_the_stop_is_no_interruption() {
        // B starts exactly when A stops; A starts after a gap.
        assert!(run(&[vec![(0, 1000), (3000, 4000)], vec![(1000, 2000)]]).is_empty());
    }

    #[test]
    fn the_holder_is_the_one_interrupted_not_another_overlapper() {
        // A 0..10000 holds the floor. B 1000..3000 (unsuccessful),
        // C 2000..2500 while A and B speak: C interrupts A, not B.
        let found = run(&[vec![(0, 10000)], vec![(1000, 3000)], vec![(2000, 2500)]]);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[1].by, found[1].of, found[1].successful),
            (2, 0, false)
        );
    }

    #[test]
    fn the_interrupted_may_outlast_a_third_taking_the_floor() {
        // A 0..3000; B 1000..5000; C 2000..9000: A stops at 3000 with B
        // and C both speaking; B stops at 5000, C alone: C takes the floor
        // from A, B's interruption failed.
        let found = run(&[vec![(0, 3000)], vec![(1000, 5000)], vec![(2000, 9000)]]);
        let summary: Vec<_> = found.iter().map(|i| (i.by, i.of, i.successful)).collect();
        assert_eq!(summary, [(1, 0, false), (2, 0, true)]);
    }
}
