//! Reader behaviour on well-formed input: namespaces, normalization, events.

use rsmev_xml::{Event, Limits, Reader, XmlError, prepare};

fn events(doc: &str) -> Result<Vec<String>, XmlError> {
    let limits = Limits::default();
    let src = prepare(doc.as_bytes(), &limits)?;
    let mut r = Reader::new(&src, limits).track_ids();
    let mut out = Vec::new();
    loop {
        let ev = r.next()?;
        out.push(match ev {
            Event::Start => {
                let t = r.start_tag();
                let attrs: Vec<String> = t
                    .attrs
                    .iter()
                    .map(|a| format!("{{{}}}{}={:?}", a.ns, a.local, a.value))
                    .collect();
                format!("<{{{}}}{} {}>", t.ns, t.local, attrs.join(" "))
            }
            Event::End { qname, .. } => format!("</{qname}>"),
            Event::Text(t) => format!("T{t:?}"),
            Event::Ref(c) => format!("R{c:?}"),
            Event::CData(t) => format!("C{t:?}"),
            Event::Comment(t) => format!("!{t:?}"),
            Event::Pi { target, data } => format!("?{target} {data:?}"),
            Event::Eof => break,
        });
    }
    Ok(out)
}

#[test]
fn resolves_namespaces_and_normalizes_attributes() {
    let ev = events(
        "<?xml version='1.0' encoding='UTF-8'?>\r\n<a:r xmlns:a='urn:a' xmlns='urn:d' a:x='1&#9;2\t3&amp;'><b y='\r\n'/><c xmlns=''/></a:r>",
    )
    .unwrap();
    assert_eq!(
        ev,
        [
            "<{urn:a}r {urn:a}x=\"1\\t2 3&\">",
            "<{urn:d}b {}y=\" \">",
            "</b>",
            "<{}c >",
            "</c>",
            "</a:r>"
        ]
    );
}

#[test]
fn text_refs_cdata_comments_pis() {
    let ev = events("<!--c--><r>a&lt;&#x410;<![CDATA[<&>]]><?p  d ?></r><?q?>").unwrap();
    assert_eq!(
        ev,
        [
            "!\"c\"",
            "<{}r >",
            "T\"a\"",
            "R'<'",
            "R'А'",
            "C\"<&>\"",
            "?p \"d \"",
            "</r>",
            "?q \"\""
        ]
    );
}

#[test]
fn refusals_name_their_cause() {
    type Case = (&'static str, fn(&XmlError) -> bool);
    let cases: &[Case] = &[
        ("<!DOCTYPE a><a/>", |e| {
            matches!(e, XmlError::Doctype { .. })
        }),
        ("<a>&foo;</a>", |e| {
            matches!(e, XmlError::UndefinedEntity { .. })
        }),
        ("<a b='&foo;'/>", |e| {
            matches!(e, XmlError::UndefinedEntity { .. })
        }),
        ("<a>&#1;</a>", |e| {
            matches!(e, XmlError::InvalidCharRef { .. })
        }),
        ("<p:a/>", |e| matches!(e, XmlError::UnboundPrefix { .. })),
        ("<a b='1' b='2'/>", |e| {
            matches!(e, XmlError::DuplicateAttribute { .. })
        }),
        ("<a xmlns:p='u' xmlns:q='u' p:b='1' q:b='2'/>", |e| {
            matches!(e, XmlError::DuplicateAttribute { .. })
        }),
        ("<a xmlns:p=''/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a xmlns:xml='urn:x'/>", |e| {
            matches!(e, XmlError::Namespace { .. })
        }),
        ("<a></b>", |e| {
            matches!(e, XmlError::MismatchedEndTag { .. })
        }),
        ("<a/><b/>", |e| matches!(e, XmlError::Structure { .. })),
        ("<a/>x", |e| matches!(e, XmlError::Structure { .. })),
        ("<a>", |e| matches!(e, XmlError::Truncated { .. })),
        ("<a><b", |e| matches!(e, XmlError::Truncated { .. })),
        ("<a>]]></a>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<a b='<'/>", |e| {
            matches!(e, XmlError::MalformedAttribute { .. })
        }),
        ("<a b='1'c='2'/>", |e| {
            matches!(e, XmlError::MalformedAttribute { .. })
        }),
        ("<a b=1/>", |e| {
            matches!(e, XmlError::MalformedAttribute { .. })
        }),
        ("<a>&</a>", |e| matches!(e, XmlError::Syntax { .. })),
        ("<?xml version='1.0' encoding='windows-1251'?><a/>", |e| {
            matches!(e, XmlError::UnsupportedEncoding { .. })
        }),
        ("<a/><?xml version='1.0'?>", |e| {
            matches!(e, XmlError::Structure { .. } | XmlError::Syntax { .. })
        }),
        (
            "<a><b Id='x'/><c wsu:Id='x' xmlns:wsu='http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'/></a>",
            |e| matches!(e, XmlError::DuplicateId { .. }),
        ),
        ("", |e| matches!(e, XmlError::Structure { .. })),
        ("<1a/>", |e| matches!(e, XmlError::InvalidName { .. })),
    ];
    for (doc, ok) in cases {
        let err = events(doc).expect_err(doc);
        assert!(ok(&err), "{doc}: wrong error {err:?}");
    }
}

/// Above the pairwise threshold the duplicate check sorts; both paths must agree.
#[test]
fn duplicate_attributes_among_many() {
    let many: String = (0..40).map(|i| format!(" a{i}='{i}'")).collect();
    assert!(events(&format!("<r xmlns:p='u' xmlns:q='u'{many}/>")).is_ok());
    for extra in [" a7='x'", " p:z='1' q:z='2'"] {
        let doc = format!("<r xmlns:p='u' xmlns:q='u'{many}{extra}/>");
        assert!(
            matches!(events(&doc), Err(XmlError::DuplicateAttribute { .. })),
            "{extra}"
        );
    }
}

/// XML 1.0 [14]: `]]>` may not appear in character data; `]` and `>` on their own may.
#[test]
fn cdata_end_in_text_is_refused() {
    assert!(events("<r>a]>b ]] > c]]</r>").is_ok());
    for (doc, at) in [
        ("<r>a]]>b</r>", 4),
        ("<r>]]></r>", 3),
        ("<r>x<y/>zz]]]>q</r>", 11),
    ] {
        match events(doc) {
            Err(XmlError::Syntax { pos, .. }) => assert_eq!(pos, at, "{doc}"),
            other => panic!("{doc}: {other:?}"),
        }
    }
}
