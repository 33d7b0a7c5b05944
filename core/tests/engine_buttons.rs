//! Buttons, the facilitator, sessions and external seats through the
//! engine: exact turn times, cuts, conditions, markers, capacity.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tabletalk_core::engine::{Engine, InputError, SeatWiring, EDGE_QUEUE, EVENT_QUEUE};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::seat::{ButtonMode, SeatId};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::event::{Condition, Event, MarkerKind, TurnEnd};
use tabletalk_core::turns::tracker::SessionPhase;

fn seat(i: u8) -> SeatId {
    SeatId::new(i).unwrap()
}

fn engine(seats: &[SeatWiring], start: u32) -> Engine<4> {
    Engine::<4>::new(DetectionParams::default(), seats, Instant(start)).unwrap()
}

fn drain(engine: &mut Engine<4>, out: &mut Vec<Event>) {
    while let Some(e) = engine.pop_event() {
        out.push(e);
    }
}

#[allow(clippy::too_many_arguments)]
/// Polls the buttons every `step` ms over `from..to` (engine-relative ms,
/// added to `base` with wrapping), with `mask(t)` and `facilitator(t)`.
fn poll(
    engine: &mut Engine<4>,
    base: u32,
    from: u64,
    to: u64,
    step: u64,
    mask: impl Fn(u64) -> u16,
    facilitator: impl Fn(u64) -> bool,
    out: &mut Vec<Event>,
) {
    let mut t = from;
    while t < to {
        engine.poll_buttons(
            Instant(base.wrapping_add(t as u32)),
            mask(t),
            facilitator(t),
        );
        drain(engine, out);
        t += step;
    }
}

#[test]
fn a_bouncy_hold_to_talk_press_is_one_turn_at_the_right_times() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk); 2], 0);
    e.start_session(Instant(0));
    let mut events = Vec::new();
    let bouncy = |t: u64| -> u16 {
        let pressed = matches!(t, 1000 | 1002 | 1004..=3000 | 3003);
        u16::from(pressed) << 1
    };
    poll(&mut e, 0, 0, 5000, 1, bouncy, |_| false, &mut events);
    assert_eq!(
        events,
        [
            Event::Marker {
                at: 0,
                kind: MarkerKind::Start
            },
            Event::TurnStarted {
                seat: seat(1),
                at: 1004
            },
            Event::TurnEnded {
                seat: seat(1),
                start: 1004,
                end: 3004,
                how: TurnEnd::Natural
            },
        ]
    );
}

#[test]
fn toggle_seats_start_and_end_on_presses() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::Toggle)], 0);
    e.start_session(Instant(0));
    let mut events = Vec::new();
    let presses = |t: u64| u16::from((500..600).contains(&t) || (2500..2600).contains(&t));
    poll(&mut e, 0, 0, 4000, 5, presses, |_| false, &mut events);
    assert_eq!(
        events[1..],
        [
            Event::TurnStarted {
                seat: seat(0),
                at: 500
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 500,
                end: 2500,
                how: TurnEnd::Natural
            },
        ]
    );
}

#[test]
fn a_stuck_button_is_cut_at_exactly_the_maximum_turn_and_reported() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk); 2], 0);
    e.start_session(Instant(0));
    let mut events = Vec::new();
    // Seat 0 pressed from 1 s to 12 min, then a normal press at 13 min.
    let mask = |t: u64| u16::from((1000..720_000).contains(&t) || (780_000..781_000).contains(&t));
    poll(&mut e, 0, 0, 800_000, 10, mask, |_| false, &mut events);
    assert_eq!(
        events[1..],
        [
            Event::TurnStarted {
                seat: seat(0),
                at: 1000
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 1000,
                end: 601_000,
                how: TurnEnd::Cut
            },
            Event::Condition {
                seat: seat(0),
                at: 601_000,
                what: Condition::ButtonStuck
            },
            Event::Condition {
                seat: seat(0),
                at: 720_000,
                what: Condition::ButtonOk
            },
            Event::TurnStarted {
                seat: seat(0),
                at: 780_000
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 780_000,
                end: 781_000,
                how: TurnEnd::Natural
            },
        ]
    );
    assert_eq!(e.live().speaking_ms(seat(0)), 601_000);
}

#[test]
fn chatter_is_reported_and_cleared() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk)], 0);
    e.start_session(Instant(0));
    let mut events = Vec::new();
    let chattering = |t: u64| u16::from((1000..3000).contains(&t) && t % 6 < 3);
    poll(&mut e, 0, 0, 4000, 1, chattering, |_| false, &mut events);
    assert_eq!(
        events[1..],
        [
            Event::Condition {
                seat: seat(0),
                at: 1502,
                what: Condition::ButtonChatter
            },
            Event::Condition {
                seat: seat(0),
                at: 3017,
                what: Condition::ButtonOk
            },
        ]
    );
}

#[test]
fn the_facilitator_starts_marks_and_stops_the_session() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk)], 50_000);
    let mut events = Vec::new();
    let facilitator = |t: u64| {
        (1000..3000).contains(&t)      // long: start at 2500
            || (5000..5200).contains(&t) // short: agenda at 5200
            || (8000..10_000).contains(&t) // long: stop at 9500
    };
    // Seat 0 speaks before, during and after the session.
    let mask = |t: u64| {
        u16::from(
            (500..1500).contains(&t) || (6000..7000).contains(&t) || (9000..11_000).contains(&t),
        )
    };
    poll(
        &mut e,
        50_000,
        0,
        12_000,
        10,
        mask,
        facilitator,
        &mut events,
    );
    assert_eq!(
        events,
        [
            Event::Marker {
                at: 0,
                kind: MarkerKind::Start
            },
            Event::Marker {
                at: 2700,
                kind: MarkerKind::Agenda
            },
            Event::TurnStarted {
                seat: seat(0),
                at: 3500
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 3500,
                end: 4500,
                how: TurnEnd::Natural
            },
            Event::TurnStarted {
                seat: seat(0),
                at: 6500
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 6500,
                end: 7000,
                how: TurnEnd::SessionEnded
            },
            Event::Marker {
                at: 7000,
                kind: MarkerKind::Stop
            },
        ]
    );
    assert_eq!(e.session(), SessionPhase::Stopped);
}

#[test]
fn pause_ends_turns_and_resume_restarts_held_buttons() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk)], 0);
    e.start_session(Instant(0));
    let mut events = Vec::new();
    for t in (0..6000u32).step_by(10) {
        if t == 2000 {
            e.pause_session(Instant(t));
        }
        if t == 3000 {
            e.resume_session(Instant(t));
        }
        if t == 3500 {
            e.mark_agenda(Instant(t));
        }
        e.poll_buttons(Instant(t), u16::from((1000..4000).contains(&t)), false);
        drain(&mut e, &mut events);
    }
    assert_eq!(
        events[1..],
        [
            Event::TurnStarted {
                seat: seat(0),
                at: 1000
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 1000,
                end: 2000,
                how: TurnEnd::SessionEnded
            },
            Event::Marker {
                at: 2000,
                kind: MarkerKind::Pause
            },
            Event::Marker {
                at: 3000,
                kind: MarkerKind::Resume
            },
            Event::TurnStarted {
                seat: seat(0),
                at: 3000
            },
            Event::Marker {
                at: 3500,
                kind: MarkerKind::Agenda
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 3000,
                end: 4000,
                how: TurnEnd::Natural
            },
        ]
    );
    assert_eq!(e.live().speaking_ms(seat(0)), 2000);
}

#[test]
fn conditions_standing_at_the_start_are_repeated_at_time_zero() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk); 2], 0);
    let mut events = Vec::new();
    // Seat 1's button is stuck before any session.
    poll(&mut e, 0, 0, 700_000, 100, |_| 0b10, |_| false, &mut events);
    assert!(events.is_empty(), "no session, no events: {events:?}");
    e.start_session(Instant(700_000));
    drain(&mut e, &mut events);
    assert_eq!(
        events,
        [
            Event::Marker {
                at: 0,
                kind: MarkerKind::Start
            },
            Event::Condition {
                seat: seat(1),
                at: 0,
                what: Condition::ButtonStuck
            },
        ]
    );
}

#[test]
fn an_external_seat_is_cut_at_the_maximum_turn_and_must_fall_before_the_next() {
    let mut e = engine(
        &[
            SeatWiring::external(),
            SeatWiring::button(ButtonMode::Toggle),
        ],
        0,
    );
    e.start_session(Instant(0));
    assert_eq!(
        e.push_samples(seat(0), &[1, 2, 3], Instant(0)),
        Err(InputError::WrongInput)
    );
    assert_eq!(
        e.set_activity(seat(1), true, Instant(0)),
        Err(InputError::WrongInput)
    );
    assert_eq!(
        e.set_activity(seat(3), true, Instant(0)),
        Err(InputError::NoSuchSeat)
    );
    let mut events = Vec::new();
    e.set_activity(seat(0), true, Instant(10)).unwrap();
    for t in (0..700_000u32).step_by(1000) {
        e.tick(Instant(t));
    }
    e.set_activity(seat(0), false, Instant(700_000)).unwrap();
    e.set_activity(seat(0), true, Instant(700_500)).unwrap();
    e.set_activity(seat(0), false, Instant(701_000)).unwrap();
    drain(&mut e, &mut events);
    assert_eq!(
        events[1..],
        [
            Event::TurnStarted {
                seat: seat(0),
                at: 10
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 10,
                end: 600_010,
                how: TurnEnd::Cut
            },
            Event::TurnStarted {
                seat: seat(0),
                at: 700_500
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 700_500,
                end: 701_000,
                how: TurnEnd::Natural
            },
        ]
    );
}

#[test]
fn a_turn_across_the_u32_wrap_has_its_true_length() {
    let start = u32::MAX - 5000;
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk)], start);
    e.start_session(Instant(start));
    let mut events = Vec::new();
    poll(
        &mut e,
        start,
        0,
        20_000,
        10,
        |t| u16::from((4000..9000).contains(&t)),
        |_| false,
        &mut events,
    );
    assert_eq!(
        events[1..],
        [
            Event::TurnStarted {
                seat: seat(0),
                at: 4000
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 4000,
                end: 9000,
                how: TurnEnd::Natural
            },
        ]
    );
}

#[test]
fn an_undrained_queue_drops_and_counts_but_never_panics() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::Toggle)], 0);
    e.start_session(Instant(0));
    // 200 presses, never drained: 400 turn events.
    for t in 0..40_000u32 {
        e.poll_buttons(Instant(t), u16::from(t % 200 < 50), false);
    }
    assert_eq!(e.pending_events(), EVENT_QUEUE);
    // Settling stops at a full queue: the last edges wait in the seat's
    // edge queue, and only edges forced through by a full edge queue drop.
    // A start marker and 200 turn events: a queue's worth out, an edge
    // queue's worth waiting, the rest dropped.
    assert_eq!(
        e.stats().dropped_events,
        1 + 200 - (EVENT_QUEUE + EDGE_QUEUE) as u32,
        "{:?}",
        e.stats()
    );
    // The waiting edges come out once there is room, nothing more drops.
    let mut events = Vec::new();
    drain(&mut e, &mut events);
    e.tick(Instant(40_000));
    drain(&mut e, &mut events);
    assert_eq!(events.len(), EVENT_QUEUE + EDGE_QUEUE);
    assert_eq!(
        e.stats().dropped_events,
        1 + 200 - (EVENT_QUEUE + EDGE_QUEUE) as u32
    );
    // The live figures are still exact.
    assert_eq!(e.live().seat(seat(0)).map(|f| f.turns), Some(100));
}

#[test]
fn a_button_forces_a_button_and_microphone_seat_active() {
    let seats = [SeatWiring::button_and_microphone(
        ButtonMode::HoldToTalk,
        4095,
    )];
    let mut e = engine(&seats, 0);
    e.start_session(Instant(0));
    let quiet: [u16; 80] = core::array::from_fn(|i| 2046 + (i * 7 % 5) as u16);
    let mut events = Vec::new();
    for t in (10..5000u32).step_by(10) {
        e.push_samples(seat(0), &quiet, Instant(t)).unwrap();
        e.poll_buttons(Instant(t), u16::from((1000..2000).contains(&t)), false);
        drain(&mut e, &mut events);
    }
    assert_eq!(
        events[1..],
        [
            Event::TurnStarted {
                seat: seat(0),
                at: 1000
            },
            Event::TurnEnded {
                seat: seat(0),
                start: 1000,
                end: 2000,
                how: TurnEnd::Natural
            },
        ]
    );
}

#[test]
fn live_figures_follow_turns_and_balance() {
    let mut e = engine(&[SeatWiring::button(ButtonMode::HoldToTalk); 2], 0);
    e.start_session(Instant(0));
    let mut events = Vec::new();
    // Seat 0 speaks 3 s, seat 1 speaks 1 s.
    let mask =
        |t: u64| u16::from((0..3000).contains(&t)) | (u16::from((4000..5000).contains(&t)) << 1);
    poll(&mut e, 0, 0, 6000, 10, mask, |_| false, &mut events);
    let live = e.live();
    assert_eq!(live.speaking_ms(seat(0)), 3000);
    assert_eq!(live.speaking_ms(seat(1)), 1000);
    assert_eq!(live.share_q16(seat(0)), 49_152);
    assert_eq!(live.balance_q16(), 32_768);
    assert_eq!(e.floor().holder(), None);
}

/// Dropped events reach the log: a recorder hands the engine's count to
/// the writer after each drain, and the log says how many were lost
/// (issue 12 item 11).
#[test]
fn dropped_events_are_logged_as_a_notice() {
    use tabletalk_core::log::{Item, LogReader, LogWriter, MAX_WRITE_LEN};
    use tabletalk_core::records::{Header, Record, Seats, SessionId, StoreEvent};
    use tabletalk_core::seat::InputKind;

    let mut e = engine(&[SeatWiring::button(ButtonMode::Toggle)], 0);
    let kinds = [InputKind::Button];
    let header = Header::new(SessionId::default(), 1, Seats::new(&kinds).unwrap());
    let mut log = vec![0u8; 2 * MAX_WRITE_LEN];
    let (mut writer, mut len) = LogWriter::start(&header, &mut log).unwrap();
    e.start_session(Instant(0));
    for t in 0..40_000u32 {
        e.poll_buttons(Instant(t), u16::from(t % 200 < 50), false);
    }
    let mut out = [0u8; MAX_WRITE_LEN];
    let mut record = |writer: &mut LogWriter, e: &mut Engine<4>, log: &mut Vec<u8>| {
        while let Some(event) = e.pop_event() {
            let n = writer.push(&event, &mut out).unwrap();
            log.extend_from_slice(&out[..n]);
        }
        let at = writer.tick_of(e.session_ms());
        let n = writer
            .push_dropped_events(e.stats().dropped_events, at, &mut out)
            .unwrap();
        log.extend_from_slice(&out[..n]);
    };
    log.truncate(len);
    record(&mut writer, &mut e, &mut log);
    e.tick(Instant(40_000));
    record(&mut writer, &mut e, &mut log);
    len = log.len();
    let n = writer.finish(4_000, &mut out).unwrap();
    log.extend_from_slice(&out[..n]);
    assert!(log.len() > len);

    let mut scratch = vec![0u8; log.len()];
    let dropped: Vec<u32> = LogReader::new(&log, &mut scratch)
        .unwrap()
        .filter_map(|item| match item {
            Item::Record {
                record: Record::Notice(n),
                ..
            } => match n.what {
                StoreEvent::EventsDropped { events } => Some(events),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(dropped, [e.stats().dropped_events]);
    assert!(e.stats().dropped_events > 0);
}
