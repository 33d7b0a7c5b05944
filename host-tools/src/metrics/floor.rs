//! Who holds the floor: floor tenures, transitions (who follows whom), floor
//! transfer offsets, pauses, interruptions and backchannels.
//!
//! There is one floor model in tabletalk, the core's
//! [`FloorTracker`](tabletalk_core::turns::floor::FloorTracker) (its rules
//! are written out there and in `docs/metrics.md`): the report replays the
//! session's turns through it, in time order, ends before starts at the
//! same millisecond, and resets it where the session paused, exactly as
//! the device did while recording. So the report, the device's live
//! figures (its LEDs) and `tabletalk device live` agree on every floor
//! figure of the same turns.
//!
//! A **tenure** is one seat holding the floor, from taking it to another
//! seat taking it. A seat that releases the floor (stops with nobody else
//! speaking) and is the next to speak takes it back: that silence is a
//! **pause** within its tenure, not a new tenure.

use tabletalk_core::turns::floor::{FloorEvent, FloorTracker, Take};

use crate::session::MAX_LOG_SEATS;

/// A floor tenure: one seat holding the floor, from taking it to the next
/// seat taking it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tenure {
    /// The holder.
    pub seat: usize,
    /// When it took the floor (ms).
    pub taken_at: u64,
    /// Start of the holder's turn that took the floor (ms); before
    /// `taken_at` when it took it by interruption.
    pub speech_start: u64,
    /// End of the holder's last turn in this tenure (ms).
    pub speech_end: u64,
    /// The previous holder and the floor transfer offset from it: the new
    /// holder's speech start minus the end of the previous holder's last
    /// turn (negative: overlap; positive: gap). `None` for the opening
    /// floor of the session and after each pause of the recording.
    pub from: Option<(usize, i64)>,
}

impl Tenure {
    /// The monologue: from the winning speech's start to the holder's last
    /// speech end (ms).
    pub fn monologue_ms(&self) -> u64 {
        self.speech_end.saturating_sub(self.speech_start)
    }
}

/// One interruption: a turn that began while another seat held the floor
/// and was not a backchannel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interruption {
    /// The interrupting seat.
    pub by: usize,
    /// The floor holder it interrupted.
    pub of: usize,
    /// When the interrupting turn began (ms).
    pub at: u64,
    /// Whether the interrupter took the floor (it outlasted the holder).
    pub successful: bool,
}

/// The floor over a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Floor {
    /// Tenures in time order; consecutive ones have different seats.
    pub tenures: Vec<Tenure>,
    /// Pauses within one holder's tenure: `(seat, ms)`.
    pub pauses: Vec<(usize, u64)>,
    /// Interruptions, successful or not, by the start of the interrupting
    /// turn.
    pub interruptions: Vec<Interruption>,
    /// Per seat, whether each of its turns (in `by_seat` order) was a
    /// backchannel.
    pub backchannels: Vec<Vec<bool>>,
}

/// What happens at one moment of the replay; at the same millisecond,
/// ends come before resets, resets before starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    End { seat: usize, turn: usize },
    Reset,
    Start { seat: usize, turn: usize },
}

/// The floor of the turns `by_seat` (each seat's sorted, disjoint
/// `(start, end)` stretches), with turns up to `backchannel_max_ms` as
/// possible backchannels, and the floor forgotten at each of `resets`
/// (the starts of the session's pauses).
pub fn floor(by_seat: &[Vec<(u64, u64)>], backchannel_max_ms: u64, resets: &[u64]) -> Floor {
    let mut steps: Vec<(u64, Step)> = Vec::new();
    for (seat, turns) in by_seat.iter().enumerate().take(MAX_LOG_SEATS) {
        for (turn, &(start, end)) in turns.iter().enumerate() {
            steps.push((start, Step::Start { seat, turn }));
            steps.push((end, Step::End { seat, turn }));
        }
    }
    steps.extend(resets.iter().map(|&at| (at, Step::Reset)));
    steps.sort_unstable();

    let max_ms = u32::try_from(backchannel_max_ms).unwrap_or(u32::MAX);
    let mut tracker = FloorTracker::<MAX_LOG_SEATS, u8>::new(max_ms);
    let mut replay = Replay {
        result: Floor {
            backchannels: by_seat.iter().map(|t| vec![false; t.len()]).collect(),
            ..Floor::default()
        },
        current: None,
        last_end: vec![None; by_seat.len()],
        turn_start: vec![0; by_seat.len()],
    };
    let turn = |seat: usize, turn: usize| {
        by_seat
            .get(seat)
            .and_then(|t| t.get(turn))
            .copied()
            .unwrap_or_default()
    };
    for (at, step) in steps {
        match step {
            Step::End { seat, turn: i } => {
                let Ok(index) = u8::try_from(seat) else {
                    continue;
                };
                let (start, end) = turn(seat, i);
                replay.ended(seat, end);
                for event in tracker.end(index, start, end) {
                    replay.event(event, Some(i));
                }
            }
            Step::Reset => tracker.reset(),
            Step::Start { seat, turn: _ } => {
                let Ok(index) = u8::try_from(seat) else {
                    continue;
                };
                if let Some(slot) = replay.turn_start.get_mut(seat) {
                    *slot = at;
                }
                if let Some(event) = tracker.start(index, at) {
                    replay.event(event, None);
                }
            }
        }
    }
    let mut result = replay.result;
    result.tenures.extend(replay.current);
    result.interruptions.sort_by_key(|i| (i.at, i.by));
    result
}

/// The state of a replay besides the tracker.
struct Replay {
    result: Floor,
    current: Option<Tenure>,
    /// Each seat's last turn end so far.
    last_end: Vec<Option<u64>>,
    /// Each seat's latest turn start.
    turn_start: Vec<u64>,
}

impl Replay {
    fn ended(&mut self, seat: usize, end: u64) {
        if let Some(slot) = self.last_end.get_mut(seat) {
            *slot = Some(end);
        }
        if let Some(tenure) = self.current.as_mut().filter(|t| t.seat == seat) {
            tenure.speech_end = end;
        }
    }

    /// `turn`: the index of the ended turn, for events of a turn end.
    fn event(&mut self, event: FloorEvent<u8>, turn: Option<usize>) {
        match event {
            FloorEvent::Taken {
                seat,
                at,
                from,
                how,
            } => {
                let seat = usize::from(seat);
                let from = from.map(usize::from);
                if let (Take::AfterGap { gap_ms }, Some(previous)) = (how, from) {
                    if previous == seat && self.current.is_some_and(|t| t.seat == seat) {
                        self.result.pauses.push((seat, gap_ms));
                        return;
                    }
                }
                let speech_start = self.turn_start.get(seat).copied().unwrap_or(at);
                let from = from.map(|previous| {
                    let previous_end = self
                        .last_end
                        .get(previous)
                        .copied()
                        .flatten()
                        .unwrap_or(speech_start);
                    let offset = i128::from(speech_start) - i128::from(previous_end);
                    (
                        previous,
                        i64::try_from(offset).unwrap_or(if offset < 0 {
                            i64::MIN
                        } else {
                            i64::MAX
                        }),
                    )
                });
                if let (Take::Interruption, Some((of, _))) = (how, from) {
                    self.result.interruptions.push(Interruption {
                        by: seat,
                        of,
                        at: speech_start,
                        successful: true,
                    });
                }
                if let Some(done) = self.current.take() {
                    self.result.tenures.push(done);
                }
                self.current = Some(Tenure {
                    seat,
                    taken_at: at,
                    speech_start,
                    speech_end: at,
                    from,
                });
            }
            FloorEvent::Backchannel { seat, .. } => {
                let flag = turn.and_then(|i| {
                    self.result
                        .backchannels
                        .get_mut(usize::from(seat))
                        .and_then(|flags| flags.get_mut(i))
                });
                if let Some(flag) = flag {
                    *flag = true;
                }
            }
            FloorEvent::FailedInterruption {
                seat,
                holder,
                start,
                ..
            } => self.result.interruptions.push(Interruption {
                by: usize::from(seat),
                of: usize::from(holder),
                at: start,
                successful: false,
            }),
            FloorEvent::Released { .. } => {}
        }
    }
}

/// Floor turns per seat: how many tenures each seat had.
pub fn floor_turns(floor: &Floor, seats: usize) -> Vec<u32> {
    let mut counts = vec![0u32; seats];
    for tenure in &floor.tenures {
        if let Some(count) = counts.get_mut(tenure.seat) {
            *count += 1;
        }
    }
    counts
}

/// The transition matrix: `counts[a][b]` = how often `b` took the floor
/// from `a`. The diagonal is 0 by construction.
pub fn transition_counts(floor: &Floor, seats: usize) -> Vec<Vec<u32>> {
    let mut counts = vec![vec![0u32; seats]; seats];
    for tenure in &floor.tenures {
        if let Some((from, _)) = tenure.from {
            if let Some(cell) = counts
                .get_mut(from)
                .and_then(|row| row.get_mut(tenure.seat))
            {
                *cell += 1;
            }
        }
    }
    counts
}

/// The interruption matrix: `counts[a][b]` = how often `a` interrupted `b`.
pub fn interruption_counts(floor: &Floor, seats: usize) -> Vec<Vec<u32>> {
    let mut counts = vec![vec![0u32; seats]; seats];
    for i in &floor.interruptions {
        if let Some(cell) = counts.get_mut(i.by).and_then(|r| r.get_mut(i.of)) {
            *cell += 1;
        }
    }
    counts
}

/// Row probabilities of a count matrix: `p[a][b] = counts[a][b] / Σ_b
/// counts[a][b]`; a row without transitions is all `None`.
pub fn row_probabilities(counts: &[Vec<u32>]) -> Vec<Vec<Option<f64>>> {
    counts
        .iter()
        .map(|row| {
            let total: u32 = row.iter().sum();
            row.iter()
                .map(|&c| (total > 0).then(|| f64::from(c) / f64::from(total)))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed() {
        // A 0..1000, pause, A 1500..3000; B 2800..5000 (overlaps A by
        // 200 ms, takes the floor when A stops at 3000); gap; A 5500..6000.
        let by_seat = vec![
            vec![(0, 1000), (1500, 3000), (5500, 6000)],
            vec![(2800, 5000)],
        ];
        let floor = floor(&by_seat, 1000, &[]);
        assert_eq!(
            floor.tenures,
            [
                Tenure {
                    seat: 0,
                    taken_at: 0,
                    speech_start: 0,
                    speech_end: 3000,
                    from: None
                },
                Tenure {
                    seat: 1,
                    taken_at: 3000,
                    speech_start: 2800,
                    speech_end: 5000,
                    from: Some((0, -200))
                },
                Tenure {
                    seat: 0,
                    taken_at: 5500,
                    speech_start: 5500,
                    speech_end: 6000,
                    from: Some((1, 500))
                },
            ]
        );
        assert_eq!(floor.pauses, [(0, 500)]);
        assert_eq!(
            floor.interruptions,
            [Interruption {
                by: 1,
                of: 0,
                at: 2800,
                successful: true
            }]
        );
        assert_eq!(floor.tenures[0].monologue_ms(), 3000);
        assert_eq!(floor_turns(&floor, 3), [2, 1, 0]);
        let counts = transition_counts(&floor, 3);
        assert_eq!(counts, [vec![0, 1, 0], vec![1, 0, 0], vec![0, 0, 0]]);
        let p = row_probabilities(&counts);
        assert_eq!(p[0], [Some(0.0), Some(1.0), Some(0.0)]);
        assert_eq!(p[2], [None, None, None]);
    }

    #[test]
    fn short_and_long_turns_inside_the_holders() {
        // A 0..5000 holds the floor. B 1000..1500: a backchannel. C
        // 2000..3500: longer than 1 s, a failed interruption. B 4800..5300
        // outlasts A: a successful interruption, B takes the floor at 5000.
        let by_seat = vec![
            vec![(0, 5000)],
            vec![(1000, 1500), (4800, 5300)],
            vec![(2000, 3500)],
        ];
        let floor = floor(&by_seat, 1000, &[]);
        assert_eq!(
            floor.backchannels,
            [vec![false], vec![true, false], vec![false]]
        );
        let summary: Vec<_> = floor
            .interruptions
            .iter()
            .map(|i| (i.by, i.of, i.at, i.successful))
            .collect();
        assert_eq!(summary, [(2, 0, 2000, false), (1, 0, 4800, true)]);
        assert_eq!(floor_turns(&floor, 3), [1, 1, 0]);
        assert_eq!(interruption_counts(&floor, 3)[2], [1, 0, 0]);
    }

    #[test]
    fn a_pause_of_the_recording_forgets_the_floor() {
        // A 0..1000; the recording pauses at 1000; B 3000..4000 opens the
        // floor anew: no transition from A.
        let by_seat = vec![vec![(0, 1000)], vec![(3000, 4000)]];
        let floor = floor(&by_seat, 1000, &[1000]);
        assert_eq!(floor.tenures.len(), 2);
        assert_eq!(floor.tenures[1].from, None);
        // Without the pause, B follows A after a 2 s gap.
        let floor = super::floor(&by_seat, 1000, &[]);
        assert_eq!(floor.tenures[1].from, Some((0, 2000)));
    }

    #[test]
    fn the_earliest_overlapper_takes_over() {
        // A 0..3000; B 1000..5000; C 2000..9000: when A stops, B (started
        // first) takes the floor; when B stops, C takes it from B.
        let by_seat = vec![vec![(0, 3000)], vec![(1000, 5000)], vec![(2000, 9000)]];
        let floor = floor(&by_seat, 1000, &[]);
        let summary: Vec<_> = floor
            .interruptions
            .iter()
            .map(|i| (i.by, i.of, i.successful))
            .collect();
        assert_eq!(summary, [(1, 0, true), (2, 1, true)]);
        assert_eq!(
            transition_counts(&floor, 3),
            [vec![0, 1, 0], vec![0, 0, 1], vec![0, 0, 0]]
        );
    }
}
