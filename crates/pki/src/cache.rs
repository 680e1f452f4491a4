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
    /// Certificates currently cached.
    pub entries: usize,
    /// Certificates decoded and parsed (misses).
    pub parses: u64,
    /// Lookups answered without parsing.
    pub parse_hits: u64,
    /// Path validations run.
    pub validations: u64,
    /// Validations answered from the cache.
    pub validation_hits: u64,
    /// Entries dropped to respect the capacity.
    pub evictions: u64,
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

#[derive(Default)]
struct Inner {
    /// SHA-256 of the DER → entry.
    entries: HashMap<[u8; 32], Entry>,
    /// SHA-256 of a base64 text → SHA-256 of the DER it decodes to.
    aliases: HashMap<[u8; 32], [u8; 32]>,
    /// Insertion order, for eviction.
    order: VecDeque<[u8; 32]>,
}

/// Parsed certificates keyed by the SHA-256 of their DER (and of the base64 texts they
/// arrived as), each with its last successful validation.
///
/// A cached validation is reused while the instant asked about lies in the range the verdict
/// holds for ([`ChainReport::holds_from`]..=[`ChainReport::holds_until`]: the path's validity
/// periods and CRL freshness), the trust store has the same
/// [`generation`](TrustStore::generation) (a reloaded or modified store has a new one) and the
/// options are equal. Failures are not cached. When full, the oldest entry is evicted.
pub struct CertCache {
    capacity: usize,
    inner: RwLock<Inner>,
    parses: AtomicU64,
    parse_hits: AtomicU64,
    validations: AtomicU64,
    validation_hits: AtomicU64,
    evictions: AtomicU64,
}

impl CertCache {
    /// A cache of at most `capacity` certificates (0 disables caching).
    pub fn new(capacity: usize) -> CertCache {
        CertCache {
            capacity,
            inner: RwLock::new(Inner::default()),
            parses: AtomicU64::new(0),
            parse_hits: AtomicU64::new(0),
            validations: AtomicU64::new(0),
            validation_hits: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
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
            if let Some(e) = inner
                .aliases
                .get(&alias)
                .and_then(|fp| inner.entries.get(fp))
            {
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
        if let Some(e) = self.read().entries.get(&fp) {
            self.parse_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(e.cert.clone());
        }
        self.parses.fetch_add(1, Ordering::Relaxed);
        let cert = Arc::new(Certificate::from_der(der)?);
        Ok(self.store(cert, None))
    }

    /// Caches a certificate parsed elsewhere; returns the cached instance (an earlier one
    /// with the same DER, if any).
    pub fn insert(&self, cert: Arc<Certificate>) -> Arc<Certificate> {
        self.store(cert, None)
    }

    /// [`TrustStore::validate`], answered from the cache when a verdict for this certificate,
    /// store generation and options holds at `at`.
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
            if let Some(v) = inner.entries.get(&fp).and_then(|e| e.validation.as_ref())
                && v.generation == generation
                && v.options == *opts
                && v.report.holds_at(at)
            {
                self.validation_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(v.report.clone());
            }
        }
        self.validations.fetch_add(1, Ordering::Relaxed);
        let report = Arc::new(store.validate(cert, at, opts)?);
        if self.capacity > 0 {
            let mut inner = self.write();
            self.ensure_entry(&mut inner, cert);
            if let Some(e) = inner.entries.get_mut(&fp) {
                e.validation = Some(CachedValidation {
                    generation,
                    options: opts.clone(),
                    report: report.clone(),
                });
            }
        }
        Ok(report)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.read().entries.len(),
            parses: self.parses.load(Ordering::Relaxed),
            parse_hits: self.parse_hits.load(Ordering::Relaxed),
            validations: self.validations.load(Ordering::Relaxed),
            validation_hits: self.validation_hits.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }

    pub fn len(&self) -> usize {
        self.read().entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drops every entry (counters are kept).
    pub fn clear(&self) {
        let mut inner = self.write();
        inner.entries.clear();
        inner.aliases.clear();
        inner.order.clear();
    }

    fn lookup_and_alias(&self, fp: &[u8; 32], alias: [u8; 32]) -> Option<Arc<Certificate>> {
        let mut inner = self.write();
        let cert = inner.entries.get(fp)?.cert.clone();
        Self::add_alias(&mut inner, fp, alias);
        Some(cert)
    }

    fn store(&self, cert: Arc<Certificate>, alias: Option<[u8; 32]>) -> Arc<Certificate> {
        if self.capacity == 0 {
            return cert;
        }
        let mut inner = self.write();
        let cached = self.ensure_entry(&mut inner, &cert);
        if let Some(alias) = alias {
            Self::add_alias(&mut inner, cert.fingerprint_sha256(), alias);
        }
        cached
    }

    /// Inserts `cert` unless present (evicting the oldest entries beyond capacity); returns
    /// the cached instance.
    fn ensure_entry(&self, inner: &mut Inner, cert: &Arc<Certificate>) -> Arc<Certificate> {
        let fp = *cert.fingerprint_sha256();
        if let Some(e) = inner.entries.get(&fp) {
            return e.cert.clone();
        }
        while inner.entries.len() >= self.capacity {
            let Some(old) = inner.order.pop_front() else {
                break;
            };
            if let Some(e) = inner.entries.remove(&old) {
                for a in e.aliases {
                    inner.aliases.remove(&a);
                }
                self.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
        inner.order.push_back(fp);
        inner.entries.insert(
            fp,
            Entry {
                cert: cert.clone(),
                aliases: VecDeque::new(),
                validation: None,
            },
        );
        cert.clone()
    }

    fn add_alias(inner: &mut Inner, fp: &[u8; 32], alias: [u8; 32]) {
        if inner.aliases.contains_key(&alias) {
            return;
        }
        let Some(entry) = inner.entries.get_mut(fp) else {
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
