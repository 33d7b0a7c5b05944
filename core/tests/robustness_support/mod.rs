//! Shared by the `robustness_*` tests: a device's pipeline (engine → log
//! writer) driven through realistic meetings, and the frames it writes.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::ops::Range;

use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::log::{Item, LogReader, LogWriter, MAX_WRITE_LEN};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::records::{Header, LoggedTurn, Record, Seats, SessionId};
use tabletalk_core::seat::{ButtonMode, InputKind, SeatId, MAX_SEATS};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::{Condition, Event, MarkerKind, TurnEnd};

/// A small deterministic PRNG (xorshift64*), so meetings are repeatable.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `range`.
    pub fn range(&mut self, range: Range<u64>) -> u64 {
        range.start + self.next() % (range.end - range.start).max(1)
    }

    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// Who holds their button when: per seat, sorted, disjoint `[start, end)`
/// stretches in meeting ms, from a simple turn-taking model (a main
/// speaker, pauses, overlapping starts, short backchannels).
pub fn speaking_plan(seats: usize, duration_ms: u64, seed: u64) -> Vec<Vec<(u64, u64)>> {
    let mut rng = Rng::new(seed);
    let mut plan = vec![Vec::new(); seats];
    let mut t = rng.range(500..3_000);
    let mut speaker = 0usize;
    while t < duration_ms {
        let len = rng.range(1_500..25_000);
        let end = (t + len).min(duration_ms);
        plan[speaker].push((t, end));
        // Backchannels from others during the turn.
        let mut b = t + rng.range(1_000..6_000);
        while b + 1_200 < end {
            let who = rng.range(0..seats as u64) as usize;
            if who != speaker {
                plan[who].push((b, b + rng.range(250..900)));
            }
            b += rng.range(2_000..9_000);
        }
        let next = (speaker + 1 + rng.range(0..seats as u64 - 1) as usize) % seats;
        // Sometimes the next one starts before this one ends.
        t = if rng.chance(250) {
            end.saturating_sub(rng.range(200..1_500)).max(t + 1)
        } else {
            end + rng.range(150..3_000)
        };
        speaker = if seats > 1 { next } else { 0 };
    }
    for stretches in &mut plan {
        stretches.sort_unstable();
        // Merge what touches or overlaps, keep a 60 ms gap so that a
        // debounced release is seen between two presses.
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for &(a, b) in stretches.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 + 60 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *stretches = merged;
    }
    plan
}

/// What a session's log must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionTruth {
    pub id: SessionId,
    /// Turns as logged (ticks), in the order the engine ended them.
    pub turns: Vec<LoggedTurn>,
    pub markers: Vec<(u64, MarkerKind)>,
    pub conditions: Vec<(u8, u64, Condition)>,
    /// Session end (ticks), if the session was finished.
    pub end: Option<u64>,
}

/// A device's pipeline: the engine, a log writer per session, the log.
pub struct Device<const N: usize = MAX_SEATS> {
    pub engine: Engine<N>,
    pub kinds: Vec<InputKind>,
    pub labels: Vec<String>,
    pub now: Instant,
    writer: Option<LogWriter>,
    buf: Vec<u8>,
    /// Every writer call's output, in order (each a run of whole frames).
    pub writes: Vec<Vec<u8>>,
    pub sessions: Vec<SessionTruth>,
    /// Every event of each session, Start marker to Stop marker, as the
    /// log writer got them (to replay them elsewhere, e.g. into a store).
    pub session_events: Vec<Vec<Event>>,
    next_session: u32,
    pub nonce: u16,
    pub device_id: u64,
    /// The wall clock at each session's start, when known.
    pub wall_clock: Option<u64>,
    /// Largest event backlog seen when draining.
    pub max_backlog: usize,
    pub events: usize,
}

impl<const N: usize> Device<N> {
    pub fn new(seats: &[SeatWiring], params: DetectionParams, start: Instant) -> Self {
        Device {
            engine: Engine::new(params, seats, start).expect("a valid engine"),
            kinds: seats.iter().map(|s| s.input).collect(),
            labels: Vec::new(),
            now: start,
            writer: None,
            buf: vec![0; MAX_WRITE_LEN],
            writes: Vec::new(),
            sessions: Vec::new(),
            session_events: Vec::new(),
            next_session: 1,
            nonce: 0x7A11,
            device_id: 0xD0_0D,
            wall_clock: None,
            max_backlog: 0,
            events: 0,
        }
    }

    /// Buttons-only seats, hold to talk.
    pub fn buttons(seats: usize, start: Instant) -> Self {
        let configs = vec![SeatWiring::button(ButtonMode::HoldToTalk); seats];
        Self::new(&configs, DetectionParams::default(), start)
    }

    /// The log so far.
    pub fn log(&self) -> Vec<u8> {
        self.writes.concat()
    }

    fn emit(&mut self, n: usize) {
        assert!(n <= MAX_WRITE_LEN);
        if n > 0 {
            self.writes.push(self.buf[..n].to_vec());
        }
    }

    /// Moves the counter by `ms` (wrapping, like the device's).
    pub fn advance(&mut self, ms: u32) {
        self.now = Instant(self.now.0.wrapping_add(ms));
    }

    /// Pops every event into the log.
    pub fn drain(&mut self) {
        self.max_backlog = self.max_backlog.max(self.engine.pending_events());
        while let Some(event) = self.engine.pop_event() {
            self.events += 1;
            self.on_event(event);
        }
        // Also let the writer flush on age.
        if let Some(writer) = self.writer.as_mut() {
            let tick = writer.tick_of(self.engine.session_ms());
            let n = writer.poll(tick, &mut self.buf).expect("poll");
            self.emit(n);
        }
    }

    fn on_event(&mut self, event: Event) {
        if let Event::Marker {
            kind: MarkerKind::Start,
            ..
        } = event
        {
            self.open_session();
        }
        let Some(writer) = self.writer.as_mut() else {
            return; // conditions between sessions
        };
        if let Some(events) = self.session_events.last_mut() {
            events.push(event);
        }
        let n = writer
            .push(&event, &mut self.buf)
            .expect("the writer takes every event");
        let tick_of = |ms| writer.tick_of(ms);
        let truth = self.sessions.last_mut().expect("open");
        match event {
            Event::TurnEnded {
                seat,
                start,
                end,
                how,
            } => truth.turns.push(LoggedTurn {
                seat: seat.get(),
                start: tick_of(start),
                end: tick_of(end),
                how,
            }),
            Event::Marker { at, kind } => truth.markers.push((tick_of(at), kind)),
            Event::Condition { seat, at, what } => {
                truth.conditions.push((seat.get(), tick_of(at), what))
            }
            Event::TurnStarted { .. } => {}
        }
        self.emit(n);
        if let Event::Marker {
            at,
            kind: MarkerKind::Stop,
        } = event
        {
            let mut writer = self.writer.take().expect("open");
            let end = writer.tick_of(at);
            let n = writer.finish(end, &mut self.buf).expect("finish");
            self.emit(n);
            self.sessions.last_mut().expect("open").end = Some(end);
        }
    }

    fn open_session(&mut self) {
        assert!(self.writer.is_none(), "a session inside a session");
        let id = SessionId {
            number: self.next_session,
            nonce: self.nonce.wrapping_add(self.next_session as u16),
        };
        self.next_session += 1;
        let labels: Vec<&str> = self.labels.iter().map(String::as_str).collect();
        let mut seats = Seats::new(&self.kinds).unwrap();
        if !labels.is_empty() {
            seats = seats.with_labels(&labels).unwrap();
        }
        let mut header = Header::new(id, self.device_id, seats);
        header.params = *self.engine.params();
        header.started_at_unix_ms = self.wall_clock;
        let (writer, n) = LogWriter::start(&header, &mut self.buf).expect("header");
        self.writer = Some(writer);
        self.emit(n);
        self.sessions.push(SessionTruth {
            id,
            ..SessionTruth::default()
        });
        self.session_events.push(Vec::new());
    }

    pub fn start(&mut self) {
        self.engine.start_session(self.now);
        self.drain();
    }

    pub fn stop(&mut self) {
        self.engine.stop_session(self.now);
        self.drain();
        loop {
            let done = self.engine.flush(self.now);
            self.drain();
            if done {
                break;
            }
        }
    }

    /// Plays a button plan: a poll every `poll_ms` for `duration_ms`.
    pub fn play_buttons(&mut self, plan: &[Vec<(u64, u64)>], duration_ms: u64, poll_ms: u32) {
        let mut cursor = vec![0usize; plan.len()];
        let mut t = 0u64;
        while t <= duration_ms {
            let mut mask = 0u16;
            for (seat, stretches) in plan.iter().enumerate() {
                let c = &mut cursor[seat];
                while *c < stretches.len() && stretches[*c].1 <= t {
                    *c += 1;
                }
                if stretches.get(*c).is_some_and(|&(a, b)| a <= t && t < b) {
                    mask |= 1 << seat;
                }
            }
            self.engine.poll_buttons(self.now, mask, false);
            self.drain();
            self.advance(poll_ms);
            t += u64::from(poll_ms);
        }
    }

    /// Records one whole meeting of `duration_ms` from a seeded plan.
    pub fn meeting(&mut self, duration_ms: u64, seed: u64) {
        let plan = speaking_plan(self.kinds.len(), duration_ms, seed);
        self.start();
        self.play_buttons(&plan, duration_ms, 10);
        self.stop();
    }
}

/// The frames of a log, as `(range, record)`; panics on any damage.
pub fn clean_frames(log: &[u8]) -> Vec<(Range<usize>, Vec<u8>)> {
    let mut scratch = vec![0u8; log.len()];
    LogReader::new(log, &mut scratch)
        .unwrap()
        .map(|item| match item {
            Item::Record { range, .. } => {
                let bytes = log[range.clone()].to_vec();
                (range, bytes)
            }
            Item::Damaged(d) => panic!("a clean log has damage: {d:?}"),
        })
        .collect()
}

/// A record's session.
pub fn session_of(record: &Record<'_>) -> SessionId {
    record.session()
}

/// Turns sorted the way a batch orders them, for comparisons.
pub fn sorted(mut turns: Vec<LoggedTurn>) -> Vec<LoggedTurn> {
    turns.sort_by_key(|t| (t.end, t.seat, t.start, t.how as u8));
    turns
}

/// The seat index as a [`SeatId`].
pub fn seat(i: u8) -> SeatId {
    SeatId::new(i).unwrap()
}

/// Count of turns that ended by a cut.
pub fn cuts(turns: &[LoggedTurn]) -> usize {
    turns.iter().filter(|t| t.how == TurnEnd::Cut).count()
}
