//! Inputs: pin states and ADC samples as the device reads them.
//!
//! This layer knows about hardware only through plain values. It has two
//! halves:
//!
//! * **Buttons.** [`debounce::Debouncer`] accepts a pin level once it has
//!   held for `debounce_ms` and dates the edge at its real start.
//!   [`button::SeatButton`] builds a seat's button source on it:
//!   hold-to-talk or toggle, a stuck button released after the maximum turn
//!   (the turn is cut and `ButtonStuck` raised), chatter detection.
//!   [`facilitator::FacilitatorButton`] turns the facilitator's presses into
//!   agenda markers (short) and session start/stop (long).
//!   The caller reads its pins into the bit mask the engine takes (the
//!   firmware's `buttons.rs` does, from embassy's GPIO inputs).
//! * **Level sources.** [`level::LevelSource`] is the HAL-agnostic trait for
//!   anything that delivers raw microphone samples and knows its full scale;
//!   what happens to the samples is the [`activity`](crate::activity)
//!   layer's business.
//!
//! Everything here is driven by the caller's readings: nothing is read from
//! a clock, and a button that is never read simply never changes.

pub mod button;
pub mod debounce;
pub mod facilitator;
pub mod level;

pub use button::SeatButton;
pub use debounce::Debouncer;
pub use facilitator::FacilitatorButton;
pub use level::{LevelSource, SliceSource};
