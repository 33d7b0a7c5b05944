//! A simulated device: the core's [`DeviceHandler`] — the same code the
//! firmware runs — over a [`MemoryDevice`] backend, served on a thread
//! through any [`Transport`] (normally one end of an in-memory
//! [`pipe`](super::pipe)). Tests use it to run every `tabletalk device`
//! command end to end without hardware, and to inject faults on the line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tabletalk_core::protocol::{
    ClockSet, DeviceBackend, DeviceConfig, DeviceHandler, DeviceIdentity, EraseScope, ErrorCode,
    LiveUpdate, Mark, RecordingState, SessionInfo, SessionRead, Status, StoredSessionId, WallClock,
    MAX_FRAME,
};
use tabletalk_core::time;

use super::transport::Transport;

/// One stored session of a [`MemoryDevice`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSession {
    /// Its listing entry (`len` is kept equal to `bytes.len()`).
    pub info: SessionInfo,
    /// Its log bytes.
    pub bytes: Vec<u8>,
}

/// A device's state held in memory: sessions, configuration, clock.
#[derive(Clone, Debug)]
pub struct MemoryDevice {
    /// The device id reported by `hello`.
    pub device_id: u64,
    /// The stored sessions, by increasing id.
    pub sessions: Vec<StoredSession>,
    /// The configuration.
    pub config: DeviceConfig,
    /// The wall clock.
    pub clock: WallClock,
    /// Store capacity reported in the status.
    pub capacity: u32,
    /// Sessions erased so far (for tests).
    pub erased: u32,
    /// Markers the laptop set, in order, with the session they went into.
    pub marks: Vec<(StoredSessionId, Mark)>,
    started: Instant,
    next_id: u32,
}

impl MemoryDevice {
    /// An empty device.
    pub fn new(device_id: u64) -> Self {
        MemoryDevice {
            device_id,
            sessions: Vec::new(),
            config: DeviceConfig::default(),
            clock: WallClock::new(),
            capacity: 1536 * 1024,
            erased: 0,
            marks: Vec::new(),
            started: Instant::now(),
            next_id: 1,
        }
    }

    /// Stores a session; returns its id.
    pub fn add_session(&mut self, start_unix_ms: Option<u64>, bytes: Vec<u8>) -> StoredSessionId {
        let id = StoredSessionId(self.next_id);
        self.next_id += 1;
        self.sessions.push(StoredSession {
            info: SessionInfo {
                id,
                start_unix_ms,
                len: bytes.len() as u32,
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

    /// The device's millisecond counter now.
    pub fn now(&self) -> time::Instant {
        time::Instant(self.started.elapsed().as_millis() as u32)
    }

    fn session(&self, id: StoredSessionId) -> Result<&StoredSession, ErrorCode> {
        self.sessions
            .iter()
            .find(|s| s.info.id == id)
            .ok_or(ErrorCode::NoSuchSession)
    }
}

impl DeviceBackend for MemoryDevice {
    fn mark(&mut self, mark: Mark) -> Result<StoredSessionId, ErrorCode> {
        let session = self
            .sessions
            .iter()
            .find(|s| s.info.recording)
            .map(|s| s.info.id)
            .ok_or(ErrorCode::Busy)?;
        self.marks.push((session, mark));
        Ok(session)
    }

    fn identity(&mut self) -> DeviceIdentity {
        DeviceIdentity {
            device_id: self.device_id,
            firmware: heapless::String::try_from("sim-0.1.0").unwrap_or_default(),
            name: self.config.name.clone(),
        }
    }

    fn status(&mut self) -> Status {
        let now = self.now();
        let state = match self.sessions.iter().find(|s| s.info.recording) {
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
            sessions: self.sessions.len() as u16,
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
        let stored = self.session(session)?;
        let rest = stored
            .bytes
            .get(offset as usize..)
            .ok_or(ErrorCode::OffsetOutOfRange)?;
        let copied = rest.len().min(buf.len());
        buf[..copied].copy_from_slice(&rest[..copied]);
        Ok(SessionRead {
            copied,
            session_len: stored.bytes.len() as u32,
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
        let erased = before - self.sessions.len();
        self.erased += erased as u32;
        Ok(erased as u16)
    }

    fn config(&mut self) -> Result<DeviceConfig, ErrorCode> {
        Ok(self.config.clone())
    }

    fn set_config(&mut self, config: &DeviceConfig) -> Result<(), ErrorCode> {
        self.config = config.clone();
        Ok(())
    }

    fn set_clock(&mut self, unix_ms: u64) -> Result<ClockSet, ErrorCode> {
        let now = self.now();
        Ok(ClockSet {
            device_ms: now,
            previous_unix_ms: self.clock.set(unix_ms, now),
        })
    }
}

/// Faults the simulated device puts on the line; change them at any time.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Flip a bit in each of the next this many reply frames.
    pub corrupt_replies: u32,
    /// Drop the next this many reply frames.
    pub drop_replies: u32,
    /// Send these bytes before the next reply.
    pub garbage_before_reply: Vec<u8>,
    /// Read requests but never answer (a hung firmware).
    pub silent: bool,
    /// Flip a bit in every n-th reply frame (0: never).
    pub corrupt_every: u32,
    /// Drop every n-th reply frame (0: never).
    pub drop_every: u32,
    /// Replies sent so far (counts for `*_every`).
    pub replies: u32,
}

/// Locks a mutex, shrugging off poisoning (a test thread that panicked
/// already failed the test).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A simulated device serving on its own thread. Dropping it stops the
/// thread.
pub struct SimulatedDevice {
    /// The device's state, shared with the serving thread.
    pub device: Arc<Mutex<MemoryDevice>>,
    /// The faults to inject, shared with the serving thread.
    pub faults: Arc<Mutex<Faults>>,
    live: Sender<LiveUpdate>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimulatedDevice {
    /// Starts serving `device` on `transport`.
    pub fn spawn<T: Transport + 'static>(device: MemoryDevice, mut transport: T) -> Self {
        let device = Arc::new(Mutex::new(device));
        let faults = Arc::new(Mutex::new(Faults::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (live_tx, live_rx) = mpsc::channel();
        let thread = {
            let (device, faults, stop) = (device.clone(), faults.clone(), stop.clone());
            std::thread::spawn(move || serve(&mut transport, &device, &faults, &stop, &live_rx))
        };
        SimulatedDevice {
            device,
            faults,
            live: live_tx,
            stop,
            thread: Some(thread),
        }
    }

    /// Has the device send a live update: at once if the laptop is
    /// subscribed, otherwise as soon as it subscribes (so a test needs no
    /// sleep to wait for the subscription).
    pub fn push_live(&self, update: LiveUpdate) {
        let _ = self.live.send(update);
    }

    /// Changes the faults.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.faults) = faults;
    }

    /// Runs `f` on the device's state.
    pub fn with_device<R>(&self, f: impl FnOnce(&mut MemoryDevice) -> R) -> R {
        f(&mut lock(&self.device))
    }
}

impl Drop for SimulatedDevice {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve<T: Transport>(
    transport: &mut T,
    device: &Mutex<MemoryDevice>,
    faults: &Mutex<Faults>,
    stop: &AtomicBool,
    live: &Receiver<LiveUpdate>,
) {
    let mut handler = DeviceHandler::new();
    let mut out = [0u8; MAX_FRAME];
    let mut buf = [0u8; 64]; // USB full-speed packet size
    while !stop.load(Ordering::Relaxed) {
        while handler.is_subscribed() {
            let Ok(update) = live.try_recv() else { break };
            if let Some(frame) = handler.live(&update, &mut out) {
                if transport.send(frame).is_err() {
                    return;
                }
            }
        }
        let n = match transport.receive(&mut buf, Duration::from_millis(5)) {
            Ok(n) => n,
            Err(_) => return, // the laptop end is gone
        };
        let mut input = &buf[..n];
        loop {
            let reply = {
                let mut device = lock(device);
                match handler.receive(&mut input, &mut *device, &mut out) {
                    Some(frame) => frame.to_vec(),
                    None => break,
                }
            };
            if send_with_faults(transport, faults, reply).is_err() {
                return;
            }
        }
    }
}

fn send_with_faults<T: Transport>(
    transport: &mut T,
    faults: &Mutex<Faults>,
    mut reply: Vec<u8>,
) -> std::io::Result<()> {
    let mut faults = lock(faults);
    if faults.silent {
        return Ok(());
    }
    if !faults.garbage_before_reply.is_empty() {
        let garbage = std::mem::take(&mut faults.garbage_before_reply);
        transport.send(&garbage)?;
    }
    faults.replies += 1;
    let nth = |every: u32| every > 0 && faults.replies % every == 0;
    let (drop_nth, corrupt_nth) = (nth(faults.drop_every), nth(faults.corrupt_every));
    if faults.drop_replies > 0 || drop_nth {
        faults.drop_replies = faults.drop_replies.saturating_sub(1);
        return Ok(());
    }
    if faults.corrupt_replies > 0 || corrupt_nth {
        faults.corrupt_replies = faults.corrupt_replies.saturating_sub(1);
        let middle = reply.len() / 2;
        // Flip a bit without creating or removing a 0x00 delimiter.
        reply[middle] ^= if reply[middle] == 0x01 { 0x02 } else { 0x01 };
    }
    drop(faults);
    // Send in USB-packet-sized pieces, as the firmware does.
    for piece in reply.chunks(64) {
        transport.send(piece)?;
    }
    Ok(())
}
