//! The signature fuzz target (`crates/signature/fuzz`, see docs/FUZZING.md) as a regression
//! test over its seed corpus: the real samples and this crate's test data, and messages signed
//! here, each under every selector, plus deterministic mutations of them (truncations, byte
//! flips, a signature or a Reference repeated). The target's own properties — no panic,
//! `check` and `verify` agree, one origin — are what is checked.

mod common;

#[path = "../fuzz/src/lib.rs"]
mod target;

use common::*;
use rsmev_signature::Profile;

/// The corpus the fuzz target is seeded with (`docs/FUZZING.md` writes the same files).
fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let dirs = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/../c14n/tests/data/samples"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"),
    ];
    for dir in dirs {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        names.sort();
        for p in names {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    let smev3 = include_str!("data/smev3-send-request-unsigned.xml");
    let smev2 = include_str!("data/smev2-request-unsigned.xml");
    for (name, profile, doc) in [
        ("signed smev3 gost", Profile::Smev3, smev3),
        ("signed smev2 gost", Profile::Smev2, smev2),
        ("signed any gost", Profile::Any, smev3),
    ] {
        out.push((
            name.into(),
            sign_as("participant-gost256", profile, doc).into_bytes(),
        ));
    }
    out.push((
        "signed smev3 rsa".into(),
        sign_as("participant-rsa", Profile::Smev3, smev3).into_bytes(),
    ));
    out
}

const SELECTORS: [u8; 10] = [0, 1, 2, 4, 5, 6, 8, 9, 16, 20];

fn run(selector: u8, doc: &[u8]) {
    let mut data = Vec::with_capacity(doc.len() + 1);
    data.push(selector);
    data.extend_from_slice(doc);
    target::run(&data);
}

#[test]
fn seeds_under_every_selector() {
    for (name, doc) in seeds() {
        for sel in SELECTORS {
            let r = std::panic::catch_unwind(|| run(sel, &doc));
            assert!(r.is_ok(), "{name} selector {sel}");
        }
    }
    target::run(&[]);
    target::run(&[0]);
}

/// Deterministic mutations of the small seeds: every way the fuzzer starts out.
#[test]
fn mutated_seeds() {
    for (name, doc) in seeds().into_iter().filter(|(_, d)| d.len() < 16 << 10) {
        let text = String::from_utf8_lossy(&doc).into_owned();
        let mut variants: Vec<Vec<u8>> = Vec::new();
        for k in 1..12 {
            variants.push(doc[..doc.len() * k / 12].to_vec());
        }
        for k in 0..24 {
            let mut d = doc.clone();
            let at = d.len() * k / 24;
            d[at] ^= 0x20;
            variants.push(d);
        }
        for (open, close) in [
            ("<ds:Signature", "</ds:Signature>"),
            ("<ds:Reference ", "</ds:Reference>"),
            ("<ds:SignatureValue>", "</ds:SignatureValue>"),
            ("<wsse:Security", "</wsse:Security>"),
        ] {
            if let (Some(a), Some(b)) = (text.find(open), text.find(close))
                && a < b
            {
                let part = &text[a..b + close.len()];
                variants.push(text.replacen(part, &part.repeat(3), 1).into_bytes());
                variants.push(text.replacen(part, "", 1).into_bytes());
            }
        }
        for d in variants {
            for sel in [0u8, 1, 2, 8, 16] {
                let r = std::panic::catch_unwind(|| run(sel, &d));
                assert!(
                    r.is_ok(),
                    "{name} selector {sel}: {:?}",
                    String::from_utf8_lossy(&d)
                );
            }
        }
    }
}
