//! One floor model: the same turns give the same floor figures from the
//! core's live figures (what the device's LEDs and engine keep), from
//! `tabletalk device live` (the laptop's board fed the device's live
//! events) and from `tabletalk report` (the log those events were written
//! to, decoded and analysed).
//!
//! Runs in well under a second (a few hundred turns through the engine).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use tabletalk::device::client::LiveFrame;
use tabletalk::device::live::LiveBoard;
use tabletalk::logs::decode;
use tabletalk::metrics::{analyse, Options};
use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::log::{LogWriter, MAX_WRITE_LEN};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::protocol::LiveUpdate;
use tabletalk_core::records::{Header, Seats, SessionId};
use tabletalk_core::seat::{InputKind, SeatId};
use tabletalk_core::time::Instant;
use tabletalk_core::turns::Event;

const SEATS: usize = 4;

/// `(seat, start, end)` in ms, multiples of the log's 10 ms tick.
type Turns = Vec<(u8, u32, u32)>;

/// A hand-made meeting with every floor case: an opening, a backchannel,
/// a failed and a successful interruption, a three-way overlap, a pause
/// within one speaker, a gap between two, a pause of the recording.
fn hand_made() -> Turns {
    vec![
        (0, 1_000, 6_000),   // A opens
        (1, 2_000, 2_400),   // B: backchannel
        (2, 3_000, 4_500),   // C: failed interruption (A keeps the floor)
        (1, 5_500, 9_000),   // B: outlasts A, takes the floor at 6 000
        (3, 8_000, 12_000),  // D: in overlap with B, takes it at 9 000
        (2, 8_500, 10_000),  // C: started before D held the floor: failed
        (3, 12_500, 14_000), // D again after its own pause
        (0, 15_000, 16_000), // A after a gap
        (2, 30_000, 31_000), // C after the recording's pause (20–25 s)
    ]
}

/// Many turns from a fixed generator: overlaps of every kind.
fn generated(count: usize) -> Turns {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut free_at = [0u32; SEATS];
    let mut t = 1_000u32;
    let mut turns = Vec::new();
    for _ in 0..count {
        t += 10 * next(150) as u32;
        let seat = next(SEATS as u64) as usize;
        if free_at[seat] >= t {
            continue;
        }
        let range = if next(3) == 0 { 60 } else { 600 };
        let length = 10 * (20 + next(range)) as u32;
        turns.push((seat as u8, t, t + length));
        free_at[seat] = t + length + 10;
    }
    turns
}

/// Runs `turns` through the engine (external seats), pausing the
/// recording over `pause`; returns its events and the engine.
fn run_engine(turns: &Turns, pause: Option<(u32, u32)>) -> (Vec<Event>, Engine<SEATS>) {
    let seats = [SeatWiring::external(); SEATS];
    let mut engine = Engine::<SEATS>::new(DetectionParams::default(), &seats, Instant(0)).unwrap();
    engine.start_session(Instant(0));
    let mut edges: Vec<(u32, bool, u8)> = turns
        .iter()
        .flat_map(|&(seat, start, end)| [(start, true, seat), (end, false, seat)])
        .collect();
    edges.sort_by_key(|&(at, rise, seat)| (at, rise, seat)); // ends first
    let mut events = Vec::new();
    let end = edges.last().map_or(0, |e| e.0) + 1_000;
    let mut pending = edges.iter().peekable();
    for ms in (0..=end).step_by(10) {
        if let Some((from, to)) = pause {
            if ms == from {
                engine.pause_session(Instant(ms));
            } else if ms == to {
                engine.resume_session(Instant(ms));
            }
        }
        while let Some(&&(at, rise, seat)) = pending.peek() {
            if at > ms {
                break;
            }
            engine
                .set_activity(SeatId::new(seat).unwrap(), rise, Instant(ms))
                .unwrap();
            pending.next();
        }
        engine.tick(Instant(ms));
        events.extend(std::iter::from_fn(|| engine.pop_event()));
    }
    engine.stop_session(Instant(end));
    while !engine.flush(Instant(end)) {
        events.extend(std::iter::from_fn(|| engine.pop_event()));
    }
    events.extend(std::iter::from_fn(|| engine.pop_event()));
    (events, engine)
}

/// The log the device would have written of `events`.
fn log_of(events: &[Event]) -> Vec<u8> {
    let kinds = [InputKind::External; SEATS];
    let header = Header::new(
        SessionId {
            number: 1,
            nonce: 0x0F10,
        },
        7,
        Seats::new(&kinds).unwrap(),
    );
    let mut log = vec![0u8; 1024];
    let (mut writer, len) = LogWriter::start(&header, &mut log).unwrap();
    log.truncate(len);
    let mut out = vec![0u8; MAX_WRITE_LEN];
    let mut last = 0;
    for event in events {
        let n = writer.push(event, &mut out).unwrap();
        log.extend_from_slice(&out[..n]);
        if let Event::TurnEnded { end, .. } | Event::Marker { at: end, .. } = *event {
            last = last.max(end);
        }
    }
    let n = writer.finish(last, &mut out).unwrap();
    log.extend_from_slice(&out[..n]);
    log
}

/// Per seat: (floor takes, successful interruptions made, failed ones
/// made, times interrupted, backchannels).
type Figures = Vec<(u32, u32, u32, u32, u32)>;

fn check(turns: &Turns, pause: Option<(u32, u32)>) -> Figures {
    let (events, engine) = run_engine(turns, pause);
    let core: Figures = (0..SEATS as u8)
        .map(|i| {
            let f = engine.live().seat(SeatId::new(i).unwrap()).unwrap();
            (
                f.floor_takes,
                f.interruptions,
                f.failed_interruptions,
                f.interrupted,
                f.backchannels,
            )
        })
        .collect();

    let mut board = LiveBoard::with_seats(0..SEATS);
    for (seq, event) in events.iter().enumerate() {
        board.apply(&LiveFrame {
            seq: seq as u32,
            update: LiveUpdate::Event(*event),
        });
    }
    let live: Figures = board
        .seats()
        .iter()
        .map(|s| {
            (
                s.floor_takes,
                s.interruptions,
                s.failed_interruptions,
                s.interrupted,
                s.backchannels,
            )
        })
        .collect();

    let loaded = decode(&log_of(&events), "floor.ttlog").unwrap();
    let report = analyse(&loaded.sessions[0], &Options::default(), None);
    let from_report: Figures = report
        .seats
        .iter()
        .map(|s| {
            (
                s.floor_turns,
                s.interruptions_made_successful,
                s.interruptions_made - s.interruptions_made_successful,
                s.interruptions_suffered_successful,
                s.backchannels,
            )
        })
        .collect();
    assert_eq!(live, core, "device live against the core");
    assert_eq!(from_report, core, "report against the core");
    // The speaking times agree too.
    for seat in 0..SEATS {
        let id = SeatId::new(seat as u8).unwrap();
        assert_eq!(
            report.seats[seat].speaking_ms,
            engine.live().speaking_ms(id)
        );
        assert_eq!(board.speaking_ms(seat), engine.live().speaking_ms(id));
    }
    core
}

#[test]
fn a_hand_made_meeting_gives_the_same_floor_figures_everywhere() {
    let figures = check(&hand_made(), Some((20_000, 25_000)));
    // By hand: A opens and comes back after a gap (2 takes), suffers B's
    // successful interruption; B backchannels once, takes the floor from
    // A and loses it to D; C fails twice, then opens after the pause; D
    // takes it from B, pauses and continues (1 take).
    assert_eq!(
        figures,
        [
            (2, 0, 0, 1, 0),
            (1, 1, 0, 1, 1),
            (1, 0, 2, 0, 0),
            (1, 1, 0, 0, 0)
        ]
    );
}

#[test]
fn many_generated_turns_give_the_same_floor_figures_everywhere() {
    let turns = generated(400);
    assert!(turns.len() > 200);
    let figures = check(&turns, None);
    let interruptions: u32 = figures.iter().map(|f| f.1 + f.2).sum();
    let backchannels: u32 = figures.iter().map(|f| f.4).sum();
    assert!(interruptions > 10 && backchannels > 5, "{figures:?}");
}
