//! Framing: how one message becomes bytes on the serial line, and how a
//! stream of bytes that arrives in arbitrary pieces becomes messages again.
//!
//! A frame on the wire is
//!
//! ```text
//! COBS( postcard(message) ‖ crc32c_le(postcard(message)) ) ‖ 0x00
//! ```
//!
//! COBS removes every `0x00` from the body, so `0x00` can only be a frame
//! delimiter: after garbage, a reset or a lost byte the receiver is back in
//! step at the next `0x00`. The CRC-32C (Castagnoli) over the postcard bytes
//! catches what COBS cannot (a flipped bit, two frames glued together after a
//! lost delimiter). Empty frames (two `0x00` in a row) are ignored, so a
//! sender may put a `0x00` *before* a frame to flush whatever partial frame
//! the receiver was holding.
//!
//! Encoding is streaming (no scratch buffer): postcard writes through a
//! [`postcard::ser_flavors::Flavor`] that updates the CRC and COBS-encodes
//! byte by byte straight into the output.

use crc::{Crc, Digest, CRC_32_ISCSI};
use serde::Serialize;

use super::{Error, MAX_FRAME_PAYLOAD, MAX_MESSAGE};

/// CRC-32C (Castagnoli, the iSCSI polynomial), used for frames and for
/// whole-session checksums.
pub static CRC32C: Crc<u32> = Crc::<u32>::new(&CRC_32_ISCSI);

/// Bytes the CRC adds to a message.
pub const CRC_LEN: usize = 4;

/// Frames `message` into `out`: postcard, CRC-32C, COBS and the trailing
/// `0x00`. Returns the frame (a prefix of `out`).
///
/// Fails with [`Error::MessageTooLarge`] if the postcard encoding is longer
/// than [`MAX_MESSAGE`] (the peer could not receive it), and with
/// [`Error::BufferTooSmall`] if `out` cannot hold the frame; an `out` of
/// [`MAX_FRAME`](super::MAX_FRAME) bytes always can.
///
/// ```
/// use tabletalk_core::protocol::frame::encode;
/// let mut out = [0u8; 16];
/// // postcard(7u8) = [07]; crc32c([07]) = 0x86b737ba, sent little-endian.
/// let frame = encode(&7u8, &mut out).unwrap();
/// assert_eq!(frame, &[0x06, 0x07, 0xba, 0x37, 0xb7, 0x86, 0x00]);
/// ```
pub fn encode<'o, T: Serialize + ?Sized>(
    message: &T,
    out: &'o mut [u8],
) -> Result<&'o [u8], Error> {
    let len = encoded_len(message, out)?;
    out.get(..len).ok_or(Error::BufferTooSmall)
}

/// Like [`encode`], but returns the frame's length.
pub fn encoded_len<T: Serialize + ?Sized>(message: &T, out: &mut [u8]) -> Result<usize, Error> {
    let mut failure = None;
    let flavor = FrameWriter::new(out, &mut failure);
    match postcard::serialize_with_flavor(message, flavor) {
        Ok(result) => result,
        // The flavor reports its own failure to postcard as
        // SerializeBufferFull after noting the real reason.
        Err(_) => Err(failure.unwrap_or(Error::BufferTooSmall)),
    }
}

/// A postcard flavor that CRCs and COBS-encodes as it goes.
struct FrameWriter<'o, 'f> {
    out: &'o mut [u8],
    digest: Digest<'static, u32>,
    /// Where the code byte of the current COBS block goes.
    code_at: usize,
    /// Where the next byte goes.
    pos: usize,
    /// The current block's code: 1 + data bytes in it so far.
    code: u8,
    /// Message bytes so far (without the CRC).
    message_len: usize,
    /// Why writing stopped, if it did.
    failed: &'f mut Option<Error>,
}

impl<'o, 'f> FrameWriter<'o, 'f> {
    fn new(out: &'o mut [u8], failed: &'f mut Option<Error>) -> Self {
        FrameWriter {
            out,
            digest: CRC32C.digest(),
            code_at: 0,
            pos: 1,
            code: 1,
            message_len: 0,
            failed,
        }
    }

    fn put(&mut self, at: usize, byte: u8) -> Result<(), Error> {
        match self.out.get_mut(at) {
            Some(slot) => {
                *slot = byte;
                Ok(())
            }
            None => Err(Error::BufferTooSmall),
        }
    }

    /// COBS-encodes one body byte.
    fn cobs_push(&mut self, byte: u8) -> Result<(), Error> {
        if byte == 0 {
            self.put(self.code_at, self.code)?;
            self.code_at = self.pos;
            self.pos = self.pos.saturating_add(1);
            self.code = 1;
        } else {
            self.put(self.pos, byte)?;
            self.pos = self.pos.saturating_add(1);
            self.code = self.code.saturating_add(1);
            if self.code == 0xFF {
                // A full block of 254 data bytes has no implied zero.
                self.put(self.code_at, 0xFF)?;
                self.code_at = self.pos;
                self.pos = self.pos.saturating_add(1);
                self.code = 1;
            }
        }
        Ok(())
    }

    fn push_message_byte(&mut self, byte: u8) -> Result<(), Error> {
        self.message_len = self.message_len.saturating_add(1);
        if self.message_len > MAX_MESSAGE {
            return Err(Error::MessageTooLarge);
        }
        self.digest.update(&[byte]);
        self.cobs_push(byte)
    }

    fn finish(mut self) -> Result<usize, Error> {
        let crc = core::mem::replace(&mut self.digest, CRC32C.digest()).finalize();
        for byte in crc.to_le_bytes() {
            self.cobs_push(byte)?;
        }
        self.put(self.code_at, self.code)?;
        self.put(self.pos, 0)?;
        Ok(self.pos.saturating_add(1))
    }
}

impl postcard::ser_flavors::Flavor for FrameWriter<'_, '_> {
    type Output = Result<usize, Error>;

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        if self.failed.is_some() {
            return Err(postcard::Error::SerializeBufferFull);
        }
        self.push_message_byte(data).map_err(|err| {
            *self.failed = Some(err);
            postcard::Error::SerializeBufferFull
        })
    }

    fn finalize(self) -> postcard::Result<Self::Output> {
        Ok(match *self.failed {
            Some(err) => Err(err),
            None => self.finish(),
        })
    }
}

/// Reassembles frames from bytes that arrive in pieces of any size.
///
/// Holds at most `N` decoded bytes (message + CRC); a longer frame is
/// dropped whole and reported as [`Error::FrameTooLong`]. Garbage between
/// frames costs at most one reported error: the decoder is back in step at
/// the next `0x00`.
///
/// ```
/// use tabletalk_core::protocol::frame::{encode, FrameDecoder};
/// let mut wire = [0u8; 32];
/// let frame = encode(&0x1234u16, &mut wire).unwrap();
/// let mut decoder = FrameDecoder::<16>::new();
/// // Bytes come in two pieces; the frame completes in the second.
/// let (first, second) = frame.split_at(3);
/// let mut input = first;
/// assert!(decoder.feed(&mut input).is_none());
/// let mut input = second;
/// let payload = decoder.feed(&mut input).unwrap().unwrap();
/// assert_eq!(postcard::from_bytes::<u16>(payload).unwrap(), 0x1234);
/// assert!(input.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct FrameDecoder<const N: usize> {
    buf: [u8; N],
    len: usize,
    /// Data bytes still to come in the current COBS block.
    remaining: u8,
    /// The current block's code byte (0: no block started in this frame).
    code: u8,
    /// The frame outgrew the buffer; skip to the next delimiter.
    overflow: bool,
}

impl<const N: usize> Default for FrameDecoder<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> FrameDecoder<N> {
    /// An empty decoder, waiting for the start of a frame.
    pub const fn new() -> Self {
        FrameDecoder {
            buf: [0; N],
            len: 0,
            remaining: 0,
            code: 0,
            overflow: false,
        }
    }

    /// Forgets any partial frame (e.g. when the line was reset).
    pub fn reset(&mut self) {
        self.len = 0;
        self.remaining = 0;
        self.code = 0;
        self.overflow = false;
    }

    /// True while a frame has started but not ended.
    pub fn in_frame(&self) -> bool {
        self.code != 0 || self.overflow
    }

    /// Consumes bytes from the front of `input` up to and including the end
    /// of the next frame, and returns that frame's message bytes (CRC
    /// checked and removed), or why the frame was unusable. Returns `None`
    /// once `input` is used up without a frame ending; the partial frame is
    /// kept for the next call.
    pub fn feed<'s>(&'s mut self, input: &mut &[u8]) -> Option<Result<&'s [u8], Error>> {
        while let Some((&byte, rest)) = input.split_first() {
            *input = rest;
            if byte == 0 {
                if !self.in_frame() {
                    continue; // an empty frame: a flush, not an error
                }
                return Some(self.finish_frame());
            }
            self.push_encoded(byte);
        }
        None
    }

    /// Feeds one byte; returns what [`feed`](Self::feed) would.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], Error>> {
        let mut input: &[u8] = &[byte];
        self.feed(&mut input)
    }

    fn push_encoded(&mut self, byte: u8) {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.push_decoded(byte);
        } else {
            // A code byte. The previous block, unless it was a full one,
            // ended with an implied zero (not for the last block of a
            // frame, which is why it is only added here, when another block
            // follows).
            if self.code != 0 && self.code != 0xFF {
                self.push_decoded(0);
            }
            self.code = byte;
            self.remaining = byte - 1;
        }
    }

    fn push_decoded(&mut self, byte: u8) {
        match self.buf.get_mut(self.len) {
            Some(slot) if !self.overflow => {
                *slot = byte;
                self.len += 1;
            }
            _ => self.overflow = true,
        }
    }

    fn finish_frame(&mut self) -> Result<&[u8], Error> {
        let len = self.len;
        let result = if self.overflow {
            Err(Error::FrameTooLong)
        } else if self.remaining > 0 {
            Err(Error::FrameTruncated)
        } else {
            Ok(())
        };
        self.reset();
        result?;
        let frame = self.buf.get(..len).ok_or(Error::FrameTooLong)?;
        check_crc(frame)
    }
}

/// Splits off and checks the trailing CRC of a decoded frame body.
fn check_crc(frame: &[u8]) -> Result<&[u8], Error> {
    let split = frame
        .len()
        .checked_sub(CRC_LEN)
        .ok_or(Error::FrameTooShort)?;
    let (message, crc) = frame.split_at(split);
    let mut expected = [0u8; CRC_LEN];
    expected.copy_from_slice(crc);
    if CRC32C.checksum(message) == u32::from_le_bytes(expected) {
        Ok(message)
    } else {
        Err(Error::BadChecksum)
    }
}

/// A decoder sized for any frame of this protocol.
pub type MessageDecoder = FrameDecoder<MAX_FRAME_PAYLOAD>;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::expect_used)]

    extern crate alloc;
    use alloc::vec::Vec;

    use super::*;
    use crate::protocol::MAX_FRAME;

    /// Decodes every frame in `wire`, in order.
    fn decode_all<const N: usize>(wire: &[u8]) -> Vec<Result<Vec<u8>, Error>> {
        let mut decoder = FrameDecoder::<N>::new();
        let mut input = wire;
        let mut out = Vec::new();
        while let Some(result) = decoder.feed(&mut input) {
            out.push(result.map(<[u8]>::to_vec));
        }
        out
    }

    #[test]
    fn frame_has_no_zero_but_the_delimiter() {
        let message: [u8; 5] = [0, 0, 1, 0, 2];
        let mut out = [0u8; 32];
        let frame = encode(&message, &mut out).unwrap();
        let (last, body) = frame.split_last().unwrap();
        assert_eq!(*last, 0);
        assert!(!body.contains(&0));
    }

    #[test]
    fn full_blocks_of_254_round_trip() {
        // Lengths around the 254-byte COBS block boundary, with and without
        // zeros, including a body that ends exactly on a block boundary.
        for len in [249usize, 250, 251, 253, 254, 255, 400, 507, 508, 509] {
            for fill in [0u8, 1, 0xFF] {
                let mut message = Vec::new();
                message.resize(len, fill);
                let mut out = [0u8; MAX_FRAME + 8];
                // A tuple of bytes serializes as the bytes themselves.
                let bytes = postcard_bytes(&message);
                let frame = encode(&bytes, &mut out).unwrap().to_vec();
                let decoded = decode_all::<1024>(&frame);
                assert_eq!(decoded.len(), 1, "len {len} fill {fill}");
                let payload = decoded[0].as_ref().unwrap();
                let back: heapless::Vec<u8, 600> = postcard::from_bytes(payload).unwrap();
                assert_eq!(back.as_slice(), message.as_slice());
            }
        }
    }

    fn postcard_bytes(message: &[u8]) -> heapless::Vec<u8, 600> {
        heapless::Vec::from_slice(message).unwrap()
    }

    #[test]
    fn resynchronises_after_garbage() {
        let mut out = [0u8; 32];
        let frame = encode(&42u32, &mut out).unwrap().to_vec();
        let mut wire = vec_of(&[0x13, 0x37, 0xFF, 0x02]);
        wire.push(0);
        wire.extend_from_slice(&frame);
        let decoded = decode_all::<64>(&wire);
        assert_eq!(decoded.len(), 2);
        assert!(decoded[0].is_err());
        assert_eq!(
            postcard::from_bytes::<u32>(decoded[1].as_ref().unwrap()).unwrap(),
            42
        );
    }

    fn vec_of(bytes: &[u8]) -> Vec<u8> {
        bytes.to_vec()
    }

    #[test]
    fn flipped_bit_is_a_checksum_error() {
        let mut out = [0u8; 32];
        let mut frame = encode(&0xDEAD_BEEFu32, &mut out).unwrap().to_vec();
        frame[2] ^= 0x04;
        assert_eq!(decode_all::<64>(&frame), [Err(Error::BadChecksum)]);
    }

    #[test]
    fn lost_delimiter_glues_two_frames_into_one_error() {
        let mut out = [0u8; 32];
        let a = encode(&1u32, &mut out).unwrap().to_vec();
        let b = encode(&2u32, &mut out).unwrap().to_vec();
        let c = encode(&3u32, &mut out).unwrap().to_vec();
        let mut wire = a[..a.len() - 1].to_vec();
        wire.extend_from_slice(&b);
        wire.extend_from_slice(&c);
        let decoded = decode_all::<64>(&wire);
        assert_eq!(decoded.len(), 2);
        assert!(decoded[0].is_err());
        assert_eq!(decoded[1].as_deref(), Ok(&[3u8][..]));
    }

    #[test]
    fn overlong_frame_is_dropped_and_the_next_one_decodes() {
        let mut wire = Vec::new();
        wire.resize(100, 0x55);
        wire.push(0);
        let mut out = [0u8; 32];
        wire.extend_from_slice(encode(&9u8, &mut out).unwrap());
        let decoded = decode_all::<16>(&wire);
        assert_eq!(decoded[0], Err(Error::FrameTooLong));
        assert_eq!(decoded[1].as_deref(), Ok(&[9u8][..]));
    }

    #[test]
    fn truncated_and_short_frames_are_reported() {
        // Code byte 5 promises 4 data bytes, only 2 arrive.
        assert_eq!(
            decode_all::<16>(&[5, 1, 2, 0]),
            [Err(Error::FrameTruncated)]
        );
        assert_eq!(decode_all::<16>(&[3, 1, 2, 0]), [Err(Error::FrameTooShort)]);
    }

    #[test]
    fn empty_frames_are_flushes() {
        let mut out = [0u8; 32];
        let frame = encode(&5u8, &mut out).unwrap().to_vec();
        let mut wire = vec_of(&[0, 0, 0]);
        wire.extend_from_slice(&frame);
        assert_eq!(decode_all::<16>(&wire), [Ok(vec_of(&[5]))]);
    }

    #[test]
    fn too_large_message_and_small_buffer_are_refused() {
        let big = [1u8; MAX_MESSAGE + 1];
        let mut out = [0u8; 2 * MAX_FRAME];
        assert_eq!(encode(&big[..], &mut out), Err(Error::MessageTooLarge));
        let mut tiny = [0u8; 4];
        assert_eq!(encode(&123_456u32, &mut tiny), Err(Error::BufferTooSmall));
    }

    #[test]
    fn largest_message_fits_max_frame() {
        // postcard(&[u8]) = varint length (2 bytes here) + bytes.
        let big = [0xAAu8; MAX_MESSAGE - 2];
        let mut out = [0u8; MAX_FRAME];
        let frame = encode(&big[..], &mut out).unwrap();
        assert!(frame.len() <= MAX_FRAME);
        let decoded = decode_all::<MAX_FRAME_PAYLOAD>(frame);
        assert_eq!(decoded.len(), 1);
        assert!(decoded[0].is_ok());
    }
}
