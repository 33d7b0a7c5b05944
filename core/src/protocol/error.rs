//! The two kinds of failure: what goes wrong locally while framing or
//! parsing ([`Error`]), and what a device answers when it cannot do what was
//! asked ([`ErrorCode`], sent on the wire).

use core::fmt;

use serde::{Deserialize, Serialize};

/// Something went wrong while encoding or decoding a frame or message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A frame was longer than the receive buffer; it was dropped whole.
    FrameTooLong,
    /// A frame ended inside a COBS block: bytes were lost on the line.
    FrameTruncated,
    /// A frame was too short to hold its CRC.
    FrameTooShort,
    /// A frame's CRC did not match its contents.
    BadChecksum,
    /// A frame was intact but its contents are not a message of this
    /// protocol version (or have trailing bytes).
    Malformed,
    /// A frame holds a message kind newer than this side knows.
    UnknownMessage,
    /// The output buffer is too small for the frame.
    BufferTooSmall,
    /// The message encodes to more than [`MAX_MESSAGE`](super::MAX_MESSAGE)
    /// bytes, which the peer could not receive.
    MessageTooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::FrameTooLong => "frame longer than the receive buffer",
            Error::FrameTruncated => "frame cut short (bytes lost on the line)",
            Error::FrameTooShort => "frame too short to hold a checksum",
            Error::BadChecksum => "frame checksum mismatch (corrupted on the line)",
            Error::Malformed => "frame does not hold a valid message",
            Error::UnknownMessage => "message kind from a newer protocol version",
            Error::BufferTooSmall => "output buffer too small for the frame",
            Error::MessageTooLarge => "message larger than the protocol allows",
        })
    }
}

impl core::error::Error for Error {}

/// Why a device refused a request: the body of an error response.
///
/// On the wire a single byte (see `docs/device-protocol.md`). Codes are
/// never reused; a code this version does not know decodes as
/// [`ErrorCode::Other`], so older hosts can still show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "u8", into = "u8")]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorCode {
    /// 1: the request frame was intact but its contents could not be parsed.
    Malformed,
    /// 2: the request kind is newer than the device's protocol version.
    UnsupportedRequest,
    /// 3: no session with that id is stored (erased, overwritten, never was).
    NoSuchSession,
    /// 4: a read started past the end of the session.
    OffsetOutOfRange,
    /// 5: the device cannot do this now (e.g. erase the session it records).
    Busy,
    /// 6: the flash store failed.
    Storage,
    /// 7: the configuration was refused (duplicate seat, unknown channel, …).
    InvalidConfig,
    /// 8: the clock value was refused (e.g. before 2000-01-01).
    InvalidClock,
    /// 9: the request is known but this device or board cannot do it.
    Unsupported,
    /// A code this version does not know.
    Other(u8),
}

impl From<u8> for ErrorCode {
    fn from(code: u8) -> Self {
        match code {
            1 => ErrorCode::Malformed,
            2 => ErrorCode::UnsupportedRequest,
            3 => ErrorCode::NoSuchSession,
            4 => ErrorCode::OffsetOutOfRange,
            5 => ErrorCode::Busy,
            6 => ErrorCode::Storage,
            7 => ErrorCode::InvalidConfig,
            8 => ErrorCode::InvalidClock,
            9 => ErrorCode::Unsupported,
            other => ErrorCode::Other(other),
        }
    }
}

impl From<ErrorCode> for u8 {
    fn from(code: ErrorCode) -> u8 {
        match code {
            ErrorCode::Malformed => 1,
            ErrorCode::UnsupportedRequest => 2,
            ErrorCode::NoSuchSession => 3,
            ErrorCode::OffsetOutOfRange => 4,
            ErrorCode::Busy => 5,
            ErrorCode::Storage => 6,
            ErrorCode::InvalidConfig => 7,
            ErrorCode::InvalidClock => 8,
            ErrorCode::Unsupported => 9,
            ErrorCode::Other(other) => other,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Malformed => f.write_str("the device could not parse the request"),
            ErrorCode::UnsupportedRequest => {
                f.write_str("the device's firmware is too old for this request")
            }
            ErrorCode::NoSuchSession => f.write_str("no such session on the device"),
            ErrorCode::OffsetOutOfRange => f.write_str("read past the end of the session"),
            ErrorCode::Busy => f.write_str("the device is busy (recording?)"),
            ErrorCode::Storage => f.write_str("the device's flash store failed"),
            ErrorCode::InvalidConfig => f.write_str("the device refused the configuration"),
            ErrorCode::InvalidClock => f.write_str("the device refused the clock value"),
            ErrorCode::Unsupported => f.write_str("this device cannot do that"),
            ErrorCode::Other(code) => write!(f, "device error code {code}"),
        }
    }
}

impl core::error::Error for ErrorCode {}
