//! Log files on the laptop: reading a log (any number of sessions, damaged
//! or not) into [`Session`]s, and writing sessions as a log.
//!
//! Reading is built on the core's [`LogReader`]: every intact record is
//! used, every damaged stretch is counted and its byte range kept, so a
//! report can say exactly what was lost.
//!
//! **Streaming.** A log is read in windows of 1 MiB, each cut after a frame
//! delimiter, so memory does not depend on the file's size: a session is
//! handed on ([`read_each`], [`decode_each`]) as soon as its end record is
//! read, and only the sessions still open are held. Reading stops after
//! [`MAX_GAP`] bytes without an intact frame (`/dev/zero`, a huge file that
//! is not a log).
//!
//! **Session identity.** Records are matched to sessions by their session
//! id *and* by position: a record belongs to the latest header with its id.
//! A header identical to the open session's is its copy (writers of
//! December 2026 wrote each header twice); a header with the same id but
//! different contents (another device, another import, another tick) opens
//! a separate session, and both get a [`Note::IdConflict`], so two logs
//! never merge into wrong figures; while both are open, their records are
//! told apart by batch sequence numbers and end counts, and what cannot be
//! told apart goes to neither ([`Note::Interleaved`]). A session whose
//! header was lost opens at its session essentials ([`Note::HeaderLost`]).
//! A session repeated whole (a log concatenated with itself) is read once.
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

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use tabletalk_core::log::{Damage, Item, LogReader};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::recorder::{FrameSink, SessionRecorder, Stored, LAPTOP_OUT};
use tabletalk_core::records::{
    ConditionRecord, Error as RecordError, FlushPolicy, Header, LoggedTurn, MarkerRecord, Record,
    Seats, SessionEnd, SessionEssentials, SessionId, StoreEvent, StoreNotice, Tick,
};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};

use crate::report::InputSummary;
use crate::session::{Note, SeatInfo, Session, SessionBuilder};

/// The file extension of tabletalk logs.
pub const LOG_EXTENSION: &str = "ttlog";

/// Bytes read at a time. No frame is longer (the largest header, 255 seats
/// with 64-byte labels, is about 17 KB), so a longer stretch without a
/// delimiter is garbage and is skipped without being held.
const WINDOW: usize = 1 << 20;

/// Reading stops after this many bytes without an intact frame: the input
/// is not a log (`/dev/zero`, a disk image), or whatever follows the log is
/// not one either.
pub const MAX_GAP: usize = 8 << 20;

/// At most this many damaged byte ranges are kept per log (the rest are
/// counted): a hostile file cannot grow the list without bound.
const MAX_RANGES: usize = 10_000;

/// A log read from bytes: its sessions and what was lost.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoadedLog {
    /// Where it came from (for messages and reports).
    pub source: String,
    /// Its sessions, in the order their headers appear (empty when they
    /// were handed on one by one, see [`read_each`]).
    pub sessions: Vec<Session>,
    /// Sessions read (handed on or in `sessions`).
    pub session_count: usize,
    /// Intact records read.
    pub records: usize,
    /// Damaged frames skipped.
    pub frames_lost: usize,
    /// The damaged byte ranges, adjacent ones merged (at most 10 000).
    pub damaged: Vec<Range<usize>>,
    /// Damaged ranges beyond those kept in `damaged`.
    pub damaged_omitted: usize,
    /// Intact records of sessions whose header was lost (unusable: without
    /// the header their ticks and seats mean nothing).
    pub orphan_records: usize,
    /// Records that came after their session's end record (ignored).
    pub after_end: usize,
    /// Headers with the id of another session but different contents: each
    /// opened a session of its own.
    pub id_conflicts: usize,
    /// Sessions that were a repeat of an earlier one, byte for byte (a log
    /// concatenated with itself): read once.
    pub repeated_sessions: usize,
    /// Sessions whose records were interleaved with those of another
    /// session with the same id (each pair counts two).
    pub interleaved_sessions: usize,
    /// Of their records, the most that could be given to neither of a pair.
    pub unattributed_records: usize,
    /// Sessions whose notes say records were lost (batches missing, no end
    /// record, the device's store full…).
    pub sessions_with_losses: usize,
    /// Where reading stopped early ([`MAX_GAP`] bytes without an intact
    /// frame), if it did.
    pub stopped_at: Option<usize>,
}

impl LoadedLog {
    /// What the report's `inputs[]` says about this log.
    pub fn summary(&self) -> InputSummary {
        InputSummary {
            path: self.source.clone(),
            sessions: self.session_count,
            frames_lost: self.frames_lost,
            lost_byte_ranges: self
                .damaged
                .iter()
                .map(|r| [r.start as u64, r.end as u64])
                .collect(),
        }
    }

    /// A warning for stderr when something was lost or is doubtful, else
    /// `None`.
    pub fn warning(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.frames_lost > 0 || !self.damaged.is_empty() {
            let mut text = if self.frames_lost > 0 || self.damaged.is_empty() {
                format!(
                    "{} damaged frame{} skipped",
                    self.frames_lost,
                    plural(self.frames_lost)
                )
            } else {
                "zeroed or erased bytes between frames".to_owned()
            };
            text.push_str(&self.ranges_text());
            parts.push(text);
        }
        if self.orphan_records > 0 {
            parts.push(format!(
                "{} records of sessions whose header was lost could not be used",
                self.orphan_records
            ));
        }
        if self.after_end > 0 {
            parts.push(format!(
                "{} records came after their session's end record and were ignored",
                self.after_end
            ));
        }
        if self.id_conflicts > 0 {
            parts.push(format!(
                "{} session header{} repeated another session's id with different contents: those sessions were kept apart",
                self.id_conflicts,
                plural(self.id_conflicts)
            ));
        }
        if self.repeated_sessions > 0 {
            parts.push(format!(
                "{} session{} appeared twice, byte for byte, and {} read once",
                self.repeated_sessions,
                plural(self.repeated_sessions),
                if self.repeated_sessions == 1 {
                    "was"
                } else {
                    "were"
                }
            ));
        }
        if self.interleaved_sessions > 0 {
            parts.push(format!(
                "records of {} sessions with a shared id were interleaved: each got only the records that were surely its own, {} record{} went to neither",
                self.interleaved_sessions,
                self.unattributed_records,
                plural(self.unattributed_records)
            ));
        }
        if self.sessions_with_losses > 0 {
            parts.push(format!(
                "{} session{} lost records (missing batches, no end record or a full store; see the notes)",
                self.sessions_with_losses,
                plural(self.sessions_with_losses)
            ));
        }
        if let Some(at) = self.stopped_at {
            parts.push(format!(
                "reading stopped at byte {at}: {} MiB without an intact frame",
                MAX_GAP >> 20
            ));
        }
        if parts.is_empty() {
            return None;
        }
        Some(format!(
            "{}: {}; everything intact is reported",
            self.source,
            parts.join("; ")
        ))
    }

    fn ranges_text(&self) -> String {
        const SHOWN: usize = 8;
        if self.damaged.is_empty() {
            return String::new();
        }
        let ranges: Vec<String> = self
            .damaged
            .iter()
            .take(SHOWN)
            .map(|r| format!("{}..{}", r.start, r.end))
            .collect();
        let more = self.damaged.len().saturating_sub(SHOWN) + self.damaged_omitted;
        let more = if more > 0 {
            format!(" and {more} more ranges")
        } else {
            String::new()
        };
        format!(" (bytes {}{more})", ranges.join(", "))
    }

    /// Keeps a damaged byte range, merged with the previous one if adjacent.
    fn lost(&mut self, range: Range<usize>) {
        let kept = self.damaged.len();
        match self.damaged.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ if kept >= MAX_RANGES => self.damaged_omitted += 1,
            _ => self.damaged.push(range),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
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
        /// Its length (or how much of it was read, see [`MAX_GAP`]).
        bytes: usize,
    },
    /// Intact frames, but no session header among them.
    NoSession {
        /// Intact records found.
        records: usize,
        /// Damaged frames found.
        frames_lost: usize,
    },
    /// Reading the input failed.
    Io(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Empty => f.write_str("empty file, not a tabletalk log"),
            ReadError::NotALog { bytes } if *bytes >= MAX_GAP => write!(
                f,
                "not a tabletalk log: no intact frame in the first {} MiB (reading stopped)",
                MAX_GAP >> 20
            ),
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
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// How [`scan`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scanned {
    /// Bytes read.
    pub bytes: usize,
    /// Where reading stopped early ([`MAX_GAP`] bytes without an intact
    /// frame), if it did.
    pub stopped_at: Option<usize>,
}

/// Reads a log from `input` frame by frame in bounded memory, giving every
/// item (ranges are offsets in the whole input) and, for a record, its
/// frame's bytes to `on_item`. The layer below [`decode_each`]; `tabletalk
/// decode` prints its items as they come.
///
/// # Errors
/// What reading `input` fails with.
pub fn scan<R: Read>(
    input: R,
    on_item: impl FnMut(Item<'_>, Frame<'_>),
) -> std::io::Result<Scanned> {
    scan_in(input, WINDOW, on_item)
}

/// A record's frame, as [`scan`] gives it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Frame<'f> {
    /// Its bytes as stored (COBS-encoded, delimiter excluded).
    pub bytes: &'f [u8],
    /// The CRC-32C it holds (a header's is what its session essentials
    /// name it by).
    pub crc: u32,
}

/// [`scan`] in windows of `window` bytes.
fn scan_in<R: Read>(
    mut input: R,
    window: usize,
    mut on_item: impl FnMut(Item<'_>, Frame<'_>),
) -> std::io::Result<Scanned> {
    let mut buf = vec![0u8; window];
    let mut scratch = vec![0u8; window];
    let mut repair = Repair::default();
    let (mut len, mut base, mut last_intact) = (0usize, 0usize, 0usize);
    // A stretch without a delimiter longer than the window, being skipped:
    // where it began, and whether it is all 0xFF (erased flash: silent).
    let mut skipping: Option<(usize, bool)> = None;
    let mut eof = false;
    loop {
        while len < buf.len() && !eof {
            match input.read(buf.get_mut(len..).unwrap_or_default()) {
                Ok(0) => eof = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let window = buf.get(..len).unwrap_or_default();
        if let Some((from, erased)) = skipping {
            let end = window.iter().position(|&b| b == 0).map(|i| i + 1);
            let through = end.unwrap_or(len);
            let erased = erased && window.iter().take(through).all(|&b| b == 0xFF || b == 0);
            if end.is_some() || eof {
                if !erased {
                    let error = if end.is_some() {
                        RecordError::Cobs
                    } else {
                        RecordError::Unterminated
                    };
                    let range = from..base + through;
                    on_item(Item::Damaged(Damage { range, error }), Frame::default());
                }
                skipping = None;
            } else {
                skipping = Some((from, erased));
            }
            consume(&mut buf, &mut len, &mut base, through);
        } else {
            // Hand the reader whole frames: up to the last delimiter.
            let take = if eof {
                len
            } else {
                window.iter().rposition(|&b| b == 0).map_or(0, |i| i + 1)
            };
            if take == 0 && len > 0 {
                skipping = Some((base, window.iter().all(|&b| b == 0xFF)));
                let all = len;
                consume(&mut buf, &mut len, &mut base, all);
            } else {
                let frames = buf.get(..take).unwrap_or_default();
                if let Ok(mut reader) = LogReader::new(frames, &mut scratch) {
                    while let Some(item) = reader.next() {
                        let (local, found) = match item {
                            Item::Record {
                                range,
                                version,
                                record,
                            } => {
                                let bytes = frames.get(range.clone()).unwrap_or_default();
                                let bytes = bytes.strip_suffix(&[0]).unwrap_or(bytes);
                                let crc = reader.last_crc();
                                (range, Ok((version, record, Frame { bytes, crc })))
                            }
                            Item::Damaged(Damage { range, error }) => {
                                let chunk = frames.get(range.clone()).unwrap_or_default();
                                let repaired = if error == RecordError::Crc {
                                    repair.try_flips(chunk)
                                } else {
                                    None
                                };
                                (range, repaired.ok_or(error))
                            }
                        };
                        let range = base + local.start..base + local.end;
                        match found {
                            Ok((version, record, bytes)) => {
                                last_intact = range.end;
                                on_item(
                                    Item::Record {
                                        range,
                                        version,
                                        record,
                                    },
                                    bytes,
                                );
                            }
                            Err(error) => {
                                on_item(Item::Damaged(Damage { range, error }), Frame::default());
                            }
                        }
                    }
                }
                consume(&mut buf, &mut len, &mut base, take);
            }
        }
        if base.saturating_sub(last_intact) > MAX_GAP && !(eof && len == 0) {
            return Ok(Scanned {
                bytes: base,
                stopped_at: Some(base),
            });
        }
        if eof && len == 0 {
            return Ok(Scanned {
                bytes: base,
                stopped_at: None,
            });
        }
    }
}

/// Repairs frames that failed only their CRC by one flipped bit: each bit
/// of the frame is flipped in turn until the CRC holds. CRC-32C keeps a
/// Hamming distance of at least 6 over frames this short, so a one-bit
/// repair is never ambiguous (a chance match on garbage is about 1 in 2^32
/// per try, and the record must then parse too). Bounded: frames of at most
/// [`Repair::MAX_FRAME`] bytes, and [`Repair::BUDGET`] bytes of work per log (about 200 damaged batch frames; a flood of damaged frames costs at most that).
#[derive(Default)]
struct Repair {
    candidate: Vec<u8>,
    scratch: Vec<u8>,
    spent: usize,
}

impl Repair {
    /// Longer frames are not repaired (a batch is about 100 bytes).
    const MAX_FRAME: usize = 2048;
    /// Bytes decoded while trying repairs, per log.
    const BUDGET: usize = 16 << 20;

    /// The record of `chunk` (a frame and its delimiter) with one bit
    /// flipped back, if exactly that makes it intact.
    fn try_flips(&mut self, chunk: &[u8]) -> Option<(u8, Record<'_>, Frame<'_>)> {
        let frame = chunk.strip_suffix(&[0]).unwrap_or(chunk);
        let cost = frame.len().saturating_mul(frame.len()).saturating_mul(8);
        if frame.len() > Self::MAX_FRAME || self.spent.saturating_add(cost) > Self::BUDGET {
            return None;
        }
        self.spent += cost;
        self.candidate.clear();
        self.candidate.extend_from_slice(frame);
        self.scratch.resize(frame.len(), 0);
        let mut found = None;
        'search: for i in 0..frame.len() {
            for bit in 0..8 {
                let Some(byte) = self.candidate.get_mut(i) else {
                    break 'search;
                };
                *byte ^= 1 << bit;
                let ok = *byte != 0
                    && tabletalk_core::log::decode_frame(&self.candidate, &mut self.scratch)
                        .is_ok();
                if ok {
                    found = Some(());
                    break 'search;
                }
                if let Some(byte) = self.candidate.get_mut(i) {
                    *byte ^= 1 << bit;
                }
            }
        }
        found?;
        let mut reader = LogReader::new(&self.candidate, &mut self.scratch).ok()?;
        let Some(Item::Record {
            version, record, ..
        }) = reader.next()
        else {
            return None;
        };
        let crc = reader.last_crc();
        Some((
            version,
            record,
            Frame {
                bytes: &self.candidate,
                crc,
            },
        ))
    }
}

/// Drops the first `n` bytes of the window.
fn consume(buf: &mut [u8], len: &mut usize, base: &mut usize, n: usize) {
    buf.copy_within(n..*len, 0);
    *len -= n;
    *base += n;
}

/// A record of a session, owned: kept while its session is unknown (its
/// header lost, its essentials not read yet), or routed between two
/// sessions with the same id.
#[derive(Clone, Debug)]
enum Owned {
    Batch { seq: u32, turns: Vec<LoggedTurn> },
    Marker(MarkerRecord),
    Condition(ConditionRecord),
    Notice(StoreNotice),
    End(SessionEnd),
}

impl Owned {
    fn of(record: &Record<'_>) -> Option<Self> {
        Some(match record {
            Record::Turns(batch) => Owned::Batch {
                seq: batch.seq(),
                turns: batch.turns().collect(),
            },
            Record::Marker(m) => Owned::Marker(*m),
            Record::Condition(c) => Owned::Condition(*c),
            Record::Notice(n) => Owned::Notice(*n),
            Record::End(e) => Owned::End(*e),
            Record::Header(_) | Record::Essentials(_) => return None,
        })
    }

    fn turns(&self) -> usize {
        match self {
            Owned::Batch { turns, .. } => turns.len(),
            _ => 1,
        }
    }
}

/// At most this many turns (or other records) of sessions not known yet
/// are kept per log, waiting for their essentials; beyond it they are
/// counted as unusable.
const MAX_WAITING: usize = 1 << 16;

/// One session being assembled from its records.
struct Assembly {
    builder: SessionBuilder,
    index: usize,
    /// The CRC-32C of the header's frame (from the header, or named by the
    /// essentials when the header was lost): equal headers are copies.
    check: u32,
    /// A byte-for-byte repeat of a session already read: dropped at the end.
    repeat: bool,
    tick_ms: u64,
    seat_count: usize,
    /// The batches read, by sequence number, with a fingerprint of their
    /// turns: a short session's copy of a batch counts once, and a copy is
    /// told to be this session's by its content.
    batches_seen: BTreeMap<u32, u64>,
    turns_seen: u64,
    end: Option<(Tick, u32, u32)>,
    out_of_range: usize,
    /// Records of another session with its id were interleaved with its
    /// own: how many went to neither.
    interleaved: Option<usize>,
}

/// Two open sessions with one id whose records may be interleaved: the
/// earlier one (the later one is in [`Assembler::open`]).
struct Contest {
    earlier: Assembly,
    /// A record was seen that only the earlier session could have written
    /// after the later one began: from then on, records that fit both go
    /// to neither.
    interleaved: bool,
    /// Records given to neither.
    unattributed: usize,
    /// Markers, conditions and notices since the later session began,
    /// while nothing showed the earlier one still writing: the later
    /// session's if nothing does, else neither's.
    held: Vec<Owned>,
}

impl Contest {
    /// Something showed the earlier session still writing: what was held
    /// can be either's.
    fn interleave(&mut self) {
        self.interleaved = true;
        self.unattributed += self.held.len();
        self.held.clear();
    }
}

/// Which of two sessions with one id a record goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Earlier,
    Later,
    Neither,
}

/// Sessions being assembled from one log's records, in log order.
struct Assembler<'f> {
    log: LoadedLog,
    open: HashMap<SessionId, Assembly>,
    contested: HashMap<SessionId, Contest>,
    /// Records of sessions not known yet, in log order.
    waiting: HashMap<SessionId, Vec<Owned>>,
    waiting_turns: usize,
    /// The header check of every session already handed on.
    closed: HashMap<SessionId, u32>,
    next_index: usize,
    /// End of the last item (to find zeroed or erased stretches).
    pos: usize,
    on_session: &'f mut dyn FnMut(Session),
}

impl Assembler<'_> {
    fn item(&mut self, item: Item<'_>, frame: Frame<'_>) {
        let range = match &item {
            Item::Damaged(damage) => &damage.range,
            Item::Record { range, .. } => range,
        };
        // The reader skips runs of 0x00 and chunks of erased flash without a
        // word. A writer leaves at most one 0x00 between frames, so a longer
        // stretch with frames after it is a region zeroed or erased over
        // data: it is located too (a trailing one is padding).
        if range.start > self.pos + 1 {
            self.log.lost(self.pos..range.start);
        }
        self.pos = range.end;
        match item {
            Item::Damaged(damage) => {
                self.log.frames_lost += 1;
                self.log.lost(damage.range);
            }
            Item::Record { record, .. } => {
                self.log.records += 1;
                self.record(&record, frame);
            }
        }
    }

    fn record(&mut self, record: &Record<'_>, frame: Frame<'_>) {
        let id = record.session();
        match record {
            Record::Header(header) => {
                let a = assemble(header, &self.log.source, self.next_index);
                self.begin(id, a, frame.crc);
                return;
            }
            Record::Essentials(e) => {
                self.essentials(e);
                return;
            }
            _ => {}
        }
        let Some(owned) = Owned::of(record) else {
            return;
        };
        self.route(id, owned);
    }

    /// A session's essentials: nothing new when its header was read; else
    /// the session opens from them, with the records that waited for it.
    fn essentials(&mut self, e: &SessionEssentials) {
        let id = e.session;
        let known = |a: &Assembly| a.check == e.header_check;
        if self.open.get(&id).is_some_and(known) {
            return;
        }
        if let Some(contest) = self.contested.get_mut(&id) {
            if known(&contest.earlier) {
                // The earlier session's essentials after the later began.
                contest.interleave();
                return;
            }
        }
        if self.closed.get(&id) == Some(&e.header_check) && !self.open.contains_key(&id) {
            self.log.after_end += 1;
            return;
        }
        let mut a = headless(e, &self.log.source, self.next_index);
        a.builder.note(Note::HeaderLost);
        self.begin(id, a, e.header_check);
        let waiting = self.waiting.remove(&id).unwrap_or_default();
        for owned in waiting {
            self.waiting_turns = self.waiting_turns.saturating_sub(owned.turns());
            self.route(id, owned);
        }
    }

    /// Opens the session `a` of id `id` whose header has check `check`.
    fn begin(&mut self, id: SessionId, mut a: Assembly, check: u32) {
        let mut conflict = false;
        if let Some(open) = self.open.get(&id) {
            if open.check == check {
                return; // the header's copy (logs written before essentials)
            }
            conflict = true;
        }
        if conflict {
            // Both may still be written to: records that follow are routed
            // between them (see `route`), never merged.
            self.end_contest(id);
            if let Some(mut earlier) = self.open.remove(&id) {
                earlier
                    .builder
                    .note(Note::IdConflict { id: id.to_string() });
                self.contested.insert(
                    id,
                    Contest {
                        earlier,
                        interleaved: false,
                        unattributed: 0,
                        held: Vec::new(),
                    },
                );
            }
        }
        let repeat = match self.closed.get(&id) {
            Some(&closed) if closed == check => true,
            Some(_) => {
                conflict = true;
                false
            }
            None => false,
        };
        a.check = check;
        a.repeat = repeat;
        if !repeat {
            self.next_index += 1;
        }
        if conflict {
            self.log.id_conflicts += 1;
            a.builder.note(Note::IdConflict { id: id.to_string() });
        }
        self.open.insert(id, a);
    }

    /// Gives a record to its session: the open one with its id, or one of
    /// two contested ones, or keeps it until its session is known.
    fn route(&mut self, id: SessionId, owned: Owned) {
        if !self.open.contains_key(&id) {
            if let Some(contest) = self.contested.remove(&id) {
                // The later session ended: the earlier one goes on alone.
                let mut earlier = contest.earlier;
                if contest.interleaved || contest.unattributed > 0 {
                    earlier.interleaved = Some(contest.unattributed);
                }
                self.open.insert(id, earlier);
            }
        }
        let side = match (self.contested.get(&id), self.open.get(&id)) {
            (Some(contest), Some(later)) => choose(contest, later, &owned),
            (None, Some(_)) => Side::Later,
            _ => {
                if self.closed.contains_key(&id) {
                    self.log.after_end += 1;
                } else if self.waiting_turns < MAX_WAITING {
                    self.waiting_turns += owned.turns();
                    self.waiting.entry(id).or_default().push(owned);
                } else {
                    self.log.orphan_records += 1;
                }
                return;
            }
        };
        if let Some(contest) = self.contested.get_mut(&id) {
            if side == Side::Earlier && !contest.interleaved {
                contest.interleave();
            }
            let undecided = !matches!(owned, Owned::Batch { .. } | Owned::End(_));
            if side == Side::Later && undecided && self.waiting_turns < MAX_WAITING {
                self.waiting_turns += 1;
                contest.held.push(owned);
                return;
            }
        }
        let ends = matches!(owned, Owned::End(_));
        match side {
            Side::Neither => {
                if let Some(contest) = self.contested.get_mut(&id) {
                    contest.unattributed += 1;
                }
            }
            Side::Earlier => {
                if let Some(contest) = self.contested.get_mut(&id) {
                    contest.earlier.apply(owned);
                }
                if ends {
                    self.end_contest(id);
                }
            }
            Side::Later => {
                if let Some(a) = self.open.get_mut(&id) {
                    a.apply(owned);
                }
                if ends {
                    self.close(id);
                }
            }
        }
    }

    /// Finishes the open session `id` and hands it on.
    fn close(&mut self, id: SessionId) {
        let Some(mut a) = self.open.remove(&id) else {
            return;
        };
        if let Some(c) = self.contested.get_mut(&id) {
            self.waiting_turns = self.waiting_turns.saturating_sub(c.held.len());
            for owned in c.held.drain(..) {
                a.apply(owned);
            }
            if c.interleaved || c.unattributed > 0 {
                a.interleaved = Some(c.unattributed);
            }
        }
        self.hand_on(id, a);
    }

    /// Hands on a finished session.
    fn hand_on(&mut self, id: SessionId, mut a: Assembly) {
        self.closed.insert(id, a.check);
        if a.repeat {
            self.log.repeated_sessions += 1;
            return;
        }
        if let Some(unattributed) = a.interleaved {
            self.log.interleaved_sessions += 1;
            self.log.unattributed_records = self.log.unattributed_records.max(unattributed);
            a.builder.note(Note::Interleaved {
                id: id.to_string(),
                unattributed,
            });
        }
        let session = a.finish();
        if session.notes.iter().any(Note::is_loss) {
            self.log.sessions_with_losses += 1;
        }
        self.log.session_count += 1;
        (self.on_session)(session);
    }

    /// Ends the contest over `id`: the earlier session is handed on, both
    /// noted if their records were interleaved.
    fn end_contest(&mut self, id: SessionId) {
        let Some(c) = self.contested.remove(&id) else {
            return;
        };
        let mut earlier = c.earlier;
        self.waiting_turns = self.waiting_turns.saturating_sub(c.held.len());
        if let Some(later) = self.open.get_mut(&id) {
            for owned in c.held {
                later.apply(owned);
            }
            if c.interleaved || c.unattributed > 0 {
                later.interleaved = Some(c.unattributed);
            }
        }
        if c.interleaved || c.unattributed > 0 {
            earlier.interleaved = Some(c.unattributed);
        }
        self.hand_on(id, earlier);
    }

    /// Finishes every session still open, in header order.
    fn finish(mut self) -> LoadedLog {
        let mut contested: Vec<(usize, SessionId)> = self
            .contested
            .iter()
            .map(|(id, c)| (c.earlier.index, *id))
            .collect();
        contested.sort_unstable();
        for (_, id) in contested {
            self.end_contest(id);
        }
        let mut open: Vec<(usize, SessionId)> =
            self.open.iter().map(|(id, a)| (a.index, *id)).collect();
        open.sort_unstable();
        for (_, id) in open {
            self.close(id);
        }
        self.log.orphan_records += self.waiting.values().map(Vec::len).sum::<usize>();
        self.log
    }
}

/// Which of two open sessions with one id `owned` belongs to: by the
/// batch sequence numbers (each session numbers its batches 0, 1, 2, …) and
/// the end record's count where they tell; else to the later session while
/// nothing showed the earlier one still writing (a log cut short, then
/// another), and to neither once something did.
fn choose(contest: &Contest, later: &Assembly, owned: &Owned) -> Side {
    let (fits_earlier, fits_later) = match owned {
        // A batch one of them already has, turn for turn: its copy (a
        // short session's), which goes to that one (a no-op there).
        Owned::Batch { seq, turns }
            if contest.earlier.has(*seq, turns) != later.has(*seq, turns) =>
        {
            (contest.earlier.has(*seq, turns), later.has(*seq, turns))
        }
        Owned::Batch { seq, .. } => (*seq == contest.earlier.next_seq(), *seq == later.next_seq()),
        Owned::End(e) => (
            e.batches == contest.earlier.next_seq(),
            e.batches == later.next_seq(),
        ),
        _ => (false, false),
    };
    match (fits_earlier, fits_later) {
        (true, false) => Side::Earlier,
        (false, true) => Side::Later,
        _ if contest.interleaved => Side::Neither,
        _ => Side::Later,
    }
}

impl Assembly {
    /// True when batch `seq` with these turns was read.
    fn has(&self, seq: u32, turns: &[LoggedTurn]) -> bool {
        self.batches_seen.get(&seq) == Some(&turns_fingerprint(turns))
    }

    /// The sequence number of the batch expected next.
    fn next_seq(&self) -> u32 {
        self.batches_seen
            .last_key_value()
            .map_or(0, |(&s, _)| s.saturating_add(1))
    }

    fn apply(&mut self, owned: Owned) {
        let tick_ms = self.tick_ms;
        let ms = |tick: Tick| tick.saturating_mul(tick_ms);
        match owned {
            Owned::Batch { seq, turns } => self.batch(seq, &turns),
            Owned::Marker(m) => self.builder.push(&Event::Marker {
                at: ms(m.at),
                kind: m.kind,
            }),
            Owned::Condition(c) => {
                self.builder
                    .push_condition(usize::from(c.seat), ms(c.at), c.what);
            }
            Owned::Notice(n) => {
                let at_ms = ms(n.at);
                self.builder.note(match n.what {
                    StoreEvent::Full => Note::StoreFull { at_ms },
                    StoreEvent::Overwritten { bytes } => Note::StoreWrapped { at_ms, bytes },
                    StoreEvent::Dropped { frames } => Note::FramesNotStored { at_ms, frames },
                    StoreEvent::EventsDropped { events } => Note::EventsDropped { at_ms, events },
                });
            }
            Owned::End(end) => self.end = Some((end.at, end.turns, end.batches)),
        }
    }

    fn batch(&mut self, seq: u32, turns: &[LoggedTurn]) {
        if self
            .batches_seen
            .insert(seq, turns_fingerprint(turns))
            .is_some()
        {
            // The same batch twice: a short session's copy (or a repeated
            // write). The first read counts.
            return;
        }
        for turn in turns {
            self.turns_seen += 1;
            if usize::from(turn.seat) >= self.seat_count {
                self.out_of_range += 1;
                continue;
            }
            let ms = |tick: Tick| tick.saturating_mul(self.tick_ms);
            self.builder.push_turn(
                usize::from(turn.seat),
                ms(turn.start),
                ms(turn.end),
                turn.how,
            );
        }
    }

    fn finish(mut self) -> Session {
        let seen = u32::try_from(self.batches_seen.len()).unwrap_or(u32::MAX);
        match self.end {
            Some((at, turns, batches)) => {
                self.builder.end_at(at.saturating_mul(self.tick_ms));
                if seen < batches {
                    self.builder.note(Note::BatchesLost {
                        lost: batches - seen,
                        of: batches,
                        turns: Some(u64::from(turns).saturating_sub(self.turns_seen)),
                    });
                }
            }
            None => {
                // Without an end record, gaps in the sequence numbers still
                // show lost batches.
                let highest = self.next_seq();
                if seen < highest {
                    self.builder.note(Note::BatchesLost {
                        lost: highest - seen,
                        of: 0,
                        turns: None,
                    });
                }
                self.builder.note(Note::NoEnd);
            }
        }
        if self.out_of_range > 0 {
            self.builder.note(Note::SeatOutOfRange {
                turns: self.out_of_range,
            });
        }
        self.builder.finish()
    }
}

/// A fingerprint of a batch's turns (the same turns, the same value).
fn turns_fingerprint(turns: &[LoggedTurn]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    turns.hash(&mut h);
    h.finish()
}

/// FNV-1a (64 bits) of a log's bytes.
fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Reads every session of the log `input`, handing each to `on_session`
/// as soon as it is complete (its end record read, or the input ended), in
/// bounded memory: only open sessions are held. The returned log says what
/// was lost; its `sessions` is empty.
///
/// # Errors
/// [`ReadError`] when nothing at all could be used, or reading failed.
pub fn decode_each<R: Read>(
    input: R,
    source: &str,
    on_session: impl FnMut(Session),
) -> Result<LoadedLog, ReadError> {
    decode_in(input, source, WINDOW, on_session)
}

fn decode_in<R: Read>(
    input: R,
    source: &str,
    window: usize,
    mut on_session: impl FnMut(Session),
) -> Result<LoadedLog, ReadError> {
    let mut assembler = Assembler {
        log: LoadedLog {
            source: source.to_owned(),
            ..LoadedLog::default()
        },
        open: HashMap::new(),
        contested: HashMap::new(),
        waiting: HashMap::new(),
        waiting_turns: 0,
        closed: HashMap::new(),
        next_index: 0,
        pos: 0,
        on_session: &mut on_session,
    };
    let scanned = scan_in(input, window, |item, frame| assembler.item(item, frame))
        .map_err(|e| ReadError::Io(e.to_string()))?;
    let mut log = assembler.finish();
    log.stopped_at = scanned.stopped_at;
    if scanned.bytes == 0 {
        return Err(ReadError::Empty);
    }
    if log.records == 0 {
        return Err(ReadError::NotALog {
            bytes: scanned.bytes,
        });
    }
    if log.session_count == 0 {
        return Err(ReadError::NoSession {
            records: log.records,
            frames_lost: log.frames_lost,
        });
    }
    Ok(log)
}

/// Reads every session of a log held in `bytes`; `source` names it in
/// sessions and messages. Sessions are in the order of their headers.
///
/// # Errors
/// [`ReadError`] when nothing at all could be used.
pub fn decode(bytes: &[u8], source: &str) -> Result<LoadedLog, ReadError> {
    let mut sessions = Vec::new();
    let mut log = decode_each(bytes, source, |s| sessions.push(s))?;
    sessions.sort_by_key(|s| s.index);
    log.sessions = sessions;
    Ok(log)
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
        builder.note(Note::UnknownParams {
            count: header.params_unknown,
        });
    }
    Assembly::new(builder, index, header.tick_ms, seat_count)
}

/// A session whose header was lost, from its essentials: seats without
/// labels (their input kinds unknown, shown as external), default
/// detection parameters, and a note that says so.
fn headless(e: &SessionEssentials, source: &str, index: usize) -> Assembly {
    let seats = vec![SeatInfo::new(None, InputKind::External); usize::from(e.seat_count)];
    let seat_count = seats.len();
    let mut builder = SessionBuilder::new(seats);
    builder
        .source(source, index)
        .device_id((e.device_id != 0).then_some(e.device_id))
        .wall_clock_start_ms(e.started_at_unix_ms)
        .tick_ms(u32::from(e.tick_ms));
    Assembly::new(builder, index, e.tick_ms, seat_count)
}

impl Assembly {
    fn new(builder: SessionBuilder, index: usize, tick_ms: u16, seat_count: usize) -> Self {
        Assembly {
            builder,
            index,
            check: 0,
            repeat: false,
            tick_ms: u64::from(tick_ms.max(1)),
            seat_count,
            batches_seen: BTreeMap::new(),
            turns_seen: 0,
            end: None,
            out_of_range: 0,
            interleaved: None,
        }
    }
}

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, crate::error::CliError> {
    std::fs::File::open(path)
        .map(std::io::BufReader::new)
        .map_err(|e| {
            crate::error::CliError::failure(format!("cannot read {}: {e}", path.display()))
        })
}

/// Reads a log file, handing on its sessions one by one (see
/// [`decode_each`]): what a report over many logs uses, so that it holds
/// one session's turns at a time.
///
/// # Errors
/// An I/O error, or the [`ReadError`] of its contents, as one line naming
/// the file (exit code 1 for I/O, 2 for contents).
pub fn read_each(
    path: &Path,
    on_session: impl FnMut(Session),
) -> Result<LoadedLog, crate::error::CliError> {
    let source = path.display().to_string();
    decode_each(open(path)?, &source, on_session).map_err(|e| match e {
        ReadError::Io(e) => {
            crate::error::CliError::failure(format!("cannot read {}: {e}", path.display()))
        }
        e => crate::error::CliError::bad_input(format!("{}: {e}", path.display())),
    })
}

/// Reads a log file, all its sessions at once.
///
/// # Errors
/// As [`read_each`].
pub fn read(path: &Path) -> Result<LoadedLog, crate::error::CliError> {
    let mut sessions = Vec::new();
    let mut log = read_each(path, |s| sessions.push(s))?;
    sessions.sort_by_key(|s| s.index);
    log.sessions = sessions;
    Ok(log)
}

/// Encodes a log whose session nonce comes from its own contents: `encode`
/// is called with nonce 0, the bytes are hashed, and it is called again
/// with the hash folded to 16 bits. Logs made by `import` and `simulate`
/// get their ids this way, so the same input gives the same log and logs
/// that differ in anything (tick, extent, turns, labels, parameters)
/// differ in id too.
///
/// # Errors
/// What `encode` fails with.
pub fn with_content_nonce<E>(
    mut encode: impl FnMut(u16) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    let draft = encode(0)?;
    let hash = fingerprint(&draft);
    encode((hash ^ (hash >> 16) ^ (hash >> 32) ^ (hash >> 48)) as u16)
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

/// Turns per batch in logs written on the laptop ([`encode_session`]).
pub const IMPORT_BATCH_TURNS: u8 = 16;

/// The oldest pending turn's age that flushes a batch in logs written on
/// the laptop (ms).
pub const IMPORT_BATCH_AGE_MS: u32 = 30_000;

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
    // Small batches: a damaged frame costs one batch, and on a laptop a
    // log's size matters less than what one bad byte can take with it
    // (about 5 bytes per turn instead of 3.8; see docs/reliability.md).
    header.flush = FlushPolicy {
        max_turns: IMPORT_BATCH_TURNS,
        max_age_ms: IMPORT_BATCH_AGE_MS,
    };

    // The device's session recorder, over a sink that keeps the frames:
    // the laptop writes its logs with the code the device runs.
    let mut out = Vec::new();
    let mut sink = FrameSink::new(spec.session.number, |frame: &[u8]| {
        out.extend_from_slice(frame);
    });
    let mut recorder = Box::new(SessionRecorder::<LAPTOP_OUT>::with_room());
    let stored = |recorder: &SessionRecorder<LAPTOP_OUT>, stored: Stored| match stored {
        Stored::Ok => Ok(()),
        // A frame sink never fails nor fills: the writer refused.
        _ => Err(recorder
            .refused()
            .unwrap_or(tabletalk_core::records::Error::BufferTooSmall)),
    };
    let begun = recorder.begin(&mut sink, &mut header, spec.started_at_unix_ms);
    stored(&recorder, begun)?;

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
            let marked = recorder.record_marker(&mut sink, at, kind);
            stored(&recorder, marked)?;
            next_marker.next();
        }
        let turn = LoggedTurn {
            seat,
            start,
            end,
            how: TurnEnd::Natural,
        };
        let recorded = recorder.record_turn(&mut sink, turn);
        stored(&recorder, recorded)?;
    }
    for &(at, kind) in next_marker {
        let marked = recorder.record_marker(&mut sink, at, kind);
        stored(&recorder, marked)?;
    }
    let ended = recorder.end_at(&mut sink, end_at);
    stored(&recorder, ended)?;
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
            .any(|n| matches!(n, Note::BatchesLost { lost: 1, .. })));
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

    /// Frames of one session after its header, essentials and all, up to
    /// the `n`th delimiter: cut there.
    fn after_frame(bytes: &[u8], n: usize) -> &[u8] {
        let ends: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == 0).collect();
        &bytes[ends[n] + 1..]
    }

    /// Without its header, a session is read from its essentials: its
    /// turns kept, a note and a warning that parameters and labels are
    /// unknown. With the essentials gone too, nothing is decodable.
    #[test]
    fn a_log_without_its_header_is_read_from_its_essentials() {
        let turns: Vec<(u8, Tick, Tick)> = (0..40).map(|i| (1, i * 10, i * 10 + 5)).collect();
        let spec = SessionSpec {
            labels: vec![Some("Ana".into()), Some("Bo".into())],
            started_at_unix_ms: Some(1_700_000_000_000),
            ..two_seats()
        };
        let bytes = encode_session(&spec, &turns, &[(0, MarkerKind::Start)], 500).unwrap();
        let intact = decode(&bytes, "t").unwrap().sessions.remove(0);
        // bytes: 00, header, start marker, batch 0, essentials, batch 1,
        // essentials, batch 2, end
        let headless = after_frame(&bytes, 1);
        let log = decode(headless, "t").unwrap();
        assert_eq!(log.sessions.len(), 1);
        let s = &log.sessions[0];
        assert_eq!(
            s.turns, intact.turns,
            "every turn, placed by the essentials' tick"
        );
        assert_eq!((s.start_ms, s.end_ms), (intact.start_ms, intact.end_ms));
        assert_eq!(s.wall_clock_start_ms, Some(1_700_000_000_000));
        assert_eq!(s.seats.len(), 2);
        assert_eq!(s.seats[0].label, None, "labels are in the header only");
        assert!(s.notes.contains(&Note::HeaderLost), "{:?}", s.notes);
        assert!(log.warning().is_some());
        assert_eq!(log.orphan_records, 0);
        // Batch 0 and the essentials after it lost too: the essentials after
        // batch 1 open the session, with batch 1 that came before them,
        // and the copy of batch 0 that ends this short session fills it.
        let log = decode(after_frame(&bytes, 4), "t").unwrap();
        assert_eq!(log.sessions[0].turns, intact.turns);
        // Every copy of the essentials lost: the rest has no key.
        let last = frames(&bytes).iter().rposition(|f| f.get(2) == Some(&6));
        let err = decode(after_frame(&bytes, last.unwrap()), "t").unwrap_err();
        assert!(matches!(err, ReadError::NoSession { .. }), "{err:?}");
    }

    /// Two logs of one recording (same id, as `import` made them from the
    /// name alone) at different ticks, in one file: two sessions, each with
    /// its own tick, never merged.
    #[test]
    fn sessions_whose_headers_differ_never_merge() {
        let spec = |tick_ms| SessionSpec {
            session: SessionId {
                number: 0,
                nonce: 48266,
            },
            tick_ms,
            inputs: vec![InputKind::External; 2],
            ..SessionSpec::default()
        };
        let mut bytes = encode_session(&spec(10), &[(0, 0, 100)], &[], 200).unwrap();
        bytes.extend(encode_session(&spec(1), &[(1, 0, 500)], &[], 2000).unwrap());
        let log = decode(&bytes, "t").unwrap();
        assert_eq!(log.sessions.len(), 2);
        let extents: Vec<_> = log
            .sessions
            .iter()
            .map(|s| (s.start_ms, s.end_ms))
            .collect();
        assert_eq!(extents, [(0, 2000), (0, 2000)]);
        assert_eq!(log.sessions[0].turns.len(), 1);
        assert_eq!(log.sessions[0].turns[0].seat, 0);
        assert_eq!(log.sessions[1].turns[0].seat, 1);
        assert_eq!(log.sessions[1].turns[0].end_ms, 500);
        assert_eq!(log.id_conflicts, 1);
        assert!(log.sessions[1]
            .notes
            .iter()
            .any(|n| matches!(n, Note::IdConflict { .. })));
        assert!(log.warning().unwrap().contains("kept apart"));
    }

    /// The same id on two devices: kept apart by the device id.
    #[test]
    fn the_device_id_tells_sessions_apart() {
        let spec = |device_id| SessionSpec {
            device_id,
            ..two_seats()
        };
        let mut bytes = Vec::new();
        for device in [1, 2] {
            bytes.extend(encode_session(&spec(device), &[(0, 0, 100)], &[], 200).unwrap());
        }
        let log = decode(&bytes, "t").unwrap();
        let devices: Vec<_> = log.sessions.iter().map(|s| s.device_id).collect();
        assert_eq!(devices, [Some(1), Some(2)]);
        assert!(log.sessions.iter().all(|s| s.turns.len() == 1));
    }

    /// A log concatenated with itself is read once, and says so.
    #[test]
    fn a_session_repeated_whole_is_read_once() {
        let one = encode_session(&two_seats(), &[(0, 0, 100), (1, 100, 150)], &[], 200).unwrap();
        let log = decode(&[one.clone(), one].concat(), "t").unwrap();
        assert_eq!(log.sessions.len(), 1);
        assert_eq!(log.sessions[0].turns.len(), 2);
        assert_eq!(log.repeated_sessions, 1);
    }

    /// One damaged header frame no longer loses the session: its
    /// essentials stand in. A single flipped bit is even repaired.
    #[test]
    fn a_damaged_header_is_replaced_by_its_essentials() {
        let intact = encode_session(&two_seats(), &[(0, 0, 100)], &[], 200).unwrap();
        let mut bytes = intact.clone();
        bytes[5] ^= 0x01;
        let log = decode(&bytes, "t").unwrap();
        // header, batch, essentials and three more (64 bytes before the
        // copy), the batch's copy, end
        assert_eq!((log.frames_lost, log.records), (0, 8), "repaired");
        assert_eq!(log.sessions, decode(&intact, "t").unwrap().sessions);
        bytes[6] ^= 0x11;
        let log = decode(&bytes, "t").unwrap();
        assert_eq!(log.frames_lost, 1);
        assert_eq!(log.sessions.len(), 1);
        assert_eq!(log.sessions[0].turns.len(), 1);
        assert!(log.sessions[0].notes.contains(&Note::HeaderLost));
    }

    /// Session 0 with `nonce` on `device_id`: devices that share an id.
    fn one_id_on(nonce: u16, device_id: u64) -> SessionSpec {
        SessionSpec {
            session: SessionId { number: 0, nonce },
            device_id,
            ..two_seats()
        }
    }

    /// `n` turns of 40 ticks at `seat`, one every 100 ticks.
    fn regular_turns(seat: u8, n: Tick) -> Vec<(u8, Tick, Tick)> {
        (0..n).map(|i| (seat, i * 100, i * 100 + 40)).collect()
    }

    /// Two sessions with one id (device 1 and device 2), 10 batches each.
    fn same_id_pair() -> (Vec<u8>, Vec<u8>) {
        let spec = |device_id| one_id_on(48266, device_id);
        let turns = |seat| regular_turns(seat, 160);
        let markers = [(0, MarkerKind::Start), (8_000, MarkerKind::Agenda)];
        (
            encode_session(&spec(1), &turns(0), &markers, 20_000).unwrap(),
            encode_session(&spec(2), &turns(1), &markers, 20_000).unwrap(),
        )
    }

    fn frames(bytes: &[u8]) -> Vec<&[u8]> {
        bytes.split_inclusive(|&b| b == 0).collect()
    }

    /// Appends the frames of `a` and `b` in turns, one of each.
    fn alternate(log: &mut Vec<u8>, a: &[&[u8]], b: &[&[u8]]) {
        for i in 0..a.len().max(b.len()) {
            log.extend(a.get(i).copied().unwrap_or_default());
            log.extend(b.get(i).copied().unwrap_or_default());
        }
    }

    /// Records of two same-id sessions interleaved in one input (their
    /// headers differ): each session gets only records that are surely its
    /// own (batches by their sequence numbers, ends by their counts), what
    /// cannot be told apart goes to neither, and both say so, with one
    /// warning. Figures never mix the two.
    #[test]
    fn interleaved_sessions_with_one_id_never_merge() {
        let (a, b) = same_id_pair();
        let (fa, fb) = (frames(&a), frames(&b));
        // A's start (0x00, header, marker, batches 0–4 with its
        // essentials), then B's start, then the rest in turns.
        let batches_before = 1 + 1 + 1 + 6;
        let mut log: Vec<u8> = fa[..batches_before].concat();
        log.extend(fb[..3].concat());
        alternate(&mut log, &fa[batches_before..], &fb[3..]);
        let whole = |bytes: &[u8]| decode(bytes, "t").unwrap().sessions.remove(0);
        let (sa, sb) = (whole(&a), whole(&b));
        let read = decode(&log, "t").unwrap();
        assert_eq!(read.sessions.len(), 2);
        let (ga, gb) = (&read.sessions[0], &read.sessions[1]);
        assert_eq!((ga.device_id, gb.device_id), (Some(1), Some(2)));
        // Every batch goes where it belongs: the sequences never collide
        // here, so every turn is kept, none in the wrong session.
        assert_eq!(ga.turns, sa.turns);
        assert_eq!(gb.turns, sb.turns);
        assert_eq!((ga.end_ms, gb.end_ms), (sa.end_ms, sb.end_ms));
        // A marker after the interleaving showed could be either's.
        for (got, own) in [(ga, &sa), (gb, &sb)] {
            assert!(got.markers.iter().all(|m| own.markers.contains(m)));
            assert!(got.notes.iter().any(
                |n| matches!(n, Note::Interleaved { unattributed, .. } if *unattributed >= 1)
            ));
        }
        assert_eq!(read.interleaved_sessions, 2);
        let warning = read.warning().unwrap();
        assert_eq!(warning.matches("interleaved").count(), 1, "{warning}");
    }

    /// Two short same-id sessions (20 turns, two batches each, so both end
    /// with a copy of their batches), interleaved frame by frame after the
    /// second header: each copy goes to the session that has that batch
    /// turn for turn, never to the other, and no turn counts twice.
    #[test]
    fn copies_of_short_sessions_with_one_id_go_to_their_own() {
        let spec = |device_id| one_id_on(7, device_id);
        let turns = |seat| regular_turns(seat, 20);
        let a = encode_session(&spec(1), &turns(0), &[], 3_000).unwrap();
        let b = encode_session(&spec(2), &turns(1), &[], 3_000).unwrap();
        let (fa, fb) = (frames(&a), frames(&b));
        let copies = |f: &[&[u8]]| {
            let batches: Vec<&&[u8]> = f.iter().filter(|x| x.get(2) == Some(&1)).collect();
            batches.len()
        };
        // 0x00, header, batch 0, essentials, batch 1, essentials, fillers,
        // the two copies, end: the copies are there.
        assert_eq!((copies(&fa), copies(&fb)), (4, 4));
        // A's 0x00, header, both batches; then B's start; then the rest in
        // turns (the batches' numbers never collide).
        let mut log: Vec<u8> = fa[..5].concat();
        log.extend(fb[..3].concat());
        alternate(&mut log, &fa[5..], &fb[3..]);
        let whole = |bytes: &[u8]| decode(bytes, "t").unwrap().sessions.remove(0);
        let (sa, sb) = (whole(&a), whole(&b));
        assert_eq!((sa.turns.len(), sb.turns.len()), (20, 20));
        let read = decode(&log, "t").unwrap();
        assert_eq!(read.sessions.len(), 2);
        let (ga, gb) = (&read.sessions[0], &read.sessions[1]);
        assert_eq!((ga.device_id, gb.device_id), (Some(1), Some(2)));
        assert_eq!(ga.turns, sa.turns);
        assert_eq!(gb.turns, sb.turns);
        // A session's own copy of a batch lost: the copy fills it.
        let batch0 = fa[2];
        let mut zeroed = a.clone();
        let at = a.len() - fa[2..].concat().len();
        zeroed[at..at + batch0.len() - 1].fill(0);
        let got = decode(&zeroed, "t").unwrap();
        assert_eq!(got.sessions[0].turns, sa.turns);
        assert!(!got.sessions[0]
            .notes
            .iter()
            .any(|n| matches!(n, Note::BatchesLost { .. })));
    }

    /// The same pair, the first cut short (no end record) before the second
    /// begins: nothing is interleaved, the second gets all of its records.
    #[test]
    fn a_session_cut_short_then_another_with_its_id() {
        let (a, b) = same_id_pair();
        let fa = frames(&a);
        let mut log = fa[..fa.len() - 1].concat();
        log.extend(&b);
        let read = decode(&log, "t").unwrap();
        let sb = decode(&b, "t").unwrap().sessions.remove(0);
        assert_eq!(read.sessions.len(), 2);
        assert_eq!(read.sessions[1].turns, sb.turns);
        assert_eq!(read.sessions[1].markers, sb.markers);
        assert!(read.sessions[0].notes.contains(&Note::NoEnd));
        assert_eq!(read.interleaved_sessions, 0);
    }

    /// A truncation exactly at a frame boundary leaves every frame intact
    /// but loses the end: a warning says so, not just a note.
    #[test]
    fn a_truncation_at_a_frame_boundary_warns() {
        let turns: Vec<(u8, Tick, Tick)> = (0..100).map(|i| (0, i * 10, i * 10 + 5)).collect();
        let bytes = encode_session(&two_seats(), &turns, &[], 2000).unwrap();
        let frames: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i] == 0).collect();
        let cut = &bytes[..=frames[frames.len() - 2]];
        let log = decode(cut, "t").unwrap();
        assert_eq!(log.frames_lost, 0);
        assert!(log.sessions[0].notes.contains(&Note::NoEnd));
        assert!(log.warning().unwrap().contains("1 session lost records"));
        // A whole batch frame dropped from the middle: the gap in the
        // sequence numbers is noticed and warned about.
        let mut dropped = bytes[..=frames[3]].to_vec();
        dropped.extend_from_slice(&bytes[frames[4] + 1..]);
        let log = decode(&dropped, "t").unwrap();
        assert_eq!(log.frames_lost, 0);
        assert!(log.sessions[0]
            .notes
            .iter()
            .any(|n| matches!(n, Note::BatchesLost { lost: 1, .. })));
        assert!(log.warning().is_some());
    }

    /// Endless zeros or garbage are not read until memory runs out.
    #[test]
    fn endless_input_is_refused_after_a_bounded_read() {
        let zeros = std::io::repeat(0).take(u64::MAX);
        let err = decode_each(zeros, "zero", |_| {}).unwrap_err();
        assert!(
            matches!(err, ReadError::NotALog { bytes } if bytes > MAX_GAP && bytes < 2 * MAX_GAP)
        );
        assert!(err.to_string().contains("first 8 MiB"));
        let garbage = std::io::repeat(0x55).take(u64::MAX);
        assert!(matches!(
            decode_each(garbage, "g", |_| {}),
            Err(ReadError::NotALog { .. })
        ));
        // A log followed by endless zeros: its session, and a warning.
        let log = encode_session(&two_seats(), &[(0, 0, 100)], &[], 200).unwrap();
        let input = std::io::Read::chain(&log[..], std::io::repeat(0).take(u64::MAX));
        let mut sessions = 0;
        let read = decode_each(input, "t", |_| sessions += 1).unwrap();
        assert_eq!(sessions, 1);
        assert!(read.stopped_at.is_some());
        assert!(read.warning().unwrap().contains("reading stopped"));
    }

    /// Reading in windows gives exactly what reading at once gives, for
    /// logs longer than a window, with damage and long garbage inside.
    #[test]
    fn windows_change_nothing() {
        const SMALL: usize = 1024;
        let turns: Vec<(u8, Tick, Tick)> = (0..6_000)
            .map(|i: u64| ((i % 2) as u8, i * 10, i * 10 + 1 + (i * 7919) % 8))
            .collect();
        let mut bytes = encode_session(&two_seats(), &turns, &[], 70_000).unwrap();
        assert!(bytes.len() > 4 * SMALL);
        let mid = bytes.len() / 3;
        bytes[mid] ^= 0x5A;
        let mut garbage = vec![0x41u8; 2 * SMALL + 10];
        garbage.push(0);
        bytes.splice(2 * mid..2 * mid, garbage);
        let whole = decode(&bytes, "t").unwrap();
        let mut sessions = Vec::new();
        let mut log = decode_in(&bytes[..], "t", SMALL, |s| sessions.push(s)).unwrap();
        log.sessions = sessions;
        assert_eq!(log, whole);
        assert_eq!(log.sessions.len(), 1);
        // The batch hit by the flip, the garbage, and the batch it was put
        // into unless it fell on a frame boundary (that depends on the
        // header's length, which grows with every new parameter).
        assert!((2..=3).contains(&log.frames_lost), "{:?}", log.damaged);
        assert!(log.damaged.iter().any(|r| r.contains(&mid)));
        assert!(log.damaged.iter().any(|r| r.len() > 2 * SMALL));
        let kept = log.sessions[0].turns.len();
        assert!((6_000 - 3 * 64..6_000).contains(&kept), "{kept}");
    }
}
