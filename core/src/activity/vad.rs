//! Per-seat speech activity from frame decisions: onset, hysteresis,
//! hangover, minimum turn.
//!
//! [`Vad`] receives, for each frame of one seat, two facts computed by the
//! [`mics`](super::mics) stage: whether the frame clears the seat's floor by
//! the **on** threshold, and whether it clears it by the lower **off**
//! threshold (both after crosstalk has been ruled out). From them:
//!
//! * **Hysteresis.** A silent seat needs the on threshold to start; a
//!   speaking seat keeps counting frames above the off threshold as speech.
//! * **Onset.** The turn is back-dated to the first frame of the rise above
//!   the off threshold that led to the on crossing (the soft start of the
//!   first syllable), but by at most `onset_lookback_ms`.
//! * **Hangover.** Pauses shorter than `hangover_ms` do not end the turn.
//!   When a pause does end it, the turn ends at the end of its last speech
//!   frame, not at the end of the hangover.
//! * **Minimum turn.** A burst whose speech spans less than `min_turn_ms`
//!   (a cough, a door) is dropped. A turn is announced (a rise edge, dated
//!   at the onset) only once its speech spans `min_turn_ms` *and* its
//!   speech frames add up to at least half of that, so every reported turn
//!   lasts at least `min_turn_ms`.
//! * **Runs, not stray frames.** After the onset, a speech frame counts
//!   (extends the turn, adds to its speech) only as part of a run of at
//!   least two. Scattered single frames (leaks the crosstalk test let
//!   through, clicks) neither add up to a turn nor keep one alive.
//!
//! The state machine is `Idle → Candidate → Active → Idle`; a candidate
//! that falls silent for the hangover goes back to idle without a trace.
//!
//! ```
//! use tabletalk_core::activity::vad::{Vad, VadTiming};
//! use tabletalk_core::turns::edge::EdgeKind;
//!
//! let timing = VadTiming { lookback_ms: 150, hangover_ms: 400, min_turn_ms: 250 };
//! let mut vad = Vad::new();
//! let mut edges = heapless::Vec::<_, 4>::new();
//! // 10 ms frames: speech from 1000 to 1500 ms with a 200 ms pause at 1200.
//! for end in (10..=3000u64).step_by(10) {
//!     let speech = end > 1000 && end <= 1500 && !(end > 1200 && end <= 1400);
//!     if let Some(edge) = vad.frame(end - 10, end, speech, speech, &timing) {
//!         edges.push((edge.at, edge.kind)).unwrap();
//!     }
//! }
//! // One turn from 1000 to 1500: the pause was bridged.
//! assert_eq!(edges[0].0, 1000);
//! assert_eq!(edges[1].0, 1500);
//! assert!(matches!(edges[1].1, EdgeKind::Fall(_)));
//! ```

use crate::turns::edge::{Edge, EdgeKind, SourceKind};
use crate::turns::event::TurnEnd;

/// The VAD's timing parameters (ms), from
/// [`MicParams`](crate::params::MicParams).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VadTiming {
    /// Longest back-dating of an onset before the on crossing.
    pub lookback_ms: u64,
    /// Longest pause bridged inside a turn.
    pub hangover_ms: u64,
    /// Shortest turn reported.
    pub min_turn_ms: u64,
}

impl VadTiming {
    /// The timing of `params`.
    pub fn of(params: &crate::params::MicParams) -> Self {
        VadTiming {
            lookback_ms: u64::from(params.onset_lookback_ms),
            hangover_ms: u64::from(params.hangover_ms),
            min_turn_ms: u64::from(params.min_turn_ms),
        }
    }
}

/// Where a seat's speech stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum VadState {
    /// No speech; `rise` is the start of a run of frames above the off
    /// threshold, if one is in progress.
    Idle {
        /// Start of the current rise.
        rise: Option<u64>,
    },
    /// Speech that is not yet long enough to be a turn.
    Candidate {
        /// Back-dated start.
        onset: u64,
        /// End of the last speech frame.
        last_speech: u64,
        /// Total duration of its speech frames (ms).
        speech_ms: u64,
    },
    /// A reported turn.
    Active {
        /// Back-dated start (already reported).
        onset: u64,
        /// End of the last speech frame.
        last_speech: u64,
    },
}

/// One seat's speech activity detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Vad {
    state: VadState,
    last_end: u64,
    /// Consecutive speech frames up to the last one.
    run: u16,
}

impl Default for Vad {
    fn default() -> Self {
        Self::new()
    }
}

impl Vad {
    /// A silent seat.
    pub const fn new() -> Self {
        Vad {
            state: VadState::Idle { rise: None },
            last_end: 0,
            run: 0,
        }
    }

    /// The current state.
    pub const fn state(&self) -> VadState {
        self.state
    }

    /// Whether a turn is being reported (after its rise edge).
    pub const fn active(&self) -> bool {
        matches!(self.state, VadState::Active { .. })
    }

    /// No edge earlier than this can come out of later frames (ms).
    pub fn horizon(&self, timing: &VadTiming) -> u64 {
        match self.state {
            VadState::Idle { rise: None } => self.last_end,
            VadState::Idle { rise: Some(rise) } => {
                rise.max(self.last_end.saturating_sub(timing.lookback_ms))
            }
            VadState::Candidate { onset, .. } => onset,
            VadState::Active { last_speech, .. } => last_speech,
        }
    }

    /// Takes one frame spanning `start..end` (ms). `above_on`: clears the
    /// on threshold; `above_off`: clears the off threshold (implied by
    /// `above_on`). Returns the edge this frame decided, if any.
    pub fn frame(
        &mut self,
        start: u64,
        end: u64,
        above_off: bool,
        above_on: bool,
        timing: &VadTiming,
    ) -> Option<Edge> {
        let end = end.max(self.last_end);
        let start = start.clamp(self.last_end.min(end), end);
        self.last_end = end;
        let above_off = above_off || above_on;
        // A turn is carried on by runs of speech, not by stray frames: a
        // speech frame counts once the next one is speech too.
        self.run = if above_off {
            self.run.saturating_add(1)
        } else {
            0
        };
        let frame_ms = end.saturating_sub(start);
        let run_gain = match self.run {
            0 | 1 => 0,
            2 => 2 * frame_ms,
            _ => frame_ms,
        };
        let in_run = self.run >= 2;
        match self.state {
            VadState::Idle { rise } => {
                if !above_off {
                    self.state = VadState::Idle { rise: None };
                    return None;
                }
                let rise = rise.unwrap_or(start);
                if !above_on {
                    self.state = VadState::Idle { rise: Some(rise) };
                    return None;
                }
                let onset = rise.max(start.saturating_sub(timing.lookback_ms));
                // The rise frames before the on crossing count as speech.
                self.state = VadState::Candidate {
                    onset,
                    last_speech: end,
                    speech_ms: end.saturating_sub(onset),
                };
                self.promote(timing)
            }
            VadState::Candidate {
                onset,
                last_speech,
                speech_ms,
            } => {
                if in_run {
                    self.state = VadState::Candidate {
                        onset,
                        last_speech: end,
                        speech_ms: speech_ms.saturating_add(run_gain),
                    };
                    return self.promote(timing);
                }
                // A lone speech frame may start a run: wait for the next.
                if !above_off && end.saturating_sub(last_speech) >= timing.hangover_ms {
                    self.state = VadState::Idle { rise: None };
                }
                None
            }
            VadState::Active { onset, last_speech } => {
                if in_run {
                    self.state = VadState::Active {
                        onset,
                        last_speech: end,
                    };
                    return None;
                }
                if !above_off && end.saturating_sub(last_speech) >= timing.hangover_ms {
                    self.state = VadState::Idle { rise: None };
                    return Some(fall(last_speech));
                }
                None
            }
        }
    }

    /// A candidate whose speech spans `min_turn_ms`, at least half of it in
    /// speech frames, becomes a turn.
    fn promote(&mut self, timing: &VadTiming) -> Option<Edge> {
        if let VadState::Candidate {
            onset,
            last_speech,
            speech_ms,
        } = self.state
        {
            let long_enough = last_speech.saturating_sub(onset) >= timing.min_turn_ms;
            let dense_enough = speech_ms.saturating_mul(2) >= timing.min_turn_ms;
            if long_enough && dense_enough {
                self.state = VadState::Active { onset, last_speech };
                return Some(Edge {
                    at: onset,
                    source: SourceKind::Microphone,
                    kind: EdgeKind::Rise,
                });
            }
        }
        None
    }

    /// Ends whatever is pending as if the seat fell silent now: a candidate
    /// is dropped, an active turn ends at its last speech frame.
    pub fn flush(&mut self) -> Option<Edge> {
        let state = self.state;
        self.state = VadState::Idle { rise: None };
        match state {
            VadState::Active { last_speech, .. } => Some(fall(last_speech)),
            _ => None,
        }
    }
}

fn fall(at: u64) -> Edge {
    Edge {
        at,
        source: SourceKind::Microphone,
        kind: EdgeKind::Fall(TurnEnd::Natural),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    const TIMING: VadTiming = VadTiming {
        lookback_ms: 150,
        hangover_ms: 400,
        min_turn_ms: 250,
    };

    /// Runs 10 ms frames; `level(end)` returns (above_off, above_on).
    fn run(until: u64, level: impl Fn(u64) -> (bool, bool)) -> Vec<(u64, EdgeKind)> {
        let mut vad = Vad::new();
        let mut out = Vec::new();
        for end in (10..=until).step_by(10) {
            let (off, on) = level(end);
            if let Some(edge) = vad.frame(end - 10, end, off, on, &TIMING) {
                out.push((edge.at, edge.kind));
            }
        }
        out
    }

    #[test]
    fn hysteresis_keeps_a_turn_above_off_and_needs_on_to_start() {
        // Above off only: never starts.
        assert!(run(3000, |t| (t > 1000 && t <= 2000, false)).is_empty());
        // On for 50 ms, then only off for a second: one turn to the end of off.
        let edges = run(4000, |t| (t > 1000 && t <= 2000, t > 1000 && t <= 1050));
        assert_eq!(
            edges,
            [
                (1000, EdgeKind::Rise),
                (2000, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn the_onset_is_back_dated_to_the_rise_but_not_further_than_the_lookback() {
        // Off from 900, on from 1000: onset 900.
        let edges = run(3000, |t| (t > 900 && t <= 2000, t > 1000 && t <= 2000));
        assert_eq!(edges.first(), Some(&(900, EdgeKind::Rise)));
        // Off from 500, on from 1000: back-dated only 150 ms before the on frame (start 1000).
        let edges = run(3000, |t| (t > 500 && t <= 2000, t > 1000 && t <= 2000));
        assert_eq!(edges.first(), Some(&(850, EdgeKind::Rise)));
    }

    #[test]
    fn the_hangover_bridges_short_pauses_only() {
        // A 390 ms pause is bridged, a 400 ms one is not.
        let speech = |gap: u64| {
            move |t: u64| {
                let s = (t > 1000 && t <= 1500) || (t > 1500 + gap && t <= 2500 + gap);
                (s, s)
            }
        };
        assert_eq!(run(5000, speech(390)).len(), 2);
        let edges = run(5000, speech(400));
        assert_eq!(
            edges,
            [
                (1000, EdgeKind::Rise),
                (1500, EdgeKind::Fall(TurnEnd::Natural)),
                (1900, EdgeKind::Rise),
                (2900, EdgeKind::Fall(TurnEnd::Natural)),
            ]
        );
    }

    #[test]
    fn bursts_shorter_than_the_minimum_turn_are_dropped() {
        assert!(run(3000, |t| (t > 1000 && t <= 1240, t > 1000 && t <= 1240)).is_empty());
        let edges = run(3000, |t| (t > 1000 && t <= 1250, t > 1000 && t <= 1250));
        assert_eq!(
            edges,
            [
                (1000, EdgeKind::Rise),
                (1250, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn scattered_single_frames_never_make_a_turn() {
        // One 10 ms frame every 300 ms for 3 s: bridged, but 100 ms of
        // speech in a 3 s span is not a turn.
        let edges = run(5000, |t| {
            let s = t > 1000 && t <= 4000 && t % 300 == 0;
            (s, s)
        });
        assert!(edges.is_empty(), "{edges:?}");
    }

    #[test]
    fn stray_frames_do_not_keep_a_turn_alive() {
        // Real speech to 2000, then one frame every 200 ms until 5000.
        let edges = run(6000, |t| {
            let s = (t > 1000 && t <= 2000) || (t > 2000 && t <= 5000 && t % 200 == 0);
            (s, s)
        });
        assert_eq!(
            edges,
            [
                (1000, EdgeKind::Rise),
                (2000, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn bridged_short_bursts_add_up_to_a_turn() {
        // Three 100 ms bursts 200 ms apart: speech spans 1000..1700.
        let edges = run(4000, |t| {
            let s = [1000u64, 1300, 1600].iter().any(|&b| t > b && t <= b + 100);
            (s, s)
        });
        assert_eq!(
            edges,
            [
                (1000, EdgeKind::Rise),
                (1700, EdgeKind::Fall(TurnEnd::Natural))
            ]
        );
    }

    #[test]
    fn horizon_never_passes_a_pending_edge() {
        let mut vad = Vad::new();
        let mut emitted: Vec<u64> = Vec::new();
        let mut horizons = Vec::new();
        for end in (10..=5000u64).step_by(10) {
            let s = (end > 1000 && end <= 1600)
                || (end > 1700 && end <= 1720)
                || (end > 3000 && end <= 3100);
            let off = s || (end > 2500 && end <= 3000);
            if let Some(edge) = vad.frame(end - 10, end, off, s, &TIMING) {
                // Every edge is at or after every horizon reported before it.
                assert!(
                    horizons.iter().all(|&h| edge.at >= h),
                    "edge {} before a horizon",
                    edge.at
                );
                emitted.push(edge.at);
            }
            horizons.push(vad.horizon(&TIMING));
        }
        assert_eq!(emitted, [1000, 1720, 2850, 3100]);
    }

    #[test]
    fn flush_ends_an_active_turn_at_its_last_speech() {
        let mut vad = Vad::new();
        for end in (10..=1500u64).step_by(10) {
            let s = end > 1000 && end <= 1400;
            vad.frame(end - 10, end, s, s, &TIMING);
        }
        assert_eq!(
            vad.flush().map(|e| (e.at, e.kind)),
            Some((1400, EdgeKind::Fall(TurnEnd::Natural)))
        );
        assert_eq!(vad.flush(), None);
    }
}
