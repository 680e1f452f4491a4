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

/// CPU time this thread has used, in nanoseconds (Linux `schedstat`, which a running thread
/// sees updated at scheduler ticks: a resolution of a few milliseconds, far below the bounds
/// asserted; falls back to wall time where that file is missing, which only makes a bound
/// stricter).
pub fn cpu_ns() -> u64 {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(n) = s.split_whitespace().next().and_then(|v| v.parse().ok())
    {
        return n;
    }
    use std::sync::OnceLock;
    static START: OnceLock<std::time::Instant> = OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// Runs `f` and returns its result with the CPU time it took on this thread.
pub fn cpu<T>(f: impl FnOnce() -> T) -> (T, std::time::Duration) {
    let a = cpu_ns();
    let out = f();
    (out, std::time::Duration::from_nanos(cpu_ns() - a))
}

pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// The SMEV 3 message-exchange types and basic namespaces of a version.
pub fn smev3_ns(v: &str) -> (String, String) {
    let base = "urn://x-artefacts-smev-gov-ru/services/message-exchange/types";
    (format!("{base}/{v}"), format!("{base}/basic/{v}"))
}

/// A SOAP 1.1 envelope with `body` in its Body; `ns:` is the SMEV 3 types namespace of
/// version `v`, `b:` its basic namespace.
pub fn smev3_envelope(v: &str, body: &str) -> String {
    let (t, b) = smev3_ns(v);
    format!(
        "<soap:Envelope xmlns:soap=\"{SOAP11}\" xmlns:ns=\"{t}\" xmlns:b=\"{b}\"><soap:Header/>\
         <soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

/// Signs in a profile with a certs-test key.
pub fn try_sign_as(
    name: &str,
    profile: rsmev_signature::Profile,
    doc: &str,
) -> Result<String, rsmev_signature::SigError> {
    let signer = signer(name);
    let cert = certificate(name);
    let opts = rsmev_signature::SignOptions::new(profile, &signer, cert.der());
    rsmev_signature::sign(doc.as_bytes(), &opts).map(|b| String::from_utf8(b).unwrap())
}

pub fn sign_as(name: &str, profile: rsmev_signature::Profile, doc: &str) -> String {
    try_sign_as(name, profile, doc).unwrap_or_else(|e| panic!("{e}\n{doc}"))
}

/// A `ds:Signature` over the element with Id `id` in `element` (its text as it will stand in
/// a message, with the namespace declarations it needs from outside given in `decls`), made
/// by our signer on a standalone copy with Exclusive C14N. Exclusive C14N of an element does
/// not depend on where it stands, so the signature can be put into any slot of a message that
/// holds `element` verbatim.
pub fn detached(name: &str, element: &str, decls: &str, id: &str) -> String {
    let doc = format!("<wrap {decls}>{element}</wrap>");
    let signer = signer(name);
    let cert = certificate(name);
    let mut opts =
        rsmev_signature::SignOptions::new(rsmev_signature::Profile::Any, &signer, cert.der());
    opts.id = Some(id.to_string());
    let out = String::from_utf8(rsmev_signature::sign(doc.as_bytes(), &opts).unwrap()).unwrap();
    let a = out.find("<ds:Signature").unwrap();
    let b = out.rfind("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    out[a..b].to_string()
}

/// The text from the first `open` (inclusive) to the first `close` after it (inclusive).
pub fn element<'a>(doc: &'a str, open: &str, close: &str) -> &'a str {
    let a = doc
        .find(open)
        .unwrap_or_else(|| panic!("no {open} in {doc}"));
    let b = a + doc[a..].find(close).unwrap() + close.len();
    &doc[a..b]
}
