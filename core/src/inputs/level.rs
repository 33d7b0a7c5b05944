//! Microphone level sources: where raw ADC samples come from.
//!
//! embedded-hal 1.0 has no ADC trait, and the device reads microphones in
//! different ways (the RP2040's own ADC round-robin with DMA, an external
//! SPI ADC, a file on the laptop). [`LevelSource`] is the small common
//! interface: fill a buffer with the next samples of one channel, and say
//! what full scale means, because the level path measures everything
//! relative to full scale (a 10-bit and a 12-bit ADC then behave alike).
//!
//! The engine itself takes plain slices
//! ([`Engine::push_samples`](crate::engine::Engine::push_samples)); a source
//! is a convenient way to produce them:
//!
//! ```
//! use tabletalk_core::inputs::level::{LevelSource, SliceSource};
//!
//! let recorded = [2048u16, 2100, 1990, 2048];
//! let mut source = SliceSource::new(&recorded, 4095);
//! let mut block = [0u16; 3];
//! assert_eq!(source.read(&mut block), Ok(3));
//! assert_eq!(source.read(&mut block), Ok(1)); // the last one
//! assert_eq!(source.read(&mut block), Ok(0)); // exhausted
//! assert_eq!(source.full_scale(), 4095);
//! ```

use core::convert::Infallible;

/// A source of raw samples for one microphone channel.
pub trait LevelSource {
    /// Why a read failed (a bus error, a DMA fault).
    type Error;

    /// The largest value a sample can take (4095 for a 12-bit ADC).
    fn full_scale(&self) -> u16;

    /// Fills the front of `out` with the next samples and returns how many
    /// it wrote (0: nothing available now). Never writes past `out`.
    fn read(&mut self, out: &mut [u16]) -> Result<usize, Self::Error>;
}

impl<T: LevelSource + ?Sized> LevelSource for &mut T {
    type Error = T::Error;

    fn full_scale(&self) -> u16 {
        (**self).full_scale()
    }

    fn read(&mut self, out: &mut [u16]) -> Result<usize, Self::Error> {
        (**self).read(out)
    }
}

/// Samples from memory: a recording, a test signal.
#[derive(Clone, Debug)]
pub struct SliceSource<'a> {
    samples: &'a [u16],
    full_scale: u16,
}

impl<'a> SliceSource<'a> {
    /// A source that yields `samples` once, with the given full scale.
    pub const fn new(samples: &'a [u16], full_scale: u16) -> Self {
        SliceSource {
            samples,
            full_scale,
        }
    }

    /// The samples not read yet.
    pub const fn remaining(&self) -> &'a [u16] {
        self.samples
    }
}

impl LevelSource for SliceSource<'_> {
    type Error = Infallible;

    fn full_scale(&self) -> u16 {
        self.full_scale
    }

    fn read(&mut self, out: &mut [u16]) -> Result<usize, Infallible> {
        let n = out.len().min(self.samples.len());
        let (head, tail) = self
            .samples
            .split_at_checked(n)
            .unwrap_or((self.samples, &[]));
        for (slot, &sample) in out.iter_mut().zip(head) {
            *slot = sample;
        }
        self.samples = tail;
        Ok(n)
    }
}
