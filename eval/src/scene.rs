//! The room a simulated meeting happens in: everything about it that is
//! drawn at random once per meeting (seeded) — how loud each person talks,
//! each microphone's gain, how much of each neighbour's voice each
//! microphone hears and with how much reverberation, how the background noise
//! steps up and down, and when coughs, taps and paper rustles happen.
//!
//! Levels are amplitudes: the standard deviation of the waveform in ADC
//! counts, at 0 dB microphone gain. See `docs/mic-evaluation.md` for the
//! model and why its numbers are what they are.
//!
//! The table has a geometry: the seats sit evenly (with a little jitter)
//! around a round table, each person's mouth above the table's edge and
//! their microphone on the table in front of them. The geometry gives each
//! path its **delay** (distance over the speed of sound); its **gain** is
//! drawn per pair as it always was (by how many seats apart), which keeps
//! the levels of earlier evaluations and stands for what a free-field
//! 1/r law leaves out (the table's reflection, directivity). Both rank the
//! microphones the same way: the nearer a microphone, the earlier and the
//! louder a seat's sound reaches it.

use crate::rng::{db_to_amplitude, Rng};
use crate::spans::Span;
use crate::voice::VoiceShape;

/// What is drawn per meeting, as ranges. The defaults describe a small
/// meeting room with table microphones in front of each seat.
#[derive(Clone, Debug, PartialEq)]
pub struct SceneParams {
    /// Seed of everything random in the meeting.
    pub seed: u64,
    /// ADC full scale (largest sample value); the bias sits at half of it.
    pub full_scale: u16,
    /// Median voice amplitude at the speaker's own microphone, 0 dB gain.
    pub voice_level: f64,
    /// Spread of speakers' loudness (dB, log-normal, clamped to ±2σ).
    pub voice_spread_db: f64,
    /// Microphone gain, uniform in this range (dB).
    pub mic_gain_db: (f64, f64),
    /// Crosstalk from the next seat (dB relative to the speaker's own mic).
    pub crosstalk_neighbour_db: (f64, f64),
    /// Crosstalk from two seats away (dB).
    pub crosstalk_second_db: (f64, f64),
    /// Crosstalk from farther (dB).
    pub crosstalk_far_db: (f64, f64),
    /// Reverberation time RT60 of the room (s), uniform in this range.
    pub rt60_s: (f64, f64),
    /// Energy of the reverberant field relative to a voice's direct sound
    /// at its own microphone (dB), uniform in this range per room. The
    /// field is diffuse: every microphone receives the same tail.
    pub reverb_db: (f64, f64),
    /// Median background noise amplitude at 0 dB gain.
    pub noise_level: f64,
    /// Mean time between steps of the background noise (s).
    pub noise_step_every_s: f64,
    /// Size of a noise step (dB), uniform in this range, up or down.
    pub noise_step_db: (f64, f64),
    /// The noise never leaves this range around its median (dB).
    pub noise_bounds_db: (f64, f64),
    /// The microphone's own electronic noise (ADC counts, not gain-scaled).
    pub self_noise: f64,
    /// Non-speech sounds (coughs, taps, paper) per minute, whole table.
    pub events_per_minute: f64,
    /// Bias offset from mid-scale, uniform in ±this (counts).
    pub bias_offset: f64,
    /// Slow bias wander amplitude (counts).
    pub bias_drift: f64,
    /// The syllable model.
    pub voice: VoiceShape,
    /// Distance between neighbouring seats along the table's edge (m),
    /// uniform in this range per room; the table is round, of radius
    /// `seats × spacing / 2π` but at least [`MIN_TABLE_RADIUS_M`].
    pub seat_spacing_m: (f64, f64),
    /// Distance from a person's mouth to their own microphone (m), uniform
    /// in this range per seat.
    pub mouth_to_mic_m: (f64, f64),
}

/// The smallest table radius (m): two or three people still sit at a
/// table, not on each other's lap.
pub const MIN_TABLE_RADIUS_M: f64 = 0.5;
/// Height of a seated person's mouth above the table top (m); the mouth is
/// this far back from the table's edge too.
pub const MOUTH_HEIGHT_M: f64 = 0.25;
/// Speed of sound in air at about 20 °C (m/s).
pub const SPEED_OF_SOUND_M_S: f64 = 343.0;

impl Default for SceneParams {
    fn default() -> Self {
        SceneParams {
            seed: 1,
            full_scale: 4095,
            voice_level: 250.0,
            voice_spread_db: 2.0,
            mic_gain_db: (-5.0, 5.0),
            crosstalk_neighbour_db: (-9.0, -3.0),
            crosstalk_second_db: (-15.0, -8.0),
            crosstalk_far_db: (-20.0, -13.0),
            rt60_s: (0.3, 0.7),
            reverb_db: (-18.0, -10.0),
            noise_level: 10.0,
            noise_step_every_s: 240.0,
            noise_step_db: (3.0, 10.0),
            noise_bounds_db: (-6.0, 14.0),
            self_noise: 2.0,
            events_per_minute: 1.5,
            bias_offset: 40.0,
            bias_drift: 10.0,
            voice: VoiceShape::default(),
            seat_spacing_m: (0.8, 1.3),
            mouth_to_mic_m: (0.3, 0.5),
        }
    }
}

/// One seat: its person and its microphone.
#[derive(Clone, Debug, PartialEq)]
pub struct SeatScene {
    /// The person's speaker label.
    pub label: String,
    /// When the person speaks (reference, unioned, ms).
    pub speech: Vec<Span>,
    /// The person's median voice amplitude at their own mic (0 dB gain).
    pub voice_level: f64,
    /// The microphone's gain (amplitude ratio).
    pub mic_gain: f64,
    /// How much of the room noise this microphone picks up (amplitude ratio).
    pub noise_gain: f64,
    /// DC bias (counts).
    pub bias: f64,
    /// Where the person's mouth is (m; the table's centre at the origin,
    /// its top at height 0). Coughs, taps and paper come from here too.
    pub mouth: [f64; 3],
    /// Where the seat's microphone lies on the table (m).
    pub mic: [f64; 3],
    /// Bias wander: amplitude (counts), period (ms) and phase (rad).
    pub drift: (f64, f64, f64),
}

/// How one source seat's sound reaches one microphone directly.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Path {
    /// Energy ratio of the source's direct sound at this mic relative to
    /// its own mic.
    pub energy: f64,
    /// Propagation time from the source seat's mouth to this microphone
    /// (s): the distance over [`SPEED_OF_SOUND_M_S`].
    pub delay_s: f64,
}

/// A sound that is not speech.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NonSpeechKind {
    /// Two or three loud bursts over about half a second.
    Cough,
    /// A knock on the table: a very loud click of a few tens of ms that the
    /// table carries to every microphone.
    Tap,
    /// Paper shuffled or a bag searched: a second or two of rustle.
    Paper,
}

/// One non-speech sound near a seat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NonSpeech {
    /// What.
    pub kind: NonSpeechKind,
    /// Near which seat.
    pub seat: usize,
    /// When, `[start, end)` ms.
    pub span: Span,
    /// Peak amplitude at that seat's microphone (0 dB gain).
    pub peak: f64,
    /// Seed of its fine structure.
    pub seed: u64,
}

impl NonSpeech {
    /// The amplitude at millisecond `t` (0 outside the event).
    pub fn amplitude(&self, t: u64) -> f64 {
        let (start, end) = self.span;
        if t < start || t >= end {
            return 0.0;
        }
        let into = (t - start) as f64;
        let len = (end - start) as f64;
        match self.kind {
            NonSpeechKind::Tap => self.peak * (-into / 8.0).exp(),
            NonSpeechKind::Cough => {
                // Bursts of ~120 ms with 80 ms between them.
                let phase = into % 200.0;
                if phase < 120.0 {
                    self.peak * (-phase / 60.0).exp() * (phase / 10.0).min(1.0)
                } else {
                    0.0
                }
            }
            NonSpeechKind::Paper => {
                // Crackle: a new random level every 20 ms, faded in and out.
                let step = (t - start) / 20;
                let h = hash(self.seed ^ step.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let level = 0.2 + 0.8 * ((h >> 11) as f64 / (1u64 << 53) as f64);
                let fade = (into / 50.0).min(1.0).min((len - into) / 50.0);
                self.peak * level * fade
            }
        }
    }
}

/// Puts the seats evenly around a round table (each ±15 % of the spacing
/// off its place), the mouths [`MOUTH_HEIGHT_M`] above and behind the edge,
/// each microphone on the table top on the line from the mouth towards the
/// centre, `mouth_to_mic_m` from the mouth.
fn place_seats(seats: &mut [SeatScene], params: &SceneParams, rng: &mut Rng) {
    let n = seats.len();
    if n == 0 {
        return;
    }
    let spacing = rng.range(params.seat_spacing_m.0, params.seat_spacing_m.1);
    let radius = (n as f64 * spacing / std::f64::consts::TAU).max(MIN_TABLE_RADIUS_M);
    let step = std::f64::consts::TAU / n as f64;
    let turn = rng.range(0.0, std::f64::consts::TAU);
    for (k, seat) in seats.iter_mut().enumerate() {
        let angle = turn + step * (k as f64 + rng.range(-0.15, 0.15));
        let (sin, cos) = angle.sin_cos();
        let mouth_r = radius + MOUTH_HEIGHT_M;
        let d = rng
            .range(params.mouth_to_mic_m.0, params.mouth_to_mic_m.1)
            .max(MOUTH_HEIGHT_M);
        let across = (d * d - MOUTH_HEIGHT_M * MOUTH_HEIGHT_M).sqrt();
        let mic_r = (mouth_r - across).max(0.0);
        seat.mouth = [mouth_r * cos, mouth_r * sin, MOUTH_HEIGHT_M];
        seat.mic = [mic_r * cos, mic_r * sin, 0.0];
    }
}

fn distance(a: [f64; 3], b: [f64; 3]) -> f64 {
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

fn hash(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A meeting's room, drawn from [`SceneParams`].
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// The parameters it was drawn from.
    pub params: SceneParams,
    /// Length of the meeting (ms).
    pub duration_ms: u64,
    /// One per seat, in seat order.
    pub seats: Vec<SeatScene>,
    /// `paths[mic][source]`; `paths[i][i]` is the seat's own voice.
    pub paths: Vec<Vec<Path>>,
    /// Energy time constant of the reverberant tail (ms).
    pub reverb_tau_ms: f64,
    /// Energy of the reverberant field relative to the direct sound at the
    /// source's own microphone (ratio).
    pub reverb_energy: f64,
    /// Background noise amplitude from each time on (ms, amplitude), sorted.
    pub noise_steps: Vec<(u64, f64)>,
    /// Non-speech sounds, sorted by start.
    pub events: Vec<NonSpeech>,
}

impl Scene {
    /// Draws a room for speakers `(label, speech spans)` (one seat each, in
    /// the given order) over `duration_ms`. The same `params.seed` and
    /// meeting `name` always give the same room.
    pub fn draw(
        name: &str,
        speakers: &[(String, Vec<Span>)],
        duration_ms: u64,
        params: &SceneParams,
    ) -> Scene {
        let name_hash = name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
        });
        let root = Rng::new(params.seed ^ name_hash);
        let mut rng = root.fork(0);
        let n = speakers.len();
        let mid = f64::from(params.full_scale) / 2.0;
        let mut seats: Vec<SeatScene> = speakers
            .iter()
            .map(|(label, speech)| {
                let spread = (params.voice_spread_db * rng.normal())
                    .clamp(-2.0 * params.voice_spread_db, 2.0 * params.voice_spread_db);
                SeatScene {
                    label: label.clone(),
                    speech: speech.clone(),
                    voice_level: params.voice_level * db_to_amplitude(spread),
                    mic_gain: db_to_amplitude(
                        rng.range(params.mic_gain_db.0, params.mic_gain_db.1),
                    ),
                    noise_gain: db_to_amplitude(rng.range(-2.0, 2.0)),
                    bias: mid + rng.range(-params.bias_offset, params.bias_offset),
                    // Placed below, from their own random stream.
                    mouth: [0.0; 3],
                    mic: [0.0; 3],
                    drift: (
                        params.bias_drift,
                        rng.range(300_000.0, 900_000.0),
                        rng.range(0.0, std::f64::consts::TAU),
                    ),
                }
            })
            .collect();
        // The geometry has its own stream, so every other draw (and with it
        // every level) is what it was before the table had a shape.
        place_seats(&mut seats, params, &mut root.fork(3));
        let mut paths = vec![
            vec![
                Path {
                    energy: 1.0,
                    delay_s: 0.0
                };
                n
            ];
            n
        ];
        for (i, row) in paths.iter_mut().enumerate() {
            for (j, path) in row.iter_mut().enumerate() {
                if i == j {
                    continue;
                }
                let around = i.abs_diff(j).min(n - i.abs_diff(j));
                let range = match around {
                    1 => params.crosstalk_neighbour_db,
                    2 => params.crosstalk_second_db,
                    _ => params.crosstalk_far_db,
                };
                let db = rng.range(range.0, range.1);
                path.energy = db_to_amplitude(2.0 * db);
            }
        }
        for (i, row) in paths.iter_mut().enumerate() {
            for (j, path) in row.iter_mut().enumerate() {
                path.delay_s = distance(seats[j].mouth, seats[i].mic) / SPEED_OF_SOUND_M_S;
            }
        }
        let rt60_ms = 1000.0 * rng.range(params.rt60_s.0, params.rt60_s.1);
        // Energy falls 60 dB (a factor 1e6) in RT60: tau = RT60 / ln(1e6).
        let reverb_tau_ms = rt60_ms / 1e6f64.ln();
        let reverb_energy =
            db_to_amplitude(rng.range(params.reverb_db.0, params.reverb_db.1) / 2.0).powi(2);

        let mut noise_rng = root.fork(1);
        let mut noise_steps = vec![(0, params.noise_level)];
        let mut db = 0.0;
        let mut t = 0.0;
        loop {
            t += noise_rng.exponential(params.noise_step_every_s * 1000.0);
            if t >= duration_ms as f64 {
                break;
            }
            let size = noise_rng.range(params.noise_step_db.0, params.noise_step_db.1);
            let up = noise_rng.chance(0.5);
            db = if (up && db + size <= params.noise_bounds_db.1)
                || db - size < params.noise_bounds_db.0
            {
                db + size
            } else {
                db - size
            }
            .clamp(params.noise_bounds_db.0, params.noise_bounds_db.1);
            noise_steps.push((t as u64, params.noise_level * db_to_amplitude(db)));
        }

        let mut event_rng = root.fork(2);
        let mut events = Vec::new();
        let mut t = 0.0;
        if params.events_per_minute > 0.0 && n > 0 {
            loop {
                t += event_rng.exponential(60_000.0 / params.events_per_minute);
                if t >= duration_ms as f64 {
                    break;
                }
                let seat = event_rng.below(n);
                let voice = seats[seat].voice_level;
                let pick = event_rng.unit();
                let (kind, len, peak) = if pick < 0.3 {
                    let bursts = 2.0 + event_rng.below(2) as f64;
                    (
                        NonSpeechKind::Cough,
                        bursts * 200.0 - 80.0,
                        voice * event_rng.range(1.0, 2.5),
                    )
                } else if pick < 0.7 {
                    (
                        NonSpeechKind::Tap,
                        event_rng.range(15.0, 40.0),
                        voice * event_rng.range(2.0, 6.0),
                    )
                } else {
                    (
                        NonSpeechKind::Paper,
                        event_rng.range(500.0, 2500.0),
                        voice * event_rng.range(0.3, 0.8),
                    )
                };
                let start = t as u64;
                events.push(NonSpeech {
                    kind,
                    seat,
                    span: (start, start + len as u64),
                    peak,
                    seed: event_rng.next_u64(),
                });
            }
        }
        Scene {
            params: params.clone(),
            duration_ms,
            seats,
            paths,
            reverb_tau_ms,
            reverb_energy,
            noise_steps,
            events,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speakers(n: usize) -> Vec<(String, Vec<Span>)> {
        (0..n)
            .map(|i| {
                (
                    format!("S{i}"),
                    vec![(i as u64 * 1000, i as u64 * 1000 + 500)],
                )
            })
            .collect()
    }

    #[test]
    fn reproducible_and_within_the_stated_ranges() {
        let p = SceneParams::default();
        let a = Scene::draw("m1", &speakers(4), 3_600_000, &p);
        assert_eq!(a, Scene::draw("m1", &speakers(4), 3_600_000, &p));
        assert_ne!(a, Scene::draw("m2", &speakers(4), 3_600_000, &p));
        for (i, row) in a.paths.iter().enumerate() {
            for (j, path) in row.iter().enumerate() {
                if i != j {
                    let db = 10.0 * path.energy.log10();
                    assert!((-20.0..=-3.0).contains(&db), "{db}");
                }
            }
        }
        // Over an hour: a few noise steps, within bounds, and ~90 events.
        assert!(a.noise_steps.len() > 3);
        for &(_, level) in &a.noise_steps {
            let db = 20.0 * (level / p.noise_level).log10();
            assert!((-6.0 - 1e-9..=14.0 + 1e-9).contains(&db), "{db}");
        }
        assert!((50..150).contains(&a.events.len()), "{}", a.events.len());
        for kind in [
            NonSpeechKind::Cough,
            NonSpeechKind::Tap,
            NonSpeechKind::Paper,
        ] {
            assert!(a.events.iter().any(|e| e.kind == kind));
        }
    }

    #[test]
    fn delays_follow_the_table_and_rank_like_the_gains() {
        let p = SceneParams::default();
        for n in [2, 3, 4, 5, 8] {
            let a = Scene::draw("m1", &speakers(n), 60_000, &p);
            for (i, row) in a.paths.iter().enumerate() {
                let own = row[i].delay_s;
                // 0.3-0.5 m from the mouth: about 1 ms.
                assert!((0.8e-3..1.6e-3).contains(&own), "{own}");
                for (j, path) in row.iter().enumerate() {
                    if i == j {
                        continue;
                    }
                    // What the spectral detector looks for: the own
                    // microphone earlier, at a neighbour by 2-40 samples
                    // (at 8 kHz).
                    let later = 8000.0 * (path.delay_s - a.paths[j][j].delay_s);
                    let around = i.abs_diff(j).min(n - i.abs_diff(j));
                    assert!(later >= 2.0, "n {n}: {i}<-{j} {later}");
                    if around == 1 {
                        assert!(later <= 40.0, "n {n}: {i}<-{j} {later}");
                    }
                    for (k, other) in row.iter().enumerate() {
                        let farther = k.abs_diff(i).min(n - k.abs_diff(i));
                        if k != i && farther > around {
                            assert!(other.delay_s > path.delay_s, "n {n}: {i}<-{k} vs {j}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn events_are_silent_outside_their_span() {
        let e = NonSpeech {
            kind: NonSpeechKind::Paper,
            seat: 0,
            span: (100, 200),
            peak: 50.0,
            seed: 3,
        };
        assert_eq!(e.amplitude(99), 0.0);
        assert_eq!(e.amplitude(200), 0.0);
        assert!(e.amplitude(150) > 0.0);
        let tap = NonSpeech {
            kind: NonSpeechKind::Tap,
            ..e
        };
        assert!(tap.amplitude(100) > tap.amplitude(130));
    }
}
