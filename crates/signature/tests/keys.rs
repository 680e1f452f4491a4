//! The key decides the algorithm: the signer's key must be of the family and size the
//! SignatureMethod names, and the legacy policy applies to the key too. The GOST R 34.10-2001
//! key and certificate are the OpenSSL GOST engine's (crates/crypto/tests/data, made by its
//! gen.sh), and the engine signs the digests here, so the 2001 arithmetic is the peer's.

mod common;

use std::process::Command;

use base64::Engine as _;
use common::*;
use rsmev_c14n::{Algorithm, Options};
use rsmev_crypto::{CryptoError, DigestAlg, Hasher};
use rsmev_fault::FaultCode;
use rsmev_signature::{Profile, SigError, Trust, Verifier};

const UNSIGNED: &str = include_str!("data/smev3-send-request-unsigned.xml");
const GOST2012_256: &str =
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256";
const GOST2012_512: &str =
    "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512";
const GOST2001: &str = "http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411";

fn crypto_data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crypto/tests/data")
        .join(name)
}

/// The base64 DER of a PEM certificate.
fn cert_b64(pem_path: &std::path::Path) -> String {
    let pem = std::fs::read_to_string(pem_path).unwrap();
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// SignedInfo of `doc` signed with the engine-made 2001 key over the digest `alg` names, the
/// certificate in KeyInfo replaced by the 2001 key's.
fn engine_signed(doc: &str, digest: DigestAlg) -> Option<String> {
    if !have_gost_openssl() {
        return None;
    }
    let mine = element(doc, "<ds:X509Certificate>", "</ds:X509Certificate>");
    let doc = doc.replace(
        mine,
        &format!(
            "<ds:X509Certificate>{}</ds:X509Certificate>",
            cert_b64(&crypto_data("gost2001-A.cert.pem"))
        ),
    );
    let si = doc.find("<ds:SignedInfo").unwrap();
    let canon = rsmev_c14n::canonicalize_to_vec(
        doc.as_bytes(),
        &Options::new(Algorithm::Exclusive).subset_at(si),
    )
    .unwrap();
    let dir = temp_dir("k2001");
    let input = dir.join("digest.bin");
    std::fs::write(&input, Hasher::digest(digest, &canon)).unwrap();
    let out = Command::new("openssl")
        .env("OPENSSL_CONF", gost_conf())
        .args(["pkeyutl", "-sign", "-inkey"])
        .arg(crypto_data("gost2001-A.key.pem"))
        .arg("-in")
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value = base64::engine::general_purpose::STANDARD.encode(&out.stdout);
    let old = element(&doc, "<ds:SignatureValue>", "</ds:SignatureValue>");
    Some(doc.replace(
        old,
        &format!("<ds:SignatureValue>{value}</ds:SignatureValue>"),
    ))
}

fn embedded(legacy: bool) -> Verifier {
    Verifier::new(Profile::Smev3, Trust::EmbeddedOnly).allow_legacy(legacy)
}

/// A 2001 key's signature under the 2012-256 URI is sound arithmetic over the Streebog digest
/// of SignedInfo, and was taken for "GOST R 34.10-2012" without --allow-legacy. It is refused
/// for the key, with or without legacy algorithms admitted. Under its own 2001 URI the same
/// key verifies only with legacy admitted.
#[test]
fn a_2001_key_under_a_2012_uri() {
    let ours = sign_as("participant-gost256", Profile::Smev3, UNSIGNED);
    assert!(ours.contains(GOST2012_256));
    let Some(doc) = engine_signed(&ours, DigestAlg::Streebog256) else {
        return;
    };
    for legacy in [false, true] {
        let err = embedded(legacy).verify(doc.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                SigError::Crypto(CryptoError::KeyAlgorithmMismatch { .. })
            ),
            "legacy={legacy}: {err}"
        );
        assert_eq!(err.fault_code(), FaultCode::KeyAlgorithmMismatch);
    }
    // The key under its own algorithm: the SignedInfo digest is GOST R 34.11-94.
    let own = ours.replace(GOST2012_256, GOST2001);
    let Some(doc) = engine_signed(&own, DigestAlg::Gost94) else {
        return;
    };
    embedded(true).verify(doc.as_bytes()).unwrap();
    let err = embedded(false).verify(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SigError::Crypto(CryptoError::LegacyRefused(_))),
        "{err}"
    );
}

/// Family and size: a 512-bit key under the 256 URI and back, RSA under ECDSA and GOST, EC
/// under RSA — each refused for the key before its arithmetic.
#[test]
fn families_and_sizes_must_match() {
    let rsa_ecdsa = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    let rsa = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
    for (name, from, to) in [
        ("participant-gost512", GOST2012_512, GOST2012_256),
        ("participant-gost256", GOST2012_256, GOST2012_512),
        ("participant-rsa", rsa, rsa_ecdsa),
        ("participant-rsa", rsa, GOST2012_256),
        ("participant-ec", rsa_ecdsa, rsa),
    ] {
        let doc = sign_as(name, Profile::Smev3, UNSIGNED);
        assert!(doc.contains(from), "{name}");
        let doc = doc.replace(from, to);
        let err = embedded(false).verify(doc.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                SigError::Crypto(CryptoError::KeyAlgorithmMismatch { .. })
            ),
            "{name} under {to}: {err}"
        );
        assert_eq!(err.fault_code(), FaultCode::KeyAlgorithmMismatch);
    }
}
