//! The laptop end of the protocol: sends requests, waits for the matching
//! reply, retries when a reply is lost or damaged, and queues the live
//! updates that arrive in between.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use tabletalk_core::protocol::{
    decode_device_frame, frame, ClockSet, DeviceConfig, DeviceFrame, DeviceInfo, EraseScope,
    ErrorCode, LiveUpdate, Mark, ProtocolVersion, Request, RequestFrame, Response, SessionChecksum,
    SessionInfo, Status, StoredSessionId, MAX_CHUNK, MAX_FRAME, PROTOCOL_VERSION,
};

use super::transport::Transport;

/// How patient the client is.
#[derive(Clone, Copy, Debug)]
pub struct LinkOptions {
    /// How long to wait for each reply.
    pub timeout: Duration,
    /// How many timeouts before giving up on a request (at least 1); a
    /// request is also re-sent at once when a damaged frame comes back.
    pub attempts: u32,
}

impl Default for LinkOptions {
    fn default() -> Self {
        LinkOptions {
            timeout: Duration::from_secs(2),
            attempts: 3,
        }
    }
}

/// What went wrong talking to a device.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeviceError {
    /// No (intact) reply came, after every attempt.
    NoAnswer {
        /// The request that went unanswered.
        request: &'static str,
        /// The port.
        port: String,
        /// The wait per attempt.
        timeout: Duration,
        /// How many times it was sent.
        attempts: u32,
        /// Damaged frames received meanwhile.
        damaged_frames: u64,
    },
    /// The device answered with an error.
    Refused {
        /// The request.
        request: &'static str,
        /// The device's reason.
        code: ErrorCode,
    },
    /// The device speaks another major protocol version.
    Incompatible {
        /// The device's version.
        device: ProtocolVersion,
    },
    /// The device's protocol version predates the request.
    TooOld {
        /// The request.
        request: &'static str,
        /// The device's version.
        device: ProtocolVersion,
    },
    /// The device answered with the wrong kind of reply.
    UnexpectedReply {
        /// The request.
        request: &'static str,
    },
    /// The device kept listing sessions past any store's capacity.
    EndlessList {
        /// The port.
        port: String,
    },
    /// Reading or writing the port failed (e.g. the device was unplugged).
    Io {
        /// The port.
        port: String,
        /// The OS error.
        source: io::Error,
    },
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::NoAnswer {
                request,
                port,
                timeout,
                attempts,
                damaged_frames,
            } => {
                write!(
                    f,
                    "the device on {port} did not answer `{request}` ({attempts} attempt{} of {:.1} s each)",
                    if *attempts == 1 { "" } else { "s" },
                    timeout.as_secs_f64()
                )?;
                if *damaged_frames > 0 {
                    write!(
                        f,
                        "; {damaged_frames} damaged frame(s) came back: check the cable"
                    )
                } else {
                    f.write_str(": is it a tabletalk device, and is its firmware running?")
                }
            }
            DeviceError::Refused { request, code } => {
                write!(f, "the device refused `{request}`: {code}")
            }
            DeviceError::Incompatible { device } => write!(
                f,
                "the device speaks protocol {device}, this tabletalk speaks {PROTOCOL_VERSION}: \
                 update {}",
                if device.major > PROTOCOL_VERSION.major {
                    "tabletalk"
                } else {
                    "the device's firmware"
                }
            ),
            DeviceError::TooOld { request, device } => write!(
                f,
                "the device speaks protocol {device}, which has no `{request}`: update the device's firmware"
            ),
            DeviceError::UnexpectedReply { request } => {
                write!(
                    f,
                    "the device answered `{request}` with the wrong kind of reply"
                )
            }
            DeviceError::EndlessList { port } => write!(
                f,
                "the device on {port} listed {MAX_LISTED_SESSIONS} sessions and still says more \
                 follow: it is not behaving (restart it, or update its firmware)"
            ),
            DeviceError::Io { port, source } => write!(f, "{port}: {source}"),
        }
    }
}

impl std::error::Error for DeviceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeviceError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Counters of what went wrong on the link and was recovered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Frames that arrived damaged (and were dropped).
    pub damaged_frames: u64,
    /// Intact frames that were not a message this version knows.
    pub unreadable_frames: u64,
    /// Requests sent again.
    pub retries: u64,
    /// Replies to earlier attempts, ignored.
    pub stale_replies: u64,
    /// Live updates dropped because nobody read them.
    pub live_overflow: u64,
}

/// One live update as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveFrame {
    /// The device's sequence number.
    pub seq: u32,
    /// The update.
    pub update: LiveUpdate,
}

/// Requests re-sent at once because a damaged frame came back, at most, per
/// request (beyond that, only timeouts trigger a retry).
const MAX_DAMAGE_RESENDS: u32 = 8;

/// The most sessions a listing takes (4,096 pages): far more than any
/// device's store holds, so that a device answering `more` for ever cannot
/// keep `device list` or `device pull` running and growing.
pub const MAX_LISTED_SESSIONS: usize = 1 << 16;

/// Live updates kept while waiting for replies, at most.
const LIVE_QUEUE: usize = 10_000;

/// A connection to one device.
pub struct DeviceClient<T: Transport> {
    transport: T,
    options: LinkOptions,
    decoder: frame::MessageDecoder,
    rx: Vec<u8>,
    rx_pos: usize,
    next_id: u16,
    live: VecDeque<LiveFrame>,
    stats: LinkStats,
    info: Option<DeviceInfo>,
}

/// What one wait for a frame produced.
enum Incoming {
    Message(Vec<u8>),
    Damaged,
    Nothing,
}

impl<T: Transport> DeviceClient<T> {
    /// Connects: says hello and checks that the device speaks a compatible
    /// protocol version.
    pub fn connect(transport: T, options: LinkOptions) -> Result<Self, DeviceError> {
        let mut client = DeviceClient {
            transport,
            options: LinkOptions {
                attempts: options.attempts.max(1),
                ..options
            },
            decoder: frame::MessageDecoder::new(),
            rx: Vec::new(),
            rx_pos: 0,
            next_id: 1,
            live: VecDeque::new(),
            stats: LinkStats::default(),
            info: None,
        };
        let info = client.call(
            &Request::Hello {
                host: PROTOCOL_VERSION,
            },
            |response| match response {
                Response::Hello(info) => Some(info),
                _ => None,
            },
        )?;
        if !info.protocol.compatible_with(PROTOCOL_VERSION) {
            return Err(DeviceError::Incompatible {
                device: info.protocol,
            });
        }
        client.info = Some(info);
        Ok(client)
    }

    /// Who the device said it is.
    pub fn info(&self) -> &DeviceInfo {
        // Set by `connect`, the only constructor.
        self.info.as_ref().unwrap_or_else(|| unreachable!())
    }

    /// The port, for messages.
    pub fn port(&self) -> String {
        self.transport.describe()
    }

    /// What the link recovered from so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    /// The device's status.
    pub fn status(&mut self) -> Result<Status, DeviceError> {
        self.call(&Request::Status, |r| match r {
            Response::Status(status) => Some(status),
            _ => None,
        })
    }

    /// Every stored session, oldest first (asks page by page, at most
    /// [`MAX_LISTED_SESSIONS`]).
    pub fn sessions(&mut self) -> Result<Vec<SessionInfo>, DeviceError> {
        let mut all: Vec<SessionInfo> = Vec::new();
        let mut after = None;
        loop {
            if all.len() >= MAX_LISTED_SESSIONS {
                return Err(DeviceError::EndlessList { port: self.port() });
            }
            let page = self.call(&Request::ListSessions { after }, |r| match r {
                Response::Sessions(page) => Some(page),
                _ => None,
            })?;
            let last = page.sessions.last().map(|s| s.id);
            all.extend(page.sessions.iter().copied());
            match last {
                // Ids must increase, or a broken device could keep us here.
                Some(last) if page.more && after.is_none_or(|after| last > after) => {
                    after = Some(last)
                }
                _ => return Ok(all),
            }
        }
    }

    /// Up to `max_len` bytes of a session from `offset`; also returns the
    /// session's current length.
    pub fn read(
        &mut self,
        session: StoredSessionId,
        offset: u32,
        max_len: usize,
    ) -> Result<(u32, Vec<u8>), DeviceError> {
        let max_len = max_len.min(MAX_CHUNK) as u16;
        let request = Request::ReadSession {
            session,
            offset,
            max_len,
        };
        self.call(&request, |r| match r {
            Response::Data(data)
                if data.session == session
                    && data.offset == offset
                    && data.data.len() <= usize::from(max_len) =>
            {
                Some((data.session_len, data.data.to_vec()))
            }
            _ => None,
        })
    }

    /// The length and CRC-32C of a whole session.
    pub fn checksum(&mut self, session: StoredSessionId) -> Result<SessionChecksum, DeviceError> {
        self.call(&Request::SessionChecksum { session }, |r| match r {
            Response::Checksum(sum) if sum.session == session => Some(sum),
            _ => None,
        })
    }

    /// Erases sessions; returns how many were erased.
    pub fn erase(&mut self, scope: EraseScope) -> Result<u16, DeviceError> {
        self.call(&Request::Erase { scope }, |r| match r {
            Response::Erased { sessions } => Some(sessions),
            _ => None,
        })
    }

    /// The device's configuration.
    pub fn config(&mut self) -> Result<DeviceConfig, DeviceError> {
        self.call(&Request::GetConfig, |r| match r {
            Response::Config(config) => Some(config),
            _ => None,
        })
    }

    /// Stores a configuration; returns what the device stored.
    pub fn set_config(&mut self, config: &DeviceConfig) -> Result<DeviceConfig, DeviceError> {
        let request = Request::SetConfig {
            config: config.clone(),
        };
        self.call(&request, |r| match r {
            Response::Config(config) => Some(config),
            _ => None,
        })
    }

    /// Sets the device's wall clock.
    pub fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, DeviceError> {
        self.call(&Request::SetClock { unix_ms }, |r| match r {
            Response::ClockSet(set) => Some(set),
            _ => None,
        })
    }

    /// Sets a marker in the session being recorded; returns that session.
    /// Sent once, never repeated (a repeat would set a second marker): when
    /// no reply comes, the marker may or may not have been set.
    pub fn mark(&mut self, mark: Mark) -> Result<StoredSessionId, DeviceError> {
        if self.info().protocol.minor < 1 {
            return Err(DeviceError::TooOld {
                request: "mark",
                device: self.info().protocol,
            });
        }
        self.call(&Request::Mark { mark }, |r| match r {
            Response::Marked { session } => Some(session),
            _ => None,
        })
    }

    /// Starts or stops the live stream.
    pub fn subscribe(&mut self, subscribe: bool) -> Result<(), DeviceError> {
        self.call(&Request::Live { subscribe }, |r| match r {
            Response::Live { subscribed } if subscribed == subscribe => Some(()),
            _ => None,
        })
    }

    /// The next live update, waiting at most `timeout`.
    pub fn next_live(&mut self, timeout: Duration) -> Result<Option<LiveFrame>, DeviceError> {
        if let Some(frame) = self.live.pop_front() {
            return Ok(Some(frame));
        }
        let deadline = Instant::now() + timeout;
        loop {
            match self.next_incoming(deadline)? {
                Incoming::Message(message) => match decode_device_frame(&message) {
                    Ok(DeviceFrame::Live { seq, update }) => {
                        return Ok(Some(LiveFrame { seq, update }))
                    }
                    Ok(DeviceFrame::Reply { .. }) => self.stats.stale_replies += 1,
                    Err(_) => self.stats.unreadable_frames += 1,
                },
                Incoming::Damaged => {}
                Incoming::Nothing => return Ok(None),
            }
        }
    }

    /// Sends `request` and waits for its reply, retrying on silence and on
    /// damaged frames; `accept` picks the expected success response.
    fn call<R>(
        &mut self,
        request: &Request,
        mut accept: impl FnMut(Response<'_>) -> Option<R>,
    ) -> Result<R, DeviceError> {
        let name = request.name();
        let repeatable = request.is_repeatable();
        let damaged_before = self.stats.damaged_frames;
        let mut timeouts = 0;
        let mut damage_resends = 0;
        loop {
            let id = self.next_id;
            self.next_id = self.next_id.wrapping_add(1).max(1);
            self.send(id, request)?;
            let deadline = Instant::now() + self.options.timeout;
            let resend = loop {
                let message = match self.next_incoming(deadline)? {
                    Incoming::Message(message) => message,
                    // Possibly our reply: ask again at once rather than wait
                    // out the timeout (every request is safe to repeat). A
                    // burst of garbage must not use up the attempts, so
                    // these resends have a budget of their own. A request
                    // that must not be repeated waits for its reply instead.
                    Incoming::Damaged if repeatable && damage_resends < MAX_DAMAGE_RESENDS => {
                        damage_resends += 1;
                        break true;
                    }
                    Incoming::Damaged => continue,
                    Incoming::Nothing => {
                        timeouts += 1;
                        break repeatable && timeouts < self.options.attempts;
                    }
                };
                match decode_device_frame(&message) {
                    Ok(DeviceFrame::Reply { id: got, response }) if got == id => {
                        return match response {
                            Response::Error(code) => Err(DeviceError::Refused {
                                request: name,
                                code,
                            }),
                            other => {
                                accept(other).ok_or(DeviceError::UnexpectedReply { request: name })
                            }
                        };
                    }
                    Ok(DeviceFrame::Reply { .. }) => self.stats.stale_replies += 1,
                    Ok(DeviceFrame::Live { seq, update }) => {
                        self.queue_live(LiveFrame { seq, update })
                    }
                    Err(_) => self.stats.unreadable_frames += 1,
                }
            };
            if !resend {
                return Err(DeviceError::NoAnswer {
                    request: name,
                    port: self.transport.describe(),
                    timeout: self.options.timeout,
                    attempts: if repeatable { self.options.attempts } else { 1 },
                    damaged_frames: self.stats.damaged_frames - damaged_before,
                });
            }
            self.stats.retries += 1;
        }
    }

    fn queue_live(&mut self, frame: LiveFrame) {
        if self.live.len() >= LIVE_QUEUE {
            self.live.pop_front();
            self.stats.live_overflow += 1;
        }
        self.live.push_back(frame);
    }

    fn send(&mut self, id: u16, request: &Request) -> Result<(), DeviceError> {
        let mut wire = [0u8; MAX_FRAME + 1];
        // A leading 0x00 ends any partial frame the device may hold (e.g.
        // from an earlier program interrupted mid-write).
        let len = frame::encode(
            &RequestFrame {
                id,
                request: request.clone(),
            },
            &mut wire[1..],
        )
        .map(<[u8]>::len)
        .map_err(|err| DeviceError::Io {
            port: self.transport.describe(),
            source: io::Error::new(io::ErrorKind::InvalidInput, err.to_string()),
        })?;
        self.transport
            .send(&wire[..=len])
            .map_err(|source| DeviceError::Io {
                port: self.transport.describe(),
                source,
            })
    }

    /// The next complete frame, or `Nothing` once `deadline` passed.
    fn next_incoming(&mut self, deadline: Instant) -> Result<Incoming, DeviceError> {
        loop {
            if self.rx_pos < self.rx.len() {
                let mut input = &self.rx[self.rx_pos..];
                let before = input.len();
                let result = self.decoder.feed(&mut input).map(|r| r.map(<[u8]>::to_vec));
                self.rx_pos += before - input.len();
                match result {
                    Some(Ok(message)) => return Ok(Incoming::Message(message)),
                    Some(Err(_)) => {
                        self.stats.damaged_frames += 1;
                        return Ok(Incoming::Damaged);
                    }
                    None => {}
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Incoming::Nothing);
            }
            self.rx.resize(4096, 0);
            self.rx_pos = 0;
            let got = self
                .transport
                .receive(&mut self.rx, deadline - now)
                .map_err(|source| DeviceError::Io {
                    port: self.transport.describe(),
                    source,
                });
            match got {
                Ok(n) => self.rx.truncate(n),
                Err(err) => {
                    self.rx.clear();
                    return Err(err);
                }
            }
        }
    }
}
