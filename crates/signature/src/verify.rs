//! Verification, cheap checks before expensive ones. One scan of the message (refusing too
//! many signatures or References on sight); then, per message, each signature's place by the
//! profile and the message's origin, the Ids the References need, and the digest budget; then
//! per signature, before any cryptography: its algorithms against policy, what it references
//! and whether the profile lets it sign that, the signer's certificate (cached), the key
//! against the SignatureMethod and the key policy, the certificate path, and the caller's gate
//! ([`SignerGate`]); only then each SignedInfo's SignatureValue, and last the References'
//! digests. An unknown self-signed key, a hostile RSA exponent or an unregistered signer costs
//! no signature and no digest.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::SystemTime;

use base64::Engine;
use rsmev_c14n::{Algorithm, Options, SMEV_TRANSFORM, Sink, canonicalize_prepared};
use rsmev_crypto::{AlgorithmPolicy, DigestAlg, Hasher, SignatureAlg};
use rsmev_fault::FaultCode;
use rsmev_pki::{CertCache, Certificate, LiveTrust, TrustStore, ValidationOptions};
use rsmev_xml::Limits;

use crate::ns::ENVELOPED;
use crate::profile::{Placement, Profile, Role};
use crate::scan::{Frame, IdElement, Named, Reference, Scan, Signature, Speculate, scan};
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

/// Bounds on the work one message may cause, checked before the work is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignaturePolicy {
    /// Signatures per message (default 8: the most a real SMEV message carries is four — a
    /// SMEV 2 message after two hops, or a SMEV 3 answer with SMEV's, the sender's and a
    /// personal signature). More is refused with `TooManySignatures` as the scan meets it.
    pub max_signatures: usize,
    /// References per signature (default 16: SMEV signatures have one or two). More is refused
    /// with `TooManyReferences` as the scan meets it.
    pub max_references: usize,
    /// The bytes all References together may canonicalize and digest, as a multiple of the
    /// message size (default 4: every real message needs at most about 2 — a SMEV 3 answer
    /// digests the `Response` and the sender's data inside it). More is refused with
    /// `DigestBudgetExceeded` before any digest.
    pub digest_budget: usize,
}

impl SignaturePolicy {
    pub const DEFAULT: SignaturePolicy = SignaturePolicy {
        max_signatures: 8,
        max_references: 16,
        digest_budget: 4,
    };
}

impl Default for SignaturePolicy {
    fn default() -> Self {
        SignaturePolicy::DEFAULT
    }
}

/// What a [`SignerGate`] is shown of a signature, after its certificate and placement passed and
/// before any of its cryptography.
#[derive(Debug)]
pub struct SignerInfo<'a> {
    pub role: &'a Role,
    /// This is the message's origin signature ([`Verified::origin`]).
    pub origin: bool,
    pub certificate: &'a Arc<Certificate>,
}

/// A gate's refusal: the fault the caller gets and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateRefusal {
    pub code: FaultCode,
    pub reason: String,
}

/// The caller's say over each signer before any cryptography is spent on its signature: the
/// gateway refuses an origin certificate its registry does not know this way. A refusal becomes
/// [`SigError::SignerRefused`] with the gate's fault code.
pub trait SignerGate {
    fn admit(&self, signer: &SignerInfo<'_>) -> Result<(), GateRefusal>;
}

impl<F> SignerGate for F
where
    F: Fn(&SignerInfo<'_>) -> Result<(), GateRefusal>,
{
    fn admit(&self, signer: &SignerInfo<'_>) -> Result<(), GateRefusal> {
        self(signer)
    }
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

/// How far a signature's checks got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Refused before its cryptography (algorithms, placement, certificate, key, path, gate).
    BeforeCryptography,
    /// Refused by its SignatureValue.
    SignatureValue,
    /// Refused by a Reference's digest.
    Digest,
    /// Every check passed.
    Done,
}

/// One signature's outcome.
#[derive(Debug)]
pub struct SignatureReport {
    pub role: Role,
    /// The message's origin signature ([`Verified::origin`]).
    pub origin: bool,
    /// Byte offset of the `ds:Signature` start tag in the prepared message.
    pub pos: usize,
    pub algorithm: Option<SignatureAlg>,
    pub signer: Option<Arc<Certificate>>,
    pub chain: ChainStatus,
    /// The References' URIs, in order.
    pub references: Vec<String>,
    pub(crate) signed: Vec<SignedElement>,
    /// The decoded SignatureValue, once it verified.
    pub(crate) value: Vec<u8>,
    /// Where the checks stopped.
    pub stage: Stage,
    pub result: Result<(), SigError>,
}

/// An element a verified signature covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedElement {
    /// The Id the Reference named it by.
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
    /// Ids carried by more than one element that no Reference names and no signed content
    /// holds (outside a `ds:Signature`), so tolerated: CryptoPro JCP gives every
    /// `ds:Signature` the Id `sigID`.
    pub tolerated_duplicate_ids: usize,
    doc: Cow<'a, str>,
}

impl<'a> Report<'a> {
    pub fn is_ok(&self) -> bool {
        self.required.is_ok() && self.signatures.iter().all(|s| s.result.is_ok())
    }

    /// The origin signature's report, if the profile has one.
    pub fn origin(&self) -> Option<&SignatureReport> {
        self.signatures.iter().find(|s| s.origin)
    }

    /// The reason the message is refused, as [`Report::into_verified`] gives it: the first
    /// failed signature in document order, else the message-level reason.
    pub fn first_error(&self) -> Option<&SigError> {
        self.signatures
            .iter()
            .find_map(|s| s.result.as_ref().err())
            .or(self.required.as_ref().err())
    }

    /// The proof that every signature verified and the profile is satisfied. A failed
    /// signature is the reason before a missing one: a signature that failed early covers
    /// nothing, so a profile rule it would have met reads as broken.
    pub fn into_verified(self) -> Result<Verified<Message<'a>>, SigError> {
        let mut signers = Vec::with_capacity(self.signatures.len());
        let mut origin = None;
        for s in self.signatures {
            s.result?;
            if s.origin {
                origin = Some(signers.len());
            }
            signers.push(VerifiedSignature {
                role: s.role,
                origin: s.origin,
                certificate: s.signer.expect("a verified signature has a signer"),
                algorithm: s.algorithm.expect("a verified signature has an algorithm"),
                chain: s.chain,
                signed: s.signed,
                signature_value: s.value,
            });
        }
        self.required?;
        Ok(Verified::new(
            Message { doc: self.doc },
            signers,
            origin,
            self.tolerated_duplicate_ids,
        ))
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
    /// The message's origin signature: who sent it.
    pub origin: bool,
    pub certificate: Arc<Certificate>,
    pub algorithm: SignatureAlg,
    pub chain: ChainStatus,
    pub signed: Vec<SignedElement>,
    /// The decoded SignatureValue: a replay repeats it, a genuine resend (GOST and ECDSA
    /// signatures are randomized) does not.
    pub signature_value: Vec<u8>,
}

/// Verifies signed messages; build once, share across threads.
#[derive(Clone)]
pub struct Verifier {
    profile: Profile,
    trust: Trust,
    policy: AlgorithmPolicy,
    limits_policy: SignaturePolicy,
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

/// A signature that passed every check before its cryptography.
struct Prepared<'s> {
    alg: SignatureAlg,
    c14n: Algorithm,
    with_comments: bool,
    cert: Arc<Certificate>,
    plans: Vec<Plan>,
    /// Per Reference: the element it names (`None`: the whole document), with the Id.
    targets: Vec<Option<(&'s str, usize)>>,
}

impl Verifier {
    pub fn new(profile: Profile, trust: Trust) -> Verifier {
        Verifier {
            profile,
            trust,
            policy: AlgorithmPolicy::default(),
            limits_policy: SignaturePolicy::default(),
            validation: ValidationOptions::default(),
            cache: Arc::new(CertCache::new(4096)),
            limits: Limits::default(),
            at: None,
            hint: Arc::new(AtomicU8::new(HINT_NONE)),
        }
    }

    /// Admit GOST R 34.10-2001 (algorithms and keys), GOST R 34.11-94 and SHA-1 (archived
    /// SMEV traffic).
    pub fn allow_legacy(mut self, yes: bool) -> Verifier {
        self.policy.allow_legacy = yes;
        self.validation.allow_legacy = yes;
        self
    }

    pub fn limits(mut self, limits: Limits) -> Verifier {
        self.limits = limits;
        self
    }

    /// The bounds on signatures, References and digested bytes per message.
    pub fn signature_policy(mut self, policy: SignaturePolicy) -> Verifier {
        self.limits_policy = policy;
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

    pub fn policy(&self) -> SignaturePolicy {
        self.limits_policy
    }

    /// Verifies and returns the proof, or the first reason for refusal. Stops at the first
    /// failure, so a refused message costs no more than what refused it.
    pub fn verify<'a>(&self, input: &'a [u8]) -> Result<Verified<Message<'a>>, SigError> {
        self.run(input, None, true)?.into_verified()
    }

    /// [`Verifier::verify`] with `gate` asked about every signer before any cryptography.
    pub fn verify_gated<'a>(
        &self,
        input: &'a [u8],
        gate: &dyn SignerGate,
    ) -> Result<Verified<Message<'a>>, SigError> {
        self.run(input, Some(gate), true)?.into_verified()
    }

    /// Judges every signature. `Err` is a refusal of the message as a whole (not XML, too many
    /// signatures or References, a signature out of place, an ambiguous Id or origin, none at
    /// all); per-signature outcomes are in the report. A signature refused before its
    /// cryptography is not checked further; the others still are.
    pub fn check<'a>(&self, input: &'a [u8]) -> Result<Report<'a>, SigError> {
        self.run(input, None, false)
    }

    /// [`Verifier::check`] with `gate` asked about every signer before any cryptography.
    pub fn check_gated<'a>(
        &self,
        input: &'a [u8],
        gate: &dyn SignerGate,
    ) -> Result<Report<'a>, SigError> {
        self.run(input, Some(gate), false)
    }

    fn run<'a>(
        &self,
        input: &'a [u8],
        gate: Option<&dyn SignerGate>,
        fail_fast: bool,
    ) -> Result<Report<'a>, SigError> {
        let doc = rsmev_xml::prepare(input, &self.limits)?;
        let (signatures, required, tolerated) = {
            let text: &str = &doc;
            let speculate = match self.hint.load(Ordering::Relaxed) {
                HINT_EXC => Speculate::Exclusive,
                HINT_EXC_SMEV => Speculate::ExclusiveSmev,
                _ => Speculate::No,
            };
            let found = scan(text, &self.limits, &self.limits_policy, speculate)?;
            if found.signatures.is_empty() {
                return Err(SigError::NoSignature(String::new()));
            }
            let placements = found
                .signatures
                .iter()
                .map(|s| self.profile.classify(s))
                .collect::<Result<Vec<_>, _>>()?;
            let origin = self.profile.origin(&found.signatures, &placements)?;
            let tolerated = check_ids(text, &found)?;
            self.check_budget(text, &found)?;

            // Before any cryptography: every signature's cheap checks.
            let mut reports = Vec::with_capacity(placements.len());
            let mut prepared = Vec::with_capacity(placements.len());
            for (i, (sig, placement)) in found.signatures.iter().zip(&placements).enumerate() {
                let mut report = SignatureReport {
                    role: placement.role().clone(),
                    origin: origin == Some(i),
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
                    value: Vec::new(),
                    // Until its checks say otherwise.
                    stage: Stage::BeforeCryptography,
                    result: Ok(()),
                };
                match self.before_crypto(&found, sig, placement, &mut report, gate) {
                    Ok(p) => prepared.push(Some(p)),
                    Err(e) if fail_fast => return Err(e),
                    Err(e) => {
                        report.result = Err(e);
                        prepared.push(None);
                    }
                }
                reports.push(report);
            }
            let judged: Vec<(usize, Vec<&IdElement<'_>>)> = prepared
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let p = p.as_ref()?;
                    let ts = p
                        .targets
                        .iter()
                        .flatten()
                        .map(|&(_, e)| &found.elements[e])
                        .collect();
                    Some((i, ts))
                })
                .collect();
            let required =
                self.profile
                    .check_required(&found.signatures, &placements, origin, &judged);
            let required = match required {
                Err(e) if fail_fast => return Err(e),
                r => r,
            };

            // Each SignatureValue, then the References' digests.
            for i in 0..reports.len() {
                let Some(p) = &prepared[i] else { continue };
                let sig = &found.signatures[i];
                match self.signature_value(text, sig, p) {
                    Ok(value) => reports[i].value = value,
                    Err(e) => {
                        if fail_fast {
                            return Err(e);
                        }
                        reports[i].stage = Stage::SignatureValue;
                        reports[i].result = Err(e);
                        prepared[i] = None;
                    }
                }
            }
            for i in 0..reports.len() {
                let Some(p) = prepared[i].take() else {
                    continue;
                };
                let sig = &found.signatures[i];
                let report = &mut reports[i];
                match self.digests(text, &found, sig, &p) {
                    Ok(()) => {
                        report.stage = Stage::Done;
                        for &(id, e) in p.targets.iter().flatten() {
                            let t = &found.elements[e];
                            let this = t.this();
                            report.signed.push(SignedElement {
                                id: id.to_string(),
                                ns: this.ns.to_string(),
                                local: this.local.to_string(),
                                pos: this.pos,
                                end: t.end,
                            });
                        }
                    }
                    Err(e) if fail_fast => return Err(e),
                    Err(e) => {
                        report.stage = Stage::Digest;
                        report.result = Err(e);
                    }
                }
            }
            (reports, required, tolerated)
        };
        Ok(Report {
            profile: self.profile,
            signatures,
            required,
            tolerated_duplicate_ids: tolerated,
            doc,
        })
    }

    /// The total the References would canonicalize, from the spans the scan found, against
    /// `digest_budget` × the message size. Whole-document References count the message.
    fn check_budget(&self, doc: &str, found: &Scan<'_>) -> Result<(), SigError> {
        let size = doc.len() as u64;
        let budget = size.saturating_mul(self.limits_policy.digest_budget as u64);
        let mut needed: u64 = 0;
        for r in found.signatures.iter().flat_map(|s| &s.references) {
            let span = match r.uri.as_deref().and_then(|u| u.strip_prefix('#')) {
                Some(id) => match found.named(id) {
                    Named::One(e) => (e.end - e.this().pos) as u64,
                    // Refused for their own reasons, before any digest.
                    Named::Several(_) | Named::Nothing => 0,
                },
                None if r.uri.as_deref() == Some("") => size,
                None => 0,
            };
            needed = needed.saturating_add(span);
        }
        if needed > budget {
            return Err(SigError::DigestBudgetExceeded { needed, budget });
        }
        Ok(())
    }

    fn before_crypto<'s>(
        &self,
        found: &'s Scan<'_>,
        sig: &'s Signature<'_>,
        placement: &Placement,
        report: &mut SignatureReport,
        gate: Option<&dyn SignerGate>,
    ) -> Result<Prepared<'s>, SigError> {
        let pos = sig.pos();
        let missing = |what: &str| SigError::Malformed {
            pos,
            what: format!("no {what}"),
        };
        sig.signed_info_pos.ok_or_else(|| missing("SignedInfo"))?;
        let c14n_uri = sig
            .c14n_method
            .as_deref()
            .ok_or_else(|| missing("CanonicalizationMethod"))?;
        let method = sig
            .signature_method
            .as_deref()
            .ok_or_else(|| missing("SignatureMethod"))?;
        sig.signature_value
            .as_deref()
            .ok_or_else(|| missing("SignatureValue"))?;
        if sig.references.is_empty() {
            return Err(missing("Reference"));
        }

        // Algorithms against policy: an unsupported transform or digest is named as such, not
        // reported as a failed signature.
        let alg = SignatureAlg::from_uri(method)?;
        self.policy.check_signature(alg)?;
        report.algorithm = Some(alg);
        let (c14n, with_comments) =
            Algorithm::from_uri(c14n_uri).ok_or_else(|| SigError::UnknownAlgorithm {
                uri: c14n_uri.to_string(),
            })?;
        let plans = sig
            .references
            .iter()
            .map(|r| self.plan(r))
            .collect::<Result<Vec<_>, _>>()?;

        // What it signs, and whether the profile lets it: a signature over the wrong element
        // is refused whatever its math.
        let mut targets = Vec::with_capacity(sig.references.len());
        for r in &sig.references {
            match resolve(found, r)? {
                Some((id, e)) => {
                    self.profile
                        .check_target(placement, sig, &found.elements[e])?;
                    targets.push(Some((id, e)));
                }
                None => {
                    self.profile.check_whole_document(sig)?;
                    targets.push(None);
                }
            }
        }

        // The signer: its certificate, its key against the algorithm and the key policy.
        let cert = self.certificate(found, sig)?;
        report.signer = Some(cert.clone());
        cert.public_key().check_algorithm(alg)?;
        self.policy.check_key(cert.public_key())?;

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

        if let Some(gate) = gate {
            let who = SignerInfo {
                role: &report.role,
                origin: report.origin,
                certificate: &cert,
            };
            gate.admit(&who).map_err(|r| SigError::SignerRefused {
                code: r.code,
                reason: r.reason,
            })?;
        }
        Ok(Prepared {
            alg,
            c14n,
            with_comments,
            cert,
            plans,
            targets,
        })
    }

    /// SignedInfo → SignatureValue, canonicalized out of an excerpt: the Signature with its
    /// ancestors' start tags, not a second read of the whole message.
    fn signature_value(
        &self,
        doc: &str,
        sig: &Signature<'_>,
        p: &Prepared<'_>,
    ) -> Result<Vec<u8>, SigError> {
        let pos = sig.pos();
        let si_pos = sig.signed_info_pos.expect("checked before");
        let value = sig.signature_value.as_deref().expect("checked before");
        let alg = p.alg;
        let ex = Excerpt::new(doc, &sig.path, si_pos, sig.signed_info_end);
        let mut opts = Options::new(p.c14n)
            .with_comments(p.with_comments)
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
        let key = p.cert.public_key();
        match key.verify_prehashed(alg, &digest, &sig_bytes) {
            Ok(()) => Ok(sig_bytes),
            Err(rsmev_crypto::CryptoError::SignatureMismatch) => {
                // Name the commonest cause precisely: a message pretty-printed after signing.
                // Only the failure path pays for this second look.
                let mut canon = Vec::new();
                canonicalize_prepared(&ex.text, &opts, &mut canon)?;
                let compact = strip_inter_element_whitespace(&canon);
                let reformatted = compact.len() != canon.len()
                    && key
                        .verify_prehashed(alg, &Hasher::digest(alg.digest(), &compact), &sig_bytes)
                        .is_ok();
                Err(if reformatted {
                    SigError::SignedInfoReformatted
                } else {
                    SigError::SignatureValueInvalid
                })
            }
            Err(other) => Err(SigError::Crypto(other)),
        }
    }

    /// Every Reference's digest.
    fn digests(
        &self,
        doc: &str,
        found: &Scan<'_>,
        sig: &Signature<'_>,
        p: &Prepared<'_>,
    ) -> Result<(), SigError> {
        for ((r, plan), target) in sig.references.iter().zip(&p.plans).zip(&p.targets) {
            let target = target.map(|(_, e)| (e, &found.elements[e]));
            self.reference(doc, found, sig, r, plan, target)?;
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
            let not_found = || SigError::TokenNotFound { uri: uri.clone() };
            let id = uri.strip_prefix('#').ok_or_else(not_found)?;
            let token = match found.named(id) {
                Named::One(e) => e.token.as_deref().ok_or_else(not_found)?,
                Named::Several(count) => {
                    return Err(SigError::DuplicateId {
                        id: id.to_string(),
                        count,
                        why: "a SecurityTokenReference names it",
                    });
                }
                Named::Nothing => return Err(not_found()),
            };
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
        plan: &Plan,
        target: Option<(usize, &IdElement<'_>)>,
    ) -> Result<(), SigError> {
        let uri = r.uri.as_deref().unwrap_or_default();
        let expected = r.digest_value.as_deref().unwrap_or_default();
        let Plan {
            digest: dalg,
            chain,
        } = plan;

        // The scan read the whole message and the verifier checked the Ids it references:
        // later passes may stop at the end of what they canonicalize.
        let mut opts = Options::new(chain.c14n)
            .smev_transform(chain.smev)
            .stop_after_subset(true)
            .limits(self.limits.clone());
        if let Some(list) = &chain.prefixes {
            opts = opts.inclusive_prefixes(list);
        }
        let mut sink = HashSink(Hasher::new(*dalg));
        // Exclusive C14N of an element that holds no signature this reference excludes:
        // the scan may already have made that form.
        let tappable = target.filter(|(_, t)| {
            chain.c14n == Algorithm::Exclusive
                && chain.prefixes.is_none()
                && !(chain.enveloped && (t.this().pos..t.end).contains(&sig.pos()))
        });
        if tappable.is_some() {
            let hint = if chain.smev { HINT_EXC_SMEV } else { HINT_EXC };
            self.hint.store(hint, Ordering::Relaxed);
        }
        let tapped = tappable
            .and_then(|(e, _)| found.taps.get(&e))
            .filter(|tap| tap.smev == chain.smev);
        match target {
            Some(_) if tapped.is_some() => {
                sink.0.update(&tapped.expect("checked").bytes);
            }
            // By Id: the element's excerpt holds all its canonical form depends on.
            Some((_, t)) => {
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
            Some((_, t)) => sig.path.iter().any(|f| f.node == t.this().node),
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

/// The Ids a message may carry twice. Every Id a Reference or a SecurityTokenReference names
/// must be carried by exactly one element, and so must every Id inside what a Reference
/// covers — outside `ds:Signature` elements, whose Ids mean something only to a Reference
/// (and those are held to the first rule). Any other duplicate is tolerated and counted:
/// CryptoPro JCP gives every `ds:Signature` the Id `sigID`, so a SMEV 3 message with a personal
/// signature carries it twice.
fn check_ids(doc: &str, found: &Scan<'_>) -> Result<usize, SigError> {
    let mut duplicates = found.duplicates().peekable();
    if duplicates.peek().is_none() {
        return Ok(0);
    }
    let named = found.signatures.iter().flat_map(|s| {
        let refs = s
            .references
            .iter()
            .filter_map(|r| r.uri.as_deref()?.strip_prefix('#'));
        let tokens = s
            .key_info
            .token_refs
            .iter()
            .filter_map(|u| u.strip_prefix('#'));
        refs.chain(tokens)
    });
    for id in named {
        if let Named::Several(count) = found.named(id) {
            return Err(SigError::DuplicateId {
                id: id.to_string(),
                count,
                why: "a signature references it",
            });
        }
    }
    // What the References cover, as byte spans of the message.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for r in found.signatures.iter().flat_map(|s| &s.references) {
        match r.uri.as_deref() {
            Some("") => spans.push((0, doc.len())),
            Some(uri) => {
                if let Some(Named::One(e)) = uri.strip_prefix('#').map(|id| found.named(id)) {
                    spans.push((e.this().pos, e.end));
                }
            }
            None => {}
        }
    }
    let mut tolerated = 0;
    for (id, carriers) in duplicates {
        let signed = carriers.iter().map(|&i| &found.elements[i]).find(|e| {
            !e.in_signature
                && spans
                    .iter()
                    .any(|&(from, to)| (from..to).contains(&e.this().pos))
        });
        if signed.is_some() {
            return Err(SigError::DuplicateId {
                id: id.to_string(),
                count: carriers.len(),
                why: "signed content carries it",
            });
        }
        tolerated += 1;
    }
    Ok(tolerated)
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

/// The element a Reference names, with the Id it names it by: `#id` (bare-name XPointer) or
/// `""` (the whole document, `None`). Anything else — another document, an XPointer
/// expression — is refused.
fn resolve<'s>(found: &Scan<'_>, r: &'s Reference) -> Result<Option<(&'s str, usize)>, SigError> {
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
    match found.named(id) {
        Named::One(_) => Ok(found.index_of(id).map(|e| (id, e))),
        Named::Several(count) => Err(SigError::DuplicateId {
            id: id.into(),
            count,
            why: "a signature references it",
        }),
        Named::Nothing => Err(SigError::ReferenceNotFound { id: id.into() }),
    }
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
            let Ok(found) = scan(&doc, &limits, &SignaturePolicy::DEFAULT, Speculate::No) else {
                continue;
            };
            for e in &found.elements {
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
                            "{} @{} {alg:?} comments={comments} smev={smev}",
                            path.display(),
                            e.this().pos
                        ),
                        (Err(_), Err(_)) => {}
                        (a, b) => panic!("{} @{}: {a:?} vs {b:?}", path.display(), e.this().pos),
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
                    let Ok(found) = scan(&doc, &limits, &SignaturePolicy::DEFAULT, spec) else {
                        continue;
                    };
                    for (&element, tap) in &found.taps {
                        assert_eq!(tap.smev, smev);
                        let e = &found.elements[element];
                        let opts = Options::new(Algorithm::Exclusive)
                            .smev_transform(smev)
                            .subset_at(e.this().pos);
                        let want = rsmev_c14n::canonicalize_to_vec(doc.as_bytes(), &opts).unwrap();
                        assert!(
                            want == tap.bytes,
                            "{} @{} smev={smev}",
                            path.display(),
                            e.this().pos
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 50, "only {checked} taps");
    }
}
