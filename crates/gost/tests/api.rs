//! The public API: round trips on every parameter set, the error for each malformed input,
//! and property tests.

use proptest::prelude::*;
use rsmev_gost::{GostError, KeySize, ParamSet, PublicKey, SigningKey};

/// q of each parameter set, big-endian hex (RFC 4357, RFC 7836, RFC 7091).
fn q_hex(set: ParamSet) -> &'static str {
    match set {
        ParamSet::CryptoProA | ParamSet::CryptoProXchA | ParamSet::Tc26_256B => {
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893"
        }
        ParamSet::CryptoProB | ParamSet::Tc26_256C => {
            "800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F"
        }
        ParamSet::CryptoProC | ParamSet::CryptoProXchB | ParamSet::Tc26_256D => {
            "9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9"
        }
        ParamSet::Tc26_256A => "400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
        ParamSet::Tc26_512Test => {
            "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D\
             A82F2D7ECB1DBAC719905C5EECC423F1D86E25EDBE23C595D644AAF187E6E6DF"
        }
        ParamSet::Tc26_512A => {
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275"
        }
        ParamSet::Tc26_512B => {
            "8000000000000000000000000000000000000000000000000000000000000001\
             49A1EC142565A545ACFDB77BD9D40CFA8B996712101BEA0EC6346C54374F25BD"
        }
        ParamSet::Tc26_512C => {
            "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             C98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED"
        }
    }
}

fn p_hex(set: ParamSet) -> &'static str {
    match set {
        ParamSet::CryptoProA
        | ParamSet::CryptoProXchA
        | ParamSet::Tc26_256B
        | ParamSet::Tc26_256A => "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        ParamSet::CryptoProB | ParamSet::Tc26_256C => {
            "8000000000000000000000000000000000000000000000000000000000000C99"
        }
        ParamSet::CryptoProC | ParamSet::CryptoProXchB | ParamSet::Tc26_256D => {
            "9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B"
        }
        ParamSet::Tc26_512Test => {
            "4531ACD1FE0023C7550D267B6B2FEE80922B14B2FFB90F04D4EB7C09B5D2D15D\
             F1D852741AF4704A0458047E80E4546D35B8336FAC224DD81664BBF528BE6373"
        }
        ParamSet::Tc26_512A | ParamSet::Tc26_512C => {
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7"
        }
        ParamSet::Tc26_512B => {
            "8000000000000000000000000000000000000000000000000000000000000000\
             000000000000000000000000000000000000000000000000000000000000006F"
        }
    }
}

fn be(hex_be: &str) -> Vec<u8> {
    hex::decode(hex_be).unwrap()
}

fn le(hex_be: &str) -> Vec<u8> {
    let mut v = be(hex_be);
    v.reverse();
    v
}

/// Little-endian a + b (same length); `None` on overflow.
fn le_add(a: &[u8], b: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for i in 0..a.len() {
        let s = a[i] as u16 + b[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    (carry == 0).then_some(out)
}

/// Little-endian a − b for a ≥ b.
fn le_sub(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in 0..a.len() {
        let d = a[i] as i16 - b[i] as i16 - borrow;
        out[i] = d.rem_euclid(256) as u8;
        borrow = (d < 0) as i16;
    }
    assert_eq!(borrow, 0);
    out
}

fn digest_for(set: ParamSet, seed: u8) -> Vec<u8> {
    (0..set.size().bytes())
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn key_types_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync>() {}
    fn cloneable_debug<T: Clone + std::fmt::Debug>() {}
    shareable::<PublicKey>();
    shareable::<SigningKey>();
    cloneable_debug::<PublicKey>();
    // One key verifying on several threads at once.
    let sk = SigningKey::generate(ParamSet::Tc26_256A).unwrap();
    let pk = sk.public_key();
    let digest = [0x42u8; 32];
    let sig = sk.sign_digest(&digest).unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| pk.verify_digest(&digest, &sig).unwrap());
        }
    });
}

#[test]
fn oids_and_sizes() {
    assert_eq!(ParamSet::ALL.len(), 13);
    for &set in ParamSet::ALL {
        assert_eq!(ParamSet::from_oid(set.oid()), Some(set));
    }
    assert_eq!(ParamSet::from_oid("1.2.643.2.2.35.0"), None);
    assert_eq!(ParamSet::Tc26_512Test.size(), KeySize::Bits512);
    assert_eq!(ParamSet::CryptoProXchB.size().bytes(), 32);
}

#[test]
fn every_param_set_signs_verifies_and_round_trips_keys() {
    for &set in ParamSet::ALL {
        let n = set.size().bytes();
        let sk = SigningKey::generate(set).unwrap();
        assert_eq!(sk.param_set(), set);
        let d = sk.to_le_bytes();
        assert_eq!(d.len(), n);
        let sk2 = SigningKey::from_le_bytes(set, &d).unwrap();
        let pk = sk.public_key();
        assert_eq!(pk.param_set(), set);
        let xy = pk.to_le_xy();
        assert_eq!(xy.len(), 2 * n);
        assert_eq!(sk2.public_key().to_le_xy(), xy);
        let pk2 = PublicKey::from_le_xy(set, &xy).unwrap();
        assert_eq!(pk2.to_le_xy(), xy);
        let digest = digest_for(set, 1);
        let sig = sk.sign_digest(&digest).unwrap();
        assert_eq!(sig.len(), 2 * n);
        pk2.verify_digest(&digest, &sig).unwrap();
        pk.clone().verify_digest(&digest, &sig).unwrap();
        // Another key of the same set does not verify it.
        let other = SigningKey::generate(set).unwrap().public_key();
        assert_eq!(
            other.verify_digest(&digest, &sig),
            Err(GostError::SignatureMismatch),
            "{set:?}"
        );
        // Debug names the set and never fails.
        assert!(format!("{pk:?}").contains(&format!("{set:?}")));
    }
}

#[test]
fn nonces_are_fresh() {
    for set in [ParamSet::CryptoProA, ParamSet::Tc26_512A] {
        let sk = SigningKey::generate(set).unwrap();
        let pk = sk.public_key();
        let digest = digest_for(set, 9);
        let a = sk.sign_digest(&digest).unwrap();
        let b = sk.sign_digest(&digest).unwrap();
        assert_ne!(a, b);
        let n = set.size().bytes();
        assert_ne!(a[n..], b[n..], "r repeats: nonce reused");
        pk.verify_digest(&digest, &a).unwrap();
        pk.verify_digest(&digest, &b).unwrap();
    }
}

#[test]
fn digest_equal_to_zero_mod_q_is_signed_as_one() {
    for &set in ParamSet::ALL {
        let n = set.size().bytes();
        let sk = SigningKey::generate(set).unwrap();
        let pk = sk.public_key();
        let q = le(q_hex(set));
        let zero = vec![0u8; n];
        let mut one = vec![0u8; n];
        one[0] = 1;
        // e(q) = e(0) = 0 → 1, the same e as the digest 1.
        let sig = sk.sign_digest(&q).unwrap();
        pk.verify_digest(&zero, &sig).unwrap();
        pk.verify_digest(&one, &sig).unwrap();
        pk.verify_digest(&q, &sig).unwrap();
        // Digests are reduced mod q: q + 5 and 5 are the same e.
        if let Some(q5) = le_add(&q, &{
            let mut v = vec![0u8; n];
            v[0] = 5;
            v
        }) {
            let mut five = vec![0u8; n];
            five[0] = 5;
            let sig = sk.sign_digest(&q5).unwrap();
            pk.verify_digest(&five, &sig).unwrap();
        }
    }
}

#[test]
fn malformed_digests_and_signatures_are_refused() {
    for set in [
        ParamSet::CryptoProB,
        ParamSet::Tc26_256A,
        ParamSet::Tc26_512C,
    ] {
        let n = set.size().bytes();
        let sk = SigningKey::generate(set).unwrap();
        let pk = sk.public_key();
        let digest = digest_for(set, 3);
        let sig = sk.sign_digest(&digest).unwrap();
        pk.verify_digest(&digest, &sig).unwrap();

        // Lengths.
        for len in [0, n - 1, n + 1, 2 * n] {
            if len == n {
                continue;
            }
            let d = vec![7u8; len];
            assert_eq!(
                sk.sign_digest(&d),
                Err(GostError::DigestLength {
                    got: len,
                    expected: n
                })
            );
            assert_eq!(
                pk.verify_digest(&d, &sig),
                Err(GostError::DigestLength {
                    got: len,
                    expected: n
                })
            );
        }
        for len in [0, 2 * n - 1, 2 * n + 1, n] {
            let mut v = sig.clone();
            v.resize(len, 0);
            assert_eq!(
                pk.verify_digest(&digest, &v),
                Err(GostError::SignatureLength {
                    got: len,
                    expected: 2 * n
                })
            );
        }

        // r or s zero, equal to q, above q.
        let q = be(q_hex(set));
        let ones = vec![0xFFu8; n];
        let zero = vec![0u8; n];
        let (s, r) = sig.split_at(n);
        for bad_half in [&zero, &q, &ones] {
            let with_r = [s, bad_half.as_slice()].concat();
            let with_s = [bad_half.as_slice(), r].concat();
            assert_eq!(
                pk.verify_digest(&digest, &with_r),
                Err(GostError::SignatureMismatch)
            );
            assert_eq!(
                pk.verify_digest(&digest, &with_s),
                Err(GostError::SignatureMismatch)
            );
        }
        // r + q would still match x_C mod q if ranges were not checked; it must not pass.
        // (Only representable when r + q < 2^(8n).)
        let (mut rq, mut carry) = (r.to_vec(), 0u16);
        for i in (0..n).rev() {
            let v = rq[i] as u16 + q[i] as u16 + carry;
            rq[i] = v as u8;
            carry = v >> 8;
        }
        if carry == 0 {
            let bad = [s, rq.as_slice()].concat();
            assert_eq!(
                pk.verify_digest(&digest, &bad),
                Err(GostError::SignatureMismatch)
            );
        }

        // Single flipped bits anywhere in the signature or the digest.
        for i in (0..2 * n).step_by(7) {
            let mut bad = sig.clone();
            bad[i] ^= 1 << (i % 8);
            assert_eq!(
                pk.verify_digest(&digest, &bad),
                Err(GostError::SignatureMismatch)
            );
        }
        for i in (0..n).step_by(5) {
            let mut bad = digest.clone();
            bad[i] ^= 0x40;
            assert_eq!(
                pk.verify_digest(&bad, &sig),
                Err(GostError::SignatureMismatch)
            );
        }
        // s‖r swapped is not a valid signature.
        let swapped = [r, s].concat();
        assert_eq!(
            pk.verify_digest(&digest, &swapped),
            Err(GostError::SignatureMismatch)
        );
    }
}

#[test]
fn malformed_public_keys_are_refused() {
    for &set in ParamSet::ALL {
        let n = set.size().bytes();
        let xy = SigningKey::generate(set).unwrap().public_key().to_le_xy();
        for len in [0, 1, 2 * n - 1, 2 * n + 1, n, 4 * n] {
            let v = vec![1u8; len];
            assert_eq!(
                PublicKey::from_le_xy(set, &v).unwrap_err(),
                GostError::InvalidPublicKey
            );
        }
        // Off the curve: y changed by one bit; (0, 0); the point at infinity's usual encodings.
        let mut bad = xy.clone();
        bad[n] ^= 1;
        assert_eq!(
            PublicKey::from_le_xy(set, &bad).unwrap_err(),
            GostError::InvalidPublicKey
        );
        assert_eq!(
            PublicKey::from_le_xy(set, &vec![0u8; 2 * n]).unwrap_err(),
            GostError::InvalidPublicKey
        );
        // Coordinates ≥ p: p itself, all ones, and x + p (congruent to a valid x).
        let p = le(p_hex(set));
        for (x, y) in [
            (&p, &xy[n..].to_vec()),
            (&vec![0xFF; n], &xy[n..].to_vec()),
            (&xy[..n].to_vec(), &p),
        ] {
            let v = [x.as_slice(), y.as_slice()].concat();
            assert_eq!(
                PublicKey::from_le_xy(set, &v).unwrap_err(),
                GostError::InvalidPublicKey
            );
        }
        if let Some(xp) = le_add(&xy[..n], &p) {
            let v = [xp.as_slice(), &xy[n..]].concat();
            assert_eq!(
                PublicKey::from_le_xy(set, &v).unwrap_err(),
                GostError::InvalidPublicKey
            );
        }
        if let Some(yp) = le_add(&xy[n..], &p) {
            let v = [&xy[..n], yp.as_slice()].concat();
            assert_eq!(
                PublicKey::from_le_xy(set, &v).unwrap_err(),
                GostError::InvalidPublicKey
            );
        }
        // The negated point (x, p − y) is a valid key too, and a different one.
        let neg_y = le_sub(&p, &xy[n..]);
        let neg = [&xy[..n], neg_y.as_slice()].concat();
        assert_ne!(PublicKey::from_le_xy(set, &neg).unwrap().to_le_xy(), xy);
    }
}

#[test]
fn malformed_private_keys_are_refused() {
    for &set in ParamSet::ALL {
        let n = set.size().bytes();
        let q = le(q_hex(set));
        let mut q_plus_1 = q.clone();
        q_plus_1[0] += 1; // q is odd: no carry
        let mut q_minus_1 = q.clone();
        q_minus_1[0] -= 1;
        for bad in [
            vec![0u8; n],
            q.clone(),
            q_plus_1,
            vec![0xFF; n],
            vec![1u8; n - 1],
            vec![1u8; n + 1],
            vec![],
        ] {
            assert!(matches!(
                SigningKey::from_le_bytes(set, &bad),
                Err(GostError::InvalidPrivateKey)
            ));
        }
        let mut one = vec![0u8; n];
        one[0] = 1;
        for good in [one, q_minus_1] {
            let sk = SigningKey::from_le_bytes(set, &good).unwrap();
            let digest = digest_for(set, 4);
            sk.public_key()
                .verify_digest(&digest, &sk.sign_digest(&digest).unwrap())
                .unwrap();
        }
    }
}

#[test]
fn error_fault_codes() {
    use rsmev_fault::FaultCode;
    assert_eq!(
        GostError::InvalidPublicKey.fault_code(),
        FaultCode::CertificateInvalid
    );
    assert_eq!(
        GostError::SignatureMismatch.fault_code(),
        FaultCode::SignatureInvalid
    );
}

const CASES: u32 = if cfg!(debug_assertions) { 24 } else { 256 };

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn sign_verify_round_trip(set_idx in 0..ParamSet::ALL.len(), digest in prop::collection::vec(any::<u8>(), 64), flip in 0usize..1024) {
        let set = ParamSet::ALL[set_idx];
        let n = set.size().bytes();
        let digest = &digest[..n];
        let sk = SigningKey::generate(set).unwrap();
        let pk = PublicKey::from_le_xy(set, &sk.public_key().to_le_xy()).unwrap();
        let sig = sk.sign_digest(digest).unwrap();
        prop_assert!(pk.verify_digest(digest, &sig).is_ok());
        let mut bad = sig.clone();
        bad[flip % (2 * n)] ^= 1 << (flip % 8);
        prop_assert_eq!(pk.verify_digest(digest, &bad), Err(GostError::SignatureMismatch));
    }

    #[test]
    fn arbitrary_key_bytes_never_panic(set_idx in 0..ParamSet::ALL.len(), bytes in prop::collection::vec(any::<u8>(), 0..140)) {
        let set = ParamSet::ALL[set_idx];
        let _ = PublicKey::from_le_xy(set, &bytes);
        let _ = SigningKey::from_le_bytes(set, &bytes);
    }
}
