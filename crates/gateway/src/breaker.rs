//! A circuit breaker per upstream: after `threshold` consecutive failures an upstream is
//! skipped (callers get `RSMEV-UPSTREAM-UNAVAILABLE` at once) for `cooldown`; then one trial
//! request is let through, and its outcome closes or re-opens the circuit. A provider that is
//! down then costs each caller a fast fault instead of a timeout, and gets room to recover.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// One trial is in flight; others are refused until it reports.
    HalfOpen,
}

pub struct Breakers {
    threshold: u32,
    cooldown: Duration,
    states: Mutex<HashMap<String, State>>,
}

/// May the request go?
#[derive(Debug, PartialEq, Eq)]
pub enum Admit {
    Go,
    /// The circuit is open; the reason names until when.
    Refuse(String),
}

impl Breakers {
    pub fn new(threshold: u32, cooldown: Duration) -> Breakers {
        Breakers {
            threshold: threshold.max(1),
            cooldown,
            states: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, State>> {
        // A panic while holding this lock leaves a consistent map (every update is one insert).
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn admit(&self, upstream: &str, now: Instant) -> Admit {
        let mut states = self.lock();
        let state = states
            .entry(upstream.to_string())
            .or_insert(State::Closed { failures: 0 });
        match *state {
            State::Closed { .. } => Admit::Go,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen;
                Admit::Go
            }
            State::Open { until } => Admit::Refuse(format!(
                "circuit open after repeated failures; next trial in {} ms",
                until.saturating_duration_since(now).as_millis()
            )),
            State::HalfOpen => {
                Admit::Refuse("circuit half-open: a trial request is in flight".into())
            }
        }
    }

    pub fn success(&self, upstream: &str) {
        self.lock()
            .insert(upstream.to_string(), State::Closed { failures: 0 });
    }

    pub fn failure(&self, upstream: &str, now: Instant) {
        let mut states = self.lock();
        let state = states
            .entry(upstream.to_string())
            .or_insert(State::Closed { failures: 0 });
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            _ => State::Open {
                until: now + self.cooldown,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_threshold_then_half_opens_and_closes() {
        let b = Breakers::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        let u = "http://p";
        for _ in 0..2 {
            assert_eq!(b.admit(u, t0), Admit::Go);
            b.failure(u, t0);
        }
        assert_eq!(b.admit(u, t0), Admit::Go);
        b.failure(u, t0);
        assert!(matches!(b.admit(u, t0), Admit::Refuse(_)));
        assert!(matches!(
            b.admit(u, t0 + Duration::from_secs(9)),
            Admit::Refuse(_)
        ));
        // After the cooldown one trial goes; others wait for it.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(b.admit(u, later), Admit::Go);
        assert!(matches!(b.admit(u, later), Admit::Refuse(_)));
        // A failed trial re-opens, a successful one closes.
        b.failure(u, later);
        assert!(matches!(b.admit(u, later), Admit::Refuse(_)));
        let again = later + Duration::from_secs(10);
        assert_eq!(b.admit(u, again), Admit::Go);
        b.success(u);
        assert_eq!(b.admit(u, again), Admit::Go);
        // Other upstreams are independent.
        assert_eq!(b.admit("http://q", t0), Admit::Go);
    }

    #[test]
    fn success_resets_the_count() {
        let b = Breakers::new(2, Duration::from_secs(1));
        let t = Instant::now();
        b.failure("u", t);
        b.success("u");
        b.failure("u", t);
        assert_eq!(b.admit("u", t), Admit::Go);
    }
}
