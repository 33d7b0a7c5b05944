//! The same balance figures over parts of a session: fixed time windows
//! (`--window 5m`) and agenda segments (between `Agenda` markers).
//!
//! Speaking time is clipped to the range; a turn counts in the range where
//! it starts.

use serde::Serialize;

use super::speaking::share;
use super::timeline::{clip, clipped_length, starting_in, Piece};
use super::{balance, overlap};
use crate::session::Session;

/// Figures over one range of a session.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RangeFigures {
    /// Position among the ranges, from 0.
    pub index: usize,
    /// Start (session ms).
    pub start_ms: u64,
    /// End (session ms).
    pub end_ms: u64,
    /// Per seat, silent ones included.
    pub seats: Vec<RangeSeat>,
    /// Time with at least one speaker (ms).
    pub speech_ms: u64,
    /// Time with two or more speakers (ms).
    pub overlap_ms: u64,
    /// Gini of speaking time, population form.
    pub gini: Option<f64>,
    /// Gini, n/(n−1) form.
    pub gini_corrected: Option<f64>,
    /// Normalised entropy of shares.
    pub evenness: Option<f64>,
    /// Turns starting in the range.
    pub turns: u32,
    /// Population variance of turn counts.
    pub turn_count_variance: Option<f64>,
    /// Coefficient of variation of turn counts.
    pub turn_count_cv: Option<f64>,
}

/// One seat over one range.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RangeSeat {
    /// Seat index.
    pub seat: usize,
    /// Speaking time inside the range (ms).
    pub speaking_ms: u64,
    /// Share of the range's speaking time.
    pub share: f64,
    /// Turns starting inside the range.
    pub turns: u32,
}

/// Consecutive windows of `window_ms` from the session's start; the last
/// one ends with the session. Capped at 10 000 windows (a 1 ms window over
/// a long meeting would be useless and huge): the window then grows.
pub fn window_bounds(session: &Session, window_ms: u64) -> Vec<u64> {
    const MAX_WINDOWS: u64 = 10_000;
    let length = session.end_ms - session.start_ms;
    let window = window_ms.max(length.div_ceil(MAX_WINDOWS)).max(1);
    let mut bounds: Vec<u64> = (0..length.div_ceil(window))
        .map(|k| session.start_ms + k * window)
        .collect();
    bounds.push(session.end_ms);
    bounds
}

/// Agenda segment bounds: the session's start, each agenda marker, its end.
/// `None` without agenda markers.
pub fn agenda_bounds(session: &Session) -> Option<Vec<u64>> {
    let marks = session.agenda_marks();
    if marks.is_empty() {
        return None;
    }
    let mut bounds = vec![session.start_ms];
    bounds.extend(marks);
    bounds.push(session.end_ms);
    bounds.dedup();
    Some(bounds)
}

/// Figures for each range between consecutive `bounds`.
pub fn ranges(
    session: &Session,
    by_seat: &[Vec<(u64, u64)>],
    pieces: &[Piece],
    bounds: &[u64],
) -> Vec<RangeFigures> {
    let seats = session.seat_count();
    bounds
        .windows(2)
        .enumerate()
        .map(|(index, pair)| {
            let (from, to) = (pair[0], pair[1]);
            let speaking: Vec<u64> = by_seat
                .iter()
                .map(|s| clipped_length(s, from, to))
                .collect();
            let turns: Vec<u32> = by_seat.iter().map(|s| starting_in(s, from, to)).collect();
            let total: u64 = speaking.iter().sum();
            let o = overlap::overlap(clip(pieces, from, to), seats);
            let values: Vec<f64> = speaking.iter().map(|&x| x as f64).collect();
            let turn_values: Vec<f64> = turns.iter().map(|&t| f64::from(t)).collect();
            RangeFigures {
                index,
                start_ms: from,
                end_ms: to,
                seats: (0..seats)
                    .map(|seat| {
                        let ms = speaking.get(seat).copied().unwrap_or(0);
                        RangeSeat {
                            seat,
                            speaking_ms: ms,
                            share: share(ms, total),
                            turns: turns.get(seat).copied().unwrap_or(0),
                        }
                    })
                    .collect(),
                speech_ms: o.speech_ms,
                overlap_ms: o.overlap_ms,
                gini: balance::gini(&values),
                gini_corrected: balance::gini_corrected(&values),
                evenness: balance::evenness(&values),
                turns: turns.iter().sum(),
                turn_count_variance: balance::variance(&turn_values),
                turn_count_cv: balance::coefficient_of_variation(&turn_values),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::timeline::partition;
    use super::*;
    use crate::session::{SeatInfo, SessionBuilder};
    use tabletalk_core::seat::InputKind;
    use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

    #[test]
    fn windows_clip_time_and_count_turns_where_they_start() {
        let mut b = SessionBuilder::new(vec![SeatInfo::new(None, InputKind::Button); 2]);
        b.push_turn(0, 0, 150, TurnEnd::Natural);
        b.push_turn(1, 150, 250, TurnEnd::Natural);
        b.push(&Event::Marker {
            at: 200,
            kind: MarkerKind::Agenda,
        });
        let session = b.finish();
        let by_seat = session.stretches_by_seat();
        let pieces = partition(&by_seat);
        let bounds = window_bounds(&session, 100);
        assert_eq!(bounds, [0, 100, 200, 250]);
        let w = ranges(&session, &by_seat, &pieces, &bounds);
        assert_eq!(w[1].seats[0].speaking_ms, 50);
        assert_eq!(w[1].seats[1].speaking_ms, 50);
        assert_eq!((w[1].seats[0].turns, w[1].seats[1].turns), (0, 1));
        assert_eq!(w[1].gini, Some(0.0));
        assert_eq!(w[2].seats[1].share, 1.0);
        assert_eq!(w[2].gini, Some(0.5));
        let segments = agenda_bounds(&session).unwrap();
        assert_eq!(segments, [0, 200, 250]);
    }
}
