//! RSA and ECDSA keys made with the `openssl` CLI: loading, verifying the CLI's signatures, and
//! the CLI verifying ours.

mod common;

use std::process::Command;

use common::{Scratch, flip, have_openssl, openssl_verifies, parse_cert, read, run};
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use rsmev_crypto::{
    CryptoError, Hasher, KeyKind, PrivateKey, PublicKey, SignatureAlg, Signer, SoftwareSigner,
};
use rsmev_fault::FaultCode;

struct Case {
    name: &'static str,
    alg: SignatureAlg,
    kind: KeyKind,
    describe: &'static str,
    dgst: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "rsa2048",
        alg: SignatureAlg::RsaSha256,
        kind: KeyKind::Rsa,
        describe: "RSA 2048",
        dgst: "-sha256",
    },
    Case {
        name: "rsa3072",
        alg: SignatureAlg::RsaSha512,
        kind: KeyKind::Rsa,
        describe: "RSA 3072",
        dgst: "-sha512",
    },
    Case {
        name: "p256",
        alg: SignatureAlg::EcdsaSha256,
        kind: KeyKind::EcP256,
        describe: "ECDSA P-256",
        dgst: "-sha256",
    },
    Case {
        name: "p384",
        alg: SignatureAlg::EcdsaSha384,
        kind: KeyKind::EcP384,
        describe: "ECDSA P-384",
        dgst: "-sha384",
    },
];

fn is_ec(alg: SignatureAlg) -> bool {
    matches!(
        alg,
        SignatureAlg::EcdsaSha256 | SignatureAlg::EcdsaSha384 | SignatureAlg::EcdsaSha512
    )
}

/// XMLDSig raw r‖s from the DER Ecdsa-Sig-Value the CLI writes.
fn der_to_raw(der: &[u8], half: usize) -> Vec<u8> {
    let sig = EcdsaSig::from_der(der).unwrap();
    let mut out = sig.r().to_vec_padded(half as i32).unwrap();
    out.extend(sig.s().to_vec_padded(half as i32).unwrap());
    out
}

fn raw_to_der(raw: &[u8]) -> Vec<u8> {
    let (r, s) = raw.split_at(raw.len() / 2);
    EcdsaSig::from_private_components(
        BigNum::from_slice(r).unwrap(),
        BigNum::from_slice(s).unwrap(),
    )
    .unwrap()
    .to_der()
    .unwrap()
}

fn half(kind: KeyKind) -> usize {
    match kind {
        KeyKind::EcP256 => 32,
        KeyKind::EcP384 => 48,
        _ => 66,
    }
}

/// The CLI's signature in the form `verify_prehashed` takes.
fn xmldsig_form(case: &Case, cli_sig: &[u8]) -> Vec<u8> {
    if is_ec(case.alg) {
        der_to_raw(cli_sig, half(case.kind))
    } else {
        cli_sig.to_vec()
    }
}

#[test]
fn golden_keys_load_and_match() {
    for c in CASES {
        let public = PublicKey::from_spki_pem(&read(&format!("{}.pub.pem", c.name))).unwrap();
        let private = PrivateKey::from_pem(&read(&format!("{}.key.pem", c.name))).unwrap();
        assert_eq!(private.public_key(), public, "{}", c.name);
        assert_eq!(public.kind(), c.kind);
        assert_eq!(public.describe(), c.describe);
        let default = match c.kind {
            KeyKind::Rsa => SignatureAlg::RsaSha256,
            KeyKind::EcP256 => SignatureAlg::EcdsaSha256,
            _ => SignatureAlg::EcdsaSha384,
        };
        assert_eq!(private.default_algorithm(), default);
        assert!(format!("{private:?}").contains(c.describe));
        // Same key, same identity, whatever the path that built it.
        let again = PublicKey::from_spki_der(public.spki_der()).unwrap();
        assert_eq!(again, public);
        assert_eq!(again.spki_sha256(), public.spki_sha256());
    }
    // The SEC 1 file `openssl ecparam -genkey` writes, EC PARAMETERS block first.
    let sec1 = PrivateKey::from_pem(&read("p256-sec1.key.pem")).unwrap();
    let sec1_pub = PublicKey::from_spki_pem(&read("p256-sec1.pub.pem")).unwrap();
    assert_eq!(sec1.public_key(), sec1_pub);
    assert_ne!(
        sec1_pub,
        PublicKey::from_spki_pem(&read("p256.pub.pem")).unwrap()
    );
}

#[test]
fn cli_signatures_verify() {
    let msg = read("msg.bin");
    for c in CASES {
        let public = PublicKey::from_spki_pem(&read(&format!("{}.pub.pem", c.name))).unwrap();
        let cli = read(&format!("{}.sig", c.name));
        let digest = Hasher::digest(c.alg.digest(), &msg);
        let sig = xmldsig_form(c, &cli);
        public.verify_prehashed(c.alg, &digest, &sig).unwrap();
        public.verify(c.alg, &msg, &sig).unwrap();
        // The CLI's own (DER for ECDSA) form is X.509's: verify_x509 hashes and takes it as is.
        public.verify_x509(c.alg, &msg, &cli).unwrap();

        // Tampering anywhere is caught.
        for i in [0, sig.len() / 2, sig.len() - 1] {
            let e = public
                .verify_prehashed(c.alg, &digest, &flip(&sig, i))
                .unwrap_err();
            assert!(
                matches!(e, CryptoError::SignatureMismatch),
                "{}: {e:?}",
                c.name
            );
            assert_eq!(e.fault_code(), FaultCode::SignatureInvalid);
        }
        let e = public
            .verify_prehashed(c.alg, &flip(&digest, 5), &sig)
            .unwrap_err();
        assert!(matches!(e, CryptoError::SignatureMismatch), "{e:?}");
        let e = public.verify(c.alg, &flip(&msg, 0), &sig).unwrap_err();
        assert!(matches!(e, CryptoError::SignatureMismatch), "{e:?}");
        // Wrong lengths are malformed, not merely wrong.
        let e = public
            .verify_prehashed(c.alg, &digest, &sig[1..])
            .unwrap_err();
        assert!(matches!(e, CryptoError::MalformedSignature(_)), "{e:?}");
        let mut longer = sig.clone();
        longer.push(0);
        let e = public
            .verify_prehashed(c.alg, &digest, &longer)
            .unwrap_err();
        assert!(matches!(e, CryptoError::MalformedSignature(_)), "{e:?}");
        let e = public
            .verify_prehashed(c.alg, &digest[1..], &sig)
            .unwrap_err();
        assert!(matches!(e, CryptoError::DigestLength { .. }), "{e:?}");
        // The same signature under another digest of the family does not verify.
        let other = if is_ec(c.alg) {
            SignatureAlg::EcdsaSha512
        } else {
            SignatureAlg::RsaSha384
        };
        let e = public.verify(other, &msg, &sig).unwrap_err();
        assert!(matches!(e, CryptoError::SignatureMismatch), "{e:?}");
    }
}

#[test]
fn ecdsa_x509_signatures_must_be_canonical_der() {
    let msg = read("msg.bin");
    let public = PublicKey::from_spki_pem(&read("p256.pub.pem")).unwrap();
    let cli = read("p256.sig");
    public
        .verify_x509(SignatureAlg::EcdsaSha256, &msg, &cli)
        .unwrap();
    // A BER long-form length for the outer SEQUENCE: same numbers, not DER.
    assert!(cli[1] < 0x80);
    let mut ber = vec![0x30, 0x81, cli[1]];
    ber.extend_from_slice(&cli[2..]);
    let e = public
        .verify_x509(SignatureAlg::EcdsaSha256, &msg, &ber)
        .unwrap_err();
    assert!(matches!(e, CryptoError::MalformedSignature(_)), "{e:?}");
    // The raw form is not accepted where DER is expected.
    let raw = der_to_raw(&cli, 32);
    assert!(
        public
            .verify_x509(SignatureAlg::EcdsaSha256, &msg, &raw)
            .is_err()
    );
}

#[test]
fn self_signed_certificates_verify() {
    for c in CASES {
        let cert = parse_cert(&read(&format!("{}.cert.pem", c.name)));
        let alg = SignatureAlg::from_x509_oid(&cert.alg_oid).unwrap();
        assert_eq!(alg, c.alg, "{}", c.name);
        let public = PublicKey::from_spki_der(&cert.spki).unwrap();
        assert_eq!(
            public,
            PublicKey::from_spki_pem(&read(&format!("{}.pub.pem", c.name))).unwrap()
        );
        public.verify_x509(alg, &cert.tbs, &cert.signature).unwrap();
        let e = public
            .verify_x509(alg, &flip(&cert.tbs, cert.tbs.len() - 3), &cert.signature)
            .unwrap_err();
        assert!(matches!(e, CryptoError::SignatureMismatch), "{e:?}");
    }
}

#[test]
fn keys_and_algorithms_must_match() {
    let rsa = PublicKey::from_spki_pem(&read("rsa2048.pub.pem")).unwrap();
    let ec = PublicKey::from_spki_pem(&read("p256.pub.pem")).unwrap();
    let d32 = [0u8; 32];
    for (key, alg) in [
        (&rsa, SignatureAlg::EcdsaSha256),
        (&rsa, SignatureAlg::Gost2012_256),
        (&ec, SignatureAlg::RsaSha256),
        (&ec, SignatureAlg::Gost2012_256),
    ] {
        let e = key.verify_prehashed(alg, &d32, &[0; 64]).unwrap_err();
        assert!(
            matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
            "{alg:?}: {e:?}"
        );
        assert!(!key.supports(alg));
        assert!(key.verify_x509(alg, b"tbs", &[0; 64]).is_err());
    }
    let key = PrivateKey::from_pem(&read("rsa2048.key.pem")).unwrap();
    let e = SoftwareSigner::new(key, SignatureAlg::EcdsaSha256).unwrap_err();
    assert!(
        matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
        "{e:?}"
    );
    let key = PrivateKey::from_pem(&read("rsa2048.key.pem")).unwrap();
    let e = SoftwareSigner::new(key, SignatureAlg::RsaSha1).unwrap_err();
    assert!(matches!(e, CryptoError::LegacyRefused(_)), "{e:?}");
    let key = PrivateKey::from_pem(&read("p256.key.pem")).unwrap();
    let e = SoftwareSigner::new(key, SignatureAlg::Gost2012_256).unwrap_err();
    assert!(
        matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
        "{e:?}"
    );
}

#[test]
fn refused_keys() {
    for (file, what) in [
        ("rsa1024.pub.pem", "1024"),
        ("ed25519.pub.pem", "1.3.101.112"),
        ("secp256k1.pub.pem", "1.3.132.0.10"),
    ] {
        let e = PublicKey::from_spki_pem(&read(file)).unwrap_err();
        assert!(matches!(e, CryptoError::UnsupportedKey(_)), "{file}: {e:?}");
        assert!(e.to_string().contains(what), "{file}: {e}");
        assert_eq!(e.fault_code(), FaultCode::CertificateInvalid);
    }
    // A private key is not a public key, and vice versa.
    assert!(PublicKey::from_spki_pem(&read("rsa2048.key.pem")).is_err());
    assert!(PrivateKey::from_pem(&read("rsa2048.pub.pem")).is_err());
}

#[test]
fn our_signatures_verify_in_ours() {
    let msg = read("msg.bin");
    for c in CASES {
        let key = PrivateKey::from_pem(&read(&format!("{}.key.pem", c.name))).unwrap();
        let public = key.public_key();
        let signer = SoftwareSigner::new(key, c.alg).unwrap();
        let dynamic: &dyn Signer = &signer;
        assert_eq!(dynamic.algorithm(), c.alg);
        let digest = Hasher::digest(c.alg.digest(), &msg);
        let sig = dynamic.sign_prehashed(&digest).unwrap();
        public.verify_prehashed(c.alg, &digest, &sig).unwrap();
        let e = dynamic.sign_prehashed(&digest[..10]).unwrap_err();
        assert!(matches!(e, CryptoError::DigestLength { .. }), "{e:?}");
    }
}

fn sign_and_check_with_cli(dir: &Scratch, key_pem: &str, case: &Case, msg_file: &str) {
    let key = PrivateKey::from_pem(&std::fs::read(key_pem).unwrap()).unwrap();
    let public = key.public_key();
    let signer = SoftwareSigner::new(key, case.alg).unwrap();
    let msg = std::fs::read(msg_file).unwrap();
    let digest = Hasher::digest(case.alg.digest(), &msg);
    let sig = signer.sign_prehashed(&digest).unwrap();
    let cli_form = if is_ec(case.alg) {
        assert_eq!(sig.len(), 2 * half(case.kind));
        raw_to_der(&sig)
    } else {
        sig.clone()
    };
    let pub_pem = dir.s("pub.pem");
    run(Command::new("openssl").args(["pkey", "-in", key_pem, "-pubout", "-out", &pub_pem]));
    assert_eq!(
        PublicKey::from_spki_pem(&std::fs::read(&pub_pem).unwrap()).unwrap(),
        public
    );
    let sig_file = dir.s("ours.sig");
    std::fs::write(&sig_file, &cli_form).unwrap();
    assert!(
        openssl_verifies(&[
            "dgst",
            case.dgst,
            "-verify",
            &pub_pem,
            "-signature",
            &sig_file,
            msg_file
        ]),
        "openssl rejects our {} signature",
        case.name
    );
    std::fs::write(&sig_file, flip(&cli_form, cli_form.len() - 1)).unwrap();
    assert!(!openssl_verifies(&[
        "dgst",
        case.dgst,
        "-verify",
        &pub_pem,
        "-signature",
        &sig_file,
        msg_file
    ]));
    // And the other way round, over the same message.
    let cli_sig = dir.s("cli.sig");
    run(Command::new("openssl").args([
        "dgst", case.dgst, "-sign", key_pem, "-out", &cli_sig, msg_file,
    ]));
    let cli = std::fs::read(&cli_sig).unwrap();
    public
        .verify_prehashed(case.alg, &digest, &xmldsig_form(case, &cli))
        .unwrap();
}

/// Our signatures with the committed keys, checked by `openssl dgst -verify` now.
#[test]
fn live_cli_verifies_ours() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new("ossl");
    for c in CASES {
        let key = common::data(&format!("{}.key.pem", c.name));
        sign_and_check_with_cli(
            &dir,
            key.to_str().unwrap(),
            c,
            common::data("msg.bin").to_str().unwrap(),
        );
    }
}

/// Fresh keys from the CLI, a fresh message, both directions.
#[test]
fn live_fresh_cli_keys() {
    if !have_openssl() {
        return;
    }
    let dir = Scratch::new("fresh");
    let msg = dir.s("msg");
    std::fs::write(&msg, b"<a xmlns=\"urn:x\">fresh</a>".repeat(100)).unwrap();
    for c in CASES {
        let key = dir.s(&format!("{}.pem", c.name));
        let opts: Vec<&str> = match c.kind {
            KeyKind::Rsa => vec![
                "-algorithm",
                "RSA",
                "-pkeyopt",
                if c.name == "rsa2048" {
                    "rsa_keygen_bits:2048"
                } else {
                    "rsa_keygen_bits:3072"
                },
            ],
            KeyKind::EcP256 => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            _ => vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        };
        run(Command::new("openssl")
            .arg("genpkey")
            .args(&opts)
            .args(["-out", &key]));
        sign_and_check_with_cli(&dir, &key, c, &msg);
    }
    // ECDSA P-521 with SHA-512: 66-byte halves.
    let key = dir.s("p521.pem");
    run(Command::new("openssl").args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-521",
        "-out",
        &key,
    ]));
    let p521 = Case {
        name: "p521",
        alg: SignatureAlg::EcdsaSha512,
        kind: KeyKind::EcP521,
        describe: "ECDSA P-521",
        dgst: "-sha512",
    };
    sign_and_check_with_cli(&dir, &key, &p521, &msg);
    let k = PrivateKey::from_pem(&std::fs::read(&key).unwrap()).unwrap();
    assert_eq!(k.describe(), p521.describe);
    assert_eq!(k.default_algorithm(), SignatureAlg::EcdsaSha512);
    assert_eq!(k.public_key().bits(), 521);
}
