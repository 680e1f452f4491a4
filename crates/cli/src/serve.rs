//! `rsmev serve` and `rsmev demo-provider`: the only places the binary starts a runtime.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_gateway::{GatewayConfig, State};
use rsmev_pki::Certificate;

use crate::read_file;

/// Logs go to stderr through a background writer, so a slow log pipe never stalls a worker
/// thread in the middle of an exchange (lines beyond its buffer are dropped and counted by the
/// writer, not waited for). Colour only on a terminal. Keep the guard until exit: it flushes.
fn logging() -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RSMEV_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(writer)
        .with_ansi(ansi)
        .try_init();
    guard
}

/// Every connection is a descriptor: the soft limit (often 1024) must cover
/// `limits.max_connections` plus the upstream connections, journal and certificate files, or
/// `accept` fails before the connection bound is ever reached.
fn descriptors(config: &GatewayConfig) {
    let wanted = (config.limits.max_connections as u64)
        .saturating_mul(2)
        .saturating_add(1024);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => tracing::warn!(
            limit = got,
            wanted,
            "the open-file limit is below twice limits.max_connections; raise the hard limit \
             (LimitNOFILE= in the systemd unit) or lower limits.max_connections"
        ),
        Ok(got) => tracing::debug!(limit = got, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")
}

pub fn serve(args: &[String]) -> Result<()> {
    let config = match args {
        [flag, file] if flag == "--config" => PathBuf::from(file),
        _ => bail!("usage: rsmev serve --config FILE\n{}", crate::USAGE),
    };
    let _logs = logging();
    let config = GatewayConfig::load(&config)?;
    descriptors(&config);
    runtime()?.block_on(async move {
        let state = State::new(config).context("starting the gateway")?;
        let running = rsmev_gateway::start(state.clone()).await?;
        tracing::info!(
            addr = %running.addr,
            admin = ?running.admin_addr,
            "rsmev serving"
        );
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .context("SIGHUP handler")?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("SIGTERM handler")?;
        loop {
            tokio::select! {
                _ = hup.recv() => {
                    // Refusals are logged and counted by reload itself; reading files blocks,
                    // so not on an async worker.
                    let s = state.clone();
                    let _ = tokio::task::spawn_blocking(move || s.reload()).await;
                }
                _ = term.recv() => break,
                _ = tokio::signal::ctrl_c() => break,
            }
        }
        tracing::info!("shutting down: finishing exchanges in flight");
        running.shutdown().await;
        Ok(())
    })
}

pub fn demo_provider(args: &[String]) -> Result<()> {
    let mut listen = None;
    let mut key = None;
    let mut cert = None;
    let mut delay = 0u64;
    let mut it = args.iter();
    while let Some(x) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .with_context(|| format!("{name} needs a value"))
        };
        match x.as_str() {
            "--listen" => listen = Some(value("--listen")?),
            "--key" => key = Some(value("--key")?),
            "--cert" => cert = Some(value("--cert")?),
            "--delay-ms" => delay = value("--delay-ms")?.parse().context("--delay-ms")?,
            f => bail!("unknown argument `{f}`\n{}", crate::USAGE),
        }
    }
    let listen: std::net::SocketAddr = listen
        .context("--listen ADDR:PORT is required")?
        .parse()
        .context("--listen")?;
    let key_path = key.context("--key KEY is required")?;
    let cert_path = cert.context("--cert CERT is required")?;
    let key =
        PrivateKey::from_pem(&read_file(&key_path, 1 << 20)?).with_context(|| key_path.clone())?;
    let certificate = Certificate::from_pem(&read_file(&cert_path, 1 << 20)?)
        .with_context(|| cert_path.clone())?;
    let signer = SoftwareSigner::with_default_algorithm(key).context("--key")?;
    let _logs = logging();
    runtime()?.block_on(async move {
        let provider =
            rsmev_gateway::demo::Provider::new(signer, certificate, Duration::from_millis(delay));
        let running = rsmev_gateway::demo::serve(listen, provider).await?;
        tracing::info!(addr = %running.addr, "demo provider serving");
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        running.stop();
        Ok(())
    })
}
