//! Which pin does what on a Raspberry Pi Pico. `docs/hardware.md` has the
//! same table with wiring notes; keep the two in step. Seats are numbered
//! from 0, as `tabletalk device config --seat` numbers them.
//!
//! | pins | use |
//! |---|---|
//! | GP2-GP9 | buttons of seats 0-7, to GND when pressed (internal pull-ups) |
//! | GP10-GP17 | LEDs of seats 0-7 (PWM), or GP10: WS2812 ring data (feature `leds-ws2812`) |
//! | GP18, GP19, GP20, GP21 | MCP3008 CLK, DIN, DOUT, CS (feature `ext-adc`) |
//! | GP22 | facilitator button, to GND when pressed |
//! | GP23 | (on the board) held high: regulator in low-ripple PWM mode |
//! | GP25 | (on the board) status LED |
//! | GP26, GP27, GP28 | microphones: ADC0-2 (level-source channels 0-2) |

/// Seat buttons wired to the board.
pub const SEAT_BUTTONS: usize = 8;

/// Seat LEDs wired to the board (PWM) or pixels driven on the ring.
#[cfg(feature = "leds-ws2812")]
pub const SEAT_LEDS: usize = tabletalk_core::seat::MAX_SEATS;
/// Seat LEDs wired to the board (PWM) or pixels driven on the ring.
#[cfg(not(feature = "leds-ws2812"))]
pub const SEAT_LEDS: usize = 8;

/// Microphone channels on the RP2040's own ADC (GP26-GP28).
pub const ADC_CHANNELS: u8 = 3;

/// Microphone channels on the external ADC (MCP3008), numbered after the
/// RP2040's.
#[cfg(feature = "ext-adc")]
pub const EXT_CHANNELS: u8 = 8;
/// Microphone channels on the external ADC (MCP3008), numbered after the
/// RP2040's.
#[cfg(not(feature = "ext-adc"))]
pub const EXT_CHANNELS: u8 = 0;

/// Every microphone channel the board has.
pub const MIC_CHANNELS: u8 = ADC_CHANNELS + EXT_CHANNELS;

/// Full scale of the RP2040's 12-bit ADC.
pub const ADC_FULL_SCALE: u16 = 4095;
/// Full scale of the MCP3008's 10-bit ADC.
pub const EXT_FULL_SCALE: u16 = 1023;

/// Samples per second per microphone channel.
pub const SAMPLE_RATE_HZ: u32 = 8000;

/// Full scale of a level-source channel.
pub const fn full_scale(channel: u8) -> u16 {
    if channel < ADC_CHANNELS {
        ADC_FULL_SCALE
    } else {
        EXT_FULL_SCALE
    }
}
