//! What the certificate cache saves per message: the cost of turning a `ds:X509Certificate`
//! text into a validated certificate, cold (decode, parse, validate) and through `CertCache`.
//!
//! `cargo run --release -p rsmev-pki --example cache_hot_path [ITERATIONS]`
//! Uses the ECDSA test PKI of tests/data/edge (root → sub-CA → leaf).

use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use base64::Engine as _;
use rsmev_pki::{CertCache, Certificate, TrustStore, ValidationOptions};

fn main() {
    let n: u32 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("ITERATIONS"))
        .unwrap_or(200_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/edge");
    let pem = |f: &str| Certificate::from_pem(&std::fs::read(dir.join(f)).unwrap()).unwrap();
    let mut store = TrustStore::new();
    store.add_anchor(pem("root-a.pem"));
    store.add_intermediate(pem("sub-a.pem"));
    let leaf = pem("leaf-a.pem");
    // As XML carries it: 76-column lines.
    let b64 = base64::engine::general_purpose::STANDARD.encode(leaf.der());
    let text = b64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    // Inside the test PKI's validity (2025–2045), whatever the clock says.
    let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_893_456_000);
    let opts = ValidationOptions::default();

    let cold = (n / 100).max(100);
    let t = Instant::now();
    for _ in 0..cold {
        let c = Certificate::from_base64(&text).unwrap();
        store.validate(&c, at, &opts).unwrap();
    }
    let cold_ns = t.elapsed().as_nanos() as f64 / f64::from(cold);

    let t = Instant::now();
    for _ in 0..cold {
        Certificate::from_base64(&text).unwrap();
    }
    let parse_ns = t.elapsed().as_nanos() as f64 / f64::from(cold);

    let spki = spki_of(leaf.der());
    let t = Instant::now();
    for _ in 0..cold {
        rsmev_crypto::PublicKey::from_spki_der(spki).unwrap();
    }
    let key_ns = t.elapsed().as_nanos() as f64 / f64::from(cold);

    let cache = CertCache::new(1024);
    let t = Instant::now();
    for _ in 0..n {
        let c = cache.get_or_parse_base64(&text).unwrap();
        cache.validate_cached(&store, &c, at, &opts).unwrap();
    }
    let hot_ns = t.elapsed().as_nanos() as f64 / f64::from(n);
    let s = cache.stats();
    assert_eq!((s.parses, s.validations), (1, 1));

    println!(
        "certificate {} bytes, base64 {} chars",
        leaf.der().len(),
        text.len()
    );
    println!("cold: decode+parse            {:>10.0} ns", parse_ns);
    println!("  of which PublicKey::from_spki_der {:>6.0} ns", key_ns);
    println!(
        "cold: decode+parse+validate   {:>10.0} ns  (2 ECDSA P-256/RSA link checks)",
        cold_ns
    );
    println!("cached (CertCache), {n} iterations: {:>8.0} ns", hot_ns);
}

/// The SubjectPublicKeyInfo element of a certificate (7th element of tbsCertificate, after
/// the optional [0] version).
fn spki_of(der: &[u8]) -> &[u8] {
    fn tlv(b: &[u8], pos: usize) -> (usize, usize) {
        let (len, hdr) = match b[pos + 1] {
            l if l < 0x80 => (l as usize, 2),
            l => {
                let n = (l & 0x7f) as usize;
                (
                    b[pos + 2..pos + 2 + n]
                        .iter()
                        .fold(0, |a, x| (a << 8) | *x as usize),
                    2 + n,
                )
            }
        };
        (pos + hdr, pos + hdr + len)
    }
    let (cert_content, _) = tlv(der, 0);
    let (mut pos, _) = tlv(der, cert_content);
    if der[pos] == 0xa0 {
        pos = tlv(der, pos).1;
    }
    for _ in 0..5 {
        pos = tlv(der, pos).1;
    }
    &der[pos..tlv(der, pos).1]
}
