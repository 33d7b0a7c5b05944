//! The table rows the terminal and Markdown reports share: one function per
//! table builds its header, cells and column alignment, so the two formats
//! cannot drift apart; each renderer only lays the rows out (`text::layout`,
//! `markdown::table`).

use super::format::{arrows, change_in_unit, clock, figure, in_unit, percent};
use super::text::seat_name;
use super::Report;
use crate::metrics::groups::GroupShare;
use crate::metrics::trend::Figure;
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

/// The session figures a reader follows across sessions, in this order.
pub const TREND_FIGURES: [Figure; 5] = [
    Figure::Evenness,
    Figure::Gini,
    Figure::TurnCountCv,
    Figure::OverlapRatio,
    Figure::DurationMs,
];

/// Across sessions: [`TREND_FIGURES`], then each person's share, with at
/// most `max_values` values per row (the middle elided) and the slope per
/// session in the figure's own unit.
pub fn trend(report: &Report, max_values: usize) -> Rows {
    let header = vec![
        ("figure".to_owned(), Align::Left),
        ("per session".to_owned(), Align::Left),
        ("slope/session".to_owned(), Align::Right),
    ];
    let group = TREND_FIGURES.iter().filter_map(|f| {
        report
            .trend
            .iter()
            .find(|t| t.figure == *f && t.person.is_none())
    });
    let people = report
        .trend
        .iter()
        .filter(|t| t.figure == Figure::Share && t.person.is_some());
    let rows = group
        .chain(people)
        .map(|t| {
            let unit = t.figure.unit();
            let values: Vec<String> = t.values.iter().map(|v| in_unit(unit, *v)).collect();
            let name = match &t.person {
                Some(person) => format!("share: {person}"),
                None => t.figure.name().to_owned(),
            };
            vec![
                name,
                arrows(&values, max_values),
                change_in_unit(unit, t.slope_per_session),
            ]
        })
        .collect();
    Rows { header, rows }
}

/// Across sessions, per person: meetings, mean share in their first and
/// later meetings (as a multiple of a fair share) and how many meetings
/// they spent under half a fair share.
pub fn voices(report: &Report) -> Rows {
    let header = ["who", "meetings", "first", "later", "< ½ fair"]
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let align = if i == 0 { Align::Left } else { Align::Right };
            ((*h).to_owned(), align)
        })
        .collect();
    let voices = report.series.as_ref().map_or(&[][..], |s| &s.people[..]);
    let rows = voices
        .iter()
        .map(|v| {
            let period = |p: &crate::metrics::people::Period| {
                format!("{} ({:.1}×)", percent(p.share), p.share_of_fair)
            };
            vec![
                v.name.clone(),
                v.meetings.to_string(),
                period(&v.first),
                v.later.as_ref().map_or("–".to_owned(), period),
                format!(
                    "{}{}",
                    v.below_half_fair,
                    if v.mostly_below_half_fair {
                        " quiet"
                    } else {
                        ""
                    }
                ),
            ]
        })
        .collect();
    Rows { header, rows }
}
