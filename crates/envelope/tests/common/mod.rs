//! Shared by the integration tests: the public samples, the test PKI in `certs-test/`, and
//! signing at test time.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_envelope::{EnvelopeError, Exchange};
use rsmev_pki::{Certificate, TrustStore};
use rsmev_signature::{Profile, SignOptions, Trust, Verifier};

pub const TYPES_11: &str = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1";
pub const BREACH: &str = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0";

/// The unsigned SMEV 3 SendRequest the signature crate's tests sign (it carries TestMessage).
pub fn send_request_template() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../signature/tests/data/smev3-send-request-unsigned.xml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn sample(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../c14n/tests/data/samples")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test")
}

pub fn certificate(name: &str) -> Certificate {
    let pem = std::fs::read(certs().join(format!("{name}.cert.pem"))).unwrap();
    Certificate::from_pem(&pem).unwrap()
}

pub fn signer(name: &str) -> SoftwareSigner {
    let pem = std::fs::read(certs().join(format!("{name}.key.pem"))).unwrap();
    SoftwareSigner::with_default_algorithm(PrivateKey::from_pem(&pem).unwrap()).unwrap()
}

/// The samples' certificates expired long ago and several use GOST R 34.10-2001: their
/// cryptography is checked against the embedded certificate, legacy algorithms admitted.
pub fn legacy(profile: Profile) -> Verifier {
    Verifier::new(profile, Trust::EmbeddedOnly).allow_legacy(true)
}

/// Full path validation to the test GOST CA.
pub fn trusted(profile: Profile) -> Verifier {
    let store = TrustStore::load(certs().join("trust-gost")).unwrap();
    Verifier::new(profile, Trust::Store(Arc::new(store)))
}

pub const KEY: &str = "participant-gost256";

/// Signs `doc` the way a participant does in `profile`, with the test GOST key.
pub fn sign(doc: &str, profile: Profile) -> String {
    sign_with(
        doc,
        SignOptions::new(profile, &signer(KEY), certificate(KEY).der()),
    )
}

pub fn sign_with(doc: &str, opts: SignOptions<'_>) -> String {
    let signed = rsmev_signature::sign(doc.as_bytes(), &opts)
        .unwrap_or_else(|e| panic!("signing failed: {e}\n{doc}"));
    String::from_utf8(signed).unwrap()
}

/// Verifies (it must pass) and reads the facts.
pub fn facts(v: &Verifier, doc: &[u8]) -> Result<Exchange, EnvelopeError> {
    let verified = v
        .verify(doc)
        .unwrap_or_else(|e| panic!("verification failed: {e}\n{}", String::from_utf8_lossy(doc)));
    rsmev_envelope::exchange(&verified)
}

/// Inserts `what` just before the first occurrence of `at` (which must exist).
pub fn insert_before(doc: &str, at: &str, what: &str) -> String {
    let i = doc
        .find(at)
        .unwrap_or_else(|| panic!("`{at}` not in the message"));
    format!("{}{what}{}", &doc[..i], &doc[i..])
}

/// Inserts `what` just after the first occurrence of `at` (which must exist).
pub fn insert_after(doc: &str, at: &str, what: &str) -> String {
    let i = doc
        .find(at)
        .unwrap_or_else(|| panic!("`{at}` not in the message"))
        + at.len();
    format!("{}{what}{}", &doc[..i], &doc[i..])
}
