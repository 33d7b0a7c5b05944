//! Session-level reading: records grouped by session, batches expanded into
//! turns, and what went missing.

use core::ops::Range;

use super::reader::{Damage, Item, LogReader};
use crate::records::{
    BatchTurns, ConditionRecord, Error, Header, LoggedTurn, MarkerRecord, Record, SessionEnd,
    SessionEssentials, SessionId, StoreNotice, TurnBatch,
};

/// What [`SessionReader`] finds, in log order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionItem<'a> {
    /// A session begins; what follows with its [`SessionId`] belongs to it.
    Header(Header<'a>),
    /// One turn (batches are expanded; within a batch, turns come in end
    /// order; batches follow in log order).
    Turn {
        /// The session it belongs to.
        session: SessionId,
        /// The turn, in ticks.
        turn: LoggedTurn,
    },
    /// A session marker.
    Marker(MarkerRecord),
    /// An input condition.
    Condition(ConditionRecord),
    /// A note from the log store about lost data.
    Notice(StoreNotice),
    /// A session ends.
    End(SessionEnd),
    /// Turn batches of the current session that are not in the log: their
    /// sequence numbers. Seen from a gap in the numbers, or from the count
    /// in the session's end record. Batch numbers below 64 are reported
    /// when the session's reading ends (its end record, the next session's
    /// header, or the end of the log), so that the copies a short session
    /// ends with fill gaps first; a gap at 64 or above (never copied) as
    /// soon as it is seen.
    MissingBatches {
        /// The session.
        session: SessionId,
        /// The missing sequence numbers.
        seqs: Range<u32>,
    },
    /// Bytes that did not decode, or an intact record that contradicts its
    /// session's header (a seat the header does not have).
    Damaged(Damage),
}

impl SessionItem<'_> {
    /// The session the item belongs to (`None` for damage).
    pub fn session(&self) -> Option<SessionId> {
        match self {
            SessionItem::Header(h) => Some(h.session),
            SessionItem::Turn { session, .. } | SessionItem::MissingBatches { session, .. } => {
                Some(*session)
            }
            SessionItem::Marker(m) => Some(m.session),
            SessionItem::Condition(c) => Some(c.session),
            SessionItem::Notice(n) => Some(n.session),
            SessionItem::End(e) => Some(e.session),
            SessionItem::Damaged(_) => None,
        }
    }
}

/// Reads a log session by session, on top of [`LogReader`]: no_std,
/// streaming, allocation-free.
///
/// It remembers the latest header. Records of that session are checked
/// against it (seat indices below its seat count, batch sequence numbers
/// without gaps); records of another session (whose header was lost, or
/// that are interleaved) are passed on unchecked, with their session id:
/// use [`header`](Self::header) to see whether an item's session is known.
/// A batch of a session and number already read (a short session's copy,
/// see [`COPY_MAX_LEN`](crate::log::COPY_MAX_LEN)) is not yielded again.
/// [`SessionEssentials`] records are not yielded: the latest one is kept,
/// and [`essentials`](Self::essentials) gives a session's tick and seat
/// count when its header was lost.
///
/// ```
/// use tabletalk_core::log::{LogWriter, SessionItem, SessionReader};
/// use tabletalk_core::records::{Header, LoggedTurn, Seats, SessionId};
/// use tabletalk_core::seat::InputKind;
/// use tabletalk_core::turns::TurnEnd;
///
/// let kinds = [InputKind::Microphone; 3];
/// let header = Header::new(SessionId { number: 9, nonce: 1 }, 0, Seats::new(&kinds)?);
/// let mut log = [0u8; 1024];
/// let (mut writer, mut len) = LogWriter::start(&header, &mut log)?;
/// for (seat, start, end) in [(0, 0, 120), (2, 100, 180), (1, 200, 200)] {
///     let turn = LoggedTurn { seat, start, end, how: TurnEnd::Natural };
///     len += writer.push_turn(turn, &mut log[len..])?;
/// }
/// len += writer.finish(250, &mut log[len..])?;
///
/// let mut scratch = [0u8; 1024];
/// let mut turns = 0;
/// for item in SessionReader::new(&log[..len], &mut scratch)? {
///     match item {
///         SessionItem::Turn { session, turn } => {
///             assert_eq!(session.number, 9);
///             turns += 1;
///         }
///         SessionItem::Damaged(d) => panic!("{d:?}"),
///         _ => {}
///     }
/// }
/// assert_eq!(turns, 3);
/// # Ok::<(), tabletalk_core::records::Error>(())
/// ```
#[derive(Debug)]
pub struct SessionReader<'a> {
    records: LogReader<'a>,
    header: Option<Header<'a>>,
    /// The current session's reading has not ended (its header was read,
    /// its end record not yet).
    open: bool,
    /// The latest session essentials read.
    essentials: Option<SessionEssentials>,
    /// One more than the highest batch number read in the current session.
    next_seq: u32,
    /// Which of the current session's batch numbers below 64 were read: a
    /// short session's batches are written twice (see
    /// [`COPY_MAX_LEN`](crate::log::COPY_MAX_LEN)) and count once, and
    /// what is still unread when the session ends is missing.
    seen: u64,
    /// The same for the latest batches of a session other than the
    /// current one (its header was lost).
    seen_other: Option<(SessionId, u64)>,
    turns: Option<(SessionId, BatchTurns<'a>)>,
    /// A session's missing batches being reported, and what follows them.
    closing: Option<Closing<'a>>,
}

/// The missing batches of a session whose reading ended, reported one
/// range at a time, then the item that ended it.
#[derive(Debug)]
struct Closing<'a> {
    session: SessionId,
    /// Batch numbers below 64 that were read.
    seen: u64,
    /// Numbers at or above 64 and below this were read or already reported.
    known: u32,
    /// The next number to look at.
    cursor: u32,
    /// The session's batches are the numbers below this.
    until: u32,
    then: Option<SessionItem<'a>>,
}

impl Closing<'_> {
    /// The next range of missing batch numbers.
    fn next_gap(&mut self) -> Option<Range<u32>> {
        let masked = self.until.min(64);
        while self.cursor < masked {
            if self.seen.wrapping_shr(self.cursor) & 1 == 1 {
                self.cursor += 1;
                continue;
            }
            let start = self.cursor;
            while self.cursor < masked && self.seen.wrapping_shr(self.cursor) & 1 == 0 {
                self.cursor += 1;
            }
            return Some(start..self.cursor);
        }
        let tail = self.cursor.max(self.known).max(64);
        self.cursor = self.until;
        (tail < self.until).then_some(tail..self.until)
    }
}

impl<'a> SessionReader<'a> {
    /// A reader over `log`, decoding into `scratch` (at least `log.len()`
    /// bytes, see [`LogReader::new`]).
    pub fn new(log: &'a [u8], scratch: &'a mut [u8]) -> Result<Self, Error> {
        Ok(Self::from_records(LogReader::new(log, scratch)?))
    }

    /// Groups the records of an existing [`LogReader`].
    pub fn from_records(records: LogReader<'a>) -> Self {
        SessionReader {
            records,
            header: None,
            open: false,
            essentials: None,
            next_seq: 0,
            seen: 0,
            seen_other: None,
            turns: None,
            closing: None,
        }
    }

    /// The header of `session`, if it is the session being read.
    pub fn header(&self, session: SessionId) -> Option<&Header<'a>> {
        self.header.as_ref().filter(|h| h.session == session)
    }

    /// The latest [`SessionEssentials`] of `session` read, if they are the
    /// latest read: what is known of a session whose header was lost.
    pub fn essentials(&self, session: SessionId) -> Option<&SessionEssentials> {
        self.essentials.as_ref().filter(|e| e.session == session)
    }

    /// The latest header read, if any.
    pub fn current_header(&self) -> Option<&Header<'a>> {
        self.header.as_ref()
    }

    fn is_current(&self, session: SessionId) -> bool {
        self.header.is_some_and(|h| h.session == session)
    }

    /// Marks batch `seq` read in `mask`; true when it was read before.
    fn mark(mask: &mut u64, seq: u32) -> bool {
        let Some(bit) = 1u64.checked_shl(seq) else {
            return false;
        };
        let before = *mask & bit != 0;
        *mask |= bit;
        before
    }

    /// Ends the current session's reading: its missing batches (below
    /// `batches`, its end record's count, and below the highest read) go
    /// out first, then `then`.
    fn close(&mut self, batches: u32, then: Option<SessionItem<'a>>) {
        let session = self.header.map(|h| h.session).filter(|_| self.open);
        self.open = false;
        self.closing = match session {
            Some(session) => Some(Closing {
                session,
                seen: self.seen,
                known: self.next_seq,
                cursor: 0,
                until: batches.max(self.next_seq),
                then,
            }),
            None => then.map(|then| Closing {
                session: SessionId {
                    number: 0,
                    nonce: 0,
                },
                seen: 0,
                known: 0,
                cursor: 0,
                until: 0,
                then: Some(then),
            }),
        };
    }

    /// Items for one batch: checked against the header, a gap at batch 64
    /// or above first if any. `None` for a batch already read.
    fn batch(&mut self, range: Range<usize>, batch: TurnBatch<'a>) -> Option<SessionItem<'a>> {
        let session = batch.session();
        let mut gap = None;
        if let Some(h) = self.header.filter(|h| h.session == session) {
            let seats = h.seats.count();
            if batch.turns().any(|t| t.seat >= seats) {
                return Some(SessionItem::Damaged(Damage {
                    range,
                    error: Error::SeatOutOfRange,
                }));
            }
            if Self::mark(&mut self.seen, batch.seq()) {
                return None;
            }
            // Below 64 the mask remembers the gap until the session ends.
            let unreported = self.next_seq.max(64);
            if batch.seq() > unreported {
                gap = Some(unreported..batch.seq());
            }
            self.next_seq = self.next_seq.max(batch.seq().saturating_add(1));
        } else {
            let mask = match &mut self.seen_other {
                Some((s, mask)) if *s == session => mask,
                other => &mut other.insert((session, 0)).1,
            };
            if Self::mark(mask, batch.seq()) {
                return None;
            }
        }
        self.turns = Some((session, batch.turns()));
        if let Some(seqs) = gap {
            return Some(SessionItem::MissingBatches { session, seqs });
        }
        // A parsed batch holds at least one turn.
        Some(self.next_turn().unwrap_or(SessionItem::Damaged(Damage {
            range,
            error: Error::BatchSize,
        })))
    }

    fn next_turn(&mut self) -> Option<SessionItem<'a>> {
        let (session, turns) = self.turns.as_mut()?;
        let session = *session;
        match turns.next() {
            Some(turn) => Some(SessionItem::Turn { session, turn }),
            None => {
                self.turns = None;
                None
            }
        }
    }
}

impl<'a> Iterator for SessionReader<'a> {
    type Item = SessionItem<'a>;

    fn next(&mut self) -> Option<SessionItem<'a>> {
        loop {
            if let Some(item) = self.next_turn() {
                return Some(item);
            }
            if let Some(closing) = self.closing.as_mut() {
                if let Some(seqs) = closing.next_gap() {
                    return Some(SessionItem::MissingBatches {
                        session: closing.session,
                        seqs,
                    });
                }
                let then = closing.then.take();
                self.closing = None;
                match then {
                    Some(item) => return Some(item),
                    None => continue,
                }
            }
            let Some(item) = self.records.next() else {
                // The end of the log ends the last session's reading.
                if !self.open {
                    return None;
                }
                self.close(0, None);
                continue;
            };
            let (range, record) = match item {
                Item::Damaged(d) => return Some(SessionItem::Damaged(d)),
                Item::Record { range, record, .. } => (range, record),
            };
            match record {
                // Writers before the session essentials wrote every header
                // twice: a copy of the current session's header is not a
                // new session.
                Record::Header(h) if self.header == Some(h) => {}
                Record::Header(h) => {
                    self.close(0, Some(SessionItem::Header(h)));
                    self.header = Some(h);
                    self.open = true;
                    self.next_seq = 0;
                    self.seen = 0;
                }
                Record::Essentials(e) => self.essentials = Some(e),
                Record::Turns(batch) => {
                    if let Some(item) = self.batch(range, batch) {
                        return Some(item);
                    }
                }
                Record::Marker(m) => return Some(SessionItem::Marker(m)),
                Record::Condition(c) => {
                    return Some(match self.header.filter(|h| h.session == c.session) {
                        Some(h) if c.seat >= h.seats.count() => SessionItem::Damaged(Damage {
                            range,
                            error: Error::SeatOutOfRange,
                        }),
                        _ => SessionItem::Condition(c),
                    })
                }
                Record::Notice(n) => return Some(SessionItem::Notice(n)),
                Record::End(e) if self.open && self.is_current(e.session) => {
                    self.close(e.batches, Some(SessionItem::End(e)));
                }
                Record::End(e) => return Some(SessionItem::End(e)),
            }
        }
    }
}
