//! Band-limited sample-rate conversion for recorded microphones (`replay
//! --wav`): a windowed-sinc interpolator, streaming, any ratio.
//!
//! Each output sample is the input convolved with a Blackman-windowed sinc
//! whose cut-off is 90 % of the lower of the two Nyquist frequencies, so that
//! downsampling does not fold high-frequency energy into the band the level
//! path sees. The kernel is tabulated at 256 phases per input sample and
//! interpolated linearly.

use std::collections::VecDeque;

/// Zero crossings of the kernel on each side, at the output's bandwidth.
const ZERO_CROSSINGS: usize = 12;
/// Table resolution: kernel values per input sample.
const PHASES: usize = 256;

/// A streaming resampler from `from_hz` to `to_hz`.
#[derive(Clone, Debug)]
pub struct Resampler {
    step: f64,
    half_width: usize,
    table: Vec<f32>,
    table_per_input: f64,
    buffer: VecDeque<f32>,
    /// Index (in input samples) of `buffer[0]`.
    buffer_start: u64,
    /// Position of the next output sample, in input samples.
    position: f64,
    pass_through: bool,
}

impl Resampler {
    /// A resampler from `from_hz` to `to_hz` (both > 0).
    pub fn new(from_hz: u32, to_hz: u32) -> Self {
        let (from, to) = (f64::from(from_hz.max(1)), f64::from(to_hz.max(1)));
        let step = from / to;
        // Cut-off as a fraction of the input rate.
        let cutoff = 0.45 * (to / from).min(1.0);
        // Kernel half-width in input samples.
        let half_width = ((ZERO_CROSSINGS as f64) / (2.0 * cutoff)).ceil() as usize;
        let table_len = half_width * PHASES + 2;
        let table = (0..table_len)
            .map(|k| {
                let x = k as f64 / PHASES as f64; // input samples from centre
                let sinc = if x == 0.0 {
                    2.0 * cutoff
                } else {
                    (2.0 * std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
                };
                let w = x / half_width as f64; // 0..1
                let blackman = if w >= 1.0 {
                    0.0
                } else {
                    0.42 + 0.5 * (std::f64::consts::PI * w).cos()
                        + 0.08 * (2.0 * std::f64::consts::PI * w).cos()
                };
                (sinc * blackman) as f32
            })
            .collect();
        Resampler {
            step,
            half_width,
            table,
            table_per_input: PHASES as f64,
            buffer: VecDeque::new(),
            buffer_start: 0,
            position: 0.0,
            pass_through: from_hz == to_hz,
        }
    }

    fn kernel(&self, distance: f64) -> f32 {
        let x = distance.abs() * self.table_per_input;
        let k = x as usize;
        let frac = (x - k as f64) as f32;
        match (self.table.get(k), self.table.get(k + 1)) {
            (Some(&a), Some(&b)) => a + (b - a) * frac,
            _ => 0.0,
        }
    }

    /// Feeds input samples; appends every output sample that is now fully
    /// determined to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.pass_through {
            out.extend_from_slice(input);
            return;
        }
        self.buffer.extend(input.iter().copied());
        self.produce(out, false);
    }

    /// Flushes the tail (the input is over: zeros beyond it).
    pub fn finish(&mut self, out: &mut Vec<f32>) {
        if !self.pass_through {
            self.produce(out, true);
        }
    }

    fn produce(&mut self, out: &mut Vec<f32>, flushing: bool) {
        let end = self.buffer_start + self.buffer.len() as u64;
        loop {
            let centre = self.position.floor() as i64;
            let last_needed = centre + self.half_width as i64 + 1;
            if flushing {
                if self.position >= end as f64 {
                    break;
                }
            } else if last_needed >= end as i64 {
                break;
            }
            let first = (centre - self.half_width as i64 + 1).max(0);
            let mut acc = 0.0f32;
            let mut i = first;
            while i <= last_needed {
                if let Some(&x) = i
                    .checked_sub(self.buffer_start as i64)
                    .and_then(|k| usize::try_from(k).ok())
                    .and_then(|k| self.buffer.get(k))
                {
                    acc += x * self.kernel(self.position - i as f64);
                }
                i += 1;
            }
            out.push(acc);
            self.position += self.step;
            // Drop input no longer needed.
            let keep_from = (self.position.floor() as i64 - self.half_width as i64).max(0) as u64;
            while self.buffer_start < keep_from && !self.buffer.is_empty() {
                self.buffer.pop_front();
                self.buffer_start += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, seconds: f64) -> Vec<f32> {
        (0..(f64::from(rate) * seconds) as usize)
            .map(|n| (2.0 * std::f64::consts::PI * hz * n as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    fn rms(x: &[f32]) -> f64 {
        (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn keeps_in_band_tones_and_removes_what_would_alias() {
        for from in [16_000, 44_100, 48_000] {
            let mut r = Resampler::new(from, 8000);
            let mut out = Vec::new();
            r.push(&tone(from, 1000.0, 1.0), &mut out);
            r.finish(&mut out);
            assert!(
                (out.len() as i64 - 8000).abs() <= 1,
                "{from}: {}",
                out.len()
            );
            let mid = &out[1000..7000];
            assert!(
                (rms(mid) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.01,
                "{from}: {}",
                rms(mid)
            );
            // 6 kHz is above the new Nyquist (4 kHz): it must not fold to 2 kHz.
            let mut r = Resampler::new(from, 8000);
            let mut out = Vec::new();
            r.push(&tone(from, 6000.0, 1.0), &mut out);
            assert!(
                rms(&out[1000..6000]) < 0.01,
                "{from}: alias {}",
                rms(&out[1000..6000])
            );
        }
    }

    #[test]
    fn upsampling_and_chunked_input_agree() {
        let x = tone(4000, 300.0, 0.5);
        let mut whole = Vec::new();
        let mut r = Resampler::new(4000, 8000);
        r.push(&x, &mut whole);
        r.finish(&mut whole);
        let mut pieces = Vec::new();
        let mut r = Resampler::new(4000, 8000);
        for c in x.chunks(37) {
            r.push(c, &mut pieces);
        }
        r.finish(&mut pieces);
        assert_eq!(whole.len(), pieces.len());
        assert!(whole.iter().zip(&pieces).all(|(a, b)| (a - b).abs() < 1e-6));
        assert!((rms(&whole[500..3500]) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.01);
    }
}
