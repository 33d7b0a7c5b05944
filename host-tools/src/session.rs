//! The session model every laptop-side computation works on: seats, their
//! turns, markers and input conditions, in session milliseconds.
//!
//! A [`Session`] is built by a [`SessionBuilder`] from the core's
//! [`Event`]s (decoded from a log, simulated, or imported from RTTM), so
//! metrics, reports, replays and scoring all see one normalised shape:
//!
//! * seats are `0..seats.len()`, silent seats included;
//! * turns are sorted by start (then seat), and one seat's turns never
//!   overlap or touch: touching or overlapping pieces of one seat's activity
//!   are merged into one turn (a note says how many, when that happened in
//!   a device log, where it should not);
//! * `start_ms..end_ms` is the session's extent; pauses come from
//!   `Pause`/`Resume` markers.
//!
//! ```
//! use tabletalk::session::{SessionBuilder, SeatInfo};
//! use tabletalk_core::seat::{InputKind, SeatId};
//! use tabletalk_core::turns::{Event, TurnEnd};
//!
//! let seat = |i| SeatId::new(i).unwrap();
//! let mut builder = SessionBuilder::new(vec![
//!     SeatInfo::new(Some("Ana".into()), InputKind::Button),
//!     SeatInfo::new(None, InputKind::Button),
//! ]);
//! builder.push(&Event::TurnEnded { seat: seat(1), start: 500, end: 900, how: TurnEnd::Natural });
//! builder.push(&Event::TurnEnded { seat: seat(0), start: 0, end: 600, how: TurnEnd::Natural });
//! let session = builder.finish();
//! assert_eq!(session.turns[0].seat, 0); // sorted by start
//! assert_eq!((session.start_ms, session.end_ms), (0, 900));
//! assert_eq!(session.seats[1].display_label(1), "seat 1");
//! ```

use serde::Serialize;

/// The most seats one log (and so one session) can describe: a device has
/// at most 16, an imported recording may have more speakers.
pub const MAX_LOG_SEATS: usize = 255;
use tabletalk_core::params::DetectionParams;
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{Condition, Event, MarkerKind, TurnEnd};

/// Something a reader of a report should know about a session's data: what
/// was lost, repaired or ignored. Shown as a sentence (its `Display`), and
/// serialized as that sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// Turns were logged inside a marked pause (`ms` of it).
    TurnsDuringPause {
        /// How much of the marked pause had turns, ms.
        ms: u64,
    },
    /// Overlapping or touching pieces of one seat's turns were merged.
    MergedTurns {
        /// Merges made.
        count: usize,
    },
    /// Turns of an unknown seat, or ending before their start, were ignored.
    IgnoredTurns {
        /// Turns ignored.
        count: usize,
    },
    /// A `Start` marker came after a `Stop`: the time between is not
    /// counted as recorded.
    StartAfterStop {
        /// The time between, ms.
        ms: u64,
    },
    /// Markers or conditions later than the session-end record were ignored.
    EventsAfterEnd {
        /// Events ignored.
        count: usize,
    },
    /// RTTM segments reached outside the scored extent and were clipped.
    ClippedSegments {
        /// Segments clipped.
        count: usize,
    },
    /// The device's store was full: later records were not kept.
    StoreFull {
        /// When, session ms.
        at_ms: u64,
    },
    /// The device's store wrapped and overwrote older records.
    StoreWrapped {
        /// When, session ms.
        at_ms: u64,
        /// Bytes overwritten.
        bytes: u32,
    },
    /// The device could not store some frames.
    FramesNotStored {
        /// When, session ms.
        at_ms: u64,
        /// Frames not stored.
        frames: u32,
    },
    /// The device's engine dropped input events (a seat's edge queue
    /// overflowed).
    EventsDropped {
        /// When, session ms.
        at_ms: u64,
        /// Events dropped.
        events: u32,
    },
    /// Turn batches were lost (damaged or missing frames).
    BatchesLost {
        /// Batches lost.
        lost: u32,
        /// Batches the session wrote (from its end record; 0 if unknown).
        of: u32,
        /// Turns in them, when the end record says (`None`: unknown).
        turns: Option<u64>,
    },
    /// No session-end record: the log was cut short or the session is
    /// still running.
    NoEnd,
    /// Turns named a seat the header does not have.
    SeatOutOfRange {
        /// Turns ignored.
        turns: usize,
    },
    /// The header records detection parameters this version does not know.
    UnknownParams {
        /// How many.
        count: u8,
    },
    /// Another session in the same input has this session's identity but a
    /// different header: the two were kept apart, records going to the
    /// session whose header came last before them.
    IdConflict {
        /// The shared identity (`number-nonce`).
        id: String,
    },
    /// The session's header was lost: its turns were placed by the session
    /// essentials (tick, seat count, start time); the detection
    /// parameters, labels and input kinds are unknown.
    HeaderLost,
    /// Records of another session with the same id were interleaved with
    /// this one's; those that could not be told apart went to neither.
    Interleaved {
        /// The shared identity (`number-nonce`).
        id: String,
        /// Records given to neither session.
        unattributed: usize,
    },
}

impl Note {
    /// True when the note says data was lost (worth a warning on stderr).
    pub fn is_loss(&self) -> bool {
        matches!(
            self,
            Note::StoreFull { .. }
                | Note::StoreWrapped { .. }
                | Note::FramesNotStored { .. }
                | Note::EventsDropped { .. }
                | Note::BatchesLost { .. }
                | Note::NoEnd
                | Note::IdConflict { .. }
                | Note::HeaderLost
                | Note::Interleaved { .. }
        )
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clock = crate::report::format::clock;
        match self {
            Note::TurnsDuringPause { ms } => write!(
                f,
                "turns were logged during a pause ({ms} ms of it): a resume marker was probably lost; time with turns counts as recorded"
            ),
            Note::MergedTurns { count } => write!(
                f,
                "{count} overlapping or touching turn pieces of one seat were merged"
            ),
            Note::IgnoredTurns { count } => write!(
                f,
                "{count} turns with an unknown seat or ending before their start were ignored"
            ),
            Note::StartAfterStop { ms } => write!(
                f,
                "the session was started again after a stop marker; the {} between are not counted as recorded",
                clock(*ms)
            ),
            Note::EventsAfterEnd { count } => write!(
                f,
                "{count} markers or conditions later than the session-end record were ignored"
            ),
            Note::ClippedSegments { count } => write!(
                f,
                "{count} segments reached outside the scored extent and were clipped"
            ),
            Note::StoreFull { at_ms } => write!(
                f,
                "the device's store was full at {}: later records were not kept",
                clock(*at_ms)
            ),
            Note::StoreWrapped { at_ms, bytes } => write!(
                f,
                "the device's store wrapped at {}: {bytes} bytes of older records were overwritten",
                clock(*at_ms)
            ),
            Note::FramesNotStored { at_ms, frames } => write!(
                f,
                "the device could not store {frames} frames at {}",
                clock(*at_ms)
            ),
            Note::EventsDropped { at_ms, events } => write!(
                f,
                "the device dropped {events} input events at {} (a seat's input queue overflowed): figures around then may be off",
                clock(*at_ms)
            ),
            Note::BatchesLost { lost, of, turns } => {
                if *of > 0 {
                    write!(f, "{lost} of {of} turn batches were lost")?;
                } else {
                    write!(f, "{lost} turn batches were lost")?;
                }
                if let Some(turns) = turns {
                    write!(f, " ({turns} turns)")?;
                }
                f.write_str(": figures count only the turns that survived")
            }
            Note::NoEnd => f.write_str(
                "no session-end record: the log was cut short or the session is still running; the session ends at its last event",
            ),
            Note::SeatOutOfRange { turns } => write!(
                f,
                "{turns} turns named a seat the header does not have and were ignored"
            ),
            Note::UnknownParams { count } => write!(
                f,
                "the log records {count} detection parameters this version does not know (written by a newer tabletalk)"
            ),
            Note::IdConflict { id } => write!(
                f,
                "another session in this input has the same id {id} but a different header: the two were kept apart"
            ),
            Note::HeaderLost => f.write_str(
                "the session's header was lost: turns are placed by the session essentials; the detection parameters, labels and input kinds are unknown"
            ),
            Note::Interleaved { id, unattributed } => write!(
                f,
                "records of another session with the same id {id} were interleaved with this one's: {unattributed} records that could not be told apart were given to neither"
            ),
        }
    }
}

impl Serialize for Note {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One seat at the table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeatInfo {
    /// The label the log (or the imported annotation) gives the seat, if any.
    pub label: Option<String>,
    /// How the seat's speech reached the device.
    pub input: InputKind,
}

impl SeatInfo {
    /// A seat with an optional label.
    pub fn new(label: Option<String>, input: InputKind) -> Self {
        SeatInfo { label, input }
    }

    /// The label, or `seat N` (N = the seat index, from 0, as in the log)
    /// without one.
    pub fn display_label(&self, index: usize) -> String {
        match &self.label {
            Some(label) if !label.is_empty() => label.clone(),
            _ => format!("seat {index}"),
        }
    }
}

/// One speaking turn: a maximal stretch of one seat's activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Turn {
    /// Seat index, `0..seats.len()`.
    pub seat: usize,
    /// Start (session ms).
    pub start_ms: u64,
    /// End (session ms), after `start_ms`.
    pub end_ms: u64,
    /// The turn, or a piece of it, was cut at the maximum turn length.
    pub cut: bool,
}

impl Turn {
    /// Length in ms.
    pub fn duration_ms(&self) -> u64 {
        self.end_ms - self.start_ms
    }
}

/// A session marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Marker {
    /// When (session ms).
    pub at_ms: u64,
    /// Which.
    pub kind: MarkerKind,
}

/// An input condition reported by the device (saturated mic, stuck button…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ConditionNote {
    /// Seat index.
    pub seat: usize,
    /// When (session ms).
    pub at_ms: u64,
    /// What.
    pub what: Condition,
}

/// One recorded session, normalised (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Session {
    /// Where it came from (a file name), for reports.
    pub source: String,
    /// Its position among the sessions of that source, from 0.
    pub index: usize,
    /// The device that recorded it, when known.
    pub device_id: Option<u64>,
    /// Wall-clock start, Unix milliseconds, when the device knew it.
    pub wall_clock_start_ms: Option<u64>,
    /// The log's time resolution in ms (1 for millisecond logs).
    pub tick_ms: u32,
    /// The detection parameters the device used.
    pub params: DetectionParams,
    /// The seats, silent ones included.
    pub seats: Vec<SeatInfo>,
    /// The turns, sorted by `(start_ms, seat)`.
    pub turns: Vec<Turn>,
    /// Markers in time order.
    pub markers: Vec<Marker>,
    /// Input conditions in time order.
    pub conditions: Vec<ConditionNote>,
    /// Start of the session's extent (session ms).
    pub start_ms: u64,
    /// End of the session's extent (session ms).
    pub end_ms: u64,
    /// Things a reader of the report should know about this session's data
    /// (merged turns, ignored events, lost frames…).
    pub notes: Vec<Note>,
}

impl Session {
    /// The number of seats.
    pub fn seat_count(&self) -> usize {
        self.seats.len()
    }

    /// Paused stretches `(from, to)`, from `Pause`/`Resume` markers (a pause
    /// without a resume lasts to the end), clipped to the extent. A device
    /// records no turn while paused, so time in which a turn was logged is
    /// never paused: a turn inside a marked pause means a marker was lost
    /// (a damaged frame), and the pause is cut around it.
    pub fn paused(&self) -> Vec<(u64, u64)> {
        let mut speech: Vec<(u64, u64)> =
            self.turns.iter().map(|t| (t.start_ms, t.end_ms)).collect();
        speech.sort_unstable();
        let mut out = Vec::new();
        let mut turns = speech.iter().peekable();
        // Both lists are sorted; the marked pauses are disjoint.
        for (a, b) in self.marked_pauses() {
            let mut from = a;
            while let Some(&&(start, end)) = turns.peek() {
                if start >= b {
                    break;
                }
                if start > from {
                    out.push((from, start));
                }
                from = from.max(end);
                if end > b {
                    break; // this turn may still cover the next pause
                }
                turns.next();
            }
            if from < b {
                out.push((from, b));
            }
        }
        out
    }

    /// Paused stretches as the markers say, clipped to the extent.
    pub fn marked_pauses(&self) -> Vec<(u64, u64)> {
        let mut paused = Vec::new();
        let mut since = None;
        for marker in &self.markers {
            match marker.kind {
                // A stop followed by a start is not recorded time either
                // (a session started again): see `stop_start_gaps`.
                MarkerKind::Pause | MarkerKind::Stop if since.is_none() => {
                    since = Some(marker.at_ms);
                }
                MarkerKind::Resume | MarkerKind::Start => {
                    if let Some(from) = since.take() {
                        paused.push((from, marker.at_ms));
                    }
                }
                _ => {}
            }
        }
        if let Some(from) = since {
            // A pause without a resume lasts to the end; after the last
            // stop nothing is recorded either.
            paused.push((from, self.end_ms));
        }
        paused
            .into_iter()
            .map(|(a, b)| {
                (
                    a.clamp(self.start_ms, self.end_ms),
                    b.clamp(self.start_ms, self.end_ms),
                )
            })
            .filter(|(a, b)| a < b)
            .collect()
    }

    /// Recorded time: the extent less the pauses (ms).
    pub fn recorded_ms(&self) -> u64 {
        let paused: u64 = self.paused().iter().map(|(a, b)| b - a).sum();
        (self.end_ms - self.start_ms).saturating_sub(paused)
    }

    /// The agenda points (`Agenda` markers) inside the extent, in order.
    pub fn agenda_marks(&self) -> Vec<u64> {
        self.markers
            .iter()
            .filter(|m| m.kind == MarkerKind::Agenda)
            .map(|m| m.at_ms)
            .filter(|&at| at > self.start_ms && at < self.end_ms)
            .collect()
    }

    /// Each seat's turns as `(start, end)` stretches, sorted, disjoint.
    pub fn stretches_by_seat(&self) -> Vec<Vec<(u64, u64)>> {
        let mut by_seat = vec![Vec::new(); self.seats.len()];
        for turn in &self.turns {
            if let Some(list) = by_seat.get_mut(turn.seat) {
                list.push((turn.start_ms, turn.end_ms));
            }
        }
        by_seat
    }
}

/// `(stop, start)` for every `Stop` marker followed by a later `Start`
/// (markers sorted by time): stretches in which the session was stopped.
fn stop_start_gaps(markers: &[Marker]) -> impl Iterator<Item = (u64, u64)> + '_ {
    let mut stopped = None;
    markers.iter().filter_map(move |m| match m.kind {
        MarkerKind::Stop => {
            stopped.get_or_insert(m.at_ms);
            None
        }
        MarkerKind::Start => stopped.take().map(|stop| (stop, m.at_ms)),
        _ => None,
    })
}

/// Builds a [`Session`] from events, tolerating anything a damaged or
/// hostile log may contain: turns of unknown seats or ending before they
/// start are dropped (and noted), never a panic.
#[derive(Clone, Debug)]
pub struct SessionBuilder {
    session: Session,
    extent_start: Option<u64>,
    extent_end: Option<u64>,
    end_record: Option<u64>,
    dropped_turns: usize,
}

impl SessionBuilder {
    /// A session with these seats (at most [`MAX_LOG_SEATS`]; more are
    /// ignored).
    pub fn new(mut seats: Vec<SeatInfo>) -> Self {
        seats.truncate(MAX_LOG_SEATS);
        SessionBuilder {
            session: Session {
                source: String::new(),
                index: 0,
                device_id: None,
                wall_clock_start_ms: None,
                tick_ms: 1,
                params: DetectionParams::default(),
                seats,
                turns: Vec::new(),
                markers: Vec::new(),
                conditions: Vec::new(),
                start_ms: 0,
                end_ms: 0,
                notes: Vec::new(),
            },
            extent_start: None,
            extent_end: None,
            end_record: None,
            dropped_turns: 0,
        }
    }

    /// Names the source and the session's position in it.
    pub fn source(&mut self, source: impl Into<String>, index: usize) -> &mut Self {
        self.session.source = source.into();
        self.session.index = index;
        self
    }

    /// Sets the device id.
    pub fn device_id(&mut self, id: Option<u64>) -> &mut Self {
        self.session.device_id = id;
        self
    }

    /// Sets the wall-clock start (Unix ms).
    pub fn wall_clock_start_ms(&mut self, at: Option<u64>) -> &mut Self {
        self.session.wall_clock_start_ms = at;
        self
    }

    /// Sets the tick length (ms, at least 1).
    pub fn tick_ms(&mut self, tick: u32) -> &mut Self {
        self.session.tick_ms = tick.max(1);
        self
    }

    /// Sets the detection parameters.
    pub fn params(&mut self, params: DetectionParams) -> &mut Self {
        self.session.params = params;
        self
    }

    /// Fixes the extent explicitly (e.g. from a UEM); otherwise it comes from
    /// `Start`/`Stop` markers, else from 0 to the last event.
    pub fn extent(&mut self, start_ms: u64, end_ms: u64) -> &mut Self {
        self.extent_start = Some(start_ms.min(end_ms));
        self.extent_end = Some(end_ms.max(start_ms));
        self
    }

    /// Where the log's session-end record says the session ended (ms); it
    /// wins over a `Stop` marker.
    pub fn end_at(&mut self, end_ms: u64) -> &mut Self {
        self.end_record = Some(end_ms);
        self
    }

    /// Adds an input condition of seat `seat` (ignored for unknown seats).
    pub fn push_condition(&mut self, seat: usize, at_ms: u64, what: Condition) {
        if seat < self.session.seats.len() {
            self.session
                .conditions
                .push(ConditionNote { seat, at_ms, what });
        }
    }

    /// Adds a note for the report.
    pub fn note(&mut self, note: Note) -> &mut Self {
        self.session.notes.push(note);
        self
    }

    /// Adds a turn directly.
    pub fn push_turn(&mut self, seat: usize, start_ms: u64, end_ms: u64, how: TurnEnd) {
        if seat >= self.session.seats.len() || end_ms < start_ms {
            self.dropped_turns += 1;
            return;
        }
        if end_ms == start_ms {
            return; // an empty turn carries no speech
        }
        self.session.turns.push(Turn {
            seat,
            start_ms,
            end_ms,
            cut: how == TurnEnd::Cut,
        });
    }

    /// Adds one event. `TurnStarted` is live-only information and ignored:
    /// the matching `TurnEnded` carries the whole turn.
    pub fn push(&mut self, event: &Event) {
        match *event {
            Event::TurnStarted { .. } => {}
            Event::TurnEnded {
                seat,
                start,
                end,
                how,
            } => self.push_turn(seat.index(), start, end, how),
            Event::Marker { at, kind } => self.session.markers.push(Marker { at_ms: at, kind }),
            Event::Condition { seat, at, what } => self.push_condition(seat.index(), at, what),
        }
    }

    /// The normalised session.
    pub fn finish(mut self) -> Session {
        let session = &mut self.session;
        session.markers.sort_by_key(|m| m.at_ms);
        session.conditions.sort_by_key(|c| c.at_ms);
        // The session-end record is where the session ended: a marker or
        // condition after it is damage or a crafted log, and must not
        // stretch the session (turns keep the rule that the extent covers
        // them: they carry speech).
        if let Some(end) = self.end_record {
            let before = session.markers.len() + session.conditions.len();
            session.markers.retain(|m| m.at_ms <= end);
            session.conditions.retain(|c| c.at_ms <= end);
            let count = before - session.markers.len() - session.conditions.len();
            if count > 0 {
                session.notes.push(Note::EventsAfterEnd { count });
            }
        }
        let restarted: u64 = stop_start_gaps(&session.markers)
            .map(|(stop, start)| start - stop)
            .sum();
        if restarted > 0 {
            session.notes.push(Note::StartAfterStop { ms: restarted });
        }

        // Merge overlapping or touching turns of one seat into one.
        session
            .turns
            .sort_unstable_by_key(|t| (t.seat, t.start_ms, t.end_ms));
        let mut merged: Vec<Turn> = Vec::with_capacity(session.turns.len());
        let mut merges = 0usize;
        for turn in session.turns.drain(..) {
            match merged.last_mut() {
                Some(last) if last.seat == turn.seat && turn.start_ms <= last.end_ms => {
                    last.end_ms = last.end_ms.max(turn.end_ms);
                    last.cut |= turn.cut;
                    merges += 1;
                }
                _ => merged.push(turn),
            }
        }
        merged.sort_unstable_by_key(|t| (t.start_ms, t.seat));
        session.turns = merged;

        let first_event = session
            .turns
            .first()
            .map(|t| t.start_ms)
            .into_iter()
            .chain(session.markers.first().map(|m| m.at_ms));
        let last_event = session
            .turns
            .iter()
            .map(|t| t.end_ms)
            .chain(session.markers.last().map(|m| m.at_ms))
            .chain(session.conditions.last().map(|c| c.at_ms))
            .max()
            .unwrap_or(0);
        let start_marker = session
            .markers
            .iter()
            .find(|m| m.kind == MarkerKind::Start)
            .map(|m| m.at_ms);
        let stop_marker = session
            .markers
            .iter()
            .rev()
            .find(|m| m.kind == MarkerKind::Stop)
            .map(|m| m.at_ms);
        let earliest = first_event.min().unwrap_or(0);
        // The extent never hides an event: it grows to cover them all.
        session.start_ms = self
            .extent_start
            .or(start_marker)
            .unwrap_or(0)
            .min(earliest);
        session.end_ms = self
            .extent_end
            .or(self.end_record)
            .or(stop_marker)
            .unwrap_or(last_event)
            .max(last_event)
            .max(session.start_ms);

        let marked: u64 = session.marked_pauses().iter().map(|(a, b)| b - a).sum();
        let paused: u64 = session.paused().iter().map(|(a, b)| b - a).sum();
        if paused < marked {
            session.notes.push(Note::TurnsDuringPause {
                ms: marked - paused,
            });
        }
        if merges > 0 {
            session.notes.push(Note::MergedTurns { count: merges });
        }
        if self.dropped_turns > 0 {
            session.notes.push(Note::IgnoredTurns {
                count: self.dropped_turns,
            });
        }
        self.session
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seats(n: usize) -> Vec<SeatInfo> {
        (0..n)
            .map(|_| SeatInfo::new(None, InputKind::External))
            .collect()
    }

    #[test]
    fn touching_and_overlapping_turns_of_one_seat_merge() {
        let mut b = SessionBuilder::new(seats(2));
        b.push_turn(0, 0, 100, TurnEnd::Cut);
        b.push_turn(0, 100, 200, TurnEnd::Natural);
        b.push_turn(0, 150, 250, TurnEnd::Natural);
        b.push_turn(1, 100, 200, TurnEnd::Natural);
        let s = b.finish();
        assert_eq!(s.turns.len(), 2);
        assert_eq!(
            (s.turns[0].start_ms, s.turns[0].end_ms, s.turns[0].cut),
            (0, 250, true)
        );
        assert_eq!(s.turns[1].seat, 1);
        assert_eq!(s.notes.len(), 1);
    }

    #[test]
    fn hostile_turns_are_dropped_not_panicking() {
        let mut b = SessionBuilder::new(seats(1));
        b.push_turn(5, 0, 100, TurnEnd::Natural);
        b.push_turn(0, 100, 50, TurnEnd::Natural);
        b.push_turn(0, u64::MAX - 1, u64::MAX, TurnEnd::Natural);
        let s = b.finish();
        assert_eq!(s.turns.len(), 1);
        assert_eq!(s.end_ms, u64::MAX);
        assert_eq!(s.notes, [Note::IgnoredTurns { count: 2 }]);
    }

    #[test]
    fn extent_and_pauses_follow_markers() {
        let mut b = SessionBuilder::new(seats(1));
        for (at, kind) in [
            (1000, MarkerKind::Start),
            (2000, MarkerKind::Pause),
            (2500, MarkerKind::Resume),
            (3000, MarkerKind::Agenda),
            (4000, MarkerKind::Pause),
            (5000, MarkerKind::Stop),
        ] {
            b.push(&Event::Marker { at, kind });
        }
        b.push_turn(0, 1200, 1800, TurnEnd::Natural);
        let s = b.finish();
        assert_eq!((s.start_ms, s.end_ms), (1000, 5000));
        assert_eq!(s.paused(), [(2000, 2500), (4000, 5000)]);
        assert_eq!(s.recorded_ms(), 2500);
        assert_eq!(s.agenda_marks(), [3000]);
    }

    #[test]
    fn turns_inside_a_pause_are_never_paused() {
        // Pause at 2000 whose resume was lost; turns go on after it.
        let mut b = SessionBuilder::new(seats(2));
        for (at, kind) in [(0, MarkerKind::Start), (2000, MarkerKind::Pause)] {
            b.push(&Event::Marker { at, kind });
        }
        b.push_turn(0, 500, 1500, TurnEnd::Natural);
        b.push_turn(0, 3000, 4000, TurnEnd::Natural);
        b.push_turn(1, 3500, 6000, TurnEnd::Natural);
        b.end_at(8000);
        let s = b.finish();
        assert_eq!(s.marked_pauses(), [(2000, 8000)]);
        assert_eq!(s.paused(), [(2000, 3000), (6000, 8000)]);
        assert_eq!(s.recorded_ms(), 5000);
        assert!(s
            .notes
            .iter()
            .any(|n| matches!(n, Note::TurnsDuringPause { .. })));
    }

    #[test]
    fn a_marker_after_the_end_record_does_not_stretch_the_session() {
        let mut b = SessionBuilder::new(seats(1));
        b.push(&Event::Marker {
            at: 0,
            kind: MarkerKind::Start,
        });
        b.push_turn(0, 1000, 5000, TurnEnd::Natural);
        b.push(&Event::Marker {
            at: 50_000,
            kind: MarkerKind::Agenda,
        });
        b.end_at(20_000);
        let s = b.finish();
        assert_eq!((s.start_ms, s.end_ms), (0, 20_000));
        assert_eq!(s.notes, [Note::EventsAfterEnd { count: 1 }]);
    }

    #[test]
    fn a_start_at_the_end_of_time_after_the_end_record_is_ignored() {
        let mut b = SessionBuilder::new(seats(1));
        b.push_turn(0, 1000, 5000, TurnEnd::Natural);
        b.push(&Event::Marker {
            at: u64::MAX,
            kind: MarkerKind::Start,
        });
        b.end_at(20_000);
        let s = b.finish();
        assert_eq!((s.start_ms, s.end_ms), (0, 20_000));
        assert_eq!(s.recorded_ms(), 20_000);
        assert_eq!(s.notes, [Note::EventsAfterEnd { count: 1 }]);
    }

    #[test]
    fn time_between_a_stop_and_a_later_start_is_not_recorded() {
        let mut b = SessionBuilder::new(seats(1));
        for (at, kind) in [
            (0, MarkerKind::Start),
            (10_000, MarkerKind::Stop),
            (10_000_000, MarkerKind::Start),
            (10_005_000, MarkerKind::Stop),
        ] {
            b.push(&Event::Marker { at, kind });
        }
        b.push_turn(0, 1000, 5000, TurnEnd::Natural);
        b.push_turn(0, 10_001_000, 10_002_000, TurnEnd::Natural);
        b.end_at(10_005_000);
        let s = b.finish();
        assert_eq!(s.recorded_ms(), 15_000);
        assert_eq!(s.notes, [Note::StartAfterStop { ms: 9_990_000 }]);
    }

    #[test]
    fn extent_grows_to_cover_events() {
        let mut b = SessionBuilder::new(seats(1));
        b.extent(500, 1000);
        b.push_turn(0, 100, 1500, TurnEnd::Natural);
        let s = b.finish();
        assert_eq!((s.start_ms, s.end_ms), (100, 1500));
    }
}
