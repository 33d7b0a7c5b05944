//! The status LED (on the Pico, GP25) says what the device is doing:
//!
//! | pattern | meaning |
//! |---|---|
//! | a short flash every 2 s | ready, not recording |
//! | on, with a short gap every 2 s | recording |
//! | slow blink (1 s on, 1 s off) | paused (not reachable from the buttons yet) |
//! | double flash every 2 s | store full: pull the sessions and erase |
//! | fast flicker | error: flash or configuration (see the defmt log) |

use embassy_rp::gpio::Output;
use embassy_time::Timer;
use tabletalk_core::protocol::RecordingState;

use crate::shared;

/// One step of a pattern: LED state and how long it lasts (ms).
type Step = (bool, u64);

const READY: &[Step] = &[(true, 60), (false, 1940)];
const RECORDING: &[Step] = &[(true, 1900), (false, 100)];
const PAUSED: &[Step] = &[(true, 1000), (false, 1000)];
const FULL: &[Step] = &[(true, 100), (false, 150), (true, 100), (false, 1650)];
const ERROR: &[Step] = &[(true, 50), (false, 50)];

fn pattern(state: RecordingState) -> &'static [Step] {
    match state {
        RecordingState::Idle => READY,
        RecordingState::Recording { .. } => RECORDING,
        RecordingState::Paused { .. } => PAUSED,
        RecordingState::StoreFull => FULL,
        RecordingState::Fault => ERROR,
    }
}

/// Shows the state for ever; a change shows from the next step on.
#[embassy_executor::task]
pub async fn status_led_task(mut led: Output<'static>) {
    loop {
        let steps = pattern(shared::state());
        for &(on, ms) in steps {
            led.set_level(on.into());
            Timer::after_millis(ms).await;
            if pattern(shared::state()) != steps {
                break;
            }
        }
    }
}
