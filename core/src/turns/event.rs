//! What the turn layer tells the layers above it (the log writer, the LEDs,
//! a live stream): the single vocabulary shared by the device and the host.

use serde::{Deserialize, Serialize};

use crate::seat::SeatId;
use crate::time::SessionMs;

/// Why a turn ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TurnEnd {
    /// The speaker stopped (button released or pressed again, voice ended).
    Natural,
    /// The turn reached the maximum turn length (a stuck button, a mic that
    /// never falls silent) and was cut there.
    Cut,
    /// The session stopped or paused while the seat was active.
    SessionEnded,
}

/// A session marker set by the facilitator or the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MarkerKind {
    /// The session started.
    Start,
    /// The session stopped.
    Stop,
    /// Recording paused (no turns until resumed).
    Pause,
    /// Recording resumed.
    Resume,
    /// An agenda point: a new segment of the meeting begins.
    Agenda,
    /// A decision was made (the facilitator's double press, or marked from
    /// the laptop). Appended: older logs never contain it.
    Decision,
}

/// Something about the inputs worth keeping in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Condition {
    /// The seat's microphone sits at full scale or clips most of the time:
    /// overloaded, or its input pinned to the supply.
    MicSaturated,
    /// The seat's microphone shows no signal at all (dead flat, at 0 or at
    /// any other level): disconnected or dead.
    MicSilent,
    /// The seat's microphone is back to normal.
    MicOk,
    /// The seat's button chattered faster than debouncing can make sense of.
    ButtonChatter,
    /// The seat's button has been held longer than the maximum turn.
    ButtonStuck,
    /// The seat's button is back to normal.
    ButtonOk,
}

/// One thing that happened, in session time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// A seat began speaking (live use only: the log records whole turns).
    TurnStarted {
        /// Who.
        seat: SeatId,
        /// When the speech began (its onset, which may be before the moment
        /// it was confirmed).
        at: SessionMs,
    },
    /// A seat's turn is complete.
    TurnEnded {
        /// Who.
        seat: SeatId,
        /// When the turn began.
        start: SessionMs,
        /// When it ended; never before `start`.
        end: SessionMs,
        /// Why it ended.
        how: TurnEnd,
    },
    /// A session marker.
    Marker {
        /// When.
        at: SessionMs,
        /// Which.
        kind: MarkerKind,
    },
    /// An input condition began or ended.
    Condition {
        /// Which seat.
        seat: SeatId,
        /// When.
        at: SessionMs,
        /// What.
        what: Condition,
    },
}
