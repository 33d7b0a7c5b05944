//! Helpers shared by the log tests: writing a whole log from operations,
//! reading it back, and framing hand-made payloads.
#![allow(dead_code)]

use tabletalk_core::log::{Item, LogReader, LogWriter, MAX_WRITE_LEN};
use tabletalk_core::records::{
    Header, LoggedTurn, Record, StoreEvent, Tick, FORMAT_VERSION, SCHEMA_KEY,
};
use tabletalk_core::turns::{Condition, MarkerKind};

/// One call on a `LogWriter`.
#[derive(Clone, Debug)]
pub enum Op {
    Turn(LoggedTurn),
    Marker(Tick, MarkerKind),
    Condition(u8, Tick, Condition),
    Notice(Tick, StoreEvent),
    Poll(Tick),
    Flush,
}

/// Writes a whole session: header, `ops`, then `finish(end)`.
pub fn write_session(header: &Header<'_>, ops: &[Op], end: Tick, log: &mut Vec<u8>) {
    let mut out = vec![0u8; MAX_WRITE_LEN.max(64 * 1024)];
    let (mut w, n) = LogWriter::start(header, &mut out).expect("valid header");
    log.extend_from_slice(&out[..n]);
    for op in ops {
        let n = match *op {
            Op::Turn(t) => w.push_turn(t, &mut out),
            Op::Marker(at, kind) => w.push_marker(at, kind, &mut out),
            Op::Condition(seat, at, what) => w.push_condition(seat, at, what, &mut out),
            Op::Notice(at, what) => w.push_notice(at, what, &mut out),
            Op::Poll(at) => w.poll(at, &mut out),
            Op::Flush => w.flush(&mut out),
        }
        .expect("valid op");
        log.extend_from_slice(&out[..n]);
    }
    let n = w.finish(end, &mut out).expect("finish");
    log.extend_from_slice(&out[..n]);
}

/// A read frame: its range and (re-encoded) bytes, or the damage found.
pub type ReadFrame = Result<(std::ops::Range<usize>, Vec<u8>), tabletalk_core::log::Damage>;

/// Every item of `log`, with records re-encoded to owned frame bytes so
/// they outlive the scratch buffer.
pub fn read_frames(log: &[u8]) -> Vec<ReadFrame> {
    let mut scratch = vec![0u8; log.len()];
    LogReader::new(log, &mut scratch)
        .unwrap()
        .map(|item| match item {
            Item::Record { range, record, .. } => Ok((range, frame_of(&record))),
            Item::Damaged(d) => Err(d),
        })
        .collect()
}

/// The frame bytes (delimiter included) of a record.
pub fn frame_of(record: &Record<'_>) -> Vec<u8> {
    let mut out = vec![0u8; 64 * 1024];
    let n = tabletalk_core::log::encode_frame(record, &mut out).unwrap();
    out.truncate(n);
    out
}

/// COBS-encodes `data` and appends the delimiter (a reference encoder,
/// independent of the crate's).
pub fn cobs(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    let mut code_at = 0;
    let mut run = 0u8;
    for (i, &b) in data.iter().enumerate() {
        if b == 0 {
            out[code_at] = run + 1;
            code_at = out.len();
            out.push(0);
            run = 0;
        } else {
            out.push(b);
            run += 1;
            if run == 254 {
                out[code_at] = 0xFF;
                run = 0;
                if i + 1 < data.len() {
                    code_at = out.len();
                    out.push(0);
                } else {
                    code_at = usize::MAX;
                }
            }
        }
    }
    if code_at != usize::MAX {
        out[code_at] = run + 1;
    }
    out.push(0);
    out
}

/// CRC-32C over the schema key and `body`, as the format defines it.
pub fn crc(body: &[u8]) -> [u8; 4] {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISCSI);
    let mut d = crc.digest();
    d.update(&SCHEMA_KEY);
    d.update(body);
    d.finalize().to_le_bytes()
}

/// A complete frame around a hand-made postcard `payload`, with `version`.
pub fn frame_raw(version: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![version];
    body.extend_from_slice(payload);
    let crc = crc(&body);
    body.extend_from_slice(&crc);
    cobs(&body)
}

/// A version-1 frame around a hand-made payload.
pub fn frame_v1(payload: &[u8]) -> Vec<u8> {
    frame_raw(FORMAT_VERSION, payload)
}
