//! Frozen one-byte wire codes for the enums the log stores.
//!
//! The shared enums (`seat::InputKind`, `turns::MarkerKind`, …) may gain
//! variants or be reordered in the source; their codes in a log may not.
//! New variants get the next free code here, and the `match`es below make
//! the compiler point at this file whenever such an enum grows.

use crate::records::Error;
use crate::seat::InputKind;
use crate::turns::{Condition, MarkerKind, TurnEnd};

/// A value with a frozen one-byte code in the log.
pub trait WireCode: Sized + Copy {
    /// The value's code.
    fn code(self) -> u8;
    /// The value with `code`, or [`Error::UnknownCode`] (or a more specific
    /// error) for a code this decoder does not know.
    fn from_code(code: u8) -> Result<Self, Error>;
}

impl WireCode for InputKind {
    fn code(self) -> u8 {
        match self {
            InputKind::Button => 0,
            InputKind::Microphone => 1,
            InputKind::ButtonAndMicrophone => 2,
            InputKind::External => 3,
        }
    }
    fn from_code(code: u8) -> Result<Self, Error> {
        Ok(match code {
            0 => InputKind::Button,
            1 => InputKind::Microphone,
            2 => InputKind::ButtonAndMicrophone,
            3 => InputKind::External,
            _ => return Err(Error::UnknownInputKind(code)),
        })
    }
}

impl WireCode for MarkerKind {
    fn code(self) -> u8 {
        match self {
            MarkerKind::Start => 0,
            MarkerKind::Stop => 1,
            MarkerKind::Pause => 2,
            MarkerKind::Resume => 3,
            MarkerKind::Agenda => 4,
            MarkerKind::Decision => 5,
        }
    }
    fn from_code(code: u8) -> Result<Self, Error> {
        Ok(match code {
            0 => MarkerKind::Start,
            1 => MarkerKind::Stop,
            2 => MarkerKind::Pause,
            3 => MarkerKind::Resume,
            4 => MarkerKind::Agenda,
            5 => MarkerKind::Decision,
            _ => return Err(Error::UnknownCode(code)),
        })
    }
}

impl WireCode for Condition {
    fn code(self) -> u8 {
        match self {
            Condition::MicSaturated => 0,
            Condition::MicSilent => 1,
            Condition::MicOk => 2,
            Condition::ButtonChatter => 3,
            Condition::ButtonStuck => 4,
            Condition::ButtonOk => 5,
        }
    }
    fn from_code(code: u8) -> Result<Self, Error> {
        Ok(match code {
            0 => Condition::MicSaturated,
            1 => Condition::MicSilent,
            2 => Condition::MicOk,
            3 => Condition::ButtonChatter,
            4 => Condition::ButtonStuck,
            5 => Condition::ButtonOk,
            _ => return Err(Error::UnknownCode(code)),
        })
    }
}

impl WireCode for TurnEnd {
    fn code(self) -> u8 {
        match self {
            TurnEnd::Natural => 0,
            TurnEnd::Cut => 1,
            TurnEnd::SessionEnded => 2,
        }
    }
    fn from_code(code: u8) -> Result<Self, Error> {
        Ok(match code {
            0 => TurnEnd::Natural,
            1 => TurnEnd::Cut,
            2 => TurnEnd::SessionEnded,
            _ => return Err(Error::UnknownCode(code)),
        })
    }
}

/// Serializes a [`WireCode`] value as its code byte (postcard writes a `u8`
/// as one raw byte).
pub(crate) struct Code<T>(pub T);

impl<T: WireCode> serde::Serialize for Code<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.0.code())
    }
}
