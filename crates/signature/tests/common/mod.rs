//! Shared by the integration tests: the test PKI in `certs-test/`, peers, temp files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_pki::{Certificate, TrustStore};

pub fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test")
}

pub fn cert_path(name: &str) -> PathBuf {
    certs().join(format!("{name}.cert.pem"))
}

pub fn key_path(name: &str) -> PathBuf {
    certs().join(format!("{name}.key.pem"))
}

pub fn certificate(name: &str) -> Certificate {
    Certificate::from_pem(&std::fs::read(cert_path(name)).unwrap()).unwrap()
}

pub fn signer(name: &str) -> SoftwareSigner {
    let key = PrivateKey::from_pem(&std::fs::read(key_path(name)).unwrap()).unwrap();
    SoftwareSigner::with_default_algorithm(key).unwrap()
}

pub fn trust(dir: &str) -> Arc<TrustStore> {
    Arc::new(TrustStore::load(certs().join(dir)).unwrap())
}

/// Missing peers skip a test with a notice, unless RSMEV_REQUIRE_PEERS=1 makes them fatal.
pub fn missing(what: &str) -> bool {
    assert!(
        std::env::var_os("RSMEV_REQUIRE_PEERS").is_none(),
        "{what} is required (RSMEV_REQUIRE_PEERS) but missing"
    );
    eprintln!("{what} not available: skipping the peer cross-check");
    false
}

pub fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
        || missing(cmd)
}

/// OpenSSL configuration that loads the GOST engine for every algorithm.
pub fn gost_conf() -> PathBuf {
    certs().join("gost-engine.cnf")
}

pub fn have_gost_openssl() -> bool {
    Command::new("openssl")
        .env("OPENSSL_CONF", gost_conf())
        .args(["engine", "-t", "gost"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("available")
        })
        || missing("openssl with the GOST engine")
}

pub fn have_lxml() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "import lxml.etree"])
        .output()
        .is_ok_and(|o| o.status.success())
        || missing("python3-lxml")
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rsmev-signature-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a peer command and returns (success, stdout + stderr).
pub fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
