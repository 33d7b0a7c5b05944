//! The table rows the terminal and Markdown reports share: one function per
//! table builds its header, cells and column alignment, so the two formats
//! cannot drift apart; each renderer only lays the rows out (`text::layout`,
//! `markdown::table`).

use super::format::{clock, figure, percent};
use super::text::seat_name;
use crate::metrics::groups::GroupShare;
use crate::metrics::windows::RangeFigures;
use crate::metrics::SessionFigures;

/// Column alignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table before layout: a header of (label, alignment) and rows of cells,
/// one cell per header column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rows {
    /// Column labels and alignments.
    pub header: Vec<(String, Align)>,
    /// The cells, row by row.
    pub rows: Vec<Vec<String>>,
}

/// Per window or agenda segment: its span from the session's start, each
/// seat's share, then Gini, evenness and turns. Every column is a number.
pub fn ranges(s: &SessionFigures, ranges: &[RangeFigures]) -> Rows {
    let mut header = vec![
        ("from".to_owned(), Align::Right),
        ("to".to_owned(), Align::Right),
    ];
    header.extend(s.seats.iter().map(|x| (seat_name(x), Align::Right)));
    header.extend(["Gini", "evenness", "turns"].map(|h| (h.to_owned(), Align::Right)));
    let rows = ranges
        .iter()
        .map(|r| {
            let mut row = vec![
                clock(r.start_ms.saturating_sub(s.start_ms)),
                clock(r.end_ms.saturating_sub(s.start_ms)),
            ];
            row.extend(r.seats.iter().map(|x| percent(x.share)));
            row.extend([figure(r.gini), figure(r.evenness), r.turns.to_string()]);
            row
        })
        .collect();
    Rows { header, rows }
}

/// Per roster group: group, seats, share of seats, of speaking, of turns and
/// the voice ratio. `labels` words the six columns in the renderer's style.
pub fn groups(shares: &[GroupShare], labels: [&str; 6]) -> Rows {
    let aligns = [
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    let header = labels
        .iter()
        .zip(aligns)
        .map(|(label, align)| ((*label).to_owned(), align))
        .collect();
    let rows = shares
        .iter()
        .map(|g| {
            vec![
                g.group.clone(),
                g.seats.to_string(),
                percent(g.seat_share),
                percent(g.speaking_share),
                percent(g.turn_share),
                format!("{:.2}", g.voice_ratio),
            ]
        })
        .collect();
    Rows { header, rows }
}
