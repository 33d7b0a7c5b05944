//! The turn tracker: time-ordered activity edges in, [`Event`]s out.
//!
//! [`TurnTracker`] is the state machine between the per-seat activity
//! sources and everything downstream (the log writer, LEDs, a live stream).
//! It receives [`Edge`]s in time order (the [`engine`](crate::engine) merges
//! the sources) and keeps:
//!
//! * **the session**: stopped, running or paused. Turns exist only while it
//!   runs. Starting a session sets its time origin: every [`Event`] time is
//!   milliseconds since the session's start marker. Stopping or pausing ends
//!   the turns in progress with [`TurnEnd::SessionEnded`]; starting or
//!   resuming starts turns for seats that are active at that moment.
//! * **per-seat turns**: a seat is active while any of its sources (button,
//!   microphone, external) is; a turn starts when the first rises and ends
//!   when the last falls. A seat has at most one turn at a time, so a seat's
//!   turns never overlap; turns of different seats may.
//! * **the maximum turn**: a turn reaching `max_turn_ms` ends there with
//!   [`TurnEnd::Cut`], and the seat stays silent until all its sources have
//!   fallen (a stuck input must not restart a turn at once).
//! * **conditions**: input conditions become [`Event::Condition`]s; those
//!   still standing when a session starts are repeated at its time 0, so
//!   every session's log knows them.
//! * **the floor** ([`FloorTracker`]) and the **live figures**
//!   ([`LiveFigures`]).
//!
//! Events come out in non-decreasing time order (`TurnStarted::at`,
//! `TurnEnded::end`, `Marker::at`, `Condition::at`). An edge dated before
//! the last one processed (which the engine only lets through when an input
//! misbehaves) is moved forward to it rather than rewriting the past.
//!
//! ```
//! use tabletalk_core::params::TurnParams;
//! use tabletalk_core::seat::SeatId;
//! use tabletalk_core::turns::edge::{Control, Edge, EdgeKind, SourceKind};
//! use tabletalk_core::turns::event::{Event, MarkerKind, TurnEnd};
//! use tabletalk_core::turns::tracker::TurnTracker;
//!
//! let seat = SeatId::new(0).unwrap();
//! let mut tracker = TurnTracker::<2>::new(TurnParams::default(), 2);
//! let mut events = heapless::Vec::<Event, 8>::new();
//! let mut out = |e| { events.push(e).unwrap(); };
//! let edge = |at, kind| Edge { at, source: SourceKind::Button, kind };
//! tracker.control(edge(5000, EdgeKind::Control(Control::Start)), &mut out);
//! tracker.seat_edge(seat, edge(6000, EdgeKind::Rise), &mut out);
//! tracker.seat_edge(seat, edge(9000, EdgeKind::Fall(TurnEnd::Natural)), &mut out);
//! assert_eq!(events[0], Event::Marker { at: 0, kind: MarkerKind::Start });
//! assert_eq!(events[1], Event::TurnStarted { seat, at: 1000 });
//! assert_eq!(events[2], Event::TurnEnded { seat, start: 1000, end: 4000, how: TurnEnd::Natural });
//! ```

use crate::params::TurnParams;
use crate::seat::SeatId;
use crate::time::SessionMs;
use crate::turns::edge::{Control, Edge, EdgeKind};
use crate::turns::event::{Condition, Event, MarkerKind, TurnEnd};
use crate::turns::floor::FloorTracker;
use crate::turns::live::LiveFigures;

/// Where the session stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SessionPhase {
    /// No session: inputs are watched, nothing is recorded.
    Stopped,
    /// Recording turns.
    Running,
    /// A session exists but records no turns until resumed.
    Paused,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct SeatTrack {
    /// Bits of the sources currently active ([`SourceKind::bit`](super::edge::SourceKind::bit)).
    sources: u8,
    /// Start of the turn in progress (engine ms).
    turn_start: Option<u64>,
    /// Cut at the maximum turn; silent until all sources fall.
    latched: bool,
    button_condition: Option<Condition>,
    mic_condition: Option<Condition>,
}

/// Tracks turns of up to `SEATS` seats.
#[derive(Clone, Debug)]
pub struct TurnTracker<const SEATS: usize> {
    params: TurnParams,
    seat_count: usize,
    state: SessionPhase,
    /// Engine time of the session's start marker.
    origin: u64,
    /// Engine time of the last edge or advance.
    now: u64,
    late_edges: u32,
    seats: [SeatTrack; SEATS],
    floor: FloorTracker<SEATS>,
    live: LiveFigures<SEATS>,
}

impl<const SEATS: usize> TurnTracker<SEATS> {
    /// A tracker for the first `seat_count` seats (at most `SEATS`), with no
    /// session running.
    pub fn new(params: TurnParams, seat_count: usize) -> Self {
        let seat_count = seat_count.min(SEATS);
        TurnTracker {
            params,
            seat_count,
            state: SessionPhase::Stopped,
            origin: 0,
            now: 0,
            late_edges: 0,
            seats: [SeatTrack::default(); SEATS],
            floor: FloorTracker::new(params.backchannel_max_ms),
            live: LiveFigures::new(seat_count),
        }
    }

    /// The session state.
    pub const fn session(&self) -> SessionPhase {
        self.state
    }

    /// Session time of the tracker's clock (0 when no session has started).
    pub fn session_now(&self) -> SessionMs {
        self.now.saturating_sub(self.origin)
    }

    /// Engine time of the last processed edge or advance.
    pub const fn engine_now(&self) -> u64 {
        self.now
    }

    /// Edges that arrived dated before the tracker's clock and were moved
    /// forward (a sign of a misbehaving or stalled input).
    pub const fn late_edges(&self) -> u32 {
        self.late_edges
    }

    /// The floor.
    pub const fn floor(&self) -> &FloorTracker<SEATS> {
        &self.floor
    }

    /// The live figures.
    pub const fn live(&self) -> &LiveFigures<SEATS> {
        &self.live
    }

    /// Whether `seat` is in a turn.
    pub fn speaking(&self, seat: SeatId) -> bool {
        self.seats
            .get(seat.index())
            .is_some_and(|s| s.turn_start.is_some())
    }

    fn session_time(&self, engine: u64) -> SessionMs {
        engine.saturating_sub(self.origin)
    }

    /// Turns in progress: the most [`TurnTracker::advance`] can emit (each
    /// may be cut once).
    pub fn turns_in_progress(&self) -> usize {
        self.seats
            .iter()
            .take(self.seat_count)
            .filter(|s| s.turn_start.is_some())
            .count()
    }

    /// The most events [`TurnTracker::seat_edge`] or [`TurnTracker::control`]
    /// can emit for `edge` in the present state: every turn in progress may
    /// end once (cut on the way, or by the edge itself), plus what the edge
    /// adds — a turn start or a condition for a seat edge; a marker, and for
    /// a start the standing conditions (two per seat) and a turn per seat,
    /// for a resume a turn per seat.
    pub fn max_events(&self, edge: &Edge) -> usize {
        let seats = self.seat_count;
        let adds = match edge.kind {
            EdgeKind::Rise | EdgeKind::Condition(_) => 1,
            EdgeKind::Fall(_) => 0,
            EdgeKind::Control(control) => match (control, self.state) {
                (Control::Start | Control::ToggleSession, SessionPhase::Stopped) => 1 + 3 * seats,
                (Control::Resume, _) => 1 + seats,
                _ => 1,
            },
        };
        self.turns_in_progress().saturating_add(adds)
    }

    /// Moves the clock forward to `at` (engine ms), cutting turns that reach
    /// the maximum turn on the way, and refreshes the live figures.
    pub fn advance(&mut self, at: u64, out: &mut impl FnMut(Event)) {
        self.advance_quiet(at, out);
        self.live.update(self.session_time(self.now));
    }

    fn advance_quiet(&mut self, at: u64, out: &mut impl FnMut(Event)) {
        if at <= self.now {
            return;
        }
        let max = u64::from(self.params.max_turn_ms);
        // Cuts in time order: at most one per seat in any interval shorter
        // than the maximum turn, and a cut seat is latched, so this loop
        // runs at most seat_count times.
        loop {
            let due = self
                .seats
                .iter()
                .enumerate()
                .take(self.seat_count)
                .filter_map(|(i, s)| s.turn_start.map(|start| (start.saturating_add(max), i)))
                .filter(|&(cut, _)| cut <= at)
                .min();
            let Some((cut, index)) = due else { break };
            self.now = self.now.max(cut);
            if let Some(seat) = seat_id(index) {
                self.end_turn(seat, cut, TurnEnd::Cut, out);
                if let Some(s) = self.seats.get_mut(index) {
                    s.latched = true;
                }
            }
        }
        self.now = at;
    }

    /// Takes an edge of `seat`'s sources.
    pub fn seat_edge(&mut self, seat: SeatId, edge: Edge, out: &mut impl FnMut(Event)) {
        if seat.index() >= self.seat_count {
            return;
        }
        let at = self.clamp(edge.at);
        self.advance_quiet(at, out);
        let running = self.state == SessionPhase::Running;
        let Some(track) = self.seats.get_mut(seat.index()) else {
            return;
        };
        match edge.kind {
            EdgeKind::Rise => {
                let was_idle = track.sources == 0;
                track.sources |= edge.source.bit();
                if was_idle && !track.latched && running && track.turn_start.is_none() {
                    self.begin_turn(seat, at, out);
                }
            }
            EdgeKind::Fall(how) => {
                track.sources &= !edge.source.bit();
                if track.sources == 0 {
                    track.latched = false;
                    if track.turn_start.is_some() {
                        self.end_turn(seat, at, how, out);
                    }
                }
            }
            EdgeKind::Condition(what) => {
                let slot = match what {
                    Condition::MicSaturated | Condition::MicSilent | Condition::MicOk => {
                        &mut track.mic_condition
                    }
                    Condition::ButtonChatter | Condition::ButtonStuck | Condition::ButtonOk => {
                        &mut track.button_condition
                    }
                };
                let standing = !matches!(what, Condition::MicOk | Condition::ButtonOk);
                let changed = *slot != standing.then_some(what);
                *slot = standing.then_some(what);
                if changed && self.state != SessionPhase::Stopped {
                    out(Event::Condition {
                        seat,
                        at: self.session_time(at),
                        what,
                    });
                }
            }
            EdgeKind::Control(_) => {}
        }
        self.live.update(self.session_time(self.now));
    }

    /// Takes a session control edge.
    pub fn control(&mut self, edge: Edge, out: &mut impl FnMut(Event)) {
        let EdgeKind::Control(control) = edge.kind else {
            return;
        };
        let at = self.clamp(edge.at);
        self.advance_quiet(at, out);
        let control = match (control, self.state) {
            (Control::ToggleSession, SessionPhase::Stopped) => Control::Start,
            (Control::ToggleSession, _) => Control::Stop,
            (other, _) => other,
        };
        match (control, self.state) {
            (Control::Start, SessionPhase::Stopped) => {
                self.origin = at;
                self.state = SessionPhase::Running;
                self.floor.reset();
                self.live.reset();
                out(Event::Marker {
                    at: 0,
                    kind: MarkerKind::Start,
                });
                for index in 0..self.seat_count {
                    let Some(seat) = seat_id(index) else { continue };
                    let Some(track) = self.seats.get(index) else {
                        continue;
                    };
                    for what in [track.button_condition, track.mic_condition]
                        .into_iter()
                        .flatten()
                    {
                        out(Event::Condition { seat, at: 0, what });
                    }
                }
                self.begin_active_turns(at, out);
            }
            (Control::Stop, SessionPhase::Running | SessionPhase::Paused) => {
                self.end_all_turns(at, out);
                self.state = SessionPhase::Stopped;
                out(Event::Marker {
                    at: self.session_time(at),
                    kind: MarkerKind::Stop,
                });
                self.floor.reset();
            }
            (Control::Pause, SessionPhase::Running) => {
                self.end_all_turns(at, out);
                self.state = SessionPhase::Paused;
                out(Event::Marker {
                    at: self.session_time(at),
                    kind: MarkerKind::Pause,
                });
                self.floor.reset();
            }
            (Control::Resume, SessionPhase::Paused) => {
                self.state = SessionPhase::Running;
                out(Event::Marker {
                    at: self.session_time(at),
                    kind: MarkerKind::Resume,
                });
                self.begin_active_turns(at, out);
            }
            (
                kind @ (Control::Agenda | Control::Decision),
                SessionPhase::Running | SessionPhase::Paused,
            ) => {
                out(Event::Marker {
                    at: self.session_time(at),
                    kind: if kind == Control::Decision {
                        MarkerKind::Decision
                    } else {
                        MarkerKind::Agenda
                    },
                });
            }
            _ => {}
        }
        self.live.update(self.session_time(self.now));
    }

    fn clamp(&mut self, at: u64) -> u64 {
        if at < self.now {
            self.late_edges = self.late_edges.saturating_add(1);
            self.now
        } else {
            at
        }
    }

    fn begin_active_turns(&mut self, at: u64, out: &mut impl FnMut(Event)) {
        for index in 0..self.seat_count {
            let Some(seat) = seat_id(index) else { continue };
            let ready = self
                .seats
                .get(index)
                .is_some_and(|s| s.sources != 0 && !s.latched && s.turn_start.is_none());
            if ready {
                self.begin_turn(seat, at, out);
            }
        }
    }

    fn end_all_turns(&mut self, at: u64, out: &mut impl FnMut(Event)) {
        for index in 0..self.seat_count {
            let Some(seat) = seat_id(index) else { continue };
            if self
                .seats
                .get(index)
                .is_some_and(|s| s.turn_start.is_some())
            {
                self.end_turn(seat, at, TurnEnd::SessionEnded, out);
            }
        }
    }

    fn begin_turn(&mut self, seat: SeatId, at: u64, out: &mut impl FnMut(Event)) {
        let Some(track) = self.seats.get_mut(seat.index()) else {
            return;
        };
        track.turn_start = Some(at);
        let session_at = self.session_time(at);
        out(Event::TurnStarted {
            seat,
            at: session_at,
        });
        self.live.turn_started(seat, session_at);
        if let Some(event) = self.floor.start(seat, session_at) {
            self.live.count_floor(event);
        }
    }

    fn end_turn(&mut self, seat: SeatId, at: u64, how: TurnEnd, out: &mut impl FnMut(Event)) {
        let Some(track) = self.seats.get_mut(seat.index()) else {
            return;
        };
        let Some(start) = track.turn_start.take() else {
            return;
        };
        let (start, end) = (self.session_time(start), self.session_time(at.max(start)));
        out(Event::TurnEnded {
            seat,
            start,
            end,
            how,
        });
        self.live.turn_ended(seat, start, end);
        // By reference: dropping a heapless `IntoIter` keeps a bounds check
        // the optimiser cannot remove (a panic path, see tests/panic-never).
        for event in self.floor.end(seat, start, end).iter().copied() {
            self.live.count_floor(event);
        }
    }
}

fn seat_id(index: usize) -> Option<SeatId> {
    u8::try_from(index).ok().and_then(SeatId::new)
}
