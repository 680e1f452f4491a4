//! Path-validation rules on a small RSA/ECDSA PKI made by `tests/data/edge/gen.sh`: pathLen,
//! CA flags, keyUsage, critical extensions, name collisions resolved by key identifier, CRLs
//! (fresh, stale, DER and PEM). Each verdict is checked against the table and, where OpenSSL
//! has the same rule, against `openssl verify` run on the same files at the same instant.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use rsmev_pki::{
    Certificate, Crl, PkiError, StaleCrlPolicy, TrustStore, ValidationOptions, ValidationWarning,
};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/edge")
}

fn cert(name: &str) -> Arc<Certificate> {
    let data = std::fs::read(dir().join(name)).unwrap();
    Arc::new(Certificate::from_pem(&data).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn crl(name: &str) -> Crl {
    let data = std::fs::read(dir().join(name)).unwrap();
    if name.ends_with(".pem") {
        Crl::from_pem(&data).unwrap()
    } else {
        Crl::from_der(&data).unwrap()
    }
}

struct Case {
    name: &'static str,
    anchors: &'static [&'static str],
    untrusted: &'static [&'static str],
    crls: &'static [&'static str],
    leaf: &'static str,
    at: &'static str,
    opts: fn() -> ValidationOptions,
    ours: &'static str,
    /// `openssl verify`'s verdict, when OpenSSL has the same rule.
    openssl: Option<&'static str>,
    /// `-purpose` for OpenSSL (smimesign checks the signer's keyUsage as we do).
    purpose: Option<&'static str>,
}

fn dflt() -> ValidationOptions {
    ValidationOptions::default()
}

const CASES: &[Case] = &[
    Case {
        name: "root → sub → leaf",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &[],
        leaf: "leaf-a.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "OK",
        openssl: Some("OK"),
        purpose: Some("smimesign"),
    },
    Case {
        name: "subordinate CA as the anchor",
        anchors: &["sub-a.pem"],
        untrusted: &[],
        crls: &[],
        leaf: "leaf-a.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "OK",
        openssl: Some("OK"),
        purpose: None,
    },
    Case {
        name: "intermediate missing",
        anchors: &["root-a.pem"],
        untrusted: &[],
        crls: &[],
        leaf: "leaf-a.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "Untrusted",
        openssl: Some("error 20"),
        purpose: None,
    },
    Case {
        name: "expired (2046)",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &[],
        leaf: "leaf-a.pem",
        at: "2046-01-01",
        opts: dflt,
        ours: "Expired",
        openssl: Some("error 10"),
        purpose: None,
    },
    Case {
        name: "not yet valid (2024)",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &[],
        leaf: "leaf-a.pem",
        at: "2024-06-01",
        opts: dflt,
        ours: "NotYetValid",
        openssl: Some("error 9"),
        purpose: None,
    },
    Case {
        name: "keyEncipherment-only signer",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &[],
        leaf: "leaf-enc.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "UsageInvalid",
        openssl: Some("error 26"),
        purpose: Some("smimesign"),
    },
    Case {
        name: "unknown critical extension",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &[],
        leaf: "leaf-critext.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "UnknownCriticalExtension",
        openssl: Some("error 34"),
        purpose: None,
    },
    Case {
        name: "pathLenConstraint 0 with a sub-CA below",
        anchors: &["root-pl0.pem"],
        untrusted: &["sub-pl0.pem"],
        crls: &[],
        leaf: "leaf-pl0.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "PathTooLong",
        openssl: Some("error 25"),
        purpose: None,
    },
    Case {
        name: "sub-CA of a pathLen-0 root trusted directly",
        anchors: &["sub-pl0.pem"],
        untrusted: &[],
        crls: &[],
        leaf: "leaf-pl0.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "OK",
        openssl: Some("OK"),
        purpose: None,
    },
    Case {
        name: "issuer keyUsage without keyCertSign",
        anchors: &["ca-nokcs.pem"],
        untrusted: &[],
        crls: &[],
        leaf: "leaf-nokcs.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "NotACa",
        openssl: Some("error 79"),
        purpose: None,
    },
    Case {
        name: "issuer without basicConstraints",
        anchors: &["root-a.pem"],
        untrusted: &["notca.pem"],
        crls: &[],
        leaf: "leaf-notca.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "NotACa",
        openssl: Some("error 79"),
        purpose: None,
    },
    Case {
        name: "two roots with one name: the key identifier picks",
        anchors: &["root-a.pem", "root-a2.pem"],
        untrusted: &[],
        crls: &[],
        leaf: "leaf-a2.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "OK",
        openssl: Some("OK"),
        purpose: None,
    },
    Case {
        name: "same-named root with the wrong key only",
        anchors: &["root-a.pem"],
        untrusted: &[],
        crls: &[],
        leaf: "leaf-a2.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "Untrusted",
        openssl: Some("error 20"),
        purpose: None,
    },
    Case {
        name: "fresh CRL, not listed",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-fresh.crl"],
        leaf: "leaf-a.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "OK",
        openssl: Some("OK"),
        purpose: None,
    },
    Case {
        name: "fresh CRL (PEM), revoked",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-fresh.crl.pem"],
        leaf: "leaf-revoked.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "Revoked",
        openssl: Some("error 23"),
        purpose: None,
    },
    Case {
        name: "fresh CRL (DER), revoked",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-fresh.crl"],
        leaf: "leaf-revoked.pem",
        at: "2030-01-01",
        opts: dflt,
        ours: "Revoked",
        openssl: Some("error 23"),
        purpose: None,
    },
    Case {
        name: "CRL checks switched off",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-fresh.crl"],
        leaf: "leaf-revoked.pem",
        at: "2030-01-01",
        opts: || ValidationOptions::default().check_crl(false),
        ours: "OK",
        openssl: None,
        purpose: None,
    },
    Case {
        name: "stale CRL refused",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-stale.crl.pem"],
        leaf: "leaf-a.pem",
        at: "2031-01-01",
        opts: dflt,
        ours: "CrlStale",
        openssl: Some("error 12"),
        purpose: None,
    },
    Case {
        name: "stale CRL accepted with a warning",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-stale.crl.pem"],
        leaf: "leaf-a.pem",
        at: "2031-01-01",
        opts: || ValidationOptions::default().stale_crl(StaleCrlPolicy::Warn),
        ours: "OK",
        openssl: None,
        purpose: None,
    },
    Case {
        name: "stale CRL still revokes under the warning policy",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-stale.crl.pem"],
        leaf: "leaf-revoked.pem",
        at: "2031-01-01",
        opts: || ValidationOptions::default().stale_crl(StaleCrlPolicy::Warn),
        ours: "Revoked",
        openssl: None,
        purpose: None,
    },
    Case {
        name: "CRL required but only the sub-CA has one",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &["sub-a-fresh.crl"],
        leaf: "leaf-a.pem",
        at: "2030-01-01",
        opts: || ValidationOptions::default().require_crl(true),
        ours: "CrlMissing",
        // -crl_check_all: every certificate's CRL is required; "unable to get certificate CRL".
        openssl: None,
        purpose: None,
    },
    Case {
        name: "depth limit",
        anchors: &["root-a.pem"],
        untrusted: &["sub-a.pem"],
        crls: &[],
        leaf: "leaf-a.pem",
        at: "2030-01-01",
        opts: || ValidationOptions::default().max_depth(1),
        ours: "PathTooLong",
        openssl: None,
        purpose: None,
    },
];

fn store_for(case: &Case) -> TrustStore {
    let mut store = TrustStore::new();
    for a in case.anchors {
        store.add_anchor(cert(a));
    }
    for u in case.untrusted {
        store.add_intermediate(cert(u));
    }
    for c in case.crls {
        store.add_crl(crl(c));
    }
    store
}

#[test]
fn verdicts_match_the_table_and_openssl() {
    let peer = common::have_openssl();
    let mut peer_checked = 0;
    for case in CASES {
        let store = store_for(case);
        let leaf = cert(case.leaf);
        let got = store.validate(&leaf, common::at(case.at), &(case.opts)());
        assert_eq!(
            common::verdict(&got),
            case.ours,
            "{}: {:?}",
            case.name,
            got.as_ref().err().map(ToString::to_string)
        );
        if let (true, Some(want)) = (peer, case.openssl) {
            let theirs = common::openssl_verify(&common::Verify {
                dir: &dir(),
                gost: false,
                anchors: case.anchors,
                untrusted: case.untrusted,
                crls: case.crls,
                purpose: case.purpose,
                epoch: common::epoch(case.at),
                leaf: case.leaf,
            });
            assert_eq!(theirs, want, "{}: openssl verify", case.name);
            peer_checked += 1;
        }
    }
    if peer {
        assert!(peer_checked >= 15);
    }
}

#[test]
fn reports_describe_the_path() {
    let case = &CASES[0];
    let store = store_for(case);
    let r = store
        .validate(&cert("leaf-a.pem"), common::at("2030-01-01"), &dflt())
        .unwrap();
    assert_eq!(
        r.subjects(),
        &[
            "O=rsmev edge,CN=Edge Leaf A",
            "O=rsmev edge,CN=Edge Sub A",
            "O=rsmev edge,CN=Edge Root A"
        ]
    );
    assert_eq!(r.depth(), 2);
    assert_eq!(r.anchor_subject(), "O=rsmev edge,CN=Edge Root A");
    assert!(!r.directly_trusted() && !r.crl_consulted() && r.warnings().is_empty());
    assert_eq!(r.holds_from(), common::at("2025-01-01"));
    assert_eq!(r.holds_until(), common::at("2045-01-01"));

    let mut with_crl = store_for(case);
    let fresh = crl("sub-a-fresh.crl");
    let next = fresh.next_update().unwrap();
    with_crl.add_crl(fresh);
    let r = with_crl
        .validate(&cert("leaf-a.pem"), common::at("2030-01-01"), &dflt())
        .unwrap();
    assert!(r.crl_consulted());
    assert_eq!(r.holds_until(), next.min(common::at("2045-01-01")));
}

#[test]
fn revocation_reports_serial_and_date() {
    let mut store = TrustStore::new();
    store.add_anchor(cert("root-a.pem"));
    store.add_intermediate(cert("sub-a.pem"));
    let list = crl("sub-a-fresh.crl");
    let leaf = cert("leaf-revoked.pem");
    let entry = list.revocation(&leaf).expect("listed");
    assert_eq!(entry.reason, Some(1), "keyCompromise");
    store.add_crl(list);
    match store.validate(&leaf, common::at("2030-01-01"), &dflt()) {
        Err(e @ PkiError::Revoked { .. }) => {
            let PkiError::Revoked { serial, at, .. } = &e else {
                unreachable!()
            };
            assert_eq!(serial, &leaf.serial_hex());
            assert_eq!(*at, entry.date);
            assert_eq!(e.fault_code(), rsmev_fault::FaultCode::CertificateRevoked);
        }
        other => panic!("{other:?}"),
    }
    // An archived message signed before the revocation: valid then, and the verdict ends
    // just before the revocation date.
    let before = entry.date - std::time::Duration::from_secs(86_400);
    let r = store.validate(&leaf, before, &dflt()).unwrap();
    assert!(r.holds_until() < entry.date);
    assert!(!r.holds_at(entry.date));
}

#[test]
fn stale_warning_names_the_issuer() {
    let mut store = TrustStore::new();
    store.add_anchor(cert("root-a.pem"));
    store.add_intermediate(cert("sub-a.pem"));
    store.add_crl(crl("sub-a-stale.crl.pem"));
    let r = store
        .validate(
            &cert("leaf-a.pem"),
            common::at("2031-01-01"),
            &ValidationOptions::default().stale_crl(StaleCrlPolicy::Warn),
        )
        .unwrap();
    match r.warnings() {
        [ValidationWarning::StaleCrl { issuer, .. }] => {
            assert_eq!(issuer, "O=rsmev edge,CN=Edge Sub A")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn crl_signed_by_another_key_is_refused() {
    // root-a2 has root-a's name; a CRL "of Edge Root A" from root-a2 must not be accepted
    // for root-a. sub-a's CRL presented as if root-a issued it cannot be made without its key,
    // so check the name/key binding instead: sub-a's CRL is not root-a's.
    let list = crl("sub-a-fresh.crl");
    assert!(!list.is_issued_by_name(&cert("root-a.pem")));
    assert!(list.is_issued_by_name(&cert("sub-a.pem")));
    assert!(matches!(
        list.verify_signature(&cert("root-a.pem"), false),
        Err(PkiError::CrlInvalid { .. })
    ));
    list.verify_signature(&cert("sub-a.pem"), false).unwrap();
    assert_eq!(list.len(), 1);
    assert!(list.crl_number().is_some());
}

#[test]
fn directly_trusted_leaf_still_checks_usage_validity_and_crl() {
    let mut store = TrustStore::new();
    store.add_anchor(cert("leaf-a.pem"));
    store.add_anchor(cert("leaf-enc.pem"));
    store.add_anchor(cert("leaf-revoked.pem"));
    let r = store
        .validate(&cert("leaf-a.pem"), common::at("2030-01-01"), &dflt())
        .unwrap();
    assert!(r.directly_trusted());
    assert_eq!(r.depth(), 0);
    assert_eq!(r.subjects().len(), 1);
    assert!(matches!(
        store.validate(&cert("leaf-a.pem"), common::at("2046-01-01"), &dflt()),
        Err(PkiError::Expired { .. })
    ));
    assert!(matches!(
        store.validate(&cert("leaf-enc.pem"), common::at("2030-01-01"), &dflt()),
        Err(PkiError::UsageInvalid { .. })
    ));
    // Without its issuer in the store the CRL cannot be checked: trusted as pinned.
    store.add_crl(crl("sub-a-fresh.crl"));
    store
        .validate(&cert("leaf-revoked.pem"), common::at("2030-01-01"), &dflt())
        .unwrap();
    // With the issuer present, the CRL is consulted.
    store.add_intermediate(cert("sub-a.pem"));
    assert!(matches!(
        store.validate(&cert("leaf-revoked.pem"), common::at("2030-01-01"), &dflt()),
        Err(PkiError::Revoked { .. })
    ));
}

/// The last byte of a certificate or CRL is the last byte of its signature value.
fn flip_last(der: &[u8]) -> Vec<u8> {
    let mut d = der.to_vec();
    *d.last_mut().unwrap() ^= 0x01;
    d
}

#[test]
fn tampered_signatures_are_refused_like_openssl() {
    let work = common::temp_dir("tamper");
    for f in ["root-a.pem", "sub-a.pem"] {
        std::fs::copy(dir().join(f), work.join(f)).unwrap();
    }
    let leaf = cert("leaf-a.pem");
    std::fs::write(work.join("leaf-bad.der"), flip_last(leaf.der())).unwrap();
    let fresh = crl("sub-a-fresh.crl");
    std::fs::write(work.join("bad.crl"), flip_last(fresh.der())).unwrap();
    std::fs::write(work.join("leaf-a.der"), leaf.der()).unwrap();

    let mut store = TrustStore::new();
    store.add_anchor(cert("root-a.pem"));
    store.add_intermediate(cert("sub-a.pem"));
    let bad_leaf =
        Certificate::from_der(&std::fs::read(work.join("leaf-bad.der")).unwrap()).unwrap();
    let got = store.validate(&bad_leaf, common::at("2030-01-01"), &dflt());
    assert_eq!(common::verdict(&got), "ChainSignatureInvalid", "{got:?}");
    assert_eq!(
        got.unwrap_err().fault_code(),
        rsmev_fault::FaultCode::CertificateUntrusted
    );

    // A tampered intermediate: its own signature (by root-a) fails.
    let sub = cert("sub-a.pem");
    let mut store2 = TrustStore::new();
    store2.add_anchor(cert("root-a.pem"));
    store2.add_intermediate(Certificate::from_der(&flip_last(sub.der())).unwrap());
    let got = store2.validate(&leaf, common::at("2030-01-01"), &dflt());
    assert_eq!(common::verdict(&got), "ChainSignatureInvalid", "{got:?}");

    // A CRL whose signature does not verify cannot be used.
    store.add_crl(Crl::from_der(&std::fs::read(work.join("bad.crl")).unwrap()).unwrap());
    let got = store.validate(&leaf, common::at("2030-01-01"), &dflt());
    assert_eq!(common::verdict(&got), "CrlInvalid", "{got:?}");

    if common::have_openssl() {
        let at = common::epoch("2030-01-01");
        let v = |crls: &[&str], leaf: &str| {
            common::openssl_verify(&common::Verify {
                dir: &work,
                gost: false,
                anchors: &["root-a.pem"],
                untrusted: &["sub-a.pem"],
                crls,
                purpose: None,
                epoch: at,
                leaf,
            })
        };
        assert_eq!(v(&[], "leaf-a.der"), "OK");
        // 7: certificate signature failure; 8: CRL signature failure.
        assert_eq!(v(&[], "leaf-bad.der"), "error 7");
        assert_eq!(v(&["bad.crl"], "leaf-a.der"), "error 8");
    }
    let _ = std::fs::remove_dir_all(&work);
}
