//! SMEV 2 signing. A message collects one WS-Security signature per hop (smev-protocol.md
//! §1.1): the participant's ЭП-ОВ (actor `…/actors/smev`) over the SOAP Body, then each node's
//! — federal SMEV's ЭП-СМЭВ, a regional node's ЭП-РСМЭВ — over the Body and the `smev:Header`
//! block that node adds. Both kinds are made here by one routine: add a `wsse:Security` header
//! block (and, for a node, its `smev:Header`) and leave every byte already in the message as it
//! was, so every earlier signature still verifies.

use rsmev_c14n::{Algorithm, EXC_C14N, Options};
use rsmev_crypto::{DigestAlg, Hasher, SignatureAlg, Signer};
use rsmev_xml::Limits;

use crate::SigError;
use crate::ns::{
    ACTOR_RECIPIENT, ACTOR_SMEV, SOAP12, WSS_BASE64, WSS_X509V3, WSSE, WSU, is_smev2,
    is_smev2_actor,
};
use crate::sign::{
    Insert, Outline, Plan, RefSpec, SignOptions, b64, digest_of, finish, outline, paired_digest,
    soap_body, splice, template, xml_escape_attr, xml_escape_text,
};

/// `smev:Header/MessageClass`: whether the message a node forwards is a request or a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Smev2MessageClass {
    Request,
    Response,
}

impl Smev2MessageClass {
    /// The schema's value: `REQUEST` or `RESPONSE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Smev2MessageClass::Request => "REQUEST",
            Smev2MessageClass::Response => "RESPONSE",
        }
    }
}

/// How a SMEV 2 node signs a message passing through it.
pub struct NodeSignOptions<'a> {
    pub signer: &'a dyn Signer,
    /// The node's certificate, DER; it goes into a BinarySecurityToken.
    pub certificate_der: &'a [u8],
    /// `smev:Header/NodeId`, the node's code (`00` federal SMEV, `44` Kostroma, …). Letters,
    /// digits, `-`, `_` and `.` only: it is also part of the header's `wsu:Id`.
    pub node_id: &'a str,
    /// The actor of the `wsse:Security` block and, in MR 2.5.x (rev120315) messages, of the
    /// `smev:Header` (`http://smev.gosuslugi.ru/actors/recipient` for a regional node's
    /// ЭП-РСМЭВ). MR 2.4.x's `smev:Header` has no actor attribute, so it gets none.
    pub actor: &'a str,
    /// `smev:Header/MessageId`.
    pub message_id: &'a str,
    pub message_class: Smev2MessageClass,
    /// `smev:Header/TimeStamp`, an `xs:dateTime`; the caller supplies it, so signing is a pure
    /// function of its inputs.
    pub timestamp: &'a str,
    pub limits: Limits,
}

/// The `smev:Header` a node adds, already escaped where it needs to be.
struct NodeHeader<'a> {
    node_id: &'a str,
    message_id: String,
    timestamp: &'a str,
    class: Smev2MessageClass,
}

/// One WS-Security header block to add.
struct Block<'a> {
    actor: &'a str,
    alg: SignatureAlg,
    digest: DigestAlg,
    c14n_uri: &'a str,
    certificate_der: &'a [u8],
    node: Option<NodeHeader<'a>>,
}

/// The MR 2.5.x namespace, whose `smev:Header` carries the node's actor.
const REV120315: &str = "http://smev.gosuslugi.ru/rev120315";

/// Deepest element either path needs: Envelope/Body/operation/smev:Message.
const DEPTH: usize = 4;

/// The participant's path (`sign` with profile smev2): a `wsse:Security` header block with the
/// signer's actor, a BinarySecurityToken and a signature over the Body (given `wsu:Id="body"`
/// if it has none), as MR 2.4.x/2.5.x put it.
pub(crate) fn participant_plan(
    doc: &str,
    opts: &SignOptions<'_>,
    alg: SignatureAlg,
    dalg: DigestAlg,
    c14n_uri: &str,
) -> Result<Plan, SigError> {
    let o = outline(doc, &opts.limits, DEPTH)?;
    let actor = opts.actor.as_deref().unwrap_or(ACTOR_SMEV);
    known_actor(actor)?;
    let block = Block {
        actor,
        alg,
        digest: dalg,
        c14n_uri,
        certificate_der: opts.certificate_der,
        node: None,
    };
    plan(doc, &o, &block, &opts.limits)
}

/// Signs `input` as a SMEV 2 node forwarding it: adds the node's `smev:Header` (in the SMEV 2
/// namespace of the Body's `smev:Message`, with a fresh `wsu:Id` and, in MR 2.5.x,
/// `opts.actor`) and a `wsse:Security` block with `opts.actor` whose signature (Exclusive C14N,
/// the signer's algorithm and its paired digest) covers that header and the SOAP Body.
/// Everything already in the message — earlier signatures, headers, the Body — is left byte
/// for byte as it was.
///
/// Refused: a message that already has a `wsse:Security` block or a `smev:Header` with this
/// actor; a Body without an Id when an earlier signature covers it; an edit that would change
/// what an earlier signature covers. Returns the signed document (UTF-8, line ends normalized).
pub fn sign_smev2_node(input: &[u8], opts: &NodeSignOptions<'_>) -> Result<Vec<u8>, SigError> {
    check_node_options(opts)?;
    let doc = rsmev_xml::prepare(input, &opts.limits)?;
    let doc: &str = &doc;
    let alg = opts.signer.algorithm();
    let o = outline(doc, &opts.limits, DEPTH)?;
    let block = Block {
        actor: opts.actor,
        alg,
        digest: paired_digest(alg),
        c14n_uri: Algorithm::Exclusive.uri(false),
        certificate_der: opts.certificate_der,
        node: Some(NodeHeader {
            node_id: opts.node_id,
            message_id: xml_escape_text(opts.message_id),
            timestamp: opts.timestamp,
            class: opts.message_class,
        }),
    };
    let plan = plan(doc, &o, &block, &opts.limits)?;
    finish(
        doc,
        plan,
        opts.signer,
        Algorithm::Exclusive,
        false,
        &opts.limits,
    )
}

fn refuse(why: String) -> SigError {
    SigError::Signing(why)
}

/// What rsmev signs, its own verifier must accept: an actor the SMEV 2 profile knows.
fn known_actor(actor: &str) -> Result<(), SigError> {
    if is_smev2_actor(actor) {
        Ok(())
    } else {
        Err(refuse(format!(
            "the actor `{actor}` is not one SMEV 2 knows ({ACTOR_SMEV}, {ACTOR_RECIPIENT}, \
             {ACTOR_SMEV}NN)"
        )))
    }
}

/// Text the caller puts into the message verbatim must survive being read back: no control
/// characters (a CR would be normalized away and change the signed bytes), nothing empty.
fn plain(what: &str, v: &str) -> Result<(), SigError> {
    if v.is_empty() {
        return Err(refuse(format!("the node's {what} is empty")));
    }
    if let Some(c) = v
        .chars()
        .find(|&c| c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}')
    {
        return Err(refuse(format!(
            "the node's {what} contains the character U+{:04X}, which it may not",
            c as u32
        )));
    }
    Ok(())
}

fn check_node_options(opts: &NodeSignOptions<'_>) -> Result<(), SigError> {
    plain("NodeId", opts.node_id)?;
    if !opts
        .node_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(refuse(format!(
            "the NodeId `{}` must be letters, digits, `-`, `_` or `.`: it becomes part of the \
             smev:Header's wsu:Id",
            opts.node_id
        )));
    }
    plain("actor", opts.actor)?;
    if opts.actor.contains(char::is_whitespace) {
        return Err(refuse(format!(
            "the actor `{}` contains whitespace; it must be a URI",
            opts.actor
        )));
    }
    known_actor(opts.actor)?;
    plain("MessageId", opts.message_id)?;
    if !is_date_time(opts.timestamp) {
        return Err(refuse(format!(
            "the TimeStamp `{}` is not an xs:dateTime (YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm])",
            opts.timestamp
        )));
    }
    Ok(())
}

/// The lexical form of `xs:dateTime` (XML Schema 1.0 §3.2.7), with field ranges checked.
fn is_date_time(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'-'));
    // A run of ASCII digits from `i`, its value saturating.
    let digits = |i: &mut usize| -> (usize, u32) {
        let from = *i;
        let mut n = 0u32;
        while let Some(d) = b.get(*i).filter(|c| c.is_ascii_digit()) {
            n = n.saturating_mul(10).saturating_add(u32::from(d - b'0'));
            *i += 1;
        }
        (*i - from, n)
    };
    let sep = |i: &mut usize, c: u8| -> bool {
        let ok = b.get(*i) == Some(&c);
        *i += usize::from(ok);
        ok
    };
    let (len, _) = digits(&mut i);
    if len < 4 || !sep(&mut i, b'-') {
        return false;
    }
    let field = |i: &mut usize, lo: u32, hi: u32| -> Option<u32> {
        let (len, n) = digits(i);
        (len == 2 && (lo..=hi).contains(&n)).then_some(n)
    };
    let ok = field(&mut i, 1, 12).is_some()
        && sep(&mut i, b'-')
        && field(&mut i, 1, 31).is_some()
        && sep(&mut i, b'T');
    if !ok {
        return false;
    }
    let (Some(h), true, Some(m), true, Some(s)) = (
        field(&mut i, 0, 24),
        sep(&mut i, b':'),
        field(&mut i, 0, 59),
        sep(&mut i, b':'),
        field(&mut i, 0, 59),
    ) else {
        return false;
    };
    let mut fraction_zero = true;
    if sep(&mut i, b'.') {
        let from = i;
        let (len, _) = digits(&mut i);
        if len == 0 {
            return false;
        }
        fraction_zero = b[from..i].iter().all(|&c| c == b'0');
    }
    // 24:00:00 is the end of the day; no other time in hour 24.
    if h == 24 && (m != 0 || s != 0 || !fraction_zero) {
        return false;
    }
    match b.get(i) {
        None => true,
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i += 1;
            match (
                field(&mut i, 0, 14),
                sep(&mut i, b':'),
                field(&mut i, 0, 59),
            ) {
                (Some(hh), true, Some(mm)) => i == b.len() && (hh < 14 || mm == 0),
                _ => false,
            }
        }
        Some(_) => false,
    }
}

/// The edits adding one WS-Security header block (and a node's `smev:Header`), with the
/// template to sign.
fn plan(doc: &str, o: &Outline, b: &Block<'_>, limits: &Limits) -> Result<Plan, SigError> {
    let body = soap_body(&o.spans)?;
    let env = o
        .spans
        .first()
        .ok_or_else(|| refuse("the document is not a SOAP Envelope".into()))?;
    let header = o
        .spans
        .iter()
        .find(|s| s.depth == 2 && s.local == "Header" && s.ns == env.ns);
    let blocks = || {
        o.spans
            .iter()
            .filter(move |s| s.depth == 3 && header.is_some_and(|h| h.contains(s)))
    };

    // WS-Security 1.0 §6.1: no two Security header blocks may target one actor; and a
    // node's signature covers "its own" smev:Header, found by actor, so that must be one too.
    if blocks()
        .any(|s| s.ns == WSSE && s.local == "Security" && s.actor.as_deref() == Some(b.actor))
    {
        return Err(refuse(format!(
            "the message already has a wsse:Security header block for actor `{}`: \
             one block per actor",
            b.actor
        )));
    }
    if b.node.is_some()
        && blocks()
            .any(|s| s.local == "Header" && is_smev2(&s.ns) && s.actor.as_deref() == Some(b.actor))
    {
        return Err(refuse(format!(
            "the message already has a smev:Header for actor `{}`: \
             a node signs only a header of its own",
            b.actor
        )));
    }

    // The node's smev:Header, in the SMEV 2 revision the message itself is written in.
    let node_xml = match &b.node {
        None => None,
        Some(n) => {
            let ns = o
                .spans
                .iter()
                .find(|s| s.local == "Message" && is_smev2(&s.ns) && body.contains(s))
                .map(|s| s.ns.as_str())
                .ok_or_else(|| {
                    refuse(
                        "the SOAP Body holds no smev:Message (rev120315, rev111111 or \
                         rev110801), so the SMEV 2 namespace of the node's smev:Header is \
                         unknown"
                            .into(),
                    )
                })?;
            let id = o.fresh_id(|k| format!("ID-{}-{k}", n.node_id));
            // MR 2.5.x's HeaderType has the `actor` attribute; MR 2.4.x's (rev111111) has no
            // attribute at all, and its nodes write none (mr244_PFR3607SOAPResponse.xml in
            // brazhin/SignOVService), so an actor there would not be schema-valid.
            let actor = if ns == REV120315 {
                format!(" actor=\"{}\"", xml_escape_attr(b.actor))
            } else {
                String::new()
            };
            let xml = format!(
                "<smev:Header xmlns:smev=\"{ns}\" xmlns:wsu=\"{WSU}\"{actor} \
                 wsu:Id=\"{id}\"><smev:NodeId>{node}</smev:NodeId><smev:MessageId>{mid}\
                 </smev:MessageId><smev:TimeStamp>{ts}</smev:TimeStamp><smev:MessageClass>\
                 {class}</smev:MessageClass></smev:Header>",
                node = n.node_id,
                mid = n.message_id,
                ts = n.timestamp,
                class = n.class.as_str(),
            );
            Some((id, xml))
        }
    };

    // The Body needs an Id to be referenced. Adding one changes the Body's start tag (and the
    // namespaces in scope below it), so only a Body nothing signs yet may get one.
    let body_end = body.end_start.unwrap_or(body.start_end);
    let mut body_edit = None;
    let body_id = match &body.id {
        Some(id) => id.clone(),
        None => {
            if let Some(uri) = o.reference_over(body.start, body_end) {
                return Err(refuse(format!(
                    "the SOAP Body has no Id, and the signature reference `{uri}` already \
                     covers it or part of it: an Id added now would change what that signature \
                     signs (SMEV 2 messages carry wsu:Id on the Body from their first \
                     signature on)"
                )));
            }
            let id = o.fresh_id(|k| match k {
                1 => "body".to_string(),
                _ => format!("body-{k}"),
            });
            let name = if body.prefix.is_empty() {
                "Body".len()
            } else {
                body.prefix.len() + 1 + "Body".len()
            };
            body_edit = Some(Insert {
                at: body.start + 1 + name,
                text: format!(" xmlns:wsu=\"{WSU}\" wsu:Id=\"{id}\""),
            });
            id
        }
    };

    // The header edits around a given Security block: it goes first among the header blocks,
    // the node's smev:Header last, as federal SMEV and regional nodes place them (the
    // 3-signature sample in smev-protocol.md §1.1). Returns the edits and where the Security
    // text starts in the first one.
    let node_text = node_xml.as_ref().map_or("", |(_, x)| x.as_str());
    let header_edits = |security: &str| -> Result<(Vec<Insert>, usize), SigError> {
        let mut edits = match header {
            Some(h) => {
                let end = h.end_start.ok_or_else(|| {
                    refuse("write the SOAP Header as <Header></Header>, not self-closing".into())
                })?;
                let mut e = vec![Insert {
                    at: h.start_end,
                    text: security.to_string(),
                }];
                if !node_text.is_empty() {
                    e.push(Insert {
                        at: end,
                        text: node_text.to_string(),
                    });
                }
                (e, 0)
            }
            None => {
                let p = if env.prefix.is_empty() {
                    String::new()
                } else {
                    format!("{}:", env.prefix)
                };
                let open = format!("<{p}Header>");
                let offset = open.len();
                let e = vec![Insert {
                    at: body.start,
                    text: format!("{open}{security}{node_text}</{p}Header>"),
                }];
                (e, offset)
            }
        };
        if let Some(e) = &body_edit {
            edits.0.push(Insert {
                at: e.at,
                text: e.text.clone(),
            });
        }
        Ok(edits)
    };

    // Earlier signatures stay valid only if nothing they cover changes.
    let (probe, _) = header_edits("<probe/>")?;
    for e in &probe {
        if let Some(uri) = o.reference_over(e.at, e.at) {
            return Err(refuse(format!(
                "the signature reference `{uri}` covers the SOAP Header: adding a header \
                 block would break that signature"
            )));
        }
    }

    // Digests over the document as it will be, less the Security block: the referenced
    // elements read exactly so in the result. The Body's Id is unique (checked, or fresh) and
    // the node header's is fresh, so the first element with the Id is the one.
    if body.id.is_some() {
        o.unique(&body_id)?;
    }
    let (pre_edits, _) = header_edits("")?;
    let (pre, _) = splice(doc, &pre_edits);
    let reference = |id: &str| -> Result<RefSpec, SigError> {
        let opts = Options::new(Algorithm::Exclusive)
            .subset(id)
            .stop_after_subset(true)
            .limits(limits.clone());
        Ok(RefSpec {
            uri: format!("#{id}"),
            transforms: vec![(EXC_C14N.into(), None)],
            digest: digest_of(&pre, &opts, b.digest)?,
        })
    };
    // The Body's Reference first: widely deployed SMEV 2 libraries check only the first
    // DigestValue and take it for the Body's (both orders are valid XMLDSig; federal nodes
    // put their header first, which those libraries fail on too).
    let mut refs = Vec::with_capacity(2);
    refs.push(reference(&body_id)?);
    if let Some((id, _)) = &node_xml {
        refs.push(reference(id)?);
    }

    let hex = hex_tail(b.certificate_der);
    let token_id = o.fresh_id(|k| match k {
        1 => format!("CertId-{hex}"),
        _ => format!("CertId-{hex}-{k}"),
    });
    let key_info = format!(
        "<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI=\"#{token_id}\" ValueType=\"{WSS_X509V3}\"/></wsse:SecurityTokenReference></ds:KeyInfo>"
    );
    let t = template(b.c14n_uri, b.alg, &refs, b.digest.uri(), &key_info);
    // The actor attribute of the envelope's own SOAP version: SOAP 1.2 renamed it `role`.
    let actor_attr = if env.ns == SOAP12 { "role" } else { "actor" };
    let open = format!(
        "<wsse:Security xmlns:wsse=\"{WSSE}\" xmlns:wsu=\"{WSU}\" xmlns:soapenv=\"{}\" soapenv:{actor_attr}=\"{}\"><wsse:BinarySecurityToken EncodingType=\"{WSS_BASE64}\" ValueType=\"{WSS_X509V3}\" wsu:Id=\"{token_id}\">{}</wsse:BinarySecurityToken>",
        env.ns,
        xml_escape_attr(b.actor),
        b64(b.certificate_der),
    );
    let security = format!("{open}{}</wsse:Security>", t.xml);
    let (edits, offset) = header_edits(&security)?;
    Ok(Plan {
        edits,
        carrier: 0,
        offset: offset + open.len(),
        template: t,
    })
}

fn hex_tail(der: &[u8]) -> String {
    // A stable token Id per certificate, so re-signing with one certificate gives one Id.
    let mut h = Hasher::new(DigestAlg::Sha256);
    h.update(der);
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_date_time;

    #[test]
    fn date_time_lexical_form() {
        for ok in [
            "2014-11-24T09:06:36.488+03:00",
            "2014-11-24T06:06:36Z",
            "2026-12-01T10:00:00",
            "-0044-03-15T12:00:00-14:00",
            "12026-01-01T00:00:00.0000001+14:00",
            "2026-12-31T24:00:00.000Z",
        ] {
            assert!(is_date_time(ok), "{ok}");
        }
        for bad in [
            "",
            "2014-11-24",
            "2014-11-24 09:06:36",
            "14-11-24T09:06:36",
            "2014-13-24T09:06:36",
            "2014-11-00T09:06:36",
            "2014-11-24T09:60:36",
            "2014-11-24T24:00:01",
            "2014-11-24T09:06:36.",
            "2014-11-24T09:06:36+3:00",
            "2014-11-24T09:06:36+14:30",
            "2014-11-24T09:06:36Z ",
            "2014-11-24T09:06:36ZZ",
            "2014-11-24T9:06:36",
            "２０１４-11-24T09:06:36",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }
}
