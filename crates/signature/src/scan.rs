//! The first pass: one read of the whole message that collects what verification needs —
//! every `ds:Signature` with its SignedInfo, References, SignatureValue and KeyInfo; every
//! element that carries an Id, with its ancestry; every BinarySecurityToken — and refuses a
//! message with more signatures or References than the policy admits as soon as it sees one
//! too many. Ids carried twice are recorded, not refused: whether a duplicate matters depends
//! on what the signatures reference, which the verifier decides. Canonicalization then runs
//! over the same prepared text by byte offset.

use std::borrow::Cow;
use std::collections::HashMap;

use rsmev_c14n::Tap;
use rsmev_xml::{Event, Limits, Reader};

use crate::SigError;
use crate::ns::{DS, EXC_C14N_NS, SOAP11, SOAP12, WSSE, is_smev2};
use crate::verify::SignaturePolicy;

/// One element on a path from the root: enough to state where a signature sits and what it
/// signs, by namespace URI (never by prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame<'a> {
    pub(crate) ns: Cow<'a, str>,
    pub(crate) local: &'a str,
    /// Document-order element number: tells two same-named siblings apart.
    pub(crate) node: u32,
    pub(crate) pos: usize,
    /// Just past the start tag's `>`.
    pub(crate) tag_end: usize,
    /// The actor of a `wsse:Security` header block — SOAP 1.1 `actor` in a SOAP 1.1 envelope,
    /// SOAP 1.2 `role` in a SOAP 1.2 one, never the other version's attribute —, or the
    /// unqualified `actor` of a SMEV 2 `smev:Header`: whose header block it is.
    pub(crate) actor: Option<Cow<'a, str>>,
    /// A `wsse:Security` block carries both a SOAP 1.1 `actor` and a SOAP 1.2 `role`: peers of
    /// the two versions would read two different actors, so the block has none that counts.
    pub(crate) actor_conflict: bool,
}

/// An element carrying an Id: its path from the root, itself last.
#[derive(Debug)]
pub(crate) struct IdElement<'a> {
    pub(crate) path: Vec<Frame<'a>>,
    /// Text content, kept for `wsse:BinarySecurityToken` only.
    pub(crate) token: Option<String>,
    /// Just past the element's end.
    pub(crate) end: usize,
    /// A `ds:Signature` or inside one: its Id means something only to a Reference.
    pub(crate) in_signature: bool,
}

impl IdElement<'_> {
    pub(crate) fn this(&self) -> &Frame<'_> {
        self.path.last().expect("a path ends at its element")
    }
}

/// What an Id names.
pub(crate) enum Named<'s, 'a> {
    One(&'s IdElement<'a>),
    /// Carried by this many elements.
    Several(usize),
    Nothing,
}

#[derive(Debug, Default)]
pub(crate) struct Transform {
    pub(crate) algorithm: String,
    pub(crate) prefixes: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Reference {
    pub(crate) uri: Option<String>,
    pub(crate) transforms: Vec<Transform>,
    pub(crate) digest_method: Option<String>,
    pub(crate) digest_value: Option<String>,
    pub(crate) pos: usize,
}

#[derive(Debug, Default)]
pub(crate) struct KeyInfo {
    pub(crate) certificates: Vec<String>,
    /// `wsse:SecurityTokenReference/wsse:Reference/@URI`.
    pub(crate) token_refs: Vec<String>,
}

#[derive(Debug)]
pub(crate) struct Signature<'a> {
    /// Path from the root to the `ds:Signature`, itself last.
    pub(crate) path: Vec<Frame<'a>>,
    pub(crate) signed_info_pos: Option<usize>,
    /// Just past SignedInfo's end tag.
    pub(crate) signed_info_end: usize,
    pub(crate) c14n_method: Option<String>,
    pub(crate) c14n_prefixes: Option<String>,
    pub(crate) signature_method: Option<String>,
    pub(crate) references: Vec<Reference>,
    pub(crate) signature_value: Option<String>,
    pub(crate) key_info: KeyInfo,
    /// Just past the element's end.
    pub(crate) end: usize,
}

impl Signature<'_> {
    pub(crate) fn pos(&self) -> usize {
        self.path.last().map_or(0, |f| f.pos)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Scan<'a> {
    /// Every element carrying an Id, in document order.
    pub(crate) elements: Vec<IdElement<'a>>,
    /// Each Id with the elements carrying it (more than one: a duplicate). An element with
    /// two Id attributes (`Id` and `wsu:Id`, …) is named by both.
    pub(crate) ids: HashMap<String, Vec<usize>>,
    pub(crate) signatures: Vec<Signature<'a>>,
    /// The root element (a SOAP Envelope or anything else).
    pub(crate) root: Option<Frame<'a>>,
    /// Canonical forms made during the scan (see [`Speculate`]), by element.
    pub(crate) taps: HashMap<usize, Tapped>,
}

impl<'a> Scan<'a> {
    pub(crate) fn named(&self, id: &str) -> Named<'_, 'a> {
        match self.ids.get(id).map(Vec::as_slice) {
            Some([one]) => Named::One(&self.elements[*one]),
            Some(many) => Named::Several(many.len()),
            None => Named::Nothing,
        }
    }

    /// The index of the element an Id names, if exactly one carries it.
    pub(crate) fn index_of(&self, id: &str) -> Option<usize> {
        match self.ids.get(id).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }

    /// Ids carried by more than one element.
    pub(crate) fn duplicates(&self) -> impl Iterator<Item = (&str, &[usize])> {
        self.ids
            .iter()
            .filter(|(_, e)| e.len() > 1)
            .map(|(id, e)| (id.as_str(), e.as_slice()))
    }
}

/// Exclusive C14N of an element, with or without the SMEV transform, made while scanning.
#[derive(Debug)]
pub(crate) struct Tapped {
    pub(crate) smev: bool,
    pub(crate) bytes: Vec<u8>,
}

/// Which canonical form to make of the outermost elements with an Id while scanning, before
/// the signature that will reference them has been read. A guess: the verifier takes it from
/// the references of earlier messages, and canonicalizes anew when the guess was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Speculate {
    No,
    Exclusive,
    ExclusiveSmev,
}

/// At most this many speculative copies per message, each bounded in size: a guess never
/// costs more than a small multiple of the input.
const MAX_TAPS: usize = 4;

/// Where inside a `ds:Signature` the reader is; text is collected for the leaf states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum In {
    Signature,
    SignedInfo,
    C14nMethod,
    SignatureMethod,
    Reference,
    Transforms,
    Transform,
    DigestMethod,
    DigestValue,
    SignatureValue,
    KeyInfo,
    X509Data,
    X509Certificate,
    TokenReference,
    /// Content the verifier has no use for (KeyName, X509IssuerSerial, Object, …).
    Ignored,
}

fn malformed(pos: usize, what: impl Into<String>) -> SigError {
    SigError::Malformed {
        pos,
        what: what.into(),
    }
}

/// The attribute that names a `wsse:Security` block's actor in an envelope of this namespace.
fn actor_attribute(envelope_ns: &str) -> Option<(&'static str, &'static str)> {
    match envelope_ns {
        SOAP11 => Some((SOAP11, "actor")),
        SOAP12 => Some((SOAP12, "role")),
        _ => None,
    }
}

/// Reads the whole prepared document once.
pub(crate) fn scan<'a>(
    doc: &'a str,
    limits: &Limits,
    policy: &SignaturePolicy,
    speculate: Speculate,
) -> Result<Scan<'a>, SigError> {
    let mut r = Reader::new(doc, limits.clone());
    let mut out = Scan::default();
    // The actor attribute of the envelope's own SOAP version, known from the root.
    let mut actor_attr: Option<(&str, &str)> = None;
    let mut stack: Vec<Frame<'a>> = Vec::with_capacity(32);
    let mut node = 0u32;
    // Inside a ds:Signature: its index in `out.signatures` and the state stack below it.
    let mut sig: Option<usize> = None;
    let mut states: Vec<In> = Vec::new();
    // Inside a BinarySecurityToken with an Id: (depth, element, text so far).
    let mut token: Option<(usize, usize, String)> = None;
    let mut text = String::new();
    // Elements with an Id still open: (depth, element), innermost last.
    let mut open_ids: Vec<(usize, usize)> = Vec::new();
    let mut tap: Option<(usize, Tap<'a>)> = None;
    let tap_limit = 4 * doc.len() + (64 << 10);
    loop {
        let ev = r.next()?;
        match tap.as_mut().map(|(_, t)| t.feed(&r, ev)) {
            None | Some(Ok(false)) => {}
            Some(Ok(true)) => {
                let (element, t) = tap.take().expect("a tap is running");
                if let Some(bytes) = t.into_bytes() {
                    let smev = speculate == Speculate::ExclusiveSmev;
                    out.taps.insert(element, Tapped { smev, bytes });
                }
            }
            // The guess failed (too large, or content the transform refuses): the verifier
            // canonicalizes the element anew and reports any real error then.
            Some(Err(_)) => tap = None,
        }
        match ev {
            Event::Start => {
                let t = r.start_tag();
                node += 1;
                if out.root.is_none() {
                    actor_attr = actor_attribute(&t.ns);
                }
                let mut actor_conflict = false;
                let actor = if t.ns == WSSE && t.local == "Security" {
                    let is = |a: &rsmev_xml::Attribute<'_>, (ns, local): (&str, &str)| {
                        a.ns == ns && a.local == local
                    };
                    let v11 = t.attrs.iter().any(|a| is(a, (SOAP11, "actor")));
                    let v12 = t.attrs.iter().any(|a| is(a, (SOAP12, "role")));
                    actor_conflict = v11 && v12;
                    actor_attr
                        .filter(|_| !actor_conflict)
                        .and_then(|want| t.attrs.iter().find(|a| is(a, want)))
                        .map(|a| a.value.clone())
                } else if t.local == "Header" && is_smev2(&t.ns) {
                    // The schema's unqualified `actor` (HeaderType, smev-protocol.md §1.2).
                    t.attrs
                        .iter()
                        .find(|a| a.ns.is_empty() && a.local == "actor")
                        .map(|a| a.value.clone())
                } else {
                    None
                };
                let frame = Frame {
                    ns: t.ns.clone(),
                    local: t.local,
                    node,
                    pos: t.pos,
                    tag_end: r.offset(),
                    actor,
                    actor_conflict,
                };
                if out.root.is_none() {
                    out.root = Some(frame.clone());
                }
                stack.push(frame);
                let opens_signature = sig.is_none() && t.ns == DS && t.local == "Signature";
                if t.attrs.iter().any(|a| a.is_id()) {
                    let element = out.elements.len();
                    if t.ns == WSSE && t.local == "BinarySecurityToken" {
                        token = Some((t.depth, element, String::new()));
                    }
                    out.elements.push(IdElement {
                        path: stack.clone(),
                        token: None,
                        end: 0,
                        in_signature: sig.is_some() || opens_signature,
                    });
                    for (n, a) in t.attrs.iter().enumerate() {
                        // The same value twice on one element still names one element.
                        let repeat = t.attrs[..n].iter().any(|b| b.is_id() && b.value == a.value);
                        if a.is_id() && !repeat {
                            out.ids
                                .entry(a.value.to_string())
                                .or_default()
                                .push(element);
                        }
                    }
                    open_ids.push((t.depth, element));
                    if tap.is_none() && speculate != Speculate::No && out.taps.len() < MAX_TAPS {
                        let smev = speculate == Speculate::ExclusiveSmev;
                        if let Ok(t) = Tap::start(&r, smev, tap_limit) {
                            tap = Some((element, t));
                        }
                    }
                }
                match sig {
                    None if opens_signature => {
                        if out.signatures.len() == policy.max_signatures {
                            return Err(SigError::TooManySignatures {
                                max: policy.max_signatures,
                                pos: t.pos,
                            });
                        }
                        out.signatures.push(Signature {
                            path: stack.clone(),
                            signed_info_pos: None,
                            signed_info_end: 0,
                            c14n_method: None,
                            c14n_prefixes: None,
                            signature_method: None,
                            references: Vec::new(),
                            signature_value: None,
                            key_info: KeyInfo::default(),
                            end: 0,
                        });
                        sig = Some(out.signatures.len() - 1);
                        states.clear();
                        states.push(In::Signature);
                    }
                    None => {}
                    Some(i) => {
                        let s = &mut out.signatures[i];
                        let parent = *states.last().expect("inside a signature");
                        let next = enter(s, parent, &r, policy)?;
                        text.clear();
                        states.push(next);
                    }
                }
            }
            Event::End { depth, .. } => {
                if open_ids.last().is_some_and(|(d, _)| *d == depth) {
                    let (_, element) = open_ids.pop().expect("checked");
                    out.elements[element].end = r.offset();
                }
                if let Some(i) = sig {
                    let state = states.pop().expect("inside a signature");
                    let s = &mut out.signatures[i];
                    let value = std::mem::take(&mut text);
                    match state {
                        In::DigestValue => {
                            if let Some(rf) = s.references.last_mut() {
                                rf.digest_value = Some(value);
                            }
                        }
                        In::SignatureValue => s.signature_value = Some(value),
                        In::SignedInfo => s.signed_info_end = r.offset(),
                        In::X509Certificate => s.key_info.certificates.push(value),
                        _ => {}
                    }
                    if states.is_empty() {
                        s.end = r.offset();
                        sig = None;
                    }
                }
                if let Some((d, element, value)) = token.take() {
                    if d == depth {
                        out.elements[element].token = Some(value);
                    } else {
                        token = Some((d, element, value));
                    }
                }
                stack.pop();
            }
            Event::Text(t) | Event::CData(t) => {
                if collecting(&states) {
                    text.push_str(t);
                }
                if let Some((_, _, v)) = token.as_mut() {
                    v.push_str(t);
                }
            }
            Event::Ref(c) => {
                if collecting(&states) {
                    text.push(c);
                }
                if let Some((_, _, v)) = token.as_mut() {
                    v.push(c);
                }
            }
            Event::Comment(_) | Event::Pi { .. } => {}
            Event::Eof => break,
        }
    }
    Ok(out)
}

fn collecting(states: &[In]) -> bool {
    matches!(
        states.last(),
        Some(In::DigestValue | In::SignatureValue | In::X509Certificate)
    )
}

/// The XMLDSig structure (XMLDSig core §4): which child is allowed where. Unknown elements in
/// SignedInfo or a Reference are refused — what is signed must be fully understood.
fn enter<'a>(
    s: &mut Signature<'a>,
    parent: In,
    r: &Reader<'a>,
    policy: &SignaturePolicy,
) -> Result<In, SigError> {
    let t = r.start_tag();
    let pos = t.pos;
    let ds = t.ns == DS;
    let attr = |name: &str| {
        t.attrs
            .iter()
            .find(|a| a.ns.is_empty() && a.local == name)
            .map(|a| a.value.to_string())
    };
    let next = match (parent, ds, t.local) {
        (In::Signature, true, "SignedInfo") => {
            if s.signed_info_pos.is_some() || s.signature_value.is_some() {
                return Err(malformed(pos, "SignedInfo must come first, once"));
            }
            s.signed_info_pos = Some(pos);
            In::SignedInfo
        }
        (In::Signature, true, "SignatureValue") => {
            if s.signed_info_pos.is_none() || s.signature_value.is_some() {
                return Err(malformed(
                    pos,
                    "SignatureValue must follow SignedInfo, once",
                ));
            }
            In::SignatureValue
        }
        (In::Signature, true, "KeyInfo") => In::KeyInfo,
        (In::Signature, true, "Object") => In::Ignored,
        (In::SignedInfo, true, "CanonicalizationMethod") => {
            if s.c14n_method.is_some() {
                return Err(malformed(pos, "more than one CanonicalizationMethod"));
            }
            s.c14n_method = Some(
                attr("Algorithm")
                    .ok_or_else(|| malformed(pos, "CanonicalizationMethod without Algorithm"))?,
            );
            In::C14nMethod
        }
        (In::SignedInfo, true, "SignatureMethod") => {
            if s.signature_method.is_some() {
                return Err(malformed(pos, "more than one SignatureMethod"));
            }
            s.signature_method = Some(
                attr("Algorithm")
                    .ok_or_else(|| malformed(pos, "SignatureMethod without Algorithm"))?,
            );
            In::SignatureMethod
        }
        (In::SignedInfo, true, "Reference") => {
            if s.references.len() == policy.max_references {
                return Err(SigError::TooManyReferences {
                    max: policy.max_references,
                    pos,
                });
            }
            s.references.push(Reference {
                uri: attr("URI"),
                pos,
                ..Reference::default()
            });
            In::Reference
        }
        (In::C14nMethod, false, "InclusiveNamespaces") if t.ns == EXC_C14N_NS => {
            s.c14n_prefixes = Some(attr("PrefixList").unwrap_or_default());
            In::Ignored
        }
        (In::Reference, true, "Transforms") => In::Transforms,
        (In::Reference, true, "DigestMethod") => {
            let rf = s.references.last_mut().expect("inside a Reference");
            rf.digest_method = Some(
                attr("Algorithm")
                    .ok_or_else(|| malformed(pos, "DigestMethod without Algorithm"))?,
            );
            In::DigestMethod
        }
        (In::Reference, true, "DigestValue") => In::DigestValue,
        (In::Transforms, true, "Transform") => {
            let rf = s.references.last_mut().expect("inside a Reference");
            rf.transforms.push(Transform {
                algorithm: attr("Algorithm")
                    .ok_or_else(|| malformed(pos, "Transform without Algorithm"))?,
                prefixes: None,
            });
            In::Transform
        }
        (In::Transform, false, "InclusiveNamespaces") if t.ns == EXC_C14N_NS => {
            let rf = s.references.last_mut().expect("inside a Reference");
            let tr = rf.transforms.last_mut().expect("inside a Transform");
            tr.prefixes = Some(attr("PrefixList").unwrap_or_default());
            In::Ignored
        }
        (In::KeyInfo, true, "X509Data") => In::X509Data,
        (In::X509Data, true, "X509Certificate") => In::X509Certificate,
        (In::KeyInfo, false, "SecurityTokenReference") if t.ns == WSSE => In::TokenReference,
        (In::TokenReference, false, "Reference") if t.ns == WSSE => {
            if let Some(uri) = attr("URI") {
                s.key_info.token_refs.push(uri);
            }
            In::Ignored
        }
        // Inside what the verifier ignores, anything goes; but a signature nested in a
        // signature is never meaningful here.
        (In::Ignored | In::KeyInfo | In::X509Data | In::TokenReference, _, "Signature") if ds => {
            return Err(malformed(pos, "a Signature nested inside a Signature"));
        }
        (In::Ignored | In::KeyInfo | In::X509Data | In::TokenReference, _, _) => In::Ignored,
        (In::SignatureMethod, true, "HMACOutputLength") => In::Ignored,
        (state, _, _) => {
            return Err(malformed(
                pos,
                format!("unexpected element `{}` in {state:?}", t.qname),
            ));
        }
    };
    Ok(next)
}
