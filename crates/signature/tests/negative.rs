//! Every tamper is refused with its own error and SMEV fault code. The messages are signed
//! here with keys from certs-test/, then changed the way an attacker or a broken signer would.

mod common;

use common::*;
use rsmev_crypto::CryptoError;
use rsmev_fault::FaultCode;
use rsmev_pki::PkiError;
use rsmev_signature::{Profile, SigError, SignOptions, Trust, Verifier};

const UNSIGNED: &str = include_str!("data/smev3-send-request-unsigned.xml");

fn signed_by(name: &str) -> String {
    let signer = signer(name);
    let cert = certificate(name);
    let opts = SignOptions::new(Profile::Smev3, &signer, cert.der());
    String::from_utf8(rsmev_signature::sign(UNSIGNED.as_bytes(), &opts).unwrap()).unwrap()
}

fn verifier(dir: &str) -> Verifier {
    Verifier::new(Profile::Smev3, Trust::Store(trust(dir)))
}

fn refuse(v: &Verifier, doc: &str) -> SigError {
    v.verify(doc.as_bytes())
        .expect_err("a tampered message must be refused")
}

/// The text between `open` and `close`.
fn between<'a>(doc: &'a str, open: &str, close: &str) -> &'a str {
    let a = doc.find(open).unwrap() + open.len();
    let b = a + doc[a..].find(close).unwrap();
    &doc[a..b]
}

/// The whole `<ns:SenderProvidedRequestData …>…</ns:SenderProvidedRequestData>` element.
fn signed_element(doc: &str) -> &str {
    let a = doc.find("<ns:SenderProvidedRequestData").unwrap();
    let close = "</ns:SenderProvidedRequestData>";
    let b = doc.find(close).unwrap() + close.len();
    &doc[a..b]
}

#[test]
fn the_untampered_message_verifies() {
    let doc = signed_by("participant-rsa");
    let v = verifier("trust-rsa").verify(doc.as_bytes()).unwrap();
    assert_eq!(v.signatures().len(), 1);
}

#[test]
fn one_byte_of_signed_content() {
    let good = signed_by("participant-rsa");
    let doc = good.replace("А123ВС77", "А123ВС78");
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(matches!(err, SigError::DigestMismatch { .. }), "{err}");
    assert_eq!(err.fault_code(), FaultCode::DigestMismatch);
    // The same through a verifier that has seen good messages (its scan then canonicalizes
    // the signed element speculatively): still refused, and good ones still pass.
    let warm = verifier("trust-rsa");
    for _ in 0..2 {
        warm.verify(good.as_bytes()).unwrap();
        let err = refuse(&warm, &doc);
        assert!(matches!(err, SigError::DigestMismatch { .. }), "{err}");
    }
}

/// Signature wrapping: the signed element moved into the SOAP header, a forged one in its
/// place. The signature still verifies over the moved element; the profile refuses it.
#[test]
fn moved_id_element() {
    let doc = signed_by("participant-rsa");
    let original = signed_element(&doc).to_string();
    let forged = original
        .replace("Id=\"SIGNED_BY_CONSUMER\"", "Id=\"FORGED\"")
        .replace("Id=\"PERSONAL_SIGNATURE\"", "Id=\"FORGED_CONTENT\"")
        .replace("А123ВС77", "Х999ХХ99")
        .replace("<ns:TestMessage/>", "");
    let doc = doc.replacen(&original, &forged, 1).replace(
        "<soap:Header/>",
        &format!("<soap:Header>{original}</soap:Header>"),
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(matches!(err, SigError::WrongSignedElement(_)), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch);
}

/// A second element with the signed Id: refused outright, never "the first one wins" — the
/// whole message, before any signature is checked (a duplicate the References do not need is
/// tolerated: `ids.rs`).
#[test]
fn duplicated_id_element() {
    let doc = signed_by("participant-rsa");
    let copy = signed_element(&doc).replace("А123ВС77", "Х999ХХ99");
    let doc = doc.replace(
        "<soap:Header/>",
        &format!("<soap:Header>{copy}</soap:Header>"),
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(
        matches!(&err, SigError::DuplicateId { id, count: 2, .. } if id == "SIGNED_BY_CONSUMER"),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::DuplicateId);
    // A report says the same: the message is refused as a whole.
    let err = verifier("trust-rsa").check(doc.as_bytes()).unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::DuplicateId);
}

/// Another trusted participant's certificate in KeyInfo: the signature is not theirs.
#[test]
fn swapped_certificate() {
    let doc = signed_by("participant-rsa");
    let mine = between(&doc, "<ds:X509Certificate>", "</ds:X509Certificate>").to_string();
    let other = signed_by("operator-rsa");
    let theirs = between(&other, "<ds:X509Certificate>", "</ds:X509Certificate>");
    let doc = doc.replace(&mine, theirs);
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(matches!(err, SigError::SignatureValueInvalid), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SignatureInvalid);
}

#[test]
fn untrusted_certificate() {
    let doc = signed_by("participant-rsa");
    let err = refuse(&verifier("trust-gost"), &doc);
    assert!(
        matches!(err, SigError::Certificate(PkiError::Untrusted { .. })),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::CertificateUntrusted);
    // The same message with path validation off passes on its cryptography alone.
    Verifier::new(Profile::Smev3, Trust::EmbeddedOnly)
        .verify(doc.as_bytes())
        .unwrap();
}

#[test]
fn revoked_certificate() {
    let doc = signed_by("revoked-rsa");
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(
        matches!(err, SigError::Certificate(PkiError::Revoked { .. })),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::CertificateRevoked);
}

#[test]
fn expired_certificate() {
    let doc = signed_by("expired-gost256");
    let err = refuse(&verifier("trust-gost"), &doc);
    assert!(
        matches!(err, SigError::Certificate(PkiError::Expired { .. })),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::CertificateExpired);
}

#[test]
fn hmac_signature_method() {
    let doc = signed_by("participant-rsa").replace(
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(
        matches!(err, SigError::Crypto(CryptoError::MacRefused(_))),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::UnsupportedAlgorithm);
}

#[test]
fn unknown_signature_method() {
    let doc = signed_by("participant-rsa").replace(
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "urn:example:made-up-signature",
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(
        matches!(err, SigError::Crypto(CryptoError::UnsupportedAlgorithm(_))),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::UnsupportedAlgorithm);
}

#[test]
fn unknown_transform() {
    let doc = signed_by("participant-rsa").replace(
        "urn://smev-gov-ru/xmldsig/transform",
        "http://www.w3.org/TR/1999/REC-xslt-19991116",
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(
        matches!(err, SigError::UnsupportedTransform { .. }),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::UnsupportedAlgorithm);
}

#[test]
fn truncated_signature_value() {
    for name in [
        "participant-rsa",
        "participant-gost256",
        "participant-gost512",
    ] {
        let doc = signed_by(name);
        let value = between(&doc, "<ds:SignatureValue>", "</ds:SignatureValue>").to_string();
        // Four base64 characters less: still valid base64, three bytes short.
        let doc = doc.replace(&value, &value[..value.len() - 4]);
        let trust = if name.contains("rsa") {
            "trust-rsa"
        } else {
            "trust-gost"
        };
        let err = refuse(&verifier(trust), &doc);
        assert!(
            matches!(err, SigError::Crypto(CryptoError::MalformedSignature(_))),
            "{name}: {err}"
        );
        assert_eq!(err.fault_code(), FaultCode::SignatureInvalid);
    }
}

#[test]
fn reference_to_another_document() {
    let doc = signed_by("participant-rsa").replace(
        "URI=\"#SIGNED_BY_CONSUMER\"",
        "URI=\"http://example.org/other.xml\"",
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(
        matches!(err, SigError::UnsupportedReference { .. }),
        "{err}"
    );
}

#[test]
fn reference_to_a_missing_id() {
    let doc =
        signed_by("participant-rsa").replace("URI=\"#SIGNED_BY_CONSUMER\"", "URI=\"#NOWHERE\"");
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(matches!(err, SigError::ReferenceNotFound { .. }), "{err}");
    assert_eq!(err.fault_code(), FaultCode::ReferenceNotFound);
}

#[test]
fn no_signature_at_all() {
    let err = refuse(&verifier("trust-rsa"), UNSIGNED);
    assert_eq!(err.fault_code(), FaultCode::SignatureNotFound);
}

/// A signature in a slot SMEV 3 does not have (here: in the SOAP header).
#[test]
fn signature_out_of_place() {
    let doc = signed_by("participant-rsa");
    let sig = {
        let a = doc.find("<ds:Signature").unwrap();
        let b = doc.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
        doc[a..b].to_string()
    };
    let doc = doc.replace(&sig, "").replace(
        "<soap:Header/>",
        &format!("<soap:Header>{sig}</soap:Header>"),
    );
    let err = refuse(&verifier("trust-rsa"), &doc);
    assert!(matches!(err, SigError::ProfileViolation(_)), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch);
}

/// Every GOST parameter family in certs-test signs and verifies through the whole path, with
/// path validation to the GOST CA and its CRL.
#[test]
fn gost_participants_verify_with_the_chain() {
    for name in [
        "participant-gost256",
        "participant-gost256-tca",
        "participant-gost512",
        "operator-gost256",
    ] {
        let doc = signed_by(name);
        verifier("trust-gost")
            .verify(doc.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let err = refuse(
            &verifier("trust-gost"),
            &doc.replace("А123ВС77", "А123ВС78"),
        );
        assert_eq!(err.fault_code(), FaultCode::DigestMismatch, "{name}");
    }
    let doc = signed_by("revoked-gost256");
    let err = refuse(&verifier("trust-gost"), &doc);
    assert_eq!(err.fault_code(), FaultCode::CertificateRevoked);
}

#[test]
fn ecdsa_participant_verifies() {
    let doc = signed_by("participant-ec");
    verifier("trust-rsa").verify(doc.as_bytes()).unwrap();
}

/// SignedInfo pretty-printed after signing: named as such, and only when that is the cause.
#[test]
fn reformatted_signed_info() {
    let doc = signed_by("participant-gost256");
    let pretty = doc
        .replace("<ds:SignatureMethod", "\n    <ds:SignatureMethod")
        .replace("<ds:Reference ", "\n    <ds:Reference ");
    let err = refuse(&verifier("trust-gost"), &pretty);
    assert!(matches!(err, SigError::SignedInfoReformatted), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SignatureInvalid);
    // Reformatted and also signed by someone else: no claim about the cause.
    let other = signed_by("operator-gost256");
    let theirs = between(&other, "<ds:X509Certificate>", "</ds:X509Certificate>");
    let mine = between(&pretty, "<ds:X509Certificate>", "</ds:X509Certificate>").to_string();
    let err = refuse(&verifier("trust-gost"), &pretty.replace(&mine, theirs));
    assert!(matches!(err, SigError::SignatureValueInvalid), "{err}");
}
