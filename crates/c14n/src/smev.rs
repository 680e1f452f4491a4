//! The SMEV 3 transform `urn://smev-gov-ru/xmldsig/transform`, with the semantics of the
//! reference implementation (the Java `SmevTransformSpi` on a Woodstox StAX writer), which real
//! signatures confirm byte for byte:
//! - prefixes are generated `ns1`, `ns2`, … from a counter that never resets or reuses a
//!   number; a mapping lives until its element ends, so sibling subtrees in one namespace get
//!   different prefixes; source prefixes and unused declarations play no part;
//! - attributes: qualified ones first by (namespace URI, local name), then unqualified ones by
//!   local name, compared as Java compares strings (UTF-16 code units);
//! - declarations: the element's namespace first, then each attribute namespace in that order;
//! - whitespace-only text (all characters ≤ U+0020) is dropped, other text kept verbatim;
//!   comments, PIs and everything outside the root element are dropped; empty elements are
//!   written as start tag + end tag;
//! - output escaping is Woodstox's: text escapes `&`, `<`, CR, C1 controls, and `>` only
//!   first in a text or after `]`; attribute values escape `&`, `<`, `"`, TAB, LF, CR.
//!
//! It runs on the events of the Exclusive C14N input stream, so it sees exactly what the Java
//! reference parses back from Exclusive C14N's output: the same elements, resolved
//! namespaces, normalized attribute values and merged text.

use std::borrow::Cow;
use std::cmp::Ordering;

use rsmev_xml::{Attribute, Reader, cmp_str, eq_str};

use crate::C14nError;
use crate::driver::{Emitter, Inherited, Top};
use crate::out::{Out, Sink};

pub(crate) struct Smev<'a> {
    counter: u32,
    /// (namespace URI, prefix number) in scope, with a mark per open element.
    mappings: Vec<(Cow<'a, str>, u32)>,
    marks: Vec<usize>,
    /// Open elements: (prefix number, local name) for the end tag.
    open: Vec<(u32, &'a str)>,
    /// Whitespace seen at the start of the current text node, kept until a non-whitespace
    /// character decides whether the node survives.
    pending_ws: String,
    in_text: bool,
    last: Option<u8>,
    comments_split_text: bool,
    order: Vec<usize>,
    attr_prefix: Vec<u32>,
    decls: Vec<u32>,
}

impl<'a> Smev<'a> {
    pub(crate) fn new(comments_split_text: bool) -> Self {
        Smev {
            counter: 1,
            mappings: Vec::new(),
            marks: Vec::new(),
            open: Vec::new(),
            pending_ws: String::new(),
            in_text: false,
            last: None,
            comments_split_text,
            order: Vec::new(),
            attr_prefix: Vec::new(),
            decls: Vec::new(),
        }
    }

    // Takes the Cow, not a &str, so that a URI borrowed from the document stays borrowed.
    #[allow(clippy::ptr_arg)]
    fn prefix_for(&mut self, uri: &Cow<'a, str>) -> (u32, bool) {
        if let Some((_, n)) = self.mappings.iter().rev().find(|(u, _)| eq_str(u, uri)) {
            return (*n, false);
        }
        let n = self.counter;
        self.counter += 1;
        self.mappings.push((uri.clone(), n));
        (n, true)
    }

    fn end_text_node(&mut self) {
        self.pending_ws.clear();
        self.in_text = false;
        self.last = None;
    }

    fn piece<S: Sink>(&mut self, out: &mut Out<S>, t: &str) {
        if !self.in_text {
            if t.bytes().all(|b| b <= b' ') {
                self.pending_ws.push_str(t);
                return;
            }
            self.in_text = true;
            let ws = std::mem::take(&mut self.pending_ws);
            self.write_text(out, &ws);
            self.pending_ws = ws;
            self.pending_ws.clear();
        }
        self.write_text(out, t);
    }

    fn write_text<S: Sink>(&mut self, out: &mut Out<S>, t: &str) {
        woodstox(out, t, false, self.last);
        if let Some(&l) = t.as_bytes().last() {
            self.last = Some(l);
        }
    }
}

fn attr_value<S: Sink>(out: &mut Out<S>, v: &str) {
    woodstox(out, v, true, None);
}

/// Woodstox's escaping, for text (`attr == false`; `last` is the byte written just before
/// `t` in the same text, if any) or for a double-quoted attribute value.
fn woodstox<S: Sink>(out: &mut Out<S>, t: &str, attr: bool, last: Option<u8>) {
    let b = t.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let esc: Option<Cow<'static, str>> = match c {
            b'&' => Some("&amp;".into()),
            b'<' => Some("&lt;".into()),
            b'"' if attr => Some("&quot;".into()),
            b'\t' if attr => Some("&#x9;".into()),
            b'\n' if attr => Some("&#xa;".into()),
            b'>' if !attr => {
                let prev = if i > 0 { Some(b[i - 1]) } else { last };
                matches!(prev, None | Some(b']')).then(|| "&gt;".into())
            }
            b'\r' => Some("&#xd;".into()),
            0x7F => Some("&#x7f;".into()),
            0xC2 if matches!(b.get(i + 1), Some(0x80..=0x9F)) => {
                Some(format!("&#x{:x};", b[i + 1]).into())
            }
            _ => None,
        };
        if let Some(e) = esc {
            out.put(&b[start..i]);
            out.s(&e);
            i += if c == 0xC2 { 2 } else { 1 };
            start = i;
        } else {
            i += 1;
        }
    }
    out.put(&b[start..]);
}

/// Java `String.compareTo`: UTF-16 code units, which orders supplementary characters
/// (surrogates) below U+E000–U+FFFF, unlike a byte or code point comparison.
fn java_cmp(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return cmp_str(a, b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

fn attr_order(a: &Attribute<'_>, b: &Attribute<'_>) -> Ordering {
    match (a.ns.is_empty(), b.ns.is_empty()) {
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (true, true) => java_cmp(a.local, b.local),
        (false, false) => java_cmp(&a.ns, &b.ns).then_with(|| java_cmp(a.local, b.local)),
    }
}

fn prefixed<S: Sink>(out: &mut Out<S>, n: u32) {
    out.put(b"ns");
    out.s(itoa(n, &mut [0u8; 10]));
}

fn itoa(mut n: u32, buf: &mut [u8; 10]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[i..]).unwrap_or("0")
}

impl<'a> Emitter<'a> for Smev<'a> {
    fn start<S: Sink>(
        &mut self,
        out: &mut Out<S>,
        r: &Reader<'a>,
        _apex: bool,
        _inherited: &Inherited<'a>,
    ) -> Result<(), C14nError> {
        let tag = r.start_tag();
        self.end_text_node();
        if tag.ns.is_empty() {
            return Err(C14nError::SmevUnqualifiedElement {
                name: tag.qname.into(),
                pos: tag.pos,
            });
        }
        self.marks.push(self.mappings.len());
        self.decls.clear();
        let (own, new) = self.prefix_for(&tag.ns);
        if new {
            self.decls.push(own);
        }
        self.order.clear();
        self.order.extend(0..tag.attrs.len());
        self.order
            .sort_by(|&x, &y| attr_order(&tag.attrs[x], &tag.attrs[y]));
        self.attr_prefix.clear();
        for k in 0..self.order.len() {
            let a = &tag.attrs[self.order[k]];
            if a.ns.is_empty() {
                self.attr_prefix.push(0);
                continue;
            }
            let (n, new) = self.prefix_for(&a.ns);
            if new {
                self.decls.push(n);
            }
            self.attr_prefix.push(n);
        }
        out.put(b"<");
        prefixed(out, own);
        out.put(b":");
        out.s(tag.local);
        for &n in &self.decls {
            out.put(b" xmlns:");
            prefixed(out, n);
            out.put(b"=\"");
            let uri = self
                .mappings
                .iter()
                .rev()
                .find(|(_, m)| *m == n)
                .map(|(u, _)| u.as_ref())
                .unwrap_or("");
            attr_value(out, uri);
            out.put(b"\"");
        }
        for (k, &i) in self.order.iter().enumerate() {
            let a = &tag.attrs[i];
            out.put(b" ");
            if self.attr_prefix[k] != 0 {
                prefixed(out, self.attr_prefix[k]);
                out.put(b":");
            }
            out.s(a.local);
            out.put(b"=\"");
            attr_value(out, &a.value);
            out.put(b"\"");
        }
        out.put(b">");
        self.open.push((own, tag.local));
        Ok(())
    }

    fn end<S: Sink>(&mut self, out: &mut Out<S>, _qname: &'a str) {
        self.end_text_node();
        let (n, local) = self.open.pop().unwrap_or((0, ""));
        out.put(b"</");
        prefixed(out, n);
        out.put(b":");
        out.s(local);
        out.put(b">");
        let mark = self.marks.pop().unwrap_or(0);
        self.mappings.truncate(mark);
    }

    fn text<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str) {
        self.piece(out, t);
    }

    fn ch<S: Sink>(&mut self, out: &mut Out<S>, c: char) {
        let mut tmp = [0u8; 4];
        self.piece(out, c.encode_utf8(&mut tmp));
    }

    fn cdata<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str) {
        self.piece(out, t);
    }

    fn comment<S: Sink>(&mut self, _out: &mut Out<S>, _t: &'a str, _top: Top) {
        // Without comments the preceding C14N merged the text around a comment into one node.
        if self.comments_split_text {
            self.end_text_node();
        }
    }

    fn pi<S: Sink>(&mut self, _out: &mut Out<S>, _t: &'a str, _d: &'a str, _top: Top) {
        self.end_text_node();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_order_puts_surrogates_below_private_use() {
        assert_eq!(java_cmp("\u{1F600}", "\u{E000}"), Ordering::Less);
        assert_eq!("\u{1F600}".cmp("\u{E000}"), Ordering::Greater);
        assert_eq!(java_cmp("a", "b"), Ordering::Less);
    }

    fn smev(doc: &str) -> String {
        let opts = crate::Options::new(crate::Algorithm::Exclusive).smev_transform(true);
        String::from_utf8(crate::canonicalize_to_vec(doc.as_bytes(), &opts).unwrap()).unwrap()
    }

    /// §3.4 of the protocol notes: sibling subtrees in one namespace each get a fresh prefix,
    /// because a mapping dies with its element and the counter never goes back.
    #[test]
    fn sibling_subtrees_get_fresh_prefixes() {
        let got =
            smev("<a:r xmlns:a='urn:1' xmlns:b='urn:2'><b:x>0</b:x><b:y/><b:z><b:w/></b:z></a:r>");
        assert_eq!(
            got,
            "<ns1:r xmlns:ns1=\"urn:1\"><ns2:x xmlns:ns2=\"urn:2\">0</ns2:x>\
             <ns3:y xmlns:ns3=\"urn:2\"></ns3:y><ns4:z xmlns:ns4=\"urn:2\"><ns4:w></ns4:w></ns4:z></ns1:r>"
        );
    }

    /// Qualified attributes first (by namespace URI, then name), unqualified after; the
    /// element's declaration first, then attribute namespaces in that order.
    #[test]
    fn attribute_and_declaration_order() {
        let got =
            smev("<e xmlns='urn:e' xmlns:z='urn:z' xmlns:a='urn:a' b='1' z:c='2' a:d='3' a='4'/>");
        assert_eq!(
            got,
            "<ns1:e xmlns:ns1=\"urn:e\" xmlns:ns2=\"urn:a\" xmlns:ns3=\"urn:z\" ns2:d=\"3\" ns3:c=\"2\" a=\"4\" b=\"1\"></ns1:e>"
        );
    }

    #[test]
    fn whitespace_only_text_dropped_other_text_verbatim() {
        let got =
            smev("<e xmlns='urn:e'>\n  <f> a \n</f>\n\t<g>&#32;</g><h> <![CDATA[ ]]>x</h></e>");
        assert_eq!(
            got,
            "<ns1:e xmlns:ns1=\"urn:e\"><ns1:f> a \n</ns1:f><ns1:g></ns1:g><ns1:h>  x</ns1:h></ns1:e>"
        );
    }

    #[test]
    fn comments_and_pis_dropped_pis_split_text() {
        assert_eq!(
            smev("<e xmlns='u'>a<!--c-->b</e>"),
            "<ns1:e xmlns:ns1=\"u\">ab</ns1:e>"
        );
        assert_eq!(
            smev("<e xmlns='u'> <?p?>b</e>"),
            "<ns1:e xmlns:ns1=\"u\">b</ns1:e>"
        );
    }

    /// Woodstox escaping: `>` only first in a text or after `]`; CR as `&#xd;`; attribute
    /// values escape `"`, TAB, LF, CR but leave `>` raw.
    #[test]
    fn woodstox_escaping() {
        assert_eq!(
            smev(
                "<e xmlns='u' a='&gt;&quot;&#9;&#10;&#13;&amp;&lt;'>&gt;a&gt;]&gt;&amp;&lt;&#13;</e>"
            ),
            "<ns1:e xmlns:ns1=\"u\" a=\">&quot;&#x9;&#xa;&#xd;&amp;&lt;\">&gt;a>]&gt;&amp;&lt;&#xd;</ns1:e>"
        );
    }

    #[test]
    fn unqualified_elements_are_refused() {
        let opts = crate::Options::new(crate::Algorithm::Exclusive).smev_transform(true);
        let err = crate::canonicalize_to_vec(b"<e xmlns='u'><f xmlns=''/></e>", &opts).unwrap_err();
        assert!(
            matches!(err, crate::C14nError::SmevUnqualifiedElement { .. }),
            "{err}"
        );
    }

    #[test]
    fn itoa_writes_decimal() {
        assert_eq!(itoa(0, &mut [0; 10]), "0");
        assert_eq!(itoa(1234567890, &mut [0; 10]), "1234567890");
    }
}
