//! SMEV 2 node signing (ЭП-СМЭВ / ЭП-РСМЭВ): a participant signs with actor `…/actors/smev`,
//! then each node the message passes adds its `smev:Header` and a `wsse:Security` block over
//! that header and the Body — the multi-hop pattern of the real 3-signature sample
//! (smev-protocol.md §1.1). Every signature of the result verifies in rsmev and, for GOST, in
//! the peers (`tests/peers/gost_xmldsig.py`: libxml2 + the OpenSSL GOST engine); earlier
//! signatures are left byte for byte as they were.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use rsmev_fault::FaultCode;
use rsmev_signature::ns::{ACTOR_RECIPIENT, ACTOR_SMEV, SOAP11, WSU};
use rsmev_signature::{
    ChainStatus, NodeSignOptions, Profile, Role, SigError, SignOptions, Smev2MessageClass, Trust,
    Verifier, sign_smev2_node,
};
use rsmev_xml::Limits;

/// The SMEV 2 request of `gost_interop.rs`.
const SMEV2: &str = include_str!("data/smev2-request-unsigned.xml");

const REV120315: &str = "http://smev.gosuslugi.ru/rev120315";
const REV111111: &str = "http://smev.gosuslugi.ru/rev111111";
const ACTOR_SMEV44: &str = "http://smev.gosuslugi.ru/actors/smev44";
const MESSAGE_ID: &str = "f506e3e4-5576-4806-b9da-45ffd5a9d8cc";

fn participant(doc: &str) -> String {
    let signer = signer("participant-gost256");
    let cert = certificate("participant-gost256");
    let opts = SignOptions::new(Profile::Smev2, &signer, cert.der());
    String::from_utf8(rsmev_signature::sign(doc.as_bytes(), &opts).unwrap()).unwrap()
}

fn try_node(doc: &str, key: &str, node_id: &str, actor: &str) -> Result<String, SigError> {
    let signer = signer(key);
    let cert = certificate(key);
    let opts = NodeSignOptions {
        signer: &signer,
        certificate_der: cert.der(),
        node_id,
        actor,
        message_id: MESSAGE_ID,
        message_class: Smev2MessageClass::Request,
        timestamp: "2026-12-01T10:00:01.250+03:00",
        limits: Limits::default(),
    };
    sign_smev2_node(doc.as_bytes(), &opts).map(|b| String::from_utf8(b).unwrap())
}

fn node(doc: &str, key: &str, node_id: &str, actor: &str) -> String {
    try_node(doc, key, node_id, actor).unwrap_or_else(|e| panic!("{e}\n{doc}"))
}

fn verifier(trust_dir: &str) -> Verifier {
    Verifier::new(Profile::Smev2, Trust::Store(trust(trust_dir)))
}

fn ws(actor: &str) -> Role {
    Role::WsSecurity {
        actor: actor.to_string(),
    }
}

/// The whole `wsse:Security` element with this actor.
fn security_block<'a>(doc: &'a str, actor: &str) -> &'a str {
    let at = doc
        .find(&format!("actor=\"{actor}\""))
        .unwrap_or_else(|| panic!("no block for {actor}"));
    let start = doc[..at].rfind("<wsse:Security").unwrap();
    let close = "</wsse:Security>";
    let end = at + doc[at..].find(close).unwrap() + close.len();
    &doc[start..end]
}

/// The whole SOAP Body element.
fn body(doc: &str) -> &str {
    let start = doc.find("<soapenv:Body").unwrap();
    let close = "</soapenv:Body>";
    &doc[start..doc.find(close).unwrap() + close.len()]
}

/// Every signature verifies, in document order with these roles, and chains to the trust
/// store; returns the verified message's signatures.
fn all_verify(
    doc: &str,
    trust_dir: &str,
    roles: &[Role],
) -> Vec<rsmev_signature::VerifiedSignature> {
    let report = verifier(trust_dir).check(doc.as_bytes()).unwrap();
    for s in &report.signatures {
        assert!(
            s.result.is_ok(),
            "{}: {:?}\n{doc}",
            s.role.label(),
            s.result
        );
        assert!(
            matches!(s.chain, ChainStatus::Trusted { .. }),
            "{:?}",
            s.chain
        );
    }
    let got: Vec<Role> = report.signatures.iter().map(|s| s.role.clone()).collect();
    assert_eq!(got, roles);
    let v = verifier(trust_dir).verify(doc.as_bytes()).unwrap();
    v.signatures().to_vec()
}

/// What a node signature covers: the Body first (SMEV 2 libraries that check only the first
/// DigestValue take it for the Body's), then its own smev:Header. The order is the
/// References' in SignedInfo, which `signed` keeps.
fn assert_node_covers(
    sig: &rsmev_signature::VerifiedSignature,
    doc: &str,
    node_id: &str,
    actor: &str,
) {
    let what: Vec<(&str, &str)> = sig
        .signed
        .iter()
        .map(|e| (e.ns.as_str(), e.local.as_str()))
        .collect();
    assert_eq!(what, [(SOAP11, "Body"), (REV120315, "Header")]);
    let header = &doc[sig.signed[1].pos..sig.signed[1].end];
    assert!(header.contains(&format!("actor=\"{actor}\"")), "{header}");
    assert!(
        header.contains(&format!(
            "<smev:NodeId>{node_id}</smev:NodeId><smev:MessageId>{MESSAGE_ID}</smev:MessageId>\
             <smev:TimeStamp>2026-12-01T10:00:01.250+03:00</smev:TimeStamp>\
             <smev:MessageClass>REQUEST</smev:MessageClass></smev:Header>"
        )),
        "{header}"
    );
}

#[test]
fn participant_then_node_verify_gost_and_rsa() {
    let signed = participant(SMEV2);
    for (key, trust_dir) in [
        ("operator-gost256", "trust-gost"),
        ("operator-rsa", "trust-all"),
    ] {
        let relayed = node(&signed, key, "44", ACTOR_RECIPIENT);
        let sigs = all_verify(&relayed, trust_dir, &[ws(ACTOR_RECIPIENT), ws(ACTOR_SMEV)]);
        assert_node_covers(&sigs[0], &relayed, "44", ACTOR_RECIPIENT);
        // The participant's signature still covers just the Body.
        let what: Vec<&str> = sigs[1].signed.iter().map(|e| e.local.as_str()).collect();
        assert_eq!(what, ["Body"]);
        assert_eq!(sigs[0].certificate.der(), certificate(key).der());

        // Everything that was there is there byte for byte: the participant's block and the
        // Body; the node only added its two header blocks.
        assert_eq!(
            security_block(&relayed, ACTOR_SMEV),
            security_block(&signed, ACTOR_SMEV)
        );
        assert_eq!(body(&relayed), body(&signed));
        let node_block = security_block(&relayed, ACTOR_RECIPIENT);
        let start = relayed.find("<smev:Header").unwrap();
        let end = relayed.find("</smev:Header>").unwrap() + "</smev:Header>".len();
        let without = relayed
            .replacen(&relayed[start..end], "", 1)
            .replacen(node_block, "", 1);
        assert_eq!(without, signed);
        // The node's blocks sit where federal SMEV and regional nodes put them: its Security
        // first among the header blocks, its smev:Header last.
        let participant_block = security_block(&relayed, ACTOR_SMEV);
        assert!(relayed.find(node_block) < relayed.find(participant_block));
        assert!(relayed[end..].starts_with("</soapenv:Header>"));
    }
}

/// Federal SMEV (node 00, actor smev44) then the regional node 44 (actor recipient), both
/// with one certificate: three signatures, in the order of the real sample, and no Id twice.
#[test]
fn two_hops_three_signatures() {
    let signed = participant(SMEV2);
    let hop1 = node(&signed, "operator-gost256", "00", ACTOR_SMEV44);
    let hop2 = node(&hop1, "operator-gost256", "44", ACTOR_RECIPIENT);
    let sigs = all_verify(
        &hop2,
        "trust-gost",
        &[ws(ACTOR_RECIPIENT), ws(ACTOR_SMEV44), ws(ACTOR_SMEV)],
    );
    assert_node_covers(&sigs[0], &hop2, "44", ACTOR_RECIPIENT);
    assert_node_covers(&sigs[1], &hop2, "00", ACTOR_SMEV44);
    assert!(
        sigs[1].signed[1].pos < sigs[0].signed[1].pos,
        "00's header first"
    );
    // The origin is federal SMEV's hop (actors/smev44), not the later node's or the
    // participant's.
    assert!(sigs[1].origin && !sigs[0].origin && !sigs[2].origin);
    for actor in [ACTOR_SMEV, ACTOR_SMEV44] {
        assert_eq!(security_block(&hop2, actor), security_block(&hop1, actor));
    }
    assert_eq!(body(&hop2), body(&signed));
    // One certificate, two tokens: the second hop's token Id was made unique.
    assert!(hop2.contains("ID-00-1") && hop2.contains("ID-44-1"));
    let token = |block: &str| {
        let a = block.find("wsu:Id=\"").unwrap() + 8;
        block[a..a + block[a..].find('"').unwrap()].to_string()
    };
    assert_ne!(
        token(security_block(&hop2, ACTOR_SMEV44)),
        token(security_block(&hop2, ACTOR_RECIPIENT))
    );
}

#[test]
fn tampered_body_refuses_every_signature() {
    let relayed = node(
        &participant(SMEV2),
        "operator-gost256",
        "44",
        ACTOR_RECIPIENT,
    );
    let tampered = relayed.replace("Иванов", "Петров");
    let report = verifier("trust-gost").check(tampered.as_bytes()).unwrap();
    assert_eq!(report.signatures.len(), 2);
    for s in &report.signatures {
        assert!(
            matches!(&s.result, Err(SigError::DigestMismatch { uri }) if uri == "#body"),
            "{}: {:?}",
            s.role.label(),
            s.result
        );
    }
    let err = verifier("trust-gost")
        .verify(tampered.as_bytes())
        .unwrap_err();
    assert_eq!(err.fault_code(), FaultCode::DigestMismatch);
}

#[test]
fn tampered_node_header_refuses_only_the_node_signature() {
    let relayed = node(
        &participant(SMEV2),
        "operator-gost256",
        "44",
        ACTOR_RECIPIENT,
    );
    for (from, to) in [
        ("<smev:NodeId>44<", "<smev:NodeId>45<"),
        (
            "<smev:MessageClass>REQUEST<",
            "<smev:MessageClass>RESPONSE<",
        ),
    ] {
        let tampered = relayed.replacen(from, to, 1);
        assert_ne!(tampered, relayed);
        let report = verifier("trust-gost").check(tampered.as_bytes()).unwrap();
        assert_eq!(report.signatures[0].role, ws(ACTOR_RECIPIENT));
        assert!(
            matches!(&report.signatures[0].result, Err(SigError::DigestMismatch { uri }) if uri == "#ID-44-1"),
            "{:?}",
            report.signatures[0].result
        );
        assert_eq!(report.signatures[1].role, ws(ACTOR_SMEV));
        assert!(report.signatures[1].result.is_ok());
    }
}

#[test]
fn a_second_block_for_an_actor_is_refused() {
    let relayed = node(
        &participant(SMEV2),
        "operator-gost256",
        "44",
        ACTOR_RECIPIENT,
    );
    for (key, actor) in [
        ("operator-gost256", ACTOR_RECIPIENT),
        ("operator-rsa", ACTOR_RECIPIENT),
        ("operator-gost256", ACTOR_SMEV),
    ] {
        let err = try_node(&relayed, key, "31", actor).unwrap_err();
        assert!(
            matches!(&err, SigError::Signing(why) if why.contains("already has a wsse:Security header block for actor") && why.contains(actor)),
            "{err}"
        );
    }
    // The participant's path refuses the same, instead of writing a second block.
    let signer = signer("participant-gost256");
    let cert = certificate("participant-gost256");
    let opts = SignOptions::new(Profile::Smev2, &signer, cert.der());
    let err = rsmev_signature::sign(relayed.as_bytes(), &opts).unwrap_err();
    assert!(matches!(err, SigError::Signing(_)), "{err}");
    // A smev:Header for the actor without its Security block: "its own" would be ambiguous.
    let orphan = relayed.replacen(security_block(&relayed, ACTOR_RECIPIENT), "", 1);
    let err = try_node(&orphan, "operator-gost256", "44", ACTOR_RECIPIENT).unwrap_err();
    assert!(
        matches!(&err, SigError::Signing(why) if why.contains("already has a smev:Header")),
        "{err}"
    );
}

/// The Security block's actor is not signed, so swapping the actors of two node blocks leaves
/// both signatures mathematically valid — each then claims the other hop's smev:Header. The
/// profile ties a node signature to the header of its own actor and refuses both.
#[test]
fn a_node_signature_over_another_hops_header_is_wrapping() {
    let hop2 = node(
        &node(&participant(SMEV2), "operator-gost256", "00", ACTOR_SMEV44),
        "operator-gost256",
        "44",
        ACTOR_RECIPIENT,
    );
    let swapped = swap_security_actors(&hop2, ACTOR_RECIPIENT, ACTOR_SMEV44);
    assert_wrapping_refused(&swapped, "trust-gost");

    // The same on the real message that passed federal SMEV and regional node 44.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../c14n/tests/data/samples/smev2-rev120315-response-fns-via-rsmev44-3sigs.xml"
    );
    let sample = String::from_utf8(std::fs::read(path).unwrap()).unwrap();
    let swapped = swap_security_actors(&sample, ACTOR_RECIPIENT, ACTOR_SMEV44);
    let v = Verifier::new(Profile::Smev2, Trust::EmbeddedOnly).allow_legacy(true);
    assert!(v.verify(sample.as_bytes()).is_ok());
    let report = v.check(swapped.as_bytes()).unwrap();
    let results: Vec<bool> = report
        .signatures
        .iter()
        .map(|s| matches!(s.result, Err(SigError::WrongSignedElement(_))))
        .collect();
    assert_eq!(results, [true, true, false], "{:?}", report.signatures);
    // Profile `any` has no placement rules: the cryptography itself is intact.
    let any = Verifier::new(Profile::Any, Trust::EmbeddedOnly).allow_legacy(true);
    assert!(any.verify(swapped.as_bytes()).is_ok());
}

/// Without header actors (MR 2.4.x) a header is a hop's own when no other signature claims
/// it: a node signature over another hop's header, or over two headers, is refused. With
/// actors (MR 2.5.x) the actor mismatch refuses the signature itself.
#[test]
fn each_header_is_signed_by_one_node() {
    for ns in [REV111111, REV120315] {
        let doc = SMEV2.replace(REV120315, ns);
        let hop2 = node(
            &node(&participant(&doc), "operator-gost256", "00", ACTOR_SMEV44),
            "operator-gost256",
            "44",
            ACTOR_RECIPIENT,
        );
        let other = hop2.replacen("URI=\"#ID-44-1\"", "URI=\"#ID-00-1\"", 1);
        let both = {
            let at = hop2.find("<ds:Reference URI=\"#ID-44-1\"").unwrap();
            let end = at + hop2[at..].find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
            let extra = hop2[at..end].replace("#ID-44-1", "#ID-00-1");
            format!("{}{extra}{}", &hop2[..end], &hop2[end..])
        };
        for (label, doc, why) in [
            (
                "another hop's header",
                other,
                "another WS-Security signature covers",
            ),
            ("two headers", both, "covers 2 smev:Header blocks"),
        ] {
            let report = verifier("trust-gost").check(doc.as_bytes()).unwrap();
            if ns == REV120315 {
                assert!(
                    matches!(&report.signatures[0].result,
                        Err(SigError::WrongSignedElement(w)) if w.contains("not this signature's own")),
                    "{ns} {label}: {:?}",
                    report.signatures[0].result
                );
            } else {
                assert!(
                    matches!(&report.required,
                        Err(SigError::ProfileViolation(w)) if w.contains(why)),
                    "{ns} {label}: {:?}",
                    report.required
                );
            }
            assert!(verifier("trust-gost").verify(doc.as_bytes()).is_err());
        }
    }
}

/// Real MR 2.4.x traffic through federal SMEV and regional node 31: the node headers carry no
/// actor (the rev111111 schema has none), and the profile accepts each node signature over
/// its own header — the one no other signature claims.
#[test]
fn real_mr244_headers_without_actor_verify() {
    let bytes = include_bytes!("data/smev2-rev111111-response-pfr-via-rsmev31-3sigs.xml");
    let v = Verifier::new(Profile::Smev2, Trust::EmbeddedOnly).allow_legacy(true);
    let verified = v.verify(bytes).unwrap();
    let sigs = verified.signatures();
    let roles: Vec<Role> = sigs.iter().map(|s| s.role.clone()).collect();
    let smev31 = "http://smev.gosuslugi.ru/actors/smev31";
    assert_eq!(roles, [ws(ACTOR_RECIPIENT), ws(smev31), ws(ACTOR_SMEV)]);
    let text = std::str::from_utf8(bytes).unwrap();
    for (sig, node_id) in sigs.iter().zip(["31", "00"]) {
        let what: Vec<&str> = sig.signed.iter().map(|e| e.local.as_str()).collect();
        assert_eq!(what, ["Header", "Body"]);
        let header = &text[sig.signed[0].pos..sig.signed[0].end];
        assert!(
            header.contains(&format!("<smev:NodeId>{node_id}<")),
            "{header}"
        );
    }
    // Node 31's signature pointed at federal SMEV's header instead: refused by the profile
    // (that header is already claimed), whatever the cryptography says.
    let moved = text.replacen(
        "URI=\"#ID-a490dfbf-5c4e-4f5c-9734-629c1b31da62\"",
        "URI=\"#ID-34d6116a-afec-4263-a573-2bdc99495130\"",
        1,
    );
    let report = v.check(moved.as_bytes()).unwrap();
    assert!(
        matches!(&report.required, Err(SigError::ProfileViolation(w)) if w.contains("another WS-Security signature covers")),
        "{:?}",
        report.required
    );
}

fn swap_security_actors(doc: &str, a: &str, b: &str) -> String {
    let attr = |actor: &str| format!(":actor=\"{actor}\"");
    doc.replacen(&attr(a), ":actor=\"SWAP\"", 1)
        .replacen(&attr(b), &attr(a), 1)
        .replacen(":actor=\"SWAP\"", &attr(b), 1)
}

fn assert_wrapping_refused(doc: &str, trust_dir: &str) {
    let report = verifier(trust_dir).check(doc.as_bytes()).unwrap();
    assert_eq!(report.signatures.len(), 3);
    for s in &report.signatures[..2] {
        match &s.result {
            Err(e @ SigError::WrongSignedElement(why)) => {
                assert!(why.contains("not this signature's own"), "{why}");
                assert_eq!(e.fault_code(), FaultCode::SignedElementMismatch);
            }
            other => panic!("{}: {other:?}", s.role.label()),
        }
    }
    assert!(report.signatures[2].result.is_ok());
}

/// The node's smev:Header is in the SMEV 2 revision of the Body's smev:Message; an MR 2.4.x
/// (rev111111) header has no actor attribute, as its schema and real nodes have it.
#[test]
fn the_header_namespace_follows_the_message() {
    let old = SMEV2.replace(REV120315, REV111111);
    let hop1 = node(&participant(&old), "operator-gost256", "00", ACTOR_SMEV44);
    let hop2 = node(&hop1, "operator-gost256", "44", ACTOR_RECIPIENT);
    assert!(hop2.contains(&format!(
        "<smev:Header xmlns:smev=\"{REV111111}\" xmlns:wsu=\"{WSU}\" wsu:Id=\"ID-44-1\">\
         <smev:NodeId>44</smev:NodeId>"
    )));
    let sigs = all_verify(
        &hop2,
        "trust-gost",
        &[ws(ACTOR_RECIPIENT), ws(ACTOR_SMEV44), ws(ACTOR_SMEV)],
    );
    for (sig, id) in sigs.iter().zip(["ID-44-1", "ID-00-1"]) {
        let what: Vec<(&str, &str)> = sig
            .signed
            .iter()
            .map(|e| (e.id.as_str(), e.ns.as_str()))
            .collect();
        assert_eq!(what, [("body", SOAP11), (id, REV111111)]);
    }

    let no_message = SMEV2
        .replace("<rev:Message>", "<rev:Mess>")
        .replace("</rev:Message>", "</rev:Mess>");
    let err = try_node(
        &participant(&no_message),
        "operator-gost256",
        "44",
        ACTOR_RECIPIENT,
    )
    .unwrap_err();
    assert!(
        matches!(&err, SigError::Signing(why) if why.contains("no smev:Message")),
        "{err}"
    );
}

/// The header's wsu:Id avoids every Id the message already carries.
#[test]
fn the_header_id_is_fresh() {
    let taken = SMEV2.replace("<rev:AppData>", "<rev:AppData wsu:Id=\"ID-44-1\">");
    let relayed = node(
        &participant(&taken),
        "operator-gost256",
        "44",
        ACTOR_RECIPIENT,
    );
    assert!(relayed.contains("wsu:Id=\"ID-44-2\""));
    let sigs = all_verify(
        &relayed,
        "trust-gost",
        &[ws(ACTOR_RECIPIENT), ws(ACTOR_SMEV)],
    );
    assert_eq!(sigs[0].signed[1].id, "ID-44-2");
}

/// A node may meet a message with no SOAP Header or no Body Id only while nothing signs it.
#[test]
fn header_and_body_id_are_added_only_to_an_unsigned_message() {
    let bare = SMEV2
        .replace("<soapenv:Header></soapenv:Header>", "")
        .replace(" wsu:Id=\"body\"", "");
    let relayed = node(&bare, "operator-gost256", "44", ACTOR_RECIPIENT);
    assert!(relayed.contains("<soapenv:Header><wsse:Security"));
    assert!(relayed.contains("</smev:Header></soapenv:Header>"));
    assert!(relayed.contains("<soapenv:Body xmlns:wsu="));
    // Without the participant's signature the profile's requirement fails, not the signature.
    let report = verifier("trust-gost").check(relayed.as_bytes()).unwrap();
    assert_eq!(report.signatures.len(), 1);
    assert!(
        report.signatures[0].result.is_ok(),
        "{:?}",
        report.signatures[0].result
    );
    assert!(report.required.is_err());
    let v = Verifier::new(Profile::Any, Trust::Store(trust("trust-gost")));
    let sigs = v.verify(relayed.as_bytes()).unwrap();
    assert_node_covers(&sigs.signatures()[0], &relayed, "44", ACTOR_RECIPIENT);

    // A whole-document signature covers the Body: no Id may be added to it …
    let signer = signer("participant-gost256");
    let cert = certificate("participant-gost256");
    let whole = SignOptions::new(Profile::Any, &signer, cert.der());
    let enveloped =
        String::from_utf8(rsmev_signature::sign(bare.as_bytes(), &whole).unwrap()).unwrap();
    let err = try_node(&enveloped, "operator-gost256", "44", ACTOR_RECIPIENT).unwrap_err();
    assert!(
        matches!(&err, SigError::Signing(why) if why.contains("the SOAP Body has no Id")),
        "{err}"
    );
    // … and with a Body Id, no header block may be added.
    let enveloped =
        String::from_utf8(rsmev_signature::sign(SMEV2.as_bytes(), &whole).unwrap()).unwrap();
    let err = try_node(&enveloped, "operator-gost256", "44", ACTOR_RECIPIENT).unwrap_err();
    assert!(
        matches!(&err, SigError::Signing(why) if why.contains("covers the SOAP Header")),
        "{err}"
    );
}

#[test]
fn bad_options_are_refused() {
    let signed = participant(SMEV2);
    let signer = signer("operator-gost256");
    let cert = certificate("operator-gost256");
    let good = NodeSignOptions {
        signer: &signer,
        certificate_der: cert.der(),
        node_id: "44",
        actor: ACTOR_RECIPIENT,
        message_id: MESSAGE_ID,
        message_class: Smev2MessageClass::Response,
        timestamp: "2014-11-24T09:06:36.581+03:00",
        limits: Limits::default(),
    };
    let out = sign_smev2_node(signed.as_bytes(), &good).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("<smev:MessageClass>RESPONSE</smev:MessageClass>"));
    let cases: [(&str, NodeSignOptions<'_>); 8] = [
        (
            "NodeId",
            NodeSignOptions {
                node_id: "",
                ..clone(&good)
            },
        ),
        (
            "NodeId",
            NodeSignOptions {
                node_id: "4 4",
                ..clone(&good)
            },
        ),
        (
            "NodeId",
            NodeSignOptions {
                node_id: "44\"",
                ..clone(&good)
            },
        ),
        (
            "actor",
            NodeSignOptions {
                actor: "",
                ..clone(&good)
            },
        ),
        (
            "actor",
            NodeSignOptions {
                actor: "urn:a b",
                ..clone(&good)
            },
        ),
        (
            "MessageId",
            NodeSignOptions {
                message_id: "a\rb",
                ..clone(&good)
            },
        ),
        (
            "TimeStamp",
            NodeSignOptions {
                timestamp: "24.11.2014 09:06",
                ..clone(&good)
            },
        ),
        (
            "TimeStamp",
            NodeSignOptions {
                timestamp: "",
                ..clone(&good)
            },
        ),
    ];
    for (what, opts) in cases {
        let err = sign_smev2_node(signed.as_bytes(), &opts).unwrap_err();
        assert!(
            matches!(&err, SigError::Signing(why) if why.contains(what)),
            "{what}: {err}"
        );
    }
    // Markup in the MessageId is escaped, and the signature still holds.
    let odd = NodeSignOptions {
        message_id: "a<b&c>\"d",
        ..clone(&good)
    };
    let out = String::from_utf8(sign_smev2_node(signed.as_bytes(), &odd).unwrap()).unwrap();
    assert!(out.contains("<smev:MessageId>a&lt;b&amp;c&gt;\"d</smev:MessageId>"));
    assert!(verifier("trust-gost").verify(out.as_bytes()).is_ok());
}

fn clone<'a>(o: &NodeSignOptions<'a>) -> NodeSignOptions<'a> {
    NodeSignOptions {
        signer: o.signer,
        certificate_der: o.certificate_der,
        node_id: o.node_id,
        actor: o.actor,
        message_id: o.message_id,
        message_class: o.message_class,
        timestamp: o.timestamp,
        limits: o.limits.clone(),
    }
}

/// Non-SOAP, truncated and mangled input is refused with an error, never a panic.
#[test]
fn no_panic_on_bad_input() {
    let signed = participant(SMEV2);
    let signer = signer("operator-rsa");
    let cert = certificate("operator-rsa");
    let opts = NodeSignOptions {
        signer: &signer,
        certificate_der: cert.der(),
        node_id: "44",
        actor: ACTOR_RECIPIENT,
        message_id: MESSAGE_ID,
        message_class: Smev2MessageClass::Request,
        timestamp: "2026-12-01T10:00:01Z",
        limits: Limits::default(),
    };
    for input in [
        "".as_bytes(),
        b"not xml",
        b"<a/>",
        b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"/>",
        b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Header/><soap:Body/></soap:Envelope>",
        b"<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body/></soap:Envelope>",
        b"\xff\xfe<",
    ] {
        assert!(sign_smev2_node(input, &opts).is_err());
    }
    let bytes = signed.as_bytes();
    for cut in (0..bytes.len()).step_by(13) {
        let _ = sign_smev2_node(&bytes[..cut], &opts);
    }
    for at in (0..bytes.len()).step_by(29) {
        let mut m = bytes.to_vec();
        m[at] = b'<';
        let _ = sign_smev2_node(&m, &opts);
    }
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/gost_xmldsig.py")
}

/// The peers check every signature of node-signed messages: SignedInfo by the GOST engine,
/// each Reference (the node's smev:Header and the Body, by wsu:Id) by libxml2's exclusive
/// C14N and the engine's Streebog.
#[test]
fn node_signed_messages_verify_with_the_peers() {
    if !(have_gost_openssl() && have_lxml()) {
        return;
    }
    let dir = temp_dir("smev2-node-peer");
    let signed = participant(SMEV2);
    let hop1 = node(&signed, "operator-gost256", "00", ACTOR_SMEV44);
    let hop2 = node(&hop1, "operator-gost256", "44", ACTOR_RECIPIENT);
    let direct = node(&signed, "operator-gost256", "44", ACTOR_RECIPIENT);
    for (label, doc, sigs, refs) in [("one-hop", &direct, 2, 3), ("two-hops", &hop2, 3, 5)] {
        let path = dir.join(format!("{label}.xml"));
        std::fs::write(&path, doc).unwrap();
        let (ok, out) = run(Command::new("/usr/bin/python3")
            .arg(script())
            .arg("verify")
            .arg(&path)
            .env("OPENSSL_CONF", gost_conf()));
        assert!(ok, "{label}: the peers refused:\n{out}\n{doc}");
        assert_eq!(out.matches("SignatureValue OK").count(), sigs, "{out}");
        assert_eq!(out.matches("digest OK").count(), refs, "{out}");

        // The peers do see a changed node header.
        let tampered = doc.replacen("<smev:NodeId>44<", "<smev:NodeId>45<", 1);
        std::fs::write(&path, &tampered).unwrap();
        let (ok, out) = run(Command::new("/usr/bin/python3")
            .arg(script())
            .arg("verify")
            .arg(&path)
            .env("OPENSSL_CONF", gost_conf()));
        assert!(!ok, "{label}: tamper accepted:\n{out}");
        assert_eq!(out.matches("digest FAILED").count(), 1, "{out}");
    }
}
