//! One record in one frame: `COBS(version ++ postcard(record) ++ CRC) ++ 0x00`.

use crc::{Crc, Digest, CRC_32_ISCSI};
use postcard::ser_flavors::Flavor;
use serde::Serialize;

use super::cobs::{self, CobsEncoder, CobsError};
use crate::records::{Error, Record, FORMAT_VERSION, MAX_BATCH_TURNS, SCHEMA_KEY};

/// CRC-32C (Castagnoli, the iSCSI polynomial). For the frame lengths of
/// this log it keeps a larger Hamming distance than the Ethernet CRC-32
/// (Koopman 2002 lists HD 6 up to about 5 200 data bits for it, against
/// about 270 bits for IEEE 802.3), and at 1 in 2^32 a chance match is
/// negligible even when a reader scans garbage or erased flash for frames;
/// CRC-16 would accept one random chunk in 65 536. Two bytes more per
/// batch cost 0.06 bytes per turn.
static CRC32C: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

/// Bytes of CRC at the end of every frame (little-endian CRC-32C).
pub const CRC_LEN: usize = 4;

/// An upper bound on the bytes one frame takes on the wire (delimiter
/// included) when its record's postcard encoding is `payload_len` bytes.
pub const fn max_frame_len(payload_len: usize) -> usize {
    let body = 1 + payload_len + CRC_LEN;
    body + 1 + body / 254 + 1
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

/// Feeds postcard's output through the CRC and the COBS encoder.
struct FrameFlavor<'b> {
    cobs: CobsEncoder<'b>,
    crc: Digest<'static, u32>,
}

impl FrameFlavor<'_> {
    fn byte(&mut self, b: u8) {
        self.crc.update(&[b]);
        self.cobs.push(b);
    }
}

impl Flavor for FrameFlavor<'_> {
    type Output = usize;

    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        self.byte(b);
        Ok(())
    }

    fn finalize(mut self) -> postcard::Result<usize> {
        for b in self.crc.finalize().to_le_bytes() {
            self.cobs.push(b);
        }
        self.cobs
            .finish()
            .ok_or(postcard::Error::SerializeBufferFull)
    }
}

/// Frames anything that serializes like a [`Record`] into `out`.
pub(crate) fn encode_value<T: Serialize + ?Sized>(
    value: &T,
    out: &mut [u8],
) -> Result<usize, Error> {
    let mut crc = CRC32C.digest();
    crc.update(&SCHEMA_KEY);
    let mut flavor = FrameFlavor {
        cobs: CobsEncoder::new(out),
        crc,
    };
    flavor.byte(FORMAT_VERSION);
    Ok(postcard::serialize_with_flavor(value, flavor)?)
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
        CobsError::Invalid => Error::Cobs,
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
    let (body, crc) = decoded.split_at(decoded.len() - CRC_LEN);
    let mut digest = CRC32C.digest();
    digest.update(&SCHEMA_KEY);
    digest.update(body);
    if crc != digest.finalize().to_le_bytes() {
        return Err(Error::Crc);
    }
    let (&version, payload) = body.split_first().ok_or(Error::TooShort)?;
    match version {
        1 => Ok((version, Record::parse(payload)?)),
        _ => Err(Error::UnknownVersion(version)),
    }
}
