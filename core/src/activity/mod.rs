//! Activity: microphone samples become per-seat speech on/off.
//!
//! Only levels are used, never the audio itself: each frame of samples is
//! reduced to one number per seat before anything else happens, and no
//! sample is kept.
//!
//! ## The level path
//!
//! ```text
//!  samples ─▶ envelope ─▶ frame level ─▶ noise floor ─▶ thresholds ─▶ crosstalk ─▶ VAD ─▶ edges
//!  (u16)     (per sample)  (dBFS×10)      (min stats)    (on/off)      (across      (onset,
//!                                                                       seats)      hangover,
//!                                                                                   min turn)
//! ```
//!
//! * [`envelope`] — the only per-sample work: a tracked DC bias (one-pole
//!   low-pass), rectification around it, a sum per frame, and a count of
//!   samples at the rails. Integer only, no division, ~20 instructions per
//!   sample on a Cortex-M0+.
//! * [`db`] — integer log2 and tenths of a decibel, once per frame.
//! * [`noise_floor`] — minimum statistics: the lowest frame level over a
//!   few seconds. Falls at once, rises within the window.
//! * [`health`] — flat (dead or pinned) and clipping frames; `MicSilent`,
//!   `MicSaturated` and `MicOk` conditions; broken microphones make no turns.
//! * [`crosstalk`] — a leaked voice is the speaker's level shifted by a
//!   learned coupling (and lingering in the room's reverberation); a seat
//!   counts only if it is more than the louder seat's recent peak shifted by
//!   that coupling. Not loudest-wins: two real talkers both count.
//! * [`leak_modes`] — for close pairs, where no seat clearly dominates:
//!   the level difference of two microphones settles in two modes, one per
//!   person speaking, and the upper one is always the first seat's; their
//!   centres are the pair's couplings.
//! * [`vad`] — hysteresis between the on and off thresholds, onset
//!   back-dating, hangover bridging pauses, minimum turn (with enough
//!   actual speech in it).
//! * [`mics`] — all of it for every microphone seat, one frame round at a
//!   time.
//!
//! Every parameter is in [`MicParams`](crate::params::MicParams) and is
//! written into each log header.
//!
//! ## Why this shape
//!
//! The device samples up to 8 microphones at 8 kHz on a 125 MHz Cortex-M0+
//! without FPU or divider-friendly 64-bit arithmetic. Keeping the per-sample
//! path to a handful of 32-bit operations and doing the decision work 100
//! times a second makes the whole level path cost a few percent of the CPU.
//! Working in dB relative to each seat's own floor makes the thresholds
//! independent of microphone gains and ADC resolution; the same defaults
//! serve a 10-bit SPI ADC and the RP2040's 12-bit one.

pub mod arrival;
pub mod crosstalk;
pub mod db;
pub mod envelope;
#[cfg(feature = "spectral")]
pub(crate) mod handover;
pub mod health;
pub mod leak_modes;
pub mod mics;
pub mod noise_floor;
pub mod slots;
pub mod spectral;
pub mod vad;

pub use mics::{MicArray, MicStatus};
