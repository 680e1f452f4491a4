//! Signature verification over arbitrary input: never a panic, and `check` and `verify` agree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rsmev_signature_fuzz::run(data);
});
