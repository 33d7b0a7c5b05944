//! Synthetic meeting signals and an engine driver for the engine tests.
//!
//! Voices are band-limited noise carriers under a syllable-rate envelope
//! (4 to 5 syllables per second, a rate and phase per talker, dipping 16 dB between syllables, and
//! deliberately without pauses, a harder case than real speech), rendered at each
//! microphone with a per-pair coupling, on top of per-microphone noise, as
//! 12-bit samples around a 2048 bias at 8 kHz. Everything is seeded.
#![allow(dead_code)]

use tabletalk_core::engine::{Engine, SeatWiring};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::seat::SeatId;
use tabletalk_core::time::Instant;
use tabletalk_core::turns::event::{Condition, Event, TurnEnd};

pub const RATE: u64 = 8000;
pub const FULL_SCALE: u16 = 4095;

/// xorshift64*: small, seeded, good enough for test noise.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Roughly normal, unit variance (sum of uniforms).
    pub fn gauss(&mut self) -> f64 {
        let s: f64 = (0..4).map(|_| self.uniform()).sum();
        (s - 2.0) * (3.0f64).sqrt()
    }
}

/// One talker: where they sit, when they speak, how loud at their own mic
/// (RMS in ADC steps).
pub struct Talker {
    pub seat: usize,
    pub intervals: Vec<(u64, u64)>,
    pub rms: f64,
}

pub struct Scene {
    pub seats: usize,
    pub talkers: Vec<Talker>,
    /// coupling_db[mic][talker_seat]: level of that talker at that mic
    /// relative to their own mic (0 dB on the diagonal).
    pub coupling_db: Vec<Vec<f64>>,
    /// Noise RMS per mic (ADC steps), as (from_ms, rms) steps.
    pub noise: Vec<Vec<(u64, f64)>>,
    /// Gain of each microphone (dB), applied to voices and noise alike (room
    /// and preamplifier noise scale with the gain).
    pub gain_db: Vec<f64>,
    /// delay[mic][talker_seat]: how many samples later that talker reaches
    /// that microphone than their own (0 on the diagonal). All 0 by
    /// default: no propagation delay, which only the level path can judge.
    pub delay: Vec<Vec<usize>>,
    pub seed: u64,
}

impl Scene {
    pub fn new(seats: usize, leak_db: f64, noise_rms: f64) -> Self {
        let coupling_db = (0..seats)
            .map(|m| {
                (0..seats)
                    .map(|t| if m == t { 0.0 } else { leak_db })
                    .collect()
            })
            .collect();
        Scene {
            seats,
            talkers: Vec::new(),
            coupling_db,
            noise: vec![vec![(0, noise_rms)]; seats],
            gain_db: vec![0.0; seats],
            delay: vec![vec![0; seats]; seats],
            seed: 1,
        }
    }

    /// Seats in a row at a table: each talker reaches the other
    /// microphones 4 samples (0.5 ms, 17 cm) later per seat of distance,
    /// so the spectral detector (the default) can tell who speaks.
    pub fn delayed(mut self) -> Self {
        self.delay = (0..self.seats)
            .map(|m| (0..self.seats).map(|t| 4 * m.abs_diff(t)).collect())
            .collect();
        self
    }

    pub fn talk(mut self, seat: usize, rms: f64, intervals: &[(u64, u64)]) -> Self {
        self.talkers.push(Talker {
            seat,
            intervals: intervals.to_vec(),
            rms,
        });
        self
    }

    /// Samples per seat for `duration_ms`.
    pub fn render(&self, duration_ms: u64) -> Vec<Vec<u16>> {
        let n = (duration_ms * RATE / 1000) as usize;
        let mut mix = vec![vec![0.0f64; n]; self.seats];
        for (k, talker) in self.talkers.iter().enumerate() {
            let mut rng = Rng::new(self.seed * 1000 + k as u64 + 1);
            let mut lp = 0.0;
            let mut slow = 0.0;
            for i in 0..n {
                let t_ms = i as u64 * 1000 / RATE;
                // Band-limited noise carrier (about 100 Hz to 1 kHz, like a
                // voice through a microphone module), roughly unit RMS.
                lp += 0.5 * (rng.gauss() - lp);
                slow += 0.08 * (lp - slow);
                let band = lp - slow;
                let speaking = talker.intervals.iter().any(|&(a, b)| t_ms >= a && t_ms < b);
                if !speaking {
                    continue;
                }
                // Each talker has a syllable rate and phase of their own.
                let t = i as f64 / RATE as f64;
                let rate = 4.0 + 0.37 * (k % 4) as f64;
                let syllable = (std::f64::consts::PI * rate * t + 0.9 * k as f64)
                    .sin()
                    .abs();
                let envelope = 0.15 + 0.85 * syllable;
                let voice = band * 1.8 * envelope * talker.rms * 1.6;
                for (mic, row) in mix.iter_mut().enumerate() {
                    let gain = 10f64.powf(self.coupling_db[mic][talker.seat] / 20.0);
                    if let Some(x) = row.get_mut(i + self.delay[mic][talker.seat]) {
                        *x += voice * gain;
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(self.seats);
        for (mic, row) in mix.into_iter().enumerate() {
            let mut rng = Rng::new(self.seed * 7919 + mic as u64 + 100);
            let steps = &self.noise[mic];
            let gain = 10f64.powf(self.gain_db[mic] / 20.0);
            out.push(
                row.into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let t_ms = i as u64 * 1000 / RATE;
                        let rms = steps
                            .iter()
                            .rev()
                            .find(|(from, _)| t_ms >= *from)
                            .map_or(0.0, |s| s.1);
                        let x = 2048.0 + gain * (v + rng.gauss() * rms);
                        x.round().clamp(0.0, f64::from(FULL_SCALE)) as u16
                    })
                    .collect(),
            );
        }
        out
    }
}

/// A turn as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Turn {
    pub seat: usize,
    pub start: u64,
    pub end: u64,
    pub how: TurnEnd,
}

pub struct Run {
    pub events: Vec<Event>,
    pub engine: Engine<8>,
}

impl Run {
    pub fn turns(&self) -> Vec<Turn> {
        self.events
            .iter()
            .filter_map(|e| match *e {
                Event::TurnEnded {
                    seat,
                    start,
                    end,
                    how,
                } => Some(Turn {
                    seat: seat.index(),
                    start,
                    end,
                    how,
                }),
                _ => None,
            })
            .collect()
    }

    pub fn turns_of(&self, seat: usize) -> Vec<Turn> {
        self.turns()
            .into_iter()
            .filter(|t| t.seat == seat)
            .collect()
    }

    pub fn conditions(&self) -> Vec<(usize, u64, Condition)> {
        self.events
            .iter()
            .filter_map(|e| match *e {
                Event::Condition { seat, at, what } => Some((seat.index(), at, what)),
                _ => None,
            })
            .collect()
    }
}

/// Runs microphone signals (one per seat, all microphone seats) through an
/// engine in 10 ms blocks, session from 0 to the end.
pub fn run_mics(signals: &[Vec<u16>], params: DetectionParams) -> Run {
    let seats: Vec<SeatWiring> = signals
        .iter()
        .map(|_| SeatWiring::microphone(FULL_SCALE))
        .collect();
    let start = Instant(123_456);
    let mut engine = Engine::<8>::new(params, &seats, start).unwrap();
    engine.start_session(start);
    let mut events = Vec::new();
    let len = signals.iter().map(Vec::len).max().unwrap_or(0);
    let block = 80;
    let mut i = 0;
    while i < len {
        let end = (i + block).min(len);
        let now = Instant(start.0.wrapping_add((end as u64 * 1000 / RATE) as u32));
        for (seat, signal) in signals.iter().enumerate() {
            let chunk = signal.get(i..end.min(signal.len())).unwrap_or(&[]);
            engine
                .push_samples(SeatId::new(seat as u8).unwrap(), chunk, now)
                .unwrap();
        }
        engine.tick(now);
        while let Some(e) = engine.pop_event() {
            events.push(e);
        }
        i = end;
    }
    let stop = Instant(start.0.wrapping_add((len as u64 * 1000 / RATE) as u32));
    engine.stop_session(stop);
    loop {
        let done = engine.flush(stop);
        while let Some(e) = engine.pop_event() {
            events.push(e);
        }
        if done {
            break;
        }
    }
    assert_eq!(engine.stats().dropped_events, 0);
    Run { events, engine }
}

/// Asserts `got` is within `tolerance` of `want` (ms).
pub fn near(got: u64, want: u64, tolerance: u64) -> bool {
    got.abs_diff(want) <= tolerance
}
