//! The log writer: a session's header and events in, complete frames out.

use serde::{Serialize, Serializer};

use super::frame::{encode_value, max_frame_len, MAX_BATCH_FRAME_LEN, MAX_SMALL_FRAME_LEN};
use crate::records::{
    seat_bits, BatchEncoder, ConditionRecord, Error, FlushPolicy, Header, LoggedTurn, MarkerRecord,
    Record, SessionEnd, SessionEssentials, SessionId, StoreEvent, StoreNotice, Tick,
    MAX_BATCH_TURNS,
};
use crate::time::SessionMs;
use crate::turns::{Condition, Event, MarkerKind};

/// The most bytes a [`SessionEssentials`] frame takes: tag, session (5 +
/// 2), device id (10), tick (3), wall clock (1 + 10), seat count, check (4).
pub const MAX_ESSENTIALS_FRAME_LEN: usize = max_frame_len(1 + 7 + 10 + 3 + 11 + 1 + 4);

/// The writer writes the session's [`SessionEssentials`] after batches 0
/// and 1 (apart from the header, and from each other, so that one burst of
/// damage does not take the header and every copy) and then after every
/// batch whose sequence number is a multiple of this, so a long log has
/// several. Chosen by measurement (`cargo bench -p tabletalk --bench
/// damage` and `--bench density`, docs/reliability.md): the copy after
/// batch 1 took the share of damaged fixture copies that lost a meeting
/// whole from 0.4 % to 0 % for 0.04 bytes per turn on AMI meetings.
pub const ESSENTIALS_EVERY: u32 = 32;

/// A short session's batches are written twice: when every batch frame of
/// a session together takes at most this many bytes, [`LogWriter::finish`]
/// writes a copy of each before the End record (same frames, byte for
/// byte; a reader counts a batch once: see docs/log-format.md, "Short
/// sessions"). In a short session one batch is most of the turns and one
/// burst of damage a large part of the log; in a long one a lost batch is a
/// small share and the copy would cost density. The writer keeps the
/// frames in a buffer of this size (RAM). Chosen by measurement
/// (`cargo bench -p tabletalk --bench damage` and `--bench density`,
/// docs/reliability.md): it covers sessions of up to about 50 turns and no
/// AMI meeting.
pub const COPY_MAX_LEN: usize = 192;

/// At least this many bytes lie between the end of a short session's last
/// batch and the start of the copies (filled with the session essentials),
/// so no burst of up to 64 damaged bytes covers a batch and its copy.
pub const COPY_GAP: usize = 64;

/// The most bytes any single call of [`LogWriter`] other than
/// [`LogWriter::start`] writes: a flushed batch, the session essentials
/// after it, and one small record; or, at [`LogWriter::finish`] of a short
/// session, also the essentials that keep the copies apart and the copies.
/// An `out` buffer this long never gets [`Error::BufferTooSmall`].
pub const MAX_WRITE_LEN: usize = MAX_BATCH_FRAME_LEN
    + MAX_ESSENTIALS_FRAME_LEN
    + (COPY_GAP + MAX_ESSENTIALS_FRAME_LEN)
    + COPY_MAX_LEN
    + MAX_SMALL_FRAME_LEN;

/// Writes one session: takes its [`Header`] and then its [`Event`]s, and
/// puts complete frames into the caller's buffer, ready to be appended to
/// flash or a file. Sans-IO and allocation-free.
///
/// Turns are kept until a batch is due (see [`FlushPolicy`]): when
/// `max_turns` are pending, when the oldest pending one ended `max_age_ms`
/// ago (checked on every call that brings a time, including
/// [`poll`](Self::poll)), before a marker, and at [`finish`](Self::finish).
///
/// Every call writes whole frames or nothing: if `out` is too small it
/// returns [`Error::BufferTooSmall`] and the writer is unchanged, so the
/// call can be repeated with more room. `out` of [`MAX_WRITE_LEN`] bytes is
/// always enough.
///
/// ```
/// use tabletalk_core::log::{LogReader, LogWriter, Item};
/// use tabletalk_core::records::{Header, Record, Seats, SessionId};
/// use tabletalk_core::seat::{InputKind, SeatId};
/// use tabletalk_core::turns::{Event, TurnEnd};
///
/// let kinds = [InputKind::Button; 2];
/// let header = Header::new(SessionId { number: 1, nonce: 0x1234 }, 42, Seats::new(&kinds)?);
/// let mut log = [0u8; 2048];
/// let (mut writer, mut len) = LogWriter::start(&header, &mut log)?;
/// let seat = SeatId::new(1).unwrap();
/// let turn = Event::TurnEnded { seat, start: 1_000, end: 2_500, how: TurnEnd::Natural };
/// len += writer.push(&turn, &mut log[len..])?;
/// len += writer.finish(300, &mut log[len..])?;
///
/// let mut scratch = [0u8; 2048];
/// let records: Vec<_> = LogReader::new(&log[..len], &mut scratch)?
///     .filter_map(|item| match item { Item::Record { record, .. } => Some(record), _ => None })
///     .collect();
/// let Record::Header(h) = records[0] else { panic!() };
/// let Record::Turns(batch) = records[1] else { panic!() };
/// let turns: Vec<_> = batch.turns().collect();
/// assert_eq!((turns[0].seat, turns[0].start, turns[0].end), (1, 100, 250)); // 10 ms ticks
/// // After the first batch, what a reader needs if the header is lost.
/// let Record::Essentials(e) = records[2] else { panic!() };
/// assert!(e.matches(&h));
/// // A short session: the batch again, at least 64 bytes later, then the end.
/// let (end, rest) = records.split_last().unwrap();
/// assert!(matches!(end, Record::End(_)));
/// assert_eq!(rest.last(), Some(&records[1]));
/// # Ok::<(), tabletalk_core::records::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LogWriter {
    session: SessionId,
    tick_ms: u16,
    seat_count: u8,
    /// Written after every [`ESSENTIALS_EVERY`]th batch.
    essentials: SessionEssentials,
    policy: FlushPolicy,
    pending: heapless::Vec<LoggedTurn, MAX_BATCH_TURNS>,
    /// The latest time any call brought (ticks).
    now: Tick,
    next_seq: u32,
    turns_written: u32,
    finished: bool,
    /// The engine's dropped-event count already logged.
    dropped_logged: u32,
    /// The frames of every batch written, while they fit ([`COPY_MAX_LEN`]):
    /// written again at [`finish`](Self::finish).
    copy: [u8; COPY_MAX_LEN],
    /// Bytes of `copy` in use; `None` once the batches did not fit (or the
    /// writer resumed a session whose earlier batches it does not have).
    copy_len: Option<usize>,
}

/// A batch record serialized straight from the pending turns.
struct TurnsRecord<'t>(BatchEncoder<'t>);

impl Serialize for TurnsRecord<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Same variant index as `Record::Turns`.
        s.serialize_newtype_variant("Record", 1, "Turns", &self.0)
    }
}

impl LogWriter {
    /// Starts a session: validates `header` and writes a `0x00` followed by
    /// the header frame into `out`. The leading `0x00` closes any frame a
    /// power cut left unfinished before it, so the header always decodes.
    /// The header's [`SessionEssentials`] follow the first and second
    /// batches (see [`ESSENTIALS_EVERY`]), apart from it, so that no single
    /// damaged frame (or burst) loses the session's turns. Returns the writer and the bytes written.
    pub fn start(header: &Header<'_>, out: &mut [u8]) -> Result<(Self, usize), Error> {
        let writer = Self::continuing(header, 0, 0)?;
        let (first, rest) = out.split_first_mut().ok_or(Error::BufferTooSmall)?;
        *first = 0;
        let n = encode_value(&Record::Header(*header), rest)?;
        Ok((writer, n + 1))
    }

    /// A writer for `header`'s session that has written `next_seq` batches
    /// of `turns_written` turns.
    fn continuing(header: &Header<'_>, next_seq: u32, turns_written: u32) -> Result<Self, Error> {
        Ok(LogWriter {
            session: header.session,
            tick_ms: header.tick_ms,
            seat_count: header.seats.count(),
            essentials: SessionEssentials::of(header)?,
            policy: header.flush,
            pending: heapless::Vec::new(),
            now: 0,
            next_seq,
            turns_written,
            finished: false,
            dropped_logged: 0,
            copy: [0; COPY_MAX_LEN],
            copy_len: if next_seq == 0 { Some(0) } else { None },
        })
    }

    /// Goes on writing a session whose log already holds `header` and
    /// `batches_written` batches of `turns_written` turns in all, as
    /// [`batches_written`](Self::batches_written) and
    /// [`turns_written`](Self::turns_written) said before the writer was
    /// lost (a device reset). Writes nothing: the next batch continues the
    /// sequence numbers, and the end record counts every turn. `now` is
    /// the latest session time the log holds.
    pub fn resume(
        header: &Header<'_>,
        batches_written: u32,
        turns_written: u32,
        now: SessionMs,
    ) -> Result<Self, Error> {
        let mut writer = Self::continuing(header, batches_written, turns_written)?;
        writer.now = writer.tick_of(now);
        Ok(writer)
    }

    /// The session being written.
    pub const fn session(&self) -> SessionId {
        self.session
    }

    /// The tick at session time `ms` (ticks count whole tick lengths).
    pub const fn tick_of(&self, ms: SessionMs) -> Tick {
        // `tick_ms` is never 0 (the header was validated); the check lets
        // the compiler drop the division-by-zero panic all the same.
        if self.tick_ms == 0 {
            ms
        } else {
            ms / self.tick_ms as u64
        }
    }

    /// Turns not yet written (lost if power fails now).
    pub fn pending(&self) -> &[LoggedTurn] {
        &self.pending
    }

    /// The latest session time any call brought (whole ticks).
    pub const fn now_ms(&self) -> SessionMs {
        self.now.saturating_mul(self.tick_ms as u64)
    }

    /// Batches written so far.
    pub const fn batches_written(&self) -> u32 {
        self.next_seq
    }

    /// Turns written so far (in batches, not counting pending ones).
    pub const fn turns_written(&self) -> u32 {
        self.turns_written
    }

    /// True once [`finish`](Self::finish) succeeded.
    pub const fn is_finished(&self) -> bool {
        self.finished
    }

    /// Takes one event of the turn layer (times in session ms).
    /// `TurnStarted` is ignored: the log keeps whole turns.
    pub fn push(&mut self, event: &Event, out: &mut [u8]) -> Result<usize, Error> {
        match *event {
            Event::TurnStarted { at, .. } => {
                self.check_open()?;
                self.poll(self.tick_of(at), out)
            }
            Event::TurnEnded {
                seat,
                start,
                end,
                how,
            } => self.push_turn(
                LoggedTurn {
                    seat: seat.get(),
                    start: self.tick_of(start),
                    end: self.tick_of(end),
                    how,
                },
                out,
            ),
            Event::Marker { at, kind } => self.push_marker(self.tick_of(at), kind, out),
            Event::Condition { seat, at, what } => {
                self.push_condition(seat.get(), self.tick_of(at), what, out)
            }
        }
    }

    /// Takes one whole turn (times in ticks). Turns may come in any order;
    /// each batch sorts its own.
    pub fn push_turn(&mut self, turn: LoggedTurn, out: &mut [u8]) -> Result<usize, Error> {
        self.check_open()?;
        if turn.seat >= self.seat_count {
            return Err(Error::SeatOutOfRange);
        }
        if turn.end < turn.start {
            return Err(Error::TurnEndsBeforeStart);
        }
        if self.pending.push(turn).is_err() {
            // Unreachable while max_turns <= MAX_BATCH_TURNS, which the
            // header check guarantees; refuse rather than lose the turn.
            return Err(Error::BatchSize);
        }
        let now = self.now.max(turn.end);
        let due = self.pending.len() >= usize::from(self.policy.max_turns) || self.aged(now);
        if !due {
            self.now = now;
            return Ok(0);
        }
        match self.encode_batch(out) {
            Ok(n) => {
                self.now = now;
                self.commit_batch();
                Ok(n)
            }
            Err(e) => {
                self.pending.pop();
                Err(e)
            }
        }
    }

    /// Writes a marker (time in ticks), after flushing pending turns so the
    /// log keeps them before it.
    pub fn push_marker(
        &mut self,
        at: Tick,
        kind: MarkerKind,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_open()?;
        let record = Record::Marker(MarkerRecord {
            session: self.session,
            at,
            kind,
        });
        let n = self.flush_then(&record, out)?;
        self.now = self.now.max(at);
        Ok(n)
    }

    /// Writes an input condition of seat `seat` (time in ticks). Pending
    /// turns stay pending.
    pub fn push_condition(
        &mut self,
        seat: u8,
        at: Tick,
        what: Condition,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_open()?;
        if seat >= self.seat_count {
            return Err(Error::SeatOutOfRange);
        }
        let record = Record::Condition(ConditionRecord {
            session: self.session,
            seat,
            at,
            what,
        });
        let n = encode_value(&record, out)?;
        self.now = self.now.max(at);
        Ok(n)
    }

    /// Writes a store notice (time in ticks), e.g. that the flash log wrapped.
    pub fn push_notice(
        &mut self,
        at: Tick,
        what: StoreEvent,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_open()?;
        let record = Record::Notice(StoreNotice {
            session: self.session,
            at,
            what,
        });
        let n = encode_value(&record, out)?;
        self.now = self.now.max(at);
        Ok(n)
    }

    /// Logs events the engine dropped: give it the engine's running count
    /// ([`EngineStats::dropped_events`](crate::engine::EngineStats)) after
    /// each drain; when it grew since the last call, a notice
    /// ([`StoreEvent::EventsDropped`] with the increase) is written at `at`
    /// (ticks), else nothing. A recorder that calls it loses no event
    /// without the log saying so.
    ///
    /// ```
    /// # use tabletalk_core::log::LogWriter;
    /// # use tabletalk_core::records::{Header, Seats, SessionId};
    /// # use tabletalk_core::seat::InputKind;
    /// # let kinds = [InputKind::Button];
    /// # let header = Header::new(SessionId::default(), 0, Seats::new(&kinds)?);
    /// # let mut out = [0u8; 1024];
    /// let (mut writer, _) = LogWriter::start(&header, &mut out)?;
    /// assert_eq!(writer.push_dropped_events(0, 10, &mut out)?, 0);
    /// assert!(writer.push_dropped_events(3, 20, &mut out)? > 0); // "3 dropped"
    /// assert_eq!(writer.push_dropped_events(3, 30, &mut out)?, 0);
    /// # Ok::<(), tabletalk_core::records::Error>(())
    /// ```
    pub fn push_dropped_events(
        &mut self,
        dropped_total: u32,
        at: Tick,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.check_open()?;
        let events = dropped_total.saturating_sub(self.dropped_logged);
        if events == 0 {
            return Ok(0);
        }
        let n = self.push_notice(at, StoreEvent::EventsDropped { events }, out)?;
        self.dropped_logged = dropped_total;
        Ok(n)
    }

    /// Tells the writer the time (ticks): flushes pending turns if the oldest
    /// is older than the policy allows. Call it now and then (say every
    /// second) so a long silence does not keep turns unwritten.
    pub fn poll(&mut self, now: Tick, out: &mut [u8]) -> Result<usize, Error> {
        self.check_open()?;
        let now = self.now.max(now);
        if !self.aged(now) {
            self.now = now;
            return Ok(0);
        }
        let n = self.encode_batch(out)?;
        self.now = now;
        self.commit_batch();
        Ok(n)
    }

    /// Writes pending turns now, if any.
    pub fn flush(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        self.check_open()?;
        let n = self.encode_batch(out)?;
        self.commit_batch();
        Ok(n)
    }

    /// Ends the session at `at` (ticks; never earlier than the latest time
    /// any call brought): flushes pending turns and writes the session-end
    /// record; in a short session (batch frames of at most
    /// [`COPY_MAX_LEN`] bytes in all) first essentials until [`COPY_GAP`]
    /// bytes follow the last batch, then every batch frame again. Later
    /// calls return [`Error::Finished`].
    pub fn finish(&mut self, at: Tick, out: &mut [u8]) -> Result<usize, Error> {
        self.check_open()?;
        let batch_turns = self.pending.len() as u32;
        let batches = self.next_seq + u32::from(!self.pending.is_empty());
        let record = Record::End(SessionEnd {
            session: self.session,
            at: at.max(self.now),
            turns: self.turns_written.saturating_add(batch_turns),
            batches,
        });
        let (batch_len, mut n) = self.encode_batch_parts(out)?;
        n += self.write_copies(batch_len, n, out)?;
        n += encode_value(&record, out.get_mut(n..).ok_or(Error::BufferTooSmall)?)?;
        self.commit_batch();
        self.finished = true;
        Ok(n)
    }

    /// In a short session, after its last batch (`out[..batch_len]`, just
    /// encoded, of `written` bytes with what followed it): the essentials
    /// until [`COPY_GAP`] bytes follow the last batch, then a copy of
    /// every batch frame, in order. Returns the bytes written after
    /// `written`.
    fn write_copies(
        &self,
        batch_len: usize,
        written: usize,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let Some(kept) = self.copy_len else {
            return Ok(0);
        };
        let total = kept.saturating_add(batch_len);
        if total == 0 || total > COPY_MAX_LEN {
            return Ok(0);
        }
        // Bytes since the last batch: what this call wrote after it, or,
        // when the last batch was written earlier, nothing known.
        let mut apart = if batch_len > 0 {
            written.saturating_sub(batch_len)
        } else {
            0
        };
        let mut n = written;
        while apart < COPY_GAP {
            let rest = out.get_mut(n..).ok_or(Error::BufferTooSmall)?;
            let m = encode_value(&Record::Essentials(self.essentials), rest)?;
            n += m;
            apart += m;
        }
        let earlier = out.get_mut(n..n + kept).ok_or(Error::BufferTooSmall)?;
        for (to, from) in earlier.iter_mut().zip(&self.copy) {
            *to = *from;
        }
        // The last batch's frame, byte by byte (no panic path).
        for i in 0..batch_len {
            let byte = out.get(i).copied().ok_or(Error::BufferTooSmall)?;
            *out.get_mut(n + kept + i).ok_or(Error::BufferTooSmall)? = byte;
        }
        Ok(n + total - written)
    }

    fn check_open(&self) -> Result<(), Error> {
        if self.finished {
            Err(Error::Finished)
        } else {
            Ok(())
        }
    }

    fn aged(&self, now: Tick) -> bool {
        let Some(oldest) = self.pending.iter().map(|t| t.end).min() else {
            return false;
        };
        let age_ms = now
            .saturating_sub(oldest)
            .saturating_mul(u64::from(self.tick_ms));
        age_ms >= u64::from(self.policy.max_age_ms)
    }

    /// Encodes the pending turns as a batch frame into `out` (nothing if
    /// none are pending), followed by the session essentials after batches
    /// 0 and 1 and when the batch's number is a multiple of
    /// [`ESSENTIALS_EVERY`], without committing.
    fn encode_batch(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        Ok(self.encode_batch_parts(out)?.1)
    }

    /// [`encode_batch`](Self::encode_batch), returning the batch frame's
    /// length and the bytes written in all.
    fn encode_batch_parts(&mut self, out: &mut [u8]) -> Result<(usize, usize), Error> {
        if self.pending.is_empty() {
            return Ok((0, 0));
        }
        sort_batch(&mut self.pending);
        let batch = TurnsRecord(BatchEncoder {
            session: self.session,
            seq: self.next_seq,
            turns: &self.pending,
            seat_bits: seat_bits(self.seat_count),
        });
        let n = encode_value(&batch, out)?;
        if self.next_seq > 1 && self.next_seq % ESSENTIALS_EVERY != 0 {
            return Ok((n, n));
        }
        let rest = out.get_mut(n..).ok_or(Error::BufferTooSmall)?;
        Ok((
            n,
            n + encode_value(&Record::Essentials(self.essentials), rest)?,
        ))
    }

    /// Keeps the pending batch's frame for the short session's copy (the
    /// pending turns are sorted by the encoding just done), or gives the
    /// copy up when it does not fit.
    fn keep_copy(&mut self) {
        let Some(kept) = self.copy_len else {
            return;
        };
        let batch = TurnsRecord(BatchEncoder {
            session: self.session,
            seq: self.next_seq,
            turns: &self.pending,
            seat_bits: seat_bits(self.seat_count),
        });
        let room = self.copy.get_mut(kept..).unwrap_or(&mut []);
        self.copy_len = encode_value(&batch, room).ok().map(|n| kept + n);
    }

    fn commit_batch(&mut self) {
        if !self.pending.is_empty() {
            self.keep_copy();
            self.turns_written = self.turns_written.saturating_add(self.pending.len() as u32);
            self.next_seq = self.next_seq.saturating_add(1);
            self.pending.clear();
        }
    }

    /// Writes the pending batch and then `record`, both or neither.
    fn flush_then(&mut self, record: &Record<'_>, out: &mut [u8]) -> Result<usize, Error> {
        let n = self.encode_batch(out)?;
        let m = encode_value(record, out.get_mut(n..).ok_or(Error::BufferTooSmall)?)?;
        self.commit_batch();
        Ok(n + m)
    }
}

/// Puts turns into batch order ([`LoggedTurn::batch_order`]). An insertion
/// sort: a batch holds at most 64 turns, which arrive nearly in order, and
/// unlike the standard library's sorts it has no panic path and no
/// recursion on the device (see tests/panic-never).
fn sort_batch(turns: &mut [LoggedTurn]) {
    for i in 1..turns.len() {
        let mut j = i;
        while j > 0 {
            let (Some(a), Some(b)) = (turns.get(j - 1), turns.get(j)) else {
                break;
            };
            if a.batch_order() <= b.batch_order() {
                break;
            }
            turns.swap(j - 1, j);
            j -= 1;
        }
    }
}
