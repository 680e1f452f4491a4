//! Signing: places a `ds:Signature` where the profile wants it and fills it in. The signature
//! is computed over the document exactly as it will be sent — SignedInfo is canonicalized out of
//! the finished document by the same code the verifier runs — so what rsmev signs, rsmev (and
//! any conforming verifier) checks.

use base64::Engine;
use rsmev_c14n::{Algorithm, EXC_C14N, Options, SMEV_TRANSFORM, canonicalize_prepared};
use rsmev_crypto::{DigestAlg, Hasher, SignatureAlg, Signer};
use rsmev_xml::{Event, Limits, Reader};

use crate::SigError;
use crate::ns::{ACTOR_SMEV, DS, ENVELOPED, SOAP11, SOAP12, WSS_BASE64, WSS_X509V3, WSSE, WSU};
use crate::profile::Profile;
use crate::verify::HashSink;

/// How to sign.
pub struct SignOptions<'a> {
    pub profile: Profile,
    pub signer: &'a dyn Signer,
    /// The signer's certificate, DER; it goes into KeyInfo.
    pub certificate_der: &'a [u8],
    /// CanonicalizationMethod of SignedInfo, and the Reference's canonicalization outside
    /// SMEV 3 (which always uses Exclusive C14N + the SMEV transform for the Reference).
    pub c14n: Algorithm,
    pub c14n_with_comments: bool,
    /// DigestMethod; by default the one the signature algorithm pairs with.
    pub digest: Option<DigestAlg>,
    /// Profile `any`: sign the element with this Id (default: the whole document, enveloped).
    pub id: Option<String>,
    /// SMEV 2: the WS-Security actor (default `http://smev.gosuslugi.ru/actors/smev`).
    pub actor: Option<String>,
    pub limits: Limits,
}

impl<'a> SignOptions<'a> {
    pub fn new(profile: Profile, signer: &'a dyn Signer, certificate_der: &'a [u8]) -> Self {
        SignOptions {
            profile,
            signer,
            certificate_der,
            c14n: Algorithm::Exclusive,
            c14n_with_comments: false,
            digest: None,
            id: None,
            actor: None,
            limits: Limits::default(),
        }
    }
}

/// The digest a signature algorithm is normally paired with.
pub(crate) fn paired_digest(alg: SignatureAlg) -> DigestAlg {
    alg.digest()
}

/// An edit of the prepared text: insert `text` at byte `at`.
struct Insert {
    at: usize,
    text: String,
}

fn splice(doc: &str, mut edits: Vec<Insert>) -> String {
    edits.sort_by_key(|e| e.at);
    let mut out =
        String::with_capacity(doc.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut last = 0;
    for e in edits {
        out.push_str(&doc[last..e.at]);
        out.push_str(&e.text);
        last = e.at;
    }
    out.push_str(&doc[last..]);
    out
}

/// Where an element's start tag ends (just past `>`), and where its end tag begins.
#[derive(Clone, Debug, Default)]
struct Span {
    ns: String,
    local: String,
    prefix: String,
    start: usize,
    start_end: usize,
    end_start: Option<usize>,
    id: Option<String>,
    depth: usize,
    /// Holds a ds:Signature somewhere inside.
    has_signature: bool,
}

/// The elements signing needs, up to `max_depth`.
fn outline(doc: &str, limits: &Limits, max_depth: usize) -> Result<Vec<Span>, SigError> {
    let mut r = Reader::new(doc, limits.clone()).track_ids();
    let mut spans: Vec<Span> = Vec::new();
    let mut open: Vec<Option<usize>> = Vec::new();
    loop {
        match r.next()? {
            Event::Start => {
                let t = r.start_tag();
                if t.ns == DS && t.local == "Signature" {
                    for i in open.iter().flatten() {
                        spans[*i].has_signature = true;
                    }
                }
                if t.depth <= max_depth {
                    let tag_end = r.offset();
                    spans.push(Span {
                        ns: t.ns.to_string(),
                        local: t.local.to_string(),
                        prefix: t.prefix.to_string(),
                        start: t.pos,
                        start_end: tag_end,
                        end_start: None,
                        id: t
                            .attrs
                            .iter()
                            .find(|a| a.is_id())
                            .map(|a| a.value.to_string()),
                        depth: t.depth,
                        has_signature: false,
                    });
                    open.push(Some(spans.len() - 1));
                } else {
                    open.push(None);
                }
            }
            Event::End { .. } => {
                if let Some(Some(i)) = open.pop() {
                    let off = r.offset();
                    let s = &mut spans[i];
                    // A self-closing tag has no end tag to insert before.
                    if off != s.start_end {
                        s.end_start = doc[..off].rfind('<');
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(spans)
}

fn xml_escape_attr(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

struct Template {
    /// The complete `ds:Signature` element with an empty SignatureValue.
    xml: String,
    /// Offset of `<ds:SignedInfo` and of the SignatureValue's content, within `xml`.
    signed_info: usize,
    value: usize,
}

struct RefSpec {
    uri: String,
    transforms: Vec<(String, Option<String>)>,
    digest: String,
}

fn template(
    c14n_uri: &str,
    alg: SignatureAlg,
    refs: &[RefSpec],
    digest_uri: &str,
    key_info: &str,
) -> Template {
    let mut x = String::with_capacity(2048);
    x.push_str("<ds:Signature xmlns:ds=\"");
    x.push_str(DS);
    x.push_str("\">");
    let signed_info = x.len();
    x.push_str("<ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"");
    x.push_str(c14n_uri);
    x.push_str("\"/><ds:SignatureMethod Algorithm=\"");
    x.push_str(alg.uri());
    x.push_str("\"/>");
    for r in refs {
        x.push_str("<ds:Reference URI=\"");
        x.push_str(&xml_escape_attr(&r.uri));
        x.push_str("\"><ds:Transforms>");
        for (t, _) in &r.transforms {
            x.push_str("<ds:Transform Algorithm=\"");
            x.push_str(t);
            x.push_str("\"/>");
        }
        x.push_str("</ds:Transforms><ds:DigestMethod Algorithm=\"");
        x.push_str(digest_uri);
        x.push_str("\"/><ds:DigestValue>");
        x.push_str(&r.digest);
        x.push_str("</ds:DigestValue></ds:Reference>");
    }
    x.push_str("</ds:SignedInfo><ds:SignatureValue>");
    let value = x.len();
    x.push_str("</ds:SignatureValue>");
    x.push_str(key_info);
    x.push_str("</ds:Signature>");
    Template {
        xml: x,
        signed_info,
        value,
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn digest_of(doc: &str, opts: &Options, alg: DigestAlg) -> Result<String, SigError> {
    let mut sink = HashSink(Hasher::new(alg));
    canonicalize_prepared(doc, opts, &mut sink)?;
    Ok(b64(&sink.0.finalize()))
}

/// Signs `input` as `opts` says and returns the signed document (UTF-8, line ends normalized).
pub fn sign(input: &[u8], opts: &SignOptions<'_>) -> Result<Vec<u8>, SigError> {
    let doc = rsmev_xml::prepare(input, &opts.limits)?;
    let doc: &str = &doc;
    let alg = opts.signer.algorithm();
    let dalg = opts.digest.unwrap_or_else(|| paired_digest(alg));
    let c14n_uri = opts.c14n.uri(opts.c14n_with_comments);
    let cert_b64 = b64(opts.certificate_der);
    let limits = &opts.limits;

    let (edits, tmpl, tmpl_at) = match opts.profile {
        Profile::Smev3 => {
            let spans = outline(doc, limits, 4)?;
            let body = soap_body(&spans)?;
            let op = spans
                .iter()
                .find(|s| s.depth == 3 && s.start > body.start && Some(s.start) < body.end_start)
                .ok_or_else(|| {
                    SigError::Signing("the SOAP Body holds no operation element".into())
                })?;
            let kids: Vec<&Span> = spans
                .iter()
                .filter(|s| s.depth == 4 && s.start > op.start && Some(s.start) < op.end_start)
                .collect();
            let signed = kids
                .iter()
                .find(|s| {
                    matches!(
                        s.local.as_str(),
                        "SenderProvidedRequestData"
                            | "SenderProvidedResponseData"
                            | "MessageTypeSelector"
                            | "AckTargetMessage"
                            | "Timestamp"
                    )
                })
                .ok_or_else(|| {
                    SigError::Signing(format!(
                        "{} holds no element SMEV 3 signs (SenderProvidedRequestData, …)",
                        op.local
                    ))
                })?;
            let id = signed.id.clone().ok_or_else(|| {
                SigError::Signing(format!("{} has no Id attribute to reference", signed.local))
            })?;
            let reference = Options::new(Algorithm::Exclusive)
                .smev_transform(true)
                .subset(id.as_str())
                .limits(limits.clone());
            let refs = [RefSpec {
                uri: format!("#{id}"),
                transforms: vec![(EXC_C14N.into(), None), (SMEV_TRANSFORM.into(), None)],
                digest: digest_of(doc, &reference, dalg)?,
            }];
            let key_info = format!(
                "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            );
            let t = template(c14n_uri, alg, &refs, dalg.uri(), &key_info);
            let slot = kids
                .iter()
                .find(|s| s.local == "CallerInformationSystemSignature");
            let (edit_at, prefix, suffix) = match slot {
                Some(s) if s.has_signature => {
                    return Err(SigError::Signing(
                        "CallerInformationSystemSignature already holds a signature".into(),
                    ));
                }
                Some(s) => match s.end_start {
                    Some(end) if doc[s.start_end..end].trim().is_empty() => {
                        (s.start_end, String::new(), String::new())
                    }
                    _ => {
                        return Err(SigError::Signing(
                            "CallerInformationSystemSignature is not empty".into(),
                        ));
                    }
                },
                None => {
                    let end = op
                        .end_start
                        .ok_or_else(|| SigError::Signing(format!("{} has no end tag", op.local)))?;
                    (
                        end,
                        format!(
                            "<CallerInformationSystemSignature xmlns=\"{}\">",
                            xml_escape_attr(&op.ns)
                        ),
                        "</CallerInformationSystemSignature>".to_string(),
                    )
                }
            };
            let at_in_text = prefix.len();
            let text = format!("{prefix}{}{suffix}", t.xml);
            (vec![Insert { at: edit_at, text }], t, (edit_at, at_in_text))
        }
        Profile::Smev2 => sign_smev2(doc, opts, alg, dalg, c14n_uri, &cert_b64)?,
        Profile::Any => {
            let spans = outline(doc, limits, 1)?;
            let root = spans
                .first()
                .ok_or_else(|| SigError::Signing("no root".into()))?;
            let end = root
                .end_start
                .ok_or_else(|| SigError::Signing("the root element has no end tag".into()))?;
            let (uri, mut transforms) = match &opts.id {
                Some(id) => (format!("#{id}"), Vec::new()),
                None => (String::new(), vec![(ENVELOPED.to_string(), None)]),
            };
            if opts
                .id
                .as_deref()
                .is_some_and(|id| root.id.as_deref() == Some(id))
            {
                transforms.push((ENVELOPED.to_string(), None));
            }
            transforms.push((opts.c14n.uri(false).to_string(), None));
            let mut ref_opts = Options::new(opts.c14n).limits(limits.clone());
            if let Some(id) = &opts.id {
                ref_opts = ref_opts.subset(id.as_str());
            }
            // The signature is not in `doc` yet, so the digest needs nothing excluded.
            let refs = [RefSpec {
                uri,
                transforms,
                digest: digest_of(doc, &ref_opts, dalg)?,
            }];
            let key_info = format!(
                "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            );
            let t = template(c14n_uri, alg, &refs, dalg.uri(), &key_info);
            let text = t.xml.clone();
            (vec![Insert { at: end, text }], t, (end, 0))
        }
    };

    // The document with the signature in place and SignatureValue empty: SignedInfo is
    // canonicalized out of it, in its final context.
    let draft = splice(doc, edits);
    // Every profile's other edits lie after the template, so it starts where it was inserted
    // plus the wrapper text written before it.
    let base = tmpl_at.0 + tmpl_at.1;
    let si_pos = base + tmpl.signed_info;
    let si_opts = Options::new(opts.c14n)
        .with_comments(opts.c14n_with_comments)
        .subset_at(si_pos)
        .limits(limits.clone());
    let mut sink = HashSink(Hasher::new(alg.digest()));
    canonicalize_prepared(&draft, &si_opts, &mut sink)?;
    let value = opts
        .signer
        .sign_prehashed(&sink.0.finalize())
        .map_err(|e| SigError::Signing(e.to_string()))?;
    let value_at = base + tmpl.value;
    let mut out = String::with_capacity(draft.len() + value.len() * 2);
    out.push_str(&draft[..value_at]);
    out.push_str(&b64(&value));
    out.push_str(&draft[value_at..]);
    Ok(out.into_bytes())
}

fn soap_body(spans: &[Span]) -> Result<&Span, SigError> {
    let env = spans
        .first()
        .filter(|s| s.local == "Envelope" && (s.ns == SOAP11 || s.ns == SOAP12))
        .ok_or_else(|| SigError::Signing("the document is not a SOAP Envelope".into()))?;
    spans
        .iter()
        .find(|s| s.depth == 2 && s.local == "Body" && s.ns == env.ns)
        .ok_or_else(|| SigError::Signing("the SOAP Envelope has no Body".into()))
}

type Plan = (Vec<Insert>, Template, (usize, usize));

/// SMEV 2: a `wsse:Security` header block with the signer's actor, a BinarySecurityToken and a
/// signature over the Body (exclusive C14N), as MR 2.4.x/2.5.x put it. Earlier header blocks
/// stay untouched.
fn sign_smev2(
    doc: &str,
    opts: &SignOptions<'_>,
    alg: SignatureAlg,
    dalg: DigestAlg,
    c14n_uri: &str,
    cert_b64: &str,
) -> Result<Plan, SigError> {
    let limits = &opts.limits;
    let spans = outline(doc, limits, 2)?;
    let env = &spans[0];
    let body = soap_body(&spans)?;
    let header = spans
        .iter()
        .find(|s| s.depth == 2 && s.local == "Header" && s.ns == env.ns);
    let actor = opts.actor.as_deref().unwrap_or(ACTOR_SMEV);
    let mut edits = Vec::new();

    // The Body needs an Id to be referenced.
    let (body_id, body_doc);
    match &body.id {
        Some(id) => {
            body_id = id.clone();
            body_doc = None;
        }
        None => {
            body_id = "body".to_string();
            let at = body.start
                + 1
                + if body.prefix.is_empty() {
                    0
                } else {
                    body.prefix.len() + 1
                }
                + "Body".len();
            let text = format!(" xmlns:wsu=\"{WSU}\" wsu:Id=\"body\"");
            body_doc = Some(splice(
                doc,
                vec![Insert {
                    at,
                    text: text.clone(),
                }],
            ));
            edits.push(Insert { at, text });
        }
    }
    let digest_doc = body_doc.as_deref().unwrap_or(doc);
    let reference = Options::new(Algorithm::Exclusive)
        .subset(body_id.as_str())
        .limits(limits.clone());
    let refs = [RefSpec {
        uri: format!("#{body_id}"),
        transforms: vec![(EXC_C14N.into(), None)],
        digest: digest_of(digest_doc, &reference, dalg)?,
    }];
    let token_id = format!("CertId-{}", &hex_tail(opts.certificate_der));
    let key_info = format!(
        "<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI=\"#{token_id}\" ValueType=\"{WSS_X509V3}\"/></wsse:SecurityTokenReference></ds:KeyInfo>"
    );
    let t = template(c14n_uri, alg, &refs, dalg.uri(), &key_info);
    let env_ns = &env.ns;
    let open = format!(
        "<wsse:Security xmlns:wsse=\"{WSSE}\" xmlns:wsu=\"{WSU}\" xmlns:soapenv=\"{env_ns}\" soapenv:actor=\"{}\"><wsse:BinarySecurityToken EncodingType=\"{WSS_BASE64}\" ValueType=\"{WSS_X509V3}\" wsu:Id=\"{token_id}\">{cert_b64}</wsse:BinarySecurityToken>",
        xml_escape_attr(actor)
    );
    let close = "</wsse:Security>";
    let (at, prefix, suffix) = match header {
        Some(h) if h.end_start.is_some() => (h.start_end, open, close.to_string()),
        Some(_) => {
            return Err(SigError::Signing(
                "write the SOAP Header as <Header></Header>, not self-closing".into(),
            ));
        }
        None => {
            let p = if env.prefix.is_empty() {
                String::new()
            } else {
                format!("{}:", env.prefix)
            };
            (
                body.start,
                format!("<{p}Header>{open}"),
                format!("{close}</{p}Header>"),
            )
        }
    };
    // The header block sits before the Body: only an Id added to the Body comes after it.
    let prefix_len = prefix.len();
    edits.push(Insert {
        at,
        text: format!("{prefix}{}{suffix}", t.xml),
    });
    Ok((edits, t, (at, prefix_len)))
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
