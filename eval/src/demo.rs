//! A made-up but lifelike meeting for the demo (`tabletalk simulate
//! --meeting demo`), so the main job runs on a fresh machine without any
//! corpus: four people, one of whom talks a lot, turns of a few seconds (some
//! long), small gaps and overlaps at changes of speaker, and short
//! backchannels ("mm-hm") inside others' turns.

use crate::corpus::{Meeting, Split};
use crate::rng::Rng;
use crate::spans::{self, Span};

/// The demo's people, in seat order.
pub const DEMO_PEOPLE: [&str; 4] = ["Ana", "Ben", "Chloe", "Dev"];

/// How much each person tends to take the floor.
const TALKATIVENESS: [f64; 4] = [0.45, 0.25, 0.2, 0.1];

/// A demo meeting of `minutes` minutes, reproducible from `seed`.
pub fn demo_meeting(minutes: f64, seed: u64) -> Meeting {
    let mut rng = Rng::new(seed ^ 0xDE30);
    let end = (minutes.max(0.0) * 60_000.0) as u64;
    let mut turns: Vec<Vec<Span>> = vec![Vec::new(); DEMO_PEOPLE.len()];
    let mut t = 3_000.0;
    let mut speaker = 0usize;
    while (t as u64) < end {
        let length = rng.lognormal_db(4_000.0, 7.0).clamp(600.0, 45_000.0);
        let start = t as u64;
        let stop = ((t + length) as u64).min(end);
        turns[speaker].push((start, stop));
        // Backchannels from the others during longer turns.
        if length > 3_000.0 {
            for _ in 0..(length / 6_000.0).ceil() as usize {
                if rng.chance(0.35) {
                    let who = (speaker + 1 + rng.below(DEMO_PEOPLE.len() - 1)) % DEMO_PEOPLE.len();
                    let at = rng.range(t + 1_000.0, t + length - 500.0) as u64;
                    let len = rng.range(250.0, 800.0) as u64;
                    turns[who].push((at, (at + len).min(end)));
                }
            }
        }
        // Next: usually someone else, chosen by talkativeness.
        let next = if rng.chance(0.12) {
            speaker
        } else {
            let total: f64 = TALKATIVENESS
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != speaker)
                .map(|(_, w)| w)
                .sum();
            let mut pick = rng.unit() * total;
            let mut chosen = speaker;
            for (i, w) in TALKATIVENESS.iter().enumerate() {
                if i == speaker {
                    continue;
                }
                chosen = i;
                if pick < *w {
                    break;
                }
                pick -= w;
            }
            chosen
        };
        // Floor-transfer offset: mostly a short gap, sometimes an overlap;
        // a pause when the same person goes on.
        let offset = if next == speaker {
            rng.range(700.0, 2_500.0)
        } else {
            (200.0 + 450.0 * rng.normal()).clamp(-900.0, 2_500.0)
        };
        t = (t + length + offset).max(t + 300.0);
        speaker = next;
    }
    Meeting {
        name: "demo".into(),
        split: Split::Other,
        speakers: DEMO_PEOPLE
            .iter()
            .zip(&turns)
            .map(|(name, s)| (name.to_string(), spans::union(s.clone())))
            .collect(),
        segments: turns,
        duration_ms: end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifelike_and_reproducible() {
        let m = demo_meeting(10.0, 1);
        assert_eq!(m, demo_meeting(10.0, 1));
        assert_ne!(m, demo_meeting(10.0, 2));
        assert_eq!(m.duration_ms, 600_000);
        let talk: Vec<u64> = m.speakers.iter().map(|(_, s)| spans::total(s)).collect();
        // Everyone speaks, Ana most; speech fills most of the meeting.
        assert!(talk.iter().all(|&t| t > 10_000), "{talk:?}");
        assert!(talk[0] > talk[3], "{talk:?}");
        let speech = spans::union(
            m.speakers
                .iter()
                .flat_map(|(_, s)| s.iter().copied())
                .collect(),
        );
        let covered = spans::total(&speech) as f64 / 600_000.0;
        assert!((0.6..0.98).contains(&covered), "{covered}");
        assert!(m
            .speakers
            .iter()
            .all(|(_, s)| s.iter().all(|&(a, b)| b > a && b <= 600_000)));
    }
}
