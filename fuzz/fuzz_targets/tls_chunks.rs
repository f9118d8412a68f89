#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| sockhelp_fuzz::fuzz_tls_chunks(data));
