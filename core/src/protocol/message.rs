//! Every message of the protocol, as postcard encodes them.
//!
//! The order of enum variants and struct fields *is* the wire format
//! (postcard writes a variant's index as a varint and fields in order):
//! never reorder, remove or change them within a major version. New request
//! and response kinds are appended at the end (a minor version). What is
//! frozen across *all* versions is marked so: it is what lets two sides of
//! different versions find out that they differ.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use super::config::DeviceConfig;
use super::error::{Error, ErrorCode};
use crate::time::{Instant, SessionMs};
use crate::turns::Event;

/// A protocol version. Sides with the same `major` can talk; `minor` says
/// which appended messages a side knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ProtocolVersion {
    /// Incompatible changes.
    pub major: u8,
    /// Appended messages.
    pub minor: u8,
}

impl ProtocolVersion {
    /// Whether a side speaking `self` can talk to one speaking `other`.
    pub const fn compatible_with(self, other: ProtocolVersion) -> bool {
        self.major == other.major
    }
}

impl core::fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A stored session's number: assigned by the device in increasing order,
/// never reused until the store is erased completely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StoredSessionId(pub u32);

/// A request from the laptop, with the id its reply will carry.
///
/// Frozen across all versions: `id` first, then the request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestFrame {
    /// Chosen by the laptop; echoed in the reply.
    pub id: u16,
    /// What is asked.
    pub request: Request,
}

/// What the laptop can ask. Every request is safe to repeat (a retry after a
/// lost reply does no harm).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
// No allocator to box `SetConfig`'s configuration, and a request is decoded
// one at a time (never stored in bulk): its size costs one stack slot.
#[allow(clippy::large_enum_variant)]
pub enum Request {
    /// 0 (frozen): which protocol, which device? Also ends a live
    /// subscription left over from an earlier connection.
    Hello {
        /// The laptop's protocol version.
        host: ProtocolVersion,
    },
    /// 1: what is the device doing, how full is its store?
    Status,
    /// 2: the next page of stored sessions, oldest first, with ids greater
    /// than `after` (all, from the oldest, if `None`).
    ListSessions {
        /// The last id of the previous page.
        after: Option<StoredSessionId>,
    },
    /// 3: up to `max_len` bytes of a session's log from byte `offset`.
    ReadSession {
        /// Which session.
        session: StoredSessionId,
        /// First byte to read.
        offset: u32,
        /// At most this many bytes (the device may send fewer; never more
        /// than [`MAX_CHUNK`](super::MAX_CHUNK)).
        max_len: u16,
    },
    /// 4: the length and CRC-32C of a whole session, to verify a pull or
    /// recognise a session pulled before.
    SessionChecksum {
        /// Which session.
        session: StoredSessionId,
    },
    /// 5: erase sessions.
    Erase {
        /// Which.
        scope: EraseScope,
    },
    /// 6: the wall-clock time now, in Unix milliseconds.
    SetClock {
        /// Milliseconds since 1970-01-01T00:00:00Z.
        unix_ms: u64,
    },
    /// 7: the current configuration.
    GetConfig,
    /// 8: replace the configuration; the reply holds the stored one.
    SetConfig {
        /// The new configuration.
        config: DeviceConfig,
    },
    /// 9: start or stop the live stream of turn events.
    Live {
        /// `true` to start, `false` to stop.
        subscribe: bool,
    },
    /// 10 (since 1.1): set a marker in the session being recorded, now.
    Mark {
        /// Which.
        mark: Mark,
    },
}

/// A marker the laptop can set ([`Request::Mark`]); frozen indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Mark {
    /// 0: an agenda point, as the facilitator's short press.
    Agenda,
    /// 1: a decision, as the facilitator's double press.
    Decision,
}

impl Request {
    /// How many request kinds this version knows (their indices are
    /// `0..KINDS`).
    pub const KINDS: u32 = 11;

    /// Whether sending it twice does the same as once, so that a laptop may
    /// repeat it when a reply is lost. Only [`Request::Mark`] is not: a
    /// repeat would set a second marker.
    pub const fn is_repeatable(&self) -> bool {
        !matches!(self, Request::Mark { .. })
    }

    /// A short name, for messages.
    pub const fn name(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::Status => "status",
            Request::ListSessions { .. } => "list sessions",
            Request::ReadSession { .. } => "read session",
            Request::SessionChecksum { .. } => "session checksum",
            Request::Erase { .. } => "erase",
            Request::SetClock { .. } => "set clock",
            Request::GetConfig => "get config",
            Request::SetConfig { .. } => "set config",
            Request::Live { .. } => "live",
            Request::Mark { .. } => "mark",
        }
    }
}

/// Which sessions to erase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum EraseScope {
    /// 0: every stored session (not one being recorded).
    All,
    /// 1: every session with an id up to and including this one.
    Through(StoredSessionId),
}

/// Everything the device sends: replies to requests, and live updates.
///
/// Frozen across all versions: variant 0 is `Reply`, and a reply's id comes
/// first.
// Messages are built one at a time, on the stack, without an allocator to
// box the large variants into.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceFrame<'a> {
    /// 0 (frozen): the answer to the request with this id.
    Reply {
        /// The request's id.
        id: u16,
        /// The answer.
        #[serde(borrow)]
        response: Response<'a>,
    },
    /// 1: a live update, sent only while subscribed.
    Live {
        /// Counts live frames since the subscription started (from 0), so the
        /// laptop can tell when some were lost. Wraps.
        seq: u32,
        /// What happened.
        update: LiveUpdate,
    },
}

/// A device's answer. Each request kind has one success response; any
/// request may get [`Response::Error`].
#[allow(clippy::large_enum_variant)] // see DeviceFrame
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response<'a> {
    /// 0 (frozen): the request was refused.
    Error(ErrorCode),
    /// 1 (frozen): answers [`Request::Hello`].
    Hello(DeviceInfo),
    /// 2: answers [`Request::Status`].
    Status(Status),
    /// 3: answers [`Request::ListSessions`].
    Sessions(SessionPage),
    /// 4: answers [`Request::ReadSession`].
    Data(#[serde(borrow)] SessionData<'a>),
    /// 5: answers [`Request::SessionChecksum`].
    Checksum(SessionChecksum),
    /// 6: answers [`Request::Erase`].
    Erased {
        /// How many sessions were erased.
        sessions: u16,
    },
    /// 7: answers [`Request::SetClock`].
    ClockSet(ClockSet),
    /// 8: answers [`Request::GetConfig`] and [`Request::SetConfig`].
    Config(DeviceConfig),
    /// 9: answers [`Request::Live`].
    Live {
        /// Whether the stream is now on.
        subscribed: bool,
    },
    /// 10 (since 1.1): answers [`Request::Mark`]: the marker is set in
    /// this session (it reaches the log and the live stream as the
    /// facilitator's would).
    Marked {
        /// The session being recorded.
        session: StoredSessionId,
    },
}

impl Response<'_> {
    /// How many response kinds this version knows.
    pub const KINDS: u32 = 11;
}

/// Who the device is (frozen across all versions: new facts go into new
/// messages).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// The device's protocol version.
    pub protocol: ProtocolVersion,
    /// A number unique to the device (the RP2040's flash unique id).
    pub device_id: u64,
    /// The firmware's version, e.g. `0.1.0`.
    pub firmware: String<24>,
    /// The configured name (may be empty).
    pub name: String<{ super::config::MAX_NAME_LEN }>,
    /// The most data bytes one [`Response::Data`] carries.
    pub max_chunk: u16,
}

/// What the device is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RecordingState {
    /// 0: not recording.
    Idle,
    /// 1: recording a session.
    Recording {
        /// Which.
        session: StoredSessionId,
        /// Session time so far.
        elapsed_ms: SessionMs,
    },
    /// 2: a session is open but paused.
    Paused {
        /// Which.
        session: StoredSessionId,
    },
    /// 3: recording stopped because the store is full (policy `Stop`).
    StoreFull,
    /// 4: something is wrong (see the status LED and defmt log).
    Fault,
}

/// The answer to [`Request::Status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Status {
    /// The device's millisecond counter now.
    pub device_ms: Instant,
    /// The device's wall clock now (Unix ms), if it was ever set.
    pub unix_ms: Option<u64>,
    /// Recording or not.
    pub state: RecordingState,
    /// Sessions in the store.
    pub sessions: u16,
    /// Bytes of the store in use.
    pub store_used: u32,
    /// Bytes the store can hold.
    pub store_capacity: u32,
    /// Sessions dropped to make room (policy `OverwriteOldest`) since the
    /// store was last erased.
    pub sessions_overwritten: u32,
    /// Flash operations that failed since power-up.
    pub storage_errors: u32,
}

/// One stored session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionInfo {
    /// Its number.
    pub id: StoredSessionId,
    /// When it started (Unix ms), if the clock was set by then.
    pub start_unix_ms: Option<u64>,
    /// Its log's length in bytes so far.
    pub len: u32,
    /// Still being recorded (its length grows).
    pub recording: bool,
    /// Its beginning was overwritten to make room.
    pub truncated: bool,
    /// It never ended: the power went (or the device reset and could not
    /// resume it) while it was recorded. Everything written before is
    /// intact; its log has no end record. Since protocol 2.0.
    pub interrupted: bool,
}

/// Sessions per [`SessionPage`].
pub const SESSIONS_PER_PAGE: usize = 16;

/// The answer to [`Request::ListSessions`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPage {
    /// Up to [`SESSIONS_PER_PAGE`] sessions, by increasing id.
    pub sessions: Vec<SessionInfo, SESSIONS_PER_PAGE>,
    /// More sessions follow: ask again with `after` = the last id here.
    pub more: bool,
}

/// The answer to [`Request::ReadSession`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionData<'a> {
    /// Which session.
    pub session: StoredSessionId,
    /// Where `data` starts in the session's log.
    pub offset: u32,
    /// The session's length now (it grows while recording).
    pub session_len: u32,
    /// The bytes; empty exactly when `offset == session_len`.
    pub data: &'a [u8],
}

/// The answer to [`Request::SessionChecksum`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SessionChecksum {
    /// Which session.
    pub session: StoredSessionId,
    /// How many bytes were summed (the whole session).
    pub len: u32,
    /// CRC-32C of those bytes (see [`CRC32C`](crate::frame::CRC32C)).
    pub crc32c: u32,
}

/// The answer to [`Request::SetClock`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ClockSet {
    /// The device's millisecond counter when the clock was set.
    pub device_ms: Instant,
    /// What the device's wall clock said just before (Unix ms), if it was
    /// set: the laptop can show how far it had drifted.
    pub previous_unix_ms: Option<u64>,
}

/// A live update from a subscribed device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LiveUpdate {
    /// 0: a turn event, as the engine produced it.
    Event(Event),
    /// 1: a heartbeat, a few times a second: lets the laptop advance running
    /// turns and notice lost events.
    Tick {
        /// The session being recorded, if any.
        session: Option<StoredSessionId>,
        /// Session time now.
        now: SessionMs,
        /// Seats in a turn now: bit `i` for seat `i`.
        speaking: u16,
    },
}

/// Decodes a request frame's message (as [`FrameDecoder`] yields it).
///
/// On failure, returns the request id if it could be read, so the device can
/// still answer with an error: [`ErrorCode::UnsupportedRequest`] when the
/// kind is newer than this version, [`ErrorCode::Malformed`] otherwise.
///
/// [`FrameDecoder`]: super::frame::FrameDecoder
pub fn decode_request(message: &[u8]) -> Result<RequestFrame, (Option<u16>, ErrorCode)> {
    let Ok((id, body)) = postcard::take_from_bytes::<u16>(message) else {
        return Err((None, ErrorCode::Malformed));
    };
    match postcard::take_from_bytes::<Request>(body) {
        Ok((request, [])) => Ok(RequestFrame { id, request }),
        Ok(_) => Err((Some(id), ErrorCode::Malformed)),
        Err(_) => match postcard::take_from_bytes::<u32>(body) {
            Ok((kind, _)) if kind >= Request::KINDS => {
                Err((Some(id), ErrorCode::UnsupportedRequest))
            }
            _ => Err((Some(id), ErrorCode::Malformed)),
        },
    }
}

/// Decodes a device frame's message (as [`FrameDecoder`] yields it). The
/// result borrows session data from `message`.
///
/// [`FrameDecoder`]: super::frame::FrameDecoder
pub fn decode_device_frame(message: &[u8]) -> Result<DeviceFrame<'_>, Error> {
    match postcard::take_from_bytes::<DeviceFrame<'_>>(message) {
        Ok((frame, [])) => Ok(frame),
        Ok(_) => Err(Error::Malformed),
        Err(_) => Err(classify_unknown(message)),
    }
}

/// Tells a message from a newer version (an unknown frame or response kind)
/// from a damaged one.
fn classify_unknown(message: &[u8]) -> Error {
    let Ok((kind, rest)) = postcard::take_from_bytes::<u32>(message) else {
        return Error::Malformed;
    };
    match kind {
        0 => match postcard::take_from_bytes::<u16>(rest)
            .and_then(|(_, rest)| postcard::take_from_bytes::<u32>(rest))
        {
            Ok((response, _)) if response >= Response::KINDS => Error::UnknownMessage,
            _ => Error::Malformed,
        },
        1 => Error::Malformed,
        _ => Error::UnknownMessage,
    }
}
