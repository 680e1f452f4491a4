//! The CPU-bound work of an exchange (parse, canonicalize, verify, sign) runs here, on a fixed
//! set of threads sized to the cores with a bounded queue, never on the async workers: while
//! every core verifies, the async workers still accept connections and answer health, metrics
//! and admin calls. A job the queue cannot take is refused at once (`RSMEV-OVERLOADED`) rather
//! than queued without bound, as tokio's blocking pool would.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;

type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool is full: every thread busy and the queue at its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("all {threads} verification threads are busy and {queued} messages wait")]
pub struct Busy {
    pub threads: usize,
    pub queued: usize,
}

#[derive(Clone, Default)]
pub struct CpuMetrics {
    /// Jobs waiting or running.
    pub queued: Gauge,
    pub refused: Counter,
}

pub struct CpuPool {
    tx: SyncSender<Job>,
    threads: usize,
    depth: usize,
    waiting: Arc<AtomicUsize>,
    metrics: CpuMetrics,
}

impl CpuPool {
    /// `threads` 0 means one per core.
    pub fn new(threads: usize, queue: usize, metrics: CpuMetrics) -> std::io::Result<CpuPool> {
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        } else {
            threads
        };
        let (tx, rx) = sync_channel::<Job>(queue);
        let rx = Arc::new(std::sync::Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("rsmev-cpu-{i}"))
                .spawn(move || {
                    loop {
                        // One thread at a time waits on the channel; the lock is not held
                        // while a job runs.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(p) => p.into_inner().recv(),
                        };
                        match job {
                            Ok(job) => job(),
                            // The pool was dropped.
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(CpuPool {
            tx,
            threads,
            depth: queue,
            waiting: Arc::new(AtomicUsize::new(0)),
            metrics,
        })
    }

    /// Runs `f` on a pool thread and waits for it without blocking the async worker.
    pub async fn run<T, F>(&self, f: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (done, result) = tokio::sync::oneshot::channel();
        let waiting = self.waiting.clone();
        let gauge = self.metrics.queued.clone();
        let job: Job = Box::new(move || {
            // The caller may have gone (client hung up): the work is still bounded by the
            // queue, and its result is simply dropped.
            let result = f();
            waiting.fetch_sub(1, Ordering::Relaxed);
            gauge.dec();
            let _ = done.send(result);
        });
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.metrics.queued.inc();
        match self.tx.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                self.metrics.queued.dec();
                self.metrics.refused.inc();
                return Err(Busy {
                    threads: self.threads,
                    queued: self.depth,
                });
            }
        }
        // A job always sends before it is dropped unless it panicked; a panic in
        // verification is a bug, reported as a busy pool rather than taking the worker down.
        result.await.map_err(|_| Busy {
            threads: self.threads,
            queued: self.depth,
        })
    }

    pub fn threads(&self) -> usize {
        self.threads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_jobs_and_refuses_past_the_queue() {
        let metrics = CpuMetrics::default();
        let pool = Arc::new(CpuPool::new(1, 2, metrics.clone()).unwrap());
        assert_eq!(pool.run(|| 6 * 7).await, Ok(42));
        // One running and two queued fill it; the fourth is refused at once.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let mut jobs = Vec::new();
        for n in 1..=3 {
            let (pool2, gate) = (pool.clone(), gate.clone());
            jobs.push(tokio::spawn(async move {
                pool2
                    .run(move || {
                        let _ = gate.lock().unwrap().recv_timeout(Duration::from_secs(20));
                    })
                    .await
            }));
            let t = Instant::now();
            while pool.waiting.load(Ordering::Relaxed) < n {
                assert!(t.elapsed() < Duration::from_secs(10));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // The first is taken off the channel by the thread before the others come.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let t = Instant::now();
        assert_eq!(
            pool.run(|| ()).await,
            Err(Busy {
                threads: 1,
                queued: 2
            })
        );
        assert!(t.elapsed() < Duration::from_millis(500));
        assert_eq!(metrics.refused.get(), 1);
        for _ in 0..3 {
            let _ = release.send(());
        }
        for j in jobs {
            assert_eq!(j.await.unwrap(), Ok(()));
        }
        assert_eq!(pool.run(|| 1).await, Ok(1));
        assert_eq!(metrics.queued.get(), 0);
    }
}
