//! GOST keys and signatures against the OpenSSL GOST engine: engine-made PKCS#8 keys load in
//! every form the engine writes, their public keys equal `openssl pkey -pubout`, the engine's
//! signatures verify here, and ours verify in the engine.

mod common;

use std::process::Command;

use base64::Engine as _;
use common::{Scratch, flip, have_gost_engine, openssl_verifies, parse_cert, read, run};
use rsmev_crypto::{
    CryptoError, DigestAlg, GostParamSet, Hasher, KeyKind, PrivateKey, PublicKey, SignatureAlg,
    Signer, SoftwareSigner,
};
use rsmev_fault::FaultCode;

struct Case {
    name: &'static str,
    kind: KeyKind,
    params: &'static str,
    alg: SignatureAlg,
    md: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "gost256-A",
        kind: KeyKind::Gost2012_256,
        params: "1.2.643.2.2.35.1",
        alg: SignatureAlg::Gost2012_256,
        md: "-md_gost12_256",
    },
    Case {
        name: "gost256-TCA",
        kind: KeyKind::Gost2012_256,
        params: "1.2.643.7.1.2.1.1.1",
        alg: SignatureAlg::Gost2012_256,
        md: "-md_gost12_256",
    },
    Case {
        name: "gost256-XA",
        kind: KeyKind::Gost2012_256,
        params: "1.2.643.2.2.36.0",
        alg: SignatureAlg::Gost2012_256,
        md: "-md_gost12_256",
    },
    Case {
        name: "gost512-A",
        kind: KeyKind::Gost2012_512,
        params: "1.2.643.7.1.2.1.2.1",
        alg: SignatureAlg::Gost2012_512,
        md: "-md_gost12_512",
    },
    Case {
        name: "gost512-C",
        kind: KeyKind::Gost2012_512,
        params: "1.2.643.7.1.2.1.2.3",
        alg: SignatureAlg::Gost2012_512,
        md: "-md_gost12_512",
    },
    Case {
        name: "gost2001-A",
        kind: KeyKind::Gost2001,
        params: "1.2.643.2.2.35.1",
        alg: SignatureAlg::Gost2001,
        md: "-md_gost94",
    },
];

fn public(name: &str) -> PublicKey {
    PublicKey::from_spki_pem(&read(&format!("{name}.pub.pem"))).unwrap()
}

fn private(name: &str) -> PrivateKey {
    PrivateKey::from_pem(&read(&format!("{name}.key.pem"))).unwrap()
}

#[test]
fn engine_keys_load_and_match_pubout() {
    for c in CASES {
        let p = public(c.name);
        assert_eq!(p.kind(), c.kind, "{}", c.name);
        assert_eq!(p.gost_param_set().unwrap().oid(), c.params);
        assert_eq!(p.describe(), format!("{} ({})", c.kind.name(), c.params));
        let k = private(c.name);
        assert_eq!(k.public_key(), p, "{}", c.name);
        assert_eq!(k.kind(), c.kind);
        // Our SPKI for the private key's public half reads back as the same key.
        assert_eq!(
            PublicKey::from_spki_der(k.public_key().spki_der()).unwrap(),
            p
        );
    }
    assert_eq!(
        public("gost256-XA").describe(),
        "GOST R 34.10-2012 256 (1.2.643.2.2.36.0)"
    );
    // The engine's other private-key encodings: OCTET STRING-wrapped, and INTEGER (big-endian).
    for name in ["gost256-wrapped", "gost512-wrapped"] {
        assert_eq!(private(name).public_key(), public(name), "{name}");
    }
    let int = PrivateKey::from_der(&read("gost256-XA-integer.key.der")).unwrap();
    assert_eq!(int.public_key(), public("gost256-XA-integer"));
    assert_eq!(int.public_key(), public("gost256-XA"));
    // Distinct keys are distinct.
    assert_ne!(public("gost256-A"), public("gost256-XA"));
    assert_ne!(public("gost256-wrapped"), public("gost256-A"));
}

#[test]
fn engine_signatures_verify() {
    let msg = read("msg.bin");
    for c in CASES {
        let p = public(c.name);
        let sig = read(&format!("{}.sig", c.name));
        let digest = Hasher::digest(c.alg.digest(), &msg);
        assert_eq!(sig.len(), 2 * digest.len());
        p.verify_prehashed(c.alg, &digest, &sig)
            .unwrap_or_else(|e| panic!("{}: {e}", c.name));
        p.verify(c.alg, &msg, &sig).unwrap();
        // The signature value is s‖r big-endian: the swapped or byte-reversed forms are wrong.
        let (s, r) = sig.split_at(sig.len() / 2);
        let swapped = [r, s].concat();
        let mut reversed = sig.clone();
        reversed.reverse();
        for (what, bad) in [
            ("r‖s", swapped),
            ("reversed", reversed),
            ("flipped s", flip(&sig, 3)),
            ("flipped r", flip(&sig, sig.len() - 1)),
        ] {
            let e = p.verify_prehashed(c.alg, &digest, &bad).unwrap_err();
            assert!(
                matches!(e, CryptoError::SignatureMismatch),
                "{} {what}: {e:?}",
                c.name
            );
            assert_eq!(e.fault_code(), FaultCode::SignatureInvalid);
        }
        let e = p
            .verify_prehashed(c.alg, &flip(&digest, 0), &sig)
            .unwrap_err();
        assert!(matches!(e, CryptoError::SignatureMismatch), "{e:?}");
        let e = p.verify_prehashed(c.alg, &digest, &sig[1..]).unwrap_err();
        assert!(matches!(e, CryptoError::MalformedSignature(_)), "{e:?}");
        let e = p
            .verify_prehashed(c.alg, &digest[..digest.len() - 1], &sig)
            .unwrap_err();
        assert!(matches!(e, CryptoError::DigestLength { .. }), "{e:?}");
        // All zeros is out of range, not a crash.
        let zeros = vec![0u8; sig.len()];
        assert!(p.verify_prehashed(c.alg, &digest, &zeros).is_err());
    }
}

#[test]
fn engine_certificates_verify() {
    for c in CASES {
        let cert = parse_cert(&read(&format!("{}.cert.pem", c.name)));
        let alg = SignatureAlg::from_x509_oid(&cert.alg_oid).unwrap();
        assert_eq!(alg, c.alg, "{}", c.name);
        let p = PublicKey::from_spki_der(&cert.spki).unwrap();
        assert_eq!(p, public(c.name));
        p.verify_x509(alg, &cert.tbs, &cert.signature).unwrap();
        let e = p
            .verify_x509(alg, &flip(&cert.tbs, 20), &cert.signature)
            .unwrap_err();
        assert!(matches!(e, CryptoError::SignatureMismatch), "{e:?}");
    }
}

#[test]
fn keys_and_algorithms_must_match() {
    let k256 = public("gost256-A");
    let k512 = public("gost512-A");
    let k2001 = public("gost2001-A");
    for (key, alg) in [
        (&k256, SignatureAlg::Gost2012_512),
        (&k256, SignatureAlg::RsaSha256),
        (&k256, SignatureAlg::EcdsaSha256),
        (&k512, SignatureAlg::Gost2012_256),
        (&k512, SignatureAlg::Gost2001),
        (&k2001, SignatureAlg::Gost2012_512),
        // 2001 and 2012-256 share the equation and the curves, but the key decides.
        (&k2001, SignatureAlg::Gost2012_256),
        (&k256, SignatureAlg::Gost2001),
    ] {
        let digest = vec![0u8; alg.digest().output_len()];
        let e = key.verify_prehashed(alg, &digest, &[1; 128]).unwrap_err();
        assert!(
            matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
            "{} with {alg:?}: {e:?}",
            key.describe()
        );
        assert_eq!(e.fault_code(), FaultCode::KeyAlgorithmMismatch);
    }
}

/// A GOST R 34.10-2001 key's signature over a GOST R 34.11-2012 digest is sound arithmetic
/// (the engine makes it from the raw digest), yet it is no GOST R 34.10-2012 signature: under
/// the 2012-256 URI it is refused for the key, before any arithmetic, whatever the policy.
#[test]
fn a_2001_key_never_passes_as_2012() {
    if !have_gost_engine() {
        return;
    }
    let scratch = Scratch::new("k2001");
    let digest = Hasher::digest(DigestAlg::Streebog256, &read("msg.bin"));
    let dgst = scratch.0.join("digest.bin");
    std::fs::write(&dgst, &digest).unwrap();
    let sig = run(Command::new("openssl").args([
        "pkeyutl",
        "-engine",
        "gost",
        "-sign",
        "-inkey",
        common::data("gost2001-A.key.pem").to_str().unwrap(),
        "-in",
        dgst.to_str().unwrap(),
    ]));
    let k2001 = public("gost2001-A");
    // The arithmetic holds: checked as what it is, a 2001 signature of these 32 bytes.
    k2001
        .verify_prehashed(SignatureAlg::Gost2001, &digest, &sig)
        .unwrap();
    let e = k2001
        .verify_prehashed(SignatureAlg::Gost2012_256, &digest, &sig)
        .unwrap_err();
    assert!(
        matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
        "{e:?}"
    );
    // And the policy refuses the key itself unless legacy algorithms are admitted.
    let e = rsmev_crypto::AlgorithmPolicy::STRICT
        .check_key(&k2001)
        .unwrap_err();
    assert!(matches!(e, CryptoError::LegacyRefused(_)), "{e:?}");
    rsmev_crypto::AlgorithmPolicy::LEGACY
        .check_key(&k2001)
        .unwrap();
    rsmev_crypto::AlgorithmPolicy::STRICT
        .check_key(&public("gost256-A"))
        .unwrap();
}

#[test]
fn software_signer_signs_and_refuses() {
    let msg = read("msg.bin");
    for c in CASES.iter().filter(|c| !c.alg.is_legacy()) {
        let key = private(c.name);
        let p = key.public_key();
        assert_eq!(key.default_algorithm(), c.alg);
        let signer = SoftwareSigner::new(key, c.alg).unwrap();
        let digest = Hasher::digest(c.alg.digest(), &msg);
        let a = signer.sign_prehashed(&digest).unwrap();
        let b = signer.sign_prehashed(&digest).unwrap();
        assert_ne!(a, b, "a fresh nonce per signature");
        p.verify_prehashed(c.alg, &digest, &a).unwrap();
        p.verify_prehashed(c.alg, &digest, &b).unwrap();
        let e = signer.sign_prehashed(&digest[1..]).unwrap_err();
        assert!(matches!(e, CryptoError::DigestLength { .. }), "{e:?}");
    }
    // 2001 is verify-only, whatever the key.
    let e = SoftwareSigner::new(private("gost2001-A"), SignatureAlg::Gost2001).unwrap_err();
    assert!(matches!(e, CryptoError::LegacyRefused(_)), "{e:?}");
    let e = SoftwareSigner::new(private("gost256-A"), SignatureAlg::Gost2001).unwrap_err();
    assert!(matches!(e, CryptoError::LegacyRefused(_)), "{e:?}");
    // A 2001 key signs nothing: its own algorithm is verify-only, and 2012 is not its own.
    let k2001 = private("gost2001-A");
    assert_eq!(k2001.default_algorithm(), SignatureAlg::Gost2001);
    let e = SoftwareSigner::with_default_algorithm(k2001).unwrap_err();
    assert!(matches!(e, CryptoError::LegacyRefused(_)), "{e:?}");
    let e = SoftwareSigner::new(private("gost2001-A"), SignatureAlg::Gost2012_256).unwrap_err();
    assert!(
        matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
        "{e:?}"
    );
    let e = SoftwareSigner::new(private("gost512-C"), SignatureAlg::Gost2012_256).unwrap_err();
    assert!(
        matches!(e, CryptoError::KeyAlgorithmMismatch { .. }),
        "{e:?}"
    );
}

#[test]
fn generated_keys_sign() {
    for &set in GostParamSet::ALL {
        let key = PrivateKey::generate_gost(set).unwrap();
        let p = key.public_key();
        assert_eq!(p.gost_param_set(), Some(set));
        assert_eq!(PublicKey::from_spki_der(p.spki_der()).unwrap(), p);
        let alg = key.default_algorithm();
        let signer = SoftwareSigner::new(key, alg).unwrap();
        let digest = Hasher::digest(alg.digest(), b"generated");
        let sig = signer.sign_prehashed(&digest).unwrap();
        p.verify_prehashed(alg, &digest, &sig).unwrap();
        assert!(
            p.verify_prehashed(alg, &flip(&digest, 1), &sig).is_err(),
            "{set:?}"
        );
    }
}

fn engine_verifies(md: &str, pub_pem: &str, sig: &str, msg: &str) -> bool {
    openssl_verifies(&[
        "dgst",
        "-engine",
        "gost",
        md,
        "-verify",
        pub_pem,
        "-signature",
        sig,
        msg,
    ])
}

/// Signs `msg_file` with `key`, has the engine verify it with `pub_pem`, and checks the engine
/// rejects a tampered copy.
fn engine_checks_ours(
    dir: &Scratch,
    key: PrivateKey,
    alg: SignatureAlg,
    md: &str,
    pub_pem: &str,
    msg_file: &str,
) {
    let msg = std::fs::read(msg_file).unwrap();
    let signer = SoftwareSigner::new(key, alg).unwrap();
    let sig = signer
        .sign_prehashed(&Hasher::digest(alg.digest(), &msg))
        .unwrap();
    let file = dir.s("ours.sig");
    std::fs::write(&file, &sig).unwrap();
    assert!(
        engine_verifies(md, pub_pem, &file, msg_file),
        "the engine rejects our {alg:?} signature with {pub_pem}"
    );
    std::fs::write(&file, flip(&sig, 7)).unwrap();
    assert!(!engine_verifies(md, pub_pem, &file, msg_file));
}

/// Our signatures with the committed keys, verified by the engine now.
#[test]
fn live_engine_verifies_ours() {
    if !have_gost_engine() {
        return;
    }
    let dir = Scratch::new("gost-golden");
    let msg = common::data("msg.bin");
    for c in CASES.iter().filter(|c| !c.alg.is_legacy()) {
        let pub_pem = common::data(&format!("{}.pub.pem", c.name));
        engine_checks_ours(
            &dir,
            private(c.name),
            c.alg,
            c.md,
            pub_pem.to_str().unwrap(),
            msg.to_str().unwrap(),
        );
    }
}

/// Fresh engine keys on every parameter set the engine offers, both directions.
#[test]
fn live_fresh_engine_keys() {
    if !have_gost_engine() {
        return;
    }
    let dir = Scratch::new("gost-fresh");
    let msg_file = dir.s("msg");
    let msg: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(&msg_file, &msg).unwrap();
    let sets = [
        ("gost2012_256", "A", "1.2.643.2.2.35.1"),
        ("gost2012_256", "B", "1.2.643.2.2.35.2"),
        ("gost2012_256", "C", "1.2.643.2.2.35.3"),
        ("gost2012_256", "XA", "1.2.643.2.2.36.0"),
        ("gost2012_256", "XB", "1.2.643.2.2.36.1"),
        ("gost2012_256", "TCA", "1.2.643.7.1.2.1.1.1"),
        ("gost2012_256", "TCB", "1.2.643.7.1.2.1.1.2"),
        ("gost2012_256", "TCC", "1.2.643.7.1.2.1.1.3"),
        ("gost2012_256", "TCD", "1.2.643.7.1.2.1.1.4"),
        ("gost2012_512", "A", "1.2.643.7.1.2.1.2.1"),
        ("gost2012_512", "B", "1.2.643.7.1.2.1.2.2"),
        ("gost2012_512", "C", "1.2.643.7.1.2.1.2.3"),
    ];
    for (algorithm, set, oid) in sets {
        let (alg, md) = if algorithm == "gost2012_512" {
            (SignatureAlg::Gost2012_512, "-md_gost12_512")
        } else {
            (SignatureAlg::Gost2012_256, "-md_gost12_256")
        };
        for wrap in [false, true] {
            let key_pem = dir.s("key.pem");
            let pub_pem = dir.s("pub.pem");
            let mut genpkey = Command::new("openssl");
            if wrap {
                genpkey.env("GOST_PK_FORMAT", "LEGACY_PK_WRAP");
            }
            run(genpkey.args([
                "genpkey",
                "-engine",
                "gost",
                "-algorithm",
                algorithm,
                "-pkeyopt",
                &format!("paramset:{set}"),
                "-out",
                &key_pem,
            ]));
            run(Command::new("openssl").args([
                "pkey", "-engine", "gost", "-in", &key_pem, "-pubout", "-out", &pub_pem,
            ]));
            let key = PrivateKey::from_pem(&std::fs::read(&key_pem).unwrap()).unwrap();
            let p = PublicKey::from_spki_pem(&std::fs::read(&pub_pem).unwrap()).unwrap();
            assert_eq!(key.public_key(), p, "{algorithm} {set} wrap={wrap}");
            assert_eq!(p.gost_param_set().unwrap().oid(), oid);

            let sig_file = dir.s("engine.sig");
            run(Command::new("openssl").args([
                "dgst", "-engine", "gost", md, "-sign", &key_pem, "-out", &sig_file, &msg_file,
            ]));
            let sig = std::fs::read(&sig_file).unwrap();
            p.verify(alg, &msg, &sig)
                .unwrap_or_else(|e| panic!("engine {algorithm} {set} signature: {e}"));
            assert!(p.verify(alg, &flip(&msg, 99), &sig).is_err());

            engine_checks_ours(&dir, key, alg, md, &pub_pem, &msg_file);
        }
    }
}

/// Keys we generate, with the SubjectPublicKeyInfo we encode, are usable by the engine.
#[test]
fn live_engine_reads_our_spki() {
    if !have_gost_engine() {
        return;
    }
    let dir = Scratch::new("gost-ours");
    let msg_file = dir.s("msg");
    std::fs::write(&msg_file, b"our key, our SPKI").unwrap();
    for set in [
        GostParamSet::CryptoProA,
        GostParamSet::CryptoProXchA,
        GostParamSet::Tc26_256A,
        GostParamSet::Tc26_512A,
        GostParamSet::Tc26_512C,
    ] {
        let key = PrivateKey::generate_gost(set).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(key.public_key().spki_der());
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap());
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        let pub_pem = dir.s("ours.pub.pem");
        std::fs::write(&pub_pem, &pem).unwrap();
        let alg = key.default_algorithm();
        let md = if alg == SignatureAlg::Gost2012_512 {
            "-md_gost12_512"
        } else {
            "-md_gost12_256"
        };
        engine_checks_ours(&dir, key, alg, md, &pub_pem, &msg_file);
    }
}
