//! The device pipeline under test: a scripted meeting through
//! tabletalk-core's [`Engine`] and its session recorder
//! ([`SessionRecorder`], the firmware's, over a [`FrameSink`]) into log
//! bytes.
//!
//! This is the one code path that both the emulated Cortex-M0 image and its
//! host twin run; only the byte sink differs (a semihosting file, a `Vec`).
//! It does what a device's main loop does: samples arrive in DMA-sized
//! blocks, buttons are polled every millisecond, events are drained after
//! every call and written as log frames as they come, with a notice if the
//! engine ever dropped any.

use tabletalk_core::engine::{Engine, EngineError, EngineStats, SeatWiring};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::recorder::{FrameSink, SessionRecorder, Stored};
use tabletalk_core::records::{Error as LogError, Header, Seats, SessionId};
use tabletalk_core::seat::{ButtonMode, InputKind, SeatId};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::Event;

use crate::meeting::{Device, Script, Truth};
use crate::seats::{SEATS, SEAT_COUNT};
use crate::signal::ADC_MAX;

/// The session written (number and nonce).
pub const SESSION: SessionId = SessionId {
    number: 7,
    nonce: 0x5EED,
};

/// The device id written into the header.
pub const DEVICE_ID: u64 = 0x0007_AB1E_7A14_5EA7;

/// Wall-clock time of the meeting's start (2026-03-14 09:30 UTC).
pub const STARTED_AT_UNIX_MS: u64 = 1_773_480_600_000;

/// Seat labels written into the header (one not ASCII, on purpose).
pub const LABELS: [&str; SEAT_COUNT] = ["Ana", "Ben", "Chloé", "Dev"];

/// Samples per microphone block handed to the engine, as a DMA buffer
/// would (10 ms at 8 kHz).
pub const BLOCK: usize = 80;

/// How often the log writer is told the time, so long silences do not keep
/// finished turns unwritten (ms).
const WRITER_POLL_MS: u32 = 1_000;

/// Why the pipeline could not record the meeting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// The engine rejected the seat setup or the parameters.
    Engine(EngineError),
    /// The log writer failed.
    Log(LogError),
}

/// What recording the meeting produced, besides the log bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// What the script made happen.
    pub truth: Truth,
    /// Bytes of log written.
    pub log_bytes: u32,
    /// Events the engine emitted (turn starts included).
    pub events: u32,
    /// Turns the log holds.
    pub turns: u32,
    /// The engine's trouble counters (all zero in a healthy run).
    pub engine: EngineStats,
}

/// The engine's view of the scripted seats.
pub fn seat_configs() -> [SeatWiring; SEAT_COUNT] {
    SEATS.map(|seat| match seat.kind {
        InputKind::Button => SeatWiring::button(ButtonMode::HoldToTalk),
        InputKind::Microphone => SeatWiring::microphone(ADC_MAX),
        InputKind::ButtonAndMicrophone => {
            SeatWiring::button_and_microphone(ButtonMode::HoldToTalk, ADC_MAX)
        }
        InputKind::External => SeatWiring::external(),
    })
}

/// Plays `script` through the engine and the session recorder, handing
/// every piece of log to `sink` as soon as it is complete.
pub fn record_meeting(
    script: &Script,
    sink: &mut impl FnMut(&[u8]),
) -> Result<Summary, RecordError> {
    record_meeting_observed(script, sink, || {})
}

/// [`record_meeting`], calling `ready` once everything is set up and the
/// meeting is about to play (the emulated device measures its stack from
/// there: what the running pipeline needs, apart from setting it up).
pub fn record_meeting_observed(
    script: &Script,
    sink: &mut impl FnMut(&[u8]),
    ready: impl FnOnce(),
) -> Result<Summary, RecordError> {
    let mut log_bytes = 0u32;
    let mut counted = |frame: &[u8]| {
        log_bytes = log_bytes.saturating_add(frame.len() as u32);
        sink(frame);
    };
    let mut recorder = Recorder::new(script, FrameSink::new(SESSION.number, &mut counted))?;
    ready();
    let truth = script.play(&mut recorder);
    let summary = recorder.finish(script.instant(script.duration_ms), truth);
    summary.map(|summary| Summary {
        log_bytes,
        ..summary
    })
}

/// A device main loop on top of the engine, fed by the script.
struct Recorder<F: FnMut(&[u8])> {
    engine: Engine<SEAT_COUNT>,
    sessions: SessionRecorder,
    sink: FrameSink<F>,
    pressed: u16,
    facilitator: bool,
    blocks: [[u16; BLOCK]; SEAT_COUNT],
    filled: [usize; SEAT_COUNT],
    since_poll_ms: u32,
    events: u32,
    turns: u32,
    error: Option<RecordError>,
}

impl<F: FnMut(&[u8])> Recorder<F> {
    fn new(script: &Script, sink: FrameSink<F>) -> Result<Self, RecordError> {
        let params = DetectionParams {
            mic: tabletalk_core::params::MicParams {
                sample_rate_hz: script.sample_rate_hz,
                // The device's detector: the Cortex-M0 image has no
                // spectral detector, and its host twin (built where the
                // feature is on) must write the same bytes.
                spectral_on: false,
                ..DetectionParams::default().mic
            },
            ..DetectionParams::default()
        };
        let configs = seat_configs();
        let engine = Engine::new(params, &configs, script.start).map_err(RecordError::Engine)?;

        let kinds = SEATS.map(|seat| seat.kind);
        let seats = Seats::new(&kinds)
            .and_then(|seats| seats.with_labels(&LABELS))
            .map_err(RecordError::Log)?;
        let mut header = Header::new(SESSION, DEVICE_ID, seats);
        header.params = *engine.params();

        let mut recorder = Recorder {
            engine,
            sessions: SessionRecorder::new(),
            sink,
            pressed: 0,
            facilitator: false,
            blocks: [[0; BLOCK]; SEAT_COUNT],
            filled: [0; SEAT_COUNT],
            since_poll_ms: 0,
            events: 0,
            turns: 0,
            error: None,
        };
        let begun =
            recorder
                .sessions
                .begin(&mut recorder.sink, &mut header, Some(STARTED_AT_UNIX_MS));
        recorder.check(begun);
        if let Some(error) = recorder.error {
            return Err(error);
        }
        recorder.engine.start_session(script.start);
        recorder.drain();
        Ok(recorder)
    }

    /// Notes the first thing the recorder could not store.
    fn check(&mut self, stored: Stored) {
        if stored != Stored::Ok {
            // A frame sink never fails nor fills: the writer refused.
            let error = self.sessions.refused().unwrap_or(LogError::BufferTooSmall);
            self.error.get_or_insert(RecordError::Log(error));
        }
    }

    /// Writes every event the engine has ready, then what it dropped.
    fn drain(&mut self) {
        while let Some(event) = self.engine.pop_event() {
            self.events += 1;
            let stored = self.sessions.record(&mut self.sink, &event);
            if stored == Stored::Ok && matches!(event, Event::TurnEnded { .. }) {
                self.turns += 1;
            }
            self.check(stored);
        }
        let dropped = self.engine.stats().dropped_events;
        let stored =
            self.sessions
                .dropped_events(&mut self.sink, dropped, self.engine.session_ms());
        self.check(stored);
    }

    fn finish(mut self, end: Instant, truth: Truth) -> Result<Summary, RecordError> {
        // Hand over partly filled blocks, as a device does when it stops.
        for seat in 0..SEAT_COUNT {
            self.push_block(seat, end);
        }
        self.engine.stop_session(end);
        // Flush until everything is out, draining in between.
        while !self.engine.flush(end) {
            self.drain();
        }
        self.drain();
        let ended = self.sessions.end(&mut self.sink, self.engine.session_ms());
        self.check(ended);
        if let Some(error) = self.error {
            return Err(error);
        }
        Ok(Summary {
            truth,
            log_bytes: 0,
            events: self.events,
            turns: self.turns,
            engine: self.engine.stats(),
        })
    }
    fn push_block(&mut self, seat: usize, now: Instant) {
        let (Some(id), Some(block), Some(filled)) = (
            u8::try_from(seat).ok().and_then(SeatId::new),
            self.blocks.get(seat),
            self.filled.get_mut(seat),
        ) else {
            return;
        };
        if *filled == 0 {
            return;
        }
        let samples = block.get(..*filled).unwrap_or_default();
        *filled = 0;
        // Only microphone seats get samples: the script guarantees it.
        let _ = self.engine.push_samples(id, samples, now);
        self.drain();
    }
}

impl<F: FnMut(&[u8])> Device for Recorder<F> {
    fn button(&mut self, _now: Instant, seat: SeatId, pressed: bool) {
        let bit = 1u16 << seat.index();
        if pressed {
            self.pressed |= bit;
        } else {
            self.pressed &= !bit;
        }
    }

    fn facilitator(&mut self, _now: Instant, pressed: bool) {
        self.facilitator = pressed;
    }

    fn samples(&mut self, now: Instant, seat: SeatId, samples: &[u16]) {
        // Collect into DMA-sized blocks; a full block goes to the engine,
        // stamped with the time of its last sample.
        let index = seat.index();
        let mut rest = samples;
        while !rest.is_empty() {
            let (Some(block), Some(filled)) = (self.blocks.get_mut(index), self.filled.get(index))
            else {
                return;
            };
            let room = BLOCK - filled;
            let (now_part, later) = rest.split_at(room.min(rest.len()));
            if let Some(slots) = block.get_mut(*filled..filled + now_part.len()) {
                slots.copy_from_slice(now_part);
            }
            let filled = filled + now_part.len();
            if let Some(f) = self.filled.get_mut(index) {
                *f = filled;
            }
            if filled == BLOCK {
                self.push_block(index, now);
            }
            rest = later;
        }
    }

    fn tick(&mut self, now: Instant) {
        self.engine
            .poll_buttons(now, self.pressed, self.facilitator);
        self.engine.tick(now);
        self.drain();
        self.since_poll_ms += 1;
        if self.since_poll_ms >= WRITER_POLL_MS {
            self.since_poll_ms = 0;
            let stored = self.sessions.poll(&mut self.sink, self.engine.session_ms());
            self.check(stored);
        }
    }
}
