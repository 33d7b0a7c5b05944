//! The microphone task: the RP2040's ADC samples GP26-GP28 round-robin into
//! memory by DMA, 8 kHz per channel; each 10 ms block is split per channel
//! and handed to the recorder, which feeds the engine's level path. No
//! sample leaves the device or reaches flash: only levels are derived.

use embassy_rp::adc::{Adc, Async, Channel};
use embassy_rp::dma;

use crate::board::{ADC_CHANNELS, SAMPLE_RATE_HZ};
use crate::shared::{self, MicBlock, BLOCK, MIC_BLOCKS};

/// The ADC's clock.
const ADC_CLOCK_HZ: u32 = 48_000_000;
/// Clock divider for `SAMPLE_RATE_HZ` per channel over all channels:
/// one conversion every `div + 1` ADC clocks.
const DIV: u16 = (ADC_CLOCK_HZ / (SAMPLE_RATE_HZ * ADC_CHANNELS as u32) - 1) as u16;

/// Samples the microphones for ever.
#[embassy_executor::task]
pub async fn mics_task(
    mut adc: Adc<'static, Async>,
    mut channels: [Channel<'static>; ADC_CHANNELS as usize],
    mut dma: dma::Channel<'static>,
) {
    let mut interleaved = [0u16; BLOCK * ADC_CHANNELS as usize];
    let mut failures: u32 = 0;
    loop {
        // Each read starts at the first channel, so the interleaving stays
        // aligned; the few microseconds between reads are a gap of about
        // one sample per block, which the level path does not notice.
        if adc
            .read_many_multichannel(&mut channels, &mut interleaved, DIV, &mut dma)
            .await
            .is_err()
        {
            failures = failures.wrapping_add(1);
            if failures % 100 == 1 {
                warn!("ADC conversion errors: {}", failures);
            }
            continue;
        }
        let at = shared::now();
        for channel in 0..ADC_CHANNELS {
            let mut block = MicBlock {
                channel,
                at,
                samples: [0; BLOCK],
            };
            let column = interleaved
                .iter()
                .skip(usize::from(channel))
                .step_by(usize::from(ADC_CHANNELS));
            for (slot, &sample) in block.samples.iter_mut().zip(column) {
                *slot = sample;
            }
            if MIC_BLOCKS.try_send(block).is_err() {
                shared::count_dropped_block();
            }
        }
    }
}
