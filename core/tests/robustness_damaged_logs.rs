//! Damaged logs: bit flips, truncation, duplicated and reordered chunks,
//! zero-filled and erased (0xFF) regions, and logs of another format
//! version in between — on a realistic log of three recorded meetings.
//!
//! For every damaged copy the reader must recover every frame that is still
//! there intact (its exact bytes, between delimiters), yield nothing that
//! is not an original frame, report every other byte as damage (except the
//! zero runs and erased chunks it skips by design), and never put a turn
//! into a session it does not belong to.

mod robustness_support;

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use robustness_support::{clean_frames, log_frame, log_payload, Device, SessionTruth};
use tabletalk_core::log::{Damage, Item, LogReader, SessionItem, SessionReader};
use tabletalk_core::records::{Error, LoggedTurn, SessionId};
use tabletalk_core::time::Instant;

/// Three meetings (8, 5 and 12 minutes, 6 button seats) on one device.
fn recorded() -> (Vec<u8>, Vec<SessionTruth>) {
    let mut device = Device::<16>::buttons(6, Instant(1_000));
    for (i, minutes) in [8u64, 5, 12].into_iter().enumerate() {
        device.meeting(minutes * 60_000, i as u64 + 1);
        device.advance(90_000);
    }
    let log = device.log();
    assert!(
        device.sessions.iter().all(|s| s.turns.len() > 40),
        "meetings too small"
    );
    (log, device.sessions)
}

/// What reading a (damaged) log gave.
struct Read {
    /// `(range, frame bytes)` of every intact record.
    records: Vec<(Range<usize>, Vec<u8>)>,
    damage: Vec<Damage>,
}

fn read(log: &[u8]) -> Read {
    let mut scratch = vec![0u8; log.len()];
    let mut records = Vec::new();
    let mut damage = Vec::new();
    for item in LogReader::new(log, &mut scratch).unwrap() {
        match item {
            Item::Record { range, version, .. } => {
                assert_eq!(version, 1);
                records.push((range.clone(), log[range].to_vec()));
            }
            Item::Damaged(d) => damage.push(d),
        }
    }
    Read { records, damage }
}

/// Where `frame` occurs in `log` as a whole frame: right after a `0x00`
/// (or at the start) and ending with its own `0x00`.
/// A frame at the very end that lost only its delimiter counts too.
fn occurrences(log: &[u8], frame: &[u8]) -> Vec<usize> {
    let mut at: Vec<usize> = log
        .windows(frame.len())
        .enumerate()
        .filter(|&(at, w)| w == frame && (at == 0 || log[at - 1] == 0))
        .map(|(at, _)| at)
        .collect();
    let body = &frame[..frame.len() - 1];
    if let Some(start) = log.len().checked_sub(body.len()) {
        if log.ends_with(body) && (start == 0 || log[start - 1] == 0) {
            at.push(start);
        }
    }
    at
}

/// Checks one damaged copy against the clean frames; returns the clean
/// frames that were lost.
fn check(
    damaged: &[u8],
    frames: &[(Range<usize>, Vec<u8>)],
    truth: &[SessionTruth],
    what: &str,
) -> Vec<usize> {
    let got = read(damaged);
    // Every record is an original frame, found where that frame occurs.
    let originals: HashSet<&[u8]> = frames.iter().map(|(_, f)| f.as_slice()).collect();
    for (range, bytes) in &got.records {
        // A frame whose delimiter was lost (truncation) is read all the same.
        let whole = if bytes.last() == Some(&0) {
            bytes.clone()
        } else {
            [bytes.as_slice(), &[0]].concat()
        };
        assert!(
            originals.contains(whole.as_slice()),
            "{what}: a record at {range:?} is no original frame"
        );
    }
    // Every original frame still there whole is recovered, at each place.
    let found: HashSet<usize> = got.records.iter().map(|(r, _)| r.start).collect();
    let mut lost = Vec::new();
    for (i, (range, frame)) in frames.iter().enumerate() {
        let at = occurrences(damaged, frame);
        for &p in &at {
            assert!(
                found.contains(&p),
                "{what}: frame {i} is intact at {p} but was not recovered"
            );
        }
        // Frames with equal bytes (a header and its copy) are told apart
        // by place: one of them is lost when fewer copies remain, and it is
        // the one whose place lost it.
        let twins: Vec<usize> = frames
            .iter()
            .filter(|(_, f)| f == frame)
            .map(|(r, _)| r.start)
            .collect();
        let missing = twins.len().saturating_sub(at.len());
        let misplaced: Vec<usize> = twins.iter().copied().filter(|p| !at.contains(p)).collect();
        if misplaced.iter().take(missing).any(|&p| p == range.start) {
            lost.push(i);
        }
    }
    // Every byte is in a record, in a damaged range, or skipped by design
    // (runs of 0x00, chunks of 0xFF).
    let mut covered = vec![false; damaged.len()];
    for range in got
        .records
        .iter()
        .map(|(r, _)| r)
        .chain(got.damage.iter().map(|d| &d.range))
    {
        assert!(range.end <= damaged.len());
        for c in &mut covered[range.clone()] {
            assert!(!*c, "{what}: overlapping items at {range:?}");
            *c = true;
        }
    }
    let mut i = 0;
    while i < damaged.len() {
        if covered[i] {
            i += 1;
            continue;
        }
        let j = (i..damaged.len())
            .find(|&j| covered[j])
            .unwrap_or(damaged.len());
        let gap = &damaged[i..j];
        assert!(
            gap.split(|&b| b == 0)
                .all(|chunk| chunk.iter().all(|&b| b == 0xFF)),
            "{what}: bytes {i}..{j} neither read nor reported"
        );
        i = j;
    }
    never_mixes_sessions(damaged, truth, what);
    lost
}

/// Every turn the session reader yields belongs to the session it names.
fn never_mixes_sessions(log: &[u8], truth: &[SessionTruth], what: &str) {
    let by_session: HashMap<SessionId, HashSet<LoggedTurn>> = truth
        .iter()
        .map(|s| (s.id, s.turns.iter().copied().collect()))
        .collect();
    let mut scratch = vec![0u8; log.len()];
    for item in SessionReader::new(log, &mut scratch).unwrap() {
        if let SessionItem::Turn { session, turn } = item {
            let known = by_session.get(&session);
            assert!(
                known.is_some_and(|turns| turns.contains(&turn)),
                "{what}: {turn:?} attributed to session {session}"
            );
        }
    }
}

#[test]
fn a_clean_log_reads_back_exactly() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    eprintln!(
        "the damaged-log corpus: {} bytes, {} frames, {} sessions, {} turns",
        log.len(),
        frames.len(),
        truth.len(),
        truth.iter().map(|s| s.turns.len()).sum::<usize>()
    );
    assert!(check(&log, &frames, &truth, "clean").is_empty());
    let mut scratch = vec![0u8; log.len()];
    let mut turns: HashMap<SessionId, Vec<LoggedTurn>> = HashMap::new();
    for item in SessionReader::new(&log, &mut scratch).unwrap() {
        match item {
            SessionItem::Turn { session, turn } => turns.entry(session).or_default().push(turn),
            SessionItem::Damaged(_) | SessionItem::MissingBatches { .. } => panic!("{item:?}"),
            _ => {}
        }
    }
    for s in &truth {
        assert_eq!(
            robustness_support::sorted(turns.remove(&s.id).unwrap_or_default()),
            robustness_support::sorted(s.turns.clone())
        );
    }
}

#[test]
fn a_bit_flip_anywhere_loses_only_the_frames_it_touches() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    for at in 0..log.len() {
        let mut damaged = log.clone();
        damaged[at] ^= 1 << (at % 8);
        let lost = check(&damaged, &frames, &truth, &format!("flip at {at}"));
        // The frame holding the byte, and its successor if the byte was
        // that frame's delimiter.
        let touched: Vec<usize> = frames
            .iter()
            .enumerate()
            .filter(|(_, (r, _))| r.contains(&at) || (log[at] == 0 && r.start == at + 1))
            .map(|(i, _)| i)
            .collect();
        assert_eq!(lost, touched, "flip at {at}");
        // And the loss is reported where it is.
        let got = read(&damaged);
        if !touched.is_empty() {
            assert!(
                got.damage
                    .iter()
                    .any(|d| d.range.contains(&at) || d.range.start == at + 1),
                "flip at {at}: no damage reported there: {:?}",
                got.damage
            );
        }
    }
}

#[test]
fn truncation_at_every_byte_keeps_every_frame_before_the_cut() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    for cut in 0..=log.len() {
        let damaged = &log[..cut];
        let lost = check(damaged, &frames, &truth, &format!("cut at {cut}"));
        // A frame survives if it ends before the cut (its delimiter may go).
        let expected: Vec<usize> = (0..frames.len())
            .filter(|&i| frames[i].0.end > cut + 1)
            .collect();
        assert_eq!(lost, expected, "cut at {cut}");
        let got = read(damaged);
        // The torn tail, if any, is the one damaged range, and it is at the end.
        assert!(got.damage.len() <= 1, "cut at {cut}: {:?}", got.damage);
        if let Some(d) = got.damage.first() {
            assert_eq!(d.range.end, cut);
            assert_eq!(d.error, Error::Unterminated);
        }
    }
}

#[test]
fn duplicated_and_reordered_chunks() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    let n = log.len();
    let mut cases = 0;
    for step in [97usize, 389, 1201] {
        for a in (0..n).step_by(step) {
            let len = (a * 7 % 300) + 1;
            let b = (a + len).min(n);
            // Duplicate [a, b) at c.
            let c = (a * 13 + 5) % n;
            let mut dup = log.clone();
            dup.splice(c..c, log[a..b].iter().copied());
            let lost = check(&dup, &frames, &truth, &format!("dup {a}..{b} at {c}"));
            // Only frames cut by the insertion point can be lost.
            assert!(lost.len() <= 1, "dup {a}..{b} at {c}: lost {lost:?}");
            // Swap [a, b) with the chunk of the same length at c.
            if c >= b && c + len <= n {
                let mut swapped = log.clone();
                let (first, second) = (log[a..b].to_vec(), log[c..c + len].to_vec());
                swapped.splice(c..c + len, first);
                swapped.splice(a..b, second);
                check(
                    &swapped,
                    &frames,
                    &truth,
                    &format!("swap {a}..{b} with {c}"),
                );
            }
            cases += 1;
        }
    }
    assert!(cases > 20);
    // Whole frames in another order: every one is still read.
    let mut reordered: Vec<u8> = Vec::new();
    for (range, _) in frames.iter().rev() {
        reordered.push(0);
        reordered.extend_from_slice(&log[range.clone()]);
    }
    assert!(check(&reordered, &frames, &truth, "reversed frames").is_empty());
}

/// A region of `len` bytes at `at` overwritten with `fill`.
fn filled(log: &[u8], at: usize, len: usize, fill: u8) -> Vec<u8> {
    let mut out = log.to_vec();
    let end = (at + len).min(out.len());
    out[at..end].fill(fill);
    out
}

#[test]
fn zero_filled_and_erased_regions() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    for fill in [0x00u8, 0xFF] {
        for at in (0..log.len()).step_by(53) {
            for len in [1usize, 7, 64, 512] {
                let end = (at + len).min(log.len());
                let damaged = filled(&log, at, len, fill);
                let what = format!("{fill:#04x} fill {at}..{end}");
                let lost = check(&damaged, &frames, &truth, &what);
                // Exactly the frames the region touches are lost (a
                // delimiter kept as it was keeps its frames apart).
                let touched: Vec<usize> = (0..frames.len())
                    .filter(|&i| {
                        let r = &frames[i].0;
                        let changed =
                            (r.start..r.end).any(|p| p >= at && p < end && log[p] != fill);
                        let before = r.start > at && r.start - 1 < end && fill != 0;
                        changed || before
                    })
                    .collect();
                assert_eq!(lost, touched, "{what}");
                // Located: unless the region covers whole frames exactly, a
                // damaged range touches it.
                let got = read(&damaged);
                // Whole frames filled (their delimiters aside) leave
                // nothing to see: only a frame filled in part must show.
                let exact = lost.iter().all(|&i| {
                    let r = &frames[i].0;
                    r.start >= at && r.end - 1 <= end
                });
                if !lost.is_empty() && !exact {
                    assert!(
                        got.damage
                            .iter()
                            .any(|d| d.range.start <= end && d.range.end >= at),
                        "{what}: lost {lost:?}, damage {:?}",
                        got.damage
                    );
                }
            }
        }
    }
}

#[test]
fn a_region_that_erases_whole_batches_shows_as_missing_sequence_numbers() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    let mut scratch = vec![0u8; log.len()];
    // Find two consecutive batch frames in the first session.
    let batch_frames: Vec<usize> = LogReader::new(&log, &mut scratch)
        .unwrap()
        .enumerate()
        .filter_map(|(i, item)| match item {
            Item::Record {
                record: tabletalk_core::records::Record::Turns(b),
                ..
            } if b.session() == truth[0].id && b.seq() == 1 => Some(i),
            _ => None,
        })
        .collect();
    let i = batch_frames[0];
    // Zero exactly frames i and i+1, delimiters included: nothing is left
    // to report as damaged bytes, but the gap in sequence numbers remains.
    let region = frames[i].0.start..frames[i + 1].0.end;
    for fill in [0x00u8, 0xFF] {
        let mut damaged = log.clone();
        damaged[region.clone()].fill(fill);
        if fill == 0xFF {
            // Keep the last delimiter so that the erased chunk stands alone.
            damaged[region.end - 1] = 0;
        }
        let lost = check(&damaged, &frames, &truth, "aligned fill");
        assert_eq!(lost, vec![i, i + 1]);
        let mut scratch = vec![0u8; damaged.len()];
        let missing: Vec<_> = SessionReader::new(&damaged, &mut scratch)
            .unwrap()
            .filter_map(|item| match item {
                SessionItem::MissingBatches { session, seqs } => Some((session, seqs)),
                _ => None,
            })
            .collect();
        assert!(
            missing
                .iter()
                .any(|(s, seqs)| *s == truth[0].id && seqs.start == 1 && seqs.end >= 2),
            "fill {fill:#04x}: {missing:?}"
        );
    }
}

#[test]
fn a_future_format_version_is_skipped_and_reported_not_misread() {
    let (log, truth) = recorded();
    let frames = clean_frames(&log);
    // Version 2 frames with correct CRCs: one that would parse as a v1
    // header if the version were ignored, one of garbage.
    let header_payload = log_payload(&frames[0].1);
    let future_header = log_frame(2, &header_payload);
    let future_other = log_frame(2, b"\x09a record kind of tomorrow");
    let at = frames[frames.len() / 2].0.start;
    let mut mixed = log[..at].to_vec();
    let inserted = at..at + future_header.len() + future_other.len();
    mixed.extend_from_slice(&future_header);
    mixed.extend_from_slice(&future_other);
    mixed.extend_from_slice(&log[at..]);
    // A log written in a newer version appended after this one.
    let tail_start = mixed.len();
    mixed.push(0);
    mixed.extend(log_frame(7, &header_payload));
    let lost = check(&mixed, &frames, &truth, "future versions");
    assert!(lost.is_empty(), "{lost:?}");
    let got = read(&mixed);
    let future: Vec<&Damage> = got.damage.iter().collect();
    assert_eq!(future.len(), 3, "{future:?}");
    assert_eq!(future[0].error, Error::UnknownVersion(2));
    assert_eq!(
        future[0].range,
        inserted.start..inserted.start + future_header.len()
    );
    assert_eq!(future[1].error, Error::UnknownVersion(2));
    assert_eq!(future[1].range.end, inserted.end);
    assert_eq!(future[2].error, Error::UnknownVersion(7));
    assert!(future[2].range.start > tail_start);
    // Nothing was read from them: records are exactly the original frames.
    assert_eq!(got.records.len(), frames.len());
}
