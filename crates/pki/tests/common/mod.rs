//! Peer-tool helpers shared by the integration tests.
#![allow(dead_code)]

pub mod testca;

use std::path::PathBuf;
use std::process::Command;

/// Missing peers skip a test with a notice, unless RSMEV_REQUIRE_PEERS=1 makes them fatal.
fn missing(what: &str) -> bool {
    assert!(
        std::env::var_os("RSMEV_REQUIRE_PEERS").is_none(),
        "{what} is required (RSMEV_REQUIRE_PEERS) but missing"
    );
    eprintln!("{what} not available: skipping the peer cross-check");
    false
}

pub fn have_openssl() -> bool {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok || missing("openssl")
}

/// OpenSSL configuration that loads the GOST engine for every algorithm.
pub fn gost_conf() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/gost-engine.cnf")
}

pub fn have_gost_openssl() -> bool {
    let ok = Command::new("openssl")
        .env("OPENSSL_CONF", gost_conf())
        .args(["engine", "-t", "gost"])
        .output()
        .is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).contains("available")
        });
    ok || missing("openssl with the GOST engine")
}

/// Seconds since the epoch of a `YYYY-MM-DD` date at 00:00 UTC.
pub fn epoch(date: &str) -> i64 {
    let p: Vec<i64> = date.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0], p[1], p[2]);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

pub fn at(date: &str) -> std::time::SystemTime {
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch(date) as u64)
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "rsmev-pki-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The variant name of a validation outcome, for tables of expected verdicts.
pub fn verdict(r: &Result<rsmev_pki::ChainReport, rsmev_pki::PkiError>) -> &'static str {
    use rsmev_pki::PkiError as E;
    match r {
        Ok(_) => "OK",
        Err(E::Malformed { .. }) => "Malformed",
        Err(E::UnsupportedKey { .. }) => "UnsupportedKey",
        Err(E::UnsupportedSignatureAlgorithm { .. }) => "UnsupportedSignatureAlgorithm",
        Err(E::LegacyRefused { .. }) => "LegacyRefused",
        Err(E::Expired { .. }) => "Expired",
        Err(E::NotYetValid { .. }) => "NotYetValid",
        Err(E::Revoked { .. }) => "Revoked",
        Err(E::Untrusted { .. }) => "Untrusted",
        Err(E::ChainSignatureInvalid { .. }) => "ChainSignatureInvalid",
        Err(E::NotACa { .. }) => "NotACa",
        Err(E::PathTooLong { .. }) => "PathTooLong",
        Err(E::UsageInvalid { .. }) => "UsageInvalid",
        Err(E::UnknownCriticalExtension { .. }) => "UnknownCriticalExtension",
        Err(E::CrlStale { .. }) => "CrlStale",
        Err(E::CrlInvalid { .. }) => "CrlInvalid",
        Err(E::CrlMissing { .. }) => "CrlMissing",
        Err(E::Load { .. }) => "Load",
        Err(e) => panic!("variant without a name in the test table: {e}"),
    }
}

/// An `openssl verify` run: `anchors` as -CAfile (partial chains allowed, as our store trusts
/// any anchor), `untrusted`, `crls` (with -crl_check), at `epoch`, files relative to `dir`.
pub struct Verify<'a> {
    pub dir: &'a std::path::Path,
    pub gost: bool,
    pub anchors: &'a [&'a str],
    pub untrusted: &'a [&'a str],
    pub crls: &'a [&'a str],
    pub purpose: Option<&'a str>,
    pub epoch: i64,
    pub leaf: &'a str,
}

/// Runs `openssl verify` and returns "OK" or "error N" for the first error OpenSSL reports.
pub fn openssl_verify(v: &Verify<'_>) -> String {
    let Verify {
        dir,
        gost,
        anchors,
        untrusted,
        crls,
        purpose,
        epoch,
        leaf,
    } = *v;
    let work = temp_dir("verify");
    let bundle = |name: &str, files: &[&str]| -> PathBuf {
        let p = work.join(name);
        let mut all = Vec::new();
        for f in files {
            let data = std::fs::read(dir.join(f)).unwrap();
            if data.starts_with(b"-----") {
                all.extend_from_slice(&data);
            } else {
                // DER: let openssl convert it.
                let kind = if f.ends_with(".crl") { "crl" } else { "x509" };
                let out = Command::new("openssl")
                    .args([kind, "-inform", "DER", "-in"])
                    .arg(dir.join(f))
                    .output()
                    .unwrap();
                assert!(out.status.success(), "openssl {kind} {f}");
                all.extend_from_slice(&out.stdout);
            }
        }
        std::fs::write(&p, all).unwrap();
        p
    };
    let mut cmd = Command::new("openssl");
    if gost {
        cmd.env("OPENSSL_CONF", gost_conf());
    }
    cmd.args(["verify", "-partial_chain", "-attime", &epoch.to_string()]);
    cmd.arg("-CAfile").arg(bundle("anchors.pem", anchors));
    if !untrusted.is_empty() {
        cmd.arg("-untrusted")
            .arg(bundle("untrusted.pem", untrusted));
    }
    if !crls.is_empty() {
        cmd.arg("-crl_check")
            .arg("-CRLfile")
            .arg(bundle("crls.pem", crls));
    }
    if let Some(p) = purpose {
        cmd.args(["-purpose", p]);
    }
    let leaf_path = bundle("leaf.pem", &[leaf]);
    cmd.arg(leaf_path);
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&work);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && text.contains(": OK") {
        return "OK".into();
    }
    text.lines()
        .find_map(|l| {
            let i = l.find("error ")?;
            let rest = &l[i + 6..];
            let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            (!n.is_empty()).then(|| format!("error {n}"))
        })
        .unwrap_or_else(|| format!("unparsed: {text}"))
}
