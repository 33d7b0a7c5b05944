//! Session identity: carried by every record so that records of two sessions
//! are never mixed, even when a header is lost or logs are concatenated.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which session a record belongs to.
///
/// `number` counts sessions on one device (the firmware keeps it in flash);
/// `nonce` is 16 random bits drawn when the session starts, so that two
/// devices that both reach session 7, or a device whose counter was reset,
/// still give different identities (a chance collision is 1 in 65 536 and
/// the device id in the header tells such sessions apart anyway).
///
/// On the wire: `number` as a varint, then `nonce` as two bytes,
/// little-endian (random bits do not shrink as a varint).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionId {
    /// Per-device session counter.
    pub number: u32,
    /// Random bits drawn at session start.
    pub nonce: u16,
}

impl Serialize for SessionId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (self.number, self.nonce.to_le_bytes()).serialize(s)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let (number, nonce) = <(u32, [u8; 2])>::deserialize(d)?;
        Ok(SessionId {
            number,
            nonce: u16::from_le_bytes(nonce),
        })
    }
}

impl core::fmt::Display for SessionId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}-{:04x}", self.number, self.nonce)
    }
}
