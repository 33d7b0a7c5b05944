//! The laptop side of tabletalk: reading logs, computing participation
//! metrics and writing reports. The `tabletalk` binary is a thin clap front
//! end over this library, so the tests and benchmarks call the same code.

pub mod annotation;
pub mod cli;
pub mod commands;
pub mod device;
pub mod duration;
pub mod error;
pub mod inputs;
pub mod logs;
pub mod metrics;
pub mod report;
pub mod roster;
pub mod session;
