//! Property tests: damage never panics the reader, and every frame the
//! damage did not touch is still recovered, in order.

mod common;

use std::ops::Range;

use common::{read_frames, write_session, Op};
use proptest::prelude::*;
use tabletalk_core::log::{SessionItem, SessionReader};
use tabletalk_core::records::{Header, LoggedTurn, Seats, SessionId};
use tabletalk_core::seat::InputKind;
use tabletalk_core::turns::{Condition, MarkerKind, TurnEnd};

/// A log of two sessions with a few dozen frames.
fn clean_log(seed: &[(u8, u16, u16)]) -> Vec<u8> {
    let kinds = [InputKind::Microphone; 5];
    let labels = ["Ana", "Bo", "", "Dee", "Eli"];
    let seats = Seats::new(&kinds).unwrap().with_labels(&labels).unwrap();
    let mut log = Vec::new();
    for number in 0..2u32 {
        let mut header = Header::new(
            SessionId {
                number,
                nonce: 0xA5A5,
            },
            7,
            seats,
        );
        header.flush.max_turns = 8;
        let mut ops = vec![Op::Marker(0, MarkerKind::Start)];
        let mut t = 0u64;
        for (i, &(seat, gap, len)) in seed.iter().enumerate() {
            t += u64::from(gap);
            ops.push(Op::Turn(LoggedTurn {
                seat: seat % 5,
                start: t,
                end: t + u64::from(len),
                how: TurnEnd::Natural,
            }));
            if i % 13 == 12 {
                ops.push(Op::Marker(t, MarkerKind::Agenda));
            }
            if i % 17 == 5 {
                ops.push(Op::Condition(seat % 5, t, Condition::MicSilent));
            }
        }
        write_session(&header, &ops, t + 10_000, &mut log);
    }
    log
}

#[derive(Clone, Debug)]
enum Damage {
    Flip(Vec<(usize, u8)>),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Overwrite(usize, Vec<u8>),
    Erase(usize, usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        proptest::collection::vec((any::<usize>(), 0..8u8), 1..6).prop_map(Damage::Flip),
        any::<usize>().prop_map(Damage::Truncate),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..300)
        )
            .prop_map(|(at, bytes)| Damage::Insert(at, bytes)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..100)
        )
            .prop_map(|(at, bytes)| Damage::Overwrite(at, bytes)),
        (any::<usize>(), 1..400usize).prop_map(|(at, len)| Damage::Erase(at, len)),
    ]
}

/// Applies `damage`; returns the damaged log and, for each original byte
/// position, where it now is (`None` if gone or changed). Insertions count as
/// touching the byte they precede.
fn apply(log: &[u8], damage: &Damage) -> (Vec<u8>, Vec<Option<usize>>) {
    let n = log.len();
    let mut out = log.to_vec();
    let mut map: Vec<Option<usize>> = (0..n).map(Some).collect();
    // An earlier damage may have left nothing: only insertions apply then.
    if n == 0 && !matches!(damage, Damage::Insert(..)) {
        return (out, map);
    }
    match damage {
        Damage::Flip(flips) => {
            for &(at, bit) in flips {
                let at = at % n;
                out[at] ^= 1 << bit;
                map[at] = None;
            }
        }
        Damage::Truncate(len) => {
            let len = len % (n + 1);
            out.truncate(len);
            for m in &mut map[len..] {
                *m = None;
            }
        }
        Damage::Insert(at, bytes) => {
            let at = at % (n + 1);
            out.splice(at..at, bytes.iter().copied());
            for (i, m) in map.iter_mut().enumerate().skip(at) {
                *m = Some(i + bytes.len());
            }
            if at < n {
                map[at] = None;
            }
        }
        Damage::Overwrite(at, bytes) => {
            let at = at % n;
            for (i, &b) in bytes.iter().enumerate() {
                if let Some(slot) = out.get_mut(at + i) {
                    if *slot != b {
                        *slot = b;
                        map[at + i] = None;
                    }
                }
            }
        }
        Damage::Erase(at, len) => {
            let at = at % n;
            for i in at..(at + len).min(n) {
                if out[i] != 0xFF {
                    out[i] = 0xFF;
                    map[i] = None;
                }
            }
        }
    }
    (out, map)
}

/// A frame survives if none of its bytes, nor the delimiter before it,
/// changed.
fn untouched(range: &Range<usize>, map: &[Option<usize>]) -> bool {
    let from = range.start.saturating_sub(1);
    (from..range.end).all(|i| map[i].is_some())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn untouched_frames_survive_any_damage(
        seed in proptest::collection::vec((any::<u8>(), 0..3000u16, 0..2000u16), 1..80),
        damages in proptest::collection::vec(damage(), 1..3),
    ) {
        let log = clean_log(&seed);
        let frames: Vec<(Range<usize>, Vec<u8>)> =
            read_frames(&log).into_iter().map(|f| f.unwrap()).collect();
        let mut damaged = log.clone();
        let mut map: Vec<Option<usize>> = (0..log.len()).map(Some).collect();
        for d in &damages {
            let (next, step) = apply(&damaged, d);
            map = map.iter().map(|m| m.and_then(|i| step[i])).collect();
            damaged = next;
        }
        let recovered: Vec<Vec<u8>> = read_frames(&damaged).into_iter().filter_map(Result::ok).map(|(_, f)| f).collect();
        // Every untouched frame is among the recovered ones, in order.
        let mut rest = recovered.iter();
        for (range, frame) in &frames {
            if untouched(range, &map) {
                prop_assert!(
                    rest.any(|r| r == frame),
                    "frame at {range:?} lost after {damages:?}"
                );
            }
        }
        // The session layer copes too (and never panics).
        let mut scratch = vec![0u8; damaged.len()];
        let mut damaged_bytes = 0;
        for item in SessionReader::new(&damaged, &mut scratch).unwrap() {
            if let SessionItem::Damaged(d) = item {
                prop_assert!(d.range.start < d.range.end && d.range.end <= damaged.len());
                damaged_bytes += d.range.len();
            }
        }
        prop_assert!(damaged_bytes <= damaged.len());
    }

    /// Arbitrary bytes: nothing panics, every item lies inside the input,
    /// and items cover disjoint, increasing ranges.
    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let mut last_end = 0;
        for item in read_frames(&bytes) {
            let range = match item {
                Ok((range, _)) => range,
                Err(d) => d.range,
            };
            prop_assert!(range.start >= last_end && range.end <= bytes.len());
            last_end = range.end;
        }
    }

    /// Garbage built from frame-like pieces (right CRC, wrong contents) is
    /// rejected field by field without panicking.
    #[test]
    fn well_framed_garbage_never_panics(payload in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut log = common::frame_v1(&payload);
        let mut tagged = vec![1u8]; // a turn batch
        tagged.extend_from_slice(&payload);
        log.extend(common::frame_v1(&tagged));
        let mut header = vec![0u8];
        header.extend_from_slice(b"TTLG");
        header.extend_from_slice(&payload);
        log.extend(common::frame_v1(&header));
        let mut scratch = vec![0u8; log.len()];
        for _ in SessionReader::new(&log, &mut scratch).unwrap() {}
    }
}
