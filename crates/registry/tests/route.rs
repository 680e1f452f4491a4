//! `Snapshot::route_incoming`: messages federal SMEV forwards to this node. tests/data's
//! registry routes SID0004401 by recipient GIBD44002, then OKTMO 34701…, then (test only)
//! OKTMO 347…, and otherwise to the service's own endpoint.

mod common;

use common::*;
use rsmev_envelope::{Environment, Exchange};
use rsmev_fault::FaultCode;
use rsmev_registry::{RegistryError, Routed, Snapshot};
use rsmev_signature::Profile;
use rsmev_signature::ns::ACTOR_RECIPIENT;

/// Federal SMEV towards region 44 signs with actor `…/actors/smev44`.
const ACTOR_SMEV44: &str = "http://smev.gosuslugi.ru/actors/smev44";

/// The SMEV 2 request as federal SMEV forwards it: the consumer's ЭП-ОВ (`…/actors/smev`),
/// then federal SMEV's own block under `actor`.
fn from_federal(actor: &str) -> Vec<u8> {
    from(actor, "participant-rsa", "federal-gost256")
}

fn from(actor: &str, consumer: &str, node: &str) -> Vec<u8> {
    let first = sign(SMEV2_UNSIGNED, consumer, Profile::Smev2, None);
    sign(
        std::str::from_utf8(&first).unwrap(),
        node,
        Profile::Smev2,
        Some(actor),
    )
}

fn route<'s>(
    s: &'s Snapshot,
    env: Environment,
    recipient: Option<&str>,
    oktmo: Option<&str>,
) -> Result<Routed<'s>, RegistryError> {
    let signed = from_federal(ACTOR_SMEV44);
    let v = verify(&signed, Profile::Smev2);
    s.route_incoming(&v, &smev2_exchange(env, recipient, oktmo), day(3, 1))
}

fn url(r: Result<Routed<'_>, RegistryError>) -> String {
    match r {
        Ok(r) => r.upstream().url().to_string(),
        Err(e) => panic!("refused: {e}"),
    }
}

#[test]
fn the_recipient_rule_comes_first() {
    let s = registry();
    let r = route(&s, Environment::Test, Some("GIBD44002"), Some("34701000")).unwrap();
    assert_eq!(r.upstream().url(), "http://127.0.0.1:9002/gibdd-sharya");
    assert_eq!(r.route().and_then(|x| x.recipient()), Some("GIBD44002"));
    assert_eq!(r.service().sid(), "SID0004401");
    assert_eq!(r.provider().id(), "gibdd44");
    assert_eq!(r.environment(), Environment::Test);
    assert_eq!(r.generation(), 1);
    assert_eq!(
        r.certificate().certificate().der(),
        certificate("federal-gost256").der()
    );
}

#[test]
fn oktmo_prefixes_in_file_order() {
    let s = registry();
    // 34701… matches both OKTMO routes; the first in the file wins.
    assert_eq!(
        url(route(&s, Environment::Test, None, Some("34701000001"))),
        "http://127.0.0.1:9004/gibdd-kostroma"
    );
    assert_eq!(
        url(route(
            &s,
            Environment::Prod,
            Some("GIBD44001"),
            Some("34701000")
        )),
        "http://127.0.0.1:9004/gibdd-kostroma"
    );
    // 347… elsewhere in the region: the test-only route in test…
    assert_eq!(
        url(route(&s, Environment::Test, None, Some("34720000"))),
        "http://127.0.0.1:9005/gibdd-region-test"
    );
    // …and in prod no route applies: the service's own endpoint.
    let r = route(&s, Environment::Prod, None, Some("34720000")).unwrap();
    assert!(r.route().is_none());
    assert_eq!(r.upstream().url(), "https://gibdd44.example/ws");
}

#[test]
fn no_header_fields_fall_back_to_the_service_endpoint() {
    let s = registry();
    // A route naming a field never matches a message without it.
    assert_eq!(
        url(route(&s, Environment::Test, None, None)),
        "http://127.0.0.1:9001/gibdd"
    );
    assert_eq!(
        url(route(
            &s,
            Environment::Test,
            Some("OTHR00001"),
            Some("45000000")
        )),
        "http://127.0.0.1:9001/gibdd"
    );
    // An OKTMO route is a prefix rule, not a substring or a reverse prefix.
    assert_eq!(
        url(route(&s, Environment::Prod, None, Some("3470"))),
        "https://gibdd44.example/ws"
    );
}

#[test]
fn recipient_not_found_without_an_endpoint() {
    let s = registry();
    // SID0004499 has a test endpoint only and no routes.
    let signed = from_federal(ACTOR_SMEV44);
    let v = verify(&signed, Profile::Smev2);
    let ex = smev3_exchange_for(
        Environment::Prod,
        "urn://example-kostroma/oktmo-dictionary/1.0",
        "MunicipalitiesRequest",
    );
    let err = s.route_incoming(&v, &ex, day(3, 1)).unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::RecipientNotFound {
                environment: Environment::Prod,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::RecipientNotFound);
}

#[test]
fn federal_roles_and_actors() {
    let s = registry();
    let ex = smev2_exchange(Environment::Test, None, None);
    // `…/actors/smevNN` and `…/actors/recipient` are node hops: the origin, federal SMEV's.
    for actor in [ACTOR_SMEV44, ACTOR_RECIPIENT] {
        let signed = from_federal(actor);
        let v = verify(&signed, Profile::Smev2);
        let r = s
            .route_incoming(&v, &ex, day(3, 1))
            .unwrap_or_else(|e| panic!("{actor}: {e}"));
        assert_eq!(r.upstream().url(), "http://127.0.0.1:9001/gibdd");
    }
    // `…/actors/smev` alone is a participant's own signature: even federal SMEV's key there
    // routes nothing (and admits nothing: it is no participant's).
    let signed = sign(SMEV2_UNSIGNED, "federal-gost256", Profile::Smev2, None);
    let v = verify(&signed, Profile::Smev2);
    let err = s.route_incoming(&v, &ex, day(3, 1)).unwrap_err();
    assert!(
        matches!(err, RegistryError::NoSenderSignature { .. }),
        "{err}"
    );
    let err = match s.admit(&v, &ex, day(3, 1)) {
        Ok(_) => panic!("admitted"),
        Err(e) => e,
    };
    assert!(
        matches!(
            err,
            RegistryError::SenderNotRegistered { federal: false, .. }
        ),
        "{err}"
    );
}

#[test]
fn only_federal_certificates() {
    let s = registry();
    let ex = smev2_exchange(Environment::Test, None, None);
    // A registered participant's certificate in a node hop is not federal SMEV.
    let signed = from(ACTOR_SMEV44, "selfsigned-rsa", "participant-rsa");
    let v = verify(&signed, Profile::Smev2);
    let err = s.route_incoming(&v, &ex, day(3, 1)).unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::SenderNotRegistered { federal: true, .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("federal SMEV"), "{err}");
    // SMEV 3: federal SMEV forwards as a caller, its registered certificate in the caller's
    // slot; any other certificate there is no federal SMEV's.
    let signed = smev3_signed("federal-gost256", true);
    let v = verify(&signed, Profile::Smev3);
    let routed = s
        .route_incoming(&v, &smev3_exchange(Environment::Test), day(3, 1))
        .unwrap();
    assert_eq!(routed.service().sid(), "SID0004401");
    assert!(matches!(
        s.admit(&v, &smev3_exchange(Environment::Test), day(3, 1)),
        Ok(rsmev_registry::Admission::Federal(_))
    ));
    let signed = smev3_signed("participant-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let err = s
        .route_incoming(&v, &smev3_exchange(Environment::Test), day(3, 1))
        .unwrap_err();
    assert!(
        matches!(
            err,
            RegistryError::SenderNotRegistered { federal: true, .. }
        ),
        "{err}"
    );
    assert!(matches!(
        s.admit(&v, &smev3_exchange(Environment::Test), day(3, 1)),
        Ok(rsmev_registry::Admission::Participant(_))
    ));
}

#[test]
fn federal_services_are_not_routed_here() {
    let s = registry();
    let signed = from_federal(ACTOR_SMEV44);
    let v = verify(&signed, Profile::Smev2);
    let ex = Exchange {
        service: Some(rsmev_envelope::ServiceKey::Smev2Mnemonic {
            mnemonic: "FNS001001".into(),
            version: None,
        }),
        ..smev2_exchange(Environment::Test, None, None)
    };
    let err = s.route_incoming(&v, &ex, day(3, 1)).unwrap_err();
    assert!(matches!(err, RegistryError::NotRegional { .. }), "{err}");
    let ex = Exchange {
        service: Some(rsmev_envelope::ServiceKey::Smev2Mnemonic {
            mnemonic: "NONE00001".into(),
            version: None,
        }),
        ..smev2_exchange(Environment::Test, None, None)
    };
    let err = s.route_incoming(&v, &ex, day(3, 1)).unwrap_err();
    assert!(matches!(err, RegistryError::UnknownService { .. }), "{err}");
}

/// Federal certificates have windows too: a replaced federal key is refused.
#[test]
fn a_withdrawn_federal_certificate() {
    let text = std::fs::read_to_string(data().join("registry.toml"))
        .unwrap()
        .replace(
            "certificates = [ { file = \"../../../../certs-test/federal-gost256.cert.pem\" } ]",
            "certificates = [ { file = \"../../../../certs-test/federal-gost256.cert.pem\", \
             revoked_at = \"2026-02-01T00:00:00Z\" } ]",
        );
    let s = Snapshot::from_toml(&text, &data()).unwrap();
    let err = route(&s, Environment::Test, None, None).unwrap_err();
    assert!(
        matches!(err, RegistryError::CertificateReplaced { .. }),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::CertificateReplaced);
}
