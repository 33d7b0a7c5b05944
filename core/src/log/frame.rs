//! One record in one frame: `COBS(version ++ postcard(record) ++ CRC) ++ 0x00`.

use serde::Serialize;

use crate::frame::cobs::{self, CobsError};
use crate::frame::{self, EmitError, Emitter, FrameError, CRC_LEN};
use crate::records::{Error, Record, FORMAT_VERSION, MAX_BATCH_TURNS, SCHEMA_KEY};

/// An upper bound on the bytes one frame takes on the wire (delimiter
/// included) when its record's postcard encoding is `payload_len` bytes.
pub const fn max_frame_len(payload_len: usize) -> usize {
    frame::max_wire_len(1 + payload_len)
}

/// Upper bound of the postcard bytes of a marker, condition, notice or end
/// record: tag, session (5 + 2), a tick (10) and two more varints (5 + 5).
const MAX_SMALL_PAYLOAD: usize = 1 + 7 + 10 + 5 + 5;

/// The most bytes a marker, condition, store-notice or session-end frame takes.
pub const MAX_SMALL_FRAME_LEN: usize = max_frame_len(MAX_SMALL_PAYLOAD);

/// Upper bound of the postcard bytes of a batch of `turns` turns. With the
/// per-batch optimal Rice parameters a value never costs more than with
/// `k = 63`, i.e. 65 bits; a turn is at most 8 seat bits, 2 end bits, a gap
/// and a duration.
pub const fn max_batch_payload(turns: usize) -> usize {
    let bits = 17 + turns * (8 + 2 + 65 + 65);
    1 + 7 + 5 + 10 + 1 + 2 + bits.div_ceil(8)
}

/// The most bytes one turn-batch frame of [`MAX_BATCH_TURNS`] turns takes.
/// Real batches are far smaller (about 100 bytes for 32 turns).
pub const MAX_BATCH_FRAME_LEN: usize = max_frame_len(max_batch_payload(MAX_BATCH_TURNS));

/// Frames anything that serializes like a [`Record`] into `out`.
pub(crate) fn encode_value<T: Serialize + ?Sized>(
    value: &T,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut emitter = Emitter::new(out, &SCHEMA_KEY);
    emitter.push(FORMAT_VERSION).map_err(emit_error)?;
    frame::emit(value, emitter).map_err(emit_error)
}

fn emit_error(e: EmitError) -> Error {
    match e {
        EmitError::BufferTooSmall | EmitError::TooLarge => Error::BufferTooSmall,
        EmitError::Serialize(e) => Error::from(e),
    }
}

/// Encodes `record` as one complete frame (delimiter included) into `out`;
/// returns the number of bytes written.
///
/// ```
/// use tabletalk_core::log::{decode_frame, encode_frame};
/// use tabletalk_core::records::{MarkerRecord, Record, SessionId};
/// use tabletalk_core::turns::MarkerKind;
///
/// let marker = Record::Marker(MarkerRecord {
///     session: SessionId { number: 7, nonce: 0xBEEF },
///     at: 300,
///     kind: MarkerKind::Agenda,
/// });
/// let mut out = [0u8; 32];
/// let n = encode_frame(&marker, &mut out)?;
/// assert_eq!(
///     &out[..n],
///     &[0x0D, 0x01, 0x02, 0x07, 0xEF, 0xBE, 0xAC, 0x02, 0x04, 0x9A, 0xF6, 0xF8, 0xE7, 0x00]
/// );
/// let mut scratch = [0u8; 32];
/// assert_eq!(decode_frame(&out[..n - 1], &mut scratch)?, (1, marker));
/// # Ok::<(), tabletalk_core::records::Error>(())
/// ```
pub fn encode_frame(record: &Record<'_>, out: &mut [u8]) -> Result<usize, Error> {
    if let Record::Header(h) = record {
        h.validate()?;
    }
    encode_value(record, out)
}

/// Decodes one frame — its bytes up to, not including, the `0x00`
/// delimiter — checking COBS, CRC and version, into the format version and
/// the record. The record borrows `scratch`, which must be at least
/// `frame.len()` bytes.
pub fn decode_frame<'s>(frame: &[u8], scratch: &'s mut [u8]) -> Result<(u8, Record<'s>), Error> {
    let n = cobs::decode(frame, scratch).map_err(|e| match e {
        CobsError::Invalid | CobsError::Truncated => Error::Cobs,
        CobsError::OutputFull => Error::ScratchTooSmall,
    })?;
    let decoded: &'s [u8] = scratch.get(..n).ok_or(Error::ScratchTooSmall)?;
    parse_decoded(decoded)
}

/// Checks the CRC and version of a COBS-decoded frame and parses its record.
pub(crate) fn parse_decoded(decoded: &[u8]) -> Result<(u8, Record<'_>), Error> {
    if decoded.len() < 1 + CRC_LEN {
        return Err(Error::TooShort);
    }
    let body = frame::parse(decoded, &SCHEMA_KEY).map_err(|e| match e {
        FrameError::TooShort => Error::TooShort,
        FrameError::BadCrc => Error::Crc,
    })?;
    let (&version, payload) = body.split_first().ok_or(Error::TooShort)?;
    match version {
        1 => Ok((version, Record::parse(payload)?)),
        _ => Err(Error::UnknownVersion(version)),
    }
}
