//! See `tabletalk_fuzz::report_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tabletalk_fuzz::report_json::run(data));
