//! The device configuration the laptop reads and writes: which seats exist,
//! how each one's speech reaches the device, the detection parameters, LED
//! feedback, and what to do when the store is full. The device keeps it in
//! flash.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use crate::params::DetectionParams;
use crate::seat::{ButtonMode, InputKind, SeatId, MAX_SEATS};

/// Longest device name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 32;

/// What the device does when its session store is full.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FullPolicy {
    /// Stop recording; nothing already stored is lost.
    #[default]
    Stop,
    /// Drop the oldest session(s) to make room; the log says so.
    OverwriteOldest,
}

/// One seat: how its speech reaches the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SeatSettings {
    /// Which seat.
    pub seat: SeatId,
    /// Button, microphone or both.
    pub input: InputKind,
    /// How the button maps to speaking (ignored for microphone-only seats).
    pub button_mode: ButtonMode,
    /// The level-source channel of the seat's microphone, numbered by the
    /// firmware (see `docs/hardware.md`); `None`: the firmware's default
    /// channel for this seat.
    pub mic_channel: Option<u8>,
}

impl SeatSettings {
    /// A hold-to-talk button seat.
    pub const fn button(seat: SeatId) -> Self {
        SeatSettings {
            seat,
            input: InputKind::Button,
            button_mode: ButtonMode::HoldToTalk,
            mic_channel: None,
        }
    }
}

/// Everything the laptop can configure on a device.
///
/// Contains [`DetectionParams`] as written into log headers, so a change to
/// those parameters is also a change of this protocol (see the versioning
/// rules in `docs/device-protocol.md`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceConfig {
    /// A name for the device, used e.g. to name pulled log files. May be empty.
    pub name: String<MAX_NAME_LEN>,
    /// The seats in use, each at most once.
    pub seats: Vec<SeatSettings, MAX_SEATS>,
    /// Detection parameters (thresholds, debounce, turn limits).
    pub params: DetectionParams,
    /// Show each seat's share on its LED.
    pub led_feedback: bool,
    /// What to do when the store is full.
    pub when_full: FullPolicy,
}

/// Why a [`DeviceConfig`] is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConfigProblem {
    /// The seat appears more than once.
    DuplicateSeat(SeatId),
    /// An `External` seat: the device has no way to sense it.
    ExternalSeat(SeatId),
    /// A button-only seat names a microphone channel.
    ChannelWithoutMicrophone(SeatId),
    /// The name contains a control character.
    NameNotPrintable,
}

impl core::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigProblem::DuplicateSeat(seat) => {
                write!(f, "seat {} is configured more than once", seat.get())
            }
            ConfigProblem::ExternalSeat(seat) => write!(
                f,
                "seat {} is `External`: a device can only sense buttons and microphones",
                seat.get()
            ),
            ConfigProblem::ChannelWithoutMicrophone(seat) => write!(
                f,
                "seat {} has a microphone channel but no microphone input",
                seat.get()
            ),
            ConfigProblem::NameNotPrintable => {
                f.write_str("the device name contains control characters")
            }
        }
    }
}

impl core::error::Error for ConfigProblem {}

impl DeviceConfig {
    /// Checks what the protocol itself can check; a device may refuse more
    /// (e.g. a channel its board does not have).
    ///
    /// ```
    /// use tabletalk_core::protocol::{DeviceConfig, SeatSettings, ConfigProblem};
    /// use tabletalk_core::seat::SeatId;
    /// let seat = SeatId::new(2).unwrap();
    /// let mut config = DeviceConfig::default();
    /// config.seats.push(SeatSettings::button(seat)).unwrap();
    /// assert_eq!(config.validate(), Ok(()));
    /// config.seats.push(SeatSettings::button(seat)).unwrap();
    /// assert_eq!(config.validate(), Err(ConfigProblem::DuplicateSeat(seat)));
    /// ```
    pub fn validate(&self) -> Result<(), ConfigProblem> {
        if self.name.chars().any(char::is_control) {
            return Err(ConfigProblem::NameNotPrintable);
        }
        let mut seen: u32 = 0;
        for seat in &self.seats {
            let bit = 1u32 << (seat.seat.index() % 32);
            if seen & bit != 0 {
                return Err(ConfigProblem::DuplicateSeat(seat.seat));
            }
            seen |= bit;
            match seat.input {
                InputKind::External => return Err(ConfigProblem::ExternalSeat(seat.seat)),
                InputKind::Button if seat.mic_channel.is_some() => {
                    return Err(ConfigProblem::ChannelWithoutMicrophone(seat.seat))
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The configuration of `seat`, if it is in use.
    pub fn seat(&self, seat: SeatId) -> Option<&SeatSettings> {
        self.seats.iter().find(|s| s.seat == seat)
    }
}
