//! The device side of the protocol, independent of USB and of flash: bytes
//! in, a [`DeviceBackend`] to do the work, reply frames out.
//!
//! The firmware implements [`DeviceBackend`] over its flash store and clock;
//! the laptop's tests implement it over memory. Both run this same
//! [`DeviceHandler`], so what the tests check is what the device does.
//!
//! ```
//! use tabletalk_core::protocol::*;
//! # struct Backend;
//! # impl DeviceBackend for Backend {
//! #     fn identity(&mut self) -> DeviceIdentity { DeviceIdentity::default() }
//! #     fn status(&mut self) -> Status { unimplemented!() }
//! #     fn next_session(&mut self, _: Option<StoredSessionId>) -> Result<Option<SessionInfo>, ErrorCode> { Ok(None) }
//! #     fn read_session(&mut self, _: StoredSessionId, _: u32, _: &mut [u8]) -> Result<SessionRead, ErrorCode> { Err(ErrorCode::NoSuchSession) }
//! #     fn erase(&mut self, _: EraseScope) -> Result<u16, ErrorCode> { Ok(0) }
//! #     fn config(&mut self) -> Result<DeviceConfig, ErrorCode> { Ok(DeviceConfig::default()) }
//! #     fn set_config(&mut self, _: &DeviceConfig) -> Result<(), ErrorCode> { Ok(()) }
//! #     fn set_clock(&mut self, _: u64) -> Result<ClockSet, ErrorCode> { Err(ErrorCode::Unsupported) }
//! # }
//! # let mut backend = Backend;
//! # let mut host_out = [0u8; MAX_FRAME];
//! # let hello = RequestFrame { id: 1, request: Request::Hello { host: PROTOCOL_VERSION } };
//! # let received_from_usb = frame::encode(&hello, &mut host_out).unwrap();
//! let mut handler = DeviceHandler::new();
//! let mut reply = [0u8; MAX_FRAME];
//! // In the USB task: for each packet received …
//! let mut input: &[u8] = received_from_usb;
//! while let Some(frame) = handler.receive(&mut input, &mut backend, &mut reply) {
//!     // … write `frame` to the USB serial port.
//!     # assert_eq!(frame.last(), Some(&0));
//! }
//! ```

use heapless::String;

use super::config::{DeviceConfig, MAX_NAME_LEN};
use super::error::ErrorCode;
use super::frame::{self, MessageDecoder};
use super::message::{
    decode_request, ClockSet, DeviceFrame, DeviceInfo, EraseScope, LiveUpdate, Mark, Request,
    Response, SessionChecksum, SessionData, SessionInfo, SessionPage, Status, StoredSessionId,
    SESSIONS_PER_PAGE,
};
use super::{MAX_CHUNK, MAX_FRAME, PROTOCOL_VERSION};
use crate::frame::CRC32C;

/// Who the device is, for [`Request::Hello`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// A number unique to the device (the RP2040's flash unique id).
    pub device_id: u64,
    /// The firmware's version.
    pub firmware: String<24>,
    /// The configured name.
    pub name: String<MAX_NAME_LEN>,
}

/// What a [`DeviceBackend::read_session`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionRead {
    /// Bytes copied into the buffer, from its start.
    pub copied: usize,
    /// The session's length now.
    pub session_len: u32,
}

/// What the device does on request. Every method may fail with an
/// [`ErrorCode`], which the laptop is told.
///
/// Methods are blocking: on the RP2040, flash writes and erases stall the
/// core anyway (code runs from that flash), and reads are memory-mapped.
pub trait DeviceBackend {
    /// The device's identity (id, firmware version, name).
    fn identity(&mut self) -> DeviceIdentity;

    /// The current status; `device_ms` is the counter now.
    fn status(&mut self) -> Status;

    /// The stored session with the smallest id greater than `after` (the
    /// oldest, if `after` is `None`), or `None` if there is none.
    fn next_session(
        &mut self,
        after: Option<StoredSessionId>,
    ) -> Result<Option<SessionInfo>, ErrorCode>;

    /// Copies the bytes of `session`'s log from `offset` into `buf`, as many
    /// as fit or remain. An `offset` equal to the length copies nothing; one
    /// beyond it is [`ErrorCode::OffsetOutOfRange`]; an unknown session is
    /// [`ErrorCode::NoSuchSession`].
    fn read_session(
        &mut self,
        session: StoredSessionId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<SessionRead, ErrorCode>;

    /// Erases sessions; returns how many. A session being recorded is not
    /// erased: [`EraseScope::All`] keeps it, [`EraseScope::Through`] one
    /// that covers it fails with [`ErrorCode::Busy`] and erases nothing.
    fn erase(&mut self, scope: EraseScope) -> Result<u16, ErrorCode>;

    /// The stored configuration.
    fn config(&mut self) -> Result<DeviceConfig, ErrorCode>;

    /// Stores and applies a configuration (already checked with
    /// [`DeviceConfig::validate`]); refuse what the board cannot do with
    /// [`ErrorCode::InvalidConfig`] or [`ErrorCode::Unsupported`].
    fn set_config(&mut self, config: &DeviceConfig) -> Result<(), ErrorCode>;

    /// Sets the wall clock to `unix_ms` as of now (see
    /// [`WallClock`](super::WallClock)).
    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode>;

    /// Sets `mark` in the session being recorded, now, and says which
    /// session that is; [`ErrorCode::Busy`] when none is. A backend that
    /// cannot mark answers [`ErrorCode::Unsupported`] (the default).
    fn mark(&mut self, mark: Mark) -> Result<StoredSessionId, ErrorCode> {
        let _ = mark;
        Err(ErrorCode::Unsupported)
    }
}

/// Wall-clock values the device refuses: before 2000-01-01 (an unset laptop
/// clock) or after 2200-01-01.
const PLAUSIBLE_UNIX_MS: core::ops::Range<u64> = 946_684_800_000..7_258_118_400_000;

/// The device end of the protocol: decodes request frames, calls the
/// backend, encodes replies; and encodes live updates while the laptop is
/// subscribed. About 1.2 KiB of state.
#[derive(Clone, Debug)]
pub struct DeviceHandler {
    decoder: MessageDecoder,
    chunk: [u8; MAX_CHUNK],
    subscribed: bool,
    live_seq: u32,
    frame_errors: u32,
}

impl Default for DeviceHandler {
    fn default() -> Self {
        Self::new()
    }
}

impl DeviceHandler {
    /// A handler with no partial frame and no subscription.
    pub const fn new() -> Self {
        DeviceHandler {
            decoder: MessageDecoder::new(),
            chunk: [0; MAX_CHUNK],
            subscribed: false,
            live_seq: 0,
            frame_errors: 0,
        }
    }

    /// Forgets the partial frame and the subscription: call when the USB
    /// host goes away (DTR dropped, bus reset).
    pub fn reset(&mut self) {
        self.decoder.reset();
        self.subscribed = false;
    }

    /// Whether the laptop asked for live updates.
    pub const fn is_subscribed(&self) -> bool {
        self.subscribed
    }

    /// Frames that arrived damaged (bad CRC, truncated, too long) and were
    /// dropped unanswered; the laptop retries those.
    pub const fn frame_errors(&self) -> u32 {
        self.frame_errors
    }

    /// Consumes received bytes from `input` until a request is complete and
    /// returns the reply frame to send (a prefix of `out`). Returns `None`
    /// when `input` is used up; call again with the next bytes. Damaged
    /// frames are dropped silently (they have no trustworthy id to answer).
    pub fn receive<'o, B: DeviceBackend>(
        &mut self,
        input: &mut &[u8],
        backend: &mut B,
        out: &'o mut [u8; MAX_FRAME],
    ) -> Option<&'o [u8]> {
        loop {
            let request = match self.decoder.feed(input)? {
                Ok(message) => decode_request(message),
                Err(_) => {
                    self.frame_errors = self.frame_errors.wrapping_add(1);
                    continue;
                }
            };
            let (id, request) = match request {
                Ok(frame) => (frame.id, frame.request),
                Err((Some(id), code)) => return encode_reply(id, Response::Error(code), out),
                Err((None, _)) => continue,
            };
            return self.handle(id, &request, backend, out);
        }
    }

    /// Answers one decoded request; returns the reply frame.
    pub fn handle<'o, B: DeviceBackend>(
        &mut self,
        id: u16,
        request: &Request,
        backend: &mut B,
        out: &'o mut [u8; MAX_FRAME],
    ) -> Option<&'o [u8]> {
        let response = match self.respond(request, backend) {
            Ok(response) => response,
            Err(code) => Response::Error(code),
        };
        encode_reply(id, response, out)
    }

    fn respond<'s, B: DeviceBackend>(
        &'s mut self,
        request: &Request,
        backend: &mut B,
    ) -> Result<Response<'s>, ErrorCode> {
        Ok(match *request {
            Request::Hello { host: _ } => {
                self.subscribed = false;
                let identity = backend.identity();
                Response::Hello(DeviceInfo {
                    protocol: PROTOCOL_VERSION,
                    device_id: identity.device_id,
                    firmware: identity.firmware,
                    name: identity.name,
                    max_chunk: MAX_CHUNK as u16,
                })
            }
            Request::Status => Response::Status(backend.status()),
            Request::ListSessions { after } => Response::Sessions(list_page(backend, after)?),
            Request::ReadSession {
                session,
                offset,
                max_len,
            } => {
                let want = usize::from(max_len).min(MAX_CHUNK);
                let buf = self.chunk.get_mut(..want).ok_or(ErrorCode::Malformed)?;
                let read = backend.read_session(session, offset, buf)?;
                let data = self.chunk.get(..read.copied).ok_or(ErrorCode::Storage)?;
                let end = u64::from(offset) + data.len() as u64;
                if end > u64::from(read.session_len) {
                    return Err(ErrorCode::Storage); // the backend contradicts itself
                }
                Response::Data(SessionData {
                    session,
                    offset,
                    session_len: read.session_len,
                    data,
                })
            }
            Request::SessionChecksum { session } => {
                Response::Checksum(self.checksum(session, backend)?)
            }
            Request::Erase { scope } => Response::Erased {
                sessions: backend.erase(scope)?,
            },
            Request::SetClock { unix_ms } => {
                if !PLAUSIBLE_UNIX_MS.contains(&unix_ms) {
                    return Err(ErrorCode::InvalidClock);
                }
                Response::ClockSet(backend.set_clock(unix_ms)?)
            }
            Request::GetConfig => Response::Config(backend.config()?),
            Request::SetConfig { ref config } => {
                config.validate().map_err(|_| ErrorCode::InvalidConfig)?;
                backend.set_config(config)?;
                Response::Config(backend.config()?)
            }
            Request::Live { subscribe } => {
                if subscribe && !self.subscribed {
                    self.live_seq = 0;
                }
                self.subscribed = subscribe;
                Response::Live {
                    subscribed: subscribe,
                }
            }
            Request::Mark { mark } => Response::Marked {
                session: backend.mark(mark)?,
            },
        })
    }

    /// CRC-32C of a whole session, read through the backend in chunks.
    fn checksum<B: DeviceBackend>(
        &mut self,
        session: StoredSessionId,
        backend: &mut B,
    ) -> Result<SessionChecksum, ErrorCode> {
        let mut digest = CRC32C.digest();
        let mut offset: u32 = 0;
        loop {
            let read = backend.read_session(session, offset, &mut self.chunk)?;
            let data = self.chunk.get(..read.copied).ok_or(ErrorCode::Storage)?;
            digest.update(data);
            let copied = u32::try_from(read.copied).map_err(|_| ErrorCode::Storage)?;
            offset = offset.checked_add(copied).ok_or(ErrorCode::Storage)?;
            if offset >= read.session_len {
                // A recording session may grow between reads: sum what was
                // there when we got to its end.
                return Ok(SessionChecksum {
                    session,
                    len: offset,
                    crc32c: digest.finalize(),
                });
            }
            if copied == 0 {
                return Err(ErrorCode::Storage); // no progress: would loop forever
            }
        }
    }

    /// Encodes a live update if the laptop is subscribed; returns the frame
    /// to send, or `None` when nobody listens. Each call while subscribed
    /// uses the next sequence number, so drop a frame you cannot send
    /// rather than queueing it: the laptop notices the gap.
    pub fn live<'o>(
        &mut self,
        update: &LiveUpdate,
        out: &'o mut [u8; MAX_FRAME],
    ) -> Option<&'o [u8]> {
        if !self.subscribed {
            return None;
        }
        let seq = self.live_seq;
        self.live_seq = seq.wrapping_add(1);
        frame::encode(
            &DeviceFrame::Live {
                seq,
                update: *update,
            },
            out.as_mut_slice(),
        )
        .ok()
    }
}

fn list_page<B: DeviceBackend>(
    backend: &mut B,
    mut after: Option<StoredSessionId>,
) -> Result<SessionPage, ErrorCode> {
    let mut page = SessionPage {
        sessions: heapless::Vec::new(),
        more: false,
    };
    while let Some(info) = backend.next_session(after)? {
        if after.is_some_and(|after| info.id <= after) {
            return Err(ErrorCode::Storage); // not increasing: would loop forever
        }
        if page.sessions.len() == SESSIONS_PER_PAGE {
            page.more = true;
            break;
        }
        after = Some(info.id);
        page.sessions.push(info).map_err(|_| ErrorCode::Storage)?;
    }
    Ok(page)
}

fn encode_reply<'o>(
    id: u16,
    response: Response<'_>,
    out: &'o mut [u8; MAX_FRAME],
) -> Option<&'o [u8]> {
    let reply = DeviceFrame::Reply { id, response };
    let len = match frame::encoded_len(&reply, out.as_mut_slice()) {
        Ok(len) => Some(len),
        // Only a backend handing out an oversized value (e.g. a config with
        // detection parameters beyond the protocol's bounds) gets here; the
        // laptop still learns that something is wrong.
        Err(_) => frame::encoded_len(
            &DeviceFrame::Reply {
                id,
                response: Response::Error(ErrorCode::Storage),
            },
            out.as_mut_slice(),
        )
        .ok(),
    }?;
    out.get(..len)
}
