//! The flat table behind `report --format csv` and `batch`: one row per
//! session (`level = session`) and one per seat (`level = seat`), typed
//! columns, nulls where a column does not apply. Tidy enough for DuckDB,
//! pandas or Spark: filter on `level`, join seat rows to their session row
//! on `(source, session)`.

use super::Report;
use crate::metrics::{SeatFigures, SessionFigures};

/// The type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text.
    Text,
    /// 64-bit signed integer.
    Int,
    /// 64-bit float.
    Float,
}

/// One value; `None` is null.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(Option<String>),
    /// Integer.
    Int(Option<i64>),
    /// Float.
    Float(Option<f64>),
}

impl Cell {
    /// The cell's column type.
    pub fn kind(&self) -> Kind {
        match self {
            Cell::Text(_) => Kind::Text,
            Cell::Int(_) => Kind::Int,
            Cell::Float(_) => Kind::Float,
        }
    }
}

/// Rows with a fixed header.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names and types.
    pub columns: Vec<(&'static str, Kind)>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with the columns of [`row`].
    pub fn new() -> Table {
        let columns = row(&SessionFigures::empty(), None)
            .into_iter()
            .map(|(name, cell)| (name, cell.kind()))
            .collect();
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    /// Appends the rows of one session: its session row, then its seats.
    pub fn push_session(&mut self, session: &SessionFigures) {
        self.rows
            .push(row(session, None).into_iter().map(|c| c.1).collect());
        for seat in &session.seats {
            self.rows
                .push(row(session, Some(seat)).into_iter().map(|c| c.1).collect());
        }
    }

    /// The rows of every session of a report.
    pub fn from_report(report: &Report) -> Table {
        let mut table = Table::new();
        for session in &report.sessions {
            table.push_session(session);
        }
        table
    }
}

fn int(v: impl TryInto<i64>) -> Cell {
    Cell::Int(v.try_into().ok())
}

/// One row: the session's figures (`seat = None`) or one seat's. Every row
/// has the same columns in the same order.
pub fn row(s: &SessionFigures, seat: Option<&SeatFigures>) -> Vec<(&'static str, Cell)> {
    let g = &s.group;
    let t = |v: Option<&str>| Cell::Text(v.map(str::to_owned));
    let session_only = |cell: Cell| {
        if seat.is_some() {
            null_like(&cell)
        } else {
            cell
        }
    };
    let seat_int =
        |f: fn(&SeatFigures) -> u64| Cell::Int(seat.and_then(|x| i64::try_from(f(x)).ok()));
    let seat_float = |f: fn(&SeatFigures) -> Option<f64>| Cell::Float(seat.and_then(f));
    vec![
        (
            "level",
            t(Some(if seat.is_some() { "seat" } else { "session" })),
        ),
        ("source", t(Some(&s.source))),
        ("session", int(s.session)),
        (
            "device_id",
            Cell::Int(s.device_id.and_then(|d| i64::try_from(d).ok())),
        ),
        (
            "wall_clock_start_ms",
            Cell::Int(s.wall_clock_start_ms.and_then(|d| i64::try_from(d).ok())),
        ),
        (
            "seat",
            Cell::Int(seat.and_then(|x| i64::try_from(x.seat).ok())),
        ),
        ("label", t(seat.and_then(|x| x.label.as_deref()))),
        ("name", t(seat.and_then(|x| x.name.as_deref()))),
        (
            "organisation",
            t(seat.and_then(|x| x.organisation.as_deref())),
        ),
        ("sector", t(seat.and_then(|x| x.sector.as_deref()))),
        ("role", t(seat.and_then(|x| x.role.as_deref()))),
        ("speaking_ms", seat_int(|x| x.speaking_ms)),
        ("share", seat_float(|x| Some(x.share))),
        (
            "turns",
            match seat {
                Some(x) => int(x.turns),
                None => int(g.turns),
            },
        ),
        ("turn_share", seat_float(|x| Some(x.turn_share))),
        ("floor_turns", seat_int(|x| u64::from(x.floor_turns))),
        ("mean_turn_ms", seat_float(|x| x.mean_turn_ms)),
        ("median_turn_ms", seat_float(|x| x.median_turn_ms)),
        ("longest_turn_ms", seat_int(|x| x.longest_turn_ms)),
        (
            "overlap_ms",
            match seat {
                Some(x) => int(x.overlap_ms),
                None => int(g.overlap_ms),
            },
        ),
        (
            "interruptions_made",
            seat_int(|x| u64::from(x.interruptions_made)),
        ),
        (
            "interruptions_made_successful",
            seat_int(|x| u64::from(x.interruptions_made_successful)),
        ),
        (
            "interruptions_suffered",
            seat_int(|x| u64::from(x.interruptions_suffered)),
        ),
        (
            "interruptions_suffered_successful",
            seat_int(|x| u64::from(x.interruptions_suffered_successful)),
        ),
        (
            "backchannels",
            match seat {
                Some(x) => int(x.backchannels),
                None => int(g.backchannels),
            },
        ),
        ("seats", session_only(int(g.seats))),
        ("start_ms", session_only(int(s.start_ms))),
        ("end_ms", session_only(int(s.end_ms))),
        ("duration_ms", session_only(int(g.duration_ms))),
        ("speech_ms", session_only(int(g.speech_ms))),
        ("silence_ms", session_only(int(g.silence_ms))),
        ("overlap_ratio", session_only(Cell::Float(g.overlap_ratio))),
        ("gini", session_only(Cell::Float(g.gini))),
        (
            "gini_corrected",
            session_only(Cell::Float(g.gini_corrected)),
        ),
        ("evenness", session_only(Cell::Float(g.evenness))),
        (
            "turn_count_variance",
            session_only(Cell::Float(g.turn_count_variance)),
        ),
        ("turn_count_cv", session_only(Cell::Float(g.turn_count_cv))),
        ("floor_transitions", session_only(int(g.floor_transitions))),
        ("transfer_gaps", session_only(int(g.floor_transfer.gaps))),
        (
            "transfer_overlaps",
            session_only(int(g.floor_transfer.overlaps)),
        ),
        (
            "transfer_offset_median_ms",
            session_only(Cell::Float(g.floor_transfer.offset_median_ms)),
        ),
        ("pauses", session_only(int(g.floor_transfer.pauses))),
        (
            "pause_median_ms",
            session_only(Cell::Float(g.floor_transfer.pause_median_ms)),
        ),
        (
            "longest_monologue_seat",
            session_only(Cell::Int(
                g.longest_monologue
                    .as_ref()
                    .and_then(|m| i64::try_from(m.seat).ok()),
            )),
        ),
        (
            "longest_monologue_ms",
            session_only(Cell::Int(
                g.longest_monologue
                    .as_ref()
                    .and_then(|m| i64::try_from(m.duration_ms).ok()),
            )),
        ),
        ("burstiness", session_only(Cell::Float(g.burstiness))),
    ]
}

fn null_like(cell: &Cell) -> Cell {
    match cell {
        Cell::Text(_) => Cell::Text(None),
        Cell::Int(_) => Cell::Int(None),
        Cell::Float(_) => Cell::Float(None),
    }
}

impl SessionFigures {
    /// A session without seats or figures (the shape of a table row).
    pub fn empty() -> SessionFigures {
        SessionFigures {
            source: String::new(),
            session: 0,
            device_id: None,
            wall_clock_start_ms: None,
            tick_ms: 1,
            start_ms: 0,
            end_ms: 0,
            backchannel_max_ms: 0,
            seats: Vec::new(),
            group: Default::default(),
            markers: Vec::new(),
            windows: Vec::new(),
            segments: Vec::new(),
            roster_groups: None,
            exchange: None,
            decisions: Vec::new(),
            notes: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_has_the_header_kinds() {
        let mut s = SessionFigures::empty();
        s.seats.push(SeatFigures {
            seat: 1,
            speaking_ms: 10,
            ..SeatFigures::default()
        });
        let mut table = Table::new();
        table.push_session(&s);
        assert_eq!(table.rows.len(), 2);
        for row in &table.rows {
            assert_eq!(row.len(), table.columns.len());
            for (cell, (_, kind)) in row.iter().zip(&table.columns) {
                assert_eq!(cell.kind(), *kind);
            }
        }
        let speaking = table
            .columns
            .iter()
            .position(|c| c.0 == "speaking_ms")
            .unwrap();
        assert_eq!(table.rows[0][speaking], Cell::Int(None));
        assert_eq!(table.rows[1][speaking], Cell::Int(Some(10)));
    }
}
