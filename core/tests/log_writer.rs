//! The writer: flush policy, whole-frames-or-nothing, and refusals.

mod common;

use common::read_frames;
use tabletalk_core::log::{Item, LogReader, LogWriter, MAX_BATCH_FRAME_LEN, MAX_WRITE_LEN};
use tabletalk_core::records::{
    Error, FlushPolicy, Header, LoggedTurn, Record, Seats, SessionId, MAX_BATCH_TURNS,
};
use tabletalk_core::seat::{InputKind, SeatId};
use tabletalk_core::turns::{Condition, Event, MarkerKind, TurnEnd};

const KINDS: [InputKind; 4] = [InputKind::Button; 4];

fn header(policy: FlushPolicy) -> Header<'static> {
    let mut h = Header::new(
        SessionId {
            number: 2,
            nonce: 0xFEED,
        },
        99,
        Seats::new(&KINDS).unwrap(),
    );
    h.flush = policy;
    h
}

fn turn(seat: u8, start: u64, end: u64) -> LoggedTurn {
    LoggedTurn {
        seat,
        start,
        end,
        how: TurnEnd::Natural,
    }
}

fn writer(policy: FlushPolicy) -> LogWriter {
    LogWriter::start(&header(policy), &mut [0u8; 512])
        .unwrap()
        .0
}

fn records(log: &[u8]) -> Vec<String> {
    let mut scratch = vec![0u8; log.len()];
    LogReader::new(log, &mut scratch)
        .unwrap()
        .map(|item| match item {
            Item::Record {
                record: Record::Turns(b),
                ..
            } => format!("batch {} x{}", b.seq(), b.len()),
            Item::Record {
                record: Record::Marker(m),
                ..
            } => format!("marker {:?}", m.kind),
            Item::Record {
                record: Record::End(e),
                ..
            } => format!("end {}/{}", e.turns, e.batches),
            Item::Record {
                record: Record::Essentials(e),
                ..
            } => {
                assert!(e.matches(&header(FlushPolicy::default())) || e.seat_count == 4);
                "essentials".to_owned()
            }
            Item::Record { record, .. } => format!("{record:?}"),
            Item::Damaged(d) => panic!("{d:?}"),
        })
        .collect()
}

#[test]
fn flushes_every_max_turns() {
    let mut w = writer(FlushPolicy {
        max_turns: 3,
        max_age_ms: u32::MAX,
    });
    let mut out = vec![0u8; MAX_WRITE_LEN];
    let mut log = Vec::new();
    for i in 0..7 {
        let n = w
            .push_turn(
                turn(i % 4, 10 * u64::from(i), 10 * u64::from(i) + 3),
                &mut out,
            )
            .unwrap();
        assert_eq!(n > 0, i % 3 == 2, "turn {i}");
        log.extend_from_slice(&out[..n]);
    }
    assert_eq!(w.pending().len(), 1);
    let n = w.finish(100, &mut out).unwrap();
    log.extend_from_slice(&out[..n]);
    assert_eq!(
        records(&log),
        [
            "batch 0 x3",
            "essentials",
            "batch 1 x3",
            "essentials",
            "batch 2 x1",
            // A short session: essentials until 64 bytes separate the last
            // batch from the copies, then every batch again.
            "essentials",
            "essentials",
            "essentials",
            "essentials",
            "batch 0 x3",
            "batch 1 x3",
            "batch 2 x1",
            "end 7/3"
        ]
    );
    assert_eq!((w.turns_written(), w.batches_written()), (7, 3));
}

#[test]
fn flushes_when_the_oldest_turn_is_too_old() {
    // 10 ms ticks, flush after 2 s: 200 ticks.
    let mut w = writer(FlushPolicy {
        max_turns: 32,
        max_age_ms: 2_000,
    });
    let mut out = vec![0u8; MAX_WRITE_LEN];
    assert_eq!(w.push_turn(turn(0, 0, 100), &mut out), Ok(0));
    assert_eq!(w.push_turn(turn(1, 150, 250), &mut out), Ok(0));
    assert_eq!(w.poll(299, &mut out), Ok(0));
    let n = w.poll(300, &mut out).unwrap();
    assert!(n > 0);
    assert!(w.pending().is_empty());
    assert_eq!(records(&out[..n]), ["batch 0 x2", "essentials"]);
    // A turn that ends long after the oldest pending one flushes both.
    assert_eq!(w.push_turn(turn(2, 400, 500), &mut out), Ok(0));
    assert!(w.push_turn(turn(3, 600, 700), &mut out).unwrap() > 0);
    assert!(w.pending().is_empty());
    // TurnStarted events carry time too.
    assert_eq!(w.push_turn(turn(2, 800, 800), &mut out), Ok(0));
    let started = Event::TurnStarted {
        seat: SeatId::new(1).unwrap(),
        at: 10_000,
    };
    assert!(w.push(&started, &mut out).unwrap() > 0);
}

#[test]
fn markers_and_the_end_flush_first_conditions_do_not() {
    let mut w = writer(FlushPolicy::default());
    let mut out = vec![0u8; MAX_WRITE_LEN];
    let mut log = Vec::new();
    let mut put = |n: usize, out: &[u8]| log.extend_from_slice(&out[..n]);
    put(w.push_turn(turn(0, 0, 5), &mut out).unwrap(), &out);
    put(
        w.push_condition(1, 6, Condition::MicSilent, &mut out)
            .unwrap(),
        &out,
    );
    assert_eq!(w.pending().len(), 1);
    put(
        w.push_marker(7, MarkerKind::Agenda, &mut out).unwrap(),
        &out,
    );
    put(w.push_turn(turn(0, 8, 9), &mut out).unwrap(), &out);
    put(w.finish(10, &mut out).unwrap(), &out);
    let got = records(&log);
    assert_eq!(got.len(), 12);
    assert!(got[0].starts_with("Condition"));
    assert_eq!(
        got[1..],
        [
            "batch 0 x1",
            "essentials",
            "marker Agenda",
            "batch 1 x1",
            "essentials",
            // the short session's copies, 64 bytes after its last batch
            "essentials",
            "essentials",
            "essentials",
            "batch 0 x1",
            "batch 1 x1",
            "end 2/2"
        ]
    );
}

#[test]
fn a_short_buffer_changes_nothing() {
    let mut w = writer(FlushPolicy {
        max_turns: 2,
        max_age_ms: u32::MAX,
    });
    let mut out = vec![0u8; MAX_WRITE_LEN];
    w.push_turn(turn(0, 0, 5), &mut out).unwrap();
    let before = format!("{w:?}");
    let mut tiny = [0u8; 8];
    assert_eq!(
        w.push_turn(turn(1, 1, 6), &mut tiny),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(
        w.push_marker(9, MarkerKind::Pause, &mut tiny),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(w.finish(9, &mut tiny), Err(Error::BufferTooSmall));
    assert_eq!(format!("{w:?}"), before);
    // Room for the batch but not for the essentials that follow it.
    let mut room = vec![0u8; MAX_WRITE_LEN];
    let n = w.clone().push_turn(turn(1, 1, 6), &mut room).unwrap();
    let batch_len = room.iter().position(|&b| b == 0).unwrap() + 1;
    assert!(batch_len < n);
    assert_eq!(
        w.push_turn(turn(1, 1, 6), &mut room[..n - 1]),
        Err(Error::BufferTooSmall)
    );
    assert_eq!(format!("{w:?}"), before);
    // With room, the same calls go through.
    let n = w.push_turn(turn(1, 1, 6), &mut out).unwrap();
    assert_eq!(records(&out[..n]), ["batch 0 x2", "essentials"]);
    assert!(LogWriter::start(&header(FlushPolicy::default()), &mut [0u8; 10]).is_err());
}

#[test]
fn refuses_what_the_log_cannot_hold() {
    let mut w = writer(FlushPolicy::default());
    let mut out = vec![0u8; MAX_WRITE_LEN];
    assert_eq!(
        w.push_turn(turn(4, 0, 1), &mut out),
        Err(Error::SeatOutOfRange)
    );
    assert_eq!(
        w.push_condition(4, 0, Condition::MicOk, &mut out),
        Err(Error::SeatOutOfRange)
    );
    assert_eq!(
        w.push_turn(turn(0, 5, 4), &mut out),
        Err(Error::TurnEndsBeforeStart)
    );
    assert!(w.pending().is_empty());
    w.finish(0, &mut out).unwrap();
    assert!(w.is_finished());
    assert_eq!(w.push_turn(turn(0, 0, 1), &mut out), Err(Error::Finished));
    assert_eq!(w.finish(0, &mut out), Err(Error::Finished));

    let bad_policy = |max_turns| {
        LogWriter::start(
            &header(FlushPolicy {
                max_turns,
                max_age_ms: 0,
            }),
            &mut [0u8; 512],
        )
        .err()
    };
    assert_eq!(bad_policy(0), Some(Error::FlushPolicy));
    assert_eq!(
        bad_policy(MAX_BATCH_TURNS as u8 + 1),
        Some(Error::FlushPolicy)
    );
    let mut zero_tick = header(FlushPolicy::default());
    zero_tick.tick_ms = 0;
    assert_eq!(
        LogWriter::start(&zero_tick, &mut [0u8; 512]).err(),
        Some(Error::ZeroTick)
    );
}

#[test]
fn worst_case_batches_fit_the_documented_bound() {
    // 64 turns of 255 seats with times all over the u64 range.
    let kinds = [InputKind::External; 255];
    let mut h = Header::new(SessionId::default(), 0, Seats::new(&kinds).unwrap());
    h.flush = FlushPolicy {
        max_turns: 64,
        max_age_ms: u32::MAX,
    };
    let (mut w, _) = LogWriter::start(&h, &mut [0u8; 1024]).unwrap();
    let mut out = vec![0u8; MAX_BATCH_FRAME_LEN];
    let mut n = 0;
    for i in 0..64u64 {
        let end = u64::MAX - (63 - i) * (u64::MAX / 64);
        let start = if i % 2 == 0 { 0 } else { end };
        let how = [TurnEnd::Natural, TurnEnd::Cut, TurnEnd::SessionEnded][(i % 3) as usize];
        n = w
            .push_turn(
                LoggedTurn {
                    seat: (i * 4) as u8,
                    start,
                    end,
                    how,
                },
                &mut out,
            )
            .unwrap();
    }
    assert!(n > 0 && n <= MAX_BATCH_FRAME_LEN, "{n}");
    assert!(read_frames(&out[..n]).iter().all(Result::is_ok));
}

#[test]
fn one_seat_costs_no_seat_bits() {
    let kinds = [InputKind::Button];
    let h1 = Header::new(SessionId::default(), 0, Seats::new(&kinds).unwrap());
    let h4 = Header::new(SessionId::default(), 0, Seats::new(&KINDS).unwrap());
    let size = |h: &Header<'_>| {
        let (mut w, _) = LogWriter::start(h, &mut [0u8; 512]).unwrap();
        let mut out = vec![0u8; MAX_WRITE_LEN];
        for i in 0..31 {
            w.push_turn(turn(0, 100 * i, 100 * i + 50), &mut out)
                .unwrap();
        }
        w.push_turn(turn(0, 3200, 3250), &mut out).unwrap()
    };
    // 32 turns x 2 seat bits = 8 bytes more with four seats.
    assert_eq!(size(&h4) - size(&h1), 8);
}

#[test]
fn documented_size_limits() {
    use tabletalk_core::log::{MAX_ESSENTIALS_FRAME_LEN, MAX_SMALL_FRAME_LEN};
    assert_eq!(
        (
            MAX_BATCH_FRAME_LEN,
            MAX_SMALL_FRAME_LEN,
            MAX_ESSENTIALS_FRAME_LEN,
            MAX_WRITE_LEN
        ),
        (1160, 35, 44, 1539)
    );
}

/// The device's largest header (16 seats, every label 64 bytes) is written
/// once into the firmware's start buffer (`2 * MAX_WRITE_LEN`), and its
/// essentials (every field at its widest) fit their documented bound
/// after a batch; the largest write (batch, essentials, marker) fits
/// `MAX_WRITE_LEN`.
#[test]
fn the_header_once_and_its_essentials_fit_their_bounds() {
    use tabletalk_core::log::MAX_ESSENTIALS_FRAME_LEN;
    let kinds = [InputKind::ButtonAndMicrophone; 16];
    let label = "é".repeat(32);
    let labels = [label.as_str(); 16];
    let mut h = Header::new(
        SessionId {
            number: u32::MAX,
            nonce: 0xFFFF,
        },
        u64::MAX,
        Seats::new(&kinds).unwrap().with_labels(&labels).unwrap(),
    );
    h.tick_ms = u16::MAX;
    h.started_at_unix_ms = Some(u64::MAX);
    let mut out = [0u8; 2 * MAX_WRITE_LEN];
    let (mut w, n) = LogWriter::start(&h, &mut out).unwrap();
    let frames = read_frames(&out[..n]);
    assert_eq!(frames.len(), 1);
    assert!(LogWriter::start(&h, &mut out[..n - 1]).is_err());
    let mut out = vec![0u8; MAX_WRITE_LEN];
    w.push_turn(turn(0, 0, u64::MAX / 2), &mut out).unwrap();
    let n = w.push_marker(u64::MAX, MarkerKind::Stop, &mut out).unwrap();
    assert!(n <= MAX_WRITE_LEN);
    let lens: Vec<usize> = out[..n]
        .split_inclusive(|&b| b == 0)
        .map(<[u8]>::len)
        .collect();
    assert_eq!(lens.len(), 3, "batch, essentials, marker");
    assert!(
        lens[1] <= MAX_ESSENTIALS_FRAME_LEN && lens[1] >= 40,
        "{lens:?}"
    );
}
