//! Talking to a table device over USB: the laptop end of the protocol in
//! `tabletalk_core::protocol` (spec: `docs/device-protocol.md`).
//!
//! - [`transport`]: the byte stream ([`transport::Transport`]): the USB
//!   serial port, found by its USB identity, or any other stream.
//! - [`client`]: [`client::DeviceClient`] sends requests, matches replies by
//!   id, retries lost or damaged ones, and queues live updates.
//! - [`pull`], [`live`], [`config_file`]: what the `tabletalk device`
//!   subcommands do, independent of the terminal; [`serve`]: the live
//!   view as a local web page (`device live --serve`).
//! - [`pipe`] and [`simulator`]: an in-memory pipe and a simulated device
//!   running the core's own device handler, so all of the above is tested
//!   end to end without hardware.

pub mod client;
pub mod config_file;
pub mod live;
pub mod naming;
pub mod pipe;
pub mod pull;
pub mod serve;
pub mod simulator;
pub mod transport;

pub use client::{DeviceClient, DeviceError, LinkOptions, LiveFrame};
pub use transport::{SerialTransport, Transport};
