//! The worked examples of GOST R 34.10-2012 as published in RFC 7091 Appendix A (see
//! tests/data/README.md). Expected values are the RFC's.

use rsmev_gost::test_vectors::{self, TestCurve};
use rsmev_gost::{GostError, ParamSet, PublicKey, SigningKey};

/// Big-endian hex (any length up to `n` bytes) → `n` bytes little-endian.
fn le(hex_be: &str, n: usize) -> Vec<u8> {
    let padded = format!("{hex_be:0>width$}", width = 2 * n);
    let mut v = hex::decode(padded).unwrap();
    v.reverse();
    v
}

/// Big-endian hex → `n` bytes big-endian.
fn be(hex_be: &str, n: usize) -> Vec<u8> {
    hex::decode(format!("{hex_be:0>width$}", width = 2 * n)).unwrap()
}

struct Example {
    curve: TestCurve,
    n: usize,
    d: &'static str,
    qx: &'static str,
    qy: &'static str,
    e: &'static str,
    k: &'static str,
    r: &'static str,
    s: &'static str,
}

const EXAMPLE_1: Example = Example {
    curve: TestCurve::Gost2001Test,
    n: 32,
    d: "7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28",
    qx: "7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B",
    qy: "26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA",
    e: "2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5",
    k: "77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3",
    r: "41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493",
    s: "01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40",
};

const EXAMPLE_2: Example = Example {
    curve: TestCurve::Set(ParamSet::Tc26_512Test),
    n: 64,
    d: "0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B1020\
        72E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4",
    qx: "115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD\
         5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1",
    qy: "37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61\
         EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC",
    e: "3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C591\
        7184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C",
    k: "0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F3658\
        86748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1",
    r: "2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD3\
        5492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36",
    s: "1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5\
        823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A",
};

impl Example {
    fn xy(&self) -> Vec<u8> {
        [le(self.qx, self.n), le(self.qy, self.n)].concat()
    }
    fn sig(&self) -> Vec<u8> {
        [be(self.s, self.n), be(self.r, self.n)].concat()
    }
    fn digest(&self) -> Vec<u8> {
        le(self.e, self.n)
    }

    fn check_public_key(&self) {
        let got = test_vectors::public_key_le_xy(self.curve, &le(self.d, self.n)).unwrap();
        assert_eq!(hex::encode(got), hex::encode(self.xy()));
    }

    fn check_sign(&self) {
        let sig = test_vectors::sign_digest_with_nonce(
            self.curve,
            &le(self.d, self.n),
            &self.digest(),
            &le(self.k, self.n),
        )
        .unwrap();
        assert_eq!(
            hex::encode(&sig[self.n..]),
            hex::encode(be(self.r, self.n)),
            "r"
        );
        assert_eq!(
            hex::encode(&sig[..self.n]),
            hex::encode(be(self.s, self.n)),
            "s"
        );
    }

    fn check_verify(&self) {
        let (xy, digest, sig) = (self.xy(), self.digest(), self.sig());
        test_vectors::verify_digest(self.curve, &xy, &digest, &sig).unwrap();
        // Any single flipped bit in the signature, the digest or the key fails.
        for i in [0, self.n - 1, self.n, 2 * self.n - 1] {
            let mut bad = sig.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                test_vectors::verify_digest(self.curve, &xy, &digest, &bad),
                Err(GostError::SignatureMismatch)
            );
        }
        let mut bad = digest.clone();
        bad[0] ^= 0x80;
        assert_eq!(
            test_vectors::verify_digest(self.curve, &xy, &bad, &sig),
            Err(GostError::SignatureMismatch)
        );
        let mut bad = xy.clone();
        bad[3] ^= 0x10;
        assert_eq!(
            test_vectors::verify_digest(self.curve, &bad, &digest, &sig),
            Err(GostError::InvalidPublicKey)
        );
    }
}

#[test]
fn example_1_public_key() {
    EXAMPLE_1.check_public_key();
}

#[test]
fn example_1_sign_with_the_rfc_nonce() {
    EXAMPLE_1.check_sign();
}

#[test]
fn example_1_verify() {
    EXAMPLE_1.check_verify();
}

#[test]
fn example_2_public_key() {
    EXAMPLE_2.check_public_key();
}

#[test]
fn example_2_sign_with_the_rfc_nonce() {
    EXAMPLE_2.check_sign();
}

#[test]
fn example_2_verify() {
    EXAMPLE_2.check_verify();
}

#[test]
fn example_2_through_the_public_api() {
    // The 512-bit test curve has a ParamSet; go through PublicKey/SigningKey as callers do.
    let ex = &EXAMPLE_2;
    let key = PublicKey::from_le_xy(ParamSet::Tc26_512Test, &ex.xy()).unwrap();
    assert_eq!(key.to_le_xy(), ex.xy());
    key.verify_digest(&ex.digest(), &ex.sig()).unwrap();
    let sk = SigningKey::from_le_bytes(ParamSet::Tc26_512Test, &le(ex.d, 64)).unwrap();
    assert_eq!(sk.public_key().to_le_xy(), ex.xy());
    assert_eq!(&sk.to_le_bytes()[..], &le(ex.d, 64)[..]);
    let sig = sk.sign_digest(&ex.digest()).unwrap();
    key.verify_digest(&ex.digest(), &sig).unwrap();
}
