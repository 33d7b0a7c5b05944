//! Seats: who sits where and how their voice reaches the device.

use serde::{Deserialize, Serialize};

/// The most seats one device (and one log) can describe.
pub const MAX_SEATS: usize = 16;

/// A seat index, always below [`MAX_SEATS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SeatId(u8);

impl SeatId {
    /// The seat with index `index`, or `None` if it is not below [`MAX_SEATS`].
    ///
    /// ```
    /// use tabletalk_core::seat::SeatId;
    /// assert_eq!(SeatId::new(3).map(|s| s.index()), Some(3));
    /// assert!(SeatId::new(16).is_none());
    /// ```
    pub const fn new(index: u8) -> Option<Self> {
        if (index as usize) < MAX_SEATS {
            Some(SeatId(index))
        } else {
            None
        }
    }

    /// The seat's index, `0..MAX_SEATS`.
    pub const fn index(self) -> usize {
        self.0 as usize
    }

    /// The seat's index as a byte.
    pub const fn get(self) -> u8 {
        self.0
    }
}

/// How a seat's speech reaches the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InputKind {
    /// A push-button.
    Button,
    /// A microphone, of which only the level is used.
    Microphone,
    /// Both: the button forces the seat active, the microphone detects speech.
    ButtonAndMicrophone,
    /// Turns come from somewhere else (imported annotations, diarization).
    External,
}

/// How a seat's push-button maps to speaking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ButtonMode {
    /// Speaking while the button is held down.
    #[default]
    HoldToTalk,
    /// A press starts a turn, the next press ends it.
    Toggle,
}
