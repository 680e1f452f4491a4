//! Shared by the gateway's integration tests: the test PKI in certs-test/.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_pki::Certificate;
use rsmev_signature::{Profile, SignOptions};

pub fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test")
}

/// A signer and its certificate from certs-test/NAME.{key,cert}.pem.
pub fn key(name: &str) -> (SoftwareSigner, Certificate) {
    let pem = std::fs::read(certs().join(format!("{name}.key.pem"))).unwrap();
    let signer =
        SoftwareSigner::with_default_algorithm(PrivateKey::from_pem(&pem).unwrap()).unwrap();
    let cert = std::fs::read(certs().join(format!("{name}.cert.pem"))).unwrap();
    (signer, Certificate::from_pem(&cert).unwrap())
}

/// The MessageID of the SMEV 3 request template (crates/signature/tests/data).
pub const TEMPLATE_MESSAGE_ID: &str = "db0486d0-3c08-11e5-95e2-d4c9eff07b77";

/// A fresh MessageID (RFC 4122 version 1), as a participant makes one per message.
pub fn new_message_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    rsmev_gateway::node::message_id(std::time::SystemTime::now(), n)
}

/// Signs `doc` with certs-test/NAME; the template's MessageID, if there, becomes a fresh one
/// — the gateway refuses a MessageID it has seen, or one made long ago.
pub fn sign_with(name: &str, doc: &str, profile: Profile) -> Vec<u8> {
    let (signer, cert) = key(name);
    let doc = fresh(&doc.replace(TEMPLATE_MESSAGE_ID, &new_message_id()));
    rsmev_signature::sign(
        doc.as_bytes(),
        &SignOptions::new(profile, &signer, cert.der()),
    )
    .unwrap()
}

/// The templates' message time (`smev:Message/Date`, selector `Timestamp`), made now: the
/// gateway refuses messages made long ago.
pub const TEMPLATE_TIME: &str = "2026-12-01T10:00:00";

pub fn fresh(doc: &str) -> String {
    doc.replace(
        TEMPLATE_TIME,
        &rsmev_registry::time::format_utc(std::time::SystemTime::now()),
    )
}

/// SMEV 3: signed as a participant's information system does.
pub fn sign(name: &str, doc: &str) -> Vec<u8> {
    sign_with(name, doc, Profile::Smev3)
}

pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "rsmev-gateway-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The registry's head every gateway test shares: node 44; federal SMEV signing with
/// `federal_cert` at `federal_url`; МФЦ's system MFC440001 signing with participant-gost256
/// (`mfc_keys`: more keys of MFC440001's table; `mfc_extra`: more systems of МФЦ); ГИБДД's
/// system GIBD44001 (the provider) signing with participant-gost512. Services and grants
/// follow.
pub fn registry_head(
    federal_cert: &str,
    federal_url: &str,
    mfc_keys: &str,
    mfc_extra: &str,
) -> String {
    let c = |n: &str| certs().join(format!("{n}.cert.pem")).display().to_string();
    format!(
        r#"
[node]
code = "44"
name = "РСМЭВ 44"

[federal]
certificates = [ {{ file = "{federal}" }} ]
[federal.endpoints]
test = "{federal_url}"

[[participants]]
id = "mfc44"
name = "МФЦ"
ogrn = "1024400534577"
region = "44"
[[participants.systems]]
mnemonic = "MFC440001"
name = "АИС МФЦ"
{mfc_keys}
[[participants.systems.certificates]]
file = "{gost256}"
{mfc_extra}
[[participants]]
id = "gibdd44"
name = "ГИБДД"
ogrn = "1024400527000"
region = "44"
[[participants.systems]]
mnemonic = "GIBD44001"
name = "ИС ГИБДД"
[[participants.systems.certificates]]
file = "{gost512}"
"#,
        federal = c(federal_cert),
        gost256 = c("participant-gost256"),
        gost512 = c("participant-gost512"),
    )
}
