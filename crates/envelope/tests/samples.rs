//! The public signed samples (crates/c14n/tests/data/samples): real SMEV 2 and SMEV 3 traffic,
//! verified as `rsmev verify --allow-legacy --no-path-validation` does, then read.

mod common;

use common::*;
use rsmev_envelope::{EnvelopeError, Environment, Exchange, Operation, Protocol, ServiceKey};
use rsmev_fault::FaultCode;
use rsmev_signature::Profile;

fn smev3(version: &str) -> Protocol {
    Protocol::Smev3 {
        version: rsmev_envelope::Smev3Version::parse(version).unwrap(),
    }
}

fn smev2(rev: &str) -> Protocol {
    Protocol::Smev2 {
        namespace: format!("http://smev.gosuslugi.ru/{rev}"),
    }
}

fn root(namespace: &str, local: &str) -> Option<ServiceKey> {
    Some(ServiceKey::Smev3Root {
        namespace: namespace.into(),
        local: local.into(),
    })
}

fn mnemonic(m: &str, version: Option<&str>) -> Option<ServiceKey> {
    Some(ServiceKey::Smev2Mnemonic {
        mnemonic: m.into(),
        version: version.map(Into::into),
    })
}

#[test]
fn smev3_1_1_send_request_mr_sample() {
    let x = facts(
        &legacy(Profile::Smev3),
        &sample("smev3-1.1-SendRequestRequest-mr-sample.xml"),
    )
    .unwrap();
    assert_eq!(
        x,
        Exchange {
            protocol: smev3("1.1"),
            operation: Operation::SendRequest,
            message_id: Some("db0486d0-3c08-11e5-95e2-d4c9eff07b77".into()),
            environment: Environment::Test,
            service: root(BREACH, "BreachRequest"),
            sender_code: None,
            recipient_code: None,
            oktmo: None,
        }
    );
}

/// Caller and personal signatures: the facts come from what the caller signed; this one has
/// no TestMessage.
#[test]
fn smev3_1_1_send_request_with_personal_signature() {
    let x = facts(
        &legacy(Profile::Smev3),
        &sample("smev3-1.1-SendRequestRequest-personal-signature-mr-sample.xml"),
    )
    .unwrap();
    assert_eq!(x.protocol, smev3("1.1"));
    assert_eq!(x.operation, Operation::SendRequest);
    assert_eq!(
        x.message_id.as_deref(),
        Some("76796044-5e83-11e4-a9ff-d4c9eff07b77")
    );
    assert_eq!(x.environment, Environment::Prod);
    assert_eq!(x.service, root(BREACH, "BreachRequest"));
}

/// GOST 2012 and two References to the one signed element; whitespace around the MessageID
/// is not part of it (there is none here, but indentation surrounds every child).
#[test]
fn smev3_1_2_send_request_gost2012() {
    let x = facts(
        &legacy(Profile::Smev3),
        &sample("smev3-1.2-SendRequestRequest-gost2012-256.xml"),
    )
    .unwrap();
    assert_eq!(
        x,
        Exchange {
            protocol: smev3("1.2"),
            operation: Operation::SendRequest,
            message_id: Some("e05ad7ac-a222-11e9-b898-480f5cc4a2bb".into()),
            environment: Environment::Test,
            service: root(
                "http://kvs.fri.com/extraction-invalid-data/1.0.3",
                "ExtractionInvalidDataRequest"
            ),
            sender_code: None,
            recipient_code: None,
            oktmo: None,
        }
    );
}

/// What SMEV delivers (a GetResponseResponse with the provider's and SMEV's signatures) is not
/// a call a participant makes: refused as an unsupported operation, before any fact is read.
#[test]
fn smev3_get_response_response_is_not_an_operation() {
    let err = facts(
        &legacy(Profile::Smev3),
        &sample("smev3-1.1-GetResponseResponse-fns-vipul-test-env.xml"),
    )
    .unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::UnsupportedOperation("GetResponseResponse".into())
    );
    assert_eq!(err.fault_code(), FaultCode::UnsupportedOperation);
}

#[test]
fn smev2_rev120315_request_mfc_to_esia() {
    let x = facts(
        &legacy(Profile::Smev2),
        &sample("smev2-rev120315-request-mfc-to-esia.xml"),
    )
    .unwrap();
    assert_eq!(
        x,
        Exchange {
            protocol: smev2("rev120315"),
            operation: Operation::Smev2("Register".into()),
            message_id: None,
            environment: Environment::Prod,
            service: mnemonic("ESIARegister", Some("1.00")),
            sender_code: Some("905801311".into()),
            recipient_code: Some("ESIA01001".into()),
            oktmo: None,
        }
    );
}

/// MR 2.4.x: `rev111111`, Body Id "1", smev:Message rebinding the default namespace, no
/// Service element.
#[test]
fn smev2_rev111111_request_kostroma_to_fns() {
    let x = facts(
        &legacy(Profile::Smev2),
        &sample("smev2-rev111111-request-kostroma-to-fns.xml"),
    )
    .unwrap();
    assert_eq!(
        x,
        Exchange {
            protocol: smev2("rev111111"),
            operation: Operation::Smev2("sendLicUL".into()),
            message_id: None,
            environment: Environment::Prod,
            service: None,
            sender_code: Some("192701441".into()),
            recipient_code: Some("AAAA01001".into()),
            oktmo: None,
        }
    );
}

/// Through federal SMEV and regional node 44: each node's signed smev:Header carries the same
/// MessageId, which is therefore reported; ServiceName names the service.
#[test]
fn smev2_response_via_two_nodes_has_the_signed_headers_message_id() {
    let x = facts(
        &legacy(Profile::Smev2),
        &sample("smev2-rev120315-response-fns-via-rsmev44-3sigs.xml"),
    )
    .unwrap();
    assert_eq!(
        x,
        Exchange {
            protocol: smev2("rev120315"),
            operation: Operation::Smev2("SendRequestRs".into()),
            message_id: Some("f506e3e4-5576-4806-b9da-45ffd5a9d8cc".into()),
            environment: Environment::Prod,
            service: mnemonic("FNSZDLWS", None),
            sender_code: Some("FNSR01001".into()),
            recipient_code: Some("192701441".into()),
            oktmo: None,
        }
    );
}

/// Profile `any` verifies every signature but gives none of them a role: nothing in these
/// messages is vouched for by the caller, so no fact is read.
#[test]
fn signatures_without_a_protocol_role_vouch_for_nothing() {
    for name in [
        "smev3-1.1-SendRequestRequest-mr-sample.xml",
        "smev3-1.2-SendRequestRequest-gost2012-256.xml",
        "smev2-rev120315-request-mfc-to-esia.xml",
        "smev2-rev111111-request-kostroma-to-fns.xml",
    ] {
        let err = facts(&legacy(Profile::Any), &sample(name)).unwrap_err();
        assert_eq!(err, EnvelopeError::Unsigned, "{name}");
        assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch);
    }
}

/// A node header nobody signed, with another MessageId, added to the two-node response: the
/// signature checks still pass (each covers its own header and the Body) and the reported id
/// is still the signed headers' one — the unsigned header neither replaces nor contradicts it.
#[test]
fn smev2_unsigned_node_header_is_ignored() {
    let text =
        String::from_utf8(sample("smev2-rev120315-response-fns-via-rsmev44-3sigs.xml")).unwrap();
    let forged = "<smev:Header xmlns:smev=\"http://smev.gosuslugi.ru/rev120315\" \
                  actor=\"http://smev.gosuslugi.ru/actors/recipient\"><smev:NodeId>44</smev:NodeId>\
                  <smev:MessageId>00000000-0000-0000-0000-000000000000</smev:MessageId>\
                  <smev:TimeStamp>2014-11-24T09:06:37+03:00</smev:TimeStamp>\
                  <smev:MessageClass>RESPONSE</smev:MessageClass></smev:Header>";
    let doc = insert_before(&text, "</S:Header>", forged);
    let x = facts(&legacy(Profile::Smev2), doc.as_bytes()).unwrap();
    assert_eq!(
        x.message_id.as_deref(),
        Some("f506e3e4-5576-4806-b9da-45ffd5a9d8cc")
    );
}
