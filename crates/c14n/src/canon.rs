//! Canonical XML 1.0 / 1.1 and Exclusive XML Canonicalization 1.0 for a document or for the
//! subset rooted at one element (the node-set `(//. | //@* | //namespace::*)` of that element).

use std::borrow::Cow;
use std::cmp::Ordering;

use rsmev_xml::{Reader, XML_NS, cmp_str, eq_str};

use crate::C14nError;
use crate::driver::{Emitter, Inherited, Top};
use crate::out::{Out, Sink};

pub(crate) struct Canon<'a> {
    exclusive: bool,
    /// InclusiveNamespaces PrefixList, "" standing for `#default`.
    inclusive_prefixes: Vec<String>,
    /// Exclusive C14N: declarations rendered by output ancestors, with a mark per element.
    rendered: Vec<(&'a str, Cow<'a, str>)>,
    marks: Vec<usize>,
    decls: Vec<(&'a str, Cow<'a, str>)>,
    order: Vec<(bool, usize)>,
}

impl<'a> Canon<'a> {
    pub(crate) fn new(exclusive: bool, inclusive_prefixes: &[String]) -> Self {
        let inclusive_prefixes = inclusive_prefixes
            .iter()
            .map(|p| {
                if p == "#default" {
                    String::new()
                } else {
                    p.clone()
                }
            })
            .collect();
        Canon {
            exclusive,
            inclusive_prefixes,
            rendered: Vec::new(),
            marks: Vec::new(),
            decls: Vec::new(),
            order: Vec::new(),
        }
    }

    fn inclusive_decls(&mut self, r: &Reader<'a>, apex: bool) {
        if apex {
            for b in r.in_scope() {
                if b.prefix != "xml" && !(b.prefix.is_empty() && b.uri.is_empty()) {
                    self.decls.push((b.prefix, b.uri.clone()));
                }
            }
            return;
        }
        for d in &r.start_tag().ns_decls {
            if d.prefix == "xml" {
                continue;
            }
            let parent = r.parent_lookup(d.prefix);
            let differs = if d.prefix.is_empty() {
                d.uri.as_ref() != parent.map_or("", |u| u.as_ref())
            } else {
                parent != Some(&d.uri)
            };
            if differs {
                self.decls.push((d.prefix, d.uri.clone()));
            }
        }
    }

    fn exclusive_decls(&mut self, r: &Reader<'a>) {
        let tag = r.start_tag();
        self.marks.push(self.rendered.len());
        let consider = |this: &mut Self, prefix: &'a str| {
            if prefix == "xml" || this.decls.iter().any(|(p, _)| eq_str(p, prefix)) {
                return;
            }
            let uri = match r.lookup(prefix) {
                Some(u) => u.clone(),
                None if prefix.is_empty() => Cow::Borrowed(""),
                // Unreachable for a used prefix (the reader refuses unbound ones); a listed
                // prefix with no namespace node in scope renders nothing.
                None => return,
            };
            let prev = this
                .rendered
                .iter()
                .rev()
                .find(|(p, _)| eq_str(p, prefix))
                .map(|(_, u)| u);
            let needed = if uri.is_empty() {
                prev.is_some_and(|u| !u.is_empty())
            } else {
                !prev.is_some_and(|p| eq_str(p, &uri))
            };
            if needed {
                this.decls.push((prefix, uri.clone()));
                this.rendered.push((prefix, uri));
            }
        };
        consider(self, tag.prefix);
        for a in &tag.attrs {
            if !a.prefix.is_empty() {
                consider(self, a.prefix);
            }
        }
        for i in 0..self.inclusive_prefixes.len() {
            let listed = self.inclusive_prefixes[i].as_str();
            // Borrow the prefix from the document so it can live in `rendered`.
            let found = if listed.is_empty() {
                Some("")
            } else {
                r.lookup_decl(listed).map(|b| b.prefix)
            };
            if let Some(p) = found {
                consider(self, p);
            }
        }
    }
}

impl<'a> Emitter<'a> for Canon<'a> {
    fn start<S: Sink>(
        &mut self,
        out: &mut Out<S>,
        r: &Reader<'a>,
        apex: bool,
        inherited: &Inherited<'a>,
    ) -> Result<(), C14nError> {
        let tag = r.start_tag();
        self.decls.clear();
        if self.exclusive {
            self.exclusive_decls(r);
        } else {
            self.inclusive_decls(r, apex);
        }
        self.decls.sort_unstable_by(|a, b| cmp_str(a.0, b.0));
        out.put(b"<");
        out.s(tag.qname);
        for (p, uri) in &self.decls {
            if p.is_empty() {
                out.put(b" xmlns=\"");
            } else {
                out.put(b" xmlns:");
                out.s(p);
                out.put(b"=\"");
            }
            out.c14n_attr(uri);
            out.put(b"\"");
        }
        let attrs = &tag.attrs;
        if attrs.len() == 1 && inherited.is_empty() {
            write_attr(out, attrs[0].qname, "", &attrs[0].value);
        } else if !attrs.is_empty() || !inherited.is_empty() {
            // Own attributes, minus those replaced by an inherited/fixed-up value, plus inherited.
            self.order.clear();
            for (i, a) in attrs.iter().enumerate() {
                if !(a.ns == XML_NS && inherited.overrides(a.local)) {
                    self.order.push((false, i));
                }
            }
            self.order
                .extend((0..inherited.attrs.len()).map(|i| (true, i)));
            let key = |&(inh, i): &(bool, usize)| -> (&str, &str) {
                if inh {
                    (XML_NS, inherited.attrs[i].0)
                } else {
                    (attrs[i].ns.as_ref(), attrs[i].local)
                }
            };
            self.order.sort_unstable_by(|x, y| -> Ordering {
                let ((nx, lx), (ny, ly)) = (key(x), key(y));
                match (nx.is_empty(), ny.is_empty()) {
                    (true, true) => cmp_str(lx, ly),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => cmp_str(nx, ny).then_with(|| cmp_str(lx, ly)),
                }
            });
            for &(inh, i) in &self.order {
                if inh {
                    write_attr(out, "xml:", inherited.attrs[i].0, &inherited.attrs[i].1);
                } else {
                    write_attr(out, attrs[i].qname, "", &attrs[i].value);
                }
            }
        }
        out.put(b">");
        Ok(())
    }

    fn end<S: Sink>(&mut self, out: &mut Out<S>, qname: &'a str) {
        out.put(b"</");
        out.s(qname);
        out.put(b">");
        if self.exclusive {
            let mark = self.marks.pop().unwrap_or(0);
            self.rendered.truncate(mark);
        }
    }

    fn text<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str) {
        out.c14n_literal_text(t);
    }

    fn ch<S: Sink>(&mut self, out: &mut Out<S>, c: char) {
        out.c14n_char(c);
    }

    fn cdata<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str) {
        out.c14n_text(t);
    }

    fn comment<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str, top: Top) {
        if top == Top::AfterRoot {
            out.put(b"\n");
        }
        out.put(b"<!--");
        out.s(t);
        out.put(b"-->");
        if top == Top::BeforeRoot {
            out.put(b"\n");
        }
    }

    fn pi<S: Sink>(&mut self, out: &mut Out<S>, target: &'a str, data: &'a str, top: Top) {
        if top == Top::AfterRoot {
            out.put(b"\n");
        }
        out.put(b"<?");
        out.s(target);
        if !data.is_empty() {
            out.put(b" ");
            out.s(data);
        }
        out.put(b"?>");
        if top == Top::BeforeRoot {
            out.put(b"\n");
        }
    }
}

fn write_attr<S: Sink>(out: &mut Out<S>, qname: &str, local: &str, value: &str) {
    out.put(b" ");
    out.s(qname);
    out.s(local);
    out.put(b"=\"");
    out.c14n_attr(value);
    out.put(b"\"");
}
