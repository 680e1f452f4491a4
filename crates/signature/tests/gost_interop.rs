//! GOST R 34.10-2012 XMLDSig interop with a checker and signer built only from peers
//! (`tests/peers/gost_xmldsig.py`: libxml2 through lxml canonicalizes, the OpenSSL GOST engine
//! hashes, signs and verifies; SignatureValue is passed as-is, s‖r big-endian). Both ways:
//! what rsmev signs the peers accept, what the peers sign rsmev accepts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use rsmev_signature::{ChainStatus, Profile, SignOptions, Trust, Verifier};

const SMEV3: &str = include_str!("data/smev3-send-request-unsigned.xml");

const SMEV2: &str = include_str!("data/smev2-request-unsigned.xml");

const GOST_KEYS: [&str; 3] = [
    "participant-gost256",
    "participant-gost256-tca",
    "participant-gost512",
];

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/gost_xmldsig.py")
}

fn peers() -> bool {
    have_gost_openssl() && have_lxml()
}

fn peer_verify(path: &Path) -> (bool, String) {
    run(Command::new("/usr/bin/python3")
        .arg(script())
        .arg("verify")
        .arg(path)
        .env("OPENSSL_CONF", gost_conf()))
}

fn sign(name: &str, doc: &str, profile: Profile, id: Option<&str>) -> Vec<u8> {
    let signer = signer(name);
    let cert = certificate(name);
    let mut opts = SignOptions::new(profile, &signer, cert.der());
    opts.id = id.map(str::to_string);
    rsmev_signature::sign(doc.as_bytes(), &opts).unwrap()
}

#[test]
fn rsmev_gost_signatures_verify_with_the_peers() {
    if !peers() {
        return;
    }
    let dir = temp_dir("gost-peer-verify");
    for name in GOST_KEYS {
        for (label, doc, profile, id, refs_checked) in [
            // SMEV 3: the peers check SignedInfo's signature; they have no SMEV transform.
            ("smev3", SMEV3, Profile::Smev3, None, 0),
            ("smev2", SMEV2, Profile::Smev2, None, 1),
            (
                "any-by-id",
                SMEV3,
                Profile::Any,
                Some("PERSONAL_SIGNATURE"),
                1,
            ),
            ("any-enveloped", SMEV3, Profile::Any, None, 1),
        ] {
            let signed = sign(name, doc, profile, id);
            let path = dir.join(format!("{name}-{label}.xml"));
            std::fs::write(&path, &signed).unwrap();
            let (ok, out) = peer_verify(&path);
            assert!(
                ok,
                "{name} {label}: the peers refused rsmev's signature:\n{out}\n{}",
                String::from_utf8_lossy(&signed)
            );
            assert!(out.contains("SignatureValue OK"), "{out}");
            assert_eq!(out.matches("digest OK").count(), refs_checked, "{out}");

            // The peers do refuse a changed SignedInfo, so the check above can fail.
            let text = String::from_utf8(signed).unwrap();
            let tampered = text.replacen("<ds:DigestValue>", "<ds:DigestValue>A", 1);
            std::fs::write(&path, tampered).unwrap();
            assert!(!peer_verify(&path).0, "{name} {label}: tamper accepted");
        }
    }
}

#[test]
fn peer_signed_gost_envelopes_verify_in_rsmev() {
    if !peers() {
        return;
    }
    let dir = temp_dir("gost-peer-sign");
    let input = dir.join("smev2.xml");
    std::fs::write(&input, SMEV2).unwrap();
    let verifier = Verifier::new(Profile::Smev2, Trust::Store(trust("trust-gost")));
    for (name, bits) in [
        ("participant-gost256", "256"),
        ("participant-gost256-tca", "256"),
        ("participant-gost512", "512"),
    ] {
        let out = Command::new("/usr/bin/python3")
            .arg(script())
            .arg("sign-smev2")
            .arg(&input)
            .arg(key_path(name))
            .arg(cert_path(name))
            .arg(bits)
            .env("OPENSSL_CONF", gost_conf())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the peer signer failed for {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let signed = out.stdout;
        // The peer's own verifier accepts what it made …
        let path = dir.join(format!("{name}.xml"));
        std::fs::write(&path, &signed).unwrap();
        assert!(peer_verify(&path).0, "{name}: peer self-check");
        // … and so does rsmev, with the chain to the GOST CA.
        let report = verifier.check(&signed).unwrap();
        assert_eq!(report.signatures.len(), 1);
        let s = &report.signatures[0];
        assert!(
            s.result.is_ok(),
            "{name}: {:?}\n{}",
            s.result,
            String::from_utf8_lossy(&signed)
        );
        assert!(matches!(s.chain, ChainStatus::Trusted { .. }));
        assert!(report.is_ok());
        let tampered = String::from_utf8(signed)
            .unwrap()
            .replace("Иванов", "Петров");
        assert_eq!(
            verifier
                .verify(tampered.as_bytes())
                .unwrap_err()
                .fault_code(),
            rsmev_fault::FaultCode::DigestMismatch
        );
    }
}
