//! Revocation data kept current while the gateway runs (issue 9 §4) and TLS client
//! certificates checked like signers (issue 9 §3), over real sockets. A CA, its
//! participants' certificates and CRLs valid for seconds are made by OpenSSL while the tests
//! run; the gateway refreshes the CRLs from its trust directory and from a tiny HTTP server,
//! and never restarts.

mod common;
// The OpenSSL-made test PKI rsmev-pki's tests use (one copy for both crates).
#[path = "../../pki/tests/common/testca.rs"]
mod testca;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use openssl::pkey::{PKey, Private};
use openssl::x509::X509;
use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_gateway::demo::{Provider, RunningProvider};
use rsmev_gateway::{GatewayConfig, Running, State};
use rsmev_signature::{Profile, SignOptions};
use testca::{Leaf, TestCa};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const REQUEST: &str = include_str!("../../signature/tests/data/smev3-send-request-unsigned.xml");
const HOUR: Duration = Duration::from_secs(3600);

/// A participant's signing key and certificate from the test CA.
struct Signer {
    cert: X509,
    key: PKey<Private>,
}

impl Signer {
    fn new(ca: &TestCa, serial: u32) -> Signer {
        let (cert, key) = ca.issue(&Leaf::signer("MFC440001 signer", serial));
        Signer { cert, key }
    }

    /// A SMEV 3 request with a fresh MessageID, signed with this key.
    fn request(&self) -> Vec<u8> {
        let pem = self.key.private_key_to_pem_pkcs8().unwrap();
        let signer =
            SoftwareSigner::with_default_algorithm(PrivateKey::from_pem(&pem).unwrap()).unwrap();
        let doc = REQUEST.replace(TEMPLATE_MESSAGE_ID, &new_message_id());
        let der = self.cert.to_der().unwrap();
        rsmev_signature::sign(
            doc.as_bytes(),
            &SignOptions::new(Profile::Smev3, &signer, &der),
        )
        .unwrap()
    }
}

/// A served CRL that a test changes at will, and how often it was asked for.
struct CrlServer {
    addr: SocketAddr,
    body: Arc<Mutex<Vec<u8>>>,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl CrlServer {
    async fn start(body: Vec<u8>) -> CrlServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let body = Arc::new(Mutex::new(body));
        let hits = Arc::new(AtomicUsize::new(0));
        let (b, h) = (body.clone(), hits.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let (b, h) = (b.clone(), h.clone());
                tokio::spawn(async move {
                    let mut req = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16_384 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => req.extend_from_slice(&buf[..n]),
                        }
                    }
                    h.fetch_add(1, Ordering::SeqCst);
                    let body = b.lock().unwrap().clone();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        CrlServer {
            addr,
            body,
            hits,
            task,
        }
    }

    fn serve(&self, body: Vec<u8>) {
        *self.body.lock().unwrap() = body;
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Waits until the gateway has fetched `n` more times.
    async fn fetched(&self, n: usize) {
        let target = self.hits() + n;
        eventually("CRL fetches", Duration::from_secs(15), || async {
            self.hits() >= target
        })
        .await;
    }
}

async fn eventually<F, Fut>(what: &str, limit: Duration, f: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = std::time::Instant::now();
    while !f().await {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A gateway with the test CA (and the GOST CA the demo provider's answers chain to) in its
/// trust directory, MFC440001 signing with `signers`, relaying to the demo provider.
struct Node {
    gateway: Running,
    provider: RunningProvider,
    dir: PathBuf,
    trust: PathBuf,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Node {
    async fn start(ca: &TestCa, first_crl: &[u8], signers: &[&Signer], trust_keys: &str) -> Node {
        let (psigner, pcert) = key("participant-gost512");
        let provider = rsmev_gateway::demo::serve(
            "127.0.0.1:0".parse().unwrap(),
            Provider::new(psigner, pcert, Duration::ZERO),
        )
        .await
        .unwrap();
        let dir = temp_dir("trust");
        let trust = dir.join("trust");
        std::fs::create_dir_all(&trust).unwrap();
        for f in ["gost-ca.cert.pem", "gost-ca.crl"] {
            std::fs::copy(certs().join(f), trust.join(f)).unwrap();
        }
        std::fs::write(trust.join("live-ca.pem"), ca.pem()).unwrap();
        std::fs::write(trust.join("live-ca.crl"), first_crl).unwrap();
        let mut keys = String::new();
        for (i, s) in signers.iter().enumerate() {
            let f = dir.join(format!("signer{i}.pem"));
            std::fs::write(&f, s.cert.to_pem().unwrap()).unwrap();
            keys.push_str(&format!(
                "[[participants.systems.certificates]]\nfile = \"{}\"\n",
                f.display()
            ));
        }
        let head = registry_head("operator-gost256", "http://127.0.0.1:9/federal", &keys, "");
        std::fs::write(
            dir.join("registry.toml"),
            format!(
                r#"{head}
[[services]]
sid = "SID0004401"
name = "Штрафы"
owner = "gibdd44"
level = "regional"
mode = "sync"
request_namespace = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0"
timeout_ms = 10000
[services.endpoints]
test = "http://{provider}/provider"
[[grants]]
system = "MFC440001"
service = "SID0004401"
environments = ["test"]
"#,
                provider = provider.addr
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("rsmev.toml"),
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\
                 [trust]\nanchors = \"trust\"\n{trust_keys}\n[registry]\nfile = \"registry.toml\"\n"
            ),
        )
        .unwrap();
        let config = GatewayConfig::load(&dir.join("rsmev.toml")).unwrap();
        let gateway = rsmev_gateway::start(State::new(config).unwrap())
            .await
            .unwrap();
        Node {
            gateway,
            provider,
            dir,
            trust,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    async fn send(&self, addr: SocketAddr, path: &str, body: Vec<u8>) -> (u16, String) {
        let req = http::Request::post(format!("http://{addr}{path}"))
            .header("content-type", "text/xml; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = self.client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn post(&self, signer: &Signer) -> (u16, String) {
        self.send(self.gateway.addr, "/ws", signer.request()).await
    }

    async fn admin(&self, path: &str) -> (u16, String) {
        let addr = self.gateway.admin_addr.unwrap();
        let resp = self
            .client
            .get(format!("http://{addr}{path}").parse().unwrap())
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    async fn reload(&self) -> (u16, String) {
        self.send(
            self.gateway.admin_addr.unwrap(),
            "/admin/reload",
            Vec::new(),
        )
        .await
    }

    fn write_trust(&self, name: &str, data: &[u8]) {
        std::fs::write(self.trust.join(name), data).unwrap();
    }

    async fn stop(self) {
        self.gateway.shutdown().await;
        self.provider.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fault(answer: &(u16, String), code: &str) {
    assert_eq!(answer.0, 500, "{}", answer.1);
    assert!(
        answer.1.contains(&format!("<Code>{code}</Code>")),
        "expected {code}: {}",
        answer.1
    );
}

fn ok(answer: &(u16, String)) {
    assert_eq!(answer.0, 200, "{}", answer.1);
}

/// The metric line for the test CA (`name{ca="…",ca_id="…"} value`), its value.
fn ca_metric(metrics: &str, name: &str, ca: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|l| l.starts_with(&format!("{name}{{")) && l.contains(ca))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

const CA_LABEL: &str = "ca=\"CN=Gateway Live CA";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_crl_is_replaced_from_the_directory_without_a_restart() {
    let ca = TestCa::new("Gateway Live CA 1");
    let (a, b) = (Signer::new(&ca, 10), Signer::new(&ca, 11));
    let now = SystemTime::now();
    // Valid for eight more seconds (room for a slow start on a busy machine); nothing revoked.
    let first = ca.crl(now - HOUR, now + Duration::from_secs(8), 1, &[]);
    let node = Node::start(
        &ca,
        &first,
        &[&a, &b],
        "crl_refresh_interval_secs = 3600\ncrl_refresh_min_retry_secs = 1",
    )
    .await;
    ok(&node.post(&a).await);
    ok(&node.post(&b).await);
    let (status, metrics) = node.admin("/metrics").await;
    assert_eq!(status, 200);
    let left = ca_metric(&metrics, "rsmev_trust_crl_next_update_seconds", CA_LABEL).unwrap();
    assert!(left > 0.0 && left <= 8.0, "{metrics}");
    assert_eq!(
        ca_metric(&metrics, "rsmev_trust_crl_stale", CA_LABEL),
        Some(0.0)
    );

    // The list expires and no newer one exists: the node cannot know revocations, says so
    // (its own fault, not the signer's), and is not ready.
    eventually("the CRL to expire", Duration::from_secs(10), || async {
        node.post(&a)
            .await
            .1
            .contains("RSMEV-CERT-REVOCATION-UNKNOWN")
    })
    .await;
    fault(&node.post(&b).await, "RSMEV-CERT-REVOCATION-UNKNOWN");
    let (status, text) = node.admin("/readyz").await;
    assert_eq!(status, 503, "{text}");
    assert!(text.contains("Gateway Live CA 1"), "{text}");
    let metrics = node.admin("/metrics").await.1;
    assert_eq!(
        ca_metric(&metrics, "rsmev_trust_crl_stale", CA_LABEL),
        Some(1.0)
    );
    assert!(ca_metric(&metrics, "rsmev_trust_crl_next_update_seconds", CA_LABEL).unwrap() < 0.0);

    // The CA publishes list 2, revoking `a`; the operator drops it in the trust directory.
    let later = SystemTime::now();
    node.write_trust("live-ca.crl", &ca.crl(later, later + HOUR, 2, &[10]));
    // Taken by the refresh (every second while stale), no reload, no restart.
    eventually(
        "the new CRL to be taken",
        Duration::from_secs(10),
        || async { node.post(&b).await.0 == 200 },
    )
    .await;
    fault(&node.post(&a).await, "RSMEV-CERT-REVOKED");
    let (status, _) = node.admin("/readyz").await;
    assert_eq!(status, 200);
    let metrics = node.admin("/metrics").await.1;
    assert_eq!(
        ca_metric(&metrics, "rsmev_trust_crl_stale", CA_LABEL),
        Some(0.0)
    );
    assert!(
        ca_metric(
            &metrics,
            "rsmev_trust_crl_last_refresh_timestamp_seconds",
            CA_LABEL
        )
        .unwrap()
            >= later
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap()
                .as_secs_f64()
                .floor()
    );
    node.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crls_fetched_over_http_forged_and_older_ones_not_taken() {
    let ca = TestCa::new("Gateway Live CA 2");
    let (a, b) = (Signer::new(&ca, 20), Signer::new(&ca, 21));
    let now = SystemTime::now();
    let first = ca.crl(now - HOUR, now + Duration::from_secs(12), 5, &[]);
    // The publication point first serves a forgery: newer in every field, revoking `b`.
    let intruder = testca::ec_key();
    let forged = ca.crl_signed_by(&intruder, now, now + HOUR, 6, &[21]);
    let server = CrlServer::start(forged).await;
    let node = Node::start(
        &ca,
        &first,
        &[&a, &b],
        &format!(
            "crl_refresh_interval_secs = 1\ncrl_refresh_min_retry_secs = 1\ncrl_urls = [\"http://{}/live-ca.crl\"]",
            server.addr
        ),
    )
    .await;
    server.fetched(2).await;
    ok(&node.post(&b).await);
    // Then an older genuine list (number 4), also revoking `b`: not taken either.
    server.serve(ca.crl(now - 2 * HOUR, now + HOUR, 4, &[21]));
    server.fetched(2).await;
    ok(&node.post(&b).await);
    let metrics = node.admin("/metrics").await.1;
    let failures = ca_metric(&metrics, "rsmev_trust_crl_refresh_failures_total", CA_LABEL).unwrap();
    assert!(failures >= 4.0, "{metrics}");
    assert!(
        metrics.contains("rsmev_trust_crl_fetches_total{result=\"failed\"}"),
        "{metrics}"
    );

    // List 5 expires with nothing better published.
    eventually("the CRL to expire", Duration::from_secs(20), || async {
        node.post(&a)
            .await
            .1
            .contains("RSMEV-CERT-REVOCATION-UNKNOWN")
    })
    .await;
    // The CA publishes list 7 revoking `a`: fetched, verified, taken.
    let later = SystemTime::now();
    server.serve(ca.crl(later, later + HOUR, 7, &[20]));
    eventually(
        "the fetched CRL to be taken",
        Duration::from_secs(10),
        || async { node.post(&b).await.0 == 200 },
    )
    .await;
    fault(&node.post(&a).await, "RSMEV-CERT-REVOKED");
    let metrics = node.admin("/metrics").await.1;
    assert!(
        metrics.lines().any(
            |l| l.starts_with("rsmev_trust_crl_fetches_total{result=\"ok\"}") && !l.ends_with(" 0")
        ),
        "{metrics}"
    );
    node.stop().await;
    server.task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reload_rereads_crls_whole_or_not_at_all() {
    let ca = TestCa::new("Gateway Live CA 3");
    let (a, b) = (Signer::new(&ca, 30), Signer::new(&ca, 31));
    let now = SystemTime::now();
    // Long-lived, so no refresh round runs during the test: only the reload reads files.
    let first = ca.crl(now - HOUR, now + 48 * HOUR, 1, &[]);
    let node = Node::start(&ca, &first, &[&a, &b], "").await;
    ok(&node.post(&a).await);

    // A broken file: the reload is refused whole, the store in force stays.
    node.write_trust("live-ca.crl", &ca.crl(now, now + 48 * HOUR, 2, &[30]));
    node.write_trust(
        "broken.pem",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    );
    let (status, text) = node.reload().await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains("broken.pem"), "{text}");
    ok(&node.post(&a).await);

    // Fixed: applied with the registry, `a` revoked on the next message.
    std::fs::remove_file(node.trust.join("broken.pem")).unwrap();
    let (status, text) = node.reload().await;
    assert_eq!(status, 200, "{text}");
    fault(&node.post(&a).await, "RSMEV-CERT-REVOKED");
    ok(&node.post(&b).await);

    // A forged list in the directory refuses the reload as well.
    let intruder = testca::ec_key();
    node.write_trust(
        "live-ca.crl",
        &ca.crl_signed_by(&intruder, now, now + 48 * HOUR, 3, &[]),
    );
    let (status, text) = node.reload().await;
    assert_eq!(status, 422, "{text}");
    fault(&node.post(&a).await, "RSMEV-CERT-REVOKED");
    let metrics = node.admin("/metrics").await.1;
    assert!(
        metrics.contains("rsmev_trust_reloads_total{result=\"refused\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rsmev_trust_reloads_total{result=\"applied\"} 1"),
        "{metrics}"
    );
    node.stop().await;
}

// ---- TLS client certificates ----

fn tls_client(cert: &X509, key: &PKey<Private>) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(certs().join("rsa-ca.cert.pem")).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from(cert.to_der().unwrap())],
            PrivateKeyDer::from_pem_slice(&key.private_key_to_pem_pkcs8().unwrap()).unwrap(),
        )
        .unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// GET /healthz over TLS with a client certificate: the answer, or the error text (a
/// refused certificate is a fatal alert from the gateway).
async fn healthz_over_tls(
    addr: SocketAddr,
    cert: &X509,
    key: &PKey<Private>,
) -> Result<String, String> {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = tls_client(cert, key)
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn tls_gateway_config(dir: &Path, client_ca: &Path) -> String {
    let c = |n: &str| certs().join(n).display().to_string();
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
[server.tls]
cert = "{cert}"
key = "{key}"
client_ca = "{ca}"
require_client_cert = true
[trust]
anchors = "{trust}"
[registry]
file = "registry.toml"
"#,
        cert = c("tls-server.cert.pem"),
        key = c("tls-server.key.pem"),
        ca = client_ca.display(),
        trust = dir.join("trust").display(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_client_certificates_are_checked_with_crls_and_purpose() {
    let ca = TestCa::new("Gateway TLS CA");
    let client = |serial: u32, key_usage: &'static [&'static str], eku: &'static [&'static str]| {
        ca.issue(&Leaf {
            key_usage,
            ext_key_usage: eku,
            ..Leaf::signer("MFC440001 TLS client", serial)
        })
    };
    let good = client(
        40,
        &["digitalSignature", "keyEncipherment"],
        &["clientAuth"],
    );
    let revoked = client(41, &["digitalSignature"], &["clientAuth"]);
    let server_only = client(42, &["digitalSignature"], &["serverAuth"]);
    let no_signature = client(43, &["keyEncipherment"], &["clientAuth"]);
    let unrestricted = client(44, &[], &[]);
    let stranger = TestCa::new("Stranger TLS CA").issue(&Leaf {
        key_usage: &["digitalSignature"],
        ext_key_usage: &["clientAuth"],
        ..Leaf::signer("stranger", 1)
    });

    let dir = temp_dir("trust-tls");
    let trust = dir.join("trust");
    std::fs::create_dir_all(&trust).unwrap();
    for f in ["gost-ca.cert.pem", "gost-ca.crl"] {
        std::fs::copy(certs().join(f), trust.join(f)).unwrap();
    }
    std::fs::write(trust.join("tls-ca.pem"), ca.pem()).unwrap();
    let now = SystemTime::now();
    std::fs::write(
        trust.join("tls-ca.crl"),
        ca.crl(now - HOUR, now + 48 * HOUR, 1, &[41]),
    )
    .unwrap();
    std::fs::write(dir.join("client-ca.pem"), ca.pem()).unwrap();
    std::fs::write(
        dir.join("registry.toml"),
        registry_head("operator-gost256", "http://127.0.0.1:9/federal", "", ""),
    )
    .unwrap();
    std::fs::write(
        dir.join("rsmev.toml"),
        tls_gateway_config(&dir, &dir.join("client-ca.pem")),
    )
    .unwrap();
    let state = State::new(GatewayConfig::load(&dir.join("rsmev.toml")).unwrap()).unwrap();
    let gateway = rsmev_gateway::start(state.clone()).await.unwrap();
    let addr = gateway.addr;

    let answer = healthz_over_tls(addr, &good.0, &good.1).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let answer = healthz_over_tls(addr, &unrestricted.0, &unrestricted.1)
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    for (what, (cert, key), alert) in [
        ("revoked", &revoked, "CertificateRevoked"),
        ("without clientAuth", &server_only, "UnsupportedCertificate"),
        (
            "without digitalSignature",
            &no_signature,
            "UnsupportedCertificate",
        ),
        ("of an unknown CA", &stranger, "UnknownCA"),
    ] {
        match healthz_over_tls(addr, cert, key).await {
            Err(e) => assert!(e.contains(alert), "{what}: {e}"),
            Ok(answer) => panic!("{what}: the handshake completed: {answer}"),
        }
    }

    // The CA revokes `good` too; the trust store is reloaded: the next handshake fails, the
    // same live store serving TLS and signatures.
    std::fs::write(
        trust.join("tls-ca.crl"),
        ca.crl(now, now + 48 * HOUR, 2, &[40, 41]),
    )
    .unwrap();
    state.reload().unwrap();
    match healthz_over_tls(addr, &good.0, &good.1).await {
        Err(e) => assert!(e.contains("CertificateRevoked"), "{e}"),
        Ok(answer) => panic!("the handshake completed: {answer}"),
    }
    gateway.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn client_ca_outside_the_trust_store_is_refused_at_start() {
    let ca = TestCa::new("Gateway TLS CA 2");
    let other = TestCa::new("Not in the trust store");
    let dir = temp_dir("trust-tls-start");
    std::fs::create_dir_all(dir.join("trust")).unwrap();
    std::fs::write(dir.join("trust/ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("client-ca.pem"), other.pem()).unwrap();
    std::fs::write(
        dir.join("registry.toml"),
        registry_head("operator-gost256", "http://127.0.0.1:9/federal", "", ""),
    )
    .unwrap();
    std::fs::write(
        dir.join("rsmev.toml"),
        tls_gateway_config(&dir, &dir.join("client-ca.pem")),
    )
    .unwrap();
    match State::new(GatewayConfig::load(&dir.join("rsmev.toml")).unwrap()) {
        Err(e @ rsmev_gateway::StartError::Tls(_)) => {
            assert!(
                e.to_string()
                    .contains("not a certificate of the trust store"),
                "{e}"
            )
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("started"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
