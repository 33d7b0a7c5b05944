//! Backchannels: short turns ("mm-hm", "yes") inside another seat's floor
//! tenure that do not take the floor.
//!
//! Which turns are backchannels is decided by the floor model (see
//! [`super::floor`]): a turn of at most `backchannel_max_ms` that starts
//! and ends while another seat holds the floor. Backchannels count as
//! turns of their seat and as speaking time; the burstiness of turn onsets
//! is computed without them.

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
    use super::super::floor::floor;
    use super::*;

    #[test]
    fn hand_computed() {
        // A speaks 0..5000. B: 1000..1500 inside (backchannel), 4800..5300
        // sticks out (not one: it outlasts A and takes the floor),
        // 6000..6500 (B's own floor, not one). C: 2000..3200 inside but
        // longer than 1 s (not one).
        let by_seat = vec![
            vec![(0, 5000)],
            vec![(1000, 1500), (4800, 5300), (6000, 6500)],
            vec![(2000, 3200)],
        ];
        let flags = floor(&by_seat, 1000, &[]).backchannels;
        assert_eq!(flags, [vec![false], vec![true, false, false], vec![false]]);
        let rest = without(&by_seat, &flags);
        assert_eq!(rest[1], [(4800, 5300), (6000, 6500)]);
    }

    #[test]
    fn a_short_turn_inside_a_short_turn_is_a_backchannel() {
        // A 0..900 holds the floor; B's 100 ms inside it gives way.
        let flags = floor(&[vec![(0, 900)], vec![(100, 200)]], 1000, &[]).backchannels;
        assert_eq!(flags, [vec![false], vec![true]]);
    }
}
