//! Speech, overlap and silence from the timeline partition.

use super::timeline::Piece;

/// Speech and overlap over a stretch of time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Overlap {
    /// Time in which at least one seat speaks.
    pub speech_ms: u64,
    /// Time in which two or more seats speak at once.
    pub overlap_ms: u64,
    /// Per seat: time it speaks while at least one other seat speaks too.
    pub seat_overlap_ms: Vec<u64>,
}

/// Speech and overlap of `pieces` (see [`super::timeline::partition`]).
pub fn overlap(pieces: impl IntoIterator<Item = Piece>, seats: usize) -> Overlap {
    let mut figures = Overlap {
        seat_overlap_ms: vec![0; seats],
        ..Overlap::default()
    };
    for piece in pieces {
        let speakers = piece.speakers();
        if speakers >= 1 {
            figures.speech_ms += piece.len();
        }
        if speakers >= 2 {
            figures.overlap_ms += piece.len();
            for seat in piece.active.iter() {
                if let Some(total) = figures.seat_overlap_ms.get_mut(seat) {
                    *total += piece.len();
                }
            }
        }
    }
    figures
}

#[cfg(test)]
mod tests {
    use super::super::timeline::partition;
    use super::*;

    #[test]
    fn hand_computed() {
        // A 0..10, 20..30; B 5..25; C 22..23: speech 0..30 = 30,
        // two or more: 5..10, 20..25 = 10.
        let pieces = partition(&[vec![(0, 10), (20, 30)], vec![(5, 25)], vec![(22, 23)]]);
        let figures = overlap(pieces, 3);
        assert_eq!(figures.speech_ms, 30);
        assert_eq!(figures.overlap_ms, 10);
        assert_eq!(figures.seat_overlap_ms, [10, 10, 1]);
    }
}
