//! Shared by the fuzz targets: the first input byte selects the options, the rest is the
//! document.

use rsmev_c14n::{Algorithm, Options};

/// Ids a subset may be looked up by; fuzzers find `Id="a"` quickly from the seed corpus.
const IDS: [&str; 4] = ["a", "b", "SIGNED_BY_CONSUMER", ""];

/// Splits `data` into options and document. The selector byte's bits:
/// 0 comments; 1..=2 subset (none, or one of three Ids); 3..=4 the Id; 5..=6 algorithm
/// (C14N 1.0, C14N 1.1, Exclusive, Exclusive with an InclusiveNamespaces list);
/// 7 tight limits.
pub fn split(data: &[u8], algorithm: Option<Algorithm>) -> Option<(Options, &[u8])> {
    let (&sel, doc) = data.split_first()?;
    let mut opts = match algorithm.unwrap_or(match (sel >> 5) & 3 {
        0 => Algorithm::C14n10,
        1 => Algorithm::C14n11,
        _ => Algorithm::Exclusive,
    }) {
        Algorithm::Exclusive if (sel >> 5) & 3 == 3 => {
            Options::new(Algorithm::Exclusive).inclusive_prefixes("#default p ns1 xml")
        }
        alg => Options::new(alg),
    };
    opts = opts.with_comments(sel & 1 == 1);
    if (sel >> 1) & 3 != 0 {
        opts = opts.subset(IDS[usize::from((sel >> 3) & 3)]);
    }
    if sel & 0x80 != 0 {
        opts = opts.limits(rsmev_xml::Limits {
            max_size: 4096,
            max_depth: 6,
            max_attributes: 4,
            max_name_len: 16,
            max_attr_value_len: 32,
            max_namespace_bindings: 6,
        });
    }
    Some((opts, doc))
}

/// Canonicalizes and checks what must hold of any output.
pub fn run(opts: &Options, doc: &[u8]) -> Option<Vec<u8>> {
    let out = rsmev_c14n::canonicalize_to_vec(doc, opts);
    match out {
        Ok(out) => {
            assert!(std::str::from_utf8(&out).is_ok(), "output is not UTF-8");
            Some(out)
        }
        Err(e) => {
            let _ = e.fault_code();
            let _ = e.to_string();
            None
        }
    }
}
