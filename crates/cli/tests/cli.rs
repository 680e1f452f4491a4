//! The `rsmev` binary as a user runs it: `sign`, `verify` and `c14n` on files, their exit
//! status, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rsmev(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsmev"))
        .args(args)
        .output()
        .expect("the rsmev binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn certs(name: &str) -> String {
    root().join("certs-test").join(name).display().to_string()
}

fn data(path: &str) -> String {
    root().join(path).display().to_string()
}

/// A fresh scratch directory.
fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rsmev-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

const SMEV2: &str = "crates/signature/tests/data/smev2-request-unsigned.xml";
const SMEV3: &str = "crates/signature/tests/data/smev3-send-request-unsigned.xml";

fn sign(profile: &str, key: &str, file: &str, extra: &[&str]) -> Output {
    let key_path = certs(&format!("{key}.key.pem"));
    let cert_path = certs(&format!("{key}.cert.pem"));
    let mut args = vec![
        "sign",
        "--profile",
        profile,
        "--key",
        &key_path,
        "--cert",
        &cert_path,
    ];
    args.extend_from_slice(extra);
    args.push(file);
    rsmev(&args)
}

fn signed(profile: &str, key: &str, file: &str) -> Vec<u8> {
    let out = sign(profile, key, file, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    out.stdout
}

/// The verdict line and stderr give the same reason. An unsupported SignatureMethod once
/// printed "FAILED [… UNSUPPORTED-ALGORITHM] …" on stdout but "signature does not cover the
/// SOAP Body" on stderr: the profile's rule was judged over a signature that had failed.
#[test]
fn verify_says_one_reason() {
    let dir = scratch("reason");
    let doc = text(&signed("smev2", "participant-gost256", &data(SMEV2))).replace(
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
        "urn:example:unknown-signature",
    );
    let file = write(&dir, "unsupported.xml", doc.as_bytes());
    let trust = certs("trust-gost");
    let out = rsmev(&["verify", "--profile", "smev2", "--trust", &trust, &file]);
    assert!(!out.status.success());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains("FAILED [RSMEV-DSIG-UNSUPPORTED-ALGORITHM SMEV-100]"),
        "{stdout}"
    );
    assert!(stdout.contains("(cryptography not checked)"), "{stdout}");
    assert!(
        stderr.contains("signature 1: unsupported algorithm signature method"),
        "{stderr}"
    );
    assert!(!stderr.contains("does not cover"), "{stderr}");
    let reason = stdout
        .split("] ")
        .nth(1)
        .unwrap()
        .split(" (cryptography")
        .next()
        .unwrap();
    assert!(
        stderr.contains(reason),
        "stdout: {stdout}\nstderr: {stderr}"
    );
}

/// The origin is marked; the caller's signature of a SMEV 3 request, the last hop of SMEV 2.
#[test]
fn verify_marks_the_origin() {
    let dir = scratch("origin");
    let file = write(
        &dir,
        "req.xml",
        &signed("smev3", "participant-gost256", &data(SMEV3)),
    );
    let trust = certs("trust-gost");
    let out = rsmev(&["verify", "--profile", "smev3", "--trust", &trust, &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(
            "signature 1 (CallerInformationSystemSignature, origin) refs #SIGNED_BY_CONSUMER: OK"
        ),
        "{stdout}"
    );
    // Profile any names no origin.
    let out = rsmev(&["verify", "--trust", &trust, &file]);
    assert!(out.status.success());
    assert!(
        !text(&out.stdout).contains("origin"),
        "{}",
        text(&out.stdout)
    );
}

/// `rsmev sign --profile smev2` on a SOAP 1.2 envelope writes SOAP 1.2 `role`, and
/// `rsmev verify` accepts it.
#[test]
fn smev2_sign_verify_round_trip_in_soap12() {
    let dir = scratch("soap12");
    let unsigned = std::fs::read_to_string(data(SMEV2)).unwrap().replace(
        "http://schemas.xmlsoap.org/soap/envelope/",
        "http://www.w3.org/2003/05/soap-envelope",
    );
    let input = write(&dir, "in.xml", unsigned.as_bytes());
    let out = signed("smev2", "participant-gost256", &input);
    let doc = text(&out);
    assert!(
        doc.contains("soapenv:role=\"http://smev.gosuslugi.ru/actors/smev\""),
        "{doc}"
    );
    let file = write(&dir, "signed.xml", &out);
    let trust = certs("trust-gost");
    let out = rsmev(&["verify", "--profile", "smev2", "--trust", &trust, &file]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("actors/smev, origin)"));
}

/// A GOST R 34.10-2001 key (the OpenSSL GOST engine's, crates/crypto/tests/data) signs
/// nothing: its own algorithm is verify-only, and a 2012 algorithm is not its own.
#[test]
fn sign_refuses_a_2001_key() {
    let key = data("crates/crypto/tests/data/gost2001-A.key.pem");
    let cert = data("crates/crypto/tests/data/gost2001-A.cert.pem");
    let file = data(SMEV3);
    let out = rsmev(&["sign", "--key", &key, "--cert", &cert, &file]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("GOST R 34.10-2001 is not admitted"),
        "{}",
        text(&out.stderr)
    );
    let out = rsmev(&[
        "sign",
        "--key",
        &key,
        "--cert",
        &cert,
        "--alg",
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
        &file,
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the key (GOST R 34.10-2001) cannot be used with GOST R 34.10-2012 256"),
        "{stderr}"
    );
}

/// The limits are flags; each refusal names its limit.
#[test]
fn verify_limits_are_flags() {
    let dir = scratch("limits");
    let doc = text(&signed("smev3", "participant-gost256", &data(SMEV3)));
    let r = {
        let a = doc.find("<ds:Reference ").unwrap();
        let b = a + doc[a..].find("</ds:Reference>").unwrap() + "</ds:Reference>".len();
        doc[a..b].to_string()
    };
    // Two identical References: the SignatureValue no longer matches, but the limit refuses
    // first.
    let file = write(
        &dir,
        "two-refs.xml",
        doc.replacen(&r, &r.repeat(2), 1).as_bytes(),
    );
    let trust = certs("trust-gost");
    let out = rsmev(&[
        "verify",
        "--profile",
        "smev3",
        "--trust",
        &trust,
        "--max-references",
        "1",
        &file,
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("a signature with more than 1 References"),
        "{}",
        text(&out.stderr)
    );
    let out = rsmev(&["verify", "--trust", &trust, "--digest-budget", "0", &file]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("expected a positive integer"));
    let file = write(&dir, "one.xml", doc.as_bytes());
    for (flag, value) in [("--max-signatures", "1"), ("--digest-budget", "1")] {
        let out = rsmev(&[
            "verify",
            "--profile",
            "smev3",
            "--trust",
            &trust,
            flag,
            value,
            &file,
        ]);
        assert!(out.status.success(), "{flag}: {}", text(&out.stderr));
    }
}

/// `rsmev c14n --id` still refuses an Id two elements carry, though verification tolerates
/// duplicates nothing references.
#[test]
fn c14n_refuses_an_ambiguous_id() {
    let dir = scratch("c14n");
    let file = write(
        &dir,
        "dup.xml",
        b"<r><a Id=\"x\">1</a><b Id=\"x\">2</b><c Id=\"y\"/></r>",
    );
    let out = rsmev(&["c14n", "--exclusive", "--id", "x", &file]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("x"), "{}", text(&out.stderr));
    let out = rsmev(&["c14n", "--exclusive", "--id", "y", &file]);
    assert!(!out.status.success(), "the whole document is still checked");
}
