//! See `tabletalk_fuzz::engine_ops`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tabletalk_fuzz::engine_ops::run(data));
