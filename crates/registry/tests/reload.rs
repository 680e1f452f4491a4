//! `Registry::reload`: a bad file changes nothing, a good one is swapped in whole, and readers
//! on other threads only ever see whole snapshots.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use rsmev_envelope::Environment;
use rsmev_registry::{ConfigErrorKind, Registry, RegistryError};
use rsmev_signature::Profile;

/// A copy of the test registry in a temp dir, with absolute certificate paths.
fn setup(tag: &str) -> (PathBuf, String) {
    let dir = temp_dir(tag);
    let certs = certs().canonicalize().unwrap();
    let text = std::fs::read_to_string(data().join("registry.toml"))
        .unwrap()
        .replace("../../../../certs-test", certs.to_str().unwrap());
    let path = dir.join("registry.toml");
    std::fs::write(&path, &text).unwrap();
    (path, text)
}

/// Replaces the file atomically, as an operator's editor or deploy tool should.
fn write(path: &Path, text: &str) {
    let tmp = path.with_extension("toml.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[test]
fn a_bad_file_keeps_the_running_snapshot() {
    let (path, good) = setup("keep");
    let registry = Registry::load(&path).unwrap();
    let before = registry.snapshot();
    assert_eq!(before.generation(), 1);

    write(
        &path,
        &good.replace("mnemonic = \"MFC440002\"", "mnemonic = \"MFC440001\""),
    );
    let err = registry.reload().unwrap_err();
    assert!(
        matches!(err.kind(), ConfigErrorKind::Duplicate { .. }),
        "{err}"
    );
    let after = registry.snapshot();
    assert!(Arc::ptr_eq(&before, &after));
    assert_eq!(after.generation(), 1);

    std::fs::remove_file(&path).unwrap();
    let err = registry.reload().unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::Io { .. }), "{err}");
    assert!(Arc::ptr_eq(&before, &registry.snapshot()));
}

#[test]
fn a_good_file_is_swapped_in_and_takes_effect() {
    let (path, good) = setup("swap");
    let registry = Registry::load(&path).unwrap();
    let signed = smev3_signed("participant-rsa", false);
    let v = verify(&signed, Profile::Smev3);
    let prod = smev3_exchange(Environment::Prod);

    let old = registry.snapshot();
    assert!(matches!(
        old.authorize(&v, &prod, day(3, 1)),
        Err(RegistryError::AccessDenied { .. })
    ));

    // Grant prod as well.
    let granted = good.replacen(
        "service = \"SID0004401\"\nenvironments = [\"test\"]",
        "service = \"SID0004401\"\nenvironments = [\"test\", \"prod\"]",
        1,
    );
    assert_ne!(granted, good);
    write(&path, &granted);
    assert_eq!(registry.reload().unwrap(), 2);
    let new = registry.snapshot();
    assert_eq!(new.generation(), 2);
    assert_ne!(old.digest(), new.digest());
    let a = new.authorize(&v, &prod, day(3, 1)).unwrap();
    assert_eq!(a.generation(), 2);
    // The old snapshot, still held by an exchange in flight, keeps its own answer.
    assert!(old.authorize(&v, &prod, day(3, 1)).is_err());

    // Revoke the key: the next request is refused.
    let revoked = granted.replace(
        "valid_until = \"2026-07-01T00:00:00Z\"",
        "valid_until = \"2026-07-01T00:00:00Z\"\nrevoked_at = \"2026-02-01T00:00:00Z\"",
    );
    write(&path, &revoked);
    assert_eq!(registry.reload().unwrap(), 3);
    assert!(matches!(
        registry.snapshot().authorize(&v, &prod, day(3, 1)),
        Err(RegistryError::CertificateReplaced { .. })
    ));

    // A failed reload does not use up a generation.
    write(&path, "garbage = ");
    registry.reload().unwrap_err();
    write(&path, &good);
    assert_eq!(registry.reload().unwrap(), 4);
}

/// Readers loop over `snapshot()` while another thread reloads 100 times, alternating
/// between two different good files (and a bad one). Every snapshot a reader sees must be
/// one of the two whole registries: its digest and its contents agree.
#[test]
fn concurrent_readers_see_only_whole_snapshots() {
    let (path, a_text) = setup("concurrent");
    // Variant B: one more participant with one more system and grant; a different digest.
    let b_text = a_text.clone()
        + "\n[[participants]]\nid = \"zags44\"\nname = \"ЗАГС\"\nogrn = \"1034408610000\"\n\
           region = \"44\"\n[[participants.systems]]\nmnemonic = \"ZAGS44001\"\nname = \"ИС ЗАГС\"\n\
           \n[[grants]]\nsystem = \"ZAGS44001\"\nservice = \"SID0004401\"\nenvironments = [\"test\"]\n";
    let registry = Arc::new(Registry::load(&path).unwrap());
    let a_digest = registry.snapshot().digest();
    write(&path, &b_text);
    registry.reload().unwrap();
    let b_digest = registry.snapshot().digest();
    assert_ne!(a_digest, b_digest);

    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let registry = Arc::clone(&registry);
            let stop = Arc::clone(&stop);
            let (a_digest, b_digest) = (a_digest.clone(), b_digest.clone());
            std::thread::spawn(move || {
                let mut seen = 0u64;
                let mut last_generation = 0;
                while !stop.load(Ordering::Relaxed) {
                    let s = registry.snapshot();
                    let has_zags = s.system("ZAGS44001").is_some();
                    let shape = (
                        s.participants().len(),
                        s.systems().len(),
                        s.grants().count(),
                    );
                    if s.digest() == a_digest {
                        assert!(!has_zags);
                        assert_eq!(shape, (3, 3, 3));
                    } else {
                        assert_eq!(s.digest(), b_digest, "a snapshot of neither file");
                        assert!(has_zags);
                        assert_eq!(shape, (4, 4, 4));
                    }
                    assert!(s.generation() >= last_generation, "generation went back");
                    last_generation = s.generation();
                    seen += 1;
                }
                seen
            })
        })
        .collect();

    let mut generation = registry.snapshot().generation();
    for i in 0..100 {
        let text = match i % 3 {
            0 => &a_text,
            1 => &b_text,
            _ => "[node]\ncode = \"44\"\n", // refused: the running snapshot stays
        };
        write(&path, text);
        match registry.reload() {
            Ok(g) => {
                generation += 1;
                assert_eq!(g, generation);
            }
            Err(e) => assert_eq!(i % 3, 2, "reload {i}: {e}"),
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        let seen = r.join().unwrap();
        assert!(seen > 0);
    }
    assert_eq!(registry.snapshot().generation(), generation);
}
