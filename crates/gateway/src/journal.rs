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
//!
//! The journal's size is bounded (`max_total_bytes`, optionally `max_age_days`): the oldest
//! files go first, counted. Beside each exchange file an `admitted-*.jsonl` file holds only
//! the replay keys of admitted messages, which a restart reads back; refusals never go there.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus_client::metrics::counter::Counter;
use serde::{Deserialize, Serialize};

pub use crate::config::JournalConfig;
use crate::telemetry::Outcome;

/// Records waiting for the writer; past this the gateway is out-running its disk.
const QUEUE: usize = 65_536;

/// One exchange, as the journal keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// When the request arrived, RFC 3339 UTC with milliseconds.
    pub ts: String,
    /// The id the caller's fault (or the log line) names, to find this record by.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub correlation: Option<String>,
    pub peer: String,
    pub outcome: Outcome,
    /// The fault code of a refusal.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    /// A summary's number of refusals.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<u64>,
    /// The sending information system's mnemonic, or `federal SMEV`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub environment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message_id: Option<String>,
    /// The node remembers this message (its MessageID and signature) for its sender: it
    /// reached, or may have reached, the upstream.
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
    /// Why it was refused (the full reason; the caller's fault may carry less).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
}

impl Default for Record {
    fn default() -> Record {
        Record {
            ts: String::new(),
            correlation: None,
            peer: String::new(),
            outcome: Outcome::Refused,
            code: None,
            count: None,
            sender: None,
            service: None,
            environment: None,
            message_id: None,
            id_remembered: false,
            upstream: None,
            upstream_status: None,
            ms: 0,
            request_bytes: 0,
            request_sha256: None,
            response_bytes: None,
            response_sha256: None,
            reason: None,
        }
    }
}

/// What the replay memory keeps of an admitted message, in its own files (`admitted-*.jsonl`):
/// refusals never go there, so no flood of them can push an admitted message's keys out of
/// what a restart reads back.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Admitted {
    pub ts: String,
    pub sender: String,
    /// The replay keys (hex): digests of the MessageID and of the signature.
    pub keys: Vec<String>,
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
    /// Files removed for `max_total_bytes` or `max_age_days`.
    pub files_removed: Counter,
}

/// What exchanges hand the writer. Recording only pushes under the lock — the writer is not
/// woken per record (a wake-up per exchange costs a context switch per exchange); it wakes
/// every flush interval, for a sync, or when the queue is half full.
#[derive(Default)]
struct Queue {
    records: Vec<Record>,
    admitted: Vec<Admitted>,
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
    /// Creates the directory if needed and the first files, or fails: a journal that cannot
    /// be written at start is a configuration error, not something to discover later.
    /// `admitted_for` is how long admitted messages' replay keys must stay readable.
    pub fn open(
        config: &JournalConfig,
        admitted_for: Duration,
        metrics: JournalMetrics,
    ) -> Result<Journal, JournalError> {
        let err = |reason: String| JournalError {
            dir: config.dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(&config.dir).map_err(|e| err(e.to_string()))?;
        let segment = Segment::create(&config.dir, SystemTime::now()).map_err(&err)?;
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
        });
        let healthy = Arc::new(AtomicBool::new(true));
        let mut writer = Writer {
            config: config.clone(),
            admitted_for,
            segment: Some(segment),
            buf: Vec::with_capacity(1 << 16),
            admitted_buf: Vec::new(),
            pending: 0,
            healthy: healthy.clone(),
            metrics: metrics.clone(),
        };
        writer.retain();
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
            self.lost();
            return;
        }
        q.records.push(record);
        if q.records.len() == QUEUE / 2 {
            self.shared.wake.notify_one();
        }
    }

    /// Hands an admitted message's replay keys to the writer; never blocks.
    pub fn admitted(&self, admitted: Admitted) {
        let mut q = self.shared.lock();
        if q.admitted.len() >= QUEUE {
            drop(q);
            self.lost();
            return;
        }
        q.admitted.push(admitted);
    }

    fn lost(&self) {
        self.metrics.lost.inc();
        self.healthy.store(false, Ordering::Relaxed);
        tracing::error!("journal queue full: a record is lost (the disk is too slow)");
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

/// One file the writer appends to.
struct SegmentFile {
    file: File,
    path: PathBuf,
    bytes: u64,
}

impl SegmentFile {
    fn create(dir: &Path, prefix: &str, stamp: &str) -> Result<SegmentFile, String> {
        // Two files in one second (a rotation right after start) get a suffix.
        let mut path = dir.join(format!("{prefix}-{stamp}.jsonl"));
        let mut n = 1;
        while path.exists() {
            path = dir.join(format!("{prefix}-{stamp}-{n}.jsonl"));
            n += 1;
        }
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(SegmentFile {
            file,
            path,
            bytes: 0,
        })
    }

    fn append(&mut self, buf: &[u8]) -> Result<(), String> {
        self.file
            .write_all(buf)
            .and_then(|()| self.file.sync_data())
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.bytes += buf.len() as u64;
        Ok(())
    }
}

/// The exchange records and the admitted messages' keys of one period.
struct Segment {
    exchanges: SegmentFile,
    admitted: SegmentFile,
    day: u64,
}

impl Segment {
    fn create(dir: &Path, now: SystemTime) -> Result<Segment, String> {
        let secs = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let stamp = rsmev_registry::time::format_utc(now).replace([':', '-'], "");
        let exchanges = SegmentFile::create(dir, "exchanges", &stamp)?;
        let admitted = SegmentFile::create(dir, "admitted", &stamp)?;
        // The new names must survive a crash too.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(Segment {
            exchanges,
            admitted,
            day: secs / 86_400,
        })
    }
}

struct Writer {
    config: JournalConfig,
    admitted_for: Duration,
    segment: Option<Segment>,
    buf: Vec<u8>,
    admitted_buf: Vec<u8>,
    pending: u64,
    healthy: Arc<AtomicBool>,
    metrics: JournalMetrics,
}

impl Writer {
    fn run(mut self, shared: &Shared) {
        loop {
            let (records, admitted, syncs, closed) = {
                let mut q = shared.lock();
                if q.syncs.is_empty() && !q.closed && q.records.len() < QUEUE / 2 {
                    q = shared
                        .wake
                        .wait_timeout(q, self.config.flush_interval)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
                (
                    std::mem::take(&mut q.records),
                    std::mem::take(&mut q.admitted),
                    std::mem::take(&mut q.syncs),
                    q.closed,
                )
            };
            for r in &records {
                // serde_json cannot fail on these structs: plain strings and numbers.
                if serde_json::to_writer(&mut self.buf, r).is_ok() {
                    self.buf.push(b'\n');
                    self.pending += 1;
                }
            }
            for a in &admitted {
                if serde_json::to_writer(&mut self.admitted_buf, a).is_ok() {
                    self.admitted_buf.push(b'\n');
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
        if self.buf.is_empty() && self.admitted_buf.is_empty() {
            return;
        }
        match self.write() {
            Ok(()) => {
                self.metrics.written.inc_by(self.pending);
                self.buf.clear();
                self.admitted_buf.clear();
                self.pending = 0;
                if !self.healthy.swap(true, Ordering::Relaxed) {
                    tracing::info!("journal writes again");
                }
            }
            Err(e) => {
                self.metrics.write_errors.inc();
                // Retried with the next flush, as long as the buffer stays bounded.
                if self.buf.len() + self.admitted_buf.len() > 64 << 20 {
                    self.metrics.lost.inc_by(self.pending);
                    self.buf.clear();
                    self.admitted_buf.clear();
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
            Some(s) => s.day != today || s.exchanges.bytes >= self.config.max_file_bytes,
        };
        if rotate {
            self.segment = Some(Segment::create(&self.config.dir, now)?);
            self.retain();
        }
        let s = self.segment.as_mut().expect("just made");
        // The keys first: a record saying "remembered" must never be on disk without them.
        if !self.admitted_buf.is_empty() {
            s.admitted.append(&self.admitted_buf)?;
        }
        if !self.buf.is_empty() {
            s.exchanges.append(&self.buf)?;
        }
        Ok(())
    }

    /// Removes what the retention bounds say must go: exchange files past `max_age`, then the
    /// oldest until the rest fit `max_total_bytes`; admitted-key files once their messages are
    /// out of the replay window. The files being written are never removed.
    fn retain(&mut self) {
        let now = SystemTime::now();
        let current: Vec<PathBuf> = self
            .segment
            .iter()
            .flat_map(|s| [s.exchanges.path.clone(), s.admitted.path.clone()])
            .collect();
        let mut exchanges = list(&self.config.dir, "exchanges-");
        exchanges.retain(|f| !current.contains(&f.path));
        // Oldest first.
        exchanges.sort_by_key(|f| f.modified);
        let current_bytes: u64 = self.segment.as_ref().map_or(0, |s| s.exchanges.bytes);
        let mut total: u64 = exchanges.iter().map(|f| f.len).sum::<u64>() + current_bytes;
        for f in &exchanges {
            let old = self
                .config
                .max_age
                .is_some_and(|a| now.duration_since(f.modified).unwrap_or_default() > a);
            if !old && total <= self.config.max_total_bytes {
                break;
            }
            if std::fs::remove_file(&f.path).is_ok() {
                total = total.saturating_sub(f.len);
                self.metrics.files_removed.inc();
                tracing::info!(file = %f.path.display(), "journal file removed by the retention bounds");
            }
        }
        for f in list(&self.config.dir, "admitted-") {
            let expired = now.duration_since(f.modified).unwrap_or_default()
                > self.admitted_for + Duration::from_secs(86_400);
            if expired && !current.contains(&f.path) && std::fs::remove_file(&f.path).is_ok() {
                self.metrics.files_removed.inc();
            }
        }
    }
}

struct Listed {
    path: PathBuf,
    modified: SystemTime,
    len: u64,
}

fn list(dir: &Path, prefix: &str) -> Vec<Listed> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".jsonl")
        })
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some(Listed {
                path: e.path(),
                modified: m.modified().ok()?,
                len: m.len(),
            })
        })
        .collect()
}

/// RFC 3339, UTC, milliseconds.
pub fn rfc3339_ms(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_millis();
    let s = rsmev_registry::time::format_utc(t);
    format!("{}.{ms:03}Z", s.trim_end_matches('Z'))
}

/// (sender, replay key, when the message arrived).
pub type RememberedKey = (String, [u8; 16], SystemTime);

/// Reads back, from the admitted-key files of the last `window`, the replay keys the node
/// remembers, oldest first, at most `limit` (the newest kept). Only admitted messages are in
/// these files, so nothing a client can send without being admitted displaces them. A torn
/// last line (a crash) is skipped.
pub fn remembered_keys(
    dir: &Path,
    window: Duration,
    limit: usize,
) -> Result<Vec<RememberedKey>, String> {
    let now = SystemTime::now();
    let mut files = list(dir, "admitted-");
    // Files last written before the window hold nothing still remembered.
    files.retain(|f| now.duration_since(f.modified).unwrap_or_default() <= window);
    files.sort_by_key(|f| f.modified);
    // Each key is about 60 bytes on disk: anything much bigger is not our file.
    let budget = (limit as u64).saturating_mul(256).max(1 << 20);
    let mut out = Vec::new();
    for f in files {
        let text = crate::files::read_bounded(&f.path, budget)
            .map_err(|e| format!("{}: {e}", f.path.display()))?;
        for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let Ok(a) = serde_json::from_slice::<Admitted>(line) else {
                continue;
            };
            let Some(at) = parse_rfc3339_ms(&a.ts) else {
                continue;
            };
            if now.duration_since(at).unwrap_or_default() > window {
                continue;
            }
            for k in &a.keys {
                let mut key = [0u8; 16];
                if hex::decode_to_slice(k, &mut key).is_ok() {
                    out.push((a.sender.clone(), key, at));
                }
            }
        }
    }
    out.sort_by_key(|x| x.2);
    if out.len() > limit {
        out.drain(..out.len() - limit);
    }
    Ok(out)
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

    fn files(d: &Path, prefix: &str) -> Vec<PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect();
        v.sort();
        v
    }

    fn config(d: &Path) -> JournalConfig {
        JournalConfig {
            dir: d.to_path_buf(),
            flush_interval: Duration::from_secs(3600),
            max_file_bytes: 1 << 30,
            max_total_bytes: 1 << 40,
            max_age: None,
            required: true,
        }
    }

    const DAY: Duration = Duration::from_secs(86_400);

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
    fn records_are_written_synced_and_keys_read_back() {
        let d = dir("rw");
        let m = JournalMetrics::default();
        let j = Journal::open(&config(&d), DAY, m.clone()).unwrap();
        let now = SystemTime::now();
        for n in 0..3u8 {
            j.record(Record {
                ts: rfc3339_ms(now),
                peer: "127.0.0.1:5000".into(),
                outcome: Outcome::Relayed,
                sender: Some("MFC440001".into()),
                id_remembered: n != 1,
                request_bytes: 10,
                request_sha256: Some(sha256_hex(b"0123456789")),
                ..Record::default()
            });
            if n != 1 {
                j.admitted(Admitted {
                    ts: rfc3339_ms(now),
                    sender: "MFC440001".into(),
                    keys: vec![hex::encode([n; 16])],
                });
            }
        }
        j.sync();
        assert_eq!(m.written.get(), 3);
        assert!(j.healthy() && !j.blocks_exchanges());
        let f = files(&d, "exchanges-");
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
        let a = files(&d, "admitted-");
        assert_eq!(a.len(), 1);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&a[0])
            .unwrap()
            .write_all(b"{\"ts\":\"2026-")
            .unwrap();
        let keys = remembered_keys(&d, DAY, 100).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].1, [0; 16]);
        assert_eq!(keys[1].1, [2; 16]);
        // Bounded: the newest are kept.
        assert_eq!(remembered_keys(&d, DAY, 1).unwrap().len(), 1);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn rotates_by_size_into_new_files() {
        let d = dir("rotate");
        let j = Journal::open(
            &JournalConfig {
                max_file_bytes: 1,
                required: false,
                ..config(&d)
            },
            DAY,
            JournalMetrics::default(),
        )
        .unwrap();
        for _ in 0..3 {
            j.record(Record::default());
            j.sync();
        }
        // The first file, full after one write, then one per write.
        assert_eq!(files(&d, "exchanges-").len(), 3);
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// The oldest files go when the total passes `max_total_bytes`; the current one stays.
    #[test]
    fn total_size_is_bounded() {
        let d = dir("total");
        let m = JournalMetrics::default();
        let j = Journal::open(
            &JournalConfig {
                max_file_bytes: 200,
                max_total_bytes: 1000,
                ..config(&d)
            },
            DAY,
            m.clone(),
        )
        .unwrap();
        for _ in 0..40 {
            j.record(Record {
                reason: Some("x".repeat(200)),
                ..Record::default()
            });
            j.sync();
        }
        let total: u64 = files(&d, "exchanges-")
            .iter()
            .map(|f| std::fs::metadata(f).unwrap().len())
            .sum();
        assert!(total <= 1000 + 300, "{total}");
        // One record per file (each over 200 bytes): about four kept of forty.
        assert!(m.files_removed.get() >= 30, "{}", m.files_removed.get());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_unwritable_journal_is_refused_at_start() {
        let d = dir("ro");
        let blocker = d.join("not-a-dir");
        std::fs::write(&blocker, b"x").unwrap();
        let r = Journal::open(&config(&blocker), DAY, JournalMetrics::default());
        let Err(e) = r else {
            panic!("a journal under a file opened")
        };
        assert!(e.reason.contains("File exists"), "{e}");
        std::fs::remove_dir_all(&d).unwrap();
    }
}
