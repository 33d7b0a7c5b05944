//! The one framing of every byte stream tabletalk writes: log files, the
//! log in flash, and the device protocol on USB.
//!
//! A frame on the wire is
//!
//! ```text
//! COBS( body ‖ crc32c_le(key ‖ body) ) ‖ 0x00
//! ```
//!
//! | stream | `key` (never stored) | `body` |
//! |---|---|---|
//! | log ([`crate::log`]) | [`SCHEMA_KEY`](crate::records::SCHEMA_KEY) | `version ‖ postcard(record)` |
//! | device protocol ([`crate::protocol::frame`]) | none | `postcard(message)` |
//!
//! COBS ([`cobs`]) removes every `0x00` from the body, so `0x00` only ever
//! ends a frame: after garbage, a power cut or a lost byte a reader is back
//! in step at the next `0x00`. The CRC-32C ([`CRC32C`]) catches what COBS
//! cannot (a flipped bit, two frames glued together after a lost
//! delimiter); seeding it with a key that is not stored makes a frame of
//! another stream fail the check. The flash store's sector and entry
//! headers and the protocol's whole-session checksums use the same CRC.
//!
//! The pieces, in the style of smoltcp's wire module:
//! - [`Emitter`] writes a frame straight into the caller's buffer, byte by
//!   byte, with no scratch buffer; [`emit`] feeds it a postcard encoding.
//! - [`cobs::decode`] (a whole frame) and [`cobs::CobsDecoder`] (bytes that
//!   arrive in pieces) undo COBS.
//! - [`Frame`] is a view of a decoded frame: [`Frame::check_len`],
//!   [`Frame::check_crc`], then [`Frame::body`]; [`parse`] does all three.
//!
//! ```
//! use tabletalk_core::frame::{cobs, emit, parse, Emitter};
//! let mut wire = [0u8; 16];
//! // postcard(7u8) = [07]; crc32c([07]) = 0x86b737ba, sent little-endian.
//! let n = emit(&7u8, Emitter::new(&mut wire, &[])).unwrap();
//! assert_eq!(&wire[..n], &[0x06, 0x07, 0xba, 0x37, 0xb7, 0x86, 0x00]);
//! let mut decoded = [0u8; 16];
//! let len = cobs::decode(&wire[..n - 1], &mut decoded).unwrap();
//! assert_eq!(parse(&decoded[..len], &[]), Ok(&[7u8][..]));
//! ```

pub mod cobs;

use crc::{Crc, Digest, CRC_32_ISCSI};
use serde::Serialize;

use cobs::CobsEncoder;

/// CRC-32C (Castagnoli, the iSCSI polynomial): the one checksum of
/// tabletalk (frames, store headers, whole-session checksums).
///
/// For the frame lengths used here it keeps a larger Hamming distance than
/// the Ethernet CRC-32 (Koopman 2002 lists HD 6 up to about 5 200 data bits
/// for it, against about 270 bits for IEEE 802.3), and at 1 in 2^32 a
/// chance match is negligible even when a reader scans garbage or erased
/// flash for frames; CRC-16 would accept one random chunk in 65 536. Two
/// bytes more per log batch cost 0.06 bytes per turn.
pub static CRC32C: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

/// Bytes of CRC at the end of every frame body (little-endian CRC-32C).
pub const CRC_LEN: usize = 4;

/// An upper bound on the bytes a frame takes on the wire, delimiter
/// included, when its body (without the CRC) is `body_len` bytes: COBS adds
/// at most one byte per 254 and one more.
pub const fn max_wire_len(body_len: usize) -> usize {
    let n = body_len + CRC_LEN;
    n + n / 254 + 2
}

/// Why a frame could not be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmitError {
    /// The output buffer cannot hold the frame.
    BufferTooSmall,
    /// The body is longer than the emitter's limit ([`Emitter::with_limit`]).
    TooLarge,
    /// postcard refused the value for another reason.
    Serialize(postcard::Error),
}

/// Writes one frame into a buffer as its body bytes come: CRC and COBS on
/// the fly, the CRC and the `0x00` delimiter at [`finish`](Self::finish).
pub struct Emitter<'b> {
    cobs: CobsEncoder<'b>,
    crc: Digest<'static, u32>,
    len: usize,
    limit: usize,
}

impl<'b> Emitter<'b> {
    /// A frame into `out` whose CRC is seeded with `key` (empty: none).
    pub fn new(out: &'b mut [u8], key: &[u8]) -> Self {
        let mut crc = CRC32C.digest();
        crc.update(key);
        Emitter {
            cobs: CobsEncoder::new(out),
            crc,
            len: 0,
            limit: usize::MAX,
        }
    }

    /// Refuses bodies longer than `limit` bytes with [`EmitError::TooLarge`].
    #[must_use]
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// Adds one body byte. The first error stops the frame: the buffer
    /// filled up, or the body outgrew the limit.
    pub fn push(&mut self, byte: u8) -> Result<(), EmitError> {
        self.len = self.len.saturating_add(1);
        if self.len > self.limit {
            return Err(EmitError::TooLarge);
        }
        self.crc.update(&[byte]);
        self.cobs.push(byte);
        if self.cobs.overflowed() {
            return Err(EmitError::BufferTooSmall);
        }
        Ok(())
    }

    /// Adds body bytes.
    pub fn extend(&mut self, bytes: &[u8]) -> Result<(), EmitError> {
        bytes.iter().try_for_each(|&b| self.push(b))
    }

    /// Appends the CRC and the delimiter; returns the frame's length.
    pub fn finish(mut self) -> Result<usize, EmitError> {
        let crc = self.crc.finalize();
        for b in crc.to_le_bytes() {
            self.cobs.push(b);
        }
        self.cobs.finish().ok_or(EmitError::BufferTooSmall)
    }
}

/// Frames `postcard(value)` (after whatever `emitter` already holds);
/// returns the frame's length.
pub fn emit<T: Serialize + ?Sized>(value: &T, emitter: Emitter<'_>) -> Result<usize, EmitError> {
    let mut failure = None;
    let flavor = PostcardFlavor {
        emitter,
        failure: &mut failure,
    };
    match postcard::serialize_with_flavor(value, flavor) {
        Ok(result) => result,
        // The flavor notes its own failure before handing postcard a
        // stand-in error.
        Err(e) => Err(failure.unwrap_or(EmitError::Serialize(e))),
    }
}

/// A postcard flavor that writes through an [`Emitter`].
struct PostcardFlavor<'b, 'f> {
    emitter: Emitter<'b>,
    failure: &'f mut Option<EmitError>,
}

impl postcard::ser_flavors::Flavor for PostcardFlavor<'_, '_> {
    type Output = Result<usize, EmitError>;

    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.emitter.push(byte).map_err(|e| {
            *self.failure = Some(e);
            postcard::Error::SerializeBufferFull
        })
    }

    fn finalize(self) -> postcard::Result<Self::Output> {
        Ok(self.emitter.finish())
    }
}

/// Why a decoded frame was not used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// Too short to hold a CRC.
    TooShort,
    /// The CRC does not match the body.
    BadCrc,
}

/// A view of one COBS-decoded frame: `body ‖ crc32c_le(key ‖ body)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// The view, unchecked: [`body`](Self::body) and [`crc`](Self::crc) of
    /// a buffer shorter than [`CRC_LEN`] are empty and 0.
    pub const fn new_unchecked(buffer: T) -> Self {
        Frame { buffer }
    }

    /// The view, after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, FrameError> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Fails unless the buffer can hold a CRC.
    pub fn check_len(&self) -> Result<(), FrameError> {
        if self.buffer.as_ref().len() < CRC_LEN {
            Err(FrameError::TooShort)
        } else {
            Ok(())
        }
    }

    fn split(&self) -> (&[u8], &[u8]) {
        let bytes = self.buffer.as_ref();
        bytes
            .split_at_checked(bytes.len().saturating_sub(CRC_LEN))
            .unwrap_or((&[], &[]))
    }

    /// The body: everything before the CRC.
    pub fn body(&self) -> &[u8] {
        self.split().0
    }

    /// The CRC the frame carries.
    pub fn crc(&self) -> u32 {
        let mut crc = [0u8; CRC_LEN];
        if let Ok(bytes) = <[u8; CRC_LEN]>::try_from(self.split().1) {
            crc = bytes;
        }
        u32::from_le_bytes(crc)
    }

    /// Fails unless the CRC matches `key ‖ body`.
    pub fn check_crc(&self, key: &[u8]) -> Result<(), FrameError> {
        self.check_len()?;
        let mut digest = CRC32C.digest();
        digest.update(key);
        digest.update(self.body());
        if digest.finalize() == self.crc() {
            Ok(())
        } else {
            Err(FrameError::BadCrc)
        }
    }

    /// The buffer the view was made from.
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<'a> Frame<&'a [u8]> {
    /// The body, borrowing the buffer rather than the view.
    pub fn into_body(self) -> &'a [u8] {
        let bytes = self.buffer;
        bytes
            .split_at_checked(bytes.len().saturating_sub(CRC_LEN))
            .map_or(&[][..], |(body, _)| body)
    }
}

/// The body of a decoded frame whose length and CRC (seeded with `key`)
/// are right.
pub fn parse<'a>(decoded: &'a [u8], key: &[u8]) -> Result<&'a [u8], FrameError> {
    let frame = Frame::new_checked(decoded)?;
    frame.check_crc(key)?;
    Ok(frame.into_body())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn key_seeds_the_crc_but_is_not_stored() {
        let mut plain = [0u8; 16];
        let mut keyed = [0u8; 16];
        let n = emit(&[1u8, 2], Emitter::new(&mut plain, &[])).unwrap();
        let m = emit(&[1u8, 2], Emitter::new(&mut keyed, b"key!")).unwrap();
        assert_eq!(n, m);
        let mut decoded = [0u8; 16];
        let len = cobs::decode(&keyed[..m - 1], &mut decoded).unwrap();
        assert_eq!(parse(&decoded[..len], b"key!"), Ok(&[1u8, 2][..]));
        assert_eq!(parse(&decoded[..len], &[]), Err(FrameError::BadCrc));
        assert_eq!(parse(&decoded[..3], &[]), Err(FrameError::TooShort));
    }

    #[test]
    fn limit_and_buffer_are_enforced_at_the_first_byte_too_many() {
        let mut out = [0u8; 64];
        let mut e = Emitter::new(&mut out, &[]).with_limit(2);
        assert_eq!(e.extend(&[1, 2]), Ok(()));
        assert_eq!(e.push(3), Err(EmitError::TooLarge));
        let mut tiny = [0u8; 3];
        let mut e = Emitter::new(&mut tiny, &[]);
        assert_eq!(e.extend(&[1, 2]), Ok(()));
        assert_eq!(e.push(3), Err(EmitError::BufferTooSmall));
        let mut small = [0u8; 4];
        let mut e = Emitter::new(&mut small, &[]);
        e.push(1).unwrap();
        assert_eq!(e.finish(), Err(EmitError::BufferTooSmall));
    }

    #[test]
    fn max_wire_len_bounds_every_body_length() {
        let mut out = [0u8; 1200];
        for len in 0..1000usize {
            let mut e = Emitter::new(&mut out, &[]);
            e.extend(&[0x55u8; 1000][..len]).unwrap();
            assert!(e.finish().unwrap() <= max_wire_len(len), "{len}");
        }
    }
}
