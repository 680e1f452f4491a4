//! The listeners: connections accepted under a bound, TLS with a handshake deadline, HTTP/1.1
//! and HTTP/2 with a stream limit, and a watchdog per connection that closes it when its client
//! is too slow to send a request's head (`header_timeout`: from a new connection, or from the
//! first byte after an idle spell) or idle too long (`idle_timeout` after its last answer). The
//! body's own bounds are `body.rs`'s. Requests go to the admin routes or to the exchange.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, watch};

use crate::exchange::{Body, Client, text};
use crate::metrics::{Listener, ListenerLabels};
use crate::{StartError, State, admin, exchange};

/// How long a connection asked to close may take to finish what it is writing.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

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
    let grace = state.config.limits.shutdown_grace;
    let done = tokio::spawn(async move {
        let admin_task = admin.map(|l| {
            tokio::spawn(accept_loop(
                l,
                state.clone(),
                stopped.clone(),
                Listener::Admin,
            ))
        });
        let summaries = tokio::spawn(summaries(state.clone(), stopped.clone()));
        let refresh = state.trust.spawn_refresh(stopped.clone());
        accept_loop(listener, state.clone(), stopped, Listener::Main).await;
        // Connections finish their exchanges; past the grace period they are cut. Every open
        // connection holds a permit: all of them back means all connections are done.
        let all = state.config.limits.max_connections as u32;
        let _ = tokio::time::timeout(grace, state.connections.acquire_many(all)).await;
        if let Some(t) = admin_task {
            t.abort();
        }
        summaries.abort();
        refresh.abort();
        // What the finished exchanges recorded is on disk before `shutdown` returns.
        let last = state.clone();
        let _ = tokio::task::spawn_blocking(move || last.sync_journal()).await;
    });
    Ok(Running {
        addr,
        admin_addr,
        stop,
        done,
    })
}

/// Refusals before authentication are summarised once an interval.
async fn summaries(state: Arc<State>, mut stopped: watch::Receiver<bool>) {
    let every = state.telemetry.summary_interval();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => state.telemetry.flush_unauthenticated(),
            _ = stopped.changed() => return,
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut stopped: watch::Receiver<bool>,
    kind: Listener,
) {
    let labels = ListenerLabels { listener: kind };
    let limit = match kind {
        Listener::Main => state.connections.clone(),
        Listener::Admin => state.admin_connections.clone(),
    };
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
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // The connection bound: past it, a new connection is closed at once and counted, so
        // the descriptors and memory of `max_connections` are all an idle flood can take.
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            state
                .telemetry
                .metrics
                .connections_refused
                .get_or_create(&labels)
                .inc();
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let stopped = stopped.clone();
        let labels = labels.clone();
        tokio::spawn(async move {
            let open = state
                .telemetry
                .metrics
                .connections_open
                .get_or_create(&labels)
                .clone();
            open.inc();
            connection(state, stream, peer, kind, stopped, permit).await;
            open.dec();
        });
    }
}

/// When a connection last did something, for its watchdog.
struct Activity {
    epoch: Instant,
    /// Requests being answered now.
    in_flight: AtomicUsize,
    /// Milliseconds since `epoch` at which the last answer was handed over.
    idle_since: AtomicU64,
    /// Milliseconds since `epoch` (+1) of the first byte received while idle; 0: none.
    head_started: AtomicU64,
    /// Whether any request has started on this connection.
    used: AtomicUsize,
}

impl Activity {
    fn new() -> Arc<Activity> {
        Arc::new(Activity {
            epoch: Instant::now(),
            in_flight: AtomicUsize::new(0),
            idle_since: AtomicU64::new(0),
            head_started: AtomicU64::new(0),
            used: AtomicUsize::new(0),
        })
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// When the connection is to be closed if nothing changes, or `None` while a request is
    /// being answered (the request's own deadlines apply then).
    fn deadline(&self, header: Duration, idle: Duration) -> Option<Instant> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let at = |ms: u64, d: Duration| self.epoch + Duration::from_millis(ms) + d;
        let head = self.head_started.load(Ordering::Acquire);
        let idle_since = self.idle_since.load(Ordering::Acquire);
        Some(if head > 0 {
            at(head - 1, header)
        } else if self.used.load(Ordering::Acquire) == 0 {
            // A new connection must start a request as soon as it would send a header.
            at(0, header)
        } else {
            at(idle_since, idle)
        })
    }
}

/// A request being answered; the connection is idle again once all are dropped.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(a: &Arc<Activity>) -> Busy {
        a.used.store(1, Ordering::Release);
        a.head_started.store(0, Ordering::Release);
        a.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(a.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.idle_since.store(self.0.now_ms(), Ordering::Release);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The socket, noting the first byte a client sends while its connection is idle.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let a = &self.activity;
            if a.in_flight.load(Ordering::Acquire) == 0
                && a.head_started.load(Ordering::Acquire) == 0
            {
                a.head_started.store(a.now_ms() + 1, Ordering::Release);
            }
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

async fn connection(
    state: Arc<State>,
    stream: TcpStream,
    peer: SocketAddr,
    kind: Listener,
    stopped: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let limits = &state.config.limits;
    let activity = Activity::new();
    let acceptor = match kind {
        Listener::Main => state.acceptor.clone(),
        Listener::Admin => None,
    };
    match acceptor {
        None => {
            let io = Watched {
                inner: stream,
                activity: activity.clone(),
            };
            serve(&state, io, peer, None, kind, activity, stopped).await
        }
        Some(acceptor) => {
            match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let certificate = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|c| {
                            use sha2::Digest;
                            <[u8; 32]>::from(sha2::Sha256::digest(c.as_ref()))
                        });
                    let io = Watched {
                        inner: tls,
                        activity: activity.clone(),
                    };
                    serve(&state, io, peer, certificate, kind, activity, stopped).await
                }
                Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake failed"),
                Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
            }
        }
    }
}

async fn serve<S>(
    state: &Arc<State>,
    io: Watched<S>,
    peer: SocketAddr,
    certificate: Option<[u8; 32]>,
    kind: Listener,
    activity: Arc<Activity>,
    mut stopped: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = &state.config.limits;
    let client = Client { peer, certificate };
    let s = state.clone();
    let a = activity.clone();
    let service = service_fn(move |req: Request<Incoming>| {
        let state = s.clone();
        let busy = Busy::new(&a);
        async move {
            let response = match kind {
                Listener::Admin => admin::admin_route(&state, req).await,
                Listener::Main => route(&state, req, client).await,
            };
            drop(busy);
            Ok::<_, Infallible>(response)
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The watchdog bounds how long a head may take; hyper's own header timer would also run
    // while a keep-alive connection is idle, closing it after `header_timeout` instead of
    // `idle_timeout`.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_streams)
        .keep_alive_interval(None);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    let closing = |why: &str| tracing::debug!(%peer, "closing connection: {why}");
    loop {
        let deadline = activity.deadline(limits.header_timeout, limits.idle_timeout);
        // While a request is answered, look again now and then.
        let wake = deadline.unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = tokio::time::sleep_until(wake.into()) => {
                if deadline.is_some_and(|d| Instant::now() >= d)
                    && activity.in_flight.load(Ordering::Acquire) == 0
                {
                    let head = activity.head_started.load(Ordering::Acquire) > 0
                        || activity.used.load(Ordering::Acquire) == 0;
                    closing(if head { "no request head in time" } else { "idle" });
                    conn.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(CLOSE_GRACE, conn.as_mut()).await;
                    return;
                }
            }
            _ = stopped.changed() => {
                closing("shutting down");
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(limits.shutdown_grace, conn.as_mut()).await;
                return;
            }
        }
    }
}

async fn route(state: &Arc<State>, req: Request<Incoming>, client: Client) -> Response<Body> {
    if req.method() == Method::GET && req.uri().query() == Some("wsdl") {
        return admin::wsdl(state);
    }
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/healthz") => admin::public_health(state, false),
        (&Method::GET, "/readyz") => admin::public_health(state, true),
        (&Method::POST, _) => exchange::handle(state, req, client).await,
        _ => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "POST a SOAP envelope\n",
        ),
    }
}
