//! The spectral detector on synthetic multi-microphone signals with known
//! delays: a sound nearer microphone A reaches B `d` samples later.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use tabletalk_core::activity::spectral::{Change, FrameReport, Settings, Spectral};

const RATE: usize = 8000;

/// A deterministic white-noise generator (uniform, ±1).
struct Noise(u64);
impl Noise {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// A talker: broadband noise with a spectral tilt (`tilt` > 0: more low
/// frequencies, < 0: more high ones), in syllables of 200 ms, while
/// `on(t)`; amplitude about ±1.
fn talker(seed: u64, seconds: f64, tilt: f64, on: impl Fn(f64) -> bool) -> Vec<f64> {
    let mut noise = Noise(seed);
    let n = (seconds * RATE as f64) as usize;
    let mut y1 = 0.0;
    (0..n)
        .map(|i| {
            let t = i as f64 / RATE as f64;
            let y = noise.next() + tilt * y1;
            y1 = y;
            let syllable = 0.6 + 0.4 * (2.0 * std::f64::consts::PI * 5.0 * t).sin();
            if on(t) {
                y * syllable * (1.0 - tilt.abs())
            } else {
                0.0
            }
        })
        .collect()
}

/// Microphone signals: `mics[m] = Σ_s gain[s][m] · source_s(t − delay[s][m]) + hiss`
/// (the hiss independent at each microphone: room noise, not a source).
fn mix(
    sources: &[Vec<f64>],
    delay: &[Vec<usize>],
    gain: &[Vec<f64>],
    hiss: f64,
    seed: u64,
) -> Vec<Vec<i16>> {
    mix_with_sensitivity(sources, delay, gain, hiss, seed, &vec![1.0; delay[0].len()])
}

/// As [`mix`], each microphone's whole signal times `sensitivity[m]`.
fn mix_with_sensitivity(
    sources: &[Vec<f64>],
    delay: &[Vec<usize>],
    gain: &[Vec<f64>],
    hiss: f64,
    seed: u64,
    sensitivity: &[f64],
) -> Vec<Vec<i16>> {
    let mics = delay[0].len();
    let n = sources[0].len();
    let mut noise = Noise(seed);
    (0..mics)
        .map(|m| {
            (0..n)
                .map(|i| {
                    let mut v = hiss * noise.next();
                    for (s, src) in sources.iter().enumerate() {
                        if let Some(j) = i.checked_sub(delay[s][m]) {
                            v += gain[s][m] * src[j];
                        }
                    }
                    (v * sensitivity[m]).round().clamp(-32768.0, 32767.0) as i16
                })
                .collect()
        })
        .collect()
}

struct Run<const S: usize> {
    changes: Vec<(usize, Change)>,
    reports: Vec<FrameReport<S>>,
}

fn run<const S: usize>(mics: &[Vec<i16>], settings: &Settings) -> Run<S> {
    let mut sp = Spectral::<S>::new(settings, [true; S]);
    let mut changes = Vec::new();
    let mut reports = Vec::new();
    let n = mics[0].len();
    for block in (0..n).step_by(80) {
        for (m, x) in mics.iter().enumerate() {
            let end = (block + 80).min(n);
            let mut rest = &x[block..end];
            while !rest.is_empty() {
                let took = sp.push(m, rest);
                rest = &rest[took..];
                while let Some(r) = sp.frame(&mut |s, c| changes.push((s, c))) {
                    reports.push(r);
                }
            }
        }
        while let Some(r) = sp.frame(&mut |s, c| changes.push((s, c))) {
            reports.push(r);
        }
    }
    sp.flush(&mut |s, c| changes.push((s, c)));
    Run { changes, reports }
}

/// Rise and fall sample of each turn of `seat`.
fn turns(changes: &[(usize, Change)], seat: usize) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut open = None;
    for &(s, c) in changes {
        if s != seat {
            continue;
        }
        match c {
            Change::Rise { at_sample } => {
                assert!(open.is_none(), "two rises for seat {seat}: {changes:?}");
                open = Some(at_sample);
            }
            Change::Fall { at_sample } => {
                let on = open.take().expect("fall without rise");
                assert!(at_sample > on);
                out.push((on, at_sample));
            }
        }
    }
    assert!(open.is_none(), "flush ends every turn");
    out
}

/// A rise within 100 ms (800 samples) of `want` seconds.
fn near(at: u64, want: f64) -> bool {
    (at as f64 - want * RATE as f64).abs() <= 800.0
}

/// A fall up to 250 ms after `want` seconds: the accumulators take ~10
/// frames (pole 0.75) to fall from a talker's lead below the threshold.
fn near_end(at: u64, want: f64) -> bool {
    let d = at as f64 - want * RATE as f64;
    (-800.0..=2000.0).contains(&d)
}

/// Four seats round a table: the extra delay (samples) of seat `s`'s
/// talker at each microphone, as on a 1.2 m table at 8 kHz.
const DELAYS: [[usize; 4]; 4] = [[0, 7, 12, 8], [7, 0, 8, 13], [12, 8, 0, 6], [8, 13, 6, 0]];

fn gains_for(seat: usize) -> Vec<f64> {
    (0..4)
        .map(|m| {
            if m == seat {
                3000.0
            } else {
                3000.0 / (1.0 + DELAYS[seat][m] as f64 / 8.0)
            }
        })
        .collect()
}

#[test]
fn the_microphone_a_sound_reaches_first_leads_and_no_other_does() {
    let src = talker(1, 4.0, 0.3, |t| (1.0..3.0).contains(&t));
    let mics = mix(&[src], &[DELAYS[0].to_vec()], &[gains_for(0)], 20.0, 9);
    let r = run::<4>(&mics, &Settings::default());
    let t0 = turns(&r.changes, 0);
    assert_eq!(t0.len(), 1, "{:?}", r.changes);
    assert!(near(t0[0].0, 1.0) && near_end(t0[0].1, 3.0), "{t0:?}");
    for seat in 1..4 {
        assert!(
            turns(&r.changes, seat).is_empty(),
            "seat {seat}: {:?}",
            r.changes
        );
    }
    // While it talks, seat 0's lead is far above the threshold (perfect
    // coherence would be 2.0 = 32768), the others' below it.
    let during: Vec<_> = r
        .reports
        .iter()
        .filter(|f| (60..140).contains(&f.index))
        .collect();
    assert!(
        during.iter().all(|f| f.lead_q14[0] > 8000),
        "seat 0 lead too low"
    );
    assert!(during
        .iter()
        .all(|f| f.lead_q14[1..].iter().all(|&l| l < 1638)));
}

#[test]
fn microphone_gains_do_not_matter_only_arrival_order() {
    // The other microphones are 12 dB more sensitive: they are louder than
    // the talker's own, and still hear it later.
    let src = talker(2, 4.0, 0.0, |t| (1.0..3.0).contains(&t));
    let mics = mix_with_sensitivity(
        &[src],
        &[DELAYS[2].to_vec()],
        &[gains_for(2)],
        20.0,
        10,
        &[4.0, 4.0, 1.0, 4.0],
    );
    let r = run::<4>(&mics, &Settings::default());
    let t2 = turns(&r.changes, 2);
    assert_eq!(t2.len(), 1, "{:?}", r.changes);
    assert!(near(t2[0].0, 1.0) && near_end(t2[0].1, 3.0), "{t2:?}");
    assert_eq!(
        r.changes.iter().filter(|(s, _)| *s != 2).count(),
        0,
        "{:?}",
        r.changes
    );
}

#[test]
fn two_talkers_taking_turns_and_overlapping_each_get_their_own_speech() {
    // Seat 1 talks 0.5-2.5 s, seat 3 1.5-4 s (overlap 1.5-2.5 s); one
    // voice is darker, the other brighter, so most bins have one clearly
    // dominant talker (as speech has).
    let a = talker(3, 5.0, 0.8, |t| (0.5..2.5).contains(&t));
    let b = talker(4, 5.0, -0.8, |t| (1.5..4.0).contains(&t));
    let mics = mix(
        &[a, b],
        &[DELAYS[1].to_vec(), DELAYS[3].to_vec()],
        &[gains_for(1), gains_for(3)],
        20.0,
        11,
    );
    let r = run::<4>(&mics, &Settings::default());
    let (t1, t3) = (turns(&r.changes, 1), turns(&r.changes, 3));
    assert_eq!((t1.len(), t3.len()), (1, 1), "{:?}", r.changes);
    assert!(near(t1[0].0, 0.5) && near_end(t1[0].1, 2.5), "{t1:?}");
    assert!(near(t3[0].0, 1.5) && near_end(t3[0].1, 4.0), "{t3:?}");
    assert!(
        turns(&r.changes, 0).is_empty() && turns(&r.changes, 2).is_empty(),
        "{:?}",
        r.changes
    );
}

#[test]
fn silence_with_microphone_noise_is_nobody_s_speech() {
    let quiet = vec![0.0; 8 * RATE];
    let mics = mix(&[quiet], &[vec![0; 4]], &[vec![0.0; 4]], 200.0, 12);
    let r = run::<4>(&mics, &Settings::default());
    assert!(r.changes.is_empty(), "{:?}", r.changes);
    // The background lead stays well below the threshold.
    let mut leads: Vec<i32> = r.reports.iter().skip(10).flat_map(|f| f.lead_q14).collect();
    leads.sort_unstable();
    let p95 = leads[leads.len() * 95 / 100];
    assert!(p95 < 1638, "p95 background lead {p95}");
}

#[test]
fn a_sound_reaching_every_microphone_at_once_leads_only_by_the_band_s_sidelobe() {
    // A loudspeaker equidistant from all microphones (say a conference
    // phone in the table's centre): identical phases at every microphone.
    // R is then the band's own sinc over the bins a seat dominates (a
    // random quarter of the band): 2.0 at lag 0, and sidelobes at lags
    // 2..=3 (0.10 at lag 3 over the whole band, more over a subset): far
    // below a talker's lead (> 0.5), but above the default thresholds: such
    // a source makes false turns (a known limit, see notes/spectral.md).
    let src = talker(5, 4.0, 0.3, |t| (0.5..3.5).contains(&t));
    let mics = mix(&[src], &[vec![0; 4]], &[vec![3000.0; 4]], 20.0, 13);
    let r = run::<4>(&mics, &Settings::default());
    let during: Vec<_> = r
        .reports
        .iter()
        .filter(|f| (40..160).contains(&f.index))
        .collect();
    let worst = during.iter().flat_map(|f| f.lead_q14).max().unwrap();
    assert!(worst < 4096, "lead {worst} (Q14) for a centred source");
}

#[test]
fn digital_silence_and_full_scale_input_are_handled() {
    let zeros = vec![vec![0i16; 2 * RATE]; 4];
    let r = run::<4>(&zeros, &Settings::default());
    assert!(r.changes.is_empty());
    assert_eq!(r.reports.len(), (2 * RATE - 256) / 160 + 1);
    let square: Vec<Vec<i16>> = (0..4)
        .map(|m| {
            (0..2 * RATE)
                .map(|i| if (i + m) % 7 < 3 { i16::MAX } else { i16::MIN })
                .collect()
        })
        .collect();
    let _ = run::<4>(&square, &Settings::default());
}

#[test]
fn a_seat_running_ahead_is_held_back_and_a_missing_one_can_be_dropped() {
    let mut sp = Spectral::<3>::new(&Settings::default(), [true, true, true]);
    // 512 samples fit before the first frame is decided.
    assert_eq!(sp.push(0, &[0; 1000]), 512);
    assert_eq!(sp.push(1, &[0; 300]), 300);
    assert!(sp.frame(&mut |_, _| {}).is_none(), "seat 2 has nothing yet");
    // Seat 2 stopped delivering: without it, seats 0 and 1 decide.
    sp.set_mic(2, false, &mut |_, _| {});
    assert_eq!(sp.frame(&mut |_, _| {}).map(|f| f.index), Some(0));
    assert!(
        sp.frame(&mut |_, _| {}).is_none(),
        "seat 1 has 300 samples: one frame"
    );
    assert_eq!(sp.push(2, &[0; 10]), 0, "no microphone");
    // Seat 2 back: it starts at the next frame.
    sp.set_mic(2, true, &mut |_, _| {});
    assert_eq!(sp.push(2, &[0; 256]), 256);
    assert_eq!(sp.push(1, &[0; 116]), 116);
    assert_eq!(sp.frame(&mut |_, _| {}).map(|f| f.index), Some(1));
}

/// Runs the detector (default settings) on raw i16 files `$SPECTRAL_ROOM/0.i16` ..
/// and writes every frame's leads (Q14) to `$SPECTRAL_ROOM/leads.csv`; driven by
/// `core/tests/spectral_compare.py`, which compares them with research's float
/// reference.
#[test]
#[ignore = "needs a room written by core/tests/spectral_compare.py"]
fn spectral_room_leads() {
    let dir = std::path::PathBuf::from(std::env::var("SPECTRAL_ROOM").unwrap());
    let seats: usize = std::env::var("SPECTRAL_SEATS").unwrap().parse().unwrap();
    assert!(seats <= 8);
    let mut mics: Vec<Vec<i16>> = (0..seats)
        .map(|s| {
            let bytes = std::fs::read(dir.join(format!("{s}.i16"))).unwrap();
            bytes
                .chunks_exact(2)
                .map(|b| i16::from_le_bytes([b[0], b[1]]))
                .collect()
        })
        .collect();
    mics.truncate(seats);
    let settings = Settings {
        min_snr_db10: std::env::var("SPECTRAL_MIN_SNR_DB10").map_or(0, |v| v.parse().unwrap()),
        ..Settings::default()
    };
    let lines: Vec<String> = match seats {
        4 => run::<4>(&mics, &settings)
            .reports
            .iter()
            .map(|f| f.lead_q14.map(|v| v.to_string()).join(","))
            .collect(),
        n => panic!("rooms with {n} seats: add a case"),
    };
    std::fs::write(dir.join("leads.csv"), lines.join("\n") + "\n").unwrap();
}

/// The microphone path with `mic.spectral_on`: raw ADC samples in 10 ms
/// blocks through [`MicArray`](tabletalk_core::activity::mics::MicArray)
/// (envelope high-pass → spectral detector); its edges are the spectral
/// turns in caller ms (the others hear the talker only 1 dB weaker), and
/// the level path decides none. (Built with the `spectral` feature, as
/// the workspace's laptop tools build the core.)
#[cfg(feature = "spectral")]
#[test]
fn with_spectral_on_the_microphone_path_reports_the_spectral_turns() {
    use tabletalk_core::activity::mics::MicArray;
    use tabletalk_core::params::MicParams;
    use tabletalk_core::turns::edge::EdgeKind;
    let src = talker(5, 4.0, 0.3, |t| (1.0..3.0).contains(&t));
    let gains = vec![vec![200.0, 180.0, 180.0, 180.0]];
    let mics = mix(&[src], &[DELAYS[0].to_vec()], &gains, 2.0, 11);
    let run = || {
        let params = MicParams {
            spectral_on: true,
            ..MicParams::default()
        };
        let mut array = MicArray::<4>::new(&params, &[Some(4095); 4]);
        let mut edges = Vec::new();
        let start_ms = 5000u64;
        for block in 0..mics[0].len() / 80 {
            let now = start_ms + (block as u64 + 1) * 10 - 1;
            for (m, x) in mics.iter().enumerate() {
                let raw: Vec<u16> = x[block * 80..(block + 1) * 80]
                    .iter()
                    .map(|&v| (2048 + i32::from(v)).clamp(0, 4095) as u16)
                    .collect();
                array.push_samples(m, &raw, now, &mut |s, e| {
                    edges.push((s, e.at - start_ms, e.kind))
                });
            }
        }
        array.flush(&mut |s, e| edges.push((s, e.at - start_ms, e.kind)));
        edges
    };
    let edges = run();
    let turns: Vec<_> = edges
        .iter()
        .filter(|(_, _, k)| matches!(k, EdgeKind::Rise | EdgeKind::Fall(_)))
        .collect();
    assert_eq!(turns.len(), 2, "{edges:?}");
    assert!(turns.iter().all(|(s, _, _)| *s == 0), "{edges:?}");
    let (on, off) = (turns[0].1, turns[1].1);
    assert!(matches!(turns[0].2, EdgeKind::Rise), "{edges:?}");
    assert!(
        (900..1100).contains(&on) && (2950..3900).contains(&off),
        "{on}..{off}"
    );
}

/// A 16-seat engine's spectral detector has [`MIC_SLOTS`] microphone
/// slots: with `mic.spectral_on` up to 11 microphone seats run, a 12th is
/// refused by name (not a panic, not silently unheard).
///
/// [`MIC_SLOTS`]: tabletalk_core::activity::slots::MIC_SLOTS
#[cfg(feature = "spectral")]
#[test]
fn with_spectral_on_an_engine_takes_as_many_microphones_as_it_has_slots() {
    use tabletalk_core::activity::slots::MIC_SLOTS;
    use tabletalk_core::engine::{Engine, EngineError, SeatWiring};
    use tabletalk_core::params::{DetectionParams, ParamError};
    use tabletalk_core::seat::ButtonMode;
    use tabletalk_core::time::Instant;
    let mut params = DetectionParams::default();
    params.mic.spectral_on = true;
    let seats = |mics: usize| -> Vec<SeatWiring> {
        (0..16)
            .map(|i| {
                if i < mics {
                    SeatWiring::microphone(4095)
                } else {
                    SeatWiring::button(ButtonMode::HoldToTalk)
                }
            })
            .collect()
    };
    assert_eq!(MIC_SLOTS, 11);
    assert!(Engine::<16>::new(params, &seats(MIC_SLOTS), Instant(0)).is_ok());
    let refused = Engine::<16>::new(params, &seats(MIC_SLOTS + 1), Instant(0)).unwrap_err();
    assert_eq!(
        refused,
        EngineError::Params(ParamError::SpectralMics { mics: 12 })
    );
    assert_eq!(
        refused.to_string(),
        "invalid parameters: mic.spectral_on takes at most 11 microphone seats \
         (the device's microphone channels); 12 are configured"
    );
    // The level path has no such limit.
    params.mic.spectral_on = false;
    assert!(Engine::<16>::new(params, &seats(16), Instant(0)).is_ok());
}

/// Raw 12-bit blocks of `mics` through `array`, microphone `m` on seat
/// `seat_of[m]`: every edge, as (seat, ms, kind).
#[cfg(feature = "spectral")]
fn through_array<const N: usize>(
    array: &mut tabletalk_core::activity::mics::MicArray<N>,
    mics: &[Vec<i16>],
    seat_of: &[usize],
) -> Vec<(usize, u64, String)> {
    let mut edges = Vec::new();
    for block in 0..mics[0].len() / 80 {
        let now = (block as u64 + 1) * 10 - 1;
        for (m, x) in mics.iter().enumerate() {
            let raw: Vec<u16> = x[block * 80..(block + 1) * 80]
                .iter()
                .map(|&v| (2048 + i32::from(v)).clamp(0, 4095) as u16)
                .collect();
            array.push_samples(seat_of[m], &raw, now, &mut |s, e| {
                edges.push((s, e.at, format!("{:?}", e.kind)));
            });
        }
    }
    array.flush(&mut |s, e| edges.push((s, e.at, format!("{:?}", e.kind))));
    edges
}

/// The same microphone stream decides the same turns whichever seats the
/// microphones are on: seats 0-3 of a 4-seat array and seats 3, 7, 12, 15
/// of a 16-seat one (mapped onto the detector's first four slots).
#[cfg(feature = "spectral")]
#[test]
fn spectral_turns_do_not_depend_on_which_seats_hold_the_microphones() {
    use tabletalk_core::activity::mics::MicArray;
    use tabletalk_core::params::MicParams;
    let src = talker(5, 4.0, 0.3, |t| (1.0..3.0).contains(&t));
    let gains = vec![vec![200.0, 180.0, 180.0, 180.0]];
    let mics = mix(&[src], &[DELAYS[0].to_vec()], &gains, 2.0, 11);
    let params = MicParams {
        spectral_on: true,
        ..MicParams::default()
    };
    let a = through_array(
        &mut MicArray::<4>::new(&params, &[Some(4095); 4]),
        &mics,
        &[0, 1, 2, 3],
    );
    let placed = [3usize, 7, 12, 15];
    let mut full = [None; 16];
    for &s in &placed {
        full[s] = Some(4095);
    }
    let b = through_array(&mut MicArray::<16>::new(&params, &full), &mics, &placed);
    let mapped: Vec<_> = a.into_iter().map(|(s, at, k)| (placed[s], at, k)).collect();
    assert!(mapped.iter().any(|(_, _, k)| k == "Rise"), "{mapped:?}");
    assert_eq!(mapped, b);
}

/// An engine rebuilt in place for a new configuration is the engine `new`
/// builds for it, whatever it ran before (the firmware rebuilds its one
/// engine rather than hold a second ~80 KiB one on its stack).
#[test]
fn an_engine_rebuilt_in_place_is_a_new_one() {
    use tabletalk_core::engine::{Engine, SeatWiring};
    use tabletalk_core::params::DetectionParams;
    use tabletalk_core::seat::{ButtonMode, SeatId};
    use tabletalk_core::time::Instant;
    let mut first = DetectionParams::default();
    first.mic.hangover_ms = 300;
    let seats = [
        SeatWiring::microphone(4095),
        SeatWiring::button(ButtonMode::Toggle),
        SeatWiring::microphone(1023),
    ];
    let mut engine = Engine::<16>::new(first, &seats, Instant(0)).unwrap();
    engine.start_session(Instant(0));
    let mut noise = Noise(3);
    for ms in (10..3000u32).step_by(10) {
        let block: Vec<u16> = (0..80)
            .map(|_| (2048.0 + 300.0 * noise.next()) as u16)
            .collect();
        engine.poll_buttons(Instant(ms), u16::from(ms > 1000), false);
        engine
            .push_samples(SeatId::new(0).unwrap(), &block, Instant(ms))
            .unwrap();
        engine.tick(Instant(ms));
        while engine.pop_event().is_some() {}
    }
    let mut second = DetectionParams::default();
    if cfg!(feature = "spectral") {
        second.mic.spectral_on = true;
    }
    let other = [
        SeatWiring::button(ButtonMode::HoldToTalk),
        SeatWiring::microphone(4095),
        SeatWiring::microphone(4095),
        SeatWiring::button_and_microphone(ButtonMode::HoldToTalk, 4095),
    ];
    engine.rebuild(second, &other, Instant(5000)).unwrap();
    let fresh = Engine::<16>::new(second, &other, Instant(5000)).unwrap();
    assert_eq!(format!("{engine:?}"), format!("{fresh:?}"));
    // A configuration it refuses changes nothing.
    let mut bad = second;
    bad.mic.off_threshold_db10 = bad.mic.on_threshold_db10 + 1;
    assert!(engine.rebuild(bad, &other, Instant(6000)).is_err());
    assert_eq!(format!("{engine:?}"), format!("{fresh:?}"));
}
