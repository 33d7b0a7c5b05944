//! A device whose store is memory: the one [`DeviceBackend`] that the core's
//! protocol tests, the fuzz harness and the laptop's simulated device
//! (`tabletalk::device::simulator`) run the real [`DeviceHandler`] over.
//!
//! Behind the `memory-backend` feature, which brings in `alloc`; the
//! firmware never enables it. (The linker-proven panic-never harness keeps
//! a backend of its own: it has no allocator and hides every value from the
//! optimiser.)
//!
//! [`DeviceHandler`]: super::DeviceHandler

extern crate alloc;

use alloc::vec::Vec;

use super::{
    ClockSet, DeviceBackend, DeviceConfig, DeviceIdentity, EraseScope, ErrorCode, Mark,
    RecordingState, SessionInfo, SessionRead, Status, StoredSessionId, WallClock,
};
use crate::time::Instant;

/// One stored session of a [`MemoryBackend`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    /// Its listing entry (`len` is kept equal to `bytes.len()`).
    pub info: SessionInfo,
    /// Its log bytes.
    pub bytes: Vec<u8>,
}

/// A device's state held in memory: sessions, configuration, clock.
#[derive(Clone, Debug)]
pub struct MemoryBackend {
    /// The device id reported by `hello`.
    pub device_id: u64,
    /// The firmware version reported by `hello`.
    pub firmware: heapless::String<24>,
    /// The stored sessions, by increasing id.
    pub sessions: Vec<StoredSession>,
    /// The configuration.
    pub config: DeviceConfig,
    /// The wall clock.
    pub clock: WallClock,
    /// Store capacity reported in the status.
    pub capacity: u32,
    /// Sessions erased so far.
    pub erased: u32,
    /// Markers the laptop set, in order, with the session they went into.
    pub marks: Vec<(StoredSessionId, Mark)>,
    /// The device's millisecond counter; the caller moves it, or sets
    /// [`tick`](Self::tick).
    pub now: Instant,
    /// How far [`now`](Self::now) advances each time the backend reads
    /// the counter (0: it stands still).
    pub tick: u32,
    next_id: u32,
}

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new(0)
    }
}

impl MemoryBackend {
    /// An empty device with the given id, its counter at 0.
    pub fn new(device_id: u64) -> Self {
        MemoryBackend {
            device_id,
            firmware: heapless::String::try_from("memory").unwrap_or_default(),
            sessions: Vec::new(),
            config: DeviceConfig::default(),
            clock: WallClock::new(),
            capacity: 1536 * 1024,
            erased: 0,
            marks: Vec::new(),
            now: Instant(0),
            tick: 0,
            next_id: 1,
        }
    }

    /// Stores a finished session under the next id; returns that id.
    pub fn add_session(&mut self, start_unix_ms: Option<u64>, bytes: Vec<u8>) -> StoredSessionId {
        let id = StoredSessionId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        self.sessions.push(StoredSession {
            info: SessionInfo {
                id,
                start_unix_ms,
                len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
                recording: false,
                truncated: false,
                interrupted: false,
            },
            bytes,
        });
        id
    }

    /// Marks a session as being recorded (or not).
    pub fn set_recording(&mut self, id: StoredSessionId, recording: bool) {
        if let Some(s) = self.sessions.iter_mut().find(|s| s.info.id == id) {
            s.info.recording = recording;
        }
    }

    fn read_counter(&mut self) -> Instant {
        self.now = Instant(self.now.0.wrapping_add(self.tick));
        self.now
    }

    fn recording(&self) -> Option<&StoredSession> {
        self.sessions.iter().find(|s| s.info.recording)
    }
}

impl DeviceBackend for MemoryBackend {
    fn identity(&mut self) -> DeviceIdentity {
        DeviceIdentity {
            device_id: self.device_id,
            firmware: self.firmware.clone(),
            name: self.config.name.clone(),
        }
    }

    fn status(&mut self) -> Status {
        let now = self.read_counter();
        let state = match self.recording() {
            Some(s) => RecordingState::Recording {
                session: s.info.id,
                elapsed_ms: u64::from(s.info.len) * 10,
            },
            None => RecordingState::Idle,
        };
        Status {
            device_ms: now,
            unix_ms: self.clock.unix_ms(now),
            state,
            sessions: u16::try_from(self.sessions.len()).unwrap_or(u16::MAX),
            store_used: self.sessions.iter().map(|s| s.info.len).sum(),
            store_capacity: self.capacity,
            sessions_overwritten: 0,
            storage_errors: 0,
        }
    }

    fn next_session(
        &mut self,
        after: Option<StoredSessionId>,
    ) -> Result<Option<SessionInfo>, ErrorCode> {
        Ok(self
            .sessions
            .iter()
            .map(|s| s.info)
            .find(|info| after.is_none_or(|after| info.id > after)))
    }

    fn read_session(
        &mut self,
        session: StoredSessionId,
        offset: u32,
        buf: &mut [u8],
    ) -> Result<SessionRead, ErrorCode> {
        let stored = self
            .sessions
            .iter()
            .find(|s| s.info.id == session)
            .ok_or(ErrorCode::NoSuchSession)?;
        let offset = usize::try_from(offset).map_err(|_| ErrorCode::OffsetOutOfRange)?;
        let rest = stored
            .bytes
            .get(offset..)
            .ok_or(ErrorCode::OffsetOutOfRange)?;
        let copied = rest.len().min(buf.len());
        for (d, &s) in buf.iter_mut().zip(rest) {
            *d = s;
        }
        Ok(SessionRead {
            copied,
            session_len: u32::try_from(stored.bytes.len()).unwrap_or(u32::MAX),
        })
    }

    fn erase(&mut self, scope: EraseScope) -> Result<u16, ErrorCode> {
        let before = self.sessions.len();
        match scope {
            EraseScope::All => self.sessions.retain(|s| s.info.recording),
            EraseScope::Through(last) => {
                if self
                    .sessions
                    .iter()
                    .any(|s| s.info.recording && s.info.id <= last)
                {
                    return Err(ErrorCode::Busy);
                }
                self.sessions.retain(|s| s.info.id > last);
            }
        }
        let erased = u32::try_from(before - self.sessions.len()).unwrap_or(u32::MAX);
        self.erased = self.erased.saturating_add(erased);
        Ok(u16::try_from(erased).unwrap_or(u16::MAX))
    }

    fn config(&mut self) -> Result<DeviceConfig, ErrorCode> {
        Ok(self.config.clone())
    }

    fn set_config(&mut self, config: &DeviceConfig) -> Result<(), ErrorCode> {
        self.config = config.clone();
        Ok(())
    }

    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode> {
        let now = self.read_counter();
        Ok(ClockSet {
            device_ms: now,
            previous_unix_ms: self.clock.set(unix_ms, now),
        })
    }

    fn mark(&mut self, mark: Mark) -> Result<StoredSessionId, ErrorCode> {
        let session = self.recording().map(|s| s.info.id).ok_or(ErrorCode::Busy)?;
        self.marks.push((session, mark));
        Ok(session)
    }
}
