//! What is not an exchange: the admin listener (`/metrics`, `/healthz`, `/readyz` with its
//! reasons, `POST /admin/reload`), and on the participants' listener the WSDL and health
//! answers that say up or down and nothing more — no paths, generations or internal state.

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::State;
use crate::exchange::{Body, text};

pub async fn admin_route(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => text(
            StatusCode::OK,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            state.metrics().encode(),
        ),
        (&Method::GET, "/healthz") => text(StatusCode::OK, "text/plain", "ok\n"),
        (&Method::GET, "/readyz") => match not_ready(state) {
            None => text(
                StatusCode::OK,
                "text/plain",
                format!(
                    "ready: registry generation {}\n",
                    state.registry.snapshot().generation()
                ),
            ),
            Some(why) => text(
                StatusCode::SERVICE_UNAVAILABLE,
                "text/plain",
                format!("not ready: {why}\n"),
            ),
        },
        (&Method::POST, "/admin/reload") => {
            // Reading files and parsing certificates blocks: not on an async worker.
            let s = state.clone();
            match tokio::task::spawn_blocking(move || s.reload()).await {
                Ok(Ok(g)) => text(
                    StatusCode::OK,
                    "text/plain",
                    format!("registry generation {g}\n"),
                ),
                Ok(Err(e)) => text(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "text/plain",
                    format!("refused, previous registry and trust store kept: {e}\n"),
                ),
                Err(e) => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    format!("reload failed: {e}\n"),
                ),
            }
        }
        _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}

/// Why the node should not take traffic, for operators (the admin listener only).
fn not_ready(state: &State) -> Option<String> {
    if let Some(j) = state.telemetry.journal.as_ref().filter(|j| !j.healthy()) {
        return Some(format!(
            "the journal in {} cannot be written",
            j.dir().display()
        ));
    }
    // Certificates of a CA whose CRL is stale past the grace are being refused.
    state.trust.not_ready(std::time::SystemTime::now())
}

/// Participants' `/healthz` and `/readyz`: a status and one word.
pub fn public_health(state: &State, ready: bool) -> Response<Body> {
    if ready && not_ready(state).is_some() {
        return text(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "not ready\n");
    }
    text(StatusCode::OK, "text/plain", "ok\n")
}

/// The message-exchange WSDL. Its address is the configured `server.public_url` (or the
/// listener's own scheme and address), never the request's Host header or path: a cache in
/// front would otherwise serve one client's forgery to everyone.
const WSDL: &str = include_str!("../../../wsdl/smev3-message-exchange.wsdl");

pub fn wsdl(state: &State) -> Response<Body> {
    let address = match &state.config.public_url {
        Some(u) => u.clone(),
        None => {
            let scheme = if state.acceptor.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{}/", state.config.listen)
        }
    };
    let mut escaped = String::with_capacity(address.len());
    for c in address.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c => escaped.push(c),
        }
    }
    text(
        StatusCode::OK,
        "text/xml; charset=utf-8",
        WSDL.replace("@ADDRESS@", &escaped),
    )
}
