//! Exclusive C14N followed by the SMEV 3 transform over arbitrary input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rsmev_c14n::Algorithm;

fuzz_target!(|data: &[u8]| {
    if let Some((opts, doc)) = rsmev_c14n_fuzz::split(data, Some(Algorithm::Exclusive)) {
        // The transform takes no InclusiveNamespaces list.
        let mut opts = opts.smev_transform(true);
        opts.inclusive_prefixes.clear();
        rsmev_c14n_fuzz::run(&opts, doc);
    }
});
