//! The scripted meeting is deterministic and contains what it claims to.

use tabletalk_core::seat::SeatId;
use tabletalk_core::time::Instant;
use tabletalk_scenario::seats::SEAT_COUNT;
use tabletalk_scenario::{Device, Script};

/// Records a digest of every input plus a few observations.
#[derive(Default)]
struct Observer {
    digest: u64,
    ticks: u32,
    last_tick: Option<Instant>,
    wrapped: bool,
    button_edges: u32,
    last_button: bool,
    facilitator_ms: u32,
    samples_per_seat: [u64; SEAT_COUNT],
    full_scale_runs: u32,
    peak_deviation: [u16; SEAT_COUNT],
}

impl Observer {
    fn mix(&mut self, value: u64) {
        // FNV-1a over 64-bit words: enough to tell two streams apart.
        self.digest = (self.digest ^ value).wrapping_mul(0x0000_0100_0000_01B3);
    }
}

impl Device for Observer {
    fn button(&mut self, now: Instant, seat: SeatId, pressed: bool) {
        self.mix(u64::from(now.0) << 8 | u64::from(seat.get()) << 1 | u64::from(pressed));
        if pressed != self.last_button {
            self.button_edges += 1;
            self.last_button = pressed;
        }
    }
    fn facilitator(&mut self, now: Instant, pressed: bool) {
        self.mix(u64::from(now.0) << 1 | u64::from(pressed));
        self.facilitator_ms += u32::from(pressed);
    }
    fn samples(&mut self, _now: Instant, seat: SeatId, samples: &[u16]) {
        for &s in samples {
            self.mix(u64::from(s));
            let dev = s.abs_diff(2048);
            let peak = &mut self.peak_deviation[seat.index()];
            *peak = (*peak).max(dev);
        }
        if samples.iter().all(|&s| s == 4095) {
            self.full_scale_runs += 1;
        }
        self.samples_per_seat[seat.index()] += samples.len() as u64;
    }
    fn tick(&mut self, now: Instant) {
        if let Some(last) = self.last_tick {
            assert_eq!(now.wrapping_since(last), 1, "one tick per millisecond");
            self.wrapped |= now.0 < last.0;
        }
        self.last_tick = Some(now);
        self.ticks += 1;
    }
}

#[test]
fn the_same_script_plays_the_same_meeting() {
    let short = Script {
        duration_ms: 20_000,
        ..Script::STANDARD
    };
    let (mut a, mut b) = (Observer::default(), Observer::default());
    let truth_a = short.play(&mut a);
    let truth_b = short.play(&mut b);
    assert_eq!(truth_a, truth_b);
    assert_eq!(a.digest, b.digest);

    let other = Script { seed: 1, ..short };
    let mut c = Observer::default();
    other.play(&mut c);
    assert_ne!(a.digest, c.digest, "the seed matters");
}

#[test]
fn the_standard_meeting_has_what_the_test_needs() {
    let script = Script::STANDARD;
    let mut seen = Observer::default();
    let truth = script.play(&mut seen);

    assert_eq!(seen.ticks, script.duration_ms);
    assert!(seen.wrapped, "the device clock wraps during the meeting");
    // Three microphone seats at 8 kHz, none for the button seat.
    assert_eq!(seen.samples_per_seat, [0, 2_400_000, 2_400_000, 2_400_000]);
    assert_eq!(truth.samples, 7_200_000);

    // Everyone speaks; participation is unequal (weights 2:5:3:1).
    for (seat, &ms) in truth.talk_ms.iter().enumerate() {
        assert!(ms > 5_000, "seat {seat} talked only {ms} ms");
    }
    let most = truth.talk_ms.iter().copied().max().unwrap_or(0);
    assert_eq!(truth.talk_ms[1], most, "seat 1 dominates: {truth:?}");
    assert!(truth.utterances.iter().sum::<u32>() >= 30, "{truth:?}");

    // The button bounces: more edges than presses and releases.
    assert!(
        seen.button_edges > 2 * truth.utterances[0],
        "{} edges",
        seen.button_edges
    );
    // The facilitator presses once, for about a quarter second.
    assert!(
        (240..=260).contains(&seen.facilitator_ms),
        "{}",
        seen.facilitator_ms
    );
    // Three seconds of a clipped microphone.
    assert_eq!(seen.full_scale_runs, 3_000);
    // The quiet talker is quieter than the loud one at their own mics.
    assert!(seen.peak_deviation[3] < seen.peak_deviation[1]);
}
