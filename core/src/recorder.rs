//! The session recorder: a session's events through the [`LogWriter`] into a
//! [`LogSink`] (the device's flash [`SessionStore`](crate::store::SessionStore),
//! feature `store`; or anything that keeps frames), with the store's
//! discipline in one place: one append per writer call, a store notice
//! when older sessions were overwritten to make room, and when the store is
//! full a notice, the session's end and the store's session end in the room
//! kept for them. Sans-IO: the caller brings events (session time) and the
//! sink; the firmware and the power-loss tests use this same code.
//!
//! A session can also be resumed after the recorder was lost (a device
//! reset): [`SessionRecorder::checkpoint`] says what to keep,
//! [`SessionRecorder::resume`] goes on from it and marks the gap in the log
//! with a pause.
//!
//! The host's tools (`replay`, `simulate`, `evaluate`, `import`, the
//! scenario runner and the emulated device's twin) record through this same
//! code into a [`FrameSink`], which hands each frame to a function (a
//! `Vec`, a file), so that the logs they write are the device's.
//!
//! ```
//! use tabletalk_core::log::LogReader;
//! use tabletalk_core::recorder::{FrameSink, SessionRecorder, Stored};
//! use tabletalk_core::records::{Header, Seats, SessionId};
//! use tabletalk_core::seat::{InputKind, SeatId};
//! use tabletalk_core::turns::{Event, TurnEnd};
//!
//! let kinds = [InputKind::Button; 2];
//! let mut header = Header::new(SessionId { number: 0, nonce: 7 }, 42, Seats::new(&kinds)?);
//! let mut log = Vec::new();
//! let mut sink = FrameSink::new(1, |frame: &[u8]| log.extend_from_slice(frame));
//! let mut recorder = SessionRecorder::new();
//! assert_eq!(recorder.begin(&mut sink, &mut header, None), Stored::Ok);
//! let seat = SeatId::new(1).unwrap();
//! let turn = Event::TurnEnded { seat, start: 1_000, end: 2_500, how: TurnEnd::Natural };
//! assert_eq!(recorder.record(&mut sink, &turn), Stored::Ok);
//! assert_eq!(recorder.end(&mut sink, 3_000), Stored::Ok);
//! let mut scratch = [0u8; 512];
//! // the header, the turn's batch, its essentials (see `LogWriter::start`),
//! // three more and the batch's copy (a short session, see
//! // `log::COPY_MAX_LEN`), end
//! assert_eq!(LogReader::new(&log, &mut scratch)?.count(), 8);
//! # Ok::<(), tabletalk_core::records::Error>(())
//! ```

use crate::log::{LogWriter, MAX_WRITE_LEN};
use crate::records::{Error, Header, LoggedTurn, StoreEvent, Tick};
use crate::time::SessionMs;
use crate::turns::{Event, MarkerKind};

/// Where a session's frames go.
pub trait LogSink {
    /// The sink's own failure (a flash driver's error).
    type Error;
    /// Opens a session; `started_unix_ms` is the wall clock, if set.
    /// Returns its id and how many bytes of older sessions were
    /// overwritten to make room, if any.
    fn begin(
        &mut self,
        started_unix_ms: Option<u64>,
    ) -> Result<(u32, Option<u32>), SinkError<Self::Error>>;
    /// Appends one frame (as the writer made it). `last`: a frame after
    /// which the session ends (its end, a store notice), which may use the
    /// room kept for them. Returns the bytes overwritten for it, if any.
    fn append(&mut self, frame: &[u8], last: bool) -> Result<Option<u32>, SinkError<Self::Error>>;
    /// Ends the session.
    fn end(&mut self) -> Result<(), SinkError<Self::Error>>;
    /// Reopens session `id`, which a reset interrupted, for appending.
    fn resume(&mut self, id: u32) -> Result<(), SinkError<Self::Error>>;
}

/// Why a sink refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SinkError<E> {
    /// No room (and the policy keeps what is stored).
    Full,
    /// Not possible in this state (e.g. nothing to resume).
    Refused,
    /// The sink failed.
    Failed(E),
}

/// What became of a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Stored {
    /// Written (or nothing was due).
    Ok,
    /// The store is full: the session was ended with a note saying so (or,
    /// at [`SessionRecorder::begin`], not opened).
    Full,
    /// The sink failed, or the writer refused: the session goes on, what
    /// this call had is lost.
    Failed,
}

/// What [`SessionRecorder::resume`] needs, as plain numbers (the firmware
/// keeps it in the watchdog's scratch registers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Checkpoint {
    /// The sink's session id.
    pub session: u32,
    /// The log header's nonce.
    pub nonce: u16,
    /// Session time the log has reached (ms).
    pub session_ms: u32,
    /// Batches written.
    pub batches: u32,
    /// Turns written.
    pub turns: u32,
}

struct Open {
    writer: LogWriter,
    id: u32,
    /// Events the engine dropped during this session, as logged or due.
    dropped: u32,
}

/// The output room of a recorder on the device: the header (the largest
/// frame, written twice) of a device's session, or any other writer call.
pub const DEVICE_OUT: usize = 2 * MAX_WRITE_LEN;

/// The output room of a recorder on a laptop, where a header may carry a
/// label for each of many seats: headers up to about 2 KiB are written
/// twice, up to 4 KiB once.
pub const LAPTOP_OUT: usize = 4096;

/// Records one session at a time into a [`LogSink`]; see the
/// [module docs](self). `OUT` bytes of output room bound the header (see
/// [`DEVICE_OUT`], [`LAPTOP_OUT`]); it is at least [`MAX_WRITE_LEN`].
pub struct SessionRecorder<const OUT: usize = DEVICE_OUT> {
    session: Option<Open>,
    /// Added to event times: the session time at which the events' clock
    /// started (nonzero after a resume).
    offset_ms: SessionMs,
    /// The engine's dropped-event count at the latest
    /// [`dropped_events`](Self::dropped_events) call.
    dropped_seen: u32,
    /// Why the writer refused the latest call it refused.
    refused: Option<Error>,
    out: [u8; OUT],
}

impl Default for SessionRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionRecorder {
    /// Not recording; room for a device's header.
    pub const fn new() -> Self {
        Self::with_room()
    }
}

impl<const OUT: usize> SessionRecorder<OUT> {
    /// Room enough for every writer call but the header.
    const ROOM: () = assert!(OUT >= MAX_WRITE_LEN, "a recorder needs MAX_WRITE_LEN bytes");

    /// Not recording; `OUT` bytes of output room.
    pub const fn with_room() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::ROOM;
        SessionRecorder {
            session: None,
            offset_ms: 0,
            dropped_seen: 0,
            refused: None,
            out: [0; OUT],
        }
    }

    /// The sink's id of the session being recorded.
    pub fn recording(&self) -> Option<u32> {
        self.session.as_ref().map(|s| s.id)
    }

    /// Why the log writer refused the latest call it refused (a call that
    /// returned [`Stored::Failed`] without the sink failing): an invalid
    /// header or turn, a header larger than the output room.
    pub const fn refused(&self) -> Option<Error> {
        self.refused
    }

    /// Turns written so far in the session being recorded (in batches, not
    /// counting pending ones).
    pub fn turns_written(&self) -> Option<u32> {
        self.session.as_ref().map(|s| s.writer.turns_written())
    }

    /// Session time of `events_ms`, a time of the event clock (the engine's
    /// session time, which restarts at a resume).
    pub const fn session_time(&self, events_ms: SessionMs) -> SessionMs {
        events_ms.saturating_add(self.offset_ms)
    }

    /// Opens a session in `sink` and writes `header` (its session number
    /// set to the sink's id). [`Stored::Full`] or [`Stored::Failed`]: no
    /// session (nothing is written but, perhaps, the sink's own begin).
    pub fn begin<S: LogSink>(
        &mut self,
        sink: &mut S,
        header: &mut Header<'_>,
        started_unix_ms: Option<u64>,
    ) -> Stored {
        if self.session.is_some() {
            return Stored::Failed;
        }
        let (id, overwritten) = match sink.begin(started_unix_ms) {
            Ok(opened) => opened,
            Err(SinkError::Full) => return Stored::Full,
            Err(_) => return Stored::Failed,
        };
        header.session.number = id;
        header.started_at_unix_ms = started_unix_ms;
        let (writer, n) = match LogWriter::start(header, &mut self.out) {
            Ok(started) => started,
            Err(error) => {
                self.refused = Some(error);
                let _ = sink.end();
                return Stored::Failed;
            }
        };
        self.offset_ms = 0;
        self.session = Some(Open {
            writer,
            id,
            dropped: 0,
        });
        let stored = self.append(sink, n, false);
        if let Some(bytes) = overwritten {
            self.notice(sink, 0, StoreEvent::Overwritten { bytes });
        }
        stored
    }

    /// Goes on with the session a reset interrupted, from `checkpoint`:
    /// `header` as [`begin`](Self::begin) was given it; `gap_ms` how long
    /// recording stopped (the log gets a pause over it). Event times start
    /// at zero again. [`Stored::Failed`]: not resumed (the session stays
    /// interrupted).
    pub fn resume<S: LogSink>(
        &mut self,
        sink: &mut S,
        header: &mut Header<'_>,
        checkpoint: &Checkpoint,
        gap_ms: SessionMs,
    ) -> Stored {
        if self.session.is_some() || sink.resume(checkpoint.session).is_err() {
            return Stored::Failed;
        }
        header.session.number = checkpoint.session;
        header.session.nonce = checkpoint.nonce;
        let paused_at = SessionMs::from(checkpoint.session_ms);
        let writer =
            match LogWriter::resume(header, checkpoint.batches, checkpoint.turns, paused_at) {
                Ok(writer) => writer,
                Err(error) => {
                    self.refused = Some(error);
                    let _ = sink.end();
                    return Stored::Failed;
                }
            };
        self.session = Some(Open {
            writer,
            id: checkpoint.session,
            dropped: 0,
        });
        self.offset_ms = paused_at.saturating_add(gap_ms);
        let resumed_at = self.offset_ms;
        let paused = self.record_at(
            sink,
            &Event::Marker {
                at: paused_at,
                kind: MarkerKind::Pause,
            },
        );
        match paused {
            Stored::Ok => self.record_at(
                sink,
                &Event::Marker {
                    at: resumed_at,
                    kind: MarkerKind::Resume,
                },
            ),
            other => other,
        }
    }

    /// What a resume after a reset needs now (`now`: the event clock);
    /// `None` when not recording or beyond what a checkpoint holds.
    pub fn checkpoint(&self, now: SessionMs) -> Option<Checkpoint> {
        let open = self.session.as_ref()?;
        Some(Checkpoint {
            session: open.id,
            nonce: open.writer.session().nonce,
            session_ms: u32::try_from(self.session_time(now)).ok()?,
            batches: open.writer.batches_written(),
            turns: open.writer.turns_written(),
        })
    }

    /// Logs one event (times on the event clock). A stop marker is logged
    /// but does not end the session: call [`end`](Self::end).
    pub fn record<S: LogSink>(&mut self, sink: &mut S, event: &Event) -> Stored {
        let event = later_by(event, self.offset_ms);
        self.record_at(sink, &event)
    }

    /// Logs one whole turn given as the log keeps it (seat index, times in
    /// ticks of the session): for turns that come from elsewhere than the
    /// engine (imported annotations), of up to
    /// [`MAX_LOG_SEATS`](crate::records::MAX_LOG_SEATS) seats.
    pub fn record_turn<S: LogSink>(&mut self, sink: &mut S, turn: LoggedTurn) -> Stored {
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let by = open.writer.tick_of(self.offset_ms);
        let turn = LoggedTurn {
            start: turn.start.saturating_add(by),
            end: turn.end.saturating_add(by),
            ..turn
        };
        let written = open.writer.push_turn(turn, &mut self.out);
        self.written(sink, written)
    }

    /// Logs a marker at tick `at` of the session (see
    /// [`record_turn`](Self::record_turn)).
    pub fn record_marker<S: LogSink>(
        &mut self,
        sink: &mut S,
        at: Tick,
        kind: MarkerKind,
    ) -> Stored {
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let at = at.saturating_add(open.writer.tick_of(self.offset_ms));
        let written = open.writer.push_marker(at, kind, &mut self.out);
        self.written(sink, written)
    }

    /// Logs the events the engine dropped (its queue was full): give it the
    /// engine's running count
    /// ([`EngineStats::dropped_events`](crate::engine::EngineStats)) after
    /// each drain, recording or not; what the count grew by since the
    /// previous call goes into the session being recorded as a notice at
    /// `now` (the event clock), or is forgotten between sessions. A count
    /// lower than before is a new engine's.
    pub fn dropped_events<S: LogSink>(
        &mut self,
        sink: &mut S,
        dropped_total: u32,
        now: SessionMs,
    ) -> Stored {
        let grew = if dropped_total < self.dropped_seen {
            dropped_total
        } else {
            dropped_total - self.dropped_seen
        };
        self.dropped_seen = dropped_total;
        let at = self.session_time(now);
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        open.dropped = open.dropped.saturating_add(grew);
        let tick = open.writer.tick_of(at);
        let written = open
            .writer
            .push_dropped_events(open.dropped, tick, &mut self.out);
        self.written(sink, written)
    }

    /// Lets the writer flush turns that waited too long (`now`: the event
    /// clock).
    pub fn poll<S: LogSink>(&mut self, sink: &mut S, now: SessionMs) -> Stored {
        let now = self.session_time(now);
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let written = open.writer.poll(open.writer.tick_of(now), &mut self.out);
        self.written(sink, written)
    }

    /// Ends the session at `at` (the event clock): the log's end, then the
    /// sink's. [`Stored::Failed`] if either failed; the session is closed
    /// all the same.
    pub fn end<S: LogSink>(&mut self, sink: &mut S, at: SessionMs) -> Stored {
        let at = self.session_time(at);
        let Some(open) = self.session.as_ref() else {
            return Stored::Ok;
        };
        let tick = open.writer.tick_of(at);
        self.end_at(sink, tick)
    }

    /// [`end`](Self::end) at tick `at` of the session (see
    /// [`record_turn`](Self::record_turn)).
    pub fn end_at<S: LogSink>(&mut self, sink: &mut S, at: Tick) -> Stored {
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let finished = match open.writer.finish(at, &mut self.out) {
            Ok(n) => self.append(sink, n, true),
            Err(error) => {
                self.refused = Some(error);
                Stored::Failed
            }
        };
        self.close(sink, finished)
    }

    fn record_at<S: LogSink>(&mut self, sink: &mut S, event: &Event) -> Stored {
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let written = open.writer.push(event, &mut self.out);
        self.written(sink, written)
    }

    /// Appends what a writer call wrote, or notes why it refused.
    fn written<S: LogSink>(&mut self, sink: &mut S, written: Result<usize, Error>) -> Stored {
        match written {
            Ok(n) => self.append(sink, n, false),
            Err(error) => {
                self.refused = Some(error);
                Stored::Failed
            }
        }
    }

    /// Appends the first `n` bytes of `out`; a notice if that overwrote
    /// older sessions; the end of the session if the store is full.
    fn append<S: LogSink>(&mut self, sink: &mut S, n: usize, last: bool) -> Stored {
        if n == 0 {
            return Stored::Ok;
        }
        let Some(frame) = self.out.get(..n) else {
            return Stored::Failed;
        };
        match sink.append(frame, last) {
            Ok(None) => Stored::Ok,
            Ok(Some(bytes)) => {
                let now = self.latest();
                self.notice(sink, now, StoreEvent::Overwritten { bytes });
                Stored::Ok
            }
            Err(SinkError::Full) => self.full(sink),
            Err(_) => Stored::Failed,
        }
    }

    /// Writes a store notice, as a last frame: a notice never causes
    /// another.
    fn notice<S: LogSink>(&mut self, sink: &mut S, at: SessionMs, what: StoreEvent) -> Stored {
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let tick = open.writer.tick_of(at);
        match open.writer.push_notice(tick, what, &mut self.out) {
            Ok(n) => match self.out.get(..n).map(|frame| sink.append(frame, true)) {
                Some(Ok(_)) => Stored::Ok,
                _ => Stored::Failed,
            },
            Err(_) => Stored::Failed,
        }
    }

    /// The store is full: a notice, the log's end, the sink's end, in the
    /// room kept for them.
    fn full<S: LogSink>(&mut self, sink: &mut S) -> Stored {
        let now = self.latest();
        self.notice(sink, now, StoreEvent::Full);
        if let Some(open) = self.session.as_mut() {
            if let Ok(n) = open.writer.finish(open.writer.tick_of(now), &mut self.out) {
                if let Some(frame) = self.out.get(..n) {
                    let _ = sink.append(frame, true);
                }
            }
        }
        match self.close(sink, Stored::Full) {
            Stored::Failed => Stored::Failed,
            _ => Stored::Full,
        }
    }

    fn close<S: LogSink>(&mut self, sink: &mut S, stored: Stored) -> Stored {
        self.session = None;
        self.offset_ms = 0;
        match (sink.end(), stored) {
            (Err(_), _) => Stored::Failed,
            (Ok(()), stored) => stored,
        }
    }

    /// The latest session time the writer has seen.
    fn latest(&self) -> SessionMs {
        self.session.as_ref().map_or(0, |open| open.writer.now_ms())
    }
}

/// A sink that hands every frame to a function, as it comes (into a `Vec`,
/// a file, a semihosting write): the host's way of recording. Sessions are
/// numbered on from the first id given; nothing can be resumed.
pub struct FrameSink<F> {
    next_id: u32,
    open: bool,
    write: F,
}

impl<F: FnMut(&[u8])> FrameSink<F> {
    /// Frames to `write`; the first session gets id `first_id`.
    pub const fn new(first_id: u32, write: F) -> Self {
        FrameSink {
            next_id: first_id,
            open: false,
            write,
        }
    }
}

impl<F: FnMut(&[u8])> LogSink for FrameSink<F> {
    type Error = core::convert::Infallible;

    fn begin(&mut self, _: Option<u64>) -> Result<(u32, Option<u32>), SinkError<Self::Error>> {
        if self.open {
            return Err(SinkError::Refused);
        }
        self.open = true;
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        Ok((id, None))
    }

    fn append(&mut self, frame: &[u8], _last: bool) -> Result<Option<u32>, SinkError<Self::Error>> {
        (self.write)(frame);
        Ok(None)
    }

    fn end(&mut self) -> Result<(), SinkError<Self::Error>> {
        self.open = false;
        Ok(())
    }

    fn resume(&mut self, _: u32) -> Result<(), SinkError<Self::Error>> {
        Err(SinkError::Refused)
    }
}

/// `event` with its times `by` ms later.
fn later_by(event: &Event, by: SessionMs) -> Event {
    match *event {
        Event::TurnStarted { seat, at } => Event::TurnStarted {
            seat,
            at: at.saturating_add(by),
        },
        Event::TurnEnded {
            seat,
            start,
            end,
            how,
        } => Event::TurnEnded {
            seat,
            start: start.saturating_add(by),
            end: end.saturating_add(by),
            how,
        },
        Event::Marker { at, kind } => Event::Marker {
            at: at.saturating_add(by),
            kind,
        },
        Event::Condition { seat, at, what } => Event::Condition {
            seat,
            at: at.saturating_add(by),
            what,
        },
    }
}

#[cfg(feature = "store")]
impl<F: embedded_storage::nor_flash::NorFlash, const INDEX: usize> LogSink
    for crate::store::SessionStore<F, INDEX>
{
    type Error = crate::store::StoreError<F::Error>;

    fn begin(
        &mut self,
        started_unix_ms: Option<u64>,
    ) -> Result<(u32, Option<u32>), SinkError<Self::Error>> {
        let (id, appended) = self.begin_session(started_unix_ms).map_err(sink_error)?;
        Ok((id.0, appended.dropped.map(|d| d.bytes)))
    }

    fn append(&mut self, frame: &[u8], last: bool) -> Result<Option<u32>, SinkError<Self::Error>> {
        let appended = if last {
            self.append_final(frame)
        } else {
            crate::store::SessionStore::append(self, frame)
        };
        Ok(appended.map_err(sink_error)?.dropped.map(|d| d.bytes))
    }

    fn end(&mut self) -> Result<(), SinkError<Self::Error>> {
        self.end_session().map_err(sink_error)
    }

    fn resume(&mut self, id: u32) -> Result<(), SinkError<Self::Error>> {
        self.resume_session(crate::store::StoredSessionId(id))
            .map_err(sink_error)
    }
}

#[cfg(feature = "store")]
fn sink_error<E>(error: crate::store::StoreError<E>) -> SinkError<crate::store::StoreError<E>> {
    match error {
        crate::store::StoreError::Full => SinkError::Full,
        crate::store::StoreError::UnknownSession | crate::store::StoreError::SessionOpen => {
            SinkError::Refused
        }
        other => SinkError::Failed(other),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::*;
    use crate::engine::{Engine, SeatWiring};
    use crate::log::{Item, LogReader};
    use crate::params::DetectionParams;
    use crate::records::{Record, Seats, SessionId};
    use crate::seat::{ButtonMode, InputKind};
    use crate::time::Instant;

    /// The `EventsDropped` notices of `log`, as (tick, events).
    fn dropped_notices(log: &[u8]) -> Vec<(Tick, u32)> {
        let mut scratch = std::vec![0u8; log.len()];
        LogReader::new(log, &mut scratch)
            .unwrap()
            .filter_map(|item| match item {
                Item::Record {
                    record: Record::Notice(notice),
                    ..
                } => match notice.what {
                    StoreEvent::EventsDropped { events } => Some((notice.at, events)),
                    _ => None,
                },
                Item::Record { .. } => None,
                Item::Damaged(d) => panic!("damage in a fresh log: {d:?}"),
            })
            .collect()
    }

    /// Toggle presses every 200 ms, `polls` ms of them, never drained: the
    /// engine's event queue overflows.
    fn overflow(engine: &mut Engine<4>, from: u32, polls: u32) {
        for t in from..from + polls {
            engine.poll_buttons(Instant(t), u16::from(t % 200 < 50), false);
        }
    }

    /// Drains `engine` into the recorder as a device's main loop does,
    /// then hands it the engine's dropped count.
    fn drain<S: LogSink>(engine: &mut Engine<4>, recorder: &mut SessionRecorder, sink: &mut S) {
        while let Some(event) = engine.pop_event() {
            assert_eq!(recorder.record(sink, &event), Stored::Ok);
        }
        let dropped = engine.stats().dropped_events;
        let now = engine.session_ms();
        assert_eq!(recorder.dropped_events(sink, dropped, now), Stored::Ok);
    }

    /// Issue 12 item 11: events the engine's bounded queue dropped are
    /// counted in the log, once, in the session they were lost in; drops
    /// between sessions are not charged to the next one.
    #[test]
    fn dropped_events_reach_the_log_as_a_notice() {
        let seats = [SeatWiring::button(ButtonMode::Toggle)];
        let mut engine = Engine::<4>::new(DetectionParams::default(), &seats, Instant(0)).unwrap();
        let kinds = [InputKind::Button];
        let mut header = Header::new(SessionId::default(), 1, Seats::new(&kinds).unwrap());
        let mut log = Vec::new();
        let mut sink = FrameSink::new(1, |frame: &[u8]| log.extend_from_slice(frame));
        let mut recorder = SessionRecorder::new();

        // Lost before any session: forgotten.
        engine.start_session(Instant(0));
        overflow(&mut engine, 0, 40_000);
        let before = engine.stats().dropped_events;
        assert!(before > 0, "{:?}", engine.stats());
        drain(&mut engine, &mut recorder, &mut sink);
        engine.stop_session(Instant(40_000));
        while !engine.flush(Instant(40_000)) {
            drain(&mut engine, &mut recorder, &mut sink);
        }
        drain(&mut engine, &mut recorder, &mut sink);

        // Lost during the session: one notice with the number.
        assert_eq!(recorder.begin(&mut sink, &mut header, None), Stored::Ok);
        engine.start_session(Instant(50_000));
        drain(&mut engine, &mut recorder, &mut sink);
        overflow(&mut engine, 50_000, 40_000);
        drain(&mut engine, &mut recorder, &mut sink);
        engine.tick(Instant(90_000));
        drain(&mut engine, &mut recorder, &mut sink);
        drain(&mut engine, &mut recorder, &mut sink);
        let during = engine.stats().dropped_events - before;
        assert!(during > 0, "{:?}", engine.stats());
        assert_eq!(recorder.end(&mut sink, engine.session_ms()), Stored::Ok);

        let notices = dropped_notices(&log);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(notices[0].1, during);
        // At the drain after the loss, at the session time the engine had
        // settled (the overflow lasted 40 s; 10 ms ticks).
        assert!((3_000..=4_000).contains(&notices[0].0), "{notices:?}");
    }

    /// A new engine (a reconfiguration) counts from zero again: its drops
    /// are its own, not a negative number.
    #[test]
    fn a_new_engines_count_starts_again() {
        let kinds = [InputKind::Button];
        let mut header = Header::new(SessionId::default(), 1, Seats::new(&kinds).unwrap());
        let mut log = Vec::new();
        let mut sink = FrameSink::new(1, |frame: &[u8]| log.extend_from_slice(frame));
        let mut recorder = SessionRecorder::new();
        assert_eq!(recorder.dropped_events(&mut sink, 10, 0), Stored::Ok);
        assert_eq!(recorder.begin(&mut sink, &mut header, None), Stored::Ok);
        assert_eq!(recorder.dropped_events(&mut sink, 10, 100), Stored::Ok);
        assert_eq!(recorder.dropped_events(&mut sink, 3, 200), Stored::Ok);
        assert_eq!(recorder.dropped_events(&mut sink, 5, 300), Stored::Ok);
        assert_eq!(recorder.end(&mut sink, 400), Stored::Ok);
        // Running totals of the session: 3, then 5.
        assert_eq!(dropped_notices(&log), [(20, 3), (30, 2)]);
    }
}
