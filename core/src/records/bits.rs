//! Bit-level coding for turn batches: MSB-first bit streams and Rice codes.
//!
//! A Rice code with parameter `k` writes `v >> k` in unary (that many `1`
//! bits, then a `0`) followed by the low `k` bits of `v`. It is the optimal
//! prefix code for geometrically distributed values, which is close to how
//! gaps between turn ends and turn durations are distributed; choosing `k`
//! per batch adapts it to each stretch of a meeting.

/// The largest Rice parameter; with it every `u64` costs at most 65 bits.
pub(crate) const MAX_RICE_K: u32 = 63;

/// Bits a Rice code with parameter `k` spends on `v`.
pub(crate) const fn rice_len(v: u64, k: u32) -> u64 {
    (v >> k) + 1 + k as u64
}

/// The Rice parameter that codes `values` in the fewest bits, and that
/// number of bits. Ties go to the smaller `k`.
pub(crate) fn best_rice_k(values: impl Iterator<Item = u64> + Clone) -> (u32, u64) {
    let mut best = (0, u64::MAX);
    let mut k = 0;
    while k <= MAX_RICE_K {
        let cost = values
            .clone()
            .fold(0u64, |sum, v| sum.saturating_add(rice_len(v, k)));
        if cost < best.1 {
            best = (k, cost);
        }
        k += 1;
    }
    best
}

/// Writes bits MSB-first, handing each completed byte to `emit`.
pub(crate) struct BitWriter<F> {
    acc: u8,
    filled: u32,
    emit: F,
}

impl<E, F: FnMut(u8) -> Result<(), E>> BitWriter<F> {
    pub(crate) fn new(emit: F) -> Self {
        BitWriter {
            acc: 0,
            filled: 0,
            emit,
        }
    }

    pub(crate) fn bit(&mut self, bit: bool) -> Result<(), E> {
        self.acc = (self.acc << 1) | u8::from(bit);
        self.filled += 1;
        if self.filled == 8 {
            let byte = self.acc;
            self.acc = 0;
            self.filled = 0;
            (self.emit)(byte)?;
        }
        Ok(())
    }

    /// The low `count` bits of `value`, most significant first (`count <= 64`).
    pub(crate) fn bits(&mut self, value: u64, count: u32) -> Result<(), E> {
        let mut i = count.min(64);
        while i > 0 {
            i -= 1;
            self.bit((value >> i) & 1 == 1)?;
        }
        Ok(())
    }

    pub(crate) fn rice(&mut self, value: u64, k: u32) -> Result<(), E> {
        let mut q = value >> k;
        while q > 0 {
            self.bit(true)?;
            q -= 1;
        }
        self.bit(false)?;
        self.bits(value, k)
    }

    /// Pads the last byte with zero bits and emits it.
    pub(crate) fn finish(mut self) -> Result<(), E> {
        while self.filled != 0 {
            self.bit(false)?;
        }
        Ok(())
    }
}

/// Reads bits MSB-first; every read is checked, `None` means "ran out" or
/// "does not fit".
#[derive(Clone, Debug)]
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Index of the next bit.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, pos: 0 }
    }

    pub(crate) fn bit(&mut self) -> Option<bool> {
        let byte = *self.bytes.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1 == 1;
        self.pos += 1;
        Some(bit)
    }

    pub(crate) fn bits(&mut self, count: u32) -> Option<u64> {
        if count > 64 {
            return None;
        }
        let mut value = 0u64;
        for _ in 0..count {
            value = (value << 1) | u64::from(self.bit()?);
        }
        Some(value)
    }

    pub(crate) fn rice(&mut self, k: u32) -> Option<u64> {
        // The unary part can be no longer than the bits that are left, so a
        // hostile stream costs at most one pass over its own bytes.
        let mut q = 0u64;
        while self.bit()? {
            q += 1;
        }
        if k > MAX_RICE_K || q > (u64::MAX >> k) {
            return None;
        }
        let low = self.bits(k)?;
        Some((q << k) | low)
    }

    /// True if only zero padding (fewer than 8 bits) is left.
    pub(crate) fn at_padding(&self) -> bool {
        let total = self.bytes.len().saturating_mul(8);
        if total.saturating_sub(self.pos) >= 8 {
            return false;
        }
        let mut probe = self.clone();
        while probe.pos < total {
            if probe.bit() != Some(false) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(f: impl FnOnce(&mut BitWriter<&mut dyn FnMut(u8) -> Result<(), ()>>)) -> [u8; 16] {
        let mut out = [0u8; 16];
        let mut n = 0;
        let mut emit = |b: u8| -> Result<(), ()> {
            *out.get_mut(n).ok_or(())? = b;
            n += 1;
            Ok(())
        };
        let mut w = BitWriter::new(&mut emit as &mut dyn FnMut(u8) -> Result<(), ()>);
        f(&mut w);
        assert_eq!(w.finish(), Ok(()));
        out
    }

    #[test]
    fn rice_codes_are_unary_quotient_then_remainder() {
        // 9 with k = 2: quotient 2 -> "110", remainder 1 -> "01": 11001 + pad.
        let out = write(|w| {
            assert_eq!(w.rice(9, 2), Ok(()));
        });
        assert_eq!(out[0], 0b1100_1000);
        let mut r = BitReader::new(&out[..1]);
        assert_eq!(r.rice(2), Some(9));
        assert!(r.at_padding());
    }

    #[test]
    fn round_trips_extremes() {
        let out = write(|w| {
            assert_eq!(w.rice(u64::MAX, 63), Ok(()));
            assert_eq!(w.rice(0, 0), Ok(()));
            assert_eq!(w.bits(0b101, 3), Ok(()));
        });
        let mut r = BitReader::new(&out);
        assert_eq!(r.rice(63), Some(u64::MAX));
        assert_eq!(r.rice(0), Some(0));
        assert_eq!(r.bits(3), Some(0b101));
    }

    #[test]
    fn hostile_unary_runs_out_instead_of_looping() {
        let ones = [0xFFu8; 4];
        assert_eq!(BitReader::new(&ones).rice(0), None);
        // 2 ones then zero with k = 63 would overflow: quotient 2 << 63.
        let overflow = [0b1100_0000u8, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(BitReader::new(&overflow).rice(63), None);
    }

    #[test]
    fn best_k_matches_the_mean() {
        let values = [100u64, 120, 90, 110];
        let (k, bits) = best_rice_k(values.iter().copied());
        assert_eq!(k, 6);
        let by_hand: u64 = values.iter().map(|&v| rice_len(v, 6)).sum();
        assert_eq!(bits, by_hand);
        assert_eq!(best_rice_k([0u64, 0].iter().copied()), (0, 2));
    }
}
