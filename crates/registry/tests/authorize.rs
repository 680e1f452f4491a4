//! `Snapshot::authorize` on real signed messages: the certificate in the caller's signature
//! decides who the sender is; the registry decides what it may do.

mod common;

use std::time::Duration;

use common::*;
use rsmev_envelope::{Environment, Exchange, Operation, ServiceKey};
use rsmev_fault::FaultCode;
use rsmev_registry::{CertificateWindow, RegistryError};
use rsmev_signature::Profile;

fn refusal(result: Result<rsmev_registry::Authorized<'_>, RegistryError>) -> RegistryError {
    match result {
        Ok(a) => panic!("admitted: {:?}", a.system().mnemonic()),
        Err(e) => e,
    }
}

#[test]
fn registered_and_granted_in_test() {
    let s = registry();
    let signed = smev3_signed("participant-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let a = s
        .authorize(&v, &smev3_exchange(Environment::Test), day(3, 1))
        .unwrap();
    assert_eq!(a.system().mnemonic(), "MFC440001");
    assert_eq!(a.participant().id(), "mfc44");
    assert_eq!(a.service().map(|x| x.sid()), Some("SID0004401"));
    assert_eq!(a.environment(), Environment::Test);
    assert_eq!(a.upstream().url(), "http://127.0.0.1:9001/gibdd");
    assert_eq!(a.upstream().timeout(), Duration::from_secs(10));
    assert_eq!(a.generation(), 1);
    assert_eq!(
        a.certificate().certificate().der(),
        certificate("participant-rsa").der()
    );
}

/// The envelope stage reads the same facts from the signed message as the tests build by hand.
#[test]
fn the_envelope_stage_agrees_with_the_hand_built_exchange() {
    let signed = smev3_signed("participant-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let exchange = rsmev_envelope::exchange(&v).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exchange.environment, Environment::Test);
    assert_eq!(exchange.service, smev3_exchange(Environment::Test).service);
    let s = registry();
    let a = s.authorize(&v, &exchange, day(3, 1)).unwrap();
    assert_eq!(a.upstream().url(), "http://127.0.0.1:9001/gibdd");
}

#[test]
fn granted_in_test_only_refused_in_prod() {
    let s = registry();
    let signed = smev3_signed("participant-rsa", false);
    let v = verify(&signed, Profile::Smev3);
    let err = refusal(s.authorize(&v, &smev3_exchange(Environment::Prod), day(3, 1)));
    assert_eq!(
        err,
        RegistryError::AccessDenied {
            system: "MFC440001".into(),
            sid: "SID0004401".into(),
            environment: Environment::Prod,
            granted_in: Some(Environment::Test),
        }
    );
    assert_eq!(err.fault_code(), FaultCode::AccessDenied);
    assert!(err.to_string().contains("granted in test only"), "{err}");
}

#[test]
fn granted_in_both_environments_reaches_the_prod_endpoint() {
    let s = registry();
    let signed = smev3_signed("participant-gost256", false);
    let v = verify(&signed, Profile::Smev3);
    let a = s
        .authorize(&v, &smev3_exchange(Environment::Prod), day(3, 1))
        .unwrap();
    assert_eq!(a.system().mnemonic(), "MFC440002");
    assert_eq!(a.upstream().url(), "https://gibdd44.example/ws");
}

#[test]
fn no_grant_at_all() {
    let s = registry();
    // GIBD44001 is registered, but holds no grant for its own request type as a consumer.
    let signed = smev3_signed("participant-gost512", true);
    let v = verify(&signed, Profile::Smev3);
    let err = refusal(s.authorize(&v, &smev3_exchange(Environment::Test), day(3, 1)));
    assert!(
        matches!(
            err,
            RegistryError::AccessDenied {
                granted_in: None,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("(no grant)"), "{err}");
}

#[test]
fn unregistered_certificate() {
    let s = registry();
    let signed = smev3_signed("selfsigned-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let err = refusal(s.authorize(&v, &smev3_exchange(Environment::Test), day(3, 1)));
    assert!(
        matches!(
            err,
            RegistryError::SenderNotRegistered { federal: false, .. }
        ),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::SenderNotRegistered);
}

/// Federal SMEV's certificate is not an information system's: it cannot call services.
#[test]
fn a_federal_certificate_is_no_sender() {
    let s = registry();
    let signed = smev3_signed("federal-gost256", true);
    let v = verify(&signed, Profile::Smev3);
    let err = refusal(s.authorize(&v, &smev3_exchange(Environment::Test), day(3, 1)));
    assert!(
        matches!(err, RegistryError::SenderNotRegistered { .. }),
        "{err}"
    );
}

/// Planned replacement: participant-rsa (old, until 2026-07-01) and participant-ec (new, from
/// 2026-06-01) for MFC440001.
#[test]
fn planned_key_replacement() {
    let s = registry();
    let old = smev3_signed("participant-rsa", true);
    let new = smev3_signed("participant-ec", true);
    let old = verify(&old, Profile::Smev3);
    let new = verify(&new, Profile::Smev3);
    let ex = smev3_exchange(Environment::Test);

    // Before the overlap: only the old key.
    s.authorize(&old, &ex, day(3, 1)).unwrap();
    let err = refusal(s.authorize(&new, &ex, day(3, 1)));
    assert!(
        matches!(
            &err,
            RegistryError::CertificateReplaced { why: CertificateWindow::NotYetValid { from }, owner, .. }
                if from == "2026-06-01T00:00:00Z" && owner == "MFC440001"
        ),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::CertificateReplaced);

    // During the overlap (and at its first instant): both.
    for at in [day(6, 1), day(6, 15), day(7, 1) - Duration::from_secs(1)] {
        s.authorize(&old, &ex, at).unwrap();
        s.authorize(&new, &ex, at).unwrap();
    }

    // After it: only the new one; the window is half-open, so 2026-07-01T00:00:00Z is after.
    for at in [day(7, 1), day(8, 1)] {
        s.authorize(&new, &ex, at).unwrap();
        let err = refusal(s.authorize(&old, &ex, at));
        assert!(
            matches!(
                &err,
                RegistryError::CertificateReplaced { why: CertificateWindow::OverlapEnded { until }, .. }
                    if until == "2026-07-01T00:00:00Z"
            ),
            "{err}"
        );
        assert!(err.to_string().contains("overlap ended"), "{err}");
    }
}

/// Compromise: MFC440002's key is refused from revoked_at on, whatever else.
#[test]
fn compromised_key_refused_at_once() {
    let s = registry();
    let signed = smev3_signed("participant-gost256", true);
    let v = verify(&signed, Profile::Smev3);
    let ex = smev3_exchange(Environment::Test);
    s.authorize(&v, &ex, day(9, 1) - Duration::from_secs(1))
        .unwrap();
    for at in [day(9, 1), day(12, 31)] {
        let err = refusal(s.authorize(&v, &ex, at));
        assert!(
            matches!(
                &err,
                RegistryError::CertificateReplaced { why: CertificateWindow::Revoked { at }, .. }
                    if at == "2026-09-01T00:00:00Z"
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("revoked at 2026-09-01T00:00:00Z"),
            "{err}"
        );
    }
}

#[test]
fn unknown_service() {
    let s = registry();
    let signed = smev3_signed("participant-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let ex = smev3_exchange_for(
        Environment::Test,
        "urn://example/unregistered/1.0",
        "Request",
    );
    let err = refusal(s.authorize(&v, &ex, day(3, 1)));
    assert!(matches!(err, RegistryError::UnknownService { .. }), "{err}");
    assert_eq!(err.fault_code(), FaultCode::UnknownService);
    assert!(
        err.to_string().contains("urn://example/unregistered/1.0"),
        "{err}"
    );
}

#[test]
fn open_to_all() {
    let s = registry();
    let ex = smev3_exchange_for(
        Environment::Test,
        "urn://example-kostroma/oktmo-dictionary/1.0",
        "MunicipalitiesRequest",
    );
    // No grant names SID0004499, yet every registered system may call it.
    for key in ["participant-rsa", "participant-gost512"] {
        let signed = smev3_signed(key, true);
        let v = verify(&signed, Profile::Smev3);
        let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
        assert_eq!(a.service().map(|x| x.sid()), Some("SID0004499"));
        assert_eq!(a.upstream().url(), "http://127.0.0.1:9003/dictionary");
    }
    // Open to all systems, not to unregistered certificates.
    let signed = smev3_signed("selfsigned-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let err = refusal(s.authorize(&v, &ex, day(3, 1)));
    assert!(
        matches!(err, RegistryError::SenderNotRegistered { .. }),
        "{err}"
    );
    // The service has no prod endpoint: open, but nowhere to go.
    let signed = smev3_signed("participant-rsa", false);
    let v = verify(&signed, Profile::Smev3);
    let prod = smev3_exchange_for(
        Environment::Prod,
        "urn://example-kostroma/oktmo-dictionary/1.0",
        "MunicipalitiesRequest",
    );
    let err = refusal(s.authorize(&v, &prod, day(3, 1)));
    assert!(
        matches!(
            err,
            RegistryError::NoEndpoint {
                environment: Environment::Prod,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::AccessDenied);
}

#[test]
fn federal_service_goes_to_the_federal_upstream() {
    let s = registry();
    for (env, url) in [
        (Environment::Test, "http://127.0.0.1:7001/smev3"),
        (Environment::Prod, "https://smev3-n0.example/ws"),
    ] {
        let signed = smev3_signed("participant-rsa", env == Environment::Test);
        let v = verify(&signed, Profile::Smev3);
        let ex = smev3_exchange_for(
            env,
            "urn://x-artefacts-fns-vipul-tosmv-ru/311-14/4.0.6",
            "FNSVipULRequest",
        );
        let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
        assert_eq!(a.service().map(|x| x.sid()), Some("SID0003133"));
        assert_eq!(a.upstream().url(), url);
        assert_eq!(a.upstream().timeout(), Duration::from_secs(15));
    }
}

/// Queue operations name no service: any registered system, to federal SMEV.
#[test]
fn operations_without_a_service() {
    let s = registry();
    let signed = smev3_signed("participant-gost512", true);
    let v = verify(&signed, Profile::Smev3);
    for op in [
        Operation::GetRequest,
        Operation::GetResponse,
        Operation::Ack,
        Operation::GetStatus,
        Operation::GetIncomingQueueStatistics,
    ] {
        let ex = Exchange {
            operation: op,
            service: None,
            ..smev3_exchange(Environment::Test)
        };
        let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
        assert!(a.service().is_none());
        assert_eq!(a.upstream().url(), "http://127.0.0.1:7001/smev3");
        assert_eq!(a.upstream().timeout(), Duration::from_secs(20));
    }
    // Still only for registered systems.
    let signed = smev3_signed("selfsigned-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let ex = Exchange {
        operation: Operation::GetRequest,
        service: None,
        ..smev3_exchange(Environment::Test)
    };
    assert!(matches!(
        refusal(s.authorize(&v, &ex, day(3, 1))),
        RegistryError::SenderNotRegistered { .. }
    ));
    // A request that should name a service and does not.
    let signed = smev3_signed("participant-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let ex = Exchange {
        service: None,
        ..smev3_exchange(Environment::Test)
    };
    let err = refusal(s.authorize(&v, &ex, day(3, 1)));
    assert!(
        matches!(err, RegistryError::ServiceRequired { .. }),
        "{err}"
    );
    // A GetResponse whose selector names a root element is still a queue operation: no grant
    // for that service is needed to poll one's own queue.
    let signed = smev3_signed("participant-gost512", true);
    let v = verify(&signed, Profile::Smev3);
    let ex = Exchange {
        operation: Operation::GetResponse,
        service: Some(ServiceKey::Smev3Root {
            namespace: "urn://example/not-granted/1.0".into(),
            local: "Anything".into(),
        }),
        ..smev3_exchange(Environment::Test)
    };
    let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
    assert!(a.service().is_none());
    assert_eq!(a.upstream().url(), "http://127.0.0.1:7001/smev3");
    // A SendResponse that rejects or reports status carries no content root.
    let ex = Exchange {
        operation: Operation::SendResponse,
        service: None,
        ..smev3_exchange(Environment::Test)
    };
    let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
    assert!(a.service().is_none());
    assert_eq!(a.upstream().url(), "http://127.0.0.1:7001/smev3");
}

/// A provider's SendResponse: no grant, but the service must be its participant's own.
#[test]
fn send_response_by_the_provider_only() {
    let s = registry();
    let ex = Exchange {
        operation: Operation::SendResponse,
        service: Some(ServiceKey::Smev3Root {
            namespace: BREACH_NS.into(),
            local: "BreachResponse".into(),
        }),
        ..smev3_exchange(Environment::Test)
    };
    let signed = smev3_signed("participant-gost512", true);
    let v = verify(&signed, Profile::Smev3);
    let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
    assert_eq!(a.system().mnemonic(), "GIBD44001");
    assert_eq!(a.service().map(|x| x.sid()), Some("SID0004401"));
    assert_eq!(a.upstream().url(), "http://127.0.0.1:7001/smev3");

    let signed = smev3_signed("participant-rsa", true);
    let v = verify(&signed, Profile::Smev3);
    let err = refusal(s.authorize(&v, &ex, day(3, 1)));
    assert!(matches!(err, RegistryError::NotProvider { .. }), "{err}");
    assert_eq!(err.fault_code(), FaultCode::AccessDenied);
}

/// SMEV 2: the sender is the `…/actors/smev` WS-Security block's signer, and the signed
/// Sender/Code must be that system's mnemonic.
#[test]
fn smev2_sender() {
    let s = registry();
    let signed = sign(SMEV2_UNSIGNED, "participant-rsa", Profile::Smev2, None);
    let v = verify(&signed, Profile::Smev2);
    let ex = smev2_exchange(Environment::Test, Some("GIBD44002"), Some("34701000"));
    let a = s.authorize(&v, &ex, day(3, 1)).unwrap();
    assert_eq!(a.system().mnemonic(), "MFC440001");
    assert_eq!(a.service().map(|x| x.sid()), Some("SID0004401"));
    assert_eq!(a.upstream().url(), "http://127.0.0.1:9001/gibdd");

    let forged = Exchange {
        sender_code: Some("MFC440002".into()),
        ..ex.clone()
    };
    let err = refusal(s.authorize(&v, &forged, day(3, 1)));
    assert!(
        matches!(err, RegistryError::SenderCodeMismatch { .. }),
        "{err}"
    );
    assert_eq!(err.fault_code(), FaultCode::SenderNotRegistered);

    // Who sent it is decided by the origin slot alone: here a registered participant's key
    // signs a node hop (`…/actors/recipient`) and an unregistered key the participant's block.
    // The hop is the origin, so this is a node's message — and a participant's key is no
    // node's: refused, whatever the participant block says.
    let first = sign(
        SMEV2_UNSIGNED,
        "participant-rsa",
        Profile::Smev2,
        Some(rsmev_signature::ns::ACTOR_RECIPIENT),
    );
    let signed = sign(
        std::str::from_utf8(&first).unwrap(),
        "selfsigned-rsa",
        Profile::Smev2,
        None,
    );
    let v = verify(&signed, Profile::Smev2);
    assert_eq!(v.signatures().len(), 2);
    let err = refusal(s.authorize(&v, &ex, day(3, 1)));
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
            RegistryError::SenderNotRegistered { federal: true, .. }
        ),
        "{err}"
    );
}

/// Two `…/actors/smev` blocks: which system sent it would depend on order, so the signature
/// profile refuses the message before the registry is asked.
#[test]
fn smev2_two_sender_signatures() {
    // rsmev's signer refuses a second block for an actor that already has one, so the second
    // block is made under another actor and renamed: the actor attribute sits outside what
    // either signature covers, which is exactly what a hostile sender could do.
    let first = sign(SMEV2_UNSIGNED, "participant-rsa", Profile::Smev2, None);
    let signed = sign(
        std::str::from_utf8(&first).unwrap(),
        "participant-gost256",
        Profile::Smev2,
        Some(rsmev_signature::ns::ACTOR_RECIPIENT),
    );
    let signed = String::from_utf8(signed)
        .unwrap()
        .replace(
            rsmev_signature::ns::ACTOR_RECIPIENT,
            "http://smev.gosuslugi.ru/actors/smev",
        )
        .into_bytes();
    let store =
        std::sync::Arc::new(rsmev_pki::TrustStore::load(certs().join("trust-all")).unwrap());
    let err = rsmev_signature::Verifier::new(Profile::Smev2, rsmev_signature::Trust::Store(store))
        .at(day(3, 1))
        .verify(&signed)
        .unwrap_err();
    // One slot per actor: a second block in the participant's slot is refused as such.
    assert!(err.to_string().contains("each slot holds one"), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch);
}

/// Every variant's fault code is one of the registry's, never a generic one.
#[test]
fn fault_codes() {
    let env = Environment::Test;
    let cases = [
        (
            RegistryError::NoSenderSignature { role: "x" },
            FaultCode::SignatureNotFound,
        ),
        (
            RegistryError::AmbiguousSender {
                role: "x",
                count: 2,
            },
            FaultCode::MalformedSignature,
        ),
        (
            RegistryError::SenderNotRegistered {
                fingerprint: String::new(),
                subject: String::new(),
                federal: true,
            },
            FaultCode::SenderNotRegistered,
        ),
        (
            RegistryError::RecipientNotFound {
                sid: String::new(),
                recipient: None,
                oktmo: None,
                environment: env,
            },
            FaultCode::RecipientNotFound,
        ),
        (
            RegistryError::NotRegional { sid: String::new() },
            FaultCode::RecipientNotFound,
        ),
    ];
    for (err, code) in cases {
        assert_eq!(err.fault_code(), code, "{err}");
    }
}
