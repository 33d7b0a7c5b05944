//! Microphone faults: saturated, silent, back to normal.
//!
//! A frame is classified from what the [`Envelope`](super::envelope) saw:
//!
//! * **flat** — its mean deviation is at most `flat_q8` ADC steps: no
//!   signal at all. Flat at the top rail means the input is pinned at full
//!   scale (saturated); flat anywhere else, including at 0, means nothing is
//!   connected or the module is dead (silent).
//! * **clipping** — at least `clip_fraction_per_mille` of its samples sit in
//!   the rail band: the signal is far too large for the ADC (saturated).
//!
//! Loud speech may clip a few samples; that is not a fault. A fault is
//! reported once bad frames of one kind have lasted `fault_set_ms`, and
//! cleared once normal frames have lasted `fault_clear_ms`. Flat and
//! clipping frames never count as speech, and a seat whose microphone is in
//! a reported fault produces no activity until it is cleared, so a broken
//! microphone never invents turns.
//!
//! ```
//! use tabletalk_core::activity::health::{FrameClass, MicHealth};
//! use tabletalk_core::turns::event::Condition;
//! let mut health = MicHealth::new(3, 2); // set after 3 frames, clear after 2
//! assert_eq!(health.update(FrameClass::Flat { at_top: true }), None);
//! assert_eq!(health.update(FrameClass::Flat { at_top: true }), None);
//! assert_eq!(health.update(FrameClass::Flat { at_top: true }), Some(Condition::MicSaturated));
//! assert_eq!(health.update(FrameClass::Normal), None);
//! assert_eq!(health.update(FrameClass::Normal), Some(Condition::MicOk));
//! ```

use crate::activity::envelope::FrameStats;
use crate::params::MicParams;
use crate::turns::event::Condition;

/// What one frame looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameClass {
    /// A usable frame.
    Normal,
    /// No deviation; `at_top` when the bias sits in the top rail band.
    Flat {
        /// Pinned at full scale.
        at_top: bool,
    },
    /// Too many samples in the rail bands.
    Clipping,
}

impl FrameClass {
    /// Classifies `frame` of an ADC with `full_scale`.
    pub fn of(frame: &FrameStats, full_scale: u16, params: &MicParams) -> Self {
        let count = u32::from(frame.count);
        // sum_q4 / 16 / count <= flat_q8 / 256  <=>  sum_q4 * 16 <= flat_q8 * count
        let flat = u64::from(frame.sum_q4) * 16 <= u64::from(params.flat_q8) * u64::from(count);
        let band = u32::from(full_scale) * u32::from(params.rail_band_per_mille) / 1000;
        if flat {
            let at_top = u32::from(frame.bias) + band >= u32::from(full_scale);
            return FrameClass::Flat { at_top };
        }
        if u32::from(frame.rail) * 1000 >= u32::from(params.clip_fraction_per_mille) * count
            && count > 0
        {
            return FrameClass::Clipping;
        }
        FrameClass::Normal
    }

    /// The fault this frame is evidence of.
    const fn fault(self) -> Option<Condition> {
        match self {
            FrameClass::Normal => None,
            FrameClass::Flat { at_top: true } | FrameClass::Clipping => {
                Some(Condition::MicSaturated)
            }
            FrameClass::Flat { at_top: false } => Some(Condition::MicSilent),
        }
    }
}

/// The fault state of one microphone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MicHealth {
    reported: Option<Condition>,
    run_kind: Option<Condition>,
    run: u32,
    good: u32,
    set_frames: u32,
    clear_frames: u32,
}

impl MicHealth {
    /// Reports after `set_frames` bad frames of one kind, clears after
    /// `clear_frames` normal ones (both at least 1).
    pub const fn new(set_frames: u32, clear_frames: u32) -> Self {
        MicHealth {
            reported: None,
            run_kind: None,
            run: 0,
            good: 0,
            set_frames: if set_frames == 0 { 1 } else { set_frames },
            clear_frames: if clear_frames == 0 { 1 } else { clear_frames },
        }
    }

    /// A health tracker for `params`.
    pub fn for_params(params: &MicParams) -> Self {
        let frames = |ms: u16| (u32::from(ms) * u32::from(params.frame_rate_hz)).div_ceil(1000);
        Self::new(frames(params.fault_set_ms), frames(params.fault_clear_ms))
    }

    /// The fault currently reported (`MicSaturated` or `MicSilent`), if any.
    pub const fn fault(&self) -> Option<Condition> {
        self.reported
    }

    /// Takes one frame's class; returns a condition to report, if it changed.
    pub fn update(&mut self, class: FrameClass) -> Option<Condition> {
        match class.fault() {
            Some(kind) => {
                self.good = 0;
                if self.run_kind == Some(kind) {
                    self.run = self.run.saturating_add(1);
                } else {
                    self.run_kind = Some(kind);
                    self.run = 1;
                }
                if self.run >= self.set_frames && self.reported != Some(kind) {
                    self.reported = Some(kind);
                    return Some(kind);
                }
                None
            }
            None => {
                self.run_kind = None;
                self.run = 0;
                if self.reported.is_some() {
                    self.good = self.good.saturating_add(1);
                    if self.good >= self.clear_frames {
                        self.reported = None;
                        self.good = 0;
                        return Some(Condition::MicOk);
                    }
                }
                None
            }
        }
    }
}
