//! Consistent Overhead Byte Stuffing: frames without zero bytes, so that
//! `0x00` can mark where each frame ends.
//!
//! A frame is a chain of blocks: a code byte `c` (1..=255) followed by
//! `c - 1` data bytes; each block except the last, and except those with
//! code `0xFF`, stands for its data followed by one zero. A frame of `n`
//! bytes costs `1 + n / 254` extra bytes at most. The encoder writes the
//! canonical form of Cheshire & Baker (a frame whose last block is full
//! ends with it); the decoders also read the form with one more, empty,
//! block after it.

/// Streams bytes into `out` as COBS, without an intermediate buffer.
pub struct CobsEncoder<'b> {
    out: &'b mut [u8],
    /// Next write position.
    pos: usize,
    /// Position of the open block's code byte, if a block is open.
    code_at: Option<usize>,
    /// Data bytes in the open block.
    run: u8,
    overflow: bool,
}

impl<'b> CobsEncoder<'b> {
    /// An encoder writing into `out` from its start.
    pub fn new(out: &'b mut [u8]) -> Self {
        let mut enc = CobsEncoder {
            out,
            pos: 0,
            code_at: None,
            run: 0,
            overflow: false,
        };
        enc.open_block();
        enc
    }

    fn put(&mut self, at: usize, byte: u8) {
        match self.out.get_mut(at) {
            Some(slot) => *slot = byte,
            None => self.overflow = true,
        }
    }

    fn open_block(&mut self) {
        self.code_at = Some(self.pos);
        self.pos = self.pos.saturating_add(1);
        self.run = 0;
    }

    fn close_block(&mut self, code: u8) {
        if let Some(at) = self.code_at.take() {
            self.put(at, code);
        }
    }

    /// Adds one data byte. Errors are collected and reported by [`finish`](Self::finish).
    pub fn push(&mut self, byte: u8) {
        if self.code_at.is_none() {
            self.open_block();
        }
        if byte == 0 {
            self.close_block(self.run.saturating_add(1));
            self.open_block();
        } else {
            self.put(self.pos, byte);
            self.pos = self.pos.saturating_add(1);
            self.run = self.run.saturating_add(1);
            if self.run == 254 {
                // A full block carries no implied zero; the next block opens
                // only if more data comes.
                self.close_block(0xFF);
            }
        }
    }

    /// True once a byte did not fit in `out`.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Closes the frame with its `0x00` delimiter; returns the bytes written,
    /// or `None` if `out` was too small.
    pub fn finish(mut self) -> Option<usize> {
        self.close_block(self.run.saturating_add(1));
        self.put(self.pos, 0);
        self.pos = self.pos.saturating_add(1);
        if self.overflow {
            None
        } else {
            Some(self.pos)
        }
    }
}

/// Why a COBS frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CobsError {
    /// A zero byte inside the frame (a code byte of 0, or a zero among the data).
    Invalid,
    /// The frame ends inside a block: its last code byte points past the end.
    Truncated,
    /// The output is too small for the decoded bytes.
    OutputFull,
}

/// Decodes COBS as bytes arrive, in pieces of any size, into an output the
/// caller owns. Feed it one frame's bytes (without the `0x00`), then
/// [`finish`](Self::finish).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CobsDecoder {
    /// Decoded bytes written so far.
    len: usize,
    /// Data bytes still to come in the current block.
    remaining: u8,
    /// The current block's code byte (0: no block started in this frame).
    code: u8,
    invalid: bool,
    overflow: bool,
}

impl CobsDecoder {
    /// A decoder at the start of a frame.
    pub const fn new() -> Self {
        CobsDecoder {
            len: 0,
            remaining: 0,
            code: 0,
            invalid: false,
            overflow: false,
        }
    }

    /// Forgets the frame begun so far.
    pub fn reset(&mut self) {
        *self = Self::new();
    }

    /// True once a byte of a frame has come.
    pub fn in_frame(&self) -> bool {
        self.code != 0 || self.overflow || self.invalid
    }

    /// Decodes `bytes`, the next part of the frame, into `out` (the same
    /// buffer for every part of one frame).
    pub fn push_slice(&mut self, mut bytes: &[u8], out: &mut [u8]) {
        while let Some((&first, rest)) = bytes.split_first() {
            if self.remaining == 0 {
                self.code_byte(first, out);
                bytes = rest;
                continue;
            }
            let take = usize::from(self.remaining).min(bytes.len());
            let Some((run, rest)) = bytes.split_at_checked(take) else {
                return;
            };
            if run.contains(&0) {
                self.invalid = true;
            }
            self.write(run, out);
            self.remaining = self
                .remaining
                .saturating_sub(u8::try_from(take).unwrap_or(u8::MAX));
            bytes = rest;
        }
    }

    fn code_byte(&mut self, code: u8, out: &mut [u8]) {
        if code == 0 {
            self.invalid = true;
            return;
        }
        // The previous block, unless it was a full one, stands for an
        // implied zero — known only now that another block follows.
        if self.code != 0 && self.code != 0xFF {
            self.write(&[0], out);
        }
        self.code = code;
        self.remaining = code - 1;
    }

    fn write(&mut self, data: &[u8], out: &mut [u8]) {
        if self.overflow {
            return;
        }
        let dst = self
            .len
            .checked_add(data.len())
            .and_then(|end| Some((out.get_mut(self.len..end)?, end)));
        match dst {
            Some((dst, end)) => {
                // Zipped rather than `copy_from_slice`: the same code, with
                // no length-mismatch panic for the linker to find.
                for (d, &s) in dst.iter_mut().zip(data) {
                    *d = s;
                }
                self.len = end;
            }
            None => self.overflow = true,
        }
    }

    /// Ends the frame: the decoded length, or why it is unusable. The
    /// decoder is then ready for the next frame.
    pub fn finish(&mut self) -> Result<usize, CobsError> {
        let result = if self.overflow {
            Err(CobsError::OutputFull)
        } else if self.invalid {
            Err(CobsError::Invalid)
        } else if self.remaining > 0 {
            Err(CobsError::Truncated)
        } else {
            Ok(self.len)
        };
        self.reset();
        result
    }
}

/// Decodes one frame (its bytes without the closing `0x00`) into `out`;
/// returns the decoded length, at most `frame.len() - 1`.
pub fn decode(frame: &[u8], out: &mut [u8]) -> Result<usize, CobsError> {
    let mut decoder = CobsDecoder::new();
    decoder.push_slice(frame, out);
    decoder.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn encode(data: &[u8], out: &mut [u8]) -> usize {
        let mut enc = CobsEncoder::new(out);
        for &b in data {
            enc.push(b);
        }
        enc.finish().unwrap()
    }

    #[test]
    fn matches_the_reference_examples() {
        // Examples from Cheshire & Baker / the Wikipedia article.
        let cases: &[(&[u8], &[u8])] = &[
            (&[], &[0x01, 0x00]),
            (&[0x00], &[0x01, 0x01, 0x00]),
            (&[0x00, 0x00], &[0x01, 0x01, 0x01, 0x00]),
            (
                &[0x11, 0x22, 0x00, 0x33],
                &[0x03, 0x11, 0x22, 0x02, 0x33, 0x00],
            ),
            (
                &[0x11, 0x00, 0x00, 0x00],
                &[0x02, 0x11, 0x01, 0x01, 0x01, 0x00],
            ),
        ];
        for (data, want) in cases {
            let mut out = [0u8; 16];
            let n = encode(data, &mut out);
            assert_eq!(&out[..n], *want, "encoding {data:02x?}");
            let mut back = [0u8; 16];
            let m = decode(&out[..n - 1], &mut back).unwrap();
            assert_eq!(&back[..m], *data);
        }
    }

    #[test]
    fn long_runs_split_into_254_byte_blocks() {
        for len in [253usize, 254, 255, 508, 600] {
            let data: std::vec::Vec<u8> = (0..len).map(|i| (i % 255 + 1) as u8).collect();
            let mut out = [0u8; 700];
            let n = encode(&data, &mut out);
            assert_eq!(n, len + len.div_ceil(254) + 1);
            assert!(!out[..n - 1].contains(&0));
            let mut back = [0u8; 700];
            let m = decode(&out[..n - 1], &mut back).unwrap();
            assert_eq!(&back[..m], &data[..]);
        }
        // Exactly 254 non-zero bytes: FF + data, no trailing 01 block.
        let data = [7u8; 254];
        let mut out = [0u8; 300];
        assert_eq!(encode(&data, &mut out), 256);
        assert_eq!(out[0], 0xFF);
    }

    #[test]
    fn reports_small_buffers_and_bad_codes() {
        let mut out = [0u8; 3];
        let mut enc = CobsEncoder::new(&mut out);
        for b in [1, 2, 3] {
            enc.push(b);
        }
        assert_eq!(enc.finish(), None);
        let mut back = [0u8; 8];
        assert_eq!(decode(&[0x05, 1, 2], &mut back), Err(CobsError::Truncated));
        assert_eq!(decode(&[0x00, 1, 2], &mut back), Err(CobsError::Invalid));
        assert_eq!(decode(&[0x03, 1, 0], &mut back), Err(CobsError::Invalid));
        assert_eq!(
            decode(&[0x03, 1, 2, 0x02, 3], &mut back[..3]),
            Err(CobsError::OutputFull)
        );
    }

    #[test]
    fn reads_the_form_with_an_empty_block_after_a_full_one() {
        let data = [7u8; 254];
        let mut other = [0x01u8; 256];
        other[0] = 0xFF;
        other[1..255].copy_from_slice(&data);
        let mut back = [0u8; 300];
        assert_eq!(decode(&other, &mut back), Ok(254));
        assert_eq!(&back[..254], &data[..]);
    }

    #[test]
    fn pieces_of_any_size_decode_like_the_whole() {
        let data: std::vec::Vec<u8> = (0..600u32).map(|i| (i % 7) as u8).collect();
        let mut wire = [0u8; 700];
        let n = encode(&data, &mut wire);
        for piece in [1usize, 2, 3, 253, 254, 255, 700] {
            let mut decoder = CobsDecoder::new();
            let mut back = [0u8; 700];
            for chunk in wire[..n - 1].chunks(piece) {
                decoder.push_slice(chunk, &mut back);
            }
            assert_eq!(decoder.finish(), Ok(data.len()), "piece {piece}");
            assert_eq!(&back[..data.len()], &data[..]);
        }
    }

    extern crate std;
}
