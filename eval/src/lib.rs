//! The microphone evaluation: a generator of realistic per-seat signals from
//! real meeting timings, the Open Badges baseline detector, scoring against
//! references, and the driver that runs the real core over all of it.
//! `docs/mic-evaluation.md` defines every figure.
//!
//! It also reads and writes the reference formats the evaluation scores
//! against ([`rttm`]: RTTM and UEM), which the `tabletalk` CLI uses for
//! import and export as well. The CLI depends on this crate, never the
//! other way round: errors here are plain values ([`error::BadInput`]) that
//! the CLI maps to its exit codes.

pub mod assignment;
pub mod badge_meter;
pub mod baseline;
pub mod config;
pub mod corpus;
pub mod demo;
pub mod error;
pub mod evaluation;
pub mod openbadge;
pub mod pipeline;
pub mod resample;
pub mod rng;
pub mod rttm;
pub mod scene;
pub mod score;
pub mod sources;
pub mod spans;
pub mod synth;
pub mod tuning;
pub mod voice;
