//! A circuit breaker per upstream: after `threshold` consecutive failures an upstream is
//! skipped (callers get `RSMEV-UPSTREAM-UNAVAILABLE` at once) for `cooldown`; then one trial
//! request is let through, and its outcome closes or re-opens the circuit. A provider that is
//! down then costs each caller a fast fault instead of a timeout, and gets room to recover.
//!
//! Every admitted request holds a [`Pass`]; whatever happens to the request — it fails, it
//! succeeds, or its client goes away and the future is dropped mid-way — the pass reports on
//! drop. A trial that reports nothing counts as failed (the circuit re-opens for one cooldown),
//! and a half-open circuit that hears nothing for `cooldown` lets a new trial through: an
//! upstream is never refused forever for want of news.

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
    /// One trial is in flight (since `since`, numbered `trial`); others are refused until it
    /// reports.
    HalfOpen {
        since: Instant,
        trial: u64,
    },
}

pub struct Breakers {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    states: HashMap<String, State>,
    trials: u64,
}

/// What a pass's request turned out to be, for the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// The upstream answered (whatever the answer's merits).
    Success,
    /// No connection, a timeout or a transport error.
    Failure,
    /// Nothing the upstream is to blame for (our own refusal before sending).
    Neutral,
}

/// Leave to send one request to an upstream; reports to the circuit when dropped.
#[must_use]
pub struct Pass<'b> {
    breakers: &'b Breakers,
    upstream: String,
    /// `Some(n)` when this is the half-open circuit's trial number `n`.
    trial: Option<u64>,
    report: Option<(Report, Instant)>,
    /// When it was admitted: nothing is reported earlier.
    at: Instant,
}

impl Pass<'_> {
    pub fn report(&mut self, r: Report) {
        self.report_at(r, Instant::now());
    }

    /// [`Pass::report`] at a given instant (a cooldown starts from the failure).
    pub fn report_at(&mut self, r: Report, at: Instant) {
        self.report = Some((r, at.max(self.at)));
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        let (report, now) = match self.report {
            Some((r, at)) => (Some(r), at),
            None => (None, Instant::now().max(self.at)),
        };
        match (report, self.trial) {
            (Some(Report::Success), _) => self.breakers.success(&self.upstream, self.trial),
            (Some(Report::Failure), _) => self.breakers.failure(&self.upstream, self.trial, now),
            // A trial whose request went nowhere, or whose client gave up, proves nothing:
            // the circuit re-opens for one cooldown and tries again then.
            (Some(Report::Neutral) | None, Some(_)) => {
                self.breakers.failure(&self.upstream, self.trial, now)
            }
            (Some(Report::Neutral) | None, None) => {}
        }
    }
}

/// May the request go?
pub enum Admit<'b> {
    Go(Pass<'b>),
    /// The circuit is open; the reason names until when.
    Refuse(String),
}

impl Breakers {
    pub fn new(threshold: u32, cooldown: Duration) -> Breakers {
        Breakers {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves a consistent map (every update is one insert).
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn admit(&self, upstream: &str, now: Instant) -> Admit<'_> {
        let mut inner = self.lock();
        let next_trial = inner.trials + 1;
        let state = inner
            .states
            .entry(upstream.to_string())
            .or_insert(State::Closed { failures: 0 });
        let trial = match *state {
            State::Closed { .. } => None,
            State::Open { until } if now >= until => Some(next_trial),
            // The trial went silent (its pass was leaked or is stuck): try another.
            State::HalfOpen { since, .. } if now.duration_since(since) >= self.cooldown => {
                Some(next_trial)
            }
            State::Open { until } => {
                return Admit::Refuse(format!(
                    "circuit open after repeated failures; next trial in {} ms",
                    until.saturating_duration_since(now).as_millis()
                ));
            }
            State::HalfOpen { .. } => {
                return Admit::Refuse("circuit half-open: a trial request is in flight".into());
            }
        };
        if let Some(n) = trial {
            *state = State::HalfOpen {
                since: now,
                trial: n,
            };
            inner.trials = n;
        }
        Admit::Go(Pass {
            breakers: self,
            upstream: upstream.to_string(),
            trial,
            report: None,
            at: now,
        })
    }

    /// Reports from a trial that is no longer the current one are ignored: a newer trial
    /// decides, or already has.
    fn stale(state: &State, trial: Option<u64>) -> bool {
        match (state, trial) {
            (_, None) => false,
            (State::HalfOpen { trial: current, .. }, Some(t)) => *current != t,
            (_, Some(_)) => true,
        }
    }

    fn success(&self, upstream: &str, trial: Option<u64>) {
        let mut inner = self.lock();
        if let Some(s) = inner.states.get(upstream)
            && Self::stale(s, trial)
        {
            return;
        }
        inner
            .states
            .insert(upstream.to_string(), State::Closed { failures: 0 });
    }

    fn failure(&self, upstream: &str, trial: Option<u64>, now: Instant) {
        let mut inner = self.lock();
        let state = inner
            .states
            .entry(upstream.to_string())
            .or_insert(State::Closed { failures: 0 });
        if Self::stale(state, trial) {
            return;
        }
        *state = match *state {
            State::Closed { failures } if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            // An open circuit stays as it is: late failures of requests sent before it
            // opened do not push its trial further away.
            State::Open { until } => State::Open { until },
            _ => State::Open {
                until: now + self.cooldown,
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go<'b>(b: &'b Breakers, u: &str, t: Instant) -> Pass<'b> {
        match b.admit(u, t) {
            Admit::Go(p) => p,
            Admit::Refuse(why) => panic!("refused: {why}"),
        }
    }

    fn refused(b: &Breakers, u: &str, t: Instant) -> bool {
        matches!(b.admit(u, t), Admit::Refuse(_))
    }

    fn fail(b: &Breakers, u: &str, t: Instant) {
        go(b, u, t).report_at(Report::Failure, t);
    }

    #[test]
    fn opens_after_threshold_then_half_opens_and_closes() {
        let b = Breakers::new(3, Duration::from_secs(10));
        let t0 = Instant::now();
        let u = "http://p";
        for _ in 0..3 {
            fail(&b, u, t0);
        }
        assert!(refused(&b, u, t0));
        assert!(refused(&b, u, t0 + Duration::from_secs(9)));
        // After the cooldown one trial goes; others wait for it.
        let later = t0 + Duration::from_secs(10);
        let mut trial = go(&b, u, later);
        assert!(refused(&b, u, later));
        // A failed trial re-opens…
        trial.report_at(Report::Failure, later);
        drop(trial);
        assert!(refused(&b, u, later));
        // …a successful one closes.
        let again = later + Duration::from_secs(10);
        go(&b, u, again).report(Report::Success);
        drop(go(&b, u, again));
        // Other upstreams are independent.
        drop(go(&b, "http://q", t0));
    }

    #[test]
    fn success_resets_the_count() {
        let b = Breakers::new(2, Duration::from_secs(1));
        let t = Instant::now();
        fail(&b, "u", t);
        go(&b, "u", t).report(Report::Success);
        fail(&b, "u", t);
        drop(go(&b, "u", t));
    }

    /// A trial whose client went away (the pass dropped without a report) must not leave the
    /// circuit half-open forever: it re-opens for one cooldown, then a new trial goes.
    #[test]
    fn a_cancelled_trial_is_released() {
        let cd = Duration::from_secs(10);
        let b = Breakers::new(1, cd);
        let t0 = Instant::now();
        fail(&b, "u", t0);
        let trial = go(&b, "u", t0 + cd);
        drop(trial);
        assert!(refused(&b, "u", t0 + cd + Duration::from_secs(1)));
        go(&b, "u", t0 + 2 * cd).report(Report::Success);
        drop(go(&b, "u", t0 + 2 * cd));
    }

    /// A trial that never reports (leaked) is superseded after a cooldown; its late report
    /// changes nothing.
    #[test]
    fn a_silent_half_open_circuit_times_out() {
        let cd = Duration::from_secs(10);
        let b = Breakers::new(1, cd);
        let t0 = Instant::now();
        fail(&b, "u", t0);
        let silent = go(&b, "u", t0 + cd);
        assert!(refused(&b, "u", t0 + cd + Duration::from_secs(5)));
        let mut second = go(&b, "u", t0 + 2 * cd);
        second.report(Report::Success);
        drop(second);
        drop(silent); // stale: ignored
        drop(go(&b, "u", t0 + 2 * cd));
        drop(go(&b, "u", t0 + 2 * cd));
    }

    #[test]
    fn neutral_reports_do_not_count() {
        let b = Breakers::new(1, Duration::from_secs(10));
        let t = Instant::now();
        for _ in 0..5 {
            go(&b, "u", t).report(Report::Neutral);
        }
        drop(go(&b, "u", t));
    }
}
