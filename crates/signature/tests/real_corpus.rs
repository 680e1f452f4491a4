//! Real signed SMEV messages from public repositories (`tests/data/real/`, byte for byte), each
//! judged by rsmev and compared signature by signature with `expected.tsv` — the verdicts of an
//! independent peer (`tests/peers/smev_corpus_check.py`: libxml2 for C14N, its own SMEV
//! transform, the OpenSSL GOST engine), never rsmev's own output. The certificates expired
//! long ago: cryptography only (`Trust::EmbeddedOnly`, legacy GOST admitted), in profile `any`
//! and in the protocol's own profile.
//!
//! A disagreement fails the test unless the (file, profile) pair is in [`KNOWN_TODAY`] with its
//! reason; a listed pair that agrees fails it too, so the list shrinks as the fixes land.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rsmev_signature::{Profile, SigError, Trust, Verifier};

/// Disagreements known today, by file and profile, with the reason. Delete an entry when the
/// fix lands (the test says which ones agree now).
const KNOWN_TODAY: &[(&str, Profile, &str)] = &[];

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/real")
}

/// One signature's verdict as the peer gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Expected {
    digest: bool,
    signature: bool,
}

fn expected() -> BTreeMap<String, Vec<Expected>> {
    let text = std::fs::read_to_string(dir().join("expected.tsv")).unwrap();
    let mut out: BTreeMap<String, Vec<Expected>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let yes = |s: &str| match s {
            "yes" => true,
            "no" => false,
            other => panic!("expected.tsv: {other:?} in {line:?}"),
        };
        let (file, index) = (fields[0], fields[1].parse::<usize>().unwrap());
        let list = out.entry(file.to_string()).or_default();
        assert_eq!(list.len() + 1, index, "expected.tsv: {line:?} out of order");
        list.push(Expected {
            digest: yes(fields[2]),
            signature: yes(fields[3]),
        });
    }
    out
}

/// The profile of the protocol a message belongs to.
fn protocol(bytes: &[u8]) -> Profile {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("urn://x-artefacts-smev-gov-ru/services/message-exchange/") {
        Profile::Smev3
    } else {
        Profile::Smev2
    }
}

/// Does rsmev's outcome for one signature agree with the peer's? rsmev checks the
/// SignatureValue before the digests, so a failed SignatureValue says nothing about them.
fn agrees(got: &Result<(), SigError>, want: Expected) -> bool {
    match got {
        Ok(()) => want.digest && want.signature,
        Err(SigError::SignatureValueInvalid | SigError::SignedInfoReformatted) => !want.signature,
        Err(SigError::DigestMismatch { .. } | SigError::UndeclaredEnvelopedSignature { .. }) => {
            want.signature && !want.digest
        }
        Err(_) => false,
    }
}

/// rsmev's disagreements with the peer on one file in one profile, as readable lines.
fn disagreements(file: &str, bytes: &[u8], profile: Profile, want: &[Expected]) -> Vec<String> {
    let verifier = Verifier::new(profile, Trust::EmbeddedOnly).allow_legacy(true);
    let report = match verifier.check(bytes) {
        Ok(report) => report,
        Err(e) => return vec![format!("{file} ({profile:?}): the message is refused: {e}")],
    };
    let mut out = Vec::new();
    if report.signatures.len() != want.len() {
        out.push(format!(
            "{file} ({profile:?}): {} signatures, the peer judged {}",
            report.signatures.len(),
            want.len()
        ));
        return out;
    }
    for (i, (s, w)) in report.signatures.iter().zip(want).enumerate() {
        if !agrees(&s.result, *w) {
            out.push(format!(
                "{file} ({profile:?}) signature {} ({}): rsmev {:?}, the peer: digest {}, \
                 SignatureValue {}",
                i + 1,
                s.role.label(),
                s.result.as_ref().map_err(ToString::to_string),
                w.digest,
                w.signature
            ));
        }
    }
    // The whole message: rsmev admits it exactly when the peer finds every signature good.
    let all_good = want.iter().all(|w| w.digest && w.signature);
    if out.is_empty() && report.is_ok() != all_good {
        out.push(format!(
            "{file} ({profile:?}): rsmev {} the message ({:?}), the peer finds {}",
            if report.is_ok() { "admits" } else { "refuses" },
            report.required.as_ref().map_err(ToString::to_string),
            if all_good {
                "every signature good"
            } else {
                "a bad signature"
            }
        ));
    }
    out
}

#[test]
fn rsmev_agrees_with_the_independent_peer() {
    let expected = expected();
    // Every file in the directory is judged, and the peer judged every file.
    let mut files: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".xml"))
        .collect();
    files.sort();
    assert_eq!(
        files,
        expected.keys().cloned().collect::<Vec<_>>(),
        "the corpus and expected.tsv list different files"
    );
    assert!(files.len() >= 30, "{} files", files.len());

    let mut unexpected = Vec::new();
    let mut now_agree = Vec::new();
    let mut known_seen = 0;
    for file in &files {
        let bytes = std::fs::read(dir().join(file)).unwrap();
        let own = protocol(&bytes);
        for profile in [Profile::Any, own] {
            let found = disagreements(file, &bytes, profile, &expected[file]);
            let known = KNOWN_TODAY
                .iter()
                .find(|(f, p, _)| f == file && *p == profile);
            match (found.is_empty(), known) {
                (true, None) => {}
                (false, Some(_)) => known_seen += 1,
                (false, None) => unexpected.extend(found),
                (true, Some((_, _, why))) => {
                    now_agree.push(format!("{file} ({profile:?}) — listed because {why}"))
                }
            }
        }
    }
    for (f, p, _) in KNOWN_TODAY {
        assert!(
            files.iter().any(|x| x == f),
            "KNOWN_TODAY names {f} ({p:?}), which is not in the corpus"
        );
    }
    assert!(
        unexpected.is_empty(),
        "rsmev disagrees with the independent peer:\n{}",
        unexpected.join("\n")
    );
    assert!(
        now_agree.is_empty(),
        "these now agree with the peer; delete them from KNOWN_TODAY:\n{}",
        now_agree.join("\n")
    );
    assert_eq!(known_seen, KNOWN_TODAY.len());
}

/// `expected.tsv` is exactly what the peer says today: run it again and compare (all but the
/// first line, which records the peers' versions).
#[test]
fn expected_tsv_is_the_peers_verdict() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let out = std::process::Command::new("/usr/bin/python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/smev_corpus_check.py"))
        .args(&files)
        .env("OPENSSL_CONF", root.join("certs-test/gost-engine.cnf"))
        .output()
        .expect("/usr/bin/python3 with python3-lxml (scripts/install-test-deps.sh)");
    assert!(
        out.status.success(),
        "the peer failed (scripts/install-test-deps.sh installs python3-lxml and the GOST \
         engine):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = String::from_utf8(out.stdout).unwrap();
    let kept = std::fs::read_to_string(dir().join("expected.tsv")).unwrap();
    let body = |s: &str| s.lines().skip(1).map(str::to_string).collect::<Vec<_>>();
    assert_eq!(body(&fresh), body(&kept));
}
