//! The algorithm vocabulary: every URI and OID the gateway admits, the ones it refuses, policy.

use rsmev_crypto::{AlgorithmPolicy, CryptoError, DigestAlg, SignatureAlg};
use rsmev_fault::FaultCode;

#[test]
fn digest_uris() {
    let table = [
        ("http://www.w3.org/2000/09/xmldsig#sha1", DigestAlg::Sha1),
        ("http://www.w3.org/2001/04/xmlenc#sha256", DigestAlg::Sha256),
        (
            "http://www.w3.org/2001/04/xmldsig-more#sha384",
            DigestAlg::Sha384,
        ),
        ("http://www.w3.org/2001/04/xmlenc#sha512", DigestAlg::Sha512),
        (
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
            DigestAlg::Streebog256,
        ),
        (
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512",
            DigestAlg::Streebog512,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#gostr3411",
            DigestAlg::Gost94,
        ),
        (
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr3411",
            DigestAlg::Gost94,
        ),
    ];
    for (uri, alg) in table {
        assert_eq!(DigestAlg::from_uri(uri), Some(alg), "{uri}");
        assert!(alg.uris().any(|u| u == uri), "{uri}");
    }
    assert_eq!(
        DigestAlg::Gost94.uri(),
        "http://www.w3.org/2001/04/xmldsig-more#gostr3411"
    );
    for alg in DigestAlg::ALL {
        assert_eq!(DigestAlg::from_uri(alg.uri()), Some(*alg));
    }
    for unknown in [
        "",
        "http://www.w3.org/2001/04/xmldsig-more#md5",
        "http://www.w3.org/2001/04/xmldsig-more#sha224",
        "http://www.w3.org/2001/04/xmlenc#SHA256",
        "http://www.w3.org/2001/04/xmlenc#sha256 ",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-384",
    ] {
        assert_eq!(DigestAlg::from_uri(unknown), None, "{unknown:?}");
    }
}

#[test]
fn digest_oids_and_properties() {
    let table = [
        ("1.2.643.7.1.1.2.2", DigestAlg::Streebog256, 32),
        ("1.2.643.7.1.1.2.3", DigestAlg::Streebog512, 64),
        ("2.16.840.1.101.3.4.2.1", DigestAlg::Sha256, 32),
        ("2.16.840.1.101.3.4.2.2", DigestAlg::Sha384, 48),
        ("2.16.840.1.101.3.4.2.3", DigestAlg::Sha512, 64),
        ("1.3.14.3.2.26", DigestAlg::Sha1, 20),
        ("1.2.643.2.2.9", DigestAlg::Gost94, 32),
    ];
    for (oid, alg, len) in table {
        assert_eq!(DigestAlg::from_oid(oid), Some(alg));
        assert_eq!(alg.oid(), oid);
        assert_eq!(alg.output_len(), len);
    }
    // The CryptoPro hash parameter set names GOST R 34.11-94 too (as key parameters carry it).
    assert_eq!(
        DigestAlg::from_oid("1.2.643.2.2.30.1"),
        Some(DigestAlg::Gost94)
    );
    assert_eq!(DigestAlg::from_oid("1.2.643.7.1.1.2"), None);
    let legacy: Vec<_> = DigestAlg::ALL.iter().filter(|a| a.is_legacy()).collect();
    assert_eq!(legacy, [&DigestAlg::Sha1, &DigestAlg::Gost94]);
    assert_eq!(DigestAlg::Streebog256.name(), "GOST R 34.11-2012 256");
}

#[test]
fn signature_uris() {
    let table = [
        (
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
            SignatureAlg::Gost2012_256,
        ),
        (
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512",
            SignatureAlg::Gost2012_512,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411",
            SignatureAlg::Gost2001,
        ),
        (
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102001-gostr3411",
            SignatureAlg::Gost2001,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            SignatureAlg::RsaSha256,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            SignatureAlg::RsaSha384,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            SignatureAlg::RsaSha512,
        ),
        (
            "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            SignatureAlg::RsaSha1,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            SignatureAlg::EcdsaSha256,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            SignatureAlg::EcdsaSha384,
        ),
        (
            "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
            SignatureAlg::EcdsaSha512,
        ),
    ];
    for (uri, alg) in table {
        assert_eq!(SignatureAlg::from_uri(uri).unwrap(), alg, "{uri}");
        assert!(alg.uris().any(|u| u == uri), "{uri}");
    }
    assert_eq!(table.len(), SignatureAlg::ALL.len() + 1);
    for alg in SignatureAlg::ALL {
        assert_eq!(SignatureAlg::from_uri(alg.uri()).unwrap(), *alg);
    }
    assert_eq!(
        SignatureAlg::Gost2012_256.uri(),
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
    );
}

#[test]
fn signature_oids_digests_and_legacy() {
    let table = [
        (
            "1.2.643.7.1.1.3.2",
            SignatureAlg::Gost2012_256,
            DigestAlg::Streebog256,
        ),
        (
            "1.2.643.7.1.1.3.3",
            SignatureAlg::Gost2012_512,
            DigestAlg::Streebog512,
        ),
        ("1.2.643.2.2.3", SignatureAlg::Gost2001, DigestAlg::Gost94),
        (
            "1.2.840.113549.1.1.11",
            SignatureAlg::RsaSha256,
            DigestAlg::Sha256,
        ),
        (
            "1.2.840.113549.1.1.12",
            SignatureAlg::RsaSha384,
            DigestAlg::Sha384,
        ),
        (
            "1.2.840.113549.1.1.13",
            SignatureAlg::RsaSha512,
            DigestAlg::Sha512,
        ),
        (
            "1.2.840.113549.1.1.5",
            SignatureAlg::RsaSha1,
            DigestAlg::Sha1,
        ),
        (
            "1.2.840.10045.4.3.2",
            SignatureAlg::EcdsaSha256,
            DigestAlg::Sha256,
        ),
        (
            "1.2.840.10045.4.3.3",
            SignatureAlg::EcdsaSha384,
            DigestAlg::Sha384,
        ),
        (
            "1.2.840.10045.4.3.4",
            SignatureAlg::EcdsaSha512,
            DigestAlg::Sha512,
        ),
    ];
    for (oid, alg, digest) in table {
        assert_eq!(SignatureAlg::from_x509_oid(oid), Some(alg), "{oid}");
        assert_eq!(alg.x509_oid(), oid);
        assert_eq!(alg.digest(), digest);
    }
    // rsaEncryption is a key algorithm, RSASSA-PSS and MD5 are not admitted.
    for oid in [
        "1.2.840.113549.1.1.1",
        "1.2.840.113549.1.1.10",
        "1.2.840.113549.1.1.4",
    ] {
        assert_eq!(SignatureAlg::from_x509_oid(oid), None, "{oid}");
    }
    let legacy: Vec<_> = SignatureAlg::ALL.iter().filter(|a| a.is_legacy()).collect();
    assert_eq!(legacy, [&SignatureAlg::Gost2001, &SignatureAlg::RsaSha1]);
}

#[test]
fn hmac_methods_are_refused_as_macs() {
    for uri in [
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha224",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha384",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha512",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-md5",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-ripemd160",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:hmac-gostr34112012-256",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:hmac-gostr34112012-512",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:hmac-gostr3411",
    ] {
        let e = SignatureAlg::from_uri(uri).unwrap_err();
        assert!(matches!(e, CryptoError::MacRefused(_)), "{uri}: {e:?}");
        let msg = e.to_string();
        assert!(msg.contains(uri), "{msg}");
        assert!(msg.contains("HMAC") && msg.contains("forge"), "{msg}");
        assert_eq!(e.fault_code(), FaultCode::UnsupportedAlgorithm);
    }
}

#[test]
fn unknown_methods_are_refused_by_name() {
    for uri in [
        "",
        "http://www.w3.org/2000/09/xmldsig#dsa-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
        "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
        "http://www.w3.org/2021/04/xmldsig-more#eddsa-ed25519",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256#",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-384",
    ] {
        let e = SignatureAlg::from_uri(uri).unwrap_err();
        assert!(
            matches!(e, CryptoError::UnsupportedAlgorithm(_)),
            "{uri}: {e:?}"
        );
        assert!(e.to_string().contains(&format!("`{uri}`")), "{e}");
        assert_eq!(e.fault_code(), FaultCode::UnsupportedAlgorithm);
    }
}

#[test]
fn policy() {
    let strict = AlgorithmPolicy::default();
    assert_eq!(strict, AlgorithmPolicy::STRICT);
    assert!(!strict.allow_legacy);
    for &alg in SignatureAlg::ALL {
        let r = strict.check_signature(alg);
        if alg.is_legacy() {
            let e = r.unwrap_err();
            assert!(
                matches!(e, CryptoError::LegacyRefused(n) if n == alg.name()),
                "{e:?}"
            );
            assert_eq!(e.fault_code(), FaultCode::LegacyAlgorithmRefused);
        } else {
            r.unwrap();
        }
        AlgorithmPolicy::LEGACY.check_signature(alg).unwrap();
    }
    for &alg in DigestAlg::ALL {
        assert_eq!(
            strict.check_digest(alg).is_err(),
            alg.is_legacy(),
            "{alg:?}"
        );
        AlgorithmPolicy { allow_legacy: true }
            .check_digest(alg)
            .unwrap();
    }
    let e = strict.check_digest(DigestAlg::Gost94).unwrap_err();
    assert!(e.to_string().contains("GOST R 34.11-94"), "{e}");
}
