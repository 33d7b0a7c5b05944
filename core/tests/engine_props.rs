//! Property tests of the engine and the turn tracker: no panics on any
//! input sequence (time wrapping, standing still, jumping, going back),
//! turns of one seat never overlap, events come in time order, and the live
//! totals equal the sum of the reported turns.

use std::collections::HashMap;

use proptest::prelude::*;
use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::params::{DetectionParams, TurnParams};
use tabletalk_core::seat::{ButtonMode, SeatId};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::edge::{Control, Edge, EdgeKind, SourceKind};
use tabletalk_core::turns::event::{Condition, Event, MarkerKind, TurnEnd};
use tabletalk_core::turns::tracker::TurnTracker;

#[derive(Clone, Debug)]
enum Op {
    /// Let time pass (possibly 0 ms, possibly a huge jump, possibly back),
    /// then read the buttons.
    Time(i64),
    /// Change which buttons are held (read at the next `Time`).
    Buttons(u16, bool),
    Samples {
        seat: u8,
        len: u16,
        kind: u8,
        amp: u16,
    },
    Tick,
    Control(u8),
    Activity(bool),
    Flush,
}

fn time_step() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => Just(0i64),
        20 => 1i64..30,
        8 => 30i64..3000,
        2 => 3000i64..2_000_000,
        1 => Just(i64::from(i32::MAX)),
        1 => -5000i64..0,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        20 => time_step().prop_map(Op::Time),
        5 => (any::<u16>(), proptest::bool::weighted(0.1)).prop_map(|(m, f)| Op::Buttons(m, f)),
        10 => (0u8..6, 0u16..400, 0u8..5, any::<u16>())
            .prop_map(|(seat, len, kind, amp)| Op::Samples { seat, len, kind, amp }),
        3 => Just(Op::Tick),
        3 => (0u8..6).prop_map(Op::Control),
        2 => any::<bool>().prop_map(Op::Activity),
        1 => Just(Op::Flush),
    ]
}

fn samples(len: u16, kind: u8, amp: u16, full_scale: u16, phase: &mut u32) -> Vec<u16> {
    (0..len)
        .map(|_| {
            *phase = phase.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let mid = u32::from(full_scale) / 2;
            let a = u32::from(amp) % (mid + 1);
            let v = match kind {
                0 => mid + (*phase >> 16) % (a + 1),
                1 => {
                    if (*phase >> 20) & 1 == 0 {
                        mid + a
                    } else {
                        mid.saturating_sub(a)
                    }
                }
                2 => u32::from(full_scale),
                3 => 0,
                _ => u32::from(amp),
            };
            v.min(u32::from(full_scale)) as u16
        })
        .collect()
}

/// Checks the event stream of one engine as it comes.
#[derive(Default)]
struct Checker {
    running: bool,
    last_time: u64,
    open: HashMap<u8, u64>,
    last_end: HashMap<u8, u64>,
    totals: HashMap<u8, u64>,
}

impl Checker {
    fn time_of(event: &Event) -> u64 {
        match *event {
            Event::TurnStarted { at, .. }
            | Event::Marker { at, .. }
            | Event::Condition { at, .. } => at,
            Event::TurnEnded { end, .. } => end,
        }
    }

    fn take(&mut self, event: Event) {
        if let Event::Marker {
            kind: MarkerKind::Start,
            at,
        } = event
        {
            assert!(!self.running, "start while running");
            assert_eq!(at, 0);
            *self = Checker {
                running: true,
                ..Checker::default()
            };
            return;
        }
        assert!(self.running, "{event:?} outside a session");
        let t = Self::time_of(&event);
        assert!(t >= self.last_time, "{event:?} before {}", self.last_time);
        self.last_time = t;
        match event {
            Event::TurnStarted { seat, at } => {
                let s = seat.get();
                assert!(!self.open.contains_key(&s), "seat {s} started twice");
                assert!(
                    at >= self.last_end.get(&s).copied().unwrap_or(0),
                    "overlapping turns of seat {s}"
                );
                self.open.insert(s, at);
            }
            Event::TurnEnded {
                seat, start, end, ..
            } => {
                let s = seat.get();
                assert_eq!(
                    self.open.remove(&s),
                    Some(start),
                    "end without matching start"
                );
                assert!(end >= start);
                self.last_end.insert(s, end);
                *self.totals.entry(s).or_default() += end - start;
            }
            Event::Marker {
                kind: MarkerKind::Stop,
                ..
            } => {
                assert!(self.open.is_empty(), "stop with open turns {:?}", self.open);
                self.running = false;
            }
            Event::Marker {
                kind: MarkerKind::Pause,
                ..
            } => {
                assert!(self.open.is_empty(), "pause with open turns");
            }
            _ => {}
        }
    }
}

const SEATS: [SeatWiring; 5] = [
    SeatWiring::button(ButtonMode::HoldToTalk),
    SeatWiring::button(ButtonMode::Toggle),
    SeatWiring::microphone(4095),
    SeatWiring::button_and_microphone(ButtonMode::Toggle, 1023),
    SeatWiring::external(),
];

fn run(start: u32, ops: &[Op], params: DetectionParams) -> HashMap<u8, u64> {
    let mut t = start;
    let mut engine = Engine::<5>::new(params, &SEATS, Instant(t)).unwrap();
    let mut checker = Checker::default();
    let mut phase = 7u32;
    let (mut mask, mut facilitator) = (0u16, false);
    // Most runs start with a session, so that turns happen.
    if start % 4 != 0 {
        engine.start_session(Instant(t));
    }
    let drain = |engine: &mut Engine<5>, checker: &mut Checker| {
        while let Some(event) = engine.pop_event() {
            checker.take(event);
        }
        assert_eq!(engine.stats().dropped_events, 0);
        if checker.running {
            // Completed speaking time equals the sum of reported turns.
            for s in 0..5u8 {
                let seat = SeatId::new(s).unwrap();
                let figures = engine.live().seat(seat).unwrap();
                assert_eq!(
                    figures.completed_ms,
                    checker.totals.get(&s).copied().unwrap_or(0),
                    "seat {s}"
                );
                // Overlap is part of speaking time, and never more than the
                // time with two or more speakers.
                let overlap = engine.live().seat_overlap_ms(seat);
                assert!(overlap <= engine.live().speaking_ms(seat), "seat {s}");
                assert!(overlap <= engine.live().overlap_ms(), "seat {s}");
            }
        }
    };
    for op in ops {
        match *op {
            Op::Time(dt) => {
                t = t.wrapping_add(dt as i32 as u32);
                engine.poll_buttons(Instant(t), mask, facilitator);
            }
            Op::Buttons(m, f) => (mask, facilitator) = (m, f),
            Op::Samples {
                seat,
                len,
                kind,
                amp,
            } => {
                let fs = if seat == 3 { 1023 } else { 4095 };
                let block = samples(len, kind, amp, fs, &mut phase);
                let result = engine.push_samples(SeatId::new(seat).unwrap(), &block, Instant(t));
                assert_eq!(result.is_ok(), seat == 2 || seat == 3, "{result:?}");
            }
            Op::Tick => engine.tick(Instant(t)),
            Op::Control(0) => engine.start_session(Instant(t)),
            Op::Control(1) => engine.stop_session(Instant(t)),
            Op::Control(2) => engine.pause_session(Instant(t)),
            Op::Control(3) => engine.resume_session(Instant(t)),
            Op::Control(_) => engine.mark_agenda(Instant(t)),
            Op::Activity(on) => engine
                .set_activity(SeatId::new(4).unwrap(), on, Instant(t))
                .unwrap(),
            Op::Flush => {
                // What does not fit goes on at the next call.
                let _ = engine.flush(Instant(t));
            }
        }
        drain(&mut engine, &mut checker);
    }
    // Close everything: the totals then include every turn.
    engine.stop_session(Instant(t));
    while !engine.flush(Instant(t)) {
        drain(&mut engine, &mut checker);
    }
    drain(&mut engine, &mut checker);
    if checker.running {
        panic!("stop_session + flush left the session running");
    }
    for s in 0..5u8 {
        let live = engine.live().speaking_ms(SeatId::new(s).unwrap());
        assert_eq!(
            live,
            checker.totals.get(&s).copied().unwrap_or(0),
            "seat {s}"
        );
    }
    checker.totals
}

#[test]
fn the_generator_produces_turns() {
    // Guards the property tests against testing nothing: a plain sequence
    // of the kind they generate gives turns.
    let ops = [
        Op::Buttons(0b1, false),
        Op::Time(10),
        Op::Time(30),
        Op::Time(500),
        Op::Buttons(0, false),
        Op::Time(10),
        Op::Time(30),
        Op::Activity(true),
        Op::Time(100),
        Op::Activity(false),
    ];
    let totals = run(1, &ops, DetectionParams::default());
    assert_eq!(totals.get(&0), Some(&540));
    assert_eq!(totals.get(&4), Some(&100));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_engine_never_panics_and_keeps_its_invariants(
        start in prop_oneof![Just(0u32), Just(u32::MAX - 3000), any::<u32>()],
        ops in proptest::collection::vec(op(), 0..300),
    ) {
        run(start, &ops, DetectionParams::default());
    }

    #[test]
    fn short_limits_stress_cuts_and_debounce(
        start in any::<u32>(),
        ops in proptest::collection::vec(op(), 0..300),
        max_turn in 1u32..5000,
        debounce in 0u16..50,
    ) {
        let mut params = DetectionParams::default();
        params.turns.max_turn_ms = max_turn;
        params.button.debounce_ms = debounce;
        params.button.long_press_ms = 300;
        params.mic.min_turn_ms = 0;
        params.mic.hangover_ms = 0;
        params.mic.fault_set_ms = 30;
        run(start, &ops, params);
    }
}

/// Edges for the tracker alone: possibly out of order, repeated, for
/// seats out of range.
fn tracker_edge() -> impl Strategy<Value = (u8, u64, u8, u8)> {
    (0u8..5, 0u64..400, 0u8..3, 0u8..12)
}

proptest! {
    #[test]
    fn tracker_turns_never_overlap_and_totals_match(
        edges in proptest::collection::vec(tracker_edge(), 0..400),
        max_turn in 1u32..2000,
    ) {
        let params = TurnParams { max_turn_ms: max_turn, backchannel_max_ms: 300 };
        let mut tracker = TurnTracker::<4>::new(params, 4);
        let mut checker = Checker::default();
        let mut now = 0u64;
        let mut events = Vec::new();
        for (seat, dt, source, what) in edges {
            // Mostly forward, sometimes back (a late edge).
            now = if dt > 350 { now.saturating_sub(dt - 350) } else { now + dt };
            let source = [SourceKind::Button, SourceKind::Microphone, SourceKind::External][usize::from(source)];
            let kind = match what {
                0..=3 => EdgeKind::Rise,
                4..=6 => EdgeKind::Fall(TurnEnd::Natural),
                7 => EdgeKind::Condition(Condition::MicSilent),
                8 => EdgeKind::Control(Control::ToggleSession),
                9 => EdgeKind::Control(Control::Pause),
                10 => EdgeKind::Control(Control::Resume),
                _ => EdgeKind::Control(Control::Agenda),
            };
            let edge = Edge { at: now, source, kind };
            let mut out = |e| events.push(e);
            match (kind, SeatId::new(seat)) {
                (EdgeKind::Control(_), _) => tracker.control(edge, &mut out),
                (_, Some(seat)) => tracker.seat_edge(seat, edge, &mut out),
                _ => {}
            }
            tracker.advance(now, &mut out);
            for e in events.drain(..) {
                checker.take(e);
            }
            if checker.running {
                for s in 0..4u8 {
                    let figures = tracker.live().seat(SeatId::new(s).unwrap()).unwrap();
                    prop_assert_eq!(figures.completed_ms, checker.totals.get(&s).copied().unwrap_or(0));
                    // No turn is ever longer than the maximum.
                    if let Some(since) = figures.speaking_since {
                        prop_assert!(tracker.session_now() - since <= u64::from(max_turn));
                    }
                }
            }
        }
    }
}

/// The spectral detector's switch and settings: on or off (both
/// detectors are covered), and when on, any settings it can run with.
fn spectral() -> impl Strategy<Value = (bool, tabletalk_core::activity::spectral::Settings)> {
    (
        any::<bool>(),
        (any::<u16>(), any::<u16>(), any::<u16>(), any::<u16>()),
        (1u8..=6, 1u8..=40, 0u8..=47, 1u16..=1500, 0u16..=3700),
        // Every min_snr_db10 (above 52 428 it once overflowed in
        // `Settings::plan`).
        (any::<u16>(), any::<u8>()),
    )
        .prop_map(
            |(on, (lo, hi, fill, min_run), (pole, lag_min, lags, band_lo, band), (snr, refs))| {
                let mut st = tabletalk_core::activity::spectral::Settings {
                    lead_lo_q14: lo.min(hi),
                    lead_hi_q14: hi.max(lo),
                    fill_ms: fill,
                    min_run_ms: min_run,
                    pole_shift: pole,
                    lag_min_samples: lag_min,
                    lag_max_samples: lag_min + lags,
                    band_lo_hz: band_lo,
                    band_hi_hz: band_lo.saturating_add(band).min(3990),
                    min_snr_db10: snr,
                    reference_mics: refs,
                };
                if st.validate().is_err() {
                    // A band the detector cannot use (too wide or empty).
                    st.band_lo_hz = 250;
                    st.band_hi_hz = 3500;
                }
                (on, st)
            },
        )
}

/// Whether this build of the core has the spectral detector.
fn spectral_available() -> bool {
    let mut p = DetectionParams::default();
    p.mic.spectral_on = true;
    p.validate().is_ok()
}

/// Any valid parameter set, with extreme values on purpose. With the
/// spectral detector on, the sample rate is its 8 kHz and the high-pass
/// is on (what `ParamError::SpectralInput` asks for).
fn params() -> impl Strategy<Value = DetectionParams> {
    (
        (any::<u16>(), any::<u16>(), any::<u16>()),
        (
            1u16..=1000,
            1u32..=4095,
            1u8..=16,
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            any::<u16>(),
            any::<i16>(),
            any::<u8>(),
            any::<u16>(),
        ),
        (
            any::<u16>(),
            any::<u16>(),
            0u16..500,
            0u16..=1000,
            any::<u16>(),
            any::<u16>(),
        ),
        (any::<u16>(), any::<u16>(), 1u32..=u32::MAX, any::<u32>()),
        (spectral(), 1u16..=1000),
    )
        .prop_map(
            |(b, m1, m2, m3, rest, ((spectral_on, settings), highpass))| {
                let mut p = DetectionParams::default();
                (
                    p.button.debounce_ms,
                    p.button.long_press_ms,
                    p.button.chatter_ms,
                ) = b;
                let (frame_rate, per_frame, dc_shift, window, on, off) = m1;
                p.mic.frame_rate_hz = frame_rate;
                p.mic.sample_rate_hz = u32::from(frame_rate) * per_frame;
                p.mic.dc_shift = dc_shift;
                p.mic.floor_window_ms = window;
                p.mic.on_threshold_db10 = on.max(off);
                p.mic.off_threshold_db10 = off.min(on);
                (
                    p.mic.onset_lookback_ms,
                    p.mic.hangover_ms,
                    p.mic.min_turn_ms,
                    p.mic.coupling_initial_db10,
                    p.mic.coupling_step_db10,
                    p.mic.coupling_learn_snr_db10,
                ) = m2;
                (
                    p.mic.crosstalk_margin_db10,
                    p.mic.flat_q8,
                    p.mic.rail_band_per_mille,
                    p.mic.clip_fraction_per_mille,
                    p.mic.fault_set_ms,
                    p.mic.fault_clear_ms,
                ) = m3;
                let (steady, tail, max_turn, backchannel) = rest;
                p.mic.floor_steady_db10 = steady;
                p.mic.crosstalk_tail_db_per_s = tail;
                p.turns.max_turn_ms = max_turn;
                p.turns.backchannel_max_ms = backchannel;
                // Only where the core is built with the spectral detector.
                p.mic.spectral_on = spectral_on && spectral_available();
                p.mic.spectral = settings;
                if spectral_on {
                    p.mic.sample_rate_hz = 8000;
                    p.mic.frame_rate_hz = p.mic.frame_rate_hz.max(2);
                    p.mic.highpass_hz = highpass;
                }
                p
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn any_valid_parameters_never_panic(
        params in params(),
        start in any::<u32>(),
        ops in proptest::collection::vec(op(), 0..150),
    ) {
        prop_assert!(params.validate().is_ok(), "{:?}", params.validate());
        run(start, &ops, params);
    }
}
