//! Digest known answers: the published vectors, the golden outputs of `openssl dgst` (with the
//! GOST engine), and a live comparison with the same peer.

mod common;

use std::process::Command;

use common::{Scratch, have_gost_engine, have_openssl, read, run};
use rsmev_crypto::{DigestAlg, Hasher};

fn hex(alg: DigestAlg, data: &[u8]) -> String {
    hex::encode(Hasher::digest(alg, data))
}

/// RFC 6986 §10 (GOST R 34.11-2012 Appendix A examples 1 and 2), digests written in output
/// byte order — the order `gost12sum`, OpenSSL and XMLDSig DigestValue use.
#[test]
fn rfc6986_examples() {
    let m1 = b"012345678901234567890123456789012345678901234567890123456789012";
    assert_eq!(
        hex(DigestAlg::Streebog512, m1),
        "1b54d01a4af5b9d5cc3d86d68d285462b19abc2475222f35c085122be4ba1ffa\
         00ad30f8767b3a82384c6574f024c311e2a481332b08ef7f41797891c1646f48"
    );
    assert_eq!(
        hex(DigestAlg::Streebog256, m1),
        "9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500"
    );
    // "Се ветри, Стрибожи внуци, веютъ с моря стрелами на храбрыя плъкы Игоревы" in CP1251.
    let m2 = ::hex::decode(
        "d1e520e2e5f2f0e82c20d1f2f0e8e1eee6e820e2edf3f6e82c20e2e5fef2fa20\
         f120eceef0ff20f1f2f0e5ebe0ece820ede020f5f0e0e1f0fbff20efebfaeafb\
         20c8e3eef0e5e2fb",
    )
    .unwrap();
    assert_eq!(m2.len(), 72);
    assert_eq!(
        hex(DigestAlg::Streebog512, &m2),
        "1e88e62226bfca6f9994f1f2d51569e0daf8475a3b0fe61a5300eee46d961376\
         035fe83549ada2b8620fcd7c496ce5b33f0cb9dddc2b6460143b03dabac9fb28"
    );
    assert_eq!(
        hex(DigestAlg::Streebog256, &m2),
        "9dd2fe4e90409e5da87f53976d7405b0c0cac628fc669a741d50063c557e8f50"
    );
}

/// FIPS 180-4 examples (the one-block message "abc").
#[test]
fn fips180_abc() {
    assert_eq!(
        hex(DigestAlg::Sha1, b"abc"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        hex(DigestAlg::Sha256, b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(DigestAlg::Sha384, b"abc"),
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
         8086072ba1e7cc2358baeca134c825a7"
    );
    assert_eq!(
        hex(DigestAlg::Sha512, b"abc"),
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
         2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
    );
}

/// GOST R 34.11-94 with the CryptoPro S-boxes in the byte order OpenSSL's GOST engine and RHash
/// print (the form SMEV DigestValues carry). Debian's `gostsum` prints these byte-reversed; it
/// is not the peer.
#[test]
fn gost94_cryptopro_is_not_byte_reversed() {
    let abc = hex(DigestAlg::Gost94, b"abc");
    assert_eq!(
        abc,
        "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c"
    );
    let mut reversed = Hasher::digest(DigestAlg::Gost94, b"abc");
    reversed.reverse();
    assert_ne!(::hex::encode(reversed), abc);
}

/// Every line of `digests.tsv` (made by `openssl dgst`, see tests/data/README.md), except where
/// `digests-deviations.tsv` records that the engine departs from the standard and a second
/// peer (RHash) gives the standard's answer.
#[test]
fn golden_openssl_digests() {
    let table = String::from_utf8(read("digests.tsv")).unwrap();
    let deviations = String::from_utf8(read("digests-deviations.tsv")).unwrap();
    let deviations: Vec<Vec<&str>> = deviations
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(deviations.len(), 1);
    let mut checked = 0;
    let mut seen = std::collections::HashSet::new();
    for line in table.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "{line}");
        let alg = *DigestAlg::ALL
            .iter()
            .find(|a| format!("{a:?}") == f[0])
            .unwrap_or_else(|| panic!("unknown algorithm {}", f[0]));
        let input = if f[2] == "-" {
            Vec::new()
        } else {
            ::hex::decode(f[2]).unwrap()
        };
        let expected = deviations
            .iter()
            .find(|d| d[0] == f[0] && d[1] == f[1])
            .map_or(f[3], |d| {
                assert_eq!(d[3], f[3], "the deviation file names the engine's output");
                d[2]
            });
        assert_eq!(hex(alg, &input), expected, "{} of {}", f[0], f[1]);
        seen.insert(alg);
        checked += 1;
    }
    assert_eq!(checked, 5 * DigestAlg::ALL.len());
    assert_eq!(seen.len(), DigestAlg::ALL.len());
}

/// Fresh random inputs around the block boundaries, hashed by `openssl dgst` now.
#[test]
fn live_openssl_dgst() {
    if !have_openssl() {
        return;
    }
    let gost = have_gost_engine();
    let dir = Scratch::new("dgst");
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for len in [
        0usize, 1, 31, 32, 63, 64, 65, 127, 128, 129, 1000, 65_536, 100_003,
    ] {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let file = dir.s(&format!("in{len}"));
        std::fs::write(&file, &data).unwrap();
        for &alg in DigestAlg::ALL {
            let (opt, engine) = match alg {
                DigestAlg::Streebog256 => ("-md_gost12_256", true),
                DigestAlg::Streebog512 => ("-md_gost12_512", true),
                DigestAlg::Gost94 => ("-md_gost94", true),
                DigestAlg::Sha1 => ("-sha1", false),
                DigestAlg::Sha256 => ("-sha256", false),
                DigestAlg::Sha384 => ("-sha384", false),
                DigestAlg::Sha512 => ("-sha512", false),
            };
            // The one input where the engine departs from GOST R 34.11-94 (digests-deviations.tsv).
            if (engine && !gost) || (alg == DigestAlg::Gost94 && len == 0) {
                continue;
            }
            let mut cmd = Command::new("openssl");
            cmd.arg("dgst");
            if engine {
                cmd.args(["-engine", "gost"]);
            }
            let out = run(cmd.args([opt, "-r", &file]));
            let text = String::from_utf8(out).unwrap();
            let peer = text.split_whitespace().next().unwrap();
            assert_eq!(hex(alg, &data), peer, "{alg:?} of {len} bytes");
        }
    }
}
