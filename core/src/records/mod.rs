//! Log records: what a session log contains, and their postcard encoding.
//!
//! A session is a [`Header`], then any number of [`TurnBatch`]es,
//! [`MarkerRecord`]s, [`ConditionRecord`]s, [`StoreNotice`]s and
//! [`SessionEssentials`], then a [`SessionEnd`]. Every record names its [`SessionId`], so records of two
//! sessions are never mixed, and every record decodes on its own.
//!
//! Times are session-relative [`Tick`]s (the header gives the tick length in
//! ms), so the device's wrapping `u32` millisecond counter never shows here.
//!
//! ## Evolution
//!
//! [`Record`] is append-only: a new kind of record gets the next variant
//! index, and existing variants never change their encoding. A change to an
//! existing record's layout needs a new format version (the first byte of
//! every frame, see [`log`](crate::log)); the decoder dispatches on it, so
//! logs written in every earlier version keep decoding. The golden logs in
//! `core/tests/golden/` pin this: they must decode in every later version.
//! See `docs/log-format.md` for the byte-level specification.
//!
//! Records are views: a decoded [`Header`]'s labels and a [`TurnBatch`]'s
//! bit stream borrow the bytes they were decoded from (no allocation, and
//! hostile input is rejected in bounded time and memory).

mod batch;
mod bits;
mod codes;
mod error;
mod essentials;
mod events;
mod header;
mod params_wire;
mod session;

pub(crate) use batch::BatchEncoder;
pub use batch::{seat_bits, BatchTurns, LoggedTurn, TurnBatch, MAX_BATCH_TURNS};
pub use codes::WireCode;
pub use error::Error;
pub use essentials::{header_check, SessionEssentials};
pub use events::{ConditionRecord, MarkerRecord, SessionEnd, StoreEvent, StoreNotice};
pub use header::{
    fit_label, FlushPolicy, Header, SeatLabels, Seats, MAX_LABEL_LEN, MAX_LOG_SEATS, SCHEMA_KEY,
};
pub use session::SessionId;

use serde::{Deserialize, Serialize, Serializer};

/// A point in session time, counted in the header's ticks from tick 0.
pub type Tick = u64;

/// The format version this code writes. Decoders accept every version up to
/// and including it.
pub const FORMAT_VERSION: u8 = 1;

/// One log record (format version 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Record<'a> {
    /// Opens a session (variant 0).
    Header(Header<'a>),
    /// Whole turns (variant 1).
    Turns(TurnBatch<'a>),
    /// A session marker (variant 2).
    Marker(MarkerRecord),
    /// An input condition (variant 3).
    Condition(ConditionRecord),
    /// A note from the log store about lost data (variant 4).
    Notice(StoreNotice),
    /// Closes a session (variant 5).
    End(SessionEnd),
    /// What a reader needs of the header to use the session's turns
    /// without it (variant 6; appended to version 1).
    Essentials(SessionEssentials),
}

/// Variant indices of [`Record`] on the wire. Append only.
pub(crate) mod tag {
    pub const HEADER: u32 = 0;
    pub const TURNS: u32 = 1;
    pub const MARKER: u32 = 2;
    pub const CONDITION: u32 = 3;
    pub const NOTICE: u32 = 4;
    pub const END: u32 = 5;
    pub const ESSENTIALS: u32 = 6;
    /// One past the last known variant.
    pub const KNOWN: u32 = 7;
}

impl<'a> Record<'a> {
    /// The session the record belongs to.
    pub const fn session(&self) -> SessionId {
        match self {
            Record::Header(h) => h.session,
            Record::Turns(b) => b.session(),
            Record::Marker(m) => m.session,
            Record::Condition(c) => c.session,
            Record::Notice(n) => n.session,
            Record::End(e) => e.session,
            Record::Essentials(e) => e.session,
        }
    }

    /// Decodes a version-1 record from its postcard bytes (a frame's payload
    /// without the version byte and CRC), validating every field.
    ///
    /// ```
    /// use tabletalk_core::records::{MarkerRecord, Record, SessionId};
    /// use tabletalk_core::turns::MarkerKind;
    ///
    /// // variant 2 (marker), session 7 nonce 0xBEEF, tick 300, kind 4 (agenda)
    /// let bytes = [0x02, 0x07, 0xEF, 0xBE, 0xAC, 0x02, 0x04];
    /// let session = SessionId { number: 7, nonce: 0xBEEF };
    /// assert_eq!(
    ///     Record::parse(&bytes),
    ///     Ok(Record::Marker(MarkerRecord { session, at: 300, kind: MarkerKind::Agenda }))
    /// );
    /// ```
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        // Check the variant first, so a newer record kind is reported as
        // such and not as garbage; and the schema key before any other
        // header field, so "not a log" is what a foreign header reports.
        let (variant, rest) =
            postcard::take_from_bytes::<u32>(bytes).map_err(|_| Error::Malformed)?;
        if variant >= tag::KNOWN {
            return Err(Error::UnknownRecord(variant));
        }
        if variant == tag::HEADER && rest.get(..SCHEMA_KEY.len()) != Some(&SCHEMA_KEY[..]) {
            return Err(Error::NotALog);
        }
        let (raw, rest) = postcard::take_from_bytes::<RawRecord<'a>>(bytes)?;
        if !rest.is_empty() {
            return Err(Error::TrailingBytes);
        }
        Ok(match raw {
            RawRecord::Header(h) => Record::Header(Header::parse(h)?),
            RawRecord::Turns(b) => Record::Turns(TurnBatch::parse(b)?),
            RawRecord::Marker(m) => Record::Marker(MarkerRecord::parse(m)?),
            RawRecord::Condition(c) => Record::Condition(ConditionRecord::parse(c)?),
            RawRecord::Notice(n) => Record::Notice(StoreNotice::parse(n)?),
            RawRecord::End(e) => Record::End(SessionEnd::parse(e)),
            RawRecord::Essentials(e) => Record::Essentials(SessionEssentials::parse(e)?),
        })
    }

    /// Encodes the record's postcard bytes into `buf`, returning their length.
    ///
    /// ```
    /// use tabletalk_core::records::{Record, SessionEnd, SessionId};
    ///
    /// let end = SessionEnd { session: SessionId { number: 1, nonce: 2 }, at: 1000, turns: 40, batches: 2 };
    /// let mut buf = [0u8; 16];
    /// let n = Record::End(end).emit(&mut buf)?;
    /// // variant 5, number 1, nonce 02 00, tick 1000 = E8 07, 40 turns, 2 batches
    /// assert_eq!(&buf[..n], &[0x05, 0x01, 0x02, 0x00, 0xE8, 0x07, 0x28, 0x02]);
    /// # Ok::<(), tabletalk_core::records::Error>(())
    /// ```
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if let Record::Header(h) = self {
            h.validate()?;
        }
        Ok(postcard::to_slice(self, buf)?.len())
    }
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Header(h) => s.serialize_newtype_variant("Record", tag::HEADER, "Header", h),
            Record::Turns(b) => s.serialize_newtype_variant("Record", tag::TURNS, "Turns", b),
            Record::Marker(m) => s.serialize_newtype_variant("Record", tag::MARKER, "Marker", m),
            Record::Condition(c) => {
                s.serialize_newtype_variant("Record", tag::CONDITION, "Condition", c)
            }
            Record::Notice(n) => s.serialize_newtype_variant("Record", tag::NOTICE, "Notice", n),
            Record::End(e) => s.serialize_newtype_variant("Record", tag::END, "End", e),
            Record::Essentials(e) => {
                s.serialize_newtype_variant("Record", tag::ESSENTIALS, "Essentials", e)
            }
        }
    }
}

/// Records as they come off the wire, before validation. The variant order
/// must match [`tag`].
#[derive(Deserialize)]
enum RawRecord<'a> {
    Header(#[serde(borrow)] header::RawHeader<'a>),
    Turns(#[serde(borrow)] batch::RawBatch<'a>),
    Marker((SessionId, Tick, u8)),
    Condition((SessionId, u8, Tick, u8)),
    Notice((SessionId, Tick, u8, u32)),
    End((SessionId, Tick, u32, u32)),
    Essentials(essentials::RawEssentials),
}
