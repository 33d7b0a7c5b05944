//! Stuck, chattering, saturated and silent inputs, and a table where
//! everyone talks at once: the engine stays bounded (no event dropped, a
//! short queue, a small log) and the log says what was clipped or cut.
//!
//! Debug builds (`cargo test`) play shortened versions; release builds
//! (`cargo test --release`, run by `scripts/test.d/85-robustness.sh`) play
//! the full durations named in each test.

mod robustness_support;

use robustness_support::{cuts, seat, Device, Rng, SessionTruth};
use tabletalk_core::engine::{SeatWiring, EVENT_QUEUE};
use tabletalk_core::log::{SessionItem, SessionReader};
use tabletalk_core::params::DetectionParams;
use tabletalk_core::seat::ButtonMode;
use tabletalk_core::time::Instant;
use tabletalk_core::turns::{Condition, TurnEnd};

const MINUTE: u64 = 60_000;
const RELEASE: bool = !cfg!(debug_assertions);

/// The log read back: per session, the conditions and the turns.
fn read_back(log: &[u8]) -> Vec<SessionTruth> {
    let mut scratch = vec![0u8; log.len()];
    let mut out: Vec<SessionTruth> = Vec::new();
    for item in SessionReader::new(log, &mut scratch).unwrap() {
        match item {
            SessionItem::Header(h) => out.push(SessionTruth {
                id: h.session,
                ..Default::default()
            }),
            SessionItem::Turn { turn, .. } => out.last_mut().unwrap().turns.push(turn),
            SessionItem::Condition(c) => out
                .last_mut()
                .unwrap()
                .conditions
                .push((c.seat, c.at, c.what)),
            SessionItem::Marker(m) => out.last_mut().unwrap().markers.push((m.at, m.kind)),
            SessionItem::End(e) => out.last_mut().unwrap().end = Some(e.at),
            SessionItem::Notice(_) => {}
            other => panic!("clean log with {other:?}"),
        }
    }
    out
}

/// The engine stayed bounded and lost nothing; the log says what the
/// device saw. Returns the session read back.
fn bounded_and_logged<const N: usize>(device: &Device<N>) -> SessionTruth {
    let stats = device.engine.stats();
    assert_eq!(stats.dropped_events, 0, "{stats:?}");
    assert!(
        device.max_backlog <= EVENT_QUEUE / 2,
        "backlog {}",
        device.max_backlog
    );
    let log = device.log();
    let mut sessions = read_back(&log);
    assert_eq!(sessions.len(), 1);
    let session = sessions.pop().unwrap();
    let truth = &device.sessions[0];
    assert_eq!(
        robustness_support::sorted(session.turns.clone()),
        robustness_support::sorted(truth.turns.clone())
    );
    assert_eq!(session.conditions, truth.conditions);
    session
}

fn conditions_of(session: &SessionTruth, seat: u8) -> Vec<Condition> {
    session
        .conditions
        .iter()
        .filter(|c| c.0 == seat)
        .map(|c| c.2)
        .collect()
}

#[test]
fn chatter_at_the_highest_polling_rate_is_reported_not_logged_as_turns() {
    // A pin that flips on every reading, read as fast as the engine's clock
    // resolves (several readings per millisecond, then one per ms).
    let minutes = if RELEASE { 30 } else { 3 };
    let mut device = Device::<4>::buttons(2, Instant(5));
    device.start();
    let mut pressed = false;
    // 10 s at 8 readings per ms.
    for _ in 0..10_000 {
        for _ in 0..8 {
            pressed = !pressed;
            device
                .engine
                .poll_buttons(device.now, u16::from(pressed), false);
        }
        device.drain();
        device.advance(1);
    }
    // Then `minutes` at one reading per ms.
    for _ in 0..minutes * MINUTE {
        pressed = !pressed;
        device
            .engine
            .poll_buttons(device.now, u16::from(pressed), false);
        device.drain();
        device.advance(1);
    }
    // Then calm, and an ordinary 3 s press.
    for ms in 0..10_000u32 {
        let down = (2_000..5_000).contains(&ms);
        device
            .engine
            .poll_buttons(device.now, u16::from(down), false);
        device.drain();
        device.advance(1);
    }
    device.stop();
    let session = bounded_and_logged(&device);
    assert_eq!(
        conditions_of(&session, 0),
        [Condition::ButtonChatter, Condition::ButtonOk]
    );
    assert!(conditions_of(&session, 1).is_empty());
    // The press after the chatter is one turn of 3 s; chatter made none
    // longer than a debounce can pass.
    let turns: Vec<_> = session.turns.iter().filter(|t| t.seat == 0).collect();
    let real: Vec<_> = turns.iter().filter(|t| t.duration() >= 100).collect();
    assert_eq!(real.len(), 1, "{turns:?}");
    assert_eq!(real[0].duration(), 300);
    assert!(turns.len() <= 3, "chatter became turns: {turns:?}");
    // Chatter logged as turns would take megabytes; what is left is the
    // header (103 B), its essentials, a short session's copies of its
    // batches, a few conditions and the end: 316 B in release today.
    let log = device.log();
    assert!(
        log.len() < 400,
        "{minutes} min of chatter took {} log bytes",
        log.len()
    );
}

#[test]
fn a_button_held_for_hours_is_cut_and_reported_stuck() {
    let hours = if RELEASE { 5 } else { 1 };
    let configs = [
        SeatWiring::button(ButtonMode::HoldToTalk),
        SeatWiring::button(ButtonMode::Toggle),
        SeatWiring::button(ButtonMode::HoldToTalk),
    ];
    let mut device = Device::<4>::new(&configs, DetectionParams::default(), Instant(u32::MAX - 7));
    let max_turn = u64::from(device.engine.params().turns.max_turn_ms);
    device.start();
    // Seat 0 held for `hours`; seat 1 (toggle) pressed once and forgotten;
    // seat 2 talks normally every minute. Polled every 5 ms.
    let held = hours * 60 * MINUTE;
    let mut t = 0u64;
    while t < held + 5 * MINUTE {
        let mut mask = 0u16;
        if (1_000..held).contains(&t) {
            mask |= 0b001;
        }
        if (2_000..2_200).contains(&t) {
            mask |= 0b010;
        }
        if t % MINUTE < 4_000 {
            mask |= 0b100;
        }
        device.engine.poll_buttons(device.now, mask, false);
        device.drain();
        device.advance(5);
        t += 5;
    }
    device.stop();
    let session = bounded_and_logged(&device);
    let tick = |ms: u64| ms / 10;
    // Seat 0: one turn, cut at the maximum turn; stuck until released.
    let seat0: Vec<_> = session.turns.iter().filter(|t| t.seat == 0).collect();
    assert_eq!(seat0.len(), 1, "{seat0:?}");
    assert_eq!(seat0[0].how, TurnEnd::Cut);
    assert_eq!(
        (seat0[0].start, seat0[0].end),
        (tick(1_000), tick(1_000 + max_turn))
    );
    assert_eq!(
        conditions_of(&session, 0),
        [Condition::ButtonStuck, Condition::ButtonOk]
    );
    let stuck_at = session
        .conditions
        .iter()
        .find(|c| c.2 == Condition::ButtonStuck)
        .unwrap()
        .1;
    assert_eq!(stuck_at, tick(1_000 + max_turn));
    // Seat 1: a forgotten toggle is cut too, without a condition.
    let seat1: Vec<_> = session.turns.iter().filter(|t| t.seat == 1).collect();
    assert_eq!(seat1.len(), 1);
    assert_eq!(
        (seat1[0].how, seat1[0].duration()),
        (TurnEnd::Cut, tick(max_turn))
    );
    assert!(conditions_of(&session, 1).is_empty());
    // Seat 2 was never disturbed: a 4 s turn every minute.
    let seat2: Vec<_> = session.turns.iter().filter(|t| t.seat == 2).collect();
    assert_eq!(seat2.len() as u64, (held + 5 * MINUTE).div_ceil(MINUTE));
    assert!(seat2
        .iter()
        .all(|t| t.how == TurnEnd::Natural && t.duration() == 400));
    assert_eq!(cuts(&session.turns), 2);
}

/// 10 ms of samples of a quiet room around mid-scale.
fn quiet(rng: &mut Rng, full_scale: u16) -> Vec<u16> {
    (0..80)
        .map(|_| full_scale / 2 - 4 + (rng.next() % 9) as u16)
        .collect()
}

/// 10 ms of speech-like samples: noise at a syllable-rate envelope.
fn speech(rng: &mut Rng, full_scale: u16, t_ms: u64) -> Vec<u16> {
    let syllable = (t_ms / 60) % 4; // 240 ms cycles: loud, loud, medium, soft
    let amp = [900u64, 700, 400, 120][syllable as usize] * u64::from(full_scale) / 4095;
    (0..80)
        .map(|_| {
            let n = rng.next() % (2 * amp + 1);
            (u64::from(full_scale / 2) + n)
                .saturating_sub(amp)
                .min(u64::from(full_scale)) as u16
        })
        .collect()
}

/// Microphone seats in a row at a table: each voice reaches its own
/// microphone first, and every other one a quarter as loud and 4 samples
/// (0.5 ms) later per seat of distance, so the spectral detector (the
/// default) can tell who speaks.
///
/// In builds without the spectral detector the default is the level path,
/// and voices stay at their own microphone (`leak` false), as these tests
/// always played them: a table where everyone talks at once all the time
/// gives the level path no moment to learn a -12 dB coupling.
struct Row {
    /// Per seat: the voice's last 160 samples (deviation from mid-scale).
    voices: Vec<Vec<i32>>,
    leak: bool,
}

impl Row {
    fn new(seats: usize) -> Self {
        Row {
            voices: vec![vec![0; 160]; seats],
            leak: DetectionParams::default().mic.spectral_on,
        }
    }

    /// The next 10 ms at every microphone; `talking[k]`: seat `k` speaks.
    fn blocks(&mut self, rng: &mut Rng, fs: u16, t_ms: &[u64], talking: &[bool]) -> Vec<Vec<u16>> {
        if !self.leak {
            // Exactly the signals (and random draws) these tests always
            // played to the level path.
            return (0..self.voices.len())
                .map(|k| {
                    if talking[k] {
                        speech(rng, fs, t_ms[k])
                    } else {
                        quiet(rng, fs)
                    }
                })
                .collect();
        }
        for (k, voice) in self.voices.iter_mut().enumerate() {
            voice.drain(..80);
            if talking[k] {
                let block = speech(rng, fs, t_ms[k]);
                voice.extend(block.iter().map(|&x| i32::from(x) - i32::from(fs / 2)));
            } else {
                voice.extend([0; 80]);
            }
        }
        (0..self.voices.len())
            .map(|m| {
                quiet(rng, fs)
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let heard: i32 = self
                            .voices
                            .iter()
                            .enumerate()
                            .map(|(k, v)| {
                                let d = 4 * m.abs_diff(k);
                                let x = v[80 + i - d];
                                if k == m {
                                    x
                                } else if self.leak {
                                    x / 4
                                } else {
                                    0
                                }
                            })
                            .sum();
                        (i32::from(x) + heard).clamp(0, i32::from(fs)) as u16
                    })
                    .collect()
            })
            .collect()
    }
}

#[test]
fn saturated_and_disconnected_microphones_are_reported_and_invent_no_turns() {
    let fs = 4095u16;
    let configs = [SeatWiring::microphone(fs); 4];
    let mut device = Device::<4>::new(&configs, DetectionParams::default(), Instant(1));
    let mut rng = Rng::new(9);
    device.start();
    // Seat 0 pinned at full scale, seat 1 at 0 (disconnected), seat 2 at
    // a constant mid-scale (a dead module), seat 3 a normal microphone
    // with a person speaking 5 s every 20 s. Then all recover.
    let faulty = if RELEASE { 20 * MINUTE } else { 2 * MINUTE };
    // Seat 3's voice reaches the other microphones a quarter as loud and
    // 4 samples (0.5 ms) later per seat of distance, so once they work
    // again the spectral detector (the default) can tell who speaks.
    let mut voice = vec![0i32; 160];
    let mut t = 0u64;
    while t < faulty + MINUTE {
        let broken = t < faulty;
        let talking = t % 20_000 >= 5_000 && t % 20_000 < 10_000;
        let own = if talking {
            speech(&mut rng, fs, t)
        } else {
            quiet(&mut rng, fs)
        };
        voice.drain(..80);
        voice.extend(own.iter().map(|&x| {
            if talking {
                i32::from(x) - i32::from(fs / 2)
            } else {
                0
            }
        }));
        for s in 0..4u8 {
            let block: Vec<u16> = match (s, broken) {
                (0, true) => vec![fs; 80],
                (1, true) => vec![0; 80],
                (2, true) => vec![1234; 80],
                (3, _) => own.clone(),
                _ => {
                    let delay = 4 * usize::from(3 - s);
                    quiet(&mut rng, fs)
                        .into_iter()
                        .enumerate()
                        .map(|(i, x)| (i32::from(x) + voice[80 + i - delay] / 4) as u16)
                        .collect()
                }
            };
            device
                .engine
                .push_samples(seat(s), &block, device.now)
                .unwrap();
        }
        device.engine.tick(device.now);
        device.drain();
        device.advance(10);
        t += 10;
    }
    device.stop();
    let session = bounded_and_logged(&device);
    assert_eq!(
        conditions_of(&session, 0),
        [Condition::MicSaturated, Condition::MicOk]
    );
    assert_eq!(
        conditions_of(&session, 1),
        [Condition::MicSilent, Condition::MicOk]
    );
    assert_eq!(
        conditions_of(&session, 2),
        [Condition::MicSilent, Condition::MicOk]
    );
    assert!(conditions_of(&session, 3).is_empty());
    for s in 0..3u8 {
        assert!(
            session.turns.iter().all(|t| t.seat != s),
            "seat {s}'s broken microphone invented turns: {:?}",
            session
                .turns
                .iter()
                .filter(|t| t.seat == s)
                .collect::<Vec<_>>()
        );
    }
    let speaker = session.turns.iter().filter(|t| t.seat == 3).count() as u64;
    let expected = (faulty + MINUTE) / 20_000;
    assert!(
        speaker >= expected - 1 && speaker <= expected + 1,
        "{speaker} turns of seat 3, {expected} expected"
    );
}

#[test]
fn everyone_talking_at_once_for_an_hour_stays_bounded_and_is_cut_in_the_log() {
    let duration = if RELEASE { 60 * MINUTE } else { 12 * MINUTE };
    // Twelve buttons held down and four microphones with speech, all the
    // time: the engine's worst case (every lane busy, every turn cut).
    let fs = 4095u16;
    let mut configs = vec![SeatWiring::button(ButtonMode::HoldToTalk); 12];
    configs.extend([SeatWiring::microphone(fs); 4]);
    let mut device = Device::<16>::new(
        &configs,
        DetectionParams::default(),
        Instant(u32::MAX - 30 * 60_000),
    );
    let max_turn = u64::from(device.engine.params().turns.max_turn_ms);
    let mut rng = Rng::new(77);
    device.start();
    let mut t = 0u64;
    let mut max_write = 0usize;
    let mut row = Row::new(4);
    while t < duration {
        // 3 s of a quiet room first, so the microphones learn their floor.
        let talking = t >= 3_000;
        let mask = if talking { 0x0FFF } else { 0 };
        device.engine.poll_buttons(device.now, mask, false);
        device.drain();
        let times: Vec<u64> = (12..16u64).map(|s| t + s * 17).collect();
        let blocks = row.blocks(&mut rng, fs, &times, &[talking; 4]);
        for (s, block) in (12..16u8).zip(blocks) {
            device
                .engine
                .push_samples(seat(s), &block, device.now)
                .unwrap();
            device.drain();
        }
        device.engine.tick(device.now);
        device.drain();
        max_write = max_write.max(device.writes.last().map_or(0, Vec::len));
        device.advance(10);
        t += 10;
    }
    device.stop();
    let session = bounded_and_logged(&device);
    // Every button seat: turns of exactly the maximum, cut, then stuck.
    for s in 0..12u8 {
        let turns: Vec<_> = session.turns.iter().filter(|t| t.seat == s).collect();
        assert_eq!(
            turns.len(),
            1,
            "seat {s}: a held button is one cut turn, then stuck"
        );
        assert_eq!(turns[0].how, TurnEnd::Cut);
        assert_eq!(conditions_of(&session, s)[0], Condition::ButtonStuck);
    }
    // Microphones that never fall silent are cut at the maximum turn too,
    // and stay silent until the voice stops (a stuck input must not start
    // a new turn at once).
    for s in 12..16u8 {
        let turns: Vec<_> = session.turns.iter().filter(|t| t.seat == s).collect();
        assert_eq!(turns.len(), 1, "seat {s}: {turns:?}");
        assert_eq!(
            (turns[0].how, turns[0].duration()),
            (TurnEnd::Cut, max_turn / 10)
        );
        // Within 350 ms of the voices starting at 3 s: the spectral
        // detector's accumulators (~70 ms) and 20 ms frames, with every
        // seat talking over the others, take a little longer to be sure.
        assert!(
            turns[0].start <= 350,
            "seat {s} started late: {:?}",
            turns[0]
        );
    }
    let log = device.log();
    let per_hour = log.len() as u64 * 60 * MINUTE / duration;
    eprintln!(
        "16 seats talking at once for {} min: {} events, {} log bytes (~{per_hour} B/hour), largest write {max_write} B, backlog {} of {EVENT_QUEUE}, {:?}",
        duration / MINUTE,
        device.events,
        log.len(),
        device.max_backlog,
        device.engine.stats()
    );
    assert!(per_hour < 64 * 1024, "{per_hour} log bytes per hour");
}

#[test]
fn sixteen_seats_all_talking_in_bursts_for_an_hour() {
    // The busiest table there is: every seat talks all the time, in bursts
    // of 2 to 15 s with short breaths between — twelve by button, four by
    // microphone. Every burst is a turn; the engine must keep up.
    let duration = if RELEASE { 60 * MINUTE } else { 6 * MINUTE };
    let fs = 4095u16;
    let mut configs = vec![SeatWiring::button(ButtonMode::HoldToTalk); 12];
    configs.extend([SeatWiring::microphone(fs); 4]);
    let mut device = Device::<16>::new(
        &configs,
        DetectionParams::default(),
        Instant(u32::MAX - 1_000),
    );
    let mut rng = Rng::new(2024);
    // Per seat: the bursts, from 3 s on (the microphones learn their floor first).
    let plan: Vec<Vec<(u64, u64)>> = (0..16)
        .map(|_| {
            let mut t = 3_000 + rng.range(0..2_000);
            let mut bursts = Vec::new();
            while t < duration {
                let len = rng.range(2_000..15_000);
                bursts.push((t, (t + len).min(duration)));
                t += len + rng.range(700..2_000);
            }
            bursts
        })
        .collect();
    device.start();
    let mut t = 0u64;
    let mut row = Row::new(4);
    while t < duration {
        let active = |s: usize| plan[s].iter().any(|&(a, b)| a <= t && t < b);
        let mask = (0..12).filter(|&s| active(s)).fold(0u16, |m, s| m | 1 << s);
        device.engine.poll_buttons(device.now, mask, false);
        device.drain();
        let times: Vec<u64> = (12..16u64).map(|s| t + s * 31).collect();
        let talking: Vec<bool> = (12..16usize).map(active).collect();
        let blocks = row.blocks(&mut rng, fs, &times, &talking);
        for (s, block) in (12..16u8).zip(blocks) {
            device
                .engine
                .push_samples(seat(s), &block, device.now)
                .unwrap();
            device.drain();
        }
        device.engine.tick(device.now);
        device.drain();
        device.advance(10);
        t += 10;
    }
    device.stop();
    let session = bounded_and_logged(&device);
    // Every button burst is one turn of its length (to the 10 ms poll).
    for s in 0..12u8 {
        let turns: Vec<_> = session.turns.iter().filter(|t| t.seat == s).collect();
        let bursts = &plan[usize::from(s)];
        assert_eq!(turns.len(), bursts.len(), "seat {s}");
        for (turn, &(a, b)) in turns.iter().zip(bursts) {
            assert!(
                turn.start * 10 >= a && turn.start * 10 <= a + 10,
                "seat {s}: {turn:?} vs {a}..{b}"
            );
            assert!(
                turn.end * 10 + 10 >= b.min(duration - 10) && turn.end * 10 <= b + 10,
                "seat {s}: {turn:?} vs {a}..{b}"
            );
        }
    }
    // The microphones find their bursts (a turn may merge bursts whose
    // breath is shorter than the hangover; none is invented).
    for s in 12..16u8 {
        let turns = session.turns.iter().filter(|t| t.seat == s).count();
        let bursts = plan[usize::from(s)].len();
        assert!(
            turns <= bursts && turns * 3 >= bursts,
            "seat {s}: {turns} turns for {bursts} bursts"
        );
    }
    let log = device.log();
    let per_hour = log.len() as u64 * 60 * MINUTE / duration;
    eprintln!(
        "16 seats in bursts for {} min: {} turns, {} events, {} log bytes (~{per_hour} B/hour), backlog {} of {EVENT_QUEUE}, {:?}",
        duration / MINUTE,
        session.turns.len(),
        device.events,
        log.len(),
        device.max_backlog,
        device.engine.stats()
    );
    assert_eq!(cuts(&session.turns), 0);
    assert!(per_hour < 64 * 1024);
}
