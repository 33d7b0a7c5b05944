//! Turns a [`Scene`] into what the device's ADC would read: `u16` samples
//! per seat at the device's sample rate, one millisecond at a time.
//!
//! Every source has its own waveform: each person's voice a Gaussian
//! carrier through a fixed speech-like filter (a resonance at 500 Hz, a
//! zero at DC, a roll-off from 650 Hz: about −14 dB at 2 kHz), each
//! seat's coughs and paper a white carrier, its taps another, each times its
//! amplitude that millisecond. Every microphone hears every source's
//! waveform **delayed by the path** from the source's seat (the scene's
//! geometry: [`Path::delay_s`](crate::scene::Path)), read from the source's
//! recent samples with a 4-tap Lagrange fractional delay, and scaled by the
//! path's gain: the same sound at every microphone, coherent, the nearest
//! first. What is not direct sound is incoherent between microphones: one
//! more Gaussian carrier per microphone whose level is the reverberant
//! field (each source's energy through a one-pole decay with the room's time
//! constant, at the room's reverberant level, the same energy at every
//! microphone), the room noise and the microphone's own noise. The sum,
//! times the microphone's gain, around the seat's (slowly wandering) DC
//! bias, clamped to the ADC range, is the reading.
//!
//! A source that has been silent for longer than the longest path is
//! skipped, so the cost per sample follows how many sources sound at once.
//! The waveforms are seeded: the same scene gives the same samples.

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

/// Samples of each source's waveform kept for the microphones to read
/// (a power of two): a path may be up to `HISTORY - 3` samples long (at
/// 8 kHz, 64 ms: 21 m of air).
const HISTORY: usize = 512;
const HISTORY_MASK: usize = HISTORY - 1;

/// The voice's spectral shape: a resonance near 500 Hz (pole pair of
/// bandwidth [`VOICE_BANDWIDTH_HZ`]), a zero at DC and a one-pole roll-off
/// from [`VOICE_ROLLOFF_HZ`] — at 8 kHz, relative to 500 Hz: −12 dB at
/// 100 Hz, −4 at 250 Hz, −5 at 1 kHz, −14 at 2 kHz, −19 at 3 kHz, close to
/// the long-term average speech spectrum (falling 6–9 dB per octave above
/// 500 Hz).
const VOICE_PEAK_HZ: f64 = 500.0;
/// See [`VOICE_PEAK_HZ`].
const VOICE_BANDWIDTH_HZ: f64 = 733.0;
/// See [`VOICE_PEAK_HZ`].
const VOICE_ROLLOFF_HZ: f64 = 650.0;

/// The voice filter `y = x − x₁ + a₁y₁ + a₂y₂ + a₃y₃`, scaled to unit output
/// variance for white unit-variance input.
#[derive(Clone, Copy, Debug)]
struct VoiceFilter {
    a: [f32; 3],
    scale: f32,
}

impl VoiceFilter {
    fn new(sample_rate_hz: u32) -> Self {
        let fs = f64::from(sample_rate_hz.max(1));
        let r = (-std::f64::consts::PI * VOICE_BANDWIDTH_HZ / fs).exp();
        let theta = std::f64::consts::TAU * VOICE_PEAK_HZ / fs;
        let p = (-std::f64::consts::TAU * VOICE_ROLLOFF_HZ / fs).exp();
        // (1 − 2r cosθ z⁻¹ + r² z⁻²)(1 − p z⁻¹) = 1 − a₁z⁻¹ − a₂z⁻² − a₃z⁻³
        let (b1, b2) = (-2.0 * r * theta.cos(), r * r);
        let a = [-(b1 - p), -(b2 - p * b1), p * b2];
        // Output variance for a unit impulse, summed until it has died out.
        let (mut y, mut energy) = ([0.0f64; 3], 0.0);
        for k in 0..(64 * fs as usize / 1000).max(512) {
            let x = match k {
                0 => 1.0,
                1 => -1.0,
                _ => 0.0,
            };
            let out = x + a[0] * y[0] + a[1] * y[1] + a[2] * y[2];
            y = [out, y[0], y[1]];
            energy += out * out;
        }
        VoiceFilter {
            a: [a[0] as f32, a[1] as f32, a[2] as f32],
            scale: (1.0 / energy.max(1e-12).sqrt()) as f32,
        }
    }
}

/// One sound source's waveform as it leaves the source: its amplitude
/// (this millisecond) times its own carrier, kept for [`HISTORY`] samples.
#[derive(Clone, Debug)]
struct Source {
    /// Speech-shaped (a voice) or white (coughs, paper, taps).
    shaped: bool,
    history: Box<[f32; HISTORY]>,
    /// Voice filter state: last input, last three outputs.
    x1: f32,
    y: [f32; 3],
    /// Amplitude during this millisecond.
    amplitude: f32,
    /// While dormant nothing is written and no microphone reads it: the
    /// source has been silent longer than the longest path.
    dormant: bool,
    /// The sample index up to which it was last loud.
    loud_until: u64,
}

/// How one microphone reads one source: the integer part `delay` of the
/// path's delay in samples and the 4-tap Lagrange weights of its fraction
/// (for samples `delay − 1 … delay + 2` ago), the path's amplitude gain
/// folded in.
#[derive(Clone, Copy, Debug)]
struct Tap {
    source: usize,
    delay: usize,
    weights: [f32; 4],
}

impl Tap {
    fn new(source: usize, delay_samples: f64, gain: f64) -> Self {
        let d = delay_samples.clamp(1.0, (HISTORY - 3) as f64);
        let whole = d.floor();
        let f = d - whole;
        let w = [
            -f * (f - 1.0) * (f - 2.0) / 6.0,
            (f + 1.0) * (f - 1.0) * (f - 2.0) / 2.0,
            -(f + 1.0) * f * (f - 2.0) / 2.0,
            (f + 1.0) * f * (f - 1.0) / 6.0,
        ];
        Tap {
            source,
            delay: whole as usize,
            weights: w.map(|x| (x * gain) as f32),
        }
    }
}

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
    /// Expected waveform standard deviation per seat, everything summed.
    sigma: Vec<f64>,
    /// Standard deviation of what each microphone hears incoherently: the
    /// reverberant field, the room noise, its own noise.
    diffuse: Vec<f64>,
    bias: Vec<f64>,
    direct: Vec<f64>,
    taps: Vec<f64>,
    /// Per seat `j`: source `j` its voice, `n + j` its coughs and paper,
    /// `2n + j` its taps.
    sources: Vec<Source>,
    /// `reads[mic][source]`: how the microphone reads every source.
    reads: Vec<Vec<Tap>>,
    /// Samples a source stays audible after it falls silent (the longest
    /// path and the interpolator).
    reach: u64,
    filter: VoiceFilter,
    /// Scratch, per millisecond: the sources that sound, and every
    /// microphone's taps on them (`live.len()` per microphone).
    live: Vec<usize>,
    live_reads: Vec<Tap>,
    /// Scratch: `heard[seat * instants + k]`, the direct sound at each
    /// microphone this millisecond.
    heard: Vec<f32>,
    /// Per seat: coughs' and paper's energy this millisecond.
    other: Vec<f64>,
    /// Per seat, this millisecond, as the sample loop uses them: the bias
    /// (+ 0.5 to round), the microphone gain, the diffuse level.
    bias_f32: Vec<f32>,
    gain_f32: Vec<f32>,
    diffuse_f32: Vec<f32>,
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
        let sources = (0..3 * n)
            .map(|k| Source {
                shaped: k < n,
                history: Box::new([0.0; HISTORY]),
                x1: 0.0,
                y: [0.0; 3],
                amplitude: 0.0,
                dormant: true,
                loud_until: 0,
            })
            .collect();
        let fs = f64::from(sample_rate_hz);
        let mut reach = 0u64;
        let reads = scene
            .paths
            .iter()
            .map(|row| {
                // Indexed by source: voices, then coughs and paper, then taps.
                let mut taps = Vec::with_capacity(3 * n);
                for kind in 0..3 {
                    for (j, path) in row.iter().enumerate() {
                        let delay = path.delay_s * fs;
                        reach = reach.max(delay.clamp(1.0, (HISTORY - 3) as f64) as u64 + 3);
                        let gain = path.energy.sqrt();
                        // Table-borne: taps reach other microphones 6 dB stronger.
                        let gain = if kind == 2 {
                            (2.0 * gain).min(1.0)
                        } else {
                            gain
                        };
                        taps.push(Tap::new(kind * n + j, delay, gain));
                    }
                }
                taps
            })
            .collect();
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
            diffuse: vec![0.0; n],
            bias: vec![0.0; n],
            direct: vec![0.0; n],
            taps: vec![0.0; n],
            sources,
            reads,
            reach,
            filter: VoiceFilter::new(sample_rate_hz),
            live: Vec::with_capacity(3 * n),
            live_reads: Vec::with_capacity(3 * n * n),
            heard: Vec::new(),
            other: vec![0.0; n],
            bias_f32: vec![0.0; n],
            gain_f32: scene.seats.iter().map(|s| s.mic_gain as f32).collect(),
            diffuse_f32: vec![0.0; n],
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
    /// generated millisecond: every source's direct sound, the reverberant
    /// field, the room noise and the microphone's own noise.
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
        self.t += 1;
        let end = self.t * u64::from(self.sample_rate_hz) / 1000;
        let first = self.samples_done;
        let instants = (end - first) as usize;
        self.samples_done = end;

        // Which sources sound (or still travel) during this millisecond.
        self.live.clear();
        for (k, src) in self.sources.iter_mut().enumerate() {
            if src.amplitude > 0.0 {
                if src.dormant {
                    src.history.fill(0.0);
                    src.dormant = false;
                }
                src.loud_until = end;
            } else if !src.dormant && first >= src.loud_until + self.reach {
                src.dormant = true;
            }
            if !src.dormant {
                self.live.push(k);
            }
        }
        self.live_reads.clear();
        for row in &self.reads {
            self.live_reads.extend(self.live.iter().map(|&k| row[k]));
        }
        let table = gaussian_table();
        let full_scale = f32::from(self.scene.params.full_scale);
        let n = self.seats();
        let filter = self.filter;
        out.reserve(instants * n);
        let mut bits = 0u64;
        let mut left = 0u32;
        let mut gaussian = |carrier: &mut Rng| {
            if left == 0 {
                bits = carrier.next_u64();
                left = 5;
            }
            let g = table[(bits & 0xFFF) as usize];
            bits >>= 12;
            left -= 1;
            g
        };
        let per_mic = self.live.len();
        // Each source's waveform for this millisecond, into its history.
        for &s in &self.live {
            let src = &mut self.sources[s];
            for k in 0..instants {
                let now = (first + k as u64) as usize;
                let mut x = gaussian(&mut self.carrier);
                if src.shaped {
                    let y = x - src.x1
                        + filter.a[0] * src.y[0]
                        + filter.a[1] * src.y[1]
                        + filter.a[2] * src.y[2];
                    src.x1 = x;
                    src.y = [y, src.y[0], src.y[1]];
                    x = y * filter.scale;
                }
                src.history[now & HISTORY_MASK] = src.amplitude * x;
            }
        }
        // What each microphone hears of them, each through its path.
        self.heard.clear();
        self.heard.resize(n * instants, 0.0);
        for (seat, heard) in self.heard.chunks_exact_mut(instants.max(1)).enumerate() {
            let reads = self.live_reads.get(seat * per_mic..(seat + 1) * per_mic);
            for tap in reads.unwrap_or_default() {
                let h = &self.sources[tap.source].history;
                let w = tap.weights;
                for (k, sum) in heard.iter_mut().enumerate() {
                    let at = (first as usize + k).wrapping_sub(tap.delay);
                    *sum += w[0] * h[at.wrapping_add(1) & HISTORY_MASK]
                        + w[1] * h[at & HISTORY_MASK]
                        + w[2] * h[at.wrapping_sub(1) & HISTORY_MASK]
                        + w[3] * h[at.wrapping_sub(2) & HISTORY_MASK];
                }
            }
        }
        for k in 0..instants {
            for seat in 0..n {
                let direct = self.heard.get(seat * instants + k).copied().unwrap_or(0.0);
                let g = gaussian(&mut self.carrier);
                let x = (self.bias_f32[seat]
                    + self.gain_f32[seat] * direct
                    + self.diffuse_f32[seat] * g)
                    .clamp(0.0, full_scale);
                out.push(x as u16);
            }
        }
        instants
    }

    fn update_levels(&mut self) {
        let t = self.t;
        let n = self.seats();
        for (j, voice) in self.voices.iter_mut().enumerate() {
            let v = voice.amplitude(t);
            self.direct[j] = v * v;
            self.taps[j] = 0.0;
            self.sources[j].amplitude = v as f32;
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
        self.other.iter_mut().for_each(|e| *e = 0.0);
        for &k in &self.active_events {
            let e = &events[k];
            let a = e.amplitude(t);
            if e.kind == NonSpeechKind::Tap {
                self.taps[e.seat] += a * a;
            } else {
                self.direct[e.seat] += a * a;
                self.other[e.seat] += a * a;
            }
        }
        for (j, (other, taps)) in self.other.iter().zip(&self.taps).enumerate() {
            self.sources[n + j].amplitude = other.sqrt() as f32;
            self.sources[2 * n + j].amplitude = taps.sqrt() as f32;
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
            let mut energy = 0.0;
            for (j, path) in self.scene.paths[i].iter().enumerate() {
                energy += path.energy * self.direct[j];
                energy += (4.0 * path.energy).min(1.0) * self.taps[j];
            }
            let room = seat.noise_gain * noise;
            let diffuse = field + room * room;
            let gain2 = seat.mic_gain * seat.mic_gain;
            self.sigma[i] = (gain2 * (energy + diffuse) + self_noise * self_noise).sqrt();
            self.diffuse[i] = (gain2 * diffuse + self_noise * self_noise).sqrt();
            let (amp, period, phase) = seat.drift;
            self.bias[i] =
                seat.bias + amp * (std::f64::consts::TAU * t as f64 / period + phase).sin();
            self.bias_f32[i] = self.bias[i] as f32 + 0.5;
            self.diffuse_f32[i] = self.diffuse[i] as f32;
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

    /// One talker at seat 0, no events: (the samples minus the bias per
    /// seat while they talk, the scene).
    fn one_talker(seats: usize) -> (Vec<Vec<f64>>, Synth) {
        let mut speakers = vec![("A".to_string(), vec![(1000, 9000)])];
        for k in 1..seats {
            speakers.push((format!("S{k}"), vec![]));
        }
        let params = SceneParams {
            events_per_minute: 0.0,
            ..Default::default()
        };
        let mut synth = Synth::new(Scene::draw("t", &speakers, 10_000, &params), 8000);
        let mut buf = Vec::new();
        let mut x = vec![Vec::new(); seats];
        while synth.next_ms(&mut buf) > 0 {
            if (2000..9000).contains(&synth.now_ms()) {
                for frame in buf.chunks_exact(seats) {
                    for (s, &v) in frame.iter().enumerate() {
                        x[s].push(f64::from(v) - synth.bias[s]);
                    }
                }
            }
        }
        (x, synth)
    }

    #[test]
    fn every_microphone_hears_the_same_voice_later_by_its_path() {
        let (x, synth) = one_talker(4);
        let paths = &synth.scene().paths;
        let own = paths[0][0].delay_s;
        for mic in 1..4 {
            let want = 8000.0 * (paths[mic][0].delay_s - own);
            let (mut best, mut best_r) = (0i64, 0.0f64);
            for lag in -40i64..=40 {
                let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
                for k in 50..x[0].len() - 50 {
                    let a = x[0][k];
                    let b = x[mic][(k as i64 + lag) as usize];
                    xy += a * b;
                    xx += a * a;
                    yy += b * b;
                }
                let r = xy / (xx * yy).sqrt();
                if r > best_r {
                    (best, best_r) = (lag, r);
                }
            }
            assert!(
                (best as f64 - want).abs() <= 1.0,
                "mic {mic}: peak at {best}, path {want:.1} samples later"
            );
            // Coherent: the direct sound is most of what a near microphone
            // hears of the talker, the rest (the tail, noise) is not shared.
            assert!(best_r > 0.3, "mic {mic}: correlation {best_r:.2}");
        }
    }

    #[test]
    fn the_measured_level_is_the_modelled_one() {
        let (x, synth) = one_talker(3);
        // The last millisecond's modelled level is near the mean level.
        for (s, samples) in x.iter().enumerate() {
            let rms = (samples.iter().map(|v| v * v).sum::<f64>() / samples.len() as f64).sqrt();
            assert!(rms > 10.0 * synth.scene().params.self_noise, "{s}: {rms}");
        }
        let r = |s: usize| (x[s].iter().map(|v| v * v).sum::<f64>() / x[s].len() as f64).sqrt();
        // Seat 0's own voice is louder at its microphone (gain aside).
        let g = |s: usize| synth.scene().seats[s].mic_gain;
        assert!(r(0) / g(0) > r(1) / g(1) && r(0) / g(0) > r(2) / g(2));
    }

    #[test]
    fn the_voice_filter_has_unit_variance_and_a_speech_like_tilt() {
        let f = VoiceFilter::new(8000);
        let mut rng = Rng::new(3);
        let (mut x1, mut y) = (0.0f32, [0.0f32; 3]);
        let n = 200_000;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let x = rng.normal() as f32;
            let v = x - x1 + f.a[0] * y[0] + f.a[1] * y[1] + f.a[2] * y[2];
            x1 = x;
            y = [v, y[0], y[1]];
            out.push(f64::from(v * f.scale));
        }
        let var = out.iter().map(|v| v * v).sum::<f64>() / n as f64;
        assert!((var - 1.0).abs() < 0.05, "{var}");
        // Power near 500 Hz well above power near 3 kHz: a Goertzel-like
        // probe over the whole signal.
        let power = |hz: f64| {
            let w = std::f64::consts::TAU * hz / 8000.0;
            out.chunks(256)
                .map(|chunk| {
                    let (re, im) = chunk
                        .iter()
                        .enumerate()
                        .fold((0.0, 0.0), |(re, im), (m, v)| {
                            (re + v * (w * m as f64).cos(), im + v * (w * m as f64).sin())
                        });
                    re * re + im * im
                })
                .sum::<f64>()
        };
        let tilt = 10.0 * (power(500.0) / power(3000.0)).log10();
        assert!((14.0..24.0).contains(&tilt), "{tilt} dB");
    }
}
