//! SOAP versions and SMEV 2 actors: a `wsse:Security` block's actor is the attribute of the
//! envelope's own SOAP version only (SOAP 1.1 `actor`, SOAP 1.2 `role`); a block carrying both
//! is refused, since SOAP 1.1 and SOAP 1.2 peers downstream would read different actors.

mod common;

use common::*;
use rsmev_fault::FaultCode;
use rsmev_signature::ns::{ACTOR_RECIPIENT, ACTOR_SMEV};
use rsmev_signature::{
    NodeSignOptions, Profile, Role, SigError, SignOptions, Smev2MessageClass, Trust, Verifier,
    sign_smev2_node,
};

const SMEV2: &str = include_str!("data/smev2-request-unsigned.xml");

fn soap12(doc: &str) -> String {
    doc.replace(SOAP11, SOAP12)
}

fn verifier() -> Verifier {
    Verifier::new(Profile::Smev2, Trust::Store(trust("trust-gost")))
}

fn node(doc: &str, actor: &str) -> Result<String, SigError> {
    let signer = signer("operator-gost256");
    let cert = certificate("operator-gost256");
    let opts = NodeSignOptions {
        signer: &signer,
        certificate_der: cert.der(),
        node_id: "44",
        actor,
        message_id: "m-1",
        message_class: Smev2MessageClass::Request,
        timestamp: "2026-12-01T10:00:01+03:00",
        limits: rsmev_xml::Limits::default(),
    };
    sign_smev2_node(doc.as_bytes(), &opts).map(|b| String::from_utf8(b).unwrap())
}

fn actors(doc: &str) -> Vec<String> {
    verifier()
        .verify(doc.as_bytes())
        .unwrap_or_else(|e| panic!("{e}\n{doc}"))
        .signatures()
        .iter()
        .map(|s| match &s.role {
            Role::WsSecurity { actor } => actor.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

/// What rsmev signs in a SOAP 1.2 envelope it verifies: the participant's block and a node's
/// carry SOAP 1.2 `role`, never SOAP 1.1 `actor`.
#[test]
fn soap12_round_trip() {
    let doc = soap12(SMEV2);
    let participant = sign_as("participant-gost256", Profile::Smev2, &doc);
    assert!(
        participant.contains(&format!(
            "xmlns:soapenv=\"{SOAP12}\" soapenv:role=\"{ACTOR_SMEV}\""
        )),
        "{participant}"
    );
    assert!(!participant.contains(":actor="), "{participant}");
    assert_eq!(actors(&participant), [ACTOR_SMEV]);
    let relayed = node(&participant, ACTOR_RECIPIENT).unwrap();
    assert!(relayed.contains(&format!("soapenv:role=\"{ACTOR_RECIPIENT}\"")));
    assert_eq!(actors(&relayed), [ACTOR_RECIPIENT, ACTOR_SMEV]);
    // SOAP 1.1 is unchanged.
    let v11 = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    assert!(v11.contains(&format!("soapenv:actor=\"{ACTOR_SMEV}\"")));
    assert_eq!(actors(&v11), [ACTOR_SMEV]);
}

fn violation(doc: &str, what: &str) {
    let err = verifier().verify(doc.as_bytes()).unwrap_err();
    assert!(
        matches!(err, SigError::ProfileViolation(_)),
        "{what}: {err}"
    );
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch, "{what}");
}

/// The other version's attribute is no actor: a SOAP 1.2 `role` in a SOAP 1.1 envelope (and a
/// SOAP 1.1 `actor` in a SOAP 1.2 one) leaves the block without one.
#[test]
fn the_other_versions_attribute_is_not_an_actor() {
    let v11 = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    let with_role = v11.replace(
        &format!("xmlns:soapenv=\"{SOAP11}\" soapenv:actor="),
        &format!("xmlns:soapenv=\"{SOAP11}\" xmlns:s12=\"{SOAP12}\" s12:role="),
    );
    assert_ne!(with_role, v11);
    violation(&with_role, "SOAP 1.2 role in SOAP 1.1");

    let v12 = sign_as("participant-gost256", Profile::Smev2, &soap12(SMEV2));
    let with_actor = v12.replace(
        &format!("xmlns:soapenv=\"{SOAP12}\" soapenv:role="),
        &format!("xmlns:soapenv=\"{SOAP12}\" xmlns:s11=\"{SOAP11}\" s11:actor="),
    );
    assert_ne!(with_actor, v12);
    violation(&with_actor, "SOAP 1.1 actor in SOAP 1.2");
}

/// Both attributes on one block — a block relayed as `…/smev` that a SOAP 1.1 peer would read
/// as `…/recipient` — are refused, in either version and either order.
#[test]
fn both_attributes_are_refused() {
    let v11 = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    for (doc, ours, other) in [
        (
            v11.clone(),
            "soapenv:actor",
            format!("xmlns:x=\"{SOAP12}\" x:role"),
        ),
        (
            sign_as("participant-gost256", Profile::Smev2, &soap12(SMEV2)),
            "soapenv:role",
            format!("xmlns:x=\"{SOAP11}\" x:actor"),
        ),
    ] {
        let after = doc.replace(
            &format!("{ours}=\"{ACTOR_SMEV}\""),
            &format!("{ours}=\"{ACTOR_SMEV}\" {other}=\"{ACTOR_RECIPIENT}\""),
        );
        let before = doc.replace(
            &format!("{ours}=\"{ACTOR_SMEV}\""),
            &format!("{other}=\"{ACTOR_RECIPIENT}\" {ours}=\"{ACTOR_SMEV}\""),
        );
        for d in [after, before] {
            assert_ne!(d, doc);
            let err = verifier().verify(d.as_bytes()).unwrap_err();
            assert!(
                matches!(&err, SigError::ProfileViolation(why) if why.contains("both")),
                "{err}"
            );
        }
    }
}

/// The signer refuses to write what its verifier would refuse: an actor outside SMEV 2's.
#[test]
fn the_signer_writes_known_actors_only() {
    let signer = signer("participant-gost256");
    let cert = certificate("participant-gost256");
    let mut opts = SignOptions::new(Profile::Smev2, &signer, cert.der());
    opts.actor = Some("http://example.org/actors/other".into());
    let err = rsmev_signature::sign(SMEV2.as_bytes(), &opts).unwrap_err();
    assert!(matches!(err, SigError::Signing(_)), "{err}");
    // Signing failures are the node's own.
    assert_eq!(err.fault_code(), FaultCode::Internal);
    let participant = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    let err = node(&participant, "http://smev.gosuslugi.ru/actors/node").unwrap_err();
    assert!(matches!(err, SigError::Signing(_)), "{err}");
    for actor in [
        ACTOR_RECIPIENT,
        "http://smev.gosuslugi.ru/actors/smev44",
        "http://smev.gosuslugi.ru/actors/smev1",
    ] {
        opts.actor = Some(actor.into());
        let doc =
            String::from_utf8(rsmev_signature::sign(SMEV2.as_bytes(), &opts).unwrap()).unwrap();
        // A lone node block is no message (no participant's ЭП-ОВ), but its actor is known.
        let err = verifier().verify(doc.as_bytes()).unwrap_err();
        assert!(matches!(err, SigError::NoSignature(_)), "{actor}: {err}");
    }
}
