//! SMEV 2 interop with an independent implementation, m3-spyne-smev (BARS Group's SMEV library
//! on PyPI; lxml/libxml2 canonicalization, OpenSSL with the GOST engine for GOST R 34.10-2012
//! and Streebog), run as a subprocess from `tests/interop/smev2_peer.py` in a venv this test
//! makes under `target/interop-venv` from `tests/interop/requirements.txt` (docs/interop.md):
//!
//! - the peer's ЭП-ОВ verifies in rsmev, and what rsmev signs (a participant's ЭП-ОВ, the
//!   node's ЭП-РСМЭВ) verifies in the peer, every WS-Security block;
//! - over real sockets, a peer-signed request goes through the gateway to the demo provider:
//!   what the provider receives and what comes back both verify in the peer, node block too;
//! - a peer-signed request altered after signing, and one by a key the registry does not
//!   know, are refused with their own faults and never relayed.
//!
//! Without Python, PyPI or the GOST engine the tests print why and pass, unless
//! `RSMEV_REQUIRE_PEERS` is set (as `make test` does): then they fail.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rsmev_gateway::demo::{Provider, RunningProvider};
use rsmev_gateway::{GatewayConfig, Running, State};
use rsmev_pki::TrustStore;
use rsmev_signature::ns::{ACTOR_RECIPIENT, ACTOR_SMEV};
use rsmev_signature::{
    NodeSignOptions, Profile, Role, SigError, SignOptions, Smev2MessageClass, Trust, Verifier,
};
use serde_json::Value;

/// A participant's SMEV 2 request before signing (MR 2.5.x, rev120315); the peer puts the
/// current time into `smev:Message/Date`.
const REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:smev="http://smev.gosuslugi.ru/rev120315" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><soapenv:Header></soapenv:Header><soapenv:Body wsu:Id="body"><b:BreachRequest xmlns:b="urn://example/breach-smev2/1.0"><smev:Message><smev:Sender><smev:Code>MFC440001</smev:Code><smev:Name>МФЦ</smev:Name></smev:Sender><smev:Recipient><smev:Code>GIBD44001</smev:Code><smev:Name>ГИБДД</smev:Name></smev:Recipient><smev:Service><smev:Mnemonic>BREACH01</smev:Mnemonic><smev:Version>1.00</smev:Version></smev:Service><smev:TypeCode>GSRV</smev:TypeCode><smev:Status>REQUEST</smev:Status><smev:Date>2026-12-01T10:00:00</smev:Date><smev:ExchangeType>2</smev:ExchangeType><smev:TestMsg>test</smev:TestMsg></smev:Message><smev:MessageData><smev:AppData><b:RegNum>А123ВС77</b:RegNum></smev:AppData></smev:MessageData></b:BreachRequest></soapenv:Body></soapenv:Envelope>"#;

/// A provider's SMEV 2 answer before signing, for the rsmev → peer direction.
const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:smev="http://smev.gosuslugi.ru/rev120315" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><soapenv:Header></soapenv:Header><soapenv:Body wsu:Id="body"><b:BreachResponse xmlns:b="urn://example/breach-smev2/1.0"><smev:Message><smev:Sender><smev:Code>GIBD44001</smev:Code><smev:Name>ГИБДД</smev:Name></smev:Sender><smev:Recipient><smev:Code>MFC440001</smev:Code><smev:Name>МФЦ</smev:Name></smev:Recipient><smev:TypeCode>GSRV</smev:TypeCode><smev:Status>RESULT</smev:Status><smev:Date>2026-12-01T10:00:01</smev:Date><smev:ExchangeType>2</smev:ExchangeType></smev:Message><smev:MessageData><smev:AppData><b:Breaches>0</b:Breaches></smev:AppData></smev:MessageData></b:BreachResponse></soapenv:Body></soapenv:Envelope>"#;

const REG_NUM: &str = "А123ВС77";
const REG_NUM_ALTERED: &str = "А123ВС78";

fn required() -> bool {
    std::env::var_os("RSMEV_REQUIRE_PEERS").is_some()
}

/// The Python peer: the venv's interpreter and the script.
struct Peer {
    python: PathBuf,
    script: PathBuf,
}

/// What the peer said about a document's signatures.
struct Verdict {
    ok: bool,
    report: Value,
}

impl Verdict {
    /// (actor, certificate file stem) of each wsse:Security block, in document order.
    fn blocks(&self) -> Vec<(String, String)> {
        self.report["blocks"]
            .as_array()
            .unwrap_or_else(|| panic!("no blocks in {}", self.report))
            .iter()
            .map(|b| {
                let stem = b["certificate"]
                    .as_str()
                    .and_then(|p| Path::new(p).file_name()?.to_str())
                    .map_or("(unknown)".into(), |n| {
                        n.trim_end_matches(".cert.pem").into()
                    });
                (b["actor"].as_str().unwrap_or("(none)").to_string(), stem)
            })
            .collect()
    }
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Makes the venv from the pinned requirements unless it is already there for exactly them.
fn setup() -> Result<Peer, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let requirements = manifest.join("tests/interop/requirements.txt");
    let script = manifest.join("tests/interop/smev2_peer.py");
    let venv = manifest.join("../../target/interop-venv");
    // Debian's interpreter: its ctypes finds the system libcrypto, the one the GOST engine is
    // built for.
    let base = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let pins = std::fs::read_to_string(&requirements).map_err(|e| e.to_string())?;
    let stamp = venv.join("rsmev-requirements.txt");
    let want = format!("{base}\n{pins}");
    let python = venv.join("bin/python");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(want.as_str()) || !python.exists() {
        eprintln!("setting up the SMEV 2 peer in {}", venv.display());
        let _ = std::fs::remove_dir_all(&venv);
        run(Command::new(base).args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(["--quiet", "--timeout", "60", "-r"])
            .arg(&requirements))?;
        std::fs::write(&stamp, want).map_err(|e| e.to_string())?;
    }
    let peer = Peer { python, script };
    let versions = peer.run(&["check"], b"")?;
    eprintln!("SMEV 2 peer: {}", String::from_utf8_lossy(&versions).trim());
    Ok(peer)
}

/// The peer, set up once per test binary; None (after saying why) when it cannot be and the
/// peers are not required.
fn peer() -> Option<&'static Peer> {
    static PEER: OnceLock<Result<Peer, String>> = OnceLock::new();
    match PEER.get_or_init(setup) {
        Ok(p) => Some(p),
        Err(why) => {
            assert!(
                !required(),
                "RSMEV_REQUIRE_PEERS is set but the SMEV 2 peer (m3-spyne-smev) is not usable: \
                 {why}"
            );
            eprintln!("skipped: the SMEV 2 peer (m3-spyne-smev) is not usable: {why}");
            None
        }
    }
}

impl Peer {
    /// Runs the script; Err with what it said when it exits non-zero.
    fn run(&self, args: &[&str], stdin: &[u8]) -> Result<Vec<u8>, String> {
        self.run_status(args, stdin).and_then(|(ok, out, err)| {
            if ok {
                Ok(out)
            } else {
                Err(format!(
                    "smev2_peer.py {args:?}: {}{err}",
                    String::from_utf8_lossy(&out)
                ))
            }
        })
    }

    fn run_status(&self, args: &[&str], stdin: &[u8]) -> Result<(bool, Vec<u8>, String), String> {
        let mut child = Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .env("OPENSSL_CONF", certs().join("gost-engine.cnf"))
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.python.display()))?;
        // The script reads all its input before it writes anything.
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin)
            .map_err(|e| e.to_string())?;
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        Ok((
            out.status.success(),
            out.stdout,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// The peer's SMEV 2 request signed with certs-test/NAME, fresh (current Date, new
    /// signature) on every call.
    fn sign(&self, name: &str, doc: &str) -> Vec<u8> {
        let c = |ext: &str| {
            certs()
                .join(format!("{name}.{ext}.pem"))
                .display()
                .to_string()
        };
        tokio::task::block_in_place(|| {
            self.run(
                &["sign", "--cert", &c("cert"), "--key", &c("key")],
                doc.as_bytes(),
            )
        })
        .unwrap_or_else(|e| panic!("the peer could not sign with {name}: {e}"))
    }

    /// The peer's verdict on every signature of `doc`, given the certificates it may trust.
    fn verify(&self, doc: &[u8], signers: &[&str]) -> Verdict {
        let paths: Vec<String> = signers
            .iter()
            .map(|n| certs().join(format!("{n}.cert.pem")).display().to_string())
            .collect();
        let mut args = vec!["verify"];
        for p in &paths {
            args.extend(["--cert", p.as_str()]);
        }
        let (ok, out, err) = tokio::task::block_in_place(|| self.run_status(&args, doc))
            .unwrap_or_else(|e| panic!("{e}"));
        let report = serde_json::from_slice(&out).unwrap_or_else(|e| {
            panic!(
                "the peer's verdict is not JSON ({e}): {}{err}",
                String::from_utf8_lossy(&out)
            )
        });
        Verdict { ok, report }
    }
}

/// Asserts the peer verified every block of `doc`, which are exactly `expected` (actor,
/// signer) in document order.
fn assert_peer_verifies(peer: &Peer, doc: &[u8], expected: &[(&str, &str)]) {
    let signers: Vec<&str> = expected.iter().map(|(_, s)| *s).collect();
    let v = peer.verify(doc, &signers);
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(a, s)| (a.to_string(), s.to_string()))
        .collect();
    assert_eq!(v.blocks(), want, "{}", v.report);
    // m3-spyne-smev takes a block's first DigestValue to be the Body's; every Reference
    // verifying while the library refuses means a signature lists another Reference first.
    let order = v.report["blocks"]
        .as_array()
        .is_some_and(|b| b.iter().all(|b| b["references"] == "ok"));
    assert!(
        v.ok,
        "the peer refused a signature{}: {}\n{}",
        if order {
            " (every Reference digest matches: the library read another Reference as the Body's)"
        } else {
            ""
        },
        v.report,
        String::from_utf8_lossy(doc)
    );
}

fn trust_gost() -> Trust {
    Trust::Store(Arc::new(
        TrustStore::load(certs().join("trust-gost")).unwrap(),
    ))
}

fn ws(actor: &str) -> Role {
    Role::WsSecurity {
        actor: actor.to_string(),
    }
}

/// `doc` with `from` replaced by `to` once: a change after signing.
fn altered(doc: &[u8], from: &str, to: &str) -> Vec<u8> {
    let text = String::from_utf8(doc.to_vec()).unwrap();
    assert!(text.contains(from), "{text}");
    text.replacen(from, to, 1).into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_signed_request_verifies_in_rsmev() {
    let Some(peer) = peer() else { return };
    let signed = peer.sign("participant-gost256", REQUEST);
    let text = String::from_utf8_lossy(&signed).into_owned();
    assert!(
        !text.contains("<smev:Date>2026-12-01T10:00:00</smev:Date>"),
        "the peer did not date its message: {text}"
    );

    let verified = Verifier::new(Profile::Smev2, trust_gost())
        .verify(&signed)
        .unwrap_or_else(|e| panic!("rsmev refused the peer's signature: {e}\n{text}"));
    let sigs = verified.signatures();
    assert_eq!(sigs.len(), 1, "{text}");
    assert_eq!(sigs[0].role, ws(ACTOR_SMEV));
    let (_, cert) = key("participant-gost256");
    assert_eq!(sigs[0].certificate.der(), cert.der());
    assert_eq!(
        sigs[0].algorithm.uri(),
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
    );

    // The same message changed after the peer signed it.
    match Verifier::new(Profile::Smev2, trust_gost()).verify(&altered(
        &signed,
        REG_NUM,
        REG_NUM_ALTERED,
    )) {
        Err(SigError::DigestMismatch { .. }) => {}
        Err(e) => panic!("expected DigestMismatch: {e}"),
        Ok(_) => panic!("an altered peer-signed message verified"),
    }
}

/// rsmev's node signature over a participant-signed message, as the gateway makes it.
fn node_signed(doc: &[u8], class: Smev2MessageClass) -> Vec<u8> {
    let (signer, cert) = key("operator-gost256");
    rsmev_signature::sign_smev2_node(
        doc,
        &NodeSignOptions {
            signer: &signer,
            certificate_der: cert.der(),
            node_id: "44",
            actor: ACTOR_RECIPIENT,
            message_id: &new_message_id(),
            message_class: class,
            timestamp: &rsmev_registry::time::format_utc(SystemTime::now()),
            limits: rsmev_xml::Limits::default(),
        },
    )
    .unwrap()
}

fn participant_signed(name: &str, doc: &str) -> Vec<u8> {
    let (signer, cert) = key(name);
    rsmev_signature::sign(
        doc.as_bytes(),
        &SignOptions::new(Profile::Smev2, &signer, cert.der()),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsmev_signed_messages_verify_in_the_peer() {
    let Some(peer) = peer() else { return };

    // A participant's request (GOST 2012-256), then the node's ЭП-РСМЭВ over it.
    let request = participant_signed("participant-gost256", REQUEST);
    assert_peer_verifies(peer, &request, &[(ACTOR_SMEV, "participant-gost256")]);
    let relayed = node_signed(&request, Smev2MessageClass::Request);
    assert_peer_verifies(
        peer,
        &relayed,
        &[
            (ACTOR_RECIPIENT, "operator-gost256"),
            (ACTOR_SMEV, "participant-gost256"),
        ],
    );

    // A provider's answer (GOST 2012-512), then the node's signature over it.
    let answer = participant_signed("participant-gost512", ANSWER);
    assert_peer_verifies(peer, &answer, &[(ACTOR_SMEV, "participant-gost512")]);
    let returned = node_signed(&answer, Smev2MessageClass::Response);
    assert_peer_verifies(
        peer,
        &returned,
        &[
            (ACTOR_RECIPIENT, "operator-gost256"),
            (ACTOR_SMEV, "participant-gost512"),
        ],
    );

    // The peer is not a yes-sayer: a Body changed after signing fails every block.
    let v = peer.verify(
        &altered(&relayed, REG_NUM, REG_NUM_ALTERED),
        &["operator-gost256", "participant-gost256"],
    );
    assert!(!v.ok, "{}", v.report);
    for b in v.report["blocks"].as_array().unwrap() {
        assert_eq!(
            b["library"], "InvalidSignature: Invalid `Body` digest!",
            "{b}"
        );
    }
}

/// The gateway (node 44, operator-gost256, trust-gost) with MFC440001 granted the SMEV 2
/// service BREACH01 in test, provided by the demo provider (participant-gost512).
struct Bus {
    gateway: Running,
    provider: RunningProvider,
    dir: PathBuf,
    client: Client<HttpConnector, Full<Bytes>>,
}

async fn bus() -> Bus {
    let (signer, certificate) = key("participant-gost512");
    let provider = rsmev_gateway::demo::serve(
        "127.0.0.1:0".parse().unwrap(),
        Provider::new(signer, certificate, Duration::ZERO),
    )
    .await
    .unwrap();
    let dir = temp_dir("smev2-interop");
    let head = registry_head("operator-rsa", "http://127.0.0.1:9/federal", "", "");
    std::fs::write(
        dir.join("registry.toml"),
        format!(
            r#"
{head}
[[services]]
sid = "SID0004401"
name = "Штрафы"
owner = "gibdd44"
level = "regional"
mode = "sync"
smev2_mnemonic = "BREACH01"
timeout_ms = 5000
[services.endpoints]
test = "http://{provider}/provider"
[[grants]]
system = "MFC440001"
service = "SID0004401"
environments = ["test"]
"#,
            provider = provider.addr,
        ),
    )
    .unwrap();
    let c = |n: &str| certs().join(n).display().to_string();
    std::fs::write(
        dir.join("rsmev.toml"),
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
[trust]
anchors = "{anchors}"
[registry]
file = "registry.toml"
[operator]
key = "{key}"
cert = "{cert}"
"#,
            anchors = c("trust-gost"),
            key = c("operator-gost256.key.pem"),
            cert = c("operator-gost256.cert.pem"),
        ),
    )
    .unwrap();
    let gateway = rsmev_gateway::start(
        State::new(GatewayConfig::load(&dir.join("rsmev.toml")).unwrap()).unwrap(),
    )
    .await
    .unwrap();
    Bus {
        gateway,
        provider,
        dir,
        client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
    }
}

impl Bus {
    async fn post(&self, body: Vec<u8>) -> (u16, Vec<u8>) {
        let req = http::Request::post(format!("http://{}/ws", self.gateway.addr))
            .header("content-type", "text/xml; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = self.client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, body.to_vec())
    }

    async fn stop(self) {
        self.gateway.shutdown().await;
        self.provider.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Asserts a SOAP fault with this rsmev code.
fn fault(answer: &(u16, Vec<u8>), code: &str) {
    let text = String::from_utf8_lossy(&answer.1);
    assert_eq!(answer.0, 500, "{text}");
    assert!(text.contains("<soap:Fault>"), "{text}");
    assert!(
        text.contains(&format!("<Code>{code}</Code>")),
        "expected {code}: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_request_through_the_gateway_and_back() {
    let Some(peer) = peer() else { return };
    let bus = bus().await;

    let request = peer.sign("participant-gost256", REQUEST);
    let (status, answer) = bus.post(request.clone()).await;
    assert_eq!(
        status,
        200,
        "the gateway refused the peer's request: {}\n{}",
        String::from_utf8_lossy(&answer),
        String::from_utf8_lossy(&request)
    );

    // What the provider received: the peer's ЭП-ОВ and the node's ЭП-РСМЭВ, both verified by
    // the peer.
    let relayed = bus
        .provider
        .provider
        .last_request()
        .expect("nothing reached the provider");
    assert_peer_verifies(
        peer,
        &relayed,
        &[
            (ACTOR_RECIPIENT, "operator-gost256"),
            (ACTOR_SMEV, "participant-gost256"),
        ],
    );
    let text = String::from_utf8_lossy(&relayed);
    assert!(text.contains("<smev:NodeId>44</smev:NodeId>"), "{text}");
    assert!(
        text.contains("<smev:MessageClass>REQUEST</smev:MessageClass>"),
        "{text}"
    );

    // What came back: the provider's ЭП-ОВ and the node's, both verified by the peer.
    assert_peer_verifies(
        peer,
        &answer,
        &[
            (ACTOR_RECIPIENT, "operator-gost256"),
            (ACTOR_SMEV, "participant-gost512"),
        ],
    );
    assert!(
        String::from_utf8_lossy(&answer)
            .contains("<smev:MessageClass>RESPONSE</smev:MessageClass>")
    );

    bus.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_refuses_altered_and_unregistered_peer_requests() {
    let Some(peer) = peer() else { return };
    let bus = bus().await;

    // Changed after the peer signed it.
    let request = altered(
        &peer.sign("participant-gost256", REQUEST),
        REG_NUM,
        REG_NUM_ALTERED,
    );
    fault(&bus.post(request).await, "RSMEV-DSIG-DIGEST-MISMATCH");

    // Signed by a key that chains to the trust anchor but no system of the registry has.
    let request = peer.sign("participant-gost256-tca", REQUEST);
    fault(&bus.post(request).await, "RSMEV-REG-SENDER-NOT-REGISTERED");

    assert!(
        bus.provider.provider.last_request().is_none(),
        "a refused request reached the provider"
    );
    bus.stop().await;
}
