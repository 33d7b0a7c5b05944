//! The microphone evaluation in small form: a few real AMI meetings (a few
//! minutes each, copied into `tests/fixtures/mic` with their attribution)
//! simulated at the ADC, run through the real engine and the Open Badges
//! baseline, with thresholds that catch regressions of either the core or
//! the evaluation itself. The full evaluation is `tabletalk evaluate`
//! (docs/mic-evaluation.md).

use std::path::{Path, PathBuf};

use tabletalk_core::params::DetectionParams;
use tabletalk_core::records::SessionId;
use tabletalk_eval::badge_meter::BADGE_UNIT_COUNTS;
use tabletalk_eval::baseline::{self, OpenBadgesParams};
use tabletalk_eval::corpus::{self, Meeting};
use tabletalk_eval::demo::demo_meeting;
use tabletalk_eval::evaluation::{evaluate_meeting, summarize, MeetingResult, Settings, Summary};
use tabletalk_eval::openbadge;
use tabletalk_eval::pipeline::{write_log, CorePipeline};
use tabletalk_eval::scene::{Scene, SceneParams};
use tabletalk_eval::sources::{adc_to_audio, LevelSource, SampleSource, WavSource};
use tabletalk_eval::spans::{self, Span};
use tabletalk_eval::synth::Synth;

/// The small form: this many minutes of each fixture meeting, from minute
/// [`START`] (meetings often open with silence or setup).
const MINUTES: f64 = 2.0;
/// See [`MINUTES`].
const START: f64 = 5.0;

// Regression thresholds for the small form (6 meetings × 2 minutes from
// minute 5, seed 1, core defaults). They sit a little outside what the code
// measured when they were last set (the test prints the figures), so a real
// regression trips them and noise cannot. They are NOT the targets of
// docs/mic-evaluation.md (which `tabletalk evaluate` checks on all of AMI):
// tighten them whenever the core improves.
//
// Last set against the core of commit 4720240 (14.4 % error, 75 % of
// seat-meetings within ±3 pp) and re-checked at e7b9fc0 (13.7 %, 79 %) and
// with the leak modes (13.8 %, 75 %: two minutes are too short for a
// pair's modes to form; `a_close_pair_with_mismatched_gains_keeps_its_shares`
// covers them);
// Open Badges 39.3 %, tuned 39.1 %. Six meetings make 24 seat-meetings:
// one seat is 4 points. Re-checked when the simulator became coherent
// (every source delayed by its path, docs/mic-evaluation.md): 11.5 %, 79 %;
// Open Badges 39.0 %, tuned 39.0 %: the bounds stay.

/// The core's speech-detection error must stay at or below this.
const CORE_MAX_ERROR: f64 = 0.18;
/// This share of seat-meetings must be within ±3 pp.
const CORE_MIN_SHARE_WITHIN: f64 = 0.65;
/// The baseline on these signals: if it leaves this range, the generator or
/// the baseline changed (not the core).
const BASELINE_ERROR_RANGE: (f64, f64) = (0.30, 0.50);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("mic")
}

fn small_form() -> Vec<Meeting> {
    let all = corpus::load_ami(&fixtures()).unwrap_or_else(|e| panic!("fixtures: {e:#}"));
    assert_eq!(all.len(), 6, "three train and three dev meetings");
    all.iter().map(|m| m.excerpt(START, MINUTES)).collect()
}

fn run(meetings: &[Meeting], params: &DetectionParams) -> (Vec<MeetingResult>, Summary) {
    let settings = Settings::default();
    let results: Vec<MeetingResult> = meetings
        .iter()
        .map(|m| {
            let mut core = CorePipeline::new(params, m.speakers.len(), settings.scene.full_scale)
                .unwrap_or_else(|e| panic!("{e:#}"));
            evaluate_meeting(m, &settings, &mut core)
                .unwrap_or_else(|e| panic!("{}: {e:#}", m.name))
        })
        .collect();
    let refs: Vec<&MeetingResult> = results.iter().collect();
    let summary = summarize(&refs, &settings.thresholds);
    (results, summary)
}

#[test]
fn small_form_stays_within_regression_thresholds() {
    let meetings = small_form();
    let (results, s) = run(&meetings, &DetectionParams::default());
    for r in &results {
        println!(
            "{:<8} {:<5} core {:5.1} %  baseline {:5.1} %  worst share error {:5.1} pp",
            r.name,
            r.split.name(),
            100.0 * r.core.error_rate().unwrap_or(f64::NAN),
            100.0 * r.baseline.error_rate().unwrap_or(f64::NAN),
            r.core.worst_share_error_pp()
        );
    }
    println!(
        "small form: core {:.1} % (share within 3 pp: {:.0} %), baseline {:.1} %, tuned baseline {:.1} % (threshold {:.1})",
        100.0 * s.core.rate(),
        100.0 * s.core_share.fraction(),
        100.0 * s.baseline.rate(),
        100.0 * s.tuned.rate(),
        s.tuned_threshold
    );
    assert!(
        s.core.rate() <= CORE_MAX_ERROR,
        "core error {:.3} > {CORE_MAX_ERROR}",
        s.core.rate()
    );
    assert!(
        s.core_share.fraction() >= CORE_MIN_SHARE_WITHIN,
        "share within 3 pp {:.3} < {CORE_MIN_SHARE_WITHIN}",
        s.core_share.fraction()
    );
    let (lo, hi) = BASELINE_ERROR_RANGE;
    assert!(
        (lo..=hi).contains(&s.baseline.rate()),
        "baseline error {:.3} outside {lo}..{hi}",
        s.baseline.rate()
    );
    assert!(
        s.tuned.rate() <= s.baseline.rate() + 1e-12,
        "tuning can only help the baseline"
    );
    assert!(s.oracle.rate() <= s.tuned.rate() + 1e-12);
}

#[test]
fn the_simulator_can_judge_an_arrival_based_detector() {
    // The spectral detector decides from which microphone hears a sound
    // first; with one independent carrier per seat (no delays, nothing
    // shared) it made 100 % error on this excerpt. With the coherent
    // simulator, one minute of a dev meeting (IB4002 from minute 5, omni
    // thresholds as in docs/mic-evaluation.md): 13.2 % when written (the
    // incoherent simulator: 100.0 %).
    let meeting = small_form().swap_remove(3).truncated(1.0);
    let mut params = DetectionParams::default();
    params.mic.spectral_on = true;
    params.mic.spectral.lead_lo_q14 = 1802;
    params.mic.spectral.lead_hi_q14 = 2621;
    let (results, s) = run(std::slice::from_ref(&meeting), &params);
    println!(
        "{}: spectral {:.1} %, Open Badges {:.1} %",
        results[0].name,
        100.0 * s.core.rate(),
        100.0 * s.baseline.rate()
    );
    assert!(s.core.rate() <= 0.20, "spectral error {:.3}", s.core.rate());
}

#[test]
fn the_evaluation_is_reproducible_and_depends_on_the_seed() {
    let meeting = small_form().swap_remove(0).truncated(1.0);
    assert!(meeting.speech_ms() > 20_000);
    let params = DetectionParams::default();
    let (a, _) = run(std::slice::from_ref(&meeting), &params);
    let (b, _) = run(std::slice::from_ref(&meeting), &params);
    assert_eq!(a[0].core, b[0].core);
    assert_eq!(a[0].baseline, b[0].baseline);
    let other = Settings {
        scene: SceneParams {
            seed: 2,
            ..SceneParams::default()
        },
        ..Settings::default()
    };
    let mut core = CorePipeline::new(&params, meeting.speakers.len(), 4095)
        .unwrap_or_else(|e| panic!("{e:#}"));
    let c = evaluate_meeting(&meeting, &other, &mut core).unwrap_or_else(|e| panic!("{e:#}"));
    assert_ne!(a[0].baseline, c.baseline, "another seed is another room");
}

#[test]
fn replaying_the_simulated_wav_files_gives_the_same_turns() {
    // `replay --wav` must run exactly what `simulate` ran: write the
    // simulated ADC samples as 16-bit WAV, read them back through the
    // resampling WAV source, and compare the engine's turns.
    let meeting = demo_meeting(1.0, 3);
    let params = DetectionParams::default();
    let scene = Scene::draw(
        &meeting.name,
        &meeting.speakers,
        meeting.duration_ms,
        &SceneParams::default(),
    );
    let mut synth = Synth::new(scene, params.mic.sample_rate_hz);
    let dir = std::env::temp_dir().join(format!("tabletalk-mic-eval-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: params.mic.sample_rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let paths: Vec<PathBuf> = (0..synth.seats())
        .map(|i| dir.join(format!("{i}.wav")))
        .collect();
    let mut writers: Vec<_> = paths
        .iter()
        .map(|p| hound::WavWriter::create(p, spec).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let mut direct =
        CorePipeline::new(&params, synth.seats(), 4095).unwrap_or_else(|e| panic!("{e:#}"));
    let mut buf = Vec::new();
    while synth.next_ms(&mut buf) > 0 {
        direct.push_ms(&buf);
        for frame in buf.chunks_exact(writers.len()) {
            for (w, &x) in writers.iter_mut().zip(frame) {
                // Exactly invertible for a 12-bit ADC: 16 WAV steps per count.
                w.write_sample(adc_to_audio(x, 4095))
                    .unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    direct.finish();
    for w in writers {
        w.finalize().unwrap_or_else(|e| panic!("{e}"));
    }
    let mut wav = WavSource::open(&paths, params.mic.sample_rate_hz, 4095, 0.0)
        .unwrap_or_else(|e| panic!("{e:#}"));
    let replayed = CorePipeline::run(&params, &mut wav, 4095).unwrap_or_else(|e| panic!("{e:#}"));
    std::fs::remove_dir_all(&dir).ok();
    assert!(direct.spans().iter().map(Vec::len).sum::<usize>() > 5);
    assert_eq!(direct.spans(), replayed.spans());
}

/// Speaking time per seat (ms).
fn talk(spans: &[Vec<(u64, u64)>]) -> Vec<u64> {
    spans
        .iter()
        .map(|s| spans::total(&spans::union(s.clone())))
        .collect()
}

#[test]
fn real_badge_recordings_give_plausible_turns() {
    // Open Badges test data (MIT licence, see tests/fixtures/README.md):
    // experiment 9, four badges on a table 3 ft apart; the wearer of badge 1
    // (member PW5UJDRM35) speaks at regular intervals, the others are silent.
    let text = std::fs::read_to_string(
        fixtures()
            .join("openbadge")
            .join("meeting_audio_file_v1.txt"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rec = openbadge::parse(&text).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(rec.members.len(), 4);
    let (table, rows_per_s) = openbadge::as_levels(&rec);
    // The level path, explicitly: one unsynchronised microphone per badge,
    // levels only, so there is no arrival order between the microphones
    // for the spectral detector (the default) to judge.
    let mut params = DetectionParams::default();
    params.mic.spectral_on = false;
    let mut source = LevelSource::new(
        &table,
        rows_per_s,
        params.mic.sample_rate_hz,
        4095,
        BADGE_UNIT_COUNTS,
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(source.seats(), 4);
    let core = CorePipeline::run(&params, &mut source, 4095).unwrap_or_else(|e| panic!("{e:#}"));
    let speaker = rec
        .members
        .iter()
        .position(|m| m == "PW5UJDRM35")
        .unwrap_or(usize::MAX);
    let core_talk = talk(&core.spans());
    let base = baseline::detect(&rec.levels, &OpenBadgesParams::default());
    let base_talk = talk(&base);
    println!(
        "members {:?}\ncore ms {core_talk:?} turns {:?}\nOpen Badges ms {base_talk:?}",
        rec.members,
        core.spans().iter().map(Vec::len).collect::<Vec<_>>()
    );
    let duration = core.now_ms();
    assert!(
        core_talk[speaker] > 30_000 && core_talk[speaker] < duration / 2,
        "{core_talk:?}"
    );
    for (i, &t) in core_talk.iter().enumerate() {
        if i != speaker {
            assert!(
                t * 10 < core_talk[speaker],
                "seat {i} hears the speaker's voice as its own: {core_talk:?}"
            );
        }
    }
    let turns = core.spans()[speaker].len();
    assert!((5..=100).contains(&turns), "{turns} turns");

    // The second log: two members in a short meeting; both speak, neither
    // all the time.
    let text = std::fs::read_to_string(
        fixtures()
            .join("openbadge")
            .join("meeting_audio_file_v2.txt"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rec = openbadge::parse(&text).unwrap_or_else(|e| panic!("{e:#}"));
    let (table, rows_per_s) = openbadge::as_levels(&rec);
    let mut source = LevelSource::new(
        &table,
        rows_per_s,
        params.mic.sample_rate_hz,
        4095,
        BADGE_UNIT_COUNTS,
    )
    .unwrap_or_else(|e| panic!("{e:#}"));
    let core = CorePipeline::run(&params, &mut source, 4095).unwrap_or_else(|e| panic!("{e:#}"));
    let t = talk(&core.spans());
    println!("v2 core ms {t:?} of {} ms", core.now_ms());
    assert!(
        t.iter().all(|&x| x > 1_000 && x < core.now_ms() / 2),
        "{t:?}"
    );
}

/// Each seat's share of the speaking time (percent).
fn shares(talk: &[u64]) -> Vec<f64> {
    let sum = talk.iter().sum::<u64>().max(1) as f64;
    talk.iter().map(|&t| 100.0 * t as f64 / sum).collect()
}

#[test]
fn a_close_pair_with_mismatched_gains_keeps_its_shares() {
    // The case the leak modes are for: Dev's microphone has 8 dB less gain
    // than Chloe's, and Chloe's hears Dev only 3.5 dB down, so Dev's voice
    // reads louder at Chloe's microphone than at his own; Chloe's picks up
    // a little less of the room's noise (both within the evaluation's
    // ranges), so Dev's voice stands about as far above either floor.
    // Frame-by-frame learning gives Chloe Dev's turns; the leak modes must
    // not.
    let meeting = demo_meeting(12.0, 5);
    let mut scene = Scene::draw(
        &meeting.name,
        &meeting.speakers,
        meeting.duration_ms,
        &SceneParams::default(),
    );
    let db = |x: f64| 10f64.powf(x / 20.0);
    for seat in &mut scene.seats {
        seat.noise_gain = 1.0;
    }
    scene.seats[2].noise_gain = db(-2.0);
    scene.seats[3].noise_gain = db(2.0);
    scene.seats[2].mic_gain = db(4.0);
    scene.seats[3].mic_gain = db(-4.0);
    scene.paths[2][3].energy = db(-3.5).powi(2);
    scene.paths[3][2].energy = db(-8.0).powi(2);
    let reference: Vec<Vec<(u64, u64)>> = scene.seats.iter().map(|s| s.speech.clone()).collect();
    let want = shares(&talk(&reference));
    let run = |mode_frames: u16| {
        // The level path, explicitly: leak modes are part of it (the
        // spectral detector, the default, uses no levels).
        let mut params = DetectionParams::default();
        params.mic.spectral_on = false;
        params.mic.coupling_mode_frames = mode_frames;
        let mut synth = Synth::new(scene.clone(), params.mic.sample_rate_hz);
        let p = CorePipeline::run(&params, &mut synth, 4095).unwrap_or_else(|e| panic!("{e:#}"));
        shares(&talk(&p.spans()))
    };
    let worst = |got: &[f64]| {
        got.iter()
            .zip(&want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0, f64::max)
    };
    let (with, without) = (
        run(DetectionParams::default().mic.coupling_mode_frames),
        run(0),
    );
    println!("reference {want:.1?}\nleak modes {with:.1?}\nwithout   {without:.1?}");
    assert!(
        worst(&with) <= 3.0,
        "with leak modes: {with:.1?} vs {want:.1?}"
    );
    assert!(
        worst(&without) > 3.0,
        "the case no longer needs leak modes: {without:.1?}"
    );
}

/// The pipeline's log is what the CLI decodes (the two crates agree).
#[test]
fn a_lone_speaker_is_found_and_the_log_round_trips() {
    let speakers = vec![
        ("Ana".to_string(), vec![(2_000, 9_000), (14_000, 20_000)]),
        ("Ben".to_string(), vec![(10_000, 13_000)]),
    ];
    let params = SceneParams {
        events_per_minute: 0.0,
        ..Default::default()
    };
    let mut synth = Synth::new(Scene::draw("t", &speakers, 24_000, &params), 8000);
    let detection = DetectionParams::default();
    let mut p =
        CorePipeline::run(&detection, &mut synth, 4095).unwrap_or_else(|e| unreachable!("{e}"));
    let spans = p.spans();
    let talk = |s: &[Span]| s.iter().map(|(a, b)| b - a).sum::<u64>();
    assert!(talk(&spans[0]) > 10_000, "{spans:?}");
    assert!(talk(&spans[1]) > 2_000, "{spans:?}");
    let events = p.finish().to_vec();
    let labels = vec!["Ana".to_string(), "Ben".to_string()];
    let bytes = write_log(&events, &labels, &detection, 24_000, SessionId::default())
        .unwrap_or_else(|e| unreachable!("{e}"));
    let log = tabletalk::logs::decode(&bytes, "t").unwrap_or_else(|e| unreachable!("{e}"));
    let session = &log.sessions[0];
    assert_eq!(session.seats[1].label.as_deref(), Some("Ben"));
    assert_eq!(session.params, detection);
    assert_eq!(session.stretches_by_seat()[0].len(), spans[0].len());
}
