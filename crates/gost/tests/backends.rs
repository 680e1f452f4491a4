//! Differential tests: this crate's arithmetic against the `openssl-backend` feature's
//! implementation of the same equations on OpenSSL's generic EC code. Run with
//! `cargo test -p rsmev-gost --features openssl-backend`.
#![cfg(feature = "openssl-backend")]

use proptest::prelude::*;
use rsmev_gost::openssl_backend as ossl;
use rsmev_gost::test_vectors::{self, TestCurve};
use rsmev_gost::{GostError, ParamSet, PublicKey, SigningKey};

fn random_scalar(set: ParamSet) -> Vec<u8> {
    SigningKey::generate(set).unwrap().to_le_bytes().to_vec()
}

fn check(set: ParamSet, digest: &[u8]) {
    let d = random_scalar(set);
    let sk = SigningKey::from_le_bytes(set, &d).unwrap();
    let xy = sk.public_key().to_le_xy();
    assert_eq!(ossl::public_key(set, &d).unwrap(), xy, "{set:?}: d·G");
    let pk = PublicKey::from_le_xy(set, &xy).unwrap();

    // Same nonce, same signature, bit for bit.
    let k = random_scalar(set);
    let ours = test_vectors::sign_digest_with_nonce(TestCurve::Set(set), &d, digest, &k).unwrap();
    let theirs = ossl::sign_digest_with_nonce(set, &d, digest, &k).unwrap();
    assert_eq!(
        hex::encode(&ours),
        hex::encode(&theirs),
        "{set:?}: fixed-nonce signature"
    );

    // Each verifies the other's randomized signatures.
    let ours = sk.sign_digest(digest).unwrap();
    ossl::verify_digest(set, &xy, digest, &ours).unwrap();
    let theirs = ossl::sign_digest(set, &d, digest).unwrap();
    pk.verify_digest(digest, &theirs).unwrap();

    // And both refuse the same tampering.
    let mut bad = theirs.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        pk.verify_digest(digest, &bad),
        Err(GostError::SignatureMismatch)
    );
    assert_eq!(
        ossl::verify_digest(set, &xy, digest, &bad),
        Err(GostError::SignatureMismatch)
    );
}

#[test]
fn backends_agree_on_every_param_set() {
    for &set in ParamSet::ALL {
        let n = set.size().bytes();
        check(set, &(0..n).map(|i| i as u8 ^ 0x5a).collect::<Vec<_>>());
        // e = 0 → 1.
        check(set, &vec![0u8; n]);
        check(set, &vec![0xFF; n]);
    }
}

#[test]
fn backends_agree_on_malformed_input() {
    for &set in ParamSet::ALL {
        let n = set.size().bytes();
        let d = random_scalar(set);
        let xy = ossl::public_key(set, &d).unwrap();
        let digest = vec![3u8; n];
        let sig = ossl::sign_digest(set, &d, &digest).unwrap();
        let mut off_curve = xy.clone();
        off_curve[n] ^= 1;
        assert_eq!(
            ossl::verify_digest(set, &off_curve, &digest, &sig),
            Err(GostError::InvalidPublicKey)
        );
        assert_eq!(
            PublicKey::from_le_xy(set, &off_curve).unwrap_err(),
            GostError::InvalidPublicKey
        );
        let zeros = vec![0u8; 2 * n];
        assert_eq!(
            ossl::verify_digest(set, &xy, &digest, &zeros),
            Err(GostError::SignatureMismatch)
        );
        assert_eq!(
            ossl::verify_digest(set, &xy, &digest[1..], &sig),
            Err(GostError::DigestLength {
                got: n - 1,
                expected: n
            })
        );
        assert_eq!(
            ossl::verify_digest(set, &xy, &digest, &sig[1..]),
            Err(GostError::SignatureLength {
                got: 2 * n - 1,
                expected: 2 * n
            })
        );
        assert_eq!(
            ossl::sign_digest(set, &vec![0u8; n], &digest),
            Err(GostError::InvalidPrivateKey)
        );
    }
}

#[test]
fn rfc7091_example_2_on_the_openssl_backend() {
    // RFC 7091 Appendix A.2 (see tests/data/README.md).
    let le = |h: &str| {
        let mut v = hex::decode(format!("{h:0>128}")).unwrap();
        v.reverse();
        v
    };
    let d = le(
        "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B102072E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
    );
    let e = le(
        "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C5917184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
    );
    let k = le(
        "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F365886748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
    );
    let sig = ossl::sign_digest_with_nonce(ParamSet::Tc26_512Test, &d, &e, &k).unwrap();
    assert_eq!(
        hex::encode_upper(&sig[64..]),
        "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD35492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36"
    );
    assert_eq!(
        hex::encode_upper(&sig[..64]),
        "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A"
    );
}

const CASES: u32 = if cfg!(debug_assertions) { 16 } else { 128 };

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn random_digests_agree(set_idx in 0..ParamSet::ALL.len(), digest in prop::collection::vec(any::<u8>(), 64)) {
        let set = ParamSet::ALL[set_idx];
        check(set, &digest[..set.size().bytes()]);
    }
}
