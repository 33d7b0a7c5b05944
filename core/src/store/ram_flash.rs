//! A NOR flash in RAM that can lose power: for tests of the stores on the
//! host (and of anything built on them), with the same code as on the device.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// Why a [`RamFlash`] operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RamFlashError {
    /// The power was cut (see [`RamFlash::cut_power_after`]); nothing works
    /// until [`RamFlash::power_on`].
    PowerCut,
    /// The operation reaches beyond the flash.
    OutOfBounds,
    /// An offset or length is not a multiple of the write or erase size.
    NotAligned,
}

impl core::fmt::Display for RamFlashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RamFlashError::PowerCut => "the power was cut",
            RamFlashError::OutOfBounds => "beyond the end of the flash",
            RamFlashError::NotAligned => "not aligned to the write or erase size",
        })
    }
}

impl core::error::Error for RamFlashError {}

impl NorFlashError for RamFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            RamFlashError::PowerCut => NorFlashErrorKind::Other,
            RamFlashError::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            RamFlashError::NotAligned => NorFlashErrorKind::NotAligned,
        }
    }
}

/// Units of the power budget one sector erase takes: a cut after the first
/// leaves the sector half erased.
pub const ERASE_UNITS: u64 = 2;

/// What the byte being programmed when the power goes looks like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CutStyle {
    /// Untouched: the write stops exactly between two bytes.
    #[default]
    BetweenBytes,
    /// Half programmed: its low four bits are written, the high ones not.
    HalfByte,
}

/// Counts of what a [`RamFlash`] was asked to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FlashStats {
    /// Bytes programmed.
    pub bytes_written: u64,
    /// Sector erases.
    pub erases: u32,
    /// Bytes programmed a second time with a different value without an
    /// erase in between. Real NOR flash only clears bits, so a store that
    /// does this relies on undefined behaviour: tests assert it stays 0.
    pub reprogrammed: u32,
}

impl FlashStats {
    /// Power-budget units used: bytes written plus [`ERASE_UNITS`] per erase.
    pub fn units(&self) -> u64 {
        self.bytes_written + ERASE_UNITS * u64::from(self.erases)
    }
}

/// `SIZE` bytes of NOR flash in RAM, erased to `0xFF`, with sectors of
/// `ERASE` bytes and a write granularity of `WRITE` bytes.
///
/// It behaves like NOR flash: programming only clears bits (the result is
/// old AND new), erasing sets a whole sector back to `0xFF`. And it can lose
/// power: after [`RamFlash::cut_power_after`]`(n)`, the write or erase that
/// crosses the budget of `n` units (one per byte programmed,
/// [`ERASE_UNITS`] per sector erased) stops part way and every operation
/// after it fails with [`RamFlashError::PowerCut`], until
/// [`RamFlash::power_on`]. A write cut part way has programmed its first
/// bytes only; an erase cut part way has erased the first half of its
/// sector only. [`FlashStats::units`] counts the units used so far, so a
/// test can cut at every one of them.
///
/// ```
/// use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
/// use tabletalk_core::store::{RamFlash, RamFlashError};
/// let mut flash = RamFlash::<4096, 1024>::new();
/// flash.cut_power_after(3);
/// assert_eq!(flash.write(0, &[1, 2, 3, 4, 5]), Err(RamFlashError::PowerCut));
/// flash.power_on();
/// let mut back = [0u8; 5];
/// flash.read(0, &mut back).unwrap();
/// assert_eq!(back, [1, 2, 3, 0xFF, 0xFF]);
/// ```
#[derive(Clone, Debug)]
pub struct RamFlash<const SIZE: usize, const ERASE: usize = 4096, const WRITE: usize = 1> {
    bytes: [u8; SIZE],
    /// Units left before the power goes; `None`: no cut planned.
    budget: Option<u64>,
    powered: bool,
    style: CutStyle,
    stats: FlashStats,
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> Default
    for RamFlash<SIZE, ERASE, WRITE>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> RamFlash<SIZE, ERASE, WRITE> {
    /// An erased flash with power and no cut planned.
    pub const fn new() -> Self {
        RamFlash {
            bytes: [0xFF; SIZE],
            budget: None,
            powered: true,
            style: CutStyle::BetweenBytes,
            stats: FlashStats {
                bytes_written: 0,
                erases: 0,
                reprogrammed: 0,
            },
        }
    }

    /// Plans a power cut after `units` more units (0: the next write or
    /// erase does nothing at all).
    pub fn cut_power_after(&mut self, units: u64) {
        self.budget = Some(units);
    }

    /// How the byte being programmed at the cut ends up.
    pub fn set_cut_style(&mut self, style: CutStyle) {
        self.style = style;
    }

    /// Powers the flash again (after a cut), with no further cut planned;
    /// the contents are what the cut left.
    pub fn power_on(&mut self) {
        self.powered = true;
        self.budget = None;
    }

    /// Whether the power is on.
    pub fn is_powered(&self) -> bool {
        self.powered
    }

    /// Units still to go before a planned cut.
    pub fn budget_left(&self) -> Option<u64> {
        self.budget
    }

    /// The contents.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The contents, to damage them on purpose.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }

    /// What was done so far.
    pub fn stats(&self) -> FlashStats {
        self.stats
    }

    fn check(
        &self,
        offset: u32,
        len: usize,
        align: usize,
    ) -> Result<core::ops::Range<usize>, RamFlashError> {
        if !self.powered {
            return Err(RamFlashError::PowerCut);
        }
        let start = offset as usize;
        let end = start.checked_add(len).ok_or(RamFlashError::OutOfBounds)?;
        if end > SIZE {
            return Err(RamFlashError::OutOfBounds);
        }
        if align > 1 && (start % align != 0 || len % align != 0) {
            return Err(RamFlashError::NotAligned);
        }
        Ok(start..end)
    }

    /// Takes `wanted` units from the budget; returns how many may be used
    /// and whether the power goes after them.
    fn spend(&mut self, wanted: u64) -> (u64, bool) {
        match self.budget {
            Some(left) if left < wanted => {
                self.budget = Some(0);
                self.powered = false;
                (left, true)
            }
            Some(left) => {
                self.budget = Some(left - wanted);
                (wanted, false)
            }
            None => (wanted, false),
        }
    }
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> ErrorType
    for RamFlash<SIZE, ERASE, WRITE>
{
    type Error = RamFlashError;
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> ReadNorFlash
    for RamFlash<SIZE, ERASE, WRITE>
{
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let range = self.check(offset, bytes.len(), 1)?;
        let src = self.bytes.get(range).ok_or(RamFlashError::OutOfBounds)?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        SIZE
    }
}

impl<const SIZE: usize, const ERASE: usize, const WRITE: usize> NorFlash
    for RamFlash<SIZE, ERASE, WRITE>
{
    const WRITE_SIZE: usize = WRITE;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = (to as usize)
            .checked_sub(from as usize)
            .ok_or(RamFlashError::OutOfBounds)?;
        let range = self.check(from, len, ERASE)?;
        let mut start = range.start;
        while start < range.end {
            let (granted, cut) = self.spend(ERASE_UNITS);
            let sector = self
                .bytes
                .get_mut(start..start + ERASE)
                .ok_or(RamFlashError::OutOfBounds)?;
            match granted {
                ERASE_UNITS => {
                    sector.fill(0xFF);
                    self.stats.erases = self.stats.erases.saturating_add(1);
                }
                0 => {}
                _ => {
                    if let Some(half) = sector.get_mut(..ERASE / 2) {
                        half.fill(0xFF);
                    }
                }
            }
            if cut {
                return Err(RamFlashError::PowerCut);
            }
            start += ERASE;
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let range = self.check(offset, bytes.len(), WRITE)?;
        let (granted, cut) = self.spend(bytes.len() as u64);
        let granted = granted as usize;
        let dest = self
            .bytes
            .get_mut(range)
            .ok_or(RamFlashError::OutOfBounds)?;
        for (i, (old, new)) in dest.iter_mut().zip(bytes).enumerate() {
            if i < granted {
                if *old != 0xFF && *old & *new != *old {
                    self.stats.reprogrammed = self.stats.reprogrammed.saturating_add(1);
                }
                *old &= *new;
                self.stats.bytes_written = self.stats.bytes_written.saturating_add(1);
            } else {
                if i == granted && self.style == CutStyle::HalfByte {
                    *old &= *new | 0xF0;
                }
                break;
            }
        }
        if cut {
            Err(RamFlashError::PowerCut)
        } else {
            Ok(())
        }
    }
}
