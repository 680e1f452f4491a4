//! The demo provider: a small real HTTP service that answers each SMEV 3 request relayed to
//! it with a signed `SendResponseRequest` (its own ЭП-ОВ over `SenderProvidedResponseData`),
//! so the example deployment shows a signed request going through the bus and back. Tests use
//! it as the regional provider, with a delay to play a slow one.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rsmev_crypto::SoftwareSigner;
use rsmev_pki::Certificate;
use rsmev_signature::{Profile, SignOptions};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the demo provider signs with and how it behaves.
pub struct Provider {
    pub signer: SoftwareSigner,
    pub certificate: Certificate,
    /// Answer only after this long (a slow provider).
    pub delay: Duration,
    pub served: AtomicU64,
    last_request: std::sync::Mutex<Option<Bytes>>,
}

impl Provider {
    pub fn new(signer: SoftwareSigner, certificate: Certificate, delay: Duration) -> Provider {
        Provider {
            signer,
            certificate,
            delay,
            served: AtomicU64::new(0),
            last_request: std::sync::Mutex::new(None),
        }
    }

    /// The last request received: what the gateway sent on, for tests to inspect.
    pub fn last_request(&self) -> Option<Bytes> {
        self.last_request.lock().ok().and_then(|l| l.clone())
    }
}

/// A running demo provider.
pub struct RunningProvider {
    pub addr: SocketAddr,
    pub provider: Arc<Provider>,
    stop: watch::Sender<bool>,
}

impl RunningProvider {
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

pub async fn serve(addr: SocketAddr, provider: Provider) -> std::io::Result<RunningProvider> {
    serve_with_tls(addr, provider, None).await
}

/// The same over TLS (the gateway's upstream client must then trust the certificate's CA).
pub async fn serve_with_tls(
    addr: SocketAddr,
    provider: Provider,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> std::io::Result<RunningProvider> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let provider = Arc::new(provider);
    let (stop, mut stopped) = watch::channel(false);
    let p = provider.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = tokio::select! {
                a = listener.accept() => match a { Ok(x) => x, Err(_) => continue },
                _ = stopped.changed() => return,
            };
            let p = p.clone();
            let acceptor = acceptor.clone();
            let service = service_fn(move |req| {
                let p = p.clone();
                async move { Ok::<_, Infallible>(answer(&p, req).await) }
            });
            tokio::spawn(async move {
                let builder = auto::Builder::new(TokioExecutor::new());
                match acceptor {
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                    Some(a) => {
                        if let Ok(tls) = a.accept(stream).await {
                            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                        }
                    }
                }
            });
        }
    });
    Ok(RunningProvider {
        addr,
        provider,
        stop,
    })
}

fn plain(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

async fn answer(p: &Provider, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let body = match Limited::new(req.into_body(), 16 << 20).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return plain(StatusCode::BAD_REQUEST, format!("{e}\n")),
    };
    if let Ok(mut last) = p.last_request.lock() {
        *last = Some(body.clone());
    }
    if !p.delay.is_zero() {
        tokio::time::sleep(p.delay).await;
    }
    let text = String::from_utf8_lossy(&body);
    if let Some(ns) = SMEV2_NAMESPACES.iter().find(|ns| text.contains(*ns)) {
        return answer_smev2(p, &text, ns);
    }
    let request_id = between(&text, "MessageID>", "</").unwrap_or("unknown");
    let version = ["1.3", "1.2", "1.1"]
        .into_iter()
        .find(|v| {
            text.contains(&format!(
                "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/{v}\""
            ))
        })
        .unwrap_or("1.1");
    let n = p.served.fetch_add(1, Ordering::Relaxed);
    let unsigned = response(
        version,
        &crate::node::message_id(SystemTime::now(), n),
        request_id,
        n,
    );
    let opts = SignOptions::new(Profile::Smev3, &p.signer, p.certificate.der());
    match rsmev_signature::sign(unsigned.as_bytes(), &opts) {
        Ok(signed) => {
            let mut r = Response::new(Full::new(Bytes::from(signed)));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            r
        }
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

const SMEV2_NAMESPACES: [&str; 3] = [
    "http://smev.gosuslugi.ru/rev120315",
    "http://smev.gosuslugi.ru/rev111111",
    "http://smev.gosuslugi.ru/rev110801",
];

/// A code from the request (`Sender/Code`), kept only if it is a plain mnemonic.
fn code_after<'t>(text: &'t str, element: &str) -> Option<&'t str> {
    let at = text.find(element)? + element.len();
    let rest = &text[at..];
    let a = rest.find("Code>")? + "Code>".len();
    let b = a + rest[a..].find('<')?;
    let code = &rest[a..b];
    (!code.is_empty() && code.len() <= 32 && code.bytes().all(|c| c.is_ascii_alphanumeric()))
        .then_some(code)
}

/// SMEV 2: a response with the provider's own `smev:Message` (Sender = the provider's system,
/// Recipient = the requester) and ЭП-ОВ (`wsse:Security`, actor `…/actors/smev`) over the Body.
fn answer_smev2(p: &Provider, text: &str, ns: &str) -> Response<Full<Bytes>> {
    let requester = code_after(text, "Sender>").unwrap_or("UNKNOWN");
    let me = code_after(text, "Recipient>").unwrap_or("PROVIDER");
    let n = p.served.fetch_add(1, Ordering::Relaxed);
    // The answer names the request it answers: the MessageId of the node header it came with.
    let request_ref = text
        .find(":MessageId>")
        .and_then(|i| between(&text[i..], ":MessageId>", "</"))
        .map(|id| format!("<smev:RequestIdRef>{id}</smev:RequestIdRef>"))
        .unwrap_or_default();
    let date = crate::node::timestamp(SystemTime::now());
    let unsigned = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:smev="{ns}" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><soapenv:Header></soapenv:Header><soapenv:Body wsu:Id="body"><smev:DemoResponse><smev:Message><smev:Sender><smev:Code>{me}</smev:Code><smev:Name>Демо-поставщик</smev:Name></smev:Sender><smev:Recipient><smev:Code>{requester}</smev:Code><smev:Name>Заявитель</smev:Name></smev:Recipient><smev:TypeCode>GSRV</smev:TypeCode><smev:Status>RESULT</smev:Status><smev:Date>{date}</smev:Date><smev:ExchangeType>2</smev:ExchangeType>{request_ref}</smev:Message><smev:MessageData><smev:AppData><d:DemoResponse xmlns:d="urn://rsmev/demo/provider/1.0"><d:Answer>Сведения найдены</d:Answer><d:Serial>{n}</d:Serial></d:DemoResponse></smev:AppData></smev:MessageData></smev:DemoResponse></soapenv:Body></soapenv:Envelope>
"#
    );
    let opts = SignOptions::new(Profile::Smev2, &p.signer, p.certificate.der());
    match rsmev_signature::sign(unsigned.as_bytes(), &opts) {
        Ok(signed) => {
            let mut r = Response::new(Full::new(Bytes::from(signed)));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/xml; charset=utf-8"),
            );
            r
        }
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

fn between<'t>(text: &'t str, open: &str, close: &str) -> Option<&'t str> {
    let a = text.find(open)? + open.len();
    let b = a + text[a..].find(close)?;
    let s = &text[a..b];
    // Only a UUID goes back into the answer.
    (s.len() == 36 && s.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-')).then_some(s)
}

fn response(version: &str, id: &str, to: &str, n: u64) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/{version}" xmlns:ns2="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/{version}"><soap:Body><ns:SendResponseRequest><ns:SenderProvidedResponseData Id="SIGNED_BY_PROVIDER"><ns:MessageID>{id}</ns:MessageID><ns:To>{to}</ns:To><ns2:MessagePrimaryContent><d:DemoResponse xmlns:d="urn://rsmev/demo/provider/1.0"><d:RequestMessageID>{to}</d:RequestMessageID><d:Answer>Сведения найдены</d:Answer><d:Serial>{n}</d:Serial></d:DemoResponse></ns2:MessagePrimaryContent></ns:SenderProvidedResponseData></ns:SendResponseRequest></soap:Body></soap:Envelope>
"#
    )
}
