//! The timeline partition: cutting a session at every turn boundary gives
//! pieces during which the set of active seats does not change. Speech,
//! overlap and the floor are all read off these pieces, so each is one
//! O(n log n) sweep however many seats speak at once.

/// A set of seats (a log describes up to 255; a device has at most 16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeatSet([u64; 4]);

impl SeatSet {
    /// The most seats a set holds.
    pub const CAPACITY: usize = 256;

    /// The empty set.
    pub const EMPTY: SeatSet = SeatSet([0; 4]);

    /// Adds `seat` if absent, removes it if present (seats past
    /// [`Self::CAPACITY`] are ignored).
    pub fn toggle(&mut self, seat: usize) {
        if let Some(word) = self.0.get_mut(seat / 64) {
            *word ^= 1 << (seat % 64);
        }
    }

    /// Whether `seat` is in the set.
    pub fn contains(&self, seat: usize) -> bool {
        self.0
            .get(seat / 64)
            .is_some_and(|w| w & (1 << (seat % 64)) != 0)
    }

    /// How many seats are in the set.
    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }

    /// The seats in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    i * 64 + bit
                })
            })
        })
    }

    /// The only seat, if the set holds exactly one.
    pub fn sole(&self) -> Option<usize> {
        if self.len() == 1 {
            self.iter().next()
        } else {
            None
        }
    }
}

/// A stretch of time during which the same seats are active.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Start (ms).
    pub start: u64,
    /// End (ms), after `start`.
    pub end: u64,
    /// The seats active throughout.
    pub active: SeatSet,
}

impl Piece {
    /// Length (ms).
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether it has zero length (never true for pieces made here).
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }

    /// How many seats are active.
    pub fn speakers(&self) -> u32 {
        self.active.len()
    }

    /// The only active seat, if exactly one is.
    pub fn sole_speaker(&self) -> Option<usize> {
        self.active.sole()
    }
}

/// Cuts the time from the first start to the last end of `by_seat` (each
/// seat's stretches sorted and disjoint) into [`Piece`]s, silent pieces
/// (empty `active`) included. Seats past [`SeatSet::CAPACITY`] are ignored.
pub fn partition(by_seat: &[Vec<(u64, u64)>]) -> Vec<Piece> {
    let mut edges: Vec<(u64, usize)> = Vec::new();
    for (seat, stretches) in by_seat.iter().enumerate().take(SeatSet::CAPACITY) {
        for &(start, end) in stretches {
            edges.push((start, seat));
            edges.push((end, seat));
        }
    }
    edges.sort_unstable_by_key(|e| e.0);
    let mut pieces = Vec::with_capacity(edges.len());
    let mut active = SeatSet::EMPTY;
    let mut at = edges.first().map_or(0, |e| e.0);
    let mut i = 0;
    while let Some(&(time, _)) = edges.get(i) {
        if time > at {
            pieces.push(Piece {
                start: at,
                end: time,
                active,
            });
            at = time;
        }
        // A seat's stretches are disjoint and do not touch, so each edge
        // of a seat flips its bit: on at a start, off at the end.
        while let Some(&(t, seat)) = edges.get(i) {
            if t != time {
                break;
            }
            active.toggle(seat);
            i += 1;
        }
    }
    pieces
}

/// The pieces overlapping `from..to`, clipped to it.
pub fn clip(pieces: &[Piece], from: u64, to: u64) -> impl Iterator<Item = Piece> + '_ {
    let first = pieces.partition_point(|p| p.end <= from);
    pieces
        .get(first..)
        .unwrap_or_default()
        .iter()
        .take_while(move |p| p.start < to)
        .map(move |p| Piece {
            start: p.start.max(from),
            end: p.end.min(to),
            active: p.active,
        })
        .filter(|p| p.start < p.end)
}

/// How many of `stretches` (sorted, disjoint) start inside `from..to`.
pub fn starting_in(stretches: &[(u64, u64)], from: u64, to: u64) -> u32 {
    let first = stretches.partition_point(|t| t.0 < from);
    let end = stretches.partition_point(|t| t.0 < to);
    u32::try_from(end.saturating_sub(first)).unwrap_or(u32::MAX)
}

/// Total length of `stretches` (sorted, disjoint) inside `from..to`.
pub fn clipped_length(stretches: &[(u64, u64)], from: u64, to: u64) -> u64 {
    let first = stretches.partition_point(|s| s.1 <= from);
    stretches
        .get(first..)
        .unwrap_or_default()
        .iter()
        .take_while(|s| s.0 < to)
        .map(|s| s.1.min(to).saturating_sub(s.0.max(from)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(p: &Piece) -> u64 {
        p.active.iter().map(|s| 1u64 << s).sum()
    }

    #[test]
    fn seat_sets_hold_255_seats() {
        let mut set = SeatSet::EMPTY;
        for seat in [0, 63, 64, 200, 254] {
            set.toggle(seat);
        }
        assert_eq!(set.len(), 5);
        assert!(set.contains(200) && !set.contains(199));
        assert_eq!(set.iter().collect::<Vec<_>>(), [0, 63, 64, 200, 254]);
        set.toggle(0);
        set.toggle(63);
        set.toggle(64);
        set.toggle(254);
        assert_eq!(set.sole(), Some(200));
        set.toggle(300); // ignored
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn pieces_follow_every_boundary() {
        // A: 0..10, 20..30   B: 5..25
        let pieces = partition(&[vec![(0, 10), (20, 30)], vec![(5, 25)]]);
        let summary: Vec<_> = pieces.iter().map(|p| (p.start, p.end, bits(p))).collect();
        assert_eq!(
            summary,
            [(0, 5, 1), (5, 10, 3), (10, 20, 2), (20, 25, 3), (25, 30, 1)]
        );
    }

    #[test]
    fn silence_is_a_piece_and_simultaneous_edges_are_one_cut() {
        let pieces = partition(&[vec![(0, 10)], vec![(10, 20)], vec![(30, 40)]]);
        let summary: Vec<_> = pieces.iter().map(|p| (p.start, p.end, bits(p))).collect();
        assert_eq!(summary, [(0, 10, 1), (10, 20, 2), (20, 30, 0), (30, 40, 4)]);
        assert_eq!(pieces[1].sole_speaker(), Some(1));
        assert_eq!(pieces[2].sole_speaker(), None);
    }

    #[test]
    fn empty_input_gives_no_pieces() {
        assert!(partition(&[vec![], vec![]]).is_empty());
    }

    #[test]
    fn clipping() {
        let pieces = partition(&[vec![(0, 10), (20, 30)]]);
        let clipped: Vec<_> = clip(&pieces, 5, 25).map(|p| (p.start, p.end)).collect();
        assert_eq!(clipped, [(5, 10), (10, 20), (20, 25)]);
        assert_eq!(clipped_length(&[(0, 10), (20, 30)], 5, 25), 10);
        assert_eq!(clipped_length(&[(0, 10), (20, 30)], 30, 40), 0);
    }
}
