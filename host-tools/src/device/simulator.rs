//! A simulated device: the core's [`DeviceHandler`] — the same code the
//! firmware runs — over the core's [`MemoryBackend`], its counter following
//! the wall clock, served on a thread
//! through any [`Transport`] (normally one end of an in-memory
//! [`pipe`](super::pipe)). Tests use it to run every `tabletalk device`
//! command end to end without hardware, and to inject faults on the line.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tabletalk_core::protocol::{DeviceHandler, LiveUpdate, MAX_FRAME};
use tabletalk_core::time;

pub use tabletalk_core::protocol::memory::{MemoryBackend, StoredSession};

use super::transport::Transport;

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
    pub device: Arc<Mutex<MemoryBackend>>,
    /// The faults to inject, shared with the serving thread.
    pub faults: Arc<Mutex<Faults>>,
    live: Sender<LiveUpdate>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimulatedDevice {
    /// Starts serving `device` on `transport`.
    pub fn spawn<T: Transport + 'static>(device: MemoryBackend, mut transport: T) -> Self {
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
    pub fn with_device<R>(&self, f: impl FnOnce(&mut MemoryBackend) -> R) -> R {
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
    device: &Mutex<MemoryBackend>,
    faults: &Mutex<Faults>,
    stop: &AtomicBool,
    live: &Receiver<LiveUpdate>,
) {
    let mut handler = DeviceHandler::new();
    let started = Instant::now();
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
                device.now = time::Instant(started.elapsed().as_millis() as u32);
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
