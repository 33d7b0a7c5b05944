//! # tabletalk-scenario
//!
//! One scripted meeting at a four-seat table, generated rather than stored,
//! and identical wherever it is generated: on the laptop, and inside the
//! emulated Cortex-M0 device (`tests/qemu`). Both feed it through
//! tabletalk-core and compare what comes out, byte for byte.
//!
//! * [`seats`]: the table (one push-button seat, three microphone seats).
//! * [`conversation`]: who talks when (turns, gaps, interruptions,
//!   backchannels).
//! * [`signal`]: voices and microphones as 12-bit ADC samples.
//! * [`meeting`]: the [`Script`] and the millisecond loop that plays it into
//!   a [`Device`].
//! * [`rng`]: the pseudo-random generator everything draws from.
//! * [`record`]: the device pipeline under test: the meeting through
//!   tabletalk-core's engine and log writer into log bytes
//!   ([`record_meeting`]).
//!
//! `no_std`, no allocation, integer math only, like the core it drives.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod conversation;
pub mod meeting;
pub mod record;
pub mod rng;
pub mod seats;
pub mod signal;

pub use meeting::{Device, Script, Truth};
pub use record::{record_meeting, record_meeting_observed, RecordError, Summary};
