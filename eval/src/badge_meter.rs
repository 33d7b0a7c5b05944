//! What an Open Badges research badge would have recorded from the same
//! microphone signal: one amplitude byte every 50 ms.
//!
//! The badge keeps the mean absolute deviation of its microphone samples
//! from their running average over each 50 ms window. Here the same is
//! computed from the simulated ADC samples (the DC estimate is an average of
//! past windows with a ~1 s time constant), then expressed in badge units of
//! [`BADGE_UNIT_COUNTS`] ADC counts, rounded and saturated to a byte.

use std::ops::Range;

/// ADC counts (12-bit scale) per badge amplitude unit. Chosen so that the
/// simulated rooms read like the real badge recordings in
/// `openbadge/meeting_audio_file_v1.txt`: 2–3 units in a quiet room,
/// 10–30 units (peaks to ~60) for a talker at their own badge.
pub const BADGE_UNIT_COUNTS: f64 = 4.0;

/// The badge's sample period (ms).
pub const BADGE_SAMPLE_MS: u64 = 50;

/// Per-seat 50 ms amplitude meters fed with interleaved ADC samples.
#[derive(Clone, Debug)]
pub struct BadgeMeter {
    seats: usize,
    scale: f64,
    samples_per_window: Vec<u64>,
    window_ms: u64,
    dc: Vec<f64>,
    dc_ready: bool,
    sum_abs: Vec<f64>,
    sum: Vec<f64>,
    count: u64,
    /// `amplitudes[seat]`: one byte per 50 ms.
    amplitudes: Vec<Vec<u8>>,
}

impl BadgeMeter {
    /// Meters for `seats` microphones whose ADC full scale is `full_scale`
    /// (badge units are defined on a 12-bit scale and rescaled).
    pub fn new(seats: usize, full_scale: u16) -> Self {
        BadgeMeter {
            seats,
            scale: 4095.0 / f64::from(full_scale.max(1)) / BADGE_UNIT_COUNTS,
            samples_per_window: Vec::new(),
            window_ms: 0,
            dc: vec![0.0; seats],
            dc_ready: false,
            sum_abs: vec![0.0; seats],
            sum: vec![0.0; seats],
            count: 0,
            amplitudes: vec![Vec::new(); seats],
        }
    }

    /// Feeds one millisecond of interleaved samples (`k * seats + seat`).
    pub fn push_ms(&mut self, samples: &[u16]) {
        let n = self.seats;
        if n == 0 {
            return;
        }
        for frame in samples.chunks_exact(n) {
            for (seat, &x) in frame.iter().enumerate() {
                let x = f64::from(x);
                self.sum[seat] += x;
                if self.dc_ready {
                    self.sum_abs[seat] += (x - self.dc[seat]).abs();
                }
            }
        }
        self.count += (samples.len() / n) as u64;
        self.window_ms += 1;
        if self.window_ms == BADGE_SAMPLE_MS {
            self.close_window();
        }
    }

    fn close_window(&mut self) {
        let count = self.count.max(1) as f64;
        for seat in 0..self.seats {
            let mean = self.sum[seat] / count;
            let amplitude = if self.dc_ready {
                (self.sum_abs[seat] / count * self.scale)
                    .round()
                    .clamp(0.0, 255.0) as u8
            } else {
                0
            };
            self.amplitudes[seat].push(amplitude);
            // ~1 s time constant over 50 ms windows.
            self.dc[seat] = if self.dc_ready {
                self.dc[seat] + 0.05 * (mean - self.dc[seat])
            } else {
                mean
            };
            self.sum[seat] = 0.0;
            self.sum_abs[seat] = 0.0;
        }
        self.samples_per_window.push(self.count);
        self.dc_ready = true;
        self.count = 0;
        self.window_ms = 0;
    }

    /// The recorded amplitudes, `[seat][window]`.
    pub fn amplitudes(&self) -> &[Vec<u8>] {
        &self.amplitudes
    }

    /// Consumes the meter, returning `[seat][window]` amplitudes.
    pub fn into_amplitudes(self) -> Vec<Vec<u8>> {
        self.amplitudes
    }

    /// The time covered by window `k` (ms).
    pub fn window_span(k: usize) -> Range<u64> {
        let start = k as u64 * BADGE_SAMPLE_MS;
        start..start + BADGE_SAMPLE_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn square_wave_of_amplitude_40_counts_reads_10_units() {
        let mut m = BadgeMeter::new(2, 4095);
        for ms in 0..1000 {
            let mut buf = Vec::new();
            for k in 0..8 {
                let sign = if (ms * 8 + k) % 2 == 0 { 1.0 } else { -1.0 };
                buf.push((2048.0 + sign * 40.0) as u16);
                buf.push(2000);
            }
            m.push_ms(&buf);
        }
        let a = m.amplitudes();
        assert_eq!(a[0].len(), 20);
        assert_eq!(a[0][0], 0, "the first window only learns the bias");
        assert!(a[0][5..].iter().all(|&x| x == 10), "{:?}", a[0]);
        assert!(a[1][1..].iter().all(|&x| x == 0));
    }
}
