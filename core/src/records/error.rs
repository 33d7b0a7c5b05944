//! The one error type of the records and log layers.

/// Everything that can go wrong while encoding or decoding log records and
/// frames. Decoding errors describe *why a frame was not used*; the reader
/// reports them next to the damaged byte range and carries on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// The output buffer cannot hold what had to be written; nothing was changed.
    BufferTooSmall,
    /// The reader's scratch buffer is shorter than the log it should decode.
    ScratchTooSmall,
    /// The bytes end without the `0x00` that closes a frame (a write cut short).
    Unterminated,
    /// A COBS code byte points past the end of its frame.
    Cobs,
    /// The frame is too short to hold a version byte and a CRC.
    TooShort,
    /// The frame's CRC does not match its contents.
    Crc,
    /// The frame was written in a format version this decoder does not know.
    UnknownVersion(u8),
    /// The record kind (postcard enum tag) is newer than this decoder.
    UnknownRecord(u32),
    /// A field could not be decoded (bad varint, length past the end, bad UTF-8, …).
    Malformed,
    /// The record decoded but bytes were left over inside the frame.
    TrailingBytes,
    /// The header's schema key is not tabletalk's: this is not a tabletalk log.
    NotALog,
    /// A header lists no seat at all, or more than 255.
    SeatCount,
    /// A seat index is not below the session's seat count.
    SeatOutOfRange,
    /// An input-kind code that this decoder does not know.
    UnknownInputKind(u8),
    /// Seat labels must be given for every seat or for none.
    LabelCount,
    /// A seat label is longer than [`MAX_LABEL_LEN`](crate::records::MAX_LABEL_LEN) bytes.
    LabelTooLong,
    /// The tick length is zero.
    ZeroTick,
    /// The flush policy asks for batches of 0 or more than
    /// [`MAX_BATCH_TURNS`](crate::records::MAX_BATCH_TURNS) turns.
    FlushPolicy,
    /// A marker, condition, turn-end or notice code that this decoder does not know.
    UnknownCode(u8),
    /// A turn batch is empty or holds more than
    /// [`MAX_BATCH_TURNS`](crate::records::MAX_BATCH_TURNS) turns.
    BatchSize,
    /// A turn batch's bit stream is inconsistent (runs out, overflows, bad padding).
    BadBitstream,
    /// A turn ends before it starts.
    TurnEndsBeforeStart,
    /// A time does not fit in the log's 64-bit tick counter.
    TimeOverflow,
    /// The writer has already finished its session.
    Finished,
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::BufferTooSmall => f.write_str("output buffer too small"),
            Error::ScratchTooSmall => f.write_str("scratch buffer shorter than the log"),
            Error::Unterminated => f.write_str("frame not terminated (write cut short?)"),
            Error::Cobs => f.write_str("bad COBS encoding"),
            Error::TooShort => f.write_str("frame too short"),
            Error::Crc => f.write_str("CRC mismatch"),
            Error::UnknownVersion(v) => write!(f, "unknown format version {v}"),
            Error::UnknownRecord(t) => write!(f, "unknown record kind {t}"),
            Error::Malformed => f.write_str("malformed record"),
            Error::TrailingBytes => f.write_str("trailing bytes after record"),
            Error::NotALog => f.write_str("not a tabletalk log (schema key mismatch)"),
            Error::SeatCount => f.write_str("seat count must be 1..=255"),
            Error::SeatOutOfRange => f.write_str("seat index out of range"),
            Error::UnknownInputKind(c) => write!(f, "unknown input kind code {c}"),
            Error::LabelCount => f.write_str("seat labels must cover every seat or none"),
            Error::LabelTooLong => f.write_str("seat label too long"),
            Error::ZeroTick => f.write_str("tick length is zero"),
            Error::FlushPolicy => f.write_str("invalid flush policy"),
            Error::UnknownCode(c) => write!(f, "unknown code {c}"),
            Error::BatchSize => f.write_str("invalid turn batch size"),
            Error::BadBitstream => f.write_str("inconsistent turn bit stream"),
            Error::TurnEndsBeforeStart => f.write_str("turn ends before it starts"),
            Error::TimeOverflow => f.write_str("time overflows the tick counter"),
            Error::Finished => f.write_str("log writer already finished"),
        }
    }
}

impl core::error::Error for Error {}

impl From<postcard::Error> for Error {
    fn from(e: postcard::Error) -> Self {
        match e {
            postcard::Error::SerializeBufferFull => Error::BufferTooSmall,
            _ => Error::Malformed,
        }
    }
}
