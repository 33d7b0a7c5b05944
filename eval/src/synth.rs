//! Turns a [`Scene`] into what the device's ADC would read: `u16` samples
//! per seat at the device's sample rate, one millisecond at a time.
//!
//! Each millisecond, every source (a voice, a cough, a tap, paper) gives an
//! energy at its own seat; each microphone hears every source's direct sound
//! through its [`Path`](crate::scene::Path), plus the room's reverberant
//! field — the same at every microphone: each source's energy through a
//! one-pole decay with the room's time constant, at the room's reverberant
//! level — plus the room noise and its own electronic noise. The sum of independent
//! Gaussian-like sources is Gaussian with the summed variance, so one
//! Gaussian carrier per seat with that standard deviation, around the
//! seat's (slowly wandering) DC bias, gives statistically the same samples
//! as summing every source's waveform, at a fraction of the cost: the
//! per-sample work is one table look-up, one multiply and a clamp.

use std::sync::OnceLock;

use crate::rng::Rng;
use crate::scene::{NonSpeechKind, Scene};
use crate::voice::Voice;

/// Standard normal quantiles at 4096 evenly spaced probabilities: indexing
/// it with 12 random bits draws an (almost exactly) Gaussian value.
fn gaussian_table() -> &'static [f32; 4096] {
    static TABLE: OnceLock<[f32; 4096]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0.0f32; 4096];
        for (k, v) in t.iter_mut().enumerate() {
            *v = normal_quantile((k as f64 + 0.5) / 4096.0) as f32;
        }
        t
    })
}

/// The standard normal quantile function (Acklam's rational approximation,
/// relative error below 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// How long a noise step takes to ramp to its new level (ms).
const NOISE_RAMP_MS: f64 = 500.0;

/// A running simulation of one meeting's microphones.
#[derive(Debug)]
pub struct Synth {
    scene: Scene,
    voices: Vec<Voice>,
    reverb: Vec<f64>,
    reverb_keep: f64,
    sample_rate_hz: u32,
    t: u64,
    samples_done: u64,
    noise_index: usize,
    next_event: usize,
    active_events: Vec<usize>,
    carrier: Rng,
    sigma: Vec<f64>,
    bias: Vec<f64>,
    direct: Vec<f64>,
    taps: Vec<f64>,
}

impl Synth {
    /// A simulation of `scene` sampled at `sample_rate_hz` per seat.
    pub fn new(scene: Scene, sample_rate_hz: u32) -> Self {
        let root = Rng::new(scene.params.seed ^ 0x5EED_0FC0_FFEE);
        let voices = scene
            .seats
            .iter()
            .enumerate()
            .map(|(i, s)| {
                Voice::new(
                    s.speech.clone(),
                    s.voice_level,
                    scene.params.voice,
                    root.fork(100 + i as u64).fork(scene.duration_ms),
                )
            })
            .collect();
        let n = scene.seats.len();
        let reverb_keep = (-1.0 / scene.reverb_tau_ms.max(1e-3)).exp();
        Synth {
            voices,
            reverb: vec![0.0; n],
            reverb_keep,
            sample_rate_hz,
            t: 0,
            samples_done: 0,
            noise_index: 0,
            next_event: 0,
            active_events: Vec::new(),
            carrier: root
                .fork(7)
                .fork(scene.seats.iter().map(|s| s.speech.len() as u64).sum()),
            sigma: vec![0.0; n],
            bias: vec![0.0; n],
            direct: vec![0.0; n],
            taps: vec![0.0; n],
            scene,
        }
    }

    /// The scene being simulated.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }

    /// Number of seats (samples per sampling instant).
    pub fn seats(&self) -> usize {
        self.scene.seats.len()
    }

    /// The next millisecond to be generated.
    pub fn now_ms(&self) -> u64 {
        self.t
    }

    /// Whether the whole meeting has been generated.
    pub fn finished(&self) -> bool {
        self.t >= self.scene.duration_ms
    }

    /// The waveform standard deviation per seat (ADC counts) during the last
    /// generated millisecond.
    pub fn amplitudes(&self) -> &[f64] {
        &self.sigma
    }

    /// Generates the next millisecond into `out` (cleared first): the
    /// samples of all seats interleaved, `out[k * seats + seat]`. Returns
    /// the number of sampling instants (0 once [`finished`](Self::finished)).
    pub fn next_ms(&mut self, out: &mut Vec<u16>) -> usize {
        out.clear();
        if self.finished() {
            return 0;
        }
        self.update_levels();
        let t = self.t;
        self.t += 1;
        let end = self.t * u64::from(self.sample_rate_hz) / 1000;
        let instants = (end - self.samples_done) as usize;
        self.samples_done = end;

        let table = gaussian_table();
        let full_scale = f32::from(self.scene.params.full_scale);
        let n = self.seats();
        let sigma: Vec<f32> = self.sigma.iter().map(|&s| s as f32).collect();
        let bias: Vec<f32> = self.bias.iter().map(|&b| b as f32 + 0.5).collect();
        out.reserve(instants * n);
        let mut bits = 0u64;
        let mut left = 0u32;
        for _ in 0..instants {
            for seat in 0..n {
                if left == 0 {
                    bits = self.carrier.next_u64();
                    left = 5;
                }
                let g = table[(bits & 0xFFF) as usize];
                bits >>= 12;
                left -= 1;
                let x = (bias[seat] + sigma[seat] * g).clamp(0.0, full_scale);
                out.push(x as u16);
            }
        }
        let _ = t;
        instants
    }

    fn update_levels(&mut self) {
        let t = self.t;
        let n = self.seats();
        for (j, voice) in self.voices.iter_mut().enumerate() {
            let v = voice.amplitude(t);
            self.direct[j] = v * v;
            self.taps[j] = 0.0;
        }
        while let Some(e) = self.scene.events.get(self.next_event) {
            if e.span.0 > t {
                break;
            }
            self.active_events.push(self.next_event);
            self.next_event += 1;
        }
        let events = &self.scene.events;
        self.active_events.retain(|&k| events[k].span.1 > t);
        for &k in &self.active_events {
            let e = &events[k];
            let a = e.amplitude(t);
            if e.kind == NonSpeechKind::Tap {
                self.taps[e.seat] += a * a;
            } else {
                self.direct[e.seat] += a * a;
            }
        }
        let keep = self.reverb_keep;
        let mut field = 0.0;
        for j in 0..n {
            self.reverb[j] = keep * self.reverb[j] + (1.0 - keep) * (self.direct[j] + self.taps[j]);
            field += self.reverb[j];
        }
        field *= self.scene.reverb_energy;
        let noise = self.noise_at(t);
        let self_noise = self.scene.params.self_noise;
        for i in 0..n {
            let seat = &self.scene.seats[i];
            let mut energy = field;
            for (j, path) in self.scene.paths[i].iter().enumerate() {
                energy += path.energy * self.direct[j];
                // Table-borne: taps reach other microphones 6 dB stronger.
                energy += (4.0 * path.energy).min(1.0) * self.taps[j];
            }
            let room = seat.noise_gain * noise;
            energy += room * room;
            let gain2 = seat.mic_gain * seat.mic_gain;
            self.sigma[i] = (gain2 * energy + self_noise * self_noise).sqrt();
            let (amp, period, phase) = seat.drift;
            self.bias[i] =
                seat.bias + amp * (std::f64::consts::TAU * t as f64 / period + phase).sin();
        }
    }

    /// Room noise amplitude at `t`: the current step, ramped in over
    /// [`NOISE_RAMP_MS`], with a slow ±15 % breathing.
    fn noise_at(&mut self, t: u64) -> f64 {
        let steps = &self.scene.noise_steps;
        while steps.get(self.noise_index + 1).is_some_and(|s| s.0 <= t) {
            self.noise_index += 1;
        }
        let (at, level) = steps.get(self.noise_index).copied().unwrap_or((0, 0.0));
        let before = self
            .noise_index
            .checked_sub(1)
            .and_then(|k| steps.get(k))
            .map_or(level, |s| s.1);
        let ramp = ((t - at) as f64 / NOISE_RAMP_MS).min(1.0);
        let base = before + (level - before) * ramp;
        let tf = t as f64;
        base * (1.0
            + 0.1 * (tf / 5300.0 * std::f64::consts::TAU).sin()
            + 0.05 * (tf / 1700.0).sin())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::SceneParams;

    #[test]
    fn quantiles() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959_963_985).abs() < 1e-6);
        assert!((normal_quantile(0.001) + 3.090_232_306).abs() < 1e-6);
        let t = gaussian_table();
        let var: f64 = t.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / 4096.0;
        assert!((var - 1.0).abs() < 0.01, "{var}");
    }

    #[test]
    fn speech_is_louder_at_its_own_seat_and_quiet_is_near_the_floor() {
        let speakers = vec![
            ("A".to_string(), vec![(1000, 9000)]),
            ("B".to_string(), vec![]),
            ("C".to_string(), vec![]),
        ];
        let params = SceneParams {
            events_per_minute: 0.0,
            ..Default::default()
        };
        let scene = Scene::draw("t", &speakers, 10_000, &params);
        let mut synth = Synth::new(scene, 8000);
        let mut buf = Vec::new();
        let mut mean_abs = vec![vec![0.0f64; 3]; 10];
        let mut bias_sum = [0.0f64; 3];
        let mut count = 0usize;
        while synth.next_ms(&mut buf) > 0 {
            assert_eq!(buf.len(), 8 * 3);
            let sec = (synth.now_ms() - 1) as usize / 1000;
            for k in 0..8 {
                for s in 0..3 {
                    let x = f64::from(buf[k * 3 + s]);
                    let b = synth.scene().seats[s].bias;
                    mean_abs[sec][s] += (x - b).abs() / 8000.0;
                    bias_sum[s] += x;
                }
            }
            count += 8;
        }
        for (seat, sum) in synth.scene().seats.iter().zip(bias_sum) {
            assert!((sum / count as f64 - seat.bias).abs() < 15.0);
        }
        let speaking = mean_abs[5][0];
        let quiet = mean_abs[0][0];
        assert!(speaking > 4.0 * quiet, "{speaking} vs {quiet}");
        assert!(mean_abs[5][1] < speaking && mean_abs[5][1] > 2.0 * mean_abs[0][1]);
    }

    #[test]
    fn fractional_sample_rates_keep_count() {
        let scene = Scene::draw("t", &[("A".into(), vec![])], 1000, &SceneParams::default());
        let mut synth = Synth::new(scene, 11_025);
        let mut buf = Vec::new();
        let mut total = 0;
        while synth.next_ms(&mut buf) > 0 {
            total += buf.len();
        }
        assert_eq!(total, 11_025);
    }
}
