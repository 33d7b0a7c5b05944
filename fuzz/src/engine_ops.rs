//! The engine fed an arbitrary sequence of calls, its events written
//! through the device's session recorder (the firmware's
//! `SessionRecorder`) and read back.
//!
//! The input is a program: a configuration (seat count and kinds, the
//! starting counter value, which may sit just before the `u32` wrap), then
//! operations — button polls, sample blocks (flat, square, noisy, at any
//! level including 0 and full scale), ticks, external activity, session
//! controls, flushes — with the counter advanced by small, large or huge
//! steps (a step of 2^31 ms or more reads as going backwards).
//!
//! Checked: every call returns; events of a session come in non-decreasing
//! time order; a turn never ends before it starts, and a seat's turns never
//! overlap; turns exist only inside a session; no event is dropped when the
//! queue is drained after every call; the writer accepts every event; and
//! the log decodes to exactly the turns, markers and conditions emitted.

use tabletalk_core::engine::{Engine, SeatWiring, EVENT_QUEUE};
use tabletalk_core::log::{SessionItem, SessionReader};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::recorder::{FrameSink, SessionRecorder, Stored, DEVICE_OUT};
use tabletalk_core::records::{Header, LoggedTurn, Seats, SessionId};
use tabletalk_core::seat::{ButtonMode, InputKind, SeatId, MAX_SEATS};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::{Event, MarkerKind};

use crate::bytes::Bytes;

/// The engine capacity used (the device's maximum).
type Eng = Engine<MAX_SEATS>;

/// At most this many operations run, and at most this many samples are
/// pushed, so that each input stays fast (hundreds of runs per second).
const MAX_OPS: usize = 4096;
const MAX_SAMPLES: usize = 200_000;

/// What a session's events must decode back to.
#[derive(Default)]
struct Expected {
    turns: Vec<LoggedTurn>,
    markers: Vec<(u64, MarkerKind)>,
    conditions: usize,
}

/// A session being written.
struct Open {
    last_at: u64,
    seat_ends: [u64; MAX_SEATS],
    expected: Expected,
}

struct Run {
    engine: Eng,
    seat_count: u8,
    header_kinds: Vec<InputKind>,
    now: u32,
    log: Vec<u8>,
    recorder: Box<SessionRecorder>,
    open: Option<Open>,
    sessions: u32,
    expected: Vec<Expected>,
    /// Fail on any dropped event (see [`run_strict`]).
    strict: bool,
    /// Events were dropped (a known limit): the run stops, unchecked.
    lossy: bool,
    dropped_seen: u32,
}

fn seat_config(code: u8) -> SeatWiring {
    let mode = if code & 4 == 0 {
        ButtonMode::HoldToTalk
    } else {
        ButtonMode::Toggle
    };
    let full_scale = [4095, 1023, 255, 65535][usize::from(code >> 3) & 3];
    match code & 3 {
        0 => SeatWiring::button(mode),
        1 => SeatWiring::microphone(full_scale),
        2 => SeatWiring::button_and_microphone(mode, full_scale),
        _ => SeatWiring::external(),
    }
}

/// Samples of one block, from a short description.
fn samples(input: &mut Bytes<'_>, full_scale: u16) -> Vec<u16> {
    let len = usize::from(input.u8()) * 4;
    let shape = input.u8();
    let level = input.u16() % full_scale.saturating_add(1).max(1);
    let amplitude = input.u16() % full_scale.saturating_add(1).max(1);
    let period = usize::from(input.u8() % 64) + 2;
    let mut x = u32::from(input.u16()) | 1;
    (0..len)
        .map(|i| {
            let v = match shape % 4 {
                0 => u32::from(level),
                1 if i % period < period / 2 => {
                    u32::from(level).saturating_add(u32::from(amplitude))
                }
                1 => u32::from(level).saturating_sub(u32::from(amplitude)),
                2 => {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    let noise = x % (u32::from(amplitude) * 2 + 1);
                    (u32::from(level) + noise).saturating_sub(u32::from(amplitude))
                }
                _ => {
                    if shape & 0x80 == 0 {
                        0
                    } else {
                        u32::from(full_scale)
                    }
                }
            };
            v.min(u32::from(full_scale)) as u16
        })
        .collect()
}

impl Run {
    fn at(&self) -> Instant {
        Instant(self.now)
    }

    fn seat(&self, byte: u8) -> SeatId {
        SeatId::new(byte % self.seat_count).unwrap_or(SeatId::new(0).expect("seat 0"))
    }

    fn drain(&mut self) {
        let backlog = self.engine.pending_events();
        assert!(backlog <= EVENT_QUEUE);
        while let Some(event) = self.engine.pop_event() {
            self.event(event);
        }
        let dropped = self.engine.stats().dropped_events;
        // As the firmware does: what was dropped goes into the log.
        let now = self.engine.session_ms();
        let stored = {
            let mut sink = Self::sink(&mut self.log, self.sessions);
            self.recorder.dropped_events(&mut sink, dropped, now)
        };
        assert_eq!(stored, Stored::Ok, "{:?}", self.recorder.refused());
        if dropped > self.dropped_seen {
            self.dropped_seen = dropped;
            assert!(
                !self.strict,
                "{dropped} events were dropped although the queue was drained after every call"
            );
            // A known limit (docs/reliability.md, "Limits"): settling
            // never drops, but edges forced through by a full edge queue
            // can, in one call, emit more than the event queue holds.
            // Events are only ever lost that way: with the queue full.
            assert_eq!(
                backlog, EVENT_QUEUE,
                "events were dropped while the queue had room"
            );
            self.lossy = true;
        }
    }

    /// The recorder's sink: the log, one writer call at a time; a session
    /// it opens is number `sessions`.
    fn sink(log: &mut Vec<u8>, sessions: u32) -> FrameSink<impl FnMut(&[u8]) + '_> {
        FrameSink::new(sessions, move |frame: &[u8]| {
            assert!(
                frame.len() <= DEVICE_OUT,
                "one writer call wrote {} bytes",
                frame.len()
            );
            log.extend_from_slice(frame);
        })
    }

    fn event(&mut self, event: Event) {
        let at = match event {
            Event::TurnStarted { at, .. }
            | Event::Marker { at, .. }
            | Event::Condition { at, .. } => at,
            Event::TurnEnded { end, .. } => end,
        };
        if let Event::Marker {
            kind: MarkerKind::Start,
            ..
        } = event
        {
            assert!(self.open.is_none(), "a session started inside another");
            assert_eq!(at, 0, "a session starts at its time 0");
            self.start_writer();
        }
        let Some(open) = self.open.as_mut() else {
            assert!(
                matches!(event, Event::Condition { .. }),
                "{event:?} outside a session"
            );
            return;
        };
        assert!(at >= open.last_at, "{event:?} after time {}", open.last_at);
        open.last_at = at;
        match event {
            Event::TurnEnded {
                seat,
                start,
                end,
                how,
            } => {
                assert!(start <= end, "{event:?}");
                let prev = &mut open.seat_ends[seat.index()];
                assert!(
                    start >= *prev,
                    "{event:?} overlaps the seat's previous turn (ended {prev})"
                );
                *prev = end;
                let tick = |ms: u64| ms / 10;
                open.expected.turns.push(LoggedTurn {
                    seat: seat.get(),
                    start: tick(start),
                    end: tick(end),
                    how,
                });
            }
            Event::Marker { at, kind } => open.expected.markers.push((at / 10, kind)),
            Event::Condition { .. } => open.expected.conditions += 1,
            Event::TurnStarted { .. } => {}
        }
        let stored = {
            let mut sink = Self::sink(&mut self.log, self.sessions);
            self.recorder.record(&mut sink, &event)
        };
        let refused = self.recorder.refused();
        assert_eq!(
            stored,
            Stored::Ok,
            "the writer refused {event:?}: {refused:?}"
        );
        if let Event::Marker {
            at,
            kind: MarkerKind::Stop,
        } = event
        {
            self.finish_writer(at);
        }
    }

    fn start_writer(&mut self) {
        self.sessions += 1;
        let seats = Seats::new(&self.header_kinds).expect("1..=16 seats");
        let mut header = Header::new(
            SessionId {
                number: self.sessions,
                nonce: 0x5eed,
            },
            1,
            seats,
        );
        header.params = *self.engine.params();
        let begun = {
            let mut sink = Self::sink(&mut self.log, self.sessions);
            self.recorder.begin(&mut sink, &mut header, None)
        };
        assert_eq!(begun, Stored::Ok, "header: {:?}", self.recorder.refused());
        self.open = Some(Open {
            last_at: 0,
            seat_ends: [0; MAX_SEATS],
            expected: Expected::default(),
        });
    }

    fn finish_writer(&mut self, at_ms: u64) {
        if let Some(open) = self.open.take() {
            let ended = {
                let mut sink = Self::sink(&mut self.log, self.sessions);
                self.recorder.end(&mut sink, at_ms)
            };
            assert_eq!(ended, Stored::Ok, "finish: {:?}", self.recorder.refused());
            self.expected.push(open.expected);
        }
    }
}

/// What one program produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Sessions recorded.
    pub sessions: usize,
    /// Turns logged, over all sessions.
    pub turns: usize,
    /// Turns that were cut (maximum turn, stuck input).
    pub cut_turns: usize,
    /// Condition records.
    pub conditions: usize,
    /// Log bytes.
    pub log_bytes: usize,
    /// Events were dropped (the known limit of edges forced through by a
    /// full edge queue emitting more than the event queue holds); the run
    /// stopped there, unchecked.
    pub lossy: bool,
}

/// Runs one program.
pub fn run(data: &[u8]) {
    execute(data);
}

/// Runs one program, failing on any dropped event, known limit or not:
/// the test that no kept finding drops events any more
/// (`tests/robustness_fuzz_replay.rs`).
pub fn run_strict(data: &[u8]) {
    execute_with(data, true);
}

/// Runs one program and says what it produced.
pub fn execute(data: &[u8]) -> Summary {
    execute_with(data, false)
}

fn execute_with(data: &[u8], strict: bool) -> Summary {
    let mut input = Bytes::new(data);
    let seat_count = input.u8() % MAX_SEATS as u8 + 1;
    let configs: Vec<SeatWiring> = (0..seat_count).map(|_| seat_config(input.u8())).collect();
    let start = input.u32();
    let mut params = DetectionParams::default();
    let flags = input.u8();
    // Sometimes a short maximum turn, so cuts happen within a short run.
    if flags & 1 == 1 {
        params.turns.max_turn_ms = 2_000;
    }
    // Bit 1: the spectral detector decides the microphones (the default
    // where the core has it). Otherwise the level path, with which every
    // kept seed and finding was made, so they mean the same in every build.
    params.mic.spectral_on &= flags & 2 == 2;
    let Ok(engine) = Eng::new(params, &configs, Instant(start)) else {
        return Summary::default();
    };
    let mut run = Run {
        engine,
        seat_count,
        header_kinds: configs.iter().map(|c| c.input).collect(),
        now: start,
        log: Vec::new(),
        recorder: Box::new(SessionRecorder::new()),
        open: None,
        sessions: 0,
        expected: Vec::new(),
        strict,
        lossy: false,
        dropped_seen: 0,
    };
    let mut samples_left = MAX_SAMPLES;
    for _ in 0..MAX_OPS {
        if input.is_empty() || samples_left == 0 || run.lossy {
            break;
        }
        let op = input.u8();
        match (op & 0x7F) % 12 {
            0 => run.now = run.now.wrapping_add(u32::from(input.u8())),
            1 => run.now = run.now.wrapping_add(u32::from(input.u16())),
            2 => run.now = run.now.wrapping_add(input.u32()),
            3 | 4 => {
                let mask = input.u16();
                let facilitator = op & 0x80 != 0;
                run.engine.poll_buttons(run.at(), mask, facilitator);
            }
            5 => {
                let seat = run.seat(input.u8());
                let full_scale = configs[seat.index()].mic_full_scale;
                let block = samples(&mut input, full_scale.max(16));
                samples_left = samples_left.saturating_sub(block.len());
                let result = run.engine.push_samples(seat, &block, run.at());
                let has_mic = matches!(
                    configs[seat.index()].input,
                    InputKind::Microphone | InputKind::ButtonAndMicrophone
                );
                assert_eq!(result.is_ok(), has_mic, "push_samples on {seat:?}");
            }
            6 => run.engine.tick(run.at()),
            7 => {
                let seat = run.seat(input.u8());
                let result = run.engine.set_activity(seat, op & 0x80 != 0, run.at());
                let external = configs[seat.index()].input == InputKind::External;
                assert_eq!(result.is_ok(), external, "set_activity on {seat:?}");
            }
            8 => match input.u8() % 5 {
                0 => run.engine.start_session(run.at()),
                1 => run.engine.stop_session(run.at()),
                2 => run.engine.pause_session(run.at()),
                3 => run.engine.resume_session(run.at()),
                _ => run.engine.mark_agenda(run.at()),
            },
            // Whatever does not fit goes on at the next call.
            9 => {
                let _ = run.engine.flush(run.at());
            }
            _ => {
                // A stretch of ordinary running: a poll, a block for every
                // microphone and a tick, every `step` ms.
                let steps = input.u8() % 64;
                let step = u32::from(input.u8() % 50) + 1;
                let mask = input.u16();
                let level = input.u16();
                for i in 0..steps {
                    if run.lossy {
                        break;
                    }
                    run.now = run.now.wrapping_add(step);
                    let now = run.at();
                    run.engine
                        .poll_buttons(now, mask.rotate_left(u32::from(i) / 8), false);
                    run.drain();
                    for (index, config) in configs.iter().enumerate() {
                        if matches!(
                            config.input,
                            InputKind::Microphone | InputKind::ButtonAndMicrophone
                        ) {
                            let fs = config.mic_full_scale;
                            let amp = if (i / 16 + index as u8).is_multiple_of(3) {
                                level % fs.max(1)
                            } else {
                                3
                            };
                            samples_left = samples_left.saturating_sub(step as usize * 8);
                            let block: Vec<u16> = (0..step * 8)
                                .map(|k| {
                                    let mid = fs / 2;
                                    if k % 2 == 0 {
                                        mid.saturating_add(amp / 2)
                                    } else {
                                        mid.saturating_sub(amp / 2)
                                    }
                                })
                                .collect();
                            let seat = SeatId::new(index as u8).expect("seat");
                            let _ = run.engine.push_samples(seat, &block, now);
                            run.drain();
                        }
                    }
                    run.engine.tick(now);
                    run.drain();
                }
            }
        }
        run.drain();
    }
    if run.lossy {
        return Summary {
            lossy: true,
            ..Summary::default()
        };
    }
    run.engine.stop_session(run.at());
    run.drain();
    while !run.engine.flush(run.at()) {
        run.drain();
    }
    run.drain();
    if let Some(open) = run.open.as_ref() {
        let at = open.last_at;
        run.finish_writer(at);
    }
    check_log(&run.log, &run.expected);
    let turns = run.expected.iter().flat_map(|e| &e.turns);
    Summary {
        sessions: run.expected.len(),
        turns: turns.clone().count(),
        cut_turns: turns
            .filter(|t| t.how == tabletalk_core::turns::TurnEnd::Cut)
            .count(),
        conditions: run.expected.iter().map(|e| e.conditions).sum(),
        log_bytes: run.log.len(),
        lossy: run.lossy,
    }
}

/// The log holds exactly what was emitted, session by session.
fn check_log(log: &[u8], expected: &[Expected]) {
    let mut scratch = vec![0u8; log.len()];
    let reader = SessionReader::new(log, &mut scratch).expect("scratch");
    let mut got: Vec<Expected> = Vec::new();
    for item in reader {
        match item {
            SessionItem::Header(_) => got.push(Expected::default()),
            SessionItem::Turn { turn, .. } => {
                got.last_mut().expect("a header first").turns.push(turn)
            }
            SessionItem::Marker(m) => got
                .last_mut()
                .expect("a header first")
                .markers
                .push((m.at, m.kind)),
            SessionItem::Condition(_) => got.last_mut().expect("a header first").conditions += 1,
            SessionItem::End(_) | SessionItem::Notice(_) => {}
            other => panic!("a clean log read back with {other:?}"),
        }
    }
    assert_eq!(got.len(), expected.len(), "sessions");
    for (i, (got, want)) in got.iter_mut().zip(expected).enumerate() {
        let mut want_turns = want.turns.clone();
        let order = |t: &LoggedTurn| (t.end, t.seat, t.start, t.how as u8);
        want_turns.sort_by_key(order);
        got.turns.sort_by_key(order);
        assert_eq!(got.turns, want_turns, "session {i}: turns");
        assert_eq!(got.markers, want.markers, "session {i}: markers");
        assert_eq!(got.conditions, want.conditions, "session {i}: conditions");
    }
}
