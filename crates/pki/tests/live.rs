//! LiveTrust: reload whole or not at all, CRLs taken only when they verify and supersede the
//! list in force, refresh from the trust directory, the refresh schedule, per-CA status, the
//! stale-CRL grace, and the certificate cache following every change. CAs, certificates and
//! CRLs are made by OpenSSL while the tests run (`common/testca.rs`), with validity periods
//! of seconds where a test needs a list to expire.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::testca::{Leaf, TestCa};
use rsmev_fault::FaultCode;
use rsmev_pki::{
    CaId, CertCache, Certificate, CrlOutcome, LiveTrust, PkiError, RefreshPolicy, StaleCrlPolicy,
    TrustSource, ValidationOptions, ValidationWarning, check_tls_client_usage,
};

const HOUR: Duration = Duration::from_secs(3600);

/// Now, to the second: CRL times have no fraction, and exact comparisons need none.
fn now_s() -> SystemTime {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
}

fn cert(x: &openssl::x509::X509) -> Arc<Certificate> {
    Arc::new(Certificate::from_der(&x.to_der().unwrap()).unwrap())
}

/// A trust directory with `ca`'s certificate and, if given, one CRL file.
fn trust_dir(tag: &str, ca: &TestCa, crl: Option<&[u8]>) -> std::path::PathBuf {
    let d = common::temp_dir(tag);
    std::fs::write(d.join("ca.pem"), ca.pem()).unwrap();
    if let Some(crl) = crl {
        std::fs::write(d.join("ca.crl"), crl).unwrap();
    }
    d
}

fn live(dir: &Path) -> LiveTrust {
    LiveTrust::load(
        TrustSource::anchors(dir),
        RefreshPolicy::default(),
        SystemTime::now(),
    )
    .unwrap()
}

fn opts() -> ValidationOptions {
    ValidationOptions::default()
}

fn variant(r: &Result<CrlOutcome, PkiError>) -> &'static str {
    match r {
        Ok(CrlOutcome::Taken(_)) => "Taken",
        Ok(CrlOutcome::Current(_)) => "Current",
        Err(PkiError::CrlInvalid { .. }) => "CrlInvalid",
        Err(PkiError::CrlNotNewer { .. }) => "CrlNotNewer",
        Err(PkiError::CrlIssuerUnknown { .. }) => "CrlIssuerUnknown",
        Err(PkiError::Malformed { .. }) => "Malformed",
        Err(e) => panic!("unexpected {e}"),
    }
}

#[test]
fn a_newer_crl_is_taken_and_revokes_on_the_next_validation() {
    let ca = TestCa::new("Live CA 1");
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 100));
    let leaf = cert(&leaf);
    let now = SystemTime::now();
    let first = ca.crl(now - HOUR, now + 24 * HOUR, 1, &[]);
    let dir = trust_dir("taken", &ca, Some(&first));
    let live = live(&dir);
    let cache = CertCache::new(64);

    let g1 = live.generation();
    let r = cache.validate_cached(&live.snapshot(), &leaf, now, &opts());
    assert!(r.as_ref().unwrap().crl_consulted());
    // The verdict is reused while the store stays.
    cache
        .validate_cached(&live.snapshot(), &leaf, now, &opts())
        .unwrap();
    assert_eq!(cache.stats().validation_hits, 1);

    // The CA revokes serial 100 in list number 2.
    let second = ca.crl(now - Duration::from_secs(60), now + 24 * HOUR, 2, &[100]);
    let taken = live.offer_crl(&second, None, now);
    assert_eq!(taken.unwrap(), CrlOutcome::Taken(CaId::of(&cert(&ca.cert))));
    assert_ne!(
        live.generation(),
        g1,
        "a CRL swap is a new store generation"
    );

    // The next message: not answered from the cache, refused as revoked.
    let r = cache.validate_cached(&live.snapshot(), &leaf, now, &opts());
    match r {
        Err(e @ PkiError::Revoked { .. }) => {
            assert_eq!(e.fault_code(), FaultCode::CertificateRevoked)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(cache.stats().validation_hits, 1);

    // Offered again: the list in force, nothing changes.
    let g2 = live.generation();
    assert_eq!(variant(&live.offer_crl(&second, None, now)), "Current");
    assert_eq!(live.generation(), g2);

    let status = live.status();
    assert_eq!(status.cas.len(), 1);
    let s = &status.cas[0];
    assert_eq!(s.crl_number.as_deref(), Some("02"));
    assert_eq!(s.crl_entries, 1);
    assert_eq!(s.failures, 0);
    assert_eq!(s.last_success, Some(now));
    assert_eq!(s.crl_taken_at, Some(now));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn forged_older_unknown_and_future_crls_are_not_taken() {
    let ca = TestCa::new("Live CA 2");
    let id = CaId::of(&cert(&ca.cert));
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 7));
    let leaf = cert(&leaf);
    let now = SystemTime::now();
    let current = ca.crl(now - HOUR, now + 24 * HOUR, 10, &[]);
    let dir = trust_dir("forged", &ca, Some(&current));
    let live = live(&dir);
    let g = live.generation();

    // Signed with another key in the CA's name, newer in every field, revoking the leaf.
    let intruder = common::testca::ec_key();
    let forged = ca.crl_signed_by(&intruder, now, now + 48 * HOUR, 11, &[7]);
    let r = live.offer_crl(&forged, None, now);
    assert_eq!(variant(&r), "CrlInvalid", "{r:?}");

    // Genuine but older: an earlier list replayed.
    let older = ca.crl(now - 2 * HOUR, now + 20 * HOUR, 9, &[7]);
    assert_eq!(variant(&live.offer_crl(&older, None, now)), "CrlNotNewer");
    // A later date under the same number is no update either.
    let same_number = ca.crl(
        now - 30 * 60 * Duration::from_secs(1),
        now + 30 * HOUR,
        10,
        &[7],
    );
    assert_eq!(
        variant(&live.offer_crl(&same_number, None, now)),
        "CrlNotNewer"
    );
    // A higher number dated earlier than the list in force: a CA fault, not taken.
    let backdated = ca.crl(now - 2 * HOUR, now + 30 * HOUR, 12, &[7]);
    assert_eq!(
        variant(&live.offer_crl(&backdated, None, now)),
        "CrlNotNewer"
    );
    // Issued beyond the clock-skew allowance.
    let future = ca.crl(now + HOUR, now + 48 * HOUR, 13, &[7]);
    assert_eq!(variant(&live.offer_crl(&future, None, now)), "CrlInvalid");

    // Another CA's list: no CA of the store issued it; counted, but against no CA.
    let stranger = TestCa::new("Stranger CA");
    let foreign = stranger.crl(now, now + HOUR, 1, &[]);
    assert_eq!(
        variant(&live.offer_crl(&foreign, None, now)),
        "CrlIssuerUnknown"
    );
    // Not a CRL at all, fetched for this CA: counted against it.
    assert_eq!(
        variant(&live.offer_crl(b"<html>proxy error</html>", Some(id), now)),
        "Malformed"
    );

    assert_eq!(live.generation(), g, "nothing was taken");
    live.snapshot().validate(&leaf, now, &opts()).unwrap();
    let status = live.status();
    assert_eq!(status.cas[0].failures, 6);
    assert!(
        status.cas[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("offered CRL")
    );
    assert_eq!(status.unattributed_failures, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refresh_reads_the_directory_again() {
    let ca = TestCa::new("Live CA 3");
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 33));
    let leaf = cert(&leaf);
    let now = SystemTime::now();
    let dir = trust_dir(
        "refresh",
        &ca,
        Some(&ca.crl(now - HOUR, now + HOUR, 1, &[])),
    );
    let live = live(&dir);
    let g = live.generation();

    // Nothing changed: nothing read, nothing taken.
    let r = live.refresh_from_source(now);
    assert_eq!((r.files_read, r.taken.len(), r.failures.len()), (0, 0, 0));
    assert_eq!(r.generation, g);

    // The operator drops a newer list beside the old one, and a broken file.
    std::fs::write(dir.join("new.crl"), ca.crl(now, now + 2 * HOUR, 2, &[33])).unwrap();
    std::fs::write(dir.join("broken.crl"), b"not DER").unwrap();
    let r = live.refresh_from_source(now);
    assert_eq!(r.taken, vec![CaId::of(&cert(&ca.cert))]);
    assert_eq!(r.failures.len(), 1);
    assert!(r.failures[0].source.ends_with("broken.crl"));
    assert!(matches!(r.failures[0].error, PkiError::Load { .. }));
    assert!(matches!(
        live.snapshot().validate(&leaf, now, &opts()),
        Err(PkiError::Revoked { .. })
    ));
    // The older file still in the directory is no failure; the broken one fails again.
    std::fs::remove_file(dir.join("broken.crl")).unwrap();
    let intruder = common::testca::ec_key();
    std::fs::write(
        dir.join("forged.crl"),
        ca.crl_signed_by(&intruder, now, now + 3 * HOUR, 3, &[]),
    )
    .unwrap();
    let r = live.refresh_from_source(now);
    assert_eq!(r.taken.len(), 0);
    assert_eq!(r.failures.len(), 1);
    assert!(matches!(r.failures[0].error, PkiError::CrlInvalid { .. }));
    assert_eq!(r.failures[0].ca, Some(CaId::of(&cert(&ca.cert))));
    assert!(matches!(
        live.snapshot().validate(&leaf, now, &opts()),
        Err(PkiError::Revoked { .. })
    ));
    let s = live.status();
    assert_eq!((s.cas[0].failures, s.unattributed_failures), (1, 1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reload_is_whole_or_nothing_and_keeps_newer_crls() {
    let ca = TestCa::new("Live CA 4");
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 44));
    let leaf = cert(&leaf);
    let now = SystemTime::now();
    let dir = trust_dir("reload", &ca, Some(&ca.crl(now - HOUR, now + HOUR, 1, &[])));
    let live = live(&dir);

    // A fetched list revoking the leaf, newer than the directory's.
    let fetched = ca.crl(now, now + 2 * HOUR, 5, &[44]);
    live.offer_crl(&fetched, None, now).unwrap();

    // A broken file refuses the whole reload; the store in force stays.
    std::fs::write(
        dir.join("zz.pem"),
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let g = live.generation();
    match live.reload(now) {
        Err(PkiError::Load { path, .. }) => assert!(path.ends_with("zz.pem"), "{path:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(live.generation(), g);
    std::fs::remove_file(dir.join("zz.pem")).unwrap();

    // A CRL no CA of the new store issued, or a forged one: refused whole as well.
    let stranger = TestCa::new("Stranger CA 4");
    std::fs::write(
        dir.join("stranger.crl"),
        stranger.crl(now, now + HOUR, 1, &[]),
    )
    .unwrap();
    assert!(matches!(live.reload(now), Err(PkiError::Load { .. })));
    std::fs::remove_file(dir.join("stranger.crl")).unwrap();
    let intruder = common::testca::ec_key();
    std::fs::write(
        dir.join("forged.crl"),
        ca.crl_signed_by(&intruder, now, now + HOUR, 9, &[]),
    )
    .unwrap();
    match live.reload(now) {
        Err(e @ PkiError::Load { .. }) => {
            assert!(e.to_string().contains("signature"), "{e}");
            assert_eq!(e.fault_code(), FaultCode::Internal);
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(dir.join("forged.crl")).unwrap();
    assert_eq!(live.generation(), g);

    // A good reload: a new generation; the fetched list is newer than the file's and stays.
    let report = live.reload(now).unwrap();
    assert_ne!(report.generation, g);
    assert_eq!(
        (report.anchors, report.crls, report.kept_newer_crls),
        (1, 1, 1)
    );
    assert!(matches!(
        live.snapshot().validate(&leaf, now, &opts()),
        Err(PkiError::Revoked { .. })
    ));

    // A newer list in the directory wins over the one in force.
    std::fs::write(dir.join("ca.crl"), ca.crl(now, now + 3 * HOUR, 6, &[])).unwrap();
    let report = live.reload(now).unwrap();
    assert_eq!(report.kept_newer_crls, 0);
    live.snapshot().validate(&leaf, now, &opts()).unwrap();

    // Anchors change on reload: a second CA appears in the status.
    let other = TestCa::new("Live CA 4b");
    std::fs::write(dir.join("other.pem"), other.pem()).unwrap();
    live.reload(now).unwrap();
    let status = live.status();
    assert_eq!(status.cas.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn prepared_reload_commits_with_crls_taken_meanwhile() {
    let ca = TestCa::new("Live CA 5");
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 55));
    let leaf = cert(&leaf);
    let now = SystemTime::now();
    let dir = trust_dir(
        "prepared",
        &ca,
        Some(&ca.crl(now - HOUR, now + HOUR, 1, &[])),
    );
    let live = live(&dir);
    let prepared = live.prepare_reload(now).unwrap();
    // A refresh takes a newer list between preparation and commit.
    live.offer_crl(&ca.crl(now, now + HOUR, 2, &[55]), None, now)
        .unwrap();
    let report = prepared.commit(now);
    assert_eq!(report.kept_newer_crls, 1);
    assert!(matches!(
        live.snapshot().validate(&leaf, now, &opts()),
        Err(PkiError::Revoked { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_crl_that_expires_is_refused_as_revocation_unknown_then_replaced() {
    let ca = TestCa::new("Live CA 6");
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 66));
    let leaf = cert(&leaf);
    let start = SystemTime::now();
    // Valid for two more seconds.
    let short = ca.crl(start - HOUR, start + Duration::from_secs(2), 1, &[]);
    let dir = trust_dir("expire", &ca, Some(&short));
    let live = live(&dir);
    let cache = CertCache::new(16);
    let report = cache
        .validate_cached(&live.snapshot(), &leaf, SystemTime::now(), &opts())
        .unwrap();
    assert!(report.holds_until() <= start + Duration::from_secs(2));

    std::thread::sleep(Duration::from_millis(3100));
    let later = SystemTime::now();
    // The cached verdict no longer holds: validated again, and the node cannot tell.
    match cache.validate_cached(&live.snapshot(), &leaf, later, &opts()) {
        Err(e @ PkiError::CrlStale { .. }) => {
            assert_eq!(e.fault_code(), FaultCode::RevocationUnknown)
        }
        other => panic!("{other:?}"),
    }
    let status = live.status();
    assert_eq!(status.stale(later).count(), 1);
    assert!(status.cas[0].seconds_to_next_update(later).unwrap() < 0.0);

    // A fresh list in the directory, read by the refresh: accepted again, no restart.
    std::fs::write(dir.join("ca.crl"), ca.crl(later, later + HOUR, 2, &[])).unwrap();
    let r = live.refresh_from_source(later);
    assert_eq!(r.taken.len(), 1, "{:?}", r.failures);
    cache
        .validate_cached(&live.snapshot(), &leaf, later, &opts())
        .unwrap();
    assert_eq!(live.status().stale(later).count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn grace_past_next_update() {
    let ca = TestCa::new("Live CA 7");
    let (leaf, _) = ca.issue(&Leaf::signer("signer", 77));
    let leaf = cert(&leaf);
    let now = now_s();
    let next = now - HOUR;
    let dir = trust_dir("grace", &ca, Some(&ca.crl(now - 2 * HOUR, next, 1, &[])));

    // Without grace: refused.
    let strict = live(&dir);
    assert!(matches!(
        strict.snapshot().validate(&leaf, now, &opts()),
        Err(PkiError::CrlStale { .. })
    ));
    assert_eq!(strict.status().stale(now).count(), 1);

    // Two hours of grace: accepted with a warning, the verdict holding until the grace ends.
    let lenient = LiveTrust::load(
        TrustSource::anchors(&dir).crl_grace(2 * HOUR),
        RefreshPolicy::default(),
        now,
    )
    .unwrap();
    let r = lenient.snapshot().validate(&leaf, now, &opts()).unwrap();
    assert!(matches!(
        r.warnings(),
        [ValidationWarning::StaleCrl { next_update, .. }] if *next_update == next
    ));
    assert_eq!(r.holds_until(), next + 2 * HOUR);
    assert!(!r.holds_at(next), "not before the list went stale");
    let status = lenient.status();
    assert!(status.cas[0].past_next_update(now));
    assert_eq!(
        status.stale(now).count(),
        0,
        "within the grace: not refusing"
    );
    // Past the grace: refused again.
    assert!(matches!(
        lenient.snapshot().validate(&leaf, now + 2 * HOUR, &opts()),
        Err(PkiError::CrlStale { .. })
    ));
    assert_eq!(status.stale(now + 2 * HOUR).count(), 1);
    // The Warn policy accepts whatever the grace.
    lenient
        .snapshot()
        .validate(
            &leaf,
            now + 20 * HOUR,
            &ValidationOptions::default().stale_crl(StaleCrlPolicy::Warn),
        )
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refresh_schedule_half_life_interval_and_retry() {
    let ca = TestCa::new("Live CA 8");
    let now = now_s();
    let crl = ca.crl(now - HOUR, now + Duration::from_secs(1000), 1, &[]);
    let dir = trust_dir("schedule", &ca, Some(&crl));
    let policy = RefreshPolicy {
        interval: HOUR,
        validity_percent: 50,
        min_retry: Duration::from_secs(10),
    };
    let live = LiveTrust::load(TrustSource::anchors(&dir), policy, now).unwrap();
    // Half of the 1000 s remaining.
    assert_eq!(live.next_due(now), now + Duration::from_secs(500));
    assert!(live.due(now + Duration::from_secs(499)).is_empty());
    let t1 = now + Duration::from_secs(500);
    let due = live.due(t1);
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].subject, "CN=Live CA 8,O=rsmev live test");
    // Looked for at t1; half of the remaining 500 s next.
    assert_eq!(live.next_due(t1), t1 + Duration::from_secs(250));
    // Past nextUpdate: every min_retry.
    let t2 = now + Duration::from_secs(2000);
    assert_eq!(live.due(t2).len(), 1);
    assert_eq!(live.next_due(t2), t2 + Duration::from_secs(10));

    // The interval caps the wait for long-lived lists.
    let long = LiveTrust::load(
        TrustSource::anchors(&dir),
        RefreshPolicy {
            interval: Duration::from_secs(100),
            ..policy
        },
        now,
    )
    .unwrap();
    assert_eq!(long.next_due(now), now + Duration::from_secs(100));
    assert_eq!(
        long.status().cas[0].next_check,
        now + Duration::from_secs(100)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn distribution_points_from_openssl_certificates() {
    let ca = TestCa::new("Live CA 9");
    let (leaf, _) = ca.issue(&Leaf {
        crl_uris: &[
            "http://crl.example/ca9.crl",
            "http://mirror.example/ca9.crl",
        ],
        ..Leaf::signer("signer", 9)
    });
    let leaf = cert(&leaf);
    assert_eq!(
        leaf.crl_distribution_points(),
        [
            "http://crl.example/ca9.crl",
            "http://mirror.example/ca9.crl"
        ]
    );
    let now = SystemTime::now();
    let dir = trust_dir("points", &ca, None);
    let live = live(&dir);
    live.note_distribution_points(&leaf);
    live.note_distribution_points(&leaf);
    // A CA without a CRL is looked for at the interval.
    assert!(live.due(now + HOUR - Duration::from_secs(1)).is_empty());
    let due = live.due(now + HOUR + Duration::from_secs(60));
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].distribution_points,
        [
            "http://crl.example/ca9.crl",
            "http://mirror.example/ca9.crl"
        ]
    );
    // What a fetcher brings from there is taken like any offer.
    let fetched = ca.crl(now, now + HOUR, 1, &[9]);
    assert_eq!(
        live.offer_crl(&fetched, Some(due[0].id), now).unwrap(),
        CrlOutcome::Taken(due[0].id)
    );
    assert!(matches!(
        live.snapshot().validate(&leaf, now, &opts()),
        Err(PkiError::Revoked { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_client_usage_rules() {
    let ca = TestCa::new("Live CA 10");
    let check = |leaf: Leaf<'_>| {
        let (c, _) = ca.issue(&leaf);
        check_tls_client_usage(&cert(&c))
    };
    let base = Leaf {
        key_usage: &["digitalSignature", "keyEncipherment"],
        ext_key_usage: &["clientAuth"],
        ..Leaf::signer("tls client", 1)
    };
    check(base.clone()).unwrap();
    // No extensions at all: unrestricted.
    check(Leaf {
        key_usage: &[],
        ext_key_usage: &[],
        ..base.clone()
    })
    .unwrap();
    // anyExtendedKeyUsage.
    check(Leaf {
        ext_key_usage: &["2.5.29.37.0"],
        ..base.clone()
    })
    .unwrap();
    for (leaf, needle) in [
        (
            Leaf {
                ext_key_usage: &["serverAuth"],
                ..base.clone()
            },
            "id-kp-clientAuth",
        ),
        (
            Leaf {
                ext_key_usage: &["emailProtection", "serverAuth"],
                ..base.clone()
            },
            "id-kp-clientAuth",
        ),
        (
            Leaf {
                key_usage: &["nonRepudiation"],
                ..base.clone()
            },
            "digitalSignature",
        ),
        (
            Leaf {
                key_usage: &["keyEncipherment"],
                ext_key_usage: &[],
                ..base.clone()
            },
            "digitalSignature",
        ),
    ] {
        match check(leaf) {
            Err(e @ PkiError::UsageInvalid { .. }) => {
                assert!(e.to_string().contains(needle), "{e}");
                assert_eq!(e.fault_code(), FaultCode::CertificateUsageInvalid);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn peer_supplied_intermediates() {
    let root = TestCa::new("Live Root 11");
    // A sub-CA signed by the root, as a TLS client would send it beside its certificate.
    let sub = root.issue_ca("Live Sub 11", 2);
    let (leaf, _) = sub.issue(&Leaf::signer("leaf", 3));
    let leaf = cert(&leaf);
    let sub_cert = cert(&sub.cert);
    let dir = trust_dir("extra", &root, None);
    let live = live(&dir);
    let now = SystemTime::now();
    let store = live.snapshot();
    assert!(matches!(
        store.validate(&leaf, now, &opts()),
        Err(PkiError::Untrusted { .. })
    ));
    let r = store
        .validate_with(&leaf, std::slice::from_ref(&sub_cert), now, &opts())
        .unwrap();
    assert_eq!(r.depth(), 2);
    assert_eq!(r.anchor_subject(), "CN=Live Root 11,O=rsmev live test");
    // A supplied certificate is never an anchor by itself: an impostor root with the real
    // root's name, sent along, leads to the real root, whose key does not verify it.
    let impostor = TestCa::new("Live Root 11");
    let (victim, _) = impostor.issue(&Leaf::signer("victim", 5));
    assert!(matches!(
        store.validate_with(&cert(&victim), &[cert(&impostor.cert)], now, &opts()),
        Err(PkiError::ChainSignatureInvalid { .. })
    ));
    let (other_leaf, _) = TestCa::new("Unrelated 11").issue(&Leaf::signer("x", 4));
    assert!(matches!(
        store.validate_with(&cert(&other_leaf), &[sub_cert], now, &opts()),
        Err(PkiError::Untrusted { .. })
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
