//! The origin slot: who sent a message is decided by the one signature the profile puts in the
//! origin slot, and a signature anywhere the message-exchange schemas give none is refused.
//! Messages are built here for every SMEV 3 operation and signed with certs-test keys — the
//! participants' calls as a participant, SMEV's answers as SMEV would (a certs-test key stands
//! in for SMEV's) —, then grafted the way an attacker would.

mod common;

use common::*;
use rsmev_fault::FaultCode;
use rsmev_signature::ns::{ACTOR_RECIPIENT, ACTOR_SMEV};
use rsmev_signature::{
    NodeSignOptions, Profile, Role, SigError, Smev2MessageClass, Trust, Verified, Verifier,
    sign_smev2_node,
};

const MSG_ID: &str = "db0486d0-3c08-11e5-95e2-d4c9eff07b77";
const TS: &str = "2026-12-01T10:00:00.000+03:00";

fn verifier() -> Verifier {
    Verifier::new(Profile::Smev3, Trust::Store(trust("trust-gost")))
}

fn request_data(id: &str) -> String {
    format!(
        "<ns:SenderProvidedRequestData Id=\"{id}\"><ns:MessageID>{MSG_ID}</ns:MessageID>\
         <b:MessagePrimaryContent><x:Query xmlns:x=\"urn:x-test\" Id=\"PC\"><x:RegNum>А123ВС77\
         </x:RegNum></x:Query></b:MessagePrimaryContent></ns:SenderProvidedRequestData>"
    )
}

fn response_data(id: &str) -> String {
    format!(
        "<ns:SenderProvidedResponseData Id=\"{id}\"><ns:MessageID>{MSG_ID}</ns:MessageID>\
         <ns:To>eyJzaWQiOjF9</ns:To><b:MessagePrimaryContent><x:Answer xmlns:x=\"urn:x-test\" \
         Id=\"PC\">ok</x:Answer></b:MessagePrimaryContent></ns:SenderProvidedResponseData>"
    )
}

fn metadata(id: &str) -> String {
    format!(
        "<ns:MessageMetadata Id=\"{id}\"><ns:MessageId>{MSG_ID}</ns:MessageId><ns:MessageType>\
         REQUEST</ns:MessageType><ns:Sender><ns:Mnemonic>MFC</ns:Mnemonic><ns:HumanReadableName>\
         МФЦ</ns:HumanReadableName></ns:Sender><ns:SendingTimestamp>{TS}</ns:SendingTimestamp>\
         <ns:DestinationName>unknown</ns:DestinationName><ns:SupplementaryData>\
         <ns:InteractionType>NotDetected</ns:InteractionType></ns:SupplementaryData>\
         </ns:MessageMetadata>"
    )
}

/// Every participant operation with its carrier: (operation, body, version).
fn calls() -> Vec<(&'static str, String, &'static str)> {
    let selector = format!(
        "<b:MessageTypeSelector Id=\"SEL\"><b:Timestamp>{TS}</b:Timestamp></b:MessageTypeSelector>"
    );
    let timestamp = format!("<b:Timestamp Id=\"TS\">{TS}</b:Timestamp>");
    let mut out = Vec::new();
    for v in ["1.1", "1.2", "1.3"] {
        out.push((
            "SendRequestRequest",
            format!(
                "<ns:SendRequestRequest>{}</ns:SendRequestRequest>",
                request_data("SIGNED_BY_CONSUMER")
            ),
            v,
        ));
        out.push((
            "SendResponseRequest",
            format!(
                "<ns:SendResponseRequest>{}</ns:SendResponseRequest>",
                response_data("SIGNED_BY_PROVIDER")
            ),
            v,
        ));
        for op in ["GetRequestRequest", "GetResponseRequest"] {
            out.push((op, format!("<ns:{op}>{selector}</ns:{op}>"), v));
        }
        out.push((
            "AckRequest",
            format!("<ns:AckRequest><b:AckTargetMessage Id=\"ACK\" accepted=\"true\">{MSG_ID}</b:AckTargetMessage></ns:AckRequest>"),
            v,
        ));
        out.push((
            "GetStatusRequest",
            format!("<ns:GetStatusRequest>{timestamp}</ns:GetStatusRequest>"),
            v,
        ));
    }
    for v in ["1.1", "1.2"] {
        out.push((
            "GetIncomingQueueStatisticsRequest",
            format!("<ns:GetIncomingQueueStatisticsRequest>{timestamp}</ns:GetIncomingQueueStatisticsRequest>"),
            v,
        ));
    }
    out
}

/// SMEV's answers: (operation, body, the element SMEV signs).
fn answers() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "SendRequestResponse",
            format!(
                "<ns:SendRequestResponse>{}</ns:SendRequestResponse>",
                metadata("SIGNED_BY_SMEV")
            ),
            "MessageMetadata",
        ),
        (
            "SendResponseResponse",
            format!(
                "<ns:SendResponseResponse>{}</ns:SendResponseResponse>",
                metadata("SIGNED_BY_SMEV")
            ),
            "MessageMetadata",
        ),
        (
            "GetRequestResponse",
            format!(
                "<ns:GetRequestResponse><ns:RequestMessage><ns:Request Id=\"SIGNED_BY_SMEV\">{}{}\
                 <ns:ReplyTo>eyJzaWQiOjF9</ns:ReplyTo></ns:Request></ns:RequestMessage>\
                 </ns:GetRequestResponse>",
                request_data("SIGNED_BY_CONSUMER"),
                metadata("MD")
            ),
            "Request",
        ),
        (
            "GetRequestResponse",
            format!(
                "<ns:GetRequestResponse><ns:RequestMessage><ns:Cancel Id=\"SIGNED_BY_SMEV\">\
                 <b:MessageReference>{MSG_ID}</b:MessageReference><ns:MessageID>{MSG_ID}\
                 </ns:MessageID>{}</ns:Cancel></ns:RequestMessage></ns:GetRequestResponse>",
                metadata("MD")
            ),
            "Cancel",
        ),
        (
            "GetResponseResponse",
            format!(
                "<ns:GetResponseResponse><ns:ResponseMessage><ns:Response Id=\"SIGNED_BY_SMEV\">\
                 <ns:OriginalMessageId>{MSG_ID}</ns:OriginalMessageId>{}{}</ns:Response>\
                 </ns:ResponseMessage></ns:GetResponseResponse>",
                response_data("SIGNED_BY_CALLER"),
                metadata("MD")
            ),
            "Response",
        ),
        (
            "GetStatusResponse",
            format!(
                "<ns:GetStatusResponse><ns:SmevAsyncProcessingMessage><ns:AsyncProcessingStatusData \
                 Id=\"SIGNED_BY_SMEV\"><ns:AsyncProcessingStatus><ns:OriginalMessageId>{MSG_ID}\
                 </ns:OriginalMessageId><ns:StatusCategory>requestIsQueued</ns:StatusCategory>\
                 </ns:AsyncProcessingStatus></ns:AsyncProcessingStatusData>\
                 </ns:SmevAsyncProcessingMessage></ns:GetStatusResponse>"
            ),
            "AsyncProcessingStatusData",
        ),
    ]
}

fn origin<T>(v: &Verified<T>) -> &rsmev_signature::VerifiedSignature {
    v.origin().expect("the SMEV profiles name an origin")
}

/// A SMEV-signed GetRequestResponse: the pair (Request + SMEVSignature) every participant
/// receives, which an attacker may keep and graft.
fn smev_get_request_response() -> String {
    let (_, body, _) = answers().swap_remove(2);
    sign_as(
        "operator-gost256",
        Profile::Smev3,
        &smev3_envelope("1.2", &body),
    )
}

/// A participant's own request, with Ids of its own (a graft must not collide with them).
fn participant_request(v: &str) -> String {
    smev3_envelope(
        v,
        &format!(
            "<ns:SendRequestRequest>{}</ns:SendRequestRequest>",
            request_data("OWN").replace("Id=\"PC\"", "Id=\"OWN_PC\"")
        ),
    )
}

fn refuse(doc: &str) -> SigError {
    verifier()
        .verify(doc.as_bytes())
        .expect_err("must be refused")
}

fn assert_violation(err: &SigError, what: &str) {
    assert!(
        matches!(err, SigError::ProfileViolation(_)),
        "{what}: {err}"
    );
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch, "{what}");
}

#[test]
fn every_participant_call_has_the_caller_as_origin() {
    for (op, body, v) in calls() {
        let signed = sign_as(
            "participant-gost256",
            Profile::Smev3,
            &smev3_envelope(v, &body),
        );
        let verified = verifier()
            .verify(signed.as_bytes())
            .unwrap_or_else(|e| panic!("{op} {v}: {e}"));
        let o = origin(&verified);
        assert_eq!(o.role, Role::CallerInformationSystem, "{op} {v}");
        assert!(o.origin);
        assert_eq!(verified.signatures().len(), 1);
        // Exactly the operation's own carrier is signed.
        let carrier = match op {
            "SendRequestRequest" => "SenderProvidedRequestData",
            "SendResponseRequest" => "SenderProvidedResponseData",
            "GetRequestRequest" | "GetResponseRequest" => "MessageTypeSelector",
            "AckRequest" => "AckTargetMessage",
            _ => "Timestamp",
        };
        assert_eq!(o.signed.len(), 1);
        assert_eq!(o.signed[0].local, carrier, "{op} {v}");
        // The report marks the same signature.
        let report = verifier().check(signed.as_bytes()).unwrap();
        assert!(
            report
                .origin()
                .is_some_and(|s| s.role == Role::CallerInformationSystem)
        );
    }
}

#[test]
fn every_smev_answer_has_smev_as_origin() {
    for v in ["1.1", "1.2", "1.3"] {
        for (op, body, signed_local) in answers() {
            let signed = sign_as(
                "operator-gost256",
                Profile::Smev3,
                &smev3_envelope(v, &body),
            );
            assert!(signed.contains("<SMEVSignature xmlns="), "{op}: {signed}");
            let verified = verifier()
                .verify(signed.as_bytes())
                .unwrap_or_else(|e| panic!("{op} {v}: {e}\n{signed}"));
            let o = origin(&verified);
            assert_eq!(o.role, Role::Smev, "{op}");
            assert_eq!(o.signed[0].local, signed_local, "{op}");
        }
    }
}

/// The real GetResponseResponse from the SMEV 3 test environment: SMEV's signature over the
/// Response is the origin; the provider's signature inside is verified but says nothing about
/// who sent the message.
#[test]
fn a_real_smev_answer_verifies_with_smev_as_origin() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../c14n/tests/data/samples/smev3-1.1-GetResponseResponse-fns-vipul-test-env.xml"
    ))
    .unwrap();
    let v = Verifier::new(Profile::Smev3, Trust::EmbeddedOnly)
        .allow_legacy(true)
        .verify(&bytes)
        .unwrap();
    let roles: Vec<(Role, bool)> = v
        .signatures()
        .iter()
        .map(|s| (s.role.clone(), s.origin))
        .collect();
    assert_eq!(
        roles,
        [(Role::SenderInformationSystem, false), (Role::Smev, true)]
    );
    assert_eq!(origin(&v).signed[0].local, "Response");
}

/// An empty queue: SMEV's answer carries nothing to sign and no signature.
#[test]
fn an_empty_answer_has_no_signature() {
    for body in [
        "<ns:GetResponseResponse/>",
        "<ns:GetRequestResponse></ns:GetRequestResponse>",
    ] {
        let err = refuse(&smev3_envelope("1.2", body));
        assert!(matches!(err, SigError::NoSignature(_)), "{err}");
        assert_eq!(err.fault_code(), FaultCode::SignatureNotFound);
    }
}

/// The signatures nested in what SMEV delivers (the sender's, a personal one) are verified but
/// never the origin; without SMEV's own signature the message has none.
#[test]
fn nested_signatures_are_never_the_origin() {
    let (_, body, _) = answers().swap_remove(4);
    let doc = smev3_envelope("1.2", &body);
    // The provider's signature inside the Response, in the SenderInformationSystemSignature
    // slot, over the sibling SenderProvidedResponseData; then SMEV's over the Response.
    let sprd = element(
        &doc,
        "<ns:SenderProvidedResponseData",
        "</ns:SenderProvidedResponseData>",
    );
    let (t, b) = smev3_ns("1.2");
    let decls = format!("xmlns:ns=\"{t}\" xmlns:b=\"{b}\"");
    let provider = detached("participant-gost256", sprd, &decls, "SIGNED_BY_CALLER");
    let doc = doc.replace(
        "</ns:MessageMetadata></ns:Response>",
        &format!(
            "</ns:MessageMetadata><ns:SenderInformationSystemSignature>{provider}\
             </ns:SenderInformationSystemSignature></ns:Response>"
        ),
    );
    // Without SMEV's signature: no origin, no message.
    let err = refuse(&doc);
    assert!(
        matches!(&err, SigError::NoSignature(why) if why.contains("SMEVSignature")),
        "{err}"
    );
    let signed = sign_as("operator-gost256", Profile::Smev3, &doc);
    let v = verifier().verify(signed.as_bytes()).unwrap();
    let roles: Vec<(Role, bool)> = v
        .signatures()
        .iter()
        .map(|s| (s.role.clone(), s.origin))
        .collect();
    assert_eq!(
        roles,
        [(Role::SenderInformationSystem, false), (Role::Smev, true)]
    );
}

/// A personal signature over the element directly under its MessagePrimaryContent verifies;
/// one over the MessagePrimaryContent itself, or deeper, does not.
#[test]
fn personal_signatures_sign_the_business_root() {
    let doc = participant_request("1.2");
    let pc = element(&doc, "<x:Query", "</x:Query>");
    let personal = detached("participant-gost256", pc, "", "OWN_PC");
    let with = |sig: &str| {
        doc.replace(
            "</b:MessagePrimaryContent></ns:SenderProvidedRequestData>",
            &format!(
                "</b:MessagePrimaryContent><ns:PersonalSignature>{sig}</ns:PersonalSignature>\
                 </ns:SenderProvidedRequestData>"
            ),
        )
    };
    let signed = sign_as("participant-gost256", Profile::Smev3, &with(&personal));
    let v = verifier().verify(signed.as_bytes()).unwrap();
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

    // Over the MessagePrimaryContent itself.
    let doc2 = doc.replace(
        "<b:MessagePrimaryContent>",
        "<b:MessagePrimaryContent Id=\"MPC\">",
    );
    let mpc = element(
        &doc2,
        "<b:MessagePrimaryContent",
        "</b:MessagePrimaryContent>",
    );
    let (_, b) = smev3_ns("1.2");
    let over_mpc = detached(
        "participant-gost256",
        mpc,
        &format!("xmlns:b=\"{b}\""),
        "MPC",
    );
    let doc2 = doc2.replace(
        "</b:MessagePrimaryContent></ns:SenderProvidedRequestData>",
        &format!(
            "</b:MessagePrimaryContent><ns:PersonalSignature>{over_mpc}</ns:PersonalSignature>\
             </ns:SenderProvidedRequestData>"
        ),
    );
    let signed = sign_as("participant-gost256", Profile::Smev3, &doc2);
    let err = refuse(&signed);
    assert!(matches!(err, SigError::WrongSignedElement(_)), "{err}");
}

/// The graft of issue 9: a participant's own SendRequestRequest carrying a genuine
/// Request + SMEVSignature pair from a GetRequestResponse SMEV sent it, in every placement.
/// Each is refused before anything of it is trusted; none makes SMEV the origin.
#[test]
fn grafted_smev_signatures_are_refused_in_every_placement() {
    let genuine = smev_get_request_response();
    // The pair is genuine: it verifies where SMEV put it.
    let v = verifier().verify(genuine.as_bytes()).unwrap();
    assert_eq!(origin(&v).role, Role::Smev);
    let pair = format!(
        "{}{}",
        element(&genuine, "<ns:Request ", "</ns:Request>"),
        element(&genuine, "<SMEVSignature", "</SMEVSignature>")
    );
    let request = participant_request("1.2");
    let op_end = "</ns:SendRequestRequest>";
    let placements: Vec<(&str, String, bool)> = vec![
        // (what, unsigned document, the attacker signs after grafting)
        ("directly under the operation", request.replace(op_end, &format!("{pair}{op_end}")), true),
        (
            "in a RequestMessage wrapper under the operation",
            request.replace(op_end, &format!("<ns:RequestMessage>{pair}</ns:RequestMessage>{op_end}")),
            true,
        ),
        (
            "in a whole GetRequestResponse under the operation",
            request.replace(
                op_end,
                &format!("<ns:GetRequestResponse><ns:RequestMessage>{pair}</ns:RequestMessage></ns:GetRequestResponse>{op_end}"),
            ),
            true,
        ),
        (
            "in the SOAP header",
            request.replace(
                "<soap:Header/>",
                &format!("<soap:Header><ns:GetRequestResponse><ns:RequestMessage>{pair}</ns:RequestMessage></ns:GetRequestResponse></soap:Header>"),
            ),
            true,
        ),
        (
            "inside the signed business content",
            request.replace("</x:Query>", &format!("{pair}</x:Query>")),
            true,
        ),
        (
            "as a second operation in the Body",
            request.replace(
                "</soap:Body>",
                &format!("<ns:GetRequestResponse><ns:RequestMessage>{pair}</ns:RequestMessage></ns:GetRequestResponse></soap:Body>"),
            ),
            true,
        ),
        (
            "after the caller's signature",
            String::new(),
            false,
        ),
    ];
    for (what, doc, sign_after) in placements {
        let doc = if sign_after {
            sign_as("participant-gost256", Profile::Smev3, &doc)
        } else {
            // The participant signs first and appends the pair after its own signature.
            sign_as("participant-gost256", Profile::Smev3, &request)
                .replace(op_end, &format!("{pair}{op_end}"))
        };
        let err = refuse(&doc);
        assert_violation(&err, what);
        // A report refuses the message as a whole too.
        let err = verifier().check(doc.as_bytes()).unwrap_err();
        assert_violation(&err, what);
    }
}

/// Signatures where the schemas give none, or twice where they give one.
#[test]
fn signatures_out_of_their_slots_are_refused() {
    let request = participant_request("1.2");
    let signed = sign_as("participant-gost256", Profile::Smev3, &request);
    let caller = element(
        &signed,
        "<CallerInformationSystemSignature",
        "</CallerInformationSystemSignature>",
    );
    let sig = element(&signed, "<ds:Signature", "</ds:Signature>");
    let op_end = "</ns:SendRequestRequest>";
    let cases = [
        ("a second CallerInformationSystemSignature", signed.replace(op_end, &format!("{caller}{op_end}"))),
        ("two signatures in one slot", signed.replace("</ds:Signature>", &format!("</ds:Signature>{sig}"))),
        (
            "an SMEVSignature in a SendRequestRequest",
            signed.replace(op_end, &format!("<ns:SMEVSignature>{sig}</ns:SMEVSignature>{op_end}")),
        ),
        (
            "a SenderInformationSystemSignature in a wrapper",
            signed.replace(
                op_end,
                &format!("<ns:Request><ns:SenderInformationSystemSignature>{sig}</ns:SenderInformationSystemSignature></ns:Request>{op_end}"),
            ),
        ),
        (
            "a caller signature one level too deep",
            signed.replace(
                &caller.to_string(),
                &format!("<ns:X>{caller}</ns:X>"),
            ),
        ),
        (
            "a caller slot of another version's namespace",
            signed.replace(
                "<CallerInformationSystemSignature xmlns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.2\"",
                "<CallerInformationSystemSignature xmlns=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1\"",
            ),
        ),
    ];
    for (what, doc) in cases {
        assert_ne!(doc, signed, "{what}: no change");
        assert_violation(&refuse(&doc), what);
    }
}

/// The caller's signature signs its operation's carrier and nothing else: a signature over a
/// selector inside a SendRequestRequest is wrapping, though a selector is what a caller signs
/// in GetRequestRequest.
#[test]
fn the_caller_signs_its_operations_carrier_only() {
    let sel = format!(
        "<b:MessageTypeSelector Id=\"SEL\"><b:Timestamp>{TS}</b:Timestamp></b:MessageTypeSelector>"
    );
    let get = sign_as(
        "participant-gost256",
        Profile::Smev3,
        &smev3_envelope(
            "1.2",
            &format!("<ns:GetRequestRequest>{sel}</ns:GetRequestRequest>"),
        ),
    );
    let sig = element(
        &get,
        "<CallerInformationSystemSignature",
        "</CallerInformationSystemSignature>",
    );
    let doc = smev3_envelope(
        "1.2",
        &format!(
            "<ns:SendRequestRequest>{}{sel}{sig}</ns:SendRequestRequest>",
            request_data("SIGNED_BY_CONSUMER")
        ),
    );
    let err = refuse(&doc);
    assert!(matches!(err, SigError::WrongSignedElement(_)), "{err}");
    assert_eq!(err.fault_code(), FaultCode::SignedElementMismatch);
    // And our signer will not make it: it signs the operation's own carrier.
    let doc = smev3_envelope(
        "1.2",
        &format!("<ns:SendRequestRequest>{sel}</ns:SendRequestRequest>"),
    );
    let err = try_sign_as("participant-gost256", Profile::Smev3, &doc).unwrap_err();
    assert!(
        matches!(&err, SigError::Signing(why) if why.contains("SenderProvidedRequestData")),
        "{err}"
    );
}

/// 1.3: the routing signature over RoutingInformation, beside the caller's; never the origin,
/// and only in 1.3.
#[test]
fn routing_signature_in_1_3() {
    let routing = "<rout:Routing xmlns:rout=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/routing/1.3\">\
                   <rout:RoutingInformation Id=\"ROUTE\"><rout:MessageID>db0486d0-3c08-11e5-95e2-d4c9eff07b77\
                   </rout:MessageID></rout:RoutingInformation></rout:Routing>";
    let info = element(
        routing,
        "<rout:RoutingInformation",
        "</rout:RoutingInformation>",
    );
    let sig = detached(
        "participant-gost256",
        info,
        "xmlns:rout=\"urn://x-artefacts-smev-gov-ru/services/message-exchange/types/routing/1.3\"",
        "ROUTE",
    );
    let routing = routing.replace(
        "</rout:Routing>",
        &format!("<rout:RoutingSignature>{sig}</rout:RoutingSignature></rout:Routing>"),
    );
    for v in ["1.3", "1.2"] {
        let doc = smev3_envelope(
            v,
            &format!(
                "<ns:SendRequestRequest>{}{routing}</ns:SendRequestRequest>",
                request_data("SIGNED_BY_CONSUMER")
            ),
        )
        .replace("routing/1.3", &format!("routing/{v}"));
        let signed = sign_as("participant-gost256", Profile::Smev3, &doc);
        // The caller's slot goes before rout:Routing, as the 1.3 sequence has it.
        assert!(
            signed.find("<CallerInformationSystemSignature").unwrap()
                < signed.find("<rout:Routing").unwrap()
        );
        if v == "1.3" {
            let verified = verifier().verify(signed.as_bytes()).unwrap();
            let roles: Vec<(Role, bool)> = verified
                .signatures()
                .iter()
                .map(|s| (s.role.clone(), s.origin))
                .collect();
            assert_eq!(
                roles,
                [
                    (Role::CallerInformationSystem, true),
                    (Role::Routing, false)
                ]
            );
        } else {
            // 1.2 has no routing: its signature is in no slot (and the digest of the moved
            // namespace does not matter: placement is judged first).
            assert_violation(&refuse(&signed), "routing in 1.2");
        }
    }
}

/// Two operations in the Body, each with a signature in its origin slot: two senders.
#[test]
fn two_origins_are_refused() {
    let a = sign_as(
        "participant-gost256",
        Profile::Smev3,
        &participant_request("1.2"),
    );
    let op = element(&a, "<ns:SendRequestRequest>", "</ns:SendRequestRequest>").to_string();
    let b = a.replace(
        "</soap:Body>",
        &format!("{}</soap:Body>", op.replace("OWN", "OTHER")),
    );
    let err = refuse(&b);
    assert!(
        matches!(&err, SigError::ProfileViolation(why) if why.contains("origin is ambiguous")),
        "{err}"
    );
}

// ---- SMEV 2 ----

const SMEV2: &str = include_str!("data/smev2-request-unsigned.xml");

fn node(doc: &str, actor: &str, node_id: &str) -> String {
    let signer = signer("operator-gost256");
    let cert = certificate("operator-gost256");
    let opts = NodeSignOptions {
        signer: &signer,
        certificate_der: cert.der(),
        node_id,
        actor,
        message_id: "m-1",
        message_class: Smev2MessageClass::Request,
        timestamp: "2026-12-01T10:00:01+03:00",
        limits: rsmev_xml::Limits::default(),
    };
    String::from_utf8(sign_smev2_node(doc.as_bytes(), &opts).unwrap()).unwrap()
}

fn smev2_origin(doc: &str) -> Result<String, SigError> {
    let v =
        Verifier::new(Profile::Smev2, Trust::Store(trust("trust-gost"))).verify(doc.as_bytes())?;
    match &origin(&v).role {
        Role::WsSecurity { actor } => Ok(actor.clone()),
        other => panic!("{other:?}"),
    }
}

/// The origin is the last hop: federal SMEV's `smevNN` block, else a node's `recipient`
/// block, else the participant's `smev` block; other blocks are verified but never the origin.
#[test]
fn smev2_origin_is_the_last_hop() {
    let smev44 = "http://smev.gosuslugi.ru/actors/smev44";
    let smev31 = "http://smev.gosuslugi.ru/actors/smev31";
    let participant = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    assert_eq!(smev2_origin(&participant).unwrap(), ACTOR_SMEV);
    let via_node = node(&participant, ACTOR_RECIPIENT, "44");
    assert_eq!(smev2_origin(&via_node).unwrap(), ACTOR_RECIPIENT);
    let via_federal = node(&participant, smev44, "00");
    assert_eq!(smev2_origin(&via_federal).unwrap(), smev44);
    // Federal SMEV's hop, then the regional node's: SMEV's hop decides.
    let both = node(&via_federal, ACTOR_RECIPIENT, "44");
    assert_eq!(smev2_origin(&both).unwrap(), smev44);
    // Two federal hops: two candidates at the deciding level.
    let two = node(&via_federal, smev31, "01");
    let err = smev2_origin(&two).unwrap_err();
    assert!(
        matches!(&err, SigError::ProfileViolation(why) if why.contains("origin is ambiguous")),
        "{err}"
    );
}

/// Actors outside the SMEV 2 vocabulary, and one actor twice, are refused.
#[test]
fn smev2_unknown_and_repeated_actors_are_refused() {
    let participant = sign_as("participant-gost256", Profile::Smev2, SMEV2);
    let via_node = node(&participant, ACTOR_RECIPIENT, "44");
    for (what, doc) in [
        (
            "an unknown actor",
            via_node.replace(
                &format!("actor=\"{ACTOR_RECIPIENT}\""),
                "actor=\"http://smev.gosuslugi.ru/actors/other\"",
            ),
        ),
        (
            "a node hop with a non-numeric node",
            via_node.replace(
                &format!("actor=\"{ACTOR_RECIPIENT}\""),
                "actor=\"http://smev.gosuslugi.ru/actors/smevXX\"",
            ),
        ),
        (
            "one actor twice",
            via_node.replace(
                &format!("soapenv:actor=\"{ACTOR_RECIPIENT}\""),
                &format!("soapenv:actor=\"{ACTOR_SMEV}\""),
            ),
        ),
    ] {
        let err = smev2_origin(&doc).unwrap_err();
        assert_violation(&err, what);
    }
}
