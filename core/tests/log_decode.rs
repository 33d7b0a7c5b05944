//! Decoding: every kind of bad input gets its precise error, in bounded
//! time and memory, and the reader carries on after it.

mod common;

use common::{frame_raw, frame_v1, read_frames, write_session, Op};
use tabletalk_core::log::{decode_frame, Damage, Item, LogReader, SessionItem, SessionReader};
use tabletalk_core::records::{Error, Header, LoggedTurn, Record, Seats, SessionId, MAX_LABEL_LEN};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{MarkerKind, TurnEnd};

/// Session 1, nonce 0x0302 on the wire.
const SESSION: [u8; 3] = [0x01, 0x02, 0x03];

/// A header payload from its variable parts.
fn header_payload(
    tick: &[u8],
    flush: &[u8],
    inputs: &[u8],
    labels: &[u8],
    params: &[u8],
) -> Vec<u8> {
    let mut p = vec![0x00];
    p.extend_from_slice(b"TTLG");
    p.extend_from_slice(&SESSION);
    p.push(0x05); // device id
    p.extend_from_slice(tick);
    p.push(0x00); // no wall clock
    p.extend_from_slice(flush);
    p.extend_from_slice(inputs);
    p.extend_from_slice(labels);
    p.extend_from_slice(params);
    p
}

fn good_header() -> Vec<u8> {
    header_payload(&[10], &[32, 0xC0, 0xA9, 0x07], &[2, 0, 1], &[0], &[0])
}

fn decode(frame: &[u8]) -> Result<Record<'static>, Error> {
    let scratch = Box::leak(vec![0u8; frame.len()].into_boxed_slice());
    let body = &frame[..frame.len() - 1];
    decode_frame(body, scratch).map(|(_, r)| r)
}

#[test]
fn a_hand_made_header_decodes() {
    let Record::Header(h) = decode(&frame_v1(&good_header())).unwrap() else {
        panic!()
    };
    assert_eq!(
        h.session,
        SessionId {
            number: 1,
            nonce: 0x0302
        }
    );
    assert_eq!(
        (h.device_id, h.tick_ms, h.started_at_unix_ms),
        (5, 10, None)
    );
    assert_eq!((h.flush.max_turns, h.flush.max_age_ms), (32, 120_000));
    assert_eq!(h.seats.count(), 2);
    assert_eq!(h.seats.input(1), Some(InputKind::Microphone));
    assert!(!h.seats.has_labels());
    // An empty parameter list: all of them missing, all defaults except
    // those that came later, which read as the devices without them ran.
    let mut expected = tabletalk_core::params::DetectionParams::default();
    expected.mic.coupling_mode_frames = 0;
    expected.mic.highpass_hz = 0;
    expected.mic.arrival_lag_us = 0;
    expected.mic.spectral_on = false;
    expected.mic.spectral.lead_lo_q14 = 1638;
    expected.mic.spectral.lead_hi_q14 = 2294;
    expected.mic.spectral.reference_mics = 0;
    assert_eq!(h.params, expected);
    assert!(h.params_missing > 0);
}

#[test]
fn hostile_headers_get_precise_errors() {
    let cases: Vec<(Vec<u8>, Error)> = vec![
        // No seats at all.
        (
            header_payload(&[10], &[32, 0], &[0], &[0], &[0]),
            Error::SeatCount,
        ),
        // An input-kind code from the future.
        (
            header_payload(&[10], &[32, 0], &[1, 9], &[0], &[0]),
            Error::UnknownInputKind(9),
        ),
        // Tick of zero ms.
        (
            header_payload(&[0], &[32, 0], &[1, 0], &[0], &[0]),
            Error::ZeroTick,
        ),
        // Batches of 0 and of 65 turns.
        (
            header_payload(&[10], &[0, 0], &[1, 0], &[0], &[0]),
            Error::FlushPolicy,
        ),
        (
            header_payload(&[10], &[65, 0], &[1, 0], &[0], &[0]),
            Error::FlushPolicy,
        ),
        // Labels for 1 of 2 seats.
        (
            header_payload(&[10], &[32, 0], &[2, 0, 0], &[2, 1, b'A'], &[0]),
            Error::LabelCount,
        ),
        // A label longer than 64 bytes.
        (
            header_payload(
                &[10],
                &[32, 0],
                &[1, 0],
                &[{ 66 }, 65]
                    .iter()
                    .copied()
                    .chain([b'x'; 65])
                    .collect::<Vec<_>>(),
                &[0],
            ),
            Error::LabelTooLong,
        ),
        // A label that is not UTF-8.
        (
            header_payload(&[10], &[32, 0], &[1, 0], &[2, 1, 0xC3], &[0]),
            Error::Malformed,
        ),
        // A byte string claiming 4 GiB.
        (
            header_payload(&[10], &[32, 0], &[0xFF, 0xFF, 0xFF, 0xFF, 0x0F], &[], &[]),
            Error::Malformed,
        ),
        // An 11-byte varint for the tick.
        (
            header_payload(&[0xFF; 11], &[32, 0], &[1, 0], &[0], &[0]),
            Error::Malformed,
        ),
        // A u16 tick of 70 000.
        (
            header_payload(&[0xF0, 0xA2, 0x04], &[32, 0], &[1, 0], &[0], &[0]),
            Error::Malformed,
        ),
        // A parameter value out of its type's range (debounce_ms: u16).
        (
            header_payload(&[10], &[32, 0], &[1, 0], &[0], &[3, 0xF0, 0xA2, 0x04]),
            Error::Malformed,
        ),
        // Cut short.
        (good_header()[..12].to_vec(), Error::Malformed),
    ];
    for (payload, want) in cases {
        assert_eq!(
            decode(&frame_v1(&payload)).err(),
            Some(want),
            "{payload:02x?}"
        );
    }
    // Bytes after a complete record.
    let mut long = good_header();
    long.push(0);
    assert_eq!(decode(&frame_v1(&long)).err(), Some(Error::TrailingBytes));
    // Another schema: not a log.
    let mut other = good_header();
    other[1..5].copy_from_slice(b"XXXX");
    assert_eq!(decode(&frame_v1(&other)).err(), Some(Error::NotALog));
}

#[test]
fn the_largest_header_decodes_in_bounded_memory() {
    let kinds = [InputKind::External; 255];
    let names: Vec<String> = (0..255).map(|i| format!("{i:0>64}")).collect();
    let labels: Vec<&str> = names.iter().map(String::as_str).collect();
    let seats = Seats::new(&kinds).unwrap().with_labels(&labels).unwrap();
    let header = Header::new(SessionId::default(), 0, seats);
    let mut log = Vec::new();
    write_session(&header, &[], 0, &mut log);
    assert!(log.len() > 255 * 65);
    let mut scratch = vec![0u8; log.len()];
    let mut items = LogReader::new(&log, &mut scratch).unwrap();
    let Some(Item::Record {
        record: Record::Header(back),
        ..
    }) = items.next()
    else {
        panic!()
    };
    assert_eq!(back.seats.count(), 255);
    assert_eq!(back.seats.label(254).map(str::len), Some(MAX_LABEL_LEN));
    assert_eq!(back, header);
    // More seats or longer labels cannot even be written.
    assert_eq!(
        Seats::new(&[InputKind::Button; 256]).err(),
        Some(Error::SeatCount)
    );
    let long = "x".repeat(65);
    assert_eq!(
        Seats::new(&kinds[..1])
            .unwrap()
            .with_labels(&[long.as_str()])
            .err(),
        Some(Error::LabelTooLong)
    );
}

/// A batch payload: session, seq 0, first end, count, bit stream.
fn batch_payload(first_end: &[u8], count: u8, bits: &[u8]) -> Vec<u8> {
    let mut p = vec![0x01];
    p.extend_from_slice(&SESSION);
    p.push(0); // seq
    p.extend_from_slice(first_end);
    p.push(count);
    p.push(bits.len() as u8);
    p.extend_from_slice(bits);
    p
}

#[test]
fn hostile_batches_get_precise_errors() {
    // Preamble: seat bits 0000, k_gap 000000, k_dur 000000, has_how 0 = 17
    // zero bits, then per turn (k = 0): gap "0", duration "0".
    let ok = batch_payload(&[100], 2, &[0, 0, 0]);
    let Record::Turns(batch) = decode(&frame_v1(&ok)).unwrap() else {
        panic!()
    };
    let turns: Vec<LoggedTurn> = batch.turns().collect();
    let zero = |end| LoggedTurn {
        seat: 0,
        start: end,
        end,
        how: TurnEnd::Natural,
    };
    assert_eq!(turns, [zero(100), zero(100)]); // zero-length, identical times

    let cases: Vec<(Vec<u8>, Error)> = vec![
        (batch_payload(&[100], 0, &[0, 0, 0]), Error::BatchSize),
        (batch_payload(&[100], 65, &[0; 40]), Error::BatchSize),
        // Seat bits 9.
        (
            batch_payload(&[100], 1, &[0x90, 0, 0, 0]),
            Error::BadBitstream,
        ),
        // Bits run out: 40 turns cannot fit 3 bytes.
        (batch_payload(&[100], 40, &[0, 0, 0]), Error::BadBitstream),
        // Non-zero padding.
        (batch_payload(&[100], 2, &[0, 0, 0x01]), Error::BadBitstream),
        // A whole spare byte after the turns.
        (batch_payload(&[100], 2, &[0, 0, 0, 0]), Error::BadBitstream),
        // Duration 1 ("10" with k = 0) at end 0: starts before tick 0.
        (
            batch_payload(&[0], 1, &[0, 0, 0x40]),
            Error::TurnEndsBeforeStart,
        ),
        // First end u64::MAX, then a gap of 1: past the end of time.
        (
            batch_payload(
                &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01],
                2,
                &[0, 0, 0x20],
            ),
            Error::TimeOverflow,
        ),
        // A unary run of all ones: runs out, no endless loop.
        (
            batch_payload(&[100], 1, &[0, 0, 0x7F, 0xFF, 0xFF, 0xFF]),
            Error::BadBitstream,
        ),
    ];
    for (payload, want) in cases {
        assert_eq!(
            decode(&frame_v1(&payload)).err(),
            Some(want),
            "{payload:02x?}"
        );
    }
}

#[test]
fn frames_from_the_future_are_reported_as_such() {
    let marker = [0x02, 0x01, 0x02, 0x03, 0x05, 0x04];
    assert!(decode(&frame_v1(&marker)).is_ok());
    assert_eq!(
        decode(&frame_raw(2, &marker)).err(),
        Some(Error::UnknownVersion(2))
    );
    assert_eq!(
        decode(&frame_raw(0, &marker)).err(),
        Some(Error::UnknownVersion(0))
    );
    let mut newer = marker;
    newer[0] = 0x07;
    assert_eq!(
        decode(&frame_v1(&newer)).err(),
        Some(Error::UnknownRecord(7))
    );
    let mut kind = marker;
    kind[5] = 0x63;
    assert_eq!(
        decode(&frame_v1(&kind)).err(),
        Some(Error::UnknownCode(0x63))
    );
}

#[test]
fn frame_level_errors() {
    let mut frame = frame_v1(&[0x02, 0x01, 0x02, 0x03, 0x05, 0x04]);
    let last = frame.len() - 2;
    frame[last] ^= 0x10;
    assert_eq!(decode(&frame).err(), Some(Error::Crc));
    assert_eq!(decode(&[0x02, 0x01, 0x00]).err(), Some(Error::TooShort));
    assert_eq!(decode(&[0x09, 0x01, 0x02, 0x00]).err(), Some(Error::Cobs));
    let mut small = [0u8; 2];
    assert_eq!(
        decode_frame(&[0x05, 1, 2, 3, 4], &mut small).err(),
        Some(Error::ScratchTooSmall)
    );
}

fn example_log() -> Vec<u8> {
    let kinds = [InputKind::Button; 3];
    let header = Header::new(
        SessionId {
            number: 4,
            nonce: 9,
        },
        1,
        Seats::new(&kinds).unwrap(),
    );
    let turn = |seat, start, end| {
        Op::Turn(LoggedTurn {
            seat,
            start,
            end,
            how: TurnEnd::Natural,
        })
    };
    let ops = [
        turn(0, 0, 50),
        Op::Flush,
        turn(1, 60, 90),
        Op::Marker(100, MarkerKind::Agenda),
        turn(2, 100, 130),
    ];
    let mut log = Vec::new();
    write_session(&header, &ops, 200, &mut log);
    log
}

#[test]
fn erased_flash_and_zero_runs_are_not_damage() {
    let mut log = vec![0u8; 5];
    log.extend(example_log());
    log.extend([0u8; 7]);
    log.extend(example_log());
    log.extend([0xFFu8; 300]);
    let items = read_frames(&log);
    assert!(items.iter().all(Result::is_ok), "{items:?}");
    // header, batch 0 and its essentials, batch 1 and its essentials,
    // marker, batch 2, then (a short session) four essentials to keep the
    // copies 64 bytes away, the copies of batches 0, 1 and 2, end
    assert_eq!(items.len(), 2 * (8 + 4 + 3));
}

#[test]
fn a_torn_last_frame_is_unterminated_and_earlier_frames_survive() {
    let log = example_log();
    let whole = read_frames(&log).len();
    for cut in 2..8 {
        let torn = &log[..log.len() - cut];
        let items = read_frames(torn);
        let (last, intact) = items.split_last().unwrap();
        assert_eq!(intact.len(), whole - 1, "cut {cut}");
        assert!(intact.iter().all(Result::is_ok));
        let Err(Damage { range, error }) = last else {
            panic!("cut {cut}: {last:?}")
        };
        assert_eq!(*error, Error::Unterminated);
        assert_eq!(range.end, torn.len());
    }
    // Only the delimiter lost: the frame is intact and still read.
    let items = read_frames(&log[..log.len() - 1]);
    assert_eq!(items.len(), whole);
    assert!(items.iter().all(Result::is_ok));
    // A torn frame followed by erased flash.
    let mut flash = log[..log.len() - 4].to_vec();
    flash.extend([0xFF; 64]);
    let items = read_frames(&flash);
    assert_eq!(items.iter().filter(|i| i.is_ok()).count(), whole - 1);
    assert!(matches!(
        items.last(),
        Some(Err(Damage {
            error: Error::Unterminated,
            ..
        }))
    ));
}

#[test]
fn a_new_session_after_a_torn_frame_still_decodes() {
    // Power lost in the middle of a frame; the next session starts right
    // after the torn bytes. Its leading 0x00 keeps its header intact.
    let log = example_log();
    let whole = read_frames(&log).len();
    let mut flash = log[..log.len() - 6].to_vec();
    flash.extend(example_log());
    let items = read_frames(&flash);
    assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
    assert_eq!(
        items.iter().filter(|i| i.is_ok()).count(),
        whole - 1 + whole
    );
}

#[test]
fn text_is_not_a_log() {
    let text = b"SPEAKER ES2011a 1 34.27 10.12 <NA> <NA> FEE041 <NA> <NA>\n\0more text\0";
    let items = read_frames(text);
    assert!(!items.is_empty());
    assert!(items.iter().all(Result::is_err));
    assert_eq!(
        LogReader::new(text, &mut [0u8; 4]).err(),
        Some(Error::ScratchTooSmall)
    );
}

#[test]
fn the_session_reader_reports_lost_batches_and_bad_seats() {
    let kinds = [InputKind::Button; 2];
    let mut header = Header::new(
        SessionId {
            number: 3,
            nonce: 3,
        },
        0,
        Seats::new(&kinds).unwrap(),
    );
    header.flush.max_turns = 1;
    let ops: Vec<Op> = (0..5)
        .map(|i| {
            Op::Turn(LoggedTurn {
                seat: i % 2,
                start: 10 * u64::from(i),
                end: 10 * u64::from(i) + 5,
                how: TurnEnd::Natural,
            })
        })
        .collect();
    let mut log = Vec::new();
    write_session(&header, &ops, 100, &mut log);
    let frames: Vec<_> = read_frames(&log).into_iter().map(Result::unwrap).collect();
    // The header, 5 batches, the essentials after batches 0 and 1, four
    // essentials and the 5 batches' copies (a short session), the end.
    assert_eq!(frames.len(), 1 + 5 + 2 + 4 + 5 + 1);
    // Lose batches 1 and 4 (frames 3 and 7) and their copies.
    let lost = [frames[3].1.clone(), frames[7].1.clone()];
    let mut lossy = Vec::new();
    for (range, bytes) in &frames {
        if !lost.contains(bytes) {
            lossy.extend_from_slice(&log[range.clone()]);
        }
    }
    // And add a batch of this session naming seat 3 of 2.
    let batch = {
        // Session 3 nonce 3, seq 7, first end 7, 1 turn.
        let mut p = vec![0x01, 0x03, 0x03, 0x00, 0x07, 0x07, 0x01];
        // Seat bits 2, k 0 and 0, no end flags; seat 3; duration 0.
        p.extend_from_slice(&[3, 0b0010_0000, 0x00, 0b0110_0000]);
        frame_v1(&p)
    };
    lossy.extend_from_slice(&batch);

    let mut scratch = vec![0u8; lossy.len()];
    let items: Vec<SessionItem<'_>> = SessionReader::new(&lossy, &mut scratch).unwrap().collect();
    let missing: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            SessionItem::MissingBatches { seqs, .. } => Some(seqs.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(missing, [1..2, 4..5]);
    let turns = items
        .iter()
        .filter(|i| matches!(i, SessionItem::Turn { .. }))
        .count();
    assert_eq!(turns, 3);
    assert!(matches!(
        items.last(),
        Some(SessionItem::Damaged(Damage {
            error: Error::SeatOutOfRange,
            ..
        }))
    ));
}
