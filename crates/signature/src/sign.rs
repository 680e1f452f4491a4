//! Signing: places a `ds:Signature` where the profile wants it and fills it in. The signature
//! is computed over the document exactly as it will be sent — SignedInfo is canonicalized out of
//! the finished document by the same code the verifier runs — so what rsmev signs, rsmev (and
//! any conforming verifier) checks.

use std::collections::HashMap;

use base64::Engine;
use rsmev_c14n::{Algorithm, EXC_C14N, Options, SMEV_TRANSFORM, canonicalize_prepared};
use rsmev_crypto::{DigestAlg, Hasher, SignatureAlg, Signer};
use rsmev_xml::{Event, Limits, Reader};

use crate::SigError;
use crate::ns::{DS, ENVELOPED, SOAP11, SOAP12, WSSE, is_smev2, smev3_types_version};
use crate::profile::{Profile, Schema, Signs, origin_slot};
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
    /// SMEV 2: the WS-Security actor (default `http://smev.gosuslugi.ru/actors/smev`); one
    /// the SMEV 2 profile knows (`…/actors/smev`, `…/actors/recipient`, `…/actors/smevNN`).
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
pub(crate) struct Insert {
    pub(crate) at: usize,
    pub(crate) text: String,
}

/// Applies `edits` to `doc`, and says where each edit's text landed in the result (in the
/// order the edits were given). Edits at one offset keep their given order.
pub(crate) fn splice(doc: &str, edits: &[Insert]) -> (String, Vec<usize>) {
    let mut order: Vec<usize> = (0..edits.len()).collect();
    order.sort_by_key(|&i| edits[i].at);
    let mut out =
        String::with_capacity(doc.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut placed = vec![0; edits.len()];
    let mut last = 0;
    for i in order {
        let e = &edits[i];
        out.push_str(&doc[last..e.at]);
        placed[i] = out.len();
        out.push_str(&e.text);
        last = e.at;
    }
    out.push_str(&doc[last..]);
    (out, placed)
}

/// Where an element's start tag ends (just past `>`), and where its end tag begins.
#[derive(Clone, Debug, Default)]
pub(crate) struct Span {
    pub(crate) ns: String,
    pub(crate) local: String,
    pub(crate) prefix: String,
    pub(crate) start: usize,
    pub(crate) start_end: usize,
    pub(crate) end_start: Option<usize>,
    pub(crate) id: Option<String>,
    pub(crate) depth: usize,
    /// Holds a ds:Signature somewhere inside.
    pub(crate) has_signature: bool,
    /// The actor of a `wsse:Security` block (SOAP 1.1 `actor` or SOAP 1.2 `role`, whichever is
    /// the envelope's own), or the `actor` of a SMEV 2 `smev:Header`: whose header block it is.
    pub(crate) actor: Option<String>,
}

impl Span {
    /// Is `other` somewhere inside this element?
    pub(crate) fn contains(&self, other: &Span) -> bool {
        other.start > self.start && self.end_start.is_some_and(|end| other.start < end)
    }
}

/// What signing needs to know of a document: its elements up to a depth, and — so that
/// nothing already in it is disturbed — every Id and what the signatures in it reference.
pub(crate) struct Outline {
    pub(crate) spans: Vec<Span>,
    /// Every Id with the extents of the elements carrying it (start tag to just past the end);
    /// more than one is a duplicate, tolerated as the verifier tolerates it unless the
    /// signature being made references it.
    pub(crate) ids: HashMap<String, Vec<(usize, usize)>>,
    /// The URI of every `ds:Reference` already in the document.
    pub(crate) references: Vec<String>,
}

impl Outline {
    /// The first reference already in the document whose signed content overlaps `from..to`
    /// (`""` is the whole document).
    pub(crate) fn reference_over(&self, from: usize, to: usize) -> Option<&str> {
        self.references
            .iter()
            .find(|uri| match uri.strip_prefix('#') {
                Some(id) => self.ids.get(id).is_some_and(|spans| {
                    spans.iter().any(|&(start, end)| start < to && from < end)
                }),
                None => uri.is_empty(),
            })
            .map(String::as_str)
    }

    /// An Id the new signature references: exactly one element may carry it.
    pub(crate) fn unique(&self, id: &str) -> Result<(), SigError> {
        match self.ids.get(id).map(Vec::len) {
            Some(1) => Ok(()),
            Some(n) => Err(SigError::Signing(format!(
                "the Id `{id}` to be signed is carried by {n} elements"
            ))),
            None => Err(SigError::Signing(format!(
                "no element carries the Id `{id}`"
            ))),
        }
    }

    /// The first Id made by `name(1)`, `name(2)`, … that no element carries.
    pub(crate) fn fresh_id(&self, name: impl Fn(usize) -> String) -> String {
        // The document holds finitely many Ids, so this ends.
        let mut n = 1;
        loop {
            let id = name(n);
            if !self.ids.contains_key(&id) {
                return id;
            }
            n += 1;
        }
    }
}

/// Reads the whole document; records the elements up to `max_depth`.
pub(crate) fn outline(doc: &str, limits: &Limits, max_depth: usize) -> Result<Outline, SigError> {
    struct Open {
        span: Option<usize>,
        ids: Vec<String>,
        start: usize,
    }
    let mut r = Reader::new(doc, limits.clone());
    let mut spans: Vec<Span> = Vec::new();
    let mut ids: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    let mut references = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    // The envelope's own SOAP version decides which attribute is a block's actor.
    let mut actor_attr = None;
    loop {
        match r.next()? {
            Event::Start => {
                let t = r.start_tag();
                if t.depth == 1 {
                    actor_attr = match t.ns.as_ref() {
                        SOAP11 => Some((SOAP11, "actor")),
                        SOAP12 => Some((SOAP12, "role")),
                        _ => None,
                    };
                }
                if t.ns == DS && t.local == "Signature" {
                    for i in open.iter().filter_map(|o| o.span) {
                        spans[i].has_signature = true;
                    }
                }
                if t.ns == DS
                    && t.local == "Reference"
                    && let Some(uri) = t.attrs.iter().find(|a| a.ns.is_empty() && a.local == "URI")
                {
                    references.push(uri.value.to_string());
                }
                // Every Id attribute names the element (`Id` and `wsu:Id` both, if it has both).
                let mut element_ids: Vec<String> = Vec::new();
                for a in t.attrs.iter().filter(|a| a.is_id()) {
                    if !element_ids.iter().any(|v| v == a.value.as_ref()) {
                        element_ids.push(a.value.to_string());
                    }
                }
                let id = element_ids.first().cloned();
                let span = if t.depth <= max_depth {
                    let actor = if t.ns == WSSE && t.local == "Security" {
                        actor_attr.and_then(|(ns, local)| {
                            t.attrs.iter().find(|a| a.ns == ns && a.local == local)
                        })
                    } else if t.local == "Header" && is_smev2(&t.ns) {
                        t.attrs
                            .iter()
                            .find(|a| a.ns.is_empty() && a.local == "actor")
                    } else {
                        None
                    };
                    spans.push(Span {
                        ns: t.ns.to_string(),
                        local: t.local.to_string(),
                        prefix: t.prefix.to_string(),
                        start: t.pos,
                        start_end: r.offset(),
                        end_start: None,
                        id: id.clone(),
                        depth: t.depth,
                        has_signature: false,
                        actor: actor.map(|a| a.value.to_string()),
                    });
                    Some(spans.len() - 1)
                } else {
                    None
                };
                open.push(Open {
                    span,
                    ids: element_ids,
                    start: t.pos,
                });
            }
            Event::End { .. } => {
                let Some(o) = open.pop() else { continue };
                let off = r.offset();
                for id in o.ids {
                    ids.entry(id).or_default().push((o.start, off));
                }
                if let Some(i) = o.span {
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
    Ok(Outline {
        spans,
        ids,
        references,
    })
}

pub(crate) fn xml_escape_attr(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

pub(crate) fn xml_escape_text(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(crate) struct Template {
    /// The complete `ds:Signature` element with an empty SignatureValue.
    pub(crate) xml: String,
    /// Offset of `<ds:SignedInfo` and of the SignatureValue's content, within `xml`.
    signed_info: usize,
    value: usize,
}

pub(crate) struct RefSpec {
    pub(crate) uri: String,
    pub(crate) transforms: Vec<(String, Option<String>)>,
    pub(crate) digest: String,
}

pub(crate) fn template(
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

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn digest_of(doc: &str, opts: &Options, alg: DigestAlg) -> Result<String, SigError> {
    let mut sink = HashSink(Hasher::new(alg));
    canonicalize_prepared(doc, opts, &mut sink)?;
    Ok(b64(&sink.0.finalize()))
}

/// The edits that sign a document: one of them carries the signature template, whose
/// SignatureValue is filled in by [`finish`].
pub(crate) struct Plan {
    pub(crate) edits: Vec<Insert>,
    /// The edit carrying the template, and where the template starts in that edit's text.
    pub(crate) carrier: usize,
    pub(crate) offset: usize,
    pub(crate) template: Template,
}

/// Applies the plan and signs SignedInfo as it reads in the finished document.
pub(crate) fn finish(
    doc: &str,
    plan: Plan,
    signer: &dyn Signer,
    c14n: Algorithm,
    with_comments: bool,
    limits: &Limits,
) -> Result<Vec<u8>, SigError> {
    // The document with the signature in place and SignatureValue empty: SignedInfo is
    // canonicalized out of it, in its final context.
    let (draft, placed) = splice(doc, &plan.edits);
    let base = placed
        .get(plan.carrier)
        .ok_or_else(|| SigError::Signing("no edit carries the signature".into()))?
        + plan.offset;
    let si_opts = Options::new(c14n)
        .with_comments(with_comments)
        .subset_at(base + plan.template.signed_info)
        .limits(limits.clone());
    let mut sink = HashSink(Hasher::new(signer.algorithm().digest()));
    canonicalize_prepared(&draft, &si_opts, &mut sink)?;
    let value = signer
        .sign_prehashed(&sink.0.finalize())
        .map_err(|e| SigError::Signing(e.to_string()))?;
    let value_at = base + plan.template.value;
    let mut out = String::with_capacity(draft.len() + value.len() * 2);
    out.push_str(&draft[..value_at]);
    out.push_str(&b64(&value));
    out.push_str(&draft[value_at..]);
    Ok(out.into_bytes())
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

    let plan = match opts.profile {
        Profile::Smev3 => smev3_plan(doc, opts, dalg, c14n_uri, &cert_b64)?,
        Profile::Smev2 => crate::smev2::participant_plan(doc, opts, alg, dalg, c14n_uri)?,
        Profile::Any => {
            let o = outline(doc, limits, 1)?;
            let spans = &o.spans;
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
                // By position: an unrelated duplicate Id elsewhere is tolerated, as the
                // verifier tolerates it, but the Id signed must be unique.
                o.unique(id)?;
                let &(start, _) = &o.ids[id.as_str()][0];
                ref_opts = ref_opts.subset_at(start);
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
            Plan {
                edits: vec![Insert { at: end, text }],
                carrier: 0,
                offset: 0,
                template: t,
            }
        }
    };
    finish(
        doc,
        plan,
        opts.signer,
        opts.c14n,
        opts.c14n_with_comments,
        limits,
    )
}

/// The caller's or SMEV's signature of a SMEV 3 operation, in the operation's origin slot
/// (`CallerInformationSystemSignature` of a participant's call, `SMEVSignature` of SMEV's
/// answer), over exactly the element that slot signs.
fn smev3_plan(
    doc: &str,
    opts: &SignOptions<'_>,
    dalg: DigestAlg,
    c14n_uri: &str,
    cert_b64: &str,
) -> Result<Plan, SigError> {
    let limits = &opts.limits;
    let alg = opts.signer.algorithm();
    let o = outline(doc, limits, 6)?;
    let spans = &o.spans;
    let body = soap_body(spans)?;
    let op = spans
        .iter()
        .find(|s| s.depth == 3 && body.contains(s))
        .ok_or_else(|| SigError::Signing("the SOAP Body holds no operation element".into()))?;
    let v = smev3_types_version(&op.ns).ok_or_else(|| {
        SigError::Signing(format!(
            "{} is not in a SMEV 3 message-exchange types namespace ({})",
            op.local, op.ns
        ))
    })?;
    let slot = origin_slot(&op.local, v).ok_or_else(|| {
        SigError::Signing(format!(
            "the SMEV 3 operation {} carries no signature",
            op.local
        ))
    })?;
    let children = |parent: &Span, (schema, local): (Schema, &str)| -> Vec<&Span> {
        let ns = schema.ns(&op.ns, v);
        spans
            .iter()
            .filter(|s| {
                s.depth == parent.depth + 1 && parent.contains(s) && s.local == local && s.ns == ns
            })
            .collect()
    };
    // Down to the element that holds the slot and what it signs.
    let mut parent = op;
    for &step in &slot.path[1..slot.path.len() - 1] {
        parent = match children(parent, step).as_slice() {
            [one] => one,
            [] => {
                return Err(SigError::Signing(format!(
                    "{} holds no {}",
                    parent.local, step.1
                )));
            }
            _ => {
                return Err(SigError::Signing(format!(
                    "{} holds more than one {}",
                    parent.local, step.1
                )));
            }
        };
    }
    let Signs::Sibling(names) = slot.signs else {
        return Err(SigError::Signing("no sibling to sign".into()));
    };
    let carriers: Vec<&Span> = names.iter().flat_map(|&n| children(parent, n)).collect();
    let wanted = || {
        names
            .iter()
            .map(|(_, l)| *l)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let signed = match carriers.as_slice() {
        [one] => *one,
        [] => {
            return Err(SigError::Signing(format!(
                "{} holds no {} to sign",
                parent.local,
                wanted()
            )));
        }
        _ => {
            return Err(SigError::Signing(format!(
                "{} holds more than one {}",
                parent.local,
                wanted()
            )));
        }
    };
    let id = signed.id.clone().ok_or_else(|| {
        SigError::Signing(format!("{} has no Id attribute to reference", signed.local))
    })?;
    o.unique(&id)?;
    let reference = Options::new(Algorithm::Exclusive)
        .smev_transform(true)
        .subset_at(signed.start)
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
    let slot_name = slot.path[slot.path.len() - 1].1;
    let existing = children(parent, (Schema::Types, slot_name));
    let (edit_at, prefix, suffix) = match existing.as_slice() {
        [s] if s.has_signature => {
            return Err(SigError::Signing(format!(
                "{slot_name} already holds a signature"
            )));
        }
        [s] => match s.end_start {
            Some(end) if doc[s.start_end..end].trim().is_empty() => {
                (s.start_end, String::new(), String::new())
            }
            _ => {
                return Err(SigError::Signing(format!(
                    "{slot_name} is not empty; write it as <{slot_name}></{slot_name}>"
                )));
            }
        },
        [] => {
            // The slot ends its parent's sequence, but for 1.3's `rout:Routing`, which
            // follows the caller's signature in SendRequestRequest.
            let routing = children(parent, (Schema::Routing, "Routing"));
            let at = match routing.first() {
                Some(r) => r.start,
                None => parent
                    .end_start
                    .ok_or_else(|| SigError::Signing(format!("{} has no end tag", parent.local)))?,
            };
            (
                at,
                format!("<{slot_name} xmlns=\"{}\">", xml_escape_attr(&op.ns)),
                format!("</{slot_name}>"),
            )
        }
        _ => {
            return Err(SigError::Signing(format!(
                "{} holds more than one {slot_name}",
                parent.local
            )));
        }
    };
    let offset = prefix.len();
    let text = format!("{prefix}{}{suffix}", t.xml);
    Ok(Plan {
        edits: vec![Insert { at: edit_at, text }],
        carrier: 0,
        offset,
        template: t,
    })
}

pub(crate) fn soap_body(spans: &[Span]) -> Result<&Span, SigError> {
    let env = spans
        .first()
        .filter(|s| s.local == "Envelope" && (s.ns == SOAP11 || s.ns == SOAP12))
        .ok_or_else(|| SigError::Signing("the document is not a SOAP Envelope".into()))?;
    spans
        .iter()
        .find(|s| s.depth == 2 && s.local == "Body" && s.ns == env.ns)
        .ok_or_else(|| SigError::Signing("the SOAP Envelope has no Body".into()))
}
