//! End to end over real sockets: a consumer signs a request with a test key, the gateway
//! verifies and authorizes it against a registry file, relays it to the demo provider, checks
//! the provider's signed answer and returns it; every refusal comes back as the right SOAP
//! fault and shows in the metrics. Keys and certificates: certs-test/.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rsmev_gateway::demo::{Provider, RunningProvider};
use rsmev_gateway::{GatewayConfig, Running, State};
use rsmev_pki::TrustStore;
use rsmev_signature::{Profile, Trust, Verifier};

const REQUEST: &str = include_str!("../../signature/tests/data/smev3-send-request-unsigned.xml");

/// A registry: MFC440001 (GOST-256 key) may call the ГИБДД service in test only; GIBD44001
/// (GOST-512 key) provides it; an RSA system's key was replaced (its window is over); the
/// "slow" and "down" services point at a slow provider and at a closed port.
fn registry(
    provider: SocketAddr,
    slow: SocketAddr,
    down: SocketAddr,
    impostor: SocketAddr,
    grant_envs: &str,
) -> String {
    let rsa = certs()
        .join("participant-rsa.cert.pem")
        .display()
        .to_string();
    let extra = format!(
        r#"[[participants.systems]]
mnemonic = "MFC440009"
name = "old system"
[[participants.systems.certificates]]
file = "{rsa}"
valid_until = "2026-01-02T00:00:00Z"
"#
    );
    let head = registry_head(
        "operator-gost256",
        &format!("http://{down}/federal"),
        "",
        &extra,
    );
    format!(
        r#"{head}
[[services]]
sid = "SID0004401"
name = "Штрафы"
owner = "gibdd44"
level = "regional"
mode = "sync"
request_namespace = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0"
timeout_ms = 30000
[services.endpoints]
test = "http://{provider}/provider"
prod = "http://{provider}/provider"

[[services]]
sid = "SID0004402"
name = "Медленный"
owner = "gibdd44"
level = "regional"
mode = "sync"
request_namespace = "urn://example/slow/1.0"
timeout_ms = 300
[services.endpoints]
test = "http://{slow}/provider"

[[services]]
sid = "SID0004403"
name = "Недоступный"
owner = "gibdd44"
level = "regional"
mode = "sync"
request_namespace = "urn://example/down/1.0"
timeout_ms = 1000
[services.endpoints]
test = "http://{down}/provider"

[[services]]
sid = "SID0004404"
name = "Подменённый поставщик"
owner = "gibdd44"
level = "regional"
mode = "sync"
request_namespace = "urn://example/impostor/1.0"
timeout_ms = 2000
[services.endpoints]
test = "http://{impostor}/provider"

[[grants]]
system = "MFC440001"
service = "SID0004401"
environments = [{grant_envs}]

[[grants]]
system = "MFC440001"
service = "SID0004404"
environments = ["test"]

[[grants]]
system = "MFC440001"
service = "SID0004402"
environments = ["test"]

[[grants]]
system = "MFC440001"
service = "SID0004403"
environments = ["test"]

[[grants]]
system = "MFC440009"
service = "SID0004401"
environments = ["test", "prod"]
"#,
    )
}

struct Bus {
    gateway: Running,
    state: Arc<State>,
    provider: RunningProvider,
    slow: RunningProvider,
    impostor: RunningProvider,
    dir: PathBuf,
    client: Client<HttpConnector, Full<Bytes>>,
}

async fn provider(delay: Duration) -> RunningProvider {
    provider_with("participant-gost512", delay).await
}

async fn provider_with(name: &str, delay: Duration) -> RunningProvider {
    let (signer, certificate) = key(name);
    rsmev_gateway::demo::serve(
        "127.0.0.1:0".parse().unwrap(),
        Provider::new(signer, certificate, delay),
    )
    .await
    .unwrap()
}

async fn bus() -> Bus {
    let provider = provider(Duration::ZERO).await;
    let slow = provider_slow().await;
    // Answers with a valid signature by a key that is not the provider's.
    let impostor = provider_with("participant-gost256-tca", Duration::ZERO).await;
    // A port that was just free and nobody listens on.
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = temp_dir("bus");
    std::fs::write(
        dir.join("registry.toml"),
        registry(provider.addr, slow.addr, down, impostor.addr, "\"test\""),
    )
    .unwrap();
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
public_url = "https://rsmev.example/ws?a=1&b=2"
[trust]
anchors = "{}"
[registry]
file = "registry.toml"
[limits]
max_body_bytes = 1000000
shutdown_grace_ms = 2000
[journal]
dir = "journal"
flush_interval_ms = 50
"#,
        certs().join("trust-all").display()
    );
    std::fs::write(dir.join("rsmev.toml"), config).unwrap();
    let config = GatewayConfig::load(&dir.join("rsmev.toml")).unwrap();
    let state = State::new(config).unwrap();
    let gateway = rsmev_gateway::start(state.clone()).await.unwrap();
    Bus {
        gateway,
        state,
        provider,
        slow,
        impostor,
        dir,
        client: Client::builder(TokioExecutor::new()).build(HttpConnector::new()),
    }
}

async fn provider_slow() -> RunningProvider {
    provider(Duration::from_secs(3)).await
}

impl Bus {
    async fn post(&self, body: Vec<u8>) -> (u16, String) {
        self.post_to(self.gateway.addr, "/ws", body).await
    }

    async fn post_to(&self, addr: SocketAddr, path: &str, body: Vec<u8>) -> (u16, String) {
        let req = http::Request::post(format!("http://{addr}{path}"))
            .header("content-type", "text/xml; charset=utf-8")
            .body(Full::new(Bytes::from(body)))
            .unwrap();
        let resp = self.client.request(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn get_admin(&self, path: &str) -> String {
        let addr = self.gateway.admin_addr.unwrap();
        let resp = self
            .client
            .get(format!("http://{addr}{path}").parse().unwrap())
            .await
            .unwrap();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(body.to_vec()).unwrap()
    }

    /// The journal record of the exchange whose fault names this correlation id.
    fn journal_record(&self, answer: &str) -> serde_json::Value {
        let id = correlation(answer);
        self.state.sync_journal();
        journal_lines(&self.dir.join("journal"))
            .into_iter()
            .find(|r| r["correlation"] == id.as_str())
            .unwrap_or_else(|| panic!("no journal record for {id}"))
    }

    async fn stop(self) {
        self.gateway.shutdown().await;
        self.provider.stop();
        self.slow.stop();
        self.impostor.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A POST announcing `len` body bytes and sending none: the answer must come anyway.
async fn raw_post_headers(addr: SocketAddr, len: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /ws HTTP/1.1\r\nHost: rsmev\r\nContent-Type: text/xml\r\nContent-Length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// A chunked POST of `len` bytes, then the answer read off the same connection.
async fn raw_post_chunked(addr: SocketAddr, len: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /ws HTTP/1.1\r\nHost: rsmev\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n";
    s.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b' '; 64 << 10];
    let mut sent = 0;
    while sent < len {
        let head = format!("{:x}\r\n", chunk.len());
        // The gateway may answer and close before everything is sent.
        if s.write_all(head.as_bytes()).await.is_err()
            || s.write_all(&chunk).await.is_err()
            || s.write_all(b"\r\n").await.is_err()
        {
            break;
        }
        sent += chunk.len();
    }
    let _ = s.write_all(b"0\r\n\r\n").await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// The correlation id a fault carries.
fn correlation(fault: &str) -> String {
    let at = fault.find(" correlation=\"").expect("a correlation id") + 14;
    fault[at..at + fault[at..].find('"').unwrap()].to_string()
}

/// Every exchange record in a journal directory.
fn journal_lines(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("exchanges-")
        {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        lines.extend(
            text.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()),
        );
    }
    lines
}

/// Asserts a SOAP fault with this rsmev code.
fn fault(answer: &(u16, String), code: &str) {
    assert_eq!(answer.0, 500, "{}", answer.1);
    assert!(answer.1.contains("<soap:Fault>"), "{}", answer.1);
    assert!(
        answer.1.contains(&format!("<Code>{code}</Code>")),
        "expected {code}: {}",
        answer.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_request_through_the_bus_and_back() {
    let bus = bus().await;
    let id = new_message_id();
    let request = sign(
        "participant-gost256",
        &REQUEST.replace(TEMPLATE_MESSAGE_ID, &id),
    );
    let (status, answer) = bus.post(request).await;
    assert_eq!(status, 200, "{answer}");
    // The consumer checks the provider's signature on what came back.
    let store = Arc::new(TrustStore::load(certs().join("trust-gost")).unwrap());
    let verified = Verifier::new(Profile::Smev3, Trust::Store(store))
        .verify(answer.as_bytes())
        .unwrap_or_else(|e| panic!("{e}: {answer}"));
    assert!(
        verified.signatures()[0]
            .certificate
            .subject()
            .contains("IS FNS GOST-512")
    );
    assert!(answer.contains(&format!("<d:RequestMessageID>{id}<")));
    // The WSDL names the configured public address (escaped), whatever Host and path the
    // request carried: a cache in front must not learn an attacker's address.
    let req = http::Request::get(format!("http://{}/a%22b&c?wsdl", bus.gateway.addr))
        .header("host", "evil.example")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let resp = bus.client.request(req).await.unwrap();
    let wsdl = resp.into_body().collect().await.unwrap().to_bytes();
    let wsdl = String::from_utf8(wsdl.to_vec()).unwrap();
    assert!(
        wsdl.contains("location=\"https://rsmev.example/ws?a=1&amp;b=2\""),
        "{wsdl}"
    );
    assert!(!wsdl.contains("evil.example") && !wsdl.contains("a%22b"));
    assert!(wsdl.contains("soapAction=\"urn:SendRequest\""));
    let metrics = bus.get_admin("/metrics").await;
    assert!(
        metrics.contains(r#"rsmev_exchanges_total{outcome="relayed",code="none",service="SID0004401",environment="test"} 1"#),
        "{metrics}"
    );
    bus.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_each_get_their_fault_and_metric() {
    let bus = bus().await;

    // Granted in test only: a production request is refused.
    let prod = REQUEST.replace("<ns:TestMessage/>", "");
    fault(
        &bus.post(sign("participant-gost256", &prod)).await,
        "RSMEV-REG-ACCESS-DENIED",
    );
    // A valid signature by a certificate no information system has registered.
    fault(
        &bus.post(sign("operator-rsa", REQUEST)).await,
        "RSMEV-REG-SENDER-NOT-REGISTERED",
    );
    // A valid signature by a key whose registration window has closed (replaced key).
    fault(
        &bus.post(sign("participant-rsa", REQUEST)).await,
        "RSMEV-REG-CERTIFICATE-REPLACED",
    );
    // Tampered after signing.
    let tampered = String::from_utf8(sign("participant-gost256", REQUEST))
        .unwrap()
        .replace("А123ВС77", "А123ВС78");
    fault(
        &bus.post(tampered.into_bytes()).await,
        "RSMEV-DSIG-DIGEST-MISMATCH",
    );
    // Signature wrapping: the signed element moved into the header, a forged one in place.
    let signed = String::from_utf8(sign("participant-gost256", REQUEST)).unwrap();
    let a = signed.find("<ns:SenderProvidedRequestData").unwrap();
    let close = "</ns:SenderProvidedRequestData>";
    let b = signed.find(close).unwrap() + close.len();
    let original = signed[a..b].to_string();
    let forged = original
        .replace("SIGNED_BY_CONSUMER", "FORGED")
        .replace("PERSONAL_SIGNATURE", "FORGED2")
        .replace("А123ВС77", "Х999ХХ99");
    let wrapped = signed.replacen(&original, &forged, 1).replace(
        "<soap:Header/>",
        &format!("<soap:Header>{original}</soap:Header>"),
    );
    fault(
        &bus.post(wrapped.into_bytes()).await,
        "RSMEV-DSIG-WRONG-SIGNED-ELEMENT",
    );
    // A service the registry does not know.
    let unknown = REQUEST.replace(
        "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
        "urn://example/unknown/1.0",
    );
    fault(
        &bus.post(sign("participant-gost256", &unknown)).await,
        "RSMEV-REG-UNKNOWN-SERVICE",
    );
    // The provider is down.
    let down = REQUEST.replace(
        "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
        "urn://example/down/1.0",
    );
    fault(
        &bus.post(sign("participant-gost256", &down)).await,
        "RSMEV-UPSTREAM-UNAVAILABLE",
    );
    // The provider is slower than the service's timeout.
    let slow = REQUEST.replace(
        "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
        "urn://example/slow/1.0",
    );
    fault(
        &bus.post(sign("participant-gost256", &slow)).await,
        "RSMEV-UPSTREAM-TIMEOUT",
    );
    // The answer verifies but is not signed by the service's provider.
    let impostor = REQUEST.replace(
        "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
        "urn://example/impostor/1.0",
    );
    let answer = bus.post(sign("participant-gost256", &impostor)).await;
    fault(&answer, "RSMEV-UPSTREAM-INVALID-ANSWER");
    // The caller learns the code and a correlation id; the operator reads why in the journal.
    assert!(!answer.1.contains("gibdd44"), "{}", answer.1);
    let record = bus.journal_record(&answer.1);
    assert!(
        record["reason"]
            .as_str()
            .unwrap()
            .contains("not signed by an information system of provider gibdd44"),
        "{record}"
    );
    // Not XML at all, and too large.
    fault(&bus.post(b"not xml".to_vec()).await, "RSMEV-XML-MALFORMED");
    // Too large by its Content-Length: refused before the body is read (a client that keeps
    // sending may see the connection closed, so this one sends only the headers).
    let answer = raw_post_headers(bus.gateway.addr, 2_000_000).await;
    assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
    assert!(
        answer.contains("<Code>RSMEV-XML-TOO-LARGE</Code>"),
        "{answer}"
    );
    // Too large while streaming (no Content-Length): refused once the limit is passed.
    let answer = raw_post_chunked(bus.gateway.addr, 1_100_000).await;
    assert!(
        answer.contains("<Code>RSMEV-XML-TOO-LARGE</Code>"),
        "{answer}"
    );

    let metrics = bus.get_admin("/metrics").await;
    for code in [
        "RSMEV-REG-ACCESS-DENIED",
        "RSMEV-REG-SENDER-NOT-REGISTERED",
        "RSMEV-REG-CERTIFICATE-REPLACED",
        "RSMEV-DSIG-DIGEST-MISMATCH",
        "RSMEV-DSIG-WRONG-SIGNED-ELEMENT",
        "RSMEV-REG-UNKNOWN-SERVICE",
        "RSMEV-UPSTREAM-UNAVAILABLE",
        "RSMEV-UPSTREAM-INVALID-ANSWER",
        "RSMEV-UPSTREAM-TIMEOUT",
        "RSMEV-XML-MALFORMED",
        "RSMEV-XML-TOO-LARGE",
    ] {
        assert!(
            metrics.contains(&format!(r#"outcome="refused",code="{code}""#)),
            "{code} not counted:\n{metrics}"
        );
    }
    bus.stop().await;
}

/// A registry change takes effect for the next request; a bad file is refused whole and the
/// running registry stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_applies_whole_or_not_at_all() {
    let bus = bus().await;
    let request = || sign("participant-gost256", REQUEST);
    assert_eq!(bus.post(request()).await.0, 200);

    // A broken file: refused, the old registry still admits the request.
    std::fs::write(
        bus.dir.join("registry.toml"),
        "[node]\ncode = 44\nbogus = 1\n",
    )
    .unwrap();
    let addr = bus.gateway.admin_addr.unwrap();
    let (status, text) = bus.post_to(addr, "/admin/reload", Vec::new()).await;
    assert_eq!(status, 422, "{text}");
    assert_eq!(bus.post(request()).await.0, 200);

    // The grant removed (prod only now): the next request is refused.
    std::fs::write(
        bus.dir.join("registry.toml"),
        registry(
            bus.provider.addr,
            bus.slow.addr,
            "127.0.0.1:9".parse().unwrap(),
            bus.impostor.addr,
            "\"prod\"",
        ),
    )
    .unwrap();
    assert!(bus.state.reload().is_ok());
    fault(&bus.post(request()).await, "RSMEV-REG-ACCESS-DENIED");
    let metrics = bus.get_admin("/metrics").await;
    assert!(
        metrics.contains(r#"rsmev_registry_reloads_total{result="refused"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"rsmev_registry_reloads_total{result="applied"} 1"#),
        "{metrics}"
    );
    bus.stop().await;
}

/// Registry reloads while requests are in flight: every request is answered (none lost to a
/// half-built registry), and each sees one whole registry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_loses_no_request() {
    let bus = Arc::new(bus().await);
    // Waves of concurrent requests with reloads landing among them (debug builds verify GOST
    // slowly on two cores: the waves stay small enough to finish within the service timeout).
    for _ in 0..4 {
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let bus = bus.clone();
            let body = sign("participant-gost256", REQUEST);
            tasks.push(tokio::spawn(async move { bus.post(body).await }));
        }
        for _ in 0..5 {
            bus.state.reload().unwrap();
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        for t in tasks {
            let (status, body) = t.await.unwrap();
            assert_eq!(status, 200, "{body}");
        }
    }
    assert_eq!(bus.state.metrics().registry_generation.get(), 21);
    match Arc::try_unwrap(bus) {
        Ok(bus) => bus.stop().await,
        Err(_) => panic!("the bus is still shared"),
    }
}

/// Back-pressure: beyond the limit of exchanges in flight a request gets a fast fault, not a
/// place in a queue; and shutdown lets the exchanges in flight finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_refused_fast_and_shutdown_is_graceful() {
    let provider = provider(Duration::from_millis(800)).await;
    let dir = temp_dir("overload");
    std::fs::write(
        dir.join("registry.toml"),
        registry(
            provider.addr,
            provider.addr,
            "127.0.0.1:9".parse().unwrap(),
            provider.addr,
            "\"test\"",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("rsmev.toml"),
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[trust]\nanchors = \"{}\"\n[registry]\nfile = \"registry.toml\"\n[limits]\nmax_in_flight = 1\nshutdown_grace_ms = 5000\n",
            certs().join("trust-all").display()
        ),
    )
    .unwrap();
    let state = State::new(GatewayConfig::load(&dir.join("rsmev.toml")).unwrap()).unwrap();
    let gateway = rsmev_gateway::start(state).await.unwrap();
    let addr = gateway.addr;
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let post = |body: Vec<u8>| {
        let client = client.clone();
        async move {
            let req = http::Request::post(format!("http://{addr}/ws"))
                .body(Full::new(Bytes::from(body)))
                .unwrap();
            let resp = client.request(req).await.unwrap();
            let status = resp.status().as_u16();
            let b = resp.into_body().collect().await.unwrap().to_bytes();
            (status, String::from_utf8(b.to_vec()).unwrap())
        }
    };
    let request = sign("participant-gost256", REQUEST);
    let first = tokio::spawn(post(request.clone()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let second = post(request.clone()).await;
    fault(&second, "RSMEV-OVERLOADED");
    assert!(started.elapsed() < Duration::from_millis(300), "not fast");
    // Shut down while the first exchange is still with the slow provider: it completes.
    gateway.shutdown().await;
    assert_eq!(first.await.unwrap().0, 200);
    // And nothing is accepted any more.
    let refused = client
        .request(
            http::Request::post(format!("http://{addr}/ws"))
                .body(Full::new(Bytes::from(request)))
                .unwrap(),
        )
        .await;
    assert!(refused.is_err());
    provider.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A provider that is down: each attempt fails (a connection refused is tried once more),
/// and after five in a row its circuit opens and callers get the fault at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn circuit_opens_on_a_dead_provider() {
    let bus = bus().await;
    let down = REQUEST.replace(
        "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
        "urn://example/down/1.0",
    );
    let request = sign("participant-gost256", &down);
    for _ in 0..5 {
        let answer = bus.post(request.clone()).await;
        fault(&answer, "RSMEV-UPSTREAM-UNAVAILABLE");
        // Internal addresses and transport errors stay with the operator.
        assert!(!answer.1.contains("127.0.0.1"), "{}", answer.1);
        let why = bus.journal_record(&answer.1)["reason"].to_string();
        assert!(!why.contains("circuit open"), "{why}");
    }
    let answer = bus.post(request).await;
    fault(&answer, "RSMEV-UPSTREAM-UNAVAILABLE");
    let why = bus.journal_record(&answer.1)["reason"].to_string();
    assert!(why.contains("circuit open"), "{why}");
    // The healthy provider's circuit is unaffected.
    assert_eq!(bus.post(sign("participant-gost256", REQUEST)).await.0, 200);
    let metrics = bus.get_admin("/metrics").await;
    assert!(
        metrics.contains(r#"service="SID0004403",result="circuit_open"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"service="SID0004403",result="connect_retried"} 5"#),
        "{metrics}"
    );
    bus.stop().await;
}

/// A client that hangs up mid-exchange: the exchange leaves the in-flight gauge and is
/// counted as cancelled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_hangs_up_is_counted() {
    let bus = bus().await;
    let slow = REQUEST.replace(
        "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
        "urn://example/slow/1.0",
    );
    let body = sign("participant-gost256", &slow);
    let addr = bus.gateway.addr;
    let hung_up = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!(
            "POST /ws HTTP/1.1\r\nHost: rsmev\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body).await.unwrap();
        // Gone before the slow provider answers.
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(s);
    });
    hung_up.await.unwrap();
    let mut metrics = String::new();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        metrics = bus.get_admin("/metrics").await;
        if metrics.contains("rsmev_in_flight 0") && metrics.contains(r#"outcome="cancelled""#) {
            break;
        }
    }
    assert!(metrics.contains("rsmev_in_flight 0"), "{metrics}");
    assert!(metrics.contains(r#"outcome="cancelled""#), "{metrics}");
    bus.stop().await;
}

/// A MessageID is spent once per sending system: a replay (or a blind resend) of an admitted
/// message is refused, also after a restart; old, future and non-version-1 ids are refused;
/// a message that never reached its provider does not spend its id. Every exchange is in the
/// journal, with the SHA-256 of what came in and what went back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_refused_and_every_exchange_is_journaled() {
    use sha2::Digest;
    let bus = bus().await;
    let id = new_message_id();
    let request = sign(
        "participant-gost256",
        &REQUEST.replace(TEMPLATE_MESSAGE_ID, &id),
    );
    let (status, answer) = bus.post(request.clone()).await;
    assert_eq!(status, 200, "{answer}");
    let replay = bus.post(request.clone()).await;
    fault(&replay, "RSMEV-MSG-DUPLICATE");
    assert!(replay.1.contains("MessageIsAlreadySent"), "{}", replay.1);

    let with_id = |id: &str| {
        sign(
            "participant-gost256",
            &REQUEST.replace(TEMPLATE_MESSAGE_ID, id),
        )
    };
    let now = std::time::SystemTime::now();
    let day = Duration::from_secs(86_400);
    let stale = rsmev_gateway::node::message_id(now - 3 * day, 0);
    fault(&bus.post(with_id(&stale)).await, "RSMEV-MSG-ID-STALE");
    let ahead = rsmev_gateway::node::message_id(now + day, 0);
    fault(&bus.post(with_id(&ahead)).await, "RSMEV-MSG-ID-STALE");
    let v4 = "b7675722-7819-47cb-8b9f-51ce2e9296df";
    let bad = bus.post(with_id(v4)).await;
    fault(&bad, "RSMEV-MSG-ID-FORMAT");
    assert!(bad.1.contains("InvalidMessageIdFormat"), "{}", bad.1);

    // The provider is down: nothing reached it, so the same message may be sent again.
    let down_id = new_message_id();
    let down = sign(
        "participant-gost256",
        &REQUEST.replace(TEMPLATE_MESSAGE_ID, &down_id).replace(
            "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0",
            "urn://example/down/1.0",
        ),
    );
    fault(&bus.post(down.clone()).await, "RSMEV-UPSTREAM-UNAVAILABLE");
    fault(&bus.post(down).await, "RSMEV-UPSTREAM-UNAVAILABLE");

    // A restart reads the spent ids back from the journal.
    bus.state.sync_journal();
    let config = GatewayConfig::load(&bus.dir.join("rsmev.toml")).unwrap();
    let restarted = rsmev_gateway::start(State::new(config).unwrap())
        .await
        .unwrap();
    let again = bus.post_to(restarted.addr, "/ws", request.clone()).await;
    fault(&again, "RSMEV-MSG-DUPLICATE");
    restarted.shutdown().await;

    // The journal: one line per exchange, of both gateways.
    bus.state.sync_journal();
    let lines = journal_lines(&bus.dir.join("journal"));
    assert_eq!(lines.len(), 8, "{lines:#?}");
    let relayed: Vec<_> = lines.iter().filter(|r| r["outcome"] == "relayed").collect();
    assert_eq!(relayed.len(), 1);
    let r = relayed[0];
    assert_eq!(r["sender"], "MFC440001");
    assert_eq!(r["service"], "SID0004401");
    assert_eq!(r["environment"], "test");
    assert_eq!(r["message_id"], id.as_str());
    assert_eq!(r["id_remembered"], true);
    assert_eq!(r["upstream_status"], 200);
    assert_eq!(r["request_bytes"], request.len());
    assert_eq!(
        r["request_sha256"],
        hex::encode(sha2::Sha256::digest(&request))
    );
    assert_eq!(
        r["response_sha256"],
        hex::encode(sha2::Sha256::digest(answer.as_bytes()))
    );
    let codes: Vec<_> = lines.iter().filter_map(|r| r["code"].as_str()).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "RSMEV-MSG-DUPLICATE")
            .count(),
        2
    );
    let down: Vec<_> = lines
        .iter()
        .filter(|r| r["message_id"] == down_id.as_str())
        .collect();
    assert_eq!(down.len(), 2);
    assert!(down.iter().all(|r| r.get("id_remembered").is_none()));
    assert!(
        down.iter()
            .all(|r| r["upstream"].as_str().unwrap().ends_with("/provider"))
    );
    let metrics = bus.get_admin("/metrics").await;
    assert!(
        metrics.contains("rsmev_journal_records_written_total 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rsmev_journal_records_lost_total 0"),
        "{metrics}"
    );
    bus.stop().await;
}
