//! Golden logs: binary logs written by format version 1 and committed in
//! `tests/golden/`. Every later version of tabletalk must decode them to
//! exactly the records below. **Never regenerate or edit these files**; a
//! new format version adds new golden files next to them.
//!
//! The files were made by `TABLETALK_WRITE_GOLDEN=1 cargo test -p
//! tabletalk-core --test golden`, which only writes files that do not exist.
//! The expectations are literal values, independent of the writer.

mod common;

use std::path::PathBuf;

use common::{write_session, Op};
use tabletalk_core::log::{encode_frame, Damage, Item, LogReader, SessionItem, SessionReader};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::records::{
    ConditionRecord, Error, FlushPolicy, Header, LoggedTurn, MarkerRecord, Record, Seats,
    SessionEnd, SessionEssentials, SessionId, StoreEvent, StoreNotice,
};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{Condition, MarkerKind, TurnEnd};

fn golden(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Reads a golden file; with `TABLETALK_WRITE_GOLDEN=1`, first creates it
/// from `make` if it does not exist yet.
fn load(name: &str, make: impl FnOnce() -> Vec<u8>) -> Vec<u8> {
    let path = golden(name);
    if std::env::var_os("TABLETALK_WRITE_GOLDEN").is_some() && !path.exists() {
        std::fs::write(&path, make()).unwrap();
    }
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn items(log: &[u8]) -> Vec<Item<'static>> {
    let log: &'static [u8] = Box::leak(log.to_vec().into_boxed_slice());
    let scratch = Box::leak(vec![0u8; log.len()].into_boxed_slice());
    LogReader::new(log, scratch).unwrap().collect()
}

fn records(log: &[u8]) -> Vec<Record<'static>> {
    items(log)
        .into_iter()
        .map(|item| match item {
            Item::Record {
                record, version, ..
            } => {
                assert_eq!(version, 1);
                record
            }
            Item::Damaged(d) => panic!("{d:?}"),
        })
        .collect()
}

fn t(seat: u8, start: u64, end: u64, how: TurnEnd) -> LoggedTurn {
    LoggedTurn {
        seat,
        start,
        end,
        how,
    }
}

/// The detection parameters as they were when version 1 was frozen, set
/// field by field (defaults may change; these values may not).
fn v1_params() -> DetectionParams {
    let mut p = DetectionParams::default();
    p.button.debounce_ms = 20;
    p.button.long_press_ms = 1500;
    p.button.chatter_ms = 500;
    p.mic.sample_rate_hz = 8000;
    p.mic.frame_rate_hz = 100;
    p.mic.dc_shift = 10;
    p.mic.floor_window_ms = 4000;
    p.mic.on_threshold_db10 = 90;
    p.mic.off_threshold_db10 = 50;
    p.mic.onset_lookback_ms = 150;
    p.mic.hangover_ms = 400;
    p.mic.min_turn_ms = 250;
    p.mic.coupling_initial_db10 = -60;
    p.mic.coupling_step_db10 = 2;
    p.mic.coupling_learn_snr_db10 = 150;
    p.mic.crosstalk_margin_db10 = 40;
    p.mic.flat_q8 = 64;
    p.mic.rail_band_per_mille = 8;
    p.mic.clip_fraction_per_mille = 250;
    p.mic.fault_set_ms = 2000;
    p.mic.fault_clear_ms = 1000;
    p.turns.max_turn_ms = 600_000;
    p.turns.backchannel_max_ms = 1000;
    p.mic.floor_steady_db10 = 60;
    // Parameters 26 to 43 came later: these logs end before them, and a
    // decoder reads them as the values that reproduce how they were made
    // (off).
    p.mic.coupling_mode_frames = 0;
    p.mic.highpass_hz = 0;
    p.mic.arrival_lag_us = 0;
    p.mic.spectral_on = false;
    p.mic.spectral.lead_lo_q14 = 1638;
    p.mic.spectral.lead_hi_q14 = 2294;
    p.mic.spectral.reference_mics = 0;
    p
}

const EXAMPLE_SESSION: SessionId = SessionId {
    number: 1,
    nonce: 0x2A17,
};
const EXAMPLE_KINDS: [InputKind; 2] = [InputKind::Button, InputKind::ButtonAndMicrophone];
const EXAMPLE_LABELS: [&str; 2] = ["Ana", "Bo"];

fn example_header() -> Header<'static> {
    let seats = Seats::new(&EXAMPLE_KINDS)
        .unwrap()
        .with_labels(&EXAMPLE_LABELS)
        .unwrap();
    let mut h = Header::new(EXAMPLE_SESSION, 0x1234, seats);
    h.started_at_unix_ms = Some(1_767_225_600_000); // 2026-01-01T00:00:00Z
    h.params = v1_params();
    h
}

/// The example of `docs/log-format.md`: two seats, a few turns at a 10 ms
/// tick, markers, a condition.
fn make_example() -> Vec<u8> {
    let ops = [
        Op::Marker(0, MarkerKind::Start),
        Op::Turn(t(0, 50, 320, TurnEnd::Natural)),
        Op::Turn(t(1, 300, 410, TurnEnd::Natural)),
        Op::Turn(t(0, 450, 450, TurnEnd::Natural)),
        Op::Marker(500, MarkerKind::Agenda),
        Op::Condition(1, 550, Condition::ButtonChatter),
        Op::Turn(t(1, 600, 800, TurnEnd::Cut)),
    ];
    let mut log = Vec::new();
    write_session(&example_header(), &ops, 900, &mut log);
    log
}

#[test]
fn v1_example_decodes_to_its_records() {
    let log = load("v1-example.ttlog", make_example);
    let records = records(&log);
    assert_eq!(records.len(), 7);
    let Record::Header(h) = records[0] else {
        panic!()
    };
    assert_eq!(h.session, EXAMPLE_SESSION);
    assert_eq!(h.device_id, 0x1234);
    assert_eq!(h.tick_ms, 10);
    assert_eq!(h.started_at_unix_ms, Some(1_767_225_600_000));
    assert_eq!(
        h.flush,
        FlushPolicy {
            max_turns: 32,
            max_age_ms: 120_000
        }
    );
    assert_eq!(h.seats.count(), 2);
    assert_eq!(h.seats.inputs().collect::<Vec<_>>(), EXAMPLE_KINDS);
    assert_eq!(
        h.seats.labels().collect::<Vec<_>>(),
        [Some("Ana"), Some("Bo")]
    );
    assert_eq!(h.params, v1_params());
    assert_eq!(h.params_unknown, 0);

    let s = EXAMPLE_SESSION;
    assert_eq!(
        records[1],
        Record::Marker(MarkerRecord {
            session: s,
            at: 0,
            kind: MarkerKind::Start
        })
    );
    let Record::Turns(b) = records[2] else {
        panic!()
    };
    assert_eq!((b.session(), b.seq()), (s, 0));
    assert_eq!(
        b.turns().collect::<Vec<_>>(),
        [
            t(0, 50, 320, TurnEnd::Natural),
            t(1, 300, 410, TurnEnd::Natural),
            t(0, 450, 450, TurnEnd::Natural)
        ]
    );
    assert_eq!(
        records[3],
        Record::Marker(MarkerRecord {
            session: s,
            at: 500,
            kind: MarkerKind::Agenda
        })
    );
    assert_eq!(
        records[4],
        Record::Condition(ConditionRecord {
            session: s,
            seat: 1,
            at: 550,
            what: Condition::ButtonChatter
        })
    );
    let Record::Turns(b) = records[5] else {
        panic!()
    };
    assert_eq!((b.session(), b.seq()), (s, 1));
    assert_eq!(
        b.turns().collect::<Vec<_>>(),
        [t(1, 600, 800, TurnEnd::Cut)]
    );
    assert_eq!(
        records[6],
        Record::End(SessionEnd {
            session: s,
            at: 900,
            turns: 4,
            batches: 2
        })
    );
}

/// Everything but the header re-encodes to the very same bytes (the
/// header does too while the parameter list has not grown).
#[test]
fn v1_records_encode_as_they_did() {
    for name in ["v1-example.ttlog", "v1-wide.ttlog"] {
        let log = load(name, || unreachable!("made by the decode tests"));
        for item in items(&log) {
            let Item::Record { range, record, .. } = item else {
                panic!()
            };
            if !matches!(record, Record::Header(_)) {
                assert_eq!(common::frame_of(&record), log[range].to_vec(), "{name}");
            }
        }
    }
}

/// `Decision` (marker code 5) came after format version 1's first logs:
/// its frame, byte for byte, and back. The golden files above, which have
/// no decision, decode as before.
#[test]
fn a_decision_marker_is_code_5() {
    let record = Record::Marker(MarkerRecord {
        session: SessionId {
            number: 1,
            nonce: 0x2A17,
        },
        at: 300,
        kind: MarkerKind::Decision,
    });
    // COBS code 0d (twelve bytes, no zero among them): version 1, record
    // 2 (Marker), session 1 / 0x2A17, tick 300 (varint ac 02), marker code
    // 05, the CRC-32C 3b cb 12 b4; the delimiter.
    let frame = common::frame_of(&record);
    assert_eq!(
        frame,
        [0x0d, 0x01, 0x02, 0x01, 0x17, 0x2a, 0xac, 0x02, 0x05, 0x3b, 0xcb, 0x12, 0xb4, 0x00]
    );
    assert_eq!(records(&frame), [record]);
}

const WIDE_SESSION: SessionId = SessionId {
    number: 4_000_000_000,
    nonce: 0xFFFF,
};

fn wide_turns() -> Vec<LoggedTurn> {
    let how = [
        TurnEnd::Natural,
        TurnEnd::Natural,
        TurnEnd::Cut,
        TurnEnd::SessionEnded,
    ];
    let mut turns: Vec<LoggedTurn> = (0..100u64)
        .map(|i| {
            let end = 5_000_000_000 + i * i * 37;
            let len = (i * 7919) % 3000;
            t((i % 20) as u8, end - len, end, how[(i % 4) as usize])
        })
        .collect();
    // Zero-length turns and identical times.
    turns.push(t(19, 5_000_000_000, 5_000_000_000, TurnEnd::Natural));
    turns.push(t(0, 5_000_000_000, 5_000_000_000, TurnEnd::Natural));
    turns.push(t(7, 0, 0, TurnEnd::Natural));
    turns
}

fn make_wide() -> Vec<u8> {
    let kinds = [InputKind::External; 20];
    let names: Vec<String> = (0..20).map(|i| format!("spk{i:02}")).collect();
    let mut labels: Vec<&str> = names.iter().map(String::as_str).collect();
    labels[3] = "";
    labels[4] = "Zoë Ñ 話者";
    let seats = Seats::new(&kinds).unwrap().with_labels(&labels).unwrap();
    let mut h = Header::new(WIDE_SESSION, u64::MAX, seats);
    h.tick_ms = 1;
    h.flush = FlushPolicy {
        max_turns: 64,
        max_age_ms: u32::MAX,
    };
    h.params = v1_params();
    let mut ops: Vec<Op> = Vec::new();
    for kind in [
        MarkerKind::Start,
        MarkerKind::Pause,
        MarkerKind::Resume,
        MarkerKind::Agenda,
        MarkerKind::Stop,
    ] {
        ops.push(Op::Marker(1, kind));
    }
    for (i, what) in [
        Condition::MicSaturated,
        Condition::MicSilent,
        Condition::MicOk,
        Condition::ButtonChatter,
        Condition::ButtonStuck,
        Condition::ButtonOk,
    ]
    .into_iter()
    .enumerate()
    {
        ops.push(Op::Condition(i as u8, 2, what));
    }
    ops.push(Op::Notice(3, StoreEvent::Full));
    ops.push(Op::Notice(3, StoreEvent::Overwritten { bytes: 4096 }));
    ops.push(Op::Notice(3, StoreEvent::Dropped { frames: u32::MAX }));
    ops.extend(wide_turns().into_iter().map(Op::Turn));
    let mut log = Vec::new();
    write_session(&h, &ops, u64::MAX, &mut log);
    log
}

#[test]
fn v1_wide_decodes_to_its_records() {
    let log = load("v1-wide.ttlog", make_wide);
    let records = records(&log);
    let Record::Header(h) = records[0] else {
        panic!()
    };
    assert_eq!(
        (h.session, h.device_id, h.tick_ms, h.started_at_unix_ms),
        (WIDE_SESSION, u64::MAX, 1, None)
    );
    assert_eq!(h.seats.count(), 20);
    assert!(h.seats.inputs().all(|k| k == InputKind::External));
    assert_eq!(h.seats.label(0), Some("spk00"));
    assert_eq!(h.seats.label(3), None);
    assert_eq!(h.seats.label(4), Some("Zoë Ñ 話者"));
    assert_eq!(h.seats.label(19), Some("spk19"));
    assert_eq!(h.params, v1_params());

    let s = WIDE_SESSION;
    let kinds = [
        MarkerKind::Start,
        MarkerKind::Pause,
        MarkerKind::Resume,
        MarkerKind::Agenda,
        MarkerKind::Stop,
    ];
    for (i, kind) in kinds.into_iter().enumerate() {
        assert_eq!(
            records[1 + i],
            Record::Marker(MarkerRecord {
                session: s,
                at: 1,
                kind
            })
        );
    }
    let conditions = [
        Condition::MicSaturated,
        Condition::MicSilent,
        Condition::MicOk,
        Condition::ButtonChatter,
        Condition::ButtonStuck,
        Condition::ButtonOk,
    ];
    for (i, what) in conditions.into_iter().enumerate() {
        assert_eq!(
            records[6 + i],
            Record::Condition(ConditionRecord {
                session: s,
                seat: i as u8,
                at: 2,
                what
            })
        );
    }
    let notices = [
        StoreEvent::Full,
        StoreEvent::Overwritten { bytes: 4096 },
        StoreEvent::Dropped { frames: u32::MAX },
    ];
    for (i, what) in notices.into_iter().enumerate() {
        assert_eq!(
            records[12 + i],
            Record::Notice(StoreNotice {
                session: s,
                at: 3,
                what
            })
        );
    }
    let mut turns = Vec::new();
    for (seq, record) in records[15..records.len() - 1].iter().enumerate() {
        let Record::Turns(b) = record else {
            panic!("{record:?}")
        };
        assert_eq!((b.session(), b.seq()), (s, seq as u32));
        turns.extend(b.turns());
    }
    let mut expected = wide_turns();
    expected.sort_by_key(|t| (t.end, t.seat, t.start, t.how as u8));
    turns.sort_by_key(|t| (t.end, t.seat, t.start, t.how as u8));
    assert_eq!(turns, expected);
    assert_eq!(
        records.last(),
        Some(&Record::End(SessionEnd {
            session: s,
            at: u64::MAX,
            turns: 103,
            batches: 2
        }))
    );
}

/// Two sessions on "flash": the first ends with a frame a power cut tore,
/// the second has a bit flip and garbage in it, erased flash follows.
fn make_damaged() -> Vec<u8> {
    let mut flash = make_example();
    flash.truncate(flash.len() - 5); // tear the end record
    let kinds = [InputKind::Microphone; 3];
    let seats = Seats::new(&kinds).unwrap();
    let mut h = Header::new(
        SessionId {
            number: 2,
            nonce: 0x0BAD,
        },
        0x1234,
        seats,
    );
    h.params = v1_params();
    h.flush.max_turns = 2;
    let ops: Vec<Op> = (0..6u64)
        .map(|i| Op::Turn(t((i % 3) as u8, i * 100, i * 100 + 80, TurnEnd::Natural)))
        .collect();
    let mut second = Vec::new();
    write_session(&h, &ops, 700, &mut second);
    // Frames of the second session: 0x00, header, batches 0..3, end.
    let starts: Vec<usize> = second
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == 0)
        .map(|(i, _)| i + 1)
        .collect();
    // Flip a bit in batch 1 (the third frame), insert garbage after it.
    second[starts[2] + 3] ^= 0x04;
    let garbage = b"\x13\x37garbage\x00\xC0\xFF\xEE\x00";
    second.splice(starts[3]..starts[3], garbage.iter().copied());
    flash.extend(second);
    flash.extend([0xFF; 200]);
    flash
}

#[test]
fn v1_damaged_recovers_every_intact_record() {
    let log = load("v1-damaged.ttlog", make_damaged);
    let items = items(&log);
    let damage: Vec<&Damage> = items
        .iter()
        .filter_map(|i| {
            if let Item::Damaged(d) = i {
                Some(d)
            } else {
                None
            }
        })
        .collect();
    let errors: Vec<Error> = damage.iter().map(|d| d.error).collect();
    // The torn end record (closed by the next session's leading 0x00), the
    // flipped batch, and the two pieces of garbage.
    assert_eq!(
        errors,
        [Error::Cobs, Error::Crc, Error::Cobs, Error::Cobs],
        "{damage:?}"
    );
    let ranges: Vec<_> = damage.iter().map(|d| d.range.clone()).collect();
    assert_eq!(ranges, [166..177, 265..287, 287..297, 297..301]);
    // Erased flash after the last frame is not damage.
    assert_eq!(log.len(), 538);
    let intact = items
        .iter()
        .filter(|i| matches!(i, Item::Record { .. }))
        .count();
    assert_eq!(intact, 6 + 4);

    let mut scratch = vec![0u8; log.len()];
    let mut turns = Vec::new();
    let mut missing = Vec::new();
    let mut headers = 0;
    let mut ends = 0;
    for item in SessionReader::new(&log, &mut scratch).unwrap() {
        match item {
            SessionItem::Header(_) => headers += 1,
            SessionItem::Turn { session, turn } => turns.push((session.number, turn)),
            SessionItem::MissingBatches { session, seqs } => missing.push((session.number, seqs)),
            SessionItem::End(e) => {
                ends += 1;
                assert_eq!(
                    e,
                    SessionEnd {
                        session: SessionId {
                            number: 2,
                            nonce: 0x0BAD
                        },
                        at: 700,
                        turns: 6,
                        batches: 3
                    }
                );
            }
            _ => {}
        }
    }
    assert_eq!((headers, ends), (2, 1));
    // Session 1 lost only its end record; session 2 lost batch 1.
    assert_eq!(turns.iter().filter(|(n, _)| *n == 1).count(), 4);
    let second: Vec<LoggedTurn> = turns
        .iter()
        .filter(|(n, _)| *n == 2)
        .map(|(_, t)| *t)
        .collect();
    assert_eq!(
        second,
        [
            t(0, 0, 80, TurnEnd::Natural),
            t(1, 100, 180, TurnEnd::Natural),
            t(1, 400, 480, TurnEnd::Natural),
            t(2, 500, 580, TurnEnd::Natural),
        ]
    );
    assert_eq!(missing, [(2, 1..2)]);
}

/// The example as writers with the header's copy wrote it, the header
/// frame twice (`v1-example-twice.ttlog`, the writer of December 2026
/// before the session essentials). It reads as the same session as
/// `v1-example.ttlog`, forever.
#[test]
fn v1_example_twice_is_the_example_with_the_header_repeated() {
    let log = load("v1-example-twice.ttlog", || {
        unreachable!("written by the writer of its time")
    });
    // The header differs from v1-example's only in the parameters added
    // since (26 `mic.coupling_mode_frames`, 27 `mic.highpass_hz`); every
    // other record is the same.
    let once = records(&load("v1-example.ttlog", || unreachable!("made above")));
    let twice = records(&log);
    assert_eq!(twice.len(), once.len() + 1);
    assert_eq!(twice[0], twice[1]);
    assert_eq!(twice[2..], once[1..]);
    let (Record::Header(new), Record::Header(old)) = (twice[0], once[0]) else {
        panic!()
    };
    assert_eq!(
        (new.session, new.device_id, new.seats),
        (old.session, old.device_id, old.seats)
    );
    // The session reader takes the copy for the same session.
    let mut scratch = vec![0u8; log.len()];
    let headers = SessionReader::new(&log, &mut scratch)
        .unwrap()
        .filter(|i| matches!(i, SessionItem::Header(_)))
        .count();
    assert_eq!(headers, 1);
}

/// The example as the writer wrote it with the session essentials and
/// before the short sessions' copies (`v1-example-essentials.ttlog`): the
/// header once, and after each of the two batches the essentials (record
/// 6) naming it by its frame's CRC. Without the essentials it is the
/// example of `v1-example-twice.ttlog` less the header's copy.
#[test]
fn v1_example_essentials_is_the_example_with_its_essentials() {
    let log = load("v1-example-essentials.ttlog", || {
        unreachable!("written by the writer of its time")
    });
    let twice = records(&load("v1-example-twice.ttlog", || unreachable!()));
    let now = records(&log);
    assert_eq!(now.len(), twice.len() + 1);
    assert_eq!(now[0], twice[0]);
    assert_eq!(now[1..3], twice[2..4]);
    assert_eq!(now[4..7], twice[4..7]);
    assert_eq!(now[8], twice[7]);
    assert_eq!(now[3], now[7]);
    let Record::Essentials(e) = now[3] else {
        panic!("{:?}", now[3])
    };
    assert_eq!(
        e,
        SessionEssentials {
            session: EXAMPLE_SESSION,
            device_id: 0x1234,
            tick_ms: 10,
            started_at_unix_ms: Some(1_767_225_600_000),
            seat_count: 2,
            header_check: 0x2fbf_69a5,
        }
    );
    // The check is the CRC that ends the header's frame.
    let mut scratch = vec![0u8; log.len()];
    let mut reader = LogReader::new(&log, &mut scratch).unwrap();
    let Some(Item::Record {
        record: Record::Header(h),
        ..
    }) = reader.next()
    else {
        panic!()
    };
    assert_eq!(reader.last_crc(), e.header_check);
    // (`matches` re-encodes the header as this version does, with the
    // parameters added since, so only the frame's own CRC matches here.)
    assert_eq!(e.session, h.session);
    // Read as sessions: the essentials are not an item of their own.
    let old = load("v1-example-twice.ttlog", || unreachable!());
    assert_eq!(session_items(&log), session_items(&old));
}

/// `record` with the header's parameters and the essentials' check of the
/// header blanked: what stays the same when parameters are added.
fn without_parameters(record: &Record<'static>) -> Record<'static> {
    match *record {
        Record::Header(mut h) => {
            h.params = DetectionParams::default();
            h.params_missing = 0;
            h.params_unknown = 0;
            Record::Header(h)
        }
        Record::Essentials(mut e) => {
            e.header_check = 0;
            Record::Essentials(e)
        }
        other => other,
    }
}

/// What `SessionReader` yields from `log` other than the header, as text.
fn session_turns(log: &[u8]) -> String {
    let mut scratch = vec![0u8; log.len()];
    let items: Vec<_> = SessionReader::new(log, &mut scratch)
        .unwrap()
        .filter(|i| !matches!(i, SessionItem::Header(_)))
        .collect();
    format!("{items:?}")
}

/// What `SessionReader` yields from `log`, as text.
fn session_items(log: &[u8]) -> String {
    let mut scratch = vec![0u8; log.len()];
    let items: Vec<_> = SessionReader::new(log, &mut scratch).unwrap().collect();
    format!("{items:?}")
}

/// The example as the writer writes it today (`v1-example-copies.ttlog`):
/// a short session, so after its last batch come essentials until 64
/// bytes separate it from the copies, then both batches again, byte for
/// byte, then the end. It reads as the same session as the three files
/// above: a batch read twice counts once.
#[test]
fn v1_example_copies_is_the_example_with_its_batches_again() {
    let log = load("v1-example-copies.ttlog", make_example);
    // The file holds parameters 1 to 42; the writer writes every parameter
    // it has. Apart from them (and the essentials' check of the header),
    // the writer still writes these records.
    assert_eq!(
        records(&make_example())
            .iter()
            .map(without_parameters)
            .collect::<Vec<_>>(),
        records(&log)
            .iter()
            .map(without_parameters)
            .collect::<Vec<_>>(),
        "the writer still writes these records"
    );
    // The parameters added since (28 to 42) change the header and so the
    // essentials' check of it; everything else is as it was.
    let before: Vec<_> = records(&load("v1-example-essentials.ttlog", || unreachable!()))
        .iter()
        .map(without_parameters)
        .collect();
    let now: Vec<_> = records(&log).iter().map(without_parameters).collect();
    let (end, earlier) = now.split_last().unwrap();
    assert_eq!(Some(end), before.last());
    assert_eq!(earlier[..8], before[..8]);
    let (Record::Turns(b0), Record::Turns(b1)) = (before[2], before[6]) else {
        panic!()
    };
    // Essentials after batch 1 (its own, then two that keep the copies 64
    // bytes away), then the copies.
    assert_eq!(
        earlier[8..],
        [before[3], before[3], Record::Turns(b0), Record::Turns(b1)]
    );
    let frame_len = |r: &Record<'_>| {
        let mut out = [0u8; 256];
        encode_frame(r, &mut out).unwrap()
    };
    // Between the end of batch 1 and the first copy: its essentials and two more.
    assert!(3 * frame_len(&before[3]) >= tabletalk_core::log::COPY_GAP);
    assert!(2 * frame_len(&before[3]) < tabletalk_core::log::COPY_GAP);
    let old = load("v1-example-essentials.ttlog", || unreachable!());
    assert_eq!(session_turns(&log), session_turns(&old));
}

/// A short session keeps its turns when any one of its batch frames, an
/// original or a copy, is zeroed: the other stands in, and counts once.
/// A session of one batch too.
#[test]
fn a_short_session_keeps_its_turns_when_a_batch_is_zeroed() {
    let header = example_header();
    let turn = LoggedTurn {
        seat: 1,
        start: 5,
        end: 40,
        how: TurnEnd::Natural,
    };
    let mut one = Vec::new();
    write_session(&header, &[Op::Turn(turn)], 50, &mut one);
    let batches: Vec<std::ops::Range<usize>> = items(&one)
        .into_iter()
        .filter_map(|i| match i {
            Item::Record {
                range,
                record: Record::Turns(_),
                ..
            } => Some(range),
            _ => None,
        })
        .collect();
    assert_eq!(batches.len(), 2, "the only batch and its copy");
    one[batches[0].start..batches[0].end - 1].fill(0);
    let mut scratch = vec![0u8; one.len()];
    let kept: Vec<_> = SessionReader::new(&one, &mut scratch)
        .unwrap()
        .filter_map(|i| match i {
            SessionItem::Turn { turn, .. } => Some(turn),
            _ => None,
        })
        .collect();
    assert_eq!(kept, [turn]);

    let log = load("v1-example-copies.ttlog", make_example);
    let frames: Vec<std::ops::Range<usize>> = items(&log)
        .into_iter()
        .filter_map(|i| match i {
            Item::Record {
                range,
                record: Record::Turns(_),
                ..
            } => Some(range),
            _ => None,
        })
        .collect();
    assert_eq!(frames.len(), 4, "two batches and their copies");
    let turns_of = |log: &[u8]| {
        let mut scratch = vec![0u8; log.len()];
        SessionReader::new(log, &mut scratch)
            .unwrap()
            .filter_map(|i| match i {
                SessionItem::Turn { turn, .. } => Some(turn),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let missing_of = |log: &[u8]| {
        let mut scratch = vec![0u8; log.len()];
        SessionReader::new(log, &mut scratch)
            .unwrap()
            .filter_map(|i| match i {
                SessionItem::MissingBatches { seqs, .. } => Some(seqs),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let all = turns_of(&log);
    assert_eq!(all.len(), 4);
    for frame in &frames {
        let mut damaged = log.clone();
        damaged[frame.start..frame.end - 1].fill(0);
        let mut kept = turns_of(&damaged);
        kept.sort_by_key(|t| (t.end, t.seat));
        let mut expected = all.clone();
        expected.sort_by_key(|t| (t.end, t.seat));
        assert_eq!(kept, expected, "zeroed {frame:?}");
        // The copy fills the gap: nothing is reported missing.
        assert!(missing_of(&damaged).is_empty(), "zeroed {frame:?}");
    }
    // Batch 1 and its copy both lost: reported missing once, at the end.
    let mut damaged = log.clone();
    for frame in [&frames[1], &frames[3]] {
        damaged[frame.start..frame.end - 1].fill(0);
    }
    assert_eq!(
        missing_of(&damaged),
        vec![std::ops::Range { start: 1, end: 2 }]
    );
}

/// Without its header, the session's essentials give its tick and seats.
#[test]
fn the_essentials_stand_in_for_a_lost_header() {
    // Today's layout too: without the header, the copies still count once.
    for name in ["v1-example-essentials.ttlog", "v1-example-copies.ttlog"] {
        let log = load(name, make_example);
        let header_end = log.iter().skip(1).position(|&b| b == 0).unwrap() + 2;
        let headless = &log[header_end..];
        let mut scratch = vec![0u8; headless.len()];
        let mut reader = SessionReader::new(headless, &mut scratch).unwrap();
        let mut turns = 0;
        while let Some(item) = reader.next() {
            assert!(!matches!(
                item,
                SessionItem::Header(_) | SessionItem::Damaged(_)
            ));
            if let SessionItem::Turn { session, .. } = item {
                turns += 1;
                if turns > 3 {
                    let e = reader
                        .essentials(session)
                        .expect("read after the first batch");
                    assert_eq!((e.tick_ms, e.seat_count), (10, 2));
                }
            }
        }
        assert_eq!(turns, 4);
    }
}

/// The example bytes printed in `docs/log-format.md` are the golden files'.
#[test]
fn the_documented_example_is_the_golden_example() {
    documented_bytes_are("v1-example.ttlog");
    documented_bytes_are("v1-example-twice.ttlog");
    documented_bytes_are("v1-example-essentials.ttlog");
    documented_bytes_are("v1-example-copies.ttlog");
}

fn documented_bytes_are(name: &str) {
    let doc = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/log-format.md"),
    )
    .unwrap();
    let marker = format!("<!-- golden: core/tests/golden/{name} -->");
    let after = &doc[doc.find(&marker).expect("marker in the doc") + marker.len()..];
    let block = after
        .split("```")
        .nth(1)
        .expect("a code block after the marker");
    let hex: Vec<u8> = block
        .lines()
        .skip(1) // the info string ("text")
        .flat_map(str::split_whitespace)
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    assert_eq!(
        hex,
        load(name, || unreachable!("made by the decode tests")),
        "{name}"
    );
}
