//! Power-loss-safe flash storage for the device: the session log and the
//! configuration slot (feature `store`).
//!
//! Both work on any [`NorFlash`](embedded_storage::nor_flash::NorFlash)
//! (the RP2040's QSPI flash through embassy-rp on the device, [`RamFlash`]
//! in tests) and are blocking: on the RP2040 a flash write or erase stalls
//! the core anyway, since code runs from that same flash.
//!
//! - [`SessionStore`] keeps sessions of log frames (as the log writer emits
//!   them) in a ring of sectors. Each frame is one CRC-checked entry: after a
//!   power cut at any moment, mounting again finds every entry committed
//!   before the cut, the one being written whole or absent, and reports no
//!   corruption; recording continues in a fresh sector. When the flash is
//!   full it stops or drops the oldest sessions, as its [`FullPolicy`] says,
//!   and tells the caller, who writes a
//!   [`StoreNotice`](crate::records::StoreNotice) into the log.
//! - [`ConfigStore`] keeps the newest copy of the device configuration.
//! - [`RamFlash`] is NOR flash in RAM that can lose power after any number
//!   of bytes, for tests.
//!
//! The bytes on flash are specified in [`layout`].

mod config_store;
pub mod flash_map;
pub mod layout;
mod ram_flash;
mod region;
mod session_store;
#[cfg(test)]
mod tests;
mod walk;

pub use crate::protocol::{FullPolicy, StoredSessionId};
pub use config_store::ConfigStore;
pub use ram_flash::{CutStyle, FlashStats, RamFlash, RamFlashError, ERASE_UNITS};
pub use session_store::{
    Appended, Dropped, MountReport, SessionStore, StoredSession, StoredSessionState, Usage,
    DEFAULT_INDEX, FINAL_RESERVE,
};

/// Why a store operation failed. `E` is the flash driver's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StoreError<E> {
    /// The flash driver failed (on a [`RamFlash`]: the power was cut).
    Flash(E),
    /// No room: the store is full and its policy is [`FullPolicy::Stop`],
    /// or the session being recorded fills all of it.
    Full,
    /// The frame is longer than one sector can hold.
    TooLarge,
    /// No session is being recorded.
    NoSession,
    /// A session is being recorded (and would have to end first, or be
    /// erased).
    SessionOpen,
    /// No stored session has this id.
    UnknownSession,
    /// The read offset lies beyond the session's length.
    OffsetOutOfRange,
    /// The region holds fewer than two sectors.
    RegionTooSmall,
    /// The flash's geometry is not supported: a read size above 1, a write
    /// size above 32 or not dividing 32, sectors under 256 B or over 64 KiB,
    /// more than 65 535 sectors.
    UnsupportedFlash,
    /// A state the store's own checks rule out (a bug); nothing was written.
    Internal,
}

impl<E: core::fmt::Debug> core::fmt::Display for StoreError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreError::Flash(e) => write!(f, "flash error: {e:?}"),
            StoreError::Full => f.write_str("the session store is full"),
            StoreError::TooLarge => f.write_str("the frame is larger than a flash sector holds"),
            StoreError::NoSession => f.write_str("no session is being recorded"),
            StoreError::SessionOpen => f.write_str("a session is being recorded"),
            StoreError::UnknownSession => f.write_str("no such session is stored"),
            StoreError::OffsetOutOfRange => f.write_str("the offset lies beyond the session"),
            StoreError::RegionTooSmall => {
                f.write_str("the flash region holds fewer than two sectors")
            }
            StoreError::UnsupportedFlash => f.write_str("the flash geometry is not supported"),
            StoreError::Internal => f.write_str("internal store error"),
        }
    }
}

impl<E: core::fmt::Debug> core::error::Error for StoreError<E> {}
