//! The log on the wire: framing, writing and reading.
//!
//! A log is a plain byte stream of frames; a file or a flash region may hold
//! any number of sessions one after the other. Each frame carries one
//! [`Record`](crate::records::Record):
//!
//! ```text
//! COBS( version ++ postcard(record) ++ CRC-32C ) ++ 0x00
//! ```
//!
//! * `version` is one byte, [`FORMAT_VERSION`](crate::records::FORMAT_VERSION)
//!   for what this code writes; decoders dispatch on it.
//! * the CRC is CRC-32C (Castagnoli), little-endian, computed over the
//!   four-byte [`SCHEMA_KEY`](crate::records::SCHEMA_KEY) followed by
//!   `version ++ postcard(record)`: the key is not stored, but a frame from
//!   any other protocol fails the check.
//! * COBS removes every zero byte, so `0x00` marks the end of each frame and
//!   a reader that meets damage starts again at the next one.
//!
//! [`LogWriter`] turns a session's header and events into frames in the
//! caller's buffer; [`LogReader`] turns a byte stream back into records and
//! damaged ranges; [`SessionReader`] groups them into sessions and expands
//! turn batches into turns. `docs/log-format.md` is the full specification.

mod frame;
mod reader;
mod sessions;
mod writer;

pub use frame::{
    decode_frame, encode_frame, max_batch_payload, max_frame_len, MAX_BATCH_FRAME_LEN,
    MAX_SMALL_FRAME_LEN,
};
pub use reader::{Damage, Item, LogReader};
pub use sessions::{SessionItem, SessionReader};
pub use writer::{LogWriter, MAX_WRITE_LEN};

pub use crate::records::Error;
