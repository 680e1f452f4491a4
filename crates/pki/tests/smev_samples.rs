//! Real SMEV certificates (GOST R 34.10-2001 and 2012, Cyrillic names, BMPString and
//! NumericString attributes, Russian OGRN/INN/SNILS identifiers): every field rsmev-pki reads
//! must equal OpenSSL's reading of the same certificate, recorded in
//! `tests/data/smev/*.openssl.txt` (see the README there) and re-checked live when OpenSSL
//! with the GOST engine is installed.

mod common;

use std::path::PathBuf;
use std::process::Command;

use base64::Engine as _;
use rsmev_pki::{Certificate, format_time};

fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/smev")
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "der"))
        .collect();
    v.sort();
    assert!(v.len() >= 13, "sample certificates missing");
    v
}

/// OpenSSL's `x509 -noout` output as (field, value) pairs; an extension's indented value
/// lines are joined to its header's key.
fn openssl_fields(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("    ") {
            let last = out.last_mut().expect("value line after a header");
            if !last.1.is_empty() {
                last.1.push('\n');
            }
            last.1.push_str(v.trim_end());
        } else if let Some((k, v)) = line.split_once('=')
            && !line.starts_with("X509v3")
        {
            out.push((k.to_owned(), v.to_owned()));
        } else {
            let header = line
                .trim_end()
                .trim_end_matches(" critical")
                .trim_end_matches(':');
            out.push((header.to_owned(), String::new()));
        }
    }
    out
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[test]
fn fields_equal_openssl() {
    for path in samples() {
        let der = std::fs::read(&path).unwrap();
        let cert =
            Certificate::from_der(&der).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let golden = std::fs::read_to_string(path.with_extension("openssl.txt")).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut checked = 0;
        for (k, v) in openssl_fields(&golden) {
            let ours = match k.as_str() {
                "subject" => cert.subject().to_owned(),
                "issuer" => cert.issuer().to_owned(),
                "serial" => cert.serial_hex(),
                "notBefore" => format_time(cert.not_before()).replace(" UTC", "Z"),
                "notAfter" => format_time(cert.not_after()).replace(" UTC", "Z"),
                "sha256 Fingerprint" => colon_hex(cert.fingerprint_sha256()),
                "X509v3 Key Usage" => cert.key_usage().expect("keyUsage").names().join(", "),
                "X509v3 Basic Constraints" => {
                    let bc = cert.basic_constraints().expect("basicConstraints");
                    let mut s = format!("CA:{}", if bc.ca { "TRUE" } else { "FALSE" });
                    if let Some(n) = bc.path_len {
                        s.push_str(&format!(", pathlen:{n}"));
                    }
                    s
                }
                "X509v3 Subject Key Identifier" => colon_hex(cert.subject_key_id().expect("SKI")),
                "X509v3 Authority Key Identifier" => {
                    // Compare the keyid line only; the issuer/serial form is not kept.
                    let keyid = v.lines().find_map(|l| l.strip_prefix("keyid:"));
                    assert_eq!(
                        cert.authority_key_id().map(colon_hex).as_deref(),
                        keyid,
                        "{name}: AKI"
                    );
                    checked += 1;
                    continue;
                }
                other => panic!("{name}: unexpected field {other} in the golden file"),
            };
            assert_eq!(ours, v, "{name}: {k}");
            checked += 1;
        }
        assert!(checked >= 6, "{name}: only {checked} fields compared");
        assert_eq!(cert.der(), der.as_slice());
        assert_eq!(cert.version(), 3);
    }
}

#[test]
fn absent_extensions_are_absent() {
    for path in samples() {
        let cert = Certificate::from_der(&std::fs::read(&path).unwrap()).unwrap();
        let golden = std::fs::read_to_string(path.with_extension("openssl.txt")).unwrap();
        assert_eq!(
            cert.key_usage().is_some(),
            golden.contains("X509v3 Key Usage"),
            "{}",
            path.display()
        );
        assert_eq!(
            cert.basic_constraints().is_some(),
            golden.contains("X509v3 Basic Constraints")
        );
        assert_eq!(
            cert.subject_key_id().is_some(),
            golden.contains("X509v3 Subject Key Identifier")
        );
    }
}

#[test]
fn signature_algorithms_and_self_issued() {
    let mut gost2001 = 0;
    let mut gost2012 = 0;
    for path in samples() {
        let cert = Certificate::from_der(&std::fs::read(&path).unwrap()).unwrap();
        match cert.signature_oid() {
            "1.2.643.2.2.3" => gost2001 += 1,
            "1.2.643.7.1.1.3.2" => gost2012 += 1,
            other => panic!("{}: unexpected algorithm {other}", path.display()),
        }
        assert!(cert.signature_alg().is_some());
        assert_eq!(cert.unknown_critical_extensions(), &[] as &[String]);
        let name = path.file_name().unwrap().to_string_lossy();
        // The MR sample certificates are self-signed demo certificates (O=IS2, OV1, OV3).
        assert_eq!(cert.is_self_issued(), name.contains("mr-sample"), "{name}");
    }
    assert!(gost2001 >= 8 && gost2012 >= 2, "{gost2001} {gost2012}");
}

/// The golden files are OpenSSL's output, not ours: regenerate them with the peer now.
#[test]
fn golden_files_are_openssl_output() {
    if !common::have_gost_openssl() {
        return;
    }
    for path in samples() {
        let out = Command::new("openssl")
            .env("OPENSSL_CONF", common::gost_conf())
            .args(["x509", "-inform", "DER", "-in"])
            .arg(&path)
            .args([
                "-noout",
                "-subject",
                "-issuer",
                "-serial",
                "-dateopt",
                "iso_8601",
                "-startdate",
                "-enddate",
                "-fingerprint",
                "-sha256",
                "-nameopt",
                "RFC2253,-esc_msb",
                "-ext",
                "keyUsage,basicConstraints,subjectKeyIdentifier,authorityKeyIdentifier",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "openssl x509 {}", path.display());
        let golden = std::fs::read(path.with_extension("openssl.txt")).unwrap();
        assert_eq!(out.stdout, golden, "{} is stale", path.display());
    }
}

/// XML carries base64 with line breaks and indentation; `openssl base64` wraps at 64 columns.
#[test]
fn base64_with_whitespace_as_openssl_wraps_it() {
    for path in samples() {
        let der = std::fs::read(&path).unwrap();
        let wrapped = if common::have_openssl() {
            let out = Command::new("openssl")
                .args(["base64", "-in"])
                .arg(&path)
                .output()
                .unwrap();
            assert!(out.status.success());
            String::from_utf8(out.stdout).unwrap()
        } else {
            base64::engine::general_purpose::STANDARD.encode(&der)
        };
        assert!(wrapped.len() < 100 || wrapped.contains('\n'));
        // Indentation and CRLF as a pretty-printed XML document would carry them.
        let xmlish = format!(
            "\n\t\t\t{}\n\t\t",
            wrapped.trim_end().replace('\n', "\r\n\t\t\t")
        );
        let cert = Certificate::from_base64(&xmlish).unwrap();
        assert_eq!(cert.der(), der.as_slice());
    }
    assert!(Certificate::from_base64("MIIB").is_err());
}

#[test]
fn pem_bundle_of_all_samples() {
    let mut bundle = String::new();
    let mut ders = Vec::new();
    for path in samples() {
        let der = std::fs::read(&path).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        bundle.push_str("subject=whatever\n-----BEGIN CERTIFICATE-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            bundle.push_str(std::str::from_utf8(chunk).unwrap());
            bundle.push('\n');
        }
        bundle.push_str("-----END CERTIFICATE-----\n");
        ders.push(der);
    }
    let certs = rsmev_pki::parse_pem_bundle(bundle.as_bytes()).unwrap();
    assert_eq!(certs.len(), ders.len());
    for (c, d) in certs.iter().zip(&ders) {
        assert_eq!(c.der(), d.as_slice());
    }
    let first = Certificate::from_pem(bundle.as_bytes()).unwrap();
    assert_eq!(first.der(), ders[0].as_slice());
}
