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
//! ```
//! use tabletalk_core::log::LogReader;
//! use tabletalk_core::recorder::{LogSink, SessionRecorder, SinkError, Stored};
//! use tabletalk_core::records::{Header, Seats, SessionId};
//! use tabletalk_core::seat::{InputKind, SeatId};
//! use tabletalk_core::turns::{Event, MarkerKind, TurnEnd};
//!
//! /// A sink that keeps one session's frames in memory.
//! #[derive(Default)]
//! struct Memory(Vec<u8>);
//! impl LogSink for Memory {
//!     type Error = ();
//!     fn begin(&mut self, _: Option<u64>) -> Result<(u32, Option<u32>), SinkError<()>> { Ok((1, None)) }
//!     fn append(&mut self, frame: &[u8], _last: bool) -> Result<Option<u32>, SinkError<()>> {
//!         self.0.extend_from_slice(frame);
//!         Ok(None)
//!     }
//!     fn end(&mut self) -> Result<(), SinkError<()>> { Ok(()) }
//!     fn resume(&mut self, _: u32) -> Result<(), SinkError<()>> { Err(SinkError::Refused) }
//! }
//!
//! let kinds = [InputKind::Button; 2];
//! let mut header = Header::new(SessionId { number: 0, nonce: 7 }, 42, Seats::new(&kinds)?);
//! let mut sink = Memory::default();
//! let mut recorder = SessionRecorder::new();
//! assert_eq!(recorder.begin(&mut sink, &mut header, None), Stored::Ok);
//! let seat = SeatId::new(1).unwrap();
//! let turn = Event::TurnEnded { seat, start: 1_000, end: 2_500, how: TurnEnd::Natural };
//! assert_eq!(recorder.record(&mut sink, &turn), Stored::Ok);
//! assert_eq!(recorder.end(&mut sink, 3_000), Stored::Ok);
//! let mut scratch = [0u8; 512];
//! // the header (written twice, see `LogWriter::start`), turns, end
//! assert_eq!(LogReader::new(&sink.0, &mut scratch)?.count(), 4);
//! # Ok::<(), tabletalk_core::records::Error>(())
//! ```

use crate::log::{LogWriter, MAX_WRITE_LEN};
use crate::records::{Header, StoreEvent};
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
}

/// Records one session at a time into a [`LogSink`]; see the
/// [module docs](self).
pub struct SessionRecorder {
    session: Option<Open>,
    /// Added to event times: the session time at which the events' clock
    /// started (nonzero after a resume).
    offset_ms: SessionMs,
    out: [u8; 2 * MAX_WRITE_LEN],
}

impl Default for SessionRecorder {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionRecorder {
    /// Not recording.
    pub const fn new() -> Self {
        SessionRecorder {
            session: None,
            offset_ms: 0,
            out: [0; 2 * MAX_WRITE_LEN],
        }
    }

    /// The sink's id of the session being recorded.
    pub fn recording(&self) -> Option<u32> {
        self.session.as_ref().map(|s| s.id)
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
        let Ok((writer, n)) = LogWriter::start(header, &mut self.out) else {
            let _ = sink.end();
            return Stored::Failed;
        };
        self.offset_ms = 0;
        self.session = Some(Open { writer, id });
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
        let Ok(writer) = LogWriter::resume(header, checkpoint.batches, checkpoint.turns, paused_at)
        else {
            let _ = sink.end();
            return Stored::Failed;
        };
        self.session = Some(Open {
            writer,
            id: checkpoint.session,
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

    /// Lets the writer flush turns that waited too long (`now`: the event
    /// clock).
    pub fn poll<S: LogSink>(&mut self, sink: &mut S, now: SessionMs) -> Stored {
        let now = self.session_time(now);
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        match open.writer.poll(open.writer.tick_of(now), &mut self.out) {
            Ok(n) => self.append(sink, n, false),
            Err(_) => Stored::Failed,
        }
    }

    /// Ends the session at `at` (the event clock): the log's end, then the
    /// sink's. [`Stored::Failed`] if either failed; the session is closed
    /// all the same.
    pub fn end<S: LogSink>(&mut self, sink: &mut S, at: SessionMs) -> Stored {
        let at = self.session_time(at);
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        let finished = match open.writer.finish(open.writer.tick_of(at), &mut self.out) {
            Ok(n) => self.append(sink, n, true),
            Err(_) => Stored::Failed,
        };
        self.close(sink, finished)
    }

    fn record_at<S: LogSink>(&mut self, sink: &mut S, event: &Event) -> Stored {
        let Some(open) = self.session.as_mut() else {
            return Stored::Ok;
        };
        match open.writer.push(event, &mut self.out) {
            Ok(n) => self.append(sink, n, false),
            Err(_) => Stored::Failed,
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
