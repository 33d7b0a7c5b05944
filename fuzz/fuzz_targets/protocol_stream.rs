//! See `tabletalk_fuzz::protocol_stream`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tabletalk_fuzz::protocol_stream::run(data));
