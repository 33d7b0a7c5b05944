//! The USB link between a table device and the laptop: a small
//! request/response protocol over a byte stream (CDC-ACM serial), shared by
//! the firmware and the `tabletalk device` commands.
//!
//! The full specification, with example bytes, is `docs/device-protocol.md`.
//! In short:
//!
//! - **Framing** ([`frame`]): each message is postcard-encoded, followed by
//!   its CRC-32C, COBS-encoded and ended by a `0x00`. A receiver resyncs at
//!   the next `0x00` after garbage; damaged frames are dropped and counted.
//! - **Requests** ([`Request`], inside a [`RequestFrame`] with an id) go from
//!   the laptop to the device; the device answers each with a
//!   [`DeviceFrame::Reply`] carrying the same id and a [`Response`] (the
//!   success response for that request, or [`Response::Error`] with an
//!   [`ErrorCode`]). Every request is idempotent, so the laptop simply
//!   retries when a reply is lost.
//! - **Live stream**: after [`Request::Live`], the device also sends
//!   [`DeviceFrame::Live`] frames with turn events and heartbeats, numbered
//!   so the laptop notices losses.
//! - **Versions**: [`Request::Hello`] comes first; the reply says the
//!   device's [`ProtocolVersion`]. Same major version: compatible.
//! - **Sizes** are bounded: a message is at most [`MAX_MESSAGE`] bytes, a
//!   frame at most [`MAX_FRAME`], a session read at most [`MAX_CHUNK`].
//!
//! The device side is [`DeviceHandler`] plus a [`DeviceBackend`] that the
//! firmware implements over its flash store; encoding and decoding for the
//! laptop side are [`frame::encode`], [`frame::FrameDecoder`] and
//! [`decode_device_frame`].
//!
//! ```
//! use tabletalk_core::protocol::*;
//! // The laptop's first request (here from a 1.0 laptop) …
//! let host = ProtocolVersion { major: 1, minor: 0 };
//! let hello = RequestFrame { id: 1, request: Request::Hello { host } };
//! let mut wire = [0u8; MAX_FRAME];
//! let frame = frame::encode(&hello, &mut wire).unwrap();
//! // postcard: id 01, Hello 00, version 01 00; then the CRC-32C, COBS, 00.
//! assert_eq!(frame, &[0x02, 0x01, 0x02, 0x01, 0x05, 0x08, 0x79, 0x80, 0x86, 0x00]);
//! // … and how the device reads it back.
//! let mut decoder = frame::MessageDecoder::new();
//! let mut input = frame;
//! let message = decoder.feed(&mut input).unwrap().unwrap();
//! assert_eq!(decode_request(message).unwrap(), hello);
//! ```

pub mod clock;
pub mod config;
pub mod error;
pub mod frame;
pub mod handler;
pub mod message;

#[cfg(test)]
mod tests;

pub use clock::WallClock;
pub use config::{ConfigProblem, DeviceConfig, FullPolicy, SeatSettings};
pub use error::{Error, ErrorCode};
pub use handler::{DeviceBackend, DeviceHandler, DeviceIdentity, SessionRead};
pub use message::{
    decode_device_frame, decode_request, ClockSet, DeviceFrame, DeviceInfo, EraseScope, LiveUpdate,
    Mark, ProtocolVersion, RecordingState, Request, RequestFrame, Response, SessionChecksum,
    SessionData, SessionInfo, SessionPage, Status, StoredSessionId, SESSIONS_PER_PAGE,
};

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: ProtocolVersion = ProtocolVersion { major: 2, minor: 1 };

/// The most session bytes one read returns.
pub const MAX_CHUNK: usize = 512;

/// The longest postcard-encoded message either side sends or accepts.
pub const MAX_MESSAGE: usize = 600;

/// The longest decoded frame body: a message and its CRC.
pub const MAX_FRAME_PAYLOAD: usize = MAX_MESSAGE + crate::frame::CRC_LEN;

/// The longest frame on the wire: COBS adds one byte per 254 and one more,
/// then the `0x00` delimiter.
pub const MAX_FRAME: usize = crate::frame::max_wire_len(MAX_MESSAGE);

/// How a tabletalk device shows itself on USB, so the laptop can find it.
pub mod usb {
    /// USB vendor id (pid.codes, the open-source hardware vendor id).
    pub const VID: u16 = 0x1209;
    /// USB product id. The pid.codes test id until one is allocated: the
    /// laptop therefore also checks [`PRODUCT`].
    pub const PID: u16 = 0x0001;
    /// The USB product string; the laptop recognises a device by it.
    pub const PRODUCT: &str = "tabletalk";
    /// The USB manufacturer string.
    pub const MANUFACTURER: &str = "tabletalk";
}
