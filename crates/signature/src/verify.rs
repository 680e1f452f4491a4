//! Verification: one scan of the message, then per signature: algorithms against policy, the
//! signer's certificate (cached), SignedInfo's SignatureValue, every Reference's digest over
//! its transform chain, the profile's placement rules, and the certificate path.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::SystemTime;

use base64::Engine;
use rsmev_c14n::{Algorithm, Options, SMEV_TRANSFORM, Sink, canonicalize_prepared};
use rsmev_crypto::{AlgorithmPolicy, DigestAlg, Hasher, SignatureAlg};
use rsmev_pki::{CertCache, Certificate, LiveTrust, TrustStore, ValidationOptions};
use rsmev_xml::Limits;

use crate::ns::ENVELOPED;
use crate::profile::{Profile, Role};
use crate::scan::{Frame, IdElement, Reference, Scan, Signature, Speculate, scan};
use crate::{SigError, Verified};

/// Feeds canonical bytes straight into a hasher: no intermediate copy of the signed content.
pub(crate) struct HashSink(pub(crate) Hasher);

impl Sink for HashSink {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// How the signer's certificate is judged.
#[derive(Clone)]
pub enum Trust {
    /// Path validation to these anchors, with their CRLs.
    Store(Arc<TrustStore>),
    /// Path validation against the store in force when the message is judged (reloaded, its
    /// CRLs refreshed while the node runs).
    Live(LiveTrust),
    /// Cryptography against the embedded certificate only; no path, validity or CRL checks.
    /// Every report line says so.
    EmbeddedOnly,
}

impl Trust {
    /// The store to validate against now; `None` for [`Trust::EmbeddedOnly`].
    fn store(&self) -> Option<Arc<TrustStore>> {
        match self {
            Trust::Store(store) => Some(store.clone()),
            Trust::Live(live) => Some(live.snapshot()),
            Trust::EmbeddedOnly => None,
        }
    }
}

/// What became of the signer's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainStatus {
    /// A path to this trusted certificate was validated.
    Trusted { anchor: String },
    /// Path validation was switched off (`Trust::EmbeddedOnly`).
    NotChecked,
    /// Path validation failed; the reason is the signature's result.
    Failed,
    /// The signature failed before its certificate was judged.
    Unknown,
}

impl std::fmt::Display for ChainStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainStatus::Trusted { anchor } => write!(f, "chain ok (anchor: {anchor})"),
            ChainStatus::NotChecked => f.write_str("chain not checked (--no-path-validation)"),
            ChainStatus::Failed => f.write_str("chain failed"),
            ChainStatus::Unknown => f.write_str("chain unknown"),
        }
    }
}

/// One signature's outcome.
#[derive(Debug)]
pub struct SignatureReport {
    pub role: Role,
    /// Byte offset of the `ds:Signature` start tag in the prepared message.
    pub pos: usize,
    pub algorithm: Option<SignatureAlg>,
    pub signer: Option<Arc<Certificate>>,
    pub chain: ChainStatus,
    /// The References' URIs, in order.
    pub references: Vec<String>,
    pub(crate) signed: Vec<SignedElement>,
    pub result: Result<(), SigError>,
}

/// An element a verified signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedElement {
    pub id: String,
    pub ns: String,
    pub local: String,
    /// Byte offset of its start tag in the prepared message.
    pub pos: usize,
    /// Just past its end, in the prepared message.
    pub end: usize,
}

/// The whole message's outcome: every signature judged, even after a failure, so a report can
/// list them all.
#[derive(Debug)]
pub struct Report<'a> {
    pub profile: Profile,
    pub signatures: Vec<SignatureReport>,
    /// A message-level refusal (a required signature missing) after all signatures passed.
    pub required: Result<(), SigError>,
    doc: Cow<'a, str>,
}

impl<'a> Report<'a> {
    pub fn is_ok(&self) -> bool {
        self.required.is_ok() && self.signatures.iter().all(|s| s.result.is_ok())
    }

    /// The proof that every signature verified and the profile is satisfied.
    pub fn into_verified(self) -> Result<Verified<Message<'a>>, SigError> {
        self.required?;
        let mut signers = Vec::with_capacity(self.signatures.len());
        for s in self.signatures {
            s.result?;
            signers.push(VerifiedSignature {
                role: s.role,
                certificate: s.signer.expect("a verified signature has a signer"),
                algorithm: s.algorithm.expect("a verified signature has an algorithm"),
                chain: s.chain,
                signed: s.signed,
            });
        }
        Ok(Verified::new(Message { doc: self.doc }, signers))
    }
}

/// The message as verified: later stages read sender, service and environment only from here.
#[derive(Debug)]
pub struct Message<'a> {
    doc: Cow<'a, str>,
}

impl Message<'_> {
    /// The prepared text every byte offset in the verification refers to.
    pub fn text(&self) -> &str {
        &self.doc
    }
}

/// A signature that verified, with what it covers.
#[derive(Clone, Debug)]
pub struct VerifiedSignature {
    pub role: Role,
    pub certificate: Arc<Certificate>,
    pub algorithm: SignatureAlg,
    pub chain: ChainStatus,
    pub signed: Vec<SignedElement>,
}

/// Verifies signed messages; build once, share across threads.
#[derive(Clone)]
pub struct Verifier {
    profile: Profile,
    trust: Trust,
    policy: AlgorithmPolicy,
    validation: ValidationOptions,
    cache: Arc<CertCache>,
    limits: Limits,
    at: Option<SystemTime>,
    /// The canonical form the last message's signed element needed (a [`Speculate`] as u8),
    /// shared by the clones of this verifier: traffic through one verifier is uniform, so
    /// the scan makes that form while reading and the element is not read a second time.
    hint: Arc<AtomicU8>,
}

const HINT_NONE: u8 = 0;
const HINT_EXC: u8 = 1;
const HINT_EXC_SMEV: u8 = 2;

impl Verifier {
    pub fn new(profile: Profile, trust: Trust) -> Verifier {
        Verifier {
            profile,
            trust,
            policy: AlgorithmPolicy::default(),
            validation: ValidationOptions::default(),
            cache: Arc::new(CertCache::new(4096)),
            limits: Limits::default(),
            at: None,
            hint: Arc::new(AtomicU8::new(HINT_NONE)),
        }
    }

    /// Admit GOST R 34.10-2001, GOST R 34.11-94 and SHA-1 (archived SMEV traffic).
    pub fn allow_legacy(mut self, yes: bool) -> Verifier {
        self.policy.allow_legacy = yes;
        self.validation.allow_legacy = yes;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Verifier {
        self.limits = limits;
        self
    }

    /// Judge certificates at this instant instead of now (tests, archived messages).
    pub fn at(mut self, at: SystemTime) -> Verifier {
        self.at = Some(at);
        self
    }

    /// Share one certificate cache between verifiers.
    pub fn cache(mut self, cache: Arc<CertCache>) -> Verifier {
        self.cache = cache;
        self
    }

    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Verifies and returns the proof, or the first reason for refusal.
    pub fn verify<'a>(&self, input: &'a [u8]) -> Result<Verified<Message<'a>>, SigError> {
        self.check(input)?.into_verified()
    }

    /// Judges every signature. `Err` is a refusal of the message as a whole (not XML, a
    /// signature out of place, none at all); per-signature outcomes are in the report.
    pub fn check<'a>(&self, input: &'a [u8]) -> Result<Report<'a>, SigError> {
        let doc = rsmev_xml::prepare(input, &self.limits)?;
        let (signatures, required) = {
            let text: &str = &doc;
            let speculate = match self.hint.load(Ordering::Relaxed) {
                HINT_EXC => Speculate::Exclusive,
                HINT_EXC_SMEV => Speculate::ExclusiveSmev,
                _ => Speculate::No,
            };
            let found = scan(text, &self.limits, speculate)?;
            if found.signatures.is_empty() {
                return Err(SigError::NoSignature(""));
            }
            let roles = found
                .signatures
                .iter()
                .map(|s| self.profile.classify(s))
                .collect::<Result<Vec<_>, _>>()?;
            let mut reports = Vec::with_capacity(roles.len());
            let mut targets = Vec::with_capacity(roles.len());
            for (sig, role) in found.signatures.iter().zip(roles.iter()) {
                let (report, t) = self.one(text, &found, sig, role.clone());
                reports.push(report);
                targets.push(t);
            }
            let required = self.profile.check_required(&roles, &targets);
            (reports, required)
        };
        Ok(Report {
            profile: self.profile,
            signatures,
            required,
            doc,
        })
    }

    fn one<'s>(
        &self,
        doc: &str,
        found: &'s Scan<'_>,
        sig: &Signature<'_>,
        role: Role,
    ) -> (SignatureReport, Vec<&'s IdElement<'s>>) {
        let mut report = SignatureReport {
            role,
            pos: sig.pos(),
            algorithm: None,
            signer: None,
            chain: ChainStatus::Unknown,
            references: sig
                .references
                .iter()
                .map(|r| r.uri.clone().unwrap_or_default())
                .collect(),
            signed: Vec::new(),
            result: Ok(()),
        };
        let mut targets = Vec::new();
        report.result = self.judge(doc, found, sig, &mut report, &mut targets);
        (report, targets)
    }

    fn judge<'s>(
        &self,
        doc: &str,
        found: &'s Scan<'_>,
        sig: &Signature<'_>,
        report: &mut SignatureReport,
        targets: &mut Vec<&'s IdElement<'s>>,
    ) -> Result<(), SigError> {
        let pos = sig.pos();
        let missing = |what: &str| SigError::Malformed {
            pos,
            what: format!("no {what}"),
        };
        let si_pos = sig.signed_info_pos.ok_or_else(|| missing("SignedInfo"))?;
        let c14n_uri = sig
            .c14n_method
            .as_deref()
            .ok_or_else(|| missing("CanonicalizationMethod"))?;
        let method = sig
            .signature_method
            .as_deref()
            .ok_or_else(|| missing("SignatureMethod"))?;
        let value = sig
            .signature_value
            .as_deref()
            .ok_or_else(|| missing("SignatureValue"))?;
        if sig.references.is_empty() {
            return Err(missing("Reference"));
        }

        let alg = SignatureAlg::from_uri(method)?;
        self.policy.check_signature(alg)?;
        report.algorithm = Some(alg);
        let (c14n, with_comments) =
            Algorithm::from_uri(c14n_uri).ok_or_else(|| SigError::UnknownAlgorithm {
                uri: c14n_uri.to_string(),
            })?;

        // The signer: a certificate in KeyInfo, or the token a SecurityTokenReference names.
        let cert = self.certificate(found, sig)?;
        report.signer = Some(cert.clone());

        // Placement first: a signature over the wrong element is refused whatever its math.
        for r in &sig.references {
            let target = resolve(found, r)?;
            if let Some(t) = target {
                self.profile.check_target(&report.role, sig, t)?;
                targets.push(t);
            }
        }

        // Every Reference's algorithms against policy before any cryptography: an unsupported
        // transform or digest is named as such, not reported as a failed signature.
        let plans = sig
            .references
            .iter()
            .map(|r| self.plan(r))
            .collect::<Result<Vec<_>, _>>()?;

        // SignedInfo → SignatureValue, canonicalized out of an excerpt: the Signature with its
        // ancestors' start tags, not a second read of the whole message.
        let ex = Excerpt::new(doc, &sig.path, si_pos, sig.signed_info_end);
        let mut opts = Options::new(c14n)
            .with_comments(with_comments)
            .subset_at(ex.map(si_pos))
            .stop_after_subset(true)
            .limits(self.limits.clone());
        if let Some(list) = &sig.c14n_prefixes {
            opts = opts.inclusive_prefixes(list);
        }
        let mut sink = HashSink(Hasher::new(alg.digest()));
        canonicalize_prepared(&ex.text, &opts, &mut sink)?;
        let digest = sink.0.finalize();
        let sig_bytes = decode_b64(value).map_err(|what| SigError::Malformed { pos, what })?;
        match cert.public_key().verify_prehashed(alg, &digest, &sig_bytes) {
            Ok(()) => {}
            Err(rsmev_crypto::CryptoError::SignatureMismatch) => {
                // Name the commonest cause precisely: a message pretty-printed after signing.
                // Only the failure path pays for this second look.
                let mut canon = Vec::new();
                canonicalize_prepared(&ex.text, &opts, &mut canon)?;
                let compact = strip_inter_element_whitespace(&canon);
                let reformatted = compact.len() != canon.len()
                    && cert
                        .public_key()
                        .verify_prehashed(alg, &Hasher::digest(alg.digest(), &compact), &sig_bytes)
                        .is_ok();
                return Err(if reformatted {
                    SigError::SignedInfoReformatted
                } else {
                    SigError::SignatureValueInvalid
                });
            }
            Err(other) => return Err(SigError::Crypto(other)),
        }

        // Every Reference.
        for (r, plan) in sig.references.iter().zip(plans) {
            self.reference(doc, found, sig, r, plan)?;
        }
        for t in targets.iter() {
            let this = t.this();
            report.signed.push(SignedElement {
                id: t.id.clone(),
                ns: this.ns.to_string(),
                local: this.local.to_string(),
                pos: this.pos,
                end: t.end,
            });
        }

        // The certificate path, last: the cryptography is judged against the certificate the
        // message carries whatever its standing, so a report says both.
        match self.trust.store() {
            None => report.chain = ChainStatus::NotChecked,
            Some(store) => {
                let at = self.at.unwrap_or_else(SystemTime::now);
                match self
                    .cache
                    .validate_cached(&store, &cert, at, &self.validation)
                {
                    Ok(chain) => {
                        report.chain = ChainStatus::Trusted {
                            anchor: chain.anchor_subject().to_string(),
                        }
                    }
                    Err(e) => {
                        report.chain = ChainStatus::Failed;
                        return Err(SigError::Certificate(e));
                    }
                }
            }
        }
        Ok(())
    }

    fn certificate(
        &self,
        found: &Scan<'_>,
        sig: &Signature<'_>,
    ) -> Result<Arc<Certificate>, SigError> {
        if let Some(b64) = sig.key_info.certificates.first() {
            return Ok(self.cache.get_or_parse_base64(b64)?);
        }
        if let Some(uri) = sig.key_info.token_refs.first() {
            let token = uri
                .strip_prefix('#')
                .and_then(|id| found.ids.get(id))
                .and_then(|e| e.token.as_deref())
                .ok_or_else(|| SigError::TokenNotFound { uri: uri.clone() })?;
            return Ok(self.cache.get_or_parse_base64(token)?);
        }
        Err(SigError::NoCertificate)
    }

    /// A Reference's digest algorithm and transform chain, checked against policy.
    fn plan(&self, r: &Reference) -> Result<Plan, SigError> {
        let uri = r.uri.as_deref().unwrap_or_default();
        let malformed = |what: &str| SigError::Malformed {
            pos: r.pos,
            what: what.to_string(),
        };
        let dm = r
            .digest_method
            .as_deref()
            .ok_or_else(|| malformed("Reference without DigestMethod"))?;
        if r.digest_value.is_none() {
            return Err(malformed("Reference without DigestValue"));
        }
        let dalg = DigestAlg::from_uri(dm).ok_or_else(|| SigError::UnknownAlgorithm {
            uri: dm.to_string(),
        })?;
        self.policy.check_digest(dalg)?;
        Ok(Plan {
            digest: dalg,
            chain: chain(uri, &r.transforms)?,
        })
    }

    fn reference(
        &self,
        doc: &str,
        found: &Scan<'_>,
        sig: &Signature<'_>,
        r: &Reference,
        plan: Plan,
    ) -> Result<(), SigError> {
        let uri = r.uri.as_deref().unwrap_or_default();
        let expected = r.digest_value.as_deref().unwrap_or_default();
        let Plan {
            digest: dalg,
            chain,
        } = plan;

        // The scan read the whole message and refused duplicate Ids: later passes may stop
        // at the end of what they canonicalize.
        let mut opts = Options::new(chain.c14n)
            .smev_transform(chain.smev)
            .stop_after_subset(true)
            .limits(self.limits.clone());
        if let Some(list) = &chain.prefixes {
            opts = opts.inclusive_prefixes(list);
        }
        let target = resolve(found, r)?;
        let mut sink = HashSink(Hasher::new(dalg));
        // Exclusive C14N of an element that holds no signature this reference excludes:
        // the scan may already have made that form.
        let tappable = target.filter(|t| {
            chain.c14n == Algorithm::Exclusive
                && chain.prefixes.is_none()
                && !(chain.enveloped && (t.this().pos..t.end).contains(&sig.pos()))
        });
        if tappable.is_some() {
            let hint = if chain.smev { HINT_EXC_SMEV } else { HINT_EXC };
            self.hint.store(hint, Ordering::Relaxed);
        }
        let tapped = tappable
            .and_then(|t| found.taps.get(&t.id))
            .filter(|tap| tap.smev == chain.smev);
        match target {
            Some(_) if tapped.is_some() => {
                sink.0.update(&tapped.expect("checked").bytes);
            }
            // By Id: the element's excerpt holds all its canonical form depends on.
            Some(t) => {
                let (this, ancestors) = t.path.split_last().expect("a path ends at its element");
                let ex = Excerpt::new(doc, ancestors, this.pos, t.end);
                opts = opts.subset_at(ex.map(t.this().pos));
                if chain.enveloped && ex.contains(sig.pos()) {
                    opts = opts.exclude_at(ex.map(sig.pos()));
                }
                canonicalize_prepared(&ex.text, &opts, &mut sink)?;
            }
            None => {
                if chain.enveloped {
                    opts = opts.exclude_at(sig.pos());
                }
                canonicalize_prepared(doc, &opts, &mut sink)?;
            }
        }
        let got = sink.0.finalize();
        let want = decode_b64(expected).map_err(|what| SigError::Malformed { pos: r.pos, what })?;
        if got == want {
            return Ok(());
        }
        // The signature inside what it signs, with no enveloped transform: name that exactly,
        // it is the commonest interop mistake (smev-protocol.md §1.1, ЭП-СП in AppData).
        let inside = match target {
            Some(t) => sig.path.iter().any(|f| f.node == t.this().node),
            None => true,
        };
        if inside && !chain.enveloped {
            Err(SigError::UndeclaredEnvelopedSignature {
                uri: uri.to_string(),
            })
        } else {
            Err(SigError::DigestMismatch {
                uri: uri.to_string(),
            })
        }
    }
}

/// An element cut out of the prepared message together with its ancestors' start tags and the
/// matching end tags. Everything the canonical form of the element depends on — inherited
/// namespace declarations, `xml:*` attributes, `xml:base` — lives in those start tags, so
/// canonicalizing the element in the excerpt gives the bytes it has in the message, while
/// reading only the element. The scan has already read (and checked) the whole message.
struct Excerpt {
    text: String,
    /// Where the element starts in the message, and in `text`.
    from: usize,
    to: usize,
    end: usize,
}

impl Excerpt {
    /// The element spanning `from..end`, below `ancestors` (from the root, parent last).
    fn new(doc: &str, ancestors: &[Frame<'_>], from: usize, end: usize) -> Excerpt {
        let tags: usize = ancestors.iter().map(|f| 2 * (f.tag_end - f.pos)).sum();
        let mut text = String::with_capacity(end - from + tags);
        for f in ancestors {
            text.push_str(&doc[f.pos..f.tag_end]);
        }
        let to = text.len();
        text.push_str(&doc[from..end]);
        for f in ancestors.iter().rev() {
            let tag = &doc[f.pos + 1..f.tag_end];
            let name_len = tag
                .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
                .unwrap_or(tag.len());
            text.push_str("</");
            text.push_str(&tag[..name_len]);
            text.push('>');
        }
        Excerpt {
            text,
            from,
            to,
            end,
        }
    }

    fn contains(&self, pos: usize) -> bool {
        (self.from..self.end).contains(&pos)
    }

    /// A message offset inside the element, as an offset in the excerpt.
    fn map(&self, pos: usize) -> usize {
        debug_assert!(self.contains(pos));
        pos - self.from + self.to
    }
}

/// The element a Reference names: `#id` (bare-name XPointer) or `""` (the whole document,
/// `None`). Anything else — another document, an XPointer expression — is refused.
fn resolve<'s>(found: &'s Scan<'_>, r: &Reference) -> Result<Option<&'s IdElement<'s>>, SigError> {
    let uri = r.uri.as_deref().unwrap_or_default();
    if uri.is_empty() {
        // XMLDSig allows omitting URI only when the application knows the data; SMEV never
        // does that.
        if r.uri.is_none() {
            return Err(SigError::UnsupportedReference {
                uri: "(no URI)".into(),
            });
        }
        return Ok(None);
    }
    let Some(id) = uri.strip_prefix('#') else {
        return Err(SigError::UnsupportedReference { uri: uri.into() });
    };
    if id.starts_with("xpointer(") || id.is_empty() {
        return Err(SigError::UnsupportedReference { uri: uri.into() });
    }
    found
        .ids
        .get(id)
        .map(Some)
        .ok_or_else(|| SigError::ReferenceNotFound { id: id.into() })
}

struct Plan {
    digest: DigestAlg,
    chain: Chain,
}

struct Chain {
    enveloped: bool,
    c14n: Algorithm,
    prefixes: Option<String>,
    smev: bool,
}

/// The transform chains SMEV and XMLDSig interop use: [enveloped-signature] [one
/// canonicalization] [SMEV transform]. Comments never survive a same-document reference
/// (XMLDSig §4.3.3.3), whatever the canonicalization's comment mode. Without an explicit
/// canonicalization the node-set is serialized by inclusive C14N 1.0 (XMLDSig §4.3.3.2).
fn chain(uri: &str, transforms: &[crate::scan::Transform]) -> Result<Chain, SigError> {
    let bad = |what: &str| SigError::UnsupportedTransform {
        uri: uri.to_string(),
        what: what.to_string(),
    };
    let mut out = Chain {
        enveloped: false,
        c14n: Algorithm::C14n10,
        prefixes: None,
        smev: false,
    };
    let mut have_c14n = false;
    for t in transforms {
        let a = t.algorithm.as_str();
        if a == ENVELOPED {
            if out.enveloped || have_c14n || out.smev {
                return Err(bad("enveloped-signature must come first, once"));
            }
            out.enveloped = true;
        } else if let Some((alg, _)) = Algorithm::from_uri(a) {
            if have_c14n || out.smev {
                return Err(bad("more than one canonicalization"));
            }
            have_c14n = true;
            out.c14n = alg;
            if t.prefixes.is_some() && alg != Algorithm::Exclusive {
                return Err(bad("InclusiveNamespaces applies to Exclusive C14N only"));
            }
            out.prefixes = t.prefixes.clone();
        } else if a == SMEV_TRANSFORM {
            if out.smev {
                return Err(bad("the SMEV transform twice"));
            }
            if have_c14n && out.c14n != Algorithm::Exclusive {
                return Err(bad("the SMEV transform follows Exclusive C14N only"));
            }
            // SMEV's transform re-declares every namespace it uses, so what serialized the
            // node-set before it does not show in its output: Exclusive is what SMEV uses.
            out.c14n = Algorithm::Exclusive;
            out.smev = true;
        } else {
            return Err(SigError::UnsupportedTransform {
                uri: uri.to_string(),
                what: format!("transform `{a}` is not supported"),
            });
        }
    }
    Ok(out)
}

/// Canonical XML with every whitespace-only text node between two tags removed.
fn strip_inter_element_whitespace(canon: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(canon.len());
    let mut i = 0;
    while i < canon.len() {
        let c = canon[i];
        out.push(c);
        i += 1;
        if c == b'>' {
            let run = canon[i..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\n'))
                .count();
            if run > 0 && canon.get(i + run) == Some(&b'<') {
                i += run;
            }
        }
    }
    out
}

pub(crate) fn decode_b64(text: &str) -> Result<Vec<u8>, String> {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let b = text.as_bytes();
    // Most signers write base64 without line breaks: decode in place then.
    let result = if b.iter().any(|c| c.is_ascii_whitespace()) {
        let compact: Vec<u8> = b
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        b64.decode(&compact)
    } else {
        b64.decode(b)
    };
    result.map_err(|e| format!("invalid base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Canonicalizing an element in its excerpt gives exactly the bytes it has in the whole
    /// message, for every algorithm, on every element with an Id in the C14N conformance
    /// corpus (inherited namespaces, xml:* attributes, xml:base chains, default namespaces).
    #[test]
    fn excerpt_canonicalizes_like_the_whole_message() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../c14n/tests/data/corpus");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let limits = Limits::default();
            let Ok(doc) = rsmev_xml::prepare(&bytes, &limits) else {
                continue;
            };
            let Ok(found) = scan(&doc, &limits, Speculate::No) else {
                continue;
            };
            for e in found.ids.values() {
                for (alg, comments, smev) in [
                    (Algorithm::C14n10, false, false),
                    (Algorithm::C14n10, true, false),
                    (Algorithm::C14n11, false, false),
                    (Algorithm::C14n11, true, false),
                    (Algorithm::Exclusive, false, false),
                    (Algorithm::Exclusive, true, false),
                    (Algorithm::Exclusive, false, true),
                ] {
                    let opts = Options::new(alg)
                        .with_comments(comments)
                        .smev_transform(smev);
                    let whole = rsmev_c14n::canonicalize_to_vec(
                        doc.as_bytes(),
                        &opts.clone().subset_at(e.this().pos),
                    );
                    let (this, ancestors) = e.path.split_last().unwrap();
                    let ex = Excerpt::new(&doc, ancestors, this.pos, e.end);
                    let part = rsmev_c14n::canonicalize_to_vec(
                        ex.text.as_bytes(),
                        &opts.subset_at(ex.map(e.this().pos)),
                    );
                    match (whole, part) {
                        (Ok(a), Ok(b)) => assert!(
                            a == b,
                            "{} #{} {alg:?} comments={comments} smev={smev}",
                            path.display(),
                            e.id
                        ),
                        (Err(_), Err(_)) => {}
                        (a, b) => panic!("{} #{}: {a:?} vs {b:?}", path.display(), e.id),
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 300, "only {checked} cases");
    }

    /// What the scan makes speculatively equals an ordinary canonicalization of the element.
    #[test]
    fn taps_canonicalize_like_the_whole_message() {
        let base = concat!(env!("CARGO_MANIFEST_DIR"), "/../c14n/tests/data");
        let mut checked = 0;
        for dir in ["corpus", "samples"] {
            for entry in std::fs::read_dir(format!("{base}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let limits = Limits::default();
                let Ok(doc) = rsmev_xml::prepare(&bytes, &limits) else {
                    continue;
                };
                for (spec, smev) in [
                    (Speculate::Exclusive, false),
                    (Speculate::ExclusiveSmev, true),
                ] {
                    let Ok(found) = scan(&doc, &limits, spec) else {
                        continue;
                    };
                    for (id, tap) in &found.taps {
                        assert_eq!(tap.smev, smev);
                        let opts = Options::new(Algorithm::Exclusive)
                            .smev_transform(smev)
                            .subset(id.as_str());
                        let want = rsmev_c14n::canonicalize_to_vec(doc.as_bytes(), &opts).unwrap();
                        assert!(want == tap.bytes, "{} #{id} smev={smev}", path.display());
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50, "only {checked} taps");
    }
}
