//! Inputs found by fuzzing and property testing (see docs/FUZZING.md), kept as named
//! regression tests. Bytes are literals so each case stands alone.

use rsmev_c14n::{Algorithm, Options, canonicalize_to_vec};
use rsmev_xml::{Limits, check};

fn smev(comments: bool) -> Options {
    Options::new(Algorithm::Exclusive)
        .smev_transform(true)
        .with_comments(comments)
}

fn run(doc: &[u8], opts: &Options) -> Vec<u8> {
    canonicalize_to_vec(doc, opts).unwrap_or_else(|e| panic!("{e} on {doc:?}"))
}

/// A `>` that starts a text node is escaped (Woodstox), one inside a text node is not; a PI,
/// or a comment when comments are kept, ends a text node. So the SMEV transform is not
/// idempotent on such input: it reaches its fixed point on the second application. This is
/// the reference implementation's behaviour (documented in smev.rs), pinned here so that a
/// change to it is noticed; properties.rs excludes these inputs from the idempotence property.
#[test]
fn smev_gt_after_a_pi_or_kept_comment_settles_in_two_steps() {
    for (doc, opts) in [
        (&b"<e xmlns='u'>a<?p?>&gt;</e>"[..], smev(false)),
        (&b"<e xmlns='u'>a<!--c-->&gt;</e>"[..], smev(true)),
    ] {
        let once = run(doc, &opts);
        assert_eq!(once, b"<ns1:e xmlns:ns1=\"u\">a&gt;</ns1:e>");
        let twice = run(&once, &opts);
        assert_eq!(twice, b"<ns1:e xmlns:ns1=\"u\">a></ns1:e>");
        assert_eq!(run(&twice, &opts), twice);
    }
    // A comment dropped without `#WithComments` does not split the text.
    assert_eq!(
        run(b"<e xmlns='u'>a<!--c-->&gt;</e>", &smev(false)),
        b"<ns1:e xmlns:ns1=\"u\">a></ns1:e>"
    );
}

/// The SMEV transform gives an `xml:*` attribute a generated prefix and declares it:
/// `xmlns:ns2="http://www.w3.org/XML/1998/namespace"`, which Namespaces in XML 1.0 §3
/// forbids ("it MUST NOT be bound to any other namespace name" — the XML namespace may only
/// be bound to `xml`), so the transform's output is not namespace-well-formed and rsmev's own
/// reader refuses it. Expected: output rsmev can read back, most likely `xml:lang="ru"` with
/// no declaration (the `xml` prefix is bound by definition). Whether the Java reference (`SmevTransformSpi` on Woodstox) does the same
/// must be confirmed against a real signature before changing the digest input.
#[test]
#[ignore = "bug: SMEV transform binds the XML namespace to a generated nsN prefix (to confirm against the Java reference)"]
fn smev_output_with_xml_attributes_reparses() {
    let doc = b"<e xmlns='u' xml:lang='ru'>a</e>";
    let once = run(doc, &smev(false));
    // Actual: <ns1:e xmlns:ns1="u" xmlns:ns2="http://www.w3.org/XML/1998/namespace" ns2:lang="ru">a</ns1:e>
    assert!(
        check(&once, &Limits::default()).is_ok(),
        "{:?}",
        String::from_utf8_lossy(&once)
    );
}
