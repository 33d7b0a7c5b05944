//! What the device does when something goes wrong that the code does not
//! handle: it never hangs on the table. A panic or a hard fault logs what it
//! can and resets the chip; a watchdog resets it when the executor stops
//! running tasks (a stuck driver, an endless loop).
//!
//! After the reset the store remounts like after a power cut: every frame
//! written before is intact (the power-cut tests cover this), the interrupted
//! session simply has no end record, and the device is idle until the
//! facilitator starts a session again (the status LED shows it).
//!
//! The core itself cannot panic (proven at link time by `tests/panic-never`);
//! what remains are the HAL's and USB stack's own checks.

use cortex_m_rt::{exception, ExceptionFrame};
use embassy_rp::watchdog::Watchdog;
use embassy_time::{Duration, Timer};

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

/// Feeds the watchdog while the executor runs tasks. Paused while a debugger
/// halts the core, so stepping through code does not reset it.
#[embassy_executor::task]
pub async fn watchdog_task(mut watchdog: Watchdog) -> ! {
    watchdog.pause_on_debug(true);
    watchdog.start(WATCHDOG_TIMEOUT);
    loop {
        Timer::after(FEED_EVERY).await;
        watchdog.feed(WATCHDOG_TIMEOUT);
    }
}
