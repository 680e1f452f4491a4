//! TrustStore loaders: files (PEM bundle, DER), directories, CRLs among them, bounds.

mod common;

use std::path::PathBuf;

use rsmev_pki::{LoadOptions, PkiError, TrustStore, ValidationOptions};

fn edge(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/edge")
        .join(name)
}

fn pem_to_der(pem: &[u8]) -> Vec<u8> {
    rsmev_pki::Certificate::from_pem(pem)
        .unwrap()
        .der()
        .to_vec()
}

#[test]
fn directory_with_pem_der_and_crls() {
    let d = common::temp_dir("dir");
    std::fs::copy(edge("root-a.pem"), d.join("root.pem")).unwrap();
    // DER under the two usual Windows extensions, upper case included.
    std::fs::write(
        d.join("sub.CER"),
        pem_to_der(&std::fs::read(edge("sub-a.pem")).unwrap()),
    )
    .unwrap();
    std::fs::copy(edge("sub-a-fresh.crl"), d.join("sub.crl")).unwrap();
    // Ignored: other extensions, hidden files, subdirectories.
    std::fs::write(d.join("notes.txt"), "not a certificate").unwrap();
    std::fs::write(d.join(".hidden.pem"), "garbage").unwrap();
    std::fs::create_dir(d.join("nested.pem")).unwrap();

    let store = TrustStore::load(&d).unwrap();
    assert_eq!(store.anchors().len(), 2);
    assert_eq!(store.crl_count(), 1);
    let leaf = rsmev_pki::Certificate::from_pem(&std::fs::read(edge("leaf-revoked.pem")).unwrap())
        .unwrap();
    assert!(matches!(
        store.validate(
            &leaf,
            common::at("2030-01-01"),
            &ValidationOptions::default()
        ),
        Err(PkiError::Revoked { .. })
    ));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn bundle_file_with_certificates_and_a_crl() {
    let d = common::temp_dir("bundle");
    let mut bundle = b"# trust bundle\n".to_vec();
    for f in ["root-a.pem", "sub-a.pem", "sub-a-fresh.crl.pem"] {
        bundle.extend(std::fs::read(edge(f)).unwrap());
    }
    let path = d.join("trust.pem");
    std::fs::write(&path, &bundle).unwrap();
    let store = TrustStore::load(&path).unwrap();
    assert_eq!((store.anchors().len(), store.crl_count()), (2, 1));

    // Intermediates from their own file.
    let mut store = TrustStore::load(edge("root-a.pem")).unwrap();
    let summary = store
        .load_intermediates(&edge("sub-a.pem"), &LoadOptions::default())
        .unwrap();
    assert_eq!(
        (summary.files, summary.certificates, summary.crls),
        (1, 1, 0)
    );
    assert_eq!(store.intermediates().len(), 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn refusals_name_the_file() {
    let d = common::temp_dir("bad");
    // Empty directory: nothing to trust.
    assert!(matches!(TrustStore::load(&d), Err(PkiError::Load { .. })));
    // A file over the size bound.
    let big = d.join("big.pem");
    std::fs::write(&big, vec![b'x'; 4096]).unwrap();
    let small = LoadOptions {
        max_file_bytes: 1024,
        ..LoadOptions::default()
    };
    match TrustStore::load_with(&big, &small) {
        Err(PkiError::Load { path, reason }) => {
            assert_eq!(path, big);
            assert!(reason.contains("limit"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    // Too many files.
    for i in 0..3 {
        std::fs::copy(edge("root-a.pem"), d.join(format!("r{i}.pem"))).unwrap();
    }
    std::fs::remove_file(&big).unwrap();
    let few = LoadOptions {
        max_files: 2,
        ..LoadOptions::default()
    };
    assert!(matches!(
        TrustStore::load_with(&d, &few),
        Err(PkiError::Load { .. })
    ));
    // The same certificate three times is one anchor.
    assert_eq!(TrustStore::load(&d).unwrap().anchors().len(), 1);
    // A broken file fails the load, naming it.
    let broken = d.join("zz-broken.crt");
    std::fs::write(&broken, b"\x30\x03\x02\x01\x01").unwrap();
    match TrustStore::load(&d) {
        Err(e @ PkiError::Load { .. }) => assert!(e.to_string().contains("zz-broken.crt"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        TrustStore::load(d.join("missing.pem")),
        Err(PkiError::Load { .. })
    ));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn generations_are_unique_per_state() {
    let a = TrustStore::new();
    let mut b = TrustStore::new();
    assert_ne!(a.generation(), b.generation());
    let g = b.generation();
    b.add_anchor(
        rsmev_pki::Certificate::from_pem(&std::fs::read(edge("root-a.pem")).unwrap()).unwrap(),
    );
    assert_ne!(b.generation(), g);
    let g = b.generation();
    // Re-adding the same anchor changes nothing.
    b.add_anchor(
        rsmev_pki::Certificate::from_pem(&std::fs::read(edge("root-a.pem")).unwrap()).unwrap(),
    );
    assert_eq!(b.generation(), g);
}
