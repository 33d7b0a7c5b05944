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
    /// in the session's end record. In a short session a batch reported
    /// missing from a gap may still come as the copy before the end (its
    /// turns then follow, once).
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
    /// The latest session essentials read.
    essentials: Option<SessionEssentials>,
    /// The next batch sequence number expected in the current session.
    next_seq: u32,
    turns: Option<(SessionId, BatchTurns<'a>)>,
    /// An item held back while a `MissingBatches` goes first.
    queued: Option<SessionItem<'a>>,
    /// The session whose batches `seen` tracks, and which of its batch
    /// numbers below 64 were read: a short session's batches are written
    /// twice (see [`COPY_MAX_LEN`](crate::log::COPY_MAX_LEN)) and count once.
    seen: Option<(SessionId, u64)>,
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
            essentials: None,
            next_seq: 0,
            turns: None,
            queued: None,
            seen: None,
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

    /// True when `batch` was read before in its session (the copy a
    /// short session ends with, or its original): it counts once. Marks it
    /// read.
    fn seen_before(&mut self, batch: &TurnBatch<'a>) -> bool {
        let session = batch.session();
        let mask = match &mut self.seen {
            Some((s, mask)) if *s == session => mask,
            seen => &mut seen.insert((session, 0)).1,
        };
        let Some(bit) = 1u64.checked_shl(batch.seq()) else {
            return false;
        };
        let before = *mask & bit != 0;
        *mask |= bit;
        before
    }

    /// Items for one batch: checked against the header, gap first if any.
    /// `None` for a batch already read.
    fn batch(&mut self, range: Range<usize>, batch: TurnBatch<'a>) -> Option<SessionItem<'a>> {
        let session = batch.session();
        if let Some(h) = self.header.filter(|h| h.session == session) {
            let seats = h.seats.count();
            if batch.turns().any(|t| t.seat >= seats) {
                return Some(SessionItem::Damaged(Damage {
                    range,
                    error: Error::SeatOutOfRange,
                }));
            }
            if self.seen_before(&batch) {
                return None;
            }
            let expected = self.next_seq;
            self.next_seq = self.next_seq.max(batch.seq().saturating_add(1));
            self.turns = Some((session, batch.turns()));
            if batch.seq() > expected {
                return Some(SessionItem::MissingBatches {
                    session,
                    seqs: expected..batch.seq(),
                });
            }
        } else {
            if self.seen_before(&batch) {
                return None;
            }
            self.turns = Some((session, batch.turns()));
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
        if let Some(item) = self.next_turn() {
            return Some(item);
        }
        if let Some(item) = self.queued.take() {
            return Some(item);
        }
        let (range, record) = loop {
            match self.records.next()? {
                Item::Damaged(d) => return Some(SessionItem::Damaged(d)),
                // Writers before the session essentials wrote every header
                // twice: a copy of the current session's header is not a
                // new session.
                Item::Record {
                    record: Record::Header(h),
                    ..
                } if self.header == Some(h) => {}
                Item::Record { range, record, .. } => match record {
                    Record::Essentials(e) => self.essentials = Some(e),
                    Record::Turns(batch) => {
                        if let Some(item) = self.batch(range, batch) {
                            return Some(item);
                        }
                    }
                    _ => break (range, record),
                },
            }
        };
        Some(match record {
            Record::Header(h) => {
                self.header = Some(h);
                self.next_seq = 0;
                self.seen = Some((h.session, 0));
                SessionItem::Header(h)
            }
            // Taken in the loop above: never here.
            Record::Turns(batch) => SessionItem::MissingBatches {
                session: batch.session(),
                seqs: 0..0,
            },
            Record::Marker(m) => SessionItem::Marker(m),
            Record::Condition(c) => match self.header.filter(|h| h.session == c.session) {
                Some(h) if c.seat >= h.seats.count() => SessionItem::Damaged(Damage {
                    range,
                    error: Error::SeatOutOfRange,
                }),
                _ => SessionItem::Condition(c),
            },
            Record::Notice(n) => SessionItem::Notice(n),
            // Taken in the loop above: never here.
            Record::Essentials(e) => SessionItem::MissingBatches {
                session: e.session,
                seqs: 0..0,
            },
            Record::End(e) => {
                if self.is_current(e.session) && e.batches > self.next_seq {
                    let seqs = self.next_seq..e.batches;
                    self.next_seq = e.batches;
                    self.queued = Some(SessionItem::End(e));
                    SessionItem::MissingBatches {
                        session: e.session,
                        seqs,
                    }
                } else {
                    SessionItem::End(e)
                }
            }
        })
    }
}
