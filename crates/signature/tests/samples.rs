//! The public signed SMEV samples (../shared/samples/public, copied into
//! crates/c14n/tests/data/samples) judged exactly as their README says: the verdicts there were
//! reached with libxml2's exclusive C14N and the OpenSSL GOST engine, not with rsmev. Their
//! certificates expired long ago and use GOST R 34.10-2001, so the cryptography is checked
//! against the embedded certificates with legacy algorithms admitted, as
//! `rsmev verify --allow-legacy --no-path-validation` does.

use rsmev_fault::FaultCode;
use rsmev_signature::{Profile, Role, SigError, Trust, Verifier};

fn sample(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../c14n/tests/data/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn verifier(profile: Profile) -> Verifier {
    Verifier::new(profile, Trust::EmbeddedOnly).allow_legacy(true)
}

/// Every signature verifies, in the profile the message belongs to and in profile `any`.
fn all_ok(name: &str, profile: Profile, roles: &[Role]) {
    for p in [profile, Profile::Any] {
        let bytes = sample(name);
        let report = verifier(p).check(&bytes).unwrap();
        for s in &report.signatures {
            assert!(s.result.is_ok(), "{name} ({p:?}): {:?}", s.result);
        }
        assert!(report.is_ok(), "{name}: {:?}", report.required);
        if p == profile {
            let got: Vec<Role> = report.signatures.iter().map(|s| s.role.clone()).collect();
            assert_eq!(got, roles, "{name}");
        }
    }
    let bytes = sample(name);
    // One verifier, three times: from the second message on, the scan canonicalizes the
    // signed element speculatively, and that path must judge exactly as the first.
    let warm = verifier(profile);
    for _ in 0..3 {
        let v = warm.verify(&bytes).unwrap();
        assert_eq!(v.signatures().len(), roles.len());
    }
}

fn ws(actor: &str) -> Role {
    Role::WsSecurity {
        actor: format!("http://smev.gosuslugi.ru/actors/{actor}"),
    }
}

#[test]
fn smev2_three_node_signatures_verify() {
    all_ok(
        "smev2-rev120315-response-fns-via-rsmev44-3sigs.xml",
        Profile::Smev2,
        &[ws("recipient"), ws("smev44"), ws("smev")],
    );
}

#[test]
fn smev2_requests_verify() {
    all_ok(
        "smev2-rev120315-request-mfc-to-esia.xml",
        Profile::Smev2,
        &[ws("smev")],
    );
    // Body Id "1", not "body": resolved by Id, never assumed.
    all_ok(
        "smev2-rev111111-request-kostroma-to-fns.xml",
        Profile::Smev2,
        &[ws("smev")],
    );
}

#[test]
fn smev3_samples_verify() {
    all_ok(
        "smev3-1.1-SendRequestRequest-mr-sample.xml",
        Profile::Smev3,
        &[Role::CallerInformationSystem],
    );
    all_ok(
        "smev3-1.1-SendRequestRequest-personal-signature-mr-sample.xml",
        Profile::Smev3,
        &[Role::Personal, Role::CallerInformationSystem],
    );
    all_ok(
        "smev3-1.1-GetResponseResponse-fns-vipul-test-env.xml",
        Profile::Smev3,
        &[Role::SenderInformationSystem, Role::Smev],
    );
    // GOST 2012-256 (XchA) with two identical References: both digests are checked.
    all_ok(
        "smev3-1.2-SendRequestRequest-gost2012-256.xml",
        Profile::Smev3,
        &[Role::CallerInformationSystem],
    );
}

/// GOST 2012 needs no legacy permission; GOST 2001 does, and says so.
#[test]
fn legacy_algorithms_need_permission() {
    let strict = Verifier::new(Profile::Smev3, Trust::EmbeddedOnly);
    assert!(
        strict
            .verify(&sample("smev3-1.2-SendRequestRequest-gost2012-256.xml"))
            .is_ok()
    );
    let err = strict
        .verify(&sample("smev3-1.1-SendRequestRequest-mr-sample.xml"))
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::LegacyAlgorithmRefused, "{err}");
}

/// Sample 3: the header signature verifies; the AppData signature was made with an enveloped
/// transform it does not declare, and is refused with exactly that reason.
#[test]
fn undeclared_enveloped_transform_is_named() {
    let name = "smev2-rev120315-response-zags-appdata-sig-quirk.xml";
    let bytes = sample(name);
    let report = verifier(Profile::Smev2).check(&bytes).unwrap();
    assert_eq!(report.signatures.len(), 2);
    assert!(report.signatures[0].result.is_ok());
    assert_eq!(report.signatures[1].role, Role::AppData);
    match &report.signatures[1].result {
        Err(SigError::UndeclaredEnvelopedSignature { uri }) => assert_eq!(uri, "#AppData"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verifier(Profile::Smev2)
            .verify(&sample(name))
            .unwrap_err()
            .fault_code(),
        FaultCode::DigestMismatch
    );
}

/// Sample 9: pretty-printed after signing. The SMEV transform absorbs the whitespace in the
/// signed content, so the digests hold; SignedInfo is plain exclusive C14N, so both
/// SignatureValues fail — and the verifier says why: each verifies once the whitespace between
/// SignedInfo's elements is removed, as the sample's provenance (checked with the GOST engine)
/// says.
#[test]
fn reformatted_signed_info_fails_the_signature_not_the_digest() {
    let name = "smev3-1.2-GetResponseResponse-async-InvalidContent-gost2012-reformatted.xml";
    let bytes = sample(name);
    let report = verifier(Profile::Smev3).check(&bytes).unwrap();
    assert_eq!(report.signatures.len(), 2);
    for s in &report.signatures {
        assert!(
            matches!(s.result, Err(SigError::SignedInfoReformatted)),
            "{:?}",
            s.result
        );
    }
}

#[test]
fn a_fault_carries_no_signature() {
    let err = verifier(Profile::Smev3)
        .verify(&sample(
            "smev3-1.2-soapfault-SignatureVerificationFault.xml",
        ))
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::SignatureNotFound);
}

/// A profile refuses messages of the other protocol: their signatures are in no slot it knows.
#[test]
fn profiles_do_not_cross() {
    let err = verifier(Profile::Smev3)
        .verify(&sample("smev2-rev120315-request-mfc-to-esia.xml"))
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch, "{err}");
    let err = verifier(Profile::Smev2)
        .verify(&sample("smev3-1.1-SendRequestRequest-mr-sample.xml"))
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch, "{err}");
}
