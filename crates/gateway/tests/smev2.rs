//! SMEV 2 through the node: the participant's request (ЭП-ОВ, actor smev) leaves the gateway
//! with the node's own smev:Header and signature (ЭП-РСМЭВ, actor recipient) added; the
//! provider's signed answer comes back with the node's signature added too. Every signature on
//! both messages verifies.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rsmev_gateway::demo::Provider;
use rsmev_gateway::{GatewayConfig, State};
use rsmev_pki::TrustStore;
use rsmev_signature::{Profile, Role, Trust, Verifier};

const REQUEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:smev="http://smev.gosuslugi.ru/rev120315" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><soapenv:Header></soapenv:Header><soapenv:Body wsu:Id="body"><b:BreachRequest xmlns:b="urn://example/breach-smev2/1.0"><smev:Message><smev:Sender><smev:Code>MFC440001</smev:Code><smev:Name>МФЦ</smev:Name></smev:Sender><smev:Recipient><smev:Code>GIBD44001</smev:Code><smev:Name>ГИБДД</smev:Name></smev:Recipient><smev:Service><smev:Mnemonic>BREACH01</smev:Mnemonic><smev:Version>1.00</smev:Version></smev:Service><smev:TypeCode>GSRV</smev:TypeCode><smev:Status>REQUEST</smev:Status><smev:Date>2026-12-01T10:00:00</smev:Date><smev:ExchangeType>2</smev:ExchangeType><smev:TestMsg>test</smev:TestMsg></smev:Message><smev:MessageData><smev:AppData><b:RegNum>А123ВС77</b:RegNum></smev:AppData></smev:MessageData></b:BreachRequest></soapenv:Body></soapenv:Envelope>"#;

fn roles(doc: &[u8]) -> Vec<Role> {
    let store = Arc::new(TrustStore::load(certs().join("trust-all")).unwrap());
    let v = Verifier::new(Profile::Smev2, Trust::Store(store))
        .verify(doc)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(doc)));
    v.signatures().iter().map(|s| s.role.clone()).collect()
}

fn ws(actor: &str) -> Role {
    Role::WsSecurity {
        actor: format!("http://smev.gosuslugi.ru/actors/{actor}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smev2_request_and_answer_carry_the_node_signature() {
    let (signer, certificate) = key("participant-gost512");
    let provider = rsmev_gateway::demo::serve(
        "127.0.0.1:0".parse().unwrap(),
        Provider::new(signer, certificate, Duration::ZERO),
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("rsmev-gateway-smev2-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let c = |n: &str| certs().join(n).display().to_string();
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
            head = head,
            provider = provider.addr,
        ),
    )
    .unwrap();
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
            anchors = c("trust-all"),
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

    let request = sign_with("participant-gost256", REQUEST, Profile::Smev2);
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build(HttpConnector::new());
    let req = http::Request::post(format!("http://{}/ws", gateway.addr))
        .header("content-type", "text/xml; charset=utf-8")
        .body(Full::new(Bytes::from(request)))
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let status = resp.status();
    let answer = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));

    // What the provider received: the participant's signature and the node's.
    let relayed = provider.provider.last_request().unwrap();
    assert_eq!(roles(&relayed), [ws("recipient"), ws("smev")]);
    let text = String::from_utf8_lossy(&relayed);
    assert!(text.contains("<smev:NodeId>44</smev:NodeId>"), "{text}");
    assert!(text.contains("<smev:MessageClass>REQUEST</smev:MessageClass>"));

    // What the participant got back: the provider's signature and the node's.
    assert_eq!(roles(&answer), [ws("recipient"), ws("smev")]);
    assert!(
        String::from_utf8_lossy(&answer)
            .contains("<smev:MessageClass>RESPONSE</smev:MessageClass>")
    );

    gateway.shutdown().await;
    provider.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
