//! The core's log decoder ([`LogReader`], [`SessionReader`]) on arbitrary
//! bytes.
//!
//! Input: the first byte chooses the mode. Even: the rest is the log as it
//! is. Odd: the rest is a framed program ([`framing`](crate::framing)) whose
//! payloads get correct CRCs, so that the record parsers see them.
//!
//! Checked: reading ends; items lie inside the input, in order, without
//! overlapping, and the bytes between them are only what the reader skips
//! silently (`0x00` runs, erased `0xFF` chunks); every intact record
//! re-encodes to a frame that decodes to the same record; batches hold
//! 1..=64 turns, none ending before it starts; headers are internally
//! consistent; the session reader never yields a turn of a seat its
//! session's header does not have.

use tabletalk_core::log::{
    decode_frame, encode_frame, Item, LogReader, SessionItem, SessionReader,
};
use tabletalk_core::records::{Record, FORMAT_VERSION, MAX_BATCH_TURNS, MAX_LABEL_LEN};

use crate::framing::{self, Flavor};

/// The log an input stands for (see the module docs).
pub fn log_of(data: &[u8]) -> Vec<u8> {
    match data.split_first() {
        Some((mode, rest)) if mode & 1 == 1 => framing::build(rest, Flavor::Log),
        Some((_, rest)) => rest.to_vec(),
        None => Vec::new(),
    }
}

/// Runs one input.
pub fn run(data: &[u8]) {
    check(&log_of(data));
}

/// True for what the reader skips without a word: empty chunks and chunks
/// of erased flash, between `0x00` delimiters.
fn silently_skipped(bytes: &[u8]) -> bool {
    bytes
        .split(|&b| b == 0)
        .all(|chunk| chunk.iter().all(|&b| b == 0xFF))
}

/// Checks the readers on `log`.
pub fn check(log: &[u8]) {
    let mut scratch = vec![0u8; log.len()];
    let reader = LogReader::new(log, &mut scratch).expect("a scratch as long as the log");
    let mut pos = 0usize;
    for item in reader {
        let range = match &item {
            Item::Record { range, .. } => range.clone(),
            Item::Damaged(d) => d.range.clone(),
        };
        assert!(
            pos <= range.start && range.start < range.end && range.end <= log.len(),
            "item {range:?} after {pos} in {} bytes",
            log.len()
        );
        assert!(
            silently_skipped(&log[pos..range.start]),
            "bytes {pos}..{} were skipped without a report",
            range.start
        );
        pos = range.end;
        if let Item::Record {
            version, record, ..
        } = item
        {
            assert_eq!(version, FORMAT_VERSION);
            check_record(&record);
        }
    }
    assert!(
        silently_skipped(&log[pos..]),
        "the tail from {pos} was skipped without a report"
    );

    let mut scratch = vec![0u8; log.len()];
    let mut sessions = SessionReader::new(log, &mut scratch).expect("scratch");
    let mut turns = 0usize;
    while let Some(item) = sessions.next() {
        match item {
            SessionItem::Turn { session, turn } => {
                turns += 1;
                assert!(turn.start <= turn.end, "{turn:?}");
                if let Some(header) = sessions.header(session) {
                    assert!(turn.seat < header.seats.count(), "{turn:?} of {header:?}");
                }
            }
            SessionItem::MissingBatches { seqs, .. } => assert!(seqs.start < seqs.end),
            SessionItem::Damaged(d) => assert!(d.range.end <= log.len()),
            _ => {}
        }
    }
    // A frame is at least 7 bytes and holds at most 64 turns.
    assert!(turns <= MAX_BATCH_TURNS * (log.len() / 7 + 1));
}

fn check_record(record: &Record<'_>) {
    let mut out = vec![0u8; 64 * 1024];
    let n = encode_frame(record, &mut out).expect("an intact record re-encodes");
    let mut scratch = vec![0u8; n];
    let (version, mut back) = decode_frame(&out[..n - 1], &mut scratch).expect("and decodes again");
    assert_eq!(version, FORMAT_VERSION);
    if let (Record::Header(back), Record::Header(h)) = (&mut back, record) {
        // What the header did not record, or recorded beyond what this
        // version knows, is reported on reading and not written again.
        back.params_missing = h.params_missing;
        back.params_unknown = h.params_unknown;
    }
    assert_eq!(&back, record, "re-encoded record differs");
    match record {
        Record::Header(h) => {
            let count = usize::from(h.seats.count());
            assert!(count >= 1);
            assert_eq!(h.seats.inputs().count(), count);
            if h.seats.has_labels() {
                assert_eq!(h.seats.labels().count(), count);
                assert!(h.seats.labels().flatten().all(|l| l.len() <= MAX_LABEL_LEN));
            }
            assert!(h.tick_ms >= 1);
        }
        Record::Turns(batch) => {
            assert!((1..=MAX_BATCH_TURNS).contains(&batch.len()));
            assert_eq!(batch.turns().count(), batch.len());
            let mut last_end = 0;
            for turn in batch.turns() {
                assert!(turn.start <= turn.end && turn.end >= last_end, "{turn:?}");
                assert!(u32::from(turn.seat) < 1 << batch.seat_bits());
                last_end = turn.end;
            }
        }
        _ => {}
    }
}
