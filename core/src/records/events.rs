//! The small records: markers, input conditions, store notices, session end.

use serde::{Serialize, Serializer};

use crate::records::codes::{Code, WireCode};
use crate::records::{Error, SessionId, Tick};
use crate::turns::{Condition, MarkerKind};

/// A session marker (start, stop, pause, resume, agenda point).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MarkerRecord {
    /// The session.
    pub session: SessionId,
    /// When (ticks).
    pub at: Tick,
    /// Which marker.
    pub kind: MarkerKind,
}

impl Serialize for MarkerRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.session, self.at, Code(self.kind)).serialize(s)
    }
}

impl MarkerRecord {
    pub(crate) fn parse(raw: (SessionId, Tick, u8)) -> Result<Self, Error> {
        Ok(MarkerRecord {
            session: raw.0,
            at: raw.1,
            kind: MarkerKind::from_code(raw.2)?,
        })
    }
}

/// An input condition of one seat began or ended (saturated or silent
/// microphone, chattering or stuck button, back to normal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ConditionRecord {
    /// The session.
    pub session: SessionId,
    /// The seat index.
    pub seat: u8,
    /// When (ticks).
    pub at: Tick,
    /// What.
    pub what: Condition,
}

impl Serialize for ConditionRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.session, self.seat, self.at, Code(self.what)).serialize(s)
    }
}

impl ConditionRecord {
    pub(crate) fn parse(raw: (SessionId, u8, Tick, u8)) -> Result<Self, Error> {
        Ok(ConditionRecord {
            session: raw.0,
            seat: raw.1,
            at: raw.2,
            what: Condition::from_code(raw.3)?,
        })
    }
}

/// What happened to the store that keeps the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StoreEvent {
    /// The store is full: records after this one were not kept.
    Full,
    /// The store wrapped around: this many of its oldest bytes were overwritten.
    Overwritten {
        /// Bytes overwritten.
        bytes: u32,
    },
    /// This many frames could not be stored (e.g. flash busy or failing).
    Dropped {
        /// Frames lost.
        frames: u32,
    },
    /// The engine dropped this many input events (a seat's edge queue
    /// overflowed; see `EngineStats::dropped_events`), so turns around this
    /// time may be off. Code 3, added in format 1 (append-only): older
    /// readers report the notice as an unknown code and read the rest.
    EventsDropped {
        /// Events lost.
        events: u32,
    },
}

impl StoreEvent {
    fn wire(self) -> (u8, u32) {
        match self {
            StoreEvent::Full => (0, 0),
            StoreEvent::Overwritten { bytes } => (1, bytes),
            StoreEvent::Dropped { frames } => (2, frames),
            StoreEvent::EventsDropped { events } => (3, events),
        }
    }

    fn from_wire(code: u8, amount: u32) -> Result<Self, Error> {
        Ok(match code {
            0 => StoreEvent::Full,
            1 => StoreEvent::Overwritten { bytes: amount },
            2 => StoreEvent::Dropped { frames: amount },
            3 => StoreEvent::EventsDropped { events: amount },
            _ => return Err(Error::UnknownCode(code)),
        })
    }
}

/// A notice from the store (the firmware's flash log) about lost data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StoreNotice {
    /// The session being written when it happened.
    pub session: SessionId,
    /// When (ticks).
    pub at: Tick,
    /// What.
    pub what: StoreEvent,
}

impl Serialize for StoreNotice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (code, amount) = self.what.wire();
        (self.session, self.at, code, amount).serialize(s)
    }
}

impl StoreNotice {
    pub(crate) fn parse(raw: (SessionId, Tick, u8, u32)) -> Result<Self, Error> {
        Ok(StoreNotice {
            session: raw.0,
            at: raw.1,
            what: StoreEvent::from_wire(raw.2, raw.3)?,
        })
    }
}

/// The last record of a session, with counts that let a reader tell
/// whether anything went missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionEnd {
    /// The session.
    pub session: SessionId,
    /// When it ended (ticks).
    pub at: Tick,
    /// Turns written in the session's batches.
    pub turns: u32,
    /// Batches written (their sequence numbers are `0..batches`).
    pub batches: u32,
}

impl Serialize for SessionEnd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.session, self.at, self.turns, self.batches).serialize(s)
    }
}

impl SessionEnd {
    pub(crate) fn parse(raw: (SessionId, Tick, u32, u32)) -> SessionEnd {
        SessionEnd {
            session: raw.0,
            at: raw.1,
            turns: raw.2,
            batches: raw.3,
        }
    }
}
