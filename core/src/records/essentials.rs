//! The session essentials: what a reader needs to decode and place a
//! session's turns when its header is lost.

use postcard::ser_flavors::Flavor;
use serde::{Serialize, Serializer};

use crate::frame::CRC32C;
use crate::records::{Error, Header, Record, SessionId, FORMAT_VERSION, SCHEMA_KEY};

/// A small copy of what matters in a session's [`Header`], written apart
/// from it (after the session's first and second turn batches and again
/// every [`ESSENTIALS_EVERY`](crate::log::ESSENTIALS_EVERY) batches), so that a
/// damaged header loses only the detection parameters and the labels, never
/// the session's turns. Record variant 6, appended to format version 1.
///
/// `header_check` is the CRC-32C of the header's frame (the four bytes that
/// end it, see [`header_check`]): a reader that has the header can tell
/// whether these essentials are its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionEssentials {
    /// The session.
    pub session: SessionId,
    /// The header's device id.
    pub device_id: u64,
    /// The header's tick length (ms, at least 1).
    pub tick_ms: u16,
    /// The header's wall-clock start (Unix ms), if any.
    pub started_at_unix_ms: Option<u64>,
    /// The header's seat count (1..=255).
    pub seat_count: u8,
    /// The CRC-32C of the header's frame.
    pub header_check: u32,
}

impl Serialize for SessionEssentials {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (
            self.session,
            self.device_id,
            self.tick_ms,
            self.started_at_unix_ms,
            self.seat_count,
            self.header_check.to_le_bytes(),
        )
            .serialize(s)
    }
}

/// The essentials as they come off the wire.
pub(crate) type RawEssentials = (SessionId, u64, u16, Option<u64>, u8, [u8; 4]);

impl SessionEssentials {
    /// The essentials of `header`. Errors as [`Header::validate`].
    ///
    /// ```
    /// use tabletalk_core::records::{header_check, Header, Seats, SessionEssentials, SessionId};
    /// use tabletalk_core::seat::InputKind;
    ///
    /// let kinds = [InputKind::Button; 3];
    /// let header = Header::new(SessionId { number: 4, nonce: 9 }, 77, Seats::new(&kinds)?);
    /// let essentials = SessionEssentials::of(&header)?;
    /// assert_eq!((essentials.seat_count, essentials.tick_ms), (3, 10));
    /// assert_eq!(essentials.header_check, header_check(&header)?);
    /// assert!(essentials.matches(&header));
    /// # Ok::<(), tabletalk_core::records::Error>(())
    /// ```
    pub fn of(header: &Header<'_>) -> Result<Self, Error> {
        Ok(SessionEssentials {
            session: header.session,
            device_id: header.device_id,
            tick_ms: header.tick_ms,
            started_at_unix_ms: header.started_at_unix_ms,
            seat_count: header.seats.count(),
            header_check: header_check(header)?,
        })
    }

    /// True when these are the essentials of `header` (as this version
    /// encodes it; compare with a header frame's own CRC, as
    /// [`LogReader::last_crc`](crate::log::LogReader::last_crc) gives it,
    /// to match the header exactly as it was written).
    pub fn matches(&self, header: &Header<'_>) -> bool {
        header_check(header).is_ok_and(|c| c == self.header_check) && self.session == header.session
    }

    pub(crate) fn parse(raw: RawEssentials) -> Result<Self, Error> {
        let (session, device_id, tick_ms, started_at_unix_ms, seat_count, check) = raw;
        if tick_ms == 0 {
            return Err(Error::ZeroTick);
        }
        if seat_count == 0 {
            return Err(Error::SeatCount);
        }
        Ok(SessionEssentials {
            session,
            device_id,
            tick_ms,
            started_at_unix_ms,
            seat_count,
            header_check: u32::from_le_bytes(check),
        })
    }
}

/// Feeds postcard's output into the CRC only.
struct CheckFlavor(crc::Digest<'static, u32>);

impl Flavor for CheckFlavor {
    type Output = u32;

    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        self.0.update(&[b]);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<u32> {
        Ok(self.0.finalize())
    }
}

/// The CRC-32C that ends `header`'s frame: over the schema key, the
/// format version and the header record, exactly as every frame's CRC.
/// Computed as the record is serialized, without a buffer.
pub fn header_check(header: &Header<'_>) -> Result<u32, Error> {
    header.validate()?;
    let mut digest = CRC32C.digest();
    digest.update(&SCHEMA_KEY);
    digest.update(&[FORMAT_VERSION]);
    Ok(postcard::serialize_with_flavor(
        &Record::Header(*header),
        CheckFlavor(digest),
    )?)
}
