//! Property tests: whatever a writer is given, reading its log gives it back.

mod common;

use common::{read_frames, write_session, Op};
use proptest::prelude::*;
use tabletalk_core::log::{Item, LogReader, LogWriter, SessionItem, SessionReader, MAX_WRITE_LEN};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::records::{
    FlushPolicy, Header, LoggedTurn, Record, Seats, SessionId, StoreEvent, Tick,
};
use tabletalk_core::seat::{InputKind, SeatId};
use tabletalk_core::turns::{Condition, Event, MarkerKind, TurnEnd};

fn input_kind() -> impl Strategy<Value = InputKind> {
    prop_oneof![
        Just(InputKind::Button),
        Just(InputKind::Microphone),
        Just(InputKind::ButtonAndMicrophone),
        Just(InputKind::External),
    ]
}

fn turn_end() -> impl Strategy<Value = TurnEnd> {
    prop_oneof![
        6 => Just(TurnEnd::Natural),
        1 => Just(TurnEnd::Cut),
        1 => Just(TurnEnd::SessionEnded),
    ]
}

fn marker_kind() -> impl Strategy<Value = MarkerKind> {
    prop_oneof![
        Just(MarkerKind::Start),
        Just(MarkerKind::Stop),
        Just(MarkerKind::Pause),
        Just(MarkerKind::Resume),
        Just(MarkerKind::Agenda),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    prop_oneof![
        Just(Condition::MicSaturated),
        Just(Condition::MicSilent),
        Just(Condition::MicOk),
        Just(Condition::ButtonChatter),
        Just(Condition::ButtonStuck),
        Just(Condition::ButtonOk),
    ]
}

fn store_event() -> impl Strategy<Value = StoreEvent> {
    prop_oneof![
        Just(StoreEvent::Full),
        any::<u32>().prop_map(|bytes| StoreEvent::Overwritten { bytes }),
        any::<u32>().prop_map(|frames| StoreEvent::Dropped { frames }),
        any::<u32>().prop_map(|events| StoreEvent::EventsDropped { events }),
    ]
}

/// Times: mostly a meeting's worth of ticks, sometimes anything at all.
fn tick() -> impl Strategy<Value = Tick> {
    prop_oneof![
        8 => 0..400_000u64,
        1 => any::<u64>(),
        1 => Just(u64::MAX),
    ]
}

/// Every field of `DetectionParams`, whatever it has, from varint bytes.
fn params() -> impl Strategy<Value = DetectionParams> {
    proptest::collection::vec(0u8..0x80, 256)
        .prop_map(|bytes| postcard::from_bytes(&bytes).unwrap_or_default())
}

#[derive(Clone, Debug)]
struct HeaderSpec {
    session: SessionId,
    device_id: u64,
    tick_ms: u16,
    started: Option<u64>,
    flush: FlushPolicy,
    params: DetectionParams,
    inputs: Vec<InputKind>,
    labels: Option<Vec<String>>,
}

impl HeaderSpec {
    fn header<'a>(&'a self, labels: &'a [&'a str]) -> Header<'a> {
        let mut seats = Seats::new(&self.inputs).unwrap();
        if self.labels.is_some() {
            seats = seats.with_labels(labels).unwrap();
        }
        Header {
            session: self.session,
            device_id: self.device_id,
            tick_ms: self.tick_ms,
            started_at_unix_ms: self.started,
            flush: self.flush,
            params: self.params,
            params_missing: 0,
            params_unknown: 0,
            seats,
        }
    }
}

fn header_spec(max_seats: usize) -> impl Strategy<Value = HeaderSpec> {
    let seats = prop_oneof![4 => 1..=4usize, 2 => 1..=16usize, 1 => 1..=max_seats];
    seats.prop_flat_map(|n| {
        (
            (any::<u32>(), any::<u16>()).prop_map(|(number, nonce)| SessionId { number, nonce }),
            any::<u64>(),
            1..=1000u16,
            proptest::option::of(any::<u64>()),
            (1..=64u8, any::<u32>()).prop_map(|(max_turns, max_age_ms)| FlushPolicy {
                max_turns,
                max_age_ms,
            }),
            params(),
            proptest::collection::vec(input_kind(), n),
            proptest::option::of(proptest::collection::vec("[a-zA-Z0-9 éø]{0,24}", n)),
        )
            .prop_map(
                |(session, device_id, tick_ms, started, flush, params, inputs, labels)| {
                    HeaderSpec {
                        session,
                        device_id,
                        tick_ms,
                        started,
                        flush,
                        params,
                        inputs,
                        labels,
                    }
                },
            )
    })
}

fn op(seats: u8) -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => (0..seats, tick(), 0..2_000u64, turn_end()).prop_map(|(seat, end, len, how)| {
            Op::Turn(LoggedTurn { seat, start: end.saturating_sub(len), end, how })
        }),
        1 => (tick(), marker_kind()).prop_map(|(at, k)| Op::Marker(at, k)),
        1 => (0..seats, tick(), condition()).prop_map(|(s, at, c)| Op::Condition(s, at, c)),
        1 => (tick(), store_event()).prop_map(|(at, e)| Op::Notice(at, e)),
        1 => tick().prop_map(Op::Poll),
        1 => Just(Op::Flush),
    ]
}

fn session(max_seats: usize) -> impl Strategy<Value = (HeaderSpec, Vec<Op>, Tick)> {
    header_spec(max_seats).prop_flat_map(|spec| {
        let n = spec.inputs.len() as u8;
        (Just(spec), proptest::collection::vec(op(n), 0..200), tick())
    })
}

fn sorted(mut turns: Vec<LoggedTurn>) -> Vec<LoggedTurn> {
    turns.sort_by_key(|t| (t.end, t.seat, t.start, t.how as u8));
    turns
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Header, turns, markers, conditions and notices come back exactly;
    /// batches respect the flush policy; every frame is canonical.
    #[test]
    fn encode_then_decode_is_the_identity((spec, ops, end) in session(255)) {
        let labels: Vec<&str> = spec.labels.iter().flatten().map(String::as_str).collect();
        let header = spec.header(&labels);
        let mut log = Vec::new();
        write_session(&header, &ops, end, &mut log);

        let mut scratch = vec![0u8; log.len()];
        let items: Vec<Item<'_>> = LogReader::new(&log, &mut scratch).unwrap().collect();
        let records: Vec<Record<'_>> = items
            .iter()
            .map(|item| match item {
                Item::Record { record, version: 1, range } => {
                    // Canonical: re-encoding gives the very same bytes.
                    prop_assert_eq!(&common::frame_of(record)[..], &log[range.clone()]);
                    Ok(*record)
                }
                other => Err(TestCaseError::fail(format!("unexpected {other:?}"))),
            })
            .collect::<Result<_, _>>()?;

        prop_assert_eq!(records.first(), Some(&Record::Header(header)));
        // A short session ends with a copy of every batch (the first batch
        // whose number was seen is the first copy), after essentials that
        // keep the copies 64 bytes away from the last batch.
        let mut numbers = std::collections::HashSet::new();
        let first_copy = records.iter().position(|r| match r {
            Record::Turns(b) => !numbers.insert(b.seq()),
            _ => false,
        });
        let fillers = first_copy.map_or(0..0, |copy| {
            let mut start = copy;
            while start > 1 && matches!(records[start - 1], Record::Essentials(_)) {
                start -= 1;
            }
            // The essentials due after the last batch are not fillers.
            if let Record::Turns(b) = records[start - 1] {
                let seq = b.seq();
                if seq < 2 || seq % tabletalk_core::log::ESSENTIALS_EVERY == 0 {
                    start += 1;
                }
            }
            start..copy
        });
        let mut originals = Vec::new();
        let mut copies = Vec::new();
        let mut turns = Vec::new();
        let mut others = Vec::new();
        let mut seqs = Vec::new();
        let mut turns_before_marker_missing = false;
        let mut pushed_so_far = 0usize;
        let mut op_index = 0usize;
        let mut essentials_after = Vec::new();
        let mut previous: Option<Record<'_>> = None;
        for (i, record) in records.iter().enumerate().skip(1) {
            prop_assert_eq!(record.session(), spec.session);
            if fillers.contains(&i) {
                prop_assert!(matches!(record, Record::Essentials(e) if e.matches(&header)));
                continue;
            }
            if first_copy.is_some_and(|c| i >= c) && !matches!(record, Record::End(_)) {
                // The copies: every batch again, in order, byte for byte.
                prop_assert_eq!(Some(record), originals.get(copies.len()));
                copies.push(*record);
                continue;
            }
            match record {
                Record::Turns(batch) => {
                    originals.push(*record);
                    prop_assert!(batch.len() <= usize::from(spec.flush.max_turns));
                    seqs.push(batch.seq());
                    let batch_turns: Vec<_> = batch.turns().collect();
                    prop_assert_eq!(&batch_turns, &sorted(batch_turns.clone()));
                    turns.extend(batch_turns);
                }
                Record::Marker(m) => {
                    // Every turn pushed before the marker is in a batch before it.
                    while let Some(op) = ops.get(op_index) {
                        op_index += 1;
                        match op {
                            Op::Turn(_) => pushed_so_far += 1,
                            Op::Marker(at, kind) if *at == m.at && *kind == m.kind => break,
                            _ => {}
                        }
                    }
                    if turns.len() != pushed_so_far {
                        turns_before_marker_missing = true;
                    }
                    others.push(Op::Marker(m.at, m.kind));
                }
                Record::Condition(c) => others.push(Op::Condition(c.seat, c.at, c.what)),
                Record::Notice(n) => others.push(Op::Notice(n.at, n.what)),
                Record::End(e) => {
                    prop_assert_eq!(e.turns as usize, turns.len());
                    prop_assert_eq!(e.batches as usize, seqs.len());
                    prop_assert!(std::ptr::eq(record, records.last().unwrap()));
                }
                Record::Header(_) => prop_assert!(false, "second header"),
                // What a reader needs when the header is lost: right after
                // batches 0, 1, 32, 64, ...
                Record::Essentials(e) => {
                    prop_assert!(e.matches(&header));
                    prop_assert!(matches!(previous, Some(Record::Turns(_))));
                    essentials_after.push(seqs.len() as u32 - 1);
                }
            }
            previous = Some(*record);
        }
        let batch_bytes: usize = originals.iter().map(|r| common::frame_of(r).len()).sum();
        let copied = batch_bytes <= tabletalk_core::log::COPY_MAX_LEN;
        prop_assert_eq!(copies.len(), if copied { originals.len() } else { 0 });
        let expected: Vec<u32> = (0..seqs.len() as u32)
            .filter(|s| *s < 2 || s % tabletalk_core::log::ESSENTIALS_EVERY == 0)
            .collect();
        prop_assert_eq!(essentials_after, expected);
        prop_assert!(!turns_before_marker_missing);
        let expected_seqs: Vec<u32> = (0..seqs.len() as u32).collect();
        prop_assert_eq!(seqs, expected_seqs);
        let pushed: Vec<LoggedTurn> = ops.iter().filter_map(|op| match op {
            Op::Turn(t) => Some(*t),
            _ => None,
        }).collect();
        prop_assert_eq!(sorted(turns), sorted(pushed));
        let expected_others: Vec<String> = ops.iter().filter(|op| matches!(op,
            Op::Marker(..) | Op::Condition(..) | Op::Notice(..))).map(|op| format!("{op:?}")).collect();
        let others: Vec<String> = others.iter().map(|op| format!("{op:?}")).collect();
        prop_assert_eq!(others, expected_others);
    }

    /// The event path: session milliseconds become ticks of the header's length.
    #[test]
    fn events_are_logged_in_ticks(
        spec in header_spec(16),
        raw in proptest::collection::vec((0..16u8, 0..10_000_000u64, 0..600_000u64, turn_end()), 0..100),
    ) {
        let labels: Vec<&str> = spec.labels.iter().flatten().map(String::as_str).collect();
        let header = spec.header(&labels);
        let n = header.seats.count();
        let mut log = vec![0u8; 64 * 1024];
        let (mut writer, mut len) = LogWriter::start(&header, &mut log).unwrap();
        let mut expected = Vec::new();
        for &(seat, end, dur, how) in &raw {
            let seat = SeatId::new(seat % n).unwrap();
            let start = end.saturating_sub(dur);
            let ev = Event::TurnStarted { seat, at: start };
            log.resize(len + MAX_WRITE_LEN, 0);
            len += writer.push(&ev, &mut log[len..]).unwrap();
            let ev = Event::TurnEnded { seat, start, end, how };
            log.resize(len + MAX_WRITE_LEN, 0);
            len += writer.push(&ev, &mut log[len..]).unwrap();
            let tick = u64::from(spec.tick_ms);
            expected.push(LoggedTurn { seat: seat.get(), start: start / tick, end: end / tick, how });
        }
        log.resize(len + MAX_WRITE_LEN, 0);
        len += writer.finish(0, &mut log[len..]).unwrap();
        log.truncate(len);

        let mut scratch = vec![0u8; log.len()];
        let mut turns = Vec::new();
        for item in SessionReader::new(&log, &mut scratch).unwrap() {
            match item {
                SessionItem::Turn { session, turn } => {
                    prop_assert_eq!(session, spec.session);
                    turns.push(turn);
                }
                SessionItem::Damaged(d) => prop_assert!(false, "{d:?}"),
                SessionItem::MissingBatches { .. } => prop_assert!(false, "missing batches"),
                _ => {}
            }
        }
        prop_assert_eq!(sorted(turns), sorted(expected));
    }

    /// Several sessions in one stream read back session by session.
    #[test]
    fn concatenated_sessions_stay_apart(sessions in proptest::collection::vec(session(20), 1..4)) {
        let mut log = Vec::new();
        let mut expected = Vec::new();
        for (spec, ops, end) in &sessions {
            let labels: Vec<&str> = spec.labels.iter().flatten().map(String::as_str).collect();
            write_session(&spec.header(&labels), ops, *end, &mut log);
            for op in ops {
                if let Op::Turn(t) = op {
                    expected.push((spec.session, *t));
                }
            }
        }
        let mut scratch = vec![0u8; log.len()];
        let reader = SessionReader::new(&log, &mut scratch).unwrap();
        let mut turns = Vec::new();
        let mut current = None;
        for item in reader {
            match item {
                SessionItem::Header(h) => current = Some(h.session),
                SessionItem::Turn { session, turn } => {
                    prop_assert_eq!(Some(session), current);
                    turns.push((session, turn));
                }
                SessionItem::Damaged(d) => prop_assert!(false, "{d:?}"),
                SessionItem::MissingBatches { .. } => prop_assert!(false, "missing"),
                _ => {}
            }
        }
        // Within a session, batches may reorder turns: compare per session.
        let key = |(s, t): &(SessionId, LoggedTurn)| (s.number, s.nonce, t.end, t.seat, t.start, t.how as u8);
        let mut a = turns.clone();
        let mut b = expected.clone();
        a.sort_by_key(key);
        b.sort_by_key(key);
        prop_assert_eq!(a, b);
        prop_assert!(read_frames(&log).iter().all(Result::is_ok));
    }
}
