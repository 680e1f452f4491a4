//! The streaming reader: quick-xml tokenizes, this layer enforces the rules quick-xml leaves to
//! its caller (limits, DTD refusal, entity policy, names, namespaces, document structure, Ids)
//! and resolves every element and attribute to its namespace URI.

use std::borrow::Cow;
use std::collections::HashSet;

use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::events::Event as QEvent;

use crate::names::{eq_str, is_xml_char, split_qname};
use crate::{Limits, XmlError};

/// The namespace the `xml` prefix is bound to by definition.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// The namespace of `xmlns` declarations; it may never be declared.
pub const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
/// WS-Security utility namespace, whose `Id` attribute identifies signed parts in SMEV 2.
pub const WSU_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";

/// One attribute of a start tag (namespace declarations are reported apart, as [`NsDecl`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute<'a> {
    pub qname: &'a str,
    pub prefix: &'a str,
    pub local: &'a str,
    /// Namespace URI, "" for an unprefixed attribute.
    pub ns: Cow<'a, str>,
    /// The value after XML 1.0 §3.3.3 normalization (references resolved, TAB/LF → space).
    pub value: Cow<'a, str>,
}

impl Attribute<'_> {
    /// Does this attribute identify its element for same-document references?
    /// `Id`, `ID`, `id` unqualified, `wsu:Id` and `xml:id`.
    pub fn is_id(&self) -> bool {
        match self.ns.as_ref() {
            "" => matches!(self.local, "Id" | "ID" | "id"),
            WSU_NS => self.local == "Id",
            XML_NS => self.local == "id",
            _ => false,
        }
    }
}

/// A namespace declaration (`xmlns="…"` has prefix "").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NsDecl<'a> {
    pub prefix: &'a str,
    pub uri: Cow<'a, str>,
}

/// The start tag most recently read, valid until the next call to [`Reader::next`].
#[derive(Debug, Default)]
pub struct StartTag<'a> {
    pub qname: &'a str,
    pub prefix: &'a str,
    pub local: &'a str,
    /// Namespace URI of the element, "" when it is in no namespace.
    pub ns: Cow<'a, str>,
    pub attrs: Vec<Attribute<'a>>,
    /// This element's own declarations, in document order.
    pub ns_decls: Vec<NsDecl<'a>>,
    /// Written as `<a/>`.
    pub empty: bool,
    /// Byte offset of `<` in the prepared input.
    pub pos: usize,
    /// Nesting depth; the root element has depth 1.
    pub depth: usize,
}

impl StartTag<'_> {
    /// Does any Id attribute of this element have the value `id`?
    pub fn has_id(&self, id: &str) -> bool {
        self.attrs.iter().any(|a| a.is_id() && a.value == id)
    }
}

/// What [`Reader::next`] found. Start tag details are read with [`Reader::start_tag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    Start,
    End {
        qname: &'a str,
        depth: usize,
    },
    /// Literal character data: no references (those come as [`Event::Ref`]), no CR.
    Text(&'a str),
    /// A resolved character or predefined-entity reference inside element content.
    Ref(char),
    CData(&'a str),
    Comment(&'a str),
    Pi {
        target: &'a str,
        data: &'a str,
    },
    Eof,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Prolog,
    Root,
    Epilog,
}

/// A namespace-aware pull reader over a prepared document (see [`crate::prepare`]).
pub struct Reader<'a> {
    src: &'a str,
    qx: quick_xml::Reader<&'a [u8]>,
    limits: Limits,
    tag: StartTag<'a>,
    bindings: Vec<NsDecl<'a>>,
    /// Per open element: bindings length before its declarations, and its name.
    scopes: Vec<(usize, &'a str)>,
    pending_end: bool,
    place: Place,
    first_event: bool,
    ids: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Reader<'a> {
    /// A reader over `src`, which must come from [`crate::prepare`] (valid UTF-8, no CR).
    pub fn new(src: &'a str, limits: Limits) -> Self {
        let mut qx = quick_xml::Reader::from_str(src);
        let cfg = qx.config_mut();
        cfg.check_end_names = true;
        cfg.check_comments = true;
        cfg.expand_empty_elements = false;
        cfg.trim_text(false);
        Reader {
            src,
            qx,
            limits,
            tag: StartTag::default(),
            bindings: Vec::with_capacity(16),
            scopes: Vec::with_capacity(32),
            pending_end: false,
            place: Place::Prolog,
            first_event: true,
            ids: None,
        }
    }

    /// Refuse the document if two elements carry the same Id (see [`Attribute::is_id`]).
    pub fn track_ids(mut self) -> Self {
        self.ids = Some(HashSet::new());
        self
    }

    /// The start tag of the last [`Event::Start`].
    pub fn start_tag(&self) -> &StartTag<'a> {
        &self.tag
    }

    /// Current element depth (0 outside the root).
    pub fn depth(&self) -> usize {
        self.scopes.len()
    }

    /// The URI `prefix` is bound to at this point ("" prefix: the default namespace).
    /// `None` when unbound; the default namespace, when undeclared, is reported as `None` too.
    pub fn lookup(&self, prefix: &str) -> Option<&Cow<'a, str>> {
        self.bindings
            .iter()
            .rev()
            .find(|b| eq_str(b.prefix, prefix))
            .map(|b| &b.uri)
    }

    /// The binding of `prefix` at this point, with the prefix borrowed from the document.
    pub fn lookup_decl(&self, prefix: &str) -> Option<&NsDecl<'a>> {
        self.bindings
            .iter()
            .rev()
            .find(|b| eq_str(b.prefix, prefix))
    }

    /// The URI `prefix` was bound to outside the current element, i.e. in its parent's scope.
    pub fn parent_lookup(&self, prefix: &str) -> Option<&Cow<'a, str>> {
        let mark = self.scopes.last().map_or(0, |s| s.0);
        self.bindings[..mark]
            .iter()
            .rev()
            .find(|b| eq_str(b.prefix, prefix))
            .map(|b| &b.uri)
    }

    /// Every namespace binding in scope, nearest first, each prefix once. Includes an
    /// `xmlns=""` undeclaration when that is the nearest default binding.
    pub fn in_scope(&self) -> Vec<&NsDecl<'a>> {
        let mut out: Vec<&NsDecl<'a>> = Vec::new();
        for b in self.bindings.iter().rev() {
            if !out.iter().any(|o| o.prefix == b.prefix) {
                out.push(b);
            }
        }
        out
    }

    /// Reads the next event.
    // Not an Iterator: the stream ends with an explicit `Eof` event and every step can fail.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Event<'a>, XmlError> {
        if self.pending_end {
            self.pending_end = false;
            return Ok(self.close());
        }
        loop {
            // Character data and references are scanned here, over input already validated
            // as UTF-8: quick-xml would re-validate every text slice with a scalar loop.
            // quick-xml then only ever sees markup.
            let before = self.offset();
            let rest = *self.qx.get_ref();
            if let Some(&c) = rest.first().filter(|&&c| c != b'<') {
                self.first_event = false;
                return if c == b'&' {
                    self.reference(before)
                } else {
                    self.text(before)
                };
            }
            let ev = self.qx.read_event().map_err(|e| self.qx_error(e, before))?;
            let after = self.offset();
            let first = std::mem::replace(&mut self.first_event, false);
            match ev {
                QEvent::Start(_) | QEvent::Empty(_) => {
                    let empty = matches!(ev, QEvent::Empty(_));
                    if self.place == Place::Epilog {
                        return Err(XmlError::Structure {
                            reason: "a second root element",
                            pos: before,
                        });
                    }
                    let end = after - if empty { 2 } else { 1 };
                    if self.src.as_bytes().get(before) != Some(&b'<') || end < before + 1 {
                        return Err(XmlError::Syntax {
                            reason: "tag boundaries".into(),
                            pos: before,
                        });
                    }
                    self.start(&self.src[before + 1..end], before, empty)?;
                    self.place = Place::Root;
                    self.pending_end = empty;
                    return Ok(Event::Start);
                }
                QEvent::End(_) => return Ok(self.close()),
                QEvent::Text(t) => {
                    let text = borrowed(t.into_inner(), before)?;
                    if self.place != Place::Root {
                        if text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n')) {
                            continue;
                        }
                        return Err(XmlError::Structure {
                            reason: "text outside the root element",
                            pos: before,
                        });
                    }
                    if let Some(i) = memchr::memmem::find(text.as_bytes(), b"]]>") {
                        return Err(XmlError::Syntax {
                            reason: "`]]>` in character data".into(),
                            pos: before + i,
                        });
                    }
                    return Ok(Event::Text(text));
                }
                QEvent::GeneralRef(r) => {
                    let name = borrowed(r.into_inner(), before)?;
                    if self.place != Place::Root {
                        return Err(XmlError::Structure {
                            reason: "reference outside the root element",
                            pos: before,
                        });
                    }
                    return Ok(Event::Ref(resolve_ref(name, before)?));
                }
                QEvent::CData(c) => {
                    if self.place != Place::Root {
                        return Err(XmlError::Structure {
                            reason: "CDATA outside the root element",
                            pos: before,
                        });
                    }
                    return Ok(Event::CData(borrowed(c.into_inner(), before)?));
                }
                QEvent::Comment(c) => return Ok(Event::Comment(borrowed(c.into_inner(), before)?)),
                QEvent::PI(pi) => {
                    let raw = borrowed(pi.into_inner(), before)?;
                    let (target, data) = split_pi(raw);
                    if target.eq_ignore_ascii_case("xml")
                        || split_qname(target).is_none_or(|(p, _)| !p.is_empty())
                    {
                        return Err(XmlError::Syntax {
                            reason: format!("invalid processing instruction target `{target}`"),
                            pos: before,
                        });
                    }
                    return Ok(Event::Pi { target, data });
                }
                QEvent::Decl(d) => {
                    if !first {
                        return Err(XmlError::Structure {
                            reason: "XML declaration not at the start of the document",
                            pos: before,
                        });
                    }
                    check_decl(&d, before)?;
                }
                QEvent::DocType(_) => return Err(XmlError::Doctype { pos: before }),
                QEvent::Eof => {
                    return match self.place {
                        Place::Prolog => Err(XmlError::Structure {
                            reason: "no root element",
                            pos: before,
                        }),
                        Place::Root => Err(XmlError::Truncated {
                            reason: "elements left open",
                            pos: before,
                        }),
                        Place::Epilog => Ok(Event::Eof),
                    };
                }
            }
        }
    }

    fn offset(&self) -> usize {
        self.src.len() - self.qx.get_ref().len()
    }

    fn advance(&mut self, n: usize) {
        let rest = self.qx.get_mut();
        *rest = &rest[n..];
    }

    fn text(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        let rest = *self.qx.get_ref();
        let n = memchr::memchr2(b'<', b'&', rest).unwrap_or(rest.len());
        let text = &self.src[pos..pos + n];
        self.advance(n);
        if self.place != Place::Root {
            if text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n')) {
                return self.next();
            }
            return Err(XmlError::Structure {
                reason: "text outside the root element",
                pos,
            });
        }
        if let Some(i) = memchr::memmem::find(text.as_bytes(), b"]]>") {
            return Err(XmlError::Syntax {
                reason: "`]]>` in character data".into(),
                pos: pos + i,
            });
        }
        Ok(Event::Text(text))
    }

    fn reference(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        // The longest legal reference is `&#x10FFFF;` / `&#1114111;`; names are short too.
        const MAX: usize = 64;
        let rest = *self.qx.get_ref();
        let window = &rest[1..rest.len().min(MAX)];
        let Some(semi) = memchr::memchr(b';', window) else {
            return Err(XmlError::Syntax {
                reason: "`&` that does not start a reference".into(),
                pos,
            });
        };
        let name = &self.src[pos + 1..pos + 1 + semi];
        let ok = name.strip_prefix('#').map_or_else(
            || split_qname(name).is_some_and(|(p, _)| p.is_empty()),
            |n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric()),
        );
        if !ok {
            return Err(XmlError::Syntax {
                reason: "`&` that does not start a reference".into(),
                pos,
            });
        }
        self.advance(semi + 2);
        if self.place != Place::Root {
            return Err(XmlError::Structure {
                reason: "reference outside the root element",
                pos,
            });
        }
        Ok(Event::Ref(resolve_ref(name, pos)?))
    }

    fn close(&mut self) -> Event<'a> {
        let depth = self.scopes.len();
        let (mark, qname) = self.scopes.pop().unwrap_or((0, ""));
        self.bindings.truncate(mark);
        if self.scopes.is_empty() {
            self.place = Place::Epilog;
        }
        Event::End { qname, depth }
    }

    fn start(&mut self, content: &'a str, pos: usize, empty: bool) -> Result<(), XmlError> {
        let limits = &self.limits;
        let depth = self.scopes.len() + 1;
        if depth > limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: limits.max_depth,
                pos,
            });
        }
        let name_end = content
            .bytes()
            .position(|b| matches!(b, b' ' | b'\t' | b'\n'))
            .unwrap_or(content.len());
        let qname = &content[..name_end];
        let (prefix, local) = check_name(qname, pos, limits)?;
        let tag = &mut self.tag;
        tag.attrs.clear();
        tag.ns_decls.clear();
        tag.qname = qname;
        tag.prefix = prefix;
        tag.local = local;
        tag.empty = empty;
        tag.pos = pos;
        tag.depth = depth;

        let bytes = content.as_bytes();
        let mut i = name_end;
        let mut count = 0usize;
        loop {
            let ws_start = i;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n') {
                i += 1;
            }
            if i == bytes.len() {
                break;
            }
            if i == ws_start {
                return Err(XmlError::MalformedAttribute {
                    reason: "no whitespace before attribute",
                    pos,
                });
            }
            count += 1;
            if count > limits.max_attributes {
                return Err(XmlError::TooManyAttributes {
                    limit: limits.max_attributes,
                    pos,
                });
            }
            let name_start = i;
            while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b'\n' | b'=') {
                i += 1;
            }
            let aname = &content[name_start..i];
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n') {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                return Err(XmlError::MalformedAttribute {
                    reason: "attribute without `=`",
                    pos,
                });
            }
            i += 1;
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'\n') {
                i += 1;
            }
            let quote = match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => q,
                _ => {
                    return Err(XmlError::MalformedAttribute {
                        reason: "attribute value not quoted",
                        pos,
                    });
                }
            };
            let vstart = i + 1;
            let vlen =
                memchr::memchr(quote, &bytes[vstart..]).ok_or(XmlError::MalformedAttribute {
                    reason: "attribute value not closed",
                    pos,
                })?;
            if vlen > limits.max_attr_value_len {
                return Err(XmlError::AttributeValueTooLong {
                    limit: limits.max_attr_value_len,
                    pos,
                });
            }
            let raw = &content[vstart..vstart + vlen];
            i = vstart + vlen + 1;
            let (aprefix, alocal) = check_name(aname, pos, limits)?;
            let value = normalize_attr(raw, pos)?;
            if aname == "xmlns" {
                tag.ns_decls.push(NsDecl {
                    prefix: "",
                    uri: value,
                });
            } else if aprefix == "xmlns" {
                tag.ns_decls.push(NsDecl {
                    prefix: alocal,
                    uri: value,
                });
            } else {
                tag.attrs.push(Attribute {
                    qname: aname,
                    prefix: aprefix,
                    local: alocal,
                    ns: Cow::Borrowed(""),
                    value,
                });
            }
        }

        // Declarations take effect on the element that carries them.
        let mark = self.bindings.len();
        for (n, d) in tag.ns_decls.iter().enumerate() {
            if tag.ns_decls[..n].iter().any(|o| o.prefix == d.prefix) {
                let name = if d.prefix.is_empty() {
                    "xmlns".into()
                } else {
                    format!("xmlns:{}", d.prefix)
                };
                return Err(XmlError::DuplicateAttribute { name, pos });
            }
            check_decl_rules(d, pos)?;
            self.bindings.push(d.clone());
        }
        if self.bindings.len() > limits.max_namespace_bindings {
            return Err(XmlError::TooManyNamespaces {
                limit: limits.max_namespace_bindings,
                pos,
            });
        }
        let bindings = &self.bindings;
        tag.ns = resolve(bindings, prefix, true, pos)?;
        for a in tag.attrs.iter_mut() {
            if !a.prefix.is_empty() {
                a.ns = resolve(bindings, a.prefix, false, pos)?;
            }
        }
        for (n, a) in tag.attrs.iter().enumerate() {
            for b in &tag.attrs[..n] {
                if eq_str(a.qname, b.qname)
                    || (!a.ns.is_empty() && eq_str(a.local, b.local) && eq_str(&a.ns, &b.ns))
                {
                    return Err(XmlError::DuplicateAttribute {
                        name: a.qname.into(),
                        pos,
                    });
                }
            }
        }
        if let Some(seen) = self.ids.as_mut() {
            for (n, a) in tag.attrs.iter().enumerate() {
                // The same value twice on one element still names one element.
                if a.is_id()
                    && !tag.attrs[..n]
                        .iter()
                        .any(|b| b.is_id() && b.value == a.value)
                    && !seen.insert(a.value.clone())
                {
                    return Err(XmlError::DuplicateId {
                        id: a.value.to_string(),
                        pos,
                    });
                }
            }
        }
        self.scopes.push((mark, qname));
        Ok(())
    }

    fn qx_error(&self, e: QxError, before: usize) -> XmlError {
        // quick-xml's own offset does not count the text this reader consumed itself.
        let pos = before;
        match e {
            QxError::Syntax(s) => match s {
                SyntaxError::UnclosedDoctype => XmlError::Doctype { pos },
                SyntaxError::UnclosedComment
                | SyntaxError::UnclosedCData
                | SyntaxError::UnclosedPI
                | SyntaxError::UnclosedXmlDecl
                | SyntaxError::UnclosedTag
                | SyntaxError::UnclosedSingleQuotedAttributeValue
                | SyntaxError::UnclosedDoubleQuotedAttributeValue => XmlError::Truncated {
                    reason: "markup not closed",
                    pos,
                },
                other => XmlError::Syntax {
                    reason: other.to_string(),
                    pos,
                },
            },
            QxError::IllFormed(IllFormedError::MismatchedEndTag { expected, found }) => {
                XmlError::MismatchedEndTag {
                    expected,
                    found,
                    pos,
                }
            }
            QxError::IllFormed(IllFormedError::MissingDoctypeName) => XmlError::Doctype { pos },
            QxError::IllFormed(IllFormedError::MissingEndTag(_)) => XmlError::Truncated {
                reason: "elements left open",
                pos,
            },
            QxError::IllFormed(IllFormedError::UnmatchedEndTag(found)) => XmlError::Structure {
                reason: if found.is_empty() {
                    "end tag without a start tag"
                } else {
                    "end tag without a matching start tag"
                },
                pos,
            },
            other => XmlError::Syntax {
                reason: other.to_string(),
                pos,
            },
        }
    }
}

fn borrowed(c: Cow<'_, str>, pos: usize) -> Result<&str, XmlError> {
    match c {
        Cow::Borrowed(s) => Ok(s),
        // A slice reader always borrows; an owned event would mean the input was rewritten.
        Cow::Owned(_) => Err(XmlError::Syntax {
            reason: "unexpected owned event".into(),
            pos,
        }),
    }
}

fn check_name<'s>(
    name: &'s str,
    pos: usize,
    limits: &Limits,
) -> Result<(&'s str, &'s str), XmlError> {
    if name.len() > limits.max_name_len {
        return Err(XmlError::NameTooLong {
            limit: limits.max_name_len,
            pos,
        });
    }
    split_qname(name).ok_or_else(|| XmlError::InvalidName {
        name: name.into(),
        pos,
    })
}

fn check_decl_rules(d: &NsDecl<'_>, pos: usize) -> Result<(), XmlError> {
    let err = |reason| Err(XmlError::Namespace { reason, pos });
    match (d.prefix, d.uri.as_ref()) {
        ("xml", XML_NS) => Ok(()),
        ("xml", _) => err("the `xml` prefix may only be bound to its own namespace"),
        ("xmlns", _) => err("the `xmlns` prefix may not be declared"),
        (_, XML_NS) => err("the XML namespace may only be bound to the `xml` prefix"),
        (_, XMLNS_NS) => err("the xmlns namespace may not be declared"),
        (p, "") if !p.is_empty() => err("a prefix may not be bound to the empty namespace name"),
        _ => Ok(()),
    }
}

fn resolve<'a>(
    bindings: &[NsDecl<'a>],
    prefix: &str,
    element: bool,
    pos: usize,
) -> Result<Cow<'a, str>, XmlError> {
    match prefix {
        "xml" => return Ok(Cow::Borrowed(XML_NS)),
        "xmlns" => {
            return Err(XmlError::Namespace {
                reason: "the `xmlns` prefix may not be used",
                pos,
            });
        }
        _ => {}
    }
    match bindings.iter().rev().find(|b| eq_str(b.prefix, prefix)) {
        Some(b) => Ok(b.uri.clone()),
        None if prefix.is_empty() && element => Ok(Cow::Borrowed("")),
        None => Err(XmlError::UnboundPrefix {
            prefix: prefix.into(),
            pos,
        }),
    }
}

/// XML 1.0 §3.3.3 for CDATA-typed attributes (there is no DTD to type them otherwise).
fn normalize_attr(raw: &str, pos: usize) -> Result<Cow<'_, str>, XmlError> {
    let b = raw.as_bytes();
    if memchr::memchr(b'<', b).is_some() {
        return Err(XmlError::MalformedAttribute {
            reason: "`<` in attribute value",
            pos,
        });
    }
    if memchr::memchr3(b'&', b'\t', b'\n', b).is_none() {
        return Ok(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = memchr::memchr3(b'&', b'\t', b'\n', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'&' {
            let end = memchr::memchr(b';', &rest.as_bytes()[i..]).ok_or(
                XmlError::MalformedAttribute {
                    reason: "`&` without a reference",
                    pos,
                },
            )?;
            out.push(resolve_ref(&rest[i + 1..i + end], pos)?);
            rest = &rest[i + end + 1..];
        } else {
            out.push(' ');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

/// Resolves `&name;`: the five predefined entities and character references, nothing else.
pub fn resolve_ref(name: &str, pos: usize) -> Result<char, XmlError> {
    let c = match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16)
                    .ok()
                    .filter(|_| hex.bytes().all(|c| c.is_ascii_hexdigit()))
            } else if let Some(dec) = name.strip_prefix('#') {
                dec.parse::<u32>()
                    .ok()
                    .filter(|_| dec.bytes().all(|c| c.is_ascii_digit()))
            } else {
                return Err(XmlError::UndefinedEntity {
                    name: name.into(),
                    pos,
                });
            };
            return code
                .filter(|&c| is_xml_char(c))
                .and_then(char::from_u32)
                .ok_or_else(|| XmlError::InvalidCharRef {
                    reference: name.into(),
                    pos,
                });
        }
    };
    Ok(c)
}

fn split_pi(raw: &str) -> (&str, &str) {
    match raw.find([' ', '\t', '\n']) {
        None => (raw, ""),
        Some(i) => (&raw[..i], raw[i..].trim_start_matches([' ', '\t', '\n'])),
    }
}

fn check_decl(d: &quick_xml::events::BytesDecl<'_>, pos: usize) -> Result<(), XmlError> {
    let version = d.version().map_err(|e| XmlError::Syntax {
        reason: e.to_string(),
        pos,
    })?;
    if version != "1.0" {
        return Err(XmlError::Syntax {
            reason: format!("XML version `{version}` (only 1.0 is accepted)"),
            pos,
        });
    }
    if let Some(enc) = d.encoding() {
        let enc = enc.map_err(|e| XmlError::Syntax {
            reason: e.to_string(),
            pos,
        })?;
        if !enc.eq_ignore_ascii_case("utf-8") && !enc.eq_ignore_ascii_case("utf8") {
            return Err(XmlError::UnsupportedEncoding {
                encoding: enc.into_owned(),
            });
        }
    }
    Ok(())
}
