//! Activity edges: what the input and activity layers hand to the turn
//! tracker.
//!
//! An edge says "at engine time `at`, this source of this seat became active
//! (or inactive), or reported a condition, or the facilitator asked for a
//! session change". Engine time is milliseconds since the engine was created
//! (a [`SessionClock`](crate::time::SessionClock) reading); the tracker turns
//! it into session time.
//!
//! Sources decide late: a debounced press is known `debounce_ms` after it
//! happened, a microphone turn's end only once the hangover expired. Their
//! edges are therefore *back-dated*, and the engine merges the edges of all
//! sources in time order before the tracker sees them (see
//! [`engine`](crate::engine)). Within one millisecond the order is
//! [`EdgeKind::order`]: ends first, then conditions, then session controls,
//! then starts, so that a seat that stops at `t` and another that starts at
//! `t` never overlap, and a session that stops at `t` does not begin a turn
//! at `t`.

use crate::turns::event::{Condition, TurnEnd};

/// Which input of a seat an edge comes from. A seat with several inputs is
/// active while any of them is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SourceKind {
    /// The seat's push-button.
    Button,
    /// The seat's microphone.
    Microphone,
    /// Activity set from outside ([`InputKind::External`](crate::seat::InputKind)).
    External,
}

impl SourceKind {
    /// This source's bit in a seat's source mask.
    pub const fn bit(self) -> u8 {
        match self {
            SourceKind::Button => 1,
            SourceKind::Microphone => 2,
            SourceKind::External => 4,
        }
    }
}

/// A session change requested by the facilitator or the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Control {
    /// Start a session (ignored while one runs).
    Start,
    /// Stop the session (ignored while none runs).
    Stop,
    /// Pause a running session.
    Pause,
    /// Resume a paused session.
    Resume,
    /// An agenda marker (ignored while no session runs).
    Agenda,
    /// A decision marker (ignored while no session runs).
    Decision,
    /// Start if no session runs, stop otherwise (the facilitator's long press).
    ToggleSession,
}

/// What happened at an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EdgeKind {
    /// The source became active.
    Rise,
    /// The source became inactive, for this reason.
    Fall(TurnEnd),
    /// An input condition began or ended.
    Condition(Condition),
    /// A session change (only from the control source).
    Control(Control),
}

impl EdgeKind {
    /// Rank among edges at the same millisecond: lower goes first.
    pub const fn order(&self) -> u8 {
        match self {
            EdgeKind::Fall(_) => 0,
            EdgeKind::Condition(_) => 1,
            EdgeKind::Control(_) => 2,
            EdgeKind::Rise => 3,
        }
    }
}

/// One edge of one source, in engine time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Edge {
    /// When it happened (engine ms).
    pub at: u64,
    /// Which input of the seat (ignored for controls).
    pub source: SourceKind,
    /// What happened.
    pub kind: EdgeKind,
}

impl Edge {
    /// The merge key: time, then [`EdgeKind::order`].
    pub const fn key(&self) -> (u64, u8) {
        (self.at, self.kind.order())
    }
}
