//! Shared by the `robustness_*` tests: a device's pipeline (engine → the
//! firmware's session recorder → log frames) driven through realistic
//! meetings, and the frames it writes.
#![allow(dead_code)]

use std::ops::Range;

use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::frame::{self, cobs, max_wire_len, Emitter};
use tabletalk_core::log::{Item, LogReader};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::recorder::{FrameSink, SessionRecorder, Stored, DEVICE_OUT};
use tabletalk_core::records::{Header, LoggedTurn, Record, Seats, SessionId, SCHEMA_KEY};
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

/// A device's pipeline: the engine, the session recorder, the log.
pub struct Device<const N: usize = MAX_SEATS> {
    pub engine: Engine<N>,
    pub kinds: Vec<InputKind>,
    pub labels: Vec<String>,
    pub now: Instant,
    recorder: Box<SessionRecorder>,
    /// Tick length of the session being recorded (ms).
    tick_ms: u64,
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
            recorder: Box::new(SessionRecorder::new()),
            tick_ms: 1,
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
        // What the engine dropped, and let the writer flush on age.
        let dropped = self.engine.stats().dropped_events;
        let now = self.engine.session_ms();
        let (noted, polled) = {
            let mut sink = keep(&mut self.writes, self.next_session);
            let recorder = &mut self.recorder;
            let noted = recorder.dropped_events(&mut sink, dropped, now);
            (noted, recorder.poll(&mut sink, now))
        };
        assert_eq!(noted, Stored::Ok);
        assert_eq!(polled, Stored::Ok, "poll");
    }

    fn on_event(&mut self, event: Event) {
        if let Event::Marker {
            kind: MarkerKind::Start,
            ..
        } = event
        {
            self.open_session();
        }
        if self.recorder.recording().is_none() {
            return; // conditions between sessions
        }
        if let Some(events) = self.session_events.last_mut() {
            events.push(event);
        }
        let stored = {
            let mut sink = keep(&mut self.writes, self.next_session);
            self.recorder.record(&mut sink, &event)
        };
        let refused = self.recorder.refused();
        assert_eq!(
            stored,
            Stored::Ok,
            "the writer takes every event: {refused:?}"
        );
        let tick_ms = self.tick_ms;
        let tick_of = |ms: u64| ms / tick_ms;
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
        if let Event::Marker {
            at,
            kind: MarkerKind::Stop,
        } = event
        {
            let ended = {
                let mut sink = keep(&mut self.writes, self.next_session);
                self.recorder.end(&mut sink, at)
            };
            assert_eq!(ended, Stored::Ok, "finish");
            self.sessions.last_mut().expect("open").end = Some(tick_of(at));
        }
    }

    fn open_session(&mut self) {
        assert!(
            self.recorder.recording().is_none(),
            "a session inside a session"
        );
        let id = SessionId {
            number: self.next_session,
            nonce: self.nonce.wrapping_add(self.next_session as u16),
        };
        let labels: Vec<&str> = self.labels.iter().map(String::as_str).collect();
        let mut seats = Seats::new(&self.kinds).unwrap();
        if !labels.is_empty() {
            seats = seats.with_labels(&labels).unwrap();
        }
        let mut header = Header::new(id, self.device_id, seats);
        header.params = *self.engine.params();
        header.started_at_unix_ms = self.wall_clock;
        self.tick_ms = u64::from(header.tick_ms.max(1));
        let started = self.wall_clock;
        let begun = {
            let mut sink = keep(&mut self.writes, self.next_session);
            self.recorder.begin(&mut sink, &mut header, started)
        };
        assert_eq!(begun, Stored::Ok, "header");
        self.next_session += 1;
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

/// A sink that keeps each writer call's output in `writes`; a session it
/// opens gets id `id`.
fn keep(writes: &mut Vec<Vec<u8>>, id: u32) -> FrameSink<impl FnMut(&[u8]) + '_> {
    FrameSink::new(id, move |frame: &[u8]| {
        assert!(frame.len() <= DEVICE_OUT);
        writes.push(frame.to_vec());
    })
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

/// A log frame of format `version` around a hand-made `payload`, with a
/// correct CRC (the core's framing): a frame the writer would not make.
pub fn log_frame(version: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; max_wire_len(1 + payload.len())];
    let mut emitter = Emitter::new(&mut out, &SCHEMA_KEY);
    emitter.push(version).unwrap();
    emitter.extend(payload).unwrap();
    let n = emitter.finish().unwrap();
    out.truncate(n);
    out
}

/// The record payload (after the version byte) of an intact log frame,
/// delimiter included.
pub fn log_payload(frame_bytes: &[u8]) -> Vec<u8> {
    let mut decoded = vec![0u8; frame_bytes.len()];
    let n = cobs::decode(&frame_bytes[..frame_bytes.len() - 1], &mut decoded).unwrap();
    frame::parse(&decoded[..n], &SCHEMA_KEY).unwrap()[1..].to_vec()
}
