//! rsmev-c14n — stage ③ *canonicalize*: Canonical XML 1.0 and 1.1, Exclusive XML
//! Canonicalization 1.0 (with an InclusiveNamespaces PrefixList) and the SMEV 3 transform
//! `urn://smev-gov-ru/xmldsig/transform`, over a whole document or the subset rooted at the
//! element with a given Id.
//!
//! The document is read once, as a stream; canonical bytes go straight into the caller's
//! [`Sink`] (a hasher on the signature path), never into an intermediate copy. In subset mode
//! the whole document is still read, so that a second element carrying the same Id is refused
//! rather than ignored: on error, whatever reached the sink must be discarded.
//!
//! ```
//! use rsmev_c14n::{Algorithm, Options, canonicalize};
//! let opts = Options::new(Algorithm::Exclusive).subset("b");
//! let mut out = Vec::new();
//! canonicalize(b"<a xmlns:p='urn:p'><p:b Id='b'/></a>", &opts, &mut out).unwrap();
//! assert_eq!(out, b"<p:b xmlns:p=\"urn:p\" Id=\"b\"></p:b>");
//! ```
#![forbid(unsafe_code)]

mod base;
mod canon;
mod driver;
mod out;
mod smev;
mod tap;

use rsmev_fault::FaultCode;
use rsmev_xml::{Limits, Reader, XmlError};

pub use out::Sink;
pub use tap::{Tap, TapStop};

/// Canonical XML 1.0.
pub const C14N10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub const C14N10_WITH_COMMENTS: &str =
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
/// Canonical XML 1.1.
pub const C14N11: &str = "http://www.w3.org/2006/12/xml-c14n11";
pub const C14N11_WITH_COMMENTS: &str = "http://www.w3.org/2006/12/xml-c14n11#WithComments";
/// Exclusive XML Canonicalization 1.0.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const EXC_C14N_WITH_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
/// The SMEV 3 transform.
pub const SMEV_TRANSFORM: &str = "urn://smev-gov-ru/xmldsig/transform";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    C14n10,
    C14n11,
    Exclusive,
}

impl Algorithm {
    /// The algorithm and its comment mode named by an XMLDSig algorithm URI.
    pub fn from_uri(uri: &str) -> Option<(Algorithm, bool)> {
        Some(match uri {
            C14N10 => (Algorithm::C14n10, false),
            C14N10_WITH_COMMENTS => (Algorithm::C14n10, true),
            C14N11 => (Algorithm::C14n11, false),
            C14N11_WITH_COMMENTS => (Algorithm::C14n11, true),
            EXC_C14N => (Algorithm::Exclusive, false),
            EXC_C14N_WITH_COMMENTS => (Algorithm::Exclusive, true),
            _ => return None,
        })
    }

    pub fn uri(self, with_comments: bool) -> &'static str {
        match (self, with_comments) {
            (Algorithm::C14n10, false) => C14N10,
            (Algorithm::C14n10, true) => C14N10_WITH_COMMENTS,
            (Algorithm::C14n11, false) => C14N11,
            (Algorithm::C14n11, true) => C14N11_WITH_COMMENTS,
            (Algorithm::Exclusive, false) => EXC_C14N,
            (Algorithm::Exclusive, true) => EXC_C14N_WITH_COMMENTS,
        }
    }
}

/// What to canonicalize and how.
#[derive(Clone, Debug)]
pub struct Options {
    pub algorithm: Algorithm,
    pub with_comments: bool,
    /// Exclusive C14N's InclusiveNamespaces PrefixList; `#default` names the default namespace.
    pub inclusive_prefixes: Vec<String>,
    /// Apply the SMEV 3 transform to the Exclusive C14N output.
    pub smev_transform: bool,
    /// Canonicalize only the element carrying this Id (`Id`, `ID`, `id`, `wsu:Id`, `xml:id`)
    /// and its descendants.
    pub subset: Option<String>,
    /// Canonicalize only the element whose start tag begins at this byte offset of the
    /// prepared document (see [`canonicalize_prepared`]) — how a SignedInfo, which carries no
    /// Id, is selected. Ignored when `subset` is set.
    pub subset_at: Option<usize>,
    /// The enveloped-signature transform: leave out the element whose start tag begins at this
    /// byte offset of the prepared document, with everything inside it.
    pub exclude_at: Option<usize>,
    /// Stop reading when the selected subset ends. Only for a caller that has already read the
    /// whole document with the same limits and refused duplicate Ids (the signature verifier
    /// does, in its first pass): otherwise the rest of the document goes unchecked.
    pub stop_after_subset: bool,
    pub limits: Limits,
}

impl Options {
    pub fn new(algorithm: Algorithm) -> Self {
        Options {
            algorithm,
            with_comments: false,
            inclusive_prefixes: Vec::new(),
            smev_transform: false,
            subset: None,
            subset_at: None,
            exclude_at: None,
            stop_after_subset: false,
            limits: Limits::default(),
        }
    }

    pub fn with_comments(mut self, yes: bool) -> Self {
        self.with_comments = yes;
        self
    }

    pub fn subset(mut self, id: impl Into<String>) -> Self {
        self.subset = Some(id.into());
        self
    }

    /// Select the element starting at byte `pos` of the prepared document.
    pub fn subset_at(mut self, pos: usize) -> Self {
        self.subset_at = Some(pos);
        self
    }

    /// See [`Options::stop_after_subset`].
    pub fn stop_after_subset(mut self, yes: bool) -> Self {
        self.stop_after_subset = yes;
        self
    }

    /// Omit the element starting at byte `pos` of the prepared document (enveloped signature).
    pub fn exclude_at(mut self, pos: usize) -> Self {
        self.exclude_at = Some(pos);
        self
    }

    pub fn smev_transform(mut self, yes: bool) -> Self {
        self.smev_transform = yes;
        self
    }

    /// Whitespace-separated prefixes, as the PrefixList attribute carries them.
    pub fn inclusive_prefixes(mut self, list: &str) -> Self {
        self.inclusive_prefixes = list.split_ascii_whitespace().map(String::from).collect();
        self
    }

    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn validate(&self) -> Result<(), C14nError> {
        if !self.inclusive_prefixes.is_empty() && self.algorithm != Algorithm::Exclusive {
            return Err(C14nError::Options(
                "an inclusive prefix list applies to Exclusive C14N only",
            ));
        }
        if self.smev_transform && self.algorithm != Algorithm::Exclusive {
            return Err(C14nError::Options(
                "the SMEV transform follows Exclusive C14N only",
            ));
        }
        if let Some(p) = self
            .inclusive_prefixes
            .iter()
            .find(|p| *p != "#default" && !rsmev_xml::is_ncname(p))
        {
            return Err(C14nError::InvalidPrefix { prefix: p.clone() });
        }
        Ok(())
    }
}

/// Why canonicalization failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum C14nError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error("no element carries Id `{id}`")]
    IdNotFound { id: String },
    #[error("no element starts at byte {pos}")]
    NoElementAt { pos: usize },
    #[error(
        "the SMEV transform is not defined for elements in no namespace (`{name}` at byte {pos})"
    )]
    SmevUnqualifiedElement { name: String, pos: usize },
    #[error("`{prefix}` in the inclusive prefix list is not a namespace prefix")]
    InvalidPrefix { prefix: String },
    #[error("invalid options: {0}")]
    Options(&'static str),
}

impl C14nError {
    /// The SMEV fault this failure is reported as.
    pub fn fault_code(&self) -> FaultCode {
        match self {
            C14nError::Xml(e) => e.fault_code(),
            C14nError::IdNotFound { .. } | C14nError::NoElementAt { .. } => {
                FaultCode::ReferenceNotFound
            }
            C14nError::SmevUnqualifiedElement { .. } => FaultCode::UnsupportedAlgorithm,
            C14nError::InvalidPrefix { .. } | C14nError::Options(_) => {
                FaultCode::UnsupportedAlgorithm
            }
        }
    }
}

/// Canonicalizes `input` into `sink` as `opts` says.
pub fn canonicalize<S: Sink + ?Sized>(
    input: &[u8],
    opts: &Options,
    sink: &mut S,
) -> Result<(), C14nError> {
    let doc = rsmev_xml::prepare(input, &opts.limits)?;
    canonicalize_prepared(&doc, opts, sink)
}

/// Canonicalizes a document already checked and normalized by [`rsmev_xml::prepare`] with the
/// same limits. Byte offsets in `opts` (`subset_at`, `exclude_at`) refer to this text, so a
/// caller that locates elements in a first pass and canonicalizes parts of the document in
/// later ones prepares it once and passes the same text to every pass.
pub fn canonicalize_prepared<S: Sink + ?Sized>(
    doc: &str,
    opts: &Options,
    sink: &mut S,
) -> Result<(), C14nError> {
    opts.validate()?;
    let mut reader = Reader::new(doc, opts.limits.clone());
    if opts.subset.is_some() && !opts.stop_after_subset {
        reader = reader.track_ids();
    }
    let mut out = out::Out::new(sink);
    if opts.smev_transform {
        let mut em = smev::Smev::new(opts.with_comments);
        driver::run(reader, opts, &mut em, &mut out)
    } else {
        let mut em = canon::Canon::new(
            opts.algorithm == Algorithm::Exclusive,
            &opts.inclusive_prefixes,
        );
        driver::run(reader, opts, &mut em, &mut out)
    }
}

/// Canonicalizes into a new buffer.
pub fn canonicalize_to_vec(input: &[u8], opts: &Options) -> Result<Vec<u8>, C14nError> {
    let mut v = Vec::with_capacity(input.len());
    canonicalize(input, opts, &mut v)?;
    Ok(v)
}
