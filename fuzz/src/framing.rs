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

use tabletalk_core::frame::{self, cobs, max_wire_len, Emitter};
use tabletalk_core::records::SCHEMA_KEY;

use crate::bytes::Bytes;

/// One frame of `lead ++ body` with its CRC seeded by `key`, by the core's
/// own framing (the fuzzer aims past the CRC check, not at the encoder).
fn frame_of(key: &[u8], lead: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; max_wire_len(lead.len() + body.len())];
    let mut emitter = Emitter::new(&mut out, key);
    emitter.extend(lead).expect("sized by max_wire_len");
    emitter.extend(body).expect("sized by max_wire_len");
    let n = emitter.finish().expect("sized by max_wire_len");
    out.truncate(n);
    out
}

/// A log frame: `COBS(version ++ payload ++ CRC-32C(SCHEMA_KEY ++ version ++ payload)) ++ 0x00`.
pub fn log_frame(version: u8, payload: &[u8]) -> Vec<u8> {
    frame_of(&SCHEMA_KEY, &[version], payload)
}

/// A device-protocol frame: `COBS(message ++ CRC-32C(message)) ++ 0x00`.
pub fn protocol_frame(message: &[u8]) -> Vec<u8> {
    frame_of(&[], &[], message)
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

/// Undoes COBS for one frame (without its delimiter); `None` if invalid.
pub fn uncobs(frame: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; frame.len()];
    let n = cobs::decode(frame, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}

/// The `(version, payload)` of every frame of a log that is a valid
/// COBS frame with a correct CRC.
pub fn log_payloads(log: &[u8]) -> Vec<(u8, Vec<u8>)> {
    log.split(|&b| b == 0)
        .filter_map(uncobs)
        .filter_map(|decoded| {
            let body = frame::parse(&decoded, &SCHEMA_KEY).ok()?;
            let (&version, payload) = body.split_first()?;
            Some((version, payload.to_vec()))
        })
        .collect()
}
