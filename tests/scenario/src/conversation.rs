//! Who speaks when: a small turn-taking model that decides, millisecond by
//! millisecond, which seats are talking.
//!
//! It produces what a real table produces and what the core must cope with:
//! unequal participation (seat weights), gaps of varied length, long
//! silences, interruptions (the next speaker starts before the current one
//! stops) and backchannels (a short "mm-hm" inside someone else's turn).

use crate::rng::Rng;
use crate::seats::{SEATS, SEAT_COUNT};

/// One utterance of a seat: it talks for `start <= t < end` (meeting ms).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn contains(self, t: u32) -> bool {
        self.start <= t && t < self.end
    }
}

/// The turn-taking state of the table.
#[derive(Clone, Debug)]
pub struct Conversation {
    rng: Rng,
    talk: [Span; SEAT_COUNT],
    next_turn_at: u32,
    next_speaker: usize,
    /// No turn starts at or after this time (the meeting winds down).
    last_start: u32,
}

impl Conversation {
    /// A conversation that lets new turns start until `last_start` (ms).
    pub fn new(rng: Rng, last_start: u32) -> Self {
        Conversation {
            rng,
            talk: [Span::default(); SEAT_COUNT],
            next_turn_at: 1_500,
            next_speaker: 1,
            last_start,
        }
    }

    /// Moves to meeting time `t` (called once per millisecond, in order).
    pub fn advance(&mut self, t: u32) {
        if t == self.next_turn_at && t < self.last_start {
            self.start_turn(t);
        }
        // A backchannel about every six seconds of someone else's speech.
        if let Some(main) = self.floor(t) {
            if self.rng.chance(1, 6_000) {
                let seat = self.other_than(main);
                if self.talk.get(seat).is_some_and(|s| !s.contains(t)) {
                    let len = self.rng.between(200, 700);
                    self.set_talk(seat, t, len);
                }
            }
        }
    }

    /// Whether `seat` talks at `t`.
    pub fn speaking(&self, seat: usize, t: u32) -> bool {
        self.talk.get(seat).is_some_and(|s| s.contains(t))
    }

    /// The seat holding the floor at `t`: of those talking, the one who
    /// started first.
    fn floor(&self, t: u32) -> Option<usize> {
        (0..SEAT_COUNT)
            .filter(|&s| self.speaking(s, t))
            .min_by_key(|&s| self.talk.get(s).map_or(u32::MAX, |span| span.start))
    }

    fn start_turn(&mut self, t: u32) {
        let seat = self.next_speaker;
        // 0.8 s to about 19 s, most around 8 to 12 s (a sum of uniforms).
        let len = 800
            + self.rng.between(0, 6_000)
            + self.rng.between(0, 6_000)
            + self.rng.between(0, 6_000);
        self.set_talk(seat, t, len);
        self.next_speaker = self.pick_speaker(seat);
        let end = t.saturating_add(len);
        self.next_turn_at = if self.rng.chance(1, 6) {
            // Interruption: the next speaker cuts in before the end.
            end.saturating_sub(self.rng.between(300, 1_500).min(len / 2))
        } else if self.rng.chance(1, 10) {
            // A long silence: the table thinks.
            end.saturating_add(self.rng.between(3_000, 6_000))
        } else {
            end.saturating_add(self.rng.between(150, 1_800))
        }
        .max(t.saturating_add(1));
    }

    fn set_talk(&mut self, seat: usize, t: u32, len: u32) {
        if let Some(span) = self.talk.get_mut(seat) {
            *span = Span {
                start: t,
                end: t.saturating_add(len),
            };
        }
    }

    /// A seat other than `current`, drawn by the seats' weights.
    fn pick_speaker(&mut self, current: usize) -> usize {
        let total: u32 = SEATS
            .iter()
            .enumerate()
            .filter(|&(s, _)| s != current)
            .map(|(_, seat)| seat.weight)
            .sum();
        let mut draw = self.rng.between(0, total.saturating_sub(1));
        for (s, seat) in SEATS.iter().enumerate() {
            if s == current {
                continue;
            }
            if draw < seat.weight {
                return s;
            }
            draw -= seat.weight;
        }
        self.other_than(current)
    }

    /// Any seat other than `seat`, uniformly.
    fn other_than(&mut self, seat: usize) -> usize {
        let step = self.rng.between(1, SEAT_COUNT as u32 - 1) as usize;
        (seat + step) % SEAT_COUNT
    }
}
