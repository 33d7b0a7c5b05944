//! Live feedback on the table: each seat's share of speaking time against
//! its fair share, on one PWM LED per seat or one pixel of a WS2812 ring.
//! Off unless the configuration switches it on (`led_feedback`).
//!
//! PWM: dark at no speaking, half brightness at exactly the fair share, full
//! at twice it or more. Ring: blue below the fair share, green at it, red
//! above (the hue moves with the ratio); a seat speaking now is brighter.

use tabletalk_core::turns::live::Q16_ONE;

use crate::shared::{Feedback, FEEDBACK};

/// Brightness 0..=255 for a share of the fair share (Q16): 128 at 1.0, 255
/// at 2.0 or more, with a square for the eye's response.
fn brightness(share_of_fair_q16: u32) -> u8 {
    let ratio = share_of_fair_q16.min(2 * Q16_ONE); // 0..=2.0
    let linear = ratio >> 9; // 0..=256
    let squared = (linear * linear) >> 8; // 0..=256
    squared.min(255) as u8
}

#[cfg(feature = "leds-pwm")]
mod pwm {
    use embassy_rp::pwm::{Config, Pwm, SetDutyCycle};

    use super::*;
    use crate::board::SEAT_LEDS;

    /// PWM counter top: 1 kHz at 125 MHz with the divider below.
    const TOP: u16 = 4095;

    /// The PWM configuration of the LED slices.
    pub fn config() -> Config {
        let mut config = Config::default();
        config.top = TOP;
        config.divider = 30u8.into();
        config
    }

    /// Drives the seat LEDs for ever (seat `i` on `leds[i]`).
    #[embassy_executor::task]
    pub async fn feedback_task(mut slices: [Pwm<'static>; SEAT_LEDS / 2]) {
        loop {
            let feedback = FEEDBACK.wait().await;
            for (pair, slice) in slices.iter_mut().enumerate() {
                let (a, b) = slice.split_by_ref();
                for (half, output) in [a, b].into_iter().enumerate() {
                    let seat = pair * 2 + half;
                    if let Some(mut output) = output {
                        let duty = duty(&feedback, seat);
                        let _ = output.set_duty_cycle(duty);
                    }
                }
            }
        }
    }

    fn duty(feedback: &Feedback, seat: usize) -> u16 {
        let used = feedback.seats & (1 << seat) != 0;
        if !feedback.enabled || !used {
            return 0;
        }
        let share = feedback.share_of_fair_q16.get(seat).copied().unwrap_or(0);
        (u32::from(brightness(share)) * u32::from(TOP) / 255) as u16
    }
}

#[cfg(feature = "leds-pwm")]
pub use pwm::{config as pwm_config, feedback_task};

#[cfg(feature = "leds-ws2812")]
mod ring {
    use embassy_rp::peripherals::PIO0;
    use embassy_rp::pio_programs::ws2812::{Grb, PioWs2812};
    use smart_leds::RGB8;

    use super::*;
    use crate::board::SEAT_LEDS;

    /// The brightest a pixel gets (of 255): the ring sits on a table in
    /// front of people, not on a stage.
    const MAX_LEVEL: u32 = 48;

    /// Drives the ring for ever (seat `i` on pixel `i`).
    #[embassy_executor::task]
    pub async fn feedback_task(mut ring: PioWs2812<'static, PIO0, 0, SEAT_LEDS, Grb>) {
        loop {
            let feedback = FEEDBACK.wait().await;
            let pixels: [RGB8; SEAT_LEDS] = core::array::from_fn(|seat| color(&feedback, seat));
            ring.write(&pixels).await;
        }
    }

    /// Blue (under) through green (fair) to red (over).
    fn color(feedback: &Feedback, seat: usize) -> RGB8 {
        let used = feedback.seats & (1 << seat) != 0;
        if !feedback.enabled || !used {
            return RGB8::default();
        }
        let share = feedback.share_of_fair_q16.get(seat).copied().unwrap_or(0);
        let speaking = feedback.speaking & (1 << seat) != 0;
        let level = if speaking { MAX_LEVEL } else { MAX_LEVEL / 3 };
        let ratio = share.min(2 * Q16_ONE); // 0..=2.0
        let (r, g, b) = if ratio <= Q16_ONE {
            let t = ratio; // blue -> green
            (0, t, Q16_ONE - t)
        } else {
            let t = ratio - Q16_ONE; // green -> red
            (t, Q16_ONE - t, 0)
        };
        let scale = |c: u32| ((c * level) >> 16) as u8;
        let _ = brightness;
        RGB8::new(scale(r), scale(g), scale(b))
    }
}

#[cfg(feature = "leds-ws2812")]
pub use ring::feedback_task;
