//! Log files on the laptop: reading a log (any number of sessions, damaged
//! or not) into [`Session`]s, and writing sessions as a log.
//!
//! Reading is built on the core's [`LogReader`]: every intact record is
//! used, every damaged stretch is counted and its byte range kept, so a
//! report can say exactly what was lost. Memory is bounded by the file:
//! the reader decodes into one scratch buffer of the file's length, and
//! every count a header claims is checked against what is really there.
//!
//! ```
//! use tabletalk::logs::{decode, encode_session, SessionSpec};
//! use tabletalk_core::seat::InputKind;
//! use tabletalk_core::turns::MarkerKind;
//!
//! let spec = SessionSpec {
//!     labels: vec![Some("Ana".into()), Some("Ben".into())],
//!     inputs: vec![InputKind::External; 2],
//!     tick_ms: 10,
//!     ..SessionSpec::default()
//! };
//! // (seat, start tick, end tick)
//! let bytes = encode_session(&spec, &[(0, 0, 150), (1, 140, 300)], &[(0, MarkerKind::Start)], 300).unwrap();
//! let log = decode(&bytes, "demo").unwrap();
//! let session = &log.sessions[0];
//! assert_eq!(session.seats[1].label.as_deref(), Some("Ben"));
//! assert_eq!((session.turns[1].start_ms, session.turns[1].end_ms), (1_400, 3_000));
//! assert_eq!(session.end_ms, 3_000);
//! assert_eq!(log.frames_lost, 0);
//! ```

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::Path;

use tabletalk_core::log::{Item, LogReader, LogWriter, MAX_WRITE_LEN};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::records::{
    FlushPolicy, Header, LoggedTurn, Record, Seats, SessionId, StoreEvent, Tick,
};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

use crate::report::InputSummary;
use crate::session::{SeatInfo, Session, SessionBuilder};

/// The file extension of tabletalk logs.
pub const LOG_EXTENSION: &str = "ttlog";

/// A log read from bytes: its sessions and what was lost.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedLog {
    /// Where it came from (for messages and reports).
    pub source: String,
    /// Its sessions, in the order their headers appear.
    pub sessions: Vec<Session>,
    /// Intact records read.
    pub records: usize,
    /// Damaged frames skipped.
    pub frames_lost: usize,
    /// The damaged byte ranges, adjacent ones merged.
    pub damaged: Vec<Range<usize>>,
    /// Intact records of sessions whose header was lost (unusable: without
    /// the header their ticks and seats mean nothing).
    pub orphan_records: usize,
}

impl LoadedLog {
    /// What the report's `inputs[]` says about this log.
    pub fn summary(&self) -> InputSummary {
        InputSummary {
            path: self.source.clone(),
            sessions: self.sessions.len(),
            frames_lost: self.frames_lost,
            lost_byte_ranges: self
                .damaged
                .iter()
                .map(|r| [r.start as u64, r.end as u64])
                .collect(),
        }
    }

    /// A warning for stderr when something was lost, else `None`.
    pub fn warning(&self) -> Option<String> {
        if self.frames_lost == 0 && self.orphan_records == 0 && self.damaged.is_empty() {
            return None;
        }
        let mut text = if self.frames_lost > 0 || self.damaged.is_empty() {
            format!(
                "{}: {} damaged frame{} skipped",
                self.source,
                self.frames_lost,
                if self.frames_lost == 1 { "" } else { "s" }
            )
        } else {
            format!("{}: zeroed or erased bytes between frames", self.source)
        };
        if !self.damaged.is_empty() {
            const SHOWN: usize = 8;
            let ranges: Vec<String> = self
                .damaged
                .iter()
                .take(SHOWN)
                .map(|r| format!("{}..{}", r.start, r.end))
                .collect();
            let more = self.damaged.len().saturating_sub(SHOWN);
            text.push_str(&format!(
                " (bytes {}{})",
                ranges.join(", "),
                if more > 0 {
                    format!(" and {more} more ranges")
                } else {
                    String::new()
                }
            ));
        }
        if self.orphan_records > 0 {
            text.push_str(&format!(
                "; {} records of sessions whose header was lost could not be used",
                self.orphan_records
            ));
        }
        text.push_str("; everything intact is reported");
        Some(text)
    }
}

/// Why bytes could not be read as a log at all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// The input is empty.
    Empty,
    /// Not one intact tabletalk frame in it.
    NotALog {
        /// Its length.
        bytes: usize,
    },
    /// Intact frames, but no session header among them.
    NoSession {
        /// Intact records found.
        records: usize,
        /// Damaged frames found.
        frames_lost: usize,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Empty => f.write_str("empty file, not a tabletalk log"),
            ReadError::NotALog { bytes } => {
                write!(f, "not a tabletalk log: no intact frame in {bytes} bytes")
            }
            ReadError::NoSession {
                records,
                frames_lost,
            } => write!(
                f,
                "nothing decodable: {records} intact records but no session header \
                 ({frames_lost} damaged frames)"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// One session being assembled from its records.
struct Assembly {
    builder: SessionBuilder,
    tick_ms: u64,
    seat_count: usize,
    batches_seen: BTreeSet<u32>,
    turns_seen: u64,
    end: Option<(Tick, u32, u32)>,
    out_of_range: usize,
}

/// Reads every session of a log held in `bytes`; `source` names it in
/// sessions and messages.
///
/// # Errors
/// [`ReadError`] when nothing at all could be used.
pub fn decode(bytes: &[u8], source: &str) -> Result<LoadedLog, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    let mut scratch = vec![0u8; bytes.len()];
    let Ok(reader) = LogReader::new(bytes, &mut scratch) else {
        return Err(ReadError::NotALog { bytes: bytes.len() });
    };
    let items: Vec<Item<'_>> = reader.collect();

    let mut records = 0usize;
    let mut frames_lost = 0usize;
    let mut damaged: Vec<Range<usize>> = Vec::new();
    let mut order: Vec<SessionId> = Vec::new();
    let mut sessions: HashMap<SessionId, Assembly> = HashMap::new();
    let mut duplicate_headers = 0usize;
    let mut lost = |range: Range<usize>| match damaged.last_mut() {
        Some(last) if last.end == range.start => last.end = range.end,
        _ => damaged.push(range),
    };
    let mut pos = 0usize;
    // First the headers, so that records written before a header (which a
    // writer never does, but a concatenation might) still find it.
    for item in &items {
        let range = match item {
            Item::Damaged(damage) => &damage.range,
            Item::Record { range, .. } => range,
        };
        // The reader skips runs of 0x00 and chunks of erased flash without a
        // word. A writer leaves at most one 0x00 between frames, so a longer
        // stretch with frames after it is a region zeroed or erased over
        // data: it is located too (a trailing one is padding).
        if range.start > pos + 1 {
            lost(pos..range.start);
        }
        pos = range.end;
        match item {
            Item::Damaged(damage) => {
                frames_lost += 1;
                lost(damage.range.clone());
            }
            Item::Record { record, .. } => {
                records += 1;
                if let Record::Header(header) = record {
                    if sessions.contains_key(&header.session) {
                        duplicate_headers += 1;
                        continue;
                    }
                    order.push(header.session);
                    sessions.insert(header.session, assemble(header, source, order.len() - 1));
                }
            }
        }
    }
    if records == 0 {
        return Err(ReadError::NotALog { bytes: bytes.len() });
    }
    if order.is_empty() {
        return Err(ReadError::NoSession {
            records,
            frames_lost,
        });
    }

    let mut orphan_records = 0usize;
    for item in &items {
        let Item::Record { record, .. } = item else {
            continue;
        };
        let Some(a) = sessions.get_mut(&record.session()) else {
            orphan_records += 1;
            continue;
        };
        let ms = |tick: Tick| tick.saturating_mul(a.tick_ms);
        match record {
            Record::Header(_) => {}
            Record::Turns(batch) => {
                if !a.batches_seen.insert(batch.seq()) {
                    continue; // the same batch twice (a repeated write)
                }
                for turn in batch.turns() {
                    a.turns_seen += 1;
                    if usize::from(turn.seat) >= a.seat_count {
                        a.out_of_range += 1;
                        continue;
                    }
                    a.builder.push_turn(
                        usize::from(turn.seat),
                        ms(turn.start),
                        ms(turn.end),
                        turn.how,
                    );
                }
            }
            Record::Marker(m) => a.builder.push(&Event::Marker {
                at: ms(m.at),
                kind: m.kind,
            }),
            Record::Condition(c) => {
                a.builder
                    .push_condition(usize::from(c.seat), ms(c.at), c.what);
            }
            Record::Notice(n) => {
                let at = crate::report::format::clock(ms(n.at));
                let note = match n.what {
                    StoreEvent::Full => {
                        format!("the device's store was full at {at}: later records were not kept")
                    }
                    StoreEvent::Overwritten { bytes } => format!(
                        "the device's store wrapped at {at}: {bytes} bytes of older records were overwritten"
                    ),
                    StoreEvent::Dropped { frames } => {
                        format!("the device could not store {frames} frames at {at}")
                    }
                };
                a.builder.note(note);
            }
            Record::End(end) => {
                if a.end.is_none() {
                    a.end = Some((end.at, end.turns, end.batches));
                }
            }
        }
    }

    let mut result = Vec::with_capacity(order.len());
    for id in order {
        let Some(mut a) = sessions.remove(&id) else {
            continue;
        };
        match a.end {
            Some((at, turns, batches)) => {
                a.builder.end_at(at.saturating_mul(a.tick_ms));
                let seen = u32::try_from(a.batches_seen.len()).unwrap_or(u32::MAX);
                if seen < batches {
                    let missing_turns = u64::from(turns).saturating_sub(a.turns_seen);
                    a.builder.note(format!(
                        "{} of {batches} turn batches were lost ({missing_turns} turns): figures count only the turns that survived",
                        batches - seen
                    ));
                }
            }
            None => {
                a.builder.note(
                    "no session-end record: the log was cut short or the session is still running; the session ends at its last event",
                );
            }
        }
        if a.out_of_range > 0 {
            a.builder.note(format!(
                "{} turns named a seat the header does not have and were ignored",
                a.out_of_range
            ));
        }
        result.push(a.builder.finish());
    }
    if duplicate_headers > 0 {
        if let Some(first) = result.first_mut() {
            first.notes.push(format!(
                "{duplicate_headers} repeated session headers were ignored"
            ));
        }
    }
    Ok(LoadedLog {
        source: source.to_owned(),
        sessions: result,
        records,
        frames_lost,
        damaged,
        orphan_records,
    })
}

fn assemble(header: &Header<'_>, source: &str, index: usize) -> Assembly {
    let seats: Vec<SeatInfo> = header
        .seats
        .inputs()
        .enumerate()
        .map(|(i, input)| {
            let label = u8::try_from(i)
                .ok()
                .and_then(|i| header.seats.label(i))
                .map(str::to_owned);
            SeatInfo::new(label, input)
        })
        .collect();
    let seat_count = seats.len();
    let mut builder = SessionBuilder::new(seats);
    builder
        .source(source, index)
        .device_id((header.device_id != 0).then_some(header.device_id))
        .wall_clock_start_ms(header.started_at_unix_ms)
        .tick_ms(u32::from(header.tick_ms))
        .params(header.params);
    if header.params_unknown > 0 {
        builder.note(format!(
            "the log records {} detection parameters this version does not know (written by a newer tabletalk)",
            header.params_unknown
        ));
    }
    Assembly {
        builder,
        tick_ms: u64::from(header.tick_ms.max(1)),
        seat_count,
        batches_seen: BTreeSet::new(),
        turns_seen: 0,
        end: None,
        out_of_range: 0,
    }
}

/// Reads a log file.
///
/// # Errors
/// An I/O error, or the [`ReadError`] of its contents, as one line naming
/// the file (exit code 1 for I/O, 2 for contents).
pub fn read(path: &Path) -> Result<LoadedLog, crate::error::CliError> {
    let bytes = std::fs::read(path).map_err(|e| {
        crate::error::CliError::failure(format!("cannot read {}: {e}", path.display()))
    })?;
    let source = path.display().to_string();
    decode(&bytes, &source)
        .map_err(|e| crate::error::CliError::bad_input(format!("{}: {e}", path.display())))
}

/// What a written session's header says.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionSpec {
    /// The session identity.
    pub session: SessionId,
    /// The device id (0: not from a device).
    pub device_id: u64,
    /// Tick length (ms), at least 1.
    pub tick_ms: u16,
    /// Wall-clock start, Unix ms.
    pub started_at_unix_ms: Option<u64>,
    /// Detection parameters.
    pub params: DetectionParams,
    /// One input kind per seat.
    pub inputs: Vec<InputKind>,
    /// One label per seat (all `None`: no labels). Labels longer than the
    /// log allows (64 bytes) are cut at a character boundary.
    pub labels: Vec<Option<String>>,
}

impl Default for SessionSpec {
    fn default() -> Self {
        SessionSpec {
            session: SessionId::default(),
            device_id: 0,
            tick_ms: 1,
            started_at_unix_ms: None,
            params: DetectionParams::default(),
            inputs: Vec::new(),
            labels: Vec::new(),
        }
    }
}

/// Encodes one session: header, then turns (`(seat, start tick, end
/// tick)`) and markers interleaved in time order (a turn at its end), then
/// the session end at `end_at`.
///
/// # Errors
/// The core's error when the header or a turn is invalid (no seats, more
/// than 255, a turn of an unknown seat…).
pub fn encode_session(
    spec: &SessionSpec,
    turns: &[(u8, Tick, Tick)],
    markers: &[(Tick, MarkerKind)],
    end_at: Tick,
) -> Result<Vec<u8>, tabletalk_core::records::Error> {
    let labels: Vec<&str> = spec
        .labels
        .iter()
        .map(|l| tabletalk_core::records::fit_label(l.as_deref().unwrap_or("")))
        .collect();
    let mut seats = Seats::new(&spec.inputs)?;
    if spec.labels.iter().any(Option::is_some) {
        seats = seats.with_labels(&labels)?;
    }
    let mut header = Header::new(spec.session, spec.device_id, seats);
    header.tick_ms = spec.tick_ms.max(1);
    header.started_at_unix_ms = spec.started_at_unix_ms;
    header.params = spec.params;
    header.flush = FlushPolicy {
        max_turns: 64,
        ..FlushPolicy::default()
    };

    let mut out = Vec::new();
    let mut buf = vec![0u8; MAX_WRITE_LEN.max(4096)];
    let (mut writer, n) = LogWriter::start(&header, &mut buf)?;
    out.extend_from_slice(buf.get(..n).unwrap_or_default());

    let mut ordered: Vec<(u8, Tick, Tick)> = turns.to_vec();
    ordered.sort_unstable_by_key(|&(seat, start, end)| (end, seat, start));
    let mut markers: Vec<(Tick, MarkerKind)> = markers.to_vec();
    markers.sort_by_key(|m| m.0);
    let mut next_marker = markers.iter().peekable();
    for (seat, start, end) in ordered {
        while let Some(&&(at, kind)) = next_marker.peek() {
            if at > end {
                break;
            }
            let n = writer.push_marker(at, kind, &mut buf)?;
            out.extend_from_slice(buf.get(..n).unwrap_or_default());
            next_marker.next();
        }
        let turn = LoggedTurn {
            seat,
            start,
            end,
            how: TurnEnd::Natural,
        };
        let n = writer.push_turn(turn, &mut buf)?;
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    for &(at, kind) in next_marker {
        let n = writer.push_marker(at, kind, &mut buf)?;
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let n = writer.finish(end_at, &mut buf)?;
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_seats() -> SessionSpec {
        SessionSpec {
            inputs: vec![InputKind::Button; 2],
            tick_ms: 10,
            ..SessionSpec::default()
        }
    }

    #[test]
    fn round_trip_keeps_turns_markers_and_extent() {
        let turns = [(0, 0, 100), (1, 90, 200), (0, 250, 300)];
        let markers = [(0, MarkerKind::Start), (150, MarkerKind::Agenda)];
        let bytes = encode_session(&two_seats(), &turns, &markers, 400).unwrap();
        let log = decode(&bytes, "t").unwrap();
        assert_eq!(log.sessions.len(), 1);
        let s = &log.sessions[0];
        let got: Vec<_> = s
            .turns
            .iter()
            .map(|t| (t.seat, t.start_ms, t.end_ms))
            .collect();
        assert_eq!(got, [(0, 0, 1000), (1, 900, 2000), (0, 2500, 3000)]);
        assert_eq!(s.agenda_marks(), [1500]);
        assert_eq!((s.start_ms, s.end_ms), (0, 4000));
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        assert!(log.warning().is_none());
    }

    #[test]
    fn damage_is_counted_and_the_rest_kept() {
        let turns: Vec<(u8, Tick, Tick)> = (0..200)
            .map(|i| ((i % 2) as u8, i * 10, i * 10 + 5))
            .collect();
        let mut bytes = encode_session(&two_seats(), &turns, &[], 3000).unwrap();
        let intact = decode(&bytes, "t").unwrap().sessions[0].turns.len();
        assert_eq!(intact, 200);
        // Flip a byte in the middle: one batch is lost, the rest survives.
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x55;
        let log = decode(&bytes, "t").unwrap();
        assert_eq!(log.frames_lost, 1);
        assert_eq!(log.damaged.len(), 1);
        assert!(log.damaged[0].contains(&middle));
        let kept = log.sessions[0].turns.len();
        assert!((200 - 64..200).contains(&kept), "{kept}");
        assert!(log.sessions[0]
            .notes
            .iter()
            .any(|n| n.contains("turn batches were lost")));
        assert!(log.warning().unwrap().contains("1 damaged frame"));
    }

    #[test]
    fn not_a_log() {
        assert_eq!(decode(b"", "t"), Err(ReadError::Empty));
        assert_eq!(
            decode(b"SPEAKER x 1 0 1 <NA> <NA> a <NA> <NA>\n", "t"),
            Err(ReadError::NotALog { bytes: 38 })
        );
        assert!(matches!(
            decode(&[0xFF; 1000], "t"),
            Err(ReadError::NotALog { .. })
        ));
    }

    #[test]
    fn a_log_without_its_header_is_nothing_decodable() {
        let bytes = encode_session(&two_seats(), &[(0, 0, 10)], &[], 20).unwrap();
        // Drop everything up to the end of the header frame.
        let header_end = bytes.iter().skip(1).position(|&b| b == 0).unwrap() + 2;
        let err = decode(&bytes[header_end..], "t").unwrap_err();
        assert!(
            matches!(err, ReadError::NoSession { records: 2, .. }),
            "{err:?}"
        );
    }
}
