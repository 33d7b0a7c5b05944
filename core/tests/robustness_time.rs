//! Time: the device's `u32` millisecond counter wrapping during a session
//! (every 49.7 days), sessions longer than a day and than the wrap period,
//! turns straddling the wrap, a counter that jumps back, and the wall clock
//! set backwards from the laptop (the protocol's set-time) — through the
//! engine, the log writer and the reader.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod robustness_support;

use robustness_support::{sorted, speaking_plan, Device, SessionTruth};
use tabletalk_core::engine::SeatWiring;
use tabletalk_core::log::{SessionItem, SessionReader};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::protocol::{
    frame, ClockSet, DeviceBackend, DeviceConfig, DeviceFrame, DeviceHandler, DeviceIdentity,
    EraseScope, ErrorCode, Request, RequestFrame, Response, SessionInfo, SessionRead, Status,
    StoredSessionId, WallClock, MAX_FRAME,
};
use tabletalk_core::records::LoggedTurn;
use tabletalk_core::seat::SeatId;
use tabletalk_core::time::Instant;
use tabletalk_core::turns::{MarkerKind, TurnEnd};

const MINUTE: u64 = 60_000;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WRAP: u64 = 1 << 32;

/// A 20-minute meeting of 5 button seats, recorded with the counter
/// starting at `start`: the log bytes.
fn meeting_from(start: u32) -> (Vec<u8>, Vec<SessionTruth>) {
    let mut device = Device::<8>::buttons(5, Instant(start));
    device.meeting(20 * MINUTE, 3);
    (device.log(), device.sessions)
}

#[test]
fn the_counter_wrap_changes_nothing_in_the_log() {
    let (reference, truth) = meeting_from(0);
    assert!(truth[0].turns.len() > 50);
    // The wrap before the meeting, at its start, in a pause, inside turns
    // (the plan's first long turn, and a long one later), and right at its end.
    let plan = speaking_plan(5, 20 * MINUTE, 3);
    let long_turns: Vec<(u64, u64)> = plan
        .iter()
        .flatten()
        .copied()
        .filter(|(a, b)| b - a > 5_000)
        .collect();
    let mut wrap_at: Vec<u64> = vec![0, 1, 10, 20 * MINUTE, 20 * MINUTE + 7];
    wrap_at.push(long_turns[0].0 + 2_000);
    wrap_at.push(long_turns[long_turns.len() / 2].0 + 1);
    wrap_at.push(long_turns[long_turns.len() / 2].1 - 1);
    for at in wrap_at {
        // The counter reaches 2^32 (reads 0 again) `at` ms into the meeting.
        let start = (WRAP - at % WRAP) as u32;
        let (log, _) = meeting_from(start);
        assert_eq!(log, reference, "wrap {at} ms into the meeting");
    }
}

/// A long session of external seats (turns from another detector), a tick
/// every `tick_ms`: returns the device and the turns it was given, in
/// session ms.
fn long_session(start: u32, duration: u64, tick_ms: u32) -> (Device<4>, Vec<(u8, u64, u64)>) {
    let configs = [
        SeatWiring::external(),
        SeatWiring::external(),
        SeatWiring::button(Default::default()),
    ];
    let mut device = Device::<4>::new(&configs, DetectionParams::default(), Instant(start));
    let mut given = Vec::new();
    device.start();
    let mut t = 0u64;
    let mut speaking: [Option<u64>; 2] = [None, None];
    // Each external seat speaks for 40 s every 7 (seat 0) or 11 (seat 1)
    // minutes, phase-shifted so that they sometimes overlap; the button
    // seat is pressed for 20 s every hour.
    while t <= duration {
        for s in 0..2u8 {
            let period = if s == 0 { 7 * MINUTE } else { 11 * MINUTE };
            let phase = (t + u64::from(s) * 3 * MINUTE) % period;
            let on = phase < 40_000 && t < duration;
            let id = SeatId::new(s).unwrap();
            match (on, speaking[usize::from(s)]) {
                (true, None) => {
                    device.engine.set_activity(id, true, device.now).unwrap();
                    speaking[usize::from(s)] = Some(t);
                }
                (false, Some(from)) => {
                    device.engine.set_activity(id, false, device.now).unwrap();
                    given.push((s, from, t));
                    speaking[usize::from(s)] = None;
                }
                _ => {}
            }
        }
        let pressed = t % HOUR >= 30 * MINUTE && t % HOUR < 30 * MINUTE + 20_000 && t < duration;
        device
            .engine
            .poll_buttons(device.now, u16::from(pressed) << 2, false);
        device.engine.tick(device.now);
        device.drain();
        device.advance(tick_ms);
        t += u64::from(tick_ms);
    }
    device.stop();
    (device, given)
}

fn read_turns(log: &[u8]) -> Vec<LoggedTurn> {
    let mut scratch = vec![0u8; log.len()];
    SessionReader::new(log, &mut scratch)
        .unwrap()
        .filter_map(|item| match item {
            SessionItem::Turn { turn, .. } => Some(turn),
            SessionItem::Damaged(_) | SessionItem::MissingBatches { .. } => panic!("{item:?}"),
            _ => None,
        })
        .collect()
}

#[test]
fn a_session_of_more_than_a_day_across_the_wrap() {
    // 30 hours, the counter wrapping 5 hours in.
    let duration = 30 * HOUR;
    let (device, given) = long_session((WRAP - 5 * HOUR) as u32, duration, 1_000);
    check_long(&device, &given, duration, 1_000);
}

#[test]
fn a_session_longer_than_the_wrap_period() {
    // 60 days: the counter wraps once in the middle and the session lasts
    // longer than 2^32 ms; a tick every 10 s.
    let duration = 60 * DAY;
    let (device, given) = long_session(0x8000_0000, duration, 10_000);
    assert!(duration > WRAP);
    check_long(&device, &given, duration, 10_000);
}

fn check_long(device: &Device<4>, given: &[(u8, u64, u64)], duration: u64, resolution: u64) {
    let truth = &device.sessions[0];
    let log = device.log();
    let turns = read_turns(&log);
    assert_eq!(sorted(turns.clone()), sorted(truth.turns.clone()));
    // External turns: exactly when they were given (ticks of 10 ms).
    let mut external: Vec<(u8, u64, u64)> = turns
        .iter()
        .filter(|t| t.seat < 2)
        .map(|t| (t.seat, t.start * 10, t.end * 10))
        .collect();
    external.sort_unstable();
    let mut want = given.to_vec();
    want.sort_unstable();
    assert_eq!(external, want);
    // The button's presses: one per hour, 20 s long (to the poll).
    let presses: Vec<&LoggedTurn> = turns.iter().filter(|t| t.seat == 2).collect();
    assert_eq!(
        presses.len() as u64,
        duration / HOUR + u64::from(duration % HOUR > 30 * MINUTE)
    );
    for (i, p) in presses.iter().enumerate() {
        let want = i as u64 * HOUR + 30 * MINUTE;
        assert!(
            p.start * 10 >= want && p.start * 10 <= want + resolution,
            "press {i}: {p:?}"
        );
        assert!(
            p.duration() * 10 >= 20_000 - resolution && p.duration() * 10 <= 20_000 + resolution
        );
    }
    // The session's end is its length.
    let end = truth.end.unwrap() * 10;
    assert!(
        end >= duration && end <= duration + resolution,
        "end {end} for {duration}"
    );
    assert!(truth.markers.iter().all(|m| m.0 * 10 <= end));
}

#[test]
fn a_counter_that_jumps_back_holds_time_still() {
    // A caller bug: the counter reads 5 s earlier for a while. Time holds
    // still until it passes the last reading again; nothing goes negative.
    let mut device = Device::<4>::buttons(2, Instant(1_000_000));
    device.start();
    let poll = |device: &mut Device<4>, ms: u32, mask: u16| {
        for _ in 0..ms / 5 {
            device.engine.poll_buttons(device.now, mask, false);
            device.drain();
            device.advance(5);
        }
    };
    poll(&mut device, 2_000, 0b01); // seat 0 speaks 2 s …
    device.now = Instant(device.now.0 - 5_000); // … the counter jumps back 5 s
    poll(&mut device, 3_000, 0b01); // seat 0 keeps speaking: time stands still
    poll(&mut device, 4_000, 0b00); // released (counter catches up after 5 s)
    poll(&mut device, 3_000, 0b10);
    device.stop();
    let turns = read_turns(&device.log());
    for t in &turns {
        assert!(t.start <= t.end);
    }
    let seat0: Vec<_> = turns.iter().filter(|t| t.seat == 0).collect();
    assert_eq!(seat0.len(), 1);
    // It spoke for 2 s before the jump; the 3 s of readings at times already
    // passed add nothing until the counter passes its last reading again.
    assert!(seat0[0].duration() <= 300, "{seat0:?}");
    assert_eq!(turns.iter().filter(|t| t.seat == 1).count(), 1);
}

/// The firmware's side of set-time: a wall clock over the device counter,
/// behind the protocol handler.
struct ClockDevice {
    clock: WallClock,
    now: Instant,
}

impl DeviceBackend for ClockDevice {
    fn identity(&mut self) -> DeviceIdentity {
        DeviceIdentity::default()
    }
    fn status(&mut self) -> Status {
        Status {
            device_ms: self.now,
            unix_ms: self.clock.unix_ms(self.now),
            state: tabletalk_core::protocol::RecordingState::Idle,
            sessions: 0,
            store_used: 0,
            store_capacity: 0,
            sessions_overwritten: 0,
            storage_errors: 0,
        }
    }
    fn next_session(
        &mut self,
        _: Option<StoredSessionId>,
    ) -> Result<Option<SessionInfo>, ErrorCode> {
        Ok(None)
    }
    fn read_session(
        &mut self,
        _: StoredSessionId,
        _: u32,
        _: &mut [u8],
    ) -> Result<SessionRead, ErrorCode> {
        Err(ErrorCode::NoSuchSession)
    }
    fn erase(&mut self, _: EraseScope) -> Result<u16, ErrorCode> {
        Ok(0)
    }
    fn config(&mut self) -> Result<DeviceConfig, ErrorCode> {
        Ok(DeviceConfig::default())
    }
    fn set_config(&mut self, _: &DeviceConfig) -> Result<(), ErrorCode> {
        Ok(())
    }
    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode> {
        Ok(ClockSet {
            device_ms: self.now,
            previous_unix_ms: self.clock.set(unix_ms, self.now),
        })
    }
}

/// Sends one request through the handler, returns the response.
fn ask(
    handler: &mut DeviceHandler,
    backend: &mut ClockDevice,
    request: Request,
) -> Response<'static> {
    let mut wire = [0u8; MAX_FRAME];
    let bytes = frame::encode(&RequestFrame { id: 1, request }, &mut wire)
        .unwrap()
        .to_vec();
    let mut out = [0u8; MAX_FRAME];
    let mut input = &bytes[..];
    let reply = handler
        .receive(&mut input, backend, &mut out)
        .unwrap()
        .to_vec();
    let mut decoder = frame::MessageDecoder::new();
    let mut input = &reply[..];
    let message = decoder.feed(&mut input).unwrap().unwrap().to_vec();
    let message: &'static [u8] = Box::leak(message.into_boxed_slice());
    match tabletalk_core::protocol::decode_device_frame(message).unwrap() {
        DeviceFrame::Reply { response, .. } => response,
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_wall_clock_set_backwards_from_the_laptop_moves_no_session_time() {
    let t0 = 1_714_555_812_345u64; // 2024-05-01T09:30:12.345Z
    let mut handler = DeviceHandler::new();
    let start = Instant(u32::MAX - 90_000); // the counter wraps during session 1
    let mut backend = ClockDevice {
        clock: WallClock::new(),
        now: start,
    };
    let mut device = Device::<8>::buttons(4, start);

    // The laptop sets the clock; session 1 starts and runs 10 minutes.
    assert!(matches!(
        ask(
            &mut handler,
            &mut backend,
            Request::SetClock { unix_ms: t0 }
        ),
        Response::ClockSet(ClockSet {
            previous_unix_ms: None,
            ..
        })
    ));
    device.wall_clock = backend.clock.unix_ms(device.now);
    let plan = speaking_plan(4, 20 * MINUTE, 8);
    device.start();
    device.play_buttons(&plan, 10 * MINUTE, 10);
    // Mid-session, a laptop whose clock is an hour behind sets it again.
    backend.now = device.now;
    let response = ask(
        &mut handler,
        &mut backend,
        Request::SetClock { unix_ms: t0 - HOUR },
    );
    let Response::ClockSet(set) = response else {
        panic!("{response:?}")
    };
    assert_eq!(
        set.previous_unix_ms,
        Some(t0 + 10 * MINUTE + 10),
        "the drift is reported"
    );
    // An implausible time (an unset laptop clock) is refused, nothing changes.
    let response = ask(&mut handler, &mut backend, Request::SetClock { unix_ms: 0 });
    assert!(
        matches!(response, Response::Error(ErrorCode::InvalidClock)),
        "{response:?}"
    );
    assert_eq!(backend.clock.unix_ms(backend.now), Some(t0 - HOUR));
    // The session goes on to 20 minutes on the device counter.
    let second_half: Vec<Vec<(u64, u64)>> = plan
        .iter()
        .map(|s| {
            s.iter()
                .filter(|&&(a, _)| a >= 10 * MINUTE)
                .map(|&(a, b)| (a - 10 * MINUTE, b - 10 * MINUTE))
                .collect()
        })
        .collect();
    device.play_buttons(&second_half, 10 * MINUTE, 10);
    device.stop();
    // Session 2 starts after the change: its wall-clock start is *earlier*
    // than session 1's, which is what the clock says; its session times are
    // its own.
    device.advance(60_000);
    backend.now = device.now;
    device.wall_clock = backend.clock.unix_ms(device.now);
    device.meeting(5 * MINUTE, 9);

    let log = device.log();
    let mut scratch = vec![0u8; log.len()];
    let headers: Vec<_> = SessionReader::new(&log, &mut scratch)
        .unwrap()
        .filter_map(|i| match i {
            SessionItem::Header(h) => Some(h.started_at_unix_ms),
            _ => None,
        })
        .collect();
    assert_eq!(headers[0], Some(t0));
    let second = headers[1].unwrap();
    assert!(second < t0 && second > t0 - HOUR, "{second}");
    // Session 1 lasted 20 minutes of counter time, its turns intact.
    let s1 = &device.sessions[0];
    let end_ms = s1.end.unwrap() * 10;
    assert!(
        (20 * MINUTE..20 * MINUTE + 30).contains(&end_ms),
        "{end_ms}"
    );
    assert!(s1.markers.iter().any(|m| m.1 == MarkerKind::Stop));
    let turns = read_turns(&log);
    assert_eq!(
        turns.len(),
        device.sessions.iter().map(|s| s.turns.len()).sum::<usize>()
    );
    assert!(turns
        .iter()
        .all(|t| t.how != TurnEnd::Cut && t.start <= t.end));
}
