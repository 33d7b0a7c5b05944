//! The microphone path end to end through the engine, on synthetic signals:
//! crosstalk, double talk, onset and end accuracy, faults, noise steps.

mod engine_support;

use engine_support::{near, run_mics, Scene};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::turns::event::{Condition, TurnEnd};

/// The default parameters: the spectral detector decides wherever two
/// healthy microphones can tell who speaks, the level path otherwise.
fn params() -> DetectionParams {
    DetectionParams::default()
}

/// The level path alone (`spectral_on = false`): these tests are of its
/// floors, hangover, leak learning and crosstalk by level, on signals
/// without propagation delays, which only the level path can judge.
fn level_params() -> DetectionParams {
    let mut p = DetectionParams::default();
    p.mic.spectral_on = false;
    p
}

#[test]
fn level_path_one_talker_with_leaked_copies_at_minus_10_and_minus_20_db_gives_one_turn() {
    let mut scene = Scene::new(3, -10.0, 2.0).talk(0, 300.0, &[(1000, 5000)]);
    scene.coupling_db[2][0] = -20.0;
    let run = run_mics(&scene.render(7000), level_params());
    let turns = run.turns();
    assert_eq!(turns.len(), 1, "{turns:?}");
    let turn = turns[0];
    assert_eq!(turn.seat, 0);
    assert!(near(turn.start, 1000, 60), "start {}", turn.start);
    assert!(near(turn.end, 5000, 80), "end {}", turn.end);
    assert_eq!(turn.how, TurnEnd::Natural);
}

#[test]
fn level_path_a_close_neighbour_at_minus_4_db_is_still_crosstalk() {
    let scene = Scene::new(2, -4.0, 2.0).talk(1, 300.0, &[(500, 6000)]);
    let run = run_mics(&scene.render(7000), level_params());
    let turns = run.turns();
    assert_eq!(turns.len(), 1, "{turns:?}");
    assert_eq!(turns[0].seat, 1);
}

#[test]
fn level_path_two_real_simultaneous_talkers_both_count() {
    let scene = Scene::new(2, -10.0, 2.0)
        .talk(0, 300.0, &[(1000, 6000)])
        .talk(1, 250.0, &[(3000, 8000)]);
    let run = run_mics(&scene.render(9000), level_params());
    let a = run.turns_of(0);
    let b = run.turns_of(1);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(
        near(a[0].start, 1000, 60) && near(a[0].end, 6000, 120),
        "{a:?}"
    );
    assert!(
        near(b[0].start, 3000, 60) && near(b[0].end, 8000, 120),
        "{b:?}"
    );
}

#[test]
fn level_path_double_talk_after_the_coupling_was_learned_still_counts() {
    // Seat 0 talks alone for 10 s (the coupling is learned), then seat 1
    // joins for 3 s.
    let scene = Scene::new(2, -12.0, 2.0)
        .talk(0, 300.0, &[(500, 15_000)])
        .talk(1, 300.0, &[(11_000, 14_000)]);
    let run = run_mics(&scene.render(16_000), level_params());
    // Learned from the monologue (-12 dB), raised by at most a few dB while
    // seat 1's first syllables were not yet a confirmed turn.
    let learned = run.engine.mics().crosstalk().coupling(1, 0).unwrap();
    assert!((-140..=-70).contains(&learned), "learned {learned}");
    let b = run.turns_of(1);
    assert_eq!(b.len(), 1, "{b:?}");
    assert!(
        near(b[0].start, 11_000, 60) && near(b[0].end, 14_000, 120),
        "{b:?}"
    );
    assert_eq!(run.turns_of(0).len(), 1, "{:?}", run.turns_of(0));
}

#[test]
fn level_path_different_microphone_gains_are_learned_away() {
    // Seat 1's microphone has 8 dB more gain: seat 0's voice leaks into it
    // at -10 + 8 = -2 dB, louder than the initial coupling allows for.
    let mut scene = Scene::new(2, -10.0, 2.0).talk(0, 300.0, &[(500, 20_000), (25_000, 30_000)]);
    scene.gain_db[1] = 8.0;
    let run = run_mics(&scene.render(31_000), level_params());
    // Whatever happened while learning, the second stretch is clean.
    let late: Vec<_> = run
        .turns_of(1)
        .into_iter()
        .filter(|t| t.start > 22_000)
        .collect();
    assert!(late.is_empty(), "{late:?}");
    assert!(run.turns_of(0).iter().any(|t| near(t.start, 25_000, 60)));
}

#[test]
fn level_path_the_turn_starts_at_the_onset_and_ends_at_the_last_speech() {
    let scene = Scene::new(1, -10.0, 2.0).talk(0, 200.0, &[(2000, 3000)]);
    let run = run_mics(&scene.render(5000), level_params());
    let turns = run.turns();
    assert_eq!(turns.len(), 1, "{turns:?}");
    // Decided 250 ms after the onset and ended 400 ms after the last
    // speech, but dated at both.
    assert!(near(turns[0].start, 2000, 40), "start {}", turns[0].start);
    assert!(near(turns[0].end, 3000, 60), "end {}", turns[0].end);
}

#[test]
fn level_path_pauses_shorter_than_the_hangover_are_bridged_and_longer_ones_split() {
    let scene =
        Scene::new(1, -10.0, 2.0).talk(0, 300.0, &[(1000, 2000), (2250, 3000), (4000, 5000)]);
    let run = run_mics(&scene.render(6000), level_params());
    let turns = run.turns();
    assert_eq!(turns.len(), 2, "{turns:?}");
    assert!(
        near(turns[0].start, 1000, 60) && near(turns[0].end, 3000, 80),
        "{turns:?}"
    );
    assert!(near(turns[1].start, 4000, 60), "{turns:?}");
}

#[test]
fn level_path_a_short_cough_is_not_a_turn() {
    let scene = Scene::new(1, -10.0, 2.0).talk(0, 600.0, &[(1000, 1120)]);
    let run = run_mics(&scene.render(3000), level_params());
    assert!(run.turns().is_empty(), "{:?}", run.turns());
}

#[test]
fn a_mic_pinned_at_full_scale_is_saturated_and_makes_no_turns() {
    // Three seats with propagation delays: the spectral detector (the
    // default) decides from the two healthy microphones.
    let scene = Scene::new(3, -10.0, 2.0)
        .delayed()
        .talk(0, 300.0, &[(3000, 6000)]);
    let mut signals = scene.render(8000);
    signals[1] = vec![4095; signals[1].len()];
    let run = run_mics(&signals, params());
    assert!(run.turns_of(1).is_empty(), "{:?}", run.turns_of(1));
    assert_eq!(
        run.turns_of(0).len(),
        1,
        "the broken mic must not suppress others"
    );
    let conditions = run.conditions();
    assert_eq!(conditions.len(), 1, "{conditions:?}");
    assert_eq!(
        (conditions[0].0, conditions[0].2),
        (1, Condition::MicSaturated)
    );
    assert!(near(conditions[0].1, 2000, 30), "{conditions:?}");
}

#[test]
fn a_clipping_mic_is_saturated_and_makes_no_turns() {
    let scene = Scene::new(3, -10.0, 2.0)
        .delayed()
        .talk(0, 300.0, &[(3000, 6000)]);
    let mut signals = scene.render(8000);
    // An oscillating amplifier: a 500 Hz square wave from rail to rail.
    signals[1] = (0..signals[1].len())
        .map(|i| if (i / 8) % 2 == 0 { 0 } else { 4095 })
        .collect();
    let run = run_mics(&signals, params());
    assert!(run.turns_of(1).is_empty(), "{:?}", run.turns_of(1));
    assert_eq!(run.turns_of(0).len(), 1);
    let conditions = run.conditions();
    assert_eq!(conditions.len(), 1, "{conditions:?}");
    assert_eq!(conditions[0].2, Condition::MicSaturated);
}

#[test]
fn a_disconnected_mic_is_silent_then_ok_when_plugged_back() {
    let scene = Scene::new(3, -10.0, 2.0)
        .delayed()
        .talk(1, 300.0, &[(7000, 9000)]);
    let mut signals = scene.render(10_000);
    // Seat 1 reads 0 (unplugged) for the first 5 s.
    for sample in signals[1].iter_mut().take(5 * 8000) {
        *sample = 0;
    }
    let run = run_mics(&signals, params());
    let conditions = run.conditions();
    assert_eq!(
        conditions.iter().map(|c| (c.0, c.2)).collect::<Vec<_>>(),
        [(1, Condition::MicSilent), (1, Condition::MicOk)],
        "{conditions:?}"
    );
    assert!(
        near(conditions[0].1, 2000, 30) && near(conditions[1].1, 6000, 50),
        "{conditions:?}"
    );
    // Plugging back in (a jump from 0 to the bias) is not a turn; the real
    // speech afterwards is.
    let turns = run.turns_of(1);
    assert_eq!(turns.len(), 1, "{turns:?}");
    assert!(near(turns[0].start, 7000, 60), "{turns:?}");
}

#[test]
fn a_dead_flat_mic_at_the_bias_is_silent() {
    let scene = Scene::new(3, -10.0, 2.0)
        .delayed()
        .talk(0, 300.0, &[(1000, 2000)]);
    let mut signals = scene.render(4000);
    signals[1] = vec![2048; signals[1].len()];
    let run = run_mics(&signals, params());
    assert_eq!(
        run.conditions()
            .iter()
            .map(|c| (c.0, c.2))
            .collect::<Vec<_>>(),
        [(1, Condition::MicSilent)]
    );
}

#[test]
fn level_path_the_floor_follows_a_noise_step_without_a_long_false_turn() {
    let mut scene = Scene::new(1, -10.0, 2.0).talk(0, 300.0, &[(20_000, 23_000)]);
    // A fan starts at 5 s: +20 dB of noise.
    scene.noise[0] = vec![(0, 2.0), (5000, 20.0)];
    let run = run_mics(&scene.render(25_000), level_params());
    let turns = run.turns();
    let spurious: u64 = turns
        .iter()
        .filter(|t| t.start < 19_000)
        .map(|t| t.end - t.start)
        .sum();
    assert!(
        spurious <= 1200,
        "noise step counted as {spurious} ms of speech: {turns:?}"
    );
    // Speech over the new noise is still found.
    let speech: Vec<_> = turns.iter().filter(|t| t.start >= 19_000).collect();
    assert_eq!(speech.len(), 1, "{turns:?}");
    assert!(near(speech[0].start, 20_000, 80), "{turns:?}");
}

#[test]
fn level_path_the_floor_falls_at_once_when_the_noise_stops() {
    let mut scene = Scene::new(1, -10.0, 20.0).talk(0, 100.0, &[(6000, 8000)]);
    scene.noise[0] = vec![(0, 20.0), (5000, 2.0)];
    let run = run_mics(&scene.render(9000), level_params());
    let turns = run.turns();
    // Quiet speech (only ~14 dB over the old noise, 34 dB over the new).
    assert_eq!(turns.len(), 1, "{turns:?}");
    assert!(near(turns[0].start, 6000, 60), "{turns:?}");
}

#[test]
fn level_path_level_status_reports_floor_and_level() {
    let scene = Scene::new(1, -10.0, 4.0);
    let run = run_mics(&scene.render(3000), level_params());
    let status = run
        .engine
        .mic_status(tabletalk_core::seat::SeatId::new(0).unwrap())
        .unwrap();
    // 4 steps RMS noise of 4095: mean |x| = 3.2 steps = -62 dBFS.
    assert!((-650..=-590).contains(&status.level_db10), "{status:?}");
    assert!(
        status.floor_db10 <= status.level_db10 && status.floor_db10 > -700,
        "{status:?}"
    );
    assert_eq!(status.fault, None);
}

#[test]
fn with_one_microphone_the_level_path_decides_under_the_default() {
    // No second microphone, no arrival order: the spectral detector can
    // decide nothing, and the engine falls back to the level path.
    let scene = Scene::new(1, -10.0, 2.0).talk(0, 200.0, &[(2000, 3000)]);
    let run = run_mics(&scene.render(5000), params());
    let turns = run.turns();
    assert_eq!(turns.len(), 1, "{turns:?}");
    assert!(near(turns[0].start, 2000, 40), "start {}", turns[0].start);
    assert!(near(turns[0].end, 3000, 60), "end {}", turns[0].end);
}

#[test]
fn a_two_microphone_table_with_one_saturated_falls_back_to_the_level_path() {
    // Once seat 1 is reported saturated only one healthy microphone is
    // left: the level path decides seat 0's turn.
    let scene = Scene::new(2, -10.0, 2.0)
        .delayed()
        .talk(0, 300.0, &[(3000, 6000)]);
    let mut signals = scene.render(8000);
    signals[1] = vec![4095; signals[1].len()];
    let run = run_mics(&signals, params());
    assert!(run.turns_of(1).is_empty(), "{:?}", run.turns_of(1));
    let a = run.turns_of(0);
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        near(a[0].start, 3000, 60) && near(a[0].end, 6000, 120),
        "{a:?}"
    );
}

#[test]
fn two_delayed_talkers_are_found_by_the_spectral_default_and_a_fault_in_between_is_gated() {
    // Seat 2 clips from 4 s to 9 s: it is taken out of the spectral
    // detector (no turn of its own, none of the others' lost) and rejoins
    // when the fault clears; seat 2's own speech later is found again.
    let scene = Scene::new(3, -10.0, 2.0)
        .delayed()
        .talk(0, 300.0, &[(1000, 3000), (6000, 8000)])
        .talk(2, 300.0, &[(12_000, 14_000)]);
    let mut signals = scene.render(16_000);
    for (i, x) in signals[2]
        .iter_mut()
        .enumerate()
        .skip(4 * 8000)
        .take(5 * 8000)
    {
        *x = if (i / 8) % 2 == 0 { 0 } else { 4095 };
    }
    let run = run_mics(&signals, params());
    let conditions: Vec<_> = run.conditions().iter().map(|c| (c.0, c.2)).collect();
    assert_eq!(
        conditions,
        [(2, Condition::MicSaturated), (2, Condition::MicOk)],
        "{conditions:?}"
    );
    let a = run.turns_of(0);
    assert_eq!(a.len(), 2, "{a:?}");
    assert!(
        near(a[0].start, 1000, 100) && near(a[1].start, 6000, 100),
        "{a:?}"
    );
    assert!(run.turns_of(1).is_empty(), "{:?}", run.turns_of(1));
    let c = run.turns_of(2);
    assert_eq!(c.len(), 1, "{c:?}");
    assert!(near(c[0].start, 12_000, 100), "{c:?}");
}
