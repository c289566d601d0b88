#![no_main]
#[path = "../../conformance/fuzz/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::item_codec(data));
