//! More microphone seats: an MCP3008 8-channel 10-bit SPI ADC (feature
//! `ext-adc`), as level-source channels 3-10.
//!
//! [`Mcp3008Channel`] implements the core's
//! [`LevelSource`](tabletalk_core::inputs::level::LevelSource), the same
//! interface every microphone input has. The task samples only the channels
//! the configuration uses, one burst of 8 samples per channel each
//! millisecond (8 kHz on average). At the 1.35 MHz SPI clock the MCP3008 is
//! rated for at 2.7 V, a sample takes about 18 µs of bus time, so each
//! channel in use costs about 15% of the CPU: plan on at most four.

use embassy_time::{Duration, Ticker};
use embedded_hal::digital::OutputPin;
use embedded_hal::spi::SpiBus;
use portable_atomic::{AtomicU32, Ordering};
use tabletalk_core::inputs::level::LevelSource;

use crate::board::{ADC_CHANNELS, EXT_CHANNELS, EXT_FULL_SCALE, SAMPLE_RATE_HZ};
use crate::shared::{self, MicBlock, BLOCK, MIC_BLOCKS};

/// SPI clock for the MCP3008.
pub const SPI_HZ: u32 = 1_350_000;

/// External channels the configuration uses: bit `k` for MCP3008 CH`k`.
pub static IN_USE: AtomicU32 = AtomicU32::new(0);

/// An MCP3008 on an SPI bus with its own chip-select pin.
pub struct Mcp3008<SPI, CS> {
    spi: SPI,
    cs: CS,
}

/// Why a conversion failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mcp3008Error {
    /// The SPI transfer failed.
    Bus,
    /// The chip-select pin could not be driven.
    ChipSelect,
}

impl<SPI: SpiBus, CS: OutputPin> Mcp3008<SPI, CS> {
    /// The converter on `spi` (mode 0, at most [`SPI_HZ`]) selected by `cs`.
    pub fn new(spi: SPI, mut cs: CS) -> Self {
        let _ = cs.set_high();
        Mcp3008 { spi, cs }
    }

    /// One single-ended conversion of `channel` (0-7).
    pub fn sample(&mut self, channel: u8) -> Result<u16, Mcp3008Error> {
        // Start bit, then single-ended + channel in the next byte's top
        // nibble; the 10-bit result comes back in the last 10 bits.
        let mut frame = [0x01, 0x80 | ((channel & 0x07) << 4), 0x00];
        self.cs.set_low().map_err(|_| Mcp3008Error::ChipSelect)?;
        let transfer = self
            .spi
            .transfer_in_place(&mut frame)
            .map_err(|_| Mcp3008Error::Bus);
        let flushed = self.spi.flush().map_err(|_| Mcp3008Error::Bus);
        self.cs.set_high().map_err(|_| Mcp3008Error::ChipSelect)?;
        transfer.and(flushed)?;
        Ok((u16::from(frame[1] & 0x03) << 8) | u16::from(frame[2]))
    }

    /// Channel `channel` as a level source.
    pub fn channel(&mut self, channel: u8) -> Mcp3008Channel<'_, SPI, CS> {
        Mcp3008Channel { adc: self, channel }
    }
}

/// One MCP3008 channel as a level source: each read converts as many
/// samples as asked for, back to back.
pub struct Mcp3008Channel<'a, SPI, CS> {
    adc: &'a mut Mcp3008<SPI, CS>,
    channel: u8,
}

impl<SPI: SpiBus, CS: OutputPin> LevelSource for Mcp3008Channel<'_, SPI, CS> {
    type Error = Mcp3008Error;

    fn full_scale(&self) -> u16 {
        EXT_FULL_SCALE
    }

    fn read(&mut self, out: &mut [u16]) -> Result<usize, Self::Error> {
        for slot in out.iter_mut() {
            *slot = self.adc.sample(self.channel)?;
        }
        Ok(out.len())
    }
}

/// Samples per channel per millisecond.
const PER_MS: usize = (SAMPLE_RATE_HZ / 1000) as usize;

/// Samples the external channels in use for ever.
#[embassy_executor::task]
pub async fn ext_adc_task(
    mut adc: Mcp3008<
        embassy_rp::spi::Spi<'static, embassy_rp::peripherals::SPI0, embassy_rp::spi::Blocking>,
        embassy_rp::gpio::Output<'static>,
    >,
) {
    let mut ticker = Ticker::every(Duration::from_millis(1));
    let mut blocks = [[0u16; BLOCK]; EXT_CHANNELS as usize];
    let mut filled = 0usize;
    let mut failures: u32 = 0;
    // The channels sampled in this block: taken at the block's start only,
    // so that every block sent is whole. (Taken at every burst, a channel
    // switched on mid-block sent a block beginning with samples of 0, or
    // of another configuration: a burst at the rail that upset its level
    // path's bias and noise floor for seconds.)
    let mut in_use = 0u32;
    loop {
        ticker.next().await;
        if filled == 0 {
            in_use = IN_USE.load(Ordering::Relaxed);
        }
        for (k, block) in blocks.iter_mut().enumerate() {
            if in_use & (1 << k) == 0 {
                continue;
            }
            let Some(burst) = block.get_mut(filled..filled + PER_MS) else {
                continue;
            };
            if adc.channel(k as u8).read(burst).is_err() {
                failures = failures.wrapping_add(1);
                if failures % 1000 == 1 {
                    warn!("MCP3008 errors: {}", failures);
                }
            }
        }
        filled += PER_MS;
        if filled < BLOCK {
            continue;
        }
        filled = 0;
        let at = shared::now();
        for (k, samples) in blocks.iter().enumerate() {
            if in_use & (1 << k) == 0 {
                continue;
            }
            let block = MicBlock {
                channel: ADC_CHANNELS + k as u8,
                at,
                samples: *samples,
            };
            if MIC_BLOCKS.try_send(block).is_err() {
                shared::count_dropped_block();
            }
        }
    }
}
