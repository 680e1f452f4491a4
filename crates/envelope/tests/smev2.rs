//! SMEV 2 messages signed here with the test PKI (a WS-Security block with the participant's
//! actor over the Body), then read.

mod common;

use common::*;
use rsmev_envelope::{EnvelopeError, Environment, Exchange, Operation, Protocol, ServiceKey};
use rsmev_fault::FaultCode;
use rsmev_signature::{Profile, Role, SignOptions};

/// The SMEV 2 message of crates/signature/tests/gost_interop.rs.
const SMEV2: &str = include_str!("../../signature/tests/data/smev2-request-unsigned.xml");

const TEST_MSG: &str = "<rev:TestMsg>test</rev:TestMsg>";
const RECIPIENT_END: &str = "</rev:Recipient>";

fn read(unsigned: &str) -> Result<Exchange, EnvelopeError> {
    facts(
        &trusted(Profile::Smev2),
        sign(unsigned, Profile::Smev2).as_bytes(),
    )
}

fn prod() -> String {
    SMEV2.replace(TEST_MSG, "")
}

#[test]
fn signed_smev2_request() {
    let signed = sign(SMEV2, Profile::Smev2);
    let verified = trusted(Profile::Smev2).verify(signed.as_bytes()).unwrap();
    assert_eq!(
        verified.signatures()[0].role,
        Role::WsSecurity {
            actor: "http://smev.gosuslugi.ru/actors/smev".into()
        }
    );
    assert_eq!(
        rsmev_envelope::exchange(&verified).unwrap(),
        Exchange {
            protocol: Protocol::Smev2 {
                namespace: "http://smev.gosuslugi.ru/rev120315".into()
            },
            operation: Operation::Smev2("queryINNFL".into()),
            message_id: None,
            environment: Environment::Test,
            service: None,
            sender_code: Some("MFC440001".into()),
            recipient_code: Some("FNS001001".into()),
            oktmo: None,
            timestamp: Some("2026-12-01T10:00:00".into()),
            reference_message_id: None,
            to: None,
            request_id_ref: None,
            ack: None,
        }
    );
    assert_eq!(read(&prod()).unwrap().environment, Environment::Prod);
}

/// `TestMsg` with any content, even none, marks a test message.
#[test]
fn empty_test_msg_is_test() {
    let doc = SMEV2.replace(TEST_MSG, "<rev:TestMsg/>");
    assert_eq!(read(&doc).unwrap().environment, Environment::Test);
}

#[test]
fn service_oktmo() {
    let with = |elements: &str| insert_after(&prod(), RECIPIENT_END, elements);
    let x = read(&insert_before(
        &with(
            "<rev:Service><rev:Mnemonic>FNSINNFL</rev:Mnemonic><rev:Version>2.00</rev:Version>\
             </rev:Service>",
        ),
        "</rev:Message>",
        "<rev:OKTMO> 34701000 </rev:OKTMO>",
    ))
    .unwrap();
    assert_eq!(
        x.service,
        Some(ServiceKey::Smev2Mnemonic {
            mnemonic: "FNSINNFL".into(),
            version: Some("2.00".into())
        })
    );
    assert_eq!(x.oktmo.as_deref(), Some("34701000"));

    let x = read(&with("<rev:ServiceName>FNSINNFL</rev:ServiceName>")).unwrap();
    assert_eq!(
        x.service,
        Some(ServiceKey::Smev2Mnemonic {
            mnemonic: "FNSINNFL".into(),
            version: None
        })
    );
    assert_eq!(x.oktmo, None);

    let err = read(&with(
        "<rev:ServiceName>A</rev:ServiceName><rev:Service><rev:Mnemonic>B</rev:Mnemonic></rev:Service>",
    ))
    .unwrap_err();
    assert_eq!(err, EnvelopeError::Conflict("Service|ServiceName"));
    assert_eq!(err.fault_code(), FaultCode::MalformedMessage);

    let err = read(&with(
        "<rev:Service><rev:Version>1.00</rev:Version></rev:Service>",
    ))
    .unwrap_err();
    assert_eq!(err, EnvelopeError::Missing("Service/Mnemonic"));
}

/// Facts are the signed smev:Message's direct children in its own namespace: a TestMsg in the
/// AppData, one inside another element, a Code deeper than Sender/Code are not facts.
#[test]
fn facts_are_matched_by_namespace_and_depth() {
    let doc = prod()
        .replace(
            "<rev:ФИО>",
            "<rev:TestMsg>x</rev:TestMsg><rev:Sender><rev:Code>EVIL00001</rev:Code></rev:Sender><rev:ФИО>",
        )
        .replace(
            "<rev:TypeCode>GSRV</rev:TypeCode>",
            "<rev:TypeCode>GSRV<rev:TestMsg/></rev:TypeCode>",
        )
        .replace(
            "<rev:Code>MFC440001</rev:Code>",
            "<rev:Name><rev:Code>EVIL00002</rev:Code></rev:Name><rev:Code>MFC440001</rev:Code>",
        );
    let x = read(&doc).unwrap();
    assert_eq!(x.environment, Environment::Prod);
    assert_eq!(x.sender_code.as_deref(), Some("MFC440001"));
    // A child of smev:Message in another namespace (or another SMEV 2 revision) has no place
    // in the schema: refused, not skipped.
    let other = insert_after(
        &prod(),
        RECIPIENT_END,
        "<t:TestMsg xmlns:t=\"http://smev.gosuslugi.ru/rev111111\">x</t:TestMsg>",
    );
    let err = read(&other).unwrap_err();
    assert!(matches!(err, EnvelopeError::Schema { .. }), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SchemaViolation);
}

/// A node header nobody signed, added after signing, changes nothing: no message id appears.
/// A forged smev:Message in the Header has no place in the schema and is refused outright.
#[test]
fn unsigned_header_additions_are_ignored_or_refused() {
    let signed = sign(&prod(), Profile::Smev2);
    let header = "<rev:Header><rev:NodeId>00</rev:NodeId>\
                  <rev:MessageId>f506e3e4-5576-4806-b9da-45ffd5a9d8cc</rev:MessageId>\
                  <rev:TimeStamp>2026-12-01T10:00:00</rev:TimeStamp><rev:MessageClass>REQUEST</rev:MessageClass>\
                  </rev:Header>";
    let doc = insert_after(&signed, "<soapenv:Header>", header);
    let x = facts(&trusted(Profile::Smev2), doc.as_bytes()).unwrap();
    assert_eq!(x.environment, Environment::Prod);
    assert_eq!(x.sender_code.as_deref(), Some("MFC440001"));
    assert_eq!(x.message_id, None);
    let message = "<rev:Message><rev:Sender><rev:Code>EVIL00001</rev:Code></rev:Sender>\
                   <rev:TestMsg>test</rev:TestMsg></rev:Message>";
    let doc = insert_after(&signed, "<soapenv:Header>", message);
    let err = facts(&trusted(Profile::Smev2), doc.as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::Schema {
                container: "Header",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn missing_and_repeated() {
    let no_sender = prod().replace(
        "<rev:Sender><rev:Code>MFC440001</rev:Code><rev:Name>МФЦ Костромской области</rev:Name></rev:Sender>",
        "",
    );
    // The schema requires Sender first.
    let err = read(&no_sender).unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::Schema {
                container: "smev:Message",
                ..
            }
        ),
        "{err}"
    );
    let empty_sender = prod().replace(
        "<rev:Sender><rev:Code>MFC440001</rev:Code><rev:Name>МФЦ Костромской области</rev:Name></rev:Sender>",
        "<rev:Sender><rev:Name>МФЦ</rev:Name></rev:Sender>",
    );
    let err = read(&empty_sender).unwrap_err();
    assert_eq!(err, EnvelopeError::Missing("Sender/Code"));
    assert_eq!(err.fault_code(), FaultCode::MalformedMessage);

    let no_recipient_code = prod().replace("<rev:Code>FNS001001</rev:Code>", "");
    assert_eq!(
        read(&no_recipient_code).unwrap_err(),
        EnvelopeError::Missing("Recipient/Code")
    );

    let two_flags = SMEV2.replace(TEST_MSG, &format!("{TEST_MSG}{TEST_MSG}"));
    assert!(matches!(
        read(&two_flags).unwrap_err(),
        EnvelopeError::Schema {
            container: "smev:Message",
            ..
        }
    ));

    let two_codes = prod().replace(
        "<rev:Code>MFC440001</rev:Code>",
        "<rev:Code>MFC440001</rev:Code><rev:Code>EVIL00001</rev:Code>",
    );
    assert_eq!(
        read(&two_codes).unwrap_err(),
        EnvelopeError::Repeated {
            element: "Sender/Code"
        }
    );

    let message = &prod()[prod().find("<rev:Message>").unwrap()
        ..prod().find("</rev:Message>").unwrap() + "</rev:Message>".len()]
        .to_string();
    let two_messages = insert_after(&prod(), "</rev:Message>", message);
    assert_eq!(
        read(&two_messages).unwrap_err(),
        EnvelopeError::Repeated { element: "Message" }
    );
}

/// A SOAP Body whose element holds no smev:Message is not SMEV 2, signed or not.
#[test]
fn without_smev_message_it_is_not_smev() {
    let doc = prod()
        .replace("<rev:Message>", "<rev:Msg>")
        .replace("</rev:Message>", "</rev:Msg>");
    let err = read(&doc).unwrap_err();
    assert_eq!(err, EnvelopeError::NotSmev);
}

/// The whole message signed by a generic XMLDSig signature (profile `any`): it is no
/// participant's WS-Security signature, so nothing is vouched for — and the enveloped
/// signature, standing after the Body, has no place in the schema anyway.
#[test]
fn a_signature_in_no_smev_role_vouches_for_nothing() {
    let signer = signer(KEY);
    let cert = certificate(KEY);
    let signed = sign_with(SMEV2, SignOptions::new(Profile::Any, &signer, cert.der()));
    let err = facts(&trusted(Profile::Any), signed.as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            EnvelopeError::Schema {
                container: "Envelope",
                ..
            }
        ),
        "{err}"
    );
}
