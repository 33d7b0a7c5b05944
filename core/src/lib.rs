//! # tabletalk-core
//!
//! The part of tabletalk that runs on the meeting-table device, and that the
//! laptop tool reuses to read what the device wrote. It is `no_std`, uses no
//! allocator and no `unsafe`, and is *sans-IO*: it never reads a clock, a pin
//! or an ADC itself. The caller hands it timestamps ([`time::Instant`]),
//! button states and microphone levels as plain values, and gets back events
//! and encoded bytes.
//!
//! ## Layers
//!
//! Data flows down this list; each layer is a module:
//!
//! | layer | module | turns … | into … |
//! |---|---|---|---|
//! | inputs | [`inputs`] | pin states, ADC samples | debounced presses, envelope frames |
//! | activity | [`activity`] | level frames | per-seat speech on/off |
//! | turns | [`turns`] | per-seat activity | turns, floor, interruptions, live figures |
//! | records | [`records`] | turns and markers | versioned log records |
//! | log | [`log`] | records | CRC-checked COBS frames, and back |
//!
//! [`engine`] wires the layers together for a device, [`recorder`] takes a
//! session's events through the log writer into a sink (the flash store
//! on the device, feature `store`), [`params`] holds every detection parameter
//! (all of which are written into each log header).
//!
//! No audio ever leaves the inputs layer: only per-seat activity is kept.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod activity;
pub mod engine;
pub mod frame;
pub mod inputs;
pub mod log;
pub mod params;
pub mod protocol;
pub mod recorder;
pub mod records;
pub mod seat;
#[cfg(feature = "store")]
pub mod store;
pub mod time;
pub mod turns;
