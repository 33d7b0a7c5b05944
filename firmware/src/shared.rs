//! How the tasks talk: every channel, signal and shared value in one place.
//!
//! All tasks run on one thread-mode executor, so the shared values sit
//! behind [`ThreadModeRawMutex`]: no critical sections, no interrupts masked.

use core::cell::{Cell, RefCell};

use embassy_sync::blocking_mutex::raw::ThreadModeRawMutex;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::channel::Channel;
use embassy_sync::signal::Signal;
use portable_atomic::{AtomicU32, Ordering};
use tabletalk_core::protocol::{DeviceConfig, LiveUpdate, Mark, RecordingState, WallClock};
use tabletalk_core::seat::MAX_SEATS;
use tabletalk_core::time::Instant;

/// A value shared between tasks.
pub type Shared<T> = Mutex<ThreadModeRawMutex, T>;

/// Samples per microphone block: 10 ms at 8 kHz.
pub const BLOCK: usize = 80;

/// One block of one microphone channel's samples.
#[derive(Clone, Copy)]
pub struct MicBlock {
    /// The level-source channel (0-2: the RP2040's ADC0-2; 3-10: MCP3008
    /// CH0-7).
    pub channel: u8,
    /// When the last sample was taken.
    pub at: Instant,
    /// Raw ADC values.
    pub samples: [u16; BLOCK],
}

/// Microphone blocks from the sampling tasks to the recorder. Four blocks
/// per channel: 40 ms of slack.
pub static MIC_BLOCKS: Channel<ThreadModeRawMutex, MicBlock, 12> = Channel::new();

/// Blocks dropped because the recorder fell behind (flash erases stall it).
pub static MIC_BLOCKS_DROPPED: AtomicU32 = AtomicU32::new(0);

/// The buttons as last read: bit `i` for seat `i`, bit 16 the facilitator.
pub static BUTTONS: AtomicU32 = AtomicU32::new(0);
/// Bit of [`BUTTONS`] that is the facilitator's button.
pub const FACILITATOR_BIT: u32 = 1 << 16;
/// Raised when a button changes, so the recorder reads them at once.
pub static BUTTONS_CHANGED: Signal<ThreadModeRawMutex, ()> = Signal::new();

/// Turn events and heartbeats for the laptop's live view; dropped when the
/// USB side does not keep up (the laptop sees the gap in sequence numbers).
pub static LIVE: Channel<ThreadModeRawMutex, LiveUpdate, 16> = Channel::new();

/// What the seat LEDs show.
#[derive(Clone, Copy, Default)]
pub struct Feedback {
    /// LEDs on at all (the configuration's `led_feedback`).
    pub enabled: bool,
    /// Seats in use: bit `i` for seat `i`.
    pub seats: u16,
    /// Seats speaking now.
    pub speaking: u16,
    /// Each seat's share of speaking time against its fair share, Q16
    /// (65536: exactly fair).
    pub share_of_fair_q16: [u32; MAX_SEATS],
}

/// The latest seat feedback, for the LED task.
pub static FEEDBACK: Signal<ThreadModeRawMutex, Feedback> = Signal::new();

/// What the device is doing, for the status LED and the laptop.
pub static STATE: Shared<Cell<RecordingState>> = Mutex::new(Cell::new(RecordingState::Idle));

/// The wall clock, set by the laptop.
pub static CLOCK: Shared<Cell<WallClock>> = Mutex::new(Cell::new(WallClock::new()));

/// The configuration in force (a copy of what is in flash).
pub static CONFIG: Shared<RefCell<Option<DeviceConfig>>> = Mutex::new(RefCell::new(None));

/// Raised when the laptop stored a new configuration; the recorder applies
/// it when no session is running.
pub static CONFIG_CHANGED: Signal<ThreadModeRawMutex, ()> = Signal::new();

/// A marker the laptop asked for (`tabletalk device mark`); the recorder
/// sets it at its next tick.
pub static MARK_REQUESTED: Signal<ThreadModeRawMutex, Mark> = Signal::new();

/// The device's unique id (the flash chip's), read at boot.
pub static DEVICE_ID: Shared<Cell<u64>> = Mutex::new(Cell::new(0));

/// The device's millisecond counter now.
pub fn now() -> Instant {
    // Truncation is the point: the core takes a wrapping u32 counter.
    Instant(embassy_time::Instant::now().as_millis() as u32)
}

/// The current recording state.
pub fn state() -> RecordingState {
    STATE.lock(Cell::get)
}

/// Sets the recording state.
pub fn set_state(state: RecordingState) {
    STATE.lock(|cell| cell.set(state));
}

/// Counts a dropped microphone block.
pub fn count_dropped_block() {
    MIC_BLOCKS_DROPPED.fetch_add(1, Ordering::Relaxed);
}
