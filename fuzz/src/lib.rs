//! Fuzz harnesses for tabletalk.
//!
//! Each harness module has a `run(data: &[u8])` that turns arbitrary bytes
//! into input for one part of tabletalk, drives it, and checks what it
//! promises. It returns normally on any input; it panics only when a
//! promise is broken — that panic is a finding. The libFuzzer targets in
//! `fuzz_targets/` are one line each around these functions, and the
//! workspace's `cargo test` replays the kept corpus (`corpus/<target>/`)
//! and every past finding (`regressions/<target>/`) through them, so a
//! finding stays fixed without nightly or libFuzzer.
//!
//! | target | what it feeds | what it checks |
//! |---|---|---|
//! | [`log_decoder`] | a byte stream, or frames with valid CRCs built from the bytes | records re-encode to themselves; items cover the input in order; sessions' turns are consistent |
//! | [`report_json`] | the same logs, through the laptop's reader, metrics and every report format | valid JSON with the loss counted; figures finite; bounded output |
//! | [`protocol_stream`] | request bytes to the device's handler (raw or validly framed), and device bytes to the laptop's parser | every reply is one well-formed frame answering its request; nothing stalls |
//! | [`engine_ops`] | a sequence of engine calls (buttons, samples, ticks, controls, time jumps and wraps) | events in time order, no overlapping turns, everything the engine emits is logged and decodes back |
//!
//! Because a CRC-32C guards every frame, random bytes almost never reach
//! the record parsers: the harnesses therefore have a *framed* mode (the
//! first input byte chooses), in which the fuzzer's bytes are cut into
//! payloads and wrapped in frames with correct CRCs ([`framing`]).

pub mod bytes;
pub mod engine_ops;
pub mod framing;
pub mod log_decoder;
pub mod protocol_stream;
pub mod report_json;
pub mod seeds;

/// A harness: arbitrary bytes in, a panic only for a broken promise.
pub type Harness = fn(&[u8]);

/// The harnesses by target name, for the replay test and the seed tool.
pub const TARGETS: [(&str, Harness); 4] = [
    ("log_decoder", log_decoder::run),
    ("report_json", report_json::run),
    ("protocol_stream", protocol_stream::run),
    ("engine_ops", engine_ops::run),
];
