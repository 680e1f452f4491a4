//! Cross-checks with the OpenSSL GOST engine (`libengine-gost-openssl`) through the `openssl`
//! command line, both directions, on every parameter set the engine can generate:
//!
//! 1. keys made and messages signed by the engine verify here (digest = Streebog of the
//!    message, signature = the engine's raw output, key = its SubjectPublicKeyInfo);
//! 2. signatures made here — with the engine's private key and with a key generated here —
//!    verify in the engine (`openssl dgst -verify`).
//!
//! Without the engine the test prints a note and passes, unless `RSMEV_REQUIRE_PEERS=1`.

use std::path::{Path, PathBuf};
use std::process::Command;

use rsmev_gost::{ParamSet, PublicKey, SigningKey};
use streebog::Digest;

/// How to reach the engine: `-engine gost` on the command line, or a config that loads it.
struct Engine {
    conf: Option<PathBuf>,
}

impl Engine {
    fn openssl(&self, args: &[&str], dir: &Path) -> std::process::Output {
        let mut cmd = Command::new("openssl");
        cmd.current_dir(dir);
        cmd.arg(args[0]);
        if self.conf.is_none() {
            cmd.args(["-engine", "gost"]);
        }
        cmd.args(&args[1..]);
        if let Some(conf) = &self.conf {
            cmd.env("OPENSSL_CONF", conf);
        }
        cmd.output().expect("run openssl")
    }

    fn ok(&self, args: &[&str], dir: &Path) -> Vec<u8> {
        let out = self.openssl(args, dir);
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }
}

/// Finds a working way to run the engine, or `None`.
fn find_engine(dir: &Path) -> Option<Engine> {
    let probe = |e: &Engine| {
        Command::new("openssl").arg("version").output().is_ok()
            && e.openssl(
                &[
                    "genpkey",
                    "-algorithm",
                    "gost2012_256",
                    "-pkeyopt",
                    "paramset:A",
                    "-out",
                    "probe.pem",
                ],
                dir,
            )
            .status
            .success()
    };
    let direct = Engine { conf: None };
    if probe(&direct) {
        return Some(direct);
    }
    let conf = dir.join("gost-engine.cnf");
    std::fs::write(
        &conf,
        "openssl_conf = openssl_def\n[openssl_def]\nengines = engine_section\n\
         [engine_section]\ngost = gost_section\n[gost_section]\nengine_id = gost\n\
         default_algorithms = ALL\n",
    )
    .ok()?;
    let via_conf = Engine { conf: Some(conf) };
    probe(&via_conf).then_some(via_conf)
}

// ---- a minimal DER reader ----

/// (tag, content, rest) of the TLV at the start of `der`.
fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
    let tag = der[0];
    let (len, hdr) = if der[1] < 0x80 {
        (der[1] as usize, 2)
    } else {
        let k = (der[1] & 0x7f) as usize;
        (
            der[2..2 + k]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | b as usize),
            2 + k,
        )
    };
    (tag, &der[hdr..hdr + len], &der[hdr + len..])
}

fn oid_string(content: &[u8]) -> String {
    let mut parts = vec![(content[0] / 40) as u64, (content[0] % 40) as u64];
    let mut v = 0u64;
    for &b in &content[1..] {
        v = (v << 7) | (b & 0x7f) as u64;
        if b & 0x80 == 0 {
            parts.push(v);
            v = 0;
        }
    }
    parts
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// The parameter-set OID inside an AlgorithmIdentifier's content.
fn param_set_of(alg_id: &[u8]) -> ParamSet {
    let (_, _alg_oid, rest) = tlv(alg_id);
    let (tag, params, _) = tlv(rest);
    assert_eq!(tag, 0x30, "GOST key parameters SEQUENCE");
    let (tag, oid, _) = tlv(params);
    assert_eq!(tag, 0x06);
    let oid = oid_string(oid);
    ParamSet::from_oid(&oid).unwrap_or_else(|| panic!("unknown parameter set {oid}"))
}

/// SubjectPublicKeyInfo → (parameter set, X‖Y little-endian).
fn parse_spki(der: &[u8]) -> (ParamSet, Vec<u8>) {
    let (_, spki, _) = tlv(der);
    let (_, alg, rest) = tlv(spki);
    let (tag, bits, _) = tlv(rest);
    assert_eq!(tag, 0x03);
    assert_eq!(bits[0], 0, "unused bits");
    let (tag, xy, _) = tlv(&bits[1..]);
    assert_eq!(tag, 0x04);
    (param_set_of(alg), xy.to_vec())
}

/// PKCS#8 PrivateKeyInfo → d little-endian. The engine writes the bare little-endian
/// scalar as the OCTET STRING content; older writers wrapped it in an OCTET STRING or wrote a
/// big-endian INTEGER.
fn parse_pkcs8(der: &[u8], n: usize) -> Vec<u8> {
    let (_, info, _) = tlv(der);
    let (_, _version, rest) = tlv(info);
    let (_, _alg, rest) = tlv(rest);
    let (tag, key, _) = tlv(rest);
    assert_eq!(tag, 0x04);
    if key.len() == n {
        return key.to_vec();
    }
    let (tag, inner, _) = tlv(key);
    match tag {
        0x04 => inner.to_vec(),
        0x02 => {
            let trimmed: Vec<u8> = inner.iter().copied().skip_while(|&b| b == 0).collect();
            let mut le = vec![0u8; n];
            for (i, b) in trimmed.iter().rev().enumerate() {
                le[i] = *b;
            }
            le
        }
        _ => panic!("unexpected private key encoding"),
    }
}

struct Case {
    algorithm: &'static str,
    paramset: &'static str,
    md: &'static str,
    expect: ParamSet,
}

const fn case(
    algorithm: &'static str,
    paramset: &'static str,
    md: &'static str,
    expect: ParamSet,
) -> Case {
    Case {
        algorithm,
        paramset,
        md,
        expect,
    }
}

const CASES: &[Case] = &[
    case("gost2012_256", "A", "md_gost12_256", ParamSet::CryptoProA),
    case("gost2012_256", "B", "md_gost12_256", ParamSet::CryptoProB),
    case("gost2012_256", "C", "md_gost12_256", ParamSet::CryptoProC),
    case(
        "gost2012_256",
        "XA",
        "md_gost12_256",
        ParamSet::CryptoProXchA,
    ),
    case(
        "gost2012_256",
        "XB",
        "md_gost12_256",
        ParamSet::CryptoProXchB,
    ),
    case("gost2012_256", "TCA", "md_gost12_256", ParamSet::Tc26_256A),
    case("gost2012_256", "TCB", "md_gost12_256", ParamSet::Tc26_256B),
    case("gost2012_256", "TCC", "md_gost12_256", ParamSet::Tc26_256C),
    case("gost2012_256", "TCD", "md_gost12_256", ParamSet::Tc26_256D),
    case("gost2012_512", "A", "md_gost12_512", ParamSet::Tc26_512A),
    case("gost2012_512", "B", "md_gost12_512", ParamSet::Tc26_512B),
    case("gost2012_512", "C", "md_gost12_512", ParamSet::Tc26_512C),
    // GOST R 34.10-2001 keys: the same equation, GOST R 34.11-94 digests.
    case("gost2001", "A", "md_gost94", ParamSet::CryptoProA),
];

fn streebog(md: &str, msg: &[u8]) -> Option<Vec<u8>> {
    match md {
        "md_gost12_256" => Some(streebog::Streebog256::digest(msg).to_vec()),
        "md_gost12_512" => Some(streebog::Streebog512::digest(msg).to_vec()),
        _ => None,
    }
}

#[test]
fn engine_and_rsmev_verify_each_others_signatures() {
    let dir = std::env::temp_dir().join(format!("rsmev-gost-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let required = std::env::var("RSMEV_REQUIRE_PEERS").is_ok_and(|v| v == "1");
    let Some(engine) = find_engine(&dir) else {
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            !required,
            "RSMEV_REQUIRE_PEERS=1 but the OpenSSL GOST engine is not usable"
        );
        eprintln!("note: OpenSSL GOST engine not available; engine cross-checks skipped");
        return;
    };
    let msg: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 251) as u8).collect();
    std::fs::write(dir.join("msg"), &msg).unwrap();

    for c in CASES {
        let n = c.expect.size().bytes();
        let tag = format!("{}-{}", c.algorithm, c.paramset);
        let key = format!("{tag}.pem");
        let pubk = format!("{tag}.pub.pem");
        engine.ok(
            &[
                "genpkey",
                "-algorithm",
                c.algorithm,
                "-pkeyopt",
                &format!("paramset:{}", c.paramset),
                "-out",
                &key,
            ],
            &dir,
        );
        let priv_der = engine.ok(&["pkey", "-in", &key, "-outform", "DER"], &dir);
        let pub_der = engine.ok(&["pkey", "-in", &key, "-pubout", "-outform", "DER"], &dir);
        engine.ok(&["pkey", "-in", &key, "-pubout", "-out", &pubk], &dir);
        let (set, xy) = parse_spki(&pub_der);
        assert_eq!(set, c.expect, "{tag}: parameter set");
        let d = parse_pkcs8(&priv_der, n);

        // The engine's digest, checked against the streebog crate where it applies.
        let digest = engine.ok(&["dgst", &format!("-{}", c.md), "-binary", "msg"], &dir);
        if let Some(ours) = streebog(c.md, &msg) {
            assert_eq!(digest, ours, "{tag}: Streebog output");
        }

        // Our view of the engine's key.
        let pk = PublicKey::from_le_xy(set, &xy).unwrap_or_else(|e| panic!("{tag}: {e}"));
        let sk = SigningKey::from_le_bytes(set, &d).unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert_eq!(sk.public_key().to_le_xy(), xy, "{tag}: d·G");

        // (1) Engine signs, we verify.
        for i in 0..3 {
            let sig_file = format!("{tag}.engine.{i}.sig");
            engine.ok(
                &[
                    "dgst",
                    &format!("-{}", c.md),
                    "-sign",
                    &key,
                    "-out",
                    &sig_file,
                    "msg",
                ],
                &dir,
            );
            let sig = std::fs::read(dir.join(&sig_file)).unwrap();
            assert_eq!(sig.len(), 2 * n, "{tag}: engine signature length");
            pk.verify_digest(&digest, &sig)
                .unwrap_or_else(|e| panic!("{tag}: engine signature: {e}"));
            let mut bad = sig.clone();
            bad[i] ^= 0x20;
            assert!(
                pk.verify_digest(&digest, &bad).is_err(),
                "{tag}: tampered signature accepted"
            );
        }

        // (2) We sign with the engine's key, the engine verifies.
        let verify = |pub_file: &str, sig: &[u8], name: &str| {
            std::fs::write(dir.join(name), sig).unwrap();
            let out = engine.openssl(
                &[
                    "dgst",
                    &format!("-{}", c.md),
                    "-verify",
                    pub_file,
                    "-signature",
                    name,
                    "msg",
                ],
                &dir,
            );
            out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
        };
        for i in 0..3 {
            let sig = sk.sign_digest(&digest).unwrap();
            assert!(
                verify(&pubk, &sig, &format!("{tag}.ours.{i}.sig")),
                "{tag}: engine refused our signature"
            );
        }
        let mut bad = sk.sign_digest(&digest).unwrap();
        bad[n + 1] ^= 1;
        assert!(
            !verify(&pubk, &bad, &format!("{tag}.bad.sig")),
            "{tag}: engine accepted a tampered signature"
        );

        // (2b) A key generated here, in the engine's SPKI form (same header, our X‖Y).
        let ours = SigningKey::generate(set).unwrap();
        let mut spki = pub_der.clone();
        let at = spki.len() - 2 * n;
        assert_eq!(&spki[at..], &xy[..]);
        spki[at..].copy_from_slice(&ours.public_key().to_le_xy());
        let der_file = format!("{tag}.gen.der");
        std::fs::write(dir.join(&der_file), &spki).unwrap();
        let gen_pem = format!("{tag}.gen.pem");
        engine.ok(
            &[
                "pkey", "-pubin", "-inform", "DER", "-in", &der_file, "-pubout", "-out", &gen_pem,
            ],
            &dir,
        );
        let sig = ours.sign_digest(&digest).unwrap();
        assert!(
            verify(&gen_pem, &sig, &format!("{tag}.gen.sig")),
            "{tag}: engine refused a key generated here"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
