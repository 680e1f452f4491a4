//! A bounded, thread-safe cache of parsed certificates and their last successful validation,
//! so a certificate seen before costs a hash and a map lookup per message instead of base64
//! decoding, DER parsing and path validation.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::cert::{Certificate, MAX_CERTIFICATE_BYTES, decode_base64};
use crate::error::PkiError;
use crate::store::TrustStore;
use crate::validate::{ChainReport, ValidationOptions};

/// Base64 spellings remembered per certificate (line breaks differ between senders).
const MAX_ALIASES: usize = 4;

/// Counters, for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Certificates cached with a successful validation.
    pub entries: usize,
    /// Certificates parsed but not (or not successfully) validated, held apart.
    pub probation: usize,
    /// Certificates decoded and parsed (misses).
    pub parses: u64,
    /// Lookups answered without parsing.
    pub parse_hits: u64,
    /// Path validations run.
    pub validations: u64,
    /// Validations answered from the cache.
    pub validation_hits: u64,
    /// Validated entries dropped to respect the capacity.
    pub evictions: u64,
    /// Unvalidated entries dropped to respect the probation capacity.
    pub probation_evictions: u64,
}

struct CachedValidation {
    generation: u64,
    options: ValidationOptions,
    report: Arc<ChainReport>,
}

struct Entry {
    cert: Arc<Certificate>,
    aliases: VecDeque<[u8; 32]>,
    validation: Option<CachedValidation>,
}

impl Entry {
    fn new(cert: Arc<Certificate>) -> Entry {
        Entry {
            cert,
            aliases: VecDeque::new(),
            validation: None,
        }
    }
}

/// One bounded area: entries with their insertion order, the oldest evicted first.
#[derive(Default)]
struct Area {
    entries: HashMap<[u8; 32], Entry>,
    order: VecDeque<[u8; 32]>,
}

impl Area {
    fn remove(&mut self, fp: &[u8; 32]) -> Option<Entry> {
        let e = self.entries.remove(fp)?;
        if let Some(i) = self.order.iter().position(|o| o == fp) {
            self.order.remove(i);
        }
        Some(e)
    }

    /// Makes room for one more entry; returns the evicted ones' aliases.
    fn make_room(&mut self, capacity: usize, aliases: &mut HashMap<[u8; 32], [u8; 32]>) -> u64 {
        let mut evicted = 0;
        while self.entries.len() >= capacity {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(e) = self.entries.remove(&old) {
                for a in e.aliases {
                    aliases.remove(&a);
                }
                evicted += 1;
            }
        }
        evicted
    }
}

#[derive(Default)]
struct Inner {
    /// Certificates whose last validation succeeded.
    validated: Area,
    /// Certificates parsed on the way to a validation that has not succeeded (yet).
    probation: Area,
    /// SHA-256 of a base64 text → SHA-256 of the DER it decodes to (in either area).
    aliases: HashMap<[u8; 32], [u8; 32]>,
}

impl Inner {
    fn get(&self, fp: &[u8; 32]) -> Option<&Entry> {
        self.validated
            .entries
            .get(fp)
            .or_else(|| self.probation.entries.get(fp))
    }
    fn get_mut(&mut self, fp: &[u8; 32]) -> Option<&mut Entry> {
        match self.validated.entries.get_mut(fp) {
            Some(e) => Some(e),
            None => self.probation.entries.get_mut(fp),
        }
    }
}

/// Parsed certificates keyed by the SHA-256 of their DER (and of the base64 texts they
/// arrived as), each with its last successful validation.
///
/// A cached validation is reused while the instant asked about lies in the range the verdict
/// holds for ([`ChainReport::holds_from`]..=[`ChainReport::holds_until`]: the path's validity
/// periods and CRL freshness), the trust store has the same
/// [`generation`](TrustStore::generation) (a reloaded store, or one whose CRL was replaced,
/// has a new one) and the options are equal. Failures are not cached.
///
/// Only a certificate whose path validated is admitted to the cache proper (`capacity`
/// entries, the oldest evicted first). A certificate that is merely parsed — anyone can send
/// one — waits in a small separate probation area (`capacity / 16`, at least 16) that is
/// evicted on its own, so a flood of fresh untrusted certificates can never push a validated
/// one out. A certificate that fails a later validation goes back to probation.
pub struct CertCache {
    capacity: usize,
    probation_capacity: usize,
    inner: RwLock<Inner>,
    parses: AtomicU64,
    parse_hits: AtomicU64,
    validations: AtomicU64,
    validation_hits: AtomicU64,
    evictions: AtomicU64,
    probation_evictions: AtomicU64,
}

impl CertCache {
    /// A cache of at most `capacity` validated certificates (0 disables caching), with a
    /// probation area of `capacity / 16` (at least 16).
    pub fn new(capacity: usize) -> CertCache {
        let probation = if capacity == 0 {
            0
        } else {
            (capacity / 16).max(16)
        };
        CertCache::with_probation(capacity, probation)
    }

    /// A cache with an explicit probation capacity for parsed, unvalidated certificates.
    pub fn with_probation(capacity: usize, probation: usize) -> CertCache {
        CertCache {
            capacity,
            probation_capacity: if capacity == 0 { 0 } else { probation },
            inner: RwLock::new(Inner::default()),
            parses: AtomicU64::new(0),
            parse_hits: AtomicU64::new(0),
            validations: AtomicU64::new(0),
            validation_hits: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            probation_evictions: AtomicU64::new(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
    pub fn probation_capacity(&self) -> usize {
        self.probation_capacity
    }

    // A panic while holding the lock cannot leave the maps inconsistent (each update is a
    // few infallible inserts), so a poisoned lock is still usable.
    fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The certificate a base64 text (as in `ds:X509Certificate`) decodes to: from the cache
    /// when this exact text, or the same DER, was seen before.
    pub fn get_or_parse_base64(&self, text: &str) -> Result<Arc<Certificate>, PkiError> {
        if text.len() > MAX_CERTIFICATE_BYTES * 2 {
            return Err(PkiError::malformed(format!(
                "base64 text of {} bytes exceeds the certificate size limit",
                text.len()
            )));
        }
        let alias: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        {
            let inner = self.read();
            if let Some(e) = inner.aliases.get(&alias).and_then(|fp| inner.get(fp)) {
                self.parse_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(e.cert.clone());
            }
        }
        let der = decode_base64(text)?;
        let fp: [u8; 32] = Sha256::digest(&der).into();
        if let Some(cert) = self.lookup_and_alias(&fp, alias) {
            self.parse_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(cert);
        }
        self.parses.fetch_add(1, Ordering::Relaxed);
        let cert = Arc::new(Certificate::from_der(&der)?);
        Ok(self.store(cert, Some(alias)))
    }

    /// The certificate for a DER encoding, from the cache when seen before.
    pub fn get_or_parse_der(&self, der: &[u8]) -> Result<Arc<Certificate>, PkiError> {
        let fp: [u8; 32] = Sha256::digest(der).into();
        if let Some(e) = self.read().get(&fp) {
            self.parse_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(e.cert.clone());
        }
        self.parses.fetch_add(1, Ordering::Relaxed);
        let cert = Arc::new(Certificate::from_der(der)?);
        Ok(self.store(cert, None))
    }

    /// Caches a certificate parsed elsewhere (on probation until it validates); returns the
    /// cached instance (an earlier one with the same DER, if any).
    pub fn insert(&self, cert: Arc<Certificate>) -> Arc<Certificate> {
        self.store(cert, None)
    }

    /// [`TrustStore::validate`], answered from the cache when a verdict for this certificate,
    /// store generation and options holds at `at`. A success admits the certificate to the
    /// cache proper; a failure leaves it (or puts it back) on probation.
    pub fn validate_cached(
        &self,
        store: &TrustStore,
        cert: &Arc<Certificate>,
        at: SystemTime,
        opts: &ValidationOptions,
    ) -> Result<Arc<ChainReport>, PkiError> {
        let fp = *cert.fingerprint_sha256();
        let generation = store.generation();
        {
            let inner = self.read();
            if let Some(v) = inner
                .validated
                .entries
                .get(&fp)
                .and_then(|e| e.validation.as_ref())
                && v.generation == generation
                && v.options == *opts
                && v.report.holds_at(at)
            {
                self.validation_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(v.report.clone());
            }
        }
        self.validations.fetch_add(1, Ordering::Relaxed);
        let outcome = store.validate(cert, at, opts);
        if self.capacity == 0 {
            return outcome.map(Arc::new);
        }
        let mut inner = self.write();
        match outcome {
            Ok(report) => {
                let report = Arc::new(report);
                let validation = CachedValidation {
                    generation,
                    options: opts.clone(),
                    report: report.clone(),
                };
                self.admit(&mut inner, cert, validation);
                Ok(report)
            }
            Err(e) => {
                // A verdict of the same generation and options that still holds elsewhere
                // (another instant) says the certificate is fine; otherwise it no longer
                // earns its place.
                let keep = inner
                    .validated
                    .entries
                    .get(&fp)
                    .and_then(|e| e.validation.as_ref())
                    .is_some_and(|v| v.generation == generation && v.options == *opts);
                if !keep && let Some(mut entry) = inner.validated.remove(&fp) {
                    entry.validation = None;
                    self.put_on_probation(&mut inner, fp, entry);
                }
                Err(e)
            }
        }
    }

    pub fn stats(&self) -> CacheStats {
        let inner = self.read();
        CacheStats {
            entries: inner.validated.entries.len(),
            probation: inner.probation.entries.len(),
            parses: self.parses.load(Ordering::Relaxed),
            parse_hits: self.parse_hits.load(Ordering::Relaxed),
            validations: self.validations.load(Ordering::Relaxed),
            validation_hits: self.validation_hits.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            probation_evictions: self.probation_evictions.load(Ordering::Relaxed),
        }
    }

    /// Certificates cached with a successful validation.
    pub fn len(&self) -> usize {
        self.read().validated.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        let inner = self.read();
        inner.validated.entries.is_empty() && inner.probation.entries.is_empty()
    }
    /// Drops every entry (counters are kept).
    pub fn clear(&self) {
        let mut inner = self.write();
        *inner = Inner::default();
    }

    fn lookup_and_alias(&self, fp: &[u8; 32], alias: [u8; 32]) -> Option<Arc<Certificate>> {
        let mut inner = self.write();
        let cert = inner.get(fp)?.cert.clone();
        Self::add_alias(&mut inner, fp, alias);
        Some(cert)
    }

    /// Keeps a parsed certificate on probation unless it is cached already; returns the
    /// cached instance.
    fn store(&self, cert: Arc<Certificate>, alias: Option<[u8; 32]>) -> Arc<Certificate> {
        if self.capacity == 0 {
            return cert;
        }
        let fp = *cert.fingerprint_sha256();
        let mut inner = self.write();
        let cached = match inner.get(&fp) {
            Some(e) => e.cert.clone(),
            None => {
                self.put_on_probation(&mut inner, fp, Entry::new(cert.clone()));
                cert
            }
        };
        if let Some(alias) = alias {
            Self::add_alias(&mut inner, &fp, alias);
        }
        cached
    }

    fn put_on_probation(&self, inner: &mut Inner, fp: [u8; 32], entry: Entry) {
        if self.probation_capacity == 0 {
            for a in entry.aliases {
                inner.aliases.remove(&a);
            }
            return;
        }
        let Inner {
            probation, aliases, ..
        } = inner;
        let n = probation.make_room(self.probation_capacity, aliases);
        self.probation_evictions.fetch_add(n, Ordering::Relaxed);
        probation.order.push_back(fp);
        probation.entries.insert(fp, entry);
    }

    /// Moves `cert` into the validated area (from probation, or new), evicting the oldest
    /// validated entries beyond capacity, and records its validation.
    fn admit(&self, inner: &mut Inner, cert: &Arc<Certificate>, validation: CachedValidation) {
        let fp = *cert.fingerprint_sha256();
        if let Some(e) = inner.validated.entries.get_mut(&fp) {
            e.validation = Some(validation);
            return;
        }
        let mut entry = inner
            .probation
            .remove(&fp)
            .unwrap_or_else(|| Entry::new(cert.clone()));
        entry.validation = Some(validation);
        let Inner {
            validated, aliases, ..
        } = inner;
        let n = validated.make_room(self.capacity, aliases);
        self.evictions.fetch_add(n, Ordering::Relaxed);
        validated.order.push_back(fp);
        validated.entries.insert(fp, entry);
    }

    fn add_alias(inner: &mut Inner, fp: &[u8; 32], alias: [u8; 32]) {
        if inner.aliases.contains_key(&alias) {
            return;
        }
        let Some(entry) = inner.get_mut(fp) else {
            return;
        };
        entry.aliases.push_back(alias);
        let dropped = if entry.aliases.len() > MAX_ALIASES {
            entry.aliases.pop_front()
        } else {
            None
        };
        inner.aliases.insert(alias, *fp);
        if let Some(d) = dropped {
            inner.aliases.remove(&d);
        }
    }
}

impl std::fmt::Debug for CertCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertCache")
            .field("capacity", &self.capacity)
            .field("stats", &self.stats())
            .finish()
    }
}
