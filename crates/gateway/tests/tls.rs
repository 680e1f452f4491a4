//! Real TLS on both sides with the test PKI: the gateway's listener demands a client
//! certificate from the test RSA CA, speaks HTTP/2 or HTTP/1.1 by ALPN, and relays to a
//! provider over https trusting only the configured CA.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rsmev_gateway::config::ServerTls;
use rsmev_gateway::demo::Provider;
use rsmev_gateway::{GatewayConfig, State};
use rsmev_signature::Profile;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

const REQUEST: &str = include_str!("../../signature/tests/data/smev3-send-request-unsigned.xml");

fn client_tls(with_cert: bool) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(certs().join("rsa-ca.cert.pem")).unwrap())
        .unwrap();
    let b = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    if with_cert {
        b.with_client_auth_cert(
            vec![CertificateDer::from_pem_file(certs().join("tls-client-mfc.cert.pem")).unwrap()],
            PrivateKeyDer::from_pem_file(certs().join("tls-client-mfc.key.pem")).unwrap(),
        )
        .unwrap()
    } else {
        b.with_no_client_auth()
    }
}

fn https_client(
    with_cert: bool,
    http2_only: bool,
) -> Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>> {
    let b = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_tls(with_cert))
        .https_only();
    let connector = if http2_only {
        b.enable_http2().build()
    } else {
        b.enable_http1().enable_http2().build()
    };
    let mut builder = Client::builder(TokioExecutor::new());
    builder.http2_only(http2_only);
    builder.build(connector)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_listener_with_client_certificates_and_https_upstream() {
    // The provider over https with the test server certificate.
    let (signer, certificate) = key("participant-gost512");
    let provider_tls = rsmev_gateway::tls::server(&ServerTls {
        cert: certs().join("tls-server.cert.pem"),
        key: certs().join("tls-server.key.pem"),
        client_ca: None,
        require_client_cert: false,
    })
    .unwrap();
    let provider = rsmev_gateway::demo::serve_with_tls(
        "127.0.0.1:0".parse().unwrap(),
        Provider::new(signer, certificate, Duration::ZERO),
        Some(provider_tls),
    )
    .await
    .unwrap();

    let dir = std::env::temp_dir().join(format!("rsmev-gateway-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = |n: &str| certs().join(n).display().to_string();
    // MFC440001 is bound to its TLS client certificate.
    let head = registry_head(
        "operator-gost256",
        "https://127.0.0.1:9/federal",
        &format!(
            "tls_client_certificates = [ {{ file = \"{}\" }} ]",
            c("tls-client-mfc.cert.pem")
        ),
        "",
    );
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
request_namespace = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0"
timeout_ms = 5000
[services.endpoints]
test = "https://127.0.0.1:{port}/provider"
[[grants]]
system = "MFC440001"
service = "SID0004401"
environments = ["test"]
"#,
            head = head,
            port = provider.addr.port(),
        ),
    )
    .unwrap();
    let config = |require: bool| {
        format!(
            r#"
[server]
listen = "127.0.0.1:0"
[server.tls]
cert = "{cert}"
key = "{key}"
client_ca = "{ca}"
require_client_cert = {require}
[trust]
anchors = "{anchors}"
[registry]
file = "registry.toml"
[upstream]
ca = "{ca}"
"#,
            cert = c("tls-server.cert.pem"),
            key = c("tls-server.key.pem"),
            ca = c("rsa-ca.cert.pem"),
            anchors = c("trust-all"),
        )
    };
    std::fs::write(dir.join("rsmev.toml"), config(true)).unwrap();
    std::fs::write(dir.join("optional.toml"), config(false)).unwrap();
    let config = GatewayConfig::load(&dir.join("rsmev.toml")).unwrap();
    let gateway = rsmev_gateway::start(State::new(config).unwrap())
        .await
        .unwrap();
    let body = || sign_with("participant-gost256", REQUEST, Profile::Smev3);
    let url = format!("https://localhost:{}/ws", gateway.addr.port());
    for http2_only in [false, true] {
        let req = http::Request::post(&url)
            .header("content-type", "text/xml; charset=utf-8")
            .body(Full::new(Bytes::from(body())))
            .unwrap();
        let resp = https_client(true, http2_only).request(req).await.unwrap();
        let version = resp.version();
        let status = resp.status();
        let answer = resp.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        assert!(String::from_utf8_lossy(&answer).contains("SIGNED_BY_PROVIDER"));
        if http2_only {
            assert_eq!(version, http::Version::HTTP_2);
        }
    }

    // Without a client certificate the handshake is refused.
    let req = http::Request::post(&url)
        .body(Full::new(Bytes::from(body())))
        .unwrap();
    assert!(https_client(false, false).request(req).await.is_err());
    gateway.shutdown().await;

    // Client certificates optional at the TLS layer: MFC440001 is bound to its TLS client
    // certificate, so its signed request over a connection without one is refused.
    let config = GatewayConfig::load(&dir.join("optional.toml")).unwrap();
    let gateway = rsmev_gateway::start(State::new(config).unwrap())
        .await
        .unwrap();
    let url = format!("https://localhost:{}/ws", gateway.addr.port());
    for (with_cert, want) in [(true, 200), (false, 500)] {
        let req = http::Request::post(&url)
            .body(Full::new(Bytes::from(body())))
            .unwrap();
        let resp = https_client(with_cert, false).request(req).await.unwrap();
        let status = resp.status();
        let answer = resp.into_body().collect().await.unwrap().to_bytes();
        let answer = String::from_utf8_lossy(&answer);
        assert_eq!(status, want, "{answer}");
        if !with_cert {
            assert!(
                answer.contains("<Code>RSMEV-REG-ACCESS-DENIED</Code>"),
                "{answer}"
            );
            assert!(answer.contains("presented none"), "{answer}");
        }
    }
    gateway.shutdown().await;
    provider.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
