//! Every parameter that shapes what the device detects. All of them are
//! written into each session's log header, so a log can always be
//! re-interpreted knowing exactly how it was made.
//!
//! Changing, removing or reordering a field changes the log format: only do it
//! together with a new format version (see `docs/log-format.md`).

use serde::{Deserialize, Serialize};

/// Push-button parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ButtonParams {
    /// A pin must hold a new level this long to count (ms).
    pub debounce_ms: u16,
    /// The facilitator button held at least this long is a long press (ms).
    pub long_press_ms: u16,
}

impl Default for ButtonParams {
    fn default() -> Self {
        ButtonParams {
            debounce_ms: 20,
            long_press_ms: 1500,
        }
    }
}

/// Microphone (level) path parameters. Fixed-point where fractional.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MicParams {
    /// ADC samples per second per seat that the level path expects.
    pub sample_rate_hz: u32,
    /// Activity decisions per second.
    pub frame_rate_hz: u16,
}

impl Default for MicParams {
    fn default() -> Self {
        MicParams {
            sample_rate_hz: 8000,
            frame_rate_hz: 100,
        }
    }
}

/// Turn-taking parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TurnParams {
    /// A turn longer than this is cut (a stuck button, a mic that never
    /// falls silent) (ms).
    pub max_turn_ms: u32,
    /// A burst inside another's turn no longer than this, that does not take
    /// the floor, is a backchannel (ms).
    pub backchannel_max_ms: u32,
}

impl Default for TurnParams {
    fn default() -> Self {
        TurnParams {
            max_turn_ms: 10 * 60 * 1000,
            backchannel_max_ms: 1000,
        }
    }
}

/// All detection parameters, as written into a log header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DetectionParams {
    /// Buttons.
    pub button: ButtonParams,
    /// Microphones.
    pub mic: MicParams,
    /// Turns.
    pub turns: TurnParams,
}
