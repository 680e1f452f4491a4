//! A trust store that stays current while the node runs: the operator's reload re-reads
//! anchors and CRLs whole, and CRLs are refreshed well before their nextUpdate, each new list
//! taken only if it verifies against its CA and supersedes the one in force.
//!
//! Readers take a snapshot (`Arc<TrustStore>`) per message and never lock; every change builds
//! a new store (a new [`TrustStore::generation`], so [`crate::CertCache`] verdicts made against
//! the old one are not reused) and swaps it in whole. This crate does no network IO: whoever
//! fetches a CRL over HTTP hands its bytes to [`LiveTrust::offer_crl`].

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use crate::cert::Certificate;
use crate::crl::Crl;
use crate::der_util::hex_upper;
use crate::error::PkiError;
use crate::store::{LoadOptions, TrustStore, list_path, read_file};

/// A CRL whose thisUpdate lies further ahead than this is refused: a CA's clock running
/// ahead would otherwise pin a list no later genuine one could supersede.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Distribution points remembered per CA, and CAs remembered at most.
const MAX_POINTS_PER_CA: usize = 8;
const MAX_POINT_CAS: usize = 4096;

/// Where a live store is read from, and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustSource {
    /// A CA certificate file, or a directory of certificates and CRLs, trusted as anchors.
    pub anchors: PathBuf,
    /// Certificates for path building only (not trusted by themselves), and their CRLs.
    pub intermediates: Option<PathBuf>,
    pub load: LoadOptions,
    /// See [`TrustStore::crl_grace`].
    pub crl_grace: Duration,
}

impl TrustSource {
    /// Anchors (and CRLs) at `path`, default bounds, no grace.
    pub fn anchors(path: impl Into<PathBuf>) -> TrustSource {
        TrustSource {
            anchors: path.into(),
            intermediates: None,
            load: LoadOptions::default(),
            crl_grace: Duration::ZERO,
        }
    }

    pub fn crl_grace(mut self, grace: Duration) -> TrustSource {
        self.crl_grace = grace;
        self
    }

    fn paths(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.anchors.as_path()).chain(self.intermediates.as_deref())
    }
}

/// When a CA's CRL is looked for again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// At least this often. Default one hour.
    pub interval: Duration,
    /// And when this share (percent) of the list's remaining validity, counted from the last
    /// look, has passed. Default 50.
    pub validity_percent: u32,
    /// Never sooner than this after the last look (a list at or past its nextUpdate would
    /// otherwise be looked for continuously). Default two minutes.
    pub min_retry: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> RefreshPolicy {
        RefreshPolicy {
            interval: Duration::from_secs(3600),
            validity_percent: 50,
            min_retry: Duration::from_secs(120),
        }
    }
}

/// A CA certificate of the trust store, by the SHA-256 of its DER. Displayed as the first 8
/// bytes in hex: enough to tell the CAs of one store apart in logs and metric labels.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaId(pub [u8; 32]);

impl CaId {
    pub fn of(cert: &Certificate) -> CaId {
        CaId(*cert.fingerprint_sha256())
    }
}

impl fmt::Display for CaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex_upper(&self.0[..8]))
    }
}

impl fmt::Debug for CaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaId({self})")
    }
}

/// What became of a CRL offered to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrlOutcome {
    /// It verified, superseded the list in force and is now in force.
    Taken(CaId),
    /// It is the list already in force (same thisUpdate and cRLNumber).
    Current(CaId),
}

impl CrlOutcome {
    pub fn ca(&self) -> CaId {
        match self {
            CrlOutcome::Taken(id) | CrlOutcome::Current(id) => *id,
        }
    }
}

/// A CA whose CRL is due to be looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueCa {
    pub id: CaId,
    pub subject: String,
    /// Distribution-point URIs other certificates named for this CA's CRL (as written; the
    /// fetcher decides which schemes it follows).
    pub distribution_points: Vec<String>,
}

/// A refresh attempt that failed; the CRL in force stays.
#[derive(Debug)]
pub struct RefreshFailure {
    /// The CA the failure is counted against, when known.
    pub ca: Option<CaId>,
    /// A file path or URL.
    pub source: String,
    pub error: PkiError,
}

/// What a re-read of the trust files found.
#[derive(Debug, Default)]
pub struct RefreshReport {
    /// Files read (unchanged files since the last read are skipped).
    pub files_read: usize,
    /// CAs whose new list was taken.
    pub taken: Vec<CaId>,
    pub failures: Vec<RefreshFailure>,
    /// The store generation in force afterwards.
    pub generation: u64,
}

/// What a reload put in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReloadReport {
    pub generation: u64,
    pub anchors: usize,
    pub intermediates: usize,
    pub crls: usize,
    /// CRLs in force before the reload that were newer than the files' and stayed.
    pub kept_newer_crls: usize,
}

/// One CA's revocation data, for metrics and readiness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaStatus {
    pub id: CaId,
    pub subject: String,
    /// The CRL in force, if any.
    pub crl_this_update: Option<SystemTime>,
    pub crl_next_update: Option<SystemTime>,
    /// cRLNumber in hex.
    pub crl_number: Option<String>,
    pub crl_entries: usize,
    /// When the CRL in force was taken (loaded or refreshed).
    pub crl_taken_at: Option<SystemTime>,
    /// When a look for this CA's CRL last succeeded: a list found that verified and was taken
    /// or was the one in force, or a look the caller reported complete
    /// ([`LiveTrust::record_success`]).
    pub last_success: Option<SystemTime>,
    /// Failed looks since start (a fetch that failed, a list that did not verify or was older).
    pub failures: u64,
    pub last_error: Option<String>,
    /// When the next look is due.
    pub next_check: SystemTime,
}

impl CaStatus {
    /// Seconds from `now` to the CRL's nextUpdate (negative once past); `None` without a CRL
    /// or a nextUpdate.
    pub fn seconds_to_next_update(&self, now: SystemTime) -> Option<f64> {
        let next = self.crl_next_update?;
        Some(match next.duration_since(now) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        })
    }

    /// The CRL in force is past its nextUpdate.
    pub fn past_next_update(&self, now: SystemTime) -> bool {
        self.crl_next_update.is_some_and(|n| now > n)
    }

    /// The CRL in force is past its nextUpdate and `grace`: certificates of this CA are
    /// refused ([`PkiError::CrlStale`]) under the default policy.
    pub fn refused(&self, now: SystemTime, grace: Duration) -> bool {
        self.crl_next_update
            .is_some_and(|n| n.checked_add(grace).is_none_or(|end| now > end))
    }
}

/// The live store's state, per CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustStatus {
    pub generation: u64,
    /// When anchors and CRLs were last read whole (start or reload).
    pub loaded_at: SystemTime,
    pub crl_grace: Duration,
    /// CA certificates of the store, anchors first.
    pub cas: Vec<CaStatus>,
    /// Failures no CA could be named for (an unreadable file, a list of an unknown issuer).
    pub unattributed_failures: u64,
    pub last_unattributed_error: Option<String>,
}

impl TrustStatus {
    /// CAs whose certificates are refused because their CRL is stale past the grace: the
    /// "some CRL is stale" condition readiness reports.
    pub fn stale(&self, now: SystemTime) -> impl Iterator<Item = &CaStatus> {
        self.cas
            .iter()
            .filter(move |c| c.refused(now, self.crl_grace))
    }
}

/// A trust store read from its source, checked whole, not yet in force.
pub struct PreparedReload {
    live: LiveTrust,
    store: TrustStore,
    memo: HashMap<PathBuf, FileStamp>,
}

impl PreparedReload {
    /// Puts the prepared store in force. CRLs taken since the preparation (or earlier, by
    /// refresh) that are newer than the files' stay in force.
    pub fn commit(self, now: SystemTime) -> ReloadReport {
        let PreparedReload { live, store, memo } = self;
        let mut books = live.lock();
        live.install_reload(&mut books, store, memo, now)
    }

    pub fn store(&self) -> &TrustStore {
        &self.store
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> Option<FileStamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            len: m.len(),
            modified: m.modified().ok(),
        })
    }
}

struct CaBook {
    cert: Arc<Certificate>,
    checked_at: SystemTime,
    crl_taken_at: Option<SystemTime>,
    last_success: Option<SystemTime>,
    failures: u64,
    last_error: Option<String>,
}

struct Books {
    cas: HashMap<CaId, CaBook>,
    /// CA subject match key → distribution-point URIs certificates named for its CRL.
    points: HashMap<Box<[u8]>, Vec<String>>,
    /// Trust files as last read, so a refresh skips unchanged ones.
    files: HashMap<PathBuf, FileStamp>,
    loaded_at: SystemTime,
    unattributed_failures: u64,
    last_unattributed_error: Option<String>,
}

impl Books {
    fn fail(&mut self, ca: Option<CaId>, source: &str, error: &dyn fmt::Display) {
        let text = format!("{source}: {error}");
        match ca.and_then(|id| self.cas.get_mut(&id)) {
            Some(b) => {
                b.failures += 1;
                b.last_error = Some(text);
            }
            None => {
                self.unattributed_failures += 1;
                self.last_unattributed_error = Some(text);
            }
        }
    }

    fn succeed(&mut self, id: CaId, now: SystemTime, taken: bool) {
        if let Some(b) = self.cas.get_mut(&id) {
            b.last_success = Some(now);
            if taken {
                b.crl_taken_at = Some(now);
            }
        }
    }

    fn note_points(&mut self, cert: &Certificate) {
        let uris = cert.crl_distribution_points();
        if uris.is_empty() {
            return;
        }
        let key = cert.issuer_match_key();
        if !self.points.contains_key(key) && self.points.len() >= MAX_POINT_CAS {
            return;
        }
        let list = self.points.entry(key.into()).or_default();
        for u in uris {
            if list.len() >= MAX_POINTS_PER_CA {
                break;
            }
            if !list.contains(u) {
                list.push(u.clone());
            }
        }
    }
}

struct Inner {
    current: ArcSwap<TrustStore>,
    source: Option<TrustSource>,
    policy: RefreshPolicy,
    /// Writers (reload, refresh, offers) take turns here; readers never do.
    books: Mutex<Books>,
}

/// A shared handle to the trust store in force; clones share it.
#[derive(Clone)]
pub struct LiveTrust {
    inner: Arc<Inner>,
}

impl fmt::Debug for LiveTrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveTrust")
            .field("source", &self.inner.source)
            .field("generation", &self.inner.current.load().generation())
            .finish_non_exhaustive()
    }
}

impl LiveTrust {
    /// Reads `source` whole (see [`LiveTrust::prepare_reload`] for what is checked) and puts
    /// it in force.
    pub fn load(
        source: TrustSource,
        policy: RefreshPolicy,
        now: SystemTime,
    ) -> Result<LiveTrust, PkiError> {
        let (store, memo) = build(&source, now)?;
        let live = LiveTrust::with(store, Some(source), policy, now);
        live.lock().files = memo;
        Ok(live)
    }

    /// A handle around a store built elsewhere, with no source: CRLs can still be offered,
    /// but there is nothing to reload or re-read.
    pub fn from_store(store: TrustStore, policy: RefreshPolicy, now: SystemTime) -> LiveTrust {
        LiveTrust::with(store, None, policy, now)
    }

    fn with(
        store: TrustStore,
        source: Option<TrustSource>,
        policy: RefreshPolicy,
        now: SystemTime,
    ) -> LiveTrust {
        let mut books = Books {
            cas: HashMap::new(),
            points: HashMap::new(),
            files: HashMap::new(),
            loaded_at: now,
            unattributed_failures: 0,
            last_unattributed_error: None,
        };
        sync_books(&mut books, &store, None, now);
        LiveTrust {
            inner: Arc::new(Inner {
                current: ArcSwap::from_pointee(store),
                source,
                policy,
                books: Mutex::new(books),
            }),
        }
    }

    // Bookkeeping updates are each complete before the lock is released, so a poisoned lock
    // (a panic elsewhere while holding it) leaves nothing half-done.
    fn lock(&self) -> MutexGuard<'_, Books> {
        self.inner.books.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store in force; hold it for the whole of one message so every check sees one
    /// state.
    pub fn snapshot(&self) -> Arc<TrustStore> {
        self.inner.current.load_full()
    }

    pub fn generation(&self) -> u64 {
        self.inner.current.load().generation()
    }

    pub fn source(&self) -> Option<&TrustSource> {
        self.inner.source.as_ref()
    }

    pub fn policy(&self) -> RefreshPolicy {
        self.inner.policy
    }

    /// Re-reads anchors, intermediates and CRLs from the source and puts them in force:
    /// [`LiveTrust::prepare_reload`] then [`PreparedReload::commit`].
    pub fn reload(&self, now: SystemTime) -> Result<ReloadReport, PkiError> {
        Ok(self.prepare_reload(now)?.commit(now))
    }

    /// Reads the source whole and checks it, without changing what is in force. Every file
    /// must read; at least one anchor is needed; every CRL must verify against a CA
    /// certificate of the new store, have no critical extension we do not process, and not
    /// be issued in the future. Any failure refuses the whole reload ([`PkiError::Load`]
    /// naming the file) and the store in force stays.
    pub fn prepare_reload(&self, now: SystemTime) -> Result<PreparedReload, PkiError> {
        let source = self.inner.source.as_ref().ok_or_else(|| PkiError::Load {
            path: PathBuf::new(),
            reason: "this trust store was not loaded from files; there is nothing to reload".into(),
        })?;
        let (store, memo) = build(source, now)?;
        Ok(PreparedReload {
            live: self.clone(),
            store,
            memo,
        })
    }

    fn install_reload(
        &self,
        books: &mut Books,
        mut store: TrustStore,
        memo: HashMap<PathBuf, FileStamp>,
        now: SystemTime,
    ) -> ReloadReport {
        let old = self.snapshot();
        let mut kept = 0;
        let cas: Vec<Arc<Certificate>> = store.ca_certificates().cloned().collect();
        for ca in &cas {
            if !old.knows(ca.fingerprint_sha256()) {
                continue;
            }
            let Some(in_force) = old.crl_in_force(ca) else {
                continue;
            };
            // The old list verified against this very certificate when it was taken.
            let newer = match store.crl_in_force(ca) {
                Some(from_files) => in_force.is_newer_than(from_files),
                None => true,
            };
            if newer && in_force.verify_signature(ca, true).is_ok() {
                store.replace_crl(in_force.clone());
                kept += 1;
            }
        }
        let report = ReloadReport {
            generation: store.generation(),
            anchors: store.anchors().len(),
            intermediates: store.intermediates().len(),
            crls: store.crl_count(),
            kept_newer_crls: kept,
        };
        sync_books(books, &store, Some(&old), now);
        books.files = memo;
        books.loaded_at = now;
        self.inner.current.store(Arc::new(store));
        report
    }

    /// Offers a CRL (DER or PEM) obtained elsewhere — fetched over HTTP, typically. It is
    /// taken only if it verifies against a CA certificate of the store in force (name, key
    /// identifier, signature, cRLSign), carries no critical extension we do not process, is
    /// not issued in the future, and supersedes the CA's list in force
    /// ([`Crl::is_newer_than`]). `origin` is the CA the caller fetched it for, to count a
    /// failure against when the list itself names no known CA. Failures are counted in the
    /// status; the list in force stays.
    pub fn offer_crl(
        &self,
        data: &[u8],
        origin: Option<CaId>,
        now: SystemTime,
    ) -> Result<CrlOutcome, PkiError> {
        let mut books = self.lock();
        let crl = match Crl::from_bytes(data) {
            Ok(c) => c,
            Err(e) => {
                books.fail(origin, "offered CRL", &e);
                return Err(e);
            }
        };
        match self.offer_parsed(&mut books, crl, now) {
            Ok(outcome) => Ok(outcome),
            Err((ca, e)) => {
                books.fail(ca.or(origin), "offered CRL", &e);
                Err(e)
            }
        }
    }

    /// The checks and the swap of [`LiveTrust::offer_crl`], under the writers' lock. The
    /// error names the CA the list claims to be from, when it is one of the store's.
    fn offer_parsed(
        &self,
        books: &mut Books,
        crl: Crl,
        now: SystemTime,
    ) -> Result<CrlOutcome, (Option<CaId>, PkiError)> {
        let store = self.snapshot();
        let candidates: Vec<Arc<Certificate>> = store.crl_issuers(&crl).cloned().collect();
        let Some(first) = candidates.first() else {
            return Err((
                None,
                PkiError::CrlIssuerUnknown {
                    issuer: crl.issuer().to_owned(),
                },
            ));
        };
        let claimed = CaId::of(first);
        let mut first_err = None;
        let mut issuer = None;
        for ca in &candidates {
            match crl.verify_signature(ca, true) {
                Ok(()) => {
                    issuer = Some(ca.clone());
                    break;
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let Some(issuer) = issuer else {
            return Err((
                Some(claimed),
                first_err.expect("a candidate was tried and failed"),
            ));
        };
        let id = CaId::of(&issuer);
        check_not_future(&crl, now).map_err(|e| (Some(id), e))?;
        if let Some(in_force) = store.crl_in_force(&issuer)
            && !crl.is_newer_than(in_force)
        {
            let same = crl.der() == in_force.der()
                || (crl.this_update() == in_force.this_update()
                    && crl.crl_number() == in_force.crl_number());
            if same {
                books.succeed(id, now, false);
                return Ok(CrlOutcome::Current(id));
            }
            return Err((
                Some(id),
                PkiError::CrlNotNewer {
                    issuer: crl.issuer().to_owned(),
                    offered: crl.this_update(),
                    in_force: in_force.this_update(),
                },
            ));
        }
        let mut next = store.derive();
        next.replace_crl(Arc::new(crl));
        self.inner.current.store(Arc::new(next));
        books.succeed(id, now, true);
        Ok(CrlOutcome::Taken(id))
    }

    /// Re-reads the CRLs of the source's files (those changed since last read) and takes each
    /// list that verifies and supersedes the one in force, as [`LiveTrust::offer_crl`] does.
    /// A file that does not read, or a list that does not verify, is a failure reported and
    /// counted; the other files are still read. A list older than the one in force is not a
    /// failure here: a newer one may have come from elsewhere.
    pub fn refresh_from_source(&self, now: SystemTime) -> RefreshReport {
        let mut report = RefreshReport::default();
        let Some(source) = &self.inner.source else {
            report.generation = self.generation();
            return report;
        };
        let mut books = self.lock();
        for root in source.paths() {
            let files = match list_path(root, &source.load) {
                Ok(f) => f,
                Err(e) => {
                    books.fail(None, &root.display().to_string(), &e);
                    report.failures.push(RefreshFailure {
                        ca: None,
                        source: root.display().to_string(),
                        error: e,
                    });
                    continue;
                }
            };
            for file in files {
                let stamp = FileStamp::of(&file);
                if stamp.is_some() && books.files.get(&file) == stamp.as_ref() {
                    continue;
                }
                let shown = file.display().to_string();
                let mut certs = Vec::new();
                let mut crls = Vec::new();
                if let Err(e) = read_file(&file, &source.load, &mut certs, &mut crls) {
                    books.fail(None, &shown, &e);
                    report.failures.push(RefreshFailure {
                        ca: None,
                        source: shown,
                        error: e,
                    });
                    continue;
                }
                report.files_read += 1;
                let mut clean = true;
                for (_, crl) in crls {
                    match self.offer_parsed(&mut books, crl, now) {
                        Ok(CrlOutcome::Taken(id)) => report.taken.push(id),
                        Ok(CrlOutcome::Current(_)) | Err((_, PkiError::CrlNotNewer { .. })) => {}
                        Err((ca, e)) => {
                            clean = false;
                            books.fail(ca, &shown, &e);
                            report.failures.push(RefreshFailure {
                                ca,
                                source: shown.clone(),
                                error: e,
                            });
                        }
                    }
                }
                // A file with a bad list is read again next time, and fails again, until
                // the operator fixes it.
                if let (true, Some(stamp)) = (clean, stamp) {
                    books.files.insert(file, stamp);
                }
            }
        }
        report.generation = self.generation();
        report
    }

    /// Counts a failure the caller met while looking for a CRL (a fetch that failed or
    /// returned too much), against `ca` when known.
    pub fn record_failure(&self, ca: Option<CaId>, source: &str, error: &dyn fmt::Display) {
        self.lock().fail(ca, source, error);
    }

    /// Records a look for `ca`'s CRL that completed without failure though it found nothing
    /// newer (the caller's sources all answered, or it has none beyond the trust files).
    pub fn record_success(&self, ca: CaId, now: SystemTime) {
        self.lock().succeed(ca, now, false);
    }

    /// Remembers the CRL distribution points `cert` names, as places its issuer publishes
    /// its CRL (bounded: 8 per CA, 4096 CAs). The store's own certificates are noted at each
    /// load; callers add the end-entity certificates they expect (registered participants).
    pub fn note_distribution_points(&self, cert: &Certificate) {
        self.lock().note_points(cert);
    }

    /// The CAs whose CRL is due to be looked for at `now`, each marked as looked for now (the
    /// next look is scheduled from here whatever the caller finds).
    pub fn due(&self, now: SystemTime) -> Vec<DueCa> {
        let store = self.snapshot();
        let policy = self.inner.policy;
        let mut books = self.lock();
        let mut out = Vec::new();
        let Books { cas, points, .. } = &mut *books;
        for (id, book) in cas.iter_mut() {
            if due_at(book, &store, &policy) > now {
                continue;
            }
            book.checked_at = now;
            out.push(DueCa {
                id: *id,
                subject: book.cert.subject().to_owned(),
                distribution_points: points
                    .get(book.cert.subject_match_key())
                    .cloned()
                    .unwrap_or_default(),
            });
        }
        out.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.id.cmp(&b.id)));
        out
    }

    /// When the next CA is due (`now + interval` when the store has no CA).
    pub fn next_due(&self, now: SystemTime) -> SystemTime {
        let store = self.snapshot();
        let policy = self.inner.policy;
        let books = self.lock();
        books
            .cas
            .values()
            .map(|b| due_at(b, &store, &policy))
            .min()
            .unwrap_or(now + policy.interval)
    }

    /// Per-CA revocation data and refresh history.
    pub fn status(&self) -> TrustStatus {
        let store = self.snapshot();
        let policy = self.inner.policy;
        let books = self.lock();
        let cas: Vec<CaStatus> = store
            .ca_certificates()
            .filter_map(|ca| {
                let book = books.cas.get(&CaId::of(ca))?;
                let crl = store.crl_in_force(ca);
                Some(CaStatus {
                    id: CaId::of(ca),
                    subject: ca.subject().to_owned(),
                    crl_this_update: crl.map(|c| c.this_update()),
                    crl_next_update: crl.and_then(|c| c.next_update()),
                    crl_number: crl.and_then(|c| c.crl_number().map(str::to_owned)),
                    crl_entries: crl.map_or(0, |c| c.len()),
                    crl_taken_at: book.crl_taken_at,
                    last_success: book.last_success,
                    failures: book.failures,
                    last_error: book.last_error.clone(),
                    next_check: due_at(book, &store, &policy),
                })
            })
            .collect();
        TrustStatus {
            generation: store.generation(),
            loaded_at: books.loaded_at,
            crl_grace: store.crl_grace(),
            cas,
            unattributed_failures: books.unattributed_failures,
            last_unattributed_error: books.last_unattributed_error.clone(),
        }
    }
}

/// When `book`'s CA is next due: `percent` of the CRL's validity remaining at the last look,
/// capped by the interval, and never sooner than `min_retry` after the last look.
fn due_at(book: &CaBook, store: &TrustStore, policy: &RefreshPolicy) -> SystemTime {
    let next_update = store.crl_in_force(&book.cert).and_then(|c| c.next_update());
    let wait = match next_update {
        Some(next) => {
            let remaining = next.duration_since(book.checked_at).unwrap_or_default();
            (remaining / 100)
                .saturating_mul(policy.validity_percent)
                .min(policy.interval)
        }
        None => policy.interval,
    };
    book.checked_at + wait.max(policy.min_retry)
}

/// Brings the per-CA books in line with `store`: CAs no longer there are dropped, new ones
/// start their schedule at `now`; a CA whose CRL in force differs from `old`'s counts as
/// refreshed now. The store's certificates' distribution points are noted.
fn sync_books(books: &mut Books, store: &TrustStore, old: Option<&TrustStore>, now: SystemTime) {
    let mut cas = HashMap::new();
    for ca in store.ca_certificates() {
        let id = CaId::of(ca);
        let crl = store.crl_in_force(ca);
        let changed = match (old.and_then(|o| o.crl_in_force(ca)), crl) {
            (Some(a), Some(b)) => a.der() != b.der(),
            (None, Some(_)) => true,
            _ => false,
        };
        let book = match books.cas.remove(&id) {
            Some(mut b) => {
                if changed {
                    b.crl_taken_at = Some(now);
                    b.last_success = Some(now);
                }
                b
            }
            None => CaBook {
                cert: ca.clone(),
                checked_at: now,
                crl_taken_at: crl.map(|_| now),
                last_success: crl.map(|_| now),
                failures: 0,
                last_error: None,
            },
        };
        cas.insert(id, book);
    }
    books.cas = cas;
    for c in store.anchors().iter().chain(store.intermediates()) {
        books.note_points(c);
    }
}

fn check_not_future(crl: &Crl, now: SystemTime) -> Result<(), PkiError> {
    if crl.this_update() > now + MAX_CLOCK_SKEW {
        return Err(PkiError::CrlInvalid {
            issuer: crl.issuer().to_owned(),
            reason: format!(
                "issued in the future ({})",
                crate::der_util::format_time(crl.this_update())
            ),
        });
    }
    Ok(())
}

/// Reads a source into a new store and checks it whole; see [`LiveTrust::prepare_reload`].
fn build(
    source: &TrustSource,
    now: SystemTime,
) -> Result<(TrustStore, HashMap<PathBuf, FileStamp>), PkiError> {
    let mut store = TrustStore::new();
    let mut memo = HashMap::new();
    let mut crls: Vec<(PathBuf, Crl)> = Vec::new();
    let mut anchors = 0;
    for (i, root) in source.paths().enumerate() {
        let mut certs = Vec::new();
        for file in list_path(root, &source.load)? {
            // A file that vanished between listing and reading is not part of the store.
            let Some(stamp) = FileStamp::of(&file) else {
                continue;
            };
            if !std::fs::metadata(&file).is_ok_and(|m| m.is_file()) {
                continue;
            }
            read_file(&file, &source.load, &mut certs, &mut crls)?;
            memo.insert(file, stamp);
        }
        if i == 0 {
            anchors = certs.len();
        }
        for c in certs {
            if i == 0 {
                store.add_anchor(c);
            } else {
                store.add_intermediate(c);
            }
        }
    }
    if anchors == 0 {
        return Err(PkiError::Load {
            path: source.anchors.clone(),
            reason: "no certificate found".into(),
        });
    }
    for (path, crl) in crls {
        let refuse = |reason: String| PkiError::Load {
            path: path.clone(),
            reason: format!("CRL of {}: {reason}", crl.issuer()),
        };
        let candidates: Vec<Arc<Certificate>> = store.crl_issuers(&crl).cloned().collect();
        if candidates.is_empty() {
            return Err(refuse(
                "no CA certificate of the trust store issued it".into(),
            ));
        }
        let mut first_err = None;
        if !candidates
            .iter()
            .any(|ca| match crl.verify_signature(ca, true) {
                Ok(()) => true,
                Err(e) => {
                    first_err.get_or_insert(e);
                    false
                }
            })
        {
            let e = first_err.expect("a candidate was tried");
            return Err(refuse(e.to_string()));
        }
        check_not_future(&crl, now).map_err(|e| refuse(e.to_string()))?;
        // Two files with lists of one CA: the newer is in force.
        let superseded = store
            .crls()
            .any(|c| c.same_issuer(&crl) && !crl.is_newer_than(c));
        if !superseded {
            store.replace_crl(Arc::new(crl));
        }
    }
    store.set_crl_grace(source.crl_grace);
    Ok((store, memo))
}
