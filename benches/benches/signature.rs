//! The signature path: parse + verify of signed SMEV 3 envelopes (RSA-2048, GOST R 34.10-2012
//! 256 and 512) at 4 KB / 64 KB / 1 MB, signing, and the bare GOST operations. Keys and the
//! trust store come from certs-test/; the verifier is warm (certificate cached, as in service).
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsmev_benches::unsigned_envelope;
use rsmev_crypto::{Hasher, PrivateKey, Signer, SoftwareSigner};
use rsmev_pki::{Certificate, TrustStore};
use rsmev_signature::{Profile, SignOptions, Trust, Verifier};

fn certs() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../certs-test"))
}

fn key(name: &str) -> (SoftwareSigner, Certificate) {
    let pem = std::fs::read(certs().join(format!("{name}.key.pem"))).unwrap();
    let signer =
        SoftwareSigner::with_default_algorithm(PrivateKey::from_pem(&pem).unwrap()).unwrap();
    let cert = std::fs::read(certs().join(format!("{name}.cert.pem"))).unwrap();
    (signer, Certificate::from_pem(&cert).unwrap())
}

const KEYS: [(&str, &str); 3] = [
    ("rsa", "participant-rsa"),
    ("gost256", "participant-gost256"),
    ("gost512", "participant-gost512"),
];

fn benches(c: &mut Criterion) {
    let trust = Arc::new(TrustStore::load(certs().join("trust-all")).unwrap());
    for (label, name) in KEYS {
        let (signer, cert) = key(name);
        let mut g = c.benchmark_group(format!("verify-{label}"));
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(20);
        for (size, bytes) in [("4k", 4 << 10), ("64k", 64 << 10), ("1m", 1 << 20)] {
            let opts = SignOptions::new(Profile::Smev3, &signer, cert.der());
            let doc = rsmev_signature::sign(&unsigned_envelope(bytes), &opts).unwrap();
            let v = Verifier::new(Profile::Smev3, Trust::Store(trust.clone()));
            v.verify(&doc).unwrap();
            g.throughput(Throughput::Bytes(doc.len() as u64));
            g.bench_function(size, |b| b.iter(|| v.verify(&doc).unwrap()));
        }
        g.finish();

        let mut g = c.benchmark_group(format!("sign-{label}"));
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(20);
        let doc = unsigned_envelope(4 << 10);
        let opts = SignOptions::new(Profile::Smev3, &signer, cert.der());
        g.bench_function("4k", |b| {
            b.iter(|| rsmev_signature::sign(&doc, &opts).unwrap())
        });
        g.finish();

        // The bare signature operation over a digest, as the engine harness measures it.
        let mut g = c.benchmark_group(format!("raw-{label}"));
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(30);
        let alg = signer.algorithm();
        let digest = Hasher::digest(alg.digest(), b"rsmev benchmark digest input");
        let sig = signer.sign_prehashed(&digest).unwrap();
        let public = cert.public_key().clone();
        g.bench_function("sign", |b| {
            b.iter(|| signer.sign_prehashed(&digest).unwrap())
        });
        g.bench_function("verify", |b| {
            b.iter(|| public.verify_prehashed(alg, &digest, &sig).unwrap())
        });
        g.finish();
    }
}

criterion_group!(signature, benches);
criterion_main!(signature);
