//! The streaming reader: quick-xml tokenizes, this layer enforces the rules quick-xml leaves to
//! its caller (limits, DTD refusal, entity policy, names, namespaces, document structure, Ids)
//! and resolves every element and attribute to its namespace URI.

use std::borrow::Cow;
use std::collections::HashSet;

use quick_xml::parser::{ElementParser, Parser, PiParser};

use crate::names::{cmp_str, eq_str, is_xml_char, split_qname};
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
    /// Byte offset of the next unread byte of `src`.
    pos: usize,
    limits: Limits,
    tag: StartTag<'a>,
    bindings: Vec<NsDecl<'a>>,
    /// Per open element: bindings length before its declarations, and its name.
    scopes: Vec<(usize, &'a str)>,
    pending_end: bool,
    place: Place,
    ids: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> Reader<'a> {
    /// A reader over `src`, which must come from [`crate::prepare`] (valid UTF-8, no CR).
    pub fn new(src: &'a str, limits: Limits) -> Self {
        Reader {
            src,
            pos: 0,
            limits,
            tag: StartTag::default(),
            bindings: Vec::with_capacity(16),
            scopes: Vec::with_capacity(32),
            pending_end: false,
            place: Place::Prolog,
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

    /// Byte offset of the first byte not yet consumed. Right after an [`Event::End`] of an
    /// element written with an end tag, that is just past its `>`; after a self-closing
    /// element's `End`, just past `/>`.
    pub fn offset(&self) -> usize {
        self.pos
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
            let pos = self.pos;
            let rest = &self.src.as_bytes()[pos..];
            match rest.first() {
                None => {
                    return match self.place {
                        Place::Prolog => Err(XmlError::Structure {
                            reason: "no root element",
                            pos,
                        }),
                        Place::Root => Err(XmlError::Truncated {
                            reason: "elements left open",
                            pos,
                        }),
                        Place::Epilog => Ok(Event::Eof),
                    };
                }
                Some(b'&') => return self.reference(pos),
                Some(b'<') => {}
                Some(_) => match self.text(pos)? {
                    Some(ev) => return Ok(ev),
                    None => continue,
                },
            }
            return match rest.get(1) {
                Some(b'/') => self.end_tag(pos),
                Some(b'!') if rest.starts_with(b"<!--") => self.comment(pos),
                Some(b'!') if rest.starts_with(b"<![CDATA[") => self.cdata(pos),
                Some(b'!') if rest.starts_with(b"<!DOCTYPE") => Err(XmlError::Doctype { pos }),
                Some(b'!')
                    if b"<!DOCTYPE".starts_with(rest)
                        || b"<![CDATA[".starts_with(rest)
                        || b"<!--".starts_with(rest) =>
                {
                    Err(XmlError::Truncated {
                        reason: "markup not closed",
                        pos,
                    })
                }
                Some(b'!') => Err(XmlError::Syntax {
                    reason: "unknown markup after `<!`".into(),
                    pos,
                }),
                Some(b'?') => match self.pi(pos)? {
                    Some(ev) => Ok(ev),
                    None => continue,
                },
                Some(_) => self.start_tag_at(pos),
                None => Err(XmlError::Truncated {
                    reason: "markup not closed",
                    pos,
                }),
            };
        }
    }

    fn start_tag_at(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        if self.place == Place::Epilog {
            return Err(XmlError::Structure {
                reason: "a second root element",
                pos,
            });
        }
        // quick-xml's element parser finds the closing `>` outside quoted attribute values.
        let body = &self.src.as_bytes()[pos + 1..];
        let mut parser = ElementParser::default();
        let Some(gt) = parser.feed(body) else {
            return Err(XmlError::Truncated {
                reason: "start tag not closed",
                pos,
            });
        };
        let content = &self.src[pos + 1..pos + 1 + gt];
        let (content, empty) = match content.strip_suffix('/') {
            Some(c) => (c, true),
            None => (content, false),
        };
        self.pos = pos + gt + 2;
        self.start(content, pos, empty)?;
        self.place = Place::Root;
        self.pending_end = empty;
        Ok(Event::Start)
    }

    fn end_tag(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        let body = &self.src.as_bytes()[pos + 2..];
        let Some(gt) = memchr::memchr(b'>', body) else {
            return Err(XmlError::Truncated {
                reason: "end tag not closed",
                pos,
            });
        };
        let name = self.src[pos + 2..pos + 2 + gt].trim_end_matches([' ', '\t', '\n']);
        match self.scopes.last() {
            None => Err(XmlError::Structure {
                reason: "end tag without a start tag",
                pos,
            }),
            Some(&(_, open)) if !eq_str(open, name) => Err(XmlError::MismatchedEndTag {
                expected: open.into(),
                found: name.into(),
                pos,
            }),
            Some(_) => {
                self.pos = pos + gt + 3;
                Ok(self.close())
            }
        }
    }

    fn comment(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        let start = pos + 4;
        let Some(end) = memchr::memmem::find(&self.src.as_bytes()[start..], b"-->") else {
            return Err(XmlError::Truncated {
                reason: "comment not closed",
                pos,
            });
        };
        let text = &self.src[start..start + end];
        // XML 1.0 [15]: no `--` inside a comment and no `-` just before `-->`.
        if memchr::memmem::find(text.as_bytes(), b"--").is_some() || text.ends_with('-') {
            return Err(XmlError::Syntax {
                reason: "`--` inside a comment".into(),
                pos,
            });
        }
        self.pos = start + end + 3;
        Ok(Event::Comment(text))
    }

    fn cdata(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        let start = pos + 9;
        let Some(end) = memchr::memmem::find(&self.src.as_bytes()[start..], b"]]>") else {
            return Err(XmlError::Truncated {
                reason: "CDATA section not closed",
                pos,
            });
        };
        if self.place != Place::Root {
            return Err(XmlError::Structure {
                reason: "CDATA outside the root element",
                pos,
            });
        }
        self.pos = start + end + 3;
        Ok(Event::CData(&self.src[start..start + end]))
    }

    /// A processing instruction, or the XML declaration (`None`: nothing to report).
    fn pi(&mut self, pos: usize) -> Result<Option<Event<'a>>, XmlError> {
        let start = pos + 2;
        let mut parser = PiParser::default();
        let Some(gt) = parser.feed(&self.src.as_bytes()[start..]) else {
            return Err(XmlError::Truncated {
                reason: "processing instruction not closed",
                pos,
            });
        };
        // `gt` is the `>` of `?>`.
        let raw = &self.src[start..start + gt.saturating_sub(1)];
        self.pos = start + gt + 1;
        let (target, data) = split_pi(raw);
        if target == "xml" {
            if pos != 0 {
                return Err(XmlError::Structure {
                    reason: "XML declaration not at the start of the document",
                    pos,
                });
            }
            check_decl(data, pos)?;
            return Ok(None);
        }
        if target.eq_ignore_ascii_case("xml")
            || split_qname(target).is_none_or(|(p, _)| !p.is_empty())
        {
            return Err(XmlError::Syntax {
                reason: format!("invalid processing instruction target `{target}`"),
                pos,
            });
        }
        Ok(Some(Event::Pi { target, data }))
    }

    fn text(&mut self, pos: usize) -> Result<Option<Event<'a>>, XmlError> {
        let rest = &self.src.as_bytes()[pos..];
        let n = memchr::memchr2(b'<', b'&', rest).unwrap_or(rest.len());
        let text = &self.src[pos..pos + n];
        self.pos = pos + n;
        if self.place != Place::Root {
            if text.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n')) {
                return Ok(None);
            }
            return Err(XmlError::Structure {
                reason: "text outside the root element",
                pos,
            });
        }
        // `>` is rare in text: one memchr pass beats memmem's set-up on the many short nodes.
        let b = text.as_bytes();
        if let Some(i) = memchr::memchr_iter(b'>', b).find(|&i| i >= 2 && &b[i - 2..i] == b"]]") {
            return Err(XmlError::Syntax {
                reason: "`]]>` in character data".into(),
                pos: pos + i - 2,
            });
        }
        Ok(Some(Event::Text(text)))
    }

    fn reference(&mut self, pos: usize) -> Result<Event<'a>, XmlError> {
        // The longest legal reference is `&#x10FFFF;` / `&#1114111;`; names are short too.
        const MAX: usize = 64;
        let rest = &self.src.as_bytes()[pos..];
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
        self.pos = pos + semi + 2;
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
        if let Some(name) = duplicate_attribute(&tag.attrs) {
            return Err(XmlError::DuplicateAttribute {
                name: name.into(),
                pos,
            });
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
}

/// A repeated attribute name, literal or expanded (two prefixes bound to one URI). Pairwise
/// for the usual handful of attributes; sorted above that, so an element at the attribute
/// limit costs O(n log n), not O(n²).
fn duplicate_attribute<'t>(attrs: &'t [Attribute<'_>]) -> Option<&'t str> {
    const PAIRWISE: usize = 12;
    let same = |a: &Attribute<'_>, b: &Attribute<'_>| {
        eq_str(a.qname, b.qname)
            || (!a.ns.is_empty() && eq_str(a.local, b.local) && eq_str(&a.ns, &b.ns))
    };
    if attrs.len() <= PAIRWISE {
        for (n, a) in attrs.iter().enumerate() {
            if attrs[..n].iter().any(|b| same(a, b)) {
                return Some(a.qname);
            }
        }
        return None;
    }
    let mut by_qname: Vec<&str> = attrs.iter().map(|a| a.qname).collect();
    by_qname.sort_unstable_by(|a, b| cmp_str(a, b));
    if let Some(w) = by_qname.windows(2).find(|w| eq_str(w[0], w[1])) {
        return Some(w[0]);
    }
    let mut expanded: Vec<(&str, &str, &str)> = attrs
        .iter()
        .filter(|a| !a.ns.is_empty())
        .map(|a| (a.ns.as_ref(), a.local, a.qname))
        .collect();
    expanded.sort_unstable_by(|a, b| cmp_str(a.0, b.0).then_with(|| cmp_str(a.1, b.1)));
    expanded
        .windows(2)
        .find(|w| eq_str(w[0].0, w[1].0) && eq_str(w[0].1, w[1].1))
        .map(|w| w[1].2)
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

fn check_decl(data: &str, pos: usize) -> Result<(), XmlError> {
    // Pseudo-attributes in the fixed order XML 1.0 [23] gives them.
    let mut rest = data.trim_matches([' ', '\t', '\n']);
    let mut seen = Vec::new();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or(XmlError::Syntax {
            reason: "malformed XML declaration".into(),
            pos,
        })?;
        let name = rest[..eq].trim_end_matches([' ', '\t', '\n']);
        let after = rest[eq + 1..].trim_start_matches([' ', '\t', '\n']);
        let q = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        let q = q.ok_or(XmlError::Syntax {
            reason: "malformed XML declaration".into(),
            pos,
        })?;
        let close = after[1..].find(q).ok_or(XmlError::Syntax {
            reason: "malformed XML declaration".into(),
            pos,
        })?;
        let value = &after[1..1 + close];
        seen.push(name);
        match name {
            "version" if value != "1.0" => {
                return Err(XmlError::Syntax {
                    reason: format!("XML version `{value}` (only 1.0 is accepted)"),
                    pos,
                });
            }
            "encoding"
                if !value.eq_ignore_ascii_case("utf-8") && !value.eq_ignore_ascii_case("utf8") =>
            {
                return Err(XmlError::UnsupportedEncoding {
                    encoding: value.into(),
                });
            }
            "standalone" if value != "yes" && value != "no" => {
                return Err(XmlError::Syntax {
                    reason: "malformed XML declaration".into(),
                    pos,
                });
            }
            "version" | "encoding" | "standalone" => {}
            _ => {
                return Err(XmlError::Syntax {
                    reason: format!("unknown `{name}` in the XML declaration"),
                    pos,
                });
            }
        }
        rest = after[close + 2..].trim_start_matches([' ', '\t', '\n']);
    }
    let order_ok = seen.first() == Some(&"version")
        && seen.windows(2).all(|w| {
            matches!(
                (w[0], w[1]),
                ("version", "encoding" | "standalone") | ("encoding", "standalone")
            )
        });
    if !order_ok {
        return Err(XmlError::Syntax {
            reason: "malformed XML declaration (version first, then encoding, standalone)".into(),
            pos,
        });
    }
    Ok(())
}
