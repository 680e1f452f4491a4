//! Exclusive C14N (with and without an InclusiveNamespaces list) over arbitrary input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rsmev_c14n::Algorithm;

fuzz_target!(|data: &[u8]| {
    if let Some((opts, doc)) = rsmev_c14n_fuzz::split(data, Some(Algorithm::Exclusive)) {
        rsmev_c14n_fuzz::run(&opts, doc);
    }
});
