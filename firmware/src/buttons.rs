//! The buttons task: reads the seat buttons and the facilitator's button
//! every millisecond and tells the recorder when anything changed.
//! Debouncing, hold/toggle, stuck buttons and chatter are the core's job.

use embassy_rp::gpio::Input;
use embassy_time::{Duration, Ticker};
use portable_atomic::Ordering;

use crate::board::SEAT_BUTTONS;
use crate::shared::{BUTTONS, BUTTONS_CHANGED, FACILITATOR_BIT};

/// How often the pins are read.
const POLL: Duration = Duration::from_millis(1);

/// Polls the buttons for ever. Buttons pull their pin to ground: low is
/// pressed.
#[embassy_executor::task]
pub async fn buttons_task(seats: [Input<'static>; SEAT_BUTTONS], facilitator: Input<'static>) {
    let mut ticker = Ticker::every(POLL);
    let mut last = 0u32;
    loop {
        let mut pressed = 0u32;
        for (index, pin) in seats.iter().enumerate() {
            if pin.is_low() {
                pressed |= 1 << index;
            }
        }
        if facilitator.is_low() {
            pressed |= FACILITATOR_BIT;
        }
        if pressed != last {
            BUTTONS.store(pressed, Ordering::Relaxed);
            BUTTONS_CHANGED.signal(());
            last = pressed;
        }
        ticker.next().await;
    }
}
