//! Reading a request body under the node's bounds, taken before the bytes are held: the
//! declared length against `max_body_bytes`; every chunk against one process-wide byte budget
//! (`body_budget_bytes`), reserved before it is kept, so a thousand slow uploads cannot hold
//! more memory than the budget; the whole body within `body_timeout`; and, after
//! `body_min_rate_grace`, at least `body_min_rate` bytes a second on average — a client that
//! sends a byte now and then to keep its connection is cut off. The exchange's slot is taken
//! only once the body is read (`exchange.rs`), so stalled uploads never hold one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use prometheus_client::metrics::gauge::Gauge;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;

/// The budget is counted in KiB: a semaphore of bytes would overflow its permit count.
const UNIT: usize = 1024;

/// The process-wide budget of buffered request bodies.
pub struct BodyBudget {
    units: Arc<Semaphore>,
    used: Gauge,
}

/// Budget held by one body; given back when dropped (when the exchange ends).
pub struct Held {
    permit: Option<OwnedSemaphorePermit>,
    used: Gauge,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(p) = self.permit.take() {
            self.used.dec_by((p.num_permits() * UNIT) as i64);
        }
    }
}

impl BodyBudget {
    pub fn new(bytes: usize, used: Gauge) -> BodyBudget {
        BodyBudget {
            units: Arc::new(Semaphore::new(bytes.div_ceil(UNIT))),
            used,
        }
    }

    fn empty(&self) -> Held {
        Held {
            permit: None,
            used: self.used.clone(),
        }
    }

    /// Grows `held` to cover `total` bytes, or says the budget is spent.
    fn cover(&self, held: &mut Held, total: usize) -> bool {
        let want = total.div_ceil(UNIT);
        let have = held.permit.as_ref().map_or(0, |p| p.num_permits());
        if want <= have {
            return true;
        }
        let Ok(more) = u32::try_from(want - have) else {
            return false;
        };
        match self.units.clone().try_acquire_many_owned(more) {
            Ok(p) => {
                self.used.inc_by((more as usize * UNIT) as i64);
                match &mut held.permit {
                    Some(h) => h.merge(p),
                    None => held.permit = Some(p),
                }
                true
            }
            Err(_) => false,
        }
    }
}

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the body exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the body did not arrive within {0:?}")]
    Deadline(Duration),
    #[error(
        "the body arrives at under {rate} bytes/s ({received} bytes after {elapsed:?}): too slow"
    )]
    TooSlow {
        rate: u64,
        received: usize,
        elapsed: Duration,
    },
    #[error("the node's budget for buffered request bodies is spent; retry later")]
    Budget,
    #[error("reading the body: {0}")]
    Transport(String),
}

impl BodyError {
    pub fn fault_code(&self) -> rsmev_fault::FaultCode {
        use rsmev_fault::FaultCode;
        match self {
            BodyError::TooLarge { .. } => FaultCode::MessageTooLarge,
            BodyError::Deadline(_) | BodyError::TooSlow { .. } => FaultCode::RequestTimeout,
            BodyError::Budget => FaultCode::Overloaded,
            BodyError::Transport(_) => FaultCode::MalformedMessage,
        }
    }
}

/// Reads the whole body under the limits; the bytes come with the budget they hold.
pub async fn read(
    mut body: Incoming,
    limits: &Limits,
    budget: &BodyBudget,
) -> Result<(Bytes, Held), BodyError> {
    let start = Instant::now();
    let deadline = start + limits.body_timeout;
    let rate = limits.body_min_rate.max(1);
    let mut held = budget.empty();
    let mut buf = BytesMut::new();
    loop {
        // The later of "the grace is over" and "what has come covers the rate so far".
        let covered = Duration::from_secs_f64(buf.len() as f64 / rate as f64);
        let slow_at = start + limits.body_min_rate_grace + covered;
        let wait_until = slow_at.min(deadline);
        let frame = match tokio::time::timeout_at(wait_until.into(), body.frame()).await {
            Ok(f) => f,
            Err(_) => {
                let elapsed = start.elapsed();
                return Err(if Instant::now() >= deadline {
                    BodyError::Deadline(limits.body_timeout)
                } else {
                    BodyError::TooSlow {
                        rate,
                        received: buf.len(),
                        elapsed,
                    }
                });
            }
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| BodyError::Transport(e.to_string()))?;
        let Ok(data) = frame.into_data() else {
            // Trailers carry nothing SMEV uses.
            continue;
        };
        let total = buf.len() + data.len();
        if total > limits.max_body_bytes {
            return Err(BodyError::TooLarge {
                limit: limits.max_body_bytes,
            });
        }
        if !budget.cover(&mut held, total) {
            return Err(BodyError::Budget);
        }
        buf.extend_from_slice(&data);
    }
    Ok((buf.freeze(), held))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_shared_and_given_back() {
        let used = Gauge::default();
        let b = BodyBudget::new(4 * UNIT, used.clone());
        let mut one = b.empty();
        assert!(b.cover(&mut one, 3 * UNIT));
        assert!(b.cover(&mut one, 3 * UNIT + 1));
        assert_eq!(used.get(), 4 * UNIT as i64);
        let mut two = b.empty();
        assert!(!b.cover(&mut two, 1));
        drop(one);
        assert_eq!(used.get(), 0);
        assert!(b.cover(&mut two, 4 * UNIT));
    }
}
