//! libFuzzer entry for [`feedlab_fuzz::counting`]: `bash scripts/fuzz.sh` runs it.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| feedlab_fuzz::counting::check(data));
