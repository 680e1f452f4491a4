//! Real signatures as the oracle: for every Reference in the public SMEV samples, rsmev's
//! canonical bytes must hash to the DigestValue the original signer computed.

use std::path::{Path, PathBuf};

use base64::Engine;
use gost94::{Digest, Gost94CryptoPro};
use rsmev_c14n::{Algorithm, Options, SMEV_TRANSFORM, canonicalize_to_vec};
use rsmev_xml::{Event, Limits, Reader, prepare};

const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const GOST94: &str = "http://www.w3.org/2001/04/xmldsig-more#gostr3411";
const STREEBOG256: &str = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

#[derive(Debug, Default)]
struct Reference {
    uri: String,
    transforms: Vec<String>,
    digest_method: String,
    digest_value: String,
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/samples")
        .join(name)
}

/// Collects ds:Reference elements with this crate's own reader (the test's only parser).
fn references(doc: &[u8]) -> Vec<Reference> {
    let limits = Limits::default();
    let src = prepare(doc, &limits).unwrap();
    let mut r = Reader::new(&src, limits);
    let mut refs: Vec<Reference> = Vec::new();
    let mut in_ref = false;
    let mut in_value = false;
    loop {
        match r.next().unwrap() {
            Event::Start => {
                let t = r.start_tag();
                if t.ns != DSIG {
                    continue;
                }
                let attr = |n: &str| {
                    t.attrs
                        .iter()
                        .find(|a| a.local == n && a.ns.is_empty())
                        .map(|a| a.value.to_string())
                };
                match t.local {
                    "Reference" => {
                        in_ref = true;
                        refs.push(Reference {
                            uri: attr("URI").unwrap_or_default(),
                            ..Default::default()
                        });
                    }
                    "Transform" if in_ref => refs
                        .last_mut()
                        .unwrap()
                        .transforms
                        .push(attr("Algorithm").unwrap()),
                    "DigestMethod" if in_ref => {
                        refs.last_mut().unwrap().digest_method = attr("Algorithm").unwrap()
                    }
                    "DigestValue" if in_ref => in_value = true,
                    _ => {}
                }
            }
            Event::End { qname, .. } => {
                if qname.ends_with("Reference") {
                    in_ref = false;
                }
                in_value = false;
            }
            Event::Text(t) if in_value => refs.last_mut().unwrap().digest_value.push_str(t.trim()),
            Event::Eof => return refs,
            _ => {}
        }
    }
}

fn digest(method: &str, bytes: &[u8]) -> String {
    let raw = match method {
        GOST94 => Gost94CryptoPro::digest(bytes).to_vec(),
        STREEBOG256 => streebog::Streebog256::digest(bytes).to_vec(),
        other => panic!("digest method {other} not expected in the samples"),
    };
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The transform chain as the Reference declares it (enveloped-signature excepted: none of
/// the verifying samples declares it).
fn canonical(doc: &[u8], r: &Reference) -> Vec<u8> {
    let id = r.uri.strip_prefix('#').expect("same-document reference");
    let mut opts = Options::new(Algorithm::C14n10).subset(id);
    for t in &r.transforms {
        if let Some((alg, comments)) = Algorithm::from_uri(t) {
            opts.algorithm = alg;
            opts.with_comments = comments;
        } else if t == SMEV_TRANSFORM {
            opts.smev_transform = true;
        } else {
            assert_eq!(t, ENVELOPED, "unexpected transform");
        }
    }
    canonicalize_to_vec(doc, &opts).unwrap()
}

fn check(file: &str, expected_refs: usize, negative: &[&str]) {
    let doc = std::fs::read(data(file)).unwrap();
    let refs = references(&doc);
    assert_eq!(refs.len(), expected_refs, "{file}: references found");
    for r in &refs {
        let got = digest(&r.digest_method, &canonical(&doc, r));
        if negative.contains(&r.uri.as_str()) {
            assert_ne!(
                got, r.digest_value,
                "{file} {}: documented quirk now matches?",
                r.uri
            );
        } else {
            assert_eq!(got, r.digest_value, "{file} {} ({:?})", r.uri, r.transforms);
        }
    }
}

#[test]
fn smev2_request_kostroma_wsu_id_1() {
    check("smev2-rev111111-request-kostroma-to-fns.xml", 1, &[]);
}

#[test]
fn smev2_request_mfc_to_esia() {
    check("smev2-rev120315-request-mfc-to-esia.xml", 1, &[]);
}

#[test]
fn smev2_response_three_hops() {
    check("smev2-rev120315-response-fns-via-rsmev44-3sigs.xml", 5, &[]);
}

#[test]
fn smev2_appdata_signature_quirk_does_not_match_as_declared() {
    check(
        "smev2-rev120315-response-zags-appdata-sig-quirk.xml",
        2,
        &["#AppData"],
    );
}

#[test]
fn smev3_mr_sample_send_request() {
    check("smev3-1.1-SendRequestRequest-mr-sample.xml", 1, &[]);
}

#[test]
fn smev3_mr_sample_personal_signature() {
    check(
        "smev3-1.1-SendRequestRequest-personal-signature-mr-sample.xml",
        2,
        &[],
    );
}

#[test]
fn smev3_fns_vipul_response() {
    check(
        "smev3-1.1-GetResponseResponse-fns-vipul-test-env.xml",
        2,
        &[],
    );
}

#[test]
fn smev3_gost2012_send_request_with_duplicated_reference() {
    check("smev3-1.2-SendRequestRequest-gost2012-256.xml", 2, &[]);
}

#[test]
fn smev3_reformatted_async_response_digests_survive_reformatting() {
    check(
        "smev3-1.2-GetResponseResponse-async-InvalidContent-gost2012-reformatted.xml",
        2,
        &[],
    );
}

#[test]
fn smev3_soap_fault_parses() {
    check("smev3-1.2-soapfault-SignatureVerificationFault.xml", 0, &[]);
}

/// The confirmed short vectors of smev-protocol.md §3.4 (MR samples AckRequest and
/// GetRequestRequestWithFilter): Exclusive C14N output in, SMEV transform output and the
/// signer's GOST R 34.11-94 digest out.
#[test]
fn confirmed_transform_vectors() {
    let cases = [
        (
            r#"<ns2:AckTargetMessage xmlns:ns2="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1" Id="SIGNED_BY_CALLER" accepted="true">0e8cfc01-5e81-11e4-a9ff-d4c9eff07b77</ns2:AckTargetMessage>"#,
            r#"<ns1:AckTargetMessage xmlns:ns1="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1" Id="SIGNED_BY_CALLER" accepted="true">0e8cfc01-5e81-11e4-a9ff-d4c9eff07b77</ns1:AckTargetMessage>"#,
            "PXd1LeLr8ng039jaMgcrumvN/MkvDxFKSqH+phrHVrI=",
        ),
        (
            r#"<ns2:MessageTypeSelector xmlns:ns2="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1" Id="SIGNED_BY_CALLER"><ns2:NamespaceURI>urn://x-artefacts-gibdd-gov-ru/breach/root/1.0</ns2:NamespaceURI><ns2:RootElementLocalName>BreachRequest</ns2:RootElementLocalName><ns2:Timestamp>2014-02-11T17:10:03.616+04:00</ns2:Timestamp></ns2:MessageTypeSelector>"#,
            r#"<ns1:MessageTypeSelector xmlns:ns1="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.1" Id="SIGNED_BY_CALLER"><ns1:NamespaceURI>urn://x-artefacts-gibdd-gov-ru/breach/root/1.0</ns1:NamespaceURI><ns1:RootElementLocalName>BreachRequest</ns1:RootElementLocalName><ns1:Timestamp>2014-02-11T17:10:03.616+04:00</ns1:Timestamp></ns1:MessageTypeSelector>"#,
            "xPtdSjogBSJahRJisbZWEyqRG5+WEHR6PPYUAm8yjzs=",
        ),
    ];
    for (input, want, digest_b64) in cases {
        let opts = Options::new(Algorithm::Exclusive)
            .smev_transform(true)
            .subset("SIGNED_BY_CALLER");
        let got = canonicalize_to_vec(input.as_bytes(), &opts).unwrap();
        assert_eq!(String::from_utf8(got.clone()).unwrap(), want);
        assert_eq!(digest(GOST94, &got), digest_b64);
    }
}
