//! Bounded CPU per message: the count limits, the digest budget, and cheap checks before
//! expensive ones (issue 10 §1). The attacks are built here as the issue describes them — a
//! 4 MB message with 5,000 References to a 2 MB element, a 1 MB message with 200 signatures
//! by an RSA-3072 key with a 3,070-bit public exponent — each genuinely signed, so without the
//! bounds they would cost seconds of CPU; with them each refusal costs about what reading the
//! message costs. CPU time is this thread's (`/proc/thread-self/schedstat`), and the bounds are
//! generous: the machine runs other builds, and tests run unoptimized.

mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use common::*;
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::{X509, X509NameBuilder};
use rsmev_c14n::{Algorithm, Options};
use rsmev_crypto::{CryptoError, Hasher, PrivateKey, Signer, SoftwareSigner};
use rsmev_fault::FaultCode;
use rsmev_pki::{Certificate, PkiError};
use rsmev_signature::{
    GateRefusal, Profile, Role, SigError, SignOptions, SignaturePolicy, SignerInfo, Stage, Trust,
    Verifier,
};

/// An unoptimized build reads XML several times slower; the bound is about the work done, so
/// it scales with the build, and an optimized build is held to the 50 ms.
fn bound() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_millis(50 * 12)
    } else {
        Duration::from_millis(50)
    }
}

/// What merely reading the message costs here: prepare + one pass of the reader. A refusal
/// that costs a small multiple of this did no cryptography and no digest.
fn read_cost(doc: &[u8]) -> Duration {
    let (_, t) = cpu(|| {
        let limits = rsmev_xml::Limits::default();
        let text = rsmev_xml::prepare(doc, &limits).unwrap();
        let mut r = rsmev_xml::Reader::new(&text, limits);
        while r.next().unwrap() != rsmev_xml::Event::Eof {}
    });
    t
}

fn assert_cheap(what: &str, doc: &[u8], took: Duration) {
    let read = read_cost(doc);
    eprintln!("{what}: refused in {took:?} of CPU (reading alone: {read:?})");
    assert!(
        took < bound().max(read * 3),
        "{what}: {took:?} of CPU (reading alone {read:?}, bound {:?})",
        bound()
    );
}

const UNSIGNED: &str = include_str!("data/smev3-send-request-unsigned.xml");

/// Signs SignedInfo again as it stands, so a hand-edited signature is genuine.
fn resign(doc: &str, signer: &dyn Signer) -> String {
    let si = doc.find("<ds:SignedInfo").unwrap();
    let canon = rsmev_c14n::canonicalize_to_vec(
        doc.as_bytes(),
        &Options::new(Algorithm::Exclusive).subset_at(si),
    )
    .unwrap();
    let digest = Hasher::digest(signer.algorithm().digest(), &canon);
    let value =
        base64::engine::general_purpose::STANDARD.encode(signer.sign_prehashed(&digest).unwrap());
    let a = doc.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len();
    let b = doc.find("</ds:SignatureValue>").unwrap();
    format!("{}{value}{}", &doc[..a], &doc[b..])
}

/// The unsigned request with about `bytes` of business text in the signed element.
fn big_request(bytes: usize) -> String {
    let filler = "Ф".repeat(bytes / 2);
    UNSIGNED.replace("<req:Note>", &format!("<req:Note>{filler}"))
}

/// `n` copies of the signature's one Reference, genuinely signed.
fn many_references(name: &str, unsigned: &str, n: usize) -> String {
    let doc = sign_as(name, Profile::Smev3, unsigned);
    let r = element(&doc, "<ds:Reference ", "</ds:Reference>").to_string();
    let doc = doc.replacen(&r, &r.repeat(n), 1);
    resign(&doc, &signer(name))
}

#[test]
fn five_thousand_references_to_two_megabytes() {
    let doc = many_references("selfsigned-rsa", &big_request(2 << 20), 5000);
    assert!(
        doc.len() > (3 << 20) && doc.len() < (5 << 20),
        "{}",
        doc.len()
    );
    let untrusted = Verifier::new(Profile::Smev3, Trust::Store(trust("trust-rsa")));

    // The default policy: the 17th Reference is refused as the scan reads it.
    let (err, took) = cpu(|| untrusted.verify(doc.as_bytes()).unwrap_err());
    assert!(
        matches!(err, SigError::TooManyReferences { max: 16, .. }),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::TooManyReferences);
    assert_cheap("5,000 References", doc.as_bytes(), took);
    let (err, _) = cpu(|| untrusted.check(doc.as_bytes()).unwrap_err());
    assert_eq!(err.fault_code(), FaultCode::TooManyReferences);

    // With References admitted, the digest budget refuses them before any digest.
    let lax = SignaturePolicy {
        max_references: 10_000,
        ..SignaturePolicy::DEFAULT
    };
    let v = untrusted.clone().signature_policy(lax);
    let (err, took) = cpu(|| v.verify(doc.as_bytes()).unwrap_err());
    assert!(
        matches!(err, SigError::DigestBudgetExceeded { .. }),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::DigestBudgetExceeded);
    assert_cheap("5,000 References, budget", doc.as_bytes(), took);

    // With no budget to speak of, the unknown self-signed certificate is refused before its
    // signature or any digest is computed.
    let v = untrusted.signature_policy(SignaturePolicy {
        max_references: 10_000,
        digest_budget: 1_000_000,
        ..SignaturePolicy::DEFAULT
    });
    let (err, took) = cpu(|| v.verify(doc.as_bytes()).unwrap_err());
    assert!(
        matches!(err, SigError::Certificate(PkiError::Untrusted { .. })),
        "{err}"
    );
    assert_cheap("5,000 References, untrusted", doc.as_bytes(), took);
    let report = v.check(doc.as_bytes()).unwrap();
    assert_eq!(report.signatures[0].stage, Stage::BeforeCryptography);
}

/// A trusted signer does not buy more References.
#[test]
fn a_trusted_chain_with_too_many_references() {
    let doc = many_references("participant-rsa", UNSIGNED, 17);
    let v = Verifier::new(Profile::Smev3, Trust::Store(trust("trust-rsa")));
    let err = v.verify(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SigError::TooManyReferences { max: 16, .. }),
        "{err}"
    );
    // Sixteen are admitted: the same signature with 16 identical References verifies (a real
    // .NET client writes two identical ones).
    let doc = many_references("participant-rsa", UNSIGNED, 16);
    v.verify(doc.as_bytes()).unwrap();
}

/// The budget is the sum over all References of what each would canonicalize, against a
/// multiple of the message size.
#[test]
fn the_digest_budget_is_exact() {
    let unsigned = big_request(64 << 10);
    let doc4 = many_references("participant-rsa", &unsigned, 4);
    let doc5 = many_references("participant-rsa", &unsigned, 5);
    let v = Verifier::new(Profile::Smev3, Trust::Store(trust("trust-rsa")));
    // The signed element is most of the message: four References fit in 4x, five do not.
    v.verify(doc4.as_bytes()).unwrap();
    let err = v.verify(doc5.as_bytes()).unwrap_err();
    match &err {
        SigError::DigestBudgetExceeded { needed, budget } => {
            assert_eq!(*budget, 4 * doc5.len() as u64);
            assert!(
                *needed > *budget && *needed < 5 * doc5.len() as u64,
                "{err}"
            );
        }
        other => panic!("{other}"),
    }
    // A larger multiple admits it.
    v.clone()
        .signature_policy(SignaturePolicy {
            digest_budget: 5,
            ..SignaturePolicy::DEFAULT
        })
        .verify(doc5.as_bytes())
        .unwrap();
}

#[test]
fn nine_signatures_are_refused_as_the_ninth_is_read() {
    let doc = sign_as("participant-rsa", Profile::Any, UNSIGNED);
    let sig = element(&doc, "<ds:Signature", "</ds:Signature>").to_string();
    let nine = doc.replace(&sig, &sig.repeat(9));
    let err = Verifier::new(Profile::Any, Trust::Store(trust("trust-rsa")))
        .verify(nine.as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, SigError::TooManySignatures { max: 8, .. }),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::TooManySignatures);
    // Eight are admitted by count (each digests the whole document, so the budget must admit
    // eight times the message; enveloped, each excludes only itself, so they do not verify —
    // but they are judged, not refused by count).
    let eight = doc.replace(&sig, &sig.repeat(8));
    let report = Verifier::new(Profile::Any, Trust::Store(trust("trust-rsa")))
        .signature_policy(SignaturePolicy {
            digest_budget: 8,
            ..SignaturePolicy::DEFAULT
        })
        .check(eight.as_bytes())
        .unwrap();
    assert_eq!(report.signatures.len(), 8);
}

/// An RSA-3072 key whose public exponent has 3,070 bits, certified by itself.
fn big_exponent_key() -> (PrivateKey, Certificate) {
    let mut e = BigNum::new().unwrap();
    // An odd 3,070-bit exponent; keygen finds primes with p-1, q-1 prime to it.
    e.rand(3070, openssl::bn::MsbOption::ONE, true).unwrap();
    let rsa = Rsa::generate_with_e(3072, &e).unwrap();
    let pkey = PKey::from_rsa(rsa).unwrap();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", "big exponent").unwrap();
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(&name).unwrap();
    b.set_pubkey(&pkey).unwrap();
    let serial = BigNum::from_u32(7).unwrap().to_asn1_integer().unwrap();
    b.set_serial_number(&serial).unwrap();
    b.set_not_before(&openssl::asn1::Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&openssl::asn1::Asn1Time::days_from_now(365).unwrap())
        .unwrap();
    b.sign(&pkey, MessageDigest::sha256()).unwrap();
    let cert = b.build();
    let key = PrivateKey::from_pem(&pkey.private_key_to_pem_pkcs8().unwrap()).unwrap();
    let cert = Certificate::from_pem(&cert.to_pem().unwrap()).unwrap();
    (key, cert)
}

#[test]
fn two_hundred_big_exponent_signatures() {
    let (key, cert) = big_exponent_key();
    assert!(cert.public_key().rsa_exponent_bits().unwrap() > 3000);
    let signer = SoftwareSigner::with_default_algorithm(key).unwrap();
    // Profile any: every signature is judged wherever it stands; one genuine signature over
    // the element, copied 200 times, in a message of about 1 MB.
    let mut opts = SignOptions::new(Profile::Any, &signer, cert.der());
    opts.id = Some("SIGNED_BY_CONSUMER".into());
    let doc =
        String::from_utf8(rsmev_signature::sign(big_request(512 << 10).as_bytes(), &opts).unwrap())
            .unwrap();
    let sig = element(&doc, "<ds:Signature", "</ds:Signature>").to_string();
    let doc = doc.replace(&sig, &sig.repeat(200));
    assert!(
        doc.len() > (900 << 10) && doc.len() < (2 << 20),
        "{}",
        doc.len()
    );

    let v = Verifier::new(Profile::Any, Trust::EmbeddedOnly);
    let (err, took) = cpu(|| v.verify(doc.as_bytes()).unwrap_err());
    assert!(matches!(err, SigError::TooManySignatures { .. }), "{err}");
    assert_cheap("200 signatures", doc.as_bytes(), took);

    // Admitted by count, each is refused for its key before its SignatureValue is computed.
    let v = v.signature_policy(SignaturePolicy {
        max_signatures: 1000,
        digest_budget: 1000,
        ..SignaturePolicy::DEFAULT
    });
    let (err, took) = cpu(|| v.verify(doc.as_bytes()).unwrap_err());
    assert!(
        matches!(err, SigError::Crypto(CryptoError::KeyRefused(_))),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::KeyRefused);
    assert_cheap("200 big exponents (verify)", doc.as_bytes(), took);
    let (report, took) = cpu(|| v.check(doc.as_bytes()).unwrap());
    assert_eq!(report.signatures.len(), 200);
    for s in &report.signatures {
        assert_eq!(s.stage, Stage::BeforeCryptography);
        assert!(
            matches!(s.result, Err(SigError::Crypto(CryptoError::KeyRefused(_)))),
            "{:?}",
            s.result
        );
    }
    assert_cheap("200 big exponents (report)", doc.as_bytes(), took);

    // The same signatures in 200 CallerInformationSystemSignature slots: the SMEV 3 profile
    // refuses the second slot outright.
    let smev3 = sign_as("participant-rsa", Profile::Smev3, UNSIGNED);
    let caller = element(
        &smev3,
        "<CallerInformationSystemSignature",
        "</CallerInformationSystemSignature>",
    );
    let slots = format!(
        "<CallerInformationSystemSignature xmlns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1\">{sig}</CallerInformationSystemSignature>"
    )
    .repeat(200);
    let smev3 = smev3.replace(caller, &slots);
    let v = Verifier::new(Profile::Smev3, Trust::EmbeddedOnly).signature_policy(SignaturePolicy {
        max_signatures: 1000,
        ..SignaturePolicy::DEFAULT
    });
    let (err, took) = cpu(|| v.verify(smev3.as_bytes()).unwrap_err());
    assert!(matches!(err, SigError::ProfileViolation(_)), "{err}");
    assert_cheap("200 caller slots", smev3.as_bytes(), took);
}

/// The key, the path and the gate are judged before the SignatureValue, and the
/// SignatureValue before the digests: with each earlier check failing, the later failure is
/// never reached.
#[test]
fn cheap_checks_come_first() {
    let good = sign_as("participant-rsa", Profile::Smev3, UNSIGNED);
    let value = element(&good, "<ds:SignatureValue>", "</ds:SignatureValue>").to_string();
    let garbage = good.replace(
        &value,
        &format!(
            "<ds:SignatureValue>{}</ds:SignatureValue>",
            "AAAA".repeat(85) + "AA=="
        ),
    );
    // An untrusted signer with a garbage SignatureValue: the path is what refuses it.
    let err = Verifier::new(Profile::Smev3, Trust::Store(trust("trust-gost")))
        .verify(garbage.as_bytes())
        .unwrap_err();
    assert!(
        matches!(err, SigError::Certificate(PkiError::Untrusted { .. })),
        "{err}"
    );
    // Trusted, garbage value and tampered content: the SignatureValue refuses it, not a digest.
    let tampered = garbage.replace("А123ВС77", "А123ВС78");
    let v = Verifier::new(Profile::Smev3, Trust::Store(trust("trust-rsa")));
    let err = v.verify(tampered.as_bytes()).unwrap_err();
    assert!(matches!(err, SigError::SignatureValueInvalid), "{err}");
    let report = v.check(tampered.as_bytes()).unwrap();
    assert_eq!(report.signatures[0].stage, Stage::SignatureValue);
    // A good value and tampered content: the digest.
    let changed = good.replace("А123ВС77", "А123ВС78");
    let report = v.check(changed.as_bytes()).unwrap();
    assert_eq!(report.signatures[0].stage, Stage::Digest);
    assert!(matches!(
        report.signatures[0].result,
        Err(SigError::DigestMismatch { .. })
    ));
    let report = v.check(good.as_bytes()).unwrap();
    assert_eq!(report.signatures[0].stage, Stage::Done);
}

/// The gate sees each signer — its role, whether it is the origin, its certificate — after the
/// path and before any cryptography, and its refusal carries its own fault code.
#[test]
fn the_gate_decides_before_any_cryptography() {
    // A personal signature inside, then the caller's: two signers for the gate.
    let unsigned = UNSIGNED.replace(
        "</ns2:MessagePrimaryContent>",
        "</ns2:MessagePrimaryContent><ns:PersonalSignature>PERSONAL</ns:PersonalSignature>",
    );
    let pc = element(
        UNSIGNED,
        "<req:BreachRequest xmlns",
        "</req:BreachRequest>\n        </ns2",
    );
    let pc = &pc[..pc.len() - "\n        </ns2".len()];
    let personal = detached("participant-gost256", pc, "", "PERSONAL_SIGNATURE");
    let doc = sign_as(
        "participant-gost256",
        Profile::Smev3,
        &unsigned.replace(
            "PERSONAL</ns:PersonalSignature>",
            &format!("{personal}</ns:PersonalSignature>"),
        ),
    );
    let v = Verifier::new(Profile::Smev3, Trust::Store(trust("trust-gost")));
    v.verify(doc.as_bytes()).unwrap();

    let seen: Arc<Mutex<Vec<(Role, bool, String)>>> = Arc::default();
    let log = seen.clone();
    let admit_all = move |s: &SignerInfo<'_>| -> Result<(), GateRefusal> {
        log.lock().unwrap().push((
            s.role.clone(),
            s.origin,
            s.certificate.subject().to_string(),
        ));
        Ok(())
    };
    let verified = v.verify_gated(doc.as_bytes(), &admit_all).unwrap();
    assert_eq!(
        verified.origin().unwrap().role,
        Role::CallerInformationSystem
    );
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!((seen[0].0.clone(), seen[0].1), (Role::Personal, false));
    assert_eq!(
        (seen[1].0.clone(), seen[1].1),
        (Role::CallerInformationSystem, true)
    );

    // Refusing the origin: its fault, and the caller's garbage SignatureValue never looked at.
    let refuse_origin = |s: &SignerInfo<'_>| -> Result<(), GateRefusal> {
        if s.origin {
            Err(GateRefusal {
                code: FaultCode::SenderNotRegistered,
                reason: format!("{} is not registered", s.certificate.subject()),
            })
        } else {
            Ok(())
        }
    };
    let value = element(&doc, "<ds:SignatureValue>", "</ds:SignatureValue>");
    // The caller's SignatureValue is the last one in the document.
    let at = doc.rfind("<ds:SignatureValue>").unwrap();
    let garbage = format!(
        "{}<ds:SignatureValue>{}</ds:SignatureValue>{}",
        &doc[..at],
        "AAAA".repeat(21) + "AAAA",
        &doc[at + element(&doc[at..], "<ds:SignatureValue>", "</ds:SignatureValue>").len()..]
    );
    assert_ne!(
        value,
        element(
            &garbage[at..],
            "<ds:SignatureValue>",
            "</ds:SignatureValue>"
        )
    );
    let err = v
        .verify_gated(garbage.as_bytes(), &refuse_origin)
        .unwrap_err();
    match &err {
        SigError::SignerRefused { code, reason } => {
            assert_eq!(*code, FaultCode::SenderNotRegistered);
            assert!(reason.contains("not registered"), "{reason}");
        }
        other => panic!("{other}"),
    }
    assert_eq!(err.fault_code(), FaultCode::SenderNotRegistered);
    let report = v.check_gated(garbage.as_bytes(), &refuse_origin).unwrap();
    let origin = report.origin().unwrap();
    assert_eq!(origin.stage, Stage::BeforeCryptography);
    assert!(matches!(origin.result, Err(SigError::SignerRefused { .. })));
    // The personal signature was admitted and checked in full.
    assert_eq!(report.signatures[0].stage, Stage::Done);
}
