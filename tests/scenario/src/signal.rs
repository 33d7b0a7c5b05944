//! Microphone signals: what an electret module behind a 12-bit ADC delivers
//! while people talk at a table.
//!
//! A voice is noise shaped by a syllable rhythm (about 4 to 5 per second)
//! with short pauses inside a turn. Each microphone hears its own seat's
//! voice, a little of every other voice (crosstalk), electrical noise and a
//! DC bias that is not exactly mid-scale. Levels only: the core never sees
//! more than an envelope of this.

use crate::rng::Rng;
use crate::seats::SeatSetup;

/// Highest ADC code (12 bits).
pub const ADC_MAX: u16 = 4_095;

/// Electrical noise at every microphone (peak deviation, LSB).
const NOISE_FLOOR: u32 = 5;

/// One participant's voice: how loud it is, millisecond by millisecond.
#[derive(Clone, Debug)]
pub struct Voice {
    rng: Rng,
    pause_left_ms: u32,
}

impl Voice {
    /// A voice drawing its pauses from `rng`.
    pub fn new(rng: Rng) -> Self {
        Voice {
            rng,
            pause_left_ms: 0,
        }
    }

    /// Peak deviation of this voice at its own microphone at meeting time
    /// `t` (0 when silent).
    pub fn level(&mut self, seat: &SeatSetup, speaking: bool, t: u32) -> u32 {
        if !speaking {
            self.pause_left_ms = 0;
            return 0;
        }
        if self.pause_left_ms > 0 {
            self.pause_left_ms -= 1;
            return 0;
        }
        if self.rng.chance(1, 3_000) {
            // A breath or a search for words, inside the turn.
            self.pause_left_ms = self.rng.between(150, 400);
        }
        // Syllable rhythm: a triangle between 3/8 and full level.
        let period = u32::from(seat.syllable_ms.max(2));
        let phase = t % period;
        let half = period / 2;
        let rise = if phase < half { phase } else { period - phase };
        let shape = 96 + rise * 160 / half.max(1);
        u32::from(seat.voice) * shape / 256
    }
}

/// One microphone channel: turns a level into ADC samples.
#[derive(Clone, Debug)]
pub struct Microphone {
    rng: Rng,
    bias: u16,
}

impl Microphone {
    /// A microphone with the seat's DC bias, drawing its noise from `rng`.
    pub fn new(rng: Rng, seat: &SeatSetup) -> Self {
        Microphone {
            rng,
            bias: seat.bias,
        }
    }

    /// Fills `out` with samples whose peak deviation is `level` (plus the
    /// noise floor) around the bias, clipped to the ADC range; or holds the
    /// line at full scale when `clipped` (a fault: a shorted or overdriven
    /// module).
    pub fn fill(&mut self, level: u32, clipped: bool, out: &mut [u16]) {
        if clipped {
            out.fill(ADC_MAX);
            return;
        }
        let amplitude = (level + NOISE_FLOOR).min(2_047) as i32;
        let bias = i32::from(self.bias);
        for sample in out.iter_mut() {
            // Uniform noise in -1024..=1023 scaled to the amplitude.
            let noise = (self.rng.next_u32() & 0x7FF) as i32 - 1_024;
            let value = bias + ((noise * amplitude) >> 10);
            *sample = value.clamp(0, i32::from(ADC_MAX)) as u16;
        }
    }
}
