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
//! Both directions use the crate's one framing ([`crate::frame`]) with no
//! CRC key; encoding is streaming (no scratch buffer).

use serde::Serialize;

use super::{Error, MAX_FRAME_PAYLOAD, MAX_MESSAGE};
use crate::frame::cobs::{CobsDecoder, CobsError};
use crate::frame::{self, EmitError, Emitter, FrameError};

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
    let emitter = Emitter::new(out, &[]).with_limit(MAX_MESSAGE);
    frame::emit(message, emitter).map_err(|e| match e {
        EmitError::TooLarge => Error::MessageTooLarge,
        EmitError::BufferTooSmall | EmitError::Serialize(_) => Error::BufferTooSmall,
    })
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
    cobs: CobsDecoder,
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
            cobs: CobsDecoder::new(),
        }
    }

    /// Forgets any partial frame (e.g. when the line was reset).
    pub fn reset(&mut self) {
        self.cobs.reset();
    }

    /// True while a frame has started but not ended.
    pub fn in_frame(&self) -> bool {
        self.cobs.in_frame()
    }

    /// Consumes bytes from the front of `input` up to and including the end
    /// of the next frame, and returns that frame's message bytes (CRC
    /// checked and removed), or why the frame was unusable. Returns `None`
    /// once `input` is used up without a frame ending; the partial frame is
    /// kept for the next call.
    pub fn feed<'s>(&'s mut self, input: &mut &[u8]) -> Option<Result<&'s [u8], Error>> {
        while !input.is_empty() {
            let bytes = *input;
            let (part, rest, ended) = match bytes.iter().position(|&b| b == 0) {
                Some(end) => match (bytes.get(..end), bytes.get(end + 1..)) {
                    (Some(part), Some(rest)) => (part, rest, true),
                    _ => (bytes, &[][..], false),
                },
                None => (bytes, &[][..], false),
            };
            *input = rest;
            self.cobs.push_slice(part, &mut self.buf);
            if ended && self.cobs.in_frame() {
                return Some(self.finish_frame());
            }
            // An empty frame (a `0x00` outside a frame) is a flush, not an error.
        }
        None
    }

    /// Feeds one byte; returns what [`feed`](Self::feed) would.
    pub fn push(&mut self, byte: u8) -> Option<Result<&[u8], Error>> {
        let mut input: &[u8] = &[byte];
        self.feed(&mut input)
    }

    fn finish_frame(&mut self) -> Result<&[u8], Error> {
        let len = self.cobs.finish().map_err(|e| match e {
            CobsError::OutputFull => Error::FrameTooLong,
            CobsError::Truncated | CobsError::Invalid => Error::FrameTruncated,
        })?;
        let decoded = self.buf.get(..len).ok_or(Error::FrameTooLong)?;
        frame::parse(decoded, &[]).map_err(|e| match e {
            FrameError::TooShort => Error::FrameTooShort,
            FrameError::BadCrc => Error::BadChecksum,
        })
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
