//! CertCache: a known certificate is neither parsed nor validated again, a verdict is reused
//! only within the range it holds for and for the same store generation and options.

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use rsmev_pki::{CertCache, Certificate, PkiError, TrustStore, ValidationOptions};

/// DER of a certificate of the edge test PKI (tests/data/edge, valid 2025-01-01 to
/// 2045-01-01).
fn sample(name: &str) -> Vec<u8> {
    let pem = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/edge")
            .join(name),
    )
    .unwrap();
    Certificate::from_pem(&pem).unwrap().der().to_vec()
}

fn load(name: &str) -> Arc<Certificate> {
    Arc::new(Certificate::from_der(&sample(name)).unwrap())
}

/// Validated through sub-a to root-a.
const LEAF: &str = "leaf-a.pem";
const LEAF_ENC: &str = "leaf-enc.pem";
const LEAF_A2: &str = "leaf-a2.pem";

fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}
/// 2030-01-01, inside the test PKI's validity.
const Y2030: u64 = 1_893_456_000;

fn edge_store() -> TrustStore {
    let mut store = TrustStore::new();
    store.add_anchor(load("root-a.pem"));
    store.add_intermediate(load("sub-a.pem"));
    store
}

fn b64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

#[test]
fn base64_hit_returns_the_same_arc_without_parsing() {
    let cache = CertCache::new(16);
    let text = b64(&sample(LEAF));
    let a = cache.get_or_parse_base64(&text).unwrap();
    let b = cache.get_or_parse_base64(&text).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let s = cache.stats();
    // Parsed, not validated: on probation, not in the cache proper.
    assert_eq!(
        (s.parses, s.parse_hits, s.probation, s.entries),
        (1, 1, 1, 0)
    );

    // Same DER, other spelling: decoded but not parsed, same instance.
    let spaced = format!(
        "\n  {}\n",
        text.as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n  ")
    );
    let c = cache.get_or_parse_base64(&spaced).unwrap();
    assert!(Arc::ptr_eq(&a, &c));
    let d = cache.get_or_parse_der(&sample(LEAF)).unwrap();
    assert!(Arc::ptr_eq(&a, &d));
    let s = cache.stats();
    assert_eq!((s.parses, s.parse_hits, s.probation), (1, 3, 1));
    // The new spelling is now remembered as such.
    cache.get_or_parse_base64(&spaced).unwrap();
    assert_eq!(cache.stats().parse_hits, 4);
}

#[test]
fn failures_are_not_cached() {
    let cache = CertCache::new(16);
    assert!(matches!(
        cache.get_or_parse_base64("not base64!"),
        Err(PkiError::Malformed { .. })
    ));
    assert!(cache.get_or_parse_base64("MIIB").is_err());
    assert!(cache.is_empty());
    let huge = "A".repeat(rsmev_pki::MAX_CERTIFICATE_BYTES * 2 + 4);
    assert!(cache.get_or_parse_base64(&huge).is_err());
    // Only "MIIB" got as far as a DER parse attempt; nothing was kept.
    assert_eq!(cache.stats().parses, 1);
    assert!(cache.is_empty());
}

#[test]
fn validation_is_reused_within_its_range_only() {
    let cache = CertCache::new(16);
    let cert = cache.get_or_parse_der(&sample(LEAF)).unwrap();
    let mut store = edge_store();
    let opts = ValidationOptions::default();

    let r1 = cache
        .validate_cached(&store, &cert, at(Y2030), &opts)
        .unwrap();
    let r2 = cache
        .validate_cached(&store, &cert, at(Y2030 + 86_400 * 300), &opts)
        .unwrap();
    assert!(Arc::ptr_eq(&r1, &r2), "inside the range: the same verdict");
    assert_eq!(r1.depth(), 2);
    assert_eq!(r1.holds_until(), cert.not_after());
    assert_eq!(r1.holds_from(), cert.not_before());
    let s = cache.stats();
    assert_eq!((s.validations, s.validation_hits), (1, 1));

    // Past notAfter: validated again, and refused.
    let late = cert.not_after() + Duration::from_secs(1);
    assert!(matches!(
        cache.validate_cached(&store, &cert, late, &opts),
        Err(PkiError::Expired { .. })
    ));
    assert_eq!(cache.stats().validations, 2);
    // A failure does not replace the cached success.
    cache
        .validate_cached(&store, &cert, at(Y2030), &opts)
        .unwrap();
    assert_eq!(cache.stats().validation_hits, 2);

    // Other options: validated again.
    let legacy = ValidationOptions::default().allow_legacy(true);
    cache
        .validate_cached(&store, &cert, at(Y2030), &legacy)
        .unwrap();
    assert_eq!(cache.stats().validations, 3);

    // A changed store has a new generation: validated again, and the new store decides.
    let before = store.generation();
    let mut other = TrustStore::new();
    other.add_anchor(load("root-a2.pem"));
    assert_ne!(other.generation(), before);
    assert!(matches!(
        cache.validate_cached(&other, &cert, at(Y2030), &opts),
        Err(PkiError::Untrusted { .. })
    ));
    store.add_anchor(load("root-a2.pem"));
    assert_ne!(store.generation(), before);
    cache
        .validate_cached(&store, &cert, at(Y2030), &legacy)
        .unwrap();
    assert_eq!(cache.stats().validations, 5);
}

#[test]
fn capacity_evicts_the_oldest_validated() {
    let cache = CertCache::with_probation(2, 2);
    let mut store = edge_store();
    store.add_anchor(load("root-a2.pem"));
    let opts = ValidationOptions::default();
    // Three certificates that validate against this store (no CRL is configured, so the one
    // revoked elsewhere is fine here).
    let names = [LEAF, LEAF_A2, "leaf-revoked.pem"];
    let certs: Vec<_> = names
        .iter()
        .map(|n| cache.get_or_parse_base64(&b64(&sample(n))).unwrap())
        .collect();
    let s = cache.stats();
    // The third parse pushed the first out of probation (capacity 2).
    assert_eq!((s.entries, s.probation, s.probation_evictions), (0, 2, 1));
    for c in &certs {
        cache.validate_cached(&store, c, at(Y2030), &opts).unwrap();
    }
    let s = cache.stats();
    assert_eq!((s.entries, s.probation, s.evictions), (2, 0, 1));
    // LEAF (the oldest validated) is gone, with its base64 alias: parsed again, a new
    // instance, on probation again.
    let a2 = cache.get_or_parse_base64(&b64(&sample(LEAF))).unwrap();
    assert!(!Arc::ptr_eq(&certs[0], &a2));
    assert_eq!(cache.stats().parses, 4);
    assert_eq!((cache.len(), cache.stats().probation), (2, 1));
    // The two others are still validated: answered from the cache.
    let hits = cache.stats().validation_hits;
    for c in &certs[1..] {
        cache.validate_cached(&store, c, at(Y2030), &opts).unwrap();
    }
    assert_eq!(cache.stats().validation_hits, hits + 2);

    let off = CertCache::new(0);
    off.get_or_parse_der(&sample(LEAF)).unwrap();
    off.get_or_parse_der(&sample(LEAF)).unwrap();
    assert_eq!((off.len(), off.stats().parses), (0, 2));
}

#[test]
fn a_certificate_that_stops_validating_goes_back_to_probation() {
    let cache = CertCache::new(16);
    let opts = ValidationOptions::default();
    let cert = cache.get_or_parse_der(&sample(LEAF)).unwrap();
    let good = edge_store();
    cache
        .validate_cached(&good, &cert, at(Y2030), &opts)
        .unwrap();
    assert_eq!((cache.stats().entries, cache.stats().probation), (1, 0));
    // Another store (another generation) no longer trusts it.
    let mut other = TrustStore::new();
    other.add_anchor(load("root-a2.pem"));
    assert!(matches!(
        cache.validate_cached(&other, &cert, at(Y2030), &opts),
        Err(PkiError::Untrusted { .. })
    ));
    assert_eq!((cache.stats().entries, cache.stats().probation), (0, 1));
    // Parsing it again is still a hit.
    let again = cache.get_or_parse_der(&sample(LEAF)).unwrap();
    assert!(Arc::ptr_eq(&cert, &again));
}

#[test]
fn concurrent_use() {
    let cache = Arc::new(CertCache::new(8));
    let store = Arc::new(edge_store());
    let texts: Vec<String> = [LEAF, LEAF_A2, LEAF_ENC]
        .iter()
        .map(|n| b64(&sample(n)))
        .collect();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let cache = cache.clone();
            let store = store.clone();
            let texts = texts.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let c = cache.get_or_parse_base64(&texts[(i + t) % 3]).unwrap();
                    let r =
                        cache.validate_cached(&store, &c, at(Y2030), &ValidationOptions::default());
                    assert_eq!(r.is_ok(), c.subject() == "O=rsmev edge,CN=Edge Leaf A");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = cache.stats();
    // Only LEAF validates; the two others wait on probation.
    assert_eq!((s.entries, s.probation), (1, 2));
    assert_eq!(s.parses + s.parse_hits, 800);
    // Racing threads may each parse a new certificate once, never more.
    assert!(s.parses <= 12, "{s:?}");
    assert!(s.validation_hits >= 200, "{s:?}");
}

#[test]
fn a_flood_of_untrusted_certificates_does_not_evict_a_trusted_one() {
    use common::testca::{Leaf, TestCa};
    let ca = TestCa::new("Cache flood CA");
    let (trusted, _) = ca.issue(&Leaf::signer("registered signer", 1));
    let mut store = TrustStore::new();
    store.add_anchor(Arc::new(
        Certificate::from_der(&ca.cert.to_der().unwrap()).unwrap(),
    ));
    let opts = ValidationOptions::default();
    let now = SystemTime::now();

    let cache = CertCache::new(64);
    let text = b64(&trusted.to_der().unwrap());
    let c = cache.get_or_parse_base64(&text).unwrap();
    cache.validate_cached(&store, &c, now, &opts).unwrap();

    // Many more distinct certificates than the whole cache holds, each from a CA the store
    // does not know, each going the way an unauthenticated request's does: parsed, then
    // refused by path validation.
    let rogue = TestCa::new("Rogue CA");
    let flood = 4 * cache.capacity();
    for serial in 0..flood {
        let (x, _) = rogue.issue(&Leaf::signer("flood", 1000 + serial as u32));
        let c = cache
            .get_or_parse_base64(&b64(&x.to_der().unwrap()))
            .unwrap();
        assert!(matches!(
            cache.validate_cached(&store, &c, now, &opts),
            Err(PkiError::Untrusted { .. })
        ));
    }
    let s = cache.stats();
    assert_eq!(s.evictions, 0, "{s:?}");
    assert_eq!(s.entries, 1);
    assert_eq!(s.probation, cache.probation_capacity());
    assert_eq!(
        s.probation_evictions,
        (flood - cache.probation_capacity()) as u64
    );

    // The trusted certificate is still cached: no parse, no validation.
    let before = cache.stats();
    let again = cache.get_or_parse_base64(&text).unwrap();
    assert!(Arc::ptr_eq(&c, &again));
    cache.validate_cached(&store, &again, now, &opts).unwrap();
    let after = cache.stats();
    assert_eq!(after.parses, before.parses);
    assert_eq!(after.validations, before.validations);
    assert_eq!(after.validation_hits, before.validation_hits + 1);
}
