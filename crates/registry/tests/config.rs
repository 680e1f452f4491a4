//! Loading: the good registry's contents, and every refusal in tests/data/refused/ — each file
//! states the error kind and a piece of its message on its first line (`# expect: Kind | text`).

mod common;

use std::time::Duration;

use common::*;
use rsmev_envelope::{Environment, ServiceKey};
use rsmev_registry::{ConfigErrorKind, Level, Mode, Registry, Snapshot};

fn kind_name(kind: &ConfigErrorKind) -> &'static str {
    match kind {
        ConfigErrorKind::Io { .. } => "Io",
        ConfigErrorKind::TooLarge { .. } => "TooLarge",
        ConfigErrorKind::NotUtf8 => "NotUtf8",
        ConfigErrorKind::Syntax(_) => "Syntax",
        ConfigErrorKind::Duplicate { .. } => "Duplicate",
        ConfigErrorKind::Dangling { .. } => "Dangling",
        ConfigErrorKind::BadUrl { .. } => "BadUrl",
        ConfigErrorKind::BadTimestamp { .. } => "BadTimestamp",
        ConfigErrorKind::WindowInverted { .. } => "WindowInverted",
        ConfigErrorKind::Certificate { .. } => "Certificate",
        ConfigErrorKind::SharedCertificate { .. } => "SharedCertificate",
        ConfigErrorKind::BadCharacter { .. } => "BadCharacter",
        ConfigErrorKind::CaseVariant { .. } => "CaseVariant",
        ConfigErrorKind::NodeCertificate { .. } => "NodeCertificate",
        ConfigErrorKind::Invalid { .. } => "Invalid",
        _ => "unknown kind",
    }
}

#[test]
fn the_test_registry_loads_whole() {
    let s = registry();
    assert_eq!(s.generation(), 1);
    assert_eq!(s.digest().len(), 64);
    assert_eq!(s.node().code(), "44");
    assert_eq!(s.participants().len(), 3);
    assert_eq!(s.systems().len(), 3);
    assert_eq!(s.services().len(), 3);
    assert_eq!(s.grants().count(), 3);
    assert_eq!(s.federal().certificates().len(), 1);
    assert_eq!(
        s.federal().upstream(Environment::Test).unwrap().timeout(),
        Duration::from_secs(20)
    );

    let mfc = s.system("MFC440001").unwrap();
    assert_eq!(s.participant_of(mfc).id(), "mfc44");
    assert_eq!(mfc.certificates().len(), 2);
    assert!(mfc.certificates()[0].valid_until().is_some());
    let by_cert = s
        .system_by_certificate(certificate("participant-ec").fingerprint_sha256())
        .unwrap();
    assert_eq!(by_cert.mnemonic(), "MFC440001");
    let mfc44 = s.participant("mfc44").unwrap();
    let mnemonics: Vec<_> = s.systems_of(mfc44).map(|x| x.mnemonic()).collect();
    assert_eq!(mnemonics, ["MFC440001", "MFC440002"]);

    let gibdd = s.service("SID0004401").unwrap();
    assert_eq!(gibdd.level(), Level::Regional);
    assert_eq!(gibdd.mode(), Mode::Sync);
    assert_eq!(s.owner_of(gibdd).id(), "gibdd44");
    assert_eq!(
        gibdd.upstream(Environment::Prod).unwrap().url(),
        "https://gibdd44.example/ws"
    );
    assert_eq!(
        gibdd.passport().unwrap().control_examples,
        ["examples/breach.xml"]
    );
    assert_eq!(s.routes_of(gibdd).count(), 3);

    // A federal service is reached at federal SMEV's endpoint, with its own timeout.
    let egrul = s.service("SID0003133").unwrap();
    let up = egrul.upstream(Environment::Prod).unwrap();
    assert_eq!(up.url(), "https://smev3-n0.example/ws");
    assert_eq!(up.timeout(), Duration::from_millis(15_000));

    // Per-service bounds on exchanges in flight, where the registry gives them.
    assert_eq!(s.federal().max_in_flight(), Some(200));
    assert_eq!(gibdd.max_in_flight(), Some(32));
    assert_eq!(egrul.max_in_flight(), None);

    // Every upstream is parsed once, at load, into the URI the relay sends to.
    assert_eq!(
        up.uri(),
        s.federal().upstream(Environment::Prod).unwrap().uri()
    );
    assert_eq!(up.uri().scheme_str(), Some("https"));
    assert_eq!(up.uri().host(), Some("smev3-n0.example"));
    assert_eq!(up.uri().path(), "/ws");
    let test = gibdd.upstream(Environment::Test).unwrap().uri();
    assert_eq!(
        (test.host(), test.port_u16(), test.path()),
        (Some("127.0.0.1"), Some(9001), "/gibdd")
    );
    let routes: Vec<_> = s
        .routes_of(gibdd)
        .map(|r| r.upstream().unwrap().uri().to_string())
        .collect();
    assert_eq!(
        routes,
        [
            "http://127.0.0.1:9002/gibdd-sharya",
            "http://127.0.0.1:9004/gibdd-kostroma",
            "http://127.0.0.1:9005/gibdd-region-test"
        ]
    );

    // Lookups by the keys messages carry.
    let by_root = s.service_by_key(&ServiceKey::Smev3Root {
        namespace: BREACH_NS.into(),
        local: "BreachRequest".into(),
    });
    assert_eq!(by_root.map(|x| x.sid()), Some("SID0004401"));
    // The service is registered for one root element of its namespace only.
    let other_root = s.service_by_key(&ServiceKey::Smev3Root {
        namespace: BREACH_NS.into(),
        local: "OtherRequest".into(),
    });
    assert!(other_root.is_none());
    // A service registered for the whole namespace takes any root element in it.
    let dictionary = s.service_by_key(&ServiceKey::Smev3Root {
        namespace: "urn://example-kostroma/oktmo-dictionary/1.0".into(),
        local: "AnyRequest".into(),
    });
    assert_eq!(dictionary.map(|x| x.sid()), Some("SID0004499"));
    let by_mnemonic = s.service_by_key(&ServiceKey::Smev2Mnemonic {
        mnemonic: "FNS001001".into(),
        version: Some("2.00".into()),
    });
    assert_eq!(by_mnemonic.map(|x| x.sid()), Some("SID0003133"));
}

#[test]
fn every_refused_file_is_refused_for_its_reason() {
    let dir = data().join("refused");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} refusal files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let expect = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect: "))
            .unwrap_or_else(|| panic!("{}: no `# expect:` line", path.display()));
        let (kind, fragment) = expect.split_once(" | ").unwrap_or((expect, ""));
        match Registry::load(path) {
            Ok(_) => failures.push(format!("{}: accepted", path.display())),
            Err(e) => {
                let message = e.to_string();
                if kind_name(e.kind()) != kind || !message.contains(fragment.trim()) {
                    failures.push(format!(
                        "{}: expected {kind} containing {fragment:?}, got {}: {message}",
                        path.display(),
                        kind_name(e.kind())
                    ));
                }
                // Errors from a file name the file.
                assert_eq!(e.file(), Some(path.as_path()));
                assert!(
                    message.starts_with(&path.display().to_string()),
                    "{message}"
                );
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The example shipped in deploy/examples must stay loadable.
#[test]
fn the_deployment_example_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy/examples/registry.toml");
    let registry = Registry::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let s = registry.snapshot();
    assert!(!s.participants().is_empty());
    assert!(!s.services().is_empty());
}

#[test]
fn a_missing_registry_file() {
    let path = data().join("no-such-registry.toml");
    let err = Registry::load(&path).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::Io { .. }), "{err}");
    let name = path.display().to_string();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {name}: ")),
        "{err}"
    );
    assert_eq!(err.to_string().matches(&name).count(), 1, "{err}");
}

#[test]
fn a_registry_over_4_mib_is_refused_unread() {
    let dir = temp_dir("large");
    let path = dir.join("registry.toml");
    let good = std::fs::read_to_string(data().join("registry.toml")).unwrap();
    let padding = "#".repeat(1023) + "\n";
    let big = good + &padding.repeat(4 * 1024 + 1);
    std::fs::write(&path, big).unwrap();
    let err = Registry::load(&path).unwrap_err();
    assert!(
        matches!(err.kind(), ConfigErrorKind::TooLarge { limit, .. } if *limit == 4 * 1024 * 1024),
        "{err}"
    );
}

#[test]
fn a_registry_not_in_utf8_is_refused() {
    let dir = temp_dir("latin1");
    let path = dir.join("registry.toml");
    std::fs::write(
        &path,
        b"[node]\ncode = \"44\"\nname = \"\xd0\xe5\xe3\xe8\xee\xed\"\n",
    )
    .unwrap();
    let err = Registry::load(&path).unwrap_err();
    assert!(matches!(err.kind(), ConfigErrorKind::NotUtf8), "{err}");
}

#[test]
fn a_certificate_file_over_1_mib_is_refused() {
    let dir = temp_dir("bigcert");
    let pem = std::fs::read_to_string(certs().join("participant-rsa.cert.pem")).unwrap();
    // Still a valid PEM after the comment lines, so only the size can refuse it.
    let big = "# padding\n".repeat(110_000) + &pem;
    std::fs::write(dir.join("big.cert.pem"), big).unwrap();
    let text = "[node]\ncode = \"44\"\nname = \"n\"\n[federal]\ncertificates = [ { file = \"big.cert.pem\" } ]\n\
         [federal.endpoints]\ntest = \"http://127.0.0.1:1/\"\n";
    let err = Snapshot::from_toml(text, &dir).unwrap_err();
    match err.kind() {
        ConfigErrorKind::Certificate { at, why, .. } => {
            assert_eq!(at, "federal.certificates[0].file");
            assert!(why.contains("1048576"), "{why}");
        }
        other => panic!("{other}"),
    }
}

/// Certificate paths are relative to the registry file, not to the working directory.
#[test]
fn certificate_paths_are_relative_to_the_file() {
    let dir = temp_dir("relative");
    std::fs::create_dir_all(dir.join("keys")).unwrap();
    std::fs::copy(
        certs().join("participant-rsa.cert.pem"),
        dir.join("keys/mfc.pem"),
    )
    .unwrap();
    let text = "[node]\ncode = \"44\"\nname = \"n\"\n[federal.endpoints]\n\
                test = \"http://127.0.0.1:1/\"\n[[participants]]\nid = \"p\"\nname = \"P\"\n\
                ogrn = \"1024400534577\"\nregion = \"44\"\n[[participants.systems]]\n\
                mnemonic = \"MFC440001\"\nname = \"S\"\ncertificates = [ { file = \"keys/mfc.pem\" } ]\n";
    std::fs::write(dir.join("registry.toml"), text).unwrap();
    let registry = Registry::load(dir.join("registry.toml")).unwrap_or_else(|e| panic!("{e}"));
    let s = registry.snapshot();
    assert_eq!(
        s.system("MFC440001").unwrap().certificates()[0].path(),
        dir.join("keys/mfc.pem")
    );
}

/// Error messages name the place and the value, for the operator reading the log.
#[test]
fn messages_name_place_and_value() {
    let path = data().join("refused/duplicate-mnemonic.toml");
    let message = Registry::load(&path).unwrap_err().to_string();
    assert!(
        message.ends_with(
            "participants[1].systems[0].mnemonic: \"MFC440001\" is used twice \
             (first at participants[0].systems[0].mnemonic)"
        ),
        "{message}"
    );
    let path = data().join("refused/unknown-key.toml");
    let message = Registry::load(&path).unwrap_err().to_string();
    assert!(message.contains("unknown field `nmae`"), "{message}");
    assert!(message.contains("line"), "{message}");
}

/// Deep nesting and long dotted keys end as syntax errors, not as a stack overflow.
#[test]
fn hostile_nesting_is_a_syntax_error() {
    let n = 1_000_000;
    for text in [
        format!("x = {}{}", "[".repeat(n), "]".repeat(n)),
        format!("x = {}1{}", "{a=".repeat(n), "}".repeat(n)),
        format!("{} = 1", vec!["a"; n / 2].join(".")),
        format!("[{}]", vec!["a"; n / 2].join(".")),
    ] {
        let err = Snapshot::from_toml(&text, &data()).unwrap_err();
        assert!(matches!(err.kind(), ConfigErrorKind::Syntax(_)), "{err}");
    }
}

/// The example in docs/registry.md is a valid registry (paths relative to deploy/examples).
#[test]
fn the_documented_example_loads() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/registry.md")).unwrap();
    let start = doc.find("## Example").unwrap();
    let block = &doc[start..];
    let open = block.find("```toml\n").unwrap() + "```toml\n".len();
    let close = open + block[open..].find("```").unwrap();
    let s = Snapshot::from_toml(&block[open..close], &root.join("deploy/examples"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.services().len(), 3);
}

/// `max_in_flight` takes 1 to 1 000 000, on a service and on federal SMEV.
#[test]
fn max_in_flight_bounds() {
    let text = |federal: u64, service: u64| {
        format!(
            "[node]\ncode = \"44\"\nname = \"n\"\n[federal]\nmax_in_flight = {federal}\n\
             [federal.endpoints]\ntest = \"http://127.0.0.1:1/\"\n[[participants]]\nid = \"p\"\n\
             name = \"P\"\nogrn = \"1024400534577\"\nregion = \"44\"\n[[services]]\n\
             sid = \"SID0000001\"\nname = \"S\"\nowner = \"p\"\nlevel = \"regional\"\n\
             mode = \"sync\"\nsmev2_mnemonic = \"S0001\"\ntimeout_ms = 1000\n\
             max_in_flight = {service}\n[services.endpoints]\ntest = \"http://127.0.0.1:2/\"\n"
        )
    };
    for (federal, service) in [(1, 1_000_000), (1_000_000, 1)] {
        let s = Snapshot::from_toml(&text(federal, service), &data()).unwrap();
        assert_eq!(s.federal().max_in_flight(), Some(federal as u32));
        assert_eq!(s.services()[0].max_in_flight(), Some(service as u32));
    }
    for (federal, service, at) in [
        (0, 1, "federal.max_in_flight"),
        (1, 1_000_001, "services[0].max_in_flight"),
    ] {
        let err = Snapshot::from_toml(&text(federal, service), &data()).unwrap_err();
        assert!(
            matches!(err.kind(), ConfigErrorKind::Invalid { at: got, .. } if got == at),
            "{err}"
        );
    }
}

/// "Is this certificate federal SMEV's?", by SHA-256 of the DER, whatever its window.
#[test]
fn federal_certificates_by_fingerprint() {
    let s = registry();
    let federal = certificate("federal-gost256");
    let found = s
        .federal_certificate(federal.fingerprint_sha256())
        .expect("federal-gost256 is federal");
    assert_eq!(found.certificate().der(), federal.der());
    for other in ["operator-gost256", "operator-rsa", "participant-rsa"] {
        assert!(
            s.federal_certificate(certificate(other).fingerprint_sha256())
                .is_none(),
            "{other}"
        );
    }
}

/// The node's own certificate may not be listed anywhere in the registry: not as federal
/// SMEV's, not as a system's signing or TLS certificate — at load and on reload.
#[test]
fn the_node_certificate_is_refused_anywhere() {
    let good = std::fs::read_to_string(data().join("registry.toml")).unwrap();
    let operator = certificate("operator-gost256");
    let node = operator.fingerprint_sha256();
    // As it is, the test registry does not list the node's certificate.
    Snapshot::from_toml_for_node(&good, &data(), node).unwrap_or_else(|e| panic!("{e}"));

    let federal =
        "certificates = [ { file = \"../../../../certs-test/federal-gost256.cert.pem\" } ]";
    assert!(good.contains(federal));
    let listing = [
        (
            good.replace(
                federal,
                "certificates = [ { file = \"../../../../certs-test/federal-gost256.cert.pem\" }, \
                 { file = \"../../../../certs-test/operator-gost256.cert.pem\" } ]",
            ),
            "federal.certificates[1].file",
        ),
        (
            good.clone()
                + "[[participants]]\nid = \"x\"\nname = \"X\"\nogrn = \"1024400534577\"\n\
                   region = \"44\"\n[[participants.systems]]\nmnemonic = \"X\"\nname = \"X\"\n\
                   certificates = [ { file = \"../../../../certs-test/operator-gost256.cert.pem\" } ]\n",
            "participants[3].systems[0].certificates[0].file",
        ),
        (
            good.clone()
                + "[[participants]]\nid = \"x\"\nname = \"X\"\nogrn = \"1024400534577\"\n\
                   region = \"44\"\n[[participants.systems]]\nmnemonic = \"X\"\nname = \"X\"\n\
                   tls_client_certificates = [ { file = \"../../../../certs-test/operator-gost256.cert.pem\" } ]\n",
            "participants[3].systems[0].tls_client_certificates[0].file",
        ),
    ];
    for (text, at) in &listing {
        // Without the node's certificate to compare with, such a registry is valid.
        Snapshot::from_toml(text, &data()).unwrap_or_else(|e| panic!("{at}: {e}"));
        let err = Snapshot::from_toml_for_node(text, &data(), node).unwrap_err();
        match err.kind() {
            ConfigErrorKind::NodeCertificate { at: got, .. } => assert_eq!(got, at),
            other => panic!("{at}: {other}"),
        }
        assert!(
            err.to_string()
                .contains("is this node's own [operator] certificate"),
            "{err}"
        );
    }

    // Through Registry: refused at load, and a reload that slips it in is refused too.
    let dir = temp_dir("node-cert");
    let path = dir.join("registry.toml");
    let relocate = |text: &str| {
        text.replace(
            "../../../../certs-test/",
            &format!("{}/", certs().display()),
        )
    };
    std::fs::write(&path, relocate(&listing[0].0)).unwrap();
    let err = Registry::load_for_node(&path, *node).unwrap_err();
    assert!(
        matches!(err.kind(), ConfigErrorKind::NodeCertificate { .. }),
        "{err}"
    );
    assert_eq!(err.file(), Some(path.as_path()));

    std::fs::write(&path, relocate(&good)).unwrap();
    let registry = Registry::load_for_node(&path, *node).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, relocate(&listing[0].0)).unwrap();
    let err = registry.reload().unwrap_err();
    assert!(
        matches!(err.kind(), ConfigErrorKind::NodeCertificate { .. }),
        "{err}"
    );
    assert_eq!(registry.snapshot().generation(), 1);
    assert!(registry.snapshot().federal_certificate(node).is_none());
}

/// The shipped example: federal SMEV's certificate is its own, not the node's.
#[test]
fn the_deployment_example_has_its_own_federal_certificate() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let operator = certificate("operator-gost256");
    let registry = Registry::load_for_node(
        root.join("deploy/examples/registry.toml"),
        *operator.fingerprint_sha256(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let s = registry.snapshot();
    let federal = s.federal().certificates();
    assert_eq!(federal.len(), 1);
    assert_eq!(
        federal[0].certificate().der(),
        certificate("federal-gost256").der()
    );
    // And rsmev.toml's [operator] is the certificate checked above.
    let config = std::fs::read_to_string(root.join("deploy/examples/rsmev.toml")).unwrap();
    assert!(config.contains("cert = \"../../certs-test/operator-gost256.cert.pem\""));
}
