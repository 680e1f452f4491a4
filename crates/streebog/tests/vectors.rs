//! The examples of RFC 6986 §10 (GOST R 34.11-2012 Appendix A), on every backend this CPU has.
//!
//! The RFC prints messages and digests as numbers, most significant byte first; hashed bytes
//! and the digests here are in stream order, the reverse — the order `streebog`, OpenSSL and
//! XMLDSig use.

use rsmev_streebog::{Streebog256, Streebog512, streebog256, streebog512};

/// M1: 63 bytes, less than one block.
const M1: &[u8] = b"012345678901234567890123456789012345678901234567890123456789012";

/// M2: 72 bytes, so one full block with a non-zero N. "Се ветри, Стрибожи внуци, веютъ с моря
/// стрелами на храбрыя плъкы Игоревы" in CP1251.
const M2_HEX: &str = "d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20\
                      f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb\
                      20c8e3eef0e5e2fb";

const M1_512: &str = "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa\
                      00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48";
const M1_256: &str = "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500";
const M2_512: &str = "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376\
                      035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28";
const M2_256: &str = "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50";

/// The RFC's own notation of the M1 digest (§10.1.1), to pin the byte order down.
const M1_512_RFC: &str = "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00\
                          fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b";

fn m2() -> Vec<u8> {
    hex::decode(M2_HEX).unwrap()
}

fn both_256() -> [Streebog256; 2] {
    [Streebog256::new(), Streebog256::new_scalar()]
}

fn both_512() -> [Streebog512; 2] {
    [Streebog512::new(), Streebog512::new_scalar()]
}

#[test]
fn m1() {
    for mut h in both_512() {
        let backend = h.backend();
        h.update(M1);
        assert_eq!(hex::encode(h.finalize()), M1_512, "{backend:?}");
    }
    for mut h in both_256() {
        let backend = h.backend();
        h.update(M1);
        assert_eq!(hex::encode(h.finalize()), M1_256, "{backend:?}");
    }
    assert_eq!(hex::encode(streebog512(M1)), M1_512);
    assert_eq!(hex::encode(streebog256(M1)), M1_256);
}

#[test]
fn m2_spans_two_blocks() {
    let m2 = m2();
    assert_eq!(m2.len(), 72);
    for mut h in both_512() {
        let backend = h.backend();
        h.update(&m2);
        assert_eq!(hex::encode(h.finalize()), M2_512, "{backend:?}");
    }
    for mut h in both_256() {
        let backend = h.backend();
        h.update(&m2);
        assert_eq!(hex::encode(h.finalize()), M2_256, "{backend:?}");
    }
    assert_eq!(hex::encode(Streebog512::digest(&m2)), M2_512);
    assert_eq!(hex::encode(Streebog256::digest(&m2)), M2_256);
}

#[test]
fn output_is_the_rfc_number_reversed() {
    let mut rfc = hex::decode(M1_512_RFC).unwrap();
    rfc.reverse();
    assert_eq!(streebog512(M1).to_vec(), rfc);
}

/// Streebog-256 is not a truncation of Streebog-512: the initial vectors differ.
#[test]
fn sizes_differ_in_iv() {
    assert_ne!(streebog256(b"")[..], streebog512(b"")[32..]);
}
