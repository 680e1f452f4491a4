//! The exchange journal: one JSON line per exchange (relayed, refused or abandoned) in
//! append-only files the operator archives — who sent what, when, to which service and
//! upstream, with what outcome, and the SHA-256 of the bytes received and sent back, so a
//! disputed message can be matched against either side's copy.
//!
//! Exchanges never wait for the disk: records go through a bounded queue to one writer
//! thread, which writes and `fsync`s them as a group at least every `flush_interval` (a crash
//! loses at most that much). Files are never reopened for appending — each start and each
//! rotation (size, or a new UTC day) makes a new one — so a torn last line from a crash stays
//! in its own file. A record the queue cannot take, or the writer cannot write, is counted
//! and logged; while writing fails, the journal is unhealthy, `/readyz` says so, and with
//! `required` the gateway refuses new exchanges rather than relay them unrecorded.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};

/// Records waiting for the writer; past this the gateway is out-running its disk.
const QUEUE: usize = 65_536;

#[derive(Clone, Debug)]
pub struct JournalConfig {
    pub dir: PathBuf,
    pub flush_interval: Duration,
    pub max_file_bytes: u64,
    pub required: bool,
}

/// One exchange, as the journal keeps it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// When the request arrived, RFC 3339 UTC with milliseconds.
    pub ts: String,
    pub peer: String,
    /// `relayed`, `refused` or `cancelled`.
    pub outcome: String,
    /// The fault code of a refusal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    /// The sending information system's mnemonic, or `federal SMEV`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message_id: Option<String>,
    /// The node remembers `message_id` for this sender (it reached, or may have reached, the
    /// upstream): read back at start so a restart does not reopen the replay window.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub id_remembered: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub upstream: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub upstream_status: Option<u16>,
    pub ms: u64,
    pub request_bytes: u64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub request_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub response_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub response_sha256: Option<String>,
    /// Why it was refused, as the fault says.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// What the journal counts, registered with the gateway's metrics.
#[derive(Clone, Default)]
pub struct JournalMetrics {
    pub written: Counter,
    /// Records lost: the queue was full, or the writer could not write them.
    pub lost: Counter,
    pub write_errors: Counter,
}

/// What exchanges hand the writer. Recording only pushes under the lock — the writer is not
/// woken per record (a wake-up per exchange costs a context switch per exchange); it wakes
/// every flush interval, for a sync, or when the queue is half full.
#[derive(Default)]
struct Queue {
    records: Vec<Record>,
    /// Callers of `sync` waiting for everything before them to be on disk.
    syncs: Vec<std::sync::mpsc::Sender<()>>,
    closed: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub struct Journal {
    shared: Arc<Shared>,
    healthy: Arc<AtomicBool>,
    required: bool,
    metrics: JournalMetrics,
    dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("journal {dir}: {reason}")]
pub struct JournalError {
    pub dir: String,
    pub reason: String,
}

impl Journal {
    /// Creates the directory if needed and the first file, or fails: a journal that cannot
    /// be written at start is a configuration error, not something to discover later.
    pub fn open(config: &JournalConfig, metrics: JournalMetrics) -> Result<Journal, JournalError> {
        let err = |reason: String| JournalError {
            dir: config.dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(&config.dir).map_err(|e| err(e.to_string()))?;
        let file = Segment::create(&config.dir, SystemTime::now()).map_err(&err)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let healthy = Arc::new(AtomicBool::new(true));
        let writer = Writer {
            dir: config.dir.clone(),
            flush_interval: config.flush_interval,
            max_file_bytes: config.max_file_bytes,
            segment: Some(file),
            buf: Vec::with_capacity(1 << 16),
            pending: 0,
            healthy: healthy.clone(),
            metrics: metrics.clone(),
        };
        // The thread ends, after a last flush, when the journal is dropped.
        let theirs = shared.clone();
        std::thread::Builder::new()
            .name("rsmev-journal".into())
            .spawn(move || writer.run(&theirs))
            .map_err(|e| err(e.to_string()))?;
        Ok(Journal {
            shared,
            healthy,
            required: config.required,
            metrics,
            dir: config.dir.clone(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Hands a record to the writer; never blocks.
    pub fn record(&self, record: Record) {
        let mut q = self.shared.lock();
        if q.records.len() >= QUEUE {
            drop(q);
            self.metrics.lost.inc();
            self.healthy.store(false, Ordering::Relaxed);
            tracing::error!("journal queue full: a record is lost (the disk is too slow)");
            return;
        }
        q.records.push(record);
        if q.records.len() == QUEUE / 2 {
            self.shared.wake.notify_one();
        }
    }

    /// Whether the last write succeeded and no record has been lost since.
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Relaxed)
    }

    /// Exchanges must be refused while the journal cannot record them.
    pub fn blocks_exchanges(&self) -> bool {
        self.required && !self.healthy()
    }

    /// Writes and fsyncs everything recorded so far (shutdown, tests).
    pub fn sync(&self) {
        let (ack, done) = std::sync::mpsc::channel();
        self.shared.lock().syncs.push(ack);
        self.shared.wake.notify_one();
        let _ = done.recv();
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

struct Segment {
    file: File,
    path: PathBuf,
    bytes: u64,
    day: u64,
}

impl Segment {
    fn create(dir: &Path, now: SystemTime) -> Result<Segment, String> {
        let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let stamp = crate::node::timestamp(now).replace([':', '-'], "");
        // Two files in one second (a rotation right after start) get a suffix.
        let mut path = dir.join(format!("exchanges-{stamp}.jsonl"));
        let mut n = 1;
        while path.exists() {
            path = dir.join(format!("exchanges-{stamp}-{n}.jsonl"));
            n += 1;
        }
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        // The new name must survive a crash too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Segment {
            file,
            path,
            bytes: 0,
            day: secs / 86_400,
        })
    }
}

struct Writer {
    dir: PathBuf,
    flush_interval: Duration,
    max_file_bytes: u64,
    segment: Option<Segment>,
    buf: Vec<u8>,
    pending: u64,
    healthy: Arc<AtomicBool>,
    metrics: JournalMetrics,
}

impl Writer {
    fn run(mut self, shared: &Shared) {
        loop {
            let (records, syncs, closed) = {
                let mut q = shared.lock();
                if q.syncs.is_empty() && !q.closed && q.records.len() < QUEUE / 2 {
                    q = shared
                        .wake
                        .wait_timeout(q, self.flush_interval)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                (
                    std::mem::take(&mut q.records),
                    std::mem::take(&mut q.syncs),
                    q.closed,
                )
            };
            for r in &records {
                // serde_json cannot fail on this struct: plain strings and numbers.
                if serde_json::to_writer(&mut self.buf, r).is_ok() {
                    self.buf.push(b'\n');
                    self.pending += 1;
                }
            }
            self.flush();
            for ack in syncs {
                let _ = ack.send(());
            }
            if closed {
                return;
            }
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        match self.write() {
            Ok(()) => {
                self.metrics.written.inc_by(self.pending);
                self.buf.clear();
                self.pending = 0;
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!("journal writes again");
                }
            }
            Err(e) => {
                self.metrics.write_errors.inc();
                // Retried with the next flush, as long as the buffer stays bounded.
                if self.buf.len() > 64 << 20 {
                    self.metrics.lost.inc_by(self.pending);
                    self.buf.clear();
                    self.pending = 0;
                }
                if self.healthy.swap(false, Ordering::Relaxed) {
                    tracing::error!(error = %e, "journal write failed");
                }
                // A failed file is not written to again: the next try starts a new one.
                self.segment = None;
            }
        }
    }

    fn write(&mut self) -> Result<(), String> {
        let now = SystemTime::now();
        let today = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs() / 86_400;
        let rotate = match &self.segment {
            None => true,
            Some(s) => s.day != today || s.bytes >= self.max_file_bytes,
        };
        if rotate {
            self.segment = Some(Segment::create(&self.dir, now)?);
        }
        let s = self.segment.as_mut().expect("just made");
        s.file
            .write_all(&self.buf)
            .and_then(|()| s.file.sync_data())
            .map_err(|e| format!("{}: {e}", s.path.display()))?;
        s.bytes += self.buf.len() as u64;
        Ok(())
    }
}

/// RFC 3339, UTC, milliseconds.
pub fn rfc3339_ms(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_millis();
    let s = crate::node::timestamp(t);
    format!("{}.{ms:03}Z", s.trim_end_matches('Z'))
}

/// (sender, message id, when the request arrived).
pub type RememberedId = (String, String, SystemTime);

/// Reads back, from the journal files of the last `window`, the MessageIDs the node
/// remembers, oldest first. Reads files
/// newest first, at most `max_bytes` of them, and keeps at most `limit` ids; the second value
/// says how many files were left unread for the byte bound. A torn last line (a crash) is
/// skipped.
pub fn remembered_ids(
    dir: &Path,
    window: Duration,
    limit: usize,
    max_bytes: u64,
) -> Result<(Vec<RememberedId>, usize), String> {
    let now = SystemTime::now();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut files: Vec<(SystemTime, PathBuf, u64)> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("exchanges-") && name.ends_with(".jsonl")
        })
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, e.path(), m.len()))
        })
        // Files last written before the window hold nothing still remembered.
        .filter(|(m, _, _)| now.duration_since(*m).unwrap_or_default() <= window)
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    let mut out = Vec::new();
    let mut budget = max_bytes;
    let mut skipped = 0;
    for (_, path, len) in files {
        if len > budget {
            skipped += 1;
            continue;
        }
        let text = crate::config::read_bounded(&path, budget)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        budget -= text.len() as u64;
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(r) = serde_json::from_slice::<Record>(line) else {
                continue;
            };
            let (true, Some(sender), Some(id)) = (r.id_remembered, r.sender, r.message_id) else {
                continue;
            };
            let Some(at) = parse_rfc3339_ms(&r.ts) else {
                continue;
            };
            if now.duration_since(at).unwrap_or_default() <= window {
                out.push((sender, id, at));
            }
        }
    }
    out.sort_by_key(|x| x.2);
    if out.len() > limit {
        out.drain(..out.len() - limit);
    }
    Ok((out, skipped))
}

/// Parses what [`rfc3339_ms`] writes.
fn parse_rfc3339_ms(s: &str) -> Option<SystemTime> {
    let (secs, ms) = (s.get(..19)?, s.get(19..)?);
    let ms = ms.strip_prefix('.')?.strip_suffix('Z')?;
    if ms.len() != 3 || !ms.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let at = rsmev_registry::time::parse_utc(&format!("{secs}Z")).ok()?;
    Some(at + Duration::from_millis(ms.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "rsmev-journal-{tag}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn files(d: &Path) -> Vec<PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn timestamps_round_trip() {
        for secs in [0u64, 951_782_400, 1_796_083_199, 4_102_444_800] {
            let t = UNIX_EPOCH + Duration::from_millis(secs * 1000 + 123);
            let s = rfc3339_ms(t);
            assert_eq!(parse_rfc3339_ms(&s), Some(t), "{s}");
        }
        assert_eq!(
            rfc3339_ms(UNIX_EPOCH + Duration::from_millis(951_782_400_007)),
            "2000-02-29T00:00:00.007Z"
        );
        assert_eq!(parse_rfc3339_ms("2000-02-29T00:00:00Z"), None);
    }

    #[test]
    fn records_are_written_synced_and_read_back() {
        let d = dir("rw");
        let m = JournalMetrics::default();
        let j = Journal::open(
            &JournalConfig {
                dir: d.clone(),
                flush_interval: Duration::from_secs(3600),
                max_file_bytes: 1 << 30,
                required: true,
            },
            m.clone(),
        )
        .unwrap();
        let now = SystemTime::now();
        for n in 0..3u64 {
            j.record(Record {
                ts: rfc3339_ms(now),
                peer: "127.0.0.1:5000".into(),
                outcome: "relayed".into(),
                sender: Some("MFC440001".into()),
                message_id: Some(crate::node::message_id(now, n)),
                id_remembered: n != 1,
                request_bytes: 10,
                request_sha256: Some(sha256_hex(b"0123456789")),
                ..Record::default()
            });
        }
        j.sync();
        assert_eq!(m.written.get(), 3);
        assert!(j.healthy() && !j.blocks_exchanges());
        let f = files(&d);
        assert_eq!(f.len(), 1);
        let text = std::fs::read_to_string(&f[0]).unwrap();
        assert_eq!(text.lines().count(), 3);
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        // SHA-256 of "0123456789", as `printf 0123456789 | sha256sum` prints it.
        assert_eq!(
            first["request_sha256"],
            "84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882"
        );
        assert_eq!(first["outcome"], "relayed");
        assert!(first.get("code").is_none(), "absent fields are left out");
        // A torn line from a crash is skipped, the rest read back.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&f[0])
            .unwrap()
            .write_all(b"{\"ts\":\"2026-")
            .unwrap();
        let (ids, skipped) = remembered_ids(&d, Duration::from_secs(86_400), 100, 1 << 20).unwrap();
        assert_eq!((ids.len(), skipped), (2, 0));
        assert_eq!(ids[0].1, crate::node::message_id(now, 0));
        assert_eq!(ids[1].1, crate::node::message_id(now, 2));
        // Bounded: the newest are kept.
        let (ids, _) = remembered_ids(&d, Duration::from_secs(86_400), 1, 1 << 20).unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].1, crate::node::message_id(now, 2));
        let (ids, skipped) = remembered_ids(&d, Duration::from_secs(86_400), 100, 16).unwrap();
        assert_eq!((ids.len(), skipped), (0, 1));
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn rotates_by_size_into_new_files() {
        let d = dir("rotate");
        let j = Journal::open(
            &JournalConfig {
                dir: d.clone(),
                flush_interval: Duration::from_secs(3600),
                max_file_bytes: 1,
                required: false,
            },
            JournalMetrics::default(),
        )
        .unwrap();
        for _ in 0..3 {
            j.record(Record {
                outcome: "refused".into(),
                ..Record::default()
            });
            j.sync();
        }
        // The first file, full after one write, then one per write.
        assert_eq!(files(&d).len(), 3);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_unwritable_journal_is_refused_at_start() {
        let d = dir("ro");
        let blocker = d.join("not-a-dir");
        std::fs::write(&blocker, b"x").unwrap();
        let r = Journal::open(
            &JournalConfig {
                dir: blocker,
                flush_interval: Duration::from_secs(1),
                max_file_bytes: 1 << 20,
                required: true,
            },
            JournalMetrics::default(),
        );
        assert!(r.is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
