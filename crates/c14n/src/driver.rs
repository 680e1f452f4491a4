//! One pass over the document: selects the subset, tracks what the subset inherits from its
//! ancestors, places comments and PIs outside the root, and feeds an [`Emitter`].

use std::borrow::Cow;

use rsmev_xml::{Event, Reader, XML_NS};

use crate::out::{Out, Sink};
use crate::{Algorithm, C14nError, Options};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Top {
    Inside,
    BeforeRoot,
    AfterRoot,
}

/// `xml:*` attributes a subset's apex receives from ancestors outside the subset (inclusive
/// C14N only): (local name, value). A name listed here replaces the apex's own attribute.
#[derive(Default)]
pub(crate) struct Inherited<'a> {
    pub(crate) attrs: Vec<(&'a str, Cow<'a, str>)>,
}

impl Inherited<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.attrs.is_empty()
    }

    pub(crate) fn overrides(&self, local: &str) -> bool {
        self.attrs.iter().any(|(l, _)| *l == local)
    }
}

pub(crate) trait Emitter<'a> {
    fn start<S: Sink>(
        &mut self,
        out: &mut Out<S>,
        r: &Reader<'a>,
        apex: bool,
        inherited: &Inherited<'a>,
    ) -> Result<(), C14nError>;
    fn end<S: Sink>(&mut self, out: &mut Out<S>, qname: &'a str);
    fn text<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str);
    fn ch<S: Sink>(&mut self, out: &mut Out<S>, c: char);
    fn cdata<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str);
    fn comment<S: Sink>(&mut self, out: &mut Out<S>, t: &'a str, top: Top);
    fn pi<S: Sink>(&mut self, out: &mut Out<S>, target: &'a str, data: &'a str, top: Top);
}

pub(crate) fn run<'a, S: Sink, E: Emitter<'a>>(
    mut r: Reader<'a>,
    opts: &Options,
    em: &mut E,
    out: &mut Out<S>,
) -> Result<(), C14nError> {
    let subset = opts.subset.as_deref();
    let at = if subset.is_some() {
        None
    } else {
        opts.subset_at
    };
    let selecting = subset.is_some() || at.is_some();
    let inherit = selecting && !opts.smev_transform && opts.algorithm != Algorithm::Exclusive;
    // Whole document: always emitting. Subset: emitting between the apex's start and end.
    let mut emitting = !selecting;
    // Inside the element the enveloped-signature transform removes: nothing is written until
    // its end tag at this depth.
    let mut skip_depth: Option<usize> = None;
    let mut apex_depth = 0usize;
    let mut found = false;
    let mut root_done = false;
    // Ancestors' xml:* attributes while looking for the apex: (depth, local, value).
    let mut xml_attrs: Vec<(usize, &'a str, Cow<'a, str>)> = Vec::new();
    let none = Inherited::default();
    loop {
        let ev = r.next()?;
        if let Some(d) = skip_depth {
            if let Event::End { depth, .. } = ev
                && depth == d
            {
                skip_depth = None;
                if emitting && selecting && depth == apex_depth {
                    emitting = false;
                    if opts.stop_after_subset {
                        break;
                    }
                }
            }
            continue;
        }
        match ev {
            Event::Start if opts.exclude_at == Some(r.start_tag().pos) => {
                skip_depth = Some(r.depth());
                // Excluding the apex itself leaves an empty subset; it still counts as found.
                if !emitting && !found && is_apex(&r, subset, at) {
                    found = true;
                    apex_depth = r.depth();
                }
            }
            Event::Start => {
                if emitting {
                    em.start(out, &r, false, &none)?;
                } else if !found && is_apex(&r, subset, at) {
                    found = true;
                    emitting = true;
                    apex_depth = r.depth();
                    let inherited = if inherit {
                        inherited_attrs(opts.algorithm, &xml_attrs, &r)
                    } else {
                        Inherited::default()
                    };
                    em.start(out, &r, true, &inherited)?;
                } else if inherit && !found {
                    let tag = r.start_tag();
                    for a in tag.attrs.iter().filter(|a| a.ns == XML_NS) {
                        xml_attrs.push((tag.depth, a.local, a.value.clone()));
                    }
                }
            }
            Event::End { qname, depth } => {
                if emitting {
                    em.end(out, qname);
                    if selecting && depth == apex_depth {
                        emitting = false;
                        if opts.stop_after_subset {
                            break;
                        }
                    }
                } else {
                    while xml_attrs.last().is_some_and(|x| x.0 >= depth) {
                        xml_attrs.pop();
                    }
                }
                if depth == 1 {
                    root_done = true;
                }
            }
            Event::Text(t) if emitting => em.text(out, t),
            Event::Ref(c) if emitting => em.ch(out, c),
            Event::CData(t) if emitting => em.cdata(out, t),
            Event::Comment(c) => {
                if opts.with_comments && emitting {
                    em.comment(out, c, top(&r, root_done));
                }
            }
            Event::Pi { target, data } => {
                if emitting {
                    em.pi(out, target, data, top(&r, root_done));
                }
            }
            Event::Text(_) | Event::Ref(_) | Event::CData(_) => {}
            Event::Eof => break,
        }
    }
    match (subset, at) {
        (Some(id), _) if !found => Err(C14nError::IdNotFound { id: id.into() }),
        (None, Some(pos)) if !found => Err(C14nError::NoElementAt { pos }),
        _ => {
            out.flush();
            Ok(())
        }
    }
}

fn is_apex(r: &Reader<'_>, subset: Option<&str>, at: Option<usize>) -> bool {
    match subset {
        Some(id) => r.start_tag().has_id(id),
        None => at == Some(r.start_tag().pos),
    }
}

fn top(r: &Reader<'_>, root_done: bool) -> Top {
    match (r.depth(), root_done) {
        (0, false) => Top::BeforeRoot,
        (0, true) => Top::AfterRoot,
        _ => Top::Inside,
    }
}

/// C14N 1.0 §2.4: the apex gets every `xml:*` attribute of its ancestors it lacks (nearest
/// wins). C14N 1.1 §2.4: only `xml:lang` and `xml:space` are inherited that way, `xml:id` is
/// not, and `xml:base` is joined along the ancestors into the apex's value.
fn inherited_attrs<'a>(
    algorithm: Algorithm,
    ancestors: &[(usize, &'a str, Cow<'a, str>)],
    r: &Reader<'a>,
) -> Inherited<'a> {
    let own = |local: &str| {
        r.start_tag()
            .attrs
            .iter()
            .find(|a| a.ns == XML_NS && a.local == local)
    };
    let mut out = Inherited::default();
    for (_, local, value) in ancestors.iter().rev() {
        let simple = match algorithm {
            Algorithm::C14n11 => matches!(*local, "lang" | "space"),
            _ => true,
        };
        if simple && own(local).is_none() && !out.overrides(local) {
            out.attrs.push((local, value.clone()));
        }
    }
    if algorithm == Algorithm::C14n11 {
        let mut base: Option<String> = None;
        for (_, local, value) in ancestors.iter().filter(|x| x.1 == "base") {
            let _ = local;
            base = Some(match base {
                None => value.to_string(),
                Some(b) => crate::base::join(&b, value),
            });
        }
        if let Some(b) = base {
            let v = match own("base") {
                Some(a) => crate::base::join(&b, &a.value),
                None => b,
            };
            out.attrs.push(("base", Cow::Owned(v)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{Algorithm, Options, canonicalize_to_vec};

    fn subset(alg: Algorithm, doc: &str, id: &str) -> String {
        let out = canonicalize_to_vec(doc.as_bytes(), &Options::new(alg).subset(id)).unwrap();
        String::from_utf8(out).unwrap()
    }

    const DOC: &str = r#"<r xmlns:p="urn:p" xml:lang="en" xml:space="preserve" xml:id="root" xml:base="http://a/b/"><m xml:base="c/" xml:lang="ru"><e Id="x" xml:base="d"/><f Id="y" xml:lang="de"/></m></r>"#;

    /// C14N 1.0 §2.4: every xml:* attribute of the ancestors, nearest first, unless the apex
    /// has its own; namespaces in scope rendered on the apex.
    #[test]
    fn c14n10_inherits_every_xml_attribute() {
        assert_eq!(
            subset(Algorithm::C14n10, DOC, "x"),
            r#"<e xmlns:p="urn:p" Id="x" xml:base="d" xml:id="root" xml:lang="ru" xml:space="preserve"></e>"#
        );
    }

    /// C14N 1.1 §2.4: xml:lang and xml:space inherited, xml:id not, xml:base joined along
    /// the omitted ancestors (RFC 3986 resolution).
    #[test]
    fn c14n11_inherits_simple_attributes_and_fixes_up_base() {
        assert_eq!(
            subset(Algorithm::C14n11, DOC, "x"),
            r#"<e xmlns:p="urn:p" Id="x" xml:base="http://a/b/c/d" xml:lang="ru" xml:space="preserve"></e>"#
        );
        assert_eq!(
            subset(Algorithm::C14n11, DOC, "y"),
            r#"<f xmlns:p="urn:p" Id="y" xml:base="http://a/b/c/" xml:lang="de" xml:space="preserve"></f>"#
        );
    }

    /// Exclusive C14N inherits no xml:* attribute and renders only used namespaces.
    #[test]
    fn exclusive_inherits_nothing() {
        assert_eq!(
            subset(Algorithm::Exclusive, DOC, "x"),
            r#"<e Id="x" xml:base="d"></e>"#
        );
    }

    #[test]
    fn missing_and_duplicate_ids_are_errors() {
        let opts = Options::new(Algorithm::Exclusive).subset("z");
        assert!(matches!(
            canonicalize_to_vec(DOC.as_bytes(), &opts),
            Err(crate::C14nError::IdNotFound { .. })
        ));
        let dup = r#"<r><a Id="z"/><b><c ID="z"/></b></r>"#;
        assert!(matches!(
            canonicalize_to_vec(dup.as_bytes(), &opts),
            Err(crate::C14nError::Xml(
                rsmev_xml::XmlError::DuplicateId { .. }
            ))
        ));
    }
}

#[cfg(test)]
mod selection_tests {
    use crate::{Algorithm, C14nError, Options, canonicalize_to_vec};

    const DOC: &str =
        "<r xmlns:p=\"urn:p\"><p:a Id=\"a\">t<p:s>sig<x/></p:s><!--c-->u</p:a><b/></r>";

    fn run(opts: &Options) -> Result<String, C14nError> {
        canonicalize_to_vec(DOC.as_bytes(), opts).map(|v| String::from_utf8(v).unwrap())
    }

    /// Selecting by start offset is the same subset as selecting by the element's Id.
    #[test]
    fn subset_at_equals_subset_by_id() {
        let pos = DOC.find("<p:a").unwrap();
        for alg in [Algorithm::C14n10, Algorithm::C14n11, Algorithm::Exclusive] {
            assert_eq!(
                run(&Options::new(alg).subset_at(pos)).unwrap(),
                run(&Options::new(alg).subset("a")).unwrap()
            );
        }
        assert_eq!(
            run(&Options::new(Algorithm::Exclusive).subset_at(pos + 1)),
            Err(C14nError::NoElementAt { pos: pos + 1 })
        );
    }

    /// Stopping at the subset's end gives the same bytes; it is the caller's promise that the
    /// rest was checked (a duplicate Id after the subset goes unseen, by design).
    #[test]
    fn stop_after_subset_gives_the_same_bytes() {
        let full = Options::new(Algorithm::Exclusive).subset("a");
        let early = full.clone().stop_after_subset(true);
        assert_eq!(run(&early).unwrap(), run(&full).unwrap());
        let dup = DOC.replace("<b/>", "<b Id=\"a\"/>");
        let dup_run = |o: &Options| canonicalize_to_vec(dup.as_bytes(), o);
        assert!(dup_run(&full).is_err());
        assert!(dup_run(&early).is_ok());
    }

    /// The enveloped-signature transform drops the element and all it contains, nothing else:
    /// the text around it and (with comments) the comment after it stay.
    #[test]
    fn exclude_at_drops_exactly_one_subtree() {
        let sig = DOC.find("<p:s").unwrap();
        let opts = Options::new(Algorithm::Exclusive)
            .subset("a")
            .exclude_at(sig);
        assert_eq!(
            run(&opts).unwrap(),
            "<p:a xmlns:p=\"urn:p\" Id=\"a\">tu</p:a>"
        );
        let opts = Options::new(Algorithm::C14n10)
            .with_comments(true)
            .exclude_at(sig);
        assert_eq!(
            run(&opts).unwrap(),
            "<r xmlns:p=\"urn:p\"><p:a Id=\"a\">t<!--c-->u</p:a><b></b></r>"
        );
        // Excluding the apex itself leaves nothing, and is not an error.
        let apex = DOC.find("<p:a").unwrap();
        let opts = Options::new(Algorithm::Exclusive)
            .subset("a")
            .exclude_at(apex);
        assert_eq!(run(&opts).unwrap(), "");
    }
}
