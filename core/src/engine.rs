//! The engine: buttons, microphones and the facilitator in; turn events,
//! markers, conditions and live figures out.
//!
//! [`Engine`] is what a device runs, and what the laptop runs when it
//! replays recordings or simulates a meeting: the same code, fed the same
//! way, gives the same events. It wires the layers together:
//!
//! ```text
//!  poll_buttons ──▶ SeatButton ×n ─┐
//!                  Facilitator ────┤                       ┌─▶ events (queue) ─▶ log writer, live stream
//!  push_samples ──▶ MicArray ──────┼─▶ merge by time ─▶ TurnTracker
//!  set_activity ──▶ External ×n ───┤   (per-seat queues)   └─▶ live figures, floor ─▶ LEDs
//!  start/stop/… ──▶ controls ──────┘
//! ```
//!
//! ## Calling it
//!
//! The engine never reads a clock or a pin. Every call takes `now`, the
//! caller's free-running millisecond counter ([`Instant`]); it may wrap
//! (after 49.7 days), stand still, or jump forward, and a reading that goes
//! backwards is held at the last one. A device's loop looks like this:
//!
//! * every millisecond or so (at least every `debounce_ms / 2`):
//!   [`Engine::poll_buttons`] with the pressed seats as a bit mask and the
//!   facilitator button;
//! * whenever a DMA block of a microphone channel is complete:
//!   [`Engine::push_samples`] for that seat, `now` being when its last
//!   sample was taken (blocks of 80 to 640 samples suit the defaults);
//! * at least every frame (10 ms), even when nothing else happens:
//!   [`Engine::tick`]. Input calls pass on what they decided; `tick` also
//!   moves the tracker's clock (maximum-turn cuts, live figures), so turn
//!   starts and ends may show up after an input call, but a cut or a fresh
//!   balance figure only after a `tick`;
//! * after any of these: [`Engine::pop_event`] until it returns `None`, and
//!   read [`Engine::live`] for the LEDs.
//!
//! Sessions start and stop with the facilitator's long press, or with
//! [`Engine::start_session`] / [`Engine::stop_session`] (and
//! [`Engine::pause_session`], [`Engine::resume_session`],
//! [`Engine::mark_agenda`]). At the end of a recording, call
//! [`Engine::flush`] to decide everything still pending (and drain; while
//! it returns `false`, call it again).
//!
//! ```
//! use tabletalk_core::engine::{Engine, SeatWiring};
//! use tabletalk_core::params::DetectionParams;
//! use tabletalk_core::seat::{ButtonMode, SeatId};
//! use tabletalk_core::time::Instant;
//! use tabletalk_core::turns::event::{Event, MarkerKind, TurnEnd};
//!
//! let seats = [
//!     SeatWiring::button(ButtonMode::HoldToTalk),
//!     SeatWiring::button(ButtonMode::HoldToTalk),
//!     SeatWiring::microphone(4095),
//! ];
//! let mut engine = Engine::<4>::new(DetectionParams::default(), &seats, Instant(0)).unwrap();
//! engine.start_session(Instant(0));
//! // 10 ms of a quiet room at a 12-bit microphone: a little noise around
//! // the bias (a perfectly flat input would be reported as MicSilent).
//! let quiet: [u16; 80] = core::array::from_fn(|i| 2046 + (i * 7 % 5) as u16);
//! for ms in (0..5000u32).step_by(10) {
//!     let now = Instant(ms);
//!     // Seat 0 holds its button from 1 s to 3 s; seat 1 never.
//!     let pressed = if (1000..3000).contains(&ms) { 0b01 } else { 0 };
//!     engine.poll_buttons(now, pressed, false);
//!     engine.push_samples(SeatId::new(2).unwrap(), &quiet, now).unwrap();
//!     engine.tick(now);
//! }
//! engine.stop_session(Instant(5000));
//! assert!(engine.flush(Instant(5000)), "a few events fit the queue at once");
//!
//! let seat0 = SeatId::new(0).unwrap();
//! let events: Vec<Event> = core::iter::from_fn(|| engine.pop_event()).collect();
//! assert_eq!(
//!     events,
//!     [
//!         Event::Marker { at: 0, kind: MarkerKind::Start },
//!         Event::TurnStarted { seat: seat0, at: 1000 },
//!         Event::TurnEnded { seat: seat0, start: 1000, end: 3000, how: TurnEnd::Natural },
//!         Event::Marker { at: 5000, kind: MarkerKind::Stop },
//!     ]
//! );
//! assert_eq!(engine.live().speaking_ms(seat0), 2000);
//! assert_eq!(engine.stats().dropped_events, 0);
//! ```
//!
//! ## Time order and latency
//!
//! Inputs are decided late: a press is accepted `debounce_ms` after it
//! happened, a microphone turn only once it reached `min_turn_ms`, its end
//! only after the hangover. Every source dates its edges when things
//! happened, and the engine merges them: each source reports a *horizon*
//! before which it will produce nothing more, and edges up to the smallest
//! horizon go to the tracker, in time order. So events come out in time
//! order, turn times are accurate to a frame, and the live view runs behind
//! real time by the largest pending decision — usually a few frames, at
//! most [`Engine::max_lag_ms`] (about 2 s at the defaults). A source that
//! stops delivering (a microphone whose samples no longer arrive) holds
//! nothing back for longer than that.
//!
//! ## Capacities and failure
//!
//! Nothing here panics or allocates. Event times are session milliseconds
//! (since the session's start marker). The event queue holds
//! [`EVENT_QUEUE`] events. Settling decided edges never overfills it: the
//! engine passes edges on in time order only while the queue has room for
//! the most events the next edge can produce (it may end every turn in
//! progress, start a turn, emit a condition or a marker — a session start
//! also repeats the standing conditions and starts a turn per seat); the
//! rest stay queued and go on at the next call (any input call or
//! [`Engine::tick`]). So a caller that drains after every call loses
//! nothing, however many seats' edges wait at once; at the end,
//! [`Engine::flush`] says whether it got everything out or wants another
//! drain and call. Events are dropped, and counted in
//! [`EngineStats::dropped_events`], only when full edge queues force edges
//! through (below) into a queue that the caller did not drain. Each
//! seat's edge queue holds [`EDGE_QUEUE`] pending edges; an input that
//! produces edges faster than they can settle forces the oldest through
//! early (counted in [`EngineStats::forced_edges`]), which keeps every
//! invariant (no overlapping turns of a seat, totals equal the sum of turns)
//! at the cost of ordering precision.

use heapless::{Deque, Vec};

use crate::activity::mics::{MicArray, MicStatus, FRAME_QUEUE};
use crate::inputs::button::{ButtonEdges, SeatButton};
use crate::inputs::facilitator::{FacilitatorButton, DOUBLE_PRESS_MS};
use crate::params::{DetectionParams, ParamError};
use crate::seat::{ButtonMode, InputKind, SeatId};
use crate::time::{Instant, SessionClock, SessionMs};
use crate::turns::edge::{Control, Edge, EdgeKind, SourceKind};
use crate::turns::event::{Event, TurnEnd};
use crate::turns::floor::FloorTracker;
use crate::turns::live::LiveFigures;
use crate::turns::tracker::{SessionPhase, TurnTracker};

/// Events the engine buffers between two drains.
pub const EVENT_QUEUE: usize = 64;

/// Pending (not yet settled) edges per seat, and for session controls.
pub const EDGE_QUEUE: usize = 8;

/// Slack added to the longest legitimate decision delay before a source
/// that holds the merge back is overruled (ms).
const STALL_SLACK_MS: u64 = 250;
/// How far back the spectral detector's turn starts may reach (a
/// candidate's first frame, before it was confirmed) while the merge waits
/// for them; older starts are moved to the tracker's clock.
const SPECTRAL_BACKDATE_MS: u64 = 1000;

/// How one seat's speech reaches the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SeatWiring {
    /// Button, microphone, both, or external.
    pub input: InputKind,
    /// How the button maps to speaking (ignored without a button).
    pub button_mode: ButtonMode,
    /// The largest sample value of the microphone's ADC, e.g. 4095 for 12
    /// bits (ignored without a microphone).
    pub mic_full_scale: u16,
}

impl SeatWiring {
    /// A push-button seat.
    pub const fn button(mode: ButtonMode) -> Self {
        SeatWiring {
            input: InputKind::Button,
            button_mode: mode,
            mic_full_scale: 0,
        }
    }

    /// A microphone seat whose ADC reads 0..=`full_scale`.
    pub const fn microphone(full_scale: u16) -> Self {
        SeatWiring {
            input: InputKind::Microphone,
            button_mode: ButtonMode::HoldToTalk,
            mic_full_scale: full_scale,
        }
    }

    /// A seat with both: the button forces it active, the microphone
    /// detects speech.
    pub const fn button_and_microphone(mode: ButtonMode, full_scale: u16) -> Self {
        SeatWiring {
            input: InputKind::ButtonAndMicrophone,
            button_mode: mode,
            mic_full_scale: full_scale,
        }
    }

    /// A seat whose activity is set by the caller ([`Engine::set_activity`]).
    pub const fn external() -> Self {
        SeatWiring {
            input: InputKind::External,
            button_mode: ButtonMode::HoldToTalk,
            mic_full_scale: 0,
        }
    }

    const fn has_button(&self) -> bool {
        matches!(
            self.input,
            InputKind::Button | InputKind::ButtonAndMicrophone
        )
    }

    const fn has_mic(&self) -> bool {
        matches!(
            self.input,
            InputKind::Microphone | InputKind::ButtonAndMicrophone
        )
    }
}

/// Why an engine could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EngineError {
    /// No seats were given.
    NoSeats,
    /// More seats than the engine's `SEATS` capacity (or than 16).
    TooManySeats,
    /// A microphone seat's full scale is below 16.
    MicFullScale {
        /// The seat's index.
        seat: u8,
    },
    /// The detection parameters are invalid.
    Params(ParamError),
}

impl core::fmt::Display for EngineError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EngineError::NoSeats => f.write_str("no seats configured"),
            EngineError::TooManySeats => f.write_str("more seats than the engine can hold"),
            EngineError::MicFullScale { seat } => {
                write!(f, "seat {seat}: microphone full scale must be at least 16")
            }
            EngineError::Params(e) => write!(f, "invalid parameters: {e}"),
        }
    }
}

impl core::error::Error for EngineError {}

/// Why an input call was refused (nothing was changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum InputError {
    /// The seat is not configured.
    NoSuchSeat,
    /// The seat has no input of this kind (samples for a button seat,
    /// activity for a non-external seat).
    WrongInput,
}

impl core::fmt::Display for InputError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            InputError::NoSuchSeat => "no such seat",
            InputError::WrongInput => "the seat has no input of this kind",
        })
    }
}

impl core::error::Error for InputError {}

/// Counters of things that went wrong without stopping the engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EngineStats {
    /// Events lost because the event queue was full.
    pub dropped_events: u32,
    /// Edges that arrived later than their time had been settled and were
    /// moved forward (a stalled or misbehaving input).
    pub late_edges: u32,
    /// Edges pushed through before they were settled because a seat's edge
    /// queue was full.
    pub forced_edges: u32,
}

/// A seat's or the controls' pending edges, sorted by merge key.
#[derive(Clone, Debug, Default)]
struct EdgeQueue(Vec<Edge, EDGE_QUEUE>);

impl EdgeQueue {
    fn head(&self) -> Option<&Edge> {
        self.0.first()
    }

    /// Inserts in order (stable: equal keys keep arrival order).
    fn insert(&mut self, edge: Edge) -> Result<(), Edge> {
        self.0.push(edge)?;
        let slice = self.0.as_mut_slice();
        let mut j = slice.len().saturating_sub(1);
        while j > 0 {
            let (Some(a), Some(b)) = (slice.get(j - 1), slice.get(j)) else {
                break;
            };
            if a.key() <= b.key() {
                break;
            }
            slice.swap(j - 1, j);
            j -= 1;
        }
        Ok(())
    }

    fn pop(&mut self) -> Option<Edge> {
        if self.0.is_empty() {
            None
        } else {
            Some(self.0.remove(0))
        }
    }
}

/// Where an edge waits: a seat's queue or the control queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    Seat(usize),
    Control,
}

/// Everything after the sources: queues, tracker, events.
#[derive(Clone, Debug)]
struct Backend<const SEATS: usize> {
    lanes: [EdgeQueue; SEATS],
    controls: EdgeQueue,
    tracker: TurnTracker<SEATS>,
    events: Deque<Event, EVENT_QUEUE>,
    stats: EngineStats,
    /// Edges waiting in all lanes.
    queued: usize,
}

impl<const SEATS: usize> Backend<SEATS> {
    fn queue(&mut self, lane: Lane) -> Option<&mut EdgeQueue> {
        match lane {
            Lane::Seat(i) => self.lanes.get_mut(i),
            Lane::Control => Some(&mut self.controls),
        }
    }

    /// Queues an edge; a full queue first pushes its oldest edges (and all
    /// earlier ones of other lanes) through.
    fn push(&mut self, lane: Lane, edge: Edge) {
        let mut edge = edge;
        for _ in 0..=EDGE_QUEUE * (SEATS + 1) {
            let Some(queue) = self.queue(lane) else {
                return;
            };
            match queue.insert(edge) {
                Ok(()) => {
                    self.queued = self.queued.saturating_add(1);
                    return;
                }
                Err(back) => {
                    edge = back;
                    self.stats.forced_edges = self.stats.forced_edges.saturating_add(1);
                    if !self.process_earliest(u64::MAX) {
                        return;
                    }
                }
            }
        }
    }

    /// The lane whose head is the earliest edge at or before `horizon`.
    fn earliest(&self, horizon: u64) -> Option<Lane> {
        let mut best: Option<((u64, u8), Lane)> = None;
        let candidates = self
            .lanes
            .iter()
            .enumerate()
            .map(|(i, q)| (Lane::Seat(i), q))
            .chain(core::iter::once((Lane::Control, &self.controls)));
        for (lane, queue) in candidates {
            if let Some(head) = queue.head() {
                if head.at <= horizon && best.is_none_or(|(key, _)| head.key() < key) {
                    best = Some((head.key(), lane));
                }
            }
        }
        best.map(|(_, lane)| lane)
    }

    fn process_earliest(&mut self, horizon: u64) -> bool {
        let Some(lane) = self.earliest(horizon) else {
            return false;
        };
        let Some(edge) = self.queue(lane).and_then(EdgeQueue::pop) else {
            return false;
        };
        self.queued = self.queued.saturating_sub(1);
        let events = &mut self.events;
        let stats = &mut self.stats;
        let mut out = |event: Event| {
            if events.push_back(event).is_err() {
                stats.dropped_events = stats.dropped_events.saturating_add(1);
            }
        };
        match lane {
            Lane::Seat(i) => {
                if let Some(seat) = u8::try_from(i).ok().and_then(SeatId::new) {
                    self.tracker.seat_edge(seat, edge, &mut out);
                }
            }
            Lane::Control => self.tracker.control(edge, &mut out),
        }
        true
    }

    /// Free places in the event queue.
    fn room(&self) -> usize {
        EVENT_QUEUE.saturating_sub(self.events.len())
    }

    /// Processes the edges at or before `horizon` in time order, then moves
    /// the tracker's clock there — as far as the event queue has room: it
    /// stops before an edge that could emit more events than there are free
    /// places (the edge and those after it stay queued, to be settled by a
    /// later call), so settling never drops an event. Returns whether it
    /// reached `horizon`.
    fn settle(&mut self, horizon: u64) -> bool {
        while let Some(lane) = self.earliest(horizon) {
            let Some(edge) = self.queue(lane).and_then(|q| q.head().copied()) else {
                break;
            };
            // An edge that could emit more than the whole queue holds goes
            // through once the queue is empty (no state gets there: the
            // largest, a session start, emits 1 + 3 × 16 = 49).
            let needed = self.tracker.max_events(&edge).min(EVENT_QUEUE);
            if self.room() < needed {
                return false;
            }
            self.process_earliest(horizon);
        }
        if self.room() < self.tracker.turns_in_progress() {
            return false;
        }
        let events = &mut self.events;
        let stats = &mut self.stats;
        self.tracker.advance(horizon, &mut |event: Event| {
            if events.push_back(event).is_err() {
                stats.dropped_events = stats.dropped_events.saturating_add(1);
            }
        });
        self.stats.late_edges = self.tracker.late_edges();
        true
    }
}

/// A seat whose activity the caller sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct External {
    active: bool,
}

/// The small, checked parts of an engine for a configuration (shared by
/// [`Engine::new`] and [`Engine::rebuild`]).
struct Parts<const SEATS: usize> {
    configs: Vec<SeatWiring, SEATS>,
    full_scale: [Option<u16>; SEATS],
    buttons: [Option<SeatButton>; SEATS],
    max_lag_ms: u64,
}

impl<const SEATS: usize> Parts<SEATS> {
    fn of(params: &DetectionParams, seats: &[SeatWiring]) -> Result<Self, EngineError> {
        Engine::<SEATS>::check(params, seats)?;
        let mut configs: Vec<SeatWiring, SEATS> = Vec::new();
        let mut full_scale = [None; SEATS];
        for (i, (seat, fs)) in seats.iter().zip(full_scale.iter_mut()).enumerate() {
            if seat.has_mic() {
                if seat.mic_full_scale < 16 {
                    return Err(EngineError::MicFullScale { seat: i as u8 });
                }
                *fs = Some(seat.mic_full_scale);
            }
            configs.push(*seat).map_err(|_| EngineError::TooManySeats)?;
        }
        let buttons = core::array::from_fn(|i| {
            seats
                .get(i)
                .filter(|s| s.has_button())
                .map(|s| SeatButton::new(s.button_mode))
        });
        let mic = &params.mic;
        let frame_ms = u64::from(1000 / mic.frame_rate_hz.clamp(1, 1000));
        let max_lag_ms = u64::from(mic.onset_lookback_ms)
            + u64::from(mic.min_turn_ms)
            + u64::from(mic.hangover_ms)
            + (FRAME_QUEUE as u64 + 2) * frame_ms
            + u64::from(params.button.debounce_ms)
            + 2 * DOUBLE_PRESS_MS
            + STALL_SLACK_MS
            // The spectral detector ends a turn `fill_ms` after its last
            // frame and back-dates a start to its candidate's first frame.
            + if mic.spectral_on {
                u64::from(mic.spectral.fill_ms) + SPECTRAL_BACKDATE_MS
            } else {
                0
            };
        Ok(Parts {
            configs,
            full_scale,
            buttons,
            max_lag_ms,
        })
    }
}

/// The tabletalk engine for up to `SEATS` seats (at most 16).
#[derive(Clone, Debug)]
pub struct Engine<const SEATS: usize> {
    params: DetectionParams,
    seats: Vec<SeatWiring, SEATS>,
    clock: SessionClock,
    now: u64,
    max_lag_ms: u64,
    buttons: [Option<SeatButton>; SEATS],
    facilitator: FacilitatorButton,
    externals: [External; SEATS],
    mics: MicArray<SEATS>,
    back: Backend<SEATS>,
}

impl<const SEATS: usize> Engine<SEATS> {
    /// Whether [`new`](Self::new) would accept `params` and `seats` (a
    /// device checks a configuration with this before storing it).
    pub fn check(params: &DetectionParams, seats: &[SeatWiring]) -> Result<(), EngineError> {
        let mics = seats.iter().filter(|s| s.has_mic()).count();
        params
            .validate_with_mics(mics)
            .map_err(EngineError::Params)?;
        if seats.is_empty() {
            return Err(EngineError::NoSeats);
        }
        if seats.len() > SEATS || seats.len() > crate::seat::MAX_SEATS {
            return Err(EngineError::TooManySeats);
        }
        Ok(())
    }

    /// An engine for `seats` (seat *i* is `seats[i]`), started at `now`,
    /// with no session running.
    pub fn new(
        params: DetectionParams,
        seats: &[SeatWiring],
        now: Instant,
    ) -> Result<Self, EngineError> {
        let parts = Parts::<SEATS>::of(&params, seats)?;
        Ok(Engine {
            params,
            seats: parts.configs,
            clock: SessionClock::new(now),
            now: 0,
            max_lag_ms: parts.max_lag_ms,
            buttons: parts.buttons,
            facilitator: FacilitatorButton::new(),
            externals: [External::default(); SEATS],
            mics: MicArray::new(&params.mic, &parts.full_scale),
            back: Backend {
                lanes: core::array::from_fn(|_| EdgeQueue::default()),
                controls: EdgeQueue::default(),
                tracker: TurnTracker::new(params.turns, seats.len()),
                events: Deque::new(),
                stats: EngineStats::default(),
                queued: 0,
            },
        })
    }

    /// Makes this engine what [`new`](Self::new) would return, in place:
    /// a device with little RAM rebuilds its one engine for a new
    /// configuration without a second engine-sized value on its stack
    /// (with the spectral detector an engine is ~80 KiB). On an error
    /// nothing was changed.
    pub fn rebuild(
        &mut self,
        params: DetectionParams,
        seats: &[SeatWiring],
        now: Instant,
    ) -> Result<(), EngineError> {
        let parts = Parts::<SEATS>::of(&params, seats)?;
        self.params = params;
        self.seats = parts.configs;
        self.clock = SessionClock::new(now);
        self.now = 0;
        self.max_lag_ms = parts.max_lag_ms;
        self.buttons = parts.buttons;
        self.facilitator = FacilitatorButton::new();
        self.externals = [External::default(); SEATS];
        self.mics.rebuild(&params.mic, &parts.full_scale);
        let back = &mut self.back;
        for lane in &mut back.lanes {
            *lane = EdgeQueue::default();
        }
        back.controls = EdgeQueue::default();
        back.tracker = TurnTracker::new(params.turns, seats.len());
        back.events = Deque::new();
        back.stats = EngineStats::default();
        back.queued = 0;
        Ok(())
    }

    /// The detection parameters (as to be written into a log header).
    pub const fn params(&self) -> &DetectionParams {
        &self.params
    }

    /// The configured seats.
    pub fn seats(&self) -> &[SeatWiring] {
        &self.seats
    }

    /// Number of configured seats.
    pub fn seat_count(&self) -> usize {
        self.seats.len()
    }

    /// Milliseconds since the engine was created (its own clock).
    pub const fn engine_ms(&self) -> u64 {
        self.now
    }

    /// The session state.
    pub const fn session(&self) -> SessionPhase {
        self.back.tracker.session()
    }

    /// Session time up to which everything has been decided.
    pub fn session_ms(&self) -> SessionMs {
        self.back.tracker.session_now()
    }

    /// The longest a decision can lag behind `now` (ms).
    pub const fn max_lag_ms(&self) -> u64 {
        self.max_lag_ms
    }

    /// Live figures: speaking time, turns, shares, balance.
    pub const fn live(&self) -> &LiveFigures<SEATS> {
        self.back.tracker.live()
    }

    /// The floor: who holds it and since when.
    pub const fn floor(&self) -> &FloorTracker<SEATS> {
        self.back.tracker.floor()
    }

    /// Whether `seat` is in a turn (as far as decided).
    pub fn speaking(&self, seat: SeatId) -> bool {
        self.back.tracker.speaking(seat)
    }

    /// What the level path knows about `seat`'s microphone.
    pub fn mic_status(&self, seat: SeatId) -> Option<MicStatus> {
        self.mics.status(seat.index())
    }

    /// The microphone array (learned couplings, levels).
    pub const fn mics(&self) -> &MicArray<SEATS> {
        &self.mics
    }

    /// The microphone array, to preset couplings of a known geometry.
    pub fn mics_mut(&mut self) -> &mut MicArray<SEATS> {
        &mut self.mics
    }

    /// Failure counters.
    pub const fn stats(&self) -> EngineStats {
        self.back.stats
    }

    /// The next event, oldest first.
    pub fn pop_event(&mut self) -> Option<Event> {
        self.back.events.pop_front()
    }

    /// Events waiting to be popped.
    pub fn pending_events(&self) -> usize {
        self.back.events.len()
    }

    /// Reads the buttons: bit *i* of `seats_pressed` is seat *i*'s button
    /// (after polarity; bits of seats without a button are ignored), and
    /// the facilitator's button.
    pub fn poll_buttons(&mut self, now: Instant, seats_pressed: u16, facilitator_pressed: bool) {
        self.observe(now);
        let params = self.params.button;
        let max_turn = self.params.turns.max_turn_ms;
        let mut edges = ButtonEdges::new();
        for index in 0..self.seats.len() {
            let pressed = seats_pressed & (1 << index) != 0;
            let Some(Some(button)) = self.buttons.get_mut(index) else {
                continue;
            };
            button.update_into(self.now, pressed, &params, max_turn, &mut edges);
            // By reference: dropping a heapless `IntoIter` keeps a slice
            // bounds check that the optimiser cannot remove, a panic path
            // on the device (see tests/panic-never).
            for edge in edges.iter().copied() {
                self.back.push(Lane::Seat(index), edge);
            }
        }
        if let Some((at, control)) = self
            .facilitator
            .update(self.now, facilitator_pressed, &params)
        {
            self.push_control(at, control);
        }
        self.settle_queued();
    }

    /// Adds a block of raw samples of `seat`'s microphone; `now` is when the
    /// last sample was taken.
    ///
    /// Crosstalk is judged across microphones frame by frame, so feed the
    /// seats together: each seat's block for one period before any seat's
    /// block for the next. A seat may run ahead of another by at most
    /// [`FRAME_QUEUE`] frames (80 ms at the defaults); beyond that the
    /// lagging seat is decided without, as if its samples had stopped.
    pub fn push_samples(
        &mut self,
        seat: SeatId,
        samples: &[u16],
        now: Instant,
    ) -> Result<(), InputError> {
        let config = self.seats.get(seat.index()).ok_or(InputError::NoSuchSeat)?;
        if !config.has_mic() {
            return Err(InputError::WrongInput);
        }
        self.observe(now);
        let back = &mut self.back;
        self.mics
            .push_samples(seat.index(), samples, self.now, &mut |i, edge| {
                back.push(Lane::Seat(i), edge);
            });
        self.settle_queued();
        Ok(())
    }

    /// Sets an external seat's activity (turns from another detector, a
    /// simulation or annotations).
    pub fn set_activity(
        &mut self,
        seat: SeatId,
        active: bool,
        now: Instant,
    ) -> Result<(), InputError> {
        let config = self.seats.get(seat.index()).ok_or(InputError::NoSuchSeat)?;
        if config.input != InputKind::External {
            return Err(InputError::WrongInput);
        }
        self.observe(now);
        if let Some(external) = self.externals.get_mut(seat.index()) {
            if external.active != active {
                external.active = active;
                let kind = if active {
                    EdgeKind::Rise
                } else {
                    EdgeKind::Fall(TurnEnd::Natural)
                };
                self.back.push(
                    Lane::Seat(seat.index()),
                    Edge {
                        at: self.now,
                        source: SourceKind::External,
                        kind,
                    },
                );
            }
        }
        self.settle_queued();
        Ok(())
    }

    /// Lets time pass: settles what can be settled, cuts turns that reach
    /// the maximum turn, updates the live figures.
    pub fn tick(&mut self, now: Instant) {
        self.observe(now);
        self.settle();
    }

    /// Starts a session at `now` (ignored while one exists).
    pub fn start_session(&mut self, now: Instant) {
        self.control(now, Control::Start);
    }

    /// Stops the session at `now`: turns in progress end with
    /// [`TurnEnd::SessionEnded`].
    pub fn stop_session(&mut self, now: Instant) {
        self.control(now, Control::Stop);
    }

    /// Pauses the session at `now`.
    pub fn pause_session(&mut self, now: Instant) {
        self.control(now, Control::Pause);
    }

    /// Resumes a paused session at `now`.
    pub fn resume_session(&mut self, now: Instant) {
        self.control(now, Control::Resume);
    }

    /// Sets an agenda marker at `now`.
    pub fn mark_agenda(&mut self, now: Instant) {
        self.control(now, Control::Agenda);
    }

    /// Sets a decision marker at `now`.
    pub fn mark_decision(&mut self, now: Instant) {
        self.control(now, Control::Decision);
    }

    /// Decides everything still pending as if all inputs stayed as they are
    /// and microphones fell silent: queued frames are decided, microphone
    /// turns end at their last speech, and every edge up to `now` reaches
    /// the tracker. For the end of a recording (call [`Engine::stop_session`]
    /// first to close the session at the right time).
    ///
    /// Returns `true` when everything is out: every edge up to `now` was
    /// passed on. It returns `false` when the event queue had no room for
    /// all the events (many seats' edges waiting at once): drain it and call
    /// `flush` again, until it returns `true`:
    ///
    /// ```text
    /// engine.stop_session(now);
    /// loop {
    ///     let done = engine.flush(now);
    ///     while let Some(event) = engine.pop_event() { /* … */ }
    ///     if done { break; }
    /// }
    /// ```
    #[must_use = "false means events are still waiting: drain and flush again"]
    pub fn flush(&mut self, now: Instant) -> bool {
        self.observe(now);
        let back = &mut self.back;
        self.mics
            .flush(&mut |i, edge| back.push(Lane::Seat(i), edge));
        self.back.settle(self.now)
    }

    fn control(&mut self, now: Instant, control: Control) {
        self.observe(now);
        self.push_control(self.now, control);
        self.settle();
    }

    fn push_control(&mut self, at: u64, control: Control) {
        self.back.push(
            Lane::Control,
            Edge {
                at,
                source: SourceKind::External,
                kind: EdgeKind::Control(control),
            },
        );
    }

    fn observe(&mut self, now: Instant) {
        self.now = self.clock.observe(now);
    }

    /// The earliest time any source may still produce an edge for.
    fn horizon(&self) -> u64 {
        let mut horizon = self.now;
        for index in 0..self.seats.len() {
            if let Some(Some(button)) = self.buttons.get(index) {
                if button.has_readings() {
                    horizon = horizon.min(button.horizon(self.now));
                }
            }
            if let Some(mic) = self.mics.horizon(index) {
                horizon = horizon.min(mic);
            }
        }
        if self.facilitator.has_readings() {
            horizon = horizon.min(self.facilitator.horizon(self.now));
        }
        horizon.max(self.now.saturating_sub(self.max_lag_ms))
    }

    fn settle(&mut self) {
        let horizon = self.horizon();
        // What does not fit waits for the next call (see `Backend::settle`).
        let _ = self.back.settle(horizon);
    }

    /// After an input: passes decided edges on, if there are any. Moving
    /// the clock alone (cuts, live figures) is left to [`Engine::tick`], so
    /// the many input calls of a frame stay cheap.
    fn settle_queued(&mut self) {
        if self.back.queued > 0 {
            self.settle();
        }
    }
}
