//! Interop with xmlsec1 (Debian's, on libxml2 + OpenSSL), RSA-SHA256, both directions, with
//! every canonicalization as SignedInfo's CanonicalizationMethod and as the Reference's
//! transform, for a whole-document enveloped signature and for a signature by Id.
//!
//! xmlsec1 is the independent peer here: what it signs must verify in rsmev, and what rsmev
//! signs must verify in xmlsec1 against the same trust anchor.

mod common;

use std::process::Command;

use common::*;
use rsmev_c14n::Algorithm;
use rsmev_signature::{ChainStatus, Profile, SignOptions, Trust, Verifier};

const ALGS: [(Algorithm, bool); 6] = [
    (Algorithm::C14n10, false),
    (Algorithm::C14n10, true),
    (Algorithm::C14n11, false),
    (Algorithm::C14n11, true),
    (Algorithm::Exclusive, false),
    (Algorithm::Exclusive, true),
];

/// Namespaces declared above the signed element (used and unused), an inherited xml:lang, a
/// comment, attribute order, escapes and Cyrillic text: the places where canonicalizations
/// differ.
const DOC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="urn:test:env" xmlns:unused="urn:unused" xml:lang="ru">
  <!-- a comment -->
  <env:Body>
    <d:Data xmlns:d="urn:test:data" Id="data" b="2" a="1">Текст &amp; <d:x attr="&lt;&quot;"/><!-- inside --></d:Data>
  </env:Body>
</env:Envelope>"#;

const ID_ATTR: &str = "urn:test:data:Data";

fn template(c14n: &str, reference: &str, transforms: &[&str]) -> String {
    let transforms: String = transforms
        .iter()
        .map(|t| format!(r#"<Transform Algorithm="{t}"/>"#))
        .collect();
    let sig = format!(
        r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="{c14n}"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="{reference}"><Transforms>{transforms}</Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>"#
    );
    DOC.replace("</env:Envelope>", &format!("{sig}</env:Envelope>"))
}

fn rsmev_verifier() -> Verifier {
    Verifier::new(Profile::Any, Trust::Store(trust("trust-rsa")))
}

#[test]
fn xmlsec1_signed_documents_verify_in_rsmev() {
    if !have("xmlsec1", "--version") {
        return;
    }
    let dir = temp_dir("xmlsec-sign");
    let key = format!(
        "{},{}",
        key_path("participant-rsa").display(),
        cert_path("participant-rsa").display()
    );
    let mut n = 0;
    for (alg, comments) in ALGS {
        let uri = alg.uri(comments);
        for (reference, transforms) in [
            ("", vec![rsmev_signature::ns::ENVELOPED, uri]),
            ("#data", vec![uri]),
        ] {
            let tmpl = dir.join(format!("t{n}.xml"));
            let signed = dir.join(format!("s{n}.xml"));
            n += 1;
            std::fs::write(&tmpl, template(uri, reference, &transforms)).unwrap();
            let (ok, out) = run(Command::new("xmlsec1")
                .args([
                    "--sign",
                    "--privkey-pem",
                    &key,
                    "--id-attr:Id",
                    ID_ATTR,
                    "--output",
                ])
                .arg(&signed)
                .arg(&tmpl));
            assert!(ok, "xmlsec1 --sign failed for {uri} {reference:?}: {out}");
            let bytes = std::fs::read(&signed).unwrap();
            let report = rsmev_verifier().check(&bytes).unwrap();
            assert_eq!(report.signatures.len(), 1);
            let s = &report.signatures[0];
            assert!(
                s.result.is_ok(),
                "{uri} {reference:?}: {:?}\n{}",
                s.result,
                String::from_utf8_lossy(&bytes)
            );
            assert!(
                matches!(s.chain, ChainStatus::Trusted { .. }),
                "{:?}",
                s.chain
            );

            // And a one-byte change of the signed text is caught by both.
            let tampered = String::from_utf8(bytes).unwrap().replace("Текст", "Тексm");
            let err = rsmev_verifier().verify(tampered.as_bytes()).unwrap_err();
            assert_eq!(
                err.fault_code(),
                rsmev_fault::FaultCode::DigestMismatch,
                "{uri}: {err}"
            );
        }
    }
}

#[test]
fn rsmev_signed_documents_verify_in_xmlsec1() {
    if !have("xmlsec1", "--version") {
        return;
    }
    let dir = temp_dir("xmlsec-verify");
    let signer = signer("participant-rsa");
    let cert = certificate("participant-rsa");
    let mut n = 0;
    for (alg, comments) in ALGS {
        for id in [None, Some("data")] {
            let mut opts = SignOptions::new(Profile::Any, &signer, cert.der());
            opts.c14n = alg;
            opts.c14n_with_comments = comments;
            opts.id = id.map(str::to_string);
            let signed = rsmev_signature::sign(DOC.as_bytes(), &opts).unwrap();
            // rsmev accepts its own output …
            rsmev_verifier().verify(&signed).unwrap();
            // … and so does the peer, against the CA only.
            let path = dir.join(format!("r{n}.xml"));
            n += 1;
            std::fs::write(&path, &signed).unwrap();
            let (ok, out) = run(Command::new("xmlsec1")
                .args(["--verify", "--trusted-pem"])
                .arg(cert_path("rsa-ca"))
                .args(["--id-attr:Id", ID_ATTR])
                .arg(&path));
            assert!(
                ok && out.contains("OK"),
                "xmlsec1 refused rsmev's {} signature (id {id:?}): {out}\n{}",
                alg.uri(comments),
                String::from_utf8_lossy(&signed)
            );

            // The peer also refuses a tampered copy: the check above can fail.
            let tampered = String::from_utf8(signed).unwrap().replace("Текст", "Тексm");
            std::fs::write(&path, tampered).unwrap();
            let (ok, _) = run(Command::new("xmlsec1")
                .args(["--verify", "--trusted-pem"])
                .arg(cert_path("rsa-ca"))
                .args(["--id-attr:Id", ID_ATTR])
                .arg(&path));
            assert!(!ok, "xmlsec1 accepted a tampered document");
        }
    }
}

/// SMEV 2 envelopes signed by rsmev (WS-Security, exclusive C14N over the Body by wsu:Id,
/// key by SecurityTokenReference) verify in xmlsec1 given the signer's certificate.
#[test]
fn rsmev_smev2_signature_verifies_in_xmlsec1() {
    if !have("xmlsec1", "--version") {
        return;
    }
    let envelope = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:rev="http://smev.gosuslugi.ru/rev120315"><soapenv:Header></soapenv:Header><soapenv:Body><rev:Request><rev:Message><rev:Sender><rev:Code>MFC440001</rev:Code></rev:Sender></rev:Message><rev:MessageData><rev:AppData>данные</rev:AppData></rev:MessageData></rev:Request></soapenv:Body></soapenv:Envelope>"#;
    let signer = signer("participant-rsa");
    let cert = certificate("participant-rsa");
    let opts = SignOptions::new(Profile::Smev2, &signer, cert.der());
    let signed = rsmev_signature::sign(envelope.as_bytes(), &opts).unwrap();
    Verifier::new(Profile::Smev2, Trust::Store(trust("trust-rsa")))
        .verify(&signed)
        .unwrap();
    let dir = temp_dir("xmlsec-smev2");
    let path = dir.join("smev2.xml");
    std::fs::write(&path, &signed).unwrap();
    let (ok, out) = run(Command::new("xmlsec1")
        .args(["--verify", "--pubkey-cert-pem"])
        .arg(cert_path("participant-rsa"))
        .args([
            "--id-attr:Id",
            "http://schemas.xmlsoap.org/soap/envelope/:Body",
            "--node-xpath",
            "//*[local-name()='Signature']",
        ])
        .arg(&path));
    assert!(
        ok,
        "xmlsec1 refused rsmev's SMEV 2 signature: {out}\n{}",
        String::from_utf8_lossy(&signed)
    );
}
