//! Who holds the floor: floor turns, transitions (who follows whom), floor
//! transfer offsets, pauses and monologues.
//!
//! Convention (after the "sole speaker" rule of Heldner & Edlund 2010): a
//! seat **takes the floor** when it becomes the only seat speaking
//! (backchannels excluded), and holds it until another seat does. Pauses
//! and overlaps therefore never change the floor by themselves; a seat that
//! only ever speaks in overlap never holds it.

use super::timeline::Piece;

/// A floor tenure: one seat holding the floor, from taking it to the next
/// seat taking it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenure {
    /// The holder.
    pub seat: usize,
    /// When it became the only speaker (ms).
    pub taken_at: u64,
    /// Start of the holder's speech that won the floor (ms); before
    /// `taken_at` when it began in overlap.
    pub speech_start: u64,
    /// End of the holder's last speech in this tenure (ms).
    pub speech_end: u64,
    /// The previous holder and the floor transfer offset from it: the new
    /// holder's speech start minus the end of the previous holder's last
    /// speech (negative: overlap; positive: gap).
    pub from: Option<(usize, i64)>,
}

impl Tenure {
    /// The monologue: from the winning speech's start to the holder's last
    /// speech end (ms).
    pub fn monologue_ms(&self) -> u64 {
        self.speech_end.saturating_sub(self.speech_start)
    }
}

/// The floor over a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Floor {
    /// Tenures in time order; consecutive ones have different seats.
    pub tenures: Vec<Tenure>,
    /// Pauses within one speaker: `(seat, ms)` for every silence bounded on
    /// both sides by that seat speaking alone.
    pub pauses: Vec<(usize, u64)>,
}

/// The floor from the timeline `pieces` of the non-backchannel stretches
/// `by_seat` (sorted, disjoint per seat).
pub fn floor(pieces: &[Piece], by_seat: &[Vec<(u64, u64)>]) -> Floor {
    let mut result = Floor::default();
    let mut last_end = vec![0u64; by_seat.len()];
    let mut current: Option<Tenure> = None;
    for (i, piece) in pieces.iter().enumerate() {
        if let Some(seat) = piece.sole_speaker() {
            if current.is_none_or(|t| t.seat != seat) {
                let speech_start = stretch_start(by_seat, seat, piece.start);
                let from = current.map(|previous| {
                    let previous_end = last_end.get(previous.seat).copied().unwrap_or(0);
                    let offset = i128::from(speech_start) - i128::from(previous_end);
                    (
                        previous.seat,
                        i64::try_from(offset).unwrap_or(if offset < 0 {
                            i64::MIN
                        } else {
                            i64::MAX
                        }),
                    )
                });
                if let Some(done) = current.take() {
                    result.tenures.push(done);
                }
                current = Some(Tenure {
                    seat,
                    taken_at: piece.start,
                    speech_start,
                    speech_end: piece.end,
                    from,
                });
            }
        }
        for seat in piece.active.iter() {
            if let Some(end) = last_end.get_mut(seat) {
                *end = piece.end;
            }
        }
        if let Some(tenure) = current.as_mut() {
            tenure.speech_end = last_end
                .get(tenure.seat)
                .copied()
                .unwrap_or(tenure.speech_end);
        }
        if piece.active.is_empty() {
            let around = (
                i.checked_sub(1).and_then(|j| pieces.get(j)),
                pieces.get(i + 1),
            );
            if let (Some(before), Some(after)) = around {
                if let (Some(a), Some(b)) = (before.sole_speaker(), after.sole_speaker()) {
                    if a == b {
                        result.pauses.push((a, piece.len()));
                    }
                }
            }
        }
    }
    result.tenures.extend(current);
    result
}

/// Start of the stretch of `seat` that contains `at`.
fn stretch_start(by_seat: &[Vec<(u64, u64)>], seat: usize, at: u64) -> u64 {
    let Some(stretches) = by_seat.get(seat) else {
        return at;
    };
    let after = stretches.partition_point(|s| s.0 <= at);
    after
        .checked_sub(1)
        .and_then(|i| stretches.get(i))
        .map_or(at, |s| s.0)
}

/// Floor turns per seat: how many tenures each seat had.
pub fn floor_turns(floor: &Floor, seats: usize) -> Vec<u32> {
    let mut counts = vec![0u32; seats];
    for tenure in &floor.tenures {
        if let Some(count) = counts.get_mut(tenure.seat) {
            *count += 1;
        }
    }
    counts
}

/// The transition matrix: `counts[a][b]` = how often `b` took the floor
/// from `a`. The diagonal is 0 by construction.
pub fn transition_counts(floor: &Floor, seats: usize) -> Vec<Vec<u32>> {
    let mut counts = vec![vec![0u32; seats]; seats];
    for tenure in &floor.tenures {
        if let Some((from, _)) = tenure.from {
            if let Some(cell) = counts
                .get_mut(from)
                .and_then(|row| row.get_mut(tenure.seat))
            {
                *cell += 1;
            }
        }
    }
    counts
}

/// Row probabilities of a count matrix: `p[a][b] = counts[a][b] / Σ_b
/// counts[a][b]`; a row without transitions is all `None`.
pub fn row_probabilities(counts: &[Vec<u32>]) -> Vec<Vec<Option<f64>>> {
    counts
        .iter()
        .map(|row| {
            let total: u32 = row.iter().sum();
            row.iter()
                .map(|&c| (total > 0).then(|| f64::from(c) / f64::from(total)))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::timeline::partition;
    use super::*;

    #[test]
    fn hand_computed() {
        // A 0..1000, pause, A 1500..3000; B 2800..5000 (overlap 200 ms,
        // takes the floor at 3000); gap; A 5500..6000.
        let by_seat = vec![
            vec![(0, 1000), (1500, 3000), (5500, 6000)],
            vec![(2800, 5000)],
        ];
        let pieces = partition(&by_seat);
        let floor = floor(&pieces, &by_seat);
        assert_eq!(
            floor.tenures,
            [
                Tenure {
                    seat: 0,
                    taken_at: 0,
                    speech_start: 0,
                    speech_end: 3000,
                    from: None
                },
                Tenure {
                    seat: 1,
                    taken_at: 3000,
                    speech_start: 2800,
                    speech_end: 5000,
                    from: Some((0, -200))
                },
                Tenure {
                    seat: 0,
                    taken_at: 5500,
                    speech_start: 5500,
                    speech_end: 6000,
                    from: Some((1, 500))
                },
            ]
        );
        assert_eq!(floor.pauses, [(0, 500)]);
        assert_eq!(floor.tenures[0].monologue_ms(), 3000);
        assert_eq!(floor_turns(&floor, 3), [2, 1, 0]);
        let counts = transition_counts(&floor, 3);
        assert_eq!(counts, [vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 0]]);
        let p = row_probabilities(&counts);
        assert_eq!(p[0], [Some(0.0), Some(1.0), Some(0.0)]);
        assert_eq!(p[2], [None, None, None]);
    }

    #[test]
    fn speaking_only_in_overlap_never_takes_the_floor() {
        // A 0..3000; B 1000..2000 entirely in overlap.
        let by_seat = vec![vec![(0, 3000)], vec![(1000, 2000)]];
        let floor = floor(&partition(&by_seat), &by_seat);
        assert_eq!(floor.tenures.len(), 1);
        assert!(floor.pauses.is_empty());
    }
}
