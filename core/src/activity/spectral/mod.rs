//! Which microphone hears a sound first: per-seat speech from arrival
//! order, not from levels (issue 10, research's "v2").
//!
//! In each time-frequency bin one talker dominates (speech is sparse), and
//! the microphone with the highest signal-to-floor ratio in that bin is
//! almost always that talker's own. A seat's microphone *leads* another
//! when, over the bins it dominates, the other microphone hears the same
//! sound 2–40 samples (0.25–5 ms) later. Seat `j` is speaking when it leads
//! **every** other microphone: crosstalk leaks into `j`'s microphone
//! later than into the talker's own, reverberation is incoherent, and no
//! level or gain enters the decision.
//!
//! ## Per 20 ms frame (256 samples, Hann window, hop 160)
//!
//! ```text
//!  samples ─▶ FFT ─▶ per bin: log power, noise floor, phase ─▶ dominant seat ─▶ lag accumulators ─▶ lead ─▶ segments
//!  (i16,       (fft)  (log2 Q12, slow-up fast-down, 8-bit)      (argmax of       R[j][k][lag]        (min_k    (hysteresis,
//!   per seat)                                                   power − floor)                       max_lag)  fill, min run)
//! ```
//!
//! 1. Each seat's frame is transformed by [`fft`] (block floating point);
//!    for each band bin (250–3500 Hz by default, 105 bins) its log power
//!    (`log2`, Q12, via [`db::log2_q12`](crate::activity::db::log2_q12)),
//!    its noise floor (down at once to ×0.9 per frame, up ×1.002 per frame,
//!    in the log domain: −623 / +12) and its phase ([`phase::phase`],
//!    1/256 turn).
//! 2. Each bin's dominant seat: the largest power above its own floor.
//! 3. For the dominant seat `j` of a bin and every other microphone `k`,
//!    the unit phasor `U_j·conj(U_k)` is `e^{i(φ_j − φ_k)}`, a table lookup.
//!    Research averages it per bin (`A −= A >> 2`, pole 0.75) and takes an
//!    inverse FFT: `R_jk[l] = (2/n) Σ_f Re(A_jk[f]·e^{−2πifl/256})`. That
//!    is linear in `A`, and the rotation by lag `l` is exactly `f·l mod 256`
//!    phase units, so this module keeps `R` itself, at the lags it needs:
//!    every frame `R −= R >> pole_shift`, then each bin adds
//!    `COS[(φ_j − φ_k − f·l) mod 256]` to `R_jk[l]` for `l` in the lag range.
//!    No inverse FFT, no per-bin accumulators, the same figures (up to the
//!    rounding of the decay).
//! 4. `lead_j = min_k max_l R_jk[l]`, in research's units (Q14: 16384 is
//!    1.0; perfect coherence over the whole band is 2.0).
//! 5. Segments per seat (research's "hysteresis" segment evidence): a
//!    candidate starts at the first frame with `lead > lo`, gaps of frames
//!    at or below `lo` up to `fill_ms` are bridged, and it ends at its last
//!    frame above `lo` once `fill_ms` has passed without one. It counts if
//!    one of its frames has `lead > hi` and it is at least `min_run_ms`
//!    long; then a [`Change::Rise`] back-dated to the candidate's start is
//!    reported as soon as both hold, and a [`Change::Fall`] when it ends.
//!
//! ## Cost and memory
//!
//! Per frame: one 256-point real FFT per microphone (448 butterflies), a
//! log, a floor update and an `atan2` per seat and bin, and per band bin
//! `(seats − 1) × lags` table additions (105 × 7 × 39 ≈ 29 k for 8 seats),
//! whoever talks: the work does not depend on the signal. The lag additions
//! go three bins per pass over an accumulator's lags, so that each
//! accumulator is loaded and stored once per group. The on-target
//! benchmark (tests/bench-target, `scripts/test.sh 65`, one run) measures
//! 960 745 Cortex-M0+ cycles per frame for 8 seats with one talker, 38.4 %
//! of an RP2040 at 50 frames per second (the whole pipeline with it on,
//! 50.5 %): over the issue's 25 % budget. About 38 % of it is the lag
//! accumulation, a third the FFTs, a quarter the per-bin log, floor and
//! phase. State: [`Spectral<8>`] is about 26 KiB (sample rings 8 KiB, lag
//! accumulators 12 KiB, floors 3.8 KiB); `frame` needs under 2 KiB of stack.
//!
//! ## Times
//!
//! Samples are counted per seat from the first one pushed (seats are
//! sampled together). Frame `t` covers samples `t·160 .. t·160 + 256` and
//! decides the 20 ms around its centre, `t·160 + 48 .. t·160 + 208`;
//! [`Change`] times are sample indices on that grid.
//!
//! ```
//! use tabletalk_core::activity::spectral::{Change, Settings, Spectral};
//!
//! // Four microphones; a noise burst from 1 s to 3 s is nearest seat 0:
//! // the others hear it 6, 9 and 12 samples (0.75-1.5 ms) later, weaker.
//! let mut spectral = Spectral::<4>::new(&Settings::default(), [true; 4]);
//! let lcg = |state: &mut u32| {
//!     *state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
//!     (*state >> 16) as i32 - 32_768
//! };
//! let (mut source, mut hiss) = (1u32, 2u32);
//! let mut delayed = [0i32; 13];
//! let mut changes = Vec::new();
//! for n in 0..4 * 8000 {
//!     let burst = (8000..24000).contains(&n);
//!     delayed.rotate_right(1);
//!     delayed[0] = if burst { lcg(&mut source) / 16 } else { 0 };
//!     for (seat, delay) in [0, 6, 9, 12].into_iter().enumerate() {
//!         let heard = delayed[delay] * 4 / (4 + delay as i32 / 3) + lcg(&mut hiss) / 1024;
//!         spectral.push(seat, &[heard as i16]);
//!     }
//!     while spectral.frame(&mut |seat, c| changes.push((seat, c))).is_some() {}
//! }
//! spectral.flush(&mut |seat, c| changes.push((seat, c)));
//! // Seat 0 leads: one turn, from about 1 s to a little after 3 s.
//! assert_eq!(changes.len(), 2, "{changes:?}");
//! let (Change::Rise { at_sample: on }, Change::Fall { at_sample: off }) = (changes[0].1, changes[1].1)
//! else { panic!("{changes:?}") };
//! assert_eq!((changes[0].0, changes[1].0), (0, 0));
//! assert!((7_400..8_600).contains(&on) && (23_600..26_000).contains(&off), "{on}..{off}");
//! ```

pub mod fft;
pub mod phase;

use crate::activity::db::log2_q12;
use serde::{Deserialize, Serialize};

/// Samples per frame (the FFT length, 32 ms at 8 kHz).
pub const FRAME_LEN: usize = fft::N;
/// Samples between frames (20 ms at 8 kHz).
pub const HOP: usize = 160;
/// The sample rate the module is built for (Hz).
pub const SAMPLE_RATE_HZ: u32 = 8000;
/// Milliseconds per frame (hop).
pub const FRAME_MS: u32 = 20;
/// Most band bins (250–3500 Hz is 105).
pub const MAX_BINS: usize = 120;
/// Most lags in the lag range (2..=40 is 39).
pub const MAX_LAGS: usize = 48;
/// Per-seat sample ring: a seat may be `RING − FRAME_LEN` samples ahead of
/// the next frame.
const RING: usize = 512;
/// Offset of a frame's decided 20 ms from its first sample.
const CENTRE_OFFSET: u64 = ((FRAME_LEN - HOP) / 2) as u64;
/// Noise floor steps per frame, log2 Q12: ×0.9 down, ×1.002 up.
const FLOOR_DOWN: i32 = 623;
const FLOOR_UP: i32 = 12;

/// Parameters of the spectral detector. Thresholds are in research's units
/// of lead (Q14: `16384` is 1.0; a sound perfectly coherent over the whole
/// band, arriving later at every other microphone, is 2.0).
///
/// The defaults are for the hardware guide's **cardioid capsules at
/// 15–30 cm** (docs/hardware.md), chosen on tuning rooms only (AMI train
/// meetings, both room families of `tests/rooms/`): thresholds 0.09 / 0.13,
/// bins counted from 15 dB above their floor, thresholds raised at tables
/// of two microphones as for three. Held out (12 AMI dev rooms per family,
/// 10 minutes each): 6.5 % and 5.0 % mean error, 93.8 % and 95.8 % of seat
/// shares within 3 pp; two-seat tables 8.6 % and 15.2 %
/// (docs/mic-evaluation.md). Omni modules at 30–60 cm: thresholds 1802 /
/// 2621.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Settings {
    /// A frame with lead above this is part of a candidate segment (Q14).
    pub lead_lo_q14: u16,
    /// A candidate segment counts if one of its frames has lead above this
    /// (Q14); at least `lead_lo_q14`.
    pub lead_hi_q14: u16,
    /// Gaps at or below `lead_lo_q14` up to this long are bridged; a turn
    /// ends this long after its last frame above it (ms).
    pub fill_ms: u16,
    /// Shorter segments are dropped (ms).
    pub min_run_ms: u16,
    /// Accumulator pole `1 − 2^−pole_shift` per frame (`2`: 0.75, a time
    /// constant of ~70 ms); 1..=6.
    pub pole_shift: u8,
    /// Fewest samples by which another microphone must hear the sound later.
    pub lag_min_samples: u8,
    /// Most samples (at most `lag_min_samples + 47`).
    pub lag_max_samples: u8,
    /// Lowest frequency of the band used (Hz).
    pub band_lo_hz: u16,
    /// Highest frequency of the band used (Hz), below 4000; at most 120 bins
    /// of 31.25 Hz.
    pub band_hi_hz: u16,
    /// A bin counts only if its dominant microphone hears it at least this
    /// far above its noise floor (tenths of a dB); `0`: every bin counts,
    /// as in research's v2. A bin no microphone hears well above its floor
    /// holds noise phases, or a steady point source's (a fan): skipping it
    /// keeps them out of the leads, and saves that bin's lag work (most of
    /// it in silence). Default 15 dB: on two- and three-seat tuning rooms
    /// it halved the error, on four-seat ones it changed little.
    pub min_snr_db10: u16,
    /// The thresholds hold for this many microphones. With fewer there are
    /// fewer others to lead, and unrelated sound reaches a higher lead: both
    /// thresholds are raised by the ratio of the chance leads
    /// ([`NULL_LEAD_Q14`]). `0`: never raised (what logs before this
    /// parameter did). Default 3, chosen on two-seat tuning rooms: two
    /// microphones then get thresholds ×1.5 (the full ratio to four, ×1.95,
    /// missed a fifth of the speech).
    pub reference_mics: u8,
}

/// The lead that unrelated sound reaches, by number of microphones (99th
/// percentile, Q14; independent white noise at every microphone, the
/// settings of research's v2: thresholds aside, today's defaults with every
/// bin counted; entries 9, 11 and 13-15 interpolated). With one other
/// microphone to lead instead of three, it is 1.95 times higher: a seat's
/// lead is its *least* lead over the others, and the least of fewer chance
/// maxima is larger. [`Settings::reference_mics`] scales the thresholds by
/// the ratio of two entries; the test
/// `the_null_lead_table_is_what_independent_noise_gives` re-measures it.
pub const NULL_LEAD_Q14: [u16; 17] = [
    0, 0, 2401, 1597, 1234, 1038, 908, 815, 742, 689, 640, 604, 571, 546, 522, 500, 479,
];

impl Default for Settings {
    fn default() -> Self {
        Settings {
            lead_lo_q14: 1475, // 0.09
            lead_hi_q14: 2130, // 0.13
            fill_ms: 800,
            min_run_ms: 60,
            pole_shift: 2,
            lag_min_samples: 2,
            lag_max_samples: 40,
            band_lo_hz: 250,
            band_hi_hz: 3500,
            min_snr_db10: 150,
            reference_mics: 3,
        }
    }
}

/// Why [`Settings`] cannot run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SettingsError {
    /// `lead_hi_q14` below `lead_lo_q14`.
    Hysteresis,
    /// `pole_shift` outside 1..=6.
    Pole,
    /// Lag range empty, starting at 0, or longer than [`MAX_LAGS`].
    Lags,
    /// Band empty, reaching 0 Hz or 4000 Hz, or wider than [`MAX_BINS`].
    Band,
}

impl core::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SettingsError::Hysteresis => "spectral lead_hi_q14 must be at least lead_lo_q14",
            SettingsError::Pole => "spectral pole_shift must be in 1..=6",
            SettingsError::Lags => {
                "spectral lags must satisfy 1 <= lag_min_samples <= lag_max_samples < lag_min_samples + 48"
            }
            SettingsError::Band => {
                "spectral band must hold 1 to 120 bins of 31.25 Hz strictly between 0 and 4000 Hz"
            }
        })
    }
}

impl core::error::Error for SettingsError {}

/// What a [`Settings`] means in bins, lags and frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Plan {
    lo_bin: u8,
    bins: u8,
    lag_min: u8,
    lags: u8,
    shift: u32,
    fill_frames: u32,
    min_run_frames: u32,
    lo: i32,
    hi: i32,
    /// [`Settings::reference_mics`], at most 16.
    reference_mics: u8,
    /// Least signal-to-floor ratio of a counted bin (log2 of power, Q12).
    gate: i32,
}

impl Settings {
    /// Checks that the detector can run with these settings
    /// ([`Spectral::new`] clamps what does not).
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.lead_hi_q14 < self.lead_lo_q14 {
            return Err(SettingsError::Hysteresis);
        }
        if !(1..=6).contains(&self.pole_shift) {
            return Err(SettingsError::Pole);
        }
        let lags = usize::from(self.lag_max_samples) + 1;
        if self.lag_min_samples == 0
            || self.lag_max_samples < self.lag_min_samples
            || lags - usize::from(self.lag_min_samples) > MAX_LAGS
        {
            return Err(SettingsError::Lags);
        }
        let (lo, hi) = Self::band_bins(self.band_lo_hz, self.band_hi_hz);
        if lo == 0 || hi >= fft::N / 2 || hi < lo || hi - lo + 1 > MAX_BINS {
            return Err(SettingsError::Band);
        }
        Ok(())
    }

    /// First and last bin (31.25 Hz each) inside `lo_hz..=hi_hz`.
    fn band_bins(lo_hz: u16, hi_hz: u16) -> (usize, usize) {
        let bin_of = |hz: u16, up: bool| {
            let num = u32::from(hz) * fft::N as u32;
            (if up {
                num.div_ceil(SAMPLE_RATE_HZ)
            } else {
                num / SAMPLE_RATE_HZ
            }) as usize
        };
        (bin_of(lo_hz, true), bin_of(hi_hz, false))
    }

    fn plan(&self) -> Plan {
        let (lo_bin, hi_bin) = Self::band_bins(self.band_lo_hz, self.band_hi_hz);
        let lo_bin = lo_bin.clamp(1, fft::N / 2 - 1);
        // max/min, not clamp: clamp panics when its bounds cross.
        let hi_bin = hi_bin
            .min(lo_bin + MAX_BINS - 1)
            .min(fft::N / 2 - 1)
            .max(lo_bin);
        let lag_min = self.lag_min_samples.max(1);
        let lags = (usize::from(self.lag_max_samples.max(lag_min)) + 1 - usize::from(lag_min))
            .clamp(1, MAX_LAGS);
        let frames = |ms: u16| (u32::from(ms) + FRAME_MS / 2) / FRAME_MS;
        Plan {
            lo_bin: lo_bin as u8,
            bins: (hi_bin + 1 - lo_bin) as u8,
            lag_min,
            lags: lags as u8,
            shift: u32::from(self.pole_shift.clamp(1, 6)),
            fill_frames: frames(self.fill_ms),
            min_run_frames: frames(self.min_run_ms).max(1),
            lo: i32::from(self.lead_lo_q14),
            hi: i32::from(self.lead_hi_q14.max(self.lead_lo_q14)),
            reference_mics: self.reference_mics.min(16),
            // dB of power to octaves of power: / 3.0103; Q12.
            gate: if self.min_snr_db10 == 0 {
                i32::MIN
            } else {
                (i64::from(self.min_snr_db10) * 4096 * 10 / 301) as i32
            },
        }
    }
}

impl Plan {
    /// The plan with its thresholds for `mics` microphones: raised by the
    /// ratio of the chance lead with `mics` to that with
    /// `reference_mics` when there are fewer (see [`NULL_LEAD_Q14`]).
    fn for_mics(mut self, mics: usize) -> Plan {
        let null = |m: usize| i32::from(NULL_LEAD_Q14.get(m).copied().unwrap_or(0));
        let (here, reference) = (null(mics), null(usize::from(self.reference_mics)));
        if mics >= 2 && here > reference && reference > 0 {
            // At most 2401 / 479 times 65535: fits.
            self.lo = self.lo * here / reference;
            self.hi = self.hi * here / reference;
        }
        self
    }
}

/// A decided edge of one seat's speech.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Change {
    /// Speech from this sample on (back-dated to the candidate's start).
    Rise {
        /// Sample index of the seat's stream.
        at_sample: u64,
    },
    /// Speech up to (not including) this sample.
    Fall {
        /// Sample index of the seat's stream.
        at_sample: u64,
    },
}

/// Per-seat figures of one decided frame (diagnostics and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameReport<const SEATS: usize> {
    /// Frame number: it covers samples `index·160 .. index·160 + 256`.
    pub index: u32,
    /// Lead of each seat over every other microphone (Q14; 0 for seats
    /// without a microphone, or with no other microphone to compare).
    pub lead_q14: [i32; SEATS],
    /// Whether each seat is in a reported turn after this frame.
    pub active: [bool; SEATS],
    /// Band bins each seat dominated in this frame.
    pub bins: [u8; SEATS],
}

/// Segment state of one seat (step 5 of the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    Idle,
    Open {
        /// First frame above `lo`.
        start: u32,
        /// Latest frame above `lo`.
        last: u32,
        /// A frame above `hi` was seen.
        confirmed: bool,
        /// The rise was reported.
        risen: bool,
    },
}

#[derive(Clone, Debug)]
struct Seat {
    mic: bool,
    /// Samples pushed (this seat's sample index of the next sample).
    written: u64,
    ring: [i16; RING],
    floor: [i32; MAX_BINS],
    floor_started: bool,
    phase: [u8; MAX_BINS],
    segment: Segment,
}

/// The spectral detector for `SEATS` seats (see the module documentation).
#[derive(Clone, Debug)]
pub struct Spectral<const SEATS: usize> {
    plan: Plan,
    /// Next frame to decide.
    frame: u32,
    seats: [Seat; SEATS],
    /// `R[j][k][l − lag_min]`, scaled by `2^pole_shift · 16384 · bins / 2`
    /// relative to research's units; the diagonal is unused.
    r: [[[i32; MAX_LAGS]; SEATS]; SEATS],
    workspace: fft::Workspace,
}

/// First sample of frame `t`.
const fn frame_start(t: u32) -> u64 {
    t as u64 * HOP as u64
}

impl<const SEATS: usize> Spectral<SEATS> {
    /// A detector; `mics[s]` says whether seat `s` has a microphone.
    /// Settings are assumed valid ([`Settings::validate`]); out-of-range
    /// values are clamped.
    pub fn new(settings: &Settings, mics: [bool; SEATS]) -> Self {
        Spectral {
            plan: settings.plan(),
            frame: 0,
            seats: core::array::from_fn(|s| Seat {
                mic: mics.get(s).copied().unwrap_or(false),
                written: 0,
                ring: [0; RING],
                floor: [0; MAX_BINS],
                floor_started: false,
                phase: [0; MAX_BINS],
                segment: Segment::Idle,
            }),
            r: [[[0; MAX_LAGS]; SEATS]; SEATS],
            workspace: fft::Workspace::new(),
        }
    }

    /// The next frame to be decided.
    pub const fn next_frame(&self) -> u32 {
        self.frame
    }

    /// Whether `seat` has a microphone here (see [`set_mic`](Self::set_mic)).
    pub fn has_mic(&self, seat: usize) -> bool {
        self.seats.get(seat).is_some_and(|s| s.mic)
    }

    /// Whether `seat` is a microphone that still lacks samples of the next
    /// frame (it holds the others back).
    pub fn behind(&self, seat: usize) -> bool {
        let end = frame_start(self.frame) + FRAME_LEN as u64;
        self.seats
            .get(seat)
            .is_some_and(|s| s.mic && s.written < end)
    }

    /// Whether `seat` is in a reported turn.
    pub fn active(&self, seat: usize) -> bool {
        self.seats
            .get(seat)
            .is_some_and(|s| matches!(s.segment, Segment::Open { risen: true, .. }))
    }

    /// The sample index before which `seat` will report no more
    /// [`Change`]: the start of its open candidate, the end of its reported
    /// turn's last frame above `lead_lo_q14`, or the next frame's decided
    /// 20 ms. `None` for seats without a microphone.
    pub fn horizon(&self, seat: usize) -> Option<u64> {
        let s = self.seats.get(seat).filter(|s| s.mic)?;
        Some(
            match s.segment {
                Segment::Idle => frame_start(self.frame),
                Segment::Open {
                    start,
                    risen: false,
                    ..
                } => frame_start(start),
                Segment::Open {
                    last, risen: true, ..
                } => frame_start(last.saturating_add(1)),
            } + CENTRE_OFFSET,
        )
    }

    /// Adds or removes `seat`'s microphone (a microphone that stops
    /// delivering must stop holding frames back). A removed seat's open
    /// turn ends (reported through `out`); an added seat starts afresh at
    /// the next frame (its first sample pushed is that frame's first).
    pub fn set_mic(&mut self, seat: usize, on: bool, out: &mut impl FnMut(usize, Change)) {
        let next = frame_start(self.frame);
        let Some(s) = self.seats.get_mut(seat) else {
            return;
        };
        if s.mic == on {
            return;
        }
        s.mic = on;
        if let Segment::Open {
            last, risen: true, ..
        } = s.segment
        {
            out(
                seat,
                Change::Fall {
                    at_sample: frame_start(last.saturating_add(1)) + CENTRE_OFFSET,
                },
            );
        }
        s.segment = Segment::Idle;
        s.written = next;
        s.floor_started = false;
        for (j, row) in self.r.iter_mut().enumerate() {
            for (k, lags) in row.iter_mut().enumerate() {
                if j == seat || k == seat {
                    *lags = [0; MAX_LAGS];
                }
            }
        }
    }

    /// Appends `seat`'s next samples (high-passed, bias removed; any scale:
    /// each frame is scaled as a block). Returns how many were taken: a seat
    /// may run at most 256 samples ahead of the next frame's end, so call
    /// [`frame`](Self::frame) and push the rest. Seats without a
    /// microphone take nothing.
    pub fn push(&mut self, seat: usize, samples: &[i16]) -> usize {
        let limit = frame_start(self.frame) + RING as u64;
        let Some(s) = self.seats.get_mut(seat).filter(|s| s.mic) else {
            return 0;
        };
        let room = limit.saturating_sub(s.written);
        let take = samples
            .len()
            .min(usize::try_from(room).unwrap_or(usize::MAX));
        // At most two contiguous copies: up to the ring's end, then from
        // its start.
        let mut from = samples.get(..take).unwrap_or(&[]);
        while !from.is_empty() {
            let at = (s.written % RING as u64) as usize;
            let space = s.ring.get_mut(at..).unwrap_or(&mut []);
            let n = space.len().min(from.len());
            let (now, later) = from.split_at_checked(n).unwrap_or((from, &[]));
            if let Some(space) = space.get_mut(..n) {
                space.copy_from_slice(now);
            }
            s.written += n as u64;
            from = later;
            if n == 0 {
                break;
            }
        }
        take
    }

    /// Whether every microphone seat has the samples of the next frame (and
    /// there is at least one).
    pub fn ready(&self) -> bool {
        let end = frame_start(self.frame) + FRAME_LEN as u64;
        let mut any = false;
        for s in self.seats.iter().filter(|s| s.mic) {
            if s.written < end {
                return false;
            }
            any = true;
        }
        any
    }

    /// Decides the next frame if [`ready`](Self::ready): calls
    /// `out(seat, change)` for every edge it decides and returns its
    /// figures.
    pub fn frame(&mut self, out: &mut impl FnMut(usize, Change)) -> Option<FrameReport<SEATS>> {
        if !self.ready() {
            return None;
        }
        let t = self.frame;
        let mut dominant = [u8::MAX; MAX_BINS];
        let bins = self.spectra(t, &mut dominant);
        self.accumulate(&dominant);
        let mut report = FrameReport {
            index: t,
            lead_q14: [0; SEATS],
            active: [false; SEATS],
            bins,
        };
        for (j, lead) in report.lead_q14.iter_mut().enumerate() {
            *lead = self.lead(j);
        }
        let plan = self
            .plan
            .for_mics(self.seats.iter().filter(|s| s.mic).count());
        for (j, ((s, &lead), active)) in self
            .seats
            .iter_mut()
            .zip(report.lead_q14.iter())
            .zip(report.active.iter_mut())
            .enumerate()
        {
            if s.mic {
                s.segment = step(s.segment, t, lead, &plan, &mut |c| out(j, c));
                *active = matches!(s.segment, Segment::Open { risen: true, .. });
            }
        }
        self.frame = t.wrapping_add(1);
        Some(report)
    }

    /// End of the stream: decides nothing more, ends every reported turn
    /// at its last frame above `lead_lo_q14`.
    pub fn flush(&mut self, out: &mut impl FnMut(usize, Change)) {
        for (j, s) in self.seats.iter_mut().enumerate() {
            if let Segment::Open {
                last, risen: true, ..
            } = s.segment
            {
                out(
                    j,
                    Change::Fall {
                        at_sample: frame_start(last.saturating_add(1)) + CENTRE_OFFSET,
                    },
                );
            }
            s.segment = Segment::Idle;
        }
    }

    /// Steps 1-2: every microphone's spectrum, floors and phases, and each
    /// bin's dominant seat. Returns the bins each seat dominates.
    fn spectra(&mut self, t: u32, dominant: &mut [u8; MAX_BINS]) -> [u8; SEATS] {
        let start = frame_start(t);
        let plan = self.plan;
        let mut best = [i32::MIN; MAX_BINS];
        for (index, s) in self.seats.iter_mut().enumerate() {
            if !s.mic {
                continue;
            }
            // The frame in order: the ring from `base`, wrapping once.
            let base = (start % RING as u64) as usize;
            let mut frame = [0i16; FRAME_LEN];
            let (tail, head) = s.ring.split_at(base.min(RING));
            let (first, second) = frame.split_at_mut(head.len().min(FRAME_LEN));
            if let Some(from) = head.get(..first.len()) {
                first.copy_from_slice(from);
            }
            if let Some(from) = tail.get(..second.len()) {
                second.copy_from_slice(from);
            }
            let exponent = self.workspace.transform_frame(&frame);
            // Power is |bin|^2 · 2^(2·exponent): log2 Q12.
            let offset = exponent.saturating_mul(2 * 4096);
            let started = s.floor_started;
            s.floor_started = true;
            let spectrum = self
                .workspace
                .bins(usize::from(plan.lo_bin), usize::from(plan.bins));
            for ((((floor, phase), best), dominant), (re, im)) in s
                .floor
                .iter_mut()
                .zip(s.phase.iter_mut())
                .zip(best.iter_mut())
                .zip(dominant.iter_mut())
                .zip(spectrum)
            {
                let power = (re.unsigned_abs() * re.unsigned_abs())
                    .saturating_add(im.unsigned_abs() * im.unsigned_abs())
                    .max(1);
                let level = log2_q12(power).unwrap_or(0).saturating_add(offset);
                *floor = if !started {
                    level
                } else if level < *floor {
                    (*floor - FLOOR_DOWN).max(level)
                } else {
                    floor.saturating_add(FLOOR_UP)
                };
                let snr = level.saturating_sub(*floor);
                if snr > *best {
                    *best = snr;
                    *dominant = index as u8;
                }
                *phase = phase::phase(re, im);
            }
        }
        for (d, &b) in dominant.iter_mut().zip(best.iter()) {
            if b < plan.gate {
                *d = u8::MAX;
            }
        }
        let mut counts = [0u8; SEATS];
        for &d in dominant.iter().take(usize::from(plan.bins)) {
            if let Some(c) = counts.get_mut(usize::from(d)) {
                *c += 1;
            }
        }
        counts
    }

    /// Step 3: decay every pair's lag accumulators, then add each bin's
    /// rotated unit phasors to its dominant seat's pairs.
    fn accumulate(&mut self, dominant: &[u8; MAX_BINS]) {
        let plan = self.plan;
        let lags = usize::from(plan.lags);
        let mics: [bool; SEATS] =
            core::array::from_fn(|s| self.seats.get(s).is_some_and(|s| s.mic));
        for (j, (row, &mic_j)) in self.r.iter_mut().zip(mics.iter()).enumerate() {
            if !mic_j {
                continue;
            }
            // Not the diagonal: it is never read.
            for (_, (acc, _)) in row
                .iter_mut()
                .zip(mics.iter())
                .enumerate()
                .filter(|&(k, (_, &mic_k))| mic_k && k != j)
            {
                if let Some(acc) = acc.get_mut(..lags) {
                    for v in acc {
                        *v -= *v >> plan.shift;
                    }
                }
            }
        }
        // The band's bins grouped by dominant seat (a counting sort), each
        // as its index and `φ_j − f·lag_min` (phase units).
        let bins = usize::from(plan.bins);
        let mut start = [0usize; SEATS];
        let mut count = [0usize; SEATS];
        for &d in dominant.iter().take(bins) {
            if let Some(c) = count.get_mut(usize::from(d)) {
                *c += 1;
            }
        }
        let mut next = 0;
        for (s, &c) in start.iter_mut().zip(count.iter()) {
            *s = next;
            next += c;
        }
        let mut sorted = [(0u8, 0u8); MAX_BINS];
        let mut fill = start;
        for (i, &d) in (0u8..).zip(dominant.iter().take(bins)) {
            let j = usize::from(d);
            let (Some(at), Some(seat_j)) = (fill.get_mut(j), self.seats.get(j)) else {
                continue;
            };
            let pj = seat_j.phase.get(usize::from(i)).copied().unwrap_or(0);
            let f = plan.lo_bin.wrapping_add(i);
            if let Some(slot) = sorted.get_mut(*at) {
                *slot = (i, pj.wrapping_sub(f.wrapping_mul(plan.lag_min)));
            }
            *at += 1;
        }
        // Seat by seat, its bins' unit phasors to each other microphone,
        // [`GROUP`] bins per pass over the lags, so that each accumulator
        // is loaded and stored once per group (integer sums: the order does
        // not change them).
        for (j, (row, (&from, &n))) in self
            .r
            .iter_mut()
            .zip(start.iter().zip(count.iter()))
            .enumerate()
        {
            if !mics.get(j).copied().unwrap_or(false) {
                continue;
            }
            let mine = sorted.get(from..from + n).unwrap_or(&[]);
            if mine.is_empty() {
                continue;
            }
            for (acc, seat_k) in row
                .iter_mut()
                .zip(self.seats.iter())
                .enumerate()
                .filter(|&(k, (_, seat_k))| k != j && seat_k.mic)
                .map(|(_, x)| x)
            {
                let Some(acc) = acc.get_mut(..lags) else {
                    continue;
                };
                // The angle of bin `i` at lag `lag_min`, in the top byte
                // (it wraps by itself), and its step per lag.
                let angle = |&(i, first): &(u8, u8)| {
                    let pk = seat_k.phase.get(usize::from(i)).copied().unwrap_or(0);
                    let f = plan.lo_bin.wrapping_add(i);
                    (u32::from(first.wrapping_sub(pk)) << 24, u32::from(f) << 24)
                };
                let mut groups = mine.chunks_exact(GROUP);
                for group in &mut groups {
                    let mut theta = [0u32; GROUP];
                    let mut step = [0u32; GROUP];
                    for ((t, s), bin) in theta.iter_mut().zip(step.iter_mut()).zip(group) {
                        (*t, *s) = angle(bin);
                    }
                    add_rotated(acc, theta, step);
                }
                for bin in groups.remainder() {
                    let (t, s) = angle(bin);
                    add_rotated(acc, [t], [s]);
                }
            }
        }
    }

    /// Step 4: seat `j`'s lead over every other microphone (Q14).
    fn lead(&self, j: usize) -> i32 {
        let plan = self.plan;
        let (Some(row), Some(seat)) = (self.r.get(j), self.seats.get(j)) else {
            return 0;
        };
        if !seat.mic {
            return 0;
        }
        let mut lead = i32::MAX;
        for (k, (acc, other)) in row.iter().zip(self.seats.iter()).enumerate() {
            if k == j || !other.mic {
                continue;
            }
            let best = acc
                .iter()
                .take(usize::from(plan.lags))
                .copied()
                .max()
                .unwrap_or(0);
            lead = lead.min(best);
        }
        if lead == i32::MAX {
            return 0;
        }
        // R · 2 / (bins · 2^shift) in Q14 (|R| < 2^shift · bins · 2^14 + ...
        // fits: 2^6 · 120 · 2^14 · 2 < 2^31).
        let den = (i32::from(plan.bins) << plan.shift).max(1);
        lead.saturating_mul(2) / den
    }
}

/// Bins added per pass over an accumulator's lags (see [`add_rotated`]).
const GROUP: usize = 3;

/// Adds `Σ_b cos(theta[b] − l·step[b])` to `acc[l]` for every lag `l`
/// (angles in the top byte): `B` bins per pass, so that each accumulator
/// is loaded and stored once per `B` additions.
#[inline(always)]
fn add_rotated<const B: usize>(acc: &mut [i32], mut theta: [u32; B], step: [u32; B]) {
    for v in acc.iter_mut() {
        let mut sum = 0;
        for (t, &s) in theta.iter_mut().zip(step.iter()) {
            sum += phase::cos_q14_top(*t);
            *t = t.wrapping_sub(s);
        }
        *v += sum;
    }
}

/// Step 5 for one seat and frame `t` with lead `lead`.
fn step(segment: Segment, t: u32, lead: i32, plan: &Plan, out: &mut impl FnMut(Change)) -> Segment {
    let above = lead > plan.lo;
    let next = match segment {
        Segment::Idle if above => Segment::Open {
            start: t,
            last: t,
            confirmed: lead > plan.hi,
            risen: false,
        },
        Segment::Idle => Segment::Idle,
        Segment::Open {
            start,
            confirmed,
            risen,
            ..
        } if above => Segment::Open {
            start,
            last: t,
            confirmed: confirmed || lead > plan.hi,
            risen,
        },
        Segment::Open { last, risen, .. } if t.wrapping_sub(last) > plan.fill_frames => {
            if risen {
                out(Change::Fall {
                    at_sample: frame_start(last.wrapping_add(1)) + CENTRE_OFFSET,
                });
            }
            Segment::Idle
        }
        open => open,
    };
    match next {
        Segment::Open {
            start,
            last,
            confirmed: true,
            risen: false,
        } if last.wrapping_sub(start).wrapping_add(1) >= plan.min_run_frames => {
            out(Change::Rise {
                at_sample: frame_start(start) + CENTRE_OFFSET,
            });
            Segment::Open {
                start,
                last,
                confirmed: true,
                risen: true,
            }
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)]
    use super::*;
    extern crate std;
    use std::vec::Vec;

    fn plan(fill: u16, min_run: u16) -> Plan {
        Settings {
            fill_ms: fill,
            min_run_ms: min_run,
            ..Settings::default()
        }
        .plan()
    }

    /// Runs step 5 over a lead sequence (in units of 0.01).
    fn segments(leads: &[i32], plan: &Plan) -> Vec<Change> {
        let mut seg = Segment::Idle;
        let mut out = Vec::new();
        for (t, &v) in leads.iter().enumerate() {
            seg = step(seg, t as u32, v * 16384 / 100, plan, &mut |c| out.push(c));
        }
        out
    }

    fn at(frame: u64) -> u64 {
        frame * 160 + 48
    }

    #[test]
    fn default_settings_are_valid_and_mean_research_s_bins_and_lags() {
        let s = Settings::default();
        assert_eq!(s.validate(), Ok(()));
        let p = s.plan();
        assert_eq!((p.lo_bin, p.bins), (8, 105));
        assert_eq!((p.lag_min, p.lags), (2, 39));
        assert_eq!((p.fill_frames, p.min_run_frames, p.shift), (40, 3, 2));
    }

    #[test]
    fn invalid_settings_are_named() {
        let d = Settings::default();
        let bad = |s: Settings| s.validate().unwrap_err();
        assert_eq!(
            bad(Settings {
                lead_hi_q14: 1000,
                ..d
            }),
            SettingsError::Hysteresis
        );
        assert_eq!(bad(Settings { pole_shift: 0, ..d }), SettingsError::Pole);
        assert_eq!(bad(Settings { pole_shift: 7, ..d }), SettingsError::Pole);
        assert_eq!(
            bad(Settings {
                lag_min_samples: 0,
                ..d
            }),
            SettingsError::Lags
        );
        assert_eq!(
            bad(Settings {
                lag_max_samples: 1,
                ..d
            }),
            SettingsError::Lags
        );
        assert_eq!(
            bad(Settings {
                lag_max_samples: 50,
                ..d
            }),
            SettingsError::Lags
        );
        assert_eq!(bad(Settings { band_lo_hz: 0, ..d }), SettingsError::Band);
        assert_eq!(
            bad(Settings {
                band_hi_hz: 4000,
                ..d
            }),
            SettingsError::Band
        );
        assert_eq!(
            bad(Settings {
                band_lo_hz: 100,
                band_hi_hz: 3900,
                ..d
            }),
            SettingsError::Band
        );
        // Clamped, not trusted: a detector still runs.
        let mut sp = Spectral::<2>::new(
            &Settings {
                band_lo_hz: 0,
                band_hi_hz: 9000,
                lag_min_samples: 0,
                lag_max_samples: 255,
                pole_shift: 0,
                ..d
            },
            [true; 2],
        );
        for _ in 0..4 {
            sp.push(0, &[1000; 160]);
            sp.push(1, &[-1000; 160]);
            while sp.frame(&mut |_, _| {}).is_some() {}
        }
    }

    #[test]
    fn hysteresis_needs_one_frame_above_hi_and_bridges_short_gaps() {
        let p = plan(100, 60); // fill 5 frames, min run 3
                               // Above lo (0.10) but never above hi (0.14): nothing.
        assert!(segments(&[0, 12, 12, 12, 12, 0, 0, 0, 0, 0, 0, 0], &p).is_empty());
        // One frame above hi: the whole candidate counts, from its start;
        // the 3-frame gap is bridged; it ends at its last frame above lo.
        let leads = [0, 11, 12, 15, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            segments(&leads, &p),
            [
                Change::Rise { at_sample: at(1) },
                Change::Fall { at_sample: at(8) }
            ]
        );
        // A 6-frame gap (over fill) splits it: the second part has no
        // frame above hi.
        let leads = [
            20, 20, 20, 0, 0, 0, 0, 0, 0, 12, 12, 12, 0, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(
            segments(&leads, &p),
            [
                Change::Rise { at_sample: at(0) },
                Change::Fall { at_sample: at(3) }
            ]
        );
    }

    #[test]
    fn runs_shorter_than_the_minimum_are_dropped_and_rise_waits_for_it() {
        let p = plan(100, 60);
        assert!(segments(&[0, 30, 30, 0, 0, 0, 0, 0, 0, 0], &p).is_empty());
        // Confirmed at its first frame, reported once 3 frames long.
        let mut seg = Segment::Idle;
        let mut out = Vec::new();
        for (t, v) in [30, 30, 30].iter().enumerate() {
            seg = step(seg, t as u32, v * 164, &p, &mut |c| out.push((t, c)));
        }
        assert_eq!(out, [(2, Change::Rise { at_sample: at(0) })]);
    }
}
