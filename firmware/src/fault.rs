//! What the device does when something goes wrong that the code does not
//! handle: it never hangs on the table. A panic or a hard fault logs what it
//! can and resets the chip; a watchdog resets it when the executor stops
//! running tasks (a stuck driver, an endless loop).
//!
//! After the reset the store remounts like after a power cut: every frame
//! written before is intact (the power-cut tests cover this). While a
//! session is recorded, the recorder keeps a [`Checkpoint`] of it in the
//! watchdog's scratch registers, which survive any reset but a power cut;
//! after a reset the device resumes that session (its log shows a pause
//! over the gap) instead of waiting for the facilitator. After a power cut
//! the scratch registers are zero: the session stays cut, listed as
//! interrupted.
//!
//! The core itself cannot panic (proven at link time by `tests/panic-never`);
//! what remains are the HAL's and USB stack's own checks.

use core::cell::RefCell;

use cortex_m_rt::{exception, ExceptionFrame};
use embassy_rp::watchdog::Watchdog;
use embassy_time::{Duration, Timer};

use tabletalk_core::recorder::Checkpoint;

use crate::shared::Shared;

/// The watchdog resets the chip when it has not been fed for this long. Far
/// above the longest legitimate stall (a 4 KiB sector erase, ~50 ms).
const WATCHDOG_TIMEOUT: Duration = Duration::from_secs(4);
/// How often the watchdog task feeds it.
const FEED_EVERY: Duration = Duration::from_millis(500);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    #[cfg(feature = "defmt")]
    defmt::error!("panic: {}", defmt::Display2Format(info));
    #[cfg(not(feature = "defmt"))]
    let _ = info;
    cortex_m::peripheral::SCB::sys_reset()
}

// A fault (bad memory access, invalid instruction) resets too, instead of
// cortex-m-rt's default of spinning forever.
#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    cortex_m::peripheral::SCB::sys_reset()
}

/// The watchdog: fed by [`watchdog_task`], its scratch registers written
/// by the recorder.
static WATCHDOG: Shared<RefCell<Option<Watchdog>>> = Shared::new(RefCell::new(None));

fn with_watchdog(f: impl FnOnce(&mut Watchdog)) {
    WATCHDOG.lock(|w| {
        if let Some(watchdog) = w.borrow_mut().as_mut() {
            f(watchdog);
        }
    });
}

/// Takes the watchdog over; returns the checkpoint a reset left, if any.
pub fn init(mut watchdog: Watchdog) -> Option<Checkpoint> {
    let checkpoint = read_checkpoint(&mut watchdog);
    watchdog.pause_on_debug(true);
    watchdog.start(WATCHDOG_TIMEOUT);
    WATCHDOG.lock(|w| w.replace(Some(watchdog)));
    clear_checkpoint();
    checkpoint
}

/// Feeds the watchdog while the executor runs tasks. Paused while a debugger
/// halts the core, so stepping through code does not reset it.
#[embassy_executor::task]
pub async fn watchdog_task() -> ! {
    loop {
        Timer::after(FEED_EVERY).await;
        with_watchdog(|w| w.feed(WATCHDOG_TIMEOUT));
    }
}

/// Marks scratch registers that hold a checkpoint.
const MAGIC: u32 = 0x7AB1_E5C1;

// Scratch 0-3 and 5-6: the boot ROM reads 4, and 6-7 only when 4 holds
// its own magic, which is never written here.
fn scratch_write(checkpoint: Option<&Checkpoint>) {
    let words = checkpoint.map_or([0; 6], |c| {
        let words = [
            MAGIC,
            c.session,
            u32::from(c.nonce) | c.batches << 16,
            c.turns,
            c.session_ms,
        ];
        let check = words.iter().fold(0u32, |acc, w| acc.rotate_left(7) ^ w);
        [words[0], words[1], words[2], words[3], words[4], !check]
    });
    with_watchdog(|w| {
        for (index, word) in SCRATCH.iter().zip(words) {
            w.set_scratch(*index, word);
        }
    });
}

/// The scratch registers used, in order.
const SCRATCH: [usize; 6] = [0, 1, 2, 3, 5, 6];

/// Keeps `checkpoint` until the next one, a reset included (one beyond
/// what the registers hold, 65 535 batches, is not kept).
pub fn save_checkpoint(checkpoint: &Checkpoint) {
    scratch_write(Some(checkpoint).filter(|c| c.batches <= 0xFFFF));
}

/// Forgets the checkpoint: the session ended.
pub fn clear_checkpoint() {
    scratch_write(None);
}

/// The checkpoint in the scratch registers, if any.
fn read_checkpoint(w: &mut Watchdog) -> Option<Checkpoint> {
    let [words @ .., check] = SCRATCH.map(|index| w.get_scratch(index));
    let expected = words.iter().fold(0u32, |acc, x| acc.rotate_left(7) ^ x);
    if words[0] != MAGIC || check != !expected {
        return None;
    }
    Some(Checkpoint {
        session: words[1],
        nonce: words[2] as u16,
        batches: words[2] >> 16,
        turns: words[3],
        session_ms: words[4],
    })
}
