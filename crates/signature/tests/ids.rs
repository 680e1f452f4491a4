//! Ids: every Id a Reference (or a SecurityTokenReference) names is carried by exactly one
//! element, and so is every Id inside what a Reference covers, outside `ds:Signature`
//! elements; any other duplicate is tolerated and counted (CryptoPro JCP gives every
//! `ds:Signature` the Id `sigID`). An element with two Id attributes can be referenced by
//! either. Checked against xmlsec1 for the last.

mod common;

use std::process::Command;

use common::*;
use rsmev_fault::FaultCode;
use rsmev_signature::{Profile, Role, SigError, SignOptions, Trust, Verifier};

const UNSIGNED: &str = include_str!("data/smev3-send-request-unsigned.xml");
const SMEV2: &str = include_str!("data/smev2-request-unsigned.xml");

fn verifier() -> Verifier {
    Verifier::new(Profile::Smev3, Trust::Store(trust("trust-gost")))
}

/// The business root of the template (it holds an element of the same name inside).
fn business_root(doc: &str) -> &str {
    let a = doc.find("<req:BreachRequest xmlns").unwrap();
    let close = "</req:BreachRequest>";
    let inner = a + doc[a..].find(close).unwrap() + close.len();
    let b = inner + doc[inner..].find(close).unwrap() + close.len();
    &doc[a..b]
}

/// A SMEV 3 request as CryptoPro JCP writes it: a personal signature inside the request data
/// and the caller's signature outside it, both `ds:Signature Id="sigID"`; no Reference names
/// `sigID`.
fn cryptopro_shaped() -> String {
    let personal = detached(
        "participant-gost256",
        business_root(UNSIGNED),
        "",
        "PERSONAL_SIGNATURE",
    )
    .replacen("<ds:Signature ", "<ds:Signature Id=\"sigID\" ", 1);
    let unsigned = UNSIGNED.replace(
        "</ns2:MessagePrimaryContent>",
        &format!(
            "</ns2:MessagePrimaryContent><ns:PersonalSignature>{personal}</ns:PersonalSignature>"
        ),
    );
    // The caller signs the request data with the personal signature (and its Id) inside; its
    // own Signature's Id is not signed by anything.
    sign_as("participant-gost256", Profile::Smev3, &unsigned).replacen(
        "<CallerInformationSystemSignature xmlns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1\"><ds:Signature ",
        "<CallerInformationSystemSignature xmlns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1\"><ds:Signature Id=\"sigID\" ",
        1,
    )
}

#[test]
fn cryptopro_sig_ids_are_tolerated_and_counted() {
    let doc = cryptopro_shaped();
    assert_eq!(doc.matches("Id=\"sigID\"").count(), 2, "{doc}");
    let v = verifier().verify(doc.as_bytes()).unwrap();
    assert_eq!(v.tolerated_duplicate_ids(), 1);
    let roles: Vec<(Role, bool)> = v
        .signatures()
        .iter()
        .map(|s| (s.role.clone(), s.origin))
        .collect();
    assert_eq!(
        roles,
        [
            (Role::Personal, false),
            (Role::CallerInformationSystem, true)
        ]
    );
    let report = verifier().check(doc.as_bytes()).unwrap();
    assert!(report.is_ok());
    assert_eq!(report.tolerated_duplicate_ids, 1);
    // A message without duplicates counts none.
    let plain = sign_as("participant-gost256", Profile::Smev3, UNSIGNED);
    assert_eq!(
        verifier()
            .verify(plain.as_bytes())
            .unwrap()
            .tolerated_duplicate_ids(),
        0
    );
}

/// A Reference to `sigID` makes the duplicate matter: refused whole.
#[test]
fn a_referenced_duplicate_is_refused() {
    let doc = cryptopro_shaped().replace("URI=\"#PERSONAL_SIGNATURE\"", "URI=\"#sigID\"");
    let err = verifier().verify(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, SigError::DuplicateId { id, count: 2, .. } if id == "sigID"),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::DuplicateId);
}

/// An Id inside the signed request data that another element outside carries too: whoever
/// resolves it next might take the unsigned one.
#[test]
fn a_duplicate_inside_signed_content_is_refused() {
    let unsigned = UNSIGNED.replace("<req:Note>", "<req:Note Id=\"NOTE\">");
    let doc = sign_as("participant-gost256", Profile::Smev3, &unsigned).replace(
        "<soap:Header/>",
        "<soap:Header><req:Note xmlns:req=\"urn:forged\" Id=\"NOTE\">forged</req:Note></soap:Header>",
    );
    let err = verifier().verify(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(&err, SigError::DuplicateId { id, why, .. } if id == "NOTE" && why.contains("signed content")),
        "{err}"
    );
    let err = verifier().check(doc.as_bytes()).unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::DuplicateId);
}

/// Duplicates nothing references and nothing signed holds are tolerated.
#[test]
fn a_duplicate_outside_signed_content_is_tolerated() {
    let doc = sign_as("participant-gost256", Profile::Smev3, UNSIGNED).replace(
        "<soap:Header/>",
        "<soap:Header><h:a xmlns:h=\"urn:h\" Id=\"H\"/><h:b xmlns:h=\"urn:h\" wsu:Id=\"H\" \
         xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\"/>\
         <h:c xmlns:h=\"urn:h\" id=\"X\"/><h:d xmlns:h=\"urn:h\" ID=\"X\"/></soap:Header>",
    );
    let v = verifier().verify(doc.as_bytes()).unwrap();
    assert_eq!(v.tolerated_duplicate_ids(), 2);
}

/// The certificate a SecurityTokenReference names must be one: a second token with its Id is
/// refused, not "the first one wins".
#[test]
fn a_duplicated_token_is_refused() {
    let doc = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    let token = element(
        &doc,
        "<wsse:BinarySecurityToken",
        "</wsse:BinarySecurityToken>",
    );
    let other = sign_as("operator-gost256", Profile::Smev2, SMEV2);
    let other_token = element(
        &other,
        "<wsse:BinarySecurityToken",
        "</wsse:BinarySecurityToken>",
    );
    let id_at = token.find("wsu:Id=\"").unwrap();
    let id = &token[id_at..id_at + token[id_at + 8..].find('"').unwrap() + 9];
    let other_id_at = other_token.find("wsu:Id=\"").unwrap();
    let other_id = &other_token
        [other_id_at..other_id_at + other_token[other_id_at + 8..].find('"').unwrap() + 9];
    let forged = other_token.replace(other_id, id);
    let doc2 = doc.replace(
        "<soapenv:Header>",
        &format!(
            "<soapenv:Header><x:Keep xmlns:x=\"urn:x\" xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\" xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">{forged}</x:Keep>"
        ),
    );
    assert_ne!(doc2, doc);
    let err = Verifier::new(Profile::Smev2, Trust::Store(trust("trust-gost")))
        .verify(doc2.as_bytes())
        .unwrap_err();
    assert!(matches!(err, SigError::DuplicateId { .. }), "{err}");
}

/// An element with two Id attributes is named by each: references to either resolve, here in
/// our signatures and in xmlsec1's.
const TWO_IDS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="urn:test:env" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <env:Body>
    <d:Data xmlns:d="urn:test:data" Id="first" id="second" b="2">Текст &amp; данные</d:Data>
    <d:More xmlns:d="urn:test:data" wsu:Id="wsu-id" Id="plain-id">ещё</d:More>
  </env:Body>
</env:Envelope>"#;

fn any_verifier() -> Verifier {
    Verifier::new(Profile::Any, Trust::Store(trust("trust-rsa")))
}

#[test]
fn either_id_attribute_names_the_element() {
    let signer = signer("participant-rsa");
    let cert = certificate("participant-rsa");
    for (id, local) in [
        ("first", "Data"),
        ("second", "Data"),
        ("wsu-id", "More"),
        ("plain-id", "More"),
    ] {
        let mut opts = SignOptions::new(Profile::Any, &signer, cert.der());
        opts.id = Some(id.into());
        let signed = rsmev_signature::sign(TWO_IDS.as_bytes(), &opts).unwrap();
        let v = any_verifier()
            .verify(&signed)
            .unwrap_or_else(|e| panic!("#{id}: {e}"));
        let s = &v.signatures()[0].signed[0];
        assert_eq!((s.id.as_str(), s.local.as_str()), (id, local));
        let tampered = String::from_utf8(signed)
            .unwrap()
            .replace("ещё", "ещe")
            .replace("данные", "даннЫе");
        let err = any_verifier().verify(tampered.as_bytes()).unwrap_err();
        assert_eq!(err.fault_code(), FaultCode::DigestMismatch, "#{id}");
    }
}

#[test]
fn either_id_attribute_interoperates_with_xmlsec1() {
    if !have("xmlsec1", "--version") {
        return;
    }
    let dir = temp_dir("two-ids");
    let ids = [
        "--id-attr:Id",
        "urn:test:data:Data",
        "--id-attr:id",
        "urn:test:data:Data",
    ];
    // rsmev signs by the second attribute; xmlsec1 verifies.
    let signer = signer("participant-rsa");
    let cert = certificate("participant-rsa");
    let mut opts = SignOptions::new(Profile::Any, &signer, cert.der());
    opts.id = Some("second".into());
    let signed = rsmev_signature::sign(TWO_IDS.as_bytes(), &opts).unwrap();
    let path = dir.join("rsmev.xml");
    std::fs::write(&path, &signed).unwrap();
    let (ok, out) = run(Command::new("xmlsec1")
        .args(["--verify", "--trusted-pem"])
        .arg(cert_path("rsa-ca"))
        .args(ids)
        .arg(&path));
    assert!(ok && out.contains("OK"), "xmlsec1: {out}");

    // xmlsec1 signs by each attribute; rsmev verifies.
    for uri in ["#first", "#second"] {
        let sig = format!(
            r##"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><Reference URI="{uri}"><Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo></Signature>"##
        );
        let tmpl = dir.join("tmpl.xml");
        let out_path = dir.join("xmlsec.xml");
        std::fs::write(
            &tmpl,
            TWO_IDS.replace("</env:Envelope>", &format!("{sig}</env:Envelope>")),
        )
        .unwrap();
        let key = format!(
            "{},{}",
            key_path("participant-rsa").display(),
            cert_path("participant-rsa").display()
        );
        let (ok, out) = run(Command::new("xmlsec1")
            .args(["--sign", "--privkey-pem", &key])
            .args(ids)
            .arg("--output")
            .arg(&out_path)
            .arg(&tmpl));
        assert!(ok, "xmlsec1 --sign {uri}: {out}");
        let bytes = std::fs::read(&out_path).unwrap();
        let v = any_verifier()
            .verify(&bytes)
            .unwrap_or_else(|e| panic!("{uri}: {e}\n{}", String::from_utf8_lossy(&bytes)));
        assert_eq!(v.signatures()[0].signed[0].local, "Data");
    }
}
