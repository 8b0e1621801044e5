#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rollguard_fuzz::yaml_fast(data));
