//! Canonical XML 1.0 / 1.1 (and Exclusive) over arbitrary input: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((opts, doc)) = rsmev_c14n_fuzz::split(data, None) {
        rsmev_c14n_fuzz::run(&opts, doc);
    }
});
