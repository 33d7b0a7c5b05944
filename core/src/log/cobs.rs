//! Consistent Overhead Byte Stuffing: frames without zero bytes, so that
//! `0x00` can mark where each frame ends.
//!
//! A frame is a chain of blocks: a code byte `c` (1..=255) followed by
//! `c - 1` data bytes; each block except the last, and except those with
//! code `0xFF`, stands for its data followed by one zero. A frame of `n`
//! bytes costs `1 + n / 254` extra bytes at most.

/// Streams bytes into `out` as COBS, without an intermediate buffer.
pub(crate) struct CobsEncoder<'b> {
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
    pub(crate) fn new(out: &'b mut [u8]) -> Self {
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
        self.pos += 1;
        self.run = 0;
    }

    fn close_block(&mut self, code: u8) {
        if let Some(at) = self.code_at.take() {
            self.put(at, code);
        }
    }

    /// Adds one data byte. Errors are collected and reported by [`finish`](Self::finish).
    pub(crate) fn push(&mut self, byte: u8) {
        if self.code_at.is_none() {
            self.open_block();
        }
        if byte == 0 {
            self.close_block(self.run + 1);
            self.open_block();
        } else {
            self.put(self.pos, byte);
            self.pos += 1;
            self.run += 1;
            if self.run == 254 {
                // A full block carries no implied zero; the next block opens
                // only if more data comes.
                self.close_block(0xFF);
            }
        }
    }

    /// Closes the frame with its `0x00` delimiter; returns the bytes written,
    /// or `None` if `out` was too small.
    pub(crate) fn finish(mut self) -> Option<usize> {
        self.close_block(self.run + 1);
        self.put(self.pos, 0);
        self.pos += 1;
        if self.overflow {
            None
        } else {
            Some(self.pos)
        }
    }
}

/// Why a COBS frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CobsError {
    /// A code byte points past the end, or a zero byte appears inside.
    Invalid,
    /// `out` is too small.
    OutputFull,
}

/// Decodes one frame (its bytes without the closing `0x00`) into `out`;
/// returns the decoded length, at most `frame.len() - 1`.
pub(crate) fn decode(frame: &[u8], out: &mut [u8]) -> Result<usize, CobsError> {
    let mut rest = frame;
    let mut n = 0usize;
    while let Some((&code, after)) = rest.split_first() {
        if code == 0 {
            return Err(CobsError::Invalid);
        }
        let (data, after) = after
            .split_at_checked(usize::from(code) - 1)
            .ok_or(CobsError::Invalid)?;
        if data.contains(&0) {
            return Err(CobsError::Invalid);
        }
        let end = n.checked_add(data.len()).ok_or(CobsError::OutputFull)?;
        out.get_mut(n..end)
            .ok_or(CobsError::OutputFull)?
            .copy_from_slice(data);
        n = end;
        rest = after;
        if code != 0xFF && !rest.is_empty() {
            *out.get_mut(n).ok_or(CobsError::OutputFull)? = 0;
            n += 1;
        }
    }
    Ok(n)
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
        assert_eq!(decode(&[0x05, 1, 2], &mut back), Err(CobsError::Invalid));
        assert_eq!(decode(&[0x03, 1, 0], &mut back), Err(CobsError::Invalid));
        assert_eq!(
            decode(&[0x03, 1, 2, 0x02, 3], &mut back[..3]),
            Err(CobsError::OutputFull)
        );
    }

    extern crate std;
}
