//! A tiny deterministic pseudo-random generator.
//!
//! The emulated device and its host twin must draw the very same numbers, so
//! the generator is defined here bit for bit rather than taken from a crate
//! whose algorithm might change between versions: Marsaglia's xorshift32
//! (shifts 13, 17, 5). Integer-only and cheap on a Cortex-M0 (no multiply).

/// Marsaglia's xorshift32 generator. Never yields 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng(u32);

impl Rng {
    /// A generator started from `seed` (a zero seed, which xorshift cannot
    /// leave, is replaced by a fixed non-zero one).
    ///
    /// ```
    /// use tabletalk_scenario::rng::Rng;
    /// let mut a = Rng::new(7);
    /// let mut b = Rng::new(7);
    /// assert_eq!(a.next_u32(), b.next_u32());
    /// assert_eq!(Rng::new(1).next_u32(), 270_369); // the algorithm is fixed
    /// ```
    pub const fn new(seed: u32) -> Self {
        Rng(if seed == 0 { 0x9E37_79B9 } else { seed })
    }

    /// The next 32 pseudo-random bits.
    pub fn next_u32(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// A number in `low..=high` (`low` when the range is empty). The small
    /// modulo bias is irrelevant for test signals and keeps this cheap.
    pub fn between(&mut self, low: u32, high: u32) -> u32 {
        let span = high.saturating_sub(low).saturating_add(1);
        low.saturating_add(self.next_u32() % span)
    }

    /// True with probability `numerator / denominator`.
    pub fn chance(&mut self, numerator: u32, denominator: u32) -> bool {
        denominator != 0 && self.next_u32() % denominator < numerator
    }

    /// A derived generator for an independent stream (one per seat, say).
    pub fn fork(&mut self, salt: u32) -> Rng {
        Rng::new(self.next_u32() ^ salt.wrapping_mul(0x9E37_79B9))
    }
}
