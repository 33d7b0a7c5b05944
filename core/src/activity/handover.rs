//! Which detector decides a microphone seat's turns while the
//! [spectral](super::spectral) detector is on, and which microphones take
//! part in it.
//!
//! * **Faults gate the spectral detector.** While the level path's
//!   [health](super::health) reports a fault for a seat (saturated,
//!   clipping, flat or disconnected), the seat is out of the spectral
//!   detector: it invents no turns and takes no part in other seats'
//!   decisions (its open turn ends when it is taken out). When the fault
//!   clears it rejoins at the first spectral frame that starts at its next
//!   sample, so its samples line up with the other microphones' again.
//! * **Fewer than two microphones.** The spectral detector decides from
//!   the order in which a sound reaches two microphones; with fewer than two
//!   healthy microphone seats it can decide nothing, and the level path
//!   decides the turns instead, until there are two again.
//!
//! Both paths always run; [`Handover::pass`] lets through only the edges of
//! the path that decides. A turn is ended by the path that opened it, so
//! every reported rise has its fall, and a seat's edges stay in time order.

use crate::activity::spectral::HOP;
use crate::turns::edge::{Edge, EdgeKind};

/// The two ways a microphone seat's turns are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    /// Levels, floors, crosstalk (the level path).
    Level,
    /// Arrival order between microphones (the spectral detector).
    Spectral,
}

/// Where a microphone seat is with respect to the spectral detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gate {
    /// Taking part (or out only because it stopped delivering samples).
    In,
    /// Out for a fault.
    Faulted,
    /// Fault cleared, waiting for the sample a spectral frame starts with.
    Rejoining,
}

/// Per-seat decider and fault-gate state (see the module documentation).
#[derive(Clone, Debug)]
pub(crate) struct Handover<const SEATS: usize> {
    mics: [bool; SEATS],
    gate: [Gate; SEATS],
    /// The spectral detector's sample index of each seat's next sample.
    pos: [u64; SEATS],
    /// The path whose turn is being reported, per seat.
    open: [Option<Path>; SEATS],
    /// Time of each seat's last reported edge (caller ms).
    last_at: [u64; SEATS],
    /// Recent samples of the one rejoining seat being kept.
    kept: [i16; KEPT],
    kept_seat: Option<usize>,
    /// Index of the first sample kept.
    kept_from: u64,
}

/// Samples kept for a rejoining seat: a seat is at most this far ahead of
/// the detector's next frame start (its ring).
const KEPT: usize = 512;

impl<const SEATS: usize> Handover<SEATS> {
    /// `mics[s]`: seat `s` has a microphone.
    pub(crate) fn new(mics: [bool; SEATS]) -> Self {
        Handover {
            mics,
            gate: [Gate::In; SEATS],
            pos: [0; SEATS],
            open: [None; SEATS],
            last_at: [0; SEATS],
            kept: [0; KEPT],
            kept_seat: None,
            kept_from: 0,
        }
    }

    /// The path deciding turns now: the spectral detector while at least
    /// two microphone seats are free of faults, else the level path.
    pub(crate) fn decider(&self) -> Path {
        let healthy = self
            .mics
            .iter()
            .zip(self.gate.iter())
            .filter(|(&m, &g)| m && g != Gate::Faulted)
            .count();
        if healthy >= 2 {
            Path::Spectral
        } else {
            Path::Level
        }
    }

    /// Whether `seat` is in a reported turn.
    pub(crate) fn active(&self, seat: usize) -> bool {
        self.open.get(seat).is_some_and(Option::is_some)
    }

    /// `edge` of `seat` from `path`, if it is to be reported: conditions
    /// always; a rise when `path` decides and no turn is open; a fall when
    /// `path` opened the open turn. Never dated before the seat's last
    /// reported edge.
    pub(crate) fn pass(&mut self, seat: usize, path: Path, edge: Edge) -> Option<Edge> {
        let decider = self.decider();
        let (Some(open), Some(last)) = (self.open.get_mut(seat), self.last_at.get_mut(seat)) else {
            return None;
        };
        match edge.kind {
            EdgeKind::Rise if open.is_none() && path == decider => *open = Some(path),
            EdgeKind::Fall(_) if *open == Some(path) => *open = None,
            EdgeKind::Rise | EdgeKind::Fall(_) => return None,
            _ => return Some(edge),
        }
        let at = edge.at.max(*last);
        *last = at;
        Some(Edge { at, ..edge })
    }

    /// Takes `seat` out of the spectral detector for a fault (`true`) or
    /// lets it rejoin (`false`). Returns whether the caller must take it
    /// out of the detector now.
    pub(crate) fn set_fault(&mut self, seat: usize, fault: bool) -> bool {
        let Some(gate) = self.gate.get_mut(seat) else {
            return false;
        };
        match (fault, *gate) {
            (true, Gate::In | Gate::Rejoining) => {
                *gate = Gate::Faulted;
                if self.kept_seat == Some(seat) {
                    self.kept_seat = None;
                }
                true
            }
            (false, Gate::Faulted) => {
                *gate = Gate::Rejoining;
                false
            }
            _ => false,
        }
    }

    /// Whether `seat` is out of the spectral detector for a fault (its
    /// samples must not be handed to it, and it must not be re-added as a
    /// microphone that resumed delivering).
    pub(crate) fn gated(&self, seat: usize) -> bool {
        self.gate.get(seat).is_some_and(|&g| g != Gate::In)
    }

    /// `seat` was (re-)added to the detector with its next sample at the
    /// start of frame `next_frame`.
    pub(crate) fn joined(&mut self, seat: usize, next_frame: u32) {
        if let (Some(p), Some(g)) = (self.pos.get_mut(seat), self.gate.get_mut(seat)) {
            *p = u64::from(next_frame) * HOP as u64;
            *g = Gate::In;
        }
    }

    /// Counts one of `seat`'s samples, `y`, and says what to do with it.
    ///
    /// A rejoining seat must rejoin at the start of the detector's next
    /// frame, which is always a little in the past (a frame is decided once
    /// every microphone has all its samples): the seat's samples are kept
    /// (one seat at a time) until they cover that start, then the seat
    /// rejoins and the kept samples are handed over ([`Feed::Join`]). When no
    /// other microphone is in the detector (`alone`) it rejoins at once and
    /// the detector's timeline moves to it.
    pub(crate) fn sample(&mut self, seat: usize, y: i16, next_frame: u32, alone: bool) -> Feed {
        let (Some(p), Some(&gate)) = (self.pos.get_mut(seat), self.gate.get(seat)) else {
            return Feed::Drop;
        };
        let at = *p;
        *p = p.saturating_add(1);
        match gate {
            Gate::In => Feed::One,
            Gate::Faulted => Feed::Drop,
            Gate::Rejoining => {
                let start = u64::from(next_frame) * HOP as u64;
                if alone {
                    for (i, q) in self.pos.iter_mut().enumerate() {
                        if i != seat {
                            *q = q.saturating_add(start).saturating_sub(at);
                        }
                    }
                    self.joined(seat, next_frame);
                    if let Some(p) = self.pos.get_mut(seat) {
                        *p = p.saturating_add(1);
                    }
                    if self.kept_seat == Some(seat) {
                        self.kept_seat = None;
                    }
                    return Feed::One;
                }
                match self.kept_seat {
                    None => {
                        self.kept_seat = Some(seat);
                        self.kept_from = at;
                    }
                    Some(other) if other != seat => return Feed::Drop,
                    Some(_) => {}
                }
                if let Some(slot) = self.kept.get_mut((at % KEPT as u64) as usize) {
                    *slot = y;
                }
                if self.kept_from <= start && at >= start && at - start < KEPT as u64 {
                    self.kept_seat = None;
                    self.joined(seat, next_frame);
                    if let Some(p) = self.pos.get_mut(seat) {
                        *p = at.saturating_add(1);
                    }
                    Feed::Join {
                        from: start,
                        to: at,
                    }
                } else {
                    if at.saturating_sub(self.kept_from) >= KEPT as u64 {
                        // The detector stopped advancing: start keeping again.
                        self.kept_from = at;
                    }
                    Feed::Drop
                }
            }
        }
    }

    /// The kept sample with index `at` (see [`Feed::Join`]).
    pub(crate) fn kept(&self, at: u64) -> i16 {
        self.kept
            .get((at % KEPT as u64) as usize)
            .copied()
            .unwrap_or(0)
    }
}

/// What to do with a seat's sample (see [`Handover::sample`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Feed {
    /// Not for the spectral detector.
    Drop,
    /// Hand it to the spectral detector.
    One,
    /// Add the seat to the detector and hand it the kept samples
    /// `from..=to` (the last is this one).
    Join {
        /// The detector's next frame start.
        from: u64,
        /// This sample's index.
        to: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::turns::edge::SourceKind;
    use crate::turns::event::TurnEnd;

    fn edge(at: u64, kind: EdgeKind) -> Edge {
        Edge {
            at,
            source: SourceKind::Microphone,
            kind,
        }
    }
    const RISE: EdgeKind = EdgeKind::Rise;
    const FALL: EdgeKind = EdgeKind::Fall(TurnEnd::Natural);

    #[test]
    fn one_microphone_is_decided_by_the_level_path() {
        let mut h = Handover::<2>::new([true, false]);
        assert_eq!(h.decider(), Path::Level);
        assert!(h.pass(0, Path::Spectral, edge(10, RISE)).is_none());
        assert!(h.pass(0, Path::Level, edge(10, RISE)).is_some());
        assert!(h.active(0));
        assert!(h.pass(0, Path::Level, edge(20, FALL)).is_some());
    }

    #[test]
    fn a_turn_is_ended_by_the_path_that_opened_it_and_never_earlier() {
        let mut h = Handover::<3>::new([true; 3]);
        assert_eq!(h.decider(), Path::Spectral);
        assert!(h.pass(0, Path::Spectral, edge(100, RISE)).is_some());
        // Seat 1 faults: two healthy left, the spectral detector decides.
        assert!(h.set_fault(1, true));
        assert_eq!(h.decider(), Path::Spectral);
        // Seat 2 too: the level path decides from now on.
        assert!(h.set_fault(2, true));
        assert_eq!(h.decider(), Path::Level);
        // The open spectral turn is still ended by the spectral detector;
        // the level path's edges wait for it.
        assert!(h.pass(0, Path::Level, edge(50, RISE)).is_none());
        assert!(h.pass(0, Path::Level, edge(300, FALL)).is_none());
        assert_eq!(
            h.pass(0, Path::Spectral, edge(400, FALL)).map(|e| e.at),
            Some(400)
        );
        // A level rise dated before that fall is moved to it.
        assert_eq!(
            h.pass(0, Path::Level, edge(350, RISE)).map(|e| e.at),
            Some(400)
        );
        assert!(h.pass(0, Path::Spectral, edge(500, FALL)).is_none());
        assert!(h.pass(0, Path::Level, edge(600, FALL)).is_some());
        // Conditions always pass.
        let c = edge(
            700,
            EdgeKind::Condition(crate::turns::event::Condition::MicOk),
        );
        assert!(h.pass(1, Path::Level, c).is_some());
    }

    #[test]
    fn a_rejoining_seat_waits_for_its_samples_to_cover_the_next_frame() {
        let mut h = Handover::<2>::new([true; 2]);
        for _ in 0..1000 {
            let _ = h.sample(0, 0, 2, false);
        }
        assert!(h.set_fault(0, true));
        assert_eq!(h.sample(0, 0, 3, false), Feed::Drop);
        assert!(!h.set_fault(0, false));
        // Sample 1001 is kept; the detector's next frame starts at 3 · 160 =
        // 480, before anything kept: wait.
        assert_eq!(h.sample(0, 1, 3, false), Feed::Drop);
        // The detector moved on to frame 7 (1120): kept from 1001, so the
        // seat rejoins once its samples reach it.
        let mut joined = None;
        for _ in 0..200 {
            if let Feed::Join { from, to } = h.sample(0, 2, 7, false) {
                joined = Some((from, to));
                break;
            }
        }
        let (from, to) = joined.unwrap();
        assert_eq!(from, 1120);
        assert!(to >= from && to - from < KEPT as u64);
        assert!(!h.gated(0));
    }
}
