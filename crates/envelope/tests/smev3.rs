//! SMEV 3 messages signed here with the test PKI (certs-test/), then read: each operation's
//! mapping, test vs production, and that nothing outside the caller's signed element — or
//! deeper inside it than the schema puts a fact — changes the exchange.

mod common;

use common::*;
use rsmev_envelope::{EnvelopeError, Environment, Operation, Protocol, ServiceKey, Smev3Version};
use rsmev_fault::FaultCode;
use rsmev_signature::{Profile, SigError, SignOptions};

const MESSAGE_ID: &str = "db0486d0-3c08-11e5-95e2-d4c9eff07b77";
const TEST_MESSAGE: &str = "<ns:TestMessage/>";
const SIGNED_END: &str = "</ns:SenderProvidedRequestData>";

fn prod_template() -> String {
    let t = send_request_template();
    assert!(t.contains(TEST_MESSAGE));
    t.replace(TEST_MESSAGE, "")
}

fn read(unsigned: &str) -> Result<rsmev_envelope::Exchange, EnvelopeError> {
    facts(
        &trusted(Profile::Smev3),
        sign(unsigned, Profile::Smev3).as_bytes(),
    )
}

/// A minimal SMEV 3 envelope of revision `version` around `body`; `ns:` is the types and `b:`
/// the basic namespace.
fn envelope(version: &str, body: &str) -> String {
    format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:ns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/{version}\" \
         xmlns:b=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/{version}\">\
         <soap:Header/><soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

fn breach() -> Option<ServiceKey> {
    Some(ServiceKey::Smev3Root {
        namespace: BREACH.into(),
        local: "BreachRequest".into(),
    })
}

#[test]
fn send_request_test_and_prod() {
    let test = read(&send_request_template()).unwrap();
    assert_eq!(
        test.protocol,
        Protocol::Smev3 {
            version: Smev3Version::V1_1
        }
    );
    assert_eq!(test.operation, Operation::SendRequest);
    assert_eq!(test.message_id.as_deref(), Some(MESSAGE_ID));
    assert_eq!(test.environment, Environment::Test);
    assert_eq!(test.service, breach());
    assert_eq!(
        (test.sender_code, test.recipient_code, test.oktmo),
        (None, None, None)
    );

    let prod = read(&prod_template()).unwrap();
    assert_eq!(prod.environment, Environment::Prod);
    assert_eq!(prod.message_id.as_deref(), Some(MESSAGE_ID));
    assert_eq!(prod.service, breach());
}

/// The attack the crate exists for: TestMessage and a forged MessageID added after signing,
/// outside `SenderProvidedRequestData` — as its sibling in the operation element and in the
/// SOAP header. The signature still verifies; the exchange stays production with the signed id.
#[test]
fn unsigned_test_message_outside_the_signed_element_is_ignored() {
    let signed = sign(&prod_template(), Profile::Smev3);
    let forged_id = "<ns:MessageID>00000000-0000-1000-8000-000000000000</ns:MessageID>";
    let doc = insert_after(&signed, SIGNED_END, &format!("{TEST_MESSAGE}{forged_id}"));
    let doc = doc.replace(
        "<soap:Header/>",
        &format!("<soap:Header>{TEST_MESSAGE}{forged_id}</soap:Header>"),
    );
    let x = facts(&trusted(Profile::Smev3), doc.as_bytes()).unwrap();
    assert_eq!(x.environment, Environment::Prod);
    assert_eq!(x.message_id.as_deref(), Some(MESSAGE_ID));

    // Inside the signed element the same addition breaks the digest: that case never reaches
    // this crate.
    let inside = insert_before(&signed, SIGNED_END, TEST_MESSAGE);
    let err = trusted(Profile::Smev3)
        .verify(inside.as_bytes())
        .unwrap_err();
    assert!(matches!(err, SigError::DigestMismatch { .. }), "{err}");
}

/// Only a direct child in the types namespace is the flag: a business schema's own
/// `TestMessage`, one nested in the content, and one whose `ns` prefix is rebound to another
/// namespace are all signed and all ignored.
#[test]
fn test_message_is_matched_by_namespace_and_depth() {
    let doc = prod_template()
        .replace(
            "<req:RegNum>",
            "<req:TestMessage/><ns:TestMessage/><req:RegNum>",
        )
        .replace(
            SIGNED_END,
            &format!(
                "<ns:TestMessage xmlns:ns=\"urn://business\"/>\
                 <x:TestMessage xmlns:x=\"urn://other\"/>{SIGNED_END}"
            ),
        );
    let x = read(&doc).unwrap();
    assert_eq!(x.environment, Environment::Prod);
    assert_eq!(x.message_id.as_deref(), Some(MESSAGE_ID));
    assert_eq!(x.service, breach());
}

/// The types namespace under another prefix, and the basic one as the default namespace:
/// the facts are the same.
#[test]
fn prefixes_do_not_matter() {
    let doc = send_request_template()
        .replace("<ns:", "<m:")
        .replace("</ns:", "</m:")
        .replace("xmlns:ns=", "xmlns:m=")
        .replace("ns2:MessagePrimaryContent", "MessagePrimaryContent")
        .replace(
            "<MessagePrimaryContent>",
            "<MessagePrimaryContent xmlns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1\">",
        );
    assert!(doc.contains("<m:TestMessage/>"), "{doc}");
    let x = read(&doc).unwrap();
    assert_eq!(x.environment, Environment::Test);
    assert_eq!(x.message_id.as_deref(), Some(MESSAGE_ID));
    assert_eq!(x.service, breach());
}

#[test]
fn repeated_facts_in_the_signed_element() {
    let two_ids = insert_before(
        &prod_template(),
        "<ns2:MessagePrimaryContent>",
        "<ns:MessageID>db0486d0-3c08-11e5-95e2-d4c9eff07b78</ns:MessageID>",
    );
    let err = read(&two_ids).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::Repeated {
            element: "MessageID"
        }
    );
    assert_eq!(err.fault_code(), FaultCode::MalformedMessage);

    let two_flags =
        send_request_template().replace(TEST_MESSAGE, &format!("{TEST_MESSAGE}{TEST_MESSAGE}"));
    assert_eq!(
        read(&two_flags).unwrap_err(),
        EnvelopeError::Repeated {
            element: "TestMessage"
        }
    );

    let two_roots = prod_template().replace(
        "</ns2:MessagePrimaryContent>",
        "<req:BreachRequest xmlns:req=\"urn://other\"/></ns2:MessagePrimaryContent>",
    );
    assert_eq!(
        read(&two_roots).unwrap_err(),
        EnvelopeError::Repeated {
            element: "MessagePrimaryContent/*"
        }
    );
}

#[test]
fn missing_facts() {
    let t = prod_template();
    let id = format!("<ns:MessageID>{MESSAGE_ID}</ns:MessageID>");
    let mpc_start = t.find("<ns2:MessagePrimaryContent>").unwrap();
    let mpc_end =
        t.find("</ns2:MessagePrimaryContent>").unwrap() + "</ns2:MessagePrimaryContent>".len();
    for (doc, missing) in [
        (t.replace(&id, ""), "MessageID"),
        (
            t.replace(&id, "<ns:MessageID> \n </ns:MessageID>"),
            "MessageID",
        ),
        (
            format!("{}{}", &t[..mpc_start], &t[mpc_end..]),
            "MessagePrimaryContent",
        ),
        (
            format!(
                "{}<ns2:MessagePrimaryContent> </ns2:MessagePrimaryContent>{}",
                &t[..mpc_start],
                &t[mpc_end..]
            ),
            "MessagePrimaryContent/*",
        ),
    ] {
        let err = read(&doc).unwrap_err();
        assert_eq!(err, EnvelopeError::Missing(missing), "{doc}");
        assert_eq!(err.fault_code(), FaultCode::MalformedMessage);
    }
}

/// Whitespace around a MessageID is not part of it.
#[test]
fn message_id_is_trimmed() {
    let doc = prod_template().replace(
        &format!(">{MESSAGE_ID}<"),
        &format!(">\n   {MESSAGE_ID}\t<"),
    );
    assert_eq!(read(&doc).unwrap().message_id.as_deref(), Some(MESSAGE_ID));
}

/// Every request element of the WSDL, signed where its Caller signature goes.
#[test]
fn each_operation() {
    let selector = |names: &str| {
        format!(
            "<b:MessageTypeSelector Id=\"SIGNED_BY_CALLER\">{names}\
             <b:Timestamp>2026-12-01T10:00:00+03:00</b:Timestamp></b:MessageTypeSelector>"
        )
    };
    let named = format!(
        "<b:NamespaceURI> {BREACH} </b:NamespaceURI>\
         <b:RootElementLocalName>BreachRequest</b:RootElementLocalName>"
    );
    let timestamp = "<b:Timestamp Id=\"SIGNED_BY_CALLER\">2026-12-01T10:00:00+03:00</b:Timestamp>";
    let ack = format!(
        "<b:AckTargetMessage Id=\"SIGNED_BY_CALLER\" accepted=\"true\">{MESSAGE_ID}</b:AckTargetMessage>"
    );
    let content = format!(
        "<b:MessagePrimaryContent><r:BreachResponse xmlns:r=\"{BREACH}\"><r:Result>ok</r:Result>\
         </r:BreachResponse></b:MessagePrimaryContent>"
    );
    let response = |rest: &str| {
        format!(
            "<ns:SenderProvidedResponseData Id=\"SIGNED_BY_PROVIDER\">\
             <ns:MessageID>{MESSAGE_ID}</ns:MessageID><ns:To>eyJzaWQiOjE2NjAyNX0=</ns:To>{rest}\
             </ns:SenderProvidedResponseData>"
        )
    };
    let rejected = "<ns:RequestRejected><ns:RejectionReasonCode>NO_DATA</ns:RejectionReasonCode>\
                    <ns:RejectionReasonDescription>нет сведений</ns:RejectionReasonDescription>\
                    </ns:RequestRejected>";
    let breach_response = Some(ServiceKey::Smev3Root {
        namespace: BREACH.into(),
        local: "BreachResponse".into(),
    });
    let check = |version: &str,
                 element: &str,
                 inner: &str,
                 operation: Operation,
                 message_id: Option<&str>,
                 service: Option<ServiceKey>| {
        let doc = envelope(version, &format!("<ns:{element}>{inner}</ns:{element}>"));
        let x = read(&doc).unwrap_or_else(|e| panic!("{version} {element}: {e}"));
        assert_eq!(
            x.protocol,
            Protocol::Smev3 {
                version: Smev3Version::parse(version).unwrap()
            },
            "{element}"
        );
        assert_eq!(x.operation, operation, "{version} {element}");
        assert_eq!(x.message_id.as_deref(), message_id, "{version} {element}");
        assert_eq!(x.service, service, "{version} {element}");
        assert_eq!(x.environment, Environment::Prod, "{version} {element}");
    };
    check(
        "1.2",
        "GetRequestRequest",
        &selector(&named),
        Operation::GetRequest,
        None,
        breach(),
    );
    check(
        "1.3",
        "GetRequestRequest",
        &selector(""),
        Operation::GetRequest,
        None,
        None,
    );
    check(
        "1.1",
        "GetResponseRequest",
        &selector(&named),
        Operation::GetResponse,
        None,
        breach(),
    );
    check(
        "1.2",
        "GetResponseRequest",
        &selector(""),
        Operation::GetResponse,
        None,
        None,
    );
    check("1.2", "AckRequest", &ack, Operation::Ack, None, None);
    check(
        "1.3",
        "GetStatusRequest",
        timestamp,
        Operation::GetStatus,
        None,
        None,
    );
    check(
        "1.2",
        "GetIncomingQueueStatisticsRequest",
        timestamp,
        Operation::GetIncomingQueueStatistics,
        None,
        None,
    );
    check(
        "1.2",
        "SendResponseRequest",
        &response(&content),
        Operation::SendResponse,
        Some(MESSAGE_ID),
        breach_response,
    );
    check(
        "1.1",
        "SendResponseRequest",
        &response(rejected),
        Operation::SendResponse,
        Some(MESSAGE_ID),
        None,
    );
}

/// The selector's NamespaceURI and RootElementLocalName come as a pair.
#[test]
fn half_a_selector_is_missing_the_other_half() {
    for (names, missing) in [
        (
            format!("<b:NamespaceURI>{BREACH}</b:NamespaceURI>"),
            "RootElementLocalName",
        ),
        (
            "<b:RootElementLocalName>BreachRequest</b:RootElementLocalName>".to_string(),
            "NamespaceURI",
        ),
    ] {
        let doc = envelope(
            "1.2",
            &format!(
                "<ns:GetRequestRequest><b:MessageTypeSelector Id=\"S\">{names}\
                 <b:Timestamp>2026-12-01T10:00:00+03:00</b:Timestamp></b:MessageTypeSelector>\
                 </ns:GetRequestRequest>"
            ),
        );
        assert_eq!(read(&doc).unwrap_err(), EnvelopeError::Missing(missing));
    }
}

/// A signed TestMessage in a response is honoured even though the 1.x XSDs give
/// SenderProvidedResponseData none: it can only narrow where the message may go.
#[test]
fn send_response_with_a_signed_test_message() {
    let doc = envelope(
        "1.1",
        &format!(
            "<ns:SendResponseRequest><ns:SenderProvidedResponseData Id=\"P\">\
             <ns:MessageID>{MESSAGE_ID}</ns:MessageID><ns:To>x</ns:To>\
             <ns:RequestStatus><ns:StatusCode>1</ns:StatusCode>\
             <ns:StatusDescription>в работе</ns:StatusDescription></ns:RequestStatus>\
             <ns:TestMessage/></ns:SenderProvidedResponseData></ns:SendResponseRequest>"
        ),
    );
    let x = read(&doc).unwrap();
    assert_eq!(x.environment, Environment::Test);
    assert_eq!(x.service, None);
}

#[test]
fn unsupported_operations() {
    let timestamp = "<b:Timestamp Id=\"T\">2026-12-01T10:00:00+03:00</b:Timestamp>";
    for (version, element) in [
        // 1.3 dropped it.
        ("1.3", "GetIncomingQueueStatisticsRequest"),
        // Early 1.1 only.
        ("1.1", "CancelRequest"),
        // What SMEV answers, not what a participant calls.
        ("1.2", "GetStatusResponse"),
    ] {
        let doc = envelope(
            version,
            &format!("<ns:{element}>{timestamp}</ns:{element}>"),
        );
        let err = read(&doc).unwrap_err();
        assert_eq!(err, EnvelopeError::UnsupportedOperation(element.into()));
        assert_eq!(err.fault_code(), FaultCode::UnsupportedOperation);
    }
}

/// A revision this crate does not know is not guessed at.
#[test]
fn unknown_revision_is_not_smev() {
    let doc = envelope(
        "1.4",
        "<ns:GetStatusRequest><b:Timestamp Id=\"T\">2026-12-01T10:00:00+03:00</b:Timestamp>\
         </ns:GetStatusRequest>",
    );
    let err = read(&doc).unwrap_err();
    assert_eq!(err, EnvelopeError::NotSmev);
    assert_eq!(err.fault_code(), FaultCode::MalformedMessage);
}

/// The caller signed a MessageTypeSelector placed in a SendRequestRequest (a slot the profile
/// accepts): that signature vouches for the selector, not for the request data beside it.
#[test]
fn a_signature_over_another_element_does_not_vouch_for_the_request_data() {
    let doc = prod_template()
        .replace(" Id=\"SIGNED_BY_CONSUMER\"", "")
        .replace(
            "<ns:SenderProvidedRequestData>",
            "<ns2:MessageTypeSelector Id=\"SEL\"><ns2:Timestamp>2026-12-01T10:00:00+03:00\
             </ns2:Timestamp></ns2:MessageTypeSelector><ns:SenderProvidedRequestData>",
        );
    let signed = sign(&doc, Profile::Smev3);
    assert!(signed.contains("URI=\"#SEL\""), "{signed}");
    let err = facts(&trusted(Profile::Smev3), signed.as_bytes()).unwrap_err();
    assert_eq!(err, EnvelopeError::Unsigned);
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch);
}

/// A second, unsigned SenderProvidedRequestData beside the signed one: whoever reads the
/// envelope next might take it, so the message is refused.
#[test]
fn a_second_request_data_is_refused() {
    let signed = sign(&prod_template(), Profile::Smev3);
    let start = signed.find("<ns:SenderProvidedRequestData").unwrap();
    let end = signed.find(SIGNED_END).unwrap() + SIGNED_END.len();
    let copy = signed[start..end]
        .replace("SIGNED_BY_CONSUMER", "COPY")
        .replace("PERSONAL_SIGNATURE", "COPY_CONTENT")
        .replace(
            "<ns2:MessagePrimaryContent>",
            "<ns:TestMessage/><ns2:MessagePrimaryContent>",
        );
    let doc = insert_after(&signed, SIGNED_END, &copy);
    let err = facts(&trusted(Profile::Smev3), doc.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::Repeated {
            element: "SenderProvidedRequestData"
        }
    );
}

#[test]
fn a_second_body_element_is_refused() {
    let signed = sign(&prod_template(), Profile::Smev3);
    let doc = insert_before(
        &signed,
        "</soap:Body>",
        "<x:SendRequestRequest xmlns:x=\"urn://other\"/>",
    );
    let err = facts(&trusted(Profile::Smev3), doc.as_bytes()).unwrap_err();
    assert_eq!(
        err,
        EnvelopeError::ExtraBodyElement("SendRequestRequest".into())
    );
    assert_eq!(err.fault_code(), FaultCode::MalformedMessage);
}

/// Signed documents that are not SMEV envelopes (profile `any` verifies them).
#[test]
fn not_smev() {
    let any = |doc: &str| {
        let signer = signer(KEY);
        let cert = certificate(KEY);
        let signed = sign_with(doc, SignOptions::new(Profile::Any, &signer, cert.der()));
        facts(&legacy(Profile::Any), signed.as_bytes())
    };
    for doc in [
        "<doc xmlns=\"urn://x\"><a>1</a></doc>",
        // SOAP, but the Body's element is neither SMEV 3 nor holds smev:Message.
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
         <x:op xmlns:x=\"urn://x\"><x:Message/></x:op></s:Body></s:Envelope>",
        // SOAP without a Body.
        "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header/></s:Envelope>",
        // An element named Envelope in another namespace.
        "<s:Envelope xmlns:s=\"urn://not-soap\"><s:Body/></s:Envelope>",
    ] {
        let err = any(doc).unwrap_err();
        assert_eq!(err, EnvelopeError::NotSmev, "{doc}");
        assert_eq!(err.fault_code(), FaultCode::MalformedMessage);
    }
}

/// The text is read under the limits given; a limit breached there is the XML error it is,
/// with its own fault code.
#[test]
fn limits_apply_to_the_read() {
    let signed = sign(&send_request_template(), Profile::Smev3);
    let verified = trusted(Profile::Smev3).verify(signed.as_bytes()).unwrap();
    let limits = rsmev_xml::Limits {
        max_depth: 4,
        ..rsmev_xml::Limits::default()
    };
    let err = rsmev_envelope::exchange_with_limits(&verified, &limits).unwrap_err();
    let EnvelopeError::Xml(xml) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(err.fault_code(), xml.fault_code());
    let x = rsmev_envelope::exchange_with_limits(&verified, &rsmev_xml::Limits::default()).unwrap();
    assert_eq!(x, rsmev_envelope::exchange(&verified).unwrap());
}
