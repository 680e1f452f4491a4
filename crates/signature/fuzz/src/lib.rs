//! The signature fuzz target's body, shared with the regression test the main workspace runs
//! (`crates/signature/tests/fuzz_corpus.rs` includes this file).
//!
//! Input: one selector byte, then the document. Selector bits: 0–1 profile (SMEV 3, SMEV 2,
//! any, any); 2 legacy algorithms admitted; 3 tight limits (two signatures, two References, a
//! digest budget of 1× the message, small reader limits); 4 a gate that refuses every
//! signature but the origin. Certificates are judged as embedded (no trust store): what is
//! fuzzed is the parsing, placement, canonicalization and cryptography, not path validation.
//!
//! Properties, beyond "no panic":
//! - `check` and `verify` agree: both refuse the message as a whole with the same error, or
//!   `verify` admits exactly what `check` reports as wholly good, and otherwise refuses with
//!   one of the reasons the report gives (`verify` stops at the first failure, in the same
//!   order);
//! - an admitted SMEV message has exactly one origin, and profile `any` none;
//! - every element a verified signature covers lies in the verified text and starts there.

use rsmev_fault::FaultCode;
use rsmev_signature::{
    GateRefusal, Profile, SignaturePolicy, SignerGate, SignerInfo, Trust, Verifier,
};

struct OriginOnly;

impl SignerGate for OriginOnly {
    fn admit(&self, s: &SignerInfo<'_>) -> Result<(), GateRefusal> {
        if s.origin {
            Ok(())
        } else {
            Err(GateRefusal {
                code: FaultCode::SenderNotRegistered,
                reason: format!("{} is not the origin", s.role.label()),
            })
        }
    }
}

pub fn verifier(selector: u8) -> Verifier {
    let profile = match selector & 3 {
        0 => Profile::Smev3,
        1 => Profile::Smev2,
        _ => Profile::Any,
    };
    let mut v = Verifier::new(profile, Trust::EmbeddedOnly).allow_legacy(selector & 4 != 0);
    if selector & 8 != 0 {
        v = v
            .signature_policy(SignaturePolicy {
                max_signatures: 2,
                max_references: 2,
                digest_budget: 1,
            })
            .limits(rsmev_xml::Limits {
                max_size: 64 << 10,
                max_depth: 24,
                max_attributes: 16,
                max_name_len: 64,
                max_attr_value_len: 16 << 10,
                max_namespace_bindings: 32,
            });
    }
    v
}

pub fn run(data: &[u8]) {
    let Some((&selector, doc)) = data.split_first() else {
        return;
    };
    let v = verifier(selector);
    let gated = selector & 16 != 0;
    let checked = if gated {
        v.check_gated(doc, &OriginOnly)
    } else {
        v.check(doc)
    };
    let verified = if gated {
        v.verify_gated(doc, &OriginOnly)
    } else {
        v.verify(doc)
    };
    match (&checked, &verified) {
        (Err(a), Err(b)) => assert_eq!(
            a.to_string(),
            b.to_string(),
            "message-level refusals differ"
        ),
        (Err(a), Ok(_)) => panic!("check refused ({a}) what verify admitted"),
        (Ok(report), Ok(ok)) => {
            assert!(report.is_ok(), "verify admitted what check reports failed");
            assert_eq!(report.signatures.len(), ok.signatures().len());
            match v.profile() {
                Profile::Any => assert!(ok.origin().is_none()),
                Profile::Smev3 | Profile::Smev2 => {
                    assert!(ok.origin().is_some_and(|o| o.origin));
                    assert_eq!(ok.signatures().iter().filter(|s| s.origin).count(), 1);
                }
            }
            let text = ok.get().text();
            for e in ok.signatures().iter().flat_map(|s| &s.signed) {
                assert!(e.pos < e.end && e.end <= text.len(), "{e:?}");
                assert!(text[e.pos..].starts_with('<'), "{e:?}");
            }
        }
        (Ok(report), Err(e)) => {
            assert!(!report.is_ok(), "verify refused ({e}) what check admitted");
            let why = e.to_string();
            let reported = report
                .signatures
                .iter()
                .filter_map(|s| s.result.as_ref().err())
                .chain(report.required.as_ref().err())
                .any(|r| r.to_string() == why);
            assert!(reported, "verify's reason ({why}) is not in the report");
        }
    }
}
