//! The per-sample part of the level path: DC bias, rectification,
//! accumulation. Everything else happens once per frame.
//!
//! An electret microphone module outputs its signal around a bias near half
//! the ADC's range, and that bias drifts with temperature and supply.
//! [`Envelope`] tracks it with a one-pole low-pass in Q12 fixed point
//! (`bias += (x − bias) >> dc_shift`), rectifies each sample around it and
//! sums the absolute deviations (Q4, so quiet signals keep sub-step
//! precision). It also counts samples near either rail, which is how a
//! clipping or saturated microphone shows up.
//!
//! ## Cost
//!
//! Per sample: a shift, a subtract, an arithmetic shift and add for the
//! bias, an absolute value and add for the envelope, one unsigned compare
//! and add for the rail count; all in 32-bit registers, no division, no
//! 64-bit arithmetic, no branches besides the loop. On a Cortex-M0+
//! (thumbv6m) the loop body compiles to about 20 instructions. A frame
//! completes every `sample_rate_hz / frame_rate_hz` samples (80 by
//! default); the frame's [`FrameStats`] carry the sum, the rail count and
//! the time the frame ended.
//!
//! ## Timing
//!
//! Samples come in blocks (a DMA buffer). The caller passes the time at
//! which the *last* sample of the block was taken; a frame that ends inside
//! the block is dated that time minus the duration of the samples after it.
//!
//! ```
//! use tabletalk_core::activity::envelope::Envelope;
//! use tabletalk_core::params::MicParams;
//!
//! let params = MicParams::default(); // 8 kHz, 100 frames/s
//! let mut env = Envelope::new(&params, 4095);
//! // 10 ms of a ±100 step square wave around 2048: one frame.
//! let block: [u16; 80] = core::array::from_fn(|i| if i % 2 == 0 { 2148 } else { 1948 });
//! let mut frames = heapless::Vec::<_, 2>::new();
//! env.push(&block, 1000, |f| { let _ = frames.push(f); });
//! assert_eq!(frames.len(), 1);
//! assert_eq!(frames[0].end_ms, 1000);
//! assert_eq!(frames[0].count, 80);
//! assert_eq!(frames[0].rail, 0);
//! ```

use crate::activity::arrival::Trail;
use crate::params::MicParams;

/// One completed frame of one microphone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FrameStats {
    /// Sum of |sample − bias| over the frame, Q4 (ADC steps × 16).
    pub sum_q4: u32,
    /// Samples in the frame.
    pub count: u16,
    /// Samples within the rail band (clipped).
    pub rail: u16,
    /// The DC bias at the end of the frame (ADC steps).
    pub bias: u16,
    /// When the frame's last sample was taken (caller ms).
    pub end_ms: u64,
}

/// Per-microphone sample accumulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Envelope {
    bias_q12: i32,
    started: bool,
    sum_q4: u32,
    rail: u32,
    count: u32,
    frame_len: u32,
    dc_shift: u32,
    /// Low rail + 1: samples in `lo1 ..= lo1 + span - 1` are not clipped.
    lo1: u16,
    span: u16,
    ms_per_sample_q16: u32,
    high_pass: HighPass,
    /// The filtered samples, for [`arrival`](super::arrival) order (kept
    /// only when `mic.arrival_lag_us` is set and the high-pass is on).
    trail: Option<Trail>,
    /// The first of a pair of filtered samples, waiting for its second.
    half: Option<i32>,
}

/// Two first-order high-pass sections in a row (12 dB per octave below the
/// corner), between the DC tracker and the rectifier: rumble (ventilation,
/// traffic, handling) carries most of its energy below 200 Hz, speech
/// little of its loudness.
///
/// Each section is the bilinear first-order high-pass
/// `y[n] = (1 − k)·y[n−1] + (1 − k/2)·(x[n] − x[n−1])` (unit gain at the top
/// of the band), with `k` in Q8: one multiply per section and sample. Values are kept with `frac` bits
/// below one ADC step, as many as a `full_scale` sample allows without
/// overflowing 32 bits, so the truncation of the multiply leaves no offset
/// worth a tenth of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct HighPass {
    /// `1 − a` of each section (Q8); `0`: no filter.
    k_q8: i32,
    /// Fractional bits of the filter's values.
    frac: u32,
    x1: i32,
    y1: i32,
    y2: i32,
}

impl HighPass {
    /// One sample through both sections.
    #[inline(always)]
    fn filter(&mut self, x: i32) -> i32 {
        let k = self.k_q8;
        let d1 = x - self.x1;
        self.x1 = x;
        let y1 = self.y1 + d1 - ((k * (2 * self.y1 + d1)) >> 9);
        let d2 = y1 - self.y1;
        self.y1 = y1;
        self.y2 = self.y2 + d2 - ((k * (2 * self.y2 + d2)) >> 9);
        self.y2
    }

    fn new(corner_hz: u16, sample_rate_hz: u32, full_scale: u16) -> Self {
        // k = 1 − a = 2w / (1 + w), w = tan(π·corner / rate) ≈ π·corner /
        // rate, in Q8 (rounded).
        let w_q16 = u64::from(corner_hz) * 205_887 / u64::from(sample_rate_hz.max(1));
        let k = (512 * w_q16 + (65_536 + w_q16) / 2) / (65_536 + w_q16);
        let bits = 16 - full_scale.leading_zeros();
        HighPass {
            k_q8: if corner_hz == 0 {
                0
            } else {
                k.clamp(1, 255) as i32
            },
            frac: 20u32.saturating_sub(bits).clamp(4, 12),
            x1: 0,
            y1: 0,
            y2: 0,
        }
    }
}

impl Envelope {
    /// An envelope for an ADC whose samples go from 0 to `full_scale`.
    /// Parameters are assumed valid
    /// ([`DetectionParams::validate`](crate::params::DetectionParams::validate));
    /// out-of-range values are clamped rather than trusted.
    pub fn new(params: &MicParams, full_scale: u16) -> Self {
        let rate = params.sample_rate_hz.max(1);
        let frame_len = (rate / u32::from(params.frame_rate_hz.max(1))).clamp(1, 4095);
        let band =
            (u32::from(full_scale) * u32::from(params.rail_band_per_mille.min(499)) / 1000) as u16;
        let lo1 = band.saturating_add(1);
        let hi = full_scale.saturating_sub(band);
        Envelope {
            bias_q12: 0,
            started: false,
            sum_q4: 0,
            rail: 0,
            count: 0,
            frame_len,
            dc_shift: u32::from(params.dc_shift.clamp(1, 16)),
            lo1,
            span: hi.saturating_sub(lo1),
            ms_per_sample_q16: ((1000u64 << 16) / u64::from(rate)).min(u64::from(u32::MAX)) as u32,
            high_pass: HighPass::new(params.highpass_hz, rate, full_scale),
            trail: (params.arrival_lag_us > 0 && params.highpass_hz > 0).then(Trail::new),
            half: None,
        }
    }

    /// The last filtered samples at 4 kHz, when arrival order is on.
    pub const fn trail(&self) -> Option<&Trail> {
        self.trail.as_ref()
    }

    /// Samples per frame.
    pub const fn frame_len(&self) -> u32 {
        self.frame_len
    }

    /// The current DC bias (ADC steps).
    pub const fn bias(&self) -> u16 {
        (self.bias_q12 >> 12) as u16
    }

    /// Adds a block of samples whose last one was taken at `now_ms`, calling
    /// `frame` for each frame that completes.
    pub fn push(&mut self, samples: &[u16], now_ms: u64, mut frame: impl FnMut(FrameStats)) {
        let mut rest = samples;
        while !rest.is_empty() {
            let (used, done) = self.push_frame(rest, now_ms);
            if let Some(done) = done {
                frame(done);
            }
            rest = rest.get(used.max(1)..).unwrap_or(&[]);
        }
    }

    /// Adds samples from the front of `samples` (whose *last* sample was
    /// taken at `now_ms`) up to the end of the current frame. Returns how
    /// many were used and the frame, if it completed.
    pub fn push_frame(&mut self, samples: &[u16], now_ms: u64) -> (usize, Option<FrameStats>) {
        self.push_frame_with(samples, now_ms, &mut |_| {})
    }

    /// [`push_frame`](Self::push_frame), also handing each used sample's
    /// high-passed value to `filtered` (bias removed, full scale about
    /// ±2^15, clamped to `i16`), for the
    /// [spectral](super::spectral) detector. Without a high-pass
    /// (`highpass_hz` 0) `filtered` is not called.
    pub fn push_frame_with(
        &mut self,
        samples: &[u16],
        now_ms: u64,
        filtered: &mut impl FnMut(i16),
    ) -> (usize, Option<FrameStats>) {
        if !self.started {
            if let Some(&first) = samples.first() {
                self.bias_q12 = i32::from(first) << 12;
                self.started = true;
            }
        }
        let room = self.frame_len.saturating_sub(self.count).max(1) as usize;
        let (chunk, rest) = samples.split_at_checked(room).unwrap_or((samples, &[]));
        self.accumulate(chunk, filtered);
        if self.count < self.frame_len {
            return (chunk.len(), None);
        }
        let after = rest.len() as u64;
        let offset = after.saturating_mul(u64::from(self.ms_per_sample_q16)) >> 16;
        let done = FrameStats {
            sum_q4: self.sum_q4,
            count: self.count.min(u32::from(u16::MAX)) as u16,
            rail: self.rail.min(u32::from(u16::MAX)) as u16,
            bias: self.bias(),
            end_ms: now_ms.saturating_sub(offset),
        };
        self.sum_q4 = 0;
        self.rail = 0;
        self.count = 0;
        (chunk.len(), Some(done))
    }

    /// The hot loop: bias, (high-pass,) rectify, accumulate, count rail
    /// hits.
    #[inline]
    fn accumulate(&mut self, chunk: &[u16], filtered: &mut impl FnMut(i16)) {
        let mut bias = self.bias_q12;
        let mut sum = self.sum_q4;
        let mut rail = self.rail;
        let shift = self.dc_shift;
        let lo1 = self.lo1;
        let span = self.span;
        let hp = self.high_pass;
        if hp.k_q8 == 0 {
            for &sample in chunk {
                let deviation = (i32::from(sample) << 12) - bias;
                bias += deviation >> shift;
                sum = sum.wrapping_add(deviation.unsigned_abs() >> 8);
                rail += u32::from(sample.wrapping_sub(lo1) >= span);
            }
        } else {
            let mut hp = hp;
            let (to_frac, to_q4, to_trail) = (12 - hp.frac, hp.frac - 4, hp.frac - 1);
            let mut half = self.half;
            for &sample in chunk {
                let deviation = (i32::from(sample) << 12) - bias;
                bias += deviation >> shift;
                let y = hp.filter(deviation >> to_frac);
                sum = sum.wrapping_add(y.unsigned_abs() >> to_q4);
                rail += u32::from(sample.wrapping_sub(lo1) >= span);
                // Full scale is 2^20 (`frac` = 20 − ADC bits): ±2^15.
                filtered((y >> 4).clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16);
                if let Some(trail) = self.trail.as_mut() {
                    // Half steps.
                    let v = y >> to_trail;
                    match half.take() {
                        Some(first) => trail.push_pair(first, v),
                        None => half = Some(v),
                    }
                }
            }
            self.high_pass = hp;
            self.half = half;
        }
        self.bias_q12 = bias;
        self.sum_q4 = sum;
        self.rail = rail;
        self.count += chunk.len() as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::db::{frame_level_db10, log2_q12};
    extern crate std;
    use std::vec::Vec;

    fn frames_of(
        env: &mut Envelope,
        samples: &[u16],
        block: usize,
        start_ms: u64,
    ) -> Vec<FrameStats> {
        let mut out = Vec::new();
        let mut t = start_ms;
        for chunk in samples.chunks(block) {
            t += (chunk.len() as u64) / 8; // 8 kHz
            env.push(chunk, t, |f| out.push(f));
        }
        out
    }

    fn tone(amplitude: f64, freq: f64, n: usize, bias: f64) -> Vec<u16> {
        (0..n)
            .map(|i| {
                let v = bias
                    + amplitude * (2.0 * core::f64::consts::PI * freq * i as f64 / 8000.0).sin();
                v.round().clamp(0.0, 4095.0) as u16
            })
            .collect()
    }

    /// The level path without its speech-band filter.
    fn unfiltered() -> MicParams {
        MicParams {
            highpass_hz: 0,
            ..MicParams::default()
        }
    }

    fn steady_level(params: &MicParams, freq: f64) -> i16 {
        let mut env = Envelope::new(params, 4095);
        let frames = frames_of(&mut env, &tone(400.0, freq, 8000, 2048.0), 80, 0);
        let fs = log2_q12(4095).unwrap_or(0);
        frame_level_db10(frames[90].sum_q4, u32::from(frames[90].count), fs)
    }

    #[test]
    fn the_high_pass_removes_rumble_and_keeps_speech_frequencies() {
        let params = MicParams::default(); // 250 Hz, second order
        let raw = unfiltered();
        let rumble = steady_level(&raw, 60.0) - steady_level(&params, 60.0);
        let speech = steady_level(&raw, 1000.0) - steady_level(&params, 1000.0);
        assert!(rumble >= 200, "60 Hz down by only {rumble} dB/10");
        assert!(speech.abs() <= 10, "1 kHz changed by {speech} dB/10");
        // No offset from the fixed-point filter: a silent, steady input
        // stays at the bottom of the scale.
        let mut env = Envelope::new(&params, 4095);
        let frames = frames_of(&mut env, &[2048u16; 8000], 80, 0);
        assert_eq!(frames[99].sum_q4, 0);
    }

    #[test]
    fn a_sine_tone_measures_its_mean_absolute_amplitude() {
        let params = unfiltered();
        let mut env = Envelope::new(&params, 4095);
        let samples = tone(400.0, 440.0, 8000, 2048.0);
        let frames = frames_of(&mut env, &samples, 80, 0);
        assert_eq!(frames.len(), 100);
        let fs = log2_q12(4095).unwrap_or(0);
        // Mean |sin| = 2/pi: 400 * 0.6366 = 254.6 steps -> 20 log10(254.6/4095) = -24.13 dBFS.
        for frame in &frames[10..] {
            let level = frame_level_db10(frame.sum_q4, u32::from(frame.count), fs);
            assert!((level + 241).abs() <= 3, "level {level}");
        }
    }

    #[test]
    fn the_bias_is_tracked_when_it_drifts() {
        let params = unfiltered();
        let mut env = Envelope::new(&params, 4095);
        // Starts at 2048, then the bias jumps to 1500 (a replugged module).
        let mut samples = tone(50.0, 300.0, 4000, 2048.0);
        samples.extend(tone(50.0, 300.0, 16000, 1500.0));
        let frames = frames_of(&mut env, &samples, 80, 0);
        let last = frames.last().map(|f| f.bias).unwrap_or(0);
        assert!((1495..=1505).contains(&last), "bias {last}");
        // After a second the level is the tone's again (±50 steps: ~31.8 mean).
        let fs = log2_q12(4095).unwrap_or(0);
        let late = frame_level_db10(frames[190].sum_q4, 80, fs);
        let expected = (20.0 * (31.83f64 / 4095.0).log10() * 10.0).round() as i16;
        assert!(
            (late - expected).abs() <= 5,
            "late {late} expected {expected}"
        );
    }

    #[test]
    fn frames_are_dated_inside_a_block() {
        let params = MicParams::default();
        let mut env = Envelope::new(&params, 4095);
        let block = [2048u16; 200]; // 25 ms: frames end at samples 80 and 160.
        let mut ends = Vec::new();
        env.push(&block, 1025, |f| ends.push(f.end_ms));
        // 120 and 40 samples after the frame ends: 15 ms and 5 ms earlier.
        assert_eq!(ends, [1010, 1020]);
        // The 40 leftover samples + 40 more complete the third frame.
        env.push(&block[..40], 1030, |f| ends.push(f.end_ms));
        assert_eq!(ends, [1010, 1020, 1030]);
    }

    #[test]
    fn rail_samples_are_counted_at_both_rails() {
        let params = MicParams::default(); // 8 per mille of 4095: band 32
        let mut env = Envelope::new(&params, 4095);
        let mut block = [2048u16; 80];
        block[0] = 0;
        block[1] = 32;
        block[2] = 33;
        block[3] = 4095 - 32;
        block[4] = 4095 - 33;
        block[5] = 4095;
        let mut rails = Vec::new();
        env.push(&block, 10, |f| rails.push(f.rail));
        assert_eq!(rails, [4]);
    }

    #[test]
    fn extreme_inputs_do_not_overflow() {
        // 4095 samples per frame.
        let params = MicParams {
            sample_rate_hz: 409_500,
            frame_rate_hz: 100,
            ..MicParams::default()
        };
        let mut env = Envelope::new(&params, u16::MAX);
        let block: Vec<u16> = (0..20_000)
            .map(|i| if i % 2 == 0 { 0 } else { u16::MAX })
            .collect();
        let mut n = 0;
        env.push(&block, 50, |_| n += 1);
        assert_eq!(n, 4);
    }
}
