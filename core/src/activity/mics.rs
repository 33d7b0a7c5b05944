//! All microphones of a device together: frames in, per-seat speech edges
//! out.
//!
//! [`MicArray`] owns one [`Envelope`], [`NoiseFloor`], [`MicHealth`] and
//! [`Vad`] per microphone seat and one [`Crosstalk`] matrix. Samples arrive
//! per seat, in blocks ([`MicArray::push_samples`]); completed frames wait in
//! a short per-seat queue until every microphone has delivered a frame, and
//! then the earliest frame is decided for all seats at once ("a round":
//! every seat's frame that ended within half a frame of the earliest one),
//! because crosstalk can only be judged across seats:
//!
//! 1. level of each frame (dBFS × 10) and its class (normal, flat,
//!    clipping) → fault conditions;
//! 2. each usable frame updates its seat's noise floor (level above floor)
//!    and its recent peak (decaying at `crosstalk_tail_db_per_s`);
//! 3. above the on / off thresholds, minus frames explained as crosstalk;
//! 4. coupling learning (from trusted floors only): a pair whose level
//!    difference has settled in two [leak modes](super::leak_modes) takes
//!    its couplings from them; other pairs learn frame by frame, never
//!    raising a seat's estimate while it is in a turn of its own;
//! 5. each seat's [`Vad`] turns that into rise/fall edges.
//!
//! ## Tuning
//!
//! [`MicArray::status`] shows, per seat, the last level, the floor, the
//! recent peak, whether the frame counted as speech or as crosstalk, and
//! the fault state; [`Crosstalk::coupling`] shows what was learned. On the
//! laptop, `tabletalk evaluate` runs this exact code over simulated rooms
//! that follow real meeting timings and scores it.
//!
//! A microphone that stops delivering samples must not hold the others
//! back: when a seat's queue is full (it is [`FRAME_QUEUE`] frames ahead),
//! the round is decided without the missing seats, which count as silent
//! and stop holding rounds until they deliver again.
//!
//! Frames of one seat are dated by that seat's own sample blocks, so a
//! seat's edges are in time order; edges of different seats are merged by
//! the engine using each seat's [`MicArray::horizon`].
//!
//! ```
//! use tabletalk_core::activity::mics::MicArray;
//! use tabletalk_core::params::MicParams;
//! use tabletalk_core::turns::edge::EdgeKind;
//!
//! // The level path: these signals reach both microphones at the same
//! // instant, so there is no arrival order for the spectral detector.
//! let params = MicParams { spectral_on: false, ..MicParams::default() };
//! let mut mics = MicArray::<2>::new(&params, &[Some(4095), Some(4095)]);
//! let mut edges = heapless::Vec::<(usize, u64, EdgeKind), 8>::new();
//! let mut noise = 12345u32;
//! for block in 0..300u64 {
//!     // 10 ms blocks; seat 0 plays a loud tone from 1 s to 2 s, seat 1 hears
//!     // it 10 dB down; both have a little noise.
//!     let now = (block + 1) * 10;
//!     let loud = (1000..2000).contains(&now);
//!     for seat in 0..2 {
//!         let amplitude = match (loud, seat) { (true, 0) => 600, (true, _) => 190, _ => 0 };
//!         let samples: [u16; 80] = core::array::from_fn(|i| {
//!             noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12_345);
//!             let tone = if i % 8 < 4 { amplitude } else { -amplitude };
//!             (2048 + tone + (noise >> 29) as i32 - 4) as u16
//!         });
//!         mics.push_samples(seat, &samples, now, &mut |s, e| {
//!             edges.push((s, e.at, e.kind)).unwrap();
//!         });
//!     }
//! }
//! // One turn, seat 0's, dated at the tone; the leak made none.
//! assert_eq!(edges.len(), 2);
//! assert_eq!((edges[0].0, edges[0].1, edges[0].2), (0, 990, EdgeKind::Rise));
//! assert_eq!(edges[1].0, 0);
//! assert!(!mics.status(1).unwrap().active);
//! ```

use heapless::Deque;

use crate::activity::arrival::{count_round, Settings as ArrivalSettings, Votes};
use crate::activity::crosstalk::{Crosstalk, SeatLevels};
use crate::activity::db::{frame_level_db10, log2_q12};
use crate::activity::envelope::{Envelope, FrameStats};
#[cfg(feature = "spectral")]
use crate::activity::handover::{Feed, Handover, Path};
use crate::activity::health::{FrameClass, MicHealth};
use crate::activity::leak_modes::LeakModes;
use crate::activity::noise_floor::NoiseFloor;
#[cfg(feature = "spectral")]
use crate::activity::slots::SpectralSlots;
#[cfg(feature = "spectral")]
use crate::activity::spectral::Change;
use crate::activity::vad::{Vad, VadTiming};
use crate::params::MicParams;
use crate::turns::edge::{Edge, EdgeKind, SourceKind};
#[cfg(feature = "spectral")]
use crate::turns::event::TurnEnd;

/// Completed frames a seat may be ahead of the slowest microphone.
pub const FRAME_QUEUE: usize = 8;

/// What the level path currently knows about one microphone (for displays,
/// tuning and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MicStatus {
    /// Level of the last frame (dBFS × 10).
    pub level_db10: i16,
    /// Current noise floor (dBFS × 10; `i16::MAX` before the first frame).
    pub floor_db10: i16,
    /// Recent peak level, decaying at the crosstalk tail rate (dBFS × 10):
    /// what this seat explains other seats' crosstalk with.
    pub peak_db10: i16,
    /// The last frame cleared the off threshold but was explained as
    /// crosstalk.
    pub crosstalk: bool,
    /// The last frame counted as this seat's own speech (above the off
    /// threshold and not crosstalk).
    pub speech: bool,
    /// A turn is being reported.
    pub active: bool,
    /// The fault being reported, if any.
    pub fault: Option<crate::turns::event::Condition>,
    /// The DC bias (ADC steps).
    pub bias: u16,
}

#[derive(Clone, Debug)]
struct MicSeat {
    enabled: bool,
    full_scale: u16,
    log2_full_scale: i32,
    envelope: Envelope,
    queue: Deque<FrameStats, FRAME_QUEUE>,
    floor: NoiseFloor,
    health: MicHealth,
    vad: Vad,
    delivering: bool,
    last_level: i16,
    /// Recent peak level (dBFS × 10): the level, or the last peak minus the
    /// tail decay.
    peak: i16,
    last_crosstalk: bool,
    last_speech: bool,
}

/// What phases 1-2 of a round found, per seat.
struct RoundLevels<const SEATS: usize> {
    levels: [i16; SEATS],
    peaks: [i16; SEATS],
    /// Recent peak far enough above the floor to explain others' crosstalk.
    explainer: [bool; SEATS],
    /// Level above the floor, for usable frames.
    snr: [Option<i32>; SEATS],
    /// At or above the off threshold.
    speaking: [bool; SEATS],
}

/// The microphone seats of an engine with `SEATS` seats.
#[derive(Clone, Debug)]
pub struct MicArray<const SEATS: usize> {
    params: MicParams,
    timing: VadTiming,
    frame_ms: u64,
    /// Decay of the recent peak per frame (dB × 10).
    tail_per_frame_db10: i16,
    seats: [MicSeat; SEATS],
    crosstalk: Crosstalk<SEATS>,
    leak_modes: LeakModes<SEATS>,
    arrival: ArrivalSettings,
    votes: Votes<SEATS>,
    /// The [spectral](super::spectral) detector, deciding the turns while
    /// `params.spectral_on` (the level path then reports faults only).
    /// Only in builds with the `spectral` feature. Sized by microphone
    /// [slots](super::slots), not seats: its state grows with the square
    /// of its inputs.
    #[cfg(feature = "spectral")]
    spectral: SpectralSlots<SEATS>,
    /// Caller time of the first sample of the spectral detector's streams.
    #[cfg(feature = "spectral")]
    origin_ms: Option<u64>,
    /// Which path decides the turns and which microphones the spectral
    /// detector hears (faults, fewer than two microphones).
    #[cfg(feature = "spectral")]
    handover: Handover<SEATS>,
}

/// A spectral [`Change`] as an edge, dated in caller ms.
#[cfg(feature = "spectral")]
fn spectral_edge(change: Change, origin_ms: u64, rate: u32) -> Edge {
    let (at_sample, kind) = match change {
        Change::Rise { at_sample } => (at_sample, EdgeKind::Rise),
        Change::Fall { at_sample } => (at_sample, EdgeKind::Fall(TurnEnd::Natural)),
    };
    Edge {
        at: origin_ms.saturating_add(at_sample.saturating_mul(1000) / u64::from(rate.max(1))),
        source: SourceKind::Microphone,
        kind,
    }
}

/// Decides every spectral frame whose samples are all in.
#[cfg(feature = "spectral")]
fn spectral_frames<const SEATS: usize>(
    spectral: &mut SpectralSlots<SEATS>,
    origin_ms: u64,
    rate: u32,
    out: &mut impl FnMut(usize, Edge),
) {
    let mut emit = |seat: usize, c: Change| out(seat, spectral_edge(c, origin_ms, rate));
    while spectral.frame(&mut emit).is_some() {}
}

/// Hands `seat`'s high-passed samples to the spectral detector, in order.
/// A seat whose ring is full is a frame ahead: the frames that are ready
/// are decided, and if it is still full, they are decided without the
/// seats that are behind (microphones that stopped delivering; they rejoin
/// when they deliver again). The same as handing them over one by one:
/// a block push takes exactly the samples single pushes would, and frames
/// are decided at the same points.
#[cfg(feature = "spectral")]
fn spectral_samples<const SEATS: usize>(
    spectral: &mut SpectralSlots<SEATS>,
    seat: usize,
    samples: &[i16],
    origin_ms: u64,
    rate: u32,
    out: &mut impl FnMut(usize, Edge),
) {
    let mut rest = samples;
    while !rest.is_empty() {
        let took = spectral.push(seat, rest);
        rest = rest.get(took..).unwrap_or(&[]);
        let Some((&y, after)) = rest.split_first() else {
            return;
        };
        // `y` does not fit: decide what is ready and try again.
        spectral_frames(spectral, origin_ms, rate, out);
        rest = after;
        if spectral.push(seat, &[y]) > 0 {
            continue;
        }
        for other in 0..SEATS {
            if other != seat && spectral.behind(other) {
                spectral.set_mic(other, false, &mut |s, c| {
                    out(s, spectral_edge(c, origin_ms, rate));
                });
            }
        }
        spectral_frames(spectral, origin_ms, rate, out);
        let _ = spectral.push(seat, &[y]);
    }
}

/// High-passed samples collected before [`spectral_samples`] takes them.
#[cfg(feature = "spectral")]
const SPECTRAL_BATCH: usize = 32;

fn frame_ms(params: &MicParams) -> u64 {
    u64::from(1000 / params.frame_rate_hz.clamp(1, 1000))
}

fn tail_per_frame_db10(params: &MicParams) -> i16 {
    (u32::from(params.crosstalk_tail_db_per_s) * 10
        / u32::from(params.frame_rate_hz.clamp(1, 1000)))
    .clamp(1, 1000) as i16
}

#[cfg(feature = "spectral")]
fn mic_seats<const SEATS: usize>(full_scale: &[Option<u16>; SEATS]) -> [bool; SEATS] {
    core::array::from_fn(|i| full_scale.get(i).copied().flatten().is_some())
}

impl MicSeat {
    fn new(params: &MicParams, fs: Option<u16>) -> Self {
        let scale = fs.unwrap_or(u16::MAX).max(1);
        MicSeat {
            enabled: fs.is_some(),
            full_scale: scale,
            log2_full_scale: log2_q12(u32::from(scale)).unwrap_or(0),
            envelope: Envelope::new(params, scale),
            queue: Deque::new(),
            floor: NoiseFloor::for_params(params),
            health: MicHealth::for_params(params),
            vad: Vad::new(),
            delivering: false,
            last_level: crate::activity::db::LEVEL_MIN_DB10,
            peak: crate::activity::db::LEVEL_MIN_DB10,
            last_crosstalk: false,
            last_speech: false,
        }
    }
}

/// [`spectral_samples`] for a seat the [`Handover`] may have taken out for
/// a fault: its samples are dropped until it rejoins at a frame start.
#[cfg(feature = "spectral")]
fn handed_sample<const SEATS: usize>(
    spectral: &mut SpectralSlots<SEATS>,
    handover: &mut Handover<SEATS>,
    seat: usize,
    y: i16,
    origin_ms: u64,
    rate: u32,
    out: &mut impl FnMut(usize, Edge),
) {
    let alone = handover.gated(seat) && (0..SEATS).all(|k| !spectral.has_mic(k));
    match handover.sample(seat, y, spectral.next_frame(), alone) {
        Feed::Drop => {}
        Feed::One => handed_block(spectral, handover, seat, &[y], origin_ms, rate, out),
        Feed::Join { from, to } => {
            spectral.set_mic(seat, true, &mut |k, c| {
                if let Some(e) = handover.pass(k, Path::Spectral, spectral_edge(c, origin_ms, rate))
                {
                    out(k, e);
                }
            });
            for at in from..=to {
                let x = handover.kept(at);
                handed_block(spectral, handover, seat, &[x], origin_ms, rate, out);
            }
        }
    }
}

/// Hands `samples` of a seat in the detector over, passing the edges the
/// [`Handover`] lets through.
#[cfg(feature = "spectral")]
fn handed_block<const SEATS: usize>(
    spectral: &mut SpectralSlots<SEATS>,
    handover: &mut Handover<SEATS>,
    seat: usize,
    samples: &[i16],
    origin_ms: u64,
    rate: u32,
    out: &mut impl FnMut(usize, Edge),
) {
    spectral_samples(spectral, seat, samples, origin_ms, rate, &mut |k, e| {
        if let Some(e) = handover.pass(k, Path::Spectral, e) {
            out(k, e);
        }
    });
}

/// A level-path turn edge of `seat`, if it is reported: with the spectral
/// detector on, only while the level path decides (see [`Handover`]).
#[cfg(feature = "spectral")]
fn level_turn_edge<const SEATS: usize>(
    handover: &mut Handover<SEATS>,
    spectral_on: bool,
    seat: usize,
    edge: Edge,
) -> Option<Edge> {
    if spectral_on {
        handover.pass(seat, Path::Level, edge)
    } else {
        Some(edge)
    }
}

impl<const SEATS: usize> MicArray<SEATS> {
    /// An array where `full_scale[i]` is `Some` for each microphone seat.
    pub fn new(params: &MicParams, full_scale: &[Option<u16>; SEATS]) -> Self {
        MicArray {
            params: *params,
            timing: VadTiming::of(params),
            frame_ms: frame_ms(params),
            tail_per_frame_db10: tail_per_frame_db10(params),
            seats: core::array::from_fn(|i| {
                MicSeat::new(params, full_scale.get(i).copied().flatten())
            }),
            crosstalk: Crosstalk::new(params.coupling_initial_db10),
            leak_modes: LeakModes::new(),
            arrival: ArrivalSettings::of(params),
            votes: Votes::new(),
            #[cfg(feature = "spectral")]
            spectral: SpectralSlots::new(&params.spectral, &mic_seats(full_scale)),
            #[cfg(feature = "spectral")]
            origin_ms: None,
            #[cfg(feature = "spectral")]
            handover: Handover::new(mic_seats(full_scale)),
        }
    }

    /// Makes this array what [`new`](Self::new) would return, in place
    /// (no second array on the stack: see [`Engine::rebuild`](crate::engine::Engine::rebuild)).
    pub fn rebuild(&mut self, params: &MicParams, full_scale: &[Option<u16>; SEATS]) {
        self.params = *params;
        self.timing = VadTiming::of(params);
        self.frame_ms = frame_ms(params);
        self.tail_per_frame_db10 = tail_per_frame_db10(params);
        for (i, s) in self.seats.iter_mut().enumerate() {
            *s = MicSeat::new(params, full_scale.get(i).copied().flatten());
        }
        self.crosstalk = Crosstalk::new(params.coupling_initial_db10);
        self.leak_modes = LeakModes::new();
        self.arrival = ArrivalSettings::of(params);
        self.votes = Votes::new();
        #[cfg(feature = "spectral")]
        {
            self.spectral
                .rebuild(&params.spectral, &mic_seats(full_scale));
            self.origin_ms = None;
            self.handover = Handover::new(mic_seats(full_scale));
        }
    }

    /// Whether seat `seat` has a microphone.
    pub fn is_mic(&self, seat: usize) -> bool {
        self.seats.get(seat).is_some_and(|s| s.enabled)
    }

    /// The coupling matrix (learned).
    pub const fn crosstalk(&self) -> &Crosstalk<SEATS> {
        &self.crosstalk
    }

    /// The level-difference histograms of every pair (see
    /// [`leak_modes`](super::leak_modes)).
    pub const fn leak_modes(&self) -> &LeakModes<SEATS> {
        &self.leak_modes
    }

    /// Mutable coupling matrix, to preset known couplings.
    pub fn crosstalk_mut(&mut self) -> &mut Crosstalk<SEATS> {
        &mut self.crosstalk
    }

    /// What the level path knows about `seat`'s microphone.
    pub fn status(&self, seat: usize) -> Option<MicStatus> {
        let s = self.seats.get(seat).filter(|s| s.enabled)?;
        Some(MicStatus {
            level_db10: s.last_level,
            floor_db10: s.floor.floor(),
            peak_db10: s.peak,
            crosstalk: s.last_crosstalk,
            speech: s.last_speech,
            active: self.spectral_active(seat).unwrap_or_else(|| s.vad.active()),
            fault: s.health.fault(),
            bias: s.envelope.bias(),
        })
    }

    /// The time up to which `seat`'s edges are final (caller ms), or `None`
    /// when the seat does not currently hold the merge back (no microphone,
    /// or not delivering samples).
    pub fn horizon(&self, seat: usize) -> Option<u64> {
        let s = self.seats.get(seat).filter(|s| s.enabled && s.delivering)?;
        let level = s.vad.horizon(&self.timing);
        #[cfg(feature = "spectral")]
        if self.params.spectral_on {
            let origin = self.origin_ms.unwrap_or(0);
            let rate = self.params.sample_rate_hz;
            return Some(self.spectral.horizon(seat).map_or(level, |at| {
                let at = origin.saturating_add(at.saturating_mul(1000) / u64::from(rate.max(1)));
                level.min(at)
            }));
        }
        Some(level)
    }

    /// Whether the spectral detector has `seat` in a turn (`None`: it does
    /// not decide the turns).
    fn spectral_active(&self, seat: usize) -> Option<bool> {
        #[cfg(feature = "spectral")]
        if self.params.spectral_on {
            return Some(self.handover.active(seat));
        }
        let _ = seat;
        None
    }

    /// Adds a block of `seat`'s samples, the last taken at `now_ms`. Calls
    /// `out(seat, edge)` for every edge decided (of any seat: a block may
    /// complete a round). Ignored for seats without a microphone. Blocks of
    /// any length work; a seat more than [`FRAME_QUEUE`] frames ahead of
    /// another delivering seat forces rounds without that seat.
    pub fn push_samples(
        &mut self,
        seat: usize,
        samples: &[u16],
        now_ms: u64,
        out: &mut impl FnMut(usize, Edge),
    ) {
        let Some(s) = self.seats.get_mut(seat).filter(|s| s.enabled) else {
            return;
        };
        if !samples.is_empty() {
            s.delivering = true;
        }
        #[cfg(feature = "spectral")]
        let (spectral_on, rate) = (self.params.spectral_on, self.params.sample_rate_hz);
        #[cfg(feature = "spectral")]
        if spectral_on && !samples.is_empty() {
            let before = (samples.len() as u64 - 1).saturating_mul(1000) / u64::from(rate.max(1));
            let origin = *self.origin_ms.get_or_insert(now_ms.saturating_sub(before));
            if !self.spectral.has_mic(seat) && !self.handover.gated(seat) {
                let handover = &mut self.handover;
                handover.joined(seat, self.spectral.next_frame());
                self.spectral.set_mic(seat, true, &mut |s, c| {
                    if let Some(e) =
                        handover.pass(s, Path::Spectral, spectral_edge(c, origin, rate))
                    {
                        out(s, e);
                    }
                });
            }
        }
        #[cfg(feature = "spectral")]
        let origin = self.origin_ms.unwrap_or(0);
        let mut rest = samples;
        while !rest.is_empty() {
            let Some(s) = self.seats.get_mut(seat) else {
                return;
            };
            #[cfg(feature = "spectral")]
            let (used, frame) = if spectral_on {
                let (spectral, handover) = (&mut self.spectral, &mut self.handover);
                if handover.gated(seat) {
                    s.envelope.push_frame_with(rest, now_ms, &mut |y| {
                        handed_sample(spectral, handover, seat, y, origin, rate, out);
                    })
                } else {
                    // A seat in the detector: every sample goes on (the
                    // handover only counts it), in blocks.
                    let mut batch = [0i16; SPECTRAL_BATCH];
                    let mut n = 0;
                    let done = s.envelope.push_frame_with(rest, now_ms, &mut |y| {
                        let _ = handover.sample(seat, y, 0, false);
                        if let Some(slot) = batch.get_mut(n) {
                            *slot = y;
                            n += 1;
                        }
                        if n == SPECTRAL_BATCH {
                            handed_block(spectral, handover, seat, &batch, origin, rate, out);
                            n = 0;
                        }
                    });
                    let left = batch.get(..n).unwrap_or(&[]);
                    handed_block(spectral, handover, seat, left, origin, rate, out);
                    done
                }
            } else {
                s.envelope.push_frame(rest, now_ms)
            };
            #[cfg(not(feature = "spectral"))]
            let (used, frame) = s.envelope.push_frame(rest, now_ms);
            rest = rest.get(used.max(1)..).unwrap_or(&[]);
            if let Some(frame) = frame {
                self.enqueue(seat, frame, out);
                self.run_rounds(false, out);
            }
        }
        #[cfg(feature = "spectral")]
        if spectral_on {
            let handover = &mut self.handover;
            spectral_frames(&mut self.spectral, origin, rate, &mut |k, e| {
                if let Some(e) = handover.pass(k, Path::Spectral, e) {
                    out(k, e);
                }
            });
        }
    }

    /// Takes microphones the level path reports faulted out of the
    /// spectral detector (ending their open turns) and lets them rejoin
    /// when the fault clears (see [`Handover`]).
    #[cfg(feature = "spectral")]
    fn gate_faults(&mut self, out: &mut impl FnMut(usize, Edge)) {
        if !self.params.spectral_on {
            return;
        }
        let (origin, rate) = (self.origin_ms.unwrap_or(0), self.params.sample_rate_hz);
        for (seat, s) in self.seats.iter().enumerate() {
            let fault = s.enabled && s.health.fault().is_some();
            if self.handover.set_fault(seat, fault) {
                let handover = &mut self.handover;
                self.spectral.set_mic(seat, false, &mut |k, c| {
                    if let Some(e) =
                        handover.pass(k, Path::Spectral, spectral_edge(c, origin, rate))
                    {
                        out(k, e);
                    }
                });
            }
        }
    }

    fn enqueue(&mut self, seat: usize, frame: FrameStats, out: &mut impl FnMut(usize, Edge)) {
        let full = self.seats.get(seat).is_some_and(|s| s.queue.is_full());
        if full {
            self.run_rounds(true, out);
        }
        if let Some(s) = self.seats.get_mut(seat) {
            let _ = s.queue.push_back(frame);
        }
    }

    /// Decides every round that can be decided. With `force`, decides one
    /// round even if some delivering seat has no frame yet.
    fn run_rounds(&mut self, force: bool, out: &mut impl FnMut(usize, Edge)) {
        let mut force = force;
        loop {
            // One pass: is any frame waiting, and is a delivering seat
            // still missing its frame?
            let (mut any, mut missing) = (false, false);
            for s in self.seats.iter().filter(|s| s.enabled) {
                if s.queue.is_empty() {
                    missing |= s.delivering;
                } else {
                    any = true;
                }
                if missing && !force {
                    return;
                }
            }
            if !any {
                return;
            }
            self.round(out);
            force = false;
        }
    }

    /// Decides one frame for every microphone seat, one phase after the
    /// other (the numbers of the module documentation).
    fn round(&mut self, out: &mut impl FnMut(usize, Edge)) {
        let Some((frames, round_end, aligned)) = self.take_round_frames() else {
            return;
        };
        let levels = self.levels_and_floors(&frames, out);
        #[cfg(feature = "spectral")]
        self.gate_faults(out);
        let mut trusted = [false; SEATS];
        let mut in_turn = [false; SEATS];
        for ((t, a), s) in trusted
            .iter_mut()
            .zip(in_turn.iter_mut())
            .zip(self.seats.iter())
        {
            *t = s.floor.trusted();
            *a = s.vad.active();
        }
        let frame = SeatLevels {
            levels: &levels.levels,
            peaks: &levels.peaks,
            snr: &levels.snr,
            speaking: &levels.speaking,
            explainer: &levels.explainer,
            trusted: &trusted,
            in_turn: &in_turn,
        };
        let mut explained = self
            .crosstalk
            .explained(&frame, self.params.crosstalk_margin_db10);
        if aligned {
            self.add_arrival(&frame, &mut explained);
        }
        self.learn_couplings(&frame);
        self.decide_activity(&frames, round_end, &levels.snr, &explained, out);
    }

    /// The earliest pending frame and every other seat's frame that ended
    /// within half a frame of it (seats are sampled together, so their
    /// frames line up), the latest end among them, and whether the seats
    /// are in step (every delivering seat's frame is its latest, so their
    /// sample trails end together).
    fn take_round_frames(&mut self) -> Option<([Option<FrameStats>; SEATS], u64, bool)> {
        let first_end = self
            .seats
            .iter()
            .filter(|s| s.enabled)
            .filter_map(|s| s.queue.front().map(|f| f.end_ms))
            .min()?;
        let same_round = first_end.saturating_add(self.frame_ms / 2 + self.frame_ms % 2);
        let mut frames: [Option<FrameStats>; SEATS] = [None; SEATS];
        for (s, slot) in self.seats.iter_mut().zip(frames.iter_mut()) {
            if !s.enabled {
                continue;
            }
            match s.queue.front() {
                Some(head) if head.end_ms < same_round => *slot = s.queue.pop_front(),
                Some(_) => {}
                // Delivering but nothing at all: it holds rounds back no
                // more until it delivers again.
                None => s.delivering = false,
            }
        }
        let round_end = frames.iter().flatten().map(|f| f.end_ms).max().unwrap_or(0);
        let aligned = self
            .seats
            .iter()
            .zip(frames.iter())
            .filter(|(s, _)| s.enabled && s.delivering)
            .all(|(s, f)| f.is_some() && s.queue.is_empty());
        Some((frames, round_end, aligned))
    }

    /// Phase 3b, [arrival order](super::arrival): each seat whose levels
    /// leave it speaking is compared with the seat furthest above its
    /// floor, and the verdicts are added up per seat. A seat whose sound has
    /// more often reached another microphone first is hearing that seat.
    /// Seats the levels already explain cost nothing.
    fn add_arrival(&mut self, frame: &SeatLevels<'_, SEATS>, explained: &mut [bool; SEATS]) {
        let settings = self.arrival;
        if !settings.on() {
            return;
        }
        // The last round's tallies that got no vote fade.
        self.votes.end_frame();
        let Some((top, _)) = frame.dominant() else {
            return;
        };
        let speaking = |i: usize| frame.speaking.get(i).copied().unwrap_or(false);
        if !speaking(top) {
            return;
        }
        let mut candidates = [false; SEATS];
        for (i, c) in candidates.iter_mut().enumerate() {
            *c = speaking(i) && !explained.get(i).copied().unwrap_or(true);
        }
        let seats = &self.seats;
        count_round(
            &mut self.votes,
            top,
            &candidates,
            |i| seats.get(i).and_then(|s| s.envelope.trail()),
            &settings,
        );
        // Only ever adds crosstalk: letting an arrival order overrule the
        // levels (a seat heard first counts even when explained)
        // quadrupled the error on the tuning rooms. Someone speaking always
        // remains: the seat with the best evidence.
        let mut kept: Option<(i16, usize)> = None;
        let mut any_left = false;
        for (i, (e, &c)) in explained.iter_mut().zip(candidates.iter()).enumerate() {
            if !c {
                continue;
            }
            let tally = self.votes.tally(i);
            if kept.is_none_or(|(best, _)| tally > best) {
                kept = Some((tally, i));
            }
            if self.votes.hearing_another(i) {
                *e = true;
            } else {
                any_left = true;
            }
        }
        if !any_left {
            if let Some(e) = kept.and_then(|(_, i)| explained.get_mut(i)) {
                *e = false;
            }
        }
    }

    /// Phases 1-2: levels, faults, floors, recent peaks.
    fn levels_and_floors(
        &mut self,
        frames: &[Option<FrameStats>; SEATS],
        out: &mut impl FnMut(usize, Edge),
    ) -> RoundLevels<SEATS> {
        let params = &self.params;
        let mut r = RoundLevels {
            levels: [crate::activity::db::LEVEL_MIN_DB10; SEATS],
            peaks: [crate::activity::db::LEVEL_MIN_DB10; SEATS],
            explainer: [false; SEATS],
            snr: [None; SEATS],
            speaking: [false; SEATS],
        };
        let tail = self.tail_per_frame_db10;
        let off = i32::from(params.off_threshold_db10);
        for (i, (s, frame)) in self.seats.iter_mut().zip(frames.iter()).enumerate() {
            let Some(frame) = frame else {
                continue;
            };
            let level = frame_level_db10(frame.sum_q4, u32::from(frame.count), s.log2_full_scale);
            s.last_level = level;
            if let Some(slot) = r.levels.get_mut(i) {
                *slot = level;
            }
            let class = FrameClass::of(frame, s.full_scale, params);
            if let Some(condition) = s.health.update(class) {
                out(
                    i,
                    Edge {
                        at: frame.end_ms,
                        source: SourceKind::Microphone,
                        kind: EdgeKind::Condition(condition),
                    },
                );
            }
            if class == FrameClass::Normal && s.health.fault().is_none() {
                let floor = s.floor.update(level);
                let snr = i32::from(level) - i32::from(floor);
                s.peak = level.max(s.peak.saturating_sub(tail));
                if let (Some(v), Some(sp), Some(p), Some(e)) = (
                    r.snr.get_mut(i),
                    r.speaking.get_mut(i),
                    r.peaks.get_mut(i),
                    r.explainer.get_mut(i),
                ) {
                    *v = Some(snr);
                    *sp = snr >= off;
                    *p = s.peak;
                    *e = i32::from(s.peak) - i32::from(floor) >= off;
                }
            } else {
                s.peak = crate::activity::db::LEVEL_MIN_DB10;
            }
        }
        r
    }

    /// Phase 4: coupling learning, from this frame's evidence: close pairs
    /// from their leak modes, the rest frame by frame.
    fn learn_couplings(&mut self, frame: &SeatLevels<'_, SEATS>) {
        let params = &self.params;
        let off = i32::from(params.off_threshold_db10);
        let learn_snr = i32::from(params.coupling_learn_snr_db10);
        if params.coupling_mode_frames > 0 {
            self.leak_modes.observe(frame, off, learn_snr);
            self.leak_modes
                .refresh(&mut self.crosstalk, params.coupling_mode_frames);
        }
        self.crosstalk
            .learn(frame, off, learn_snr, params.coupling_step_db10);
    }

    /// Phase 5: each seat's [`Vad`] turns its speech / crosstalk verdict
    /// into rise/fall edges.
    fn decide_activity(
        &mut self,
        frames: &[Option<FrameStats>; SEATS],
        round_end: u64,
        snr: &[Option<i32>; SEATS],
        explained: &[bool; SEATS],
        out: &mut impl FnMut(usize, Edge),
    ) {
        let on = i32::from(self.params.on_threshold_db10);
        let off = i32::from(self.params.off_threshold_db10);
        #[cfg(feature = "spectral")]
        let (spectral_on, handover) = (self.params.spectral_on, &mut self.handover);
        for (i, s) in self.seats.iter_mut().enumerate() {
            if !s.enabled {
                continue;
            }
            let own = !explained.get(i).copied().unwrap_or(false);
            let value = snr.get(i).copied().flatten();
            let above_off = own && value.is_some_and(|v| v >= off);
            let above_on = own && value.is_some_and(|v| v >= on);
            s.last_crosstalk = !own;
            s.last_speech = above_off;
            let end = frames
                .get(i)
                .copied()
                .flatten()
                .map_or(round_end, |f| f.end_ms);
            let start = end.saturating_sub(self.frame_ms);
            if let Some(edge) = s.vad.frame(start, end, above_off, above_on, &self.timing) {
                #[cfg(feature = "spectral")]
                let Some(edge) = level_turn_edge(handover, spectral_on, i, edge) else {
                    continue;
                };
                out(i, edge);
            }
        }
    }

    /// Decides all queued frames, then ends every pending turn as if the
    /// microphones fell silent (end of a recording).
    pub fn flush(&mut self, out: &mut impl FnMut(usize, Edge)) {
        while self.seats.iter().any(|s| s.enabled && !s.queue.is_empty()) {
            self.round(out);
        }
        #[cfg(feature = "spectral")]
        let (spectral_on, handover) = (self.params.spectral_on, &mut self.handover);
        for (i, s) in self.seats.iter_mut().enumerate() {
            if let Some(edge) = s.vad.flush() {
                #[cfg(feature = "spectral")]
                let Some(edge) = level_turn_edge(handover, spectral_on, i, edge) else {
                    continue;
                };
                out(i, edge);
            }
        }
        #[cfg(feature = "spectral")]
        if spectral_on {
            let (origin, rate) = (self.origin_ms.unwrap_or(0), self.params.sample_rate_hz);
            let mut out = |k: usize, e: Edge| {
                if let Some(e) = self.handover.pass(k, Path::Spectral, e) {
                    out(k, e);
                }
            };
            spectral_frames(&mut self.spectral, origin, rate, &mut out);
            self.spectral
                .flush(&mut |s, c| out(s, spectral_edge(c, origin, rate)));
        }
    }
}
