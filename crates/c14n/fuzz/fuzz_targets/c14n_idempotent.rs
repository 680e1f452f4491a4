//! Canonical documents are fixed points: whenever whole-document canonicalization succeeds,
//! canonicalizing its output again with the same options succeeds and changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((mut opts, doc)) = rsmev_c14n_fuzz::split(data, None) else {
        return;
    };
    // Whole-document mode, default limits: escaping can make the output longer than a tight
    // limit allows, which is not a failure of the fixed-point property.
    opts.subset = None;
    opts.limits = rsmev_xml::Limits::default();
    let Some(once) = rsmev_c14n_fuzz::run(&opts, doc) else {
        return;
    };
    let twice = rsmev_c14n::canonicalize_to_vec(&once, &opts).unwrap_or_else(|e| {
        panic!(
            "canonical output refused: {e}\nopts: {opts:?}\ninput: {:?}\noutput: {:?}",
            String::from_utf8_lossy(doc),
            String::from_utf8_lossy(&once)
        )
    });
    assert!(
        twice == once,
        "not a fixed point\nopts: {opts:?}\ninput: {:?}\nonce:  {:?}\ntwice: {:?}",
        String::from_utf8_lossy(doc),
        String::from_utf8_lossy(&once),
        String::from_utf8_lossy(&twice)
    );
});
