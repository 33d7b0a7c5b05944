//! A speech-like amplitude envelope that follows given speaking times.
//!
//! Inside each reference segment the voice is a train of syllables — bumps
//! of 100–300 ms (about 4–5 per second with the short gaps between them)
//! whose peaks vary by a few decibels — broken now and then by a short pause
//! inside the turn. Outside the segments the voice is exactly silent. The
//! amplitude is the standard deviation (ADC counts at 0 dB microphone gain)
//! of the voice's waveform, sampled once per millisecond.

use crate::rng::Rng;
use crate::spans::Span;

/// Shape of the synthetic voice. The defaults give a 4–5 Hz syllable rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VoiceShape {
    /// Syllable length, uniform in `[min, max]` ms.
    pub syllable_ms: (f64, f64),
    /// Gap between syllables, uniform in `[min, max]` ms.
    pub gap_ms: (f64, f64),
    /// Chance, after each syllable, of a pause inside the turn.
    pub pause_chance: f64,
    /// Pause length, uniform in `[min, max]` ms.
    pub pause_ms: (f64, f64),
    /// Spread of syllable peaks (dB, log-normal).
    pub syllable_spread_db: f64,
    /// Spread of the loudness of whole segments (dB, log-normal).
    pub segment_spread_db: f64,
    /// Level between syllables relative to the peak (amplitude ratio): the
    /// envelope dips but voiced transitions do not fall to silence.
    pub trough: f64,
}

impl Default for VoiceShape {
    fn default() -> Self {
        VoiceShape {
            syllable_ms: (100.0, 300.0),
            gap_ms: (0.0, 60.0),
            pause_chance: 0.05,
            pause_ms: (100.0, 300.0),
            syllable_spread_db: 4.0,
            segment_spread_db: 2.0,
            trough: 0.1,
        }
    }
}

/// One speaker's voice, advanced one millisecond at a time.
#[derive(Clone, Debug)]
pub struct Voice {
    shape: VoiceShape,
    level: f64,
    segments: Vec<Span>,
    next_segment: usize,
    rng: Rng,
    /// Current segment end (ms), or `None` when silent.
    segment_end: Option<u64>,
    segment_level: f64,
    /// Current syllable: start, length (ms) and peak; or a pause/gap until
    /// `quiet_until`.
    syllable_start: u64,
    syllable_len: u64,
    syllable_peak: f64,
    quiet_until: u64,
}

impl Voice {
    /// A voice of median amplitude `level` that speaks during `segments`
    /// (unioned, sorted spans in ms).
    pub fn new(segments: Vec<Span>, level: f64, shape: VoiceShape, rng: Rng) -> Self {
        Voice {
            shape,
            level,
            segments,
            next_segment: 0,
            rng,
            segment_end: None,
            segment_level: 0.0,
            syllable_start: 0,
            syllable_len: 0,
            syllable_peak: 0.0,
            quiet_until: 0,
        }
    }

    /// The amplitude during millisecond `t`; `t` must increase by one per call
    /// (a skipped time is treated as silence the voice did not notice).
    pub fn amplitude(&mut self, t: u64) -> f64 {
        if self.segment_end.is_some_and(|end| t >= end) {
            self.segment_end = None;
        }
        if self.segment_end.is_none() {
            // Skip segments already over (e.g. a start past them).
            while self
                .segments
                .get(self.next_segment)
                .is_some_and(|s| s.1 <= t)
            {
                self.next_segment += 1;
            }
            match self.segments.get(self.next_segment) {
                Some(&(start, end)) if start <= t => {
                    self.next_segment += 1;
                    self.segment_end = Some(end);
                    self.segment_level = self
                        .rng
                        .lognormal_db(self.level, self.shape.segment_spread_db);
                    self.start_syllable(t);
                }
                _ => return 0.0,
            }
        }
        if t < self.quiet_until {
            return 0.0;
        }
        let into = t - self.syllable_start;
        if into >= self.syllable_len {
            // Syllable over: a gap or a pause, then the next one.
            let (lo, hi) = if self.rng.chance(self.shape.pause_chance) {
                self.shape.pause_ms
            } else {
                self.shape.gap_ms
            };
            let quiet = self.rng.range(lo, hi).round() as u64;
            self.quiet_until = t + quiet;
            self.start_syllable(t + quiet);
            if quiet > 0 {
                return 0.0;
            }
            return self.syllable_at(0);
        }
        self.syllable_at(into)
    }

    fn start_syllable(&mut self, at: u64) {
        self.syllable_start = at;
        let (lo, hi) = self.shape.syllable_ms;
        self.syllable_len = self.rng.range(lo, hi).round().max(1.0) as u64;
        self.syllable_peak = self
            .rng
            .lognormal_db(self.segment_level, self.shape.syllable_spread_db);
        self.quiet_until = at;
    }

    fn syllable_at(&self, into: u64) -> f64 {
        // A raised half-sine bump: fast rise, rounded top, decay.
        let x = (into as f64 + 0.5) / self.syllable_len as f64;
        let bump = (std::f64::consts::PI * x).sin();
        self.syllable_peak * (self.shape.trough + (1.0 - self.shape.trough) * bump)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silent_outside_segments_and_modulated_inside() {
        let mut v = Voice::new(
            vec![(1000, 11_000)],
            100.0,
            VoiceShape::default(),
            Rng::new(1),
        );
        let a: Vec<f64> = (0..12_000).map(|t| v.amplitude(t)).collect();
        assert!(a[..1000].iter().all(|&x| x == 0.0));
        assert!(a[11_000..].iter().all(|&x| x == 0.0));
        assert!(a[1000] > 0.0, "speech starts at the segment start");
        // Syllable rate: count rises through half the median level.
        let inside = &a[1000..11_000];
        let rises = inside
            .windows(2)
            .filter(|w| w[0] < 30.0 && w[1] >= 30.0)
            .count();
        let rate = rises as f64 / 10.0;
        assert!((3.0..=6.0).contains(&rate), "syllable rate {rate} Hz");
        let mean = inside.iter().sum::<f64>() / inside.len() as f64;
        assert!((40.0..120.0).contains(&mean), "mean {mean}");
    }

    #[test]
    fn same_seed_same_voice() {
        let mk = || {
            Voice::new(
                vec![(0, 5000), (6000, 7000)],
                50.0,
                VoiceShape::default(),
                Rng::new(9),
            )
        };
        let (mut a, mut b) = (mk(), mk());
        assert!((0..8000).all(|t| a.amplitude(t) == b.amplitude(t)));
    }
}
