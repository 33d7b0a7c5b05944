//! Reading buttons through `embedded-hal` pins.
//!
//! The engine takes button states as a bit mask (bit *i* = seat *i* pressed).
//! [`read_pressed_mask`] builds that mask from any slice of
//! [`embedded_hal::digital::InputPin`]s, such as embassy-rp's `Input`, with
//! the wiring's polarity: buttons to ground with pull-ups read low when
//! pressed ([`Polarity::ActiveLow`]).
//!
//! ```
//! use core::convert::Infallible;
//! use embedded_hal::digital::{ErrorType, InputPin};
//! use tabletalk_core::inputs::pins::{read_pressed_mask, Polarity};
//!
//! /// A pin that reads a fixed level (a stand-in for a GPIO).
//! struct Fixed(bool);
//! impl ErrorType for Fixed { type Error = Infallible; }
//! impl InputPin for Fixed {
//!     fn is_high(&mut self) -> Result<bool, Infallible> { Ok(self.0) }
//!     fn is_low(&mut self) -> Result<bool, Infallible> { Ok(!self.0) }
//! }
//!
//! // Pull-ups: seat 1 is pressed (low), seats 0 and 2 are not.
//! let mut pins = [Fixed(true), Fixed(false), Fixed(true)];
//! assert_eq!(read_pressed_mask(&mut pins, Polarity::ActiveLow), Ok(0b010));
//! ```

use embedded_hal::digital::InputPin;

/// Which pin level means "pressed".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Polarity {
    /// Pressed reads low (button to ground, pull-up): the usual wiring.
    #[default]
    ActiveLow,
    /// Pressed reads high (button to the supply, pull-down).
    ActiveHigh,
}

/// Reads up to 16 pins into a pressed mask: bit *i* is set when `pins[i]`
/// is pressed. Pins beyond the 16th are not read.
pub fn read_pressed_mask<P: InputPin>(pins: &mut [P], polarity: Polarity) -> Result<u16, P::Error> {
    let mut mask = 0u16;
    for (bit, pin) in pins.iter_mut().take(16).enumerate() {
        let pressed = match polarity {
            Polarity::ActiveLow => pin.is_low()?,
            Polarity::ActiveHigh => pin.is_high()?,
        };
        if pressed {
            mask |= 1 << bit;
        }
    }
    Ok(mask)
}

/// Reads one pin as pressed or not (for the facilitator button).
pub fn read_pressed<P: InputPin>(pin: &mut P, polarity: Polarity) -> Result<bool, P::Error> {
    match polarity {
        Polarity::ActiveLow => pin.is_low(),
        Polarity::ActiveHigh => pin.is_high(),
    }
}
