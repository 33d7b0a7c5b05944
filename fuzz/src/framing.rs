//! Frames with correct CRCs, built from fuzz bytes, so that the fuzzer's
//! mutations reach the record and message parsers behind the CRC check.
//!
//! A *framed program* is a sequence of chunks, each starting with a
//! control byte `c`:
//!
//! | `c % 4` | then | appends |
//! |---|---|---|
//! | 0, 1 | length (1 byte; 2 bytes little-endian if `c >= 0x80`), payload | a frame of the payload with version 1 (log) / a message frame (protocol) |
//! | 2 | length (1 byte), bytes | the bytes as they are: garbage, a `0x00`, erased `0xFF` |
//! | 3 | version (1 byte), length (1 byte), payload | a log frame of another format version (protocol: a frame with a wrong CRC) |

use crc::{Crc, CRC_32_ISCSI};
use tabletalk_core::records::SCHEMA_KEY;

use crate::bytes::Bytes;

static CRC32C: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

/// COBS-encodes `body` and appends the `0x00` delimiter.
pub fn cobs(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 254 + 2);
    let mut code_at = out.len();
    out.push(0);
    let mut code = 1u8;
    for &b in body {
        if b == 0 {
            out[code_at] = code;
            code_at = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_at] = code;
                code_at = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out.push(0);
    out
}

/// A log frame: `COBS(version ++ payload ++ CRC-32C(SCHEMA_KEY ++ version ++ payload)) ++ 0x00`.
pub fn log_frame(version: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(payload.len() + 5);
    body.push(version);
    body.extend_from_slice(payload);
    let mut digest = CRC32C.digest();
    digest.update(&SCHEMA_KEY);
    digest.update(&body);
    body.extend_from_slice(&digest.finalize().to_le_bytes());
    cobs(&body)
}

/// A device-protocol frame: `COBS(message ++ CRC-32C(message)) ++ 0x00`.
pub fn protocol_frame(message: &[u8]) -> Vec<u8> {
    let mut body = message.to_vec();
    body.extend_from_slice(&CRC32C.checksum(message).to_le_bytes());
    cobs(&body)
}

/// The frame kinds a framed program can produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Log frames (CRC seeded with the schema key, version byte first).
    Log,
    /// Device-protocol frames.
    Protocol,
}

/// Builds the byte stream a framed program describes.
pub fn build(data: &[u8], flavor: Flavor) -> Vec<u8> {
    let mut input = Bytes::new(data);
    let mut out = Vec::new();
    while !input.is_empty() {
        let c = input.u8();
        match c % 4 {
            0 | 1 => {
                let len = if c >= 0x80 {
                    usize::from(input.u16() % 4096)
                } else {
                    usize::from(input.u8())
                };
                let payload = input.take(len);
                out.extend(match flavor {
                    Flavor::Log => log_frame(1, payload),
                    Flavor::Protocol => protocol_frame(payload),
                });
            }
            2 => {
                let len = usize::from(input.u8());
                out.extend_from_slice(input.take(len));
            }
            _ => {
                let version = input.u8();
                let len = usize::from(input.u8());
                let payload = input.take(len);
                out.extend(match flavor {
                    Flavor::Log => log_frame(version, payload),
                    Flavor::Protocol => {
                        let mut frame = protocol_frame(payload);
                        // Damage one byte of the body (never the delimiter).
                        let at = usize::from(version) % frame.len().saturating_sub(1).max(1);
                        if let Some(b) = frame.get_mut(at) {
                            *b = b.wrapping_add(1).max(1);
                        }
                        frame
                    }
                });
            }
        }
    }
    out
}

/// The framed program that rebuilds `frames` (each a list of payloads
/// with its version) — how seed logs are written into the corpus.
pub fn program(frames: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (version, payload) in frames {
        if *version == 1 && payload.len() < 4096 {
            out.push(0x80);
            out.extend_from_slice(&(payload.len() as u16).to_le_bytes());
            out.extend_from_slice(payload);
        } else {
            out.push(3);
            out.push(*version);
            out.push(payload.len().min(255) as u8);
            out.extend_from_slice(&payload[..payload.len().min(255)]);
        }
    }
    out
}

/// Undoes [`cobs`] for one frame (without its delimiter); `None` if invalid.
pub fn uncobs(frame: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(frame.len());
    let mut rest = frame;
    while let Some((&code, after)) = rest.split_first() {
        if code == 0 || usize::from(code) - 1 > after.len() {
            return None;
        }
        let (data, after) = after.split_at(usize::from(code) - 1);
        out.extend_from_slice(data);
        rest = after;
        if code != 0xFF && !rest.is_empty() {
            out.push(0);
        }
    }
    Some(out)
}

/// The `(version, payload)` of every frame of a log that is a valid
/// COBS frame with a correct CRC.
pub fn log_payloads(log: &[u8]) -> Vec<(u8, Vec<u8>)> {
    log.split(|&b| b == 0)
        .filter_map(uncobs)
        .filter(|body| body.len() >= 5)
        .filter_map(|body| {
            let (inner, crc) = body.split_at(body.len() - 4);
            let mut digest = CRC32C.digest();
            digest.update(&SCHEMA_KEY);
            digest.update(inner);
            (digest.finalize().to_le_bytes() == crc).then(|| (inner[0], inner[1..].to_vec()))
        })
        .collect()
}
