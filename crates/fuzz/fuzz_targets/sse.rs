//! libFuzzer entry for [`feedlab_fuzz::sse`]: `bash scripts/fuzz.sh` runs it.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedlab_fuzz::sse::check(data));
