//! The device's core on a laptop: ADC samples in, the engine's events out,
//! and those events written as a log exactly as the device's writer does.
//! `replay`, `simulate` and `evaluate` all go through here, so what they
//! measure is the code and the parameters the device runs.

use anyhow::anyhow;
use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::log::{LogWriter, MAX_WRITE_LEN};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::records::{fit_label, Header, Seats, SessionId};
use tabletalk_core::seat::{InputKind, SeatId, MAX_SEATS};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::Event;

use crate::error::BadInput;
use crate::evaluation::SeatDetector;
use crate::sources::SampleSource;
use crate::spans::Span;

/// Samples are handed to the engine in blocks of this many milliseconds per
/// seat (80 samples at 8 kHz), as a device's DMA would.
pub const BLOCK_MS: u64 = 10;

/// The engine fed with interleaved per-millisecond samples.
pub struct CorePipeline {
    engine: Box<Engine<MAX_SEATS>>,
    seats: usize,
    t_ms: u64,
    blocks: Vec<Vec<u16>>,
    events: Vec<Event>,
    finished: bool,
}

impl CorePipeline {
    /// An engine for `seats` microphones with ADC `full_scale`, its session
    /// started at time 0.
    pub fn new(params: &DetectionParams, seats: usize, full_scale: u16) -> anyhow::Result<Self> {
        if seats == 0 || seats > MAX_SEATS {
            return Err(BadInput::new(format!(
                "{seats} seats: the device handles 1 to {MAX_SEATS}"
            ))
            .into());
        }
        let configs = vec![SeatWiring::microphone(full_scale); seats];
        let mut engine = Box::new(
            Engine::<MAX_SEATS>::new(*params, &configs, Instant(0)).map_err(|e| {
                anyhow!(BadInput::new(format!(
                    "the core refuses these parameters: {e}"
                )))
            })?,
        );
        engine.start_session(Instant(0));
        Ok(CorePipeline {
            engine,
            seats,
            t_ms: 0,
            blocks: vec![Vec::with_capacity(128); seats],
            events: Vec::new(),
            finished: false,
        })
    }

    /// Session time reached (ms).
    pub fn now_ms(&self) -> u64 {
        self.t_ms
    }

    fn drain(&mut self) {
        while let Some(e) = self.engine.pop_event() {
            self.events.push(e);
        }
    }

    fn deliver(&mut self) {
        let now = Instant(self.t_ms as u32);
        for (i, block) in self.blocks.iter_mut().enumerate() {
            if block.is_empty() {
                continue;
            }
            if let Some(seat) = SeatId::new(i as u8) {
                // Cannot fail: every seat is a microphone seat.
                let _ = self.engine.push_samples(seat, block, now);
            }
            block.clear();
            // The event queue is bounded: drain after every call.
            while let Some(e) = self.engine.pop_event() {
                self.events.push(e);
            }
        }
        self.engine.tick(now);
        self.drain();
    }

    /// Feeds one millisecond of interleaved samples (`k * seats + seat`).
    pub fn push_ms(&mut self, samples: &[u16]) {
        for frame in samples.chunks_exact(self.seats) {
            for (block, &x) in self.blocks.iter_mut().zip(frame) {
                block.push(x);
            }
        }
        self.t_ms += 1;
        if self.t_ms % BLOCK_MS == 0 {
            self.deliver();
        }
    }

    /// Ends the session now and decides everything pending. Idempotent.
    pub fn finish(&mut self) -> &[Event] {
        if !self.finished {
            self.finished = true;
            self.deliver();
            let now = Instant(self.t_ms as u32);
            self.engine.stop_session(now);
            // Flush until everything is out, draining in between.
            while !self.engine.flush(now) {
                self.drain();
            }
            self.drain();
        }
        &self.events
    }

    /// Events so far, in session time order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Each seat's turns so far, as spans.
    pub fn spans(&self) -> Vec<Vec<Span>> {
        turns_by_seat(&self.events, self.seats)
    }

    /// Runs `source` to its end through a new pipeline.
    pub fn run(
        params: &DetectionParams,
        source: &mut dyn SampleSource,
        full_scale: u16,
    ) -> anyhow::Result<CorePipeline> {
        let mut pipeline = CorePipeline::new(params, source.seats(), full_scale)?;
        let mut buf = Vec::new();
        while source.next_ms(&mut buf)? > 0 {
            pipeline.push_ms(&buf);
        }
        pipeline.finish();
        Ok(pipeline)
    }
}

/// Each seat's completed turns as spans (ms).
pub fn turns_by_seat(events: &[Event], seats: usize) -> Vec<Vec<Span>> {
    let mut out = vec![Vec::new(); seats];
    for e in events {
        if let Event::TurnEnded {
            seat, start, end, ..
        } = *e
        {
            if let Some(list) = out.get_mut(seat.index()) {
                list.push((start, end));
            }
        }
    }
    out
}

impl SeatDetector for CorePipeline {
    fn push_ms(&mut self, samples: &[u16]) -> anyhow::Result<()> {
        CorePipeline::push_ms(self, samples);
        Ok(())
    }

    fn finish(&mut self, _end_ms: u64) -> anyhow::Result<Vec<Vec<Span>>> {
        CorePipeline::finish(self);
        Ok(self.spans())
    }
}

/// Writes `events` (one session, session ms) as a log with the device's
/// writer: a header carrying `params` and the seat labels, the events, and
/// the session end at `end_ms`.
pub fn write_log(
    events: &[Event],
    labels: &[String],
    params: &DetectionParams,
    end_ms: u64,
    session: SessionId,
) -> anyhow::Result<Vec<u8>> {
    let inputs = vec![InputKind::Microphone; labels.len()];
    let cut: Vec<&str> = labels.iter().map(|l| fit_label(l)).collect();
    let mut seats = Seats::new(&inputs).map_err(|e| anyhow!("log header: {e}"))?;
    if labels.iter().any(|l| !l.is_empty()) {
        seats = seats
            .with_labels(&cut)
            .map_err(|e| anyhow!("log header: {e}"))?;
    }
    let mut header = Header::new(session, 0, seats);
    header.params = *params;
    let mut out = Vec::new();
    let mut buf = vec![0u8; MAX_WRITE_LEN.max(4096)];
    let (mut writer, n) =
        LogWriter::start(&header, &mut buf).map_err(|e| anyhow!("log header: {e}"))?;
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
    for e in events {
        let n = writer
            .push(e, &mut buf)
            .map_err(|err| anyhow!("writing the log: {err}"))?;
        out.extend_from_slice(buf.get(..n).unwrap_or_default());
    }
    let n = writer
        .finish(writer.tick_of(end_ms), &mut buf)
        .map_err(|e| anyhow!("ending the log: {e}"))?;
    out.extend_from_slice(buf.get(..n).unwrap_or_default());
    Ok(out)
}
