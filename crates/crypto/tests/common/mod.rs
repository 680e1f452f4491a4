//! Shared helpers for the integration tests: golden files, peer tools, scratch directories.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use der::{Decode, Reader, SliceReader};

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn read(name: &str) -> Vec<u8> {
    std::fs::read(data(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn require_peers() -> bool {
    std::env::var_os("RSMEV_REQUIRE_PEERS").is_some_and(|v| v == "1")
}

fn missing(what: &str) -> bool {
    assert!(
        !require_peers(),
        "{what} is required (RSMEV_REQUIRE_PEERS=1) but missing"
    );
    eprintln!("{what} not available: skipping the live peer check");
    false
}

/// `openssl` on PATH.
pub fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok || missing("openssl")
}

/// `openssl` with the GOST engine loadable.
pub fn have_gost_engine() -> bool {
    if !have_openssl() {
        return false;
    }
    let ok = Command::new("openssl")
        .args(["engine", "gost", "-c"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("md_gost12_256")
        });
    ok || missing("the OpenSSL GOST engine")
}

/// Runs a command, panicking with its stderr on failure; returns stdout.
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `openssl dgst … -verify`: true when the peer prints "Verified OK".
pub fn openssl_verifies(args: &[&str]) -> bool {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("Verified OK")
}

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rsmev-crypto-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn s(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Cert {
    pub tbs: Vec<u8>,
    pub alg_oid: String,
    pub signature: Vec<u8>,
    pub spki: Vec<u8>,
}

/// The pieces of an X.509 certificate `verify_x509` needs: tbsCertificate DER, signature
/// algorithm OID, signature BIT STRING contents, and the subject's SPKI DER.
pub fn parse_cert(pem: &[u8]) -> Cert {
    let (label, der) = der::pem::decode_vec(pem).unwrap();
    assert_eq!(label, "CERTIFICATE");
    let mut r = SliceReader::new(&der).unwrap();
    let (tbs, alg, sig) = r
        .sequence(|r| {
            let tbs = r.tlv_bytes()?;
            let alg = spki::AlgorithmIdentifierRef::decode(r)?;
            let sig = der::asn1::BitStringRef::decode(r)?;
            Ok::<_, der::Error>((tbs.to_vec(), alg.oid.to_string(), sig.raw_bytes().to_vec()))
        })
        .unwrap();
    // tbsCertificate: [0] version, serial, signature, issuer, validity, subject, spki, …
    let mut t = SliceReader::new(&tbs).unwrap();
    let spki = t
        .sequence(|t| {
            for _ in 0..6 {
                t.tlv_bytes()?;
            }
            let spki = t.tlv_bytes()?.to_vec();
            while !t.is_finished() {
                t.tlv_bytes()?;
            }
            Ok::<_, der::Error>(spki)
        })
        .unwrap();
    Cert {
        tbs,
        alg_oid: alg,
        signature: sig,
        spki,
    }
}

pub fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[index] ^= 0x01;
    v
}
