//! The operator's trust configuration: anchors, an intermediate pool and CRLs.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::cert::Certificate;
use crate::crl::Crl;
use crate::error::PkiError;
use crate::pem;

/// Bounds for reading trust-store files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Largest file read (certificates, bundles, CRLs). Default 64 MiB: big CAs publish CRLs
    /// of tens of megabytes.
    pub max_file_bytes: u64,
    /// Most files taken from one directory. Default 10 000.
    pub max_files: usize,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions {
            max_file_bytes: 64 * 1024 * 1024,
            max_files: 10_000,
        }
    }
}

/// What a load call added.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoadSummary {
    pub files: usize,
    pub certificates: usize,
    pub crls: usize,
}

/// Certificates sharing a subject name, each with whether it is an anchor.
pub(crate) type Candidates = Vec<(Arc<Certificate>, bool)>;

static NEXT_GENERATION: AtomicU64 = AtomicU64::new(1);

/// Trusted certificates, an intermediate pool and CRLs.
///
/// A store is built (loaded, added to) and then shared read-only, typically as
/// `Arc<TrustStore>`; a reload builds a new store. Every store state has a process-unique
/// [`generation`](TrustStore::generation): constructing a store and every mutation take a new
/// one, so a [`crate::CertCache`] entry validated against one state is never reused for
/// another.
///
/// An anchor is trusted as is: a root or subordinate CA certificate (paths end at the first
/// anchor reached, as OpenSSL's `-partial_chain` does), or an end-entity certificate that is
/// itself trusted (a certificate registered for an information system; test deployments
/// trust self-signed ones this way).
#[derive(Debug)]
pub struct TrustStore {
    anchors: Vec<Arc<Certificate>>,
    intermediates: Vec<Arc<Certificate>>,
    anchor_fingerprints: HashSet<[u8; 32]>,
    known: HashSet<[u8; 32]>,
    /// Subject match key → (certificate, is an anchor).
    by_subject: HashMap<Box<[u8]>, Candidates>,
    /// Issuer match key → CRLs of that issuer.
    crls: HashMap<Box<[u8]>, Vec<Arc<Crl>>>,
    crl_count: usize,
    crl_grace: Duration,
    generation: u64,
}

impl Default for TrustStore {
    fn default() -> TrustStore {
        TrustStore::new()
    }
}

impl TrustStore {
    /// An empty store (nothing validates against it).
    pub fn new() -> TrustStore {
        TrustStore {
            anchors: Vec::new(),
            intermediates: Vec::new(),
            anchor_fingerprints: HashSet::new(),
            known: HashSet::new(),
            by_subject: HashMap::new(),
            crls: HashMap::new(),
            crl_count: 0,
            crl_grace: Duration::ZERO,
            generation: NEXT_GENERATION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// A copy of this store's contents under a new generation, to be modified and swapped in
    /// while readers keep the original.
    pub(crate) fn derive(&self) -> TrustStore {
        TrustStore {
            anchors: self.anchors.clone(),
            intermediates: self.intermediates.clone(),
            anchor_fingerprints: self.anchor_fingerprints.clone(),
            known: self.known.clone(),
            by_subject: self.by_subject.clone(),
            crls: self.crls.clone(),
            crl_count: self.crl_count,
            crl_grace: self.crl_grace,
            generation: NEXT_GENERATION.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// A store whose anchors are the certificates at `path` (a PEM bundle, a DER
    /// `.cer`/`.crt`/`.der` file, or a directory of `*.pem`, `*.crt`, `*.cer`, `*.der`
    /// certificates and `*.crl` CRLs); CRLs found there are added too. Fails if no certificate
    /// is found.
    pub fn load(path: impl AsRef<Path>) -> Result<TrustStore, PkiError> {
        TrustStore::load_with(path, &LoadOptions::default())
    }

    /// [`TrustStore::load`] with explicit bounds.
    pub fn load_with(path: impl AsRef<Path>, opts: &LoadOptions) -> Result<TrustStore, PkiError> {
        let mut store = TrustStore::new();
        let summary = store.load_anchors(path.as_ref(), opts)?;
        if summary.certificates == 0 {
            return Err(PkiError::Load {
                path: path.as_ref().to_owned(),
                reason: "no certificate found".into(),
            });
        }
        Ok(store)
    }

    /// Adds the certificates at `path` as anchors and its CRLs.
    pub fn load_anchors(
        &mut self,
        path: &Path,
        opts: &LoadOptions,
    ) -> Result<LoadSummary, PkiError> {
        self.load_role(path, opts, true)
    }

    /// Adds the certificates at `path` to the intermediate pool (not trusted by themselves,
    /// used to build paths) and its CRLs.
    pub fn load_intermediates(
        &mut self,
        path: &Path,
        opts: &LoadOptions,
    ) -> Result<LoadSummary, PkiError> {
        self.load_role(path, opts, false)
    }

    fn load_role(
        &mut self,
        path: &Path,
        opts: &LoadOptions,
        anchors: bool,
    ) -> Result<LoadSummary, PkiError> {
        let mut certs = Vec::new();
        let mut crls = Vec::new();
        let files = read_path(path, opts, &mut certs, &mut crls)?;
        let crls = crls.into_iter().map(|(_, c)| c);
        let summary = LoadSummary {
            files,
            certificates: certs.len(),
            crls: crls.len(),
        };
        for c in certs {
            if anchors {
                self.add_anchor(c);
            } else {
                self.add_intermediate(c);
            }
        }
        for crl in crls {
            self.add_crl(crl);
        }
        Ok(summary)
    }

    /// Trusts `cert`. Adding a certificate already present as an anchor does nothing; one
    /// present as an intermediate becomes an anchor.
    pub fn add_anchor(&mut self, cert: impl Into<Arc<Certificate>>) {
        let cert = cert.into();
        let fp = *cert.fingerprint_sha256();
        if !self.anchor_fingerprints.insert(fp) {
            return;
        }
        if self.known.contains(&fp) {
            self.intermediates.retain(|c| c.fingerprint_sha256() != &fp);
            if let Some(list) = self.by_subject.get_mut(cert.subject_match_key()) {
                list.retain(|(c, _)| c.fingerprint_sha256() != &fp);
            }
        }
        self.known.insert(fp);
        self.index(cert.clone(), true);
        self.anchors.push(cert);
        self.generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `cert` to the intermediate pool (ignored if already known).
    pub fn add_intermediate(&mut self, cert: impl Into<Arc<Certificate>>) {
        let cert = cert.into();
        if !self.known.insert(*cert.fingerprint_sha256()) {
            return;
        }
        self.index(cert.clone(), false);
        self.intermediates.push(cert);
        self.generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a CRL. Its signature is checked when validation uses it, against the issuer on
    /// the path.
    pub fn add_crl(&mut self, crl: impl Into<Arc<Crl>>) {
        let crl = crl.into();
        self.crls
            .entry(crl.issuer_match_key().into())
            .or_default()
            .push(crl);
        self.crl_count += 1;
        self.generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
    }

    /// Puts `crl` in force for its issuer: lists of the same issuer name and key identifier
    /// are dropped. The caller has checked that it verifies and supersedes them.
    pub(crate) fn replace_crl(&mut self, crl: Arc<Crl>) {
        if let Some(list) = self.crls.get_mut(crl.issuer_match_key()) {
            let before = list.len();
            list.retain(|c| !c.same_issuer(&crl));
            self.crl_count -= before - list.len();
        }
        self.add_crl(crl);
    }

    /// How long past a CRL's nextUpdate it is still consulted and the certificates it covers
    /// accepted (with a [`crate::ValidationWarning::StaleCrl`]); past that, validation refuses
    /// them with [`PkiError::CrlStale`] unless the options say
    /// [`crate::StaleCrlPolicy::Warn`]. Default zero: a CRL is good until its nextUpdate.
    pub fn crl_grace(&self) -> Duration {
        self.crl_grace
    }

    pub fn set_crl_grace(&mut self, grace: Duration) {
        self.crl_grace = grace;
        self.generation = NEXT_GENERATION.fetch_add(1, Ordering::Relaxed);
    }

    fn index(&mut self, cert: Arc<Certificate>, anchor: bool) {
        let list = self
            .by_subject
            .entry(cert.subject_match_key().into())
            .or_default();
        list.push((cert, anchor));
        // Anchors first: a path should end as early as possible.
        list.sort_by_key(|(_, a)| !*a);
    }

    pub fn anchors(&self) -> &[Arc<Certificate>] {
        &self.anchors
    }
    pub fn intermediates(&self) -> &[Arc<Certificate>] {
        &self.intermediates
    }
    /// Every CRL, in no particular order.
    pub fn crls(&self) -> impl Iterator<Item = &Arc<Crl>> {
        self.crls.values().flatten()
    }
    pub fn crl_count(&self) -> usize {
        self.crl_count
    }
    /// Identifies this store state; see the type's documentation.
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// The CA certificates (basicConstraints cA), anchors first: the issuers whose CRLs
    /// matter.
    pub fn ca_certificates(&self) -> impl Iterator<Item = &Arc<Certificate>> {
        self.anchors
            .iter()
            .chain(&self.intermediates)
            .filter(|c| c.is_ca())
    }

    /// The CRL validation consults for certificates `issuer` issued: the newest
    /// ([`Crl::is_newer_than`]) of those naming it.
    pub fn crl_in_force<'a>(&'a self, issuer: &'a Certificate) -> Option<&'a Arc<Crl>> {
        self.crls_of(issuer)
            .reduce(|best, c| if c.is_newer_than(best) { c } else { best })
    }

    /// The CA certificates of this store that may have issued `crl` (name and key
    /// identifier match), in store order.
    pub(crate) fn crl_issuers<'a>(
        &'a self,
        crl: &'a Crl,
    ) -> impl Iterator<Item = &'a Arc<Certificate>> {
        self.ca_certificates()
            .filter(move |ca| crl.is_issued_by_name(ca))
    }

    /// True if exactly this certificate (same DER) is an anchor.
    pub fn is_anchor(&self, cert: &Certificate) -> bool {
        self.anchor_fingerprints.contains(cert.fingerprint_sha256())
    }

    /// True if a certificate with this fingerprint is an anchor or in the intermediate pool.
    pub(crate) fn knows(&self, fingerprint: &[u8; 32]) -> bool {
        self.known.contains(fingerprint)
    }

    /// Certificates whose subject matches `cert`'s issuer, with whether each is an anchor.
    pub(crate) fn issuer_candidates(&self, cert: &Certificate) -> &[(Arc<Certificate>, bool)] {
        self.by_subject
            .get(cert.issuer_match_key())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// CRLs naming `issuer` as their issuer.
    pub(crate) fn crls_of<'a>(
        &'a self,
        issuer: &'a Certificate,
    ) -> impl Iterator<Item = &'a Arc<Crl>> {
        self.crls
            .get(issuer.subject_match_key())
            .into_iter()
            .flatten()
            .filter(|c| c.is_issued_by_name(issuer))
    }
}

const CERT_EXTENSIONS: &[&str] = &["pem", "crt", "cer", "der"];

fn load_error(path: &Path, reason: impl Into<String>) -> PkiError {
    PkiError::Load {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Reads a file or a directory (not recursively). Returns the number of files read.
pub(crate) fn read_path(
    path: &Path,
    opts: &LoadOptions,
    certs: &mut Vec<Certificate>,
    crls: &mut Vec<(PathBuf, Crl)>,
) -> Result<usize, PkiError> {
    let files = list_path(path, opts)?;
    let mut n = 0;
    for f in &files {
        // Entries that vanished or are directories named like files are skipped, not fatal.
        if std::fs::metadata(f).map(|m| m.is_file()).unwrap_or(false) {
            read_file(f, opts, certs, crls)?;
            n += 1;
        }
    }
    Ok(n)
}

/// The trust files at `path`: the file itself, or the directory's certificate and CRL files
/// (not recursively, hidden ones skipped) in name order.
pub(crate) fn list_path(path: &Path, opts: &LoadOptions) -> Result<Vec<PathBuf>, PkiError> {
    let meta = std::fs::metadata(path).map_err(|e| load_error(path, e.to_string()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(path).map_err(|e| load_error(path, e.to_string()))? {
        let entry = entry.map_err(|e| load_error(path, e.to_string()))?;
        let p = entry.path();
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let wanted = ext
            .as_deref()
            .is_some_and(|e| e == "crl" || CERT_EXTENSIONS.contains(&e));
        if hidden || !wanted {
            continue;
        }
        files.push(p);
        if files.len() > opts.max_files {
            return Err(load_error(
                path,
                format!("more than {} certificate and CRL files", opts.max_files),
            ));
        }
    }
    // Deterministic order, so errors and anchor order do not depend on the file system.
    files.sort();
    Ok(files)
}

pub(crate) fn read_file(
    path: &Path,
    opts: &LoadOptions,
    certs: &mut Vec<Certificate>,
    crls: &mut Vec<(PathBuf, Crl)>,
) -> Result<(), PkiError> {
    let size = std::fs::metadata(path)
        .map_err(|e| load_error(path, e.to_string()))?
        .len();
    if size > opts.max_file_bytes {
        return Err(load_error(
            path,
            format!(
                "{size} bytes exceeds the {}-byte limit",
                opts.max_file_bytes
            ),
        ));
    }
    let data = std::fs::read(path).map_err(|e| load_error(path, e.to_string()))?;
    // The file may have grown between the two calls.
    if data.len() as u64 > opts.max_file_bytes {
        return Err(load_error(path, "file grew past the size limit while read"));
    }
    let is_crl_file = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("crl"));
    let wrap = |e: PkiError| load_error(path, e.to_string());
    if pem::is_pem(&data) {
        let blocks = pem::blocks(&data).map_err(|e| load_error(path, e))?;
        let before = (certs.len(), crls.len());
        for b in blocks {
            match b.label.as_str() {
                "CERTIFICATE" => certs.push(Certificate::from_der(&b.der).map_err(wrap)?),
                "X509 CRL" => crls.push((path.to_owned(), Crl::from_der(&b.der).map_err(wrap)?)),
                // Keys, requests and OpenSSL's TRUSTED CERTIFICATE form are not trust input.
                _ => {}
            }
        }
        if (certs.len(), crls.len()) == before {
            return Err(load_error(path, "no CERTIFICATE or X509 CRL block"));
        }
    } else if is_crl_file {
        crls.push((path.to_owned(), Crl::from_der(&data).map_err(wrap)?));
    } else {
        certs.push(Certificate::from_der(&data).map_err(wrap)?);
    }
    Ok(())
}
