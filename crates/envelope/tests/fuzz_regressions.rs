//! The `envelope` fuzz target (`crates/envelope/fuzz`) on stable Rust: its seed corpus and
//! deterministic mutations of it go through the target's own body (the file is included
//! below, not copied), so `cargo test` replays what libFuzzer starts from. Inputs a fuzzing run
//! finds are kept here as named tests, bytes as literals (see docs/FUZZING.md).

mod common;

#[path = "../fuzz/src/lib.rs"]
mod target;

use std::path::{Path, PathBuf};

use common::*;
use rsmev_signature::Profile;

fn files(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    out.sort();
    out
}

/// The seed corpus docs/FUZZING.md tells how to lay out for libFuzzer: real signed messages
/// (the signature crate's corpus and the public samples) and messages signed here with the
/// test PKI, so that some inputs verify and reach the envelope.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["../signature/tests/data/real", "../c14n/tests/data/samples"] {
        for path in files(dir) {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    let template = send_request_template();
    out.push((
        "signed-smev3-test".into(),
        sign(&template, Profile::Smev3).into_bytes(),
    ));
    out.push((
        "signed-smev3-prod".into(),
        sign(&template.replace("<ns:TestMessage/>", ""), Profile::Smev3).into_bytes(),
    ));
    let smev2 = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../signature/tests/data/smev2-request-unsigned.xml"),
    )
    .unwrap();
    out.push((
        "signed-smev2".into(),
        sign(&smev2, Profile::Smev2).into_bytes(),
    ));
    out
}

/// xorshift64*: deterministic, so a failure names a reproducible mutant.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens a mutation splices in: structure the reader, the verifier and the envelope each
/// treat specially.
const TOKENS: &[&[u8]] = &[
    b"<!DOCTYPE a [<!ENTITY x \"y\">]>",
    b"&x;",
    b"]]>",
    b" Id=\"SIGNED_BY_CONSUMER\"",
    b" id=\"SIGNED_BY_CONSUMER\"",
    b"<ns:TestMessage/>",
    b"</",
    b"<soap:Body>",
    b"xmlns:ns=\"\"",
    b"\xd0",
    b"\r\n",
    b"<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>",
];

/// One mutant of `seed`: a byte changed, a range deleted, duplicated or cut off, or a token
/// spliced in — the moves a fuzzer starts with.
fn mutate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut m = seed.to_vec();
    if m.is_empty() {
        return m;
    }
    let at = rng.below(m.len());
    match rng.below(5) {
        0 => m[at] ^= 1 << rng.below(8),
        1 => {
            let end = (at + 1 + rng.below(64)).min(m.len());
            m.drain(at..end);
        }
        2 => {
            let end = (at + 1 + rng.below(256)).min(m.len());
            let copy = m[at..end].to_vec();
            m.splice(at..at, copy);
        }
        3 => m.truncate(at),
        _ => {
            let token = TOKENS[rng.below(TOKENS.len())];
            m.splice(at..at, token.iter().copied());
        }
    }
    m
}

/// Every seed, as is: no panic, and enough of them verify and reach the envelope that the
/// corpus exercises extraction, not only refusals.
#[test]
fn the_seed_corpus() {
    let seeds = seeds();
    assert!(seeds.len() >= 45, "{} seeds", seeds.len());
    let mut verified = 0;
    let mut exchanged = 0;
    for (name, bytes) in &seeds {
        let reached = std::panic::catch_unwind(|| target::run(bytes))
            .unwrap_or_else(|_| panic!("the target panicked on seed {name}"));
        verified += u32::from(reached.verified > 0);
        exchanged += u32::from(reached.exchanged > 0);
    }
    assert!(verified >= 30, "{verified} seeds verify");
    assert!(exchanged >= 20, "{exchanged} seeds reach an exchange");
}

/// Deterministic mutants of every seed, as a fuzzer's first moves: no panic. (A mutant that
/// still verifies changed only unsigned bytes; those are the interesting ones for the
/// envelope, which must never read facts from them.)
#[test]
fn mutants_of_the_seed_corpus() {
    const PER_SEED: usize = 24;
    let mut rng = Rng(0x5eed_f00d_cafe_d00d);
    let mut still_verified = 0;
    for (name, bytes) in seeds() {
        for i in 0..PER_SEED {
            let mutant = mutate(&bytes, &mut rng);
            let reached = std::panic::catch_unwind(|| target::run(&mutant)).unwrap_or_else(|_| {
                panic!(
                    "the target panicked on mutant {i} of {name}: {:?}",
                    String::from_utf8_lossy(&mutant)
                )
            });
            still_verified += u32::from(reached.verified > 0);
        }
    }
    // Mutations of unsigned bytes (whitespace between header blocks, the XML declaration,
    // truncation after the root) keep a message verifiable; some must have done so.
    assert!(still_verified > 0);
}
