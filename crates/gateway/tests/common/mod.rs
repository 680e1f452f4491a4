//! Shared by the gateway's integration tests: the test PKI in certs-test/.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_pki::Certificate;
use rsmev_signature::{Profile, SignOptions};

pub fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test")
}

/// A signer and its certificate from certs-test/NAME.{key,cert}.pem.
pub fn key(name: &str) -> (SoftwareSigner, Certificate) {
    let pem = std::fs::read(certs().join(format!("{name}.key.pem"))).unwrap();
    let signer =
        SoftwareSigner::with_default_algorithm(PrivateKey::from_pem(&pem).unwrap()).unwrap();
    let cert = std::fs::read(certs().join(format!("{name}.cert.pem"))).unwrap();
    (signer, Certificate::from_pem(&cert).unwrap())
}

pub fn sign_with(name: &str, doc: &str, profile: Profile) -> Vec<u8> {
    let (signer, cert) = key(name);
    rsmev_signature::sign(
        doc.as_bytes(),
        &SignOptions::new(profile, &signer, cert.der()),
    )
    .unwrap()
}

/// SMEV 3: signed as a participant's information system does.
pub fn sign(name: &str, doc: &str) -> Vec<u8> {
    sign_with(name, doc, Profile::Smev3)
}

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "rsmev-gateway-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
