//! See `tabletalk_fuzz::log_decoder`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tabletalk_fuzz::log_decoder::run(data));
