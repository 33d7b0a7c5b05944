//! Backchannels: short bursts ("mm-hm", "yes") inside another seat's turn
//! that do not take the floor.
//!
//! A turn of seat `s` is a backchannel when it lasts at most `max_ms` and
//! lies entirely inside one turn of another seat that is itself longer than
//! `max_ms`. Backchannels count as turns of their seat and as speaking
//! time, but the floor (and so transitions, interruptions and floor
//! transfer offsets) is computed without them.

/// For each seat's stretches, whether each one is a backchannel.
pub fn classify(by_seat: &[Vec<(u64, u64)>], max_ms: u64) -> Vec<Vec<bool>> {
    let long: Vec<Vec<(u64, u64)>> = by_seat
        .iter()
        .map(|s| s.iter().copied().filter(|(a, b)| b - a > max_ms).collect())
        .collect();
    by_seat
        .iter()
        .enumerate()
        .map(|(seat, stretches)| {
            stretches
                .iter()
                .map(|&(start, end)| {
                    end - start <= max_ms
                        && long
                            .iter()
                            .enumerate()
                            .any(|(other, turns)| other != seat && contains(turns, start, end))
                })
                .collect()
        })
        .collect()
}

/// Whether one of `stretches` (sorted, disjoint) covers `start..end`.
fn contains(stretches: &[(u64, u64)], start: u64, end: u64) -> bool {
    let after = stretches.partition_point(|s| s.0 <= start);
    after
        .checked_sub(1)
        .and_then(|i| stretches.get(i))
        .is_some_and(|s| s.1 >= end)
}

/// `by_seat` without the stretches `flags` marks.
pub fn without(by_seat: &[Vec<(u64, u64)>], flags: &[Vec<bool>]) -> Vec<Vec<(u64, u64)>> {
    by_seat
        .iter()
        .zip(flags)
        .map(|(stretches, flags)| {
            stretches
                .iter()
                .zip(flags)
                .filter(|(_, &bc)| !bc)
                .map(|(s, _)| *s)
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // A speaks 0..5000. B: 1000..1500 inside (backchannel), 4800..5300
        // sticks out (not one), 6000..6500 in silence (not one).
        // C: 2000..3200 inside but longer than 1 s (not one).
        let by_seat = vec![
            vec![(0, 5000)],
            vec![(1000, 1500), (4800, 5300), (6000, 6500)],
            vec![(2000, 3200)],
        ];
        let flags = classify(&by_seat, 1000);
        assert_eq!(flags, [vec![false], vec![true, false, false], vec![false]]);
        let rest = without(&by_seat, &flags);
        assert_eq!(rest[1], [(4800, 5300), (6000, 6500)]);
    }

    #[test]
    fn a_short_turn_inside_a_short_turn_is_not_a_backchannel() {
        let flags = classify(&[vec![(0, 900)], vec![(100, 200)]], 1000);
        assert_eq!(flags, [vec![false], vec![false]]);
    }
}
