//! Envelope extraction behind signature verification over arbitrary input: bytes → verified
//! (embedded certificates only, every profile) → the exchange's facts. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    rsmev_envelope_fuzz::run(data);
});
