//! rsmev-gateway — stages ⑥–⑦: the HTTP server participants and federal SMEV talk to, the
//! per-request pipeline, the upstream client, faults, metrics, registry reload, and the demo
//! provider the example deployment runs.
//!
//! The pipeline (`pipeline.rs`) is synchronous and does no IO: verify, read the facts from
//! the signed parts, authorize against the registry snapshot in force, decide the upstream.
//! This module moves bytes: bounded body reads, a bounded number of exchanges in flight (the
//! excess gets a fast fault, not a queue), the relay with a per-service timeout, the answer's
//! own check, and exactly one SOAP fault, log line and metric for every refusal.
#![forbid(unsafe_code)]

pub mod breaker;
pub mod client_verifier;
pub mod config;
pub mod demo;
pub mod journal;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod replay;
pub mod tls;
pub mod trust;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rsmev_fault::FaultCode;
use rsmev_fault::soap::{SoapVersion, render};
use rsmev_pki::CertCache;
use rsmev_registry::Registry;
use rsmev_signature::{Profile, Trust, Verifier};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

pub use config::GatewayConfig;
use metrics::{Code, ExchangeLabels, Metrics, Outcome, ReloadLabels, ReloadResult};
use pipeline::{Decision, Refusal, Verifiers};

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("trust anchors: {0}")]
    Trust(#[from] rsmev_pki::PkiError),
    #[error("registry: {0}")]
    Registry(#[from] rsmev_registry::ConfigError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error(transparent)]
    Operator(#[from] node::OperatorError),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
}

/// A TLS handshake that has not finished by then is dropped: a slow client may not hold a
/// connection slot forever.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// Everything a request needs, shared by all connections.
pub struct State {
    config: GatewayConfig,
    verifiers: Verifiers,
    registry: Registry,
    metrics: Metrics,
    permits: Semaphore,
    client: Client<Connector, Full<Bytes>>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    breakers: breaker::Breakers,
    trust: Arc<trust::TrustService>,
    node: Option<node::NodeSigner>,
    journal: Option<journal::Journal>,
    seen: Option<replay::Seen>,
}

impl State {
    pub fn new(config: GatewayConfig) -> Result<Arc<State>, StartError> {
        let trust = Arc::new(trust::TrustService::load(config.trust.clone())?);
        let cache = Arc::new(CertCache::new(16_384));
        let verifier = |p| {
            Verifier::new(p, Trust::Live(trust.live().clone()))
                .allow_legacy(config.allow_legacy)
                .cache(cache.clone())
        };
        let verifiers = Verifiers {
            smev3: verifier(Profile::Smev3),
            smev2: verifier(Profile::Smev2),
            any: verifier(Profile::Any),
        };
        let registry = Registry::load(config.registry_file.clone())?;
        trust.note_registry(&registry.snapshot());
        let mut metrics = Metrics::new();
        trust.register_metrics(&mut metrics.registry);
        metrics
            .registry_generation
            .set(registry.snapshot().generation() as i64);
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        // Without configured CAs no https upstream can be trusted: an empty root store makes
        // such a relay fail with a clear handshake error instead of trusting anything.
        let client_tls = match tls::client(&config.upstream_tls)? {
            Some(c) => c,
            None => tls::client_without_roots()?,
        };
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(client_tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(std::time::Duration::from_secs(60))
            .build(connector);
        let acceptor = match &config.tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(tls::server_with(
                t,
                Some(trust.live()),
            )?)),
            None => None,
        };
        let config_breaker = config.breaker.clone();
        let node = config
            .operator
            .as_ref()
            .map(node::NodeSigner::load)
            .transpose()?;
        let journal = config
            .journal
            .as_ref()
            .map(|j| journal::Journal::open(j, metrics.journal.clone()))
            .transpose()?;
        let seen = config.message_ids.as_ref().map(|m| {
            let seen = replay::Seen::new(m.window, m.capacity);
            // A restart must not reopen the replay window: the ids of the window's exchanges
            // come back from the journal.
            if let Some(j) = &journal {
                let now = SystemTime::now();
                match journal::remembered_ids(j.dir(), m.window, m.capacity, 4 << 30) {
                    Ok((ids, skipped)) => {
                        for (sender, id, at) in &ids {
                            seen.remember(sender, id, *at, now);
                        }
                        tracing::info!(ids = ids.len(), "MessageIDs read back from the journal");
                        if skipped > 0 {
                            tracing::warn!(
                                skipped,
                                "journal files past the 4 GiB read-back bound were not read"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reading MessageIDs back from the journal")
                    }
                }
            }
            metrics.ids_remembered.set(seen.len() as i64);
            seen
        });
        Ok(Arc::new(State {
            journal,
            seen,
            permits: Semaphore::new(config.max_in_flight),
            config,
            verifiers,
            registry,
            metrics,
            client,
            acceptor,
            breakers: breaker::Breakers::new(config_breaker.threshold, config_breaker.cooldown),
            trust,
            node,
        }))
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Writes and fsyncs what the journal has been given so far (blocks; no-op without one).
    pub fn sync_journal(&self) {
        if let Some(j) = &self.journal {
            j.sync();
        }
    }

    /// The trust store in force, its refresh and status.
    pub fn trust(&self) -> &trust::TrustService {
        &self.trust
    }

    /// Re-reads the trust store (anchors and CRLs) and the registry file: both applied, or
    /// both refused with the ones in force kept. Blocking file IO.
    pub fn reload(&self) -> Result<u64, ReloadError> {
        let prepared = self.trust.prepare_reload().map_err(ReloadError::Trust)?;
        match self.registry.reload() {
            Ok(generation) => {
                self.trust.commit(prepared);
                self.trust.note_registry(&self.registry.snapshot());
                self.metrics
                    .reloads
                    .get_or_create(&ReloadLabels {
                        result: ReloadResult::Applied,
                    })
                    .inc();
                self.metrics.registry_generation.set(generation as i64);
                tracing::info!(generation, "registry reloaded");
                Ok(generation)
            }
            Err(e) => {
                self.trust.abandon(prepared);
                self.metrics
                    .reloads
                    .get_or_create(&ReloadLabels {
                        result: ReloadResult::Refused,
                    })
                    .inc();
                tracing::error!(error = %e, "registry reload refused; the previous registry and trust store stay in force");
                Err(ReloadError::Registry(e))
            }
        }
    }
}

/// Why a reload was refused; what was in force stays.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("trust store: {0}")]
    Trust(rsmev_pki::PkiError),
    #[error("registry: {0}")]
    Registry(rsmev_registry::ConfigError),
}

/// A running gateway: its bound addresses and the handle that stops it.
pub struct Running {
    pub addr: SocketAddr,
    pub admin_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    done: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets exchanges in flight finish (up to the configured grace), returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.done.await;
    }
}

/// Binds the listeners and serves until [`Running::shutdown`].
pub async fn start(state: Arc<State>) -> Result<Running, StartError> {
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|e| StartError::Listen {
                addr,
                reason: e.to_string(),
            })
    };
    let listener = bind(state.config.listen).await?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen {
        addr: state.config.listen,
        reason: e.to_string(),
    })?;
    let admin = match state.config.admin_listen {
        Some(a) => Some(bind(a).await?),
        None => None,
    };
    let admin_addr = admin.as_ref().and_then(|l| l.local_addr().ok());
    let (stop, stopped) = watch::channel(false);
    let grace = state.config.shutdown_grace;
    let last = state.clone();
    let done = tokio::spawn(async move {
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let stopped_main = stopped.clone();
        let refresh = state.trust.spawn_refresh(stopped.clone());
        let admin_task = admin.map(|l| {
            let state = state.clone();
            let stopped = stopped.clone();
            tokio::spawn(accept_loop(l, state, stopped, true, None))
        });
        accept_loop(
            listener,
            state,
            stopped_main.clone(),
            false,
            Some(&graceful),
        )
        .await;
        if let Some(t) = admin_task {
            t.abort();
        }
        refresh.abort();
        // Exchanges in flight finish; past the grace period they are cut.
        let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
        // What the finished exchanges recorded is on disk before `shutdown` returns.
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(j) = &last.journal {
                j.sync();
            }
        })
        .await;
    });
    Ok(Running {
        addr,
        admin_addr,
        stop,
        done,
    })
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
    admin: bool,
    graceful: Option<&hyper_util::server::graceful::GracefulShutdown>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and the like: pause rather than spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let watcher = graceful.map(|g| g.watcher());
        let acceptor = if admin { None } else { state.acceptor.clone() };
        let state = state.clone();
        tokio::spawn(async move {
            let service = |client_cert: Option<[u8; 32]>| {
                service_fn(move |req| {
                    let state = state.clone();
                    async move {
                        Ok::<_, Infallible>(if admin {
                            admin_route(&state, req).await
                        } else {
                            route(&state, req, peer, client_cert).await
                        })
                    }
                })
            };
            match acceptor {
                None => serve_connection(TokioIo::new(stream), service(None), watcher).await,
                Some(acceptor) => {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            // The client certificate's fingerprint, for the registry's binding
                            // of TLS clients to information systems.
                            let client_cert = tls
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .map(|c| {
                                    use sha2::Digest;
                                    <[u8; 32]>::from(sha2::Sha256::digest(c.as_ref()))
                                });
                            serve_connection(TokioIo::new(tls), service(client_cert), watcher).await
                        }
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
}

async fn serve_connection<I, S>(
    io: I,
    service: S,
    watcher: Option<hyper_util::server::graceful::Watcher>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<Request<Incoming>, Response = Response<Body>, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection(io, service).into_owned();
    let _ = match watcher {
        Some(w) => w.watch(conn).await,
        None => conn.await,
    };
}

type Body = Full<Bytes>;

fn text(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}

async fn admin_route(state: &State, req: Request<Incoming>) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => text(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            state.metrics.encode(),
        ),
        (&Method::GET, "/healthz") => text(StatusCode::OK, "text/plain", "ok\n"),
        (&Method::GET, "/readyz") => ready(state),
        (&Method::POST, "/admin/reload") => match state.reload() {
            Ok(g) => text(
                StatusCode::OK,
                "text/plain",
                format!("registry generation {g}\n"),
            ),
            Err(e) => text(
                StatusCode::UNPROCESSABLE_ENTITY,
                "text/plain",
                format!("refused, previous registry and trust store kept: {e}\n"),
            ),
        },
        _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

fn ready(state: &State) -> Response<Body> {
    if let Some(j) = state.journal.as_ref().filter(|j| !j.healthy()) {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            format!(
                "not ready: the journal in {} cannot be written\n",
                j.dir().display()
            ),
        );
    }
    // Certificates of a CA whose CRL is stale past the grace are being refused.
    if let Some(reason) = state.trust.not_ready(SystemTime::now()) {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            format!("not ready: {reason}\n"),
        );
    }
    let g = state.registry.snapshot().generation();
    text(
        StatusCode::OK,
        "text/plain",
        format!("ready: registry generation {g}\n"),
    )
}

/// The message-exchange WSDL, its address the one the caller used.
const WSDL: &str = include_str!("../../../wsdl/smev3-message-exchange.wsdl");

fn wsdl(state: &State, req: &Request<Incoming>) -> Response<Body> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .map_or_else(|| state.config.listen.to_string(), str::to_string);
    let scheme = if state.acceptor.is_some() {
        "https"
    } else {
        "http"
    };
    let address = format!("{scheme}://{host}{}", req.uri().path());
    text(
        StatusCode::OK,
        "text/xml; charset=utf-8",
        WSDL.replace("@ADDRESS@", &address),
    )
}

async fn route(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    client_cert: Option<[u8; 32]>,
) -> Response<Body> {
    if req.method() == Method::GET && req.uri().query() == Some("wsdl") {
        return wsdl(state, &req);
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "text/plain", "ok\n"),
        (&Method::GET, "/readyz") => ready(state),
        (&Method::POST, _) => exchange(state, req, peer, client_cert).await,
        _ => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "POST a SOAP envelope\n",
        ),
    }
}

/// What the log line, the metric and the journal record need from an exchange's start.
struct Trace {
    started: Instant,
    arrived: SystemTime,
    peer: SocketAddr,
    request_bytes: u64,
    request_sha256: Option<String>,
}

impl Trace {
    fn new(peer: SocketAddr) -> Trace {
        Trace {
            started: Instant::now(),
            arrived: SystemTime::now(),
            peer,
            request_bytes: 0,
            request_sha256: None,
        }
    }

    fn record(&self, outcome: Outcome) -> journal::Record {
        journal::Record {
            ts: journal::rfc3339_ms(self.arrived),
            peer: self.peer.to_string(),
            outcome: outcome.as_str().into(),
            ms: self.started.elapsed().as_millis() as u64,
            request_bytes: self.request_bytes,
            request_sha256: self.request_sha256.clone(),
            ..journal::Record::default()
        }
    }
}

/// What a refusal after the relay began adds to its journal record.
#[derive(Default)]
struct Relayed<'a> {
    upstream: Option<&'a str>,
    upstream_status: Option<u16>,
    /// The message's id stays remembered: it reached, or may have reached, the upstream.
    id_remembered: bool,
}

/// One exchange; every path out of here answers, counts, logs and journals.
async fn exchange(
    state: &State,
    req: Request<Incoming>,
    peer: SocketAddr,
    client_cert: Option<[u8; 32]>,
) -> Response<Body> {
    let mut trace = Trace::new(peer);
    let Ok(_permit) = state.permits.try_acquire() else {
        return refuse(
            state,
            &trace,
            Refusal::new(
                FaultCode::Overloaded,
                format!("{} exchanges in flight", state.config.max_in_flight),
            ),
            SoapVersion::Soap11,
            "1.2",
            Relayed::default(),
        );
    };
    if state.journal.as_ref().is_some_and(|j| j.blocks_exchanges()) {
        return refuse(
            state,
            &trace,
            Refusal::new(
                FaultCode::Internal,
                "the exchange journal cannot be written; exchanges are refused until it can",
            ),
            SoapVersion::Soap11,
            "1.2",
            Relayed::default(),
        );
    }
    // The exchange may be dropped mid-way (the client hung up): the guard still takes it off
    // the in-flight gauge, counts it and journals it, so nothing disappears.
    let mut guard = InFlight::new(state, peer, trace.arrived);
    let response = exchange_admitted(state, req, &mut trace, client_cert).await;
    guard.finished = true;
    response
}

struct InFlight<'s> {
    state: &'s State,
    peer: SocketAddr,
    arrived: SystemTime,
    started: Instant,
    finished: bool,
}

impl<'s> InFlight<'s> {
    fn new(state: &'s State, peer: SocketAddr, arrived: SystemTime) -> InFlight<'s> {
        state.metrics.in_flight.inc();
        InFlight {
            state,
            peer,
            arrived,
            started: Instant::now(),
            finished: false,
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.state.metrics.in_flight.dec();
        if !self.finished {
            self.state
                .metrics
                .exchanges
                .get_or_create(&ExchangeLabels {
                    outcome: Outcome::Cancelled,
                    code: Code(None),
                    service: "none".into(),
                    environment: "unknown",
                })
                .inc();
            tracing::info!(peer = %self.peer, "exchange cancelled: the client went away before the answer");
            if let Some(j) = &self.state.journal {
                let t = Trace {
                    started: self.started,
                    arrived: self.arrived,
                    peer: self.peer,
                    request_bytes: 0,
                    request_sha256: None,
                };
                j.record(t.record(Outcome::Cancelled));
            }
        }
    }
}

async fn exchange_admitted(
    state: &State,
    req: Request<Incoming>,
    trace: &mut Trace,
    client_cert: Option<[u8; 32]>,
) -> Response<Body> {
    let limit = state.config.max_body_bytes;
    let too_large = |n: String| Refusal::new(FaultCode::MessageTooLarge, n);
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        trace.request_bytes = len;
        return refuse(
            state,
            trace,
            too_large(format!(
                "Content-Length {len} exceeds the limit of {limit} bytes"
            )),
            SoapVersion::Soap11,
            "1.2",
            Relayed::default(),
        );
    }
    let soap_action = req.headers().get("soapaction").cloned();
    let content_type = req.headers().get(header::CONTENT_TYPE).cloned();
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            let refusal = if e.is::<http_body_util::LengthLimitError>() {
                too_large(format!("the body exceeds the limit of {limit} bytes"))
            } else {
                Refusal::new(
                    FaultCode::MalformedMessage,
                    format!("reading the body: {e}"),
                )
            };
            let (soap, v) = (SoapVersion::Soap11, "1.2");
            return refuse(state, trace, refusal, soap, v, Relayed::default());
        }
    };
    trace.request_bytes = body.len() as u64;
    if state.journal.is_some() {
        trace.request_sha256 = Some(journal::sha256_hex(&body));
    }
    let trace = &*trace;
    let soap = pipeline::soap_version(&body);
    let snapshot = state.registry.snapshot();
    let now = SystemTime::now();
    let decision = match pipeline::decide(&state.verifiers, &snapshot, &body, now, client_cert) {
        Ok(d) => d,
        Err(r) => return refuse(state, trace, r, soap, "1.2", Relayed::default()),
    };
    let refusal = |code, reason: String| decision.refusal(code, reason);
    // Only now, with the signature checked: an unverified message may not spend an id.
    let remembered = match &state.seen {
        None => false,
        Some(seen) => {
            let evicted = |n| {
                state.metrics.ids_evicted.inc_by(n);
            };
            let admitted = seen.admit(
                &decision.sender,
                decision.message_id.as_deref(),
                !decision.smev2,
                now,
                evicted,
            );
            match admitted {
                Ok(a) => {
                    state.metrics.ids_remembered.set(seen.len() as i64);
                    a == replay::Admitted::Remembered
                }
                Err(e) => {
                    let r = refusal(e.fault_code(), e.to_string());
                    let v = &decision.smev3_version;
                    return refuse(state, trace, r, soap, v, Relayed::default());
                }
            }
        }
    };
    // SMEV 2: the node's own header and signature on what it relays (ЭП-РСМЭВ).
    let class = rsmev_signature::Smev2MessageClass::Request;
    let body = match node_sign(state, &snapshot, &decision, body, class) {
        Ok(b) => b,
        Err(e) => {
            forget(state, &decision, remembered);
            let r = refusal(FaultCode::Internal, format!("node signature: {e}"));
            let v = &decision.smev3_version;
            return refuse(state, trace, r, soap, v, Relayed::default());
        }
    };
    relay(
        state,
        trace,
        decision,
        body,
        soap_action,
        content_type,
        soap,
        remembered,
    )
    .await
}

/// An SMEV 2 message as this node passes it on: with the node's own header and signature when
/// it has an operator key; anything else unchanged.
fn node_sign(
    state: &State,
    snapshot: &rsmev_registry::Snapshot,
    decision: &Decision,
    message: Bytes,
    class: rsmev_signature::Smev2MessageClass,
) -> Result<Bytes, rsmev_signature::SigError> {
    match (&state.node, decision.smev2) {
        (Some(node), true) => node
            .sign(&message, snapshot.node().code(), class)
            .map(Bytes::from),
        _ => Ok(message),
    }
}

/// The message never left the node: its sender may send its id again.
fn forget(state: &State, decision: &Decision, remembered: bool) {
    if let (true, Some(seen), Some(id)) = (remembered, &state.seen, &decision.message_id) {
        seen.forget(&decision.sender, id);
        state.metrics.ids_remembered.set(seen.len() as i64);
    }
}

#[allow(clippy::too_many_arguments)]
async fn relay(
    state: &State,
    trace: &Trace,
    decision: Decision,
    body: Bytes,
    soap_action: Option<header::HeaderValue>,
    content_type: Option<header::HeaderValue>,
    soap: SoapVersion,
    remembered: bool,
) -> Response<Body> {
    use metrics::{UpstreamLabels, UpstreamResult};
    let sid = decision.sid.clone().unwrap_or_else(|| "none".into());
    let count = |result| {
        state
            .metrics
            .upstream
            .get_or_create(&UpstreamLabels {
                service: sid.clone(),
                result,
            })
            .inc();
    };
    // Every refusal from here on knows the decision: service, environment, sender; and
    // whether the message may have reached the upstream (then its id stays spent).
    let fail = |code, reason: String, reached: bool, upstream_status: Option<u16>| {
        if !reached {
            forget(state, &decision, remembered);
        }
        let r = decision.refusal(code, reason);
        let relayed = Relayed {
            upstream: Some(&decision.upstream),
            upstream_status,
            id_remembered: remembered && reached,
        };
        refuse(state, trace, r, soap, &decision.smev3_version, relayed)
    };
    let uri: http::Uri = match decision.upstream.parse() {
        Ok(u) => u,
        Err(e) => {
            return fail(
                FaultCode::Internal,
                format!("upstream URL: {e}"),
                false,
                None,
            );
        }
    };
    if let breaker::Admit::Refuse(why) = state.breakers.admit(&decision.upstream, Instant::now()) {
        count(UpstreamResult::CircuitOpen);
        return fail(
            FaultCode::UpstreamUnavailable,
            format!("{}: {why}", decision.upstream),
            false,
            None,
        );
    }
    let build = || {
        let mut req = Request::new(Full::new(body.clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = uri.clone();
        if let Some(v) = &content_type {
            req.headers_mut().insert(header::CONTENT_TYPE, v.clone());
        }
        if let Some(v) = &soap_action {
            req.headers_mut().insert("soapaction", v.clone());
        }
        req
    };
    let limit = state.config.upstream_max_body_bytes;
    let call = async {
        // A request that never reached the upstream (no connection) is safe to send again,
        // whatever the operation; one that may have reached it is never repeated.
        let resp = match state.client.request(build()).await {
            Err(e) if e.is_connect() => {
                count(UpstreamResult::ConnectRetried);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                state.client.request(build()).await
            }
            other => other,
        }
        .map_err(|e| (e.is_connect(), e.to_string()))?;
        let status = resp.status();
        let ct = resp.headers().get(header::CONTENT_TYPE).cloned();
        let body = Limited::new(resp.into_body(), limit)
            .collect()
            .await
            .map_err(|e| (false, e.to_string()))?
            .to_bytes();
        Ok::<_, (bool, String)>((status, ct, body))
    };
    let (status, ct, answer) = match tokio::time::timeout(decision.timeout, call).await {
        Err(_) => {
            count(UpstreamResult::Timeout);
            state.breakers.failure(&decision.upstream, Instant::now());
            return fail(
                FaultCode::UpstreamTimeout,
                format!(
                    "{} did not answer within {} ms",
                    decision.upstream,
                    decision.timeout.as_millis()
                ),
                true,
                None,
            );
        }
        Ok(Err((never_connected, e))) => {
            count(UpstreamResult::Unavailable);
            state.breakers.failure(&decision.upstream, Instant::now());
            return fail(
                FaultCode::UpstreamUnavailable,
                format!("{}: {e}", decision.upstream),
                !never_connected,
                None,
            );
        }
        Ok(Ok(x)) => x,
    };
    let code = Some(status.as_u16());
    if !status.is_success() {
        count(UpstreamResult::Unavailable);
        state.breakers.failure(&decision.upstream, Instant::now());
        return fail(
            FaultCode::UpstreamUnavailable,
            format!("{} answered HTTP {status}", decision.upstream),
            true,
            code,
        );
    }
    // The upstream answered: its circuit is healthy, whatever the answer's own merits.
    state.breakers.success(&decision.upstream);
    let snapshot = state.registry.snapshot();
    if let Err(r) = pipeline::check_answer(&state.verifiers, &snapshot, &decision, &answer) {
        count(UpstreamResult::BadAnswer);
        return fail(FaultCode::UpstreamUnavailable, r.reason, true, code);
    }
    count(UpstreamResult::Ok);
    // The answer, too, passes this node on its way back.
    let class = rsmev_signature::Smev2MessageClass::Response;
    let answer = match node_sign(state, &snapshot, &decision, answer, class) {
        Ok(a) => a,
        Err(e) => {
            let reason = format!("node signature on the answer: {e}");
            return fail(FaultCode::Internal, reason, true, code);
        }
    };
    let labels = ExchangeLabels {
        outcome: Outcome::Relayed,
        code: Code(None),
        service: sid,
        environment: decision.environment.as_str(),
    };
    state.metrics.exchanges.get_or_create(&labels).inc();
    state
        .metrics
        .duration
        .get_or_create(&labels)
        .observe(trace.started.elapsed().as_secs_f64());
    tracing::info!(
        peer = %trace.peer,
        sender = %decision.sender,
        service = decision.sid.as_deref().unwrap_or("-"),
        environment = decision.environment.as_str(),
        message_id = decision.message_id.as_deref().unwrap_or("-"),
        upstream = %decision.upstream,
        ms = trace.started.elapsed().as_millis() as u64,
        "relayed"
    );
    if let Some(j) = &state.journal {
        j.record(journal::Record {
            sender: Some(decision.sender.clone()),
            service: decision.sid.clone(),
            environment: Some(decision.environment.as_str().into()),
            message_id: decision.message_id.clone(),
            id_remembered: remembered,
            upstream: Some(decision.upstream.clone()),
            upstream_status: code,
            response_bytes: Some(answer.len() as u64),
            response_sha256: Some(journal::sha256_hex(&answer)),
            ..trace.record(Outcome::Relayed)
        });
    }
    let mut r = Response::new(Full::new(answer));
    if let Some(ct) = ct {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    r
}

/// The one exit for refusals: a SOAP fault, a log line, a metric and a journal record.
fn refuse(
    state: &State,
    trace: &Trace,
    r: Refusal,
    soap: SoapVersion,
    smev3_version: &str,
    relayed: Relayed<'_>,
) -> Response<Body> {
    let labels = ExchangeLabels {
        outcome: Outcome::Refused,
        code: Code(Some(r.code)),
        service: r.service.clone().unwrap_or_else(|| "none".into()),
        environment: r.environment.map_or("unknown", |e| e.as_str()),
    };
    state.metrics.exchanges.get_or_create(&labels).inc();
    state
        .metrics
        .duration
        .get_or_create(&labels)
        .observe(trace.started.elapsed().as_secs_f64());
    tracing::warn!(
        peer = %trace.peer,
        code = r.code.as_str(),
        smev = r.code.smev_code(),
        sender = r.sender.as_deref().unwrap_or("-"),
        service = r.service.as_deref().unwrap_or("-"),
        message_id = r.message_id.as_deref().unwrap_or("-"),
        reason = %r.reason,
        "refused"
    );
    let fault = render(r.code, &r.reason, soap, smev3_version);
    if let Some(j) = &state.journal {
        j.record(journal::Record {
            code: Some(r.code.as_str().into()),
            environment: r.environment.map(|e| e.as_str().into()),
            sender: r.sender,
            service: r.service,
            message_id: r.message_id,
            id_remembered: relayed.id_remembered,
            upstream: relayed.upstream.map(str::to_string),
            upstream_status: relayed.upstream_status,
            response_bytes: Some(fault.len() as u64),
            response_sha256: Some(journal::sha256_hex(fault.as_bytes())),
            reason: Some(r.reason),
            ..trace.record(Outcome::Refused)
        });
    }
    // SOAP 1.1 faults travel with HTTP 500 (WS-I BP 1.1 R1126); SOAP 1.2 likewise for
    // receiver faults, which is how SMEV reports every fault.
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        soap.content_type(),
        fault,
    )
}
